"""The app's "Plan" view: service targets, a budget and unit costs; the capacity frontier and the
cheapest plan, run on the app's worker pool with progress; the plan loaded as the current scenario.

Only widgets: the work is `flowsim.frontier.frontier` and `flowsim.optimise.optimise`, the
figures `flowsim.decision_plots`. Hooked into app.py by `loaded_plan` (in its scenario source)
and `plan_view` (its "Plan" view).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

import flowsim
from flowsim.app_language import page_lang
from flowsim.config import ConfigError, parse_yaml, to_yaml
from flowsim.costs import RESOURCE_OF
from flowsim.i18n import local_name, number, text

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


def _png(fig: Any) -> bytes:
    """A figure as PNG bytes, its memory freed (app.py imports this module: no import back)."""
    import io

    from flowsim.plots import plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


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


def _bar(label: str) -> Any:
    bar = st.progress(0.0, text=label)

    def report(*args: Any) -> None:
        stage, done, total = args if len(args) == 3 else ("runs", *args)
        bar.progress(min(1.0, done / total) if total else 0.0,
                     text=t("plan.progress", what=label, stage=t(f"plan.stage.{stage}") if stage in STAGES else stage,
                            done=number(done, 0, page_lang()), total=number(total, 0, page_lang())))

    return bar, report


def plan_view(scenario: flowsim.Scenario, replications: int, seed: int, pool: Any) -> None:
    """Targets, costs and budget; the frontier and the cheapest plan; load the plan."""
    from flowsim.decision_plots import frontier_curves, pareto_plot
    from flowsim.frontier import frontier, parse_target
    from flowsim.optimise import default_decisions, optimise

    st.caption(t("plan.intro"))
    texts = _targets(scenario)
    try:
        targets = [parse_target(target, "target") for target in texts]
        priced = _costs(scenario)
    except ConfigError as exc:
        st.error(t("plan.not_used", error=exc))
        return
    if not targets:
        st.info(t("plan.choose_target"))
        return
    reps = max(replications, MIN_REPLICATIONS)
    c1, c2, c3 = st.columns(3)
    budget = c1.number_input(t("plan.budget", currency=local_name(priced.costs.currency, page_lang())), 0.0, 1e15, 0.0, key="plan-budget")
    trials = c2.slider(t("plan.trials"), 4, 60, 12, key="plan-trials")
    most = c3.slider(t("plan.at_most"), 1.1, 3.0, 2.0, 0.1, key="plan-most")
    left, right = st.columns(2)
    if left.button(t("plan.find_frontier"), key="run-frontier"):
        bar, report = _bar(t("plan.frontier_label"))
        try:
            st.session_state["plan-frontier"] = frontier(scenario, targets, reps, seed, rtol=0.03, executor=pool,
                                                         report=report)
        except ConfigError as exc:
            st.error(str(exc))
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
                st.error(str(exc))
            bar.empty()
    st.markdown(t("plan.units_intro"))
    if st.button(t("plan.rank_units"), key="run-units"):
        from flowsim.unit_bottlenecks import unit_bottlenecks

        with st.spinner(t("plan.ranking_units")):
            st.session_state["plan-units"] = unit_bottlenecks(scenario, reps, seed, confirm=4, executor=pool)
    _units()
    found = st.session_state.get("plan-frontier")
    if found is not None:
        st.subheader(t("plan.frontier"))
        interval = {"lower": number(found.lower, 0, page_lang()), "upper": number(found.upper, 0, page_lang()),
                    "binding": found.binding}
        st.metric(t("plan.frontier_metric"), number(found.rate, 0, page_lang()),
                  help=t("plan.frontier_help", replications=found.replications, **interval))
        st.caption(t("plan.frontier_caption", **interval))
        st.image(_png(frontier_curves(found.evaluations, found.table, lang=page_lang())))
        st.dataframe(found.table, hide_index=True, width="stretch")
    result = st.session_state.get("plan-optimise")
    if result is not None:
        st.subheader(t("plan.cheapest"))
        (st.success if result.chosen is not None else st.warning)(result.verdict)
        st.image(_png(pareto_plot(result.plans, result.pareto, result.chosen.label if result.chosen else None,
                                  local_name(result.currency, page_lang()), result.budget, lang=page_lang())))
        if len(result.confirmation):
            st.markdown(t("plan.confirmed"))
            st.dataframe(result.confirmation, hide_index=True, width="stretch")
        with st.expander(t("plan.every_plan")):
            st.dataframe(result.plans, hide_index=True, width="stretch")
        if result.chosen is not None:
            adds = ", ".join(f"{number(a, 0, page_lang())} {unit_label(u, many=a != 1)}"
                             for u, a in result.chosen.added.items() if a)
            st.write(t("plan.plan_adds", adds=adds or t("plan.nothing"), cost=number(result.chosen.cost, 0, page_lang()),
                       currency=local_name(result.currency, page_lang())))
            plan_text = to_yaml(result.chosen.scenario)
            c1, c2 = st.columns(2)
            c1.download_button(t("plan.download_plan"), plan_text.encode(), "plan.yaml", "application/x-yaml",
                               key="download-plan")
            if c2.button(t("plan.load_plan"), key="load-plan"):
                st.session_state[PLAN_KEY] = (result.chosen.label, plan_text, st.session_state.get("plan-choice"))
                st.rerun()


def _units() -> None:
    from flowsim.decision_plots import unit_bars

    result = st.session_state.get("plan-units")
    if result is None:
        return
    st.image(_png(unit_bars(result.ranking, lang=page_lang())))
    v = result.leader_vs_runner_up
    if v:
        first, second = result.ranking["unit"].iloc[0], result.ranking["unit"].iloc[1]
        told = t("plan.better") if v["lower"] > 0 else t("plan.not_told_apart")
        st.caption(t("plan.leader", first=first, second=second, difference=f"{v['difference']:+.3g}",
                     lower=f"{v['lower']:.3g}", upper=f"{v['upper']:.3g}", told=told))
    st.dataframe(result.ranking, hide_index=True, width="stretch")
