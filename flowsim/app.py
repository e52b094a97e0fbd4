"""flowsim for planners: move the levers, see where the network jams and what a change buys.

    flowsim app                      # installed (pip install 'flowsim[app]'): runs flowsim/streamlit_app.py
    streamlit run streamlit_app.py   # from a clone

This module only wires widgets to the flowsim API (levers → scenario → run / replicate / sweep /
compare / bottlenecks → tables → plots). No simulation logic lives here.
"""

from __future__ import annotations

import gc
import io
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

import altair as alt
import pandas as pd
import streamlit as st
import yaml

import flowsim
from flowsim import app_plan, charts, levers, teaching
from flowsim.ambulances import DISPATCH_RULES
from flowsim.app_language import KEY as LANG_KEY
from flowsim.app_language import page_lang
from flowsim.app_widgets import download_table, number_slider, show_chart, show_charts, spec
from flowsim.config import (
    BUILTIN_DIR,
    EPIDEMIC_PROFILES,
    CapacityScale,
    ConfigError,
    build,
    cases_from_table,
    parse_yaml,
    read_raw,
    to_yaml,
)
from flowsim.epidemic import arrivals_curve, estimate_rt
from flowsim.executors import Processes
from flowsim.experiments import unique_labels
from flowsim.headline import Headline, headline, sentence
from flowsim.i18n import (
    DEFAULT,
    LANGUAGES,
    bracket,
    count,
    error_words,
    figure_digits,
    figure_value,
    has,
    local_name,
    named,
    number,
    text,
)
from flowsim.interactive import Counted, Look, Looking, Progress, remember_censuses, warm
from flowsim.intervals import INTERVAL_MIN
from flowsim.limits import check_memory, unbedded_tiers
from flowsim.metrics import MINUTES_PER_DAY
from flowsim.posterior import Posterior
from flowsim.posterior import load as load_posterior
from flowsim.routing import ROUTING_RULES

SOURCES = {"hanoi": BUILTIN_DIR / "hanoi.yaml"}
SOURCES |= {p.stem: p for p in sorted((BUILTIN_DIR / "teaching").glob("*.yaml"))}
PAIRED_MIN = 4  # replications at least, for the paired experiments (bottlenecks, sweeps, comparisons)
VIEWS = ["overview", "bottlenecks", "sweep", "compare", "plan", "map", "teach"]
KEY_FIGURES = ["died", "died_waiting", "wait_tier2_p90", "wait_tier3_p90", "ambulance_response_p90",
               "peak_tier2", "peak_tier3", "full_days_icu"]
"""The cards of the Overview; their words are `figure.<name>` in flowsim/locales."""


def t(key: str, /, **values: Any) -> str:
    """The text of `key` in the language chosen in the sidebar (flowsim/locales/<lang>.yaml)."""
    return text(key, page_lang(), **values)


def num(value: float | None, digits: int = 0) -> str:
    return number(value, digits, page_lang())


def show_value(name: str, value: float) -> str:
    return figure_value(name, value, page_lang())


# -- cached work: everything keyed by the scenario's YAML text ------------------------------------

@st.cache_resource
def worker_pool() -> Processes:
    """One pool of worker processes for the whole app, started at once (it costs a second).

    Started by a fork server, not forked from this web server: a forked worker inherits the
    server's sockets, and holds the browser's connections open after the server has closed them
    (the browser then sends requests no one reads: grey placeholders, figures that never update).
    """
    pool = Processes(start_method="forkserver", niceness=WORKER_NICENESS)
    warm(pool)
    return pool


WORKER_NICENESS = 10
"""The workers' CPU priority below the server's (os.nice): replications 1.. start on both cores the
moment replication 0 is on the page, while the browser is still drawing it, and a long experiment's
replications share the cores with the page. Behind the page, a replication still has every core the
page leaves idle. Measured in the browser (9 slider moves each, interleaved, at 10 and at 0): the
numbers on screen 2.36 and 2.39 s (medians), the page settled 2.88 and 3.00 s, replication 0 1.97
and 2.03 s — no cost, and no gain beyond the noise on an otherwise idle machine."""


@st.cache_resource
def _results() -> dict[str, Any]:
    """Results of every setting simulated, for every session (the last RESULTS_KEPT of each kind),
    with one lock per setting so that two pages wanting it at once compute it once."""
    return {"lock": threading.Lock(), "items": OrderedDict(), "computing": {}, "levers": OrderedDict()}


