"""The planner's questions as experiments: sweeps, paired policy comparisons, bottlenecks.

Each is a set of scenarios run for the same replications on common random numbers
(replications.py), so every difference between scenarios is measured run by run and comes
with its paired 95% interval.

- `sweep`: a full factorial grid of field values (`{path: [v1, v2]}`), every point replicated.
- `compare`: each scenario's difference from the first (the baseline), figure by figure.
- `bottlenecks`: what +10% of each resource (every `capacity_scale` multiplier) buys in deaths
  and in p90 waits, beside how much of the time each resource was full.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import pandas as pd
import yaml

from .config import CapacityScale, ConfigError, Scenario, apply_override, build, parse_set, to_yaml
from .intervals import CONFIDENCE, figure_columns, intervals, paired_differences, t_interval
from .options import RunKeywords, RunOptions, run_options
from .pools import BY_SCALE_FIELD
from .posterior import Posterior
from .replications import Design, Replications, run_design

MAX_GRID = 10_000
"""More grid points than this is almost surely a typo in a range."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*:\s*({_NUMBER})\s*$")


def _split_values(text: str) -> list[str]:
    """Split at commas outside brackets and quotes, so a value may be a YAML list or mapping."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """`path=v1,v2,...` (YAML scalars) or `path=start:stop:step` (inclusive) as (path, values)."""
    if "=" not in text:
        raise ConfigError.at("factor", "expected path=v1,v2,... or path=start:stop:step", text)
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path:
        raise ConfigError.at("factor", "empty field path", text)
    if not spec:
        raise ConfigError.at("factor", "no values after '='", text)
    match = _RANGE.match(spec)
    if match:
        start, stop, step = (float(g) for g in match.groups())
        if not step > 0:
            raise ConfigError.at("factor", "the step must be positive", text)
        if stop < start:
            raise ConfigError.at("factor", f"stop ({match.group(2)}) is below start ({match.group(1)})", text)
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_GRID:
            raise ConfigError.at("factor", f"{count} values; at most {MAX_GRID}", text)
        integral = all(re.fullmatch(r"[-+]?\d+", g) for g in match.groups())
        values: list[Any] = [int(start) + i * int(step) if integral else round(start + i * step, 12)
                             for i in range(count)]
        return path, values
    if ":" in spec and "," not in spec and not spec.lstrip().startswith(("{", "[", "'", '"')):
        raise ConfigError.at("factor", "a range needs three numbers, start:stop:step", text)
    items = _split_values(spec)
    if any(item == "" for item in items):
        raise ConfigError.at("factor", "empty value in the list", text)
    values = []
    for item in items:
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            values.append(item)
    if len({yaml.safe_dump(v) for v in values}) != len(values):
        raise ConfigError.at("factor", "a value is listed twice", text)
    return path, values


def parse_variant(text: str) -> tuple[str, list[tuple[str, Any]]]:
    """`[LABEL:] path=value[; path=value ...]` as (label, changes); the label defaults to the changes."""
    head, sep, rest = text.partition(":")
    label, body = (head.strip(), rest) if sep and "=" not in head and head.strip() else ("", text)
    items = [part.strip() for part in body.split(";") if part.strip()]
    if not items:
        raise ConfigError.at("variant", "expected [LABEL:] path=value[; path=value ...]", text)
    return label or "; ".join(items), parse_set(items, "variant")


def variant(scenario: Scenario, changes: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> Scenario:
    """The scenario with `path=value` changes applied (as `build`'s overrides are), validated."""
    data = yaml.safe_load(to_yaml(scenario))
    items = list(changes.items()) if isinstance(changes, Mapping) else list(changes)
    for path, value in items:
        apply_override(data, path, value)
    return build(data)


def _label(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{path}={_show(value)}" for path, value in changes.items())


def _show(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True).strip()


def grid(scenario: Scenario, factors: Mapping[str, Sequence[Any]]) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of the factors' values (full factorial, first factor slowest), each as
    its settings and validated scenario. A bad path or value names the factor it came from."""
    if not factors:
        raise ConfigError.at("factors", "give at least one factor, e.g. {'capacity_scale.oxygen_beds': [1, 1.2]}")
    for path, values in factors.items():
        if not len(values):
            raise ConfigError.at("factor", "no values", path)
        try:
            variant(scenario, {path: values[0]})
        except ConfigError as exc:
            raise ConfigError.at("factor", str(exc), path) from None
    size = math.prod(len(v) for v in factors.values())
    if size > MAX_GRID:
        raise ConfigError.at("factors", f"the grid has {size:,} points; at most {MAX_GRID:,}")
    points = []
    for combo in itertools.product(*factors.values()):
        settings = dict(zip(factors, combo, strict=True))
        try:
            points.append((settings, variant(scenario, settings)))
        except ConfigError as exc:
            raise ConfigError.at("factor", str(exc), _label(settings)) from None
    return points


@dataclass
class Sweep:
    """A grid of scenarios × replications."""

    factors: list[str]
    replications: Replications
    intervals: pd.DataFrame
    """Per grid point (factor columns) and key figure: n, mean, sd, half_width, lower, upper."""

    @property
    def table(self) -> pd.DataFrame:
        """One row per grid point and replication: factor columns, then every key figure."""
        return self.replications.table


def sweep(scenario: Scenario, factors: Mapping[str, Sequence[Any]], replications: int = 10,
          seed: int | None = None, *, confidence: float = CONFIDENCE, posterior: Posterior | None = None,
          options: RunOptions | None = None, **run: Unpack[RunKeywords]) -> Sweep:
    """Run the full factorial grid of `factors` ({field path: values}) × `replications`.

    Every grid point uses replications 0..R-1 of the same seed (common random numbers), so
    neighbouring points differ by the factor, not by luck; with `posterior`, replication i of
    every point runs with the posterior's draw i. Where they run: `options` or its fields as
    keywords (`replicate`).
    """
    opts = run_options(options, run)
    points = grid(scenario, factors)
    seed = scenario.seed if seed is None else int(seed)
    design = Design("sweep", tuple(s for _, s in points), tuple(_label(f) for f, _ in points), seed,
                    tuple(f for f, _ in points), posterior)
    reps = run_design(design, replications, confidence=confidence, options=opts)
    table = intervals(reps.table, by=["scenario"], confidence=confidence,
                      figures=figure_columns(reps.table, exclude=list(factors)))
    settings = pd.DataFrame([{"scenario": label, **f} for label, f in zip(design.labels, design.factors, strict=True)])
    table = settings.merge(table, on="scenario", how="right").drop(columns="scenario")
    return Sweep(list(factors), reps, table)


@dataclass
class Comparison:
    """Scenarios against the first (the baseline), paired by replication."""

    baseline: str
    replications: Replications
    differences: pd.DataFrame
    """Per scenario and key figure: mean_baseline, mean, difference with its paired interval
    (lower, upper, half_width), half_width_unpaired (what independent runs would give), n."""


def compare(scenarios: Mapping[str, Scenario] | Sequence[Scenario], replications: int = 10,
            seed: int | None = None, *, confidence: float = CONFIDENCE, posterior: Posterior | None = None,
            options: RunOptions | None = None, **run: Unpack[RunKeywords]) -> Comparison:
    """Each scenario's difference from the first, with paired 95% intervals.

    All scenarios run replications 0..R-1 of one seed (`seed`, else the first scenario's), so
    they share their random numbers and differ only by policy; with `posterior`, replication i
    of every scenario runs with the posterior's draw i (the same parameters and patients).
    Where they run: `options` or its fields as keywords (`replicate`).
    """
    opts = run_options(options, run)
    if isinstance(scenarios, Mapping):
        labels, items = list(scenarios), list(scenarios.values())
    else:
        items = list(scenarios)
        labels = unique_labels([s.name for s in items])
    if len(items) < 2:
        raise ConfigError.at("scenarios", "give at least two to compare")
    seed = items[0].seed if seed is None else int(seed)
    design = Design("compare", tuple(items), tuple(labels), seed, posterior=posterior)
    reps = run_design(design, replications, confidence=confidence, options=opts)
    figures = list(reps.intervals["figure"].drop_duplicates())
    diffs = paired_differences(reps.table, labels[0], figures=figures, confidence=confidence)
    return Comparison(labels[0], reps, diffs)


def unique_labels(names: Sequence[str]) -> list[str]:
    """A label per scenario, in order: each name as it is the first time, a repeat as
    "name (2)", "name (3)", ... — never a label another scenario already has (the CLI, the app
    and `compare` all label scenarios this way)."""
    taken, seen, out = set(names), set(), []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        k = 2
        while f"{name} ({k})" in taken:
            k += 1
        taken.add(f"{name} ({k})")
        out.append(f"{name} ({k})")
    return out


@dataclass
class Bottlenecks:
    """Resources ranked by what +`step` of each buys, from paired runs."""

    step: float
    ranking: pd.DataFrame
    comparison: Comparison


BASELINE = "baseline"


def bottlenecks(scenario: Scenario, step: float = 0.10, replications: int = 10, seed: int | None = None, *,
                confidence: float = CONFIDENCE, posterior: Posterior | None = None,
                options: RunOptions | None = None, **run: Unpack[RunKeywords]) -> Bottlenecks:
    """Rank every resource of `capacity_scale` by what +`step` (0.10 = +10%) of it buys.

    One scenario per multiplier (that multiplier × (1 + step), the rest unchanged) is compared
    with the baseline on common random numbers. The ranking has, per resource: capacity and
    units added, share of time full in the baseline (the whole pool at once, and the average
    ward), and the paired 95% intervals of deaths averted, deaths while waiting averted and the
    reduction of every p90 figure (waits in days), ranked by deaths averted, then by waits.
    Where they run: `options` or its fields as keywords (`replicate`).
    """
    opts = run_options(options, run)
    if not 0 < step <= 10 or math.isnan(step):
        raise ConfigError.at("step", "must be a positive fraction, e.g. 0.1 for +10%", step)
    fields = list(CapacityScale.model_fields)
    scenarios = {BASELINE: scenario}
    for name in fields:
        current = getattr(scenario.capacity_scale, name)
        scenarios[name] = variant(scenario, {f"capacity_scale.{name}": round(current * (1 + step), 12)})
    comp = compare(scenarios, replications, seed, confidence=confidence, posterior=posterior, options=opts)
    return Bottlenecks(step, _rank(fields, comp, confidence), comp)


def _rank(fields: list[str], comp: Comparison, confidence: float) -> pd.DataFrame:
    pools, diffs = comp.replications.pools, comp.differences
    p90 = [f for f in diffs["figure"].drop_duplicates() if str(f).endswith("_p90")]
    gains = ["died", "died_waiting", *p90]
    base_pools = pools[pools["scenario"] == BASELINE]
    rows = []
    for name in fields:
        pool_name: str | None = BY_SCALE_FIELD[name].name  # the pool this capacity_scale field scales
        if pool_name not in set(pools["resource"]):  # e.g. no fleet: no ambulance pool
            pool_name = None
        row: dict[str, Any] = {"resource": name, "pool": pool_name or ""}
        if pool_name is not None:
            before = base_pools[base_pools["resource"] == pool_name]
            after = pools[(pools["scenario"] == name) & (pools["resource"] == pool_name)]
            cap, new = float(before["capacity"].mean()), float(after["capacity"].mean())
            row["capacity"] = cap
            row["added"] = new - cap if np.isfinite(cap) and np.isfinite(new) else np.nan
            for col in ("share_time_full", "ward_share_full", "utilisation"):
                iv = t_interval(before[col].to_numpy(float), confidence)
                row[col] = iv.mean
                row[f"{col}_half_width"] = iv.half_width
        else:
            row.update(capacity=np.nan, added=np.nan, share_time_full=np.nan, share_time_full_half_width=np.nan,
                       ward_share_full=np.nan, ward_share_full_half_width=np.nan, utilisation=np.nan,
                       utilisation_half_width=np.nan)
        mine = diffs[diffs["scenario"] == name].set_index("figure")
        for fig in gains:
            name_out = "deaths_averted" if fig == "died" else (
                "deaths_waiting_averted" if fig == "died_waiting" else f"{fig}_reduction")
            d = mine.loc[fig] if fig in mine.index else None
            # a gain is a fall of the figure: negate the difference (and swap the bounds)
            row[name_out] = 0.0 - d["difference"] if d is not None else np.nan
            row[f"{name_out}_lower"] = 0.0 - d["upper"] if d is not None else np.nan
            row[f"{name_out}_upper"] = 0.0 - d["lower"] if d is not None else np.nan
        row["deaths_averted_per_100_units"] = (100 * row["deaths_averted"] / row["added"]
                                               if row["added"] > 0 else np.nan)
        rows.append(row)
    ranking = pd.DataFrame(rows)
    wait_cols = [f"{f}_reduction" for f in p90]
    ranking["_waits"] = ranking[wait_cols].fillna(0).sum(axis=1) if wait_cols else 0.0
    ranking = ranking.sort_values(["deaths_averted", "_waits"], ascending=False, na_position="last",
                                  kind="stable").drop(columns="_waits").reset_index(drop=True)
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    return ranking
