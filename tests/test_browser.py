"""A real browser on the running app: Debian's Chromium, driven by Playwright.

Starts `flowsim app` (from a folder outside the checkout) on the built-in Hanoi scenario, waits
for what a planner sees (the key figures' numbers and the overview figure drawn), moves the
daily-F0 slider and waits for both to change, reloads the page, then saves a screenshot. The
times (first results; after a slider change that misses the cache: the emulator's estimate, the
simulation's first numbers and, from the server's log, how much of that its replication 0 took on
a worker, every replication in) are printed and written to `out/browser/timings.json`; the
README reports them. A slider move has two figures: when the simulation's numbers are painted
(`slider_change_s`), and when the charts and tables are redrawn too and the page is idle
(`slider_settled_s`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FLOWSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
OUT = ROOT / "out" / "browser"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="the browser test needs Debian's Chromium: apt-get install chromium (.ci/run does)"),
]
TIMEOUT_MS = 180_000  # first results take ≈ 10 s on an idle 2-core machine, up to ≈ 70 s under heavy load

# What the planner sees: every key-figure card holds a number, the overview's four interactive
# charts are drawn (each has its canvas or SVG), and nothing is still running.
SHOWN = """() => {
    const values = [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(e => e.innerText.trim());
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .filter(c => c.querySelector('canvas, svg'));
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    return values.length >= 4 && values.every(v => /[0-9]/.test(v)) && charts.length >= 4 && !running;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The processes `pid` started (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return kids


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _port_sockets(port: int) -> set[str]:
    """Socket inodes of TCP connections (or the listener) on `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if port in (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)):
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def _holds(pid: int, inodes: set[str]) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:
            continue
    return False

# Set before a slider move (given the cards' text before it; returns the page's clock): records in
# window.__flowsimPainted when the simulation's numbers were first painted, and in
# window.__flowsimEstimated when any new numbers were (the estimate's). A MutationObserver sees
# the cards change; the frame after that change (requestAnimationFrame, then a task) is when the
# browser has drawn them. Cards that still read "≈" are the estimate's, and the cards' old text
# (the previous setting's, shown for an instant once the estimate gives way) is not an answer.
PAINTED = """(text) => {
    window.__flowsimPainted = null;
    window.__flowsimEstimated = null;
    const cards = () => [...document.querySelectorAll('[data-testid="stMetric"]')].map(e => e.innerText);
    const paintedAt = (name) => requestAnimationFrame(() => setTimeout(() => { window[name] = performance.now(); }, 0));
    const observer = new MutationObserver(() => {
        const m = cards(), v = [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(e => e.innerText);
        const changed = m.length >= 4 && m.join(" | ") !== text;
        if (changed && window.__flowsimEstimated === null) {
            window.__flowsimEstimated = -1;  // the first new numbers (the estimate's, in the emulator's box)
            paintedAt("__flowsimEstimated");
        }
        if (changed && !v.some(x => x.includes("≈")) && v.every(x => /[0-9]/.test(x))) {
            observer.disconnect();
            paintedAt("__flowsimPainted");
        }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    return performance.now();
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FLOWSIM_APP_SCENARIO", "FLOWSIM_APP_PATIENCE")}
    env |= {"STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}  # an edit of the code mid-test must not show "File change"
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / "server.log", "w")  # noqa: SIM115 - closed when the server stops
    # From a folder that holds a folder named flowsim (as a clone's parent does), with the command a
    # planner types: that folder once stood in for the package (an editable install's package is
    # found after the working folder), and the page showed a traceback.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "flowsim").mkdir()
    console = Path(sys.executable).with_name("flowsim")
    launch = [str(console)] if console.exists() else [sys.executable, "-m", "flowsim"]
    proc = subprocess.Popen([*launch, "app", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("flowsim app did not start: " + (OUT / "server.log").read_text())
    yield f"http://127.0.0.1:{port}", proc, port
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _wait_shown(page, what: str) -> None:
    try:
        page.wait_for_function(SHOWN, timeout=TIMEOUT_MS)
    except Exception:
        page.screenshot(path=str(OUT / "failed.png"))
        raise AssertionError(f"{what}: the figures and numbers were not shown in {TIMEOUT_MS / 1000:g} s "
                             f"(screenshot {OUT / 'failed.png'})") from None


def _seen(page) -> str:
    """Every key-figure card's text."""
    return " | ".join(page.locator('[data-testid="stMetric"]').all_inner_texts())


def test_slider_changes_the_figures(server):
    url, proc, port = server
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # `flowsim app` prepares the first page as it starts; a planner opens it later than that.
        deadline, prepared = time.time() + TIMEOUT_MS / 1000, None
        while time.time() < deadline and prepared is None:
            found = re.search(r"first page prepared in ([0-9.]+) s", (OUT / "server.log").read_text())
            prepared = float(found.group(1)) if found else None
            time.sleep(0.2)
        assert prepared is not None, "flowsim app did not prepare the first page: " + (OUT / "server.log").read_text()
        start = time.perf_counter()
        page.goto(url)
        _wait_shown(page, "first visit")
        first_results = time.perf_counter() - start
        assert re.search(r"\d", page.locator('[data-testid="stMetricValue"]').first.inner_text())

        # The app's worker processes hold none of the server's sockets (a forked worker would keep
        # the browser's connections open after the server closed them: requests no one reads).
        below = [pid for s in _children(proc.pid) for pid in _descendants(s)]  # the pool, fork server, tracker
        assert len(below) >= 2
        holding = [pid for pid in below if _holds(pid, _port_sockets(port))]
        assert not holding, f"the app's worker processes {holding} hold the server's connections"

        before = _seen(page)
        slider = page.get_by_role("slider").first  # "New F0 per day", the first lever
        slider.focus()
        pressed = page.evaluate(PAINTED, before)  # the page's clock at the press
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")  # +50 F0/day: a setting never simulated, so the cache misses
        page.wait_for_function("() => window.__flowsimEstimated > 0", timeout=TIMEOUT_MS)  # the cards changed
        # the emulator's estimate (when the setting is in its box) painted, on the page's clock as the
        # simulation's numbers are: measured here, it also held Playwright's round trips (~0.1 s)
        first_answer = (page.evaluate("window.__flowsimEstimated") - pressed) / 1000
        page.wait_for_function("""(text) => {
            const v = [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(e => e.innerText);
            const m = [...document.querySelectorAll('[data-testid="stMetric"]')].map(e => e.innerText);
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                .filter(c => c.querySelector('canvas, svg'));
            return v.length >= 4 && m.join(" | ") !== text && !v.some(x => x.includes("≈"))
                && v.every(x => /[0-9]/.test(x)) && charts.length >= 4;
        }""", arg=before, timeout=TIMEOUT_MS)
        slider_settled = time.perf_counter() - start  # numbers and charts redrawn, and the page's thread free
        painted = page.evaluate("window.__flowsimPainted")
        assert painted is not None, "the simulated numbers were never painted"
        slider_change = (painted - pressed) / 1000  # the simulation's numbers on screen (replication 0's)
        simulated = re.findall(r"replication 0 simulated in ([0-9.]+) s", (OUT / "server.log").read_text())
        replication0 = float(simulated[-1]) if simulated else None  # of slider_change: the worker's part
        page.wait_for_function("""() => !document.querySelector('[data-testid="stProgress"]')""", timeout=TIMEOUT_MS)
        _wait_shown(page, "after moving the slider")
        every_replication = time.perf_counter() - start  # no progress line any more: every replication in
        page.screenshot(path=str(OUT / "app.png"), full_page=False)

        page.reload()  # a reload after the first runs is served too (once, half-open connections hung it)
        _wait_shown(page, "after a reload")

        # A bad upload: a daily-cases CSV with a word among the numbers gives its message, in the page.
        bad = OUT / "bad_cases.csv"
        bad.write_text("day,cases\n0,2000\n1,lots\n")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(1).set_input_files(str(bad))
        alert = page.get_by_text("Daily cases not used: bad_cases.csv: row 2: 'cases' is not a number").first
        try:
            alert.wait_for(timeout=TIMEOUT_MS)
        except Exception:
            page.screenshot(path=str(OUT / "failed.png"))
            raise
        assert page.locator('[data-testid="stException"]').count() == 0

        # The briefing report: a button writes it, then it downloads as one HTML page.
        page.get_by_role("button", name="Briefing report (HTML)").click()
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            page.get_by_role("button", name="Download report_en.html").click(timeout=TIMEOUT_MS)
        report = Path(download.value.path()).read_text(encoding="utf-8")
        assert report.startswith("<!DOCTYPE html>") and "Briefing: Hanoi" in report

        # The map: facilities on a chosen day; the day slider moves the colours and the caption.
        page.locator('[data-testid="stMain"] label').filter(has_text="Map").first.click()
        page.locator('[data-testid="stDeckGlJsonChart"]').first.wait_for(timeout=TIMEOUT_MS)
        caption = page.get_by_text(re.compile(r"^On day \d+, ")).first
        caption.wait_for(timeout=TIMEOUT_MS)
        before_day = caption.inner_text()
        day = page.locator('[data-testid="stSlider"]').filter(has_text="Day shown").get_by_role("slider").first
        day.focus()
        page.keyboard.press("End")
        page.wait_for_function(r"""(text) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
            .some(e => /^On day \d+, /.test(e.innerText) && e.innerText !== text)""", arg=before_day,
            timeout=TIMEOUT_MS)
        page.screenshot(path=str(OUT / "map.png"), full_page=False)
        # Play: from the last day it starts again at day 0 and steps by itself, on the cached tables
        # (only the map's part of the page reruns); Pause holds the day shown.
        page.get_by_role("button", name=re.compile("Play")).click()
        page.get_by_text(re.compile(r"^On day 1, ")).first.wait_for(timeout=TIMEOUT_MS)
        stepped = time.perf_counter()
        page.get_by_text(re.compile(r"^On day 4, ")).first.wait_for(timeout=TIMEOUT_MS)
        play_step = (time.perf_counter() - stepped) / 3  # seconds per day shown (1 s asked)
        page.get_by_role("button", name=re.compile("Pause")).click()
        page.get_by_role("button", name=re.compile("Play")).wait_for(timeout=TIMEOUT_MS)
        held = page.get_by_text(re.compile(r"^On day \d+, ")).first.inner_text()
        time.sleep(3 * play_step + 1)
        assert page.get_by_text(re.compile(r"^On day \d+, ")).first.inner_text() == held
        assert page.locator('[data-testid="stException"]').count() == 0
        page.locator('[data-testid="stMain"] label').filter(has_text="Overview").first.click()
        _wait_shown(page, "back on the Overview")

        # The language switch: the whole page in Vietnamese, the same results.
        switch = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Language")
        switch.locator("input").first.click()
        page.keyboard.type("Tiếng")
        page.keyboard.press("Enter")
        try:
            page.get_by_text("mạng lưới điều trị sẽ quá tải ở đâu?").wait_for(timeout=TIMEOUT_MS)
        except Exception:
            page.screenshot(path=str(OUT / "failed.png"))
            raise
        page.get_by_text("Tử vong (người)").first.wait_for(timeout=TIMEOUT_MS)  # the cards, in Vietnamese
        _wait_shown(page, "in Vietnamese")
        page.screenshot(path=str(OUT / "app_vi.png"), full_page=False)
        assert page.locator('[data-testid="stException"]').count() == 0
        # the levers keep their values across the switch, written the Vietnamese way (the daily F0 moved above)
        icu = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(has_text="(tầng 3)").first
        assert icu.locator('[data-testid="stSliderThumbValue"]').inner_text() == "1,00"
        # Streamlit's own words written over in Vietnamese: the multiselect's "Select all" option
        page.locator('[data-testid="stMain"] label').filter(has_text="Quét tham số").first.click()
        choose = page.locator('[data-testid="stMultiSelect"]').first
        choose.wait_for(timeout=TIMEOUT_MS)
        choose.locator("input").first.click()
        option = '[data-key="__select_all__"] [data-item-hl]'
        page.locator(option).first.wait_for(timeout=TIMEOUT_MS)
        assert page.evaluate("(s) => getComputedStyle(document.querySelector(s), '::after').content", option) \
            == '"Chọn tất cả"'
        page.keyboard.press("Escape")
        browser.close()
    timings = {"prepare_at_start_s": prepared, "slider_replication0_s": replication0,
               "first_results_s": round(first_results, 2),
               "slider_first_answer_s": round(first_answer, 2), "slider_change_s": round(slider_change, 2),
               "slider_settled_s": round(slider_settled, 2),
               "slider_every_replication_s": round(every_replication, 2), "map_play_step_s": round(play_step, 2),
               "load_average": round(os.getloadavg()[0], 1)}
    (OUT / "timings.json").write_text(json.dumps(timings))
    print(f"\nbrowser timings: {timings}; screenshot {OUT / 'app.png'}")
    assert (OUT / "app.png").stat().st_size > 10_000
