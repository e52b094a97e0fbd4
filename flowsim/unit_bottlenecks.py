"""Where one more unit saves most: single beds at a given facility, single vehicles at a given base.

A city network has hundreds of such units, too many to test each with paired runs. So the
search is in two stages:

1. **Screen** — replicate the baseline once and read, per candidate, what its run already
   records: how long the ward was full while someone waited for it (its own waiting list, or
   its share of the city-wide list by the time it was full), the bed-days its beds were blocked
   by patients waiting to move on, and for a vehicle base the waiting of calls from places that
   base is nearest to. The score is the *patient-days of waiting per day that one more unit
   could have absorbed*: a bed absorbs at most one patient at a time, so a ward's score is
   min(mean queue for it, share of time full).
2. **Confirm** — the shortlist (the best screened units, with the best of every kind among
   them) runs against the baseline on common random numbers (`experiments.compare`), on other
   replications than the screen's (so the runs that chose a unit do not also judge it): deaths
   averted, deaths while waiting averted and every p90 wait reduction come with paired 95%
   intervals, and the ranking is by deaths averted, then by waits.

How the screen can miss a unit: its score counts waiting, not deaths (an ICU bed's waiters die
more often than an oxygen bed's — the shortlist keeps the best of each kind for this reason);
it sees no knock-on effect (a bed that unblocks a lower-tier ward, a vehicle that shortens
trips nobody queued for); and with few replications a rarely full ward can score by chance.
`check_screen=True` confirms every candidate and reports any unit off the shortlist that did
better than the confirmed leader (`UnitRanking.missed`) — what the tests do on a small network.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .config import ConfigError, Scenario
from .experiments import Comparison, compare, variant
from .intervals import CONFIDENCE, t_interval
from .options import ExecutorLike
from .pools import BED_POOLS, ICU_BEDS, OXYGEN_BEDS, STATION_BEDS
from .posterior import Posterior
from .replications import Design, Interrupted, Task, scenario_for
from .simulation import run
from .store import ExperimentStore

UNIT_KINDS = ("station bed", "hospital tier-1 bed", "oxygen bed", "ICU bed", "vehicle")
"""The kinds of single unit a planner can add, in the order tables show them."""
UNIT_OF_KIND = {"station bed": "station_bed", "hospital tier-1 bed": "hospital_tier1_bed", "oxygen bed": "oxygen_bed",
                "ICU bed": "icu_bed", "vehicle": "vehicle"}
"""Each kind of unit and the costed unit it is (`costs.RESOURCE_OF`), whose words are `plan.unit.*`."""
KIND_TIER: dict[str, Literal[1, 2, 3]] = {"station bed": 1, "hospital tier-1 bed": 1, "oxygen bed": 2, "ICU bed": 3}
"""The bed tier of each kind of bed."""
BASELINE = "baseline"
MAX_CONFIRM = 200
SCREEN_SEED_OFFSET = 7_000_001
"""The screen runs on seed + this: the confirmation's replications are not those that chose the shortlist."""


@dataclass(frozen=True)
class Unit:
    """One candidate: one more unit of a kind at one place, as a change of one config field."""

    key: str
    """'oxygen bed @ Bach Mai Hospital' — the label tables and plots use."""
    kind: str
    place: str
    tier: int
    """Bed tier (0: a vehicle)."""
    path: str
    """The config field the change sets (by list index, so any name works)."""
    declared: int
    """The field's value now; `value` is what it becomes (more than +1 when capacity_scale
    rounds, so that the unit count in the run grows by exactly one)."""
    value: int
    capacity: int
    """Units of this kind at this place in the run now (after capacity_scale)."""


def _kind(facility_kind: str, tier: int) -> str:
    return {1: "station bed" if facility_kind == "station" else "hospital tier-1 bed", 2: "oxygen bed",
            3: "ICU bed"}[tier]


