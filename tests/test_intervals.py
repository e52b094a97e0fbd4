"""Intervals across replications, paired differences, and the replication algorithm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowsim.intervals import (
    look_ahead_for,
    paired_differences,
    replications_needed,
    t_interval,
    welch_half_width,
)


def test_t_interval_textbook_values():
    iv = t_interval([1, 2, 3, 4, 5])
    # mean 3, sd sqrt(2.5), t(0.975, 4) = 2.7764451
    assert iv.n == 5 and iv.mean == 3
    assert iv.sd == pytest.approx(1.5811388, rel=1e-6)
    assert iv.half_width == pytest.approx(2.7764451 * 1.5811388 / np.sqrt(5), rel=1e-6)
    assert (iv.lower, iv.upper) == pytest.approx((3 - iv.half_width, 3 + iv.half_width))


def test_undefined_values_are_left_out_and_counted():
    iv = t_interval([2.0, np.nan, 4.0])
    assert iv.n == 2 and iv.mean == 3
    assert np.isnan(t_interval([7.0]).half_width) and t_interval([7.0]).mean == 7
    assert t_interval([]).n == 0 and np.isnan(t_interval([]).mean)
    assert t_interval([5, 5, 5]).half_width == 0 and t_interval([5, 5, 5]).relative_half_width == 0


def test_the_95_percent_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    samples = rng.normal(2.0, 1.5, size=(4000, 8))  # few replications: the t quantile matters
    covered = [iv.lower <= 2.0 <= iv.upper for iv in map(t_interval, samples)]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.01)


def test_paired_interval_is_narrow_when_scenarios_move_together():
    rng = np.random.default_rng(1)
    luck = rng.normal(100, 20, 12)  # what the shared random numbers do to both scenarios
    table = pd.DataFrame({
        "scenario": ["A"] * 12 + ["B"] * 12,
        "replication": list(range(12)) * 2,
        "died": np.concatenate([luck, luck - 5 + rng.normal(0, 1, 12)]),
    })
    d = paired_differences(table, "A").iloc[0]
    assert d["scenario"] == "B" and d["figure"] == "died"
    assert d["lower"] < -5 < d["upper"]
    assert d["half_width"] < d["half_width_unpaired"] / 5
    assert d["half_width_unpaired"] == pytest.approx(welch_half_width(luck, luck - 5 + 0 * luck), rel=0.2)


def _precise_after(n_noisy: int, rng: np.random.Generator) -> list[float]:
    """Values that scatter widely for n_noisy replications, then settle close to 100."""
    return list(rng.normal(100, 60, n_noisy)) + list(100 + rng.normal(0, 0.5, 200))


def test_replications_needed_is_the_first_count_whose_precision_holds_over_the_look_ahead():
    values = _precise_after(6, np.random.default_rng(0))
    decision = replications_needed(values, precision=0.05)
    n = decision.needed
    assert n is not None
    rel = [t_interval(values[:m]).relative_half_width for m in range(1, len(values) + 1)]
    assert all(rel[m - 1] <= 0.05 for m in range(n, n + look_ahead_for(n) + 1))
    # no smaller count qualifies: each either misses the precision or loses it within its look-ahead
    for m in range(3, n):
        assert any(rel[j - 1] > 0.05 for j in range(m, m + look_ahead_for(m) + 1))


def test_precision_reached_then_lost_is_not_enough():
    # precise after 3 values, then a wild value in the look-ahead: the algorithm must go on
    values = [100, 100.5, 99.5, 100.2, 160, 100, 100, 100, 100, 100] + [100] * 40
    assert t_interval(values[:3]).relative_half_width <= 0.05
    assert replications_needed(values, 0.05).needed > 5


def test_the_decision_does_not_depend_on_batch_size():
    values = _precise_after(8, np.random.default_rng(5))
    final = replications_needed(values, 0.02).needed
    # seeing the values a few at a time: undecided until enough are in, then the same answer
    for batch in (1, 2, 7):
        seen = 0
        while True:
            decision = replications_needed(values[:seen], 0.02)
            if decision.needed is not None:
                break
            assert decision.next_count > seen
            seen = max(decision.next_count, seen + batch)
        assert decision.needed == final


def test_look_ahead_grows_past_100_replications():
    assert look_ahead_for(10) == 5 and look_ahead_for(100) == 5 and look_ahead_for(400) == 20
