"""Confidence intervals across replications, and how many replications are enough.

A single run is an anecdote: every figure an experiment reports is the mean over replications
with its Student-t interval. Comparisons of scenarios that share random numbers (common random
numbers, replication *i* of each scenario uses the same streams) use the paired interval of
the per-replication differences, which is far narrower than the unpaired (Welch) one whenever
the scenarios' results move together. The number of replications can be chosen by the
replication algorithm of Hoad, Robinson & Davies (2010): the confidence-interval method with
a look-ahead that checks the precision holds.

NaN (a figure that is undefined in a run, e.g. a wait percentile when nobody waited) is left
out; `n` counts the values actually used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
NOT_FIGURES = frozenset({"replication", "seed", "scenario", "window_start", "window_end", "initial_census",
                         "posterior_sample"})
"""Numeric columns of a replication table that identify a run rather than measure it."""

INTERVAL_COLUMNS = ("n", "mean", "sd", "half_width", "lower", "upper")

INTERVAL_MIN = 5
"""Below this many replications the CLI's table, the app's cards and the report give the range of
the runs, not the 95% interval: from 2–4 runs the t-interval is wider than the figure ("died 68
[-123, 259]"), true but useless. The tables written (intervals.csv) keep the interval."""


@dataclass(frozen=True)
class Interval:
    """Mean of `n` values with its two-sided t-interval (same unit as the values)."""

    n: int
    mean: float
    sd: float
    half_width: float

    @property
    def lower(self) -> float:
        return self.mean - self.half_width

    @property
    def upper(self) -> float:
        return self.mean + self.half_width

    @property
    def relative_half_width(self) -> float:
        """Half-width / |mean|: 0 when there is no spread at all, inf when the mean is 0."""
        if self.half_width == 0:
            return 0.0
        if not np.isfinite(self.half_width) or self.mean == 0:
            return float("inf")
        return abs(self.half_width / self.mean)

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "mean": self.mean, "sd": self.sd, "half_width": self.half_width,
                "lower": self.lower, "upper": self.upper}


def t_quantile(df: float, p: float) -> float:
    """Student-t quantile (scipy.stats is imported here: it is slow to import)."""
    from scipy import stats

    return float(stats.t.ppf(p, max(df, 1)))


def _t(confidence: float, df: float) -> float:
    """Two-sided Student-t quantile for a `confidence` interval."""
    return t_quantile(df, 0.5 + confidence / 2)


def t_interval(values: Iterable[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student-t interval; sd and half-width are NaN with fewer than two values."""
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(0, float("nan"), float("nan"), float("nan"))
    mean = float(x.mean())
    if n == 1:
        return Interval(1, mean, float("nan"), float("nan"))
    sd = float(x.std(ddof=1))
    return Interval(n, mean, sd, _t(confidence, n - 1) * sd / np.sqrt(n) if sd > 0 else 0.0)


def welch_half_width(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE) -> float:
    """Half-width of the unpaired (Welch) interval for mean(b) - mean(a): what the comparison
    would cost without common random numbers."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 == 0:
        return 0.0
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return _t(confidence, df) * float(np.sqrt(se2))


def figure_columns(table: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """The numeric columns of a replication table that are key figures."""
    skip = NOT_FIGURES | set(exclude)
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])]


def intervals(table: pd.DataFrame, by: Sequence[str] = (), figures: Sequence[str] | None = None,
              confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per group of `by` and figure: n, mean, sd, half_width, lower, upper (tidy)."""
    by = list(by)
    figures = list(figures) if figures is not None else figure_columns(table, exclude=by)
    rows = []
    groups = table.groupby(by, sort=False, dropna=False) if by else [((), table)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        for fig in figures:
            rows.append({**dict(zip(by, key, strict=True)), "figure": fig,
                         **t_interval(group[fig].to_numpy(float), confidence).as_dict()})
    return pd.DataFrame(rows, columns=[*by, "figure", *INTERVAL_COLUMNS])


def paired_differences(table: pd.DataFrame, baseline: str, by: str = "scenario",
                       figures: Sequence[str] | None = None, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Each scenario's difference from `baseline`, figure by figure, paired by replication.

    Replication *i* of two scenarios shares its random numbers, so the difference is measured
    run by run; the interval is the t-interval of those differences. `half_width_unpaired` is the
    Welch interval the same runs would give if they were independent. Pairs where either run
    leaves the figure undefined are dropped.
    """
    figures = list(figures) if figures is not None else figure_columns(table, exclude=[by])
    base = table[table[by] == baseline].set_index("replication")
    rows = []
    for label in table[by].drop_duplicates():
        if label == baseline:
            continue
        other = table[table[by] == label].set_index("replication")
        common = base.index.intersection(other.index)
        for fig in figures:
            a = base.loc[common, fig].to_numpy(float)
            b = other.loc[common, fig].to_numpy(float)
            ok = ~(np.isnan(a) | np.isnan(b))
            diff = t_interval(b[ok] - a[ok], confidence)
            mean_a = float(np.nanmean(a)) if (~np.isnan(a)).any() else float("nan")
            mean_b = float(np.nanmean(b)) if (~np.isnan(b)).any() else float("nan")
            rows.append({
                by: label, "baseline": baseline, "figure": fig, "mean_baseline": mean_a, "mean": mean_b,
                "difference": diff.mean, "lower": diff.lower, "upper": diff.upper,
                "half_width": diff.half_width, "half_width_unpaired": welch_half_width(a, b, confidence),
                "sd_difference": diff.sd, "n": diff.n,
            })
    return pd.DataFrame(rows, columns=[by, "baseline", "figure", "mean_baseline", "mean", "difference", "lower",
                                       "upper", "half_width", "half_width_unpaired", "sd_difference", "n"])


def look_ahead_for(n: int, look_ahead: int = 5) -> int:
    """Hoad et al.'s kLimit: `look_ahead` replications up to n = 100, then look_ahead % of n."""
    return int(look_ahead * max(n, 100) / 100)


@dataclass(frozen=True)
class Decision:
    """Where the replication algorithm stands after the values seen so far.

    `needed` is the recommended number of replications once decided (None before); `next_count`
    is how many values it must see before it can decide.
    """

    needed: int | None
    next_count: int
    relative_half_width: float


def replications_needed(values: Sequence[float], precision: float, confidence: float = CONFIDENCE,
                        initial: int = 3, look_ahead: int = 5) -> Decision:
    """The replication algorithm of Hoad, Robinson & Davies (2010) over values in replication order.

    The answer is the first n >= `initial` whose relative half-width (half-width / |mean| of the
    first n values) is at most `precision` and stays so for each of the next kLimit(n) counts.
    It depends only on the values, in order, so running replications in batches of any size (one
    per worker) gives the same answer as running them one at a time.
    """
    x = np.asarray(values, float)
    rel = [t_interval(x[:m], confidence).relative_half_width for m in range(1, len(x) + 1)]
    n = initial
    while n <= len(x):
        if rel[n - 1] <= precision:
            last = n + look_ahead_for(n, look_ahead)
            failed = next((m for m in range(n + 1, min(last, len(x)) + 1) if rel[m - 1] > precision), None)
            if failed is None:
                if last <= len(x):
                    return Decision(n, len(x), rel[n - 1])
                return Decision(None, last, rel[-1])
            n = failed + 1
            continue
        n += 1
    n = max(n, initial)  # the earliest candidate left; it needs its look-ahead too
    return Decision(None, n + look_ahead_for(n, look_ahead), rel[-1] if rel else float("inf"))
