"""What an interactive front end needs from one setting of the levers, as fast as two cores allow.

Replication 0 runs in full (its per-ward tables feed maps and heatmaps) and replications 1..R-1
send back only their key figures, all on the executor's workers, so the front end's own process
(a web server) stays free to answer the browser. Together they give the same table and intervals
as `replicate` (replication i is the same run wherever it runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .config import Scenario
from .executors import Executor
from .intervals import figure_columns, intervals
from .posterior import Posterior
from .replications import Design, Task, scenario_for, simulate
from .simulation import RunResult, run


@dataclass
class Look:
    detail: RunResult
    """Replication 0, with every table."""
    table: pd.DataFrame
    """One row per replication: replication, seed, then every key figure."""
    intervals: pd.DataFrame | None
    """95% interval per key figure (None for a single replication)."""


def _work(task: Task) -> RunResult | dict:
    """Replication 0 in full, the others as compact records (runs in a worker)."""
    if task.replication == 0:
        return run(scenario_for(task), seed=task.seed, replication=0)
    return simulate(task)


Progress = Callable[[int, int], None]
"""Told (replications done, replications in all) as each replication finishes."""


class Counted:
    """An executor that says how many tasks have finished, out of `total` over all its maps (an
    experiment may map its tasks in several batches): a front end's progress bar."""

    def __init__(self, executor: Executor, total: int, progress: Progress) -> None:
        self._executor, self._total, self._progress, self.done = executor, total, progress, 0

    @property
    def workers(self) -> int:
        return self._executor.workers

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        for result in self._executor.map_unordered(fn, tasks):
            self.done += 1
            self._progress(self.done, max(self._total, self.done))
            yield result

    def close(self) -> None:  # the pool belongs to whoever made it
        pass


def look(scenario: Scenario, replications: int, seed: int, executor: Executor,
         posterior: Posterior | None = None, progress: Progress | None = None) -> Look:
    """Replication 0 in full and 1..R-1 as key figures, all on `executor`; with `posterior`,
    replication i runs with the posterior's draw i. `progress` hears of each one finished."""
    design = Design("look", (scenario,), (scenario.name,), seed, posterior=posterior)
    tasks = [design.task(0, i) for i in range(max(replications, 1))]
    runner = Counted(executor, len(tasks), progress) if progress else executor
    results = list(runner.map_unordered(_work, tasks))
    detail = next(r for r in results if isinstance(r, RunResult))
    records = sorted((r for r in results if isinstance(r, dict)), key=lambda r: r["replication"])
    rows = [detail.summary] + [r["summary"] for r in records]
    table = pd.DataFrame(rows)
    ci = intervals(table, figures=figure_columns(table)) if replications > 1 else None
    return Look(detail, table, ci)


def warm(executor: Executor) -> None:
    """Run a tiny scenario once on every worker, so that the first real setting does not pay the
    workers' first-use costs (lazy imports, caches): about 1.5 s on the Hanoi scenario."""
    from .config import load_scenario

    tiny = load_scenario("town", overrides={"horizon_days": 5})
    list(executor.map_unordered(_work, [Task(0, tiny, 1, i) for i in range(executor.workers)]))
