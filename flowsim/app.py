"""flowsim for planners: move the levers, see where the network jams and what a change buys.

    flowsim app                      # installed (pip install 'flowsim[app]'): runs flowsim/streamlit_app.py
    streamlit run streamlit_app.py   # from a clone

This module only wires widgets to the flowsim API (levers → scenario → run / replicate / sweep /
compare / bottlenecks → tables → plots). No simulation logic lives here.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import yaml

import flowsim
from flowsim import app_plan, levers, plots, teaching
from flowsim.ambulances import DISPATCH_RULES
from flowsim.config import (
    BUILTIN_DIR,
    EPIDEMIC_PROFILES,
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
from flowsim.interactive import look, warm
from flowsim.limits import check_memory, missing_beds
from flowsim.metrics import MINUTES_PER_DAY
from flowsim.posterior import load as load_posterior
from flowsim.routing import ROUTING_RULES

SOURCES = {"Hanoi, January 2022 (built-in)": BUILTIN_DIR / "hanoi.yaml"}
SOURCES |= {str(read_raw(p)[0].get("name", p.stem)): p for p in sorted((BUILTIN_DIR / "teaching").glob("*.yaml"))}
PAIRED_MIN = 4  # replications at least, for the paired experiments (bottlenecks, sweeps, comparisons)
VIEWS = ["Overview", "Bottlenecks", "Sweep", "Compare", "Plan", "Map", "Teach"]
KEY_FIGURES = [
    ("died", "Deaths", "patients", 0), ("died_waiting", "Deaths while waiting", "patients", 0),
    ("wait_tier2_p90", "Oxygen-bed wait p90", "days", 2), ("wait_tier3_p90", "ICU-bed wait p90", "days", 2),
    ("ambulance_response_p90", "Ambulance response p90", "minutes", 0),
    ("peak_tier2", "Peak tier-2 census", "patients", 0), ("peak_tier3", "Peak tier-3 census", "patients", 0),
    ("full_days_icu", "Days all ICU beds full", "days", 1),
]


# -- cached work: everything keyed by the scenario's YAML text ------------------------------------

@st.cache_resource
def worker_pool() -> Processes:
    """One pool of worker processes for the whole app, started at once (it costs a second).

    Started by a fork server, not forked from this web server: a forked worker inherits the
    server's sockets, and holds the browser's connections open after the server has closed them
    (the browser then sends requests no one reads: grey placeholders, figures that never update).
    """
    pool = Processes(start_method="forkserver")
    warm(pool)
    return pool


@st.cache_data(show_spinner=False, max_entries=32)
def simulate(yaml_text: str, replications: int, seed: int, posterior: bytes | None = None) -> dict[str, Any]:
    """Replication 0 in full (maps, heatmaps) while the pool runs the others (intervals)."""
    drawn = load_posterior(posterior, "the uploaded posterior") if posterior else None
    result = look(build(parse_yaml(yaml_text)), replications, seed, worker_pool(), drawn)
    detail = result.detail
    return {
        "summary": result.table, "intervals": result.intervals,
        "timeseries": detail.timeseries, "resources": detail.resources, "occupancy": detail.occupancy,
        "transfers": detail.transfers, "waits": detail.waits, "seconds": detail.seconds,
    }


@st.cache_data(show_spinner=False, max_entries=8)
def run_bottlenecks(yaml_text: str, replications: int, seed: int) -> pd.DataFrame:
    return flowsim.bottlenecks(build(parse_yaml(yaml_text)), 0.10, replications, seed, executor=worker_pool()).ranking


@st.cache_data(show_spinner=False, max_entries=8)
def run_sweep(yaml_text: str, factors: tuple[tuple[str, tuple[float, ...]], ...], replications: int,
              seed: int) -> pd.DataFrame:
    return flowsim.sweep(build(parse_yaml(yaml_text)), dict(factors), replications, seed,
                         executor=worker_pool()).intervals


@st.cache_data(show_spinner=False, max_entries=8)
def run_compare(named_yaml: tuple[tuple[str, str], ...], replications: int, seed: int) -> pd.DataFrame:
    scenarios = {name: build(parse_yaml(text)) for name, text in named_yaml}
    return flowsim.compare(scenarios, replications, seed, executor=worker_pool()).differences


# -- helpers that only format -----------------------------------------------------------------------

def png(fig) -> bytes:  # noqa: ANN001 - a matplotlib Figure
    """A figure as PNG bytes (and its memory freed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plots.plt.close(fig)
    return buffer.getvalue()


@st.cache_data(show_spinner=False, max_entries=64)
def render(kind: str, table: pd.DataFrame, option: Any = None, yaml_text: str = "") -> bytes:
    """A figure drawn from a table, as PNG bytes: drawn once per table, then served from cache."""
    if kind == "overview":
        fig = plots.overview(table, option)
    elif kind == "ranking":
        fig = plots.resource_ranking(table)
    elif kind == "held_back":
        fig = plots.held_back(table)
    elif kind == "heatmap":
        fig = plots.occupancy_heatmap(table, option)
    elif kind == "map":
        fig = plots.network_map(build(parse_yaml(yaml_text)), table)
    elif kind == "bottlenecks":
        fig = plots.bottleneck_bars(table, option)
    elif kind == "sweep":
        fig = plots.sweep_chart(table, list(option[0]), option[1])
    elif kind == "comparison":
        fig = plots.forest(table, list(option))
    elif kind == "epidemic":
        fig = plots.epidemic_curve(table, option)
    elif kind == "epidemic_lesson":
        fig = plots.epidemic_lesson_chart(table)
    else:
        raise ValueError(f"unknown figure {kind}")
    return png(fig)


def show_figure(kind: str, name: str, table: pd.DataFrame, option: Any = None, yaml_text: str = "") -> None:
    data = render(kind, table, option, yaml_text)
    st.image(data, width="stretch")
    st.download_button(f"Download {name}.png", data, f"{name}.png", "image/png", key=f"png-{name}")


def download_table(table: pd.DataFrame, name: str) -> None:
    st.download_button(f"Download {name}.csv", table.to_csv(index=False).encode(), f"{name}.csv", "text/csv",
                       key=f"csv-{name}")


def fmt(value: float, digits: int) -> str:
    if value != value:
        return "—"
    return f"{value:,.{digits}f}"


# -- the scenario: source, levers, table -----------------------------------------------------------

def source_data() -> tuple[str, dict]:
    """Raw data of the chosen (or uploaded) scenario; an upload error is shown and falls back."""
    names = list(SOURCES)
    default = 0
    start = os.environ.get("FLOWSIM_APP_SCENARIO")  # tests start from a small scenario
    if start:
        match = [i for i, n in enumerate(names) if Path(SOURCES[n]).stem == Path(start).stem]
        default = match[0] if match else 0
    st.sidebar.header("Scenario")
    choice = st.sidebar.selectbox("Start from", names, index=default, key="source",
                                  help="A built-in scenario, or upload your own YAML below.")
    upload = st.sidebar.file_uploader("…or upload a scenario (YAML)", type=["yaml", "yml"], key="upload_yaml",
                                      help="A scenario file like configs/hanoi.yaml; it is validated before use.")
    if upload is not None:
        try:
            data = parse_yaml(upload.getvalue().decode("utf-8", errors="replace"), upload.name)
            build(data)
            return f"upload:{upload.name}", data
        except ConfigError as exc:
            st.sidebar.error(f"Upload not used: {exc}")
    plan = app_plan.loaded_plan(choice)  # a plan the Plan view loaded
    if plan is not None:
        return plan
    data, _ = read_raw(SOURCES[choice])
    return choice, data


def daily_cases_upload() -> list[float] | None:
    upload = st.sidebar.file_uploader(
        "Daily cases (CSV)", type=["csv"], key="upload_cases",
        help="Columns `day` (0, 1, 2, …) and `cases` (new F0 that day). Replaces the daily-F0 slider; with "
             "epidemic-driven demand (renewal, e.g. omicron_fit) it is the history the projection starts from, "
             "Rt fitted to its last week (Cori et al.).")
    if upload is None:
        return None
    try:
        table = pd.read_csv(io.BytesIO(upload.getvalue()))
        return cases_from_table(table, upload.name)
    except ConfigError as exc:
        st.sidebar.error(f"Daily cases not used: {exc}")
    except Exception as exc:  # noqa: BLE001 - any unreadable upload is reported, never raised
        st.sidebar.error(f"Daily cases not used: {upload.name} is not a readable CSV ({exc.__class__.__name__})")
    return None


def lever_inputs(scenario: flowsim.Scenario, source: str) -> dict[str, Any]:
    """Sliders for every lever, starting from the scenario's values (reset when it changes)."""
    now = levers.current(scenario)
    if st.session_state.get("lever_source") != source:
        for key in now:
            st.session_state.pop(f"lever:{key}", None)
        st.session_state["lever_source"] = source
    st.sidebar.header("Levers")
    presets = st.sidebar.columns(3)
    for col, (label, rate) in zip(presets, (("2,000/day", 2000), ("3,000/day", 3000),
                                            ("Scenario", now["daily_f0"])), strict=True):
        if col.button(label, key=f"preset-{label}", help="Set new F0 per day to this plan" if rate else None):
            st.session_state["lever:daily_f0"] = float(rate or 0)
    values: dict[str, Any] = {}
    for lever in levers.LEVERS:
        current_value = now.get(lever.key)
        if current_value is None:
            continue
        high = lever.high
        if lever.key == "stations_open":
            high = now["stations_open"]
            if high == 0:
                continue
        value = float(min(max(current_value, lever.low), high))
        key = f"lever:{lever.key}"
        if key not in st.session_state:
            st.session_state[key] = value
        values[lever.key] = st.sidebar.slider(
            f"{lever.label} ({lever.unit})", float(lever.low), float(high), step=float(lever.step), key=key,
            help=lever.help)
    st.sidebar.caption("Home treatment: share of each risk group's mild F0 eligible to stay home")
    for g in scenario.risk_groups:
        key = f"lever:home_share:{g.name}"
        if key not in st.session_state:
            st.session_state[key] = float(g.home_share)
        values[f"home_share:{g.name}"] = st.sidebar.slider(
            f"Home treatment, {g.name} (share)", 0.0, 1.0, step=0.01, key=key,
            help="Share of this group's tier-1 F0 treated at home; the rest need a facility bed.")
    values["routing"] = st.sidebar.selectbox(
        "Routing rule (oxygen and ICU beds)", list(ROUTING_RULES),
        index=list(ROUTING_RULES).index(now["routing"]), key=f"routing:{source}",
        help="nearest_free: nearest hospital with a free bed; least_loaded: the emptiest; "
             "designated: the district's designated hospital.")
    if now["dispatch"] is not None:
        rules = list(DISPATCH_RULES)
        values["dispatch"] = st.sidebar.selectbox(
            "Ambulance dispatch", rules, index=rules.index(now["dispatch"]), key=f"dispatch:{source}",
            help="nearest_idle: the nearest free vehicle; district_base: only the base serving the district.")
    return values


# -- epidemic-driven demand: a preset chooser and its sliders ----------------------------------------

def epidemic_demand(data: dict, source: str) -> tuple[dict, str]:
    """Raw data with an epidemic preset of the scenario applied if one is chosen, and the source key
    the sliders reset on."""
    choices = [name for name, changes in (data.get("presets") or {}).items()
               if changes.get("arrivals.profile") in EPIDEMIC_PROFILES]
    if not choices:
        return data, source
    choice = st.sidebar.selectbox(
        "Epidemic-driven demand", ["off: the scenario's arrivals", *choices], key=f"epidemic:{source}",
        help="New F0 from an epidemic model instead of a fixed rate. omicron_fit: Hanoi's Omicron wave from "
             "25 Jan 2022, fitted to the reported totals (Rt 1.085, the 9-day reading; 1.11 for the 7-day one).")
    if choice not in choices:
        return data, source
    return yaml.safe_load(to_yaml(build(data, presets=[choice]))), f"{source}+{choice}"


def epidemic_sliders(scenario: flowsim.Scenario, horizon_days: float) -> dict[str, Any]:
    """Doubling time or Rt, a distancing change and the detection share, for an epidemic profile:
    only the sliders moved from the scenario's values (so a fitted Rt stays fitted)."""
    now = levers.epidemic_current(scenario)
    if scenario.arrivals.profile not in EPIDEMIC_PROFILES:
        return {}
    st.sidebar.caption("Epidemic: the F0 curve is drawn beside the results (Overview)")
    values: dict[str, Any] = {}
    for lever in levers.EPIDEMIC_LEVERS:
        if now.get(lever.key) is None:
            continue
        high = float(min(lever.high, math.ceil(horizon_days) - 1)) if lever.key == "distancing_day" else lever.high
        key = f"lever:{lever.key}"
        if key not in st.session_state or st.session_state[key] > high:
            st.session_state[key] = float(min(max(now[lever.key], lever.low), high))
        value = st.sidebar.slider(f"{lever.label} ({lever.unit})", float(lever.low), float(high),
                                  step=float(lever.step), key=key, help=lever.help)
        if value != now[lever.key]:  # unmoved: the scenario's own value (a fitted Rt stays fitted)
            values[lever.key] = value
    return values


def epidemic_panel(scenario: flowsim.Scenario, result: dict[str, Any]) -> None:
    """The projected F0/day curve (with its Poisson band) beside the F0 the run drew."""
    curve = arrivals_curve(scenario.arrivals, int(math.ceil(scenario.horizon_days)))
    show_figure("epidemic", "f0_curve", curve, result["timeseries"])
    peak = curve.loc[curve["expected"].idxmax()]
    st.caption(f"Expected F0/day peaks at {peak['expected']:,.0f} on day {int(peak['day'])}; the band is the "
               "central 95% of one day's count around the curve (Poisson, or negative binomial with "
               "overdispersion) — not the uncertainty of the epidemic's parameters.")
    download_table(curve, "f0_curve")
    a = scenario.arrivals
    if a.profile == "renewal" and a.renewal is not None and a.renewal.rt is None and a.daily_cases:
        fit = estimate_rt(a.daily_cases, a.renewal.fit_window_days, a.renewal.generation_interval).iloc[-1]
        st.caption(f"Rt fitted to the last {a.renewal.fit_window_days} days of the case history: "
                   f"{fit['rt_mean']:.3f}, 95% credible interval [{fit['rt_lower']:.3f}, {fit['rt_upper']:.3f}] "
                   "(Cori et al. 2013; covers Rt given those counts, not a later change). Move the Rt slider "
                   "to override it.")


def main() -> None:
    st.set_page_config(page_title="flowsim · patient flow", page_icon="🏥", layout="wide")
    st.title("flowsim · where will the network jam?")
    source, data = source_data()
    try:
        base = build(data)
    except ConfigError as exc:
        st.error(f"Scenario not valid: {exc}")
        return
    data, source = epidemic_demand(data, source)
    cases = daily_cases_upload()
    if cases is not None and (data.get("arrivals") or {}).get("profile") == "renewal":
        data, source, cases = levers.with_history(data, cases), f"{source}+cases:{hash(tuple(cases))}", None
    try:
        base = build(data)
    except ConfigError as exc:
        st.error(f"Case history not used: {exc}")
        return
    values = lever_inputs(base, source)
    values |= epidemic_sliders(base, values.get("horizon_days", base.horizon_days))
    if cases is not None:
        values.pop("daily_f0", None)
    st.sidebar.header("Experiment")
    replications = st.sidebar.slider(
        "Replications", 1, 20, 2, key="replications",
        help="Independent runs of this setting; key figures get a 95% interval from 2 on. Two keep the page "
             "quick (both run at once on two cores) but their intervals are wide: raise it before deciding. "
             f"Bottlenecks, sweeps and comparisons use at least {PAIRED_MIN}.")
    seed = int(st.sidebar.number_input("Seed", 0, 2**31 - 1, int(base.seed), key=f"seed:{source}",
                                       help="Same scenario and seed → the same numbers."))

    with st.expander("Beds per facility (editable)"):
        table = st.data_editor(levers.facility_table(base), key=f"beds:{source}", disabled=["name", "kind", "district"],
                               hide_index=True, width="stretch")
    with st.expander("Advanced: edit the scenario as YAML"):
        edited_yaml = st.text_area("Scenario YAML (applied before the levers)", to_yaml(base), height=200,
                                   key=f"yaml:{source}")
    try:
        if edited_yaml.strip() != to_yaml(base).strip():
            data = parse_yaml(edited_yaml, "edited YAML")
        scenario = levers.scenario_with(data, values, table, cases)
    except ConfigError as exc:
        st.error(f"Not applied: {exc}")
        return
    yaml_text = to_yaml(scenario)
    st.sidebar.download_button("Download this scenario (YAML)", yaml_text.encode(), "scenario.yaml",
                               "application/x-yaml", key="download-scenario")

    try:
        check_memory([scenario], worker_pool().workers, override=None)
    except ConfigError as exc:
        st.error(f"Not run: {exc}")
        return
    for line in missing_beds(scenario):
        st.warning(line)

    posterior = posterior_input()
    bar = st.progress(0.0, text="Simulating…")
    try:
        result = simulate(yaml_text, replications, seed, posterior)
    except ConfigError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    st.session_state["last_result_seconds"] = result["seconds"]

    view = st.radio("View", VIEWS, horizontal=True, key="view", label_visibility="collapsed")
    if view == "Overview":
        overview_view(scenario, result)
    elif view == "Bottlenecks":
        bottleneck_view(scenario, result, yaml_text, replications, seed)
    elif view == "Sweep":
        epidemic_now = {k: v for k, v in levers.epidemic_current(scenario).items() if v is not None}
        sweep_view(scenario, yaml_text, epidemic_now | values, replications, seed)
    elif view == "Compare":
        compare_view(scenario, yaml_text, replications, seed)
    elif view == "Plan":
        app_plan.plan_view(scenario, replications, seed, worker_pool())
    elif view == "Map":
        show_figure("map", "map", result["resources"], yaml_text=yaml_text)
        st.caption("Circles: districts (size by population). Squares: hospitals; dots: mobile stations — "
                   "coloured by their busiest bed pool's mean utilisation. Triangles: ambulance bases.")
    else:
        teach_view()


def posterior_input() -> bytes | None:
    """An uploaded posterior (from `flowsim calibrate`), said in the sidebar while it is in use."""
    upload = st.sidebar.file_uploader("Parameter uncertainty: a posterior (posterior.parquet)", type=["parquet"],
                                      key="upload_posterior",
                                      help="From `flowsim calibrate`. Replication i of the Overview runs with "
                                           "parameter set i, so its intervals cover these parameters as well as chance.")
    if upload is None:
        return None
    data = upload.getvalue()
    try:
        post = load_posterior(data, upload.name)
    except ConfigError as exc:
        st.sidebar.error(f"Posterior not used: {exc.named({'posterior': 'the file'})}")
        return None
    st.sidebar.info(f"Posterior in use ({upload.name}: {len(post.weights)} parameter sets of "
                    f"{', '.join(post.fields)}): the Overview's intervals cover these parameters as well as chance.")
    return data


def overview_view(scenario: flowsim.Scenario, result: dict[str, Any]) -> None:
    summary, intervals = result["summary"], result["intervals"]
    cols = st.columns(4)
    for i, (name, label, unit, digits) in enumerate(KEY_FIGURES):
        if name not in summary or summary[name].isna().all():
            continue
        if intervals is not None and name in set(intervals["figure"]):
            row = intervals.set_index("figure").loc[name]
            text = f"{fmt(row['mean'], digits)} ± {fmt(row['half_width'], digits)}"
        else:
            text = fmt(float(summary[name].iloc[0]), digits)
        cols[i % 4].metric(f"{label} ({unit})", text, help="mean ± half-width of the 95% interval"
                           if intervals is not None else "one replication: add replications for an interval")
    s = summary.iloc[0]
    st.caption(f"{scenario.name} · every figure over days {s['window_start']:g}-{s['window_end']:g} · "
               f"{len(summary)} replication(s) · in care on day {s['window_start']:g} {int(s['in_system_start']):,} + "
               f"arrivals {int(s['arrivals']):,} = recovered {int(s['recovered']):,} + died {int(s['died']):,} + "
               f"still in care {int(s['in_system_end']):,}")
    if scenario.arrivals.profile in EPIDEMIC_PROFILES:
        left, right = st.columns([3, 2])
        with left:
            show_figure("overview", "overview", result["timeseries"], scenario.name)
        with right:
            epidemic_panel(scenario, result)
    else:
        show_figure("overview", "overview", result["timeseries"], scenario.name)
    if intervals is not None:
        st.subheader("Key figures with 95% intervals")
        st.dataframe(intervals, hide_index=True, width="stretch")
        download_table(intervals, "key_figures")
    download_table(summary, "summary")
    download_table(result["timeseries"], "timeseries")


def bottleneck_view(scenario: flowsim.Scenario, result: dict[str, Any], yaml_text: str, replications: int,
                    seed: int) -> None:
    left, right = st.columns(2)
    with left:
        show_figure("ranking", "resource_ranking", result["resources"])
    with right:
        if len(result["transfers"]):
            show_figure("held_back", "held_back", result["transfers"])
            t = result["transfers"]
            st.caption(f"{len(t):,} transfers by road; median response "
                       f"{fmt(t['response'].median() * MINUTES_PER_DAY, 0)} min.")
    tier = st.radio("Occupancy heatmap of", [2, 3, 1], format_func=lambda t: {1: "tier-1 beds", 2: "oxygen beds",
                                                                               3: "ICU beds"}[t], horizontal=True)
    show_figure("heatmap", f"occupancy_tier{tier}", result["occupancy"], tier)
    resources = result["resources"]
    st.dataframe(resources[resources["level"] != "district"], hide_index=True, width="stretch")
    download_table(resources, "resources")
    st.subheader("What would +10% of each resource buy?")
    st.caption("Paired runs on common random numbers: each resource +10%, the rest unchanged.")
    if st.button("Rank resources", key="run-bottlenecks"):
        with st.spinner("Running paired replications for every resource…"):
            st.session_state["bottlenecks"] = (yaml_text, run_bottlenecks(yaml_text, max(replications, PAIRED_MIN), seed))
    saved = st.session_state.get("bottlenecks")
    if saved is not None:
        if saved[0] != yaml_text:
            st.info("Ranked for an earlier setting of the levers; press the button to update.")
        show_figure("bottlenecks", "bottlenecks", saved[1], 0.10)
        st.dataframe(saved[1], hide_index=True, width="stretch")
        download_table(saved[1], "bottlenecks")


def sweep_view(scenario: flowsim.Scenario, yaml_text: str, values: dict[str, Any], replications: int,
               seed: int) -> None:
    st.caption("Vary one or two levers over a range; every point runs the same replications (common random numbers).")
    options = [k for k in levers.SWEEP_PATHS if k in values]
    labels = {k: f"{levers.LEVER[k].label} ({levers.LEVER[k].unit})" for k in options}
    chosen = st.multiselect("Levers to vary (one or two)", options, default=options[:1], max_selections=2,
                            format_func=lambda k: labels[k], key="sweep-levers")
    factors = []
    for key in chosen:
        lever = levers.LEVER[key]
        c1, c2, c3 = st.columns(3)
        here = float(values[key]) or 1.0
        low = c1.number_input(f"{lever.label}: from", value=round(here * 0.5, 4), key=f"sweep-low-{key}")
        high = c2.number_input(f"{lever.label}: to", value=round(here * 1.5, 4), key=f"sweep-high-{key}")
        steps = c3.number_input(f"{lever.label}: points", 2, 8, 4, key=f"sweep-steps-{key}")
        if high <= low:
            st.error(f"{lever.label}: 'to' must be above 'from'")
            return
        points = tuple(round(low + (high - low) * i / (steps - 1), 6) for i in range(int(steps)))
        factors.append((levers.SWEEP_PATHS[key], points))
    figure = st.selectbox("Figure to show", [k for k, *_ in KEY_FIGURES], key="sweep-figure")
    if factors and st.button("Run sweep", key="run-sweep"):
        with st.spinner(f"Running {len(factors)}-factor sweep × {max(replications, PAIRED_MIN)} replications…"):
            st.session_state["sweep"] = (tuple(factors), run_sweep(yaml_text, tuple(factors), max(replications, PAIRED_MIN), seed))
    saved = st.session_state.get("sweep")
    if saved is not None:
        names = [path for path, _ in saved[0]]
        show_figure("sweep", "sweep", saved[1], (tuple(names), figure))
        download_table(saved[1], "sweep")


def compare_view(scenario: flowsim.Scenario, yaml_text: str, replications: int, seed: int) -> None:
    saved: list[tuple[str, str]] = st.session_state.setdefault("saved_scenarios", [])
    st.caption("Save the current levers as a scenario, change the levers, then compare: each figure's "
               "difference from the first saved scenario, with paired 95% intervals.")
    name = st.text_input("Name for the current setting", f"setting {len(saved) + 1}", key="save-name")
    if st.button("Save current setting", key="save-scenario"):
        saved.append((name, yaml_text))
    if not saved:
        st.info("Nothing saved yet.")
        return
    st.write("Saved: " + ", ".join(n for n, _ in saved))
    if st.button("Compare current setting with saved", key="run-compare"):
        named = tuple(zip(unique_labels([*(n for n, _ in saved), "current"]), [*(t for _, t in saved), yaml_text],
                          strict=True))
        with st.spinner("Running paired replications…"):
            st.session_state["comparison"] = run_compare(named, max(replications, PAIRED_MIN), seed)
    diffs = st.session_state.get("comparison")
    if diffs is not None:
        figures = [k for k, *_ in KEY_FIGURES if k in set(diffs["figure"])]
        show_figure("comparison", "comparison", diffs, tuple(figures))
        st.dataframe(diffs, hide_index=True, width="stretch")
        download_table(diffs, "comparison")


@st.cache_data(show_spinner=False, max_entries=16)
def teach_mmc(servers: int, mean_stay: float, loads: tuple[float, ...]) -> bytes:
    simulated = teaching.mmc_curve(servers, mean_stay, loads, replications=3, patients=6000)
    fig = plots.erlang_c_curve(teaching.mmc_theory(servers, mean_stay), simulated, servers, mean_stay)
    return png(fig)


@st.cache_data(show_spinner=False, max_entries=16)
def teach_tandem(beds: tuple[int, ...]) -> tuple[bytes, pd.DataFrame]:
    table = teaching.tandem_blocking(beds, replications=3, horizon_days=1000)
    fig = plots.tandem_chart(table)
    return png(fig), table


@st.cache_data(show_spinner=False, max_entries=16)
def teach_epidemic_run(doubling: float, day: float, effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    return teaching.epidemic_lesson(doubling, day, delay_days=14, effect=effect, replications=3)


def teach_epidemic() -> None:
    st.subheader("An epidemic: doubling time, ICU demand, and a two-week delay")
    st.markdown(
        "New F0 now come from an SEIR epidemic in the small town (`configs/teaching/epidemic.yaml`). "
        "A shorter doubling time brings an earlier, higher peak of patients needing ICU. Distancing cuts "
        "transmission from its day on; started two weeks later, the same distancing meets an epidemic "
        "already 2^(14/doubling) times larger — watch the peak move and the deaths while waiting grow.")
    c1, c2, c3 = st.columns(3)
    doubling = c1.slider("Doubling time (days)", 3.0, 12.0, 6.0, step=0.5, key="teach-doubling",
                         help="Days for infections to double at the start.")
    day = c2.slider("Distancing on day", 10, 60, 30, key="teach-distancing-day",
                    help="The 'on time' start; the other line starts 14 days later.")
    effect = c3.slider("Distancing strength", 0.1, 0.8, 0.5, step=0.05, key="teach-distancing-effect",
                       help="Share of transmission cut (reached over 5 days).")
    with st.spinner("Simulating the town twice, three replications each…"):
        table, series = teach_epidemic_run(doubling, float(day), effect)
    show_figure("epidemic_lesson", "epidemic_lesson", series)
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Means over 3 replications with the half-width of their 95% interval; peak ICU demand counts "
               "patients needing ICU, in a bed or waiting for one.")
    download_table(table, "epidemic_lesson")


def teach_view() -> None:
    st.subheader("One ward as an M/M/c queue")
    st.markdown(
        "Patients arrive at random (a Poisson stream, rate λ per day), each stays an exponential time "
        "(mean 1/μ days) in one of *c* beds, and wait first come first served when all are taken. "
        "Queueing theory (Erlang C) gives the chance of waiting and the mean wait; flowsim simulates "
        "the same ward (`configs/teaching/mmc.yaml`). Notice how the wait explodes as the load ρ = λ/(cμ) "
        "nears 1: a ward at 95% is not 'almost fine', it is a queue.")
    c1, c2 = st.columns(2)
    servers = c1.slider("Beds c", 1, 20, 5, key="teach-beds", help="Oxygen beds in the ward.")
    stay = c2.slider("Mean stay 1/μ (days)", 1.0, 10.0, 2.0, step=0.5, key="teach-stay",
                     help="Exponential length of stay.")
    with st.spinner("Simulating the ward at four loads…"):
        data = teach_mmc(servers, stay, (0.5, 0.7, 0.85, 0.95))
    st.image(data, width="stretch")
    st.download_button("Download mmc.png", data, "mmc.png", "image/png", key="png-teach-mmc")
    st.subheader("Two tiers in tandem: blocking")
    st.markdown(
        "A 40-bed mobile station feeds an oxygen ward (`configs/teaching/tandem.yaml`). A station patient "
        "who needs oxygen keeps their station bed until an oxygen bed is free: the station bed is "
        "*blocked*, and new mild patients find the station full. Add oxygen beds and watch the blocking "
        "upstream vanish — the cure for a full station may be downstream.")
    low, high = st.slider("Oxygen beds downstream", 4, 16, (6, 12), key="teach-tandem")
    with st.spinner("Simulating the tandem…"):
        data, table = teach_tandem(tuple(range(low, high + 1, max(1, (high - low) // 4))))
    st.image(data, width="stretch")
    download_table(table, "tandem")
    teach_epidemic()
