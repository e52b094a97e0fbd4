"""A posterior: weighted parameter sets, and which one replication *i* runs with.

`flowsim calibrate` writes one (Parquet: a column per field path, plus `weight`); `run`, `sweep`,
`compare` and `bottlenecks` take it with `--posterior FILE`. Replication *i* of every scenario
draws the same parameter set, chosen by a stream of its own keyed on (seed, i) and nothing else,
so common random numbers still pair scenarios on the same parameters and the same patients, and
the draw does not depend on how many replications run or in which order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, Scenario

WEIGHT = "weight"
POSTERIOR_STREAM = 1_000_003
"""Spawn-key entry of the posterior's stream: apart from every purpose of `streams.Streams`."""


@dataclass(frozen=True)
class Posterior:
    """Parameter sets (`samples`: a column per field path) with normalised `weights`."""

    samples: pd.DataFrame
    weights: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.samples) == 0:
            raise ConfigError.said("posterior", "posterior_empty", "holds no parameter set", self.source)
        w = np.asarray(self.weights, float)
        if len(w) != len(self.samples) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ConfigError.said("posterior", "posterior_weights", "'{weight}' must be finite, 0 or more, and not all 0", self.source,
                                   weight=WEIGHT)
        bad = [c for c in self.samples.columns if not np.isfinite(self.samples[c].to_numpy(float)).all()]
        if bad:
            raise ConfigError.said("posterior", "posterior_missing", "column '{column}' has a missing or infinite value", self.source,
                                   column=str(bad[0]))
        object.__setattr__(self, "weights", w / w.sum())

    @property
    def fields(self) -> list[str]:
        return list(self.samples.columns)

    @property
    def digest(self) -> str:
        """sha256 of the parameter sets and weights (what an experiment's resume must match)."""
        text = self.samples.to_csv(index=False) + ",".join(f"{w:.17g}" for w in self.weights)
        return hashlib.sha256(text.encode()).hexdigest()

    def index_for(self, seed: int, replication: int) -> int:
        """Which parameter set replication `replication` runs with (weighted draw, own stream)."""
        seq = np.random.SeedSequence(int(seed), spawn_key=(int(replication), POSTERIOR_STREAM))
        return int(np.random.default_rng(seq).choice(len(self.weights), p=self.weights))

    def values(self, seed: int, replication: int) -> dict[str, float]:
        row = self.samples.iloc[self.index_for(seed, replication)]
        return {k: float(v) for k, v in row.items()}

    def mean(self) -> dict[str, float]:
        return {c: float(np.average(self.samples[c], weights=self.weights)) for c in self.fields}

    def quantile(self, q: float) -> dict[str, float]:
        out = {}
        for c in self.fields:
            x = self.samples[c].to_numpy(float)
            order = np.argsort(x)
            cdf = np.cumsum(self.weights[order])
            out[c] = float(x[order][min(np.searchsorted(cdf, q), len(x) - 1)])
        return out

    def check(self, scenario: Scenario) -> None:
        """Every column names a numeric field of the scenario, and (where the scenario declares a
        prior on it) every value lies inside the prior's range."""
        from .priors import field_value

        ranges = {p.field: (p.low, p.high) for p in scenario.priors}
        for c in self.fields:
            try:
                field_value(scenario, c)
            except ValueError as exc:
                raise ConfigError.said("posterior", "posterior_field", "column '{column}': {problem}", self.source,
                                       column=c, problem=str(exc)) from None
            if c in ranges:
                x = self.samples[c].to_numpy(float)
                lo, hi = ranges[c]
                if x.min() < lo - 1e-12 * abs(lo) or x.max() > hi + 1e-12 * abs(hi):
                    raise ConfigError.said("posterior", "posterior_prior_range", "column '{column}' leaves the scenario's prior "
                                           "range [{low:g}, {high:g}] (values {least:g} to {most:g})", self.source,
                                           column=c, low=float(lo), high=float(hi), least=float(x.min()), most=float(x.max()))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.samples.assign(**{WEIGHT: self.weights}).to_parquet(path, index=False)
        return path


def load(path: str | Path | bytes, name: str = "") -> Posterior:
    """Read a posterior Parquet file (a column per field path, plus `weight`), from a path or
    from the bytes of an upload (`name` then says what it was)."""
    import io

    source = io.BytesIO(path) if isinstance(path, bytes) else Path(path)
    if isinstance(path, bytes):
        path = name or "upload"
    try:
        table = pd.read_parquet(source)
    except FileNotFoundError:
        raise ConfigError.said("posterior", "file_not_found", "file not found", path) from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise ConfigError.said("posterior", "posterior_parquet", "cannot read it as Parquet ({kind})", path,
                               kind=exc.__class__.__name__) from None
    if WEIGHT not in table.columns:
        raise ConfigError.said("posterior", "posterior_no_weight", "no '{weight}' column (columns: {columns})", path,
                               weight=WEIGHT, columns=", ".join(map(str, table.columns)))
    params = table.drop(columns=WEIGHT)
    if params.shape[1] == 0:
        raise ConfigError.said("posterior", "posterior_no_field", "no parameter column beside '{weight}'", path, weight=WEIGHT)
    non_numeric = [c for c in params.columns if not pd.api.types.is_numeric_dtype(params[c])]
    if non_numeric:
        raise ConfigError.said("posterior", "posterior_not_numeric", "column '{column}' is not numeric", path,
                               column=str(non_numeric[0]))
    return Posterior(params.astype(float).reset_index(drop=True), table[WEIGHT].to_numpy(float), str(path))