def _one_more(declared: int, scale: float, now: int) -> int | None:
    """The smallest declared count whose scaled, rounded value is `now + 1` (None: none is)."""
    if scale <= 0:
        return None
    for value in range(declared + 1, declared + 1 + max(2, math.ceil(2 / scale))):
        if int(round(value * scale)) == now + 1:
            return value
    return None


def candidates(scenario: Scenario, kinds: Sequence[str] | None = None) -> list[Unit]:
    """Every single unit that could be added: a bed of a tier at a facility that already has beds
    of that tier (a first bed of a tier would change where patients are routed, not how many
    fit), and a vehicle at every base."""
    if kinds is not None:
        for k in kinds:
            if k not in UNIT_KINDS:
                raise ConfigError.at("kinds", f"not a kind of unit (choose from {', '.join(UNIT_KINDS)})", k)
    wanted = set(kinds or UNIT_KINDS)
    cs = scenario.capacity_scale
    out: list[Unit] = []
    for i, f in enumerate(scenario.facilities):
        for tier in (1, 2, 3):
            kind = _kind(f.kind, tier)
            now = scenario.beds(f, tier)
            if now <= 0 or kind not in wanted:
                continue
            scale = {1: cs.station_beds if f.kind == "station" else cs.hospital_tier1_beds, 2: cs.oxygen_beds,
                     3: cs.icu_beds}[tier]
            value = _one_more(f.beds.of(tier), scale, now)
            if value is not None:
                out.append(Unit(f"{kind} @ {f.name}", kind, f.name, tier, f"facilities.{i}.beds.tier{tier}",
                                f.beds.of(tier), value, now))
    if scenario.ambulances is not None and "vehicle" in wanted:
        for i, b in enumerate(scenario.ambulances.bases):
            now = scenario.vehicles(b)
            value = _one_more(b.vehicles, cs.ambulances, now)
            if value is not None:
                out.append(Unit(f"vehicle @ {b.name}", "vehicle", b.name, 0, f"ambulances.bases.{i}.vehicles",
                                b.vehicles, value, now))
    return out


def with_unit(scenario: Scenario, unit: Unit) -> Scenario:
    """The scenario with one more of this unit."""
    return variant(scenario, {unit.path: unit.value})


# -- the screen: what the baseline runs already record ----------------------------------------


def _nearest_base(scenario: Scenario) -> np.ndarray:
    """Index of the base nearest to every location (districts, then facilities)."""
    from .routing import distance_km, locations

    assert scenario.ambulances is not None
    locs = locations(scenario)
    centroid = {d.name: (d.lat, d.lon) for d in scenario.districts}
    bases = np.array([(b.lat, b.lon) if b.lat is not None else centroid[b.district]
                      for b in scenario.ambulances.bases], float)
    return np.argmin(distance_km(locs, bases), axis=1)


def screen_run(task: Task) -> dict[str, Any]:
    """One baseline replication, reduced to what the screen needs (runs on a worker)."""
    scenario = scenario_for(task)
    result = run(scenario, seed=task.seed, replication=task.replication)
    res = result.resources
    wards = res[res["level"] == "ward"]
    pools = res[res["level"] == "pool"].set_index("resource")
    window = scenario.horizon_days - scenario.warmup_days
    record: dict[str, Any] = {
        "scenario": 0, "replication": task.replication, "seed": task.seed, "seconds": result.seconds,
        "wards": [[r.facility, int(r.tier), float(r.share_time_full), float(r.mean_queue), float(r.blocked_bed_days)]
                  for r in wards.itertuples()],
        "pool_queue": {p.name: float(pools.loc[p.name, "mean_queue"]) for p in BED_POOLS if p.name in pools.index},
        "window": window,
    }
    if scenario.ambulances is not None:
        t = result.transfers
        t = t[(t["called"] >= scenario.warmup_days) & (t["vehicle_wait"] > 0)]
        nearest = _nearest_base(scenario)
        waits = np.bincount(nearest[t["origin"].to_numpy(int)], weights=t["vehicle_wait"].to_numpy(float),
                            minlength=len(scenario.ambulances.bases))
        record["base_wait_days"] = waits.tolist()
    return record


