"""Durations (lengths of stay, delays) as distributions chosen by family and parameters, in days.

Each family is a small pydantic model so that a config names its family (`dist: gamma`) and gets
its parameters validated; `sample(rng, n)` draws `n` values at once because flowsim draws a
whole cohort's durations in one vectorised call.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same duration (days)."""

    dist: Literal["fixed"]
    value: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless duration with the given mean (days)."""

    dist: Literal["exponential"]
    mean_days: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_days, n)

    @property
    def mean(self) -> float:
        return self.mean_days


class Gamma(_Dist):
    """Gamma(shape, scale) in days; the literature fits lengths of stay this way."""

    dist: Literal["gamma"]
    shape: PositiveFloat
    scale: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, n)

    @property
    def mean(self) -> float:
        return self.shape * self.scale


class Lognormal(_Dist):
    """Lognormal given by the mean and standard deviation of the duration itself (days)."""

    dist: Literal["lognormal"]
    mean_days: PositiveFloat
    sd_days: PositiveFloat

    def _log_params(self) -> tuple[float, float]:
        sigma2 = np.log1p((self.sd_days / self.mean_days) ** 2)
        return float(np.log(self.mean_days) - sigma2 / 2), float(np.sqrt(sigma2))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, n)

    @property
    def mean(self) -> float:
        return self.mean_days


class Weibull(_Dist):
    """Weibull(shape, scale) in days."""

    dist: Literal["weibull"]
    shape: PositiveFloat
    scale: PositiveFloat

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, n)

    @property
    def mean(self) -> float:
        from math import gamma

        return self.scale * gamma(1 + 1 / self.shape)


class Empirical(_Dist):
    """A discrete set of durations (days) with weights, e.g. release on day 7, 10 or 14."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have as many entries as values")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, float), size=n, p=self._p())

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self._p()))


Distribution = Annotated[
    Union[Fixed, Exponential, Gamma, Lognormal, Weibull, Empirical],
    Field(discriminator="dist"),
]

