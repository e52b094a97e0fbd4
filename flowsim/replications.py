"""Replications of one or more scenarios, with common random numbers, on any executor.

Replication *i* of every scenario runs with the same seed and replication index, so it draws
from the same random streams (streams.py): scenarios then differ only by policy, and their
differences are measured run by run. A replication is identified by (scenario, replication)
alone, which is what makes the numbers independent of the executor and of how often an
experiment was interrupted and resumed.

Workers run `simulate` and send back a compact, JSON-able record (the summary row, the bed
pools' statistics, optionally the time series), never the per-ward tables of a whole run.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Unpack

import numpy as np
import pandas as pd

from .config import ConfigError, Scenario
from .executors import Executor, WorkerLost, make_executor
from .intervals import CONFIDENCE, Decision, figure_columns, intervals, replications_needed
from .limits import check_memory
from .metrics import SUMMARY_COLUMNS
from .options import RunKeywords, RunOptions, run_options
from .pools import BED_POOLS, HOME_MONITORING
from .posterior import Posterior
from .simulation import run
from .store import ExperimentStore

POOL_COLUMNS = ("resource", "capacity", "utilisation", "share_time_full", "ward_share_full", "days_full",
                "mean_queue")
"""Per replication and pool: capacity (beds or patients followed), utilisation (0-1), share of
the statistics window with every unit of the pool taken (0-1), the capacity-weighted share of
time the pool's wards were each full (0-1), days full, mean queue (patients)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an experiment; the message says what was saved and how to finish it."""


@dataclass(frozen=True)
class Task:
    """One replication of one scenario: all a worker needs."""

    scenario_index: int
    scenario: Scenario
    seed: int
    replication: int
    timeseries: bool = False
    parameters: tuple[tuple[str, float], ...] = ()
    """Field values this replication runs with (a posterior's draw for it; empty: as configured)."""
    posterior_sample: int = -1
    """Which parameter set of the posterior (-1: none)."""


def scenario_for(task: Task) -> Scenario:
    """The scenario a task runs: its own, with the task's parameter values set."""
    if not task.parameters:
        return task.scenario
    from .priors import apply

    return apply(task.scenario, dict(task.parameters))


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer | bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return value


def _ward_shares(resources: pd.DataFrame) -> dict[str, float]:
    """Capacity-weighted mean of each ward's share of time full, per pool (0-1)."""
    wards = resources[resources["level"] == "ward"]
    out = {}
    for pool in BED_POOLS:
        w = wards[(wards["tier"] == pool.tier) & ((wards["kind"] == pool.kind) if pool.kind else True)]
        cap = w["capacity"].sum()
        out[pool.name] = float((w["share_time_full"] * w["capacity"]).sum() / cap) if cap else float("nan")
    home = resources[(resources["level"] == "district") & np.isfinite(resources["capacity"])]
    cap = home["capacity"].sum()
    out[HOME_MONITORING.name] = float((home["share_time_full"] * home["capacity"]).sum() / cap) if cap else float("nan")
    return out


def simulate(task: Task, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Run one replication (wherever the executor put it) and return its compact record.
    `progress` is the run's (`simulation.run`): it may stop it."""
    result = run(scenario_for(task), seed=task.seed, replication=task.replication, progress=progress)
    res = result.resources
    shares = _ward_shares(res)
    pools = [{"resource": r.resource, "capacity": _plain(r.capacity), "utilisation": _plain(r.utilisation),
              "share_time_full": _plain(r.share_time_full), "ward_share_full": shares.get(r.resource, float("nan")),
              "days_full": _plain(r.days_full), "mean_queue": _plain(r.mean_queue)}
             for r in res[res["level"] == "pool"].itertuples()]
    record: dict[str, Any] = {
        "scenario": task.scenario_index, "replication": task.replication, "seed": task.seed,
        "seconds": result.seconds, "summary": {k: _plain(v) for k, v in result.summary.items()}, "pools": pools,
    }
    if task.parameters:
        record["posterior_sample"] = task.posterior_sample
    if task.timeseries:
        record["timeseries"] = {c: result.timeseries[c].tolist() for c in result.timeseries.columns}
    return record


@dataclass(frozen=True)
class Design:
    """What an experiment runs: scenarios (the first is the baseline), their labels, the factor
    values that tell them apart (sweep columns), and the seed they all share."""

    kind: str
    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    seed: int
    factors: tuple[dict[str, Any], ...] = ()
    posterior: Posterior | None = None
    """Replication i of every scenario runs with the posterior's draw i (`posterior.Posterior`)."""

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.scenarios):
            raise ValueError("one label per scenario")
        if len(set(self.labels)) != len(self.labels):
            raise ConfigError("scenarios: two scenarios have the same label")
        if self.posterior is not None:
            self._check_posterior(self.posterior)

    def _check_posterior(self, posterior: Posterior) -> None:
        """The posterior fits every scenario, and no scenario differs from the others in a field the
        posterior sets (the posterior would silently undo that difference)."""
        from .priors import field_value

        for sc in self.scenarios:
            posterior.check(sc)
        for name in posterior.fields:
            values = {field_value(sc, name) for sc in self.scenarios}
            if len(values) > 1:
                where = "factors" if self.factors and any(name in f for f in self.factors) else "scenarios"
                raise ConfigError.at(where, "the scenarios differ in a field the posterior sets for every "
                                     "replication; vary another field, or drop it from the posterior", name)

    @property
    def store_kind(self) -> str:
        """The experiment's kind as its directory records it (a posterior is part of what it is)."""
        return self.kind + (f" --posterior {self.posterior.digest[:12]}" if self.posterior is not None else "")

    def task(self, scenario: int, replication: int, timeseries: bool = False) -> Task:
        """Replication `replication` of scenario `scenario`, with its posterior draw if any."""
        if self.posterior is None:
            return Task(scenario, self.scenarios[scenario], self.seed, replication, timeseries)
        index = self.posterior.index_for(self.seed, replication)
        values = tuple(self.posterior.samples.iloc[index].astype(float).items())
        return Task(scenario, self.scenarios[scenario], self.seed, replication, timeseries, values, index)


