"""Figures of the decision tools (`flowsim bottlenecks --by facility`, `frontier`, `optimise`),
drawn from their result tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .i18n import DEFAULT, text  # noqa: E402
from .plots import TIER_COLOURS  # noqa: E402
from .unit_bottlenecks import UNIT_OF_KIND  # noqa: E402

UNIT_COLOURS = {"station_bed": TIER_COLOURS[1], "hospital_tier1_bed": "#7fbf9a", "oxygen_bed": TIER_COLOURS[2],
                "icu_bed": TIER_COLOURS[3], "vehicle": "#3b6ea8"}
"""Each costed unit's colour, in these figures and in the app's (`decision_charts`)."""
KIND_COLOURS = {kind: UNIT_COLOURS[unit] for kind, unit in UNIT_OF_KIND.items()}


def unit_bars(ranking: pd.DataFrame, title: str = "", lang: str = DEFAULT) -> Figure:
    """Confirmed single units: deaths averted and deaths while waiting averted with their paired
    95% intervals, beside the screen score. `ranking` is `UnitRanking.ranking`."""
    panels = [(col, text(f"plan.plot.{col}", lang)) for col in ("deaths_averted", "deaths_waiting_averted",
                                                                 "screen_score")]
    labels = ranking["unit"].tolist()
    ypos = np.arange(len(labels))[::-1]
    colours = [KIND_COLOURS.get(k, "#888") for k in ranking["kind"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2.5, 0.42 * len(labels) + 2),
                             layout="constrained", sharey=True, squeeze=False)
    for ax, (col, name) in zip(axes[0], panels, strict=True):
        value = ranking[col].fillna(0).to_numpy(float)
        if col == "screen_score":
            hw = ranking["screen_score_half_width"].fillna(0).to_numpy(float)
            err = np.vstack([np.minimum(hw, value), hw])
        else:
            err = np.vstack([(value - ranking[f"{col}_lower"]).clip(lower=0).fillna(0),
                             (ranking[f"{col}_upper"] - value).clip(lower=0).fillna(0)])
        ax.barh(ypos, value, xerr=err, color=colours, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(name, fontsize=10)
    axes[0, 0].set_yticks(ypos, labels)
    fig.suptitle(title or text("plan.plot.units_title", lang))
    return fig


def frontier_curves(evaluations: pd.DataFrame, frontier_table: pd.DataFrame, title: str = "",
                    lang: str = DEFAULT) -> Figure:
    """Per target: its figure's mean over replications (95% interval) at every rate the search
    evaluated, the limit, and the frontier with its interval. Tables of `frontier.Frontier`."""
    targets = list(dict.fromkeys(evaluations["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(5.5 * len(targets), 4.2), layout="constrained", squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        e = evaluations[evaluations["target"] == target].drop_duplicates("rate").sort_values("rate")
        ax.errorbar(e["rate"], e["mean"], yerr=e["half_width"], fmt="o-", ms=3, color=TIER_COLOURS[2], capsize=2,
                    label=text("plan.plot.mean_interval", lang))
        ax.axhline(e["limit"].iloc[0], color="black", ls="--", lw=1, label=text("plan.plot.limit", lang))
        row = frontier_table[frontier_table["target"] == target]
        if len(row):
            r = row.iloc[0]
            if np.isnan(r["lower"]):  # a target that cannot bind: no interval, zoom around its root
                r = r.copy()
                r["lower"] = r["upper"] = r["frontier"]
            ax.axvspan(r["lower"], r["upper"], color="#3b6ea8", alpha=0.15)
            ax.axvline(r["frontier"], color="#3b6ea8", lw=1.5, label=text("plan.plot.frontier_at", lang, rate=f"{r['frontier']:,.4g}"))
            near = e[(e["rate"] >= r["lower"] / 1.5) & (e["rate"] <= r["upper"] * 1.5)]
            if len(near) >= 2:  # the neighbourhood of the frontier, where the search spent its runs
                ax.set_xlim(near["rate"].min() * 0.97, near["rate"].max() * 1.03)
                top = float((near["mean"] + near["half_width"]).max())
                ax.set_ylim(min(0.0, float((near["mean"] - near["half_width"]).min())),
                            max(top, float(e["limit"].iloc[0])) * 1.1)
        ax.set_xlabel(text("plan.plot.rate_axis", lang))
        ax.set_title(target, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle(title or text("plan.plot.frontier_title", lang))
    return fig


def frontier_band(line: pd.DataFrame, path: str, title: str = "", lang: str = DEFAULT) -> Figure:
    """The frontier (F0/day) as one capacity field varies: a line with its 95% band."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    x = line[path].astype(float)
    ax.fill_between(x, line["lower"], line["upper"], color="#3b6ea8", alpha=0.2, label=text("plan.plot.interval", lang))
    ax.plot(x, line["frontier"], "o-", color="#3b6ea8", label=text("plan.plot.frontier", lang))
    ax.set_xlabel(path)
    ax.set_ylabel(text("plan.plot.frontier_axis", lang))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or text("plan.plot.band_title", lang, path=path), fontsize=11)
    return fig


def pareto_plot(plans: pd.DataFrame, pareto: pd.DataFrame, chosen: str | None, currency: str,
                budget: float, title: str = "", lang: str = DEFAULT) -> Figure:
    """Every plan tried, cost against deaths while waiting (its mean over the search's
    replications), feasible ones filled; the Pareto set as a step line; the chosen plan starred."""
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ok = plans[plans["feasible"]]
    no = plans[~plans["feasible"]]
    ax.scatter(no["cost"], no["died_waiting"], facecolors="none", edgecolors="#888", label=text("plan.plot.misses", lang))
    ax.scatter(ok["cost"], ok["died_waiting"], color="#3b6ea8", label=text("plan.plot.meets", lang))
    if len(pareto):
        ax.step(pareto["cost"], pareto["died_waiting"], where="post", color="#c0392b", lw=1.2, label=text("plan.plot.pareto", lang))
    if chosen is not None:
        c = plans[plans["plan"] == chosen].iloc[0]
        ax.scatter([c["cost"]], [c["died_waiting"]], marker="*", s=250, color="#e0a030", edgecolors="black",
                   zorder=5, label=text("plan.plot.chosen", lang))
    if np.isfinite(budget):
        ax.axvline(budget, color="black", ls="--", lw=1, label=text("plan.plot.budget", lang))
    ax.set_xlabel(text("plan.plot.cost_axis", lang, currency=currency))
    ax.set_ylabel(text("plan.plot.deaths_axis", lang))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or text("plan.plot.pareto_title", lang), fontsize=11)
    return fig
