"""Where the planner's first result and a slider change spend their time (Hanoi, 2 replications).

    python benchmarks/bench_app.py            # about a minute on 2 cores
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
   while the simulation confirms).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
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
    width = max(len(r[0]) for r in rows)
    print(f"{'part':<{width}}  seconds  × baseline")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}  {seconds / baseline:9.2f}")
    print(f"(the baseline run used {cpu:.2f} CPU-seconds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
