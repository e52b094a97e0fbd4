"""Key figures of a run (MODEL.md "What it reports"), as one flat row."""

from __future__ import annotations

import numpy as np

from .records import Tables

SUMMARY_COLUMNS = (
    "replication", "seed", "arrivals", "initial_census", "recovered", "died", "died_waiting",
    "in_system_end", "peak_tier1", "peak_tier2", "peak_tier3", "wait_tier2_p50", "wait_tier2_p90",
    "wait_tier3_p50", "wait_tier3_p90", "full_days_oxygen", "full_days_icu", "full_days_station",
    "utilisation_oxygen", "utilisation_icu", "tier1_needing_bed", "tier1_overflow",
)
"""Columns of summary.csv, in order. Waits in days; peaks in patients."""


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def key_figures(tables: Tables, arrivals: int, initial: int, warmup: float, horizon: float) -> dict[str, float]:
    """Counts are over the whole run (so conservation reads off them); waits, peaks and full
    days over the statistics window [warmup, horizon]. A wait still under way at the horizon
    counts with its length so far. `tier1_overflow` of `tier1_needing_bed` new mild F0 found no
    facility bed (the blocking probability of the tier-1 pool, Erlang B when they go home)."""
    out = tables.outcomes
    done = out[out["time"] <= horizon]["outcome"]
    recovered = int((done == "recovered").sum())
    died_waiting = int((done == "died_waiting").sum())
    died = int((done == "died").sum()) + died_waiting
    figures: dict[str, float] = {
        "arrivals": arrivals,
        "initial_census": initial,
        "recovered": recovered,
        "died": died,
        "died_waiting": died_waiting,
        "in_system_end": tables.census_end,
        **tables.peaks,
    }
    w = tables.waits
    care = w[(w["reason"] == "care") & (w["start"] >= warmup)]
    for tier in (2, 3):
        waits = care.loc[care["tier"] == tier, "wait"].to_numpy()
        figures[f"wait_tier{tier}_p50"] = _percentile(waits, 50)
        figures[f"wait_tier{tier}_p90"] = _percentile(waits, 90)
    placed = tables.placements[tables.placements["time"] >= warmup]["placed"]
    figures["tier1_needing_bed"] = int(len(placed))
    figures["tier1_overflow"] = int((~placed).sum())
    res = tables.resources.set_index("resource")
    figures["full_days_oxygen"] = float(res.loc["oxygen beds", "days_full"])
    figures["full_days_icu"] = float(res.loc["ICU beds", "days_full"])
    figures["full_days_station"] = float(res.loc["station beds", "days_full"])
    figures["utilisation_oxygen"] = float(res.loc["oxygen beds", "utilisation"])
    figures["utilisation_icu"] = float(res.loc["ICU beds", "utilisation"])
    return figures
