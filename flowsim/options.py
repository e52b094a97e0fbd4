"""How an experiment runs, apart from what it runs: where (executor), where it is saved, what it may use.

Every entry point that runs replications (`replicate`, `sweep`, `compare`, `bottlenecks`,
`sensitivity`, `calibrate`) takes the same settings, either as `options=RunOptions(...)` or one
by one as keywords (`executor="serial", store="out/x"`); both end here, validated once, before
any work, with errors that name the setting. None of them changes a number: the same config and
seed give the same results on every executor, with or without a store.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from .errors import ConfigError
from .executors import Executor, Processes, Serial, available_cores, check_executor

ExecutorLike = str | Executor
"""An executor by name (`serial`, `processes`, `dask`) or an executor object (`executors.Processes`, ...)."""


@dataclass(frozen=True)
class RunOptions:
    """Where and how replications run.

    `executor`: "serial", "processes" (`workers` of them, default one per core), "dask" (at
    `scheduler` tcp://HOST:PORT, else a local cluster of `workers`), or an executor object (which
    then says its own workers). `store`: the experiment directory each finished replication is
    saved to; `resume` runs only the ones missing there, `overwrite` discards an unfinished one.
    `progress`: a progress bar on stderr. `max_memory_gb`: refuse runs estimated to need more
    (default: 80% of the memory available)."""

    executor: ExecutorLike = "processes"
    workers: int | None = None
    scheduler: str | None = None
    store: str | Path | None = None
    resume: bool = False
    overwrite: bool = False
    progress: bool = False
    max_memory_gb: float | None = None

    def __post_init__(self) -> None:
        check_executor(self.executor, self.workers, self.scheduler)
        if self.resume and self.overwrite:
            raise ConfigError.at("resume", "not with `overwrite=True`: one keeps the saved replications, "
                                 "the other discards them")
        if (self.resume or self.overwrite) and self.store is None:
            raise ConfigError.at("resume" if self.resume else "overwrite",
                                 "needs a `store` (the experiment directory)")
        if self.max_memory_gb is not None and (isinstance(self.max_memory_gb, bool) or not isinstance(
                self.max_memory_gb, int | float) or not 0 < self.max_memory_gb < math.inf):
            raise ConfigError.at("max_memory_gb", "must be a number of GB above 0", self.max_memory_gb)

    @property
    def concurrent(self) -> int:
        """Replications running at once on this machine (1 serially or on a remote cluster)."""
        if isinstance(self.executor, Serial) or self.executor == "serial" or self.scheduler:
            return 1
        if isinstance(self.executor, Processes):
            return self.executor.workers
        return self.workers or available_cores()


class RunKeywords(TypedDict, total=False):
    """`RunOptions`' fields as keywords of the entry points (for type checkers)."""

    executor: ExecutorLike
    workers: int | None
    scheduler: str | None
    store: str | Path | None
    resume: bool
    overwrite: bool
    progress: bool
    max_memory_gb: float | None


NAMES = tuple(f.name for f in dataclasses.fields(RunOptions))


def run_options(options: RunOptions | None = None, keywords: Mapping[str, Any] | None = None) -> RunOptions:
    """`options` (default: `RunOptions()`) with the settings given one by one as keywords on top."""
    keywords = dict(keywords or {})
    unknown = sorted(set(keywords) - set(NAMES))
    if unknown:
        raise TypeError(f"unexpected keyword argument '{unknown[0]}' (run options: {', '.join(NAMES)})")
    if options is not None and not isinstance(options, RunOptions):
        raise TypeError(f"options: expected RunOptions, got {type(options).__name__}")
    base = options if options is not None else RunOptions()
    return dataclasses.replace(base, **keywords) if keywords else base
