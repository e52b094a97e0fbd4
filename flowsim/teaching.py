"""Small classroom experiments: theory beside simulation, on the configs in configs/teaching/.

`load` reads one of those configs; each experiment returns a tidy table (one row per point) that
a plot or the app shows; intervals come from independent replications. The theory is
`flowsim.queueing`'s; `flowsim.validation` checks the same configs against it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .config import BUILTIN_DIR, Scenario, load_scenario
from .intervals import t_interval
from .pools import STATION_BEDS
from .queueing import erlang_c, mmc_mean_wait
from .simulation import RunResult, run

CONFIGS = BUILTIN_DIR / "teaching"
"""The teaching configs (`configs/teaching/` in the repository)."""


def load(name: str, overrides: dict | None = None) -> Scenario:
    """A config from `configs/teaching/` with dotted-path overrides."""
    return load_scenario(CONFIGS / f"{name}.yaml", overrides=overrides)


def tandem_measure(r: RunResult) -> dict[str, float]:
    """The tandem's three quantities from a flowsim run, as `queueing.tandem_reference` defines them."""
    warm, horizon = r.scenario.warmup_days, r.scenario.horizon_days
    res = r.resources.set_index("resource")
    w = r.waits[(r.waits["tier"] == 2) & (r.waits["reason"] == "care") & (r.waits["start"] >= warm)]["wait"]
    return {"blocked_beds": res.loc[STATION_BEDS.name, "blocked_bed_days"] / (horizon - warm),
            "wait": float(w.mean()) if len(w) else 0.0,
            "overflow": r.summary["tier1_overflow"] / max(r.summary["tier1_needing_bed"], 1)}


def mmc_curve(servers: int, mean_stay: float, loads: Sequence[float], replications: int = 3,
              patients: int = 20_000, seed: int = 1) -> pd.DataFrame:
    """One oxygen ward as M/M/c: Erlang C's P(wait) and Wq beside flowsim's, at each load ρ.

    Each point simulates about `patients` arrivals after a warm-up of a tenth of the run."""
    rows = []
    for rho in loads:
        rate = rho * servers / mean_stay
        horizon = max(patients / rate, 50 * mean_stay)
        scenario = load("mmc", {"facilities.0.beds.tier2": servers, "arrivals.rate_per_day": rate,
                                    "clinical.tier2_stay": {"dist": "exponential", "mean_days": mean_stay},
                                    "horizon_days": horizon, "warmup_days": horizon / 10, "record_step_days": horizon / 100})
        p_wait, wq = [], []
        for i in range(replications):
            w = run(scenario, seed=seed, replication=i).waits
            w = w[(w["tier"] == 2) & (w["start"] >= scenario.warmup_days)]["wait"]
            p_wait.append(float((w > 0).mean()))
            wq.append(float(w.mean()))
        pw, q = t_interval(p_wait), t_interval(wq)
        rows.append({"rho": rho, "arrival_rate": rate, "p_wait_theory": erlang_c(servers, rate * mean_stay),
                     "p_wait": pw.mean, "p_wait_half_width": pw.half_width,
                     "wq_theory": mmc_mean_wait(servers, rate, mean_stay), "wq": q.mean, "wq_half_width": q.half_width})
    return pd.DataFrame(rows)


def mmc_theory(servers: int, mean_stay: float, points: int = 60) -> pd.DataFrame:
    """Erlang C curves over loads ρ from 0.05 to 0.97 (for drawing beside `mmc_curve`)."""
    rho = np.linspace(0.05, 0.97, points)
    rate = rho * servers / mean_stay
    return pd.DataFrame({"rho": rho, "p_wait": [erlang_c(servers, r * mean_stay) for r in rate],
                         "wq": [mmc_mean_wait(servers, r, mean_stay) for r in rate]})


def tandem_blocking(oxygen_beds: Sequence[int], replications: int = 3, horizon_days: float = 1500,
                    seed: int = 1) -> pd.DataFrame:
    """Station → oxygen ward in tandem: blocked station beds and the oxygen-bed wait as the
    downstream pool grows. Blocking vanishes only when the oxygen ward stops being the bottleneck."""
    rows = []
    for beds in oxygen_beds:
        scenario = load("tandem", {"facilities.1.beds.tier2": int(beds), "horizon_days": horizon_days,
                                       "warmup_days": horizon_days / 10})
        m = pd.DataFrame([tandem_measure(run(scenario, seed=seed, replication=i)) for i in range(replications)])
        row: dict[str, float] = {"oxygen_beds": int(beds)}
        for col in ("blocked_beds", "wait", "overflow"):
            ci = t_interval(m[col].to_numpy())
            row[col], row[f"{col}_half_width"] = ci.mean, ci.half_width
        rows.append(row)
    return pd.DataFrame(rows)


def epidemic_lesson(doubling_days: float, distancing_day: float, delay_days: float = 14, effect: float = 0.5,
                    replications: int = 3, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The town's SEIR epidemic (configs/teaching/epidemic.yaml) with distancing on time and
    `delay_days` late (`delay_days` 0 or that; `variant` names it in English): key figures with
    95% intervals (one row per variant), and per-day series of
    expected F0 and mean ICU demand (census by clinical need, waiting included). Each figure also
    has the range of the runs (`_low`, `_high`): from 2–4 runs an interval is wider than it says."""
    from .epidemic import arrivals_curve

    rows, series = [], []
    for label, delay in (("on time", 0.0), (f"{delay_days:g} days late", float(delay_days))):
        day = distancing_day + delay
        scenario = load("epidemic", {"arrivals.seir.doubling_days": doubling_days,
                                         "arrivals.interventions": [{"day": day, "effect": effect, "ramp_days": 5}]})
        runs = [run(scenario, seed=seed, replication=i) for i in range(replications)]
        curve = arrivals_curve(scenario.arrivals, int(scenario.horizon_days))
        row: dict[str, float | str] = {"variant": label, "delay_days": delay, "distancing_day": day,
                                       "peak_f0_day": float(curve["day"][curve["expected"].idxmax()]),
                                       "peak_f0": float(curve["expected"].max())}
        peaks = [r.timeseries.loc[r.timeseries["census_tier3"].idxmax()] for r in runs]
        figures = {"peak_icu_demand": [p["census_tier3"] for p in peaks], "peak_icu_day": [p["time"] for p in peaks],
                   "died": [r.summary["died"] for r in runs], "died_waiting": [r.summary["died_waiting"] for r in runs]}
        for name, values in figures.items():
            ci = t_interval(np.asarray(values, float))
            row[name], row[f"{name}_half_width"] = ci.mean, ci.half_width
            row[f"{name}_low"], row[f"{name}_high"] = float(min(values)), float(max(values))
        rows.append(row)
        icu = pd.concat([r.timeseries[["time", "census_tier3"]] for r in runs]).groupby("time").mean()
        day_of = np.floor(icu.index.to_numpy() - 1e-9).astype(int)
        daily = icu["census_tier3"].groupby(day_of).mean()
        series.append(pd.DataFrame({"variant": label, "delay_days": delay, "day": curve["day"], "f0_expected": curve["expected"],
                                    "icu_demand": daily.reindex(curve["day"]).to_numpy(),
                                    "icu_beds": scenario.beds(scenario.facilities[-1], 3)}))
    return pd.DataFrame(rows), pd.concat(series, ignore_index=True)
