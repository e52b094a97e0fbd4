"""Sweeps, paired comparisons and bottlenecks as a planner uses them from Python."""

from __future__ import annotations

import pytest

import flowsim
from flowsim.config import CapacityScale, ConfigError
from flowsim.experiments import parse_variant, parse_vary, unique_labels
from flowsim.intervals import NOT_FIGURES

from .conftest import crowded


@pytest.mark.parametrize("text, expected", [
    ("capacity_scale.oxygen_beds=1,1.2,1.5", ("capacity_scale.oxygen_beds", [1, 1.2, 1.5])),
    ("capacity_scale.oxygen_beds=1:1.5:0.1", ("capacity_scale.oxygen_beds", [1.0, 1.1, 1.2, 1.3, 1.4, 1.5])),
    ("arrivals.rate_per_day=2000:3000:500", ("arrivals.rate_per_day", [2000, 2500, 3000])),
    ("arrivals.rate_per_day = 10:25:10", ("arrivals.rate_per_day", [10, 20])),
    ("routing.policy=nearest_free,designated", ("routing.policy", ["nearest_free", "designated"])),
    ("clinical.tier2_stay={dist: fixed, value: 3},{dist: fixed, value: 5}",
     ("clinical.tier2_stay", [{"dist": "fixed", "value": 3}, {"dist": "fixed", "value": 5}])),
    ("facilities.Hospital S.beds.tier2=10,30", ("facilities.Hospital S.beds.tier2", [10, 30])),
])
def test_vary_accepts_lists_and_inclusive_ranges(text, expected):
    assert parse_vary(text) == expected


@pytest.mark.parametrize("text, message", [
    ("capacity_scale.oxygen_beds", "expected path=v1,v2,... or path=start:stop:step"),
    ("=1,2", "empty field path"),
    ("capacity_scale.oxygen_beds=", "no values after '='"),
    ("capacity_scale.oxygen_beds=1:2", "a range needs three numbers"),
    ("capacity_scale.oxygen_beds=1:2:0", "the step must be positive"),
    ("capacity_scale.oxygen_beds=2:1:0.1", "stop (1) is below start (2)"),
    ("capacity_scale.oxygen_beds=1,,2", "empty value in the list"),
    ("capacity_scale.oxygen_beds=1,1", "a value is listed twice"),
    ("capacity_scale.oxygen_beds=0:1000000:1", "at most"),
])
def test_bad_vary_is_one_clear_line(text, message):
    with pytest.raises(ConfigError) as info:
        parse_vary(text)
    assert str(info.value).startswith(f"factor {text}") and message in str(info.value)


def test_sweep_runs_the_full_grid_and_tabulates_it():
    result = flowsim.sweep(crowded(), {"capacity_scale.oxygen_beds": [1, 1.5, 2], "arrivals.rate_per_day": [40, 60]},
                           replications=3, executor="serial")
    assert len(result.table) == 3 * 2 * 3
    assert list(result.table.columns[:4]) == ["scenario", "capacity_scale.oxygen_beds", "arrivals.rate_per_day",
                                              "replication"]
    assert result.table.groupby(["capacity_scale.oxygen_beds", "arrivals.rate_per_day"]).size().eq(3).all()
    died = result.intervals[result.intervals["figure"] == "died"]
    assert len(died) == 6 and {"mean", "lower", "upper", "half_width", "n"} <= set(died.columns)
    # the factors really changed the model: more oxygen beds, fewer deaths; more F0, more deaths
    mean = died.set_index(["capacity_scale.oxygen_beds", "arrivals.rate_per_day"])["mean"]
    assert mean[(2, 40)] < mean[(1, 40)] and mean[(1, 60)] > mean[(1, 40)]
    oxygen = result.replications.pools[result.replications.pools["resource"] == "oxygen beds"]
    assert sorted(oxygen["capacity"].unique()) == [20, 30, 40]


