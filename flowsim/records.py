"""What a run writes down, and the tidy tables made from it after the run.

During the run every change of a counted level (census by tier and place, beds per ward,
waiting lists, home census per district) is appended to a `Log` as (time, key, ±1); changes
known in advance (a lazy discharge) are written ahead with their future time. After the run the
logs become exact step functions (`StepSeries`), from which time series, time-weighted
utilisation, share of time full and queue statistics are read. Nothing is sampled, so a short
spike is never missed and the statistics cost nothing while the simulation runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RECOVERED, DIED, DIED_WAITING = 0, 1, 2
OUTCOMES = ("recovered", "died", "died_waiting")
N_PLACES = 4


def census_key(tier: int, place: int) -> int:
    return (tier - 1) * N_PLACES + place


class Log:
    """Append-only change logs of one run."""

    def __init__(self) -> None:
        self.census_t: list[float] = []
        self.census_k: list[int] = []
        self.census_d: list[int] = []
        self.bed_t: list[float] = []
        self.bed_k: list[int] = []
        self.bed_d: list[int] = []
        self.queue_t: list[float] = []
        self.queue_k: list[int] = []
        self.queue_d: list[int] = []
        self.home_t: list[float] = []
        self.home_k: list[int] = []
        self.home_d: list[int] = []
        self.outcome_t: list[float] = []
        self.outcome_kind: list[int] = []
        self.outcome_patient: list[int] = []
        self.blocked: list[tuple[int, float, float]] = []
        self.waits: list[tuple[int, int, float, float, str, str]] = []
        self.open_waits: dict[int, tuple[int, float, str]] = {}

    def census(self, t: float, tier: int, place: int, delta: int) -> None:
        self.census_t.append(t)
        self.census_k.append((tier - 1) * N_PLACES + place)
        self.census_d.append(delta)

    def move(self, t: float, tier: int, place: int, new_tier: int, new_place: int) -> None:
        """A patient changes need or place: one level down, another up."""
        self.census(t, tier, place, -1)
        self.census(t, new_tier, new_place, 1)

    def bed(self, t: float, ward: int, delta: int) -> None:
        self.bed_t.append(t)
        self.bed_k.append(ward)
        self.bed_d.append(delta)

    def queue(self, t: float, list_index: int, delta: int) -> None:
        self.queue_t.append(t)
        self.queue_k.append(list_index)
        self.queue_d.append(delta)

    def home(self, t: float, district: int, delta: int) -> None:
        self.home_t.append(t)
        self.home_k.append(district)
        self.home_d.append(delta)

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
    """Exact levels over time of keyed counters, from unordered (time, key, delta) changes."""

    def __init__(self, t: np.ndarray, key: np.ndarray, delta: np.ndarray, n_keys: int, horizon: float) -> None:
        keep = t <= horizon
        t, key, delta = t[keep], key[keep], delta[keep]
        order = np.lexsort((t, key))
        t, key, delta = t[order], key[order], delta[order]
        level = np.cumsum(delta)
        self.horizon = horizon
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

    def at(self, times: np.ndarray) -> np.ndarray:
        """Levels at `times` (after every change at that time): shape (n_keys, len(times))."""
        out = np.zeros((self.n_keys, len(times)), dtype=np.int64)
        for k, (tk, lk) in enumerate(self._series):
            if len(tk):
                idx = np.searchsorted(tk, times, side="right") - 1
                out[k] = np.where(idx >= 0, lk[np.maximum(idx, 0)], 0)
        return out

    def stats(self, key: int, start: float, end: float, full_at: float | None = None) -> dict[str, float]:
        """Time-weighted mean, maximum, and share of [start, end] at or above `full_at`."""
        tk, lk = self._series[key]
        inside = (tk > start) & (tk < end)
        points = np.concatenate([[start], tk[inside]])
        idx = np.searchsorted(tk, points, side="right") - 1
        levels = np.where(idx >= 0, lk[np.maximum(idx, 0)] if len(lk) else 0, 0)
        durations = np.diff(np.concatenate([points, [end]]))
        span = end - start
        out = {
            "mean": float(np.dot(levels, durations) / span) if span > 0 else float(levels[-1]),
            "max": float(levels.max()) if len(levels) else 0.0,
        }
        if full_at is not None:
            out["share_full"] = float(durations[levels >= full_at].sum() / span) if span > 0 else 0.0
            out["days_full"] = float(durations[levels >= full_at].sum())
        return out


def _arr(values: list, dtype: type) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


@dataclass
class Layout:
    """The run's resources, as data: what the keys of the logs mean."""

    wards: pd.DataFrame  # index = ward key; facility, kind, tier, capacity
    lists: pd.DataFrame  # index = list key; name, tier, ward (or -1 for a city-wide list)
    districts: pd.DataFrame  # index = district key; district, monitoring_capacity
    home_starts: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    home_ends: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    home_district: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int32))
    home_patients: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))


