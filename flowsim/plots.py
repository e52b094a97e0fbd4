"""Figures drawn from result tables (never from the simulation's internals)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .i18n import DEFAULT, figure_label, gain_title, has, named, text  # noqa: E402

TIER_COLOURS = {1: "#4c9f70", 2: "#e0a030", 3: "#c0392b"}


def overview(timeseries: pd.DataFrame, title: str = "", lang: str = DEFAULT) -> Figure:
    """Census by tier, queues, and oxygen / ICU occupancy against capacity, over time (days)."""
    ts = timeseries
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True, layout="constrained")
    ax = axes[0, 0]
    for tier in (1, 2, 3):
        ax.plot(ts["time"], ts[f"census_tier{tier}"], color=TIER_COLOURS[tier], label=text(f"tier.{tier}", lang))
    ax.set_yscale("symlog", linthresh=100)
    ax.set_title(text("chart.census", lang))
    ax.set_ylabel(text("chart.patients", lang))
    ax.legend(loc="best")  # "upper left" lay over the tier-1 line, at the top of a log axis

    ax = axes[0, 1]
    for tier in (1, 2, 3):
        if ts[f"queue_tier{tier}"].any():
            ax.plot(ts["time"], ts[f"queue_tier{tier}"], color=TIER_COLOURS[tier],
                    label=text("chart.waiting_for_tier", lang, tier=text(f"tier.{tier}", lang)))
    if "calls_waiting" in ts and ts["calls_waiting"].any():
        ax.plot(ts["time"], ts["calls_waiting"], color="#2c6fbb", label=text("chart.calls_waiting", lang))
    ax.plot(ts["time"], ts["deaths_waiting"].cumsum(), color="black", ls="--", label=text("chart.died_cumulative", lang))
    ax.set_title(text("chart.waiting", lang))
    ax.set_ylabel(text("chart.patients", lang))
    ax.legend(loc="upper left")

    for ax, tier, name in ((axes[1, 0], 2, text("chart.oxygen", lang)), (axes[1, 1], 3, text("chart.icu", lang))):
        cap = ts[f"capacity_tier{tier}"]
        ax.fill_between(ts["time"], 0, ts[f"occupied_tier{tier}"], color=TIER_COLOURS[tier], alpha=0.5,
                        label=text("chart.occupied", lang))
        ax.plot(ts["time"], cap, color="black", lw=1, label=text("chart.capacity", lang))
        full = ts[f"occupied_tier{tier}"] >= cap
        if full.any() and cap.iloc[0] > 0:
            ax.fill_between(ts["time"], 0, cap, where=full, color="red", alpha=0.12, label=text("chart.all_full", lang),
                            step="mid")
        ax.set_title(name)
        ax.set_xlabel(text("chart.day", lang))
        ax.set_ylabel(text("chart.beds", lang))
        ax.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path: str) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)




def resource_ranking(resources: pd.DataFrame, lang: str = DEFAULT) -> Figure:
    """Pools ranked by the share of time they were entirely full, with their utilisation."""
    from .headline import POOL_KEYS

    pools = resources[(resources["level"] == "pool") & (resources["capacity"] > 0)].copy()
    pools = pools.sort_values("share_time_full")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(pools) + 1.5), layout="constrained")
    y = range(len(pools))
    ax.barh(y, pools["share_time_full"].fillna(0) * 100, color="#c0392b", label=text("plot.time_full", lang))
    ax.plot(pools["utilisation"].fillna(0) * 100, list(y), "o", color="black", label=text("plot.mean_use", lang))
    ax.set_yticks(list(y), [text(f"resource.{POOL_KEYS[r]}", lang) if r in POOL_KEYS else r for r in pools["resource"]])
    ax.set_xlabel(text("plot.percent_time", lang))
    ax.set_xlim(0, 100)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)  # below: inside, it hid a dot
    ax.set_title(text("bottlenecks.ranking_title", lang))
    return fig


def _axis_values(values: list) -> tuple[list, bool]:
    """Values for an axis, and whether they are numbers (else they are shown as categories)."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return values, numeric


