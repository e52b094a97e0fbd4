"""flowsim against queueing theory (the cases of `flowsim validate`, in their quick sizes), and the
machinery that judges them."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowsim
from flowsim import queueing, teaching
from flowsim import validation as v
from flowsim.config import build

from .conftest import base_config
from .test_conservation import networks


def _all_pass(checks: list[v.Check]) -> None:
    table = v.judge(checks)
    assert table["passed"].all(), "\n" + v.format_table(table)


# -- the formulas and the judge ---------------------------------------------------------------------

def test_erlang_formulas_match_closed_forms():
    # Erlang B from its definition, (a^c/c!) / sum_k a^k/k!
    for c, a in [(1, 0.5), (5, 3.0), (10, 8.0), (30, 30.0)]:
        terms = [a**k / math.factorial(k) for k in range(c + 1)]
        assert queueing.erlang_b(c, a) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)
    assert queueing.erlang_b(5, 3.0) == pytest.approx(0.110054, abs=1e-6)  # textbook table value
    # M/M/1: P(wait) = ρ, Wq = ρ / (μ − λ); M/M/2 with a = 1: P(wait) = 1/3
    assert queueing.erlang_c(1, 0.7) == pytest.approx(0.7)
    assert queueing.mmc_mean_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    assert queueing.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert queueing.erlang_c(3, 3.5) == 1.0  # overloaded: everyone waits


def test_judge_passes_truth_and_fails_a_wrong_theory_or_a_vague_estimate():
    rng = np.random.default_rng(0)
    sharp = rng.normal(1.0, 0.01, 10)
    table = v.judge([v.Check("c", "right", 1.0, sharp, 0.05).row(),
                     v.Check("c", "wrong by 5%", 1.05, sharp, 0.05).row(),
                     v.Check("c", "vague", 1.0, rng.normal(1.0, 0.5, 10), 0.05).row()])
    assert table["passed"].tolist() == [True, False, False]
    assert "outside" in table["note"][1] and "imprecise" in table["note"][2]
    assert (table["ci_low"] < table["mean"]).all() and (table["mean"] < table["ci_high"]).all()


def test_judge_widens_for_the_number_of_checks():
    # 3.5 standard errors off: outside the interval of a single check, inside one widened for 20
    values = np.array([0.0, 2.0] * 5)
    se = values.std(ddof=1) / math.sqrt(len(values))
    row = v.Check("c", "q", 1.0 - 3.5 * se, values, 10.0).row()
    assert not v.judge([row])["passed"].iloc[0]
    assert v.judge([row] * 20)["passed"].all()


# -- exact path-by-path agreement and bookkeeping ---------------------------------------------------

def test_tandem_matches_the_independent_event_loop_path_by_path():
    scenario = teaching.load("tandem", {"horizon_days": 600, "warmup_days": 50})
    for rep in range(3):
        got = teaching.tandem_measure(flowsim.run(scenario, seed=11, replication=rep))
        same = queueing.tandem_reference(scenario, v.tandem_flowsim_inputs(scenario, 11, rep))
        assert got["blocked_beds"] > 0 and got["overflow"] > 0  # the case exercises blocking and overflow
        for q in got:
            assert got[q] == pytest.approx(same[q], rel=1e-9, abs=1e-12), q


def test_mmc_waits_equal_the_fifo_recursion_path_by_path():
    scenario = teaching.load("mmc", {"horizon_days": 3_000, "warmup_days": 0, "arrivals.rate_per_day": 1.9})
    r = flowsim.run(scenario, seed=4)
    done = r.waits[r.waits["status"] == "admitted"]
    cohort = v.flowsim_cohort(scenario, 4, 0)
    reference = queueing.fifo_waits(cohort.arrival, cohort.tier2_stay, 10)
    assert len(done) > 5_000 and (done["wait"] > 0).mean() > 0.5
    np.testing.assert_allclose(done["wait"].to_numpy(), reference[done["patient"].to_numpy()], atol=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(0, 2**31), st.floats(0.0, 0.9))
def test_time_average_occupancy_equals_the_sum_of_stays(scenario, seed, warm_share):
    """Little's law on a sample path, exactly: over any window, the integral of a pool's level
    (from the level logs) equals the summed overlap of its stays (from the per-stay records)."""
    scenario = scenario.model_copy(update={"warmup_days": warm_share * scenario.horizon_days})
    r = flowsim.run(scenario, seed=seed, stays=True)
    start, end = scenario.warmup_days, scenario.horizon_days
    st_ = r.stays
    overlap = (np.minimum(st_["end"].fillna(end), end) - np.maximum(st_["start"], start)).clip(lower=0)
    by_pool = overlap.groupby(st_["pool"], observed=True).sum()
    res = r.resources.set_index("resource")
    for pool in ("station beds", "hospital tier-1 beds", "oxygen beds", "ICU beds", "home monitoring"):
        assert res.loc[pool, "mean_occupied"] * (end - start) == pytest.approx(by_pool.get(pool, 0.0), abs=1e-6), pool


def test_blocked_bed_days_count_blocks_still_under_way_at_the_horizon():
    # The station patient needs oxygen from day 3; the only oxygen bed is taken until day 30; the run ends on day 20.
    data = base_config()
    data["facilities"] = [{"name": "Station", "kind": "station", "district": "North", "beds": {"tier1": 1}},
                          {"name": "H", "kind": "hospital", "district": "South", "beds": {"tier2": 1}}]
    s = build(data, [("arrivals.rate_per_day", 0), ("initial_census", {"tier1_facility": 1, "tier2": 1, "part_way": False}),
                     ("risk_groups.0.p_deteriorate", 1.0), ("clinical.tier2_stay", {"dist": "fixed", "value": 30}),
                     ("horizon_days", 20), ("warmup_days", 5)])
    r = flowsim.run(s)
    assert r.resources.set_index("resource").loc["Station / tier 1", "blocked_bed_days"] == pytest.approx(15.0)


# -- the reference cases, quick sizes ---------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("load", v.MMC_LOADS)
def test_mmc_ward_agrees_with_erlang_c(load):
    _all_pass(v.mmc(load, quick=True))


@pytest.mark.slow
def test_station_blocking_is_erlang_b_whatever_the_stay_law():
    _all_pass([c for stay in v.ERLANG_B_STAYS for c in v.erlang_b_case(stay, quick=True)])


@pytest.mark.slow
def test_home_census_is_arrival_rate_times_mean_stay():
    _all_pass(v.mginf(quick=True))


@pytest.mark.slow
def test_littles_law_holds_on_every_pool_of_hanoi():
    checks = v.little(quick=True)
    assert {c.quantity.split("  ")[1] for c in checks} == {"station beds", "hospital tier-1 beds", "oxygen beds",
                                                          "ICU beds", "home monitoring"}
    _all_pass(checks)


@pytest.mark.slow
def test_tandem_blocking_agrees_with_the_independent_event_loop():
    _all_pass(v.tandem(quick=True))


@pytest.mark.slow
def test_a_three_percent_error_in_load_is_caught():
    """The cases can fail: M/M/c runs at ρ = 0.8 judged against Erlang C for a 3% lighter load."""
    checks = v.mmc(0.8, quick=True, reps=6, horizon_days=12_000)
    assert v.judge(checks)["passed"].all()
    wrong = [replace(checks[0], theory=queueing.erlang_c(10, 0.97 * 8.0)), *checks[1:]]
    assert v.judge(wrong)["passed"].tolist() == [False, True, True, True]
