"""What an interactive front end needs from one setting of the levers, as fast as two cores allow.

Replication 0 runs in full (its per-ward tables feed maps and heatmaps) and replications 1..R-1
send back only their key figures, all on the executor's workers, so the front end's own process
(a web server) stays free to answer the browser. Together they give the same table and intervals
as `replicate` (replication i is the same run wherever it runs).

`look` waits for all of them; `Looking` runs them in the background and shows what has finished
at any moment: a page can draw replication 0 as soon as it is done, and the others' figures (the
range, then the interval) as they come in, while the planner keeps moving levers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from . import initial
from .config import Scenario
from .executors import Cancelled, Executor, StopFlag, stop_flag
from .intervals import figure_columns, intervals
from .posterior import Posterior
from .replications import Design, Task, scenario_for, simulate
from .simulation import RunResult, run
from .streams import Streams


@dataclass
class Look:
    detail: RunResult
    """Replication 0, with every table."""
    table: pd.DataFrame
    """One row per replication: replication, seed, then every key figure."""
    intervals: pd.DataFrame | None
    """95% interval per key figure (None for a single replication)."""


def _work(task: Task, stop: StopFlag | None = None) -> RunResult | dict:
    """Replication 0 in full, the others as compact records (runs in a worker). With `stop`, it
    raises `Cancelled` once that is set: at the start (a task queued before the cancel) and
    every ~1% of the run (see `simulation.run`'s `progress`), never changing its numbers."""
    check = None if stop is None else stop.check
    if check is not None:
        check()
    if task.replication == 0:
        return run(scenario_for(task), seed=task.seed, replication=0, progress=check)
    return simulate(task, progress=check)


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

    def stop_flag(self) -> StopFlag:
        """The wrapped executor's (see `executors.stop_flag`)."""
        return stop_flag(self._executor)

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
    return _assembled(detail, [r for r in results if isinstance(r, dict)])


def _assembled(detail: RunResult, records: Sequence[dict]) -> Look:
    """Replication 0 and the others' records (in any order) as one Look, replications in order."""
    ordered = sorted(records, key=lambda r: r["replication"])
    table = pd.DataFrame([detail.summary] + [r["summary"] for r in ordered])
    ci = intervals(table, figures=figure_columns(table)) if len(table) > 1 else None
    return Look(detail, table, ci)


class Looking:
    """`look` run in the background (a thread feeding the executor's workers): `now()` is what
    has finished so far, as a Look, from the moment replication 0 is done; once every replication
    is in, the same Look as `look` gives. `cancel()` (the planner has moved on) drops the
    replications not yet started and stops the ones running, within about 1% of a run, so their
    workers are free for the next setting at once (on a `Processes` pool or in this process; on
    Dask the running ones finish). A stopped replication leaves nothing: only the replications
    that finished are kept, and `now()` shows them. Pages that share one Looking (the app's
    sessions share a setting's) each `follow()` it and `leave()` it when they move on: the last
    to leave cancels it, so one planner moving on does not stop what another is waiting for.

    Replication 0 runs first, beside only `alongside` others (default: all workers but two), and
    the rest start when it is done: it is what the page draws first, and on a loaded two-core
    machine a second replication beside it doubled its time (measured: 3.0 s alone, 6.1 s with
    replication 1 beside it, at load 4); one core stays with the web server and the browser.
    With `hold`, the rest wait up to that many seconds more for `release()`: a page releases them
    once it has drawn replication 0, which they would otherwise slow down.
    """

    def __init__(self, scenario: Scenario, replications: int, seed: int, executor: Executor,
                 posterior: Posterior | None = None, alongside: int | None = None, hold: float = 0.0) -> None:
        design = Design("look", (scenario,), (scenario.name,), seed, posterior=posterior)
        self.total = max(replications, 1)
        tasks = [design.task(0, i) for i in range(self.total)]
        beside = max(executor.workers - 2, 0) if alongside is None else max(alongside, 0)
        self._batches = [tasks[:1 + beside], tasks[1 + beside:]]
        self._executor = executor
        self._stop = stop_flag(executor)
        self._lock = threading.Lock()
        self._detail: RunResult | None = None
        self._records: list[dict] = []
        self._snapshot: tuple[int, Look] | None = None
        self._first, self._finished, self._cancelled = threading.Event(), threading.Event(), threading.Event()
        self._hold, self._released = hold, threading.Event()
        self._followers = 0
        self.error: BaseException | None = None
        """What stopped the replications (a bad setting found by the model, a worker lost), if anything."""
        threading.Thread(target=self._run, name="flowsim-looking", daemon=True).start()

    def _run(self) -> None:
        try:
            for i, batch in enumerate(self._batches):
                if i and batch and self._hold:
                    self._released.wait(self._hold)
                if batch and not self._cancelled.is_set():
                    self._take(batch)
        except Exception as exc:  # noqa: BLE001 - kept for the page to say (raised again by now())
            self.error = exc
        finally:
            self._first.set()
            self._finished.set()

    def _take(self, batch: list[Task]) -> None:
        results = self._executor.map_unordered(partial(_work, stop=self._stop), batch)
        try:
            for result in results:
                with self._lock:
                    if isinstance(result, RunResult):
                        self._detail = result
                        self._first.set()
                    else:
                        self._records.append(result)
                if self._cancelled.is_set():
                    break
        except Cancelled:  # a replication stopped by cancel(): nothing to keep, nothing to say
            if not self._cancelled.is_set():
                raise
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # cancels the replications not yet started

    @property
    def done(self) -> int:
        """Replications finished so far."""
        with self._lock:
            return len(self._records) + (self._detail is not None)

    @property
    def finished(self) -> bool:
        """No replication is running any more (all done, or stopped by an error or cancel)."""
        return self._finished.is_set()

    @property
    def complete(self) -> bool:
        """Every replication is in: `now()` is `look`'s answer."""
        return self.finished and self.error is None and self.done == self.total

    @property
    def usable(self) -> bool:
        """Complete, or still running and not cancelled: worth waiting for (not failed, not
        cancelled short: a cancelled one still stopping will not complete)."""
        if self.error is not None:
            return False
        return self.done == self.total or not (self.finished or self._cancelled.is_set())

    def wait(self, timeout: float | None = None, first: bool = False) -> bool:
        """Wait up to `timeout` seconds for every replication (`first`: for replication 0 only);
        whether it came."""
        return (self._first if first else self._finished).wait(timeout)

    def cancel(self) -> None:
        """Drop the replications not yet started and stop the ones running (see the class)."""
        self._cancelled.set()  # first: a replication stopped by the flag is then known as cancelled
        self._stop.set()
        self._released.set()

    def follow(self) -> None:
        """A page waits for these replications (see `leave`)."""
        with self._lock:
            self._followers += 1

    def leave(self) -> None:
        """A page that followed them has moved on: cancel them if no other page follows them."""
        with self._lock:
            self._followers -= 1
            last = self._followers <= 0
        if last:
            self.cancel()

    def release(self) -> None:
        """Start the replications held back for replication 0 to be drawn (see `hold`)."""
        self._released.set()

    def now(self) -> Look | None:
        """What has finished, as a Look; None while replication 0 runs. Raises what stopped it."""
        if self.error is not None:
            raise self.error
        with self._lock:
            if self._detail is None:
                return None
            count = len(self._records)
            if self._snapshot is None or self._snapshot[0] != count:
                self._snapshot = (count, _assembled(self._detail, self._records))
            return self._snapshot[1]


def warm(executor: Executor) -> None:
    """Run a tiny scenario once on every worker, so that the first real setting does not pay the
    workers' first-use costs (lazy imports, caches): about 1.5 s on the Hanoi scenario."""
    from .config import load_scenario

    tiny = load_scenario("town", overrides={"horizon_days": 5})
    list(executor.map_unordered(_work, [Task(0, tiny, 1, i) for i in range(executor.workers)]))


def _censuses(job: tuple[Scenario, int, int]) -> None:
    """Draw the initial census of replications 0..n-1 of `scenario` with `seed` in this worker,
    where `initial.draw` remembers them."""
    scenario, seed, n = job
    for replication in range(n):
        initial.draw(scenario, Streams(seed, replication))


def remember_censuses(executor: Executor, scenario: Scenario, replications: int, seed: int) -> None:
    """Have every worker draw the setting's initial censuses ahead of the planner (0.2 s of a
    Hanoi run each): a later setting that shares them — a move of the daily-F0 slider, any lever
    but the beds and the clinical course — then finds its census remembered on whichever worker
    runs it, not only on the one that ran that replication of the opening setting."""
    list(executor.map_unordered(_censuses, [(scenario, seed, max(replications, 1))] * executor.workers))
