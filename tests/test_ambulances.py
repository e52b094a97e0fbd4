"""The ambulance fleet: dispatch, priorities, travel, and what holds a transfer back."""

from __future__ import annotations

import numpy as np
import pytest

import flowsim
from flowsim.config import ConfigError, apply_override, build
from flowsim.routing import distance_km

from .conftest import base_config

SPEED_KMH = 60.0


def fleet_config(bases: list[dict], **changes) -> dict:
    """base_config with a deterministic fleet: no noise, no dispatch delay, no rush hours."""
    data = base_config()
    data["districts"][0]["population"] = 1e9  # the initial census lives in North
    data["districts"][1]["population"] = 1
    data["facilities"][1]["beds"] = {"tier2": 10}
    data["ambulances"] = {
        "bases": bases, "speed_kmh": SPEED_KMH, "detour_factor": 1.0, "travel_noise_sd": 0.0,
        "dispatch_delay": {"dist": "fixed", "value": 0.0},
        "on_scene": {"dist": "fixed", "value": 0.01}, "handover": {"dist": "fixed", "value": 0.01},
    }
    data["arrivals"]["rate_per_day"] = 0
    data["risk_groups"][0]["p_deteriorate"] = 1.0
    data["clinical"]["time_to_deterioration"] = {"dist": "fixed", "value": 1.0}
    data["horizon_days"] = 5
    for path, value in changes.items():
        apply_override(data, path, value)
    return data


