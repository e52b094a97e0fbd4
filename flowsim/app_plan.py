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
from flowsim.config import ConfigError, parse_yaml, to_yaml
from flowsim.costs import RESOURCE_OF

PLAN_KEY = "loaded_plan"
UNIT_LABELS = {"station_bed": "station bed", "hospital_tier1_bed": "hospital tier-1 bed", "oxygen_bed": "oxygen bed",
               "icu_bed": "ICU bed", "vehicle": "vehicle", "home_monitoring_slot": "home-monitoring slot"}
MIN_REPLICATIONS = 4


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
    st.sidebar.success(f"Running the plan {label}; choose another scenario to leave it.")
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
    st.markdown("**Service targets** (each averaged over the replications, over the statistics window)")
    c1, c2, c3, c4 = st.columns(4)
    out = []
    if c1.checkbox("ICU wait", True, key="plan-icu-on"):
        hours = c1.number_input("Wait longer than (hours)", 0.0, 72.0, 2.0, 0.5, key="plan-icu-hours")
        share = c1.number_input("…for at most (% of ICU patients)", 0.0, 100.0, 5.0, 1.0, key="plan-icu-share")
        out.append(f"P(icu_wait>{hours:g}h)<={share:g}%")
    if c2.checkbox("Oxygen-bed wait", True, key="plan-o2-on"):
        hours = c2.number_input("Wait longer than (hours) ", 0.0, 72.0, 2.0, 0.5, key="plan-o2-hours")
        share = c2.number_input("…for at most (% of oxygen patients)", 0.0, 100.0, 5.0, 1.0, key="plan-o2-share")
        out.append(f"P(oxygen_wait>{hours:g}h)<={share:g}%")
    if c3.checkbox("Deaths while waiting", False, key="plan-deaths-on"):
        per = c3.number_input("At most (per 1,000 F0)", 0.0, 1000.0, 1.0, 0.1, key="plan-deaths")
        out.append(f"deaths_waiting_per_1000<={per:g}")
    if scenario.ambulances is not None and c4.checkbox("Ambulance response", False, key="plan-amb-on"):
        minutes = c4.number_input("p90 response at most (minutes)", 1.0, 600.0, 60.0, 5.0, key="plan-amb")
        out.append(f"ambulance_response_p90<={minutes:g}")
    return out


def _costs(scenario: flowsim.Scenario) -> flowsim.Scenario:
    st.markdown(f"**Unit costs** ({scenario.costs.currency}; a blank row is a resource the plan may not buy)")
    priced = scenario.costs.priced()
    table = pd.DataFrame([{"unit": UNIT_LABELS[u], "one_off": priced[u].one_off if u in priced else None,
                           "per_day": priced[u].per_day if u in priced else None} for u in RESOURCE_OF])
    edited = st.data_editor(table, key="plan-costs", disabled=["unit"], hide_index=True, width="stretch")
    costs: dict[str, Any] = {"currency": scenario.costs.currency}
    for unit, row in zip(RESOURCE_OF, edited.to_dict("records"), strict=True):
        one_off, per_day = row.get("one_off"), row.get("per_day")
        if (one_off is None or pd.isna(one_off)) and (per_day is None or pd.isna(per_day)):
            continue
        costs[unit] = {"one_off": 0.0 if one_off is None or pd.isna(one_off) else float(one_off),
                       "per_day": 0.0 if per_day is None or pd.isna(per_day) else float(per_day)}
    return flowsim.variant(scenario, {"costs": costs})


def _bar(text: str) -> Any:
    bar = st.progress(0.0, text=text)

    def report(*args: Any) -> None:
        stage, done, total = args if len(args) == 3 else ("runs", *args)
        bar.progress(min(1.0, done / total) if total else 0.0, text=f"{text} {stage}: {done} of {total}")

    return bar, report


