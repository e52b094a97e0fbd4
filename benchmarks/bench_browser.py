"""A slider move seen from a real browser: when the emulator's estimate and the simulation's numbers
are painted, over several moves and several fresh servers.

    python benchmarks/bench_browser.py                        # 3 servers x 3 moves: about 2 minutes
    python benchmarks/bench_browser.py --base ../base        # interleaved against another revision

Each server is `flowsim app` on the built-in Hanoi scenario with its first page prepared, opened in
Debian's Chromium (1400x1000); the daily-F0 slider is moved `--moves` times, one step to a setting
never simulated, and every replication is awaited before the next move. Times are on the page's
clock, from the key press to the frame after the cards changed (the browser test's measure,
`tests/test_browser.PAINTED`). A planner's first move of a page pays what a page's first update
costs the browser and is reported apart from the later ones. With `--base BASE_CHECKOUT` (a
directory holding another revision's `flowsim/`, e.g. `git worktree add --detach ../base
<commit>`), servers alternate between that revision and this checkout, so that the machine's drift
hits both; the figures are medians and their ratio (this / base; < 1 is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests.test_browser import CHROMIUM, PAINTED, SHOWN, _free_port  # noqa: E402 - the test's own measure

OUT = HERE / "out" / "browser"
TIMEOUT_MS = 180_000


def _server(checkout: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`flowsim app` from `checkout`'s flowsim, started from a neutral folder; once its first page is prepared."""
    env = {k: v for k, v in os.environ.items() if k not in ("FLOWSIM_APP_SCENARIO", "FLOWSIM_APP_PATIENCE")}
    env |= {"PYTHONPATH": str(checkout), "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    found = subprocess.run([sys.executable, "-P", "-c", "import flowsim; print(flowsim.__file__)"], env=env,
                           cwd="/", capture_output=True, text=True, check=True).stdout.strip()
    if not found.startswith(str(checkout)):
        raise SystemExit(f"--base: {checkout} holds no flowsim/ (it imported {found})")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-P", "-m", "flowsim", "app", "--port", str(port), "--address", "127.0.0.1"],
                            cwd="/", env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + TIMEOUT_MS / 1000
    while "first page prepared" not in log.read_text():
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"flowsim app ({checkout}) did not prepare its first page: see {log}")
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}"


def moves(checkout: Path, count: int, browser) -> list[dict[str, float]]:
    """`count` slider moves on a fresh server: each move's estimate and simulated numbers (seconds)."""
    proc, url = _server(checkout, OUT / "bench_server.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_function(SHOWN, timeout=TIMEOUT_MS)
        time.sleep(2)  # a planner reads the first page before moving a lever
        seen = []
        for _ in range(count):
            before = " | ".join(page.locator('[data-testid="stMetric"]').all_inner_texts())
            page.get_by_role("slider").first.focus()  # "New F0 per day"
            pressed = page.evaluate(PAINTED, before)
            page.keyboard.press("ArrowRight")
            page.wait_for_function("() => window.__flowsimEstimated > 0 && window.__flowsimPainted > 0",
                                   timeout=TIMEOUT_MS)
            estimated, painted = page.evaluate("[window.__flowsimEstimated, window.__flowsimPainted]")
            seen.append({"estimate_s": (estimated - pressed) / 1000, "numbers_s": (painted - pressed) / 1000})
            page.wait_for_function("""() => !document.querySelector('[data-testid="stProgress"]')""",
                                   timeout=TIMEOUT_MS)
            page.wait_for_function(SHOWN, timeout=TIMEOUT_MS)
            time.sleep(1)
        page.close()
        return seen
    finally:
        proc.terminate()
        proc.wait(20)


def summary(runs: list[list[dict[str, float]]]) -> dict[str, float]:
    first, later = [r[0] for r in runs], [m for r in runs for m in r[1:]]
    out = {"first_move_estimate_s": statistics.median(m["estimate_s"] for m in first),
           "first_move_numbers_s": statistics.median(m["numbers_s"] for m in first)}
    if later:
        out |= {"later_moves_estimate_s": statistics.median(m["estimate_s"] for m in later),
                "later_moves_numbers_s": statistics.median(m["numbers_s"] for m in later)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=3, help="fresh servers (each revision's, with --base)")
    parser.add_argument("--moves", type=int, default=3, help="slider moves per server")
    parser.add_argument("--base", type=Path, help="another revision's checkout, interleaved with this one")
    args = parser.parse_args()
    if args.servers < 1 or args.moves < 1:
        parser.error("--servers and --moves must be at least 1")
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    checkouts = {"this": HERE} | ({"base": args.base.resolve()} if args.base else {})
    runs: dict[str, list] = {name: [] for name in checkouts}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for i in range(args.servers):
            for name in sorted(checkouts, reverse=i % 2 == 1):  # base, this, this, base, ...: neither always first
                runs[name].append(moves(checkouts[name], args.moves, browser))
                shown = ", ".join(f"{m['estimate_s']:.2f}/{m['numbers_s']:.2f}" for m in runs[name][-1])
                print(f"server {i + 1} ({name}): estimate/numbers per move {shown} s (load {os.getloadavg()[0]:.1f})",
                      flush=True)
        browser.close()
    result = {name: summary(r) for name, r in runs.items()} | {"moves": runs}
    print(f"\n{'median (s)':<26}" + "".join(f"{name:>10}" for name in checkouts) + ("  this/base" if args.base else ""))
    for key in result["this"]:
        row = [result[name][key] for name in checkouts]
        ratio = f"  {row[0] / row[1]:9.2f}" if args.base else ""
        print(f"{key:<26}" + "".join(f"{v:10.2f}" for v in row) + ratio)
    (OUT / "bench_browser.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
