"""The benchmark suite, one command:

    python benchmarks/run_all.py            # everything (a few minutes)
    python benchmarks/run_all.py --quick    # 30 and 90 days only, fewer repeats

1. Hanoi at 1,000 / 2,000 / 3,000 F0/day for 30 / 90 / 180 days: patients (arrivals + initial
   census) per second of a whole `flowsim.run`, and peak memory (tracemalloc, separate pass) —
   how cost grows with the work.
2. flowsim's single-pool M/M/c against a bare SimPy M/M/c of the same size, in this process
   (`bench_mmc.py`): the ratio is the model's overhead (target <= 1.5).
3. The headline run against the naive one-process-per-patient floor (`bench_core.py`).
"""

from __future__ import annotations

import argparse
import platform
import time

import bench_core
import bench_mmc
import simpy

import flowsim

RATES = (1000, 2000, 3000)
DAYS = (30, 90, 180)


def scaling(days: tuple[float, ...], repeat: int) -> str:
    lines = ["Hanoi scenario (configs/hanoi.yaml), one replication, no per-patient records",
             f"  {'F0/day':>7} {'days':>5} {'patients':>9} {'seconds':>8} {'patients/s':>11} {'peak MB':>8}"]
    for rate in RATES:
        for d in days:
            scenario = bench_core.hanoi(rate, d)
            seconds, n = bench_core.timed_run(scenario, repeat=repeat)
            lines.append(f"  {rate:>7,} {d:>5g} {n:>9,} {seconds:>8.2f} {n / seconds:>11,.0f} "
                         f"{bench_core.peak_mb(scenario):>8.0f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="flowsim benchmark suite")
    ap.add_argument("--quick", action="store_true", help="30 and 90 days only, fewer repeats")
    args = ap.parse_args()
    started = time.perf_counter()
    print(f"flowsim {flowsim.__version__} · simpy {simpy.__version__} · Python {platform.python_version()} · "
          f"{platform.machine()}\n")
    print(scaling(DAYS[:2] if args.quick else DAYS, repeat=1 if args.quick else 2))
    print()
    print(bench_mmc.report([bench_mmc.compare(load, repeat=3 if args.quick else 5) for load in (0.8, 0.95)]))
    print()
    bench_core.headline()
    print(f"\n(suite took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
