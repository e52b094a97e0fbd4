"""Key figures of a run (docs/model.md, "What each figure means"), as one flat row."""

from __future__ import annotations

import numpy as np

from .pools import AMBULANCES, ICU_BEDS, OXYGEN_BEDS, STATION_BEDS
from .records import DIED, DIED_WAITING, RECOVERED
from .tables import Tables

SUMMARY_COLUMNS = (
    "replication", "seed", "window_start", "window_end", "initial_census", "in_system_start", "arrivals",
    "recovered", "died", "died_waiting", "in_system_end", "died_waiting_warmup",
    "peak_tier1", "peak_tier2", "peak_tier3", "peak_tier1_by_facility", "peak_tier2_by_facility",
    "peak_tier3_by_facility", "wait_tier2_p50", "wait_tier2_p90",
    "wait_tier3_p50", "wait_tier3_p90", "full_days_oxygen", "full_days_icu", "full_days_station",
    "utilisation_oxygen", "utilisation_icu", "tier1_needing_bed", "tier1_overflow",
    "ambulance_response_p50", "ambulance_response_p90", "transfers", "transfers_delayed_by_vehicle",
    "transfers_delayed_by_bed", "utilisation_ambulances",
)
"""Columns of summary.csv, in order. Every figure covers the statistics window [window_start,
window_end] (days: `warmup_days` to the horizon), deaths included; `died_waiting_warmup` is the
transient the window leaves out. Bed waits in days, ambulance response in minutes; peaks in
patients, by clinical need and by facility (`records.COUNTED_BY`). Ambulance figures are empty
(NaN) for a scenario without a fleet."""

MINUTES_PER_DAY = 24 * 60


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def key_figures(tables: Tables, arrivals: np.ndarray, initial: int, warmup: float, horizon: float) -> dict[str, float]:
    """Every figure over the statistics window (warmup, horizon]: counts of arrivals and outcomes
    in it, so that conservation reads off them (in_system_start + arrivals = recovered + died +
    in_system_end), and waits, peaks and full days. A wait still under way at the horizon counts
    with its length so far. `tier1_overflow` of `tier1_needing_bed` new mild F0 found no
    facility bed (the blocking probability of the tier-1 pool, Erlang B when they go home)."""
    out = tables.outcomes
    time = out["time"].to_numpy()
    kind = out["outcome"].cat.codes.to_numpy()  # the codes of `records.OUTCOMES`
    inside = (time > warmup) & (time <= horizon)
    died_waiting = int((kind[inside] == DIED_WAITING).sum())
    figures: dict[str, float] = {
        "window_start": warmup,
        "window_end": horizon,
        "initial_census": initial,
        "in_system_start": tables.census_start,
        "arrivals": int(((arrivals > warmup) & (arrivals <= horizon)).sum()),
        "recovered": int((kind[inside] == RECOVERED).sum()),
        "died": int((kind[inside] == DIED).sum()) + died_waiting,
        "died_waiting": died_waiting,
        "in_system_end": tables.census_end,
        "died_waiting_warmup": int((kind[(time <= warmup)] == DIED_WAITING).sum()) if warmup > 0 else 0,
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
    figures["full_days_oxygen"] = float(res.loc[OXYGEN_BEDS.name, "days_full"])
    figures["full_days_icu"] = float(res.loc[ICU_BEDS.name, "days_full"])
    figures["full_days_station"] = float(res.loc[STATION_BEDS.name, "days_full"])
    figures["utilisation_oxygen"] = float(res.loc[OXYGEN_BEDS.name, "utilisation"])
    figures["utilisation_icu"] = float(res.loc[ICU_BEDS.name, "utilisation"])
    t = tables.transfers
    t = t[(t["called"] >= warmup) & (t["tier"] >= 2)]
    figures["transfers"] = int(len(t))
    figures["transfers_delayed_by_bed"] = int((t["bed_wait"] > 0).sum())
    if AMBULANCES.name in res.index:
        response = t["response"].dropna().to_numpy() * MINUTES_PER_DAY
        figures["ambulance_response_p50"] = _percentile(response, 50)
        figures["ambulance_response_p90"] = _percentile(response, 90)
        figures["transfers_delayed_by_vehicle"] = int((t["vehicle_wait"] > 0).sum())
        figures["utilisation_ambulances"] = float(res.loc[AMBULANCES.name, "utilisation"])
    else:
        for name in ("ambulance_response_p50", "ambulance_response_p90", "transfers_delayed_by_vehicle",
                     "utilisation_ambulances"):
            figures[name] = float("nan")
    return figures
