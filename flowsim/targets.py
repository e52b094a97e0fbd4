"""What a city observed: the targets a calibration fits, and the same quantities read off a run.

A targets file (YAML) lists quantities with their observed value, or a range when the sources
disagree, an optional uncertainty in the quantity's unit (default 10% of the value) and a window
of simulated days over which the model's figure is averaged:

    name: Hanoi, week of 16-24 January 2022
    window: [21, 35]                      # days after the reported state (default for every target)
    targets:
      - {quantity: census_tier1_by_facility, value: 39167, uncertainty: 3900}
      - {quantity: census_tier2_by_facility, range: [1301, 2225]}    # the report's two readings
      - {quantity: recoveries_per_week, value: 17600, window: [28, 35]}

A bad file is one line naming the target and the field (`targets.yaml: targets[1].quantity: ...`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

BOUND = 1e9
Number = Annotated[float, Field(ge=0, le=BOUND, allow_inf_nan=False)]
Day = Annotated[float, Field(ge=0, le=36_500, allow_inf_nan=False)]
DEFAULT_UNCERTAINTY = 0.10
"""Relative uncertainty of a target that gives none (10% of its value, or of its range's middle)."""

QUANTITIES: dict[str, str] = {
    **{f"census_tier{t}_by_facility": f"mean census at tier {t}, counted where patients are treated (as Hanoi "
                                      "reports), patients" for t in (1, 2, 3)},
    **{f"census_tier{t}": f"mean census at tier {t}, counted by clinical need, patients" for t in (1, 2, 3)},
    "census_total": "mean number of patients in care, patients",
    "time_in_care_days": "mean census ÷ new F0 per day (Little's law), days",
    "arrivals_per_day": "new F0 per day",
    "recoveries_per_week": "recoveries per 7 days",
    "deaths_per_week": "deaths per 7 days (while waiting included)",
}
"""Quantities a target can name, and what the model's figure is over the target's window."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    quantity: str
    value: Number | None = None
    range: tuple[Number, Number] | None = None
    """Any value inside is as good as another (e.g. two readings of one report)."""
    uncertainty: Annotated[float, Field(gt=0, le=BOUND, allow_inf_nan=False)] | None = None
    """One standard error of the observation, in the quantity's unit (default 10% of it)."""
    window: tuple[Day, Day] | None = None
    source: str = ""

    @field_validator("quantity")
    @classmethod
    def _known(cls, q: str) -> str:
        if q not in QUANTITIES:
            raise ValueError(f"unknown quantity '{q}' (known: {', '.join(QUANTITIES)})")
        return q

    @field_validator("range", "window")
    @classmethod
    def _ordered(cls, pair: tuple[float, float] | None) -> tuple[float, float] | None:
        if pair is not None and not pair[0] < pair[1]:
            raise ValueError(f"the first ({pair[0]:g}) must be below the second ({pair[1]:g})")
        return pair

    @model_validator(mode="after")
    def _check(self) -> Target:
        if (self.value is None) == (self.range is None):
            raise ValueError("give either 'value' or 'range'")
        return self

    @property
    def low(self) -> float:
        return float(self.range[0] if self.range is not None else self.value)  # type: ignore[arg-type]

    @property
    def high(self) -> float:
        return float(self.range[1] if self.range is not None else self.value)  # type: ignore[arg-type]

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2

    @property
    def scale(self) -> float:
        """The uncertainty the distance divides by (quantity's unit)."""
        if self.uncertainty is not None:
            return float(self.uncertainty)
        return max(DEFAULT_UNCERTAINTY * self.middle, 1e-9)

    def observed(self) -> str:
        return f"{self.value:,.6g}" if self.value is not None else f"{self.low:,.6g}–{self.high:,.6g}"


class Targets(_Strict):
    name: str = "targets"
    source: str = ""
    window: tuple[Day, Day] | None = None
    """Default window (days) for every target."""

    _ordered = field_validator("window")(Target._ordered.__func__)  # type: ignore[attr-defined]
    targets: list[Target] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _windows(self) -> Targets:
        for i, t in enumerate(self.targets):
            if t.window is None and self.window is None:
                raise ValueError(f"targets[{i}] ({t.quantity}).window: no window, and the file gives none")
        return self

    def window_of(self, target: Target) -> tuple[float, float]:
        w = target.window or self.window
        assert w is not None
        return float(w[0]), float(w[1])

    @property
    def horizon(self) -> float:
        """Days a run must cover: the end of the latest window."""
        return max(self.window_of(t)[1] for t in self.targets)

    def key(self, i: int) -> str:
        """A unique label per target: quantity and window."""
        t = self.targets[i]
        a, b = self.window_of(t)
        return f"{t.quantity} (days {a:g}-{b:g})"

    @property
    def keys(self) -> list[str]:
        return [self.key(i) for i in range(len(self.targets))]


def _format(err: ValidationError) -> str:
    first = err.errors()[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + str(p)
                   for i, p in enumerate(first["loc"]))
    msg = first["msg"].removeprefix("Value error, ")
    return f"{path}: {msg}" if path else msg


def parse_targets(data: Any, source: str = "targets") -> Targets:
    """Validate a targets mapping; ConfigError naming the field on a bad one."""
    from .config import ConfigError

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'targets' list")
    try:
        return Targets.model_validate(data)
    except ValidationError as err:
        msg = _format(err)
        if msg.startswith("targets.") and msg[8:9].isdigit():  # targets.1.x -> targets[1].x
            head, _, rest = msg[8:].partition(".")
            msg = f"targets[{head}]" + ("." + rest if rest else "")
        raise ConfigError(f"{source}: {msg}") from None


BUILTIN = {"hanoi": "hanoi-january-2022.yaml"}


def resolve_targets(name: str | Path) -> Path:
    """A targets argument as a path: a built-in name (`hanoi`) or a file."""
    from .config import BUILTIN_DIR

    if str(name) in BUILTIN:
        return BUILTIN_DIR / "targets" / BUILTIN[str(name)]
    return Path(name)


def load_targets(path: str | Path) -> Targets:
    """Read a targets YAML file."""
    from .config import ConfigError, parse_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.at("targets", "file not found", path) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError.at("targets", f"cannot read it ({exc.__class__.__name__})", path) from None
    return parse_targets(parse_yaml(text, str(path.name)), path.name)


def observe(timeseries: pd.DataFrame, targets: Targets) -> dict[str, float]:
    """Each target's quantity as the model gives it over the target's window, from a run's time
    series (`RunResult.timeseries`)."""
    time = timeseries["time"].to_numpy()
    out: dict[str, float] = {}
    for i, t in enumerate(targets.targets):
        a, b = targets.window_of(t)
        inside = (time >= a) & (time <= b)
        step = (time > a) & (time <= b)  # flows counted in the steps ending inside the window
        days = b - a
        rows = timeseries[inside]
        census = rows[[f"census_tier{k}" for k in (1, 2, 3)]].sum(axis=1)
        q = t.quantity
        if q.startswith("census_tier"):
            value = float(rows[q].mean())
        elif q == "census_total":
            value = float(census.mean())
        elif q == "arrivals_per_day":
            value = float(timeseries.loc[step, "arrivals"].sum() / days)
        elif q == "time_in_care_days":
            rate = timeseries.loc[step, "arrivals"].sum() / days
            value = float(census.mean() / rate) if rate > 0 else float("nan")
        elif q == "recoveries_per_week":
            value = float(timeseries.loc[step, "recoveries"].sum() * 7 / days)
        else:
            value = float(timeseries.loc[step, "deaths"].sum() * 7 / days)
        out[targets.key(i)] = value
    return out


def standardised_gaps(stats: dict[str, float], targets: Targets) -> np.ndarray:
    """Per target: how far the model's figure lies outside the observed value or range, in units
    of the target's uncertainty (0 inside a range). NaN counts as infinitely far."""
    gaps = []
    for i, t in enumerate(targets.targets):
        x = stats.get(targets.key(i), float("nan"))
        if not np.isfinite(x):
            gaps.append(np.inf)
            continue
        gaps.append(max(t.low - x, x - t.high, 0.0) / t.scale)
    return np.asarray(gaps, float)


def distance(stats: dict[str, float], targets: Targets) -> float:
    """Root mean square of the standardised gaps: 1 ≈ every target one uncertainty away."""
    g = standardised_gaps(stats, targets)
    return float(np.sqrt(np.mean(g**2))) if np.isfinite(g).all() else float("inf")


def to_yaml(targets: Targets) -> str:
    return yaml.safe_dump(targets.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)
