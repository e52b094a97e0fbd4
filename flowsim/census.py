"""Hanoi's January 2022 census held against the model: the reality check beside the theory checks.

The built-in scenario starts from the census Hanoi reported for the week of 16-24 January 2022
(39,167 / 2,225 / 648 F0 in care at tier 1 / 2 / 3) with that week's arrival level. If the model's
parameters were right and the network near a steady state, the census would stay near the
reported one; what the model settles to instead, tier by tier, is the comparison. The time in
care is read the same way on both sides, by Little's law: census ÷ new F0 per day.

The report gives about 20,400 new cases for "the week of 16-24 January": ≈ 2,267 a day if that is
nine days (the scenario's reading), 2,914 if seven (the reading behind docs/hanoi-data.md's ≈ 14 days
in care). Both are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .config import Scenario, load_scenario
from .intervals import t_interval
from .simulation import run

REPORTED_CENSUS = {"tier 1": 39_167, "tier 2": 2_225, "tier 3": 648}
"""[S] F0 under management and treatment in Hanoi, week of 16-24 January 2022, counted where they
are treated ("being treated at tier 2"): by facility, not by clinical need."""
REPORTED_TOTAL_STATED = 40_040
REPORTED_TIER2_FROM_SHARE = round(0.0325 * REPORTED_TOTAL_STATED)
"""[D] the report's other tier-2 figure: its stated 3.25% of its stated 40,040 (≈ 1,301); the
count (2,225) and the share disagree, so both are compared."""
TIER2_FROM_SHARE = "tier 2 (3.25% of 40,040)"
REPORTED_NEW_IN_WEEK = 20_400
"""[S] new cases reported for that week."""
REPORTED_TIME_IN_CARE = (14.0, 17.0)
"""[D] days, Little's law on the counts (docs/hanoi-data.md): 42,040 ÷ 2,914/day, and ÷ 17,600/7 recoveries."""
READINGS = {"20,400 in 9 days": REPORTED_NEW_IN_WEEK / 9, "20,400 in 7 days": REPORTED_NEW_IN_WEEK / 7}
"""Arrival level (F0/day) under each reading of "the week of 16-24 January"."""
TIME_IN_CARE = "time in care (days) = census ÷ new F0/day"
COLUMNS = {"need": "census_tier{}", "facility": "census_tier{}_by_facility"}
"""Time-series column of each way of counting (`records.COUNTED_BY`)."""


@dataclass
class CensusComparison:
    """`table`: one row per reading, way of counting (`counted_by`: need or facility) and quantity
    (reported, model mean, 95% interval across replications, relative error); `series`: the
    model's mean census by tier over time (days), per reading and way of counting. Only the
    facility count is like with like: the report counts patients where they are treated."""

    table: pd.DataFrame
    series: pd.DataFrame
    window: tuple[float, float]


def january_2022(reps: int = 5, horizon_days: float = 56, window: tuple[float, float] = (28, 56), seed: int = 1,
                 scenario: Scenario | None = None, readings: dict[str, float] | None = None) -> CensusComparison:
    """Run the January 2022 scenario at each arrival reading and compare with the report.

    The model's census is the mean of its 6-hourly census over `window` (days after the reported
    state), when it has settled to the steady state of the arrival level; intervals are across
    `reps` independent replications (chance only: the parameters are held at their values)."""
    base = scenario or load_scenario()
    rows, series = [], []
    reported_total = sum(REPORTED_CENSUS.values())
    for reading, rate in (readings or READINGS).items():
        sc = base.model_copy(update={"horizon_days": horizon_days, "record_step_days": 0.25,
                                     "arrivals": base.arrivals.model_copy(update={"profile": "constant",
                                                                                  "rate_per_day": rate})})
        per_rep: dict[str, list[dict[str, float]]] = {way: [] for way in COLUMNS}
        for i in range(reps):
            ts = run(sc, seed=seed, replication=i).timeseries
            inside = ts[(ts["time"] >= window[0]) & (ts["time"] <= window[1])]
            for way, column in COLUMNS.items():
                cols = [column.format(t) for t in (1, 2, 3)]
                series.append(ts[["time", *cols]].set_axis(["time", "tier1", "tier2", "tier3"], axis=1)
                              .assign(reading=reading, counted_by=way, replication=i))
                means = {f"tier {t}": float(inside[column.format(t)].mean()) for t in (1, 2, 3)}
                means[TIER2_FROM_SHARE] = means["tier 2"]
                means["total"] = float(inside[cols].sum(axis=1).mean())
                means[TIME_IN_CARE] = means["total"] / rate
                per_rep[way].append(means)
        reported = {**REPORTED_CENSUS, TIER2_FROM_SHARE: REPORTED_TIER2_FROM_SHARE, "total": reported_total,
                    TIME_IN_CARE: reported_total / rate}
        for way, values in per_rep.items():
            m = pd.DataFrame(values)
            for quantity, value in reported.items():
                x = m[quantity].to_numpy()
                half = t_interval(x).half_width
                rows.append({"reading": reading, "arrivals_per_day": rate, "counted_by": way, "quantity": quantity,
                             "reported": value, "model": float(x.mean()), "ci_low": float(x.mean() - half),
                             "ci_high": float(x.mean() + half), "error": float(x.mean() / value - 1)})
    s = pd.concat(series, ignore_index=True)
    mean = s.groupby(["reading", "counted_by", "time"], sort=False)[["tier1", "tier2", "tier3"]].mean().reset_index()
    return CensusComparison(pd.DataFrame(rows), mean, window)


def format_census(result: CensusComparison) -> str:
    """The comparison as plain text, one block per arrival reading and way of counting."""
    lines = []
    for (reading, way), g in result.table.groupby(["reading", "counted_by"], sort=False):
        rate = g["arrivals_per_day"].iloc[0]
        how = "by facility, as the report counts" if way == "facility" else "by clinical need (not like with like)"
        lines.append(f"arrivals {rate:,.0f} F0/day ({reading}); census {how}; model: mean over days "
                     f"{result.window[0]:g}-{result.window[1]:g} after the reported state")
        head = f"  {'':<42} {'reported':>10} {'model [95% interval]':>30} {'error':>8}"
        lines += [head, "  " + "-" * (len(head) - 2)]
        for r in g.itertuples():
            fmt = (lambda v: f"{v:,.1f}") if r.quantity.startswith("time") else (lambda v: f"{v:,.0f}")
            model = f"{fmt(r.model)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]"
            lines.append(f"  {r.quantity:<42} {fmt(r.reported):>10} {model:>30} {r.error:>+8.0%}")
        lines.append("")
    lo, hi = REPORTED_TIME_IN_CARE
    lines.append(f"Reported time in care by Little's law: ≈ {lo:g}-{hi:g} days. Intervals cover chance only "
                 "(replications), not the parameters.")
    return "\n".join(lines)
