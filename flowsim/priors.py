"""What is not known: priors on scenario fields, and setting fields to drawn values.

A scenario's `priors:` list names fields (dotted paths as overrides take them, list items by
index or by `name`) and what is known of each: a finite range, the shape of belief inside it
(uniform, log-uniform, beta, gamma or normal, each truncated to the range) and its source.
Calibration (`flowsim.calibration`) turns priors into a posterior; sensitivity
(`flowsim.sensitivity`) spans the ranges; `flowsim.posterior` puts drawn values back in a
scenario. A prior is checked when the scenario loads: the field must exist and be a number,
its range must lie within the field's own bounds (a probability within [0, 1]). Where the priors
are used (calibrate, sensitivity) each range must also hold the config's value, so that the
scenario as configured is one of the parameter sets it admits; a plain run ignores priors, so a
preset may take a field outside them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import numpy as np
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from .config import Scenario

BOUND = 1e9
"""Every number in a prior lies within ±BOUND (a finite bound on every new numeric field)."""
Bound = Annotated[float, Field(ge=-BOUND, le=BOUND, allow_inf_nan=False)]
DISTS = ("uniform", "loguniform", "beta", "gamma", "normal")


class Prior(BaseModel):
    """Belief about one field: a finite `range` [low, high] and a shape inside it.

    uniform and loguniform need nothing more; beta takes `alpha`, `beta` (on the range);
    gamma `shape`, `scale` and normal `mean`, `sd` (in the field's unit), both truncated to
    the range. `source` says where the range comes from ([S], [D] or [A], as in the configs).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1)
    dist: Literal["uniform", "loguniform", "beta", "gamma", "normal"] = "uniform"
    range: tuple[Bound, Bound]
    alpha: float | None = Field(default=None, gt=0, le=1e4)
    beta: float | None = Field(default=None, gt=0, le=1e4)
    shape: float | None = Field(default=None, gt=0, le=1e4)
    scale: float | None = Field(default=None, gt=0, le=BOUND)
    mean: float | None = Field(default=None, ge=-BOUND, le=BOUND)
    sd: float | None = Field(default=None, gt=0, le=BOUND)
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> Prior:
        low, high = self.range
        if not low < high:
            raise ValueError(f"range: low ({low:g}) must be below high ({high:g})")
        need = {"beta": ("alpha", "beta"), "gamma": ("shape", "scale"), "normal": ("mean", "sd")}.get(self.dist, ())
        for name in need:
            if getattr(self, name) is None:
                raise ValueError(f"dist '{self.dist}' needs '{name}'")
        extra = [n for n in ("alpha", "beta", "shape", "scale", "mean", "sd") if n not in need
                 and getattr(self, n) is not None]
        if extra:
            raise ValueError(f"'{extra[0]}' is not a parameter of dist '{self.dist}'")
        if self.dist == "loguniform" and low <= 0:
            raise ValueError("range: a loguniform prior needs a positive range")
        if self.dist == "gamma" and high <= 0:
            raise ValueError("range: a gamma prior needs a range above 0")
        return self

    @property
    def low(self) -> float:
        return float(self.range[0])

    @property
    def high(self) -> float:
        return float(self.range[1])

    def frozen(self) -> Any:
        """The shape before truncation, as a frozen scipy.stats distribution."""
        from scipy import stats

        if self.dist == "uniform":
            return stats.uniform(self.low, self.high - self.low)
        if self.dist == "loguniform":
            return stats.loguniform(self.low, self.high)
        if self.dist == "beta":
            return stats.beta(self.alpha, self.beta, loc=self.low, scale=self.high - self.low)
        if self.dist == "gamma":
            return stats.gamma(self.shape, scale=self.scale)
        return stats.norm(self.mean, self.sd)

    def _mass(self) -> tuple[float, float]:
        lo, hi = _cdf_at_ends(self.model_dump_json())
        if not hi - lo > 1e-12:
            raise ValueError("the distribution puts no mass in its range")
        return lo, hi

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Quantiles of the truncated prior at u in [0, 1] (maps a unit hypercube onto the prior)."""
        lo, hi = self._mass()
        x = self.frozen().ppf(lo + np.asarray(u, float) * (hi - lo))
        return np.clip(x, self.low, self.high)

    def pdf(self, x: np.ndarray | float) -> np.ndarray:
        """Density of the truncated prior (0 outside the range)."""
        lo, hi = self._mass()
        x = np.asarray(x, float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, self.frozen().pdf(x) / (hi - lo), 0.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(rng.random(n))

    def describe(self) -> str:
        args = {"beta": (self.alpha, self.beta), "gamma": (self.shape, self.scale), "normal": (self.mean, self.sd)}
        shape = f"{self.dist}({', '.join(f'{a:g}' for a in args[self.dist])})" if self.dist in args else self.dist
        return f"{shape} on [{self.low:g}, {self.high:g}]"


def _walk(scenario: Scenario, path: str) -> tuple[Any, Any]:
    """The value at a dotted field path of the scenario, and the pydantic field info that
    declares it; ValueError naming the first part of the path that does not exist."""
    node: Any = scenario
    info = None
    done: list[str] = []
    for key in path.split("."):
        here = ".".join([*done, key])
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if key not in fields:
                raise ValueError(f"unknown field '{here}'")
            info, node = fields[key], getattr(node, key)
        elif isinstance(node, list | tuple):
            if key.lstrip("-").isdigit():
                idx = int(key)
                if not -len(node) <= idx < len(node):
                    raise ValueError(f"unknown field '{here}' (the list has {len(node)} items)")
                node = node[idx]
            else:
                named = [it for it in node if getattr(it, "name", None) == key]
                if not named:
                    raise ValueError(f"unknown field '{here}' (no item named '{key}')")
                node = named[0]
            info = None
        else:
            raise ValueError(f"unknown field '{here}' ('{'.'.join(done)}' is a number, not a section)")
        done.append(key)
    return node, info


def _bounds(info: Any) -> tuple[float, float, bool, bool]:
    """(lower, upper, lower open, upper open) of a field from its declared constraints."""
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for m in getattr(info, "metadata", ()) or ():
        if isinstance(m, Ge):
            lo = max(lo, float(cast(float, m.ge)))
        elif isinstance(m, Gt):
            lo, lo_open = max(lo, float(cast(float, m.gt))), True
        elif isinstance(m, Le):
            hi = min(hi, float(cast(float, m.le)))
        elif isinstance(m, Lt):
            hi, hi_open = min(hi, float(cast(float, m.lt))), True
    return lo, hi, lo_open, hi_open


@lru_cache(maxsize=1024)
def _cdf_at_ends(prior_json: str) -> tuple[float, float]:
    """The untruncated shape's cdf at a prior's two ends, by the prior's fields: every scenario
    build checks each prior's mass, and a frozen scipy distribution costs a millisecond to make
    (a fifth of an app page's script run for Hanoi's 14 priors, built three times)."""
    prior = Prior.model_validate_json(prior_json)
    shape = prior.frozen()
    return float(shape.cdf(prior.low)), float(shape.cdf(prior.high))


def field_value(scenario: Scenario, path: str) -> float:
    """The number a field holds in the scenario (ValueError if the path is no number)."""
    value, _ = _walk(scenario, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{path}' is not a number (it holds {type(value).__name__})")
    return float(value)


def check(scenario: Scenario) -> None:
    """Every prior names a numeric field and lies within the field's bounds (at load)."""
    from .config import ConfigError

    seen: set[str] = set()
    for i, prior in enumerate(scenario.priors):
        where = f"priors[{i}] ({prior.field})"
        if prior.field in seen:
            raise ConfigError(f"{where}.field: a second prior on the same field")
        seen.add(prior.field)
        if prior.field.startswith(("priors", "presets", "name", "description")):
            raise ConfigError(f"{where}.field: not a model parameter")
        try:
            held, info = _walk(scenario, prior.field)
            if held is not None:  # unset here (a daily arrival profile has no rate_per_day): checked where used
                field_value(scenario, prior.field)
        except ValueError as exc:
            raise ConfigError(f"{where}.field: {exc}") from None
        lo, hi, lo_open, hi_open = _bounds(info)
        if prior.low < lo or (lo_open and prior.low <= lo) or prior.high > hi or (hi_open and prior.high >= hi):
            what = "a probability, within [0, 1]" if (lo, hi) == (0.0, 1.0) else \
                f"within {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
            raise ConfigError(f"{where}.range: [{prior.low:g}, {prior.high:g}] leaves the field's bounds "
                              f"(it must be {what})")
        try:
            prior._mass()
        except ValueError as exc:
            raise ConfigError(f"{where}.dist: {exc}") from None


