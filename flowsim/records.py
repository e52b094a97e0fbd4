"""What a run writes down, and the tidy tables made from it after the run.

During the run every change of a counted level (census by tier and place, beds per ward,
waiting lists, home census per district) is appended to a `Log` as (time, key, ±1); changes
known in advance (a lazy discharge) are written ahead with their future time. After the run the
logs become exact step functions (`StepSeries`), from which time series, time-weighted
utilisation, share of time full and queue statistics are read. Nothing is sampled, so a short
spike is never missed and the statistics cost nothing while the simulation runs.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .facilities import HOME, PLACE_KINDS, PLACES

RECOVERED, DIED, DIED_WAITING = 0, 1, 2
OUTCOMES = ("recovered", "died", "died_waiting")
N_PLACES = len(PLACES)
COUNTED_BY = ("need", "facility")
"""The two ways the census is counted: by clinical need (the tier of care a patient needs now),
and by facility (the tier of the place treating them, as Hanoi's reports count; `PLACES`)."""


def census_key(tier: int, place: int) -> int:
    return (tier - 1) * N_PLACES + place


COUNTED_TIER = np.array([p.counted_tier or tier for tier in (1, 2, 3) for p in PLACES], np.int64)
"""The tier at which the facility count puts each census key (need, place)."""


class Changes:
    """One channel of level changes: (time, key, delta), stored compactly."""

    __slots__ = ("t", "k", "d")

    def __init__(self) -> None:
        self.t = array("d")
        self.k = array("q")
        self.d = array("b")

    def add(self, t: float, key: int, delta: int) -> None:
        self.t.append(t)
        self.k.append(key)
        self.d.append(delta)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.frombuffer(self.t, float) if len(self.t) else np.empty(0),
                np.frombuffer(self.k, np.int64) if len(self.k) else np.empty(0, np.int64),
                np.frombuffer(self.d, np.int8).astype(np.int64) if len(self.d) else np.empty(0, np.int64))


class Bookings:
    """Stays whose end is known when they begin: one row each, (patient, key, start, end),
    expanded into level changes after the run. A single booking ends in recovery; a bulk
    booking says per row whether it does (a home stay that ends in deterioration does not)."""

    def __init__(self) -> None:
        self.patient = array("q")
        self.key = array("q")
        self.start = array("d")
        self.end = array("d")
        self._bulk: list[tuple[np.ndarray, ...]] = []

    def add(self, patient: int, key: int, start: float, end: float) -> None:
        self.patient.append(patient)
        self.key.append(key)
        self.start.append(start)
        self.end.append(end)

    def extend(self, patient: np.ndarray, key: np.ndarray, start: np.ndarray, end: np.ndarray,
               recovers: np.ndarray) -> None:
        self._bulk.append((np.asarray(patient, np.int64), np.asarray(key, np.int64),
                           np.asarray(start, float), np.asarray(end, float), np.asarray(recovers, bool)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """patient, key, start, end, and whether the stay ends in recovery."""
        n = len(self.patient)
        parts = [(np.array(self.patient, np.int64), np.array(self.key, np.int64),
                  np.array(self.start, float), np.array(self.end, float), np.ones(n, bool)), *self._bulk]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(5))

    @staticmethod
    def changes(key: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(key)
        return (np.concatenate([start, end]), np.concatenate([key, key]),
                np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)]))


