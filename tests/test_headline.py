"""The headline's answer (`flowsim.headline`): what it blames and what it says to add must be what
the run's tables support."""

from __future__ import annotations

import pandas as pd

import flowsim
from flowsim.headline import CAUSE_RESOURCE, headline, sentence


def facts(overrides: dict, scenario: str = "town", days: float = 30) -> tuple:
    r = flowsim.run(flowsim.load_scenario(scenario, {"horizon_days": days, **overrides}), seed=1)
    return headline(pd.DataFrame([r.summary]), r.timeseries, r.resources, r.waits, r.transfers), r


def test_a_pool_the_scenario_has_none_of_jams_first_when_patients_die_waiting_for_it():
    """ICU beds ×0: patients die waiting for an ICU bed that does not exist. It said "No pool of beds
    or vehicles was ever entirely full" (a pool of no beds was never counted as full)."""
    h, _ = facts({"capacity_scale.icu_beds": 0})
    assert h.jam is not None and h.jam.resource == "icu_beds" and h.jam.absent
    assert next(iter(h.causes)) == "icu_bed" and h.add_first == "icu_beds"
    assert sentence(h).startswith("ICU beds (tier 3) jam first: there are none in this scenario;")
    assert sentence(h, "vi").startswith("Giường hồi sức tích cực (tầng 3) quá tải đầu tiên: kịch bản này không có;")


def test_what_it_says_to_add_was_short_and_more_of_what_was_not_changes_nothing():
    """Deaths before a deterioration is noticed were blamed on home monitoring being full, and more
    teams recommended, when monitoring was never over its capacity: more teams saved no one. Now
    the headline recommends only a resource that was short (a pool full, a queue for it,
    monitoring over capacity somewhere)."""
    h, r = facts({}, "hanoi", 15)  # Hanoi as reported: monitoring never over its capacity
    district = r.resources[(r.resources["level"] == "district") & (r.resources["kind"] == "home")]
    assert not (district["days_full"] > 0).any()  # monitoring never over capacity, here
    assert h.causes.get("detection", 0) > 0 and "late_detection" not in h.causes
    assert h.add_first != "home_monitoring"
    more, _ = facts({"capacity_scale.home_monitoring": 3}, "hanoi", 15)
    assert more.died_waiting == h.died_waiting  # three times the teams change nothing: right not to ask for them
    res = r.resources[r.resources["level"] == "pool"].set_index("resource")
    if h.add_first is not None:
        pool = {"icu_beds": "ICU beds", "oxygen_beds": "oxygen beds", "ambulances": "ambulances"}[h.add_first]
        assert res.loc[pool, "days_full"] > 0 or res.loc[pool, "max_queue"] > 0
    starved, _ = facts({"capacity_scale.home_monitoring": 0.3}, "hanoi", 15)
    assert "late_detection" in starved.causes and starved.add_first in {"home_monitoring", "icu_beds", "oxygen_beds"}
    assert [CAUSE_RESOURCE.get(c) for c in starved.causes if c in CAUSE_RESOURCE][0] is not None