def test_sweep_names_the_vary_that_is_wrong():
    with pytest.raises(ConfigError, match=r"factor capacity_scale.oxygen: capacity_scale.oxygen: Extra inputs"):
        flowsim.sweep(crowded(), {"capacity_scale.oxygen": [1, 2]}, executor="serial")
    with pytest.raises(ConfigError, match=r"factor capacity_scale.icu_beds=-1: capacity_scale.icu_beds: Input should "
                                          r"be greater than or equal to 0"):
        flowsim.sweep(crowded(), {"capacity_scale.icu_beds": [1, -1]}, executor="serial")
    with pytest.raises(ConfigError, match=r"factor facilities.Nowhere.beds.tier2: .*no item named 'Nowhere'"):
        flowsim.sweep(crowded(), {"facilities.Nowhere.beds.tier2": [1]}, executor="serial")


def test_variants_from_the_command_line():
    assert parse_variant("more oxygen: capacity_scale.oxygen_beds=1.2; capacity_scale.icu_beds=1.5") == (
        "more oxygen", [("capacity_scale.oxygen_beds", 1.2), ("capacity_scale.icu_beds", 1.5)])
    assert parse_variant("clinical.tier2_stay={dist: fixed, value: 3}") == (
        "clinical.tier2_stay={dist: fixed, value: 3}", [("clinical.tier2_stay", {"dist": "fixed", "value": 3})])
    with pytest.raises(ConfigError, match="variant oops: expected path.to.field=VALUE"):
        parse_variant("oops")


def test_compare_reports_every_figure_against_the_first_scenario():
    comp = flowsim.compare({"now": crowded(), "busier": crowded({"arrivals.rate_per_day": 70})}, 4, executor="serial")
    assert comp.baseline == "now" and set(comp.differences["scenario"]) == {"busier"}
    numeric = [c for c in comp.replications.table.columns if c not in NOT_FIGURES]  # run identity and window: not figures
    assert set(comp.differences["figure"]) == set(numeric)
    arrivals = comp.differences.set_index("figure").loc["arrivals"]
    assert arrivals["lower"] > 0 and arrivals["difference"] == pytest.approx(
        arrivals["mean"] - arrivals["mean_baseline"])
    with pytest.raises(ConfigError, match="scenarios: give at least two"):
        flowsim.compare([crowded()], executor="serial")


def test_repeated_scenario_names_get_one_kind_of_label_and_never_collide():
    assert unique_labels(["a", "b", "a", "a"]) == ["a", "b", "a (2)", "a (3)"]
    assert unique_labels(["a", "a (2)", "a"]) == ["a", "a (2)", "a (3)"]
    comp = flowsim.compare([crowded(), crowded()], 2, executor="serial")
    assert list(comp.replications.table["scenario"].drop_duplicates()) == ["test", "test (2)"]


def test_bottlenecks_rank_every_resource_and_find_the_binding_one():
    # ICU beds are the tight spot: tier 3 patients wait and die waiting, oxygen is plentiful
    scenario = crowded({"facilities.Hospital S.beds.tier2": 200, "facilities.Hospital S.beds.tier3": 10,
                        "risk_groups.0.p_escalate": 0.6})
    result = flowsim.bottlenecks(scenario, step=0.3, replications=6, executor="serial")
    ranking = result.ranking
    assert set(ranking["resource"]) == set(CapacityScale.model_fields)
    assert list(ranking["rank"]) == list(range(1, len(ranking) + 1))
    top = ranking.iloc[0]
    assert top["resource"] == "icu_beds" and top["deaths_averted_lower"] > 0
    assert top["added"] == 3 and top["capacity"] == 10
    assert ranking["deaths_averted"].is_monotonic_decreasing
    assert top["share_time_full"] > 0.5 and ranking["share_time_full"].min() >= 0
    for col in ("deaths_averted", "wait_tier2_p90_reduction", "wait_tier3_p90_reduction"):
        assert (ranking[f"{col}_lower"] <= ranking[col]).all() and (ranking[col] <= ranking[f"{col}_upper"]).all()
    oxygen = ranking.set_index("resource").loc["oxygen_beds"]
    assert oxygen["added"] == 60 and oxygen["deaths_averted"] == 0 and oxygen["share_time_full"] == 0


def test_bottlenecks_step_is_checked():
    with pytest.raises(ConfigError, match="step -0.1: must be a positive fraction"):
        flowsim.bottlenecks(crowded(), step=-0.1, executor="serial")