class Stays:
    """Stays of event-driven patients in a bed (key: ward index) or at home (key: -1 - district),
    one row each when it ends. Written beside the level logs, never read by them: Little's law
    (L = λW) holds the time-average levels against these per-stay lengths."""

    __slots__ = ("_open", "key", "patient", "start", "stop")

    def __init__(self) -> None:
        self._open: dict[tuple[int, int], float] = {}
        self.key = array("q")
        self.patient = array("q")
        self.start = array("d")
        self.stop = array("d")

    def begin(self, key: int, patient: int, t: float) -> None:
        self._open[(key, patient)] = t

    def end(self, key: int, patient: int, t: float) -> None:
        start = self._open.pop((key, patient), None)
        if start is not None:
            self.key.append(key)
            self.patient.append(patient)
            self.start.append(start)
            self.stop.append(t)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """key, patient, start, end (days); a stay still open when the run ends has end = NaN."""
        still = list(self._open.items())
        return (np.array([*self.key, *(k for (k, _), _ in still)], np.int64),
                np.array([*self.patient, *(p for (_, p), _ in still)], np.int64),
                np.array([*self.start, *(t for _, t in still)], float),
                np.array([*self.stop, *(np.nan for _ in still)], float))


class NoStays(Stays):
    """Stays not asked for: nothing is written (the default, to spare time and memory)."""

    def begin(self, key: int, patient: int, t: float) -> None:
        pass

    def end(self, key: int, patient: int, t: float) -> None:
        pass


def _join(*channels: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.concatenate([c[i] for c in channels]) for i in range(3))  # type: ignore[return-value]


class Log:
    """Append-only change logs of one run; per-stay records only if `stays`."""

    def __init__(self, stays: bool = False) -> None:
        self.census_changes = Changes()
        self.bed_changes = Changes()
        self.queue_changes = Changes()
        self.home_changes = Changes()
        self.call_changes = Changes()
        """Calls waiting for a vehicle (key 0)."""
        self.vehicle_changes = Changes()
        """Vehicles busy (key 0)."""
        self.transfers: list[tuple] = []
        """(patient, tier, origin, destination, called, reached, handed_over, bed_wait, vehicle_wait, vehicle,
        status); origin and destination are location indexes (districts, then facilities)."""
        self.bed_bookings = Bookings()
        """Key: ward index."""
        self.home_bookings = Bookings()
        """Key: district index."""
        self.outcome_t = array("d")
        self.outcome_kind = array("b")
        self.outcome_patient = array("q")
        self.blocked: list[tuple[int, float, float]] = []
        """(ward, start, end) of each finished spell of a bed held by a patient who needs another."""
        self.open_blocks: dict[int, tuple[int, float]] = {}
        """patient → (ward, start) of blocked spells still under way (they count up to the horizon)."""
        self.stays = Stays() if stays else NoStays()
        self.placements: list[tuple[float, bool]] = []
        """(time, found a bed) for each new tier-1 F0 who needed a facility bed."""
        self.waits: list[tuple[int, int, float, float, str, str]] = []
        self.open_waits: dict[int, tuple[int, float, str]] = {}
        self.census = self._census
        self.bed = self.bed_changes.add
        self.queue = self.queue_changes.add
        self.home = self.home_changes.add
        c = self.census_changes
        self._ct, self._ck, self._cd = c.t.append, c.k.append, c.d.append

    def _census(self, t: float, tier: int, place: int, delta: int) -> None:
        self._ct(t)
        self._ck((tier - 1) * N_PLACES + place)
        self._cd(delta)

    def move(self, t: float, tier: int, place: int, new_tier: int, new_place: int) -> None:
        """A patient changes need or place: one level down, another up."""
        ct, ck, cd = self._ct, self._ck, self._cd
        ct(t)
        ck((tier - 1) * N_PLACES + place)
        cd(-1)
        ct(t)
        ck((new_tier - 1) * N_PLACES + new_place)
        cd(1)

    def outcome(self, t: float, patient: int, kind: int) -> None:
        self.outcome_t.append(t)
        self.outcome_patient.append(patient)
        self.outcome_kind.append(kind)

    def wait(self, tier: int, patient: int, start: float, end: float, status: str, reason: str) -> None:
        """A finished wait for a bed; `reason` is 'care' (need), 'detection' or 'step_down'."""
        self.open_waits.pop(patient, None)
        self.waits.append((tier, patient, start, end - start, status, reason))

    def begin_wait(self, tier: int, patient: int, start: float, reason: str) -> None:
        """A wait under way: if the run ends first it is reported as still waiting."""
        self.open_waits[patient] = (tier, start, reason)


