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
    if "calls_waiting" in ts and ts["calls_waiting"].any():
        ax.plot(ts["time"], ts["calls_waiting"], color="#2c6fbb", label="calls waiting for an ambulance")
    ax.plot(ts["time"], ts["deaths_waiting"].cumsum(), color="black", ls="--", label="died waiting (cumulative)")
    ax.set_title("Waiting for a bed or a vehicle")
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