def drive_days(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(distance_km(np.array([a]), np.array([b]))[0, 0]) / (SPEED_KMH * 24)


NORTH = (21.10, 105.80)
SOUTH = (20.90, 105.80)
HOSPITAL_S = (20.90, 105.81)


def test_one_vehicle_two_calls_the_second_waits_for_the_first():
    data = fleet_config([{"name": "B", "district": "North", "vehicles": 1}],
                        initial_census={"tier1_facility": 2, "part_way": False})
    r = flowsim.run(build(data))
    t = r.transfers.sort_values("reached").reset_index(drop=True)
    assert len(t) == 2 and (t["called"] == 1.0).all()
    first, second = t.iloc[0], t.iloc[1]
    trip = drive_days(NORTH, HOSPITAL_S)
    assert first["response"] == pytest.approx(0.0)
    assert first["total"] == pytest.approx(0.01 + trip + 0.01)
    # The vehicle hands the first patient over, drives back to base, then answers the second call.
    assert second["vehicle_wait"] == pytest.approx(first["total"] + trip)
    assert second["response"] == pytest.approx(second["vehicle_wait"])
    assert set(t["held_back_by"]) == {"none", "vehicle"}
    assert r.summary["transfers_delayed_by_vehicle"] == 1


def test_next_call_from_where_the_vehicle_is():
    data = fleet_config([{"name": "B", "district": "North", "vehicles": 1}], **{
        "initial_census": {"tier1_facility": 2, "part_way": False}, "ambulances.after_handover": "next_call"})
    t = flowsim.run(build(data)).transfers.sort_values("reached")
    second = t.iloc[1]
    # From the hospital straight back to the station: the same drive, but no trip home first.
    assert second["vehicle_wait"] == pytest.approx(t.iloc[0]["total"])
    assert second["response"] == pytest.approx(second["vehicle_wait"] + drive_days(HOSPITAL_S, NORTH))


def test_nearest_idle_vehicle_is_chosen():
    bases = [{"name": "Far", "district": "South", "vehicles": 1}, {"name": "Near", "district": "North", "vehicles": 1}]
    data = fleet_config(bases, initial_census={"tier1_facility": 1, "part_way": False})
    t = flowsim.run(build(data)).transfers
    assert t["vehicle"].tolist() == [1] and t["response"].iloc[0] == pytest.approx(0.0)
    bases[1]["vehicles"] = 0
    t = flowsim.run(build(fleet_config(bases, initial_census={"tier1_facility": 1, "part_way": False}))).transfers
    assert t["vehicle"].tolist() == [0] and t["response"].iloc[0] == pytest.approx(drive_days(SOUTH, NORTH))


def test_tier3_call_is_served_before_an_earlier_tier2_call():
    data = fleet_config([{"name": "B", "district": "North", "vehicles": 1}], **{
        "initial_census": {"tier1_facility": 2, "tier2": 1, "part_way": False},
        "ambulances.handover": {"dist": "fixed", "value": 0.5},
        "risk_groups.0.p_escalate": 1.0,
        "clinical.time_to_escalation": {"dist": "fixed", "value": 1.2},
    })
    data["facilities"].append({"name": "ICU B", "kind": "hospital", "district": "South", "lat": 20.8, "lon": 105.9,
                               "beds": {"tier3": 3}})
    t = flowsim.run(build(data)).transfers
    t["dispatched"] = t["called"] + t["vehicle_wait"]
    tier2 = t[t["tier"] == 2].sort_values("dispatched")
    first_icu = t[t["tier"] == 3].sort_values("called").iloc[0]
    assert first_icu["called"] == pytest.approx(1.2)
    waiting_tier2 = tier2.iloc[1]
    assert waiting_tier2["called"] == pytest.approx(1.0)
    assert waiting_tier2["called"] < first_icu["called"]
    assert first_icu["dispatched"] < waiting_tier2["dispatched"]


def test_unlimited_fleet_response_is_the_travel_time():
    data = fleet_config([{"name": "Centre", "district": "South", "lat": 20.95, "lon": 105.85, "vehicles": 500}], **{
        "arrivals.rate_per_day": 40, "risk_groups.0.p_tier2_at_diagnosis": 0.5, "risk_groups.0.p_deteriorate": 0.2,
        "horizon_days": 10})
    data["districts"][1]["population"] = 1000
    data["facilities"][1]["beds"] = {"tier2": 10_000}
    r = flowsim.run(build(data))
    t = r.transfers
    assert len(t) > 50 and (t["vehicle_wait"] == 0).all()
    points = {0: NORTH, 1: SOUTH, 2: NORTH}  # districts, then Station N (at North's centroid)
    expected = [drive_days((20.95, 105.85), points[o]) for o in t["origin"]]
    assert t["response"].to_numpy() == pytest.approx(expected)
    assert r.summary["transfers_delayed_by_vehicle"] == 0


def test_district_base_dispatch_keeps_vehicles_in_their_district():
    bases = [{"name": "N", "district": "North", "vehicles": 1}, {"name": "S", "district": "South", "vehicles": 1}]
    common = {"initial_census": {"tier1_facility": 2, "part_way": False}}
    nearest = flowsim.run(build(fleet_config(bases, **common))).transfers
    assert sorted(nearest["vehicle"]) == [0, 1]  # the second call borrows the South vehicle
    own = flowsim.run(build(fleet_config(bases, **common, **{"ambulances.dispatch": "district_base"}))).transfers
    assert own["vehicle"].tolist() == [0, 0]  # both wait for North's own vehicle


def test_dying_while_waiting_for_a_vehicle():
    data = fleet_config([{"name": "B", "district": "South", "vehicles": 1}], **{
        "initial_census": {"tier1_facility": 20, "part_way": False}, "waiting_hazard.tier2": 20.0})
    data["facilities"][0]["beds"] = {"tier1": 50}
    data["facilities"][1]["beds"] = {"tier2": 100}  # beds for all: only the vehicle is short
    r = flowsim.run(build(data))
    died = r.transfers[r.transfers["status"] == "died"]
    assert len(died) > 0 and r.summary["died_waiting"] == len(died)
    # A bed reserved for a patient who died before the vehicle came is given back.
    assert r.occupancy[r.occupancy["facility"] == "Hospital S"]["occupied"].iloc[-1] == 20 - len(died)


def test_fleet_figures_in_summary_and_tables():
    data = fleet_config([{"name": "B", "district": "North", "vehicles": 1}],
                        initial_census={"tier1_facility": 3, "part_way": False})
    r = flowsim.run(build(data))
    s = r.summary
    assert s["transfers"] == 3 and s["ambulance_response_p90"] > 0
    assert 0 < s["utilisation_ambulances"] < 1
    assert r.timeseries["calls_waiting"].max() == 2 and r.timeseries["vehicles_busy"].max() == 1
    row = r.resources.set_index("resource").loc["ambulances"]
    assert row["capacity"] == 1 and row["max_queue"] == 2


@pytest.mark.parametrize("change, message", [
    ({"ambulances.bases": [{"name": "B", "district": "North", "vehicles": 0}]}, "the fleet has no vehicle"),
    ({"ambulances.bases": [{"name": "B", "district": "Atlantis", "vehicles": 2}]},
     "ambulances.bases[0] (B).district: unknown district 'Atlantis'"),
    ({"ambulances.dispatch": "fastest_siren"}, "ambulances.dispatch: unknown rule"),
    ({"capacity_scale": {"ambulances": 0.1}}, "capacity_scale.ambulances: leaves the fleet with no vehicle"),
])
def test_fleet_config_errors(change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        build(fleet_config([{"name": "B", "district": "North", "vehicles": 1}], **change))
