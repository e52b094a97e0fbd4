"""Where the planner's first result and a slider change spend their time (Hanoi, 2 replications).

    python benchmarks/bench_app.py            # about a minute on 2 cores
    python benchmarks/bench_app.py --moving-on # 7. only: about a minute
    python -m pytest tests/test_browser.py -s  # the same, seen from a real browser (out/browser/timings.json)

Every part is timed in this process and given as a ratio to the baseline, one serial Hanoi run
(`flowsim.run`) timed here first: the ratios hold across machines and load, the seconds do not.

1. imports: what a page's first script run imports (flowsim.app: Streamlit, pandas, Altair, matplotlib);
2. pool: starting the two worker processes (fork server) and warming them;
3. look: replication 0 in full and replication 1's key figures on the warm pool (all of a slider
   change that misses the cache, as the page waited before issue 15's speed work);
3a. first numbers: the same in the background (`Looking`), until replication 0 is done: what the
   page now waits for before it draws the simulation's numbers (the others stream in after);
4. page: one script run of the app with its results cached (AppTest: widgets, headline, tables,
   charts) — what every click costs on top of the simulation;
5. prepared: the page's first script run when `flowsim app` has prepared it at server start
   (pool warm, the opening setting simulated): what the planner waits for at first;
6. estimate: the shipped emulator's answer to a new setting of its levers (what the cards show
   while the simulation confirms);
7. moving on (`--moving-on`): the planner moves a lever while the previous setting's replications
   hold both workers (replications 1 and 2 of 3, moved on at three moments of them): how soon a
   worker is free, and how long the new setting's replication 0 takes from the move; then two
   quick moves (a setting every 0.5 s, each running its replication 0): the last one's replication
   0. Before a running replication could be stopped, each of these waited for the old ones to end.
   Also the longest stretch a serial run goes without looking at its stop flag (its stop latency).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import flowsim


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def imports() -> float:
    code = "import time; t = time.perf_counter(); import flowsim.app; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    scenario = flowsim.load_scenario("hanoi")
    flowsim.run(scenario, seed=1)  # imports and caches of the model, untimed
    cpu = time.process_time()
    baseline = timed(lambda: flowsim.run(scenario, seed=2))
    cpu = time.process_time() - cpu  # what the run costs a core, whatever the load: its time on an idle machine
    rows = [("baseline: one Hanoi run, serial", baseline)]
    rows.append(("1. imports of the app (fresh process)", imports()))

    from flowsim.executors import Processes
    from flowsim.interactive import Looking, look, warm

    pool: Processes | None = None

    def start() -> None:
        nonlocal pool
        pool = Processes(start_method="forkserver")
        warm(pool)

    rows.append(("2. pool start and warm-up", timed(start)))
    assert pool is not None
    rows.append(("3. look: 2 replications on the warm pool (cache miss)", timed(lambda: look(scenario, 2, 7, pool))))
    job: list[Looking] = []
    rows.append(("3a. first numbers: replication 0 of 2, in the background",
                 timed(lambda: job.append(Looking(scenario, 2, 8, pool)) or job[0].wait(first=True))))
    job[0].wait()
    pool.close()

    os.environ["FLOWSIM_APP_SCENARIO"] = "hanoi"
    from streamlit.testing.v1 import AppTest

    from flowsim import app as app_module

    at = AppTest.from_file(str(app_module.__file__).replace("app.py", "streamlit_app.py"), default_timeout=300)
    prepare = timed(lambda: app_module.prepare("hanoi"))
    rows.append(("   prepare at server start (pool, opening setting)", prepare))
    rows.append(("5. first page, prepared (AppTest script run)", timed(at.run)))
    rows.append(("4. a page with its results cached (AppTest rerun)", timed(at.run)))
    from importlib import resources

    import pandas as pd

    from flowsim import emulator

    shipped = resources.files("flowsim") / "_emulators" / "hanoi.pkl"
    if shipped.is_file():
        emu = emulator.load(Path(str(shipped)))
        point = pd.DataFrame([{"arrivals.rate_per_day": 2600.0, "capacity_scale.oxygen_beds": 0.9,
                               "capacity_scale.icu_beds": 1.2}])
        emu.predict(point)
        rows.append(("6. emulator estimate of a new setting (shipped)", timed(lambda: emu.predict(point))))
    report(rows, baseline, f"the baseline run used {cpu:.2f} CPU-seconds; ")


def moving_on() -> None:
    """7.: the new setting's wait when the previous one's replications were running (see above)."""
    from flowsim.executors import Processes
    from flowsim.interactive import Looking, warm

    scenario = flowsim.load_scenario("hanoi")
    flowsim.run(scenario, seed=1)
    looks = [time.perf_counter()]  # the run's start, then every look at the flag (every call of its progress)
    baseline = timed(lambda: flowsim.run(scenario, seed=2, progress=lambda _: looks.append(time.perf_counter())))
    rows = [("baseline: one Hanoi run, serial", baseline),
            ("   its longest stretch without a look at the stop flag", max(b - a for a, b in pairwise(looks)))]
    with Processes(2, start_method="forkserver") as pool:
        warm(pool)
        Looking(scenario, 2, 3, pool, alongside=1).wait()  # both workers have run Hanoi, as the app's prepare does
        rows.append(("replication 0 on the idle pool", timed(lambda: Looking(scenario, 1, 4, pool).wait(first=True))))

        def settled() -> None:  # nothing left running from the last trial (before: the old ones finish)
            list(pool.map_unordered(abs, [0, 0]))
            time.sleep(3.0)

        for trial, offset in enumerate((0.3, 1.0, 1.8)):
            settled()
            old = Looking(scenario, 3, 10 + trial, pool)  # after replication 0, replications 1 and 2 hold both workers
            old.wait(first=True)
            time.sleep(offset)
            moved = time.perf_counter()
            old.cancel()
            list(pool.map_unordered(abs, [0]))  # reaches a worker as soon as one is free
            free = time.perf_counter() - moved
            new = Looking(scenario, 3, 20 + trial, pool)
            new.wait(first=True)
            first = time.perf_counter() - moved
            new.cancel()
            rows.append((f"7. moved on {offset:.1f} s into replications 1-2: a worker free", free))
            rows.append(("   ... the new setting's replication 0, from the move", first))
        settled()
        jobs: list[Looking] = []
        for seed in (30, 31, 32):  # three settings 0.5 s apart, 2 replications each (the app's default)
            if jobs:
                time.sleep(0.5)
                jobs[-1].cancel()
            jobs.append(Looking(scenario, 2, seed, pool))
        rows.append(("7. two quick moves: the last setting's replication 0", timed(lambda: jobs[-1].wait(first=True))))
        jobs[-1].cancel()
    report(rows, baseline)


def report(rows: list[tuple[str, float]], baseline: float, note: str = "") -> None:
    width = max(len(r[0]) for r in rows)
    print(f"{'part':<{width}}  seconds  × baseline")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}  {seconds / baseline:9.2f}")
    print(f"({note}load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moving-on", action="store_true", help="only 7.: a lever moved while replications run")
    moving_on() if parser.parse_args().moving_on else main()
