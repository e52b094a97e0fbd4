"""Speed of this checkout against another revision, measured in the same run (interleaved).

    python benchmarks/compare_revisions.py BASE_CHECKOUT [--repeat 5] [--only slider]

BASE_CHECKOUT is a directory holding another revision's `flowsim/` (e.g. `git worktree add
--detach /tmp/base <commit>`). Each workload runs in a fresh subprocess per revision, alternating
base, this, base, this...; the figure is the ratio of the medians (this / base; < 1 is faster).
Times are the process's CPU seconds (best of two runs after a warm-up), which a busy machine
disturbs far less than wall time; on an idle machine the two agree.
Workloads: the Hanoi headline run (3,000 F0/day, 90 days), the app's slider (Hanoi as shipped,
each timed run at another daily-F0 rate, as a planner moving it would have), the single-pool
M/M/c, and the town with ambulances (many transfers, the named records' hot path).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

WORKLOADS = {  # each a list: the first warms, the others are timed
    "hanoi 3,000/day x 90 d": "3 * [load(ROOT / 'configs/hanoi.yaml', {'arrivals.rate_per_day': 3000, 'horizon_days': 90})]",
    "hanoi slider (2,270+/day)": "[load(ROOT / 'configs/hanoi.yaml', {'arrivals.rate_per_day': r}) for r in (2270, 2320, 2370)]",
    "M/M/c (mmc.yaml)": "3 * [load(ROOT / 'configs/teaching/mmc.yaml')]",
    "town x 20 (ambulances)": "3 * [load(ROOT / 'configs/teaching/town.yaml', {'arrivals.rate_per_day': 500})]",
}
PROGRAM = """
import gc, sys, time, flowsim
from pathlib import Path
ROOT = Path(sys.argv[1])  # each revision reads its own configs (an installed flowsim may map another's)
load = flowsim.load_scenario
assert flowsim.__file__.startswith(sys.argv[1]), flowsim.__file__
first, *timed = {scenario}
flowsim.run(first, seed=1)  # warm: imports, caches
best = float("inf")
for scenario in timed:
    gc.collect()
    started = time.process_time()
    flowsim.run(scenario, seed=1)
    best = min(best, time.process_time() - started)
print(best)
"""


def seconds(checkout: Path, scenario: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", PROGRAM.format(scenario=scenario), str(checkout)],
                         env=env, capture_output=True, text=True, check=True, cwd=checkout)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path, help="a checkout of the revision to compare with")
    ap.add_argument("--repeat", type=int, default=5, help="subprocess pairs per workload (default 5)")
    ap.add_argument("--only", default="", help="only the workloads whose name contains this")
    args = ap.parse_args()
    base = args.base.resolve()
    print(f"this: {HERE}\nbase: {base}\n")
    print(f"  {'workload':<26} {'base cpu s':>10} {'this cpu s':>10} {'this/base':>10}")
    for name, scenario in WORKLOADS.items():
        if args.only not in name:
            continue
        b, t = [], []
        for _ in range(args.repeat):
            b.append(seconds(base, scenario))
            t.append(seconds(HERE, scenario))
        mb, mt = statistics.median(b), statistics.median(t)
        print(f"  {name:<26} {mb:>10.3f} {mt:>10.3f} {mt / mb:>10.3f}")


if __name__ == "__main__":
    main()
