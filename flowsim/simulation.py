"""One run of a scenario: streams → cohort → network → pathway → tables, and the books checked.

The pathway (`patient.py`) decides what happens to each patient; this module only assembles a
run and checks that every patient who arrived is, at the end, recovered, dead, or still in care.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import cohort as cohort_mod
from . import initial as initial_state
from . import plan
from .ambulances import Fleet
from .arrivals import diagnosis_times, districts_of
from .clock import Environment
from .config import Scenario
from .facilities import Ward
from .metrics import key_figures
from .patient import Pathway
from .records import Log
from .routing import Admissions
from .streams import Streams
from .tables import Layout, Tables, build_tables, stays_table
from .transport import Transport, TravelTime

__all__ = ["ConservationError", "Environment", "Network", "RunResult", "check_conservation", "conserved", "run"]


class ConservationError(RuntimeError):
    """Patients were lost or created: arrivals + initial census != recovered + died + in system."""


@dataclass
class RunResult:
    """Everything one run reports; tables are tidy pandas DataFrames."""

    scenario: Scenario
    seed: int
    replication: int
    summary: dict[str, float]
    timeseries: pd.DataFrame
    occupancy: pd.DataFrame
    resources: pd.DataFrame
    waits: pd.DataFrame
    transfers: pd.DataFrame
    patients: pd.DataFrame | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    stays: pd.DataFrame | None = None
    """Every bed and home stay (`tables.stays_table`), when the run was asked for it."""
    queues: pd.DataFrame | None = None
    """Patients waiting for each ward's beds over time (`tables.queues_table`)."""
    home: pd.DataFrame | None = None
    """F0 cared for at home in each district over time (`tables.home_table`)."""


@dataclass
class Network:
    """The treatment network of one run: wards, the admissions that route patients to them, and
    the transport between places."""

    wards: list[Ward]
    admissions: Admissions
    transport: Transport

    @classmethod
    def build(cls, env: Environment, scenario: Scenario, streams: Streams, log: Log) -> Network:
        wards: list[Ward] = []
        n_districts = len(scenario.districts)
        for fi, f in enumerate(scenario.facilities):
            for tier in (1, 2, 3):
                cap = scenario.beds(f, tier)
                if cap > 0 or plan.largest(scenario, f.name, tier, cap) > 0:  # a ward may open later (plan.py)
                    wards.append(Ward(env, len(wards), f.name, f.kind, tier, cap, n_districts + fi, log, f.tower_level))
        admissions = Admissions(env, scenario, wards, log)
        transport: Transport
        if scenario.ambulances is not None:
            transport = Fleet(env, scenario, streams.rng("ambulances", "fleet"), log)
        else:
            transport = TravelTime(env, scenario, streams.rng("ambulances", "travel_time"))
        return cls(wards, admissions, transport)

    def facility_location(self, scenario: Scenario) -> dict[str, int]:
        """The location index of each facility (after the districts')."""
        return {f.name: len(scenario.districts) + i for i, f in enumerate(scenario.facilities)}

    def layout(self, scenario: Scenario) -> Layout:
        """What the keys of the run's logs mean, for the tables: taken before the run, with the
        capacities it opens with and the changes (`plan.py`) it will make."""
        return Layout(
            wards=pd.DataFrame([{"facility": w.facility, "kind": w.kind, "tier": w.tier, "capacity": w.capacity,
                                 "place": w.place} for w in self.wards],
                               columns=["facility", "kind", "tier", "capacity", "place"]),
            lists=pd.DataFrame([{"name": q.name, "tier": q.tier, "ward": q.ward_index,
                                 "served_by": tuple(sorted(w.index for w in q.wards))} for q in self.admissions.lists],
                               columns=["name", "tier", "ward", "served_by"]),
            districts=pd.DataFrame({"district": [d.name for d in scenario.districts],
                                    "monitoring_capacity": [scenario.monitoring_capacity(d) for d in scenario.districts]}),
            vehicles=self.transport.size if isinstance(self.transport, Fleet) else None,
            changes=plan.keyed(scenario, self.wards),
        )


