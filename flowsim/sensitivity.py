"""Which unknown matters: global sensitivity of the key figures to the scenario's priors.

Morris elementary effects (SALib): `trajectories` one-at-a-time paths through the priors'
ranges, each of k + 1 points, so (k + 1) × trajectories runs for k priors, the cheapest global
method on two cores. A point's value of each parameter is the prior's quantile at a Morris level
(so the screening spans the prior, not just its range). Every point runs the same replications
(common random numbers), so an elementary effect is the parameter's, not luck's. μ* (the mean
absolute effect) is in the figure's unit per whole prior range: how much the figure moves when
that parameter goes from one end of what is known to the other; σ large against μ* says the
effect depends on the other parameters (interactions or a threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from .config import ConfigError, Scenario
from .options import RunKeywords, RunOptions, run_options
from .replications import Design, Replications, check_figures, run_design

FIGURES = ("died_waiting", "wait_tier2_p90", "wait_tier3_p90", "peak_tier2_by_facility", "peak_tier3_by_facility",
           "full_days_oxygen", "full_days_icu")
"""Default figures: deaths while waiting, p90 bed waits (days), peak census by facility, days full."""
ZERO_WHEN_UNDEFINED = ("wait_tier2_p50", "wait_tier2_p90", "wait_tier3_p50", "wait_tier3_p90")
"""Figures left undefined (NaN) by a run in which nobody waited: counted as 0 days."""


@dataclass
class Sensitivity:
    """`table`: per figure and parameter, μ*, its bootstrap 95% interval half-width, μ and σ
    (figure's unit per whole prior range), ranked by μ* within each figure."""

    table: pd.DataFrame
    points: pd.DataFrame
    """The Morris design: one row per point, the parameter values it ran with."""
    replications: Replications
    trajectories: int
    levels: int


def morris_design(scenario: Scenario, trajectories: int, levels: int, seed: int) -> tuple[dict, np.ndarray]:
    """SALib's Morris problem on the unit hypercube of the priors, and its sample (points × k)."""
    from SALib.sample import morris

    k = len(scenario.priors)
    problem = {"num_vars": k, "names": [p.field for p in scenario.priors], "bounds": [[0.0, 1.0]] * k}
    return problem, morris.sample(problem, N=trajectories, num_levels=levels, seed=seed)


def sensitivity(scenario: Scenario, figures: tuple[str, ...] | list[str] = FIGURES, trajectories: int = 10,
                levels: int = 4, replications: int = 1, seed: int | None = None, *,
                options: RunOptions | None = None, **run: Unpack[RunKeywords]) -> Sensitivity:
    """Morris screening of every prior of `scenario` on `figures` (means over `replications`);
    where they run: `options` or its fields as keywords (`replicate`)."""
    from SALib.analyze import morris

    from .priors import apply, check_values

    opts = run_options(options, run)
    if not scenario.priors:
        raise ConfigError("priors: the scenario declares none; add a 'priors:' list to screen")
    check_values(scenario)
    if len(scenario.priors) < 2:
        raise ConfigError("priors: Morris screening needs at least two priors")
    if not 2 <= trajectories <= 1000:
        raise ConfigError.at("trajectories", "must be between 2 and 1,000", trajectories)
    if levels not in (4, 6, 8, 10):
        raise ConfigError.at("levels", "choose 4, 6, 8 or 10", levels)
    check_figures(list(figures), "figures")
    seed = scenario.seed if seed is None else int(seed)
    problem, unit = morris_design(scenario, trajectories, levels, seed)
    values = np.column_stack([p.ppf(unit[:, j]) for j, p in enumerate(scenario.priors)])
    fields = problem["names"]
    points = pd.DataFrame(values, columns=fields)
    scenarios = []
    for i, row in enumerate(values):
        try:
            scenarios.append(apply(scenario, dict(zip(fields, row, strict=True))))
        except ConfigError as exc:
            raise ConfigError(f"priors: Morris point {i} is not a valid scenario ({exc}); narrow the ranges") from None
    labels = tuple(f"point {i}" for i in range(len(values)))
    design = Design("sensitivity", tuple(scenarios), labels, seed,
                    tuple({f: float(v) for f, v in zip(fields, row, strict=True)} for row in values))
    reps = run_design(design, replications, options=opts)
    table = reps.table.copy()
    for f in ZERO_WHEN_UNDEFINED:
        if f in table:
            table[f] = table[f].fillna(0.0)
    means = table.groupby("scenario", sort=False)[list(figures)].mean().reindex(list(labels))
    rows = []
    for fig in figures:
        y = means[fig].to_numpy(float)
        if not np.isfinite(y).all():
            rows += [{"figure": fig, "parameter": f, "mu_star": np.nan, "mu_star_conf": np.nan, "mu": np.nan,
                      "sigma": np.nan} for f in fields]
            continue
        res = morris.analyze(problem, unit, y, num_levels=levels, seed=seed)
        for j, f in enumerate(fields):
            rows.append({"figure": fig, "parameter": f, "mu_star": float(res["mu_star"][j]),
                         "mu_star_conf": float(res["mu_star_conf"][j]), "mu": float(res["mu"][j]),
                         "sigma": float(res["sigma"][j])})
    out = pd.DataFrame(rows)
    out["rank"] = out.groupby("figure")["mu_star"].rank(ascending=False, method="first")
    out = out.sort_values(["figure", "rank"], key=lambda c: c.map({f: i for i, f in enumerate(figures)})
                          if c.name == "figure" else c).reset_index(drop=True)
    return Sensitivity(out, points, reps, trajectories, levels)


def format_sensitivity(result: Sensitivity, top: int = 5) -> str:
    """The ranking as plain text: per figure, the parameters that move it most."""
    n = len(result.points)
    lines = [f"Morris screening: {result.trajectories} trajectories × {n // result.trajectories} points = {n} "
             f"points × {result.replications.replications} replication(s) · {result.replications.seconds:.0f} s",
             "μ*: how far the figure moves, on average, when the parameter crosses its whole prior range "
             "(figure's unit); σ: how much that depends on the other parameters"]
    for fig, g in result.table.groupby("figure", sort=False):
        lines.append(f"\n{fig}")
        width = max(len(p) for p in g["parameter"])
        for r in g.head(top).itertuples():
            lines.append(f"  {int(r.rank)}. {r.parameter:<{width}}  μ* {r.mu_star:>9.3g} ±{r.mu_star_conf:<8.2g} "
                         f"σ {r.sigma:.3g}")
    return "\n".join(lines)


def write(result: Sensitivity, out: str | Path) -> list[Path]:
    """sensitivity.csv, points.csv (the design), sensitivity.png (bars per figure)."""
    from .plots import save
    from .uncertainty_plots import sensitivity_bars

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "sensitivity.csv", out / "points.csv", out / "sensitivity.png"]
    result.table.to_csv(paths[0], index=False)
    result.points.to_csv(paths[1], index_label="point")
    save(sensitivity_bars(result.table), str(paths[2]))
    return paths
