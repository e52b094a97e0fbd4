"""Figures of the decision tools (`flowsim bottlenecks --by facility`, `frontier`, `optimise`),
drawn from their result tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .plots import TIER_COLOURS  # noqa: E402

KIND_COLOURS = {"station bed": TIER_COLOURS[1], "hospital tier-1 bed": "#7fbf9a", "oxygen bed": TIER_COLOURS[2],
                "ICU bed": TIER_COLOURS[3], "vehicle": "#3b6ea8"}


def unit_bars(ranking: pd.DataFrame, title: str = "") -> Figure:
    """Confirmed single units: deaths averted and deaths while waiting averted with their paired
    95% intervals, beside the screen score. `ranking` is `UnitRanking.ranking`."""
    panels = [("deaths_averted", "deaths averted"), ("deaths_waiting_averted", "deaths while waiting averted"),
              ("screen_score", "screen: waiting one more unit absorbs\n(patient-days per day)")]
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
    fig.suptitle(title or "Where one more unit saves most (paired 95% intervals)")
    return fig


def frontier_curves(evaluations: pd.DataFrame, frontier_table: pd.DataFrame, title: str = "") -> Figure:
    """Per target: its figure's mean over replications (95% interval) at every rate the search
    evaluated, the limit, and the frontier with its interval. Tables of `frontier.Frontier`."""
    targets = list(dict.fromkeys(evaluations["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(5.5 * len(targets), 4.2), layout="constrained", squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        e = evaluations[evaluations["target"] == target].drop_duplicates("rate").sort_values("rate")
        ax.errorbar(e["rate"], e["mean"], yerr=e["half_width"], fmt="o-", ms=3, color=TIER_COLOURS[2], capsize=2,
                    label="mean, 95% interval")
        ax.axhline(e["limit"].iloc[0], color="black", ls="--", lw=1, label="limit")
        row = frontier_table[frontier_table["target"] == target]
        if len(row):
            r = row.iloc[0]
            if np.isnan(r["lower"]):  # a target that cannot bind: no interval, zoom around its root
                r = r.copy()
                r["lower"] = r["upper"] = r["frontier"]
            ax.axvspan(r["lower"], r["upper"], color="#3b6ea8", alpha=0.15)
            ax.axvline(r["frontier"], color="#3b6ea8", lw=1.5, label=f"frontier {r['frontier']:,.4g}/day")
            near = e[(e["rate"] >= r["lower"] / 1.5) & (e["rate"] <= r["upper"] * 1.5)]
            if len(near) >= 2:  # the neighbourhood of the frontier, where the search spent its runs
                ax.set_xlim(near["rate"].min() * 0.97, near["rate"].max() * 1.03)
                top = float((near["mean"] + near["half_width"]).max())
                ax.set_ylim(min(0.0, float((near["mean"] - near["half_width"]).min())),
                            max(top, float(e["limit"].iloc[0])) * 1.1)
        ax.set_xlabel("new F0 per day (constant)")
        ax.set_title(target, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle(title or "Capacity frontier: the highest rate meeting each target")
    return fig


def frontier_band(line: pd.DataFrame, path: str, title: str = "") -> Figure:
    """The frontier (F0/day) as one capacity field varies: a line with its 95% band."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    x = line[path].astype(float)
    ax.fill_between(x, line["lower"], line["upper"], color="#3b6ea8", alpha=0.2, label="95% interval")
    ax.plot(x, line["frontier"], "o-", color="#3b6ea8", label="frontier")
    ax.set_xlabel(path)
    ax.set_ylabel("highest F0/day meeting the targets")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or f"Capacity frontier as {path} varies", fontsize=11)
    return fig


def pareto_plot(plans: pd.DataFrame, pareto: pd.DataFrame, chosen: str | None, currency: str,
                budget: float, title: str = "") -> Figure:
    """Every plan tried, cost against deaths while waiting (its mean over the search's
    replications), feasible ones filled; the Pareto set as a step line; the chosen plan starred."""
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ok = plans[plans["feasible"]]
    no = plans[~plans["feasible"]]
    ax.scatter(no["cost"], no["died_waiting"], facecolors="none", edgecolors="#888", label="misses a target or budget")
    ax.scatter(ok["cost"], ok["died_waiting"], color="#3b6ea8", label="meets the targets")
    if len(pareto):
        ax.step(pareto["cost"], pareto["died_waiting"], where="post", color="#c0392b", lw=1.2, label="Pareto set")
    if chosen is not None:
        c = plans[plans["plan"] == chosen].iloc[0]
        ax.scatter([c["cost"]], [c["died_waiting"]], marker="*", s=250, color="#e0a030", edgecolors="black",
                   zorder=5, label="chosen")
    if np.isfinite(budget):
        ax.axvline(budget, color="black", ls="--", lw=1, label="budget")
    ax.set_xlabel(f"cost of the plan ({currency})")
    ax.set_ylabel("deaths while waiting (mean over replications)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or "Plans tried: cost against deaths while waiting", fontsize=11)
    return fig
