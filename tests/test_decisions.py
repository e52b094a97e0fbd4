"""The decision tools on small networks where the answer is known."""

from __future__ import annotations

from pathlib import Path

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
            "--executor", "serial", "--out", str(out)]
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
    (["--step", "0.2"], "--step: only with --by resource"),
    (["--replications", "1"], "--replications 1: --by facility needs at least 2"),
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