POOLS = (
    ("station beds", 1, "station"),
    ("hospital tier-1 beds", 1, "hospital"),
    ("oxygen beds", 2, None),
    ("ICU beds", 3, None),
)


def census_series(log: Log, layout: Layout, horizon: float) -> StepSeries:
    planned = len(layout.home_starts)
    key_home = census_key(1, 0)
    t = np.concatenate([_arr(log.census_t, float), layout.home_starts, layout.home_ends])
    k = np.concatenate([_arr(log.census_k, np.int64), np.full(2 * planned, key_home)])
    d = np.concatenate([_arr(log.census_d, np.int64), np.ones(planned, np.int64), -np.ones(planned, np.int64)])
    return StepSeries(t, k, d, 3 * N_PLACES, horizon)


def home_series(log: Log, layout: Layout, horizon: float) -> StepSeries:
    planned = len(layout.home_starts)
    t = np.concatenate([_arr(log.home_t, float), layout.home_starts, layout.home_ends])
    k = np.concatenate([_arr(log.home_k, np.int64), layout.home_district, layout.home_district])
    d = np.concatenate([_arr(log.home_d, np.int64), np.ones(planned, np.int64), -np.ones(planned, np.int64)])
    return StepSeries(t, k.astype(np.int64), d, len(layout.districts), horizon)


def _grouped(series_t: list, series_k: list, series_d: list, groups: np.ndarray, n: int, horizon: float) -> StepSeries:
    k = _arr(series_k, np.int64)
    return StepSeries(_arr(series_t, float), groups[k] if len(k) else k, _arr(series_d, np.int64), n, horizon)


def _pool_of_ward(wards: pd.DataFrame) -> np.ndarray:
    pool = np.full(len(wards), -1, np.int64)
    for p, (_, tier, kind) in enumerate(POOLS):
        match = wards["tier"].to_numpy() == tier
        if kind is not None:
            match &= wards["kind"].to_numpy() == kind
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
    peaks: dict[str, float]
    full_days: dict[str, float]


