"""What a run will cost, known before it starts: the memory a run needs.

Every number a user gives is finite and within a stated bound (`config.MAX_*`, used by the
schema and the command line). Within the bounds a run can still be too large for the
machine (a million F0 a day for a year); `check_memory` estimates the memory of the runs about to
start from the scenario alone and refuses them, with the estimate and the way to override it,
before anything is allocated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import ConfigError, Scenario

BYTES_PER_PATIENT = 1_000
"""Measured ≈ 750–850 B per patient on the Hanoi scenario (arrivals + initial census), rounded up."""
BYTES_PER_PATIENT_RECORD = 600
"""The per-patient table (`run(patients=True)`), on top."""
BYTES_PER_SERIES_POINT = 200
"""Per record step and series (each ward, each district, and the city-wide columns): measured
≈ 165 B on Hanoi (153 series) and ≈ 80 B on the teaching town."""
CITY_SERIES = 10
BYTES_PER_PROCESS = 250 * 2**20
"""A worker's own footprint: Python, numpy, pandas, SimPy."""
MEMORY_SHARE = 0.8
"""Of the memory available now, what runs may plan to use."""


class TooLarge(ConfigError):
    """A run that would not fit in the machine's memory: the message gives the estimate and the override."""


@dataclass(frozen=True)
class RunSize:
    patients: float
    """Expected arrivals over the horizon plus the initial census."""
    steps: int
    """Record steps (horizon ÷ record_step_days)."""
    series: int
    """Time series recorded at each step (wards, districts, city-wide)."""
    bytes: float
    """Estimated peak memory of one run (bytes)."""


def expected_arrivals(scenario: Scenario) -> float:
    """∫ λ(t) dt over the horizon (F0), from the same step function the run draws from."""
    from .arrivals import rate_bins

    edges, rates = rate_bins(scenario.arrivals, scenario.horizon_days)
    return float(np.sum(rates * np.diff(edges)))


def run_size(scenario: Scenario, patients: bool = False) -> RunSize:
    """The size of one run of `scenario` (with per-patient records if `patients`)."""
    n = expected_arrivals(scenario) + scenario.initial_census.total
    steps = int(np.ceil(scenario.horizon_days / scenario.record_step_days))
    wards = sum(1 for f in scenario.facilities for tier in (1, 2, 3) if f.beds.of(tier) > 0)
    series = wards + len(scenario.districts) + CITY_SERIES
    per_patient = BYTES_PER_PATIENT + (BYTES_PER_PATIENT_RECORD if patients else 0)
    return RunSize(n, steps, series, n * per_patient + steps * series * BYTES_PER_SERIES_POINT + BYTES_PER_PROCESS)


def available_memory() -> float:
    """Bytes of memory available now (MemAvailable), else the machine's total."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _gb(value: float) -> str:
    return f"{value / 2**30:,.1f} GB"


def check_memory(scenarios: Sequence[Scenario], concurrent: int = 1, patients: bool = False,
                 max_memory_gb: float | None = None, override: str | None = "max_memory_gb") -> RunSize:
    """Refuse runs whose estimated memory (the largest scenario × `concurrent` runs at once) is
    more than `max_memory_gb`, by default 80% of the memory available now; the message names
    `override`, the setting that raises the limit. Returns the largest size."""
    sizes = [run_size(s, patients) for s in scenarios]
    largest = max(sizes, key=lambda s: s.bytes)
    at_once = max(1, min(concurrent, len(scenarios) * 1_000_000))
    need = largest.bytes * at_once
    limit = MEMORY_SHARE * available_memory() if max_memory_gb is None else max_memory_gb * 2**30
    if need > limit:
        runs = f" × {at_once} runs at once" if at_once > 1 else ""
        whose = "this machine can give (80% of the memory available)" if max_memory_gb is None else "allowed"
        anyway = f", or raise {override} to try anyway" if override else ""
        raise TooLarge.said(None, "run_too_large", "run too large: ≈ {patients:,.0f} patients over {steps:,} record "
                            "steps, ≈ {size} of memory{runs}, more than the {limit} {whose}; shorten horizon_days, "
                            "lower the arrival rate or raise record_step_days{anyway}",
                            patients=int(round(largest.patients)), steps=int(largest.steps), size=_gb(largest.bytes),
                            runs=runs, limit=_gb(limit), whose=whose, anyway=anyway, at_once=at_once)
    return largest


def unbedded_tiers(scenario: Scenario) -> list[int]:
    """The tiers patients will need that have no bed at all (after `capacity_scale`): the run is
    valid, but those patients wait for a bed until the end."""
    groups = scenario.risk_groups
    census = scenario.initial_census
    arrive = expected_arrivals(scenario) > 0
    need = {
        1: census.tier1_facility > 0 or (arrive and scenario.routing.tier1_overflow == "queue"
                                         and any(g.share > 0 and g.home_share < 1 for g in groups)),
        2: census.tier2 > 0 or census.tier3 > 0 or (arrive and any(
            g.share > 0 and (g.p_deteriorate > 0 or g.p_tier2_at_diagnosis > 0 or g.p_tier3_at_diagnosis > 0)
            for g in groups)),
        3: census.tier3 > 0 or (arrive and any(
            g.share > 0 and (g.p_tier3_at_diagnosis > 0 or (g.p_escalate > 0 and (g.p_deteriorate > 0
                                                                                  or g.p_tier2_at_diagnosis > 0)))
            for g in groups)),
    }
    return [tier for tier, needed in need.items() if needed and sum(scenario.beds(f, tier) for f in scenario.facilities) == 0]


def missing_beds(scenario: Scenario) -> list[str]:
    """Warnings, one line each, for `unbedded_tiers` (the CLI's words; the app says it in the page's language)."""
    names = {1: "tier-1 facility beds (stations, hospitals)", 2: "oxygen beds (tier 2)", 3: "ICU beds (tier 3)"}
    return [f"no {names[tier]} in this scenario, yet its patients need them: they will wait for "
            f"one until the run ends (check facilities[].beds.tier{tier} and capacity_scale)"
            for tier in unbedded_tiers(scenario)]
