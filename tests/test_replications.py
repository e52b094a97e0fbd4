"""Replications through the API: intervals, common random numbers, auto, and the resumable store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowsim
from flowsim.config import ConfigError
from flowsim.intervals import NOT_FIGURES, replications_needed, t_interval
from flowsim.replications import Interrupted, Task
from flowsim.store import StoreError

from .conftest import crowded


class Recording:
    """A serial executor that records every task it runs, and can be 'interrupted' (Ctrl-C)
    after a number of replications."""

    name = "recording"
    workers = 1

    def __init__(self, stop_after: int | None = None) -> None:
        self.ran: list[tuple[int, int]] = []
        self.stop_after = stop_after

    def map_unordered(self, fn: Callable, tasks: Sequence[Task]) -> Iterator:
        for task in tasks:
            if self.stop_after is not None and len(self.ran) >= self.stop_after:
                raise KeyboardInterrupt
            self.ran.append((task.scenario_index, task.replication))
            yield fn(task)

    def close(self) -> None:
        pass


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_replicate_gives_an_interval_for_every_key_figure():
    result = flowsim.replicate(crowded(), 5, seed=3, executor="serial")
    assert len(result.table) == 5 and list(result.table["replication"]) == [0, 1, 2, 3, 4]
    assert (result.table["seed"] == 3).all()
    numeric = [c for c in result.table.columns if c not in NOT_FIGURES]  # run identity and window: not figures
    assert set(result.intervals["figure"]) == set(numeric) and "died" in numeric
    died = result.intervals.set_index("figure").loc["died"]
    values = result.table["died"].to_numpy(float)
    assert values.std() > 0, "replications must differ from one another"
    assert died["mean"] == pytest.approx(values.mean())
    assert died["lower"] < died["mean"] < died["upper"] and died["n"] == 5
    assert {"oxygen beds", "ICU beds", "station beds"} <= set(result.pools["resource"])
    # the same call again gives the same numbers
    same(result.table, flowsim.replicate(crowded(), 5, seed=3, executor="serial").table)


def test_common_random_numbers_make_the_paired_interval_narrower():
    base = crowded()
    more_oxygen = flowsim.variant(base, {"capacity_scale.oxygen_beds": 1.3})
    comp = flowsim.compare({"now": base, "+30% oxygen": more_oxygen, "same again": crowded()}, 10, executor="serial")
    d = comp.differences.set_index(["scenario", "figure"])
    died = d.loc[("+30% oxygen", "died")]
    assert died["upper"] < 0, "more oxygen beds save lives, and the paired interval shows it"
    assert died["half_width"] < died["half_width_unpaired"] / 2
    # an identical scenario shares every random number: no difference at all, run by run
    assert d.loc[("same again", "died"), "difference"] == 0 and d.loc[("same again", "died"), "half_width"] == 0


def test_replication_i_is_the_same_run_whatever_else_is_in_the_experiment():
    alone = flowsim.replicate(crowded(), 3, executor="serial").table
    comp = flowsim.compare([crowded({"arrivals.rate_per_day": 70}), crowded()], 3, seed=crowded().seed,
                           executor="serial")
    inside = comp.replications.table
    inside = inside[inside["scenario"] == inside["scenario"].iloc[-1]]
    same(alone.drop(columns="scenario"), inside.drop(columns="scenario"))


def test_auto_stops_when_the_precision_is_reached_and_says_how_many():
    scenario = crowded()
    auto = flowsim.replicate(scenario, "auto", executor="serial", figure="died", precision=0.04)
    assert auto.auto is not None and auto.auto.converged
    n = auto.auto.needed
    assert auto.replications == n and len(auto.table) == n
    # the same answer as the algorithm over a long fixed run, and exactly `--replications n`
    long = flowsim.replicate(scenario, n + 15, executor="serial").table
    assert replications_needed(long["died"].tolist(), 0.04).needed == n
    same(auto.table, long.head(n))
    assert t_interval(auto.table["died"]).relative_half_width <= 0.04
    assert t_interval(long["died"].head(n - 1)).relative_half_width > 0.04 or n == 3
    assert f"{n} replications needed" in auto.auto.describe()


def test_auto_reports_when_the_budget_runs_out():
    result = flowsim.replicate(crowded(), "auto", executor="serial", figure="died", precision=0.001,
                               max_replications=6)
    assert result.auto is not None and not result.auto.converged
    assert result.replications == 6 and "not reached" in result.auto.describe()


@pytest.mark.parametrize("kwargs, message", [
    ({"figure": "deaths"}, "figure deaths: not a key figure"),
    ({"precision": 1.5}, "precision 1.5: must be between 0 and 1"),
])
def test_bad_auto_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        flowsim.replicate(crowded(), "auto", executor="serial", **kwargs)


def test_an_interrupted_experiment_resumes_with_only_the_missing_replications(tmp_path: Path):
    out = tmp_path / "exp"
    reference = flowsim.replicate(crowded(), 6, executor="serial").table

    first = Recording(stop_after=4)
    with pytest.raises(Interrupted, match="4 replications are saved .* `resume=True`"):
        flowsim.replicate(crowded(), 6, executor=first, store=out)
    assert len(list((out / "replications").glob("*.json"))) == 4

    with pytest.raises(StoreError, match="store .*: holds an unfinished experiment .*4 replications.* `resume=True`"):
        flowsim.replicate(crowded(), 6, executor="serial", store=out)

    second = Recording()
    resumed = flowsim.replicate(crowded(), 6, executor=second, store=out, resume=True)
    assert set(first.ran).isdisjoint(second.ran), "no replication runs twice"
    assert sorted(first.ran + second.ran) == [(0, r) for r in range(6)], "none is lost"
    assert (resumed.ran, resumed.reused) == (2, 4)
    same(resumed.table, reference)

    # finished: resuming again runs nothing; asking for more runs only the new ones
    third = Recording()
    more = flowsim.replicate(crowded(), 8, executor=third, store=out, resume=True)
    assert third.ran == [(0, 6), (0, 7)] and more.replications == 8


def test_resume_refuses_a_directory_made_from_a_different_config(tmp_path: Path):
    out = tmp_path / "exp"
    flowsim.replicate(crowded(), 2, executor="serial", store=out)
    with pytest.raises(StoreError, match=r"different config \(scenario 'test': waiting_hazard.tier2 is 0.2 there, "
                                         r"0.3 now\)"):
        flowsim.replicate(crowded({"waiting_hazard.tier2": 0.3}), 2, executor="serial", store=out, resume=True)
    with pytest.raises(StoreError, match="run with seed 7, not 8"):
        flowsim.replicate(crowded(), 2, seed=8, executor="serial", store=out, resume=True)
    with pytest.raises(StoreError, match="holds a `flowsim run` experiment, not `flowsim compare`"):
        flowsim.compare([crowded(), crowded()], 2, executor="serial", store=out, resume=True)
    # renaming the scenario changes no number: that is the same experiment
    renamed = flowsim.variant(crowded(), {"name": "renamed", "description": "same model"})
    assert flowsim.replicate(renamed, 2, executor="serial", store=out, resume=True).reused == 2


def test_overwrite_discards_and_a_finished_experiment_is_replaced(tmp_path: Path):
    out = tmp_path / "exp"
    with pytest.raises(Interrupted):
        flowsim.replicate(crowded(), 4, executor=Recording(stop_after=1), store=out)
    fresh = flowsim.replicate(crowded({"arrivals.rate_per_day": 30}), 2, executor="serial", store=out, overwrite=True)
    assert fresh.reused == 0 and len(list((out / "replications").glob("*.json"))) == 2
    again = flowsim.replicate(crowded(), 3, executor="serial", store=out)  # finished before: replaced
    assert again.reused == 0 and len(list((out / "replications").glob("*.json"))) == 3
    (out / "manifest.yaml").write_text("{not: [valid")
    with pytest.raises(StoreError, match="manifest.yaml is unreadable"):
        flowsim.replicate(crowded(), 1, executor="serial", store=out, resume=True)
    (out / "notes.txt").write_text("mine")
    flowsim.replicate(crowded(), 1, executor="serial", store=out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine", "only the experiment's own files are removed"


def test_a_saved_replication_is_a_small_self_describing_file(tmp_path: Path):
    flowsim.replicate(crowded(), 1, executor="serial", store=tmp_path)
    record = json.loads((tmp_path / "replications" / "000-0000.json").read_text())
    assert {"scenario", "replication", "seed", "summary", "pools", "config_hash"} <= set(record)
    assert "timeseries" not in record
    manifest = (tmp_path / "manifest.yaml").read_text()
    assert "flowsim_version: 0.1.0" in manifest and "seed: 7" in manifest and "config_hash:" in manifest
    assert flowsim.load_scenario(tmp_path / "scenarios" / "000.yaml") == crowded()
    assert np.isfinite(record["summary"]["died"])
