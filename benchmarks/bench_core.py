"""Speed and memory of one Hanoi run, against the naive one-process-per-patient SimPy floor.

    python benchmarks/bench_core.py              # 3,000 F0/day, 90 days
    python benchmarks/run_all.py                 # the whole suite: this, the scaling grid, M/M/c overhead

The floor gives each of the run's patients one SimPy process with one timeout, in this process,
right before flowsim runs: the ratio flowsim / floor is what the design buys (target <= 1.0,
aim <= 0.3). Peak memory is measured with tracemalloc in a separate, untimed pass.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np
import simpy

import flowsim


def naive_floor(n: int, horizon: float, seed: int = 0) -> float:
    """Seconds for n patients, each one SimPy process with one timeout (its stay)."""
    rng = np.random.default_rng(seed)
    arrivals = np.sort(rng.uniform(0, horizon, n)).tolist()
    stays = rng.exponential(10.0, n).tolist()

    def patient(env: simpy.Environment, stay: float):
        yield env.timeout(stay)

    def source(env: simpy.Environment):
        for t, stay in zip(arrivals, stays, strict=False):
            yield env.timeout(t - env.now)
            env.process(patient(env, stay))

    gc.collect()
    start = time.perf_counter()
    env = simpy.Environment()
    env.process(source(env))
    env.run()
    return time.perf_counter() - start


def hanoi(rate: float, days: float) -> flowsim.Scenario:
    return flowsim.load_scenario(overrides={"arrivals.rate_per_day": rate, "horizon_days": days})


def timed_run(scenario: flowsim.Scenario, repeat: int = 1) -> tuple[float, int]:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        result = flowsim.run(scenario, seed=1)
        best = min(best, result.seconds)
    n = int(result.summary["arrivals"] + result.summary["initial_census"])
    return best, n


def peak_mb(scenario: flowsim.Scenario) -> float:
    """Peak memory of one run (MB), traced by tracemalloc (numpy arrays included), untimed."""
    gc.collect()
    tracemalloc.start()
    flowsim.run(scenario, seed=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def headline() -> None:
    scenario = hanoi(3000, 90)
    seconds, n = timed_run(scenario, repeat=3)
    floor = min(naive_floor(n, 90) for _ in range(2))
    print("Hanoi, 3,000 F0/day, 90 days, one replication, no per-patient records")
    print(f"  patients (arrivals + initial census): {n:,}")
    print(f"  flowsim:     {seconds:6.2f} s  {n / seconds:>10,.0f} patients/s")
    print(f"  naive floor: {floor:6.2f} s  {n / floor:>10,.0f} patients/s   (one SimPy process + timeout each)")
    print(f"  ratio flowsim / floor: {seconds / floor:.2f}   (target <= 1.0, aim <= 0.3)")
    print(f"  peak memory (tracemalloc): {peak_mb(scenario):.0f} MB   (target < 500 MB)")


def main() -> None:
    argparse.ArgumentParser(description="Hanoi at 3,000 F0/day for 90 days against the naive SimPy floor").parse_args()
    headline()


if __name__ == "__main__":
    main()
