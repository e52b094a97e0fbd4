"""The background look (`flowsim.interactive.Looking`) on real executors: a cancelled setting's
running replication stops and frees its worker for the next setting; one not cancelled gives
`look`'s numbers, whatever the executor."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Iterator
from functools import partial

import pandas as pd
import pytest

import flowsim
from flowsim import interactive
from flowsim.executors import Cancelled, Processes, Serial, StopFlag
from flowsim.interactive import Looking, look
from flowsim.replications import Task


@pytest.fixture(scope="module")
def pool() -> Iterator[Processes]:
    """Two workers started by a fork server, as the app's pool is (its flags reach them otherwise
    than by a fork)."""
    with Processes(2, start_method="forkserver") as pool:
        list(pool.map_unordered(abs, [0, 0]))  # both workers started
        yield pool


def test_a_cancelled_setting_frees_its_worker_while_a_run_not_cancelled_goes_on(pool):
    """Two Hanoi runs hold both workers: the Looking's replication 0 and a twin with its own flag.
    Cancelling the Looking stops its run (a task submitted then gets its worker while the twin
    still runs), leaves nothing behind and says nothing; the twin stops only on its own flag."""
    hanoi = flowsim.load_scenario()
    twin_flag = pool.stop_flag()
    twin: list[object] = []

    def run_twin() -> None:
        try:
            twin.extend(pool.map_unordered(partial(interactive._work, stop=twin_flag), [Task(0, hanoi, 9, 1)]))
        except Cancelled as exc:
            twin.append(exc)

    threading.Thread(target=run_twin, daemon=True).start()
    job = Looking(hanoi, 2, 9, pool)
    time.sleep(0.5)  # both runs well under way (a Hanoi run takes seconds)
    assert not twin and job.done == 0
    job.cancel()
    assert not job.usable  # a setting being stopped is not worth waiting for
    list(pool.map_unordered(abs, [0]))  # runs as soon as a worker is free: without the stop, once a run has ended
    assert not twin and job.done == 0, "the new task waited for a run to end: the cancelled one did not stop"
    assert job.wait(10) and job.finished and not job.complete and not job.usable
    assert job.error is None and job.done == 0 and job.now() is None  # nothing kept, no error to show
    twin_flag.set()
    deadline = time.monotonic() + 10
    while not twin and time.monotonic() < deadline:
        time.sleep(0.01)
    assert twin and isinstance(twin[0], Cancelled)


def test_a_running_replication_in_this_process_stops_at_its_first_look_after_cancel(monkeypatch):
    """Serial: the flag is read in-process; the run stops at the next look at it (every ~1% of the
    run), not at its end, and the Looking keeps nothing of it."""
    seen: list[tuple[float, float]] = []
    real = interactive.run

    def spied(scenario, progress=None, **kwargs):  # noqa: ANN001, ANN202 - run's own signature
        def told(fraction: float) -> None:
            seen.append((time.monotonic(), fraction))
            progress(fraction)

        return real(scenario, progress=told, **kwargs)

    monkeypatch.setattr(interactive, "run", spied)
    job = Looking(flowsim.load_scenario(), 1, 9, Serial())
    time.sleep(0.3)
    moved = time.monotonic()
    job.cancel()
    assert job.wait(30) and job.error is None and job.done == 0 and job.now() is None and not job.usable
    after = [fraction for t, fraction in seen if t >= moved]
    assert after and len(after) <= 2, f"{len(after)} looks at the flag after the cancel"
    assert seen[-1][1] < 1.0  # it stopped before the end of the run (cancelled 0.3 s into a run of seconds)


def test_a_looking_not_cancelled_gives_looks_numbers_on_a_process_pool(pool):
    """The stop flag's looks change no number: the same table and intervals as `look` in this process."""
    scenario = flowsim.load_scenario("town", overrides={"horizon_days": 20})
    job = Looking(scenario, 3, 4, pool)
    assert job.wait(120) and job.complete and job.usable
    whole = look(scenario, 3, 4, Serial())
    pd.testing.assert_frame_equal(job.now().table, whole.table, check_exact=True)
    pd.testing.assert_frame_equal(job.now().intervals, whole.intervals, check_exact=True)
    pd.testing.assert_frame_equal(job.now().detail.timeseries, whole.detail.timeseries, check_exact=True)


def test_a_stop_flag_sent_elsewhere_is_set_only_through_its_pools_shared_flags(pool):
    """Pickled (to a Dask worker, say) a flag without shared flags is never set there: the task
    runs on; a pool's flag read outside its workers is not set either (no flags to read)."""
    local = StopFlag()
    local.set()
    assert local.is_set() and not pickle.loads(pickle.dumps(local)).is_set()
    shared = pool.stop_flag()
    shared.set()
    sent = pickle.loads(pickle.dumps(shared))
    assert not sent.is_set()  # this process is none of the pool's workers
    with pytest.raises(RuntimeError, match="set by whoever submitted"):
        sent.set()
    other = pool.stop_flag()  # flags of the same pool are independent
    assert not other.is_set()


@pytest.mark.slow
def test_a_looking_on_dask_gives_looks_numbers_and_cancels_without_error():
    """On Dask a running replication is not stopped (no shared memory), but nothing breaks."""
    pytest.importorskip("distributed")
    from flowsim.executors import Dask

    scenario = flowsim.load_scenario("town", overrides={"horizon_days": 20})
    with Dask(workers=2) as dask:
        job = Looking(scenario, 3, 4, dask)
        assert job.wait(120) and job.complete
        pd.testing.assert_frame_equal(job.now().table, look(scenario, 3, 4, Serial()).table, check_exact=True)
        cancelled = Looking(scenario, 3, 5, dask)
        cancelled.cancel()
        assert cancelled.wait(120) and cancelled.error is None and not cancelled.usable


def test_a_looking_two_pages_follow_is_stopped_only_when_both_have_left():
    """The app's sessions share a setting's replications: one planner moving on must not stop
    what another still waits for; the last to leave does."""
    job = Looking(flowsim.load_scenario(), 1, 9, Serial())
    job.follow()
    job.follow()
    job.leave()
    assert job.usable and not job.finished
    job.leave()
    assert not job.usable
    assert job.wait(30) and job.error is None and job.done == 0


def test_every_worker_remembers_the_opening_setting_s_censuses_for_the_next_settings(pool: Processes):
    # The app's opening setting ran replication 0 on one worker and 1 on the other; a slider move's
    # replication 0 may land on either. After remember_censuses both hold both censuses.
    from flowsim import initial

    town = flowsim.load_scenario("town", overrides={"horizon_days": 5})
    interactive.remember_censuses(pool, town, 2, 11)
    remembered = list(pool.map_unordered(_remembered_keys, [(11, 2)] * 8))
    assert all(found == [True, True] for found in remembered), remembered
    interactive.remember_censuses(Serial(), town, 2, 11)  # and in this process, for a serial executor
    busier = flowsim.load_scenario("town", overrides={"horizon_days": 5, "arrivals.rate_per_day": 90})
    key = (11, 1, busier.model_dump_json(include=set(initial.READS)))
    assert key in initial._drawn  # the busier setting's census is the one remembered


def _remembered_keys(job: tuple[int, int]) -> list[bool]:
    from flowsim import initial

    seed, n = job
    return [any(k[:2] == (seed, r) for k in initial._drawn) for r in range(n)]
