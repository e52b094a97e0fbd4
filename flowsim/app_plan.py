"""The app's "Plan" view: service targets, a budget and unit costs; the capacity frontier and the
cheapest plan, run on the app's worker pool with progress; the plan loaded as the current scenario.

Only widgets: the work is `flowsim.frontier.frontier` and `flowsim.optimise.optimise`, the
figures `flowsim.decision_charts` (interactive; the CLI writes `decision_plots`' PNGs), the words
`flowsim.decision_words`. Hooked into app.py by `loaded_plan` (in its scenario source)
and `plan_view` (its "Plan" view).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

import flowsim
from flowsim import decision_charts
from flowsim.app_language import page_lang
from flowsim.app_widgets import download_table, number_slider, show_chart, show_charts
from flowsim.config import ConfigError, parse_yaml, to_yaml
from flowsim.costs import RESOURCE_OF
from flowsim.decision_words import plan_words, target_words, unit_words, verdict
from flowsim.i18n import bracket, error_words, local_name, number, significant, text

PLAN_KEY = "loaded_plan"
MIN_REPLICATIONS = 4


def t(key: str, /, **values: Any) -> str:
    """The text of `key` in the app's language (flowsim/locales/<lang>.yaml)."""
    return text(key, page_lang(), **values)


def unit_label(unit: str, many: bool = False) -> str:
    """A priced unit's name (`costs.RESOURCE_OF`), one or several."""
    return text(f"plan.unit.{unit}{'_many' if many else ''}", page_lang())


def loaded_plan(choice: str) -> tuple[str, dict] | None:
    """The plan loaded from the Plan view as the scenario source, while the same built-in
    scenario stays chosen (choosing another drops it)."""
    st.session_state["plan-choice"] = choice  # the scenario a plan loaded now would belong to
    saved = st.session_state.get(PLAN_KEY)
    if saved is None:
        return None
    label, text, chosen_from = saved
    if chosen_from != choice:
        st.session_state.pop(PLAN_KEY, None)
        return None
    st.sidebar.success(t("plan.running_plan", label=label))
    return f"plan:{label}", parse_yaml(text, "the loaded plan")


def _targets(scenario: flowsim.Scenario) -> list[str]:
    st.markdown(t("plan.targets"))
    c1, c2, c3, c4 = st.columns(4)
    out = []
    if c1.checkbox(t("plan.icu_wait"), True, key="plan-icu-on"):
        hours = c1.number_input(t("plan.longer_than_hours"), 0.0, 72.0, 2.0, 0.5, key="plan-icu-hours")
        share = c1.number_input(t("plan.share_icu"), 0.0, 100.0, 5.0, 1.0, key="plan-icu-share")
        out.append(f"P(icu_wait>{hours:g}h)<={share:g}%")
    if c2.checkbox(t("plan.oxygen_wait"), True, key="plan-o2-on"):
        hours = c2.number_input(t("plan.longer_than_hours") + " ", 0.0, 72.0, 2.0, 0.5, key="plan-o2-hours")
        share = c2.number_input(t("plan.share_oxygen"), 0.0, 100.0, 5.0, 1.0, key="plan-o2-share")
        out.append(f"P(oxygen_wait>{hours:g}h)<={share:g}%")
    if c3.checkbox(t("plan.deaths_waiting"), False, key="plan-deaths-on"):
        per = c3.number_input(t("plan.deaths_at_most"), 0.0, 1000.0, 1.0, 0.1, key="plan-deaths")
        out.append(f"deaths_waiting_per_1000<={per:g}")
    if scenario.ambulances is not None and c4.checkbox(t("plan.ambulance_response"), False, key="plan-amb-on"):
        minutes = c4.number_input(t("plan.ambulance_at_most"), 1.0, 600.0, 60.0, 5.0, key="plan-amb")
        out.append(f"ambulance_response_p90<={minutes:g}")
    return out


