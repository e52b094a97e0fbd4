"""Small scenarios built in code, so each test states exactly the network it needs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowsim.config import Scenario, build


def base_config() -> dict[str, Any]:
    """Two districts, one mobile station and one hospital; everything mild unless a test says so."""
    return {
        "name": "test",
        "horizon_days": 30,
        "record_step_days": 1,
        "seed": 7,
        "arrivals": {"profile": "constant", "rate_per_day": 50},
        "districts": [
            {"name": "North", "population": 1000, "lat": 21.10, "lon": 105.80},
            {"name": "South", "population": 1000, "lat": 20.90, "lon": 105.80},
        ],
        "facilities": [
            {"name": "Station N", "kind": "station", "district": "North", "beds": {"tier1": 100}},
            {"name": "Hospital S", "kind": "hospital", "district": "South", "lat": 20.9, "lon": 105.81,
             "beds": {"tier1": 50, "tier2": 20, "tier3": 5}},
        ],
        "risk_groups": [
            {"name": "all", "share": 1.0, "vaccinated": 0.0, "home_share": 0.5,
             "p_deteriorate": 0.0, "p_escalate": 0.0, "p_die_tier2": 0.0, "p_die_tier3": 0.0},
        ],
        "clinical": {
            "tier1_stay": {"dist": "fixed", "value": 10},
            "time_to_deterioration": {"dist": "fixed", "value": 3},
            "tier2_stay": {"dist": "fixed", "value": 5},
            "time_to_escalation": {"dist": "fixed", "value": 2},
            "tier3_stay": {"dist": "fixed", "value": 5},
            "step_down_stay": {"dist": "fixed", "value": 3},
            "vaccine_efficacy": 0.0,
        },
        "transport": {"travel_time": {"dist": "fixed", "value": 0.0}},
    }


def scenario(changes: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> Scenario:
    """base_config() with dotted-path changes applied, validated."""
    return build(copy.deepcopy(data or base_config()), list((changes or {}).items()))


@pytest.fixture
def make_scenario():
    return scenario


def crowded_changes() -> dict[str, Any]:
    """base_config() made to jam: patients deteriorate, wait for oxygen and ICU beds, and die
    (more so while waiting), with random stays, so replications differ and policies matter."""
    return {
        "horizon_days": 40,
        "risk_groups.0.p_deteriorate": 0.2, "risk_groups.0.p_escalate": 0.3,
        "risk_groups.0.p_die_tier2": 0.05, "risk_groups.0.p_die_tier3": 0.3,
        "waiting_hazard.tier2": 0.2, "waiting_hazard.tier3": 0.5,
        "clinical.tier1_stay": {"dist": "exponential", "mean_days": 10},
        "clinical.time_to_deterioration": {"dist": "exponential", "mean_days": 3},
        "clinical.tier2_stay": {"dist": "exponential", "mean_days": 5},
        "clinical.tier3_stay": {"dist": "exponential", "mean_days": 5},
    }


def crowded(changes: dict[str, Any] | None = None) -> Scenario:
    """A small network under strain (about 0.03 s a run): see crowded_changes()."""
    return scenario({**crowded_changes(), **(changes or {})})


@pytest.fixture
def every_replication_in_one_script_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest runs no timers, so the page's polling of replications running in the background
    never fires there: each script run waits for its setting's replications instead."""
    monkeypatch.setenv("FLOWSIM_APP_PATIENCE", "600")