RESULTS_KEPT = 32


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()`'s value for `key`, computed once. Not st.cache_data: a computation here may move
    a progress bar of the page that asked for it, which a cached function may not touch."""
    store = _results()
    with store["lock"]:
        if key in store["items"]:
            store["items"].move_to_end(key)
            return store["items"][key]
        mine = store["computing"].setdefault(key, threading.Lock())
    with mine:
        with store["lock"]:
            if key in store["items"]:
                return store["items"][key]
        value = compute()
        with store["lock"]:
            store["items"][key] = value
            store["computing"].pop(key, None)
            while len(store["items"]) > RESULTS_KEPT:
                store["items"].popitem(last=False)
    return value


def result_dict(found: Look) -> dict[str, Any]:
    """A Look as the views read it."""
    detail = found.detail
    return {
        "summary": found.table, "intervals": found.intervals,
        "timeseries": detail.timeseries, "resources": detail.resources, "occupancy": detail.occupancy,
        "transfers": detail.transfers, "waits": detail.waits, "seconds": detail.seconds,
        "queues": detail.queues, "home": detail.home,
    }


def simulation(yaml_text: str, replications: int, seed: int, posterior: bytes | None = None,
               alongside: int | None = None, scenario: flowsim.Scenario | None = None) -> Looking:
    """The setting's replications, running in the background on the worker pool: started once for
    every session that asks (a failed or cancelled one is started again). `alongside`: how many
    run beside replication 0 (default: Looking's, which keeps a core for the page). `scenario`:
    `yaml_text` already built (the page has it: reading the YAML again cost 0.05 s a move)."""
    key = ("look", yaml_text, replications, seed, posterior)
    store = _results()
    with store["lock"]:
        job = store["items"].get(key)
        if isinstance(job, Looking) and job.usable:
            store["items"].move_to_end(key)
            return job
    drawn = load_posterior(posterior, "the uploaded posterior") if posterior else None
    if scenario is None:
        scenario = build(parse_yaml(yaml_text))
    with store["lock"]:
        job = store["items"].get(key)
        if isinstance(job, Looking) and job.usable:
            return job
        job = Looking(scenario, replications, seed, worker_pool(), drawn, alongside=alongside, hold=HOLD_SECONDS)
        store["items"][key] = job
        store["items"].move_to_end(key)
        while len(store["items"]) > RESULTS_KEPT:
            store["items"].popitem(last=False)
    return job


def simulate(yaml_text: str, replications: int, seed: int, posterior: bytes | None = None) -> dict[str, Any]:
    """Every replication of the setting (waits for them): replication 0 in full, the others' figures."""
    job = simulation(yaml_text, replications, seed, posterior)
    job.release()
    job.wait()
    found = job.now()
    assert found is not None
    return result_dict(found)


PATIENCE_SECONDS = 0.25
"""How long a script run waits for the other replications once replication 0 is in, when it has
released them at once (a small scenario answers in one run, without flicker); a long replication 0
holds them back until the page has drawn it, and they stream in."""
FIRST_PATIENCE_SECONDS = 600.0
"""How long a script run waits for replication 0, looking every POLL_SECONDS: the page keeps what
it showed (greyed, every widget usable — a move stops the wait and starts the new setting), and the
browser draws nothing new meanwhile. Measured: Chromium took 0.9 of the two cores while a page drawn
again with the previous setting's charts polled, 0.3 while the page waited; the replication has the
rest. Past it the page is drawn without it (the previous setting's charts) and a fragment polls."""
HOLD_SECONDS = 3.0
"""Replications 1.. wait this long at most for the page to draw replication 0 (measured: its script
run took 1.3 s instead of 0.5 s with two replications starting beside it)."""
POLL_SECONDS = 0.5  # how often a drawn page looks at replications still running
LOOK_SECONDS = 0.2  # how often a waiting script run looks (and can be stopped by a lever's move)
STREAM_SECONDS = 1.5  # at most this often a page is drawn again while replications stream in


def patience(first: bool = False) -> float:
    """FIRST_PATIENCE_SECONDS for replication 0 (`first`), PATIENCE_SECONDS for the others;
    FLOWSIM_APP_PATIENCE sets both (AppTest, which runs no timers, waits for all)."""
    default = FIRST_PATIENCE_SECONDS if first else PATIENCE_SECONDS
    raw = os.environ.get("FLOWSIM_APP_PATIENCE")
    try:
        return max(float(raw), 0.0) if raw else default
    except ValueError:
        return default


QUICK_SECONDS = 0.5
"""A replication 0 this quick (a small scenario): the others are awaited in the same script run,
not held for the page to draw it (the hold only pays when a replication takes seconds)."""


def _quick(job: Looking) -> bool:
    try:
        first = job.now()
    except Exception:  # noqa: BLE001 - what stopped it is said where the page reads it
        return False
    return first is not None and first.detail.seconds < QUICK_SECONDS


def await_first(job: Looking, seconds: float) -> None:
    """Wait up to `seconds` for replication 0, saying how many replications are done. Each look
    updates the line, which is where Streamlit stops a script run a widget change has superseded."""
    if job.wait(min(seconds, PATIENCE_SECONDS), first=True) or seconds <= PATIENCE_SECONDS:
        return
    line = st.empty()
    deadline = time.monotonic() + seconds
    while not job.wait(LOOK_SECONDS, first=True) and time.monotonic() < deadline:
        line.progress(min(job.done / job.total, 1.0), text=t("msg.progress", done=job.done, total=job.total))
    line.empty()


def follow(job: Looking, found: Look | None) -> None:
    """While the setting's replications run: a progress line that looks at them every POLL_SECONDS
    (a fragment: the rest of the page stays as it is, every widget usable) and draws the page again
    when replication 0 is done, as others finish (at most every STREAM_SECONDS) and at the last."""
    shown = 0 if found is None else len(found.table)
    if job.finished and shown == job.done:
        return
    since = time.monotonic()

    def poll() -> None:
        done = job.done
        line = t("msg.progress", done=done, total=job.total)
        st.progress(min(done / job.total, 1.0), text=line + (" " + t("msg.streaming") if shown else ""))
        first = job.wait(0, first=True)
        if job.finished or (shown == 0 and first) or (done > shown and time.monotonic() - since >= STREAM_SECONDS):
            st.rerun()

    st.fragment(poll, run_every=POLL_SECONDS)()


def pool(total: int, progress: Progress | None) -> Any:
    """The worker pool, counting finished replications for a progress bar when one is given."""
    return Counted(worker_pool(), total, progress) if progress else worker_pool()


def run_bottlenecks(yaml_text: str, replications: int, seed: int, progress: Progress | None = None) -> pd.DataFrame:
    total = (1 + len(CapacityScale.model_fields)) * replications
    return remembered(("bottlenecks", yaml_text, replications, seed), lambda: flowsim.bottlenecks(
        build(parse_yaml(yaml_text)), 0.10, replications, seed, executor=pool(total, progress)).ranking)


def run_sweep(yaml_text: str, factors: tuple[tuple[str, tuple[float, ...]], ...], replications: int,
              seed: int, progress: Progress | None = None) -> pd.DataFrame:
    total = math.prod(len(points) for _, points in factors) * replications
    return remembered(("sweep", yaml_text, factors, replications, seed), lambda: flowsim.sweep(
        build(parse_yaml(yaml_text)), dict(factors), replications, seed, executor=pool(total, progress)).intervals)


def run_compare(named_yaml: tuple[tuple[str, str], ...], replications: int, seed: int,
                progress: Progress | None = None) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        scenarios = {name: build(parse_yaml(text)) for name, text in named_yaml}
        return flowsim.compare(scenarios, replications, seed,
                               executor=pool(len(scenarios) * replications, progress)).differences

    return remembered(("compare", named_yaml, replications, seed), compute)


def progress_bar() -> tuple[Any, Progress]:
    """A bar that fills as replications finish: 'Replications done: 12 of 28'."""
    bar = st.progress(0.0, text=t("msg.running"))

    def tell(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=t("msg.progress", done=done, total=total))

    return bar, tell


# -- helpers that only format -----------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def cached_specs(kind: str, table: pd.DataFrame, option: Any, lang: str) -> dict[str, dict]:
    """The specs of the Bottlenecks view's charts, built once per table and language."""
    if kind == "ranking":
        return {"": spec(charts.resource_ranking(table, lang))}
    if kind == "heatmap":
        return {"": spec(charts.occupancy_heatmap(table, option[0], option[1], lang))}
    raise ValueError(f"unknown chart {kind}")


def pick(widget: Any, label: str, options: list, key: str, words: Callable[[Any, str], str] | None = None,
         **kw: Any) -> Any:
    """A selectbox, radio or multiselect whose shown words follow the language while its choice
    stays: the browser keeps a widget's old option words while its key is unchanged, so the key
    carries the language, and the choice made under the other language is carried over.
    `words(option, language)`: an option's words, in this page's language whenever they are asked
    for (streamlit.testing asks outside the page's run)."""
    lang = page_lang()
    if words is not None:
        kw["format_func"] = lambda option: words(option, lang)
    own = f"{key}:{lang}"
    if own not in st.session_state:
        earlier = [st.session_state[f"{key}:{other}"] for other in LANGUAGES if f"{key}:{other}" in st.session_state]
        if earlier:
            value = earlier[0]
            if isinstance(value, list):
                kw["default"] = [v for v in value if v in options]
            elif value in options:
                kw["index"] = options.index(value)
    return widget(label, options, key=own, **kw)


# -- the scenario: source, levers, table -----------------------------------------------------------

@st.cache_data(show_spinner=False)
def builtin_data(stem: str) -> dict:
    """A built-in scenario's raw data (read once; every caller gets its own copy)."""
    return read_raw(SOURCES[stem])[0]


def source_name(stem: str, lang: str) -> str:
    """A built-in scenario's name in `lang` (its file's `name` if not translated)."""
    return text(f"source.{stem}", lang) if has(f"source.{stem}", lang) else str(read_raw(SOURCES[stem])[0].get("name", stem))


def source_data(problems: list[str]) -> tuple[str, dict]:
    """Raw data of the chosen (or uploaded) scenario. A rejected upload is said in the sidebar and,
    in `problems`, at the top of the main area, which then shows the chosen built-in scenario."""
    names = list(SOURCES)
    default = 0
    start = os.environ.get("FLOWSIM_APP_SCENARIO")  # tests start from a small scenario
    if start:
        match = [i for i, n in enumerate(names) if n == Path(start).stem]
        default = match[0] if match else 0
    st.sidebar.header(t("sidebar.scenario"))
    choice = pick(st.sidebar.selectbox, t("sidebar.start_from"), names, index=default, key="source",
                                  words=source_name, help=t("sidebar.start_from_help"))
    upload = st.sidebar.file_uploader(t("sidebar.upload_yaml"), type=["yaml", "yml"], key="upload_yaml",
                                      help=t("sidebar.upload_yaml_help"))
    if upload is not None:
        try:
            data = parse_yaml(upload.getvalue().decode("utf-8", errors="replace"), upload.name)
            build(data)
            return f"upload:{upload.name}", data
        except ConfigError as exc:
            st.sidebar.error(t("msg.upload_not_used", error=error_words(exc, page_lang())))
            problems.append(t("msg.upload_rejected_main", name=upload.name, error=error_words(exc, page_lang()), fallback=source_name(choice, page_lang())))
    plan = app_plan.loaded_plan(choice)  # a plan the Plan view loaded
    if plan is not None:
        return plan
    return choice, builtin_data(choice)


def daily_cases_upload(problems: list[str]) -> tuple[list[float], str] | None:
    """An uploaded daily-cases CSV as (cases, file name); a rejected one is said in both places."""
    upload = st.sidebar.file_uploader(t("sidebar.cases"), type=["csv"], key="upload_cases", help=t("sidebar.cases_help"))
    if upload is None:
        return None
    try:
        table = pd.read_csv(io.BytesIO(upload.getvalue()))
        return cases_from_table(table, upload.name), upload.name
    except ConfigError as exc:
        error = error_words(exc, page_lang())
    except Exception as exc:  # noqa: BLE001 - any unreadable upload is reported, never raised
        error = t("msg.cases_unreadable", name=upload.name, kind=exc.__class__.__name__)
    st.sidebar.error(t("msg.cases_not_used", error=error))
    problems.append(t("msg.cases_rejected_main", name=upload.name, error=error))
    return None


def _slider(lever: levers.Lever, low: float, high: float, key: str, disabled: bool = False) -> float:
    """A lever's slider: whole numbers as integers (27 stations, not 27.00) on Streamlit's own slider;
    others with as many decimals as their step has, written the page's language's way ("1,05").
    Streamlit's slider cannot write a decimal comma; a select-slider can, at a cost in the browser
    that grows with its options (measured: the whole levers' 775 options as well cost 0.05–0.08 s
    of every move), so the whole levers keep Streamlit's."""
    label, tip = named("lever", lever.key, page_lang()), t(f"lever.{lever.key}.help")
    if lever.whole:
        st.session_state[key] = int(round(st.session_state[key]))
        return st.sidebar.slider(label, int(low), int(high), step=int(lever.step), key=key, help=tip, disabled=disabled)
    return number_slider(st.sidebar, label, low, high, lever.step, key, help=tip, disabled=disabled)


def lever_inputs(scenario: flowsim.Scenario, source: str, cases_in_use: bool) -> dict[str, Any]:
    """Sliders for every lever, starting from the scenario's values (reset when it changes). With
    uploaded daily cases the daily-F0 slider and its plans are shown disabled: they do not act."""
    now = levers.current(scenario)
    if st.session_state.get("lever_source") != source:
        for key in now:
            st.session_state.pop(f"lever:{key}", None)
        st.session_state["lever_source"] = source
    st.sidebar.header(t("sidebar.levers"))
    if now["daily_f0"] is not None:
        st.sidebar.caption(t("sidebar.plans"))
        presets = st.sidebar.columns(3)
        for col, (key, label, rate) in zip(presets, (("2000", num(2000), 2000), ("3000", num(3000), 3000),
                                                     ("reset", num(now["daily_f0"]), now["daily_f0"])), strict=True):
            tip = t("sidebar.preset_reset_help", rate=num(rate)) if key == "reset" else t("sidebar.preset_help")
            if col.button(label, key=f"preset-{key}", help=tip, disabled=cases_in_use, width="stretch"):
                st.session_state["lever:daily_f0"] = int(rate)
    start = start_values(scenario)
    values: dict[str, Any] = {}
    for lever in levers.LEVERS:
        if lever.key == "stations_open" and now["stations_open"] == 0:
            st.sidebar.caption(t("msg.stations_none"))
        if lever.key not in start:
            continue
        high = now["stations_open"] if lever.key == "stations_open" else lever.high
        key = f"lever:{lever.key}"
        if key not in st.session_state:
            st.session_state[key] = start[lever.key]
        disabled = cases_in_use and lever.key == "daily_f0"
        values[lever.key] = _slider(lever, lever.low, high, key, disabled)
    if cases_in_use:
        values.pop("daily_f0", None)
    st.sidebar.caption(t("sidebar.home_caption"))
    for g in scenario.risk_groups:
        key = f"lever:home_share:{g.name}"
        if key not in st.session_state:
            st.session_state[key] = start[f"home_share:{g.name}"]
        group = t(f"group.{g.name}") if has(f"group.{g.name}", page_lang()) else g.name
        values[f"home_share:{g.name}"] = number_slider(
            st.sidebar, f"{t('lever.home_share.label', group=group)} ({t('lever.home_share.unit')})", 0.0, 1.0, 0.01, key,
            help=t("lever.home_share.help"))
    values["routing"] = pick(
        st.sidebar.selectbox, t("lever.routing.label"), list(ROUTING_RULES), index=list(ROUTING_RULES).index(now["routing"]),
        key=f"routing:{source}", words=lambda r, lang: text(f"routing.{r}", lang), help=t("lever.routing.help"))
    if now["dispatch"] is not None:
        rules = list(DISPATCH_RULES)
        values["dispatch"] = pick(
            st.sidebar.selectbox, t("lever.dispatch.label"), rules, index=rules.index(now["dispatch"]), key=f"dispatch:{source}",
            words=lambda r, lang: text(f"dispatch.{r}", lang), help=t("lever.dispatch.help"))
    return values


def start_values(scenario: flowsim.Scenario) -> dict[str, Any]:
    """The levers a page opens with: the scenario's values within each slider's range, counts
    whole. `prepare` simulates exactly this setting before the first visitor comes."""
    now = levers.current(scenario)
    values: dict[str, Any] = {}
    for lever in levers.LEVERS:
        value = now.get(lever.key)
        high = now["stations_open"] if lever.key == "stations_open" else lever.high
        if value is None or (lever.key == "stations_open" and high == 0):
            continue
        value = float(min(max(value, lever.low), high))
        values[lever.key] = int(round(value)) if lever.whole else value
    for g in scenario.risk_groups:
        values[f"home_share:{g.name}"] = float(g.home_share)
    values["routing"] = now["routing"]
    if now["dispatch"] is not None:
        values["dispatch"] = now["dispatch"]
    return values


DEFAULT_REPLICATIONS = 2


def opening_setting(stem: str) -> tuple[str, int, int]:
    """The YAML, replications and seed of the setting a page opens on for a built-in scenario."""
    data = builtin_data(stem)
    base = build(data)
    scenario = levers.scenario_with(data, start_values(base), levers.facility_table(base))
    return to_yaml(scenario), DEFAULT_REPLICATIONS, int(base.seed)


def prepare(stem: str = "hanoi") -> None:
    """Before the first visitor: import what a page needs, start and warm the worker pool, simulate
    the opening setting into the cache (`flowsim app` calls this as the server starts), and make
    what its first script run would otherwise make (profiled: 1–2 s of a first page): the words of
    both languages, the emulator (scikit-learn's import), Streamlit's emoji table (the page icon),
    the overview's charts and the headline; and every worker draws the opening setting's initial
    censuses, which the next settings mostly share (`interactive.remember_censuses`)."""
    import streamlit.emojis  # noqa: F401 - set_page_config's icon check imports it: 0.4 s

    from flowsim import briefing  # noqa: F401 - the report button's module
    from flowsim.i18n import table

    for lang in LANGUAGES:
        table(lang)
    yaml_text, replications, seed = opening_setting(stem)
    job = simulation(yaml_text, replications, seed, None, alongside=replications)  # no page to share the cores with yet
    remember_levers(stem, start_values(builtin_base(stem)), yaml_text)  # a first page shows it, not an estimate
    emu, point, _ = emulator_point(stem, start_values(builtin_base(stem)), untouched=True)
    if emu is not None:  # its first answer paid scikit-learn's first-use costs in a planner's first move
        emu.predict(pd.DataFrame([point]))
    result = simulate(yaml_text, replications, seed, None)
    remember_censuses(worker_pool(), build(parse_yaml(yaml_text)), replications, seed)
    for name, (_, series) in charts.overview_data(result["timeseries"], DEFAULT).items():
        overview_template(name, series, DEFAULT)
    headline(result["summary"], result["timeseries"], result["resources"], result["waits"], result["transfers"])
    assert job.complete
    _quiet_collector()


def _quiet_collector() -> None:
    """What the server has made so far lives as long as it does (modules, Altair's schema, the
    emulator, the opening setting): freeze it out of the garbage collector's sight (reference
    counting still frees what is dropped). Streamlit runs a full collection after every script run
    (`runner.postScriptGC`), several a second while a setting's replications stream in; over all of
    that it took 0.17–0.5 s each (measured; 2–7 ms frozen), holding the lock every thread of the
    server needs. Also make Streamlit's once-per-process check for an interactive shell (0.2 s: it
    reads the source of every frame) here, not in a first page."""
    from streamlit import delta_generator

    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if callable(check):
        check()
    gc.collect()
    gc.freeze()


EMULATED_LEVERS = {"daily_f0": "arrivals.rate_per_day", "oxygen_beds_scale": "capacity_scale.oxygen_beds",
                   "icu_beds_scale": "capacity_scale.icu_beds"}
"""The levers the shipped emulators are trained over (each the sweep path it moves)."""


@st.cache_resource
def shipped_emulator(stem: str) -> Any:
    """The emulator shipped for a built-in scenario (flowsim/_emulators/<stem>.pkl), or None."""
    from importlib import resources

    from flowsim import emulator

    path = resources.files("flowsim") / "_emulators" / f"{stem}.pkl"
    if not path.is_file():
        return None
    try:
        return emulator.load(Path(str(path)))
    except Exception:  # noqa: BLE001 - an emulator that does not load (another scikit-learn): simulation only
        return None


def emulator_point(stem: str, values: dict[str, Any], untouched: bool) -> tuple[Any, dict[str, float], list[str]]:
    """(emulator, point, factors outside its box) when the setting on screen is the built-in
    scenario with only the emulated levers moved; (None, {}, []) when it is another setting.
    `untouched`: the page's beds table and YAML are as built in, and no curve or plan is loaded.
    Decided from the levers' values (the scenario is made from exactly these inputs), not by
    building and writing the scenario again: that took most of the estimate's time on screen."""
    emu = shipped_emulator(stem) if stem in SOURCES and untouched else None
    if emu is None or any(k not in values for k in EMULATED_LEVERS):
        return None, {}, []
    start = start_values(builtin_base(stem))
    others = {k: v for k, v in values.items() if k not in EMULATED_LEVERS}
    if others != {k: v for k, v in start.items() if k not in EMULATED_LEVERS}:
        return None, {}, []  # other levers moved: the emulator never saw such a setting
    point = {path: float(values[k]) for k, path in EMULATED_LEVERS.items()}
    return emu, point, emu.inside(point)


@st.cache_resource(show_spinner=False)
def builtin_base(stem: str) -> flowsim.Scenario:
    """A built-in scenario, built once (read only)."""
    return build(builtin_data(stem))


def _levers_key(source: str, values: dict[str, Any]) -> tuple:
    return source, tuple(sorted(values.items()))


def remember_levers(source: str, values: dict[str, Any], yaml_text: str) -> None:
    """The YAML of a built-in scenario with only its levers moved, for `simulated_in_full`."""
    store = _results()
    with store["lock"]:
        store["levers"][_levers_key(source, values)] = yaml_text
        while len(store["levers"]) > RESULTS_KEPT:
            store["levers"].popitem(last=False)


def simulated_in_full(source: str, values: dict[str, Any], replications: int, seed: int) -> bool:
    """Whether a built-in scenario with these levers has every replication in the cache (its results
    then show in this run: no estimate), known before its scenario is made and written."""
    store = _results()
    with store["lock"]:
        yaml_text = store["levers"].get(_levers_key(source, values))
        known = store["items"].get(("look", yaml_text, replications, seed, None)) if yaml_text else None
    return isinstance(known, Looking) and known.complete


@st.cache_data(show_spinner=False, max_entries=RESULTS_KEPT)
def _yaml_of(fingerprint: str, _scenario: flowsim.Scenario) -> str:
    return to_yaml(_scenario)


def scenario_yaml(scenario: flowsim.Scenario) -> str:
    """`to_yaml(scenario)`, written once per distinct scenario (keyed by its JSON, 0.1 ms): the
    built-in scenario's, which the YAML editor shows, is the same on every move and took 6–16 ms."""
    return _yaml_of(scenario.model_dump_json(), scenario)


def estimate_cards(emu: Any, point: dict[str, float]) -> None:
    """The emulator's estimate of the key figures, labelled as such, shown while the simulation runs."""
    start = time.perf_counter()
    table = emu.predict(pd.DataFrame([point]))
    st.session_state["estimate"] = {"point": point, "table": table, "seconds": time.perf_counter() - start}
    st.warning(t("emulator.estimate", points=len(emu.trained_on), runs=emu.replications))
    cols = st.columns(4)
    for i, r in enumerate(r for r in table.itertuples() if r.figure in KEY_FIGURES):
        cols[i % 4].metric(f"{t(f'card.{r.figure}')} ({t(f'figure.{r.figure}.unit')})", "≈ " + show_value(r.figure, r.mean),
                           help=t("emulator.band", lower=show_value(r.figure, max(r.lower, 0.0)),
                                  upper=show_value(r.figure, r.upper)))


def beds_editor(base: flowsim.Scenario, source: str) -> pd.DataFrame:
    """The beds of every facility, editable in an expander that draws its editor only while it is
    open. Streamlit's data grid is half a megabyte of the browser's code, fetched and compiled when
    the first grid reaches a page: with none on the first page (the key figures are a plain table)
    it is not on the way to the first results. The table as last edited stays in use while the
    expander is closed and is what the editor shows when it opens again; while it is open, the
    editor's edits apply to the table it opened with (`…-opened`), so that the grid keeps its place."""
    kept, opened = f"beds-edited:{source}", f"beds-opened:{source}"
    box = st.expander(t("editor.beds"), key=f"beds-open:{source}", on_change="rerun")
    table = st.session_state.get(kept)
    if table is None:
        table = levers.facility_table(base)
    if not box.open:
        st.session_state.pop(opened, None)
        return table
    lang = page_lang()
    if st.session_state.get(opened, (None, None))[0] != lang:  # opened now, or in the other language
        st.session_state[opened] = (lang, table)
    start = st.session_state[opened][1]
    names = ["name", "kind", "district"]
    shown = start.assign(name=[local_name(x, lang) for x in start["name"]],  # the page's words; the
                         district=[local_name(x, lang) for x in start["district"]],  # scenario's names
                         kind=[t(f"kind.{k}") if has(f"kind.{k}", lang) else k for k in start["kind"]])  # kept below
    with box:
        edited = st.data_editor(shown, key=f"beds:{source}:{lang}", disabled=names, hide_index=True, width="stretch",
                                column_config={c: t(f"editor.{c}") for c in (*names, *levers.BED_COLUMNS)})
    table = edited.assign(**{c: start[c].to_numpy() for c in names})  # rows are fixed: the same order
    st.session_state[kept] = table
    return table


def at_an_end(values: dict[str, Any]) -> list[str]:
    """The levers set at an end of their range (what to move back when a setting is refused)."""
    out = []
    for key, value in values.items():
        lever = levers.LEVER.get(key)
        if lever is not None and isinstance(value, int | float) and value in (lever.low, lever.high):
            out.append(f"{named('lever', key, page_lang())} = {num(value, 0 if lever.whole else 2)}")
    return out


# -- epidemic-driven demand: a preset chooser and its sliders ----------------------------------------

def epidemic_demand(data: dict, source: str) -> tuple[dict, str]:
    """Raw data with an epidemic preset of the scenario applied if one is chosen, and the source key
    the sliders reset on."""
    choices = [name for name, changes in (data.get("presets") or {}).items()
               if changes.get("arrivals.profile") in EPIDEMIC_PROFILES]
    if not choices:
        return data, source
    off = "off"
    choice = pick(st.sidebar.selectbox, t("sidebar.epidemic"), [off, *choices], key=f"epidemic:{source}",
                                  words=lambda c, lang: text("sidebar.epidemic_off", lang) if c == off else
                                  text(f"preset.{c}", lang) if has(f"preset.{c}", lang) else c,
                                  help=t("sidebar.epidemic_help"))
    if choice not in choices:
        return data, source
    return yaml.safe_load(to_yaml(build(data, presets=[choice]))), f"{source}+{choice}"


def epidemic_sliders(scenario: flowsim.Scenario, horizon_days: float) -> dict[str, Any]:
    """Doubling time or Rt, a distancing change and the detection share, for an epidemic profile:
    only the sliders moved from the scenario's values (so a fitted Rt stays fitted)."""
    now = levers.epidemic_current(scenario)
    if scenario.arrivals.profile not in EPIDEMIC_PROFILES:
        return {}
    st.sidebar.caption(t("sidebar.epidemic_caption"))
    values: dict[str, Any] = {}
    for lever in levers.EPIDEMIC_LEVERS:
        if now.get(lever.key) is None:
            continue
        high = float(min(lever.high, math.ceil(horizon_days) - 1)) if lever.key == "distancing_day" else lever.high
        key = f"lever:{lever.key}"
        if key not in st.session_state or st.session_state[key] > high:
            st.session_state[key] = float(min(max(now[lever.key], lever.low), high))
        value = _slider(lever, lever.low, high, key)
        if value != now[lever.key]:  # unmoved: the scenario's own value (a fitted Rt stays fitted)
            values[lever.key] = value
    return values


def epidemic_panel(scenario: flowsim.Scenario, result: dict[str, Any]) -> None:
    """The projected F0/day curve (with its Poisson band) beside the F0 the run drew."""
    curve = arrivals_curve(scenario.arrivals, int(math.ceil(scenario.horizon_days)))
    show_chart(charts.epidemic_curve(curve, result["timeseries"], page_lang()))
    peak = curve.loc[curve["expected"].idxmax()]
    st.caption(t("overview.f0_peak", peak=num(peak["expected"]), day=int(peak["day"])))
    download_table(curve, "f0_curve")
    a = scenario.arrivals
    if a.profile == "renewal" and a.renewal is not None and a.renewal.rt is None and a.daily_cases:
        fit = estimate_rt(a.daily_cases, a.renewal.fit_window_days, a.renewal.generation_interval).iloc[-1]
        st.caption(t("overview.rt_fit", days=a.renewal.fit_window_days, mean=num(fit["rt_mean"], 3),
                     lower=num(fit["rt_lower"], 3), upper=num(fit["rt_upper"], 3)))


def cases_panel(cases: list[float], name: str, scenario: flowsim.Scenario) -> None:
    """The uploaded curve as the run uses it, and what of it is extrapolated."""
    horizon = int(math.ceil(scenario.horizon_days))
    st.subheader(t("upload.title", name=name))
    show_chart(charts.uploaded_cases(pd.DataFrame({"day": range(len(cases)), "cases": cases}), horizon, page_lang()))
    if len(cases) < horizon:
        st.warning(t("upload.extrapolated", name=name, first=0, last=len(cases) - 1, from_day=len(cases),
                     to_day=horizon - 1, horizon=horizon, value=num(cases[-1])))
    elif len(cases) > horizon:
        st.info(t("upload.longer", name=name, days=len(cases), horizon=horizon))
    else:
        st.caption(t("upload.complete", name=name, horizon=horizon))


# -- the page -----------------------------------------------------------------------------------------

def language() -> str:
    """The language switch, first in the sidebar; every word on the page follows it."""
    choice = st.sidebar.selectbox(text("app.language"), list(LANGUAGES), format_func=lambda k: LANGUAGES[k], key=LANG_KEY)
    return str(choice or DEFAULT)


def streamlit_words() -> None:
    """Streamlit's own words on the page in the page's language: Streamlit has no translation of
    them, so a style sheet writes ours over them — the uploaders' "Upload" and "200MB per file"
    (`app.upload_button`, `app.upload_limit`); the multiselect's "Select all" and "Select N
    matches" options (found by their fixed keys) and its empty list ("No results", or "You can only
    select up to 2 options" once two are chosen: one sentence for both, `app.multiselect_empty`).
    English keeps Streamlit's."""
    if page_lang() == DEFAULT:
        return
    said = {k: t(f"app.{k}").replace('"', "'") for k in ("upload_button", "upload_limit", "select_all", "select_matches",
                                                          "multiselect_empty")}
    zone = '[data-testid="stFileUploaderDropzone"]'
    rules = [(f'{zone} button [data-testid="stMarkdownContainer"] p', "upload_button", "0.875rem"),
             ('[data-testid="stFileUploaderDropzoneInstructions"] span', "upload_limit", "0.75rem"),
             ('[data-key="__select_all__"] [data-item-hl]', "select_all", "0.875rem"),
             ('[data-key="__select_matches__"] [data-item-hl]', "select_matches", "0.875rem"),
             ('[role="option"][style*="display: contents"] > span', "multiselect_empty", "0.875rem")]
    st.html("<style>\n" + "\n".join(f'{where} {{font-size: 0}}\n{where}::after {{content: "{said[k]}"; font-size: {size}}}'
                                    for where, k, size in rules) + "\n</style>")


def main() -> None:
    st.set_page_config(page_title="flowsim · patient flow", page_icon="🏥", layout="wide")
    language()
    streamlit_words()
    st.title(t("app.title"))
    view = pick(st.radio, t("app.view"), VIEWS, horizontal=True, key="view", label_visibility="collapsed",
                    words=lambda v, lang: text(f"view.{v}", lang))
    if view != "map":
        st.session_state.pop("map-playing", None)  # leaving the map stops its Play
    if view == "teach":  # its own small scenarios and its own controls: the Hanoi levers do not act here
        teach_view()
        return
    problems: list[str] = []
    source, data = source_data(problems)
    try:
        base = build(data)
    except ConfigError as exc:
        st.error(t("msg.scenario_invalid", error=error_words(exc, page_lang())))
        return
    built = data
    data, source = epidemic_demand(data, source)
    upload = daily_cases_upload(problems)
    cases = upload[0] if upload else None
    if cases is not None and (data.get("arrivals") or {}).get("profile") == "renewal":
        data, source, cases = levers.with_history(data, cases), f"{source}+cases:{hash(tuple(cases))}", None
    try:
        if data is not built:  # an epidemic preset or a case history changed it (12 ms a build)
            base = build(data)
    except ConfigError as exc:
        st.error(t("msg.case_history_not_used", error=error_words(exc, page_lang())))
        return
    if cases is not None and upload is not None:
        st.sidebar.info(t("sidebar.cases_in_use", name=upload[1]))
    values = lever_inputs(base, source, cases_in_use=cases is not None)
    values |= epidemic_sliders(base, values.get("horizon_days", base.horizon_days))
    st.sidebar.header(t("sidebar.experiment"))
    replications = st.sidebar.slider(named("lever", "replications", page_lang()), 1, 20, DEFAULT_REPLICATIONS,
                                     key="replications",
                                     help=t("lever.replications.help", paired=PAIRED_MIN))
    seed = int(st.sidebar.number_input(t("lever.seed.label"), 0, 2**31 - 1, int(base.seed), key=f"seed:{source}",
                                       help=t("lever.seed.help")))
    for line in problems:
        st.error(line)

    table = beds_editor(base, source)
    base_yaml = scenario_yaml(base)
    with st.expander(t("editor.yaml")):
        edited_yaml = st.text_area(t("editor.yaml_area"), base_yaml, height=200, key=f"yaml:{source}")
    # The emulator's estimate is drawn before the scenario is made and written (15–35 ms a move):
    # the settings it answers for are the built-in scenario with only its levers moved, which
    # the levers alone decide. A posterior kept or being uploaded is not such a setting.
    untouched = (st.session_state.get(POSTERIOR_KEY) is None and st.session_state.get(POSTERIOR_UPLOAD) is None
                 and cases is None and upload is None and edited_yaml.strip() == base_yaml.strip()
                 and table.equals(levers.facility_table(base)))
    emu, point, outside = emulator_point(source, values, untouched)
    if emu is not None and outside:
        st.caption(t("emulator.outside", factors=", ".join(named("lever", k, page_lang()) for k, p in EMULATED_LEVERS.items()
                                                           if p in outside)))
    estimate = st.empty()
    if emu is not None and not outside and not simulated_in_full(source, values, replications, seed):
        with estimate.container():  # first: the estimate is on screen before the simulation is even set up
            estimate_cards(emu, point)
    edited: flowsim.Scenario | None = None
    try:
        if edited_yaml.strip() != base_yaml.strip():
            data = parse_yaml(edited_yaml, "edited YAML")
            edited = build(data)  # the edit itself must be valid: a lever or the beds table set over it hid "tier2: -5"
        scenario = levers.scenario_with(data, values, table, cases)
    except ConfigError as exc:
        estimate.empty()
        ends = at_an_end(values)
        st.error(t("msg.not_applied", error=error_words(exc, page_lang())))
        if ends:
            st.info(t("msg.lever_extreme", levers="; ".join(ends)))
        return
    if edited is not None:
        overridden_edits(base, edited, scenario)
    yaml_text = scenario_yaml(scenario)
    if emu is not None:
        remember_levers(source, values, yaml_text)
    st.session_state["yaml_text"] = yaml_text
    st.sidebar.download_button(t("sidebar.download_scenario"), yaml_text.encode(), "scenario.yaml",
                               "application/x-yaml", key="download-scenario")

    try:
        check_memory([scenario], worker_pool().workers, override=None)
    except ConfigError as exc:
        estimate.empty()
        st.error(t("msg.not_run", error=error_words(exc, page_lang())))
        return
    for tier in unbedded_tiers(scenario):
        st.warning(t("msg.no_beds", beds=t(f"tier.{tier}")))

    posterior = posterior_input(view, scenario)
    setting = ("look", yaml_text, replications, seed, posterior)
    try:
        job = simulation(yaml_text, replications, seed, posterior, scenario=scenario)
    except ConfigError as exc:
        estimate.empty()
        st.error(error_words(exc, page_lang()))
        return
    superseded = st.session_state.get("following")
    if superseded is None or superseded[1] is not job:
        job.follow()
        if superseded is not None:
            superseded[1].leave()  # the planner has moved on: stopped, unless another page waits for it
    st.session_state["following"] = (setting, job)
    await_first(job, patience(first=True))  # the workers run it; this run only looks, and stops if a lever moves
    if patience() > PATIENCE_SECONDS or _quick(job):
        job.release()  # the others are awaited in this run (a small scenario; AppTest): they need not be held
        job.wait(patience())
    # else Hanoi's stream in: they are held until replication 0 is drawn, so waiting here for them
    # only delayed the page (by PATIENCE_SECONDS, measured)
    try:
        found = job.now()
    except ConfigError as exc:
        estimate.empty()
        st.error(error_words(exc, page_lang()))
        return
    follow(job, found)
    if found is None:  # replication 0 still runs: the estimate (if any) above, the previous setting's results below
        shown = st.session_state.get("last_shown")
        earlier = _results()["items"].get(shown) if shown is not None else None
        earlier_look = earlier.now() if isinstance(earlier, Looking) and earlier.error is None else None
        if earlier_look is None:
            return
        st.info(t("msg.previous_below"))
        result, pending = result_dict(earlier_look), True
    else:
        estimate.empty()  # the simulation has answered: the estimate gives way
        result, pending = result_dict(found), False
        if st.session_state.get("last_shown") != setting:  # the server's log says where a page's wait went
            print(f"flowsim app: a setting's replication 0 simulated in {found.detail.seconds:.2f} s on a worker",
                  flush=True)
        st.session_state["last_shown"] = setting
    st.session_state["last_result_seconds"] = result["seconds"]

    if not pending:
        report_controls(scenario, result, yaml_text, seed)
    if view == "overview":
        overview_view(scenario, result, yaml_text, upload if cases is not None else None, pending)
    elif view == "bottlenecks":
        bottleneck_view(scenario, result, yaml_text, replications, seed)
    elif view == "sweep":
        epidemic_now = {k: v for k, v in levers.epidemic_current(scenario).items() if v is not None}
        sweep_view(scenario, yaml_text, epidemic_now | values, replications, seed)
    elif view == "compare":
        compare_view(scenario, yaml_text, replications, seed)
    elif view == "plan":
        app_plan.plan_view(scenario, replications, seed, worker_pool())
    else:
        map_view(scenario, result)
    if not pending:
        job.release()  # replication 0 is on the page: the others may have the cores now


MAP_STEP_SECONDS = 1.0
"""How long "Play" shows each day of the map."""


def map_view(scenario: flowsim.Scenario, result: dict[str, Any]) -> None:
    """Facilities on Hanoi's streets, coloured by the share of beds taken on a chosen day, by tier;
    ambulance bases and districts; hover for each one's numbers and queue, one facility over time
    below. "Play" steps the day: only this part of the page reruns, on the run's cached tables."""
    playing = bool(st.session_state.get("map-playing"))
    st.fragment(_map_panel, run_every=MAP_STEP_SECONDS if playing else None)(scenario, result)


def _pause_map() -> None:
    """The planner moved the day by hand: playing stops there."""
    if st.session_state.get("map-playing"):
        st.session_state["map-playing"] = False
        st.session_state["map-rerun"] = True


def _map_panel(scenario: flowsim.Scenario, result: dict[str, Any]) -> None:
    from flowsim import maps

    if st.session_state.pop("map-rerun", False):
        st.rerun()  # playing started or stopped: the whole page, to set or clear the timer
    last = max(int(math.ceil(scenario.horizon_days)), 1) - 1
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    tier = pick(c2.radio, t("maplayer.tier"), [2, 3, 1], key="map-tier", horizontal=True,
                words=lambda x, lang: text(f"tier.{x}", lang))
    ts = result["timeseries"]
    if "map-day" not in st.session_state or st.session_state["map-day"] > last:
        st.session_state["map-day"] = min(int(ts.loc[ts[f"occupied_tier{tier}"].idxmax(), "time"]) if len(ts) else 0,
                                          last)
    playing = bool(st.session_state.get("map-playing"))
    pressed = bool(st.session_state.get("map-play"))  # this run is the Play/Pause button's: no step
    if playing and not st.session_state.pop("map-started", False) and not pressed:
        step = maps.play_step(st.session_state["map-day"], last)
        if step is None:
            st.session_state["map-playing"] = False
            st.rerun()
        st.session_state["map-day"] = step
    if c3.button(t("maplayer.pause") if playing else t("maplayer.play"), key="map-play",
                 help=t("maplayer.play_help", seconds=number(MAP_STEP_SECONDS, 1, page_lang())), width="stretch"):
        st.session_state["map-playing"] = not playing
        if not playing:
            st.session_state["map-started"] = True
            if st.session_state["map-day"] >= last:
                st.session_state["map-day"] = 0
        st.rerun()
    day = c1.slider(t("maplayer.day"), 0, last, key="map-day", help=t("maplayer.day_help"), on_change=_pause_map)
    queues = result.get("queues")
    st.pydeck_chart(maps.network_deck(scenario, result["occupancy"], day, tier, page_lang(), queues, result.get("home")),
                    height=560)
    fac = maps.facilities_on_day(scenario, result["occupancy"], day, tier, queues)
    with_beds = fac[fac["beds"] > 0]
    st.caption(t("maplayer.full_now", day=day, full=int((with_beds["share"] >= 0.99).sum()), total=len(with_beds),
                 tier=t(f"tier.{tier}")))
    st.caption(t("maplayer.legend", tier=t(f"tier.{tier}"), day=day))
    st.caption(t("maplayer.offline"))
    busiest = with_beds.assign(top=with_beds["peak"] / with_beds["beds"]).sort_values("top", ascending=False)
    names = busiest["facility"].tolist()  # busiest over the run first: the same order on every day
    if names:
        name = pick(st.selectbox, t("maplayer.facility"), names, "map-facility", words=local_name,
                    help=t("maplayer.facility_help"))
        for chart in charts.facility_over_time(maps.facility_over_time(result["occupancy"], queues, name, tier),
                                               local_name(name, page_lang()), day, page_lang()):
            show_chart(chart)
    download_table(fac, f"map_day{day}_tier{tier}")


def overridden_edits(base: flowsim.Scenario, edited: flowsim.Scenario, scenario: flowsim.Scenario) -> None:
    """Say which edits of the YAML (`edited`, as typed) the sidebar undoes: a field a lever sets
    (the slider's value is used) or a facility's beds (the beds table's are). Silently running the slider's value was
    a wrong answer to the edit."""
    was, wanted, used = levers.current(base), levers.current(edited), levers.current(scenario)
    undone = [named("lever", k, page_lang()) for k in wanted if has(f"lever.{k}.label", page_lang())
              and wanted[k] != was.get(k) and used.get(k) != wanted[k]]
    beds = {f.name: f.beds for f in base.facilities}
    final = {f.name: f.beds for f in scenario.facilities}
    undone += [t("msg.beds_of", facility=local_name(f.name, page_lang())) for f in edited.facilities
               if f.name in beds and f.beds != beds[f.name] and f.name in final and final[f.name] != f.beds]
    if undone:
        st.warning(t("msg.edit_overridden", fields="; ".join(undone)))


def report_controls(scenario: flowsim.Scenario, result: dict[str, Any], yaml_text: str, seed: int) -> None:
    """The briefing report of the setting on screen, in the chosen language: a button writes it (with
    the ranking and the comparison if they were made for it, and the quick validation if ticked),
    then it downloads."""
    from flowsim import briefing

    sb = st.sidebar
    sb.header(t("report.button"))
    checks = sb.checkbox(t("report.validate"), key="report-validate", help=t("report.validate_help"))
    if sb.button(t("report.button"), key="make-report", help=t("report.button_help")):
        with st.spinner(t("report.building")):
            saved = st.session_state.get("bottlenecks")
            ranking = saved[1] if saved is not None and saved[0] == yaml_text else None
            comparison = current_comparison(yaml_text)
            validation = remembered(("validation",), lambda: validate_quick()) if checks else None
            b = briefing.Briefing(scenario, seed, result["summary"], result["intervals"], result["timeseries"],
                                  result["resources"], result["waits"], result["transfers"], ranking=ranking,
                                  comparison=comparison, validation=validation)
            st.session_state["report"] = (yaml_text, page_lang(), briefing.html_report(b, page_lang()))
    made = st.session_state.get("report")
    if made is not None and made[0] == yaml_text and made[1] == page_lang():
        sb.download_button(t("report.download", lang=page_lang()), made[2].encode("utf-8"), f"report_{page_lang()}.html",
                           "text/html", key="download-report")


def validate_quick() -> pd.DataFrame:
    from flowsim.validation import validate

    return validate(quick=True)


POSTERIOR_UPLOAD = "upload_posterior"
"""The posterior uploader's key (the estimate reads it before the uploader is drawn)."""
POSTERIOR_KEY = "posterior-upload"
"""The posterior in use, kept as (file name, bytes) in the session: an uploader not drawn loses its
file, and the uploader is drawn on the Overview only."""
POSTERIOR_VIEWS = ("overview", "bottlenecks", "map")
"""The views that show the run the posterior acts on (replication i with parameter set i)."""


@st.cache_data(show_spinner=False, max_entries=4)
def posterior_of(data: bytes, name: str) -> Posterior:
    """An uploaded posterior, read once (not again on every lever move of the session)."""
    return load_posterior(data, name)


def posterior_input(view: str, scenario: flowsim.Scenario) -> bytes | None:
    """The posterior in use. The Overview uploads and removes it; the Bottlenecks and Map views say
    it is in use; Sweep, Compare and Plan say their experiments run on the scenario's own values.
    One that does not fit the scenario (a field it lacks, a value outside its prior) is said, and not used."""
    sb = st.sidebar
    kept: tuple[str, bytes] | None = st.session_state.get(POSTERIOR_KEY)
    if view == "overview" and kept is None:
        upload = sb.file_uploader(t("sidebar.posterior"), type=["parquet"], key=POSTERIOR_UPLOAD,
                                  help=t("sidebar.posterior_help"))
        if upload is not None:
            try:
                posterior_of(upload.getvalue(), upload.name)
            except ConfigError as exc:
                sb.error(t("msg.posterior_not_used", error=error_words(exc, page_lang(), {"posterior": t("msg.posterior_file")})))
            else:
                kept = st.session_state[POSTERIOR_KEY] = (upload.name, upload.getvalue())
    if kept is None:
        return None
    name, data = kept[0], kept[1]
    used: bytes | None = data
    post = posterior_of(data, name)
    try:
        post.check(scenario)
    except ConfigError as exc:
        sb.error(t("msg.posterior_not_used", error=error_words(exc, page_lang(), {"posterior": t("msg.posterior_file")})))
        used = None
    else:
        if view in POSTERIOR_VIEWS:
            sb.info(t("sidebar.posterior_in_use", name=name, sets=len(post.weights), fields=len(post.fields)))
        else:
            sb.caption(t("sidebar.posterior_not_here", name=name))
    if view == "overview" and sb.button(t("sidebar.posterior_remove"), key="remove-posterior"):
        del st.session_state[POSTERIOR_KEY]
        st.rerun()
    return used


# -- the views ----------------------------------------------------------------------------------------

def headline_text(h: Headline) -> str:
    return sentence(h, page_lang())


def result_headline(result: dict[str, Any], yaml_text: str) -> Headline:
    saved = st.session_state.get("bottlenecks")
    ranking = saved[1] if saved is not None and saved[0] == yaml_text else None
    return headline(result["summary"], result["timeseries"], result["resources"], result["waits"], result["transfers"],
                    ranking, 0.10 if ranking is not None else None)


def previous_means(yaml_text: str, summary: pd.DataFrame) -> dict[str, float] | None:
    """The key figures' means of the setting shown before this one (None at the first): each card
    says how far the last lever move shifted it. Views and reruns of the same setting keep it."""
    means = {n: float(summary[n].mean()) for n in KEY_FIGURES if n in summary}
    shown = st.session_state.get("shown_setting")
    if shown is None or shown[0] != yaml_text:
        st.session_state["previous_setting"] = shown[1] if shown is not None else None
    st.session_state["shown_setting"] = (yaml_text, means)  # the same setting again: more replications in
    return st.session_state.get("previous_setting")


def key_figure_cards(result: dict[str, Any], yaml_text: str) -> None:
    """Eight cards. From INTERVAL_MIN runs on: mean ± half-width of the 95% interval; below it, the
    range of the runs (an interval from 2–4 runs is wider than the figure, and says little). Under
    each, the change of its mean from the previous setting (lower is better for all eight)."""
    summary, intervals = result["summary"], result["intervals"]
    runs = len(summary)
    before = previous_means(yaml_text, summary)
    cols = st.columns(4)
    shown = [n for n in KEY_FIGURES if n in summary and not summary[n].isna().all()]
    for i, name in enumerate(shown):
        x = summary[name].dropna()
        if runs >= INTERVAL_MIN and intervals is not None and name in set(intervals["figure"]):
            row = intervals.set_index("figure").loc[name]
            value, tip = f"{show_value(name, row['mean'])} ± {show_value(name, row['half_width'])}", \
                t("card.interval_help", runs=runs)
        elif runs > 1:
            low, high = show_value(name, x.min()), show_value(name, x.max())
            value = low if low == high else t("card.range", low=low, high=high)
            tip = t("card.range_help", runs=runs)
        else:
            value, tip = show_value(name, float(x.iloc[0])), t("card.one_help")
        label = f"{t(f'card.{name}')} ({t(f'figure.{name}.unit')})"
        delta: str | None = None
        colour: Literal["inverse", "off"] = "inverse"
        arrow: Literal["auto", "off"] = "auto"
        if before is not None and name in before and before[name] == before[name]:
            change = float(x.mean()) - before[name]
            digits, scale = figure_digits(name)
            if round(change * scale, digits) == 0:  # no change as shown: grey and no arrow, not "↑ 0.0"
                change, colour, arrow = 0.0, "off", "off"
            delta = t("card.change", delta=("+" if change > 0 else "") + num(change * scale, digits))
        cols[i % 4].metric(label, value, delta=delta, delta_color=colour, delta_arrow=arrow,
                           help=f"{t(f'figure.{name}.label')}. {tip}")


def figure_table(result: dict[str, Any]) -> pd.DataFrame:
    """Every key figure with its plain label and unit: mean and 95% interval (5 runs or more) or the
    runs' range, numbers written as the chosen language writes them."""
    summary, intervals = result["summary"], result["intervals"]
    runs = len(summary)
    ci = intervals.set_index("figure") if intervals is not None else None
    rows = []
    for name in [c for c in summary.columns if has(f"figure.{c}.label", page_lang())]:
        x = summary[name].dropna()
        if not len(x):
            continue
        digits, scale = figure_digits(name)
        row = {t("table.figure"): t(f"figure.{name}.label"), t("table.unit"): t(f"figure.{name}.unit"),
               t("table.mean"): show_value(name, float(x.mean()))}
        if runs >= INTERVAL_MIN and ci is not None and name in ci.index:
            row[t("table.interval")] = bracket(ci.loc[name, "lower"] * scale, ci.loc[name, "upper"] * scale, digits,
                                               page_lang())
        else:
            low, high = show_value(name, float(x.min())), show_value(name, float(x.max()))
            row[t("table.range")] = low if low == high else t("card.range", low=low, high=high)
        row[t("table.runs")] = str(len(x))
        rows.append(row)
    return pd.DataFrame(rows)


def overview_view(scenario: flowsim.Scenario, result: dict[str, Any], yaml_text: str,
                  upload: tuple[list[float], str] | None, pending: bool = False) -> None:
    """The headline, the cards, the charts and the key-figure table; `pending`: `result` is the
    previous setting's, shown while this one is simulated: its charts only."""
    if not pending:
        st.info("**" + headline_text(result_headline(result, yaml_text)) + "**")
        st.caption(t("headline.help"))
        key_figure_cards(result, yaml_text)
        if _charts_drawn() is not result["timeseries"]:
            time.sleep(PAINT_SECONDS)  # new numbers: let the browser draw them before the charts' data
    summary = result["summary"]
    s = summary.iloc[0]
    if not pending:
        st.caption(t("overview.window", name=local_name(scenario.name, page_lang()), start=num(s["window_start"]), end=num(s["window_end"]),
                     runs=count(len(summary), "replications", page_lang()), inside=num(s["in_system_start"]), arrivals=num(s["arrivals"]),
                     recovered=num(s["recovered"]), died=num(s["died"]), left=num(s["in_system_end"])))
    if upload is not None:
        cases_panel(upload[0], upload[1], scenario)
    if scenario.arrivals.profile in EPIDEMIC_PROFILES:
        left, right = st.columns([3, 2])
        with left:
            overview_charts(result["timeseries"], columns=1)
        with right:
            epidemic_panel(scenario, result)
    else:
        overview_charts(result["timeseries"], columns=2)
    if pending:
        return
    runs = len(summary)
    st.subheader(t("overview.key_figures_interval") if runs >= INTERVAL_MIN else t("overview.key_figures_range", runs=runs))
    st.table(figure_table(result), hide_index=True)
    if result["intervals"] is not None:
        download_table(result["intervals"], "key_figures")
    download_table(summary, "summary")
    download_table(result["timeseries"], "timeseries")


PAINT_SECONDS = 0.05
"""When the key-figure cards show a new setting's numbers, the script run waits this long before the
charts: the browser then draws the numbers in a frame of their own. Sent in one batch with the
charts' new data, they appeared only once the browser had redrawn all four charts, 0.2–0.35 s
later on 2 cores (measured in the browser test; with the pause, 0.01–0.07 s after they arrive)."""


def _charts_drawn() -> pd.DataFrame | None:
    """The time series this page's overview charts show (see PAINT_SECONDS), if any."""
    drawn = st.session_state.get("overview_data")
    return None if drawn is None else drawn[0]


def overview_charts(timeseries: pd.DataFrame, columns: int) -> None:
    """Patients in care, who waits, oxygen and ICU beds over time: four interactive charts. Their
    tables are made once per result and language for this page, not on every rerun."""
    drawn = st.session_state.get("overview_data")
    if drawn is None or drawn[0] is not timeseries or drawn[1] != page_lang():
        drawn = (timeseries, page_lang(), charts.overview_data(timeseries, page_lang()))
        st.session_state["overview_data"] = drawn
    data = drawn[2]
    names = charts.OVERVIEW
    for i in range(0, len(names), columns):
        cols = st.columns(columns)
        for col, name in zip(cols, names[i:i + columns], strict=True):
            frame, series = data[name]
            with col:
                show_chart({**overview_template(name, series, page_lang()), "datasets": {name: frame}})


@st.cache_data(show_spinner=False, max_entries=64)
def overview_template(name: str, series: charts.Series, lang: str) -> dict:
    """An overview chart's spec without its data, which comes by name beside it: built once per
    language and legend (Altair took 0.25 s a page for the four), and the same spec from one
    setting of the levers to the next. Streamlit's frontend keys a chart by its spec and its
    datasets' names: with the same key it swaps the new data into the chart it has drawn, rather
    than compiling and drawing the chart anew."""
    return spec(charts.overview_chart(name, alt.NamedData(name), series, lang))


RESOURCE_COLUMNS = ["resource", "facility", "kind", "tier", "capacity", "utilisation", "share_time_full", "days_full"]


def resource_table(resources: pd.DataFrame) -> pd.DataFrame:
    """Pools and wards with plain headers; shares as %, beds and days as numbers."""
    from flowsim.headline import POOL_KEYS

    r = resources[resources["level"] != "district"][RESOURCE_COLUMNS].copy()
    r["resource"] = [t(f"resource.{POOL_KEYS[x]}") if x in POOL_KEYS else
                     t("resources.ward", facility=local_name(f, page_lang()), tier=t(f"tier.{int(k)}"))
                     for x, f, k in zip(r["resource"], r["facility"], r["tier"], strict=True)]
    r["facility"] = [local_name(f, page_lang()) for f in r["facility"]]
    r["kind"] = [t(f"kind.{k}") if has(f"kind.{k}", page_lang()) else k for k in r["kind"]]
    r["tier"] = [t(f"tier.{int(k)}") if k in (1, 2, 3) else "" for k in r["tier"]]
    r["capacity"] = [num(v) for v in r["capacity"]]
    for col in ("utilisation", "share_time_full"):
        r[col] = [num(100 * v) + " %" if v == v else "—" for v in r[col]]
    r["days_full"] = [num(v, 1) for v in r["days_full"]]
    return r.rename(columns={c: t(f"resources.{c}") for c in RESOURCE_COLUMNS})


def bottleneck_view(scenario: flowsim.Scenario, result: dict[str, Any], yaml_text: str, replications: int,
                    seed: int) -> None:
    left, right = st.columns(2)
    with left:
        show_chart(cached_specs("ranking", result["resources"], None, page_lang())[""])
        st.caption(t("bottlenecks.ranking_caption"))
    with right:
        if len(result["transfers"]):
            show_chart(charts.held_back(result["transfers"], page_lang()))
            tr = result["transfers"]
            st.caption(t("bottlenecks.held_back_caption", count=num(len(tr)),
                         minutes=num(tr["response"].median() * MINUTES_PER_DAY)))
    c1, c2 = st.columns(2)
    tier = pick(c1.radio, t("bottlenecks.heatmap_of"), [2, 3, 1], words=lambda x, lang: text(f"tier.{x}", lang), horizontal=True,
                    key="heatmap-tier")
    kind = pick(c2.radio, t("bottlenecks.heatmap_kind"), ["hospital", "station"], horizontal=True, key="heatmap-kind",
                    words=lambda k, lang: text(f"bottlenecks.kind_{k}", lang))
    occ = result["occupancy"]
    total = occ[(occ["tier"] == tier) & (occ["kind"] == kind) & (occ["capacity"] > 0)]["facility"].nunique()
    show_chart(cached_specs("heatmap", occ, (tier, kind), page_lang())[""])
    shown = min(total, charts.HEATMAP_ROWS)
    which = t("bottlenecks.heatmap_all", total=total) if shown == total else t("bottlenecks.heatmap_some", shown=shown, total=total)
    st.caption(t("bottlenecks.heatmap_caption", which=which))
    st.subheader(t("bottlenecks.resources_table"))
    st.dataframe(resource_table(result["resources"]), hide_index=True, width="stretch")
    download_table(result["resources"], "resources")
    st.subheader(t("bottlenecks.what_buys"))
    st.caption(t("bottlenecks.what_buys_caption"))
    if st.button(t("bottlenecks.rank"), key="run-bottlenecks"):
        bar, tell = progress_bar()
        st.session_state["bottlenecks"] = (yaml_text, run_bottlenecks(yaml_text, max(replications, PAIRED_MIN), seed,
                                                                      tell))
        bar.empty()
    saved = st.session_state.get("bottlenecks")
    if saved is not None:
        if saved[0] != yaml_text:
            st.info(t("msg.ranked_earlier"))
        st.markdown(f"**{t('plot.bottlenecks_title', step=f'{0.10:.0%}')}**")
        panels = charts.bottleneck_bars(saved[1], page_lang())
        for i in range(0, len(panels), 2):
            show_charts(panels[i:i + 2])
        download_table(saved[1], "bottlenecks")


def sweep_view(scenario: flowsim.Scenario, yaml_text: str, values: dict[str, Any], replications: int,
               seed: int) -> None:
    st.caption(t("sweep.caption"))
    options = [k for k in levers.SWEEP_PATHS if k in values]
    chosen = pick(st.multiselect, t("sweep.levers"), options, default=options[:1], max_selections=2,
                  words=lambda k, lang: named("lever", k, lang), key="sweep-levers", placeholder=t("sweep.levers_placeholder"))
    factors = []
    for key in chosen:
        lever = levers.LEVER[key]
        label = t(f"lever.{key}.label")
        c1, c2, c3 = st.columns(3)
        here = float(values[key]) or 1.0
        # a whole-number lever (F0/day, stations) is typed as a whole number: "1135", not "1135.00"
        low: float
        high: float
        if lever.whole:
            low = c1.number_input(t("sweep.from", lever=label), value=int(round(here * 0.5)), format="%d",
                                  key=f"sweep-low-{key}")
            high = c2.number_input(t("sweep.to", lever=label), value=int(round(here * 1.5)), format="%d",
                                   key=f"sweep-high-{key}")
        else:
            low = c1.number_input(t("sweep.from", lever=label), value=round(here * 0.5, 4), format="%g",
                                  key=f"sweep-low-{key}")
            high = c2.number_input(t("sweep.to", lever=label), value=round(here * 1.5, 4), format="%g",
                                   key=f"sweep-high-{key}")
        steps = c3.number_input(t("sweep.points", lever=label), 2, 8, 4, key=f"sweep-steps-{key}")
        if high <= low:
            st.error(t("sweep.to_above_from", lever=label))
            return
        points = tuple(round(low + (high - low) * i / (steps - 1), 6) for i in range(int(steps)))
        if lever.whole:
            points = tuple(dict.fromkeys(float(round(p)) for p in points))
        factors.append((levers.SWEEP_PATHS[key], points))
    figure = pick(st.selectbox, t("sweep.figure"), KEY_FIGURES, key="sweep-figure",
                          words=lambda f, lang: named("figure", f, lang))
    if factors and st.button(t("sweep.run"), key="run-sweep"):
        runs = max(replications, PAIRED_MIN)
        bar, tell = progress_bar()
        st.session_state["sweep"] = (tuple(factors), run_sweep(yaml_text, tuple(factors), runs, seed, tell))
        bar.empty()
    saved = st.session_state.get("sweep")
    if saved is not None:
        names = [path for path, _ in saved[0]]
        show_chart(charts.sweep_chart(saved[1], names, figure, page_lang()))
        download_table(saved[1], "sweep")


COMPARISON_KEY = "comparison"
"""The comparison last run, as `Compared`."""


class Compared(NamedTuple):
    """A comparison and what it was made for: its rows read "current" only for that setting."""

    made_for: str
    """The YAML of the setting compared as the current one."""
    current: str
    """The name its current row had (in the language of the page that ran it)."""
    differences: pd.DataFrame


def _save_setting(yaml_text: str) -> None:
    """The Save button's action: keep the setting under its name, and offer the next default name
    (a widget's typed value cannot change in the run that drew it: hence a callback)."""
    saved: list[tuple[str, str]] = st.session_state.setdefault("saved_scenarios", [])
    saved.append((st.session_state.get("save-name") or t("compare.default_name", n=len(saved) + 1), yaml_text))
    st.session_state["save-name"] = t("compare.default_name", n=len(saved) + 1)


def current_comparison(yaml_text: str) -> pd.DataFrame | None:
    """The comparison made for this setting, its current row named in the page's language (it was
    named in the language of the page that ran it); None when the levers have moved since."""
    kept = st.session_state.get(COMPARISON_KEY)
    if kept is None or kept.made_for != yaml_text:
        return None
    rename = {kept.current: t("compare.current")}
    diffs = kept.differences
    return diffs.assign(scenario=diffs["scenario"].replace(rename), baseline=diffs["baseline"].replace(rename))


def compare_view(scenario: flowsim.Scenario, yaml_text: str, replications: int, seed: int) -> None:
    saved: list[tuple[str, str]] = st.session_state.setdefault("saved_scenarios", [])
    st.caption(t("compare.caption"))
    if "save-name" not in st.session_state:
        st.session_state["save-name"] = t("compare.default_name", n=len(saved) + 1)
    st.text_input(t("compare.name"), key="save-name")
    st.button(t("compare.save"), key="save-scenario", on_click=_save_setting, args=(yaml_text,))
    if not saved:
        st.info(t("msg.nothing_saved"))
        return
    st.write(t("compare.saved", names=", ".join(n for n, _ in saved)))
    if st.button(t("compare.run"), key="run-compare"):
        names = unique_labels([*(n for n, _ in saved), t("compare.current")])
        named_yaml = tuple(zip(names, [*(text_ for _, text_ in saved), yaml_text], strict=True))
        bar, tell = progress_bar()
        st.session_state[COMPARISON_KEY] = Compared(yaml_text, names[-1],
                                                    run_compare(named_yaml, max(replications, PAIRED_MIN), seed, tell))
        bar.empty()
    diffs = current_comparison(yaml_text)
    if diffs is not None:
        figures = [k for k in KEY_FIGURES if k in set(diffs["figure"])]
        show_chart(charts.forest(diffs, figures, page_lang()))
        download_table(diffs, "comparison")
    elif st.session_state.get(COMPARISON_KEY) is not None:
        st.info(t("compare.stale"))


# -- Teach: small scenarios with their own controls --------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def teach_mmc(servers: int, mean_stay: float, loads: tuple[float, ...]) -> pd.DataFrame:
    return teaching.mmc_curve(servers, mean_stay, loads, replications=3, patients=6000)


@st.cache_data(show_spinner=False, max_entries=16)
def teach_tandem(beds: tuple[int, ...]) -> pd.DataFrame:
    return teaching.tandem_blocking(beds, replications=3, horizon_days=1000)


@st.cache_data(show_spinner=False, max_entries=16)
def teach_epidemic_run(doubling: float, day: float, effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    return teaching.epidemic_lesson(doubling, day, delay_days=14, effect=effect, replications=LESSON_RUNS)


def teach_view() -> None:
    """Three lessons; their controls are the only ones in the sidebar."""
    sb = st.sidebar
    sb.header(t("sidebar.teach"))
    sb.caption(t("sidebar.teach_caption"))
    sb.subheader(t("teach.mmc_title"))
    servers = sb.slider(t("teach.beds"), 1, 20, 5, key="teach-beds", help=t("teach.beds_help"))
    stay = number_slider(sb, t("teach.stay"), 1.0, 10.0, 0.5, "teach-stay", value=2.0, help=t("teach.stay_help"))
    sb.subheader(t("teach.tandem_title"))
    low, high = sb.slider(t("teach.tandem_beds"), 4, 16, (6, 12), key="teach-tandem")
    sb.subheader(t("teach.epidemic_title"))
    doubling = number_slider(sb, t("teach.doubling"), 3.0, 12.0, 0.5, "teach-doubling", value=6.0,
                             help=t("teach.doubling_help"))
    day = sb.slider(t("teach.day"), 10, 60, 30, key="teach-distancing-day", help=t("teach.day_help"))
    effect = number_slider(sb, t("teach.effect"), 0.1, 0.8, 0.05, "teach-distancing-effect", value=0.5,
                           help=t("teach.effect_help"))

    st.subheader(t("teach.mmc_title"))
    st.markdown(t("teach.mmc_text"))
    with st.spinner(t("teach.mmc_running")):
        simulated = teach_mmc(servers, stay, (0.5, 0.7, 0.85, 0.95))
    st.caption(t("lesson.mmc_title", servers=servers, stay=number(stay, 1, page_lang())))
    show_charts(charts.mmc_lesson(teaching.mmc_theory(servers, stay), simulated, page_lang()))
    download_table(simulated, "mmc")
    st.subheader(t("teach.tandem_title"))
    st.markdown(t("teach.tandem_text"))
    with st.spinner(t("teach.tandem_running")):
        table = teach_tandem(tuple(range(low, high + 1, max(1, (high - low) // 4))))
    st.caption(t("lesson.tandem_title"))
    show_charts(charts.tandem_lesson(table, page_lang()))
    download_table(table, "tandem")
    st.subheader(t("teach.epidemic_title"))
    st.markdown(t("teach.epidemic_text"))
    with st.spinner(t("teach.epidemic_running")):
        table, series = teach_epidemic_run(doubling, float(day), effect)
    show_charts(charts.epidemic_lesson(series.assign(variant=series["delay_days"].map(variant_words)), page_lang()))
    st.table(epidemic_lesson_table(table))
    st.caption(t("teach.epidemic_caption" if LESSON_RUNS >= INTERVAL_MIN else "teach.epidemic_caption_range",
                 runs=LESSON_RUNS))
    download_table(table, "epidemic_lesson")


def variant_words(delay_days: float) -> str:
    """An epidemic lesson's variant in the page's words: distancing on time, or so many days late."""
    return t("teach.on_time") if delay_days == 0 else t("teach.late", days=number(delay_days, 0, page_lang()))


LESSON_RUNS = 3
"""Replications of each variant of the epidemic lesson (seconds on the page, not a minute)."""
LESSON_FIGURES = (("peak_f0_day", 0), ("peak_f0", 0), ("peak_icu_demand", 1), ("peak_icu_day", 1), ("died", 1),
                  ("died_waiting", 1))
"""The epidemic lesson's figures as the page shows them, with their decimals (`teach.column.*` names them)."""


def epidemic_lesson_table(table: pd.DataFrame) -> pd.DataFrame:
    """The epidemic lesson's key figures in the page's words: one row per variant, a mean with the
    half-width of its 95% interval from INTERVAL_MIN runs on, and below that the range of the runs in
    brackets, as the key-figure cards show it (the CSV keeps the numbers)."""
    lang = page_lang()
    shown = {t("teach.column.variant"): table["delay_days"].map(variant_words),
             t("teach.column.distancing_day"): [number(v, 0, lang) for v in table["distancing_day"]]}
    ranges = LESSON_RUNS < INTERVAL_MIN  # too few runs for an interval: their range
    for name, digits in LESSON_FIGURES:
        cells = []
        for _, row in table.iterrows():
            mean, width = number(row[name], digits, lang), row.get(f"{name}_half_width", math.nan)
            if ranges and f"{name}_low" in row:
                ends = (row[f"{name}_low"], row[f"{name}_high"])
                whole = all(float(e).is_integer() for e in ends)  # runs' deaths are counts: "40 – 44", not "40.0 – 44.0"
                low, high = (number(e, 0 if whole else digits, lang) for e in ends)
                cells.append(mean if low == high else f"{mean} ({t('card.range', low=low, high=high)})")
            else:
                cells.append(f"{mean} ± {number(width, digits, lang)}" if math.isfinite(width) else mean)
        shown[t(f"teach.column.{name}")] = cells
    return pd.DataFrame(shown)
