"""Evaluations for the search tools (`frontier`, `optimise`, the screen of `bottlenecks --by facility`).

A search asks, one point at a time, "what does this scenario give over replications 0..R-1?".
Every point runs the same replications of one seed (common random numbers), so two points differ
by their settings, not by luck, and a search that compares them sees a smooth surface. Each point
is an experiment directory of its own under the search's `store` (one `ExperimentStore`), so a
search interrupted and started again with `resume` replays the same points from disk and runs
only what is missing; the executor (serial, processes, Dask) is started once for the whole search.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Scenario
from .executors import Executor, make_executor
from .metrics import SUMMARY_COLUMNS
from .options import ExecutorLike
from .posterior import Posterior
from .replications import Design, Interrupted, Task, scenario_for
from .simulation import RunResult, run
from .store import ExperimentStore, StoreError, config_hash


@dataclass(frozen=True)
class WaitShare:
    """P(a patient waits longer than `days` for a bed of `tier`), among those who asked for one
    in the statistics window (waits still under way at the horizon count with their length so far)."""

    tier: int
    days: float

    @property
    def name(self) -> str:
        return f"p_wait_tier{self.tier}_over_{self.days:g}d"

    def of(self, result: RunResult) -> float:
        w = result.waits
        care = w[(w["reason"] == "care") & (w["tier"] == self.tier) & (w["start"] >= result.scenario.warmup_days)]
        return float((care["wait"].to_numpy(float) > self.days).mean()) if len(care) else 0.0


@dataclass(frozen=True)
class Measure:
    """What a worker reports of one replication: the key figures, deaths while waiting per 1,000
    F0, and the wait shares asked for."""

    task: Task
    shares: tuple[WaitShare, ...] = ()


def measure(m: Measure) -> dict[str, Any]:
    """Run one replication (on a worker) and return its compact record."""
    scenario = scenario_for(m.task)
    result = run(scenario, seed=m.task.seed, replication=m.task.replication)
    s = result.summary
    figures = {k: float(s[k]) for k in SUMMARY_COLUMNS if k in s and k not in ("replication", "seed")}
    figures["deaths_waiting_per_1000"] = 1000 * s["died_waiting"] / s["arrivals"] if s["arrivals"] else 0.0
    for share in m.shares:
        figures[share.name] = share.of(result)
    return {"scenario": 0, "replication": m.task.replication, "seed": m.task.seed, "seconds": result.seconds,
            "figures": figures}


DERIVED_FIGURES = ("deaths_waiting_per_1000",)
"""Figures `measure` adds to the key figures."""


class Evaluator:
    """Runs points of a search: R replications each, on one executor, saved under `store`."""

    def __init__(self, replications: int, seed: int, *, executor: ExecutorLike = "processes",
                 workers: int | None = None, scheduler: str | None = None, store: str | Path | None = None,
                 resume: bool = False, overwrite: bool = False, progress: bool = False,
                 posterior: Posterior | None = None, desc: str = "runs",
                 report: Callable[[int, int], None] | None = None) -> None:
        self.replications = replications
        self.seed = seed
        self._spec = executor
        self._workers = workers
        self._scheduler = scheduler
        self._executor: Executor | None = None if isinstance(executor, str) else executor
        self.store = Path(store) if store is not None else None
        self.resume = resume
        self.overwrite = overwrite
        self.posterior = posterior
        self.ran = 0
        self.reused = 0
        self.points = 0
        self._cache: dict[Path | str, list[dict[str, Any]]] = {}
        self._report = report
        """Called with (runs done, runs asked for so far) after each run: a progress bar elsewhere (the app)."""
        if self.store is not None:
            self._open_search()
        self._bar = None
        if progress:
            from tqdm import tqdm

            self._bar = tqdm(total=0, unit="run", desc=desc, file=sys.stderr, dynamic_ncols=True)

    def _open_search(self) -> None:
        """A search directory: continued with `resume`, else started afresh (an unfinished one is
        refused without `overwrite`, so a forgotten flag never throws runs away)."""
        assert self.store is not None
        marker = self.store / "search.yaml"
        points = self.store / "points"
        if marker.exists() and not self.resume:
            unfinished = "complete: true" not in marker.read_text(encoding="utf-8")
            if unfinished and any(points.glob("*")) and not self.overwrite:
                raise StoreError.at("store", "holds an unfinished search; add `resume=True` to go on with it, or "
                                    "`overwrite=True` to discard it", self.store)
        if not self.resume and points.exists():
            shutil.rmtree(points)
        self.store.mkdir(parents=True, exist_ok=True)
        marker.write_text("complete: false\n", encoding="utf-8")

    def finish(self) -> None:
        """Mark the search complete (a later run without --resume may replace it)."""
        if self.store is not None:
            (self.store / "search.yaml").write_text("complete: true\n", encoding="utf-8")

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = make_executor(str(self._spec), self._workers, self._scheduler)
        return self._executor

    def point_dir(self, scenario: Scenario, kind: str) -> Path | None:
        """The point's directory: named by what it runs, so the same point is found again."""
        if self.store is None:
            return None
        digest = config_hash(kind, self.seed, [scenario])[:16]
        return self.store / "points" / digest

    def evaluate(self, scenario: Scenario, kind: str, worker: Callable[[Any], dict[str, Any]] = measure,
                 wrap: Callable[[Task], Any] = Measure) -> list[dict[str, Any]]:
        """Records of replications 0..R-1 of `scenario`, in order (from disk where saved)."""
        design = Design(kind, (scenario,), ("point",), self.seed, posterior=self.posterior)
        where = self.point_dir(scenario, design.store_kind)
        key = where if where is not None else config_hash(design.store_kind, self.seed, [scenario])
        if key in self._cache:
            return self._cache[key]
        opened = None
        if where is not None:  # a directory of this search: its point, run before an interruption
            opened = ExperimentStore.open(where, design.store_kind, self.seed, design.scenarios, design.labels,
                                          resume=(where / "manifest.yaml").exists(),
                                          plan={"replications": self.replications})
        records = {k[1]: v for k, v in (opened.saved if opened else {}).items() if k[1] < self.replications}
        todo = [wrap(design.task(0, r)) for r in range(self.replications) if r not in records]
        self.points += 1
        self.reused += len(records)
        if self._bar is not None:
            self._bar.total = (self._bar.total or 0) + self.replications
            self._bar.update(len(records))
        try:
            for rec in self.executor.map_unordered(worker, todo) if todo else ():
                if opened is not None:
                    opened.save(rec)
                records[int(rec["replication"])] = rec
                self.ran += 1
                if self._bar is not None:
                    self._bar.update(1)
                if self._report is not None:
                    self._report(self.ran + self.reused, self.points * self.replications)
        except KeyboardInterrupt:
            note = (f"{self.points} points are saved in {self.store}: rerun with --resume to go on"
                    if self.store is not None else "nothing was saved (no --out directory)")
            raise Interrupted(note) from None
        if opened is not None:
            opened.finish(replications_used=self.replications)
        self._cache[key] = [records[r] for r in range(self.replications)]
        return self._cache[key]

    def figures(self, scenario: Scenario, names: Sequence[str], shares: Sequence[WaitShare] = (),
                kind: str = "point") -> dict[str, np.ndarray]:
        """Each named figure of the point, one value per replication (NaN where undefined)."""
        shares = tuple(shares)
        tag = kind + "".join(f" {s.name}" for s in shares)
        records = self.evaluate(scenario, tag, measure, lambda task: Measure(task, shares))
        return {n: np.array([rec["figures"].get(n, np.nan) for rec in records], float) for n in names}

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if isinstance(self._spec, str) and self._executor is not None:
            self._executor.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
