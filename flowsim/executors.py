"""Where replications run: in this process, in a pool of local processes, or on a Dask cluster.

Every executor runs the same pure function on the same tasks, so the numbers do not depend on
where they were computed; only the order in which results come back does (as they finish).
Results are yielded one by one as soon as each is done, so the caller can save each replication
the moment it exists (nothing finished is lost to a crash or Ctrl-C).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from ._version import __version__
from .errors import InputError

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx)://(\[[0-9a-fA-F:]+\]|[^:/\s\[\]]+):(\d{1,5})$")


class ExecutorError(InputError):
    """An executor cannot be set up: one line naming the argument (`executor`, `workers`,
    `scheduler`) and the reason."""


class WorkerLost(RuntimeError):
    """A worker process died while replications were running (killed, out of memory, crashed)."""


class Executor(Protocol):
    name: str

    @property
    def workers(self) -> int:
        """How many replications run at once."""

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """fn(task) for every task, yielded as each finishes."""

    def close(self) -> None: ...


def available_cores() -> int:
    """Cores this process may use (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Serial:
    """One replication after another, in this process: simplest to debug, no start-up cost."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        pass

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Processes:
    """A pool of local worker processes (concurrent.futures), by default one per core.

    `start_method` is multiprocessing's: the platform's default ("fork" on Linux: quickest), or
    "forkserver" for a process that serves the network (the app): a forked worker would inherit
    the server's open sockets and hold the browser's connections open after the server closed them.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self._workers = workers or available_cores()
        self._start_method = start_method
        self._pool: cf.ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        if self._pool is None:
            context = multiprocessing.get_context(self._start_method)
            if self._start_method == "forkserver":
                context.set_forkserver_preload(["flowsim.interactive"])  # imported once, not per worker
            self._pool = cf.ProcessPoolExecutor(max_workers=self._workers, mp_context=context)
        futures = [self._pool.submit(fn, task) for task in tasks]
        try:
            for future in cf.as_completed(futures):
                try:
                    yield future.result()
                except cf.process.BrokenProcessPool as exc:
                    raise WorkerLost(f"a worker process died ({exc})") from None
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_cluster(workers: int | None = None) -> Any:
    """A Dask LocalCluster on this machine for replications: one single-threaded worker process
    per core, no dashboard (its HTTP server on a free port, so several clusters can coexist)."""
    import dask
    from distributed import LocalCluster

    # No dashboard, so no one reads the workers' statistical profiles: skip the sampling (every
    # 10 ms it walks the simulation's stack under the GIL). And keep glibc's own malloc trimming:
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 makes a flowsim run about 20% slower.
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
    with dask.config.set({"distributed.worker.profile.enabled": False,
                          "distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1, processes=True,
                            dashboard_address=None, scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                            silence_logs=logging.ERROR)


def _flowsim_version() -> str:
    return __version__


class Dask:
    """A Dask cluster: an existing one at `scheduler` (tcp://HOST:PORT), else a local one started
    here with one single-threaded worker process per core (stopped on close).

    Workers of an existing cluster must have the same flowsim version installed (checked on
    connection), or the same config and seed would not give the same numbers.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 connect_timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError.at("executor", "needs dask.distributed (pip install 'flowsim[cluster]')",
                                   "dask") from None
        self._cluster: Any = None
        if scheduler:
            if not SCHEDULER_ADDRESS.match(scheduler.strip()):
                raise ExecutorError.at("scheduler", "expected an address like tcp://HOST:PORT", scheduler)
            try:
                self._client = Client(scheduler.strip(), timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                raise ExecutorError.at("scheduler", f"cannot connect ({reason})", scheduler) from None
            self._check_versions(scheduler)
        else:
            self._cluster = local_cluster(workers)
            self._client = Client(self._cluster)

    def _check_versions(self, scheduler: str) -> None:
        mine = _flowsim_version()
        try:
            theirs = set(self._client.run(_flowsim_version).values())
        except Exception as exc:  # noqa: BLE001 - whatever a remote worker raised
            self.close()
            raise ExecutorError.at("scheduler", f"workers cannot import flowsim ({exc.__class__.__name__}: {exc})",
                                   scheduler) from None
        if not theirs:
            self.close()
            raise ExecutorError.at("scheduler", "the cluster has no workers", scheduler)
        if theirs != {mine}:
            self.close()
            raise ExecutorError.at("scheduler", f"workers run flowsim {', '.join(sorted(theirs))}, this is {mine}; "
                                   "results would not be reproducible", scheduler)

    @property
    def workers(self) -> int:
        threads = self._client.nthreads()
        return max(1, sum(threads.values()))

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures = [self._client.submit(fn, task, pure=False) for task in tasks]
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except KilledWorker as exc:
                    raise WorkerLost(f"dask workers died running a replication ({exc})") from None
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()
            del self._client
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Dask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


MAX_WORKERS = 1024
"""More workers than this is a typo (the CLI's bound too)."""


def check_executor(executor: str | Executor, workers: int | None = None, scheduler: str | None = None) -> None:
    """Refuse an executor setting that cannot work, before anything starts: an unknown name,
    workers out of range, a scheduler without dask, or workers or a scheduler beside an executor
    object (set them on the object)."""
    if not isinstance(executor, str):
        if not callable(getattr(executor, "map_unordered", None)):
            raise ExecutorError.at("executor", f"expected {', '.join(EXECUTORS)} or an executor object "
                                   f"(got {type(executor).__name__})")
        if workers is not None or scheduler:
            raise ExecutorError.at("workers" if workers is not None else "scheduler",
                                   f"set on the executor object itself, not beside it ({type(executor).__name__})")
        return
    if executor not in EXECUTORS:
        raise ExecutorError.at("executor", f"unknown executor (choose {', '.join(EXECUTORS)})", executor)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= MAX_WORKERS):
        raise ExecutorError.at("workers", "must be at least 1" if isinstance(workers, int) and workers < 1
                               else f"must be a whole number from 1 to {MAX_WORKERS:,}", workers)
    if scheduler and executor != "dask":
        raise ExecutorError.at("scheduler", f"only used with `executor` dask (not {executor})")


def make_executor(name: str = "processes", workers: int | None = None, scheduler: str | None = None,
                  connect_timeout: float = 10.0) -> Serial | Processes | Dask:
    """An executor by name: `serial`, `processes` (default: all cores) or `dask`."""
    check_executor(name, workers, scheduler)
    if name == "serial":
        return Serial()
    if name == "processes":
        return Processes(workers)
    return Dask(workers, scheduler, connect_timeout)