def _label(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if not isinstance(value, dict | list) else yaml.safe_dump(value, default_flow_style=True).strip()


def factor_label(path: str, lang: str = DEFAULT) -> str:
    """A swept field's lever label with its unit, or the field's path when no lever moves it."""
    from .levers import SWEEP_PATHS

    key = next((k for k, v in SWEEP_PATHS.items() if v == path), None)
    return named("lever", key, lang) if key else path


def _heatmap(ax: plt.Axes, table: pd.DataFrame, x: str, y: str, figure: str, lang: str = DEFAULT) -> None:
    xs = list(dict.fromkeys(_label(v) for v in table[x]))
    ys = list(dict.fromkeys(_label(v) for v in table[y]))
    mean = np.full((len(ys), len(xs)), np.nan)
    half = np.full_like(mean, np.nan)
    for vx, vy, m, hw in zip(table[x], table[y], table["mean"], table["half_width"], strict=True):
        i, j = ys.index(_label(vy)), xs.index(_label(vx))
        mean[i, j], half[i, j] = m, hw
    image = ax.imshow(mean, origin="lower", aspect="auto", cmap="viridis")
    ax.figure.colorbar(image, ax=ax, label=text("plot.mean_of", lang, figure=figure_label(figure, lang)))
    finite = mean[np.isfinite(mean)]
    middle = (finite.min() + finite.max()) / 2 if len(finite) else 0
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(mean[i, j]):
                hw = f"\n±{half[i, j]:.3g}" if np.isfinite(half[i, j]) else ""
                ax.text(j, i, f"{mean[i, j]:.3g}{hw}", ha="center", va="center", fontsize=8,
                        color="white" if mean[i, j] < middle else "black")
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(factor_label(x, lang))
    ax.set_ylabel(factor_label(y, lang))


def sweep_chart(intervals: pd.DataFrame, factors: list[str], figure: str, title: str = "",
                max_panels: int = 16, lang: str = DEFAULT) -> Figure:
    """A key figure over the sweep grid with its 95% interval: a line with its band for one
    factor, a heatmap (mean ± half-width in each cell) for two, one heatmap per combination of
    the other factors beyond two. `intervals` is `Sweep.intervals`."""
    table = intervals[intervals["figure"] == figure]
    if table.empty:
        raise ValueError(f"no figure '{figure}' in the sweep")
    if len(factors) == 1:
        x = factors[0]
        fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
        values, numeric = _axis_values(table[x].tolist())
        pos = values if numeric else list(range(len(values)))
        ax.fill_between(pos, table["lower"], table["upper"], alpha=0.25, color=TIER_COLOURS[2],
                        label=text("plot.interval", lang))
        ax.plot(pos, table["mean"], "o-", color=TIER_COLOURS[2], label=text("plot.mean", lang))
        if not numeric:
            ax.set_xticks(pos, [_label(v) for v in values])
        ax.set_xlabel(factor_label(x, lang))
        ax.set_ylabel(figure_label(figure, lang))
        ax.legend()
    else:
        x, y, rest = factors[0], factors[1], factors[2:]
        keys = [table[c].map(_label).rename(c) for c in rest]
        groups = list(table.groupby(keys, sort=False)) if rest else [((), table)]
        shown = groups[:max_panels]
        cols = min(len(shown), 3)
        rows = math.ceil(len(shown) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.8 * rows), layout="constrained", squeeze=False)
        for ax, (key, group) in zip(axes.ravel(), shown, strict=False):
            _heatmap(ax, group, x, y, figure, lang)
            if rest:
                key = key if isinstance(key, tuple) else (key,)
                ax.set_title(", ".join(f"{f}={v}" for f, v in zip(rest, key, strict=True)), fontsize=9)
        for ax in axes.ravel()[len(shown):]:
            ax.set_visible(False)
        if len(groups) > len(shown):
            title = f"{title} (first {len(shown)} of {len(groups)} panels)".strip()
    fig.suptitle(title or text("plot.sweep_title", lang, figure=figure_label(figure, lang)))
    return fig


