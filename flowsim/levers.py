"""The planner's levers (docs/model.md, "What a planner can move") as edits of a scenario.

A lever reads its current value from a scenario and writes a new value into the scenario's raw
data, which is then validated like a file. The Streamlit app and notebooks move these levers;
they never edit the model's fields themselves.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .config import ConfigError, Scenario, build
from .i18n import text


@dataclass(frozen=True)
class Lever:
    """One planner-facing input: where it lives and its range. Its words (label, unit, help) are
    in flowsim/locales/<language>.yaml under `lever.<key>`, the one table every screen reads."""

    key: str
    low: float
    high: float
    step: float

    @property
    def label(self) -> str:
        return text(f"lever.{self.key}.label")

    @property
    def unit(self) -> str:
        return text(f"lever.{self.key}.unit")

    @property
    def help(self) -> str:
        return text(f"lever.{self.key}.help")

    @property
    def whole(self) -> bool:
        """True when the lever only takes whole numbers (stations, days, patients): shown as integers."""
        return all(float(v).is_integer() for v in (self.low, self.high, self.step))


LEVERS: tuple[Lever, ...] = (
    Lever("daily_f0", 0, 6000, 10),  # 10, not 50: Hanoi's 2,270 F0/day is a stop of its slider
    Lever("horizon_days", 7, 180, 1),
    Lever("home_monitoring_scale", 0, 3, 0.05),
    Lever("antiviral_coverage", 0, 1, 0.01),
    Lever("antiviral_efficacy", 0, 1, 0.01),
    Lever("stations_open", 0, 60, 1),
    Lever("station_beds_scale", 0, 4, 0.05),
    Lever("oxygen_beds_scale", 0, 3, 0.05),
    Lever("icu_beds_scale", 0, 3, 0.05),
    Lever("ambulances_scale", 0.05, 4, 0.05),
    Lever("waiting_hazard_tier3", 0, 3, 0.05),
)
LEVER = {lever.key: lever for lever in LEVERS}

EPIDEMIC_LEVERS: tuple[Lever, ...] = (
    Lever("doubling_days", 2, 60, 0.5),
    Lever("rt", 0.5, 3, 0.01),
    Lever("distancing_day", 0, 180, 1),
    Lever("distancing_effect", 0, 0.9, 0.05),
    Lever("distancing_ramp", 0, 30, 1),
    Lever("detection_share", 0.05, 1, 0.05),
)
"""Levers of epidemic-driven demand; they apply only to the `seir` and `renewal` arrival profiles."""
LEVER |= {lever.key: lever for lever in EPIDEMIC_LEVERS}


def current(scenario: Scenario) -> dict[str, Any]:
    """The levers' values in a scenario."""
    s = scenario
    a = s.arrivals
    values: dict[str, Any] = {
        "daily_f0": a.rate_per_day if a.profile == "constant" else None,
        "horizon_days": s.horizon_days,
        "home_monitoring_scale": s.capacity_scale.home_monitoring,
        "antiviral_coverage": s.home.antiviral_coverage,
        "antiviral_efficacy": s.home.antiviral_efficacy,
        "stations_open": sum(f.kind == "station" for f in s.facilities),
        "station_beds_scale": s.capacity_scale.station_beds,
        "oxygen_beds_scale": s.capacity_scale.oxygen_beds,
        "icu_beds_scale": s.capacity_scale.icu_beds,
        "ambulances_scale": s.capacity_scale.ambulances,
        "waiting_hazard_tier3": s.waiting_hazard.tier3,
        "routing": s.routing.policy,
        "dispatch": s.ambulances.dispatch if s.ambulances else None,
    }
    for g in s.risk_groups:
        values[f"home_share:{g.name}"] = g.home_share
    values.update(epidemic_current(s))
    return values


