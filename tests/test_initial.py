"""Patients in care at t = 0 (`flowsim.initial`): drawn as the model's own steady state holds
them, listed by facility as a health department has them, and counted both ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim import initial, validation
from flowsim.config import ConfigError, build
from flowsim.streams import Streams

from .conftest import base_config, scenario

COURSE = {"risk_groups.0.p_deteriorate": 0.2, "risk_groups.0.p_escalate": 0.3, "risk_groups.0.p_die_tier3": 0.2,
          "clinical.tier2_stay": {"dist": "exponential", "mean_days": 6},
          "clinical.tier3_stay": {"dist": "exponential", "mean_days": 8}}


def test_patients_in_care_are_on_longer_stays_and_have_only_the_rest_ahead():
    # Exponential ICU stays, mean 8 days: seen in progress, the whole stay is length-biased (mean
    # 16), and what remains is again exponential with mean 8 (memoryless).
    s = scenario({**COURSE, "initial_census": {"tier3": 4000}})
    state = initial.draw(s, Streams(1))
    remaining, elapsed = state.cohort.tier3_stay, state.elapsed
    assert remaining.mean() == pytest.approx(8, rel=0.05)
    assert (remaining + elapsed).mean() == pytest.approx(16, rel=0.05)
    assert (state.cohort.severity == 3).all()


def test_a_mild_patient_in_care_is_less_likely_to_deteriorate_than_a_new_one():
    # Deterioration comes on day 3 or not at all; recovery on day 10. A mild F0 seen in a bed is
    # on the deteriorating branch in proportion to 0.2 × 3 days against 0.8 × 10 days.
    s = scenario({**COURSE, "initial_census": {"tier1_facility": 20_000}})
    state = initial.draw(s, Streams(2))
    share = state.course.deteriorates_untreated.mean()
    assert share == pytest.approx(0.2 * 3 / (0.2 * 3 + 0.8 * 10), rel=0.08)
    # and their time to deterioration is what is left of the 3 days
    left = state.cohort.time_to_deterioration[state.course.deteriorates_untreated]
    assert left.max() <= 3 and left.mean() == pytest.approx(1.5, rel=0.1)


def test_an_oxygen_patient_in_care_rarely_escalates_when_escalation_comes_early():
    # Escalation after 2 days (30%), else 6 days of oxygen care: in-progress patients escalate
    # in proportion to 0.3 × 2 against 0.7 × 6 (plus those stepping down after ICU, who never do).
    s = scenario({**COURSE, "initial_census": {"tier2": 20_000}})
    state = initial.draw(s, Streams(3))
    visits = np.bincount(state.visit, minlength=len(initial.VISITS)) / len(state)
    escalating = visits[initial.VISITS.index(initial.OXYGEN_ESCALATES)]
    ending = visits[initial.VISITS.index(initial.OXYGEN_ENDS)]
    assert escalating / ending == pytest.approx(0.3 * 2 / (0.7 * 6), rel=0.1)
    assert visits[initial.VISITS.index(initial.STEP_DOWN)] > 0  # ICU leavers are tier-2 patients too


def test_days_in_care_condition_the_future_on_having_got_that_far():
    # 10 days into an exponential(8) ICU stay: still exponential(8) ahead (memoryless).
    s = scenario({**COURSE, "initial_census": {"facilities": [
        {"facility": "Hospital S", "tier": 3, "patients": 5, "days_in_care": 10}]}})
    state = initial.draw(s, Streams(4))
    assert (state.elapsed == 10).all() and list(state.facility) == ["Hospital S"] * 5
    # a fixed 10-day stay cannot be 12 days in: one line naming the row
    fixed = scenario({**COURSE, "clinical.tier3_stay": {"dist": "fixed", "value": 10},
                      "initial_census": {"facilities": [{"facility": "Hospital S", "tier": 3, "patients": 5,
                                                         "days_in_care": 12}]}})
    with pytest.raises(ConfigError, match=r"initial_census.facilities\[0\]: 5 patients in ICU beds 12 days"):
        flowsim.run(fixed)


def test_a_census_the_course_cannot_produce_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match="initial_census.tier3: 3 patients in ICU beds, but no course"):
        scenario({"initial_census": {"tier3": 3}})  # nobody ever needs intensive care here


def test_per_facility_census_places_patients_where_listed_and_the_excess_waits(tmp_path: Path):
    data = base_config()
    pd.DataFrame({"facility": ["Hospital S", "Hospital S", "Station N"], "tier": [2, 3, 1],
                  "patients": [12, 5, 30], "days_in_care": [1.0, None, 1.0]}).to_csv(tmp_path / "today.csv", index=False)
    data["initial_census"] = {"csv": "today.csv"}
    overrides = [(k, v) for k, v in COURSE.items()] + [("arrivals.rate_per_day", 0)]
    s = build(data, overrides, base_dir=tmp_path)
    assert [r.patients for r in s.initial_census.facilities] == [12, 5, 30]
    r = flowsim.run(s)
    at0 = r.occupancy[r.occupancy["time"] == 0].set_index(["facility", "tier"])["occupied"]
    assert at0[("Hospital S", 2)] == 12 and at0[("Hospital S", 3)] == 5 and at0[("Station N", 1)] == 30
    # ICU beds cut to 3 (a lever below today's census): two of the five wait for a bed
    fewer = build(data, [*overrides, ("capacity_scale.icu_beds", 0.6)], base_dir=tmp_path)
    r = flowsim.run(fewer)
    first = r.timeseries.iloc[0]
    assert first["in_beds_tier3"] == 3 and first["tier3_home"] == 2 and first["queue_tier3"] == 2


@pytest.mark.parametrize(("rows", "message"), [
    ("facility,tier,patients\nNowhere,2,3\n", r"initial_census.csv: row 1: 'facility': unknown facility 'Nowhere'"),
    ("facility,tier,patients\nHospital S,2,-1\n", r"row 1: 'patients' must be a finite number ≥ 0"),
    ("facility,tier,patients\nHospital S,2,4\nHospital S,2,19\n",
     r"row 2: 'patients': 23 patients in the tier-2 beds of 'Hospital S', which has 20"),
    ("facility,tier,patients\nHospital S,4,1\n", r"row 1: 'tier' must be 1, 2 or 3"),
    ("facility,tier,patients\nHospital S,two,1\n", r"row 1: 'tier' is not a number"),
    ("facility,patients\nHospital S,1\n", r"needs a 'tier' column"),
    ("facility,tier,patients,beds\nHospital S,2,1,3\n", r"unknown column 'beds'"),
])
def test_bad_per_facility_census_rows_give_one_line_naming_the_row(tmp_path: Path, rows: str, message: str):
    (tmp_path / "today.csv").write_text(rows)
    data = base_config()
    data["initial_census"] = {"csv": "today.csv"}
    with pytest.raises(ConfigError, match=message):
        build(data, [(k, v) for k, v in COURSE.items()], base_dir=tmp_path)


def test_totals_counted_by_facility_start_the_facility_count_at_the_report():
    s = flowsim.load_scenario(overrides={"horizon_days": 1})
    assert s.initial_census.counted_by == "facility"
    first = flowsim.run(s, seed=1).timeseries.iloc[0]
    assert [first[f"census_tier{t}_by_facility"] for t in (1, 2, 3)] == [39_167, 2_225, 648]
    # read as beds instead, the same counts put more at tier 2 and 3 by facility
    beds = flowsim.load_scenario(overrides={"horizon_days": 1, "initial_census.counted_by": "beds"})
    first = flowsim.run(beds, seed=1).timeseries.iloc[0]
    assert first["census_tier2_by_facility"] > 2_225 and first["in_beds_tier2"] == 2_225
    with pytest.raises(ConfigError, match="initial_census.tier3: 5,000 patients counted at tier 3, but the beds"):
        flowsim.load_scenario(overrides={"initial_census.tier3": 5000})


def test_warmup_excludes_early_deaths_from_every_figure():
    s = scenario({**COURSE, "waiting_hazard.tier3": 2.0, "facilities.1.beds.tier3": 1, "horizon_days": 40})
    whole = flowsim.run(s, seed=3)
    later = flowsim.run(s.model_copy(update={"warmup_days": 20.0}), seed=3)
    ts = whole.timeseries
    assert whole.summary["died_waiting"] == ts["deaths_waiting"].sum()
    assert later.summary["died_waiting"] == ts.loc[ts["time"] > 20, "deaths_waiting"].sum()
    assert later.summary["died_waiting_warmup"] == ts.loc[ts["time"] <= 20, "deaths_waiting"].sum() > 0
    assert later.summary["arrivals"] < whole.summary["arrivals"]
    assert later.summary["in_system_start"] == ts.loc[ts["time"] == 20, ["census_tier1", "census_tier2",
                                                                          "census_tier3"]].sum(axis=1).item()
    assert (later.summary["window_start"], later.summary["window_end"]) == (20, 40)


def test_census_by_facility_adds_up_to_the_census_by_need():
    r = flowsim.run(flowsim.load_scenario(overrides={"horizon_days": 10}), seed=1)
    ts = r.timeseries
    need = ts[[f"census_tier{t}" for t in (1, 2, 3)]].sum(axis=1)
    facility = ts[[f"census_tier{t}_by_facility" for t in (1, 2, 3)]].sum(axis=1)
    assert (need == facility).all()
    # Hanoi's moderate-care hospitals count their mild patients at tier 2; nobody is counted lower than needed
    assert (ts["census_tier3_by_facility"] >= ts["census_tier3"]).all()
    assert (ts["census_tier2_by_facility"] + ts["census_tier3_by_facility"]
            >= ts["census_tier2"] + ts["census_tier3"]).all()


@pytest.mark.slow
def test_started_from_its_own_steady_state_the_network_stays_there():
    """Acceptance: census of every tier over days 0-30 within the interval of the steady state,
    deaths while waiting in days 0-10 at the rate of days 30-60 (paired), and the same check
    fails for a start that is not the steady state (every stay beginning at t = 0)."""
    table = validation.judge(validation.steady_start(quick=True))
    assert table["passed"].all(), validation.format_table(table)
    wrong = validation.judge(validation.steady_start(quick=True, part_way=False))
    assert not wrong["passed"].all()


@pytest.mark.slow
def test_built_in_deaths_while_waiting_are_spread_over_the_run_not_piled_at_its_start():
    s = flowsim.load_scenario(overrides={"horizon_days": 60})
    early = total = 0
    for rep in range(6):
        ts = flowsim.run(s, seed=1, replication=rep).timeseries
        early += ts.loc[ts["time"] <= 10, "deaths_waiting"].sum()
        total += ts["deaths_waiting"].sum()
    assert total > 300
    assert early / total == pytest.approx(10 / 60, abs=0.06)  # 51% before the conditional start


class _Only:
    """A scenario that answers only for the fields `initial.READS` names: reading any other fails."""

    def __init__(self, scenario: flowsim.Scenario) -> None:
        self._scenario = scenario

    def __getattr__(self, name: str):
        if name not in initial.READS:
            raise AssertionError(f"initial.draw read scenario.{name}, which initial.READS does not name")
        return getattr(self._scenario, name)


def test_the_initial_census_is_drawn_from_the_fields_it_is_remembered_by():
    # The draw is remembered by `READS` (and seed, replication): if it read another field, two
    # scenarios differing there would wrongly share a census. Hanoi's census exercises every path.
    hanoi = flowsim.load_scenario()
    state = initial._draw(_Only(hanoi), Streams(3))  # type: ignore[arg-type]
    fresh = initial._draw(hanoi, Streams(3))
    assert np.array_equal(state.cohort.tier3_stay, fresh.cohort.tier3_stay) and len(state) == len(fresh)


def test_a_remembered_census_is_the_same_draw_shared_read_only():
    s = scenario({**COURSE, "initial_census": {"tier2": 300, "tier3": 100}})
    first = initial.draw(s, Streams(4, 1))
    busier = scenario({**COURSE, "initial_census": {"tier2": 300, "tier3": 100}, "arrivals.rate_per_day": 500})
    assert initial.draw(busier, Streams(4, 1)) is first  # only the arrivals differ: the same census
    fresh = initial._draw(s, Streams(4, 1))
    assert np.array_equal(first.cohort.tier2_stay, fresh.cohort.tier2_stay)
    assert np.array_equal(first.visit, fresh.visit)
    with pytest.raises(ValueError, match="read-only"):
        first.cohort.tier2_stay[0] = 0.0
    other = scenario({**COURSE, "initial_census": {"tier2": 300, "tier3": 100}, "clinical.tier3_stay.mean_days": 9})
    assert initial.draw(other, Streams(4, 1)) is not first  # a field it is drawn from differs
    assert initial.draw(s, Streams(4, 2)) is not first  # another replication
    assert not np.array_equal(initial.draw(s, Streams(5, 1)).cohort.tier2_stay, first.cohort.tier2_stay)
