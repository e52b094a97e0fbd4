"""The cheapest plan that meets the service targets within a budget.

A plan is a level for each capacity decision: a `capacity_scale` multiplier of a costed resource
(every oxygen bed of the city × 1.2, say), a multiplier of one kind of bed at a group of
facilities ("icu_beds @ level-3 hospitals" × 1.5: where in the tower to add them), or extra units
at one facility or base ("oxygen bed @ Bach Mai Hospital" + 20). Its cost is the units it adds × their unit cost in the scenario
(`costs:`, `flowsim.costs`) over the horizon; its service is the targets' figures (as in
`flowsim frontier`) averaged over replications 0..R-1 of one seed, so every plan is judged on
the same random numbers and the search sees differences of policy, not of luck.

The search is Optuna's TPE sampler with constraints (Watanabe 2023; `Trial.set_constraint`): it
minimises the cost subject to every target (mean − limit ≤ 0) and the budget (cost − budget ≤ 0).
TPE was chosen because the decisions are ordered discrete levels, each evaluation is expensive
and noisy, the constraints are themselves simulated, and the sampler is seeded and asked one
trial at a time — the same seed and the same evaluations give the same trials, which is what
makes a search resumable from its saved evaluations. The do-nothing plan and the all-at-most
plan are tried first, so the search knows both ends.

The best plans found are then *confirmed* on fresh replications (another seed, paired between
plans): the search's own replications flatter the plan it picked (selection bias). The winner is
the cheapest confirmed plan that meets the targets; it is compared with the runner-up figure by
figure with paired 95% intervals, and the verdict says whether it meets the targets with that
confidence, or whether the two cannot be told apart.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .config import CapacityScale, ConfigError, Scenario
from .costs import RESOURCE_OF, UnitCost
from .decision_words import verdict
from .evaluations import Evaluator
from .experiments import parse_vary, variant
from .frontier import DEFAULT_TARGETS, Target, parse_target
from .intervals import CONFIDENCE, t_interval
from .options import ExecutorLike
from .plan import CapacityChange
from .posterior import Posterior
from .unit_bottlenecks import KIND_TIER, UNIT_KINDS, UNIT_OF_KIND, candidates

MAX_TRIALS = 5000
CONFIRM_SEED_OFFSET = 1_000_003
"""Confirmation runs use seed + this: replications the search never saw."""


@dataclass(frozen=True)
class Decision:
    """One thing the search may change, and the levels it may choose (the first is today's)."""

    name: str
    unit: str
    """The costed unit it buys (a `costs` field name)."""
    kind: Literal["scale", "units", "group", "day"]
    path: str
    """The field it sets: a `capacity_scale` field, one facility's beds of a tier, one base's
    vehicles; for a group, the beds of one tier (`beds.tier2`) at each of `facilities`."""
    levels: tuple[float, ...]
    facilities: tuple[int, ...] = ()
    """A group's facilities (indices into the scenario's list); their beds are multiplied by the level."""
    change: CapacityChange | None = None
    """A dated decision's change (`add` units at a facility's tier or a base); the level is its day
    (`NEVER`: not made). Its levels run from never, then the latest day to the earliest: in order of
    the capacity they give, as every decision's do."""

    def level_text(self, value: float) -> str:
        if self.kind == "day":
            return "never" if value == NEVER else f"{value:g}"
        return f"{value:g}"

    def fields(self) -> tuple[str, ...]:
        """The scenario fields the decision writes (two decisions may not share one)."""
        if self.kind == "group":
            return tuple(f"facilities.{i}.{self.path}" for i in self.facilities)
        return (self.path,)


NEVER = math.inf
"""A dated decision's level when the change is not made."""
_DATED = re.compile(r"^(?P<kind>.+?)\s*@\s*(?P<place>.+?)\s*\+\s*(?P<add>\d+)\s+on\s+day$")

GROUP_FIELDS = {"station_beds": 1, "hospital_tier1_beds": 1, "oxygen_beds": 2, "icu_beds": 3}
"""The capacity_scale fields a group decision may scale at a group of facilities, and their tier."""


def facility_groups(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """The facilities by their level in the three-tier tower: 'level-3 hospitals' (the city's last
    tier: where its ICU beds are meant to be), 'level-2 hospitals', 'level-1 hospitals', and
    'stations' — groups that the reports count, and buy for, apart."""
    out: dict[str, list[int]] = {}
    for i, f in enumerate(scenario.facilities):
        out.setdefault("stations" if f.kind == "station" else f"level-{f.tower_level} hospitals", []).append(i)
    return {name: tuple(members) for name, members in sorted(out.items())}


def parse_decision(scenario: Scenario, text: str) -> Decision:
    """`oxygen_beds=1:1.5:0.1` (a capacity_scale multiplier), `icu_beds @ level-3 hospitals=1:2:0.25`
    (the beds of a group of facilities, `facility_groups`, multiplied) or `oxygen bed @ East
    Ward=0:10:1` (extra units at one facility or base), values as for --vary."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep:
        raise ConfigError.at("decide", "expected NAME=START:STOP:STEP or NAME=V1,V2 (e.g. oxygen_beds=1:1.5:0.1)", text)
    _, values = parse_vary(f"x={spec}")
    try:
        levels = tuple(sorted(float(v) for v in values))
    except (TypeError, ValueError):
        raise ConfigError.at("decide", "the levels must be numbers", text) from None
    dated = _DATED.match(name)
    if dated:
        return _dated(scenario, text, dated, levels)
    field_name, at, group = (part.strip() for part in name.partition("@"))
    groups = facility_groups(scenario)
    multiplier = name in CapacityScale.model_fields or (at and field_name in GROUP_FIELDS)
    if multiplier and any(v < 0 for v in levels):
        raise ConfigError.at("decide", "a multiplier must be 0 or more", text)
    if name in CapacityScale.model_fields:
        unit = next(u for u, r in RESOURCE_OF.items() if r == name)
        return Decision(name, unit, "scale", f"capacity_scale.{name}", levels)
    if at and field_name in GROUP_FIELDS:
        if group not in groups:
            raise ConfigError.at("decide", f"no facility group '{group}' (groups: {', '.join(groups)})", text)
        tier = GROUP_FIELDS[field_name]
        members = tuple(i for i in groups[group]
                        if scenario.facilities[i].beds.of(tier) > 0
                        and (tier > 1 or (scenario.facilities[i].kind == "station") == (field_name == "station_beds")))
        if not members:
            raise ConfigError.at("decide", f"no facility of '{group}' has {field_name.replace('_', ' ')}", text)
        unit = next(u for u, r in RESOURCE_OF.items() if r == field_name)
        return Decision(f"{field_name} @ {group}", unit, "group", f"beds.tier{tier}", levels, members)
    units = {u.key: u for u in candidates(scenario)}
    if name in units:
        if any(v < 0 or v != int(v) for v in levels):
            raise ConfigError.at("decide", "extra units must be whole numbers ≥ 0", text)
        u = units[name]
        return Decision(name, UNIT_OF_KIND[u.kind], "units", u.path, levels)
    raise ConfigError.at("decide", f"not a capacity_scale field ({', '.join(CapacityScale.model_fields)}), a bed "
                         f"field at a group of facilities (e.g. 'icu_beds @ level-3 hospitals'; groups: "
                         f"{', '.join(groups)}), nor a unit at a facility or base (e.g. 'oxygen bed @ <facility>', "
                         "'vehicle @ <base>')", name)


def _dated(scenario: Scenario, text: str, m: re.Match[str], days: tuple[float, ...]) -> Decision:
    """`oxygen bed @ Bach Mai Hospital +100 on day=0:60:15`: when (if at all) to add the units."""
    kind, place, add = m.group("kind"), m.group("place"), int(m.group("add"))
    if kind not in UNIT_KINDS:
        raise ConfigError.at("decide", f"'{kind}' is not a kind of unit ({', '.join(UNIT_KINDS)})", text)
    if add <= 0:
        raise ConfigError.at("decide", "add at least 1 unit", text)
    if any(not 0 <= d < scenario.horizon_days for d in days):
        raise ConfigError.at("decide", f"the days must be within the run (0 to {scenario.horizon_days:g})", text)
    if kind == "vehicle":
        bases = [b.name for b in scenario.ambulances.bases] if scenario.ambulances else []
        if place not in bases:
            raise ConfigError.at("decide", f"no ambulance base named '{place}'", text)
        change = CapacityChange(day=0, base=place, add=add)
    else:
        facility = next((f for f in scenario.facilities if f.name == place), None)
        if facility is None:
            raise ConfigError.at("decide", f"no facility named '{place}'", text)
        tier = KIND_TIER[kind]
        if tier == 1 and (facility.kind == "station") != (kind == "station bed"):
            raise ConfigError.at("decide", f"'{place}' is a {facility.kind}: its tier-1 beds are "
                                 f"{'station beds' if facility.kind == 'station' else 'hospital tier-1 beds'}", text)
        change = CapacityChange(day=0, facility=place, tier=tier, add=add)
    return Decision(m.group(0), UNIT_OF_KIND[kind], "day", f"capacity_changes:{place}:{kind}",
                    (NEVER, *sorted(set(days), reverse=True)), change=change)


def default_decisions(scenario: Scenario, most: float = 2.0, step: float = 0.1) -> list[Decision]:
    """Every costed resource's multiplier, from today's to `most` × today's in steps of `step` × today's."""
    out = []
    for unit in scenario.costs.priced():
        name = RESOURCE_OF[unit]
        now = getattr(scenario.capacity_scale, name)
        if now <= 0:
            continue
        count = int(round((most - 1) / step)) + 1
        out.append(Decision(name, unit, "scale", f"capacity_scale.{name}",
                            tuple(round(now * (1 + i * step), 10) for i in range(count))))
    return out


def capacity(scenario: Scenario, unit: str) -> float:
    """Units of a costed kind in the run (after capacity_scale)."""
    s = scenario
    if unit == "vehicle":
        return float(sum(s.vehicles(b) for b in s.ambulances.bases)) if s.ambulances else 0.0
    if unit == "home_monitoring_slot":
        caps = [s.monitoring_capacity(d) for d in s.districts]
        return float(sum(round(c) for c in caps if np.isfinite(c)))
    tier = {"station_bed": 1, "hospital_tier1_bed": 1, "oxygen_bed": 2, "icu_bed": 3}[unit]
    kind = {"station_bed": "station", "hospital_tier1_bed": "hospital"}.get(unit)
    return float(sum(s.beds(f, tier) for f in s.facilities if kind is None or f.kind == kind))


@dataclass
class Plan:
    """A level per decision, the scenario it gives, what it adds and what that costs."""

    levels: dict[str, float]
    scenario: Scenario
    added: dict[str, float]
    cost: float
    label: str = ""
    """The plan as `name=level; ...` (its row in the plans table)."""


def make_plan(scenario: Scenario, decisions: Sequence[Decision], levels: Mapping[str, float]) -> Plan:
    changes: dict[str, Any] = {}
    for d in decisions:
        value = levels[d.name]
        if d.kind == "scale":
            changes[d.path] = value
        elif d.kind == "group":  # each facility's declared beds × the level (capacity_scale still applies)
            tier = int(d.path[-1])
            for i, path in zip(d.facilities, d.fields(), strict=True):
                changes[path] = int(round(scenario.facilities[i].beds.of(tier) * value))
        elif d.kind == "units":
            declared = _declared(scenario, d.path)
            changes[d.path] = declared + int(value)
    dated = [d.change.model_copy(update={"day": levels[d.name]}) for d in decisions
             if d.kind == "day" and d.change is not None and levels[d.name] != NEVER]
    if dated:
        changes["capacity_changes"] = [c.model_dump(exclude_none=True)
                                       for c in (*scenario.capacity_changes, *dated)]
    planned = variant(scenario, changes) if changes else scenario
    priced = scenario.costs.priced()
    units = sorted({d.unit for d in decisions})
    added = {u: capacity(planned, u) - capacity(scenario, u) for u in units}
    cost = float(sum(added[u] * priced[u].over(scenario.horizon_days) for u in units))
    for d, c in zip([d for d in decisions if d.kind == "day" and levels[d.name] != NEVER], dated, strict=True):
        added[d.unit] += c.add  # bought on its day: the running cost from then on
        cost += c.add * priced[d.unit].over(scenario.horizon_days - c.day)
    return Plan(dict(levels), planned, added, cost, _label(levels, decisions))


def _declared(scenario: Scenario, path: str) -> int:
    parts = path.split(".")
    if parts[0] == "facilities":
        return scenario.facilities[int(parts[1])].beds.of(int(parts[3][-1]))
    assert scenario.ambulances is not None
    return scenario.ambulances.bases[int(parts[2])].vehicles


@dataclass
class Optimisation:
    """What the search tried, the Pareto set, the confirmation and the chosen plan."""

    decisions: list[Decision]
    targets: list[Target]
    budget: float
    currency: str
    plans: pd.DataFrame
    """Every trial: its levels, units added, cost, each target's mean and half-width, deaths
    while waiting, feasible (every target's mean within its limit and the cost within budget)."""
    pareto: pd.DataFrame
    """The plans within budget no other plan beats on both cost and deaths while waiting."""
    confirmation: pd.DataFrame
    """The best plans on fresh replications: cost, each target's mean and interval, whether it
    meets the targets (on average; with 95% confidence), and its paired difference from the winner."""
    chosen: Plan | None
    verdict: str
    replications: int
    simulations: int = 0
    reused: int = 0
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)


def _pareto(plans: pd.DataFrame, budget: float) -> pd.DataFrame:
    inside = plans[plans["cost"] <= budget].drop_duplicates("plan").sort_values(["cost", "died_waiting"])
    best = math.inf
    keep = []
    for i, row in inside.iterrows():
        if row["died_waiting"] < best:
            keep.append(i)
            best = row["died_waiting"]
    return inside.loc[keep].reset_index(drop=True)


def _label(levels: Mapping[str, float], decisions: Sequence[Decision]) -> str:
    return "; ".join(f"{d.name}={d.level_text(levels[d.name])}" for d in decisions)


def optimise(scenario: Scenario, targets: Sequence[Target | str] = DEFAULT_TARGETS, budget: float = math.inf,
             decisions: Sequence[Decision] | None = None, trials: int = 40, replications: int = 10,
             seed: int | None = None, *, confirm: int = 3, confirm_replications: int | None = None,
             executor: ExecutorLike = "processes", workers: int | None = None, scheduler: str | None = None,
             store: str | Path | None = None, resume: bool = False, overwrite: bool = False,
             progress: bool = False, confidence: float = CONFIDENCE, posterior: Posterior | None = None,
             report: Callable[[str, int, int], None] | None = None) -> Optimisation:
    """Search `trials` plans for the cheapest meeting every target within `budget`, then confirm
    the `confirm` best on fresh paired replications (see the module doc)."""
    started = time.perf_counter()
    parsed = [t if isinstance(t, Target) else parse_target(t) for t in targets]
    if not parsed:
        raise ConfigError.at("target", "give at least one target, e.g. 'P(icu_wait>2h)<=5%'")
    if not budget > 0 or (isinstance(budget, float) and math.isnan(budget)):
        raise ConfigError.at("budget", "must be a positive amount", budget)
    if not 1 <= trials <= MAX_TRIALS:
        raise ConfigError.at("trials", f"must be from 1 to {MAX_TRIALS}", trials)
    if replications < 2:
        raise ConfigError.at("replications", "must be at least 2", replications)
    if not 1 <= confirm <= 20:
        raise ConfigError.at("confirm", "must be from 1 to 20", confirm)
    decisions = list(decisions) if decisions is not None else default_decisions(scenario)
    priced = scenario.costs.priced()
    if not decisions:
        raise ConfigError("costs: the scenario prices no resource; add e.g. costs: {oxygen_bed: {one_off: 50, "
                          "per_day: 1}} (see docs/decisions.md)")
    for d in decisions:
        if d.unit not in priced:
            raise ConfigError(f"costs.{d.unit}: `decide` {d.name} buys {d.unit.replace('_', ' ')}s, which have no cost "
                              "in the scenario")
    if len({d.name for d in decisions}) != len(decisions):
        raise ConfigError.at("decide", "a decision is given twice")
    written: dict[str, str] = {}
    for d in decisions:
        for path in d.fields():
            if path in written:
                raise ConfigError.at("decide", f"'{written[path]}' and '{d.name}' both set {path}; keep one", d.name)
            written[path] = d.name
    import optuna

    seed = scenario.seed if seed is None else int(seed)
    ev = Evaluator(replications, seed, executor=executor, workers=workers, scheduler=scheduler, store=store,
                   resume=resume, overwrite=overwrite, progress=progress, posterior=posterior, desc="optimise",
                   report=(lambda done, total: report("search", done, total)) if report else None)
    shares = [t.share for t in parsed if t.share is not None]
    names = [t.figure for t in parsed] + ["died_waiting"]
    rows: list[dict[str, Any]] = []
    plans: dict[str, Plan] = {}
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, trials // 4)),
                                                 multivariate=True)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        study.enqueue_trial({d.name: 0 for d in decisions})
        if trials > 1:
            study.enqueue_trial({d.name: len(d.levels) - 1 for d in decisions})
        for number in range(trials):
            trial = study.ask()
            levels = {d.name: d.levels[trial.suggest_int(d.name, 0, len(d.levels) - 1)] for d in decisions}
            plan = make_plan(scenario, decisions, levels)
            values = ev.figures(plan.scenario, names, shares, kind="optimise")
            row: dict[str, Any] = {"trial": number, "plan": _label(levels, decisions), **levels,
                                   **{f"added_{u}": a for u, a in plan.added.items()}, "cost": plan.cost}
            violations = []
            for t in parsed:
                x = values[t.figure]
                x = np.where(np.isnan(x), 0.0, x) if t.share is not None else x
                iv = t_interval(x, confidence)
                row[t.figure] = iv.mean
                row[f"{t.figure}_half_width"] = iv.half_width
                violations.append(iv.mean - t.limit)
            row["died_waiting"] = float(np.nanmean(values["died_waiting"]))
            row["feasible"] = bool(all(v <= 0 for v in violations) and plan.cost <= budget)
            for t, v in zip(parsed, violations, strict=True):
                trial.set_constraint(t.figure, v)
            trial.set_constraint("budget", plan.cost - budget if math.isfinite(budget) else -1.0)
            study.tell(trial, plan.cost)
            rows.append(row)
            plans.setdefault(row["plan"], plan)
            if report is not None:
                report("trials", number + 1, trials)
        ev.finish()
    finally:
        ev.close()
    table = pd.DataFrame(rows)
    pareto = _pareto(table, budget)
    feasible = table[table["feasible"]].drop_duplicates("plan").sort_values(["cost", "died_waiting"], kind="stable")
    best = list(feasible["plan"].iloc[:confirm])
    confirmation, chosen, verdict, ran, reused = _confirm(
        scenario, best, plans, parsed, budget, seed + CONFIRM_SEED_OFFSET, confidence,
        confirm_replications or replications, executor, workers, scheduler, store, resume, progress, posterior,
        (lambda done, total: report("confirm", done, total)) if report else None)
    return Optimisation(decisions, parsed, budget, scenario.costs.currency, table, pareto, confirmation, chosen,
                        verdict, replications, ev.ran + ran, ev.reused + reused, time.perf_counter() - started)


def _confirm(scenario: Scenario, best: list[str], plans: dict[str, Plan], targets: list[Target], budget: float,
             seed: int, confidence: float, replications: int, executor: ExecutorLike, workers: int | None,
             scheduler: str | None, store: str | Path | None, resume: bool, progress: bool,
             posterior: Posterior | None, report: Callable[[int, int], None] | None = None
             ) -> tuple[pd.DataFrame, Plan | None, str, int, int]:
    """The best plans on fresh replications (another seed), paired; the winner and the verdict."""
    if not best:
        return pd.DataFrame(), None, verdict(pd.DataFrame(), None, 0, confidence), 0, 0
    shares = [t.share for t in targets if t.share is not None]
    names = [t.figure for t in targets] + ["died_waiting"]
    ev = Evaluator(replications, seed, executor=executor, workers=workers, scheduler=scheduler,
                   store=Path(store) / "confirm" if store is not None else None, resume=resume, overwrite=True,
                   progress=progress, posterior=posterior, desc="confirm", report=report)
    try:
        figures: dict[str, dict[str, np.ndarray]] = {}
        for label in best:
            values = ev.figures(plans[label].scenario, names, shares, kind="optimise confirmation")
            figures[label] = {n: (np.where(np.isnan(values[n]), 0.0, values[n])
                                  if any(t.figure == n and t.share is not None for t in targets) else values[n])
                              for n in names}
        ev.finish()
    finally:
        ev.close()
    rows = []
    winner_label = None
    for label in best:
        plan = plans[label]
        row: dict[str, Any] = {"plan": label, "cost": plan.cost}
        meets, sure = True, True
        for t in targets:
            iv = t_interval(figures[label][t.figure], confidence)
            row[t.figure] = iv.mean
            row[f"{t.figure}_lower"], row[f"{t.figure}_upper"] = iv.lower, iv.upper
            meets &= iv.mean <= t.limit
            sure &= (iv.upper if np.isfinite(iv.upper) else iv.mean) <= t.limit
        died = t_interval(figures[label]["died_waiting"], confidence)
        row.update(died_waiting=died.mean, died_waiting_lower=died.lower, died_waiting_upper=died.upper,
                   meets_targets=bool(meets and plan.cost <= budget), meets_with_confidence=bool(sure))
        rows.append(row)
        if winner_label is None and row["meets_targets"]:
            winner_label = label
    if winner_label is None:
        return pd.DataFrame(rows), None, verdict(pd.DataFrame(rows), None, len(best), confidence), ev.ran, ev.reused
    for row in rows:  # paired difference from the winner (plan − winner), replication by replication
        for name in names:
            iv = t_interval(figures[row["plan"]][name] - figures[winner_label][name], confidence)
            row[f"{name}_vs_winner"] = iv.mean
            row[f"{name}_vs_winner_lower"], row[f"{name}_vs_winner_upper"] = iv.lower, iv.upper
    conf = pd.DataFrame(rows)
    said = verdict(conf, winner_label, len(best), confidence)
    return conf, plans[winner_label], said, ev.ran, ev.reused


def cost_table(scenario: Scenario) -> pd.DataFrame:
    """The scenario's unit costs, one row per costed unit."""
    rows = [{"unit": u, "one_off": c.one_off, "per_day": c.per_day,
             "over_horizon": c.over(scenario.horizon_days)} for u, c in scenario.costs.priced().items()]
    return pd.DataFrame(rows, columns=["unit", "one_off", "per_day", "over_horizon"])


__all__ = ["Decision", "Optimisation", "Plan", "UnitCost", "capacity", "cost_table", "default_decisions",
           "make_plan", "optimise", "parse_decision"]