def _costs(scenario: flowsim.Scenario) -> flowsim.Scenario:
    st.markdown(t("plan.costs", currency=local_name(scenario.costs.currency, page_lang())))
    priced = scenario.costs.priced()
    table = pd.DataFrame([{"unit": unit_label(u), "one_off": priced[u].one_off if u in priced else None,
                           "per_day": priced[u].per_day if u in priced else None} for u in RESOURCE_OF])
    columns = {"unit": t("plan.column.unit"), "one_off": t("plan.column.one_off"), "per_day": t("plan.column.per_day")}
    edited = st.data_editor(table, key="plan-costs", disabled=["unit"], hide_index=True, width="stretch",
                            column_config=columns)
    costs: dict[str, Any] = {"currency": scenario.costs.currency}
    for unit, row in zip(RESOURCE_OF, edited.to_dict("records"), strict=True):
        one_off, per_day = row.get("one_off"), row.get("per_day")
        if (one_off is None or pd.isna(one_off)) and (per_day is None or pd.isna(per_day)):
            continue
        costs[unit] = {"one_off": 0.0 if one_off is None or pd.isna(one_off) else float(one_off),
                       "per_day": 0.0 if per_day is None or pd.isna(per_day) else float(per_day)}
    return flowsim.variant(scenario, {"costs": costs})


STAGES = ("runs", "search", "trials", "confirm")
"""Stages the tools report progress in, each worded in the locale files (others are shown as given)."""


def _bar(label: str, growing: bool = False) -> Any:
    """A progress bar. `growing`: the total is what is known so far (the frontier's search adds
    rates as it narrows), said so, or "8 of 8" then "16 of 16" looked finished twice."""
    bar = st.progress(0.0, text=label)

    def report(*args: Any) -> None:
        stage, done, total = args if len(args) == 3 else ("runs", *args)
        bar.progress(min(1.0, done / total) if total else 0.0,
                     text=t("plan.progress_growing" if growing else "plan.progress", what=label,
                            stage=t(f"plan.stage.{stage}") if stage in STAGES else stage,
                            done=number(done, 0, page_lang()), total=number(total, 0, page_lang())))

    return bar, report


def plan_view(scenario: flowsim.Scenario, replications: int, seed: int, pool: Any) -> None:
    """Targets, costs and budget; the frontier and the cheapest plan; load the plan."""
    from flowsim.frontier import frontier, parse_target
    from flowsim.optimise import default_decisions, optimise

    st.caption(t("plan.intro"))
    texts = _targets(scenario)
    try:
        targets = [parse_target(target, "target") for target in texts]
        priced = _costs(scenario)
    except ConfigError as exc:
        st.error(t("plan.not_used", error=error_words(exc, page_lang())))
        return
    if not targets:
        st.info(t("plan.choose_target"))
        return
    reps = max(replications, MIN_REPLICATIONS)
    c1, c2, c3 = st.columns(3)
    budget = c1.number_input(t("plan.budget", currency=local_name(priced.costs.currency, page_lang())), 0.0, 1e15, 0.0, key="plan-budget")
    trials = c2.slider(t("plan.trials"), 4, 60, 12, key="plan-trials")
    most = number_slider(c3, t("plan.at_most"), 1.1, 3.0, 0.1, "plan-most", value=2.0)
    left, right = st.columns(2)
    if left.button(t("plan.find_frontier"), key="run-frontier"):
        bar, report = _bar(t("plan.frontier_label"), growing=True)
        try:
            st.session_state["plan-frontier"] = frontier(scenario, targets, reps, seed, rtol=0.03, executor=pool,
                                                         report=report)
        except ConfigError as exc:
            st.error(error_words(exc, page_lang()))
        bar.empty()
    if right.button(t("plan.find_cheapest"), key="run-optimise"):
        import importlib.util

        decisions = default_decisions(priced, most)
        if importlib.util.find_spec("optuna") is None:
            st.error(t("plan.needs_optuna"))
        elif not decisions:
            st.error(t("plan.no_costs"))
        else:
            bar, report = _bar(t("plan.cheapest_label"))
            try:
                st.session_state["plan-optimise"] = optimise(
                    priced, targets, budget if budget > 0 else math.inf, decisions, trials, reps, seed,
                    confirm=2, executor=pool, report=report)
            except ConfigError as exc:
                st.error(error_words(exc, page_lang()))
            bar.empty()
    st.markdown(t("plan.units_intro"))
    if st.button(t("plan.rank_units"), key="run-units"):
        from flowsim.unit_bottlenecks import unit_bottlenecks

        with st.spinner(t("plan.ranking_units")):
            st.session_state["plan-units"] = unit_bottlenecks(scenario, reps, seed, confirm=4, executor=pool)
    _units()
    found = st.session_state.get("plan-frontier")
    if found is not None:
        _frontier_result(found)
    result = st.session_state.get("plan-optimise")
    if result is not None:
        _optimise_result(result)


