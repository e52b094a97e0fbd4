"""The F0 stream: diagnosis times from a time-varying rate λ(t), and the district of each F0."""

from __future__ import annotations

import numpy as np

from .config import EPIDEMIC_PROFILES, Arrivals, Scenario
from .epidemic import draw_rt, expected_diagnoses

WAVE_BIN_DAYS = 0.1


def rate_bins(arrivals: Arrivals, horizon: float, rt: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """λ(t) as a step function on [0, horizon]: bin edges (days) and a rate per bin (F0/day).

    A daily series shorter than the horizon keeps its last day's rate to the end. An epidemic
    profile gives one rate per day: its expected diagnoses that day (`rt` replaces its R_t).
    """
    if arrivals.profile == "constant":
        return np.array([0.0, horizon]), np.array([arrivals.rate_per_day])
    if arrivals.profile == "steps":
        steps = sorted(arrivals.steps or [], key=lambda s: s.from_day)  # validated: not empty
        starts = [s.from_day for s in steps if s.from_day < horizon]
        rates = [s.rate_per_day for s in steps if s.from_day < horizon]
        if not starts or starts[0] > 0:
            starts.insert(0, 0.0)
            rates.insert(0, 0.0)
        return np.array([*starts, horizon]), np.array(rates)
    if arrivals.profile in ("daily", *EPIDEMIC_PROFILES):
        days = int(np.ceil(horizon))
        if arrivals.profile == "daily":
            cases = np.asarray(arrivals.daily_cases, float)
            if len(cases) < days:
                cases = np.concatenate([cases, np.full(days - len(cases), cases[-1])])
        else:
            cases = expected_diagnoses(arrivals, days, rt)
        edges = np.minimum(np.arange(days + 1, dtype=float), horizon)
        return edges, cases[:days]
    edges = np.arange(0.0, horizon + WAVE_BIN_DAYS, WAVE_BIN_DAYS)
    edges[-1] = horizon
    edges = np.unique(np.minimum(edges, horizon))
    mid = (edges[:-1] + edges[1:]) / 2
    peak, day, width = arrivals.peak_per_day, arrivals.peak_day, arrivals.width_days
    assert peak is not None and day is not None and width is not None  # validated for a wave
    rates = arrivals.base_per_day + peak * np.exp(-((mid - day) ** 2) / (2 * width**2))
    return edges, rates


def diagnosis_times(arrivals: Arrivals, horizon: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted times (days) of a non-homogeneous Poisson process with rate λ(t) on [0, horizon):
    counts per bin Poisson (or negative binomial, `overdispersion`), times uniform within a bin.
    A renewal profile with `rt_sd` first draws this replication's R_t from the same stream."""
    edges, rates = rate_bins(arrivals, horizon, draw_rt(arrivals, rng))
    widths = np.diff(edges)
    mean = rates * widths
    k = arrivals.overdispersion
    counts = rng.poisson(mean) if k is None else rng.negative_binomial(k, k / (k + np.maximum(mean, 1e-12)))
    starts = np.repeat(edges[:-1], counts)
    times = starts + rng.random(int(counts.sum())) * np.repeat(widths, counts)
    times.sort()
    return times


def districts_of(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """District index of each F0, by population weight."""
    pop = np.array([d.population for d in scenario.districts], float)
    return rng.choice(len(pop), size=n, p=pop / pop.sum()).astype(np.int32)
