"""Cost of the ambulance fleet: Hanoi at 3,000 F0/day for 90 days, with the fleet and with fixed
travel times, run interleaved in this process (best of N each). Target ratio <= 1.3.

    python benchmarks/bench_ambulances.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc

import flowsim


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    fleet = flowsim.load_scenario(overrides={"arrivals.rate_per_day": 3000})
    fixed = flowsim.load_scenario(overrides={"arrivals.rate_per_day": 3000, "ambulances": None})
    best = {"fleet": float("inf"), "fixed": float("inf")}
    for _ in range(args.repeat):
        for name, scenario in (("fleet", fleet), ("fixed", fixed)):
            gc.collect()
            result = flowsim.run(scenario, seed=1)
            best[name] = min(best[name], result.seconds)
            if name == "fleet":
                calls = result.summary["transfers"]
    print(f"Hanoi, 3,000 F0/day, 90 days, one replication (best of {args.repeat})")
    print(f"  fixed travel times: {best['fixed']:.2f} s")
    print(f"  ambulance fleet:    {best['fleet']:.2f} s  ({calls:,} transfers by road)")
    print(f"  ratio fleet / fixed: {best['fleet'] / best['fixed']:.2f}   (target <= 1.3)")


if __name__ == "__main__":
    main()