def epidemic_current(scenario: Scenario) -> dict[str, Any]:
    """The epidemic levers' values (none unless the arrival profile is `seir` or `renewal`)."""
    from .epidemic import renewal_rt, seir_doubling_days

    a = scenario.arrivals
    values: dict[str, Any] = {key.key: None for key in EPIDEMIC_LEVERS}
    if a.profile not in ("seir", "renewal"):
        return values
    model = a.seir if a.profile == "seir" else a.renewal
    assert model is not None
    first = a.interventions[0] if a.interventions else None
    values.update({
        "distancing_day": first.day if first else min(14.0, float(int(scenario.horizon_days / 2))),
        "distancing_effect": first.effect if first else 0.0,
        "distancing_ramp": first.ramp_days if first else 0.0,
        "detection_share": model.detection_share,
    })
    if a.seir is not None and a.profile == "seir":
        values["doubling_days"] = seir_doubling_days(a.seir)
    if a.renewal is not None and a.profile == "renewal":
        values["rt"] = renewal_rt(a.renewal, a.daily_cases)
    return values


def _apply_epidemic(data: dict[str, Any], key: str, value: float) -> None:
    """One epidemic lever into raw data whose arrivals are `seir` or `renewal`."""
    arrivals = data.get("arrivals") or {}
    profile = arrivals.get("profile")
    if profile not in ("seir", "renewal"):
        raise ConfigError.at(key, "needs epidemic-driven arrivals (arrivals.profile seir or renewal, "
                             "e.g. the preset omicron_fit)")
    model = arrivals.setdefault(profile, {})
    if key == "doubling_days" and profile == "seir":
        model.pop("r0", None)
        model["doubling_days"] = value
    elif key == "doubling_days":  # renewal: the R_t whose growth doubles cases every `value` days
        from .config import Renewal
        from .epidemic import delay_pmf, rt_from_growth

        gi = Renewal.model_validate({k: v for k, v in model.items() if k == "generation_interval"}).generation_interval
        model["rt"] = rt_from_growth(math.log(2) / value, delay_pmf(gi, minimum=1))
    elif key == "rt" and profile == "seir":  # R at the start = R0 × the non-immune share
        model.pop("doubling_days", None)
        model["r0"] = value / (1 - float(model.get("immune_share", 0.0)))
    elif key == "rt":
        model["rt"] = value
    elif key == "detection_share":
        model["detection_share"] = value
    else:
        ivs = arrivals.setdefault("interventions", [])
        first = ivs[0] if ivs else {"day": 0.0, "effect": 0.0}
        first[{"distancing_day": "day", "distancing_effect": "effect", "distancing_ramp": "ramp_days"}[key]] = value
        arrivals["interventions"] = [first, *ivs[1:]]


def apply(data: dict[str, Any], values: dict[str, Any], daily_cases: list[float] | None = None) -> dict[str, Any]:
    """Raw scenario data with the levers set (unknown lever → ConfigError). `daily_cases`, if
    given, replaces the arrival profile by one rate per day (an uploaded CSV)."""
    data = copy.deepcopy(data)
    cs = data.setdefault("capacity_scale", {})
    for key, value in values.items():
        if value is None:
            continue
        if key == "daily_f0":
            data["arrivals"] = {"profile": "constant", "rate_per_day": value}
        elif key == "horizon_days":
            data["horizon_days"] = value
        elif key == "home_monitoring_scale":
            cs["home_monitoring"] = value
        elif key == "antiviral_coverage":
            data.setdefault("home", {})["antiviral_coverage"] = value
        elif key == "antiviral_efficacy":
            data.setdefault("home", {})["antiviral_efficacy"] = value
        elif key == "stations_open":
            stations = [f for f in data.get("facilities", []) if f.get("kind") == "station"]
            drop = {f["name"] for f in stations[int(value):]}
            data["facilities"] = [f for f in data.get("facilities", []) if f["name"] not in drop]
        elif key == "station_beds_scale":
            cs["station_beds"] = value
        elif key == "oxygen_beds_scale":
            cs["oxygen_beds"] = value
        elif key == "icu_beds_scale":
            cs["icu_beds"] = value
        elif key == "ambulances_scale":
            cs["ambulances"] = value
        elif key == "waiting_hazard_tier3":
            data.setdefault("waiting_hazard", {})["tier3"] = value
        elif key == "routing":
            data.setdefault("routing", {})["policy"] = value
        elif key == "dispatch":
            if data.get("ambulances"):
                data["ambulances"]["dispatch"] = value
        elif key in {lever.key for lever in EPIDEMIC_LEVERS}:
            _apply_epidemic(data, key, float(value))
        elif key.startswith("home_share:"):
            name = key.split(":", 1)[1]
            groups = [g for g in data.get("risk_groups", []) if g.get("name") == name]
            if not groups:
                raise ConfigError(f"{key}: no risk group named '{name}'")
            groups[0]["home_share"] = value
        else:
            raise ConfigError(f"{key}: unknown lever")
    if daily_cases is not None:
        data["arrivals"] = {"profile": "daily", "daily_cases": list(daily_cases)}
    return data