def check_values(scenario: Scenario) -> None:
    """Every prior's range holds the scenario's own value, so that the scenario as configured is
    one of the parameter sets it admits (checked where the priors are used: calibrate,
    sensitivity; a preset or an override may move a plain run outside them)."""
    from .config import ConfigError

    for i, prior in enumerate(scenario.priors):
        if _walk(scenario, prior.field)[0] is None:
            raise ConfigError(f"priors[{i}] ({prior.field}).field: unset (null) in this scenario; set it, "
                              "or drop the prior")
        value = field_value(scenario, prior.field)
        if not prior.low <= value <= prior.high:
            raise ConfigError(f"priors[{i}] ({prior.field}).range: [{prior.low:g}, {prior.high:g}] excludes the "
                              f"config's value {value:g}")


def is_integer_field(scenario: Scenario, path: str) -> bool:
    value, _ = _walk(scenario, path)
    return isinstance(value, int) and not isinstance(value, bool)


def apply(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with each field set to its value (whole-number fields rounded), validated
    like the config: a combination the model cannot take (say p_escalate + p_die_tier2 > 1) is a
    ConfigError naming the field."""
    from .config import ConfigError, apply_override, build

    if not values:
        return scenario
    data = scenario.model_dump(mode="json", exclude_none=True)  # as to_yaml writes it, without the YAML
    data["arrivals"].pop("csv", None)
    data["initial_census"].pop("csv", None)
    for path, value in values.items():
        try:
            whole = is_integer_field(scenario, path)
        except ValueError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        apply_override(data, path, int(round(float(value))) if whole else float(value))
    return build(data)
