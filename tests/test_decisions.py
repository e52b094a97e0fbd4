"""The decision tools on small networks where the answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim.cli import main
from flowsim.config import ConfigError, build
from flowsim.unit_bottlenecks import candidates, screen_scores, shortlist, unit_bottlenecks, with_unit

from .conftest import base_config

TWO_WARDS = "configs/teaching/two_wards.yaml"


@pytest.fixture(scope="module")
def two_wards() -> flowsim.Scenario:
    return flowsim.load_scenario(Path(__file__).parents[1] / TWO_WARDS)


# -- where one more unit saves most ------------------------------------------------------------


def test_candidates_are_one_more_unit_each_even_when_capacity_scale_rounds():
    data = base_config()
    data["capacity_scale"] = {"oxygen_beds": 0.5}
    s = build(data)
    units = {u.key: u for u in candidates(s)}
    o2 = units["oxygen bed @ Hospital S"]
    assert o2.capacity == 10 and s.beds(with_unit(s, o2).facilities[1], 2) == 11
    assert "ICU bed @ Hospital S" in units and "station bed @ Station N" in units
    assert not any(u.kind == "oxygen bed" and u.place == "Station N" for u in units.values())  # no oxygen there


def test_the_short_ward_comes_first_and_the_screen_missed_nothing(two_wards):
    result = unit_bottlenecks(two_wards, replications=8, executor="serial", confirm=1, check_screen=True)
    assert result.screen["unit"].iloc[0] == "oxygen bed @ East Ward"          # the screen's pick
    assert shortlist(result.screen, 1) == ["oxygen bed @ East Ward"]
    top = result.ranking.iloc[0]
    assert top["unit"] == "oxygen bed @ East Ward"                            # confirmed by paired runs
    assert top["deaths_averted_lower"] > 0
    west = result.ranking.set_index("unit").loc["oxygen bed @ West Ward"]
    assert west["deaths_averted_upper"] < top["deaths_averted_lower"]
    assert result.missed == []                                                # nothing off the shortlist did better
    assert result.leader_vs_runner_up["lower"] > 0                            # the winner is told apart


def test_the_screen_reads_the_city_list_by_the_time_each_ward_was_full():
    units = [u for u in candidates(build(base_config()))]
    rec = {"wards": [["Station N", 1, 0.5, float("nan"), 0.0], ["Hospital S", 1, 0.0, float("nan"), 0.0],
                     ["Hospital S", 2, 0.9, float("nan"), 1.0], ["Hospital S", 3, 0.2, 3.0, 0.0]],
           "pool_queue": {"station beds": 4.0, "oxygen beds": 0.3, "ICU beds": 3.0}, "window": 30}
    table = screen_scores(build(base_config()), units, [rec, rec]).set_index("unit")
    assert table.loc["station bed @ Station N", "screen_score"] == pytest.approx(0.5)   # min(4 × 0.5/0.5, 0.5)
    assert table.loc["hospital tier-1 bed @ Hospital S", "screen_score"] == 0
    assert table.loc["oxygen bed @ Hospital S", "screen_score"] == pytest.approx(0.3)   # min(0.3, 0.9)
    assert table.loc["ICU bed @ Hospital S", "screen_score"] == pytest.approx(0.2)      # own list: min(3, 0.2)


def test_bottlenecks_by_facility_writes_a_table_and_a_plot_and_resumes(tmp_path: Path, capsys):
    out = tmp_path / "units"
    args = ["bottlenecks", str(Path(__file__).parents[1] / TWO_WARDS), "--by", "facility", "--quick", "--quiet",
            "--executor", "processes", "--workers", "2", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "1. oxygen bed @ East Ward" in text and "paired 95% intervals" in text
    units = pd.read_csv(out / "units.csv")
    assert units["unit"].iloc[0] == "oxygen bed @ East Ward" and (out / "units.png").stat().st_size > 0
    assert main([*args, "--resume"]) == 0
    assert "0 run, 12 read back" in capsys.readouterr().out


@pytest.mark.parametrize(("flags", "message"), [
    (["--kinds", "bed"], "--kinds bed: not a kind of unit"),
    (["--confirm", "0"], "--confirm 0: must be from 1"),
    (["--step", "0.2"], "--step: only for whole resources (--by resource)"),
    (["--replications", "1"], "--replications 1: single units need at least 2"),
])
def test_bad_unit_flags_are_one_line_naming_the_flag(tmp_path: Path, capsys, flags, message):
    code = main(["bottlenecks", str(Path(__file__).parents[1] / TWO_WARDS), "--by", "facility", "--out",
                 str(tmp_path), *flags])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "screen").exists()


def test_a_scenario_without_any_unit_to_add_is_refused():
    data = base_config()
    data["facilities"] = []
    with pytest.raises(ConfigError, match="no bed or vehicle"):
        unit_bottlenecks(build(data), executor="serial")


# -- the capacity frontier -----------------------------------------------------------------------


def _mmc(horizon: float) -> flowsim.Scenario:
    s = flowsim.load_scenario(Path(__file__).parents[1] / "configs/teaching/mmc.yaml")
    return flowsim.variant(s, {"horizon_days": horizon, "warmup_days": horizon / 10})


def _erlang_c_rate(servers: int, mu: float, wait: float, share: float) -> float:
    """The arrival rate at which P(W > wait) = C(c, λ/μ)·exp(−(cμ − λ)·wait) equals `share`."""
    import math

    from scipy.optimize import brentq

    from flowsim.validation import erlang_c

    return brentq(lambda lam: erlang_c(servers, lam / mu) * math.exp(-(servers * mu - lam) * wait) - share,
                  1e-6, servers * mu * (1 - 1e-9))


def test_the_frontier_of_an_mmc_matches_erlang_c_within_its_interval():
    from flowsim.frontier import frontier

    theory = _erlang_c_rate(10, 0.2, 0.5, 0.2)                                # ≈ 1.451 F0/day
    f = frontier(_mmc(1500), ["P(oxygen_wait>12h)<=20%"], replications=5, rtol=0.03, executor="processes",
                 workers=2)
    assert f.targets[0].status == "found"
    assert f.lower <= theory <= f.upper
    assert f.upper - f.lower < 0.3 * theory                                    # an interval that says something


@pytest.mark.slow
@pytest.mark.parametrize(("target", "wait", "share"), [("P(oxygen_wait>0h)<=40%", 0.0, 0.4),
                                                       ("P(oxygen_wait>1d)<=5%", 1.0, 0.05)])
def test_the_frontier_of_an_mmc_matches_erlang_c_precisely(target, wait, share):
    from flowsim.frontier import frontier

    f = frontier(_mmc(4000), [target], replications=10, rtol=0.005, executor="processes", workers=2)
    theory = _erlang_c_rate(10, 0.2, wait, share)
    assert f.lower <= theory <= f.upper and f.upper - f.lower < 0.1 * theory


@pytest.mark.slow  # a search of many points (7-10 s): CI runs it; the quick loop keeps under 3 min
def test_with_several_targets_the_frontier_is_the_lowest_and_only_those_that_can_bind_get_an_interval():
    from flowsim.frontier import frontier

    f = frontier(_mmc(600), ["P(oxygen_wait>0h)<=60%", "P(oxygen_wait>1d)<=5%", "utilisation_oxygen<=2"],
                 replications=3, rtol=0.05, executor="serial")
    binding = min((t for t in f.targets if t.status != "above"), key=lambda t: t.rate)
    assert f.rate == binding.rate and f.binding == binding.target.describe()
    assert binding.lower <= binding.rate <= binding.upper and (f.lower, f.upper) == (binding.lower, binding.upper)
    for t in f.targets:
        if t is not binding:  # searched before a lower one was found, above its interval, or met at its end
            assert t.rate >= binding.rate and (t.status != "above" or t.rate >= binding.upper)
            assert t.rate <= binding.upper or np.isnan(t.lower)
    never_full = f.targets[2]  # utilisation <= 2 holds at any rate: judged at the end of the interval, not searched
    assert never_full.status == "above" and never_full.rate == binding.upper and np.isnan(never_full.lower)
    two = frontier(_mmc(600), ["P(oxygen_wait>0h)<=60%", "P(oxygen_wait>1d)<=5%"], replications=3, rtol=0.05,
                   executor="serial")
    assert set(two.evaluations["rate"]) == set(f.evaluations["rate"])  # the target that cannot bind ran nothing


def test_frontier_writes_its_tables_and_plot_and_resumes_without_running(tmp_path: Path, capsys):
    out = tmp_path / "fr"
    args = ["frontier", str(Path(__file__).parents[1] / "configs/teaching/mmc.yaml"), "--set", "horizon_days=600",
            "--set", "warmup_days=60", "--target", "P(oxygen_wait>12h)<=20%", "--quick", "--quiet", "--executor",
            "serial", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "highest constant F0/day meeting every target" in text
    table = pd.read_csv(out / "frontier.csv")
    assert table["status"].iloc[0] == "found" and table["lower"].iloc[0] <= table["frontier"].iloc[0]
    assert (out / "frontier.png").stat().st_size > 0 and len(pd.read_csv(out / "evaluations.csv")) >= 3
    assert main([*args, "--resume"]) == 0
    again = capsys.readouterr().out
    assert " 0 runs (" in again and pd.read_csv(out / "frontier.csv").equals(table)


@pytest.mark.parametrize(("target", "message"), [
    ("P(bed_wait>2h)<=5%", "expected FIGURE<=LIMIT"),
    ("P(icu_wait>2h)<=150%", "a share must be between 0 and 1"),
    ("deaths<=3", "deaths is not a figure"),
    ("died>=3", "expected FIGURE<=LIMIT"),
])
def test_bad_targets_are_refused_in_one_line(tmp_path: Path, capsys, target, message):
    assert main(["frontier", "--target", target, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "points").exists()


def test_a_target_met_at_every_rate_says_the_frontier_is_higher():
    from flowsim.frontier import frontier

    f = frontier(_mmc(300), ["utilisation_oxygen<=2"], replications=2, high=4, executor="serial")
    assert f.targets[0].status == "met throughout" and f.rate == 4


# -- the cheapest plan -------------------------------------------------------------------------


def _toy(two_wards: flowsim.Scenario) -> flowsim.Scenario:
    return flowsim.variant(two_wards, {"costs": {"oxygen_bed": {"one_off": 10, "per_day": 0.1}}})


@pytest.mark.slow  # a search of many points (7-10 s): CI runs it; the quick loop keeps under 3 min
def test_the_optimiser_finds_the_known_cheapest_plan_on_a_toy_cost_surface(two_wards):
    from flowsim.evaluations import Evaluator
    from flowsim.optimise import make_plan, optimise, parse_decision

    toy = _toy(two_wards)
    east, west = (parse_decision(toy, f"oxygen bed @ {w} Ward=0:8:1") for w in ("East", "West"))
    target = "deaths_waiting_per_1000<=5"
    # the surface: cost is 16 a bed; only East's beds lower deaths (West is never full), so the cheapest
    # plan is the fewest East beds that meet the target, and no West bed — found here by brute force
    ev = Evaluator(6, toy.seed, executor="serial")
    needed = next(k for k in range(9) if ev.figures(make_plan(toy, [east, west], {east.name: k, west.name: 0}).scenario,
                                                    ["deaths_waiting_per_1000"], kind="optimise")
                  ["deaths_waiting_per_1000"].mean() <= 5)
    assert 0 < needed < 8
    result = optimise(toy, [target], decisions=[east, west], trials=30, replications=6, executor="serial")
    best = result.plans[result.plans["feasible"]].sort_values("cost").iloc[0]
    assert (best[east.name], best[west.name]) == (needed, 0) and best["cost"] == needed * 16
    assert result.chosen is not None and result.chosen.levels[west.name] == 0
    assert result.chosen.cost >= best["cost"]
    pareto = result.pareto
    assert pareto["cost"].is_monotonic_increasing and pareto["died_waiting"].is_monotonic_decreasing
    assert "chosen:" in result.verdict


def test_optimise_writes_plans_pareto_and_a_plan_ready_to_run_and_resumes(two_wards, tmp_path: Path, capsys):
    import yaml

    file = tmp_path / "toy.yaml"
    file.write_text(flowsim.to_yaml(_toy(two_wards)))
    out = tmp_path / "opt"
    args = ["optimise", str(file), "--target", "deaths_waiting_per_1000<=5", "--decide", "oxygen bed @ East Ward=0:8:2",
            "--quick", "--quiet", "--executor", "serial", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "chosen:" in text and "plan.yaml" in text
    plans = pd.read_csv(out / "plans.csv")
    assert len(plans) == 12 and {"cost", "died_waiting", "feasible"} <= set(plans.columns)
    assert (out / "pareto.csv").exists() and (out / "optimise.png").stat().st_size > 0
    plan = flowsim.load_scenario(out / "plan.yaml")
    assert plan.facilities[0].beds.tier2 > 6 and plan.costs.oxygen_bed is not None
    assert flowsim.run(plan, seed=1).summary["arrivals"] > 0
    assert main([*args, "--resume"]) == 0
    assert " 0 runs (" in capsys.readouterr().out
    assert yaml.safe_load((out / "plan.yaml").read_text())["facilities"][0]["beds"]["tier2"] == plan.facilities[0].beds.tier2


def test_the_optimiser_chooses_the_day_a_change_is_made(two_wards):
    from flowsim.evaluations import Evaluator
    from flowsim.optimise import NEVER, make_plan, optimise, parse_decision

    toy = flowsim.variant(two_wards, {"costs": {"oxygen_bed": {"one_off": 10, "per_day": 1}}})
    when = parse_decision(toy, "oxygen bed @ East Ward +4 on day=0:50:10")
    assert when.levels == (NEVER, 50, 40, 30, 20, 10, 0)  # in order of the capacity they give
    plans = {day: make_plan(toy, [when], {when.name: day}) for day in when.levels}
    assert plans[NEVER].cost == 0 and not plans[NEVER].scenario.capacity_changes
    assert plans[30].cost == 4 * (10 + 1 * (60 - 30)) and plans[30].added == {"oxygen_bed": 4}
    assert plans[30].scenario.capacity_changes[0].day == 30
    # the later the beds open the less they cost and the more die waiting: the cheapest plan meeting the
    # target is the latest day that meets it, found here by brute force
    ev = Evaluator(6, toy.seed, executor="serial")
    deaths = {day: ev.figures(p.scenario, ["deaths_waiting_per_1000"], kind="optimise")["deaths_waiting_per_1000"].mean()
              for day, p in plans.items()}
    limit = (deaths[20] + deaths[30]) / 2 if deaths[30] > deaths[20] else deaths[30] + 1
    latest = max(day for day in when.levels if day != NEVER and deaths[day] <= limit)
    assert deaths[NEVER] > limit and latest not in (0, 50)
    result = optimise(toy, [f"deaths_waiting_per_1000<={limit:.4f}"], decisions=[when], trials=10, replications=6,
                      executor="serial", confirm=1)
    best = result.plans[result.plans["feasible"]].sort_values("cost").iloc[0]
    assert best[when.name] == latest and best["cost"] == plans[latest].cost
    assert result.chosen is not None and result.chosen.scenario.capacity_changes[0].day == latest


def test_a_group_decision_scales_one_kind_of_bed_at_one_level_of_the_tower_only():
    from flowsim.optimise import capacity, facility_groups, make_plan, optimise, parse_decision

    hanoi = flowsim.load_scenario()
    groups = facility_groups(hanoi)
    assert set(groups) == {"level-1 hospitals", "level-2 hospitals", "level-3 hospitals", "stations"}
    assert sorted(i for g in groups.values() for i in g) == list(range(len(hanoi.facilities)))
    central = parse_decision(hanoi, "icu_beds @ level-3 hospitals=1:2:0.5")
    assert central.levels == (1.0, 1.5, 2.0) and len(central.facilities) == 2
    plan = make_plan(hanoi, [central], {central.name: 2.0})
    icu_there = sum(hanoi.beds(hanoi.facilities[i], 3) for i in central.facilities)
    assert plan.added == {"icu_bed": icu_there} and icu_there > 0  # doubled there, nowhere else
    for i, (before, after) in enumerate(zip(hanoi.facilities, plan.scenario.facilities, strict=True)):
        assert after.beds.tier2 == before.beds.tier2
        assert after.beds.tier3 == (2 * before.beds.tier3 if i in central.facilities else before.beds.tier3)
    assert capacity(plan.scenario, "icu_bed") == capacity(hanoi, "icu_bed") + icu_there
    assert plan.cost == icu_there * hanoi.costs.icu_bed.over(hanoi.horizon_days)
    one = hanoi.facilities[central.facilities[0]].name
    with pytest.raises(ConfigError, match=f"'icu_beds @ level-3 hospitals' and 'ICU bed @ {one}' both set"):
        optimise(hanoi, decisions=[central, parse_decision(hanoi, f"ICU bed @ {one}=0:10:5")], trials=1)
    with pytest.raises(ConfigError, match="no facility of 'stations' has icu beds"):
        parse_decision(hanoi, "icu_beds @ stations=1:2:0.5")


@pytest.mark.parametrize(("flags", "message"), [
    (["--decide", "oxygen_beds @ Uptown=1:2:0.5"], "--decide oxygen_beds @ Uptown=1:2:0.5: no facility group 'Uptown' "
                                                   "(groups: level-2 hospitals)"),
    (["--decide", "icu_beds=1:2:0.5"], "costs.icu_bed: --decide icu_beds buys icu beds, which have no cost"),
    (["--decide", "oxygen bed @ East Ward +4 on day=0:90:30"], "the days must be within the run (0 to 60)"),
    (["--decide", "oxygen bed @ Nowhere +4 on day=0:30:10"], "no facility named 'Nowhere'"),
    (["--decide", "oxygen bed @ Nowhere=0:2:1"], "--decide oxygen bed @ Nowhere: not a capacity_scale field"),
    (["--decide", "oxygen_beds"], "--decide oxygen_beds: expected NAME=START:STOP:STEP"),
    (["--target", "deaths<=1"], "--target deaths<=1: deaths is not a figure"),
])
def test_bad_optimise_input_is_one_line_naming_the_flag(two_wards, tmp_path: Path, capsys, flags, message):
    file = tmp_path / "toy.yaml"
    file.write_text(flowsim.to_yaml(_toy(two_wards)))
    assert main(["optimise", str(file), "--out", str(tmp_path / "o"), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "o" / "points").exists()


@pytest.mark.parametrize(("costs", "message"), [
    ({"oxygen_beds": {"one_off": 1}}, "costs: 'oxygen_beds' is not a unit with a cost (did you mean oxygen_bed?"),
    ({"oxygen_bed": {"one_of": 1}}, "costs.oxygen_bed.one_of: Extra inputs are not permitted"),
    ({"icu_bed": {"per_day": -1}}, "costs.icu_bed.per_day: Input should be greater than or equal to 0"),
])
def test_unit_costs_are_validated_with_the_field_named(costs, message):
    data = base_config()
    data["costs"] = costs
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        build(data)


def test_the_hanoi_scenario_prices_every_resource():
    from flowsim.optimise import cost_table

    table = cost_table(flowsim.load_scenario())
    assert set(table["unit"]) == {"station_bed", "hospital_tier1_bed", "oxygen_bed", "icu_bed", "vehicle",
                                  "home_monitoring_slot"}


# -- capacity over time ---------------------------------------------------------------------------


def _with_changes(scenario: flowsim.Scenario, changes: list[dict]) -> flowsim.Scenario:
    return flowsim.variant(scenario, {"capacity_changes": changes})


def test_beds_close_as_they_empty_and_no_patient_is_lost(two_wards):
    s = _with_changes(flowsim.variant(two_wards, {"record_step_days": 0.25}),
                      [{"day": 20, "facility": "East Ward", "tier": 2, "add": -4}])
    r = flowsim.run(s, seed=2, patients=True)                         # run() checks conservation itself
    east = r.occupancy[(r.occupancy["facility"] == "East Ward")].set_index("time")["occupied"]
    assert east.loc[:19.75].max() == 6                                 # full before the cut
    after = east.loc[20:]
    closed = after[after <= 2].index.min()                            # when the last closed bed emptied
    assert closed > 20                                                 # nobody was put out of a bed
    assert after.loc[:closed].is_monotonic_decreasing                 # no new admission while over capacity
    assert after.loc[closed:].max() <= 2                              # and never above the new capacity again
    patients = r.patients[r.patients["arrival"] <= s.horizon_days]   # everyone who came is accounted for
    in_system = int((patients["outcome"] == "in_system").sum())
    assert in_system == r.summary["in_system_end"]
    assert len(patients) == r.summary["recovered"] + r.summary["died"] + in_system
    ts = r.timeseries.set_index("time")
    assert ts.loc[19.75, "capacity_tier2"] == 31 and ts.loc[20, "capacity_tier2"] == 27
    cap = r.occupancy[r.occupancy["facility"] == "East Ward"].set_index("time")["capacity"]
    assert set(cap.loc[:19.75]) == {6} and set(cap.loc[20:]) == {2}   # the beds of the moment
    # the resources table: its most beds, time full against the beds of the moment, utilisation of
    # the bed-days open (6 beds for 20 days, then 2 for 40)
    row = r.resources.set_index("resource").loc["East Ward / tier 2"]
    open_beds = (6 * 20 + 2 * 40) / 60
    assert row["capacity"] == 6 and row["utilisation"] == pytest.approx(row["mean_occupied"] / open_beds)
    assert 0.8 < row["utilisation"] <= 1
    assert row["share_time_full"] == pytest.approx((east >= cap).mean(), abs=0.05)  # the grid's view of it


def test_a_station_opens_icu_beds_are_converted_and_vehicles_are_added_on_their_days():
    data = base_config()
    data["facilities"].append({"name": "Station Late", "kind": "station", "district": "North", "beds": {"tier1": 0}})
    data["facilities"][0]["beds"]["tier1"] = 5                         # Station N fills up: the late one is needed
    data["capacity_changes"] = [
        {"day": 10, "facility": "Station Late", "tier": 1, "add": 60},
        {"day": 15, "facility": "Hospital S", "tier": 2, "add": -5},
        {"day": 15, "facility": "Hospital S", "tier": 3, "add": 5},
    ]
    r = flowsim.run(build(data), seed=1)
    late = r.occupancy[r.occupancy["facility"] == "Station Late"].set_index("time")["occupied"]
    assert late.loc[:9].max() == 0 and late.loc[10:].max() > 0
    ts = r.timeseries.set_index("time")
    assert (ts.loc[14, "capacity_tier2"], ts.loc[14, "capacity_tier3"]) == (20, 5)
    assert (ts.loc[15, "capacity_tier2"], ts.loc[15, "capacity_tier3"]) == (15, 10)


def test_vehicles_added_on_a_day_take_calls_from_then_on():
    town = flowsim.load_scenario(Path(__file__).parents[1] / "configs/teaching/town.yaml")
    s = flowsim.variant(town, {"ambulances.bases.0.vehicles": 1, "arrivals.rate_per_day": 200,
                               "capacity_changes": [{"day": 20, "base": "Town 115", "add": 3}]})
    t = flowsim.run(s, seed=1).transfers
    before, after = t[t["reached"] < 20], t[t["reached"] >= 20]
    assert set(before["vehicle"]) == {0} and set(after["vehicle"]) - {0} and set(after["vehicle"]) <= {0, 1, 2, 3}
    assert after["vehicle_wait"].mean() < before["vehicle_wait"].mean()
    fleet = flowsim.run(s, seed=1).resources.set_index("resource").loc["ambulances"]
    assert fleet["capacity"] == 4 and 0 < fleet["utilisation"] <= 1  # busy share of the vehicle-days on duty


@pytest.mark.parametrize(("change", "message"), [
    ({"day": 5, "facility": "Nowhere", "tier": 2, "add": 3}, "capacity_changes[0].facility: no facility named 'Nowhere'"),
    ({"day": 5, "facility": "Hospital S", "tier": 3, "add": -6}, "capacity_changes[0].add: takes Hospital S's tier-3 beds below 0"),
    ({"day": 50, "facility": "Hospital S", "tier": 2, "add": 3}, "capacity_changes[0].day: 50 is not within the run"),
    ({"day": 5, "facility": "Hospital S", "add": 3}, "give the tier of the beds"),
    ({"day": 5, "base": "X", "add": -1}, "vehicles can only be added"),
    ({"day": 5, "base": "X", "add": 1}, "capacity_changes[0].base: the scenario has no ambulance fleet"),
    ({"day": 5, "facility": "Hospital S", "tier": 2, "add": 0}, "add: 0 changes nothing"),
])
def test_bad_capacity_changes_are_refused_naming_the_field(change, message):
    data = base_config()
    data["capacity_changes"] = [change]
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("'", "'")):
        build(data)


def test_the_phased_plan_in_the_docs_runs_on_hanoi():
    import re

    import yaml

    text = (Path(__file__).parents[1] / "docs/decisions.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "capacity_changes" in b)
    changes = yaml.safe_load(block)["capacity_changes"]
    s = flowsim.variant(flowsim.load_scenario(), {"capacity_changes": changes, "horizon_days": 25})
    ts = flowsim.run(s, seed=1).timeseries.set_index("time")
    assert ts.loc[25, "capacity_tier3"] - ts.loc[0, "capacity_tier3"] == 30


def test_the_frontier_is_the_same_on_every_executor():
    from flowsim.frontier import frontier

    runs = [frontier(_mmc(400), ["P(oxygen_wait>12h)<=20%"], replications=3, rtol=0.05, executor=ex, workers=2)
            for ex in ("serial", "processes")]
    assert runs[0].table.equals(runs[1].table) and runs[0].evaluations.equals(runs[1].evaluations)
