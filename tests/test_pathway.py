"""The patient pathway: behaviour a planner relies on, on small networks built in code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim.config import build

from .conftest import base_config, scenario


def test_mild_only_scenario_never_touches_a_hospital():
    s = scenario({"facilities.0.beds.tier1": 10_000, "facilities.1.beds.tier1": 0})
    r = flowsim.run(s)
    hospital = r.occupancy[r.occupancy["kind"] == "hospital"]
    assert r.summary["arrivals"] > 1000
    assert hospital["occupied"].max() == 0
    assert r.waits.empty
    assert r.timeseries[["census_tier2", "census_tier3"]].to_numpy().max() == 0
    assert r.summary["died"] == 0


def test_unlimited_beds_give_zero_bed_waits():
    s = scenario({
        "risk_groups.0.p_deteriorate": 0.3, "risk_groups.0.p_escalate": 0.5,
        "risk_groups.0.p_tier2_at_diagnosis": 0.1, "risk_groups.0.p_tier3_at_diagnosis": 0.05,
        "facilities.1.beds": {"tier1": 10_000, "tier2": 10_000, "tier3": 10_000},
        "facilities.0.beds.tier1": 10_000,
    })
    r = flowsim.run(s)
    care = r.waits[r.waits["reason"] == "care"]
    assert len(care) > 100 and (care["wait"] == 0).all() and (care["status"] == "admitted").all()
    assert r.summary["wait_tier2_p90"] == 0.0 or np.isnan(r.summary["wait_tier2_p90"])
    assert r.timeseries[["queue_tier1", "queue_tier2", "queue_tier3"]].to_numpy().max() == 0
    assert r.resources.query("level == 'pool'")["blocked_bed_days"].sum() == 0


def _two_patients_one_bed(stay: float) -> flowsim.RunResult:
    data = base_config()
    data["facilities"] = [{"name": "H", "kind": "hospital", "district": "North", "beds": {"tier2": 1}}]
    s = build(data, [("arrivals.rate_per_day", 0), ("initial_census", {"tier2": 2, "part_way": False}),
                     ("clinical.tier2_stay", {"dist": "fixed", "value": stay})])
    return flowsim.run(s)


def test_one_bed_two_simultaneous_patients_second_waits_the_first_stay():
    r = _two_patients_one_bed(stay=4.0)
    care = r.waits[r.waits["reason"] == "care"]
    assert len(care) == 1
    assert care["wait"].iloc[0] == pytest.approx(4.0)
    assert care["status"].iloc[0] == "admitted"
    assert r.summary["recovered"] == 2


def test_blocked_patient_keeps_their_station_bed_while_waiting():
    # One station bed; its patient deteriorates on day 3 but the only oxygen bed is taken until day 8.
    data = base_config()
    data["facilities"] = [
        {"name": "Station", "kind": "station", "district": "North", "beds": {"tier1": 1}},
        {"name": "H", "kind": "hospital", "district": "South", "beds": {"tier2": 1}},
    ]
    s = build(data, [
        ("arrivals.rate_per_day", 0),
        ("initial_census", {"tier1_facility": 1, "tier2": 1, "part_way": False}),
        ("risk_groups.0.p_deteriorate", 1.0),
        ("clinical.tier2_stay", {"dist": "fixed", "value": 8}),
        ("horizon_days", 20),
    ])
    r = flowsim.run(s)
    station = r.occupancy[r.occupancy["facility"] == "Station"].set_index("time")["occupied"]
    assert station.loc[0:7].eq(1).all()  # held from day 0, through the wait, until the transfer on day 8
    assert station.loc[9:].eq(0).all()
    ward = r.resources.set_index("resource").loc["Station / tier 1"]
    assert ward["blocked_bed_days"] == pytest.approx(5.0)  # needed oxygen from day 3, moved on day 8
    care = r.waits[(r.waits["reason"] == "care") & (r.waits["tier"] == 2)]
    assert care["wait"].tolist() == pytest.approx([5.0])


def test_overflow_home_when_stations_full():
    s = scenario({"facilities.0.beds.tier1": 5, "facilities.1.beds.tier1": 0, "risk_groups.0.home_share": 0.0})
    r = flowsim.run(s)
    assert r.timeseries["tier1_station"].max() == 5
    assert r.timeseries["tier1_home"].max() > 100


def test_overflow_queue_waits_for_a_station_bed():
    s = scenario({"facilities.0.beds.tier1": 5, "facilities.1.beds.tier1": 0, "risk_groups.0.home_share": 0.0,
                  "routing.tier1_overflow": "queue"})
    r = flowsim.run(s)
    assert r.timeseries["queue_tier1"].max() > 0
    assert set(r.waits["status"]) <= {"admitted", "course_ended", "waiting"}


def test_waiting_hazard_kills_only_those_who_wait():
    common = {"risk_groups.0.p_tier2_at_diagnosis": 0.5, "waiting_hazard.tier2": 2.0, "facilities.1.beds.tier2": 3}
    jammed = flowsim.run(scenario(common))
    assert jammed.summary["died_waiting"] > 0
    assert jammed.summary["died"] == jammed.summary["died_waiting"]  # no clinical deaths configured
    roomy = flowsim.run(scenario({**common, "facilities.1.beds.tier2": 10_000}))
    assert roomy.summary["died_waiting"] == 0


def test_icu_ward_gridlock_does_not_freeze():
    # Every ICU patient needs a ward bed to step down; every ward patient needs an ICU bed.
    s = scenario({
        "risk_groups.0.p_tier2_at_diagnosis": 0.9, "risk_groups.0.p_escalate": 1.0,
        "facilities.1.beds.tier2": 3, "facilities.1.beds.tier3": 2,
        "clinical.time_to_escalation": {"dist": "fixed", "value": 0.1},
    })
    r = flowsim.run(s)
    assert r.summary["recovered"] > 0
    admitted_icu = r.waits[(r.waits["tier"] == 3) & (r.waits["status"] == "admitted")]
    assert len(admitted_icu) >= 6  # 2 ICU beds, 5-day stays, 30 days: beds keep turning over
    stepdown = r.waits[r.waits["reason"] == "step_down"]
    assert "discharged_in_place" in set(stepdown["status"])


def test_designated_routing_sends_to_the_designated_hospital():
    data = base_config()
    data["facilities"].append({"name": "Hospital N", "kind": "hospital", "district": "North",
                               "beds": {"tier2": 50}})
    changes = [("risk_groups.0.p_tier2_at_diagnosis", 0.2), ("routing.policy", "designated"),
               ("districts.0.designated", {"tier2": "Hospital S"}), ("districts.1.designated", {"tier2": "Hospital S"})]
    r = flowsim.run(build(data, changes))
    occ = r.occupancy[r.occupancy["tier"] == 2].groupby("facility")["occupied"].max()
    assert occ["Hospital N"] == 0 and occ["Hospital S"] > 0
    nearest = flowsim.run(build(data, changes[:1]))
    occ = nearest.occupancy[nearest.occupancy["tier"] == 2].groupby("facility")["occupied"].max()
    assert occ["Hospital N"] > 0  # North's patients go to the nearer hospital under nearest_free


def test_antiviral_and_vaccination_lower_transfers():
    base = {"risk_groups.0.p_deteriorate": 0.3, "risk_groups.0.home_share": 1.0,
            "facilities.1.beds.tier2": 10_000}
    plain = flowsim.run(scenario(base)).summary
    treated = flowsim.run(scenario({**base, "home.antiviral_coverage": 1.0, "home.antiviral_efficacy": 0.5})).summary
    vaccinated = flowsim.run(scenario({**base, "risk_groups.0.vaccinated": 1.0, "clinical.vaccine_efficacy": 0.7})).summary
    assert treated["peak_tier2"] < plain["peak_tier2"]
    assert vaccinated["peak_tier2"] < treated["peak_tier2"]


def test_same_seed_same_tables_and_other_seed_differs():
    s = scenario({"risk_groups.0.p_deteriorate": 0.2, "facilities.1.beds.tier2": 5})
    a, b, c = flowsim.run(s, seed=3), flowsim.run(s, seed=3), flowsim.run(s, seed=4)
    for name in ("timeseries", "resources", "occupancy", "waits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert pd.Series(a.summary).equals(pd.Series(b.summary))
    assert not pd.Series(a.summary).equals(pd.Series(c.summary))


def test_common_random_numbers_across_capacities():
    # Patients hold their own random numbers: more beds cannot change who arrives or their course.
    s1 = scenario({"risk_groups.0.p_deteriorate": 0.2, "facilities.1.beds.tier2": 3})
    s2 = scenario({"risk_groups.0.p_deteriorate": 0.2, "facilities.1.beds.tier2": 30})
    a, b = flowsim.run(s1, patients=True), flowsim.run(s2, patients=True)
    cols = ["arrival", "district", "risk_group", "severity_at_diagnosis"]
    pd.testing.assert_frame_equal(a.patients[cols], b.patients[cols])


def test_initial_census_is_in_place_at_time_zero():
    s = scenario({"initial_census": {"tier1_home": 300, "tier1_facility": 40, "tier2": 10, "tier3": 2},
                  "arrivals.rate_per_day": 0, "risk_groups.0.p_deteriorate": 0.1, "risk_groups.0.p_escalate": 0.2})
    r = flowsim.run(s)
    first = r.timeseries.iloc[0]
    assert first["census_tier1"] == 340 and first["census_tier2"] == 10 and first["census_tier3"] == 2
    assert first["tier1_home"] == 300
    assert (first["in_beds_tier1"], first["in_beds_tier2"], first["in_beds_tier3"]) == (40, 10, 2)
    assert r.summary["initial_census"] == 352 == r.summary["in_system_start"]


def test_census_by_facility_counts_mild_patients_in_a_moderate_care_hospital_at_tier_2():
    # Hospital S has oxygen beds, so it is a tier-2 facility: the mild F0 in its tier-1 beds count at tier 2.
    s = scenario({"initial_census": {"facilities": [{"facility": "Hospital S", "tier": 1, "patients": 30},
                                                    {"facility": "Station N", "tier": 1, "patients": 20},
                                                    {"facility": "Hospital S", "tier": 3, "patients": 4}]},
                  "arrivals.rate_per_day": 0, "risk_groups.0.p_deteriorate": 0.1, "risk_groups.0.p_escalate": 0.2})
    first = flowsim.run(s).timeseries.iloc[0]
    assert [first[f"census_tier{t}"] for t in (1, 2, 3)] == [50, 0, 4]
    assert [first[f"census_tier{t}_by_facility"] for t in (1, 2, 3)] == [20, 30, 4]
    level_1 = scenario({"initial_census": s.initial_census.model_dump(), "facilities.Hospital S.level": 1,
                        "arrivals.rate_per_day": 0, "risk_groups.0.p_deteriorate": 0.1, "risk_groups.0.p_escalate": 0.2})
    first = flowsim.run(level_1).timeseries.iloc[0]
    assert [first[f"census_tier{t}_by_facility"] for t in (1, 2, 3)] == [50, 0, 4]


def test_per_patient_records_on_request():
    s = scenario({"risk_groups.0.p_tier2_at_diagnosis": 0.3, "facilities.1.beds.tier2": 3})
    r = flowsim.run(s, patients=True)
    p = r.patients
    assert len(p) == r.summary["arrivals"] + r.summary["initial_census"]
    assert set(p["outcome"]) <= {"recovered", "died", "died_waiting", "in_system"}
    assert (p["outcome"] == "recovered").sum() == r.summary["recovered"]
    assert p["wait_tier2"].max() > 0
    assert flowsim.run(s).patients is None


def test_little_law_on_a_station_pool():
    s = scenario({"facilities.0.beds.tier1": 10_000, "risk_groups.0.home_share": 0.0, "horizon_days": 200,
                  "warmup_days": 20, "clinical.tier1_stay": {"dist": "exponential", "mean_days": 10}})
    r = flowsim.run(s)
    pool = r.resources.set_index("resource").loc["station beds"]
    # λ = 50/day, all to the station (the nearer one for North, Hospital S's tier-1 beds for South).
    total = r.resources.query("level == 'pool' and tier == 1 and resource != 'home monitoring'")["mean_occupied"].sum()
    assert total == pytest.approx(50 * 10, rel=0.1)
    assert pool["utilisation"] < 1


def test_progress_is_reported():
    seen = []
    flowsim.run(scenario(), progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_a_run_collects_garbage_less_often_and_leaves_the_collector_as_it_found_it():
    import gc
    import threading

    from flowsim import simulation

    seen: list[int] = []
    before = gc.get_threshold()
    results = []

    def run() -> None:
        results.append(flowsim.run(scenario({"arrivals.rate_per_day": 20}), progress=lambda _f: seen.append(
            gc.get_threshold()[0])))

    threads = [threading.Thread(target=run) for _ in range(3)]  # overlapping runs in one process
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 3 and min(seen) == simulation.GC_YOUNG_THRESHOLD
    assert gc.get_threshold() == before
