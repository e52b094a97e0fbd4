"""Figures drawn from result tables (never from the simulation's internals)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

TIER_COLOURS = {1: "#4c9f70", 2: "#e0a030", 3: "#c0392b"}


def overview(timeseries: pd.DataFrame, title: str = "") -> Figure:
    """Census by tier, queues, and oxygen / ICU occupancy against capacity, over time (days)."""
    ts = timeseries
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True, layout="constrained")
    ax = axes[0, 0]
    for tier in (1, 2, 3):
        ax.plot(ts["time"], ts[f"census_tier{tier}"], color=TIER_COLOURS[tier], label=f"tier {tier}")
    ax.set_yscale("symlog", linthresh=100)
    ax.set_title("Patients in care by tier (clinical need)")
    ax.set_ylabel("patients")
    ax.legend(loc="upper left")

    ax = axes[0, 1]
    for tier in (1, 2, 3):
        if ts[f"queue_tier{tier}"].any():
            ax.plot(ts["time"], ts[f"queue_tier{tier}"], color=TIER_COLOURS[tier], label=f"waiting for tier-{tier} bed")
    ax.plot(ts["time"], ts["deaths_waiting"].cumsum(), color="black", ls="--", label="died waiting (cumulative)")
    ax.set_title("Waiting for a bed")
    ax.set_ylabel("patients")
    ax.legend(loc="upper left")

    for ax, tier, name in ((axes[1, 0], 2, "Oxygen beds (tier 2)"), (axes[1, 1], 3, "ICU beds (tier 3)")):
        cap = ts[f"capacity_tier{tier}"]
        ax.fill_between(ts["time"], 0, ts[f"occupied_tier{tier}"], color=TIER_COLOURS[tier], alpha=0.5, label="occupied")
        ax.plot(ts["time"], cap, color="black", lw=1, label="capacity")
        full = ts[f"occupied_tier{tier}"] >= cap
        if full.any() and cap.iloc[0] > 0:
            ax.fill_between(ts["time"], 0, cap, where=full, color="red", alpha=0.12, label="all full", step="mid")
        ax.set_title(name)
        ax.set_xlabel("day")
        ax.set_ylabel("beds")
        ax.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path: str) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)


def census_comparison(table: pd.DataFrame, series: pd.DataFrame, window: tuple[float, float],
                      reported: dict[str, float]) -> Figure:
    """Model against Hanoi's January 2022 report: census by tier over time (days) with the
    reported levels, and the steady-state census per tier beside the report with relative errors.

    `table` and `series` are `flowsim.census.CensusComparison.table` / `.series`."""
    readings = list(dict.fromkeys(table["reading"]))
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    ax = axes[0]
    styles = ["-", "--", ":"]
    for k, reading in enumerate(readings):
        s = series[series["reading"] == reading]
        for tier in (1, 2, 3):
            ax.plot(s["time"], s[f"census_tier{tier}"], color=TIER_COLOURS[tier], ls=styles[k % 3],
                    label=f"tier {tier}, model ({reading})" if tier == 1 or k == 0 else None)
    for tier in (1, 2, 3):
        ax.axhline(reported[f"tier {tier}"], color=TIER_COLOURS[tier], lw=3, alpha=0.35,
                   label=f"tier {tier}, reported" if tier == 1 else None)
    ax.axvspan(*window, color="grey", alpha=0.12, label="comparison window")
    ax.set_yscale("log")
    ax.set_xlabel("days after the reported state (mid-January 2022)")
    ax.set_ylabel("patients in care (clinical need)")
    ax.set_title("Census by tier: model (lines) and report (bands)")
    ax.legend(fontsize=8, loc="lower left")

    ax = axes[1]
    tiers = ["tier 1", "tier 2", "tier 3"]
    width = 0.8 / (len(readings) + 1)
    x = range(len(tiers))
    ax.bar([i - 0.4 + width / 2 for i in x], [reported[t] for t in tiers], width, color="black", alpha=0.6,
           label="reported")
    for k, reading in enumerate(readings):
        g = table[table["reading"] == reading].set_index("quantity")
        pos = [i - 0.4 + width * (k + 1.5) for i in x]
        vals = [g.loc[t, "model"] for t in tiers]
        err = [[g.loc[t, "model"] - g.loc[t, "ci_low"] for t in tiers], [g.loc[t, "ci_high"] - g.loc[t, "model"] for t in tiers]]
        ax.bar(pos, vals, width, yerr=err, color=[TIER_COLOURS[i + 1] for i in x], alpha=0.45 + 0.3 * k,
               edgecolor="black", label=f"model, {g['arrivals_per_day'].iloc[0]:,.0f} F0/day ({reading})")
        for p, t in zip(pos, tiers, strict=True):
            ax.annotate(f"{g.loc[t, 'error']:+.0%}", (p, g.loc[t, "model"]), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(list(x), tiers)
    ax.set_yscale("log")
    ax.set_ylabel("patients in care")
    ax.set_title(f"Steady state (days {window[0]:g}-{window[1]:g}) against the report, relative error")
    ax.legend(fontsize=8)
    fig.suptitle("Hanoi, January 2022: model against the reported census")
    return fig