def screen_scores(scenario: Scenario, units: Sequence[Unit], records: Sequence[dict[str, Any]],
                  confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per unit: the screen score (patient-days of waiting a day one more unit could absorb) with
    its interval across replications, the share of time full and the blocked bed-days."""
    kind_of = {f.name: f.kind for f in scenario.facilities}
    per_unit: dict[str, dict[str, list[float]]] = {u.key: {"score": [], "full": [], "blocked": []} for u in units}
    base_index = {b.name: i for i, b in enumerate(scenario.ambulances.bases)} if scenario.ambulances else {}
    for rec in records:
        wards = pd.DataFrame(rec["wards"], columns=["facility", "tier", "full", "queue", "blocked"])
        wards["kind"] = [_kind(kind_of[f], t) for f, t in zip(wards["facility"], wards["tier"], strict=True)]
        by_ward = wards.set_index(["facility", "tier"])
        for u in units:
            acc = per_unit[u.key]
            if u.kind == "vehicle":
                wait = rec.get("base_wait_days", [0.0] * len(base_index))[base_index[u.place]]
                acc["score"].append(wait / rec["window"])
                acc["full"].append(float("nan"))
                acc["blocked"].append(0.0)
                continue
            row = by_ward.loc[(u.place, u.tier)]
            full = float(row["full"]) if np.isfinite(row["full"]) else 0.0
            queue = float(row["queue"])
            if not np.isfinite(queue):  # a list several wards serve: its share by the time each was full
                pool = {1: STATION_BEDS, 2: OXYGEN_BEDS, 3: ICU_BEDS}[u.tier].name  # where the tables count it
                same = wards[wards["tier"] == u.tier]
                total_full = float(np.nansum(same["full"]))
                pooled = rec["pool_queue"].get(pool, float("nan"))
                queue = pooled * full / total_full if total_full > 0 and np.isfinite(pooled) else 0.0
            acc["score"].append(min(queue, full))
            acc["full"].append(full)
            acc["blocked"].append(float(row["blocked"]))
    rows = []
    for u in units:
        acc = per_unit[u.key]
        score = t_interval(acc["score"], confidence)
        shares = np.asarray(acc["full"], float)
        rows.append({"unit": u.key, "kind": u.kind, "place": u.place, "tier": u.tier, "capacity": u.capacity,
                     "field": u.path, "value": u.value,
                     "screen_score": score.mean, "screen_score_half_width": score.half_width,
                     "share_time_full": float(np.nanmean(shares)) if np.isfinite(shares).any() else float("nan"),
                     "blocked_bed_days": float(np.mean(acc["blocked"])) if acc["blocked"] else float("nan")})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(["screen_score", "share_time_full", "blocked_bed_days"], ascending=False,
                              na_position="last", kind="stable").reset_index(drop=True)
    table.insert(0, "screen_rank", np.arange(1, len(table) + 1))
    return table


def shortlist(screen: pd.DataFrame, size: int) -> list[str]:
    """The `size` best-screened units, always with the best of every kind that scored at all."""
    best_of_kind = [g.iloc[0]["unit"] for _, g in screen.groupby("kind", sort=False) if g.iloc[0]["screen_score"] > 0]
    chosen = list(dict.fromkeys(best_of_kind))
    for unit in screen["unit"]:
        if len(chosen) >= max(size, len(best_of_kind)):
            break
        if unit not in chosen:
            chosen.append(unit)
    order = {u: i for i, u in enumerate(screen["unit"])}
    return sorted(chosen, key=order.__getitem__)


def _screen(scenario: Scenario, replications: int, seed: int, executor: ExecutorLike, workers: int | None,
            scheduler: str | None, store: Path | None, resume: bool, overwrite: bool, progress: bool,
            posterior: Posterior | None) -> tuple[list[dict[str, Any]], int]:
    """The baseline's screening replications, saved as they finish (resumable)."""
    from .executors import make_executor

    design = Design("bottlenecks --by facility screen", (scenario,), (BASELINE,), seed, posterior=posterior)
    opened = (ExperimentStore.open(store, design.store_kind, seed, design.scenarios, design.labels, resume=resume,
                                   overwrite=overwrite, plan={"replications": replications})
              if store is not None else None)
    records = {k: v for k, v in (opened.saved if opened else {}).items() if k[1] < replications}
    todo = [design.task(0, r) for r in range(replications) if (0, r) not in records]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=replications, initial=len(records), unit="run", desc="screen", file=sys.stderr,
                   dynamic_ncols=True)
    ran = 0
    if todo:
        ex = executor if not isinstance(executor, str) else make_executor(executor, workers, scheduler)
        try:
            for rec in ex.map_unordered(screen_run, todo):
                if opened is not None:
                    opened.save(rec)
                records[(0, rec["replication"])] = rec
                ran += 1
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            where = f"{len(records)} screening runs are saved in {store}: rerun with --resume" if store else \
                "nothing was saved (no experiment directory)"
            raise Interrupted(where) from None
        finally:
            if isinstance(executor, str):
                ex.close()
            if bar is not None:
                bar.close()
    if opened is not None:
        opened.finish(replications_used=replications)
    return [records[(0, r)] for r in range(replications)], ran


