"""The tidy tables of a run, made from its log (`records.Log`) after the run: one builder per table.

The logs become exact step functions (`StepSeries`), from which time series, time-weighted
utilisation, share of time full and queue statistics are read. Statistics cover the window
[warmup, horizon]; the time series cover the whole run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .pools import AMBULANCES, BED_POOLS, HOME, HOME_MONITORING, N_PLACES, PLACE_KINDS, PLACES
from .records import (
    COUNTED_TIER,
    DIED_WAITING,
    OUTCOMES,
    RECOVERED,
    Bookings,
    Log,
    Placement,
    Transfer,
    Wait,
    census_key,
)

Channel = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Level changes: (time, key, delta) arrays."""


def _join(*channels: Channel) -> Channel:
    return tuple(np.concatenate([c[i] for c in channels]) for i in range(3))  # type: ignore[return-value]


class StepSeries:
    """Exact levels over time of keyed counters, from (time, key, delta) changes.

    `t` must be sorted (ties in the order the changes happened); changes after `horizon` are
    ignored. Several changes at one instant count as one step, so a discharge and an admission
    at the same time never show as a spike.
    """

    def __init__(self, t: np.ndarray, key: np.ndarray, delta: np.ndarray, n_keys: int, horizon: float) -> None:
        keep = t <= horizon
        t, key, delta = t[keep], key[keep], delta[keep]
        # a stable sort of small keys as int16 is a radix sort: the same order, 6 times faster
        order = np.argsort(key.astype(np.int16) if n_keys <= np.iinfo(np.int16).max else key, kind="stable")
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
    def of(cls, changes: Channel, n_keys: int, horizon: float) -> StepSeries:
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

    def stats_against(self, key: int, start: float, end: float,
                      capacity: tuple[np.ndarray, np.ndarray, int]) -> dict[str, float]:
        """As `stats`, against a capacity that changes (`Layout.steps`): also its time-weighted
        mean; full means at or above the capacity of the moment, when that is above 0 (a ward
        not yet open, or closed, is not full)."""
        days, caps, opening = capacity
        points, levels = self.window(key, start, end)
        every = np.union1d(points, days[(days > start) & (days < end)])
        level = levels[np.searchsorted(points, every, side="right") - 1]
        at = np.searchsorted(days, every, side="right") - 1
        cap = np.where(at >= 0, caps[np.maximum(at, 0)], opening)
        durations = np.diff(np.append(every, end))
        span = end - start
        full = float(durations[(level >= cap) & (cap > 0)].sum())
        return {"mean": math.fsum((level * durations).tolist()) / span, "max": float(level.max()),
                "mean_capacity": math.fsum((cap * durations).tolist()) / span, "days_full": full, "share_full": full / span}

    def window(self, key: int, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """The steps of `key` in [start, end): their times (`start` first) and the level from each."""
        tk, lk = self._series[key]
        lo = int(np.searchsorted(tk, start, side="right"))
        hi = int(np.searchsorted(tk, end, side="left"))
        return np.concatenate([[start], tk[lo:hi]]), np.concatenate([[lk[lo - 1] if lo > 0 else 0], lk[lo:hi]])

    def peak(self, key: int, start: float, end: float) -> int:
        """The highest level in [start, end] (what `stats` gives as max, without its sums)."""
        return int(self.window(key, start, end)[1].max())

    def stats(self, key: int, start: float, end: float, full_at: float | None = None) -> dict[str, float]:
        """Time-weighted mean, maximum, and time (days and share) at or above `full_at` in [start, end]."""
        points, levels = self.window(key, start, end)
        durations = np.diff(np.append(points, end))
        span = end - start
        # fsum, not np.dot: BLAS splits long dot products over its threads, so the last bits
        # would depend on how many threads the process has (a pool or Dask worker differs)
        out = {"mean": math.fsum((levels * durations).tolist()) / span, "max": float(levels.max())}
        if full_at is not None:
            full = float(durations[levels >= full_at].sum())
            out["days_full"] = full
            out["share_full"] = full / span
        return out


@dataclass
class Layout:
    """The run's resources, as data: what the keys of the logs mean, and how capacity changes."""

    wards: pd.DataFrame  # index = ward key; facility, kind, tier, capacity (at the start), place (census code)
    lists: pd.DataFrame  # index = list key; name, tier, ward (-1 for a list several wards serve), served_by
    # (the ward keys whose freed beds the list takes, as a tuple; empty for a list no ward serves)
    districts: pd.DataFrame  # index = district key; district, monitoring_capacity
    vehicles: int | None = None  # the fleet's size at the start, or None without a fleet
    changes: tuple[tuple[float, int, int], ...] = ()
    """Capacity changes (`plan.py`) as (day, ward key, beds added); ward key -1: vehicles added."""

    def capacity_at(self, times: np.ndarray) -> np.ndarray:
        """Each ward's beds at `times` (after the changes at that time): shape (n_wards, len(times))."""
        cap = np.repeat(self.wards["capacity"].to_numpy(np.int64)[:, None], len(times), axis=1)
        for day, ward, add in self.changes:
            if ward >= 0:
                cap[ward, times >= day] += add
        return cap

    def steps(self, wards: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int] | None:
        """The summed capacity of `wards` (a boolean mask; None: the fleet) as a step function —
        (days of change, level from each day on, level at the start) — or None when it never changes."""
        keys = np.flatnonzero(wards) if wards is not None else np.array([-1])
        mine = sorted((day, add) for day, ward, add in self.changes if ward in keys)
        if not mine:
            return None
        start = int(self.wards["capacity"].to_numpy()[keys].sum()) if wards is not None else int(self.vehicles or 0)
        days = np.array([d for d, _ in mine], float)
        levels = start + np.cumsum([a for _, a in mine])
        last = np.append(days[1:] != days[:-1], True)  # several changes on one day: the level after all
        return days[last], levels[last], start

    @staticmethod
    def most(steps: tuple[np.ndarray, np.ndarray, int]) -> int:
        """The highest level of a capacity that changes (`steps`)."""
        return max(steps[2], int(steps[1].max()))

    def largest(self) -> np.ndarray:
        """Each ward's most beds at any time of the run (the capacity the resources table reports)."""
        cap = self.wards["capacity"].to_numpy(np.int64).copy()
        for w in range(len(cap)):
            st = self.steps(np.arange(len(cap)) == w)
            if st is not None:
                cap[w] = self.most(st)
        return cap


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
    queues: pd.DataFrame
    """Patients waiting for each ward's beds over time (`queues_table`)."""
    home: pd.DataFrame
    """F0 cared for at home in each district over time (`home_table`)."""


def _pool_of(tiers: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The index in `BED_POOLS` of each ward's pool (`len(BED_POOLS)`: none)."""
    pool = np.full(len(tiers), len(BED_POOLS), np.int64)
    for p, bp in enumerate(BED_POOLS):
        match = tiers == bp.tier
        if bp.kind is not None:
            match &= kinds == bp.kind
        pool[match] = p
    return pool


@dataclass
class Levels:
    """Every log channel of a run as exact step functions, and the changes they came from."""

    census: StepSeries
    """By census key (need, place)."""
    by_tier: StepSeries
    """By clinical need."""
    by_facility: StepSeries
    """By the tier of the place treating them (`records.COUNTED_TIER`)."""
    beds: StepSeries
    bed_changes: Channel
    queues: StepSeries
    queue_changes: Channel
    home: StepSeries
    fleet: StepSeries | None
    calls: StepSeries | None


def levels(log: Log, layout: Layout, horizon: float) -> Levels:
    """Turn the logs (and the bookings, expanded into their changes) into step functions."""
    w_place = layout.wards["place"].to_numpy(np.int64)
    _, bed_k, bed_s, bed_e, _ = log.bed_bookings.arrays()
    _, home_k, home_s, home_e, _ = log.home_bookings.arrays()
    t, k, d = _join(log.census_changes.arrays(),
                    Bookings.changes(census_key(1, 0) + w_place[bed_k] if len(bed_k) else bed_k, bed_s, bed_e),
                    Bookings.changes(np.full(len(home_k), census_key(1, HOME)), home_s, home_e))
    order = np.argsort(t, kind="stable")
    t, k, d = t[order], k[order], d[order]
    bed_changes = _join(log.bed_changes.arrays(), Bookings.changes(bed_k, bed_s, bed_e))
    queue_changes = log.queue_changes.arrays()
    fleet = layout.vehicles is not None
    return Levels(
        census=StepSeries(t, k, d, 3 * N_PLACES, horizon),
        by_tier=StepSeries(t, k // N_PLACES, d, 3, horizon),
        by_facility=StepSeries(t, COUNTED_TIER[k] - 1, d, 3, horizon),
        beds=StepSeries.of(bed_changes, len(layout.wards), horizon),
        bed_changes=bed_changes,
        queues=StepSeries.of(queue_changes, len(layout.lists), horizon),
        queue_changes=queue_changes,
        home=StepSeries.of(_join(log.home_changes.arrays(), Bookings.changes(home_k, home_s, home_e)),
                           len(layout.districts), horizon),
        fleet=StepSeries.of(log.vehicle_changes.arrays(), 1, horizon) if fleet else None,
        calls=StepSeries.of(log.call_changes.arrays(), 1, horizon) if fleet else None,
    )


def grid(horizon: float, step: float) -> np.ndarray:
    """The times of the time series: every `step` days, and the horizon."""
    return np.append(np.arange(0.0, horizon, step), horizon)


def outcome_arrays(log: Log) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """time, outcome code, patient of every outcome: the logged ones, then the booked recoveries
    (booked stays end in recovery, except home stays that end in deterioration)."""
    bed_p, _, _, bed_e, _ = log.bed_bookings.arrays()
    home_p, _, _, home_e, home_r = log.home_bookings.arrays()
    out_t = np.concatenate([np.array(log.outcome_t, float), bed_e, home_e[home_r]])
    out_k = np.concatenate([np.array(log.outcome_kind, np.int64), np.full(len(bed_e) + home_r.sum(), RECOVERED)])
    out_p = np.concatenate([np.array(log.outcome_patient, np.int64), bed_p, home_p[home_r]])
    return out_t, out_k, out_p


@dataclass
class Sampled:
    """The levels several tables read, on the time grid once: shape (keys, len(times))."""

    times: np.ndarray
    beds: np.ndarray
    """Occupied beds by ward."""
    queues: np.ndarray
    """Patients on each waiting list."""
    home: np.ndarray
    """F0 cared for at home by district."""
    capacity: np.ndarray
    """Beds by ward (`Layout.capacity_at`)."""

    @classmethod
    def of(cls, lv: Levels, layout: Layout, times: np.ndarray) -> Sampled:
        return cls(times, lv.beds.at(times), lv.queues.at(times), lv.home.at(times), layout.capacity_at(times))


def timeseries_table(lv: Levels, layout: Layout, outcomes: tuple[np.ndarray, np.ndarray, np.ndarray],
                     arrivals: np.ndarray, grid: Sampled, horizon: float) -> pd.DataFrame:
    """Levels at every time of the grid, and arrivals and outcomes since the previous one."""
    times, occ = grid.times, grid.beds
    ts: dict[str, np.ndarray] = {"time": times}
    levels_at = lv.census.at(times)
    tier_levels, facility_levels = lv.by_tier.at(times), lv.by_facility.at(times)
    for tier in (1, 2, 3):
        ts[f"census_tier{tier}"] = tier_levels[tier - 1]
    for tier in (1, 2, 3):
        ts[f"census_tier{tier}_by_facility"] = facility_levels[tier - 1]
    kinds = np.array([p.kind for p in PLACES])
    for tier in (1, 2, 3):
        for kind in PLACE_KINDS:
            keys = [census_key(tier, int(p)) for p in np.flatnonzero(kinds == kind)]
            ts[f"tier{tier}_{kind}"] = levels_at[keys].sum(axis=0)
    bed_tier = np.array([p.bed_tier for p in PLACES])
    for bed in (1, 2, 3):
        keys = [census_key(tier, int(p)) for tier in (1, 2, 3) for p in np.flatnonzero(bed_tier == bed)]
        ts[f"in_beds_tier{bed}"] = levels_at[keys].sum(axis=0)

    w_tier, w_cap = layout.wards["tier"].to_numpy(), grid.capacity
    qlev = grid.queues
    l_tier = layout.lists["tier"].to_numpy()
    for tier in (1, 2, 3):
        ts[f"queue_tier{tier}"] = qlev[l_tier == tier].sum(axis=0)
    for tier in (1, 2, 3):
        ts[f"occupied_tier{tier}"] = occ[w_tier == tier].sum(axis=0)
        ts[f"capacity_tier{tier}"] = w_cap[w_tier == tier].sum(axis=0)

    home_levels = grid.home
    caps = layout.districts["monitoring_capacity"].to_numpy(float)
    ts["home_census"] = home_levels.sum(axis=0)
    ts["districts_over_monitoring"] = (home_levels > caps[:, None]).sum(axis=0)
    if lv.fleet is not None and lv.calls is not None:
        ts["vehicles_busy"] = lv.fleet.at(times)[0]
        ts["calls_waiting"] = lv.calls.at(times)[0]

    out_t, out_k, _ = outcomes
    bins = np.concatenate([[-np.inf], times])
    done = out_t <= horizon
    ts["arrivals"] = np.histogram(arrivals[arrivals <= horizon], bins)[0]
    ts["recoveries"] = np.histogram(out_t[done & (out_k == RECOVERED)], bins)[0]
    ts["deaths"] = np.histogram(out_t[done & (out_k != RECOVERED)], bins)[0]
    ts["deaths_waiting"] = np.histogram(out_t[done & (out_k == DIED_WAITING)], bins)[0]
    return pd.DataFrame(ts)


def occupancy_table(layout: Layout, grid: Sampled) -> pd.DataFrame:
    """Occupied beds of every ward at every time of the grid (long format), and its beds then."""
    wards, times, occ = layout.wards, grid.times, grid.beds
    return pd.DataFrame({
        "time": np.tile(times, len(wards)),
        "facility": np.repeat(wards["facility"].to_numpy(), len(times)),
        "kind": np.repeat(wards["kind"].to_numpy(), len(times)),
        "tier": np.repeat(wards["tier"].to_numpy(), len(times)),
        "occupied": occ.ravel(),
        "capacity": grid.capacity.ravel(),
    })


def queues_table(layout: Layout, grid: Sampled) -> pd.DataFrame:
    """Patients waiting for each ward's beds at every time of `times` (long format, the rows of
    `occupancy_table`): `waiting_own` on lists only this ward serves (its own list under the
    `designated` rule), `waiting_shared` on lists it serves with other wards (the tier's city-wide
    list under `nearest_free`: those patients take the first such bed freed anywhere), and
    `shared_by`, how many wards serve that shared list (0 without one); `has_own` says whether
    the ward has a list of its own at all (else `waiting_own` is 0 by construction)."""
    wards, times = layout.wards, grid.times
    n_wards, n_times = len(wards), len(times)
    own = np.zeros((n_wards, n_times), np.int64)
    shared = np.zeros((n_wards, n_times), np.int64)
    shared_by = np.zeros(n_wards, np.int64)
    has_own = np.zeros(n_wards, bool)
    qlev = grid.queues
    for key, served in enumerate(layout.lists["served_by"]):
        if len(served) == 1:
            own[served[0]] += qlev[key]
            has_own[served[0]] = True
        for w in served if len(served) > 1 else ():
            shared[w] += qlev[key]
            shared_by[w] = max(shared_by[w], len(served))
    return pd.DataFrame({
        "time": np.tile(times, n_wards),
        "facility": np.repeat(wards["facility"].to_numpy(), n_times),
        "kind": np.repeat(wards["kind"].to_numpy(), n_times),
        "tier": np.repeat(wards["tier"].to_numpy(), n_times),
        "waiting_own": own.ravel(),
        "waiting_shared": shared.ravel(),
        "shared_by": np.repeat(shared_by, n_times),
        "has_own": np.repeat(has_own, n_times),
    })


def home_table(layout: Layout, grid: Sampled) -> pd.DataFrame:
    """F0 cared for at home in each district at every time of `times` (long format), against the
    district's home-monitoring capacity (inf where the scenario sets none): where home care is
    stretched, a deterioration is noticed late."""
    districts, times, at_home = layout.districts, grid.times, grid.home
    return pd.DataFrame({
        "time": np.tile(times, len(districts)),
        "district": np.repeat(districts["district"].to_numpy(), len(times)),
        "at_home": at_home.ravel(),
        "monitoring_capacity": np.repeat(districts["monitoring_capacity"].to_numpy(float), len(times)),
    })


def _blocked_bed_days(log: Log, n_wards: int, warmup: float, horizon: float) -> np.ndarray:
    """Bed-days in the window of beds held by patients who need another (spells still open count to the horizon)."""
    blocked = np.zeros(n_wards)
    still = [(ward, start, horizon) for ward, start in log.open_blocks.values()]
    for ward, start, end in log.blocked + still:
        s, e = max(start, warmup), min(end, horizon)
        if e > s:
            blocked[ward] += e - s
    return blocked


def _row(level: str, resource: str, kind: str, tier: int, capacity: float, mean: float, max_: float,
         utilisation: float, share_full: float, days_full: float, mean_queue: float, max_queue: float,
         blocked: float, facility: str = "") -> dict[str, object]:
    return {"level": level, "resource": resource, "facility": facility, "kind": kind, "tier": tier,
            "capacity": capacity, "mean_occupied": mean, "max_occupied": max_, "utilisation": utilisation,
            "share_time_full": share_full, "days_full": days_full, "mean_queue": mean_queue,
            "max_queue": max_queue, "blocked_bed_days": blocked}


def _against(series: StepSeries, key: int, steps: tuple[np.ndarray, np.ndarray, int] | None, capacity: float,
             warmup: float, horizon: float) -> tuple[dict[str, float], float]:
    """A resource's statistics, and the capacity its utilisation divides by: the fixed `capacity`,
    or — when it changes during the run — against the capacity of each moment, utilisation then
    being the occupied share of the bed-days (vehicle-days) open."""
    if steps is None:
        return series.stats(key, warmup, horizon, full_at=capacity), capacity
    st = series.stats_against(key, warmup, horizon, steps)
    return st, st["mean_capacity"] if st["mean_capacity"] > 0 else np.nan


def resources_table(log: Log, layout: Layout, lv: Levels, warmup: float, horizon: float) -> pd.DataFrame:
    """One row per ward, per aggregate pool (`pools.POOLS`), and per district's home monitoring."""
    wards, lists = layout.wards, layout.lists
    w_tier, w_kind, w_cap = wards["tier"].to_numpy(), wards["kind"].to_numpy(), layout.largest()
    blocked = _blocked_bed_days(log, len(wards), warmup, horizon)
    own_list = {int(w): i for i, w in enumerate(lists["ward"].to_numpy()) if w >= 0}
    rows = []
    for w in range(len(wards)):
        st, open_beds = _against(lv.beds, w, layout.steps(np.arange(len(wards)) == w), float(w_cap[w]), warmup,
                                 horizon)
        q = lv.queues.stats(own_list[w], warmup, horizon) if w in own_list else {"mean": np.nan, "max": np.nan}
        rows.append(_row("ward", f"{wards.facility[w]} / tier {w_tier[w]}", w_kind[w], int(w_tier[w]),
                         float(w_cap[w]), st["mean"], st["max"], st["mean"] / open_beds, st["share_full"],
                         st["days_full"], q["mean"], q["max"], blocked[w], facility=wards.facility[w]))

    ward_pool = _pool_of(w_tier, w_kind)
    t, k, d = lv.bed_changes
    pool_beds = StepSeries.of((t, ward_pool[k], d), len(BED_POOLS) + 1, horizon)
    l_ward, l_tier = lists["ward"].to_numpy(), lists["tier"].to_numpy()
    l_kind = np.where(l_ward >= 0, w_kind[np.maximum(l_ward, 0)] if len(w_kind) else "", "any")
    list_pool = _pool_of(l_tier, l_kind)
    list_pool[(l_tier == 1) & (l_ward < 0)] = 0  # the city-wide tier-1 list waits for station beds
    for p, bp in enumerate(BED_POOLS):
        if bp.kind is None:
            list_pool[(l_tier == bp.tier)] = p
    t, k, d = lv.queue_changes
    pool_queues = StepSeries.of((t, list_pool[k] if len(k) else k, d), len(BED_POOLS) + 1, horizon)
    for p, bp in enumerate(BED_POOLS):
        steps = layout.steps(ward_pool == p)
        cap = float(w_cap[ward_pool == p].sum() if steps is None else layout.most(steps))
        st, open_beds = _against(pool_beds, p, steps, cap if cap else np.inf, warmup, horizon)
        q = pool_queues.stats(p, warmup, horizon)
        rows.append(_row("pool", bp.name, "", bp.tier, cap, st["mean"], st["max"],
                         st["mean"] / open_beds if cap else np.nan, st["share_full"] if cap else np.nan,
                         st["days_full"] if cap else np.nan, q["mean"], q["max"], blocked[ward_pool == p].sum()))

    if layout.vehicles is not None and lv.fleet is not None and lv.calls is not None:
        steps = layout.steps(None)
        most = float(layout.vehicles if steps is None else layout.most(steps))
        fleet, on_duty = _against(lv.fleet, 0, steps, most, warmup, horizon)
        calls = lv.calls.stats(0, warmup, horizon)
        rows.append(_row("pool", AMBULANCES.name, "fleet", AMBULANCES.tier, most, fleet["mean"],
                         fleet["max"], fleet["mean"] / on_duty, fleet["share_full"], fleet["days_full"],
                         calls["mean"], calls["max"], 0.0))

    caps = layout.districts["monitoring_capacity"].to_numpy(float)
    over = [lv.home.stats(dd, warmup, horizon, full_at=caps[dd] + 1 if np.isfinite(caps[dd]) else np.inf)
            for dd in range(len(caps))]
    mean_home = sum(o["mean"] for o in over)
    total_cap = float(caps.sum())
    rows.append(_row("pool", HOME_MONITORING.name, "home", HOME_MONITORING.tier, total_cap, mean_home, np.nan,
                     mean_home / total_cap if np.isfinite(total_cap) and total_cap else np.nan,
                     float(np.mean([o["share_full"] for o in over])), float(max(o["days_full"] for o in over)),
                     np.nan, np.nan, 0.0))
    for dd, o in enumerate(over):
        rows.append(_row("district", f"{HOME_MONITORING.name} / {layout.districts.district[dd]}", "home",
                         HOME_MONITORING.tier, caps[dd], o["mean"], o["max"],
                         o["mean"] / caps[dd] if np.isfinite(caps[dd]) and caps[dd] else np.nan,
                         o["share_full"], o["days_full"], np.nan, np.nan, 0.0))
    return pd.DataFrame(rows)


def waits_table(log: Log, horizon: float) -> pd.DataFrame:
    """One row per wait for a bed (`records.Wait`); waits under way at the horizon are 'waiting'."""
    rows = log.waits + [Wait(tier, pid, start, horizon - start, "waiting", reason)
                        for pid, (tier, start, reason) in log.open_waits.items()]
    if not rows:
        return pd.DataFrame(columns=list(Wait._fields))
    tier, patient, start, wait, status, reason = zip(*rows, strict=True)  # column by column: much faster
    return pd.DataFrame({"tier": np.array(tier, np.int64), "patient": np.array(patient, np.int64),
                         "start": np.array(start, float), "wait": np.array(wait, float),
                         "status": list(status), "reason": list(reason)})


def outcomes_table(outcomes: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:
    """One row per outcome: patient, time, outcome (`records.OUTCOMES`, a categorical whose codes
    are the outcome codes: a Hanoi run has 250,000 outcomes, and strings cost 0.1 s to make and read)."""
    out_t, out_k, out_p = outcomes
    return pd.DataFrame({"patient": out_p, "time": out_t, "outcome": pd.Categorical.from_codes(out_k, OUTCOMES)})


def placements_table(log: Log) -> pd.DataFrame:
    """One row per new tier-1 F0 who needed a facility bed (`records.Placement`)."""
    return pd.DataFrame({"time": np.array(log.placement_t, float), "placed": np.array(log.placement_placed, bool)},
                        columns=list(Placement._fields))


def transfer_table(log: Log) -> pd.DataFrame:
    """One row per transfer by road (`records.Transfer`), with response and total times (days) and
    what held it back: `held_back_by` is `bed` when the patient waited for a bed before the call,
    `vehicle` when the call waited for a free vehicle, `both`, or `none`."""
    t = pd.DataFrame(log.transfers, columns=list(Transfer._fields))
    t["response"] = t["reached"] - t["called"]
    t["total"] = t["handed_over"] - t["called"]
    bed, vehicle = t["bed_wait"] > 0, t["vehicle_wait"] > 0
    t["held_back_by"] = np.select([bed & vehicle, bed, vehicle], ["both", "bed", "vehicle"], "none")
    return t


def stays_table(log: Log, layout: Layout) -> pd.DataFrame:
    """Every bed and home stay of a run, one row each: pool, ward or district index, patient,
    start and end (days; NaN while still under way). Booked stays carry their planned end, which
    may lie past the horizon. This is the per-stay side of Little's law (see `validation`)."""
    wards = layout.wards
    ward_pool = np.array([bp.name for bp in BED_POOLS] + [""], dtype=object)[
        _pool_of(wards["tier"].to_numpy(), wards["kind"].to_numpy())]
    bed_p, bed_k, bed_s, bed_e, _ = log.bed_bookings.arrays()
    home_p, home_k, home_s, home_e, _ = log.home_bookings.arrays()
    key, patient, start, end = log.stays.arrays()
    home = key < 0
    index = np.where(home, -1 - key, key)
    pool = np.where(home, HOME_MONITORING.name, ward_pool[np.where(home, 0, key)] if len(ward_pool) else "")
    return pd.DataFrame({
        "pool": pd.Categorical(np.concatenate([ward_pool[bed_k], np.full(len(home_k), HOME_MONITORING.name, object),
                                               pool.astype(object)])),
        "index": np.concatenate([bed_k, home_k, index]),
        "patient": np.concatenate([bed_p, home_p, patient]),
        "start": np.concatenate([bed_s, home_s, start]),
        "end": np.concatenate([bed_e, home_e, end]),
    })


def build_tables(log: Log, layout: Layout, arrivals: np.ndarray, horizon: float, warmup: float,
                 step: float, checkpoint: Callable[[], object] | None = None) -> Tables:
    """Every table of a run from its log; statistics cover [warmup, horizon]. `checkpoint` is
    called between the stages (about a third of the time each): it may raise to stop the run."""
    lv = levels(log, layout, horizon)
    if checkpoint is not None:
        checkpoint()
    on_grid = Sampled.of(lv, layout, grid(horizon, step))
    outcomes = outcome_arrays(log)
    peaks = {f"peak_tier{tier}": lv.by_tier.peak(tier - 1, warmup, horizon) for tier in (1, 2, 3)}
    peaks |= {f"peak_tier{tier}_by_facility": lv.by_facility.peak(tier - 1, warmup, horizon) for tier in (1, 2, 3)}
    timeseries = timeseries_table(lv, layout, outcomes, arrivals, on_grid, horizon)
    occupancy = occupancy_table(layout, on_grid)
    if checkpoint is not None:
        checkpoint()
    return Tables(
        timeseries=timeseries,
        occupancy=occupancy,
        resources=resources_table(log, layout, lv, warmup, horizon),
        waits=waits_table(log, horizon),
        outcomes=outcomes_table(outcomes),
        census_end=int(lv.by_tier.at(np.array([horizon])).sum()),
        census_start=int(lv.by_tier.at(np.array([warmup])).sum()),
        peaks=peaks,
        placements=placements_table(log),
        transfers=transfer_table(log),
        queues=queues_table(layout, on_grid),
        home=home_table(layout, on_grid),
    )