STATUS = {"found": "found", "met throughout": "met_throughout", "never met": "never_met", "above": "above"}
"""A target frontier's statuses (`frontier.TargetFrontier.status`) and the keys of their words, `plan.status.*`."""


BOUNDS = {"met throughout": "≥", "above": "≥", "never met": "≤"}
"""Statuses whose rate is an end of the search, a bound and not a frontier: shown as one ("≥ 3,600"),
without the interval the search computed around that end."""


def frontier_cell(rate: float, lower: float, upper: float, status: str, lang: str) -> str:
    """A target's frontier as the Plan view shows it: a found one with its interval, a bound as a bound."""
    if status in BOUNDS:
        return f"{BOUNDS[status]} {number(rate, 0, lang)}"
    return _interval(rate, lower, upper, 0, lang)


def _yes(flag: bool) -> str:
    return t("plan.answer_yes") if flag else t("plan.answer_no")


def _interval(mean: float, lower: float, upper: float, digits: int = 2, lang: str | None = None) -> str:
    lang = lang or page_lang()
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return number(mean, digits, lang)
    return f"{number(mean, digits, lang)} {bracket(lower, upper, digits, lang)}"


def _frontier_result(found: Any) -> None:
    """The frontier: its rate with interval and the target that sets it, a chart a target, their table."""
    lang = page_lang()
    st.subheader(t("plan.frontier"))
    interval = {"lower": number(found.lower, 0, lang), "upper": number(found.upper, 0, lang),
                "binding": target_words(found.binding, lang)}
    table = found.table
    binding = table.loc[table["binding"], "status"]
    status = str(binding.iloc[0]) if len(binding) else "found"
    st.metric(t("plan.frontier_metric"), frontier_cell(found.rate, math.nan, math.nan, status, lang),
              help=t("plan.frontier_help", replications=found.replications, **interval)
              + (" " + t(f"plan.status.{STATUS[status]}") if status in BOUNDS else ""))
    st.caption(t("plan.frontier_caption", **interval))
    show_charts(decision_charts.frontier_curves(found.evaluations, found.table, lang))
    st.table(pd.DataFrame({
        t("plan.column.target"): [target_words(x, lang) for x in table["target"]],
        t("plan.column.frontier"): [frontier_cell(f, lo, hi, s, lang) for f, lo, hi, s in
                                    zip(table["frontier"], table["lower"], table["upper"], table["status"], strict=True)],
        t("plan.column.status"): [t(f"plan.status.{STATUS[x]}") if x in STATUS else x for x in table["status"]],
        t("plan.column.binding"): [_yes(bool(b)) for b in table["binding"]]}))
    download_table(table, "frontier")


