"""Replications of the Hanoi scenario: serial, a local process pool, and a local Dask cluster.

    python benchmarks/bench_experiments.py                    # 8 replications, 2 workers, 3 rounds
    python benchmarks/bench_experiments.py --replications 16 --workers 4 --repeat 5

Targets (issue 4), on a 2-core machine: 2 processes >= 1.8x faster than serial; a local Dask
cluster within 1.2x of the process pool. Every executor must give identical numbers, which is
checked here too.

Times are wall-clock seconds of the whole `replicate` call. "cold" includes starting the pool
or cluster (what `flowsim run --executor dask` costs); "running" is a Dask cluster already up
with its workers warmed by a one-day run, as when connecting to a long-lived one with
--scheduler. The executors are timed in interleaved rounds and the best round is reported
(with the median): on a shared virtual machine, a neighbour's load can double one round. Each
round also times a pure-Python busy loop on 1 and on `workers` processes: its speed-up is the
ceiling the machine offered at that moment.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import statistics
import time
from collections.abc import Callable

import pandas as pd

import flowsim
from flowsim.executors import Dask, available_cores, local_cluster


def busy(n: int = 5_000_000) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def ceiling(workers: int) -> float:
    """Speed-up of `workers` processes over one on CPU-bound pure Python, right now."""
    start = time.perf_counter()
    for _ in range(workers):
        busy()
    one = time.perf_counter() - start
    with cf.ProcessPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(busy, [5_000_000] * workers))
        many = time.perf_counter() - start
    return one / many


def timed(scenario: flowsim.Scenario, replications: int, **kwargs) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    result = flowsim.replicate(scenario, replications, **kwargs)
    return time.perf_counter() - start, result.table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the best is reported")
    p.add_argument("--days", type=float, default=None, help="horizon (default: the scenario's, 90 days)")
    args = p.parse_args()
    scenario = flowsim.load_scenario(overrides={"horizon_days": args.days} if args.days else None)
    r, w = args.replications, args.workers
    print(f"{scenario.name}, {scenario.horizon_days:g} days: {r} replications, {w} workers "
          f"({available_cores()} cores available), best of {args.repeat} rounds")

    cluster = local_cluster(w)
    running = Dask(scheduler=cluster.scheduler_address)
    flowsim.replicate(flowsim.variant(scenario, {"horizon_days": 1}), w, executor=running)  # workers import flowsim

    runs: dict[str, Callable[[], tuple[float, pd.DataFrame]]] = {
        "serial": lambda: timed(scenario, r, executor="serial"),
        f"processes ({w}), cold": lambda: timed(scenario, r, executor="processes", workers=w),
        f"dask local cluster ({w}), cold": lambda: timed(scenario, r, executor="dask", workers=w),
        f"dask local cluster ({w}), running": lambda: timed(scenario, r, executor=running),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    ceilings = []
    reference = None
    try:
        for round_ in range(args.repeat):
            ceilings.append(ceiling(w))
            print(f"  round {round_ + 1}  CPU ceiling: {w} processes are {ceilings[-1]:.2f}x one", flush=True)
            for name, run in runs.items():
                s, table = run()
                seconds[name].append(s)
                reference = table if reference is None else reference
                pd.testing.assert_frame_equal(reference, table, check_exact=True)
                print(f"  round {round_ + 1}  {name:<34} {s:6.2f} s", flush=True)
    finally:
        running.close()
        cluster.close()

    best = {name: min(s) for name, s in seconds.items()}
    print("\nexecutor                             best s   median s")
    for name, s in seconds.items():
        print(f"  {name:<34} {min(s):6.2f}   {statistics.median(s):6.2f}")
    serial, pool = best["serial"], best[f"processes ({w}), cold"]
    print("identical numbers on every executor: yes")
    print(f"machine ceiling (busy loop, {w} processes vs 1): best {max(ceilings):.2f}x, "
          f"median {statistics.median(ceilings):.2f}x")
    print(f"speed-up, processes vs serial:      {serial / pool:.2f}x   (target >= 1.8x)")
    print(f"dask / processes, cold start:       {best[f'dask local cluster ({w}), cold'] / pool:.2f}x   (target <= 1.2x)")
    print(f"dask / processes, cluster running:  {best[f'dask local cluster ({w}), running'] / pool:.2f}x")


if __name__ == "__main__":
    main()
