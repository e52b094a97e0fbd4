"""Hanoi's January 2022 census against the model (`flowsim.census`), and `flowsim validate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowsim import census, validation
from flowsim.cli import main
from flowsim.plots import census_comparison


@pytest.mark.slow
def test_census_comparison_reads_the_report_and_scales_with_arrivals():
    result = census.january_2022(reps=2, horizon_days=42, window=(28, 42))
    assert set(result.table["counted_by"]) == {"need", "facility"}
    both = result.table.set_index(["reading", "counted_by", "quantity"])
    # the two ways of counting put the same patients in different tiers: the totals agree
    for reading in census.READINGS:
        assert both.loc[(reading, "need", "total"), "model"] == pytest.approx(both.loc[(reading, "facility", "total"),
                                                                                       "model"])
        # mild F0 in moderate-care hospitals' tier-1 beds count at tier 2 by facility
        assert both.loc[(reading, "facility", "tier 2"), "model"] > both.loc[(reading, "need", "tier 2"), "model"]
        assert both.loc[(reading, "facility", census.TIER2_FROM_SHARE), "reported"] == 1_301
    t = result.table[result.table["counted_by"] == "facility"].set_index(["reading", "quantity"])
    readings = list(census.READINGS)
    care = census.TIME_IN_CARE
    for reading, rate in census.READINGS.items():
        for tier, count in census.REPORTED_CENSUS.items():
            assert t.loc[(reading, tier), "reported"] == count
        assert t.loc[(reading, "total"), "reported"] == 42_040
        assert t.loc[(reading, care), "reported"] == pytest.approx(42_040 / rate)
        # both sides by Little's law: census ÷ arrivals
        assert t.loc[(reading, care), "model"] == pytest.approx(t.loc[(reading, "total"), "model"] / rate)
    assert np.allclose(result.table["error"], result.table["model"] / result.table["reported"] - 1)
    # No tier-1 pool binds at either level, so the tier-1 census scales with the arrival rate.
    ratio = t.loc[(readings[1], "tier 1"), "model"] / t.loc[(readings[0], "tier 1"), "model"]
    rates = census.READINGS[readings[1]] / census.READINGS[readings[0]]
    assert ratio == pytest.approx(rates, rel=0.03)
    fig = census_comparison(result.table, result.series, result.window, census.REPORTED_CENSUS)
    assert len(fig.axes) == 2
    assert set(result.series["reading"]) == set(readings)


def test_validate_prints_the_table_and_exits_nonzero_on_a_failure(tmp_path: Path, capsys, monkeypatch):
    out = tmp_path / "val"
    assert main(["validate", "--quick", "--case", "mginf", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "M/G/∞" in printed and "1 of 1 checks pass" in printed
    table = pd.read_csv(out / "validation.csv")
    assert table["passed"].all() and {"theory", "mean", "ci_low", "ci_high"} <= set(table.columns)

    wrong = validation.Check("M/G/∞  home", "mean census, wrong theory", 6000.0, np.array([5000.0, 5001, 4999]), 0.01)
    monkeypatch.setitem(validation.CASES, "mginf", lambda quick: [wrong])
    assert main(["validate", "--case", "mginf", "--out", str(out), "--quiet"]) == 1
    assert "FAIL" in capsys.readouterr().out