def figure_names() -> list[str]:
    """Names of the key figures a replication reports (metrics.SUMMARY_COLUMNS, less its ids);
    `metrics.key_figures` computes their values."""
    return [c for c in SUMMARY_COLUMNS if c not in ("replication", "seed")]


def check_figures(names: Sequence[str], field: str = "figures") -> None:
    """Refuse an unknown figure name before anything runs; the error names it as `field`."""
    known = figure_names()
    for name in names:
        if name not in known:
            raise ConfigError.at(field, f"not a key figure (choose from {', '.join(known)})", name)


@dataclass(frozen=True)
class Auto:
    """`replications="auto"`: add replications until the 95% interval of `figure` has a
    half-width within `precision` of its mean (e.g. 0.05 = ±5%), by Hoad et al.'s algorithm."""

    figure: str = "died"
    precision: float = 0.05
    max_replications: int = 100
    initial: int = 3
    look_ahead: int = 5

    def __post_init__(self) -> None:
        check_figures([self.figure], "figure")
        if not 0 < self.precision < 1 or math.isnan(self.precision):
            raise ConfigError.at("precision", "must be between 0 and 1 (e.g. 0.05 for ±5%)", self.precision)
        if self.max_replications < self.initial:
            raise ConfigError.at("max_replications", f"must be at least {self.initial}", self.max_replications)


@dataclass(frozen=True)
class AutoResult:
    """How many replications the algorithm needed, and the precision reached there."""

    figure: str
    precision: float
    needed: int
    relative_half_width: float
    converged: bool
    look_ahead: int

    def describe(self) -> str:
        if self.converged:
            return (f"{self.needed} replications needed: the 95% interval of {self.figure} is within "
                    f"±{self.relative_half_width:.2%} of its mean (target ±{self.precision:.2%}), "
                    f"and stayed so over {self.look_ahead} more")
        state = ("reached but not yet held over the look-ahead" if self.relative_half_width <= self.precision
                 else "not reached")
        return (f"precision {state} within {self.needed} replications: the 95% interval of {self.figure} "
                f"is ±{self.relative_half_width:.2%} of its mean (target ±{self.precision:.2%}); "
                "raise `max_replications` or relax `precision`")


@dataclass
class Replications:
    """Results of an experiment: one row per scenario and replication, and what it took."""

    design: Design
    table: pd.DataFrame
    """scenario (label), factor columns, replication, seed, then every key figure."""
    pools: pd.DataFrame
    """scenario, replication and POOL_COLUMNS, one row per bed pool (and home monitoring)."""
    timeseries: pd.DataFrame | None
    ran: int
    """Replications simulated by this call."""
    reused: int
    """Replications read back from the experiment directory (`resume`)."""
    seconds: float
    auto: AutoResult | None = None
    store: Path | None = None
    confidence: float = CONFIDENCE
    intervals: pd.DataFrame = field(init=False)
    """One row per scenario (when several) and key figure: n, mean, sd, half_width, lower, upper."""

    def __post_init__(self) -> None:
        by = ["scenario"] if len(self.design.scenarios) > 1 else []
        self.intervals = intervals(self.table, by=by, confidence=self.confidence,
                                   figures=figure_columns(self.table, exclude=self.factor_names))

    @property
    def factor_names(self) -> list[str]:
        return list(self.design.factors[0]) if self.design.factors else []

    @property
    def replications(self) -> int:
        return int(self.table["replication"].nunique()) if len(self.table) else 0


