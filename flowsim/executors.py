"""Where replications run: in this process, in a pool of local processes, or on a Dask cluster.

Every executor runs the same pure function on the same tasks, so the numbers do not depend on
where they were computed; only the order in which results come back does (as they finish).
Results are yielded one by one as soon as each is done, so the caller can save each replication
the moment it exists (nothing finished is lost to a crash or Ctrl-C).

A task already running can be told to stop (`stop_flag`): its submitter sets a `StopFlag` the
task reads as it goes, and the task raises `Cancelled` instead of finishing work no one wants,
which frees its worker for the next one (the app's planner has moved a lever).
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import logging
import multiprocessing
import os
import re
import threading
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


class Cancelled(Exception):
    """A task stopped before its end because its `StopFlag` was set: it has no result."""


STOP_SLOTS = 4096
"""Flags a `Processes` pool shares with its workers: flag n uses slot n % STOP_SLOTS (see StopFlag)."""
_identities = itertools.count(1)
_worker_flags: Any = None
"""In a `Processes` worker, its pool's shared flags (set by the pool's initializer)."""


def _start_worker(flags: Any, niceness: int = 0) -> None:
    """A `Processes` worker's initializer: keep the pool's flags where `StopFlag`s read them, and
    step back by `niceness` (os.nice) where the platform has it."""
    global _worker_flags
    _worker_flags = flags
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


class StopFlag:
    """Tells the tasks given it to stop: set here, read by the tasks wherever they run.

    In this process (Serial, or any executor that runs tasks here) it is a threading.Event. Sent to
    a `Processes` worker it reads its slot of the pool's shared memory, written by `set()`: one
    read, cheap enough to look at every 1% of a run. A slot holds the identity of the last flag set
    there, so a flag is set only if it was set itself (flag n + STOP_SLOTS, set, takes the slot
    over: by then flag n's tasks have long stopped). Anywhere else (a Dask worker) it is never set:
    a task running there finishes.
    """

    __slots__ = ("_event", "_flags", "_slot", "_identity")

    def __init__(self, flags: Any = None) -> None:
        self._event = threading.Event()
        self._flags = flags
        self._identity = next(_identities)
        self._slot = self._identity % STOP_SLOTS

    def set(self) -> None:
        self._event.set()
        if self._flags is not None:
            self._flags[self._slot] = self._identity

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self, *_: object) -> None:
        """Raise `Cancelled` if set (as a run's `progress` callback: it is told the fraction done)."""
        if self.is_set():
            raise Cancelled("stopped: no one wants this task's result any more")

    def __reduce__(self) -> tuple[Any, tuple[int, int]]:
        shared = self._flags is not None
        return _SentFlag, (self._slot if shared else -1, self._identity)


class _SentFlag(StopFlag):
    """A StopFlag in another process: set if its pool's shared flags say so (never without them)."""

    def __init__(self, slot: int, identity: int) -> None:  # no Event, no array: it is set elsewhere
        self._slot, self._identity = slot, identity

    def set(self) -> None:
        raise RuntimeError("a StopFlag is set by whoever submitted the tasks, not by a task")

    def is_set(self) -> bool:
        flags = _worker_flags
        return self._slot >= 0 and flags is not None and flags[self._slot] == self._identity

    def __reduce__(self) -> tuple[Any, tuple[int, int]]:
        return _SentFlag, (self._slot, self._identity)


def stop_flag(executor: Executor) -> StopFlag:
    """A flag that stops `executor`'s running tasks given it: `executor.stop_flag()` if it has
    one (`Processes`), else one read in this process (enough for executors that run tasks here)."""
    make = getattr(executor, "stop_flag", None)
    return make() if callable(make) else StopFlag()


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

    Its workers share an array of flags with this process (given them as they start), so that a
    `StopFlag` from `stop_flag()` reaches a task already running in one of them.

    `start_method` is multiprocessing's: the platform's default ("fork" on Linux: quickest), or
    "forkserver" for a process that serves the network (the app): a forked worker would inherit
    the server's open sockets and hold the browser's connections open after the server closed them.
    `niceness` > 0 gives the workers a lower CPU priority than this process (the app: its web
    server and the planner's browser come first; idle cores still go to the workers).
    """

    name = "processes"

    def __init__(self, workers: int | None = None, start_method: str | None = None, niceness: int = 0) -> None:
        if niceness < 0:
            raise ValueError(f"niceness: {niceness} is below 0 (a worker can only step back)")
        self._workers = workers or available_cores()
        self._start_method = start_method
        self._niceness = niceness
        self._pool: cf.ProcessPoolExecutor | None = None
        self._flags: Any = None

    @property
    def workers(self) -> int:
        return self._workers

    def _shared_flags(self) -> Any:
        if self._flags is None:  # one array for every pool this object starts (a pool restarted after close)
            self._flags = multiprocessing.get_context(self._start_method).RawArray("q", STOP_SLOTS)
        return self._flags

    def stop_flag(self) -> StopFlag:
        """A flag that stops the tasks given it, even those already running in a worker."""
        return StopFlag(self._shared_flags())

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        if self._pool is None:
            context = multiprocessing.get_context(self._start_method)
            if self._start_method == "forkserver":
                context.set_forkserver_preload(["flowsim.interactive"])  # imported once, not per worker
            self._pool = cf.ProcessPoolExecutor(max_workers=self._workers, mp_context=context,
                                                initializer=_start_worker,
                                                initargs=(self._shared_flags(), self._niceness))
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

    A `StopFlag` does not reach its workers (no shared memory across machines): a task already
    running there finishes, and only the ones not yet started are cancelled.

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