class StepSeries:
    """Exact levels over time of keyed counters, from (time, key, delta) changes.

    `t` must be sorted (ties in the order the changes happened); changes after `horizon` are
    ignored. Several changes at one instant count as one step, so a discharge and an admission
    at the same time never show as a spike.
    """

    def __init__(self, t: np.ndarray, key: np.ndarray, delta: np.ndarray, n_keys: int, horizon: float) -> None:
        keep = t <= horizon
        t, key, delta = t[keep], key[keep], delta[keep]
        order = np.argsort(key, kind="stable")
        t, key, delta = t[order], key[order], delta[order]
        level = np.cumsum(delta)
        self.n_keys = n_keys
        bounds = np.searchsorted(key, np.arange(n_keys + 1))
        self._series: list[tuple[np.ndarray, np.ndarray]] = []
        for k in range(n_keys):
            lo, hi = bounds[k], bounds[k + 1]
            tk = t[lo:hi]
            lk = level[lo:hi] - (level[lo - 1] if lo > 0 else 0)
            last = np.ones(len(tk), bool)
            last[:-1] = tk[1:] != tk[:-1]
            self._series.append((tk[last], lk[last]))

    @classmethod
    def of(cls, changes: tuple[np.ndarray, np.ndarray, np.ndarray], n_keys: int, horizon: float) -> StepSeries:
        """From unsorted changes."""
        t, k, d = changes
        order = np.argsort(t, kind="stable")
        return cls(t[order], k[order], d[order], n_keys, horizon)

    def at(self, times: np.ndarray) -> np.ndarray:
        """Levels at `times` (after every change at that time): shape (n_keys, len(times))."""
        out = np.zeros((self.n_keys, len(times)), dtype=np.int64)
        for k, (tk, lk) in enumerate(self._series):
            if len(tk):
                idx = np.searchsorted(tk, times, side="right") - 1
                out[k] = np.where(idx >= 0, lk[np.maximum(idx, 0)], 0)
        return out

    def stats(self, key: int, start: float, end: float, full_at: float | None = None) -> dict[str, float]:
        """Time-weighted mean, maximum, and time (days and share) at or above `full_at` in [start, end]."""
        tk, lk = self._series[key]
        lo = int(np.searchsorted(tk, start, side="right"))
        hi = int(np.searchsorted(tk, end, side="left"))
        first = lk[lo - 1] if lo > 0 else 0
        levels = np.concatenate([[first], lk[lo:hi]])
        points = np.concatenate([[start], tk[lo:hi]])
        durations = np.diff(np.append(points, end))
        span = end - start
        # fsum, not np.dot: BLAS splits long dot products over its threads, so the last bits
        # would depend on how many threads the process has (a pool or Dask worker differs)
        out = {"mean": math.fsum(levels * durations) / span, "max": float(levels.max())}
        if full_at is not None:
            full = float(durations[levels >= full_at].sum())
            out["days_full"] = full
            out["share_full"] = full / span
        return out


@dataclass
class Layout:
    """The run's resources, as data: what the keys of the logs mean."""

    wards: pd.DataFrame  # index = ward key; facility, kind, tier, capacity, place (census code)
    lists: pd.DataFrame  # index = list key; name, tier, ward (-1 for a list several wards serve)
    districts: pd.DataFrame  # index = district key; district, monitoring_capacity
    vehicles: int | None = None  # the fleet's size, or None without a fleet


POOLS = (
    ("station beds", 1, "station"),
    ("hospital tier-1 beds", 1, "hospital"),
    ("oxygen beds", 2, None),
    ("ICU beds", 3, None),
)
"""Aggregate bed pools reported beside the wards: (name, tier, facility kind or any)."""


