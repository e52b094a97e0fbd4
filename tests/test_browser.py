"""A real browser on the running app: Debian's Chromium, driven by Playwright.

Starts `streamlit run streamlit_app.py` on the built-in Hanoi scenario, waits for the first
results, moves the daily-F0 slider and waits for the figures to change, then saves a screenshot.
The two times (first results, a slider change that misses the cache) are printed and written to
`out/browser/timings.json`; the README reports them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = ROOT / "out" / "browser"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "FLOWSIM_APP_SCENARIO"}
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / "server.log", "w")  # noqa: SIM115 - closed when the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (OUT / "server.log").read_text())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _deaths_text(page) -> str:
    return page.locator('[data-testid="stMetric"]').first.inner_text()


def test_slider_changes_the_figures(server: str):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(server)
        try:
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=120_000)
        except Exception:
            page.screenshot(path=str(OUT / "failed.png"))
            raise
        first_results = time.perf_counter() - start
        before = _deaths_text(page)
        image_before = page.locator('[data-testid="stImage"] img').first.get_attribute("src")

        slider = page.get_by_role("slider").first  # "New F0 per day", the first lever
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")  # +50 F0/day: a setting never simulated, so the cache misses
        page.wait_for_function(
            """([text, src]) => {
                const m = document.querySelector('[data-testid="stMetric"]');
                const img = document.querySelector('[data-testid="stImage"] img');
                const running = document.querySelector('[data-testid="stStatusWidget"]');
                return m && img && m.innerText !== text && img.src !== src && !running;
            }""", arg=[before, image_before], timeout=120_000)
        slider_change = time.perf_counter() - start
        page.screenshot(path=str(OUT / "app.png"), full_page=False)

        # A bad upload: a daily-cases CSV with a word among the numbers gives its message, in the page.
        bad = OUT / "bad_cases.csv"
        bad.write_text("day,cases\n0,2000\n1,lots\n")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(1).set_input_files(str(bad))
        alert = page.get_by_text("Daily cases not used: bad_cases.csv: row 2: 'cases' is not a number")
        alert.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
    timings = {"first_results_s": round(first_results, 2), "slider_change_s": round(slider_change, 2)}
    (OUT / "timings.json").write_text(json.dumps(timings))
    print(f"\nbrowser timings: {timings}; screenshot {OUT / 'app.png'}")
    assert (OUT / "app.png").stat().st_size > 10_000