def build_tables(log: Log, layout: Layout, arrivals: np.ndarray, horizon: float, warmup: float,
                 step: float) -> Tables:
    """Turn a run's logs into its tidy tables (statistics over [warmup, horizon])."""
    grid = np.arange(0.0, horizon + step / 2, step)
    grid[-1] = min(grid[-1], horizon)
    if grid[-1] < horizon:
        grid = np.append(grid, horizon)

    census = census_series(log, layout, horizon)
    levels = census.at(grid)
    ts: dict[str, np.ndarray] = {"time": grid}
    from .facilities import PLACES

    for tier in (1, 2, 3):
        ts[f"census_tier{tier}"] = levels[(tier - 1) * N_PLACES:tier * N_PLACES].sum(axis=0)
    for tier in (1, 2, 3):
        for p, place in enumerate(PLACES):
            ts[f"tier{tier}_{place}"] = levels[census_key(tier, p)]

    wards = layout.wards
    bed = StepSeries(_arr(log.bed_t, float), _arr(log.bed_k, np.int64), _arr(log.bed_d, np.int64), len(wards), horizon)
    occ = bed.at(grid)
    lists = layout.lists
    queue = StepSeries(_arr(log.queue_t, float), _arr(log.queue_k, np.int64), _arr(log.queue_d, np.int64), len(lists), horizon)
    qlev = queue.at(grid)
    for tier in (1, 2, 3):
        in_tier = lists["tier"].to_numpy() == tier
        ts[f"queue_tier{tier}"] = qlev[in_tier].sum(axis=0) if in_tier.any() else np.zeros(len(grid), np.int64)
    for tier in (1, 2, 3):
        in_tier = wards["tier"].to_numpy() == tier
        ts[f"occupied_tier{tier}"] = occ[in_tier].sum(axis=0) if in_tier.any() else np.zeros(len(grid), np.int64)
        ts[f"capacity_tier{tier}"] = np.full(len(grid), int(wards.loc[in_tier, "capacity"].sum()))
    home = home_series(log, layout, horizon)
    home_levels = home.at(grid)
    ts["home_census"] = home_levels.sum(axis=0)
    caps = layout.districts["monitoring_capacity"].to_numpy(float)
    ts["districts_over_monitoring"] = (home_levels > caps[:, None]).sum(axis=0)

    out_t = _arr(log.outcome_t, float)
    out_k = _arr(log.outcome_kind, np.int64)
    bins = np.concatenate([[-np.inf], grid])
    ts["arrivals"] = np.histogram(arrivals[arrivals <= horizon], bins)[0]
    ts["recoveries"] = np.histogram(out_t[(out_k == RECOVERED) & (out_t <= horizon)], bins)[0]
    ts["deaths"] = np.histogram(out_t[(out_k != RECOVERED) & (out_t <= horizon)], bins)[0]
    ts["deaths_waiting"] = np.histogram(out_t[(out_k == DIED_WAITING) & (out_t <= horizon)], bins)[0]
    timeseries = pd.DataFrame(ts)

    occupancy = pd.DataFrame({
        "time": np.tile(grid, len(wards)),
        "facility": np.repeat(wards["facility"].to_numpy(), len(grid)),
        "kind": np.repeat(wards["kind"].to_numpy(), len(grid)),
        "tier": np.repeat(wards["tier"].to_numpy(), len(grid)),
        "occupied": occ.ravel(),
        "capacity": np.repeat(wards["capacity"].to_numpy(), len(grid)),
    })

    blocked = np.zeros(len(wards))
    for ward, start, end in log.blocked:
        s, e = max(start, warmup), min(end, horizon)
        if e > s:
            blocked[ward] += e - s
    own_list = {int(r.ward): i for i, r in lists.iterrows() if r.ward >= 0}
    rows = []
    for w, r in wards.iterrows():
        st = bed.stats(int(w), warmup, horizon, full_at=r.capacity)
        q = queue.stats(own_list[w], warmup, horizon) if w in own_list else {"mean": np.nan, "max": np.nan}
        rows.append({
            "level": "ward", "resource": f"{r.facility} / tier {r.tier}", "facility": r.facility, "kind": r.kind,
            "tier": r.tier, "capacity": r.capacity, "mean_occupied": st["mean"], "max_occupied": st["max"],
            "utilisation": st["mean"] / r.capacity if r.capacity else np.nan,
            "share_time_full": st["share_full"] if r.capacity else np.nan, "days_full": st["days_full"] if r.capacity else np.nan,
            "mean_queue": q["mean"], "max_queue": q["max"], "blocked_bed_days": blocked[w],
        })
    pool_of = _pool_of_ward(wards)
    pools = _grouped(log.bed_t, log.bed_k, log.bed_d, pool_of, len(POOLS), horizon)
    list_pool = np.array([
        next((p for p, (_, tier, kind) in enumerate(POOLS) if tier == r.tier and (kind is None or kind == (wards.loc[r.ward, "kind"] if r.ward >= 0 else "station"))), 0)
        for _, r in lists.iterrows()
    ], dtype=np.int64) if len(lists) else np.empty(0, np.int64)
    pool_queues = _grouped(log.queue_t, log.queue_k, log.queue_d, list_pool, len(POOLS), horizon)
    full_days: dict[str, float] = {}
    for p, (name, tier, _) in enumerate(POOLS):
        mask = pool_of == p
        cap = int(wards.loc[mask, "capacity"].sum())
        st = pools.stats(p, warmup, horizon, full_at=cap) if cap else {"mean": 0.0, "max": 0.0, "share_full": np.nan, "days_full": np.nan}
        q = pool_queues.stats(p, warmup, horizon)
        full_days[name] = st["days_full"]
        rows.append({
            "level": "pool", "resource": name, "facility": "", "kind": "", "tier": tier, "capacity": cap,
            "mean_occupied": st["mean"], "max_occupied": st["max"], "utilisation": st["mean"] / cap if cap else np.nan,
            "share_time_full": st["share_full"], "days_full": st["days_full"], "mean_queue": q["mean"], "max_queue": q["max"],
            "blocked_bed_days": blocked[mask].sum(),
        })
    home_total = StepSeries(*_concat_home(log, layout), 1, horizon)
    total_cap = float(caps.sum())
    st = home_total.stats(0, warmup, horizon, full_at=total_cap if np.isfinite(total_cap) else np.inf)
    over = sum(home.stats(d, warmup, horizon, full_at=caps[d] + 1 if np.isfinite(caps[d]) else np.inf)["days_full"]
               for d in range(len(caps)))
    rows.append({
        "level": "pool", "resource": "home monitoring", "facility": "", "kind": "home", "tier": 1,
        "capacity": total_cap, "mean_occupied": st["mean"], "max_occupied": st["max"],
        "utilisation": st["mean"] / total_cap if np.isfinite(total_cap) and total_cap else np.nan,
        "share_time_full": over / (len(caps) * (horizon - warmup)), "days_full": st["days_full"],
        "mean_queue": np.nan, "max_queue": np.nan, "blocked_bed_days": 0.0,
    })
    full_days["home monitoring"] = st["days_full"]
    resources = pd.DataFrame(rows)

    still = [(tier, pid, start, horizon - start, "waiting", reason)
             for pid, (tier, start, reason) in log.open_waits.items()]
    waits = pd.DataFrame(log.waits + still, columns=["tier", "patient", "start", "wait", "status", "reason"])
    outcomes = pd.DataFrame({"patient": _arr(log.outcome_patient, np.int64), "time": out_t,
                             "outcome": np.array(OUTCOMES, dtype=object)[out_k] if len(out_k) else np.empty(0, object)})
    end_levels = census.at(np.array([horizon]))[:, 0]
    peaks = {}
    for tier in (1, 2, 3):
        keys = range((tier - 1) * N_PLACES, tier * N_PLACES)
        tier_series = StepSeries(*_census_arrays(log, layout, keys), 1, horizon)
        peaks[f"peak_tier{tier}"] = tier_series.stats(0, warmup, horizon)["max"]
    return Tables(timeseries, occupancy, resources, waits, outcomes, int(end_levels.sum()), peaks, full_days)


def _concat_home(log: Log, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    planned = len(layout.home_starts)
    t = np.concatenate([_arr(log.home_t, float), layout.home_starts, layout.home_ends])
    d = np.concatenate([_arr(log.home_d, np.int64), np.ones(planned, np.int64), -np.ones(planned, np.int64)])
    return t, np.zeros(len(t), np.int64), d


def _census_arrays(log: Log, layout: Layout, keys: range) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = _arr(log.census_k, np.int64)
    sel = np.isin(k, list(keys))
    t = _arr(log.census_t, float)[sel]
    d = _arr(log.census_d, np.int64)[sel]
    if census_key(1, 0) in keys:
        planned = len(layout.home_starts)
        t = np.concatenate([t, layout.home_starts, layout.home_ends])
        d = np.concatenate([d, np.ones(planned, np.int64), -np.ones(planned, np.int64)])
    return t, np.zeros(len(t), np.int64), d
