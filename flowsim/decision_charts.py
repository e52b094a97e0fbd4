"""Interactive charts of the decision tools for the app's Plan view (Altair), from the same result
tables as the PNG figures of `decision_plots` (which the CLI writes): single units ranked, the
capacity frontier per target, and the plans tried. Hover for values with units, zoom and pan;
every word in the reader's language (flowsim/locales)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from .charts import WIDTH, series_colours, zoom_x
from .decision_plots import UNIT_COLOURS
from .decision_words import plan_words, target_words, unit_words
from .frontier import parse_target
from .i18n import DEFAULT, text
from .plots import TIER_COLOURS
from .unit_bottlenecks import UNIT_OF_KIND


def unit_ranking(ranking: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart]:
    """Confirmed single units: deaths averted and deaths while waiting averted, each with its
    paired 95% interval, one bar a unit coloured by its kind (`UnitRanking.ranking`). Two charts."""
    d = ranking.assign(unit_words=[unit_words(k, p, lang) for k, p in zip(ranking["kind"], ranking["place"], strict=True)],
                       kind_words=[text(f"plan.unit.{UNIT_OF_KIND[k]}", lang) for k in ranking["kind"]])
    kinds = list(dict.fromkeys(d["kind"]))
    colours = series_colours([text(f"plan.unit.{UNIT_OF_KIND[k]}", lang) for k in kinds],
                              [UNIT_COLOURS[UNIT_OF_KIND[k]] for k in kinds])
    order = d["unit_words"].tolist()
    y = alt.Y("unit_words:N", sort=order, title=None, axis=alt.Axis(labelLimit=300))
    charts = []
    for col in ("deaths_averted", "deaths_waiting_averted"):
        title = text(f"plan.plot.{col}", lang)
        tip = [alt.Tooltip("unit_words:N", title=text("plan.column.unit", lang)),
               alt.Tooltip(f"{col}:Q", title=title, format=",.2f"),
               alt.Tooltip(f"{col}_lower:Q", title=f"{text('plan.plot.interval', lang)} ↓", format=",.2f"),
               alt.Tooltip(f"{col}_upper:Q", title=f"{text('plan.plot.interval', lang)} ↑", format=",.2f")]
        base = alt.Chart(d)
        bars = base.mark_bar().encode(alt.X(f"{col}:Q", title=title), y,
                                      alt.Color("kind_words:N", title=None, scale=colours, legend=None),  # each row names its kind
                                      tooltip=tip)
        whisker = base.mark_rule(color="black").encode(alt.X(f"{col}_lower:Q"), alt.X2(f"{col}_upper:Q"), y, tooltip=tip)
        zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="black").encode(x="x:Q")
        charts.append((bars + whisker + zero).properties(title=title, width=WIDTH, height=alt.Step(26)))
    return charts


def frontier_curves(evaluations: pd.DataFrame, table: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart | alt.FacetChart]:
    """Per target, its figure's mean with 95% interval at every rate the search ran, its limit
    (dashed) and the frontier with its interval (band): one chart a target."""
    rate = text("plan.plot.rate_axis", lang)
    charts = []
    for target in dict.fromkeys(evaluations["target"]):
        e = evaluations[evaluations["target"] == target].drop_duplicates("rate").sort_values("rate")
        words = target_words(str(target), lang)
        tip = [alt.Tooltip("rate:Q", title=rate, format=",.0f"),
               alt.Tooltip("mean:Q", title=text("plan.plot.mean_interval", lang), format=",.3~g"),
               alt.Tooltip("lower:Q", title=f"{text('plan.plot.interval', lang)} ↓", format=",.3~g"),
               alt.Tooltip("upper:Q", title=f"{text('plan.plot.interval', lang)} ↑", format=",.3~g")]
        x = alt.X("rate:Q", title=rate)
        base = alt.Chart(e)
        layers: list[alt.Chart] = []
        row = table[table["target"] == target]
        if len(row) and math.isfinite(float(row["frontier"].iloc[0])):
            r = row.iloc[0]
            lo, hi = (r["lower"], r["upper"]) if math.isfinite(float(r["lower"])) else (r["frontier"], r["frontier"])
            band = pd.DataFrame({"lower": [lo], "upper": [hi], "frontier": [r["frontier"]],
                                 "what": [text("plan.plot.frontier_at", lang, rate=f"{r['frontier']:,.0f}")]})
            band_tip = [alt.Tooltip("what:N", title=text("chart.what", lang)),
                        alt.Tooltip("lower:Q", title=f"{text('plan.plot.interval', lang)} ↓", format=",.0f"),
                        alt.Tooltip("upper:Q", title=f"{text('plan.plot.interval', lang)} ↑", format=",.0f")]
            layers += [alt.Chart(band).mark_rect(color="#3b6ea8", opacity=0.15).encode(
                           alt.X("lower:Q"), alt.X2("upper:Q"), tooltip=band_tip),
                       alt.Chart(band).mark_rule(color="#3b6ea8", strokeWidth=2).encode(alt.X("frontier:Q"), tooltip=band_tip)]
        limit = pd.DataFrame({"limit": [float(e["limit"].iloc[0])], "what": [text("plan.plot.limit", lang)]})
        # the axis says only what is measured; the title says the target (a long axis title leaves
        # the plot no height: Streamlit fits title, axes and legend into the chart's height)
        axis = text("plan.plot.share_axis" if parse_target(str(target)).share is not None else "plan.plot.value_axis", lang)
        layers += [base.mark_rule(color=TIER_COLOURS[2]).encode(x, alt.Y("lower:Q", title=axis), alt.Y2("upper:Q"), tooltip=tip),
                   base.mark_line(point=True, color=TIER_COLOURS[2]).encode(x, alt.Y("mean:Q"), tooltip=tip),
                   alt.Chart(limit).mark_rule(color="black", strokeDash=[5, 4]).encode(
                       alt.Y("limit:Q"), tooltip=[alt.Tooltip("what:N", title=text("chart.what", lang)),
                                                  alt.Tooltip("limit:Q", title=words, format=",.3~g")])]
        charts.append(alt.layer(*layers).add_params(zoom_x()).properties(title=words, width=WIDTH, height=260))
    return charts


def pareto(plans: pd.DataFrame, front: pd.DataFrame, chosen: str | None, currency: str, budget: float,
           lang: str = DEFAULT) -> alt.LayerChart | alt.FacetChart:
    """Every plan tried, its cost against deaths while waiting (mean over the search's runs),
    those meeting the targets filled, the Pareto set as a step line, the chosen plan starred, the
    budget dashed; hover a plan for what it adds."""
    words = plan_words(plans, lang)
    cost = text("plan.plot.cost_axis", lang, currency=currency)
    deaths = text("plan.plot.deaths_axis", lang)
    status = {True: text("plan.plot.meets", lang), False: text("plan.plot.misses", lang)}
    d = plans.drop_duplicates("plan").assign(words=lambda p: p["plan"].map(words),
                                             status=lambda p: p["feasible"].map(status))
    tip = [alt.Tooltip("words:N", title=text("plan.cheapest", lang)), alt.Tooltip("cost:Q", title=cost, format=",.0f"),
           alt.Tooltip("died_waiting:Q", title=deaths, format=",.2f"), alt.Tooltip("status:N", title=text("chart.what", lang))]
    top = float(d["died_waiting"].max()) if len(d) else 1.0
    x = alt.X("cost:Q", title=cost)
    y = alt.Y("died_waiting:Q", title=deaths, scale=alt.Scale(domain=[0, max(top, 1e-9) * 1.1]))  # room for the top dots
    layers = [alt.Chart(d).mark_point(size=70, filled=True).encode(
        x, y, alt.Color("status:N", title=None, scale=series_colours(list(status.values()), ["#3b6ea8", "#aaaaaa"]),
                        legend=alt.Legend(orient="top")), tooltip=tip)]
    if len(front):
        layers.append(alt.Chart(front.assign(what=text("plan.plot.pareto", lang))).mark_line(
            interpolate="step-after", color="#c0392b").encode(x, y, tooltip=[alt.Tooltip("what:N", title=text("chart.what", lang))]))
    if chosen is not None:
        layers.append(alt.Chart(d[d["plan"] == chosen].assign(status=text("plan.plot.chosen", lang))).mark_point(
            shape="diamond", size=260, filled=True, color="#e0a030", stroke="black").encode(x, y, tooltip=tip))
    if math.isfinite(budget):
        layers.append(alt.Chart(pd.DataFrame({"budget": [budget], "what": [text("plan.plot.budget", lang)]})).mark_rule(
            color="black", strokeDash=[5, 4]).encode(alt.X("budget:Q"), tooltip=[alt.Tooltip("what:N", title=text("chart.what", lang)),
                                                                            alt.Tooltip("budget:Q", title=cost, format=",.0f")]))
    return alt.layer(*layers).add_params(zoom_x()).properties(title=text("plan.plot.pareto_title", lang), width=WIDTH,
                                                               height=340)