def forest(differences: pd.DataFrame, figures: list[str], title: str = "", lang: str = DEFAULT) -> Figure:
    """Each scenario's difference from the baseline with its paired 95% interval, one panel per
    key figure (its own unit). `differences` is `Comparison.differences`."""
    figures = [f for f in figures if f in set(differences["figure"])]
    labels = list(dict.fromkeys(differences["scenario"]))
    baseline = str(differences["baseline"].iloc[0]) if len(differences) else "baseline"
    cols = min(len(figures), 3) or 1
    rows = math.ceil(len(figures) / cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 2.5, (0.45 * len(labels) + 1.3) * rows),
                             layout="constrained", squeeze=False, sharey=True)
    ypos = np.arange(len(labels))[::-1]
    for ax, name in zip(axes.ravel(), figures, strict=False):
        d = differences[differences["figure"] == name].set_index("scenario").reindex(labels)
        lower = (d["difference"] - d["lower"]).clip(lower=0).fillna(0)
        upper = (d["upper"] - d["difference"]).clip(lower=0).fillna(0)
        ax.errorbar(d["difference"], ypos, xerr=[lower, upper], fmt="o", color="black", ecolor="#555", capsize=3)
        ax.axvline(0, color=TIER_COLOURS[3], lw=1, ls="--")
        ax.set_title(textwrap.fill(figure_label(name, lang), 34), fontsize=10)
        ax.set_ylim(-0.6, len(labels) - 0.4)
    for ax in axes[:, 0]:
        ax.set_yticks(ypos, [textwrap.fill(str(label), 28) for label in labels])
    for ax in axes.ravel()[len(figures):]:
        ax.set_visible(False)
    fig.suptitle(title or text("plot.forest_title", lang, baseline=baseline))
    return fig


