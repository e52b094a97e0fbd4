"""The map's numbers, read from a run's tables: who waits for each facility's beds on a day, and
each district's home-care load (what the hover and the colours of the Map view show)."""

from __future__ import annotations

import numpy as np
import pytest

import flowsim
from flowsim import maps
from flowsim.config import resolve_path


@pytest.fixture(scope="module")
def two_wards() -> tuple[flowsim.Scenario, flowsim.RunResult]:
    s = flowsim.load_scenario(resolve_path("two_wards"))  # designated + hold: each ward its own queue
    return s, flowsim.run(s, seed=3)


def test_each_facility_queue_is_the_patients_waiting_for_its_beds(two_wards):
    s, r = two_wards
    w = r.waits[r.waits["tier"] == 2]
    east_short = 0
    for day in range(int(s.horizon_days)):
        fac = maps.facilities_on_day(s, r.occupancy, day, 2, r.queues).set_index("facility")
        # independently, from the wait records: patients whose wait for an oxygen bed spans the day's sample
        times = r.queues["time"][(r.queues["time"] >= day) & (r.queues["time"] < day + 1)].unique()
        waiting = np.mean([((w["start"] <= t) & (w["start"] + w["wait"] > t)).sum() for t in times])
        assert fac["waiting"].sum() == pytest.approx(waiting)
        assert fac["waiting_shared"].isna().all()  # nobody shares a list under `designated`
        east_short += fac.loc["East Ward", "waiting"] > fac.loc["West Ward", "waiting"]
    assert east_short > s.horizon_days / 2  # the short ward is the one with the queue


def test_a_city_wide_list_is_shown_as_shared_by_the_tiers_facilities():
    s = flowsim.load_scenario(resolve_path("town"), {"arrivals.rate_per_day": 60})  # nearest_free, overloaded
    r = flowsim.run(s, seed=2)
    q, ts = r.queues, r.timeseries
    busy = []
    for tier in (1, 2, 3):
        wards = q[q["tier"] == tier].groupby("facility")
        if wards.ngroups < 2:
            continue
        assert (q[q["tier"] == tier]["shared_by"] == wards.ngroups).all()
        for _, one in wards:
            assert one["waiting_shared"].to_numpy() == pytest.approx(ts[f"queue_tier{tier}"].to_numpy())
            assert not one["has_own"].any()
        if ts[f"queue_tier{tier}"].max() > 0:
            busy.append(tier)
    assert busy  # some tier's city list had patients waiting
    tier = busy[0]
    day = int(ts.loc[ts[f"queue_tier{tier}"].idxmax(), "time"])
    fac = maps.facilities_on_day(s, r.occupancy, day, tier, r.queues)
    assert fac["waiting"].isna().all() and (fac["waiting_shared"] > 0).any()
    tips = maps.network_deck(s, r.occupancy, day, tier, "en", r.queues, r.home).to_json()
    assert "city-wide list it shares with" in tips


def test_districts_are_coloured_by_their_home_care_load_that_day():
    s = flowsim.load_scenario(resolve_path("town"))
    r = flowsim.run(s, seed=1)
    day = 10
    d = maps.districts_on_day(s, r.home, day).set_index("district")
    ts = r.timeseries
    that_day = ts[(ts["time"] >= day) & (ts["time"] < day + 1)]
    assert d["at_home"].sum() == pytest.approx(that_day["home_census"].mean())
    for x in s.districts:
        cap = s.monitoring_capacity(x)
        assert d.loc[x.name, "monitoring_capacity"] == cap
        assert d.loc[x.name, "home_share"] == pytest.approx(d.loc[x.name, "at_home"] / cap)
    assert maps.districts_on_day(s, None, day)["home_share"].isna().all()  # no table: grey circles


def test_play_stops_on_the_last_day():
    assert maps.play_step(0, 89) == 1 and maps.play_step(88, 89) == 89 and maps.play_step(89, 89) is None
