"""The planner's levers: each moves the scenario field it says, and bad values are refused clearly."""

from __future__ import annotations

import pytest

import flowsim
from flowsim import levers
from flowsim.config import ConfigError, read_raw


@pytest.fixture(scope="module")
def hanoi():
    data, _ = read_raw("hanoi")
    return data, flowsim.load_scenario()


def test_current_values_read_back_from_the_scenario(hanoi):
    _, s = hanoi
    now = levers.current(s)
    assert now["daily_f0"] == pytest.approx(2270)
    assert now["stations_open"] == 27
    assert now["home_share:standard"] == s.risk_groups[0].home_share


def test_levers_move_their_fields(hanoi):
    data, _ = hanoi
    s = levers.scenario_with(data, {"daily_f0": 3000, "oxygen_beds_scale": 1.5, "stations_open": 10,
                                    "ambulances_scale": 2.0, "home_share:standard": 0.5, "routing": "least_loaded",
                                    "dispatch": "district_base", "waiting_hazard_tier3": 1.0})
    assert s.arrivals.rate_per_day == 3000
    assert s.capacity_scale.oxygen_beds == 1.5 and s.capacity_scale.ambulances == 2.0
    assert sum(f.kind == "station" for f in s.facilities) == 10
    assert s.risk_groups[0].home_share == 0.5
    assert s.routing.policy == "least_loaded" and s.ambulances.dispatch == "district_base"
    assert s.waiting_hazard.tier3 == 1.0


def test_daily_cases_replace_the_constant_rate(hanoi):
    data, _ = hanoi
    s = levers.scenario_with(data, {}, daily_cases=[100, 200, 300])
    assert s.arrivals.profile == "daily" and s.arrivals.daily_cases == [100, 200, 300]


def test_facility_table_round_trip_and_edit(hanoi):
    data, s = hanoi
    table = levers.facility_table(s)
    assert len(table) == 59 and {"tier1", "tier2", "tier3"} <= set(table.columns)
    table.loc[table["name"] == "Bach Mai Hospital", "tier2"] = 999
    edited = levers.scenario_with(data, {}, table)
    assert next(f for f in edited.facilities if f.name == "Bach Mai Hospital").beds.tier2 == 999
    table.loc[0, "tier3"] = -1
    with pytest.raises(ConfigError, match=r"facility table row 1 .*tier3: beds must be a whole number"):
        levers.scenario_with(data, {}, table)


@pytest.mark.parametrize("values, message", [
    ({"nonsense": 1}, "nonsense: unknown lever"),
    ({"home_share:elderly": 0.3}, "no risk group named 'elderly'"),
    ({"antiviral_coverage": 1.4}, "home.antiviral_coverage"),
    ({"ambulances_scale": 0.0}, "capacity_scale.ambulances: leaves the fleet with no vehicle"),
])
def test_bad_lever_values_are_refused(hanoi, values, message):
    data, _ = hanoi
    with pytest.raises(ConfigError, match=message):
        levers.scenario_with(data, values)


def test_closing_every_station_keeps_the_beds_table_valid(hanoi):
    """The app's beds table lists every facility; closing stations must not make its rows unknown."""
    data, s = hanoi
    table = levers.facility_table(s)
    closed = levers.scenario_with(data, {"stations_open": 0}, table)
    assert not [f for f in closed.facilities if f.kind == "station"]
    assert sum(f.kind == "hospital" for f in closed.facilities) == sum(f.kind == "hospital" for f in s.facilities)


def test_every_lever_has_its_words_and_whole_levers_are_integers():
    for lever in (*levers.LEVERS, *levers.EPIDEMIC_LEVERS):
        assert lever.label and lever.unit and lever.help
    assert levers.LEVER["stations_open"].whole and levers.LEVER["daily_f0"].whole
    assert not levers.LEVER["oxygen_beds_scale"].whole
