"""What an interactive front end needs from one setting of the levers, as fast as two cores allow.

Replication 0 runs in full in this process (its per-ward tables feed maps and heatmaps) while
replications 1..R-1 run on the executor and send back their key figures; together they give the
same table and intervals as `replicate` (replication i is the same run wherever it runs).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from .config import Scenario
from .executors import Executor
from .intervals import figure_columns, intervals
from .replications import Task, simulate
from .simulation import RunResult, run


@dataclass
class Look:
    detail: RunResult
    """Replication 0, with every table."""
    table: pd.DataFrame
    """One row per replication: replication, seed, then every key figure."""
    intervals: pd.DataFrame | None
    """95% interval per key figure (None for a single replication)."""


def look(scenario: Scenario, replications: int, seed: int, executor: Executor) -> Look:
    """Replication 0 in full here, 1..R-1 on `executor`, at the same time."""
    tasks = [Task(0, scenario, seed, i) for i in range(1, replications)]
    with ThreadPoolExecutor(1) as thread:
        others = thread.submit(lambda: list(executor.map_unordered(simulate, tasks))) if tasks else None
        detail = run(scenario, seed=seed, replication=0)
        records = others.result() if others is not None else []
    rows = [detail.summary] + [r["summary"] for r in sorted(records, key=lambda r: r["replication"])]
    table = pd.DataFrame(rows)
    ci = intervals(table, figures=figure_columns(table)) if replications > 1 else None
    return Look(detail, table, ci)