GC_YOUNG_THRESHOLD = 50_000
"""Allocations between the collector's young-generation passes while a run is under way (Python's
default is 700). A run allocates hundreds of thousands of short-lived events and patients; each
pass also walks the run's long-lived ones, and at the default the collector took 0.16 s of a
1.6 s Hanoi run (0.04 s at this threshold; measured with gc.callbacks), with the same peak memory.
The numbers do not depend on when garbage is collected."""
_collecting = threading.Lock()
_runs_under_way = 0
_threshold_before: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the collector's young threshold while any run of this process is under way (runs in
    threads overlap: the first to start sets it, the last to end puts back what it found)."""
    global _runs_under_way, _threshold_before
    with _collecting:
        if _runs_under_way == 0:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(max(_threshold_before[0], GC_YOUNG_THRESHOLD), *_threshold_before[1:])
        _runs_under_way += 1
    try:
        yield
    finally:
        with _collecting:
            _runs_under_way -= 1
            if _runs_under_way == 0:
                gc.set_threshold(*_threshold_before)


def run(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    patients: bool = False,
    progress: Callable[[float], None] | None = None,
    stays: bool = False,
) -> RunResult:
    """Simulate `scenario` once. Same scenario, seed and replication → the same tables.
    `patients` and `stays` add the per-patient and per-stay tables (they cost memory).

    `progress(fraction)` is told the fraction of the horizon simulated, about every 1% of it and
    between the run's stages (drawing the cohort, building the tables): whatever it raises stops
    the run there (a task no one waits for any more raises `executors.Cancelled`)."""
    with _fewer_collections():
        return _run(scenario, seed, replication, patients, progress, stays)


def _run(scenario: Scenario, seed: int | None, replication: int, patients: bool,
         progress: Callable[[float], None] | None, stays: bool) -> RunResult:
    started = time.perf_counter()
    stage = progress if progress is not None else _quiet  # told between stages
    seed = scenario.seed if seed is None else int(seed)
    streams = Streams(seed, replication)
    env = Environment()
    log = Log(stays=stays)

    # streams → cohort: the initial census first, then the new F0
    times = diagnosis_times(scenario.arrivals, scenario.horizon_days, streams.rng("arrivals", "times"))
    districts = districts_of(scenario, len(times), streams.rng("arrivals", "districts"))
    stage(0.0)
    initial = initial_state.draw(scenario, streams)
    stage(0.0)
    arriving = cohort_mod.draw(scenario, times, districts, streams)
    c = cohort_mod.Cohort.concat(initial.cohort, arriving)
    course = cohort_mod.Course.concat(initial.course, cohort_mod.course(scenario, arriving))
    n0 = len(initial)
    stage(0.0)

    network = Network.build(env, scenario, streams, log)
    pathway = Pathway(env, scenario, c, course, n0, network.admissions, network.transport, log)
    pathway.enter(initial, network.facility_location(scenario), progress)
    layout = network.layout(scenario)  # before the run: the capacities it starts with
    plan.schedule(env, scenario, network.wards, network.transport if isinstance(network.transport, Fleet) else None)
    env.run(until=scenario.horizon_days)
    stage(1.0)  # simulated: the tables follow

    arrivals = c.arrival[n0:]
    tables = build_tables(log, layout, arrivals, scenario.horizon_days, scenario.warmup_days,
                          scenario.record_step_days, lambda: stage(1.0))
    stage(1.0)
    summary = key_figures(tables, arrivals=arrivals, initial=n0, warmup=scenario.warmup_days,
                          horizon=scenario.horizon_days)
    check_conservation(summary)
    _check_whole_run(tables, n0, int(np.sum(arrivals <= scenario.horizon_days)), scenario.horizon_days)
    result = RunResult(scenario, seed, replication, {"replication": replication, "seed": seed, **summary},
                       tables.timeseries, tables.occupancy, tables.resources, tables.waits, tables.transfers,
                       patients=_patient_table(scenario, c, n0, tables) if patients else None,
                       stays=stays_table(log, layout) if stays else None, queues=tables.queues,
                       home=tables.home)
    result.seconds = time.perf_counter() - started
    stage(1.0)
    return result


def _quiet(fraction: float) -> None:
    """No one is told (a run without `progress`)."""


def conserved(summary: dict[str, float]) -> bool:
    """Whether the window's books balance: in care at its start + arrivals in it = recovered +
    died in it + in care at its end."""
    inflow = summary["in_system_start"] + summary["arrivals"]
    return bool(inflow == summary["recovered"] + summary["died"] + summary["in_system_end"])


def _check_whole_run(tables: Tables, initial: int, arrivals: int, horizon: float) -> None:
    """The books of the whole run balance too (the window's may start after a warm-up)."""
    outcomes = int((tables.outcomes["time"].to_numpy() <= horizon).sum())
    if initial + arrivals != outcomes + tables.census_end:
        raise ConservationError(f"conservation violated over the whole run: {initial} in care at the start + "
                                f"{arrivals} arrivals != {outcomes} outcomes + {tables.census_end} in care at the end")


def check_conservation(summary: dict[str, float]) -> None:
    """The window's books balance (`conserved`), or an error saying by how much they do not."""
    if not conserved(summary):
        raise ConservationError(
            f"conservation violated: in care at day {summary['window_start']:g} {summary['in_system_start']} + "
            f"arrivals {summary['arrivals']} != recovered {summary['recovered']} + died {summary['died']} + "
            f"in care at the end {summary['in_system_end']}"
        )


def _patient_table(scenario: Scenario, c: cohort_mod.Cohort, n0: int, tables: Tables) -> pd.DataFrame:
    groups = np.array([g.name for g in scenario.risk_groups], dtype=object)
    names = np.array([d.name for d in scenario.districts], dtype=object)
    table = pd.DataFrame({
        "patient": np.arange(len(c)),
        "initial": np.arange(len(c)) < n0,
        "arrival": c.arrival,
        "district": names[c.district],
        "risk_group": groups[c.group],
        "vaccinated": c.vaccinated,
        "severity_at_diagnosis": c.severity,
        "home_eligible": c.home_eligible,
    })
    out = tables.outcomes.drop_duplicates("patient", keep="last").set_index("patient")
    table["outcome"] = out["outcome"].astype(str).reindex(table["patient"]).fillna("in_system").to_numpy()
    table["outcome_time"] = out["time"].reindex(table["patient"]).to_numpy()
    late = table["outcome_time"] > scenario.horizon_days
    table.loc[late, "outcome"] = "in_system"
    table.loc[late, "outcome_time"] = np.nan
    for tier in (2, 3):
        w = tables.waits[(tables.waits["tier"] == tier) & (tables.waits["reason"] == "care")]
        w = w.groupby("patient")["wait"].sum()
        table[f"wait_tier{tier}"] = w.reindex(table["patient"]).to_numpy()
    return table