def bottleneck_bars(ranking: pd.DataFrame, step: float, title: str = "", lang: str = DEFAULT) -> Figure:
    """What +step of each resource buys (deaths averted, p90 reductions, with 95% intervals)
    beside the share of time it was full. `ranking` is `Bottlenecks.ranking`. Every panel says its
    unit: deaths in patients, bed waits in days, the ambulance response in minutes."""
    gains = ["deaths_averted", *[c for c in ranking.columns if c.endswith("_p90_reduction")]]
    panels = [*gains, "share_time_full"]
    labels = [text(f"resource.{r}", lang) if has(f"resource.{r}", lang) else r for r in ranking["resource"]]
    ypos = np.arange(len(labels))[::-1]
    # three panels a row: five in one row made a figure 19 in wide, its text 5 px high in a report
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4.2 * cols + 2, (0.45 * len(labels) + 1.8) * rows),
                             layout="constrained", sharey=True, squeeze=False)
    axes = grid.reshape(1, -1)
    for ax in axes[0][len(panels):]:
        ax.set_visible(False)
    for ax, col in zip(axes[0], panels, strict=False):
        if col == "share_time_full":
            ax.barh(ypos + 0.2, ranking["share_time_full"] * 100, height=0.4, color="#888",
                    label=text("plot.whole_pool", lang))
            ax.barh(ypos - 0.2, ranking["ward_share_full"] * 100, height=0.4, color=TIER_COLOURS[3], alpha=0.7,
                    label=text("plot.average_ward", lang))
            ax.set_xlim(0, 100)
            ax.set_title(textwrap.fill(text("plot.share_full_title", lang), 30), fontsize=10)
            ax.legend(fontsize=8, loc="lower right")
            continue
        value = ranking[col].fillna(0)
        err = [(value - ranking[f"{col}_lower"]).clip(lower=0).fillna(0),
               (ranking[f"{col}_upper"] - value).clip(lower=0).fillna(0)]
        ax.barh(ypos, value, xerr=err, color=TIER_COLOURS[2] if col != "deaths_averted" else TIER_COLOURS[1],
                capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(textwrap.fill(gain_title(col, lang), 30), fontsize=10)
    for row in grid:
        row[0].set_yticks(ypos, labels)
    fig.suptitle(title or text("plot.bottlenecks_title", lang, step=f"{step:.0%}"))
    return fig


def census_comparison(table: pd.DataFrame, series: pd.DataFrame, window: tuple[float, float],
                      reported: Mapping[str, float]) -> Figure:
    """Model against Hanoi's January 2022 report, counted as the report counts (by facility):
    census by tier over time (days) with the reported levels, and the steady-state census per
    tier beside the report with relative errors (by need, lighter, for comparison).

    `table` and `series` are `flowsim.census.CensusComparison.table` / `.series`."""
    readings = list(dict.fromkeys(table["reading"]))
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    ax = axes[0]
    styles = ["-", "--", ":"]
    for k, reading in enumerate(readings):
        s = series[(series["reading"] == reading) & (series["counted_by"] == "facility")]
        for tier in (1, 2, 3):
            ax.plot(s["time"], s[f"tier{tier}"], color=TIER_COLOURS[tier], ls=styles[k % 3],
                    label=f"tier {tier}, model ({reading})" if tier == 1 or k == 0 else None)
    for tier in (1, 2, 3):
        ax.axhline(reported[f"tier {tier}"], color=TIER_COLOURS[tier], lw=3, alpha=0.35,
                   label=f"tier {tier}, reported" if tier == 1 else None)
    ax.axvspan(*window, color="grey", alpha=0.12, label="comparison window")
    ax.set_yscale("log")
    ax.set_xlabel("days after the reported state (mid-January 2022)")
    ax.set_ylabel("patients in care, by facility (as reported)")
    ax.set_title("Census by tier: model (lines) and report (bands)")
    ax.legend(fontsize=8, loc="lower left")

    ax = axes[1]
    tiers = ["tier 1", "tier 2", "tier 3"]
    width = 0.8 / (len(readings) + 1)
    x = range(len(tiers))
    ax.bar([i - 0.4 + width / 2 for i in x], [reported[t] for t in tiers], width, color="black", alpha=0.6,
           label="reported")
    for k, reading in enumerate(readings):
        g = table[(table["reading"] == reading) & (table["counted_by"] == "facility")].set_index("quantity")
        need = table[(table["reading"] == reading) & (table["counted_by"] == "need")].set_index("quantity")
        pos = [i - 0.4 + width * (k + 1.5) for i in x]
        vals = [g.loc[t, "model"] for t in tiers]
        err = [[g.loc[t, "model"] - g.loc[t, "ci_low"] for t in tiers], [g.loc[t, "ci_high"] - g.loc[t, "model"] for t in tiers]]
        ax.bar(pos, vals, width, yerr=err, color=[TIER_COLOURS[i + 1] for i in x], alpha=0.45 + 0.3 * k,
               edgecolor="black", label=f"model by facility, {g['arrivals_per_day'].iloc[0]:,.0f} F0/day ({reading})")
        ax.scatter(pos, [need.loc[t, "model"] for t in tiers], marker="_", s=200, color="black",
                   label="model by clinical need" if k == 0 else None)
        for p, t in zip(pos, tiers, strict=True):
            ax.annotate(f"{g.loc[t, 'error']:+.0%}", (p, g.loc[t, "model"]), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(list(x), tiers)
    ax.set_yscale("log")
    ax.set_ylabel("patients in care")
    ax.set_title(f"Steady state (days {window[0]:g}-{window[1]:g}) against the report, relative error")
    ax.legend(fontsize=8)
    return fig


def projection_chart(cases: list[float], curve: pd.DataFrame, rt: pd.DataFrame) -> Figure:
    """The case history and its projection (with the fit's band), and R_t over the history."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    past = np.arange(-len(cases), 0)
    ax.plot(past, cases, ".", color="black", ms=4, label="reported cases")
    ax.fill_between(curve["day"], curve["lower"], curve["upper"], color="#9ab", alpha=0.5,
                    label="95% band (R_t uncertainty)")
    ax.plot(curve["day"], curve["expected"], color="#235", label="projection at the posterior mean")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("day (0 = the day after the last report)")
    ax.set_ylabel("new F0 per day")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Case history and projection")
    days = rt["day"] - len(cases)
    bx.fill_between(days, rt["rt_lower"], rt["rt_upper"], color="#e0a030", alpha=0.4, label="95% credible interval")
    bx.plot(days, rt["rt_mean"], color="#a05000", label="R_t (posterior mean)")
    bx.axhline(1, color="grey", lw=0.8, ls="--")
    bx.set_xlabel("end of the window (days before day 0)")
    bx.set_title("R_t over trailing windows (Cori et al.)")
    bx.legend(loc="upper left", fontsize=8)
    return fig