# -- the whole tool --------------------------------------------------------------------------


@dataclass
class UnitRanking:
    """Single units ranked by what one more of each buys, from paired runs."""

    screen: pd.DataFrame
    """Every candidate with its screen score, in screen order (`screen_rank`)."""
    ranking: pd.DataFrame
    """The confirmed units in rank order: deaths averted, deaths while waiting averted and p90
    wait reductions with paired intervals (lower, upper), beside the screen's figures."""
    comparison: Comparison
    confirmed: list[str]
    checked_all: bool
    missed: list[str]
    """With `check_screen`: units off the shortlist that did better than the confirmed leader."""
    leader_vs_runner_up: dict[str, float]
    """Paired difference of deaths (runner-up − leader) with its interval: > 0 means the leader
    is better with the stated confidence."""
    screen_seconds: float = 0.0
    simulations: int = 0


def _gain_columns(comp: Comparison, units: Sequence[str]) -> pd.DataFrame:
    diffs = comp.differences
    p90 = [f for f in diffs["figure"].drop_duplicates() if str(f).endswith("_p90")]
    rows = []
    for unit in units:
        mine = diffs[diffs["scenario"] == unit].set_index("figure")
        row: dict[str, Any] = {"unit": unit}
        for fig in ["died", "died_waiting", *p90]:
            name = {"died": "deaths_averted", "died_waiting": "deaths_waiting_averted"}.get(fig, f"{fig}_reduction")
            d = mine.loc[fig] if fig in mine.index else None
            # a gain is a fall of the figure: negate the difference (0.0 - x: no "-0")
            row[name] = 0.0 - d["difference"] if d is not None else np.nan
            row[f"{name}_lower"] = 0.0 - d["upper"] if d is not None else np.nan
            row[f"{name}_upper"] = 0.0 - d["lower"] if d is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _order(gains: pd.DataFrame) -> pd.DataFrame:
    waits = [c for c in gains.columns if c.endswith("_p90_reduction")]
    gains = gains.assign(_waits=gains[waits].fillna(0).sum(axis=1) if waits else 0.0)
    return gains.sort_values(["deaths_averted", "deaths_waiting_averted", "_waits"], ascending=False,
                             na_position="last", kind="stable").drop(columns="_waits").reset_index(drop=True)