BED_COLUMNS = ["tier1", "tier2", "tier3"]


def facility_table(scenario: Scenario) -> pd.DataFrame:
    """Facilities with their beds per tier, for an editable table."""
    return pd.DataFrame([{"name": f.name, "kind": f.kind, "district": f.district, **f.beds.model_dump()}
                         for f in scenario.facilities])


def apply_facility_table(data: dict[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    """Raw data with each facility's beds taken from an edited `facility_table`."""
    data = copy.deepcopy(data)
    by_name = {f["name"]: f for f in data.get("facilities", [])}
    for i, row in enumerate(table.to_dict("records")):
        name = row.get("name")
        if name not in by_name:
            raise ConfigError.said(f"facility table row {i + 1}", "unknown_facility", "unknown facility '{name}'", name=str(name))
        beds = {}
        for col in BED_COLUMNS:
            value = row.get(col)
            if value is None or pd.isna(value) or float(value) < 0 or float(value) != int(float(value)):
                raise ConfigError.said(f"facility table row {i + 1} ({name}).{col}", "beds_whole", "beds must be a whole number ≥ 0")
            beds[col] = int(float(value))
        by_name[name]["beds"] = beds
    return data


def with_history(data: dict[str, Any], cases: list[float]) -> dict[str, Any]:
    """Raw data whose renewal profile starts from this case history, R_t fitted to its last window."""
    data = copy.deepcopy(data)
    arrivals = data.get("arrivals") or {}
    if arrivals.get("profile") != "renewal":
        raise ConfigError("daily cases: a case history to fit needs the renewal profile")
    arrivals.pop("csv", None)
    arrivals["daily_cases"] = list(cases)
    arrivals.setdefault("renewal", {}).pop("rt", None)
    return data


def with_levers(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """A validated scenario with levers moved (after its presets and overrides were applied)."""
    import yaml

    from .config import to_yaml

    return build(apply(yaml.safe_load(to_yaml(scenario)), values))


def scenario_with(data: dict[str, Any], values: dict[str, Any], table: pd.DataFrame | None = None,
                  daily_cases: list[float] | None = None) -> Scenario:
    """Validate raw data with levers (and an edited facility table) applied."""
    # The table lists every facility of the scenario: its beds go in before the levers close
    # stations, so a closed station's row is simply not used (it is not an unknown facility).
    edited = apply_facility_table(data, table) if table is not None else data
    return build(apply(edited, values, daily_cases))


SWEEP_PATHS: dict[str, str] = {
    "daily_f0": "arrivals.rate_per_day",
    "home_monitoring_scale": "capacity_scale.home_monitoring",
    "antiviral_coverage": "home.antiviral_coverage",
    "antiviral_efficacy": "home.antiviral_efficacy",
    "station_beds_scale": "capacity_scale.station_beds",
    "oxygen_beds_scale": "capacity_scale.oxygen_beds",
    "icu_beds_scale": "capacity_scale.icu_beds",
    "ambulances_scale": "capacity_scale.ambulances",
    "waiting_hazard_tier3": "waiting_hazard.tier3",
    "rt": "arrivals.renewal.rt",
    "doubling_days": "arrivals.seir.doubling_days",
}
"""Levers a sweep can vary, and the scenario field each moves."""