def _pool_of(tiers: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    pool = np.full(len(tiers), len(POOLS), np.int64)
    for p, (_, tier, kind) in enumerate(POOLS):
        match = tiers == tier
        if kind is not None:
            match &= kinds == kind
        pool[match] = p
    return pool


@dataclass
class Tables:
    timeseries: pd.DataFrame
    occupancy: pd.DataFrame
    resources: pd.DataFrame
    waits: pd.DataFrame
    outcomes: pd.DataFrame
    census_end: int
    """Patients in care at the horizon."""
    census_start: int
    """Patients in care at the start of the statistics window (after every change then)."""
    peaks: dict[str, int]
    placements: pd.DataFrame
    transfers: pd.DataFrame


HOME_POOL = "home monitoring"


def stays_table(log: Log, layout: Layout) -> pd.DataFrame:
    """Every bed and home stay of a run, one row each: pool, ward or district index, patient,
    start and end (days; NaN while still under way). Booked stays carry their planned end, which
    may lie past the horizon. This is the per-stay side of Little's law (see `validation`)."""
    wards = layout.wards
    ward_pool = np.array([name for name, _, _ in POOLS] + [""], dtype=object)[
        _pool_of(wards["tier"].to_numpy(), wards["kind"].to_numpy())]
    bed_p, bed_k, bed_s, bed_e, _ = log.bed_bookings.arrays()
    home_p, home_k, home_s, home_e, _ = log.home_bookings.arrays()
    key, patient, start, end = log.stays.arrays()
    home = key < 0
    index = np.where(home, -1 - key, key)
    pool = np.where(home, HOME_POOL, ward_pool[np.where(home, 0, key)] if len(ward_pool) else "")
    return pd.DataFrame({
        "pool": pd.Categorical(np.concatenate([ward_pool[bed_k], np.full(len(home_k), HOME_POOL, object),
                                               pool.astype(object)])),
        "index": np.concatenate([bed_k, home_k, index]),
        "patient": np.concatenate([bed_p, home_p, patient]),
        "start": np.concatenate([bed_s, home_s, start]),
        "end": np.concatenate([bed_e, home_e, end]),
    })


def _grid(horizon: float, step: float) -> np.ndarray:
    grid = np.arange(0.0, horizon, step)
    return np.append(grid, horizon)


def build_tables(log: Log, layout: Layout, arrivals: np.ndarray, horizon: float, warmup: float,
                 step: float) -> Tables:
    """Turn a run's logs into its tidy tables; statistics cover [warmup, horizon]."""
    grid = _grid(horizon, step)
    ts: dict[str, np.ndarray] = {"time": grid}

    wards, lists = layout.wards, layout.lists
    w_tier, w_kind, w_cap = wards["tier"].to_numpy(), wards["kind"].to_numpy(), wards["capacity"].to_numpy()
    w_place = wards["place"].to_numpy(np.int64)
    bed_p, bed_k, bed_s, bed_e, _ = log.bed_bookings.arrays()
    home_p, home_k, home_s, home_e, home_r = log.home_bookings.arrays()
    t, k, d = _join(log.census_changes.arrays(),
                    Bookings.changes(census_key(1, 0) + w_place[bed_k] if len(bed_k) else bed_k, bed_s, bed_e),
                    Bookings.changes(np.full(len(home_k), census_key(1, HOME)), home_s, home_e))
    order = np.argsort(t, kind="stable")
    t, k, d = t[order], k[order], d[order]
    census = StepSeries(t, k, d, 3 * N_PLACES, horizon)
    by_tier = StepSeries(t, k // N_PLACES, d, 3, horizon)
    by_facility = StepSeries(t, COUNTED_TIER[k] - 1, d, 3, horizon)
    levels = census.at(grid)
    tier_levels = by_tier.at(grid)
    facility_levels = by_facility.at(grid)
    for tier in (1, 2, 3):
        ts[f"census_tier{tier}"] = tier_levels[tier - 1]
    for tier in (1, 2, 3):
        ts[f"census_tier{tier}_by_facility"] = facility_levels[tier - 1]
    kinds = np.array([p.kind for p in PLACES])
    for tier in (1, 2, 3):
        for kind in PLACE_KINDS:
            ts[f"tier{tier}_{kind}"] = levels[[census_key(tier, p) for p in np.flatnonzero(kinds == kind)]].sum(axis=0)
    bed_tier = np.array([p.bed_tier for p in PLACES])
    for bed in (1, 2, 3):
        keys = [census_key(tier, p) for tier in (1, 2, 3) for p in np.flatnonzero(bed_tier == bed)]
        ts[f"in_beds_tier{bed}"] = levels[keys].sum(axis=0)
    peaks = {f"peak_tier{tier}": int(by_tier.stats(tier - 1, warmup, horizon)["max"]) for tier in (1, 2, 3)}
    peaks |= {f"peak_tier{tier}_by_facility": int(by_facility.stats(tier - 1, warmup, horizon)["max"])
              for tier in (1, 2, 3)}
    census_end = int(by_tier.at(np.array([horizon])).sum())
    census_start = int(by_tier.at(np.array([warmup])).sum())

    bed_changes = _join(log.bed_changes.arrays(), Bookings.changes(bed_k, bed_s, bed_e))
    beds = StepSeries.of(bed_changes, len(wards), horizon)
    occ = beds.at(grid)
    queue_changes = log.queue_changes.arrays()
    queues = StepSeries.of(queue_changes, len(lists), horizon)
    qlev = queues.at(grid)
    l_tier = lists["tier"].to_numpy()
    for tier in (1, 2, 3):
        ts[f"queue_tier{tier}"] = qlev[l_tier == tier].sum(axis=0)
    for tier in (1, 2, 3):
        ts[f"occupied_tier{tier}"] = occ[w_tier == tier].sum(axis=0)
        ts[f"capacity_tier{tier}"] = np.full(len(grid), int(w_cap[w_tier == tier].sum()))

    n_districts = len(layout.districts)
    home = StepSeries.of(_join(log.home_changes.arrays(), Bookings.changes(home_k, home_s, home_e)),
                         n_districts, horizon)
    home_levels = home.at(grid)
    caps = layout.districts["monitoring_capacity"].to_numpy(float)
    ts["home_census"] = home_levels.sum(axis=0)
    ts["districts_over_monitoring"] = (home_levels > caps[:, None]).sum(axis=0)

    if layout.vehicles is not None:
        fleet = StepSeries.of(log.vehicle_changes.arrays(), 1, horizon)
        calls = StepSeries.of(log.call_changes.arrays(), 1, horizon)
        ts["vehicles_busy"] = fleet.at(grid)[0]
        ts["calls_waiting"] = calls.at(grid)[0]

    out_t = np.concatenate([np.array(log.outcome_t, float), bed_e, home_e[home_r]])
    out_k = np.concatenate([np.array(log.outcome_kind, np.int64), np.full(len(bed_e) + home_r.sum(), RECOVERED)])
    out_p = np.concatenate([np.array(log.outcome_patient, np.int64), bed_p, home_p[home_r]])
    bins = np.concatenate([[-np.inf], grid])
    done = out_t <= horizon
    ts["arrivals"] = np.histogram(arrivals[arrivals <= horizon], bins)[0]
    ts["recoveries"] = np.histogram(out_t[done & (out_k == RECOVERED)], bins)[0]
    ts["deaths"] = np.histogram(out_t[done & (out_k != RECOVERED)], bins)[0]
    ts["deaths_waiting"] = np.histogram(out_t[done & (out_k == DIED_WAITING)], bins)[0]
    timeseries = pd.DataFrame(ts)

    occupancy = pd.DataFrame({
        "time": np.tile(grid, len(wards)),
        "facility": np.repeat(wards["facility"].to_numpy(), len(grid)),
        "kind": np.repeat(w_kind, len(grid)),
        "tier": np.repeat(w_tier, len(grid)),
        "occupied": occ.ravel(),
        "capacity": np.repeat(w_cap, len(grid)),
    })

    resources = _resources(log, layout, beds, queues, bed_changes, queue_changes, home, warmup, horizon)
    still = [(tier, pid, start, horizon - start, "waiting", reason)
             for pid, (tier, start, reason) in log.open_waits.items()]
    columns = ["tier", "patient", "start", "wait", "status", "reason"]
    rows = log.waits + still
    if rows:  # column by column: much faster than pandas inferring row by row
        tier, patient, start, wait, status, reason = zip(*rows, strict=True)
        waits = pd.DataFrame({"tier": np.array(tier, np.int64), "patient": np.array(patient, np.int64),
                              "start": np.array(start, float), "wait": np.array(wait, float),
                              "status": list(status), "reason": list(reason)})
    else:
        waits = pd.DataFrame(columns=columns)
    outcomes = pd.DataFrame({"patient": out_p, "time": out_t,
                             "outcome": np.array(OUTCOMES, dtype=object)[out_k]})
    placements = pd.DataFrame(log.placements, columns=["time", "placed"])
    transfers = transfer_table(log)
    return Tables(timeseries, occupancy, resources, waits, outcomes, census_end, census_start, peaks, placements,
                  transfers)


TRANSFER_COLUMNS = ["patient", "tier", "origin", "destination", "called", "reached", "handed_over",
                    "bed_wait", "vehicle_wait", "vehicle", "status"]


def transfer_table(log: Log) -> pd.DataFrame:
    """One row per transfer by road, with response and total times (days) and what held it back.

    `held_back_by` is `bed` when the patient waited for a bed before the call, `vehicle` when the
    call waited for a free vehicle, `both`, or `none`.
    """
    t = pd.DataFrame(log.transfers, columns=TRANSFER_COLUMNS)
    t["response"] = t["reached"] - t["called"]
    t["total"] = t["handed_over"] - t["called"]
    bed, vehicle = t["bed_wait"] > 0, t["vehicle_wait"] > 0
    t["held_back_by"] = np.select([bed & vehicle, bed, vehicle], ["both", "bed", "vehicle"], "none")
    return t


def _resources(log: Log, layout: Layout, beds: StepSeries, queues: StepSeries, bed_changes: tuple,
               queue_changes: tuple, home: StepSeries, warmup: float, horizon: float) -> pd.DataFrame:
    """One row per ward, per aggregate pool, and for home monitoring."""
    wards, lists = layout.wards, layout.lists
    w_tier, w_kind, w_cap = wards["tier"].to_numpy(), wards["kind"].to_numpy(), wards["capacity"].to_numpy()
    blocked = np.zeros(len(wards))
    still = [(ward, start, horizon) for ward, start in log.open_blocks.values()]
    for ward, start, end in log.blocked + still:
        s, e = max(start, warmup), min(end, horizon)
        if e > s:
            blocked[ward] += e - s
    own_list = {int(w): i for i, w in enumerate(lists["ward"].to_numpy()) if w >= 0}
    nan_q = {"mean": np.nan, "max": np.nan}
    rows = []
    for w in range(len(wards)):
        st = beds.stats(w, warmup, horizon, full_at=w_cap[w])
        q = queues.stats(own_list[w], warmup, horizon) if w in own_list else nan_q
        rows.append({
            "level": "ward", "resource": f"{wards.facility[w]} / tier {w_tier[w]}", "facility": wards.facility[w],
            "kind": w_kind[w], "tier": int(w_tier[w]), "capacity": float(w_cap[w]),
            "mean_occupied": st["mean"], "max_occupied": st["max"], "utilisation": st["mean"] / w_cap[w],
            "share_time_full": st["share_full"], "days_full": st["days_full"],
            "mean_queue": q["mean"], "max_queue": q["max"], "blocked_bed_days": blocked[w],
        })
    ward_pool = _pool_of(w_tier, w_kind)
    t, k, d = bed_changes
    pools = StepSeries.of((t, ward_pool[k], d), len(POOLS) + 1, horizon)
    l_ward = lists["ward"].to_numpy()
    l_kind = np.where(l_ward >= 0, w_kind[np.maximum(l_ward, 0)] if len(w_kind) else "", "any")
    l_tier = lists["tier"].to_numpy()
    list_pool = _pool_of(l_tier, l_kind)
    list_pool[(l_tier == 1) & (l_ward < 0)] = 0  # the city-wide tier-1 list waits for station beds
    for p, (_, tier, kind) in enumerate(POOLS):
        if kind is None:
            list_pool[(l_tier == tier)] = p
    t, k, d = queue_changes
    pool_queues = StepSeries.of((t, list_pool[k] if len(k) else k, d), len(POOLS) + 1, horizon)
    for p, (name, tier, _) in enumerate(POOLS):
        cap = float(w_cap[ward_pool == p].sum())
        st = pools.stats(p, warmup, horizon, full_at=cap if cap else np.inf)
        q = pool_queues.stats(p, warmup, horizon)
        rows.append({
            "level": "pool", "resource": name, "facility": "", "kind": "", "tier": tier, "capacity": cap,
            "mean_occupied": st["mean"], "max_occupied": st["max"], "utilisation": st["mean"] / cap if cap else np.nan,
            "share_time_full": st["share_full"] if cap else np.nan, "days_full": st["days_full"] if cap else np.nan,
            "mean_queue": q["mean"], "max_queue": q["max"], "blocked_bed_days": blocked[ward_pool == p].sum(),
        })
    if layout.vehicles is not None:
        fleet = StepSeries.of(log.vehicle_changes.arrays(), 1, horizon).stats(0, warmup, horizon, full_at=layout.vehicles)
        calls = StepSeries.of(log.call_changes.arrays(), 1, horizon).stats(0, warmup, horizon)
        rows.append({
            "level": "pool", "resource": "ambulances", "facility": "", "kind": "fleet", "tier": 0,
            "capacity": float(layout.vehicles), "mean_occupied": fleet["mean"], "max_occupied": fleet["max"],
            "utilisation": fleet["mean"] / layout.vehicles, "share_time_full": fleet["share_full"],
            "days_full": fleet["days_full"], "mean_queue": calls["mean"], "max_queue": calls["max"],
            "blocked_bed_days": 0.0,
        })
    caps = layout.districts["monitoring_capacity"].to_numpy(float)
    over = [home.stats(dd, warmup, horizon, full_at=caps[dd] + 1 if np.isfinite(caps[dd]) else np.inf)
            for dd in range(len(caps))]
    mean_home = sum(o["mean"] for o in over)
    total_cap = float(caps.sum())
    rows.append({
        "level": "pool", "resource": "home monitoring", "facility": "", "kind": "home", "tier": 1,
        "capacity": total_cap, "mean_occupied": mean_home, "max_occupied": np.nan,
        "utilisation": mean_home / total_cap if np.isfinite(total_cap) and total_cap else np.nan,
        "share_time_full": float(np.mean([o["share_full"] for o in over])),
        "days_full": float(max(o["days_full"] for o in over)),
        "mean_queue": np.nan, "max_queue": np.nan, "blocked_bed_days": 0.0,
    })
    for dd, o in enumerate(over):
        rows.append({
            "level": "district", "resource": f"home monitoring / {layout.districts.district[dd]}", "facility": "",
            "kind": "home", "tier": 1, "capacity": caps[dd], "mean_occupied": o["mean"], "max_occupied": o["max"],
            "utilisation": o["mean"] / caps[dd] if np.isfinite(caps[dd]) and caps[dd] else np.nan,
            "share_time_full": o["share_full"], "days_full": o["days_full"],
            "mean_queue": np.nan, "max_queue": np.nan, "blocked_bed_days": 0.0,
        })
    return pd.DataFrame(rows)