class _Runner:
    """Runs tasks on an executor (started on first use), saving each record as it arrives."""

    def __init__(self, options: RunOptions, store: ExperimentStore | None, total: int, done: int) -> None:
        self._options = options
        executor = options.executor
        self._executor: Executor | None = None if isinstance(executor, str) else executor
        self._own = isinstance(executor, str)
        self.store = store
        self.ran = 0
        self.bar = None
        if options.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="run", desc="replications", file=sys.stderr,
                            dynamic_ncols=True, smoothing=0.1)

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            o = self._options
            self._executor = make_executor(str(o.executor), o.workers, o.scheduler)
        return self._executor

    @property
    def workers(self) -> int:
        if self._options.executor == "serial":
            return 1
        return self.executor.workers

    def grow(self, total: int) -> None:
        if self.bar is not None and total != self.bar.total:
            self.bar.total = total
            self.bar.refresh()

    def run(self, tasks: Sequence[Task], records: dict[tuple[int, int], dict]) -> None:
        if not tasks:
            return
        try:
            for record in self.executor.map_unordered(simulate, tasks):
                key = (record["scenario"], record["replication"])
                if self.store is not None:
                    self.store.save(record)
                records[key] = record
                self.ran += 1
                if self.bar is not None:
                    self.bar.update(1)
        except KeyboardInterrupt:
            raise Interrupted(self._saved_note(records)) from None
        except WorkerLost as exc:
            raise WorkerLost(f"{exc}; {self._saved_note(records)}") from None

    def _saved_note(self, records: dict) -> str:
        if self.store is None:
            return "nothing was saved (no experiment directory)"
        return f"{len(records)} replications are saved in {self.store.path}: rerun with `resume=True` to finish"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self._own and self._executor is not None:
            self._executor.close()


def _tasks(design: Design, reps: range, have: dict, timeseries: bool) -> list[Task]:
    """Missing (scenario, replication) pairs, replication-major so partial results stay paired."""
    return [design.task(s, r, timeseries) for r in reps for s in range(len(design.scenarios)) if (s, r) not in have]


def _contiguous(records: dict, scenario: int) -> int:
    n = 0
    while (scenario, n) in records:
        n += 1
    return n


def _auto_rounds(design: Design, auto: Auto, runner: _Runner, records: dict, timeseries: bool,
                 confidence: float) -> AutoResult:
    """Add replications in rounds (one per worker) until the algorithm decides for every scenario."""
    while True:
        decisions: list[Decision] = []
        for s in range(len(design.scenarios)):
            n = _contiguous(records, s)
            values = [records[(s, r)]["summary"][auto.figure] for r in range(n)]
            decisions.append(replications_needed(values, auto.precision, confidence, auto.initial, auto.look_ahead))
        have = min(_contiguous(records, s) for s in range(len(design.scenarios)))
        if all(d.needed is not None for d in decisions):
            needed = max(d.needed for d in decisions if d.needed is not None)
            worst = max(d.relative_half_width for d in decisions)
            return AutoResult(auto.figure, auto.precision, needed, float(worst), True, auto.look_ahead)
        if have >= auto.max_replications:
            worst = max(d.relative_half_width for d in decisions)
            return AutoResult(auto.figure, auto.precision, auto.max_replications, float(worst), False,
                              auto.look_ahead)
        target = max(d.next_count for d in decisions if d.needed is None)
        target = min(auto.max_replications, max(target, have + runner.workers))
        runner.grow(target * len(design.scenarios))
        runner.run(_tasks(design, range(target), records, timeseries), records)


