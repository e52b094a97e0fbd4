"""Loading scenarios: the built-in Hanoi facts, and one clear error for each kind of bad input."""

from __future__ import annotations

import pytest

from flowsim.config import ConfigError, build, load_scenario, parse_set, parse_yaml, to_yaml

from .conftest import base_config


def test_builtin_hanoi_carries_the_source_figures():
    s = load_scenario()
    hospitals = [f for f in s.facilities if f.kind == "hospital"]
    stations = [f for f in s.facilities if f.kind == "station"]
    oxygen = [f for f in hospitals if f.beds.tier2 + f.beds.tier3 > 0]
    assert len(s.districts) == 30
    assert len(hospitals) == 32 and len(stations) == 27
    assert len(oxygen) == 25
    assert sum(f.beds.tier2 + f.beds.tier3 for f in oxygen) == 3200
    total = sum(f.beds.tier1 + f.beds.tier2 + f.beds.tier3 for f in s.facilities)
    assert 95_000 <= total <= 105_000
    assert s.arrivals.rate_per_day == pytest.approx(2270)
    ic = s.initial_census
    assert (ic.tier1_home + ic.tier1_facility, ic.tier2, ic.tier3) == (39_167, 2_225, 648)


@pytest.mark.parametrize("preset, rate", [("plan_2000", 2000), ("plan_3000", 3000)])
def test_surge_plan_presets(preset, rate):
    assert load_scenario(presets=[preset]).arrivals.rate_per_day == rate


def _error(changes=None, data=None) -> str:
    with pytest.raises(ConfigError) as info:
        build(data or base_config(), list((changes or {}).items()))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_key_names_its_path():
    msg = _error({"clinical.tier2_stya": 3})
    assert msg.startswith("clinical.tier2_stya:") and "Extra inputs" in msg


def test_wrong_type():
    assert _error({"horizon_days": "ninety"}).startswith("horizon_days:")


def test_negative_capacity_names_the_facility_field():
    msg = _error({"facilities.1.beds.tier2": -5})
    assert msg.startswith("facilities[1].beds.tier2:") and "greater than or equal to 0" in msg


def test_probability_outside_unit_interval():
    assert _error({"risk_groups.0.p_escalate": 1.5}).startswith("risk_groups[0].p_escalate:")


def test_facility_in_unknown_district():
    msg = _error({"facilities.0.district": "Atlantis"})
    assert msg == "facilities[0] (Station N).district: unknown district 'Atlantis'"


def test_unknown_distribution_family_and_bad_parameter():
    assert _error({"clinical.tier2_stay": {"dist": "cauchy", "x": 1}}).startswith("clinical.tier2_stay:")
    assert _error({"clinical.tier2_stay": {"dist": "gamma", "shape": 0, "scale": 1}}).startswith(
        "clinical.tier2_stay.shape:")


def test_shares_must_add_up():
    assert "add up to 1" in _error({"risk_groups.0.share": 0.5})


def test_designated_hospital_must_exist_and_serve_the_tier():
    assert "unknown facility" in _error({"districts.0.designated": {"tier2": "Nowhere"}})
    msg = _error({"districts.0.designated": {"tier3": "Station N"}})
    assert "has no tier-3 beds" in msg


def test_station_cannot_have_icu_beds():
    assert "no ICU beds" in _error({"facilities.0.beds.tier3": 2})


def test_malformed_yaml_gives_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhorizon_days: [1, 2\n")
    with pytest.raises(ConfigError, match=r"malformed YAML at line \d+, column \d+"):
        load_scenario(bad)


def test_missing_file_and_non_mapping():
    with pytest.raises(ConfigError, match="file not found"):
        load_scenario("no/such/file.yaml")
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_yaml("- a\n- b\n")


def test_set_overrides_are_validated_like_the_file():
    assert parse_set(["arrivals.rate_per_day=3000"]) == [("arrivals.rate_per_day", 3000)]
    with pytest.raises(ConfigError, match="expected path.to.field=VALUE"):
        parse_set(["arrivals.rate_per_day"])
    with pytest.raises(ConfigError, match="no item named"):
        build(base_config(), [("facilities.Nowhere.beds.tier2", 3)])
    with pytest.raises(ConfigError, match="index out of range"):
        build(base_config(), [("facilities.9.beds.tier2", 3)])


def test_list_items_can_be_addressed_by_name():
    s = build(base_config(), [("facilities.Hospital S.beds.tier2", 33)])
    assert s.facilities[1].beds.tier2 == 33


def test_daily_cases_csv(tmp_path):
    (tmp_path / "cases.csv").write_text("day,cases\n0,10\n1,20\n2,30\n")
    data = base_config()
    data["arrivals"] = {"csv": "cases.csv"}
    s = build(data, base_dir=tmp_path)
    assert s.arrivals.profile == "daily" and s.arrivals.daily_cases == [10, 20, 30]
    (tmp_path / "bad.csv").write_text("day,cases\n0,10\n1,lots\n")
    data["arrivals"] = {"csv": "bad.csv"}
    with pytest.raises(ConfigError, match=r"arrivals.csv: row 2: 'cases' is not a number"):
        build(data, base_dir=tmp_path)


def test_yaml_round_trip():
    s = load_scenario()
    assert build(parse_yaml(to_yaml(s))) == s
