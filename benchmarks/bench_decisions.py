"""Wall time of the decision tools on Hanoi: `bottlenecks --by facility`, `frontier`, `optimise`.

    python benchmarks/bench_decisions.py                 # --quick settings, 2 worker processes
    python benchmarks/bench_decisions.py --defaults      # the tools' defaults too (about half an hour)
    python benchmarks/bench_decisions.py --executor dask # on a local Dask cluster

Targets (issue 12), on 2 cores: each tool at its defaults within 15 minutes, with --quick within
2 minutes. Beside each wall time: the simulations it ran, simulations per second, and the ratio
of its wall time to what its simulations cost run one after another in this process at the speed
of a baseline Hanoi run timed first (the tool's overhead and its parallel speed-up in one
number: 1/workers is perfect, 1 means no gain from the workers).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import flowsim
from flowsim.cli_decisions import QUICK_FRONTIER_REPLICATIONS, QUICK_FRONTIER_RTOL, QUICK_OPTIMISE, QUICK_UNITS
from flowsim.frontier import frontier
from flowsim.optimise import optimise
from flowsim.unit_bottlenecks import unit_bottlenecks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--executor", default="processes", choices=("processes", "dask"))
    p.add_argument("--defaults", action="store_true", help="also time each tool at its defaults")
    p.add_argument("--only", choices=("units", "frontier", "optimise"), help="time only this tool")
    p.add_argument("--skip-quick", action="store_true", help="with --defaults: the defaults only")
    args = p.parse_args()
    scenario = flowsim.load_scenario()
    start = time.perf_counter()
    flowsim.run(scenario, seed=1)
    baseline = time.perf_counter() - start
    print(f"baseline: one Hanoi run ({scenario.horizon_days:g} days) takes {baseline:.2f} s in this process")
    ex = {"executor": args.executor, "workers": args.workers}
    settings = ([] if args.skip_quick and args.defaults else [("quick", True)]) + (
        [("defaults", False)] if args.defaults else [])
    rows = []
    for name, quick in settings:
        tools = {
            "units": lambda q, out: unit_bottlenecks(
                scenario, QUICK_UNITS["replications"] if q else 10, confirm=QUICK_UNITS["confirm"] if q else 8,
                store=out, **ex).simulations,
            "frontier": lambda q, out: frontier(
                scenario, replications=QUICK_FRONTIER_REPLICATIONS if q else 10,
                rtol=QUICK_FRONTIER_RTOL if q else 0.01, store=out, **ex).simulations,
            "optimise": lambda q, out: optimise(
                scenario, replications=QUICK_OPTIMISE["replications"] if q else 10,
                trials=QUICK_OPTIMISE["trials"] if q else 40, confirm=QUICK_OPTIMISE["confirm"] if q else 3,
                store=out, **ex).simulations,
        }
        for tool, fn in tools.items():
            if args.only and tool != args.only:
                continue
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                sims = fn(quick, out)
                wall = time.perf_counter() - start
            rows.append((tool, name, wall, sims))
            print(f"{tool:>9} {name:>8}: {wall:7.1f} s wall, {sims:4d} simulations, {sims / wall:5.2f} sim/s, "
                  f"wall / serial cost {wall / (sims * baseline):.2f} ({args.executor} × {args.workers})", flush=True)


if __name__ == "__main__":
    main()
