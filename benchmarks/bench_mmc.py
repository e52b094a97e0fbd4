"""flowsim's model overhead: one oxygen ward as M/M/c, against a bare SimPy M/M/c of the same size.

    python benchmarks/bench_mmc.py

Both run in this process, interleaved, best of `repeat`: flowsim with `configs/teaching/mmc.yaml`
(c = 10 beds, mean stay 5 days) and a textbook SimPy model — a source process drawing
exponential gaps, one process per patient that requests a `simpy.Resource`, records its wait and
holds the bed for an exponential stay. The ratio flowsim / bare is what flowsim's pathway,
logging and tables cost over the bare queue (target <= 1.5).
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import simpy

import flowsim
from flowsim import teaching


def bare_mmc(servers: int, rate: float, mean_stay: float, horizon: float, seed: int = 0) -> tuple[float, int]:
    """Seconds and patients for a bare SimPy M/M/c run to `horizon` days."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    beds = simpy.Resource(env, servers)
    waits: list[float] = []

    def patient(stay: float):
        arrived = env.now
        with beds.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(stay)

    def source():
        while True:
            yield env.timeout(rng.exponential(1 / rate))
            env.process(patient(rng.exponential(mean_stay)))

    gc.collect()
    start = time.perf_counter()
    env.process(source())
    env.run(until=horizon)
    return time.perf_counter() - start, len(waits)


def flowsim_mmc(scenario: flowsim.Scenario) -> tuple[float, int]:
    """Seconds (the whole `flowsim.run`, tables included) and patients."""
    gc.collect()
    start = time.perf_counter()
    result = flowsim.run(scenario, seed=1)
    return time.perf_counter() - start, int(result.summary["arrivals"])


def compare(load: float = 0.8, horizon: float = 40_000, repeat: int = 5) -> dict[str, float]:
    """Best-of-`repeat` seconds of each, interleaved so that both see the same machine."""
    scenario = teaching.load("mmc")
    servers = scenario.facilities[0].beds.tier2
    mean_stay = scenario.clinical.tier2_stay.mean
    rate = load * servers / mean_stay
    scenario = teaching.load("mmc", {"arrivals.rate_per_day": rate, "horizon_days": horizon})
    ours, bare = [], []
    for i in range(repeat):
        ours.append(flowsim_mmc(scenario))
        bare.append(bare_mmc(servers, rate, mean_stay, horizon, seed=i))
    (t_ours, n_ours), (t_bare, n_bare) = min(ours), min(bare)
    return {"load": load, "servers": servers, "patients": n_ours, "flowsim_s": t_ours, "bare_s": t_bare,
            "flowsim_per_s": n_ours / t_ours, "bare_per_s": n_bare / t_bare,
            "ratio": (t_ours / n_ours) / (t_bare / n_bare)}


def report(rows: list[dict[str, float]]) -> str:
    lines = ["flowsim M/M/c (configs/teaching/mmc.yaml) against a bare SimPy M/M/c, same c, λ, μ, horizon",
             f"  {'ρ':>5} {'patients':>9} {'flowsim s':>10} {'bare s':>8} {'flowsim/s':>11} {'bare/s':>9}  ratio (per patient)"]
    for r in rows:
        lines.append(f"  {r['load']:>5.2f} {r['patients']:>9,} {r['flowsim_s']:>10.2f} {r['bare_s']:>8.2f} "
                     f"{r['flowsim_per_s']:>11,.0f} {r['bare_per_s']:>9,.0f}  {r['ratio']:.2f}  (target <= 1.5)")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(report([compare(load, repeat=args.repeat) for load in (0.8, 0.95)]))


if __name__ == "__main__":
    main()