def _optimise_result(result: Any) -> None:
    """The cheapest plan: the verdict, the plans tried (cost against deaths while waiting), the
    confirmation, what the chosen plan adds, and its download or load."""
    lang = page_lang()
    words = plan_words(result.plans, lang)
    st.subheader(t("plan.cheapest"))
    tried = 0 if result.confirmation is None else len(result.confirmation)
    said = verdict(result.confirmation, result.chosen.label if result.chosen else None, tried, 0.95, lang,
                   name=lambda label: words.get(label, label))
    (st.success if result.chosen is not None else st.warning)(said)
    show_chart(decision_charts.pareto(result.plans, result.pareto, result.chosen.label if result.chosen else None,
                                      local_name(result.currency, lang), result.budget, lang))
    figures = [tg.figure for tg in result.targets]
    if len(result.confirmation):
        st.markdown(t("plan.confirmed"))
        c = result.confirmation
        shown = {t("plan.column.plan"): [words.get(x, x) for x in c["plan"]],
                 t("plan.column.cost"): [number(x, 0, lang) for x in c["cost"]]}
        for tg in result.targets:
            k = 100.0 if tg.share is not None else 1.0  # a share as %, as its target says it
            shown[target_words(tg.text, lang) + (" (%)" if tg.share is not None else "")] = [
                _interval(k * m, k * lo, k * hi, 1 if tg.share is not None else 3) for m, lo, hi in
                zip(c[tg.figure], c[f"{tg.figure}_lower"], c[f"{tg.figure}_upper"], strict=True)]
        shown[t("plan.column.died_waiting")] = [_interval(m, lo, hi) for m, lo, hi in
                                                zip(c["died_waiting"], c["died_waiting_lower"], c["died_waiting_upper"], strict=True)]
        shown[t("plan.column.meets")] = [_yes(bool(x)) for x in c["meets_targets"]]
        shown[t("plan.column.sure")] = [_yes(bool(x)) for x in c["meets_with_confidence"]]
        st.table(pd.DataFrame(shown))
        download_table(c, "confirmation")
    with st.expander(t("plan.every_plan")):
        p = result.plans.drop_duplicates("plan")
        every = {t("plan.column.plan"): [words.get(x, x) for x in p["plan"]],
                 t("plan.column.cost"): [number(x, 0, lang) for x in p["cost"]]}
        for tg, name in zip(result.targets, figures, strict=True):
            every[target_words(tg.text, lang) + (" (%)" if tg.share is not None else "")] = [
                number(100 * x, 1, lang) if tg.share is not None else number(x, 3, lang) for x in p[name]]
        every[t("plan.column.died_waiting")] = [number(x, 2, lang) for x in p["died_waiting"]]
        every[t("plan.column.meets")] = [_yes(bool(x)) for x in p["feasible"]]
        st.dataframe(pd.DataFrame(every), hide_index=True, width="stretch")
        download_table(result.plans, "plans")
    if result.chosen is not None:
        st.write(t("plan.plan_adds", adds=words.get(result.chosen.label, t("plan.nothing")),
                   cost=number(result.chosen.cost, 0, lang), currency=local_name(result.currency, lang)))
        plan_text = to_yaml(result.chosen.scenario)
        c1, c2 = st.columns(2)
        c1.download_button(t("plan.download_plan"), plan_text.encode(), "plan.yaml", "application/x-yaml",
                           key="download-plan")
        if c2.button(t("plan.load_plan"), key="load-plan"):
            st.session_state[PLAN_KEY] = (result.chosen.label, plan_text, st.session_state.get("plan-choice"))
            st.rerun()


def _units() -> None:
    """Single units ranked: deaths averted with paired intervals (charts), the leader against the
    runner-up, the table in the page's words."""
    result = st.session_state.get("plan-units")
    if result is None:
        return
    lang = page_lang()
    r = result.ranking
    names = [unit_words(k, p, lang) for k, p in zip(r["kind"], r["place"], strict=True)]
    show_charts(decision_charts.unit_ranking(r, lang))
    v = result.leader_vs_runner_up
    if v:
        told = t("plan.better") if v["lower"] > 0 else t("plan.not_told_apart")
        st.caption(t("plan.leader", first=names[0], second=names[1], difference=significant(v["difference"], 3, lang, sign=True),
                     lower=significant(v["lower"], 3, lang), upper=significant(v["upper"], 3, lang), told=told))
    st.table(pd.DataFrame({
        t("plan.column.unit_at"): names,
        t("plan.column.deaths_averted"): [_interval(m, lo, hi) for m, lo, hi in
                                          zip(r["deaths_averted"], r["deaths_averted_lower"], r["deaths_averted_upper"], strict=True)],
        t("plan.column.deaths_waiting_averted"): [_interval(m, lo, hi) for m, lo, hi in
                                                  zip(r["deaths_waiting_averted"], r["deaths_waiting_averted_lower"],
                                                      r["deaths_waiting_averted_upper"], strict=True)],
        t("plan.column.time_full"): [number(100 * x, 0, lang) + " %" if x == x else "—" for x in r["share_time_full"]],
        t("plan.column.screen_rank"): [number(x, 0, lang) for x in r["screen_rank"]]}))
    download_table(r, "units")