def run_design(design: Design, replications: int | Auto = 10, *, timeseries: bool = False,
               confidence: float = CONFIDENCE, options: RunOptions | None = None,
               **run: Unpack[RunKeywords]) -> Replications:
    """Run every scenario of `design` for the same replications 0..R-1 and collect the results.

    `replications` is a count or an `Auto` rule. `options` (or its fields as keywords) say where
    they run: with a `store`, each finished replication is saved there at once, and `resume` runs
    only the ones missing from it; runs estimated to need more memory than `max_memory_gb`
    (default: 80% of the memory available) are refused before any starts.
    """
    started = time.perf_counter()
    opts = run_options(options, run)
    store = opts.store
    if isinstance(replications, int) and replications < 1:
        raise ConfigError.at("replications", "must be at least 1, or auto", replications)
    check_memory(design.scenarios, opts.concurrent, max_memory_gb=opts.max_memory_gb)
    plan = {"replications": replications if isinstance(replications, int) else
            {"auto": {"figure": replications.figure, "precision": replications.precision,
                      "max_replications": replications.max_replications}}}
    opened = (ExperimentStore.open(store, design.store_kind, design.seed, design.scenarios, design.labels,
                                   resume=opts.resume, overwrite=opts.overwrite, plan=plan)
              if store is not None else None)
    records: dict[tuple[int, int], dict] = dict(opened.saved) if opened is not None else {}
    if timeseries:  # a record saved without its time series cannot serve a run that wants it
        records = {k: v for k, v in records.items() if "timeseries" in v}
    from_store = set(records)
    reused = len(records)
    n_scen = len(design.scenarios)
    first = replications if isinstance(replications, int) else replications.initial + replications.look_ahead
    runner = _Runner(opts, opened, total=max(first * n_scen, reused), done=reused)
    auto_result = None
    try:
        if isinstance(replications, int):
            runner.grow(replications * n_scen)
            runner.run(_tasks(design, range(replications), records, timeseries), records)
            count = replications
        else:
            auto_result = _auto_rounds(design, replications, runner, records, timeseries, confidence)
            count = auto_result.needed
    finally:
        runner.close()
    used = {k: v for k, v in records.items() if k[1] < count}
    reused_used = len(from_store & set(used))
    result = _collect(design, used, runner.ran, reused_used, time.perf_counter() - started, auto_result,
                      opened.path if opened is not None else None, confidence)
    if opened is not None:
        opened.finish(replications_used=count, **({"auto": auto_result.describe()} if auto_result else {}))
    return result


def _collect(design: Design, records: dict[tuple[int, int], dict], ran: int, reused: int, seconds: float,
             auto: AutoResult | None, store: Path | None, confidence: float) -> Replications:
    rows, pool_rows, series = [], [], []
    for (s, r), rec in sorted(records.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        label = design.labels[s]
        factors = design.factors[s] if design.factors else {}
        summary = {k: v for k, v in rec["summary"].items() if k not in ("replication", "seed")}
        drawn = {"posterior_sample": rec["posterior_sample"]} if "posterior_sample" in rec else {}
        rows.append({"scenario": label, **factors, "replication": r, "seed": rec["seed"], **drawn, **summary})
        for p in rec["pools"]:
            pool_rows.append({"scenario": label, "replication": r, **p})
        if "timeseries" in rec:
            ts = pd.DataFrame(rec["timeseries"])
            ts.insert(0, "replication", r)
            ts.insert(0, "scenario", label)
            series.append(ts)
    table = pd.DataFrame(rows)
    pools = pd.DataFrame(pool_rows, columns=["scenario", "replication", *POOL_COLUMNS])
    return Replications(design, table, pools, pd.concat(series, ignore_index=True) if series else None,
                        ran, reused, seconds, auto, store, confidence)


def replicate(scenario: Scenario, replications: int | Literal["auto"] = 10, seed: int | None = None, *,
              figure: str = "died", precision: float = 0.05, max_replications: int = 100,
              timeseries: bool = False, confidence: float = CONFIDENCE, posterior: Posterior | None = None,
              options: RunOptions | None = None, **run: Unpack[RunKeywords]) -> Replications:
    """Replications 0..R-1 of one scenario, with a 95% interval for every key figure.

    `replications="auto"` adds replications until the interval of `figure` is within
    `precision` (relative half-width) and stays so (Hoad, Robinson & Davies 2010); the result's
    `auto` says how many were needed, and the figures are those of exactly that many. With
    `posterior`, replication i runs with the posterior's draw i: the intervals cover the
    parameters too. Where they run: `options` (`RunOptions`), or its fields as keywords
    (`executor="serial"`, `store=...`); the numbers are the same on every executor.
    """
    opts = run_options(options, run)
    seed = scenario.seed if seed is None else int(seed)
    design = Design("run", (scenario,), (scenario.name,), seed, posterior=posterior)
    if replications == "auto":
        rule: int | Auto = Auto(figure, precision, max_replications)
    elif isinstance(replications, int | np.integer) and not isinstance(replications, bool):
        rule = int(replications)
    else:
        raise ConfigError.at("replications", "expected a whole number or auto", replications)
    return run_design(design, rule, timeseries=timeseries, confidence=confidence, options=opts)

