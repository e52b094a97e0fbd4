"""An emulator: a Gaussian process per key figure, trained on a sweep's replications, that answers
a new setting of the swept levers in milliseconds — an estimate, with its own 95% band, that the
simulation then confirms.

Why a Gaussian process (scikit-learn's): a few dozen to a few hundred simulated points, smooth
responses, and an honest band that widens away from the data; a white-noise term learns the
replications' own spread, so the band is for one replication's value at that setting. It is only
trusted inside the box it was trained on (`Emulator.inside`); outside it says so and the
simulation alone answers.

Held-out accuracy (`held_out`): whole grid points are set aside — none of their replications is
used in training — and the share of their replications that fall inside the band (coverage, 95%
expected) and the error of the predicted mean against their observed mean are reported.
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError

Z95 = 1.959963984540054


def _require() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigError("emulator: needs scikit-learn: pip install 'flowsim[emulate]'") from None


@dataclass
class Emulator:
    """One Gaussian process per figure over the swept factors (scaled to [0, 1] on the training box)."""

    factors: list[str]
    figures: list[str]
    low: dict[str, float]
    high: dict[str, float]
    models: dict[str, object] = field(repr=False)
    trained_on: list[tuple[float, ...]] = field(repr=False)
    """The grid points whose replications trained it (held-out points are never among them)."""
    replications: int = 0

    def _x(self, points: pd.DataFrame) -> np.ndarray:
        cols = []
        for f in self.factors:
            span = self.high[f] - self.low[f]
            cols.append((points[f].to_numpy(float) - self.low[f]) / (span if span > 0 else 1.0))
        return np.column_stack(cols)

    def inside(self, point: dict[str, float]) -> list[str]:
        """The factors of `point` outside the training box (empty: the emulator may answer)."""
        return [f for f in self.factors if f not in point or not self.low[f] <= float(point[f]) <= self.high[f]]

    def predict(self, points: pd.DataFrame) -> pd.DataFrame:
        """For each point (a row of factor values) and figure: the estimated mean and the 95% band
        of one replication's value there. A tidy table: factors, figure, mean, lower, upper."""
        x = self._x(points)
        out = []
        for figure in self.figures:
            mean, sd = self.models[figure].predict(x, return_std=True)  # type: ignore[attr-defined]
            part = points[self.factors].reset_index(drop=True).copy()
            part["figure"], part["mean"] = figure, mean
            part["lower"], part["upper"] = mean - Z95 * sd, mean + Z95 * sd
            out.append(part)
        return pd.concat(out, ignore_index=True)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self))
        return path


def load(path: Path) -> Emulator:
    """An emulator written by `Emulator.save` (a pickle: load only files you made)."""
    _require()
    value = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own file
    if not isinstance(value, Emulator):
        raise ConfigError(f"emulator {path}: not a flowsim emulator")
    return value


def _numeric(table: pd.DataFrame, factors: list[str]) -> None:
    for f in factors:
        if f not in table:
            raise ConfigError(f"emulator.factors: '{f}' is not a column of the sweep table")
        if not pd.api.types.is_numeric_dtype(table[f]):
            raise ConfigError(f"emulator.factors: '{f}' is not a number (an emulator needs numeric factors)")
        if table[f].nunique() < 2:
            raise ConfigError(f"emulator.factors: '{f}' takes one value only; sweep it over two or more")


def fit(table: pd.DataFrame, factors: list[str], figures: list[str], seed: int = 0) -> Emulator:
    """Train one Gaussian process per figure on every row (replication) of `table` (`Sweep.table`)."""
    _require()
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    _numeric(table, factors)
    missing = [f for f in figures if f not in table]
    if missing:
        raise ConfigError(f"emulator.figures: not in the sweep table: {', '.join(missing)}")
    low = {f: float(table[f].min()) for f in factors}
    high = {f: float(table[f].max()) for f in factors}
    emu = Emulator(factors, [], low, high, {}, sorted({tuple(map(float, r)) for r in table[factors].to_numpy()}),
                   int(table["replication"].nunique()) if "replication" in table else 0)
    x = emu._x(table)
    for figure in figures:
        y = table[figure].to_numpy(float)
        keep = np.isfinite(y)
        if keep.sum() < 3 or np.ptp(y[keep]) == 0:
            continue  # no usable variation: nothing to learn (e.g. ambulance figures without a fleet)
        kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(length_scale=[0.5] * len(factors),
                                                           length_scale_bounds=(0.05, 20.0), nu=2.5)
                  + WhiteKernel(0.1, (1e-6, 10.0)))
        gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2, random_state=seed)
        with warnings.catch_warnings():  # a length scale at its bound is a flat or a rough response, not an error
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(x[keep], y[keep])
        emu.models[figure] = gp
        emu.figures.append(figure)
    if not emu.figures:
        raise ConfigError("emulator.figures: none of them varies over the sweep")
    return emu


def held_out(table: pd.DataFrame, factors: list[str], figures: list[str], share: float = 0.25,
             seed: int = 0) -> tuple[Emulator, pd.DataFrame]:
    """Set aside a `share` of the grid points (every replication of each), train on the rest, and
    report per figure on the set-aside points: coverage of the 95% band (share of their
    replications inside it), the mean absolute error of the predicted mean against each point's
    observed mean, that error relative to the figure's spread, and the points used."""
    if not 0 < share < 1:
        raise ConfigError(f"emulator.held_out {share}: must be a fraction between 0 and 1")
    _numeric(table, factors)
    points = table[factors].drop_duplicates().reset_index(drop=True)
    if len(points) < 4:
        raise ConfigError(f"emulator: {len(points)} grid points; hold some out and train on the rest needs 4 or more")
    rng = np.random.default_rng(seed)
    k = max(1, int(round(share * len(points))))
    test_idx = set(rng.choice(len(points), size=k, replace=False).tolist())
    key = [tuple(map(float, r)) for r in table[factors].to_numpy()]
    test_keys = {tuple(map(float, points.iloc[i])) for i in test_idx}
    is_test = np.array([kk in test_keys for kk in key])
    emu = fit(table[~is_test], factors, figures, seed)
    test = table[is_test]
    rows = []
    for figure in emu.figures:
        pred = emu.predict(test[factors].drop_duplicates())
        pred = pred[pred["figure"] == figure].set_index(factors)
        joined = test.set_index(factors)[[figure]].join(pred[["mean", "lower", "upper"]])
        inside = (joined[figure] >= joined["lower"]) & (joined[figure] <= joined["upper"])
        observed = joined.groupby(level=list(range(len(factors))))[[figure, "mean"]].mean()
        error = float((observed["mean"] - observed[figure]).abs().mean())
        spread = float(table[figure].std(ddof=1)) or 1.0
        rows.append({"figure": figure, "coverage": float(inside.mean()), "replications": int(len(joined)),
                     "points": len(test_keys), "mean_abs_error": error, "relative_error": error / spread})
    return emu, pd.DataFrame(rows)