def unit_bottlenecks(scenario: Scenario, replications: int = 10, seed: int | None = None, *, confirm: int = 8,
                     screen_replications: int | None = None, check_screen: bool = False,
                     kinds: Sequence[str] | None = None, executor: ExecutorLike = "processes",
                     workers: int | None = None, scheduler: str | None = None, store: str | Path | None = None,
                     resume: bool = False, overwrite: bool = False, progress: bool = False,
                     confidence: float = CONFIDENCE, max_memory_gb: float | None = None,
                     posterior: Posterior | None = None) -> UnitRanking:
    """Rank single units (a bed at a facility, a vehicle at a base) by deaths averted and waits.

    Screens every candidate from `screen_replications` baseline runs (default: `replications`),
    then confirms the `confirm` best (and the best of each kind) with `replications` paired runs
    against the baseline; `check_screen` confirms every candidate instead. With `store`, the
    screen and the confirmation are saved in `store`/screen and `store`/confirm (resumable).
    """
    import time

    if not 1 <= confirm <= MAX_CONFIRM:
        raise ConfigError.at("confirm", f"must be from 1 to {MAX_CONFIRM}", confirm)
    screen_reps = replications if screen_replications is None else int(screen_replications)
    if screen_reps < 2:
        raise ConfigError.at("screen_replications", "must be at least 2 (the screen has an interval)", screen_reps)
    if replications < 2:
        raise ConfigError.at("replications", "must be at least 2 for a paired interval", replications)
    units = candidates(scenario, kinds)
    if not units:
        raise ConfigError.at("facilities", "the scenario has no bed or vehicle to add one to")
    seed = scenario.seed if seed is None else int(seed)
    root = Path(store) if store is not None else None
    started = time.perf_counter()
    from .executors import make_executor

    ex = make_executor(executor, workers, scheduler) if isinstance(executor, str) else executor  # one for both stages
    try:
        records, ran = _screen(scenario, screen_reps, seed + SCREEN_SEED_OFFSET, ex, workers, scheduler,
                               root / "screen" if root else None, resume, overwrite, progress, posterior)
        screen = screen_scores(scenario, units, records, confidence)
        screen_seconds = time.perf_counter() - started
        chosen = list(screen["unit"]) if check_screen else shortlist(screen, confirm)
        by_key = {u.key: u for u in units}
        scenarios = {BASELINE: scenario} | {key: with_unit(scenario, by_key[key]) for key in chosen}
        comp = compare(scenarios, replications, seed, executor=ex,  # the executor object says its own workers
                       store=root / "confirm" if root else None, resume=resume, overwrite=overwrite,
                       progress=progress, confidence=confidence, max_memory_gb=max_memory_gb, posterior=posterior)
    finally:
        if isinstance(executor, str):
            ex.close()
    gains = _order(_gain_columns(comp, chosen))
    ranking = screen.drop(columns=["screen_rank"]).merge(gains, on="unit").set_index("unit").loc[gains["unit"]]
    ranking = ranking.reset_index()
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    ranking.insert(1, "screen_rank", screen.set_index("unit").loc[ranking["unit"], "screen_rank"].to_numpy())
    missed: list[str] = []
    if check_screen:
        short = shortlist(screen, confirm)
        best_short = _order(_gain_columns(comp, short)).iloc[0]
        for row in gains.to_dict("records"):
            if row["unit"] in short:
                continue
            if (row["deaths_averted"], row["deaths_waiting_averted"]) > (best_short["deaths_averted"],
                                                                          best_short["deaths_waiting_averted"]):
                missed.append(row["unit"])
    versus = _leader_vs_runner_up(comp, list(ranking["unit"]), confidence)
    return UnitRanking(screen, ranking, comp, chosen, check_screen, missed, versus, screen_seconds,
                       ran + comp.replications.ran)


def _leader_vs_runner_up(comp: Comparison, order: list[str], confidence: float) -> dict[str, float]:
    if len(order) < 2:
        return {}
    table = comp.replications.table.set_index(["scenario", "replication"])["died"]
    lead, second = table.loc[order[0]], table.loc[order[1]]
    diff = (second - lead.reindex(second.index)).dropna()
    iv = t_interval(diff.to_numpy(float), confidence)
    return {"difference": iv.mean, "lower": iv.lower, "upper": iv.upper, "n": iv.n}
