"""Same config and seed, same numbers: in this process, in a process pool, on a Dask cluster."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pandas as pd
import pytest

import flowsim
from flowsim.config import ConfigError
from flowsim.executors import Dask, ExecutorError, Processes, WorkerLost, local_cluster, make_executor
from flowsim.options import NAMES, RunKeywords, RunOptions

from .conftest import crowded


def _table(result: flowsim.Replications) -> pd.DataFrame:
    return result.table.reset_index(drop=True)


@pytest.mark.slow
def test_serial_processes_and_a_dask_cluster_give_identical_replications(tmp_path):
    pytest.importorskip("distributed")
    scenario = crowded()
    serial = flowsim.replicate(scenario, 6, executor="serial")
    with Processes(workers=2) as pool:
        processes = flowsim.replicate(scenario, 6, executor=pool)
        assert pool.workers == 2
    cluster = local_cluster(2)  # a real distributed.LocalCluster, reached by its address as a remote one is
    with cluster, Dask(scheduler=cluster.scheduler_address) as dask:
        assert dask.workers == 2
        on_dask = flowsim.replicate(scenario, 6, executor=dask, store=tmp_path / "dask")
        # a comparison's pairs survive the trip too
        comp = flowsim.compare([scenario, flowsim.variant(scenario, {"capacity_scale.icu_beds": 2})], 3,
                               executor=dask)
    pd.testing.assert_frame_equal(_table(serial), _table(processes), check_exact=True)
    pd.testing.assert_frame_equal(_table(serial), _table(on_dask), check_exact=True)
    pd.testing.assert_frame_equal(serial.pools, on_dask.pools, check_exact=True)
    local = flowsim.compare([scenario, flowsim.variant(scenario, {"capacity_scale.icu_beds": 2})], 3,
                            executor="serial")
    pd.testing.assert_frame_equal(comp.differences, local.differences, check_exact=True)
    # what the dask run saved reads back to the same numbers
    resumed = flowsim.replicate(scenario, 6, executor="serial", store=tmp_path / "dask", resume=True)
    assert resumed.ran == 0
    pd.testing.assert_frame_equal(_table(serial), _table(resumed), check_exact=True)


def test_processes_use_every_core_by_default():
    from flowsim.executors import available_cores

    assert make_executor("processes").workers == available_cores()
    assert make_executor("processes", workers=3).workers == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "threads"}, "executor threads: unknown executor (choose serial, processes, dask)"),
    ({"name": "processes", "workers": 0}, "workers 0: must be at least 1"),
    ({"name": "serial", "scheduler": "tcp://127.0.0.1:8786"}, "scheduler: only used with `executor` dask"),
    ({"name": "dask", "scheduler": "localhost"}, "scheduler localhost: expected an address like tcp://HOST:PORT"),
    ({"name": "dask", "scheduler": "tcp://host:port"}, "scheduler tcp://host:port: expected an address"),
])
def test_bad_executor_settings_are_one_clear_line(kwargs, message):
    with pytest.raises(ExecutorError) as info:
        make_executor(**kwargs)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"executor": "threads"}, ExecutorError, "executor threads: unknown executor"),
    ({"workers": 0}, ExecutorError, "workers 0: must be at least 1"),
    ({"workers": 10**6}, ExecutorError, "workers 1000000: must be a whole number from 1 to 1,024"),
    ({"executor": "processes", "scheduler": "tcp://h:1"}, ExecutorError, "scheduler: only used with `executor` dask"),
    ({"executor": Processes(2), "workers": 3}, ExecutorError, "workers: set on the executor object itself"),
    ({"resume": True}, ConfigError, "resume: needs a `store`"),
    ({"store": "x", "resume": True, "overwrite": True}, ConfigError, "resume: not with `overwrite=True`"),
    ({"max_memory_gb": 0}, ConfigError, "max_memory_gb 0: must be a number of GB above 0"),
])
def test_run_options_are_checked_once_before_anything_runs(kwargs, error, message):
    with pytest.raises(error) as info:
        RunOptions(**kwargs)
    assert str(info.value).startswith(message)
    with pytest.raises(error):  # the same check, given one by one to an entry point
        flowsim.replicate(crowded(), 2, **kwargs)


def test_run_options_as_an_object_or_as_keywords_give_the_same_replications(tmp_path: Path):
    assert set(RunKeywords.__annotations__) == set(NAMES), "the keywords are RunOptions' fields"
    by_keywords = flowsim.replicate(crowded(), 2, seed=4, executor="serial", store=tmp_path / "a")
    by_options = flowsim.replicate(crowded(), 2, seed=4, options=RunOptions(executor="serial", store=tmp_path / "b"))
    pd.testing.assert_frame_equal(_table(by_keywords), _table(by_options))
    assert by_options.store == tmp_path / "b"
    with pytest.raises(TypeError, match="unexpected keyword argument 'executer'"):
        flowsim.replicate(crowded(), 2, executer="serial")


@pytest.mark.slow
def test_an_unreachable_scheduler_is_reported_not_waited_on_forever():
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match=r"scheduler tcp://127.0.0.1:9: cannot connect"):
        make_executor("dask", scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)


def _dies_on_one(x: int) -> int:
    if x == 1:
        os._exit(1)  # a worker killed mid-replication (out of memory, kill -9)
    return x


def test_a_dead_worker_is_reported_not_hung_on():
    with Processes(workers=2) as pool, pytest.raises(WorkerLost, match="a worker process died"):
        list(pool.map_unordered(_dies_on_one, [0, 1, 2, 3]))


def _socket_inodes(_: object) -> set[str]:
    """The socket inodes this process holds open (runs in a worker)."""
    fds = Path("/proc/self/fd")
    links = (os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink())
    return {link for link in links if link.startswith("socket:")}


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux's /proc")
def test_a_forkserver_pool_does_not_hold_the_servers_sockets():
    """The app's pool: a forked worker keeps every socket its parent had open (a web server's
    listening socket and its browsers' connections), so a connection the server closes stays
    open; a pool started by a fork server holds none of them."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        mine = f"socket:[{os.fstat(listening.fileno()).st_ino}]"
        with Processes(workers=1, start_method="fork") as forked:
            assert mine in next(forked.map_unordered(_socket_inodes, [None]))
        with Processes(workers=1, start_method="forkserver") as served:
            assert mine not in next(served.map_unordered(_socket_inodes, [None]))


@pytest.mark.skipif(not hasattr(os, "nice"), reason="os.nice is POSIX")
def test_a_pool_can_run_its_workers_behind_this_process():
    """The app's workers step back (os.nice) so that its web server and the planner's browser
    come first on a busy machine."""
    here = os.nice(0)
    with Processes(workers=1, start_method="forkserver", niceness=5) as pool:
        assert next(pool.map_unordered(os.nice, [0])) == min(here + 5, 19)
    with Processes(workers=1) as pool:
        assert next(pool.map_unordered(os.nice, [0])) == here
    with pytest.raises(ValueError, match="niceness"):
        Processes(niceness=-1)