def plan_view(scenario: flowsim.Scenario, replications: int, seed: int, pool: Any) -> None:
    """Targets, costs and budget; the frontier and the cheapest plan; load the plan."""
    from flowsim.decision_plots import frontier_curves, pareto_plot
    from flowsim.frontier import frontier, parse_target
    from flowsim.optimise import default_decisions, optimise

    st.caption("How many new F0 a day can the network take while meeting its targets, and what is the cheapest "
               "capacity that meets them? Every plan runs the same replications (common random numbers); the best "
               "plans are then confirmed on fresh ones.")
    texts = _targets(scenario)
    try:
        targets = [parse_target(t, "target") for t in texts]
        priced = _costs(scenario)
    except ConfigError as exc:
        st.error(f"Not used: {exc}")
        return
    if not targets:
        st.info("Choose at least one target.")
        return
    reps = max(replications, MIN_REPLICATIONS)
    c1, c2, c3 = st.columns(3)
    budget = c1.number_input(f"Budget ({priced.costs.currency}; 0 = no limit)", 0.0, 1e15, 0.0, key="plan-budget")
    trials = c2.slider("Plans to try", 4, 60, 12, key="plan-trials")
    most = c3.slider("Each resource at most (× today)", 1.1, 3.0, 2.0, 0.1, key="plan-most")
    left, right = st.columns(2)
    if left.button("Find the frontier", key="run-frontier"):
        bar, report = _bar("Frontier:")
        try:
            st.session_state["plan-frontier"] = frontier(scenario, targets, reps, seed, rtol=0.03, executor=pool,
                                                         report=report)
        except ConfigError as exc:
            st.error(str(exc))
        bar.empty()
    if right.button("Find the cheapest plan", key="run-optimise"):
        import importlib.util

        decisions = default_decisions(priced, most)
        if importlib.util.find_spec("optuna") is None:
            st.error("The cheapest plan needs Optuna: pip install 'flowsim[decisions]'")
        elif not decisions:
            st.error("No resource has a cost: fill in the unit costs above.")
        else:
            bar, report = _bar("Cheapest plan:")
            try:
                st.session_state["plan-optimise"] = optimise(
                    priced, targets, budget if budget > 0 else math.inf, decisions, trials, reps, seed,
                    confirm=2, executor=pool, report=report)
            except ConfigError as exc:
                st.error(str(exc))
            bar.empty()
    st.markdown("**Where one more unit saves most**: every single bed at a facility and vehicle at a base, "
                "screened from what the runs record, the best confirmed with paired runs.")
    if st.button("Rank single units", key="run-units"):
        from flowsim.unit_bottlenecks import unit_bottlenecks

        with st.spinner("Screening every unit, then confirming the best with paired runs…"):
            st.session_state["plan-units"] = unit_bottlenecks(scenario, reps, seed, confirm=4, executor=pool)
    _units()
    found = st.session_state.get("plan-frontier")
    if found is not None:
        st.subheader("Capacity frontier")
        st.metric("Highest constant F0/day meeting every target", f"{found.rate:,.0f}",
                  help=f"95% interval {found.lower:,.0f}–{found.upper:,.0f} (chance in {found.replications} "
                       f"replications per rate); set by {found.binding}")
        st.caption(f"95% interval {found.lower:,.0f}–{found.upper:,.0f} F0/day; set by {found.binding}. "
                   "The interval covers chance in the replications, not the model's assumptions.")
        st.image(_png(frontier_curves(found.evaluations, found.table)))
        st.dataframe(found.table, hide_index=True, width="stretch")
    result = st.session_state.get("plan-optimise")
    if result is not None:
        st.subheader("Cheapest plan")
        (st.success if result.chosen is not None else st.warning)(result.verdict)
        st.image(_png(pareto_plot(result.plans, result.pareto, result.chosen.label if result.chosen else None,
                                  result.currency, result.budget)))
        if len(result.confirmation):
            st.markdown("Confirmed on fresh replications (paired, 95% intervals):")
            st.dataframe(result.confirmation, hide_index=True, width="stretch")
        with st.expander("Every plan tried"):
            st.dataframe(result.plans, hide_index=True, width="stretch")
        if result.chosen is not None:
            adds = ", ".join(f"{a:,.0f} {UNIT_LABELS[u]}s" for u, a in result.chosen.added.items() if a)
            st.write(f"The plan adds {adds or 'nothing'} for {result.chosen.cost:,.0f} {result.currency}.")
            text = to_yaml(result.chosen.scenario)
            c1, c2 = st.columns(2)
            c1.download_button("Download the plan (YAML)", text.encode(), "plan.yaml", "application/x-yaml",
                               key="download-plan")
            if c2.button("Load this plan as the current scenario", key="load-plan"):
                st.session_state[PLAN_KEY] = (result.chosen.label, text, st.session_state.get("plan-choice"))
                st.rerun()


def _units() -> None:
    from flowsim.decision_plots import unit_bars

    result = st.session_state.get("plan-units")
    if result is None:
        return
    st.image(_png(unit_bars(result.ranking)))
    v = result.leader_vs_runner_up
    if v:
        first, second = result.ranking["unit"].iloc[0], result.ranking["unit"].iloc[1]
        told = "better, with 95% confidence" if v["lower"] > 0 else "not told apart from it (the interval includes 0)"
        st.caption(f"{first} against {second}: {v['difference']:+.3g} deaths averted [{v['lower']:.3g}, "
                   f"{v['upper']:.3g}] — {told}. The screen ranks by waiting one more unit could absorb; it can "
                   "miss knock-on effects (the CLI's --check-screen confirms every candidate).")
    st.dataframe(result.ranking, hide_index=True, width="stretch")
