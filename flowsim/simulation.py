"""One run of a scenario: build the network, draw the F0, simulate, and check conservation.

The run is split by cost. Mild F0 treated at home whose course needs no bed are booked in one
vectorised step (their census is a set of intervals). The others enter the event-driven model
through one SimPy process that walks the sorted entry times (diagnosis of F0 who need a
facility, home deterioration); only patients who may meet a capacity limit get a process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import simpy

from . import cohort as cohort_mod
from . import initial as initial_state
from . import plan
from .ambulances import Fleet
from .arrivals import diagnosis_times, districts_of
from .config import Scenario
from .facilities import HOME, HomeCare, Ward
from .initial import STAGE_OF_BED_TIER, VISITS
from .metrics import key_figures
from .patient import Pathway, Patient
from .records import Layout, Log, Tables, build_tables, stays_table
from .routing import Admissions
from .streams import Streams
from .transport import Transport, TravelTime

ENTRY_MILD, ENTRY_SEVERE, ENTRY_HOME_DETERIORATION = 0, 1, 2
STAGE_BED_TIER = {stage: tier for tier, stage in STAGE_OF_BED_TIER.items()}


class Environment(simpy.Environment):
    """A SimPy environment that can jump its clock to a time before its next event.

    Entries that need no event of their own (a mild F0 booked into a free bed) are handled by
    moving the clock straight to their time: nothing is scheduled in between, so the order of
    events is exactly that of a timeout per entry, at a fraction of the cost.
    """

    def advance_to(self, t: float) -> bool:
        """Set the clock to `t` if no event is due before it; False if one is."""
        if t < self._now or t > self.peek():
            return False
        self._now = t
        return True


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
    """Every bed and home stay (`records.stays_table`), when the run was asked for it."""


def build_wards(env: simpy.Environment, scenario: Scenario, log: Log) -> list[Ward]:
    n_districts = len(scenario.districts)
    wards: list[Ward] = []
    for fi, f in enumerate(scenario.facilities):
        for tier in (1, 2, 3):
            cap = scenario.beds(f, tier)
            if cap > 0 or plan.largest(scenario, f.name, tier, cap) > 0:  # a ward may open later (plan.py)
                wards.append(Ward(env, len(wards), f.name, f.kind, tier, cap, n_districts + fi, log, f.tower_level))
    return wards


def run(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    patients: bool = False,
    progress: Callable[[float], None] | None = None,
    stays: bool = False,
) -> RunResult:
    """Simulate `scenario` once. Same scenario, seed and replication → the same tables.
    `patients` and `stays` add the per-patient and per-stay tables (they cost memory)."""
    started = time.perf_counter()
    seed = scenario.seed if seed is None else int(seed)
    streams = Streams(seed, replication)
    horizon = scenario.horizon_days
    env = Environment()
    log = Log(stays=stays)

    times = diagnosis_times(scenario.arrivals, horizon, streams.rng("arrivals", "times"))
    districts = districts_of(scenario, len(times), streams.rng("arrivals", "districts"))
    initial = initial_state.draw(scenario, streams)
    n0 = len(initial)
    arriving = cohort_mod.draw(scenario, times, districts, streams)
    c = cohort_mod.Cohort.concat(initial.cohort, arriving)
    course = cohort_mod.Course.concat(initial.course, cohort_mod.course(scenario, arriving))
    n = len(c)

    wards = build_wards(env, scenario, log)
    admissions = Admissions(env, scenario, wards, log)
    transport: Transport
    if scenario.ambulances is not None:
        transport = Fleet(env, scenario, streams.rng("ambulances", "fleet"), log)
    else:
        transport = TravelTime(env, scenario, streams.rng("ambulances", "travel_time"))
    district_location = np.arange(len(scenario.districts))

    # Home-eligible mild F0 (new, and the initial home census): booked in one vectorised step.
    deteriorates = course.deteriorates(True)
    home = (c.severity == 1) & c.home_eligible
    home_end = c.arrival + np.where(deteriorates, c.time_to_deterioration, c.tier1_stay)
    caps = [scenario.monitoring_capacity(d) for d in scenario.districts]
    homes = [
        HomeCare(caps[d], c.arrival[home & (c.district == d)], home_end[home & (c.district == d)])
        for d in range(len(scenario.districts))
    ]
    ids = np.flatnonzero(home)
    log.home_bookings.extend(ids, c.district[ids], c.arrival[ids], home_end[ids], ~deteriorates[ids])
    layout = Layout(
        wards=pd.DataFrame([{"facility": w.facility, "kind": w.kind, "tier": w.tier,
                             "capacity": plan.largest(scenario, w.facility, w.tier, w.capacity),
                             "place": w.place} for w in wards],
                           columns=["facility", "kind", "tier", "capacity", "place"]),
        lists=pd.DataFrame([{"name": q.name, "tier": q.tier, "ward": q.ward_index} for q in admissions.lists],
                           columns=["name", "tier", "ward"]),
        districts=pd.DataFrame({"district": [d.name for d in scenario.districts], "monitoring_capacity": caps}),
        vehicles=transport.size + plan.vehicles_added(scenario) if isinstance(transport, Fleet) else None,
    )

    pathway = Pathway(env, scenario, c, admissions, transport, homes, log, district_location, course)
    facility_index = {f.name: len(scenario.districts) + i for i, f in enumerate(scenario.facilities)}
    for i in np.flatnonzero(~home[:n0]):  # home patients are booked above, with the new F0
        listed = initial.facility[i]
        tier = STAGE_BED_TIER[VISITS[initial.visit[i]].stage]
        ward = None if listed is None else admissions.ward_at(facility_index[listed], tier)
        pathway.in_care_at_start(int(i), VISITS[initial.visit[i]], ward)

    # Everyone else enters through one process walking the sorted entry times.
    new = np.arange(n) >= n0
    mild = np.flatnonzero(new & (c.severity == 1) & ~c.home_eligible)
    severe = np.flatnonzero(new & (c.severity > 1))
    home_det = np.flatnonzero(home & deteriorates & (home_end < horizon))
    entry_t = np.concatenate([c.arrival[mild], c.arrival[severe], home_end[home_det]])
    entry_kind = np.concatenate([np.full(len(mild), ENTRY_MILD), np.full(len(severe), ENTRY_SEVERE),
                                 np.full(len(home_det), ENTRY_HOME_DETERIORATION)])
    entry_id = np.concatenate([mild, severe, home_det])
    order = np.lexsort((entry_id, entry_t))
    env.process(_entries(env, pathway, c, entry_t[order], entry_kind[order], entry_id[order], horizon, progress))
    start_capacity = {w.index: w.capacity for w in wards}
    plan.schedule(env, scenario, wards, transport if isinstance(transport, Fleet) else None)
    env.run(until=horizon)

    tables = build_tables(log, layout, c.arrival[n0:], horizon, scenario.warmup_days, scenario.record_step_days)
    plan.capacity_series(tables.timeseries, scenario, wards, start_capacity)
    summary = key_figures(tables, arrivals=c.arrival[n0:], initial=n0, warmup=scenario.warmup_days, horizon=horizon)
    check_conservation(summary)
    _check_whole_run(tables, n0, int(np.sum(c.arrival[n0:] <= horizon)), horizon)
    result = RunResult(scenario, seed, replication, {"replication": replication, "seed": seed, **summary},
                       tables.timeseries, tables.occupancy, tables.resources, tables.waits, tables.transfers,
                       patients=_patient_table(scenario, c, n0, tables) if patients else None,
                       stays=stays_table(log, layout) if stays else None)
    result.seconds = time.perf_counter() - started
    if progress is not None:
        progress(1.0)
    return result


def _entries(env: Environment, pathway: Pathway, c: cohort_mod.Cohort, times: np.ndarray,
             kinds: np.ndarray, ids: np.ndarray, horizon: float,
             progress: Callable[[float], None] | None) -> simpy.events.ProcessGenerator:
    severity = c.severity
    district = c.district
    census = pathway.log.census
    next_report = 0.0
    for t, kind, i in zip(times.tolist(), kinds.tolist(), ids.tolist(), strict=False):
        if t > env.now and not env.advance_to(t):
            yield env.timeout(t - env.now)
        if progress is not None and t >= next_report:
            progress(t / horizon)
            next_report = t + horizon / 100
        if kind == ENTRY_MILD:
            pathway.place_mild(i)
        elif kind == ENTRY_SEVERE:
            d = int(district[i])
            env.process(pathway.severe_at_diagnosis(Patient(i, d, int(severity[i]), HOME, d)))
        else:
            d = int(district[i])
            census(t, 1, HOME, 1)  # the booked home interval ended here; the patient stays on
            env.process(pathway.deteriorate_at_home(Patient(i, d, 1, HOME, d), counted=False))


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
    table["outcome"] = out["outcome"].reindex(table["patient"]).fillna("in_system").to_numpy()
    table["outcome_time"] = out["time"].reindex(table["patient"]).to_numpy()
    late = table["outcome_time"] > scenario.horizon_days
    table.loc[late, "outcome"] = "in_system"
    table.loc[late, "outcome_time"] = np.nan
    for tier in (2, 3):
        w = tables.waits[(tables.waits["tier"] == tier) & (tables.waits["reason"] == "care")]
        w = w.groupby("patient")["wait"].sum()
        table[f"wait_tier{tier}"] = w.reindex(table["patient"]).to_numpy()
    return table
