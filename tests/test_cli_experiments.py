"""`flowsim run --replications`, `sweep`, `compare`, `bottlenecks` end to end, as from a shell."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from flowsim.cli import main

from .conftest import base_config, crowded_changes


@pytest.fixture
def config(tmp_path: Path) -> Path:
    data = base_config()
    from flowsim.config import apply_override

    for path, value in crowded_changes().items():
        apply_override(data, path, value)
    file = tmp_path / "crowded.yaml"
    file.write_text(yaml.safe_dump(data))
    return file


def test_run_with_replications_writes_every_replication_and_the_intervals(config: Path, tmp_path: Path, capsys):
    out = tmp_path / "reps"
    assert main(["run", str(config), "--replications", "4", "--executor", "serial", "--out", str(out),
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "4 replications (4 run)" in printed and "died" in printed
    summary = pd.read_csv(out / "summary.csv")
    # below 5 runs the table gives their range, not a t-interval wider than the figure
    assert "range of the runs" in printed and "95% interval" not in printed.split("fewer than")[0]
    died = next(line for line in printed.splitlines() if line.startswith("died "))
    assert f"{summary['died'].min():,} to {summary['died'].max():,}" in died
    assert list(summary["replication"]) == [0, 1, 2, 3] and summary["died"].nunique() > 1
    iv = pd.read_csv(out / "intervals.csv").set_index("figure")
    assert iv.loc["died", "mean"] == pytest.approx(summary["died"].mean()) and iv.loc["died", "n"] == 4
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert sorted(ts["replication"].unique()) == [0, 1, 2, 3]
    for name in ("resources.csv", "overview.png", "scenario.yaml", "manifest.yaml"):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / "replications").glob("*.json"))) == 4


def test_run_auto_says_how_many_replications_it_needed(config: Path, tmp_path: Path, capsys):
    assert main(["run", str(config), "--replications", "auto", "--precision", "0.1", "--executor", "serial",
                 "--out", str(tmp_path / "auto"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    needed = int(printed.split(" replications needed")[0].split("\n")[-1])
    assert len(pd.read_csv(tmp_path / "auto" / "summary.csv")) == needed


def test_sweep_writes_a_tidy_table_and_a_heatmap(config: Path, tmp_path: Path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", str(config), "--vary", "capacity_scale.oxygen_beds=1:1.5:0.25",
                 "--vary", "arrivals.rate_per_day=40,60", "--replications", "2", "--executor", "serial",
                 "--out", str(out), "--quiet"]) == 0
    assert "6 grid points × 2 replications" in capsys.readouterr().out
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 12 and {"capacity_scale.oxygen_beds", "arrivals.rate_per_day", "replication",
                                 "died"} <= set(table.columns)
    iv = pd.read_csv(out / "sweep_intervals.csv")
    assert len(iv[iv["figure"] == "died"]) == 6
    assert (out / "sweep_died.png").stat().st_size > 0


def test_compare_files_and_variants_writes_differences_and_a_forest_plot(config: Path, tmp_path: Path, capsys):
    other = tmp_path / "busier.yaml"
    data = yaml.safe_load(config.read_text())
    data["arrivals"]["rate_per_day"] = 70
    other.write_text(yaml.safe_dump(data))
    out = tmp_path / "compare"
    assert main(["compare", str(config), str(other), "--variant", "more oxygen: capacity_scale.oxygen_beds=1.5",
                 "--replications", "3", "--executor", "serial", "--out", str(out), "--quiet",
                 "--figures", "died,wait_tier2_p90"]) == 0
    printed = capsys.readouterr().out
    assert "baseline: crowded" in printed and "more oxygen: died" in printed and "busier: wait_tier2_p90" in printed
    diffs = pd.read_csv(out / "comparison.csv")
    assert set(diffs["scenario"]) == {"busier", "more oxygen"} and (diffs["baseline"] == "crowded").all()
    assert (out / "forest.png").stat().st_size > 0


def test_bottlenecks_writes_a_ranking_and_a_bar_chart(config: Path, tmp_path: Path, capsys):
    out = tmp_path / "bn"
    assert main(["bottlenecks", str(config), "--replications", "2", "--executor", "serial", "--out", str(out),
                 "--quiet"]) == 0
    assert "deaths averted" in capsys.readouterr().out
    ranking = pd.read_csv(out / "bottlenecks.csv")
    assert {"oxygen_beds", "icu_beds", "station_beds", "home_monitoring"} <= set(ranking["resource"])
    assert (out / "bottlenecks.png").stat().st_size > 0


@pytest.mark.parametrize("args, expected", [
    (["sweep", "{config}", "--vary", "capacity_scale.oxygen_beds"], "flowsim: config error: --vary "
     "capacity_scale.oxygen_beds: expected path=v1,v2,... or path=start:stop:step"),
    (["sweep", "{config}", "--vary", "capacity_scale.oxygen=1,2"], "flowsim: config error: --vary "
     "capacity_scale.oxygen: capacity_scale.oxygen: Extra inputs are not permitted"),
    (["sweep", "{config}"], "flowsim: config error: --vary: give at least one factor"),
    (["sweep", "{config}", "--vary", "arrivals.rate_per_day=1,2", "--figure", "deaths"],
     "flowsim: config error: --figure deaths: not a key figure"),
    (["run", "{config}", "--replications", "auto", "--figure", "nope"], "--figure nope: not a key figure"),
    (["compare", "{config}"], "flowsim: config error: compare: give at least two scenarios"),
    (["compare", "{config}", "{config}", "--figures", "died,deaths"], "--figures deaths: not a key figure"),
    (["run", "{config}", "--replications", "2", "--patients"], "--patients: per-patient records are for a single"),
    (["compare", "{config}", "--variant", "x: capacity_scale.nope=2"], "--variant x: capacity_scale.nope: Extra"),
    (["run", "{config}", "--replications", "2", "--executor", "dask", "--scheduler", "localhost:8786"],
     "flowsim: error: --scheduler localhost:8786: expected an address like tcp://HOST:PORT"),
    (["run", "{config}", "--replications", "2", "--executor", "serial", "--scheduler", "tcp://h:1"],
     "flowsim: error: --scheduler: only used with --executor dask"),
    (["run", "{config}", "--replications", "2", "--executor", "threads"],
     "flowsim run: error: argument --executor: invalid choice: 'threads'"),
    (["run", "{config}", "--replications", "0"], "flowsim run: error: argument --replications: must be from 1 to 10,000 (got 0)"),
    (["run", "{config}", "--replications", "auto", "--precision", "5"], "argument --precision: must be between"),
])
def test_bad_experiment_input_is_one_clear_line(config: Path, tmp_path: Path, capsys, args, expected):
    argv = [a.replace("{config}", str(config)) for a in args] + ["--out", str(tmp_path / "x"), "--quiet"]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert expected in err and "Traceback" not in err and len(err.splitlines()) == 1, err


def test_resume_of_a_different_config_is_refused_in_one_clear_line(config: Path, tmp_path: Path, capsys):
    out = str(tmp_path / "exp")
    common = ["--executor", "serial", "--out", out, "--quiet"]
    assert main(["run", str(config), "--replications", "2", *common]) == 0
    assert main(["run", str(config), "--replications", "2", "--resume", "--set", "arrivals.rate_per_day=60",
                 *common]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"flowsim: error: --resume: {out} was made from a different config (scenario 'test': "
                   "arrivals.rate_per_day is 50.0 there, 60.0 now); use another --out, or --overwrite to discard it")


@pytest.mark.slow
def test_a_killed_run_resumes_without_losing_or_repeating_a_replication(config: Path, tmp_path: Path, capsys):
    """The whole process is killed (SIGKILL, no chance to clean up) part-way; --resume finishes."""
    out = tmp_path / "killed"
    data = yaml.safe_load(config.read_text())
    data["horizon_days"] = 400  # about 0.3 s a replication: time to kill it part-way
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump(data))
    cmd = [sys.executable, "-m", "flowsim", "run", str(slow), "--replications", "8", "--executor", "serial",
           "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list((out / "replications").glob("*.json"))) < 3 and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = {p.name: p.stat().st_mtime_ns for p in (out / "replications").glob("*.json")}
    assert 3 <= len(saved) < 8, "killed part-way"

    assert main(["run", str(slow), "--replications", "8", "--executor", "processes", "--workers", "2",
                 "--out", str(out), "--quiet", "--resume"]) == 0
    assert f"({8 - len(saved)} run, {len(saved)} read back" in capsys.readouterr().out
    after = {p.name: p.stat().st_mtime_ns for p in (out / "replications").glob("*.json")}
    assert len(after) == 8 and all(after[name] == mtime for name, mtime in saved.items()), "none rerun"

    fresh = tmp_path / "fresh"
    assert main(["run", str(slow), "--replications", "8", "--executor", "processes", "--workers", "2",
                 "--out", str(fresh), "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), pd.read_csv(fresh / "summary.csv"),
                                  check_exact=True)


@pytest.mark.slow
def test_dask_executor_starts_a_local_cluster_when_no_scheduler_is_given(config: Path, tmp_path: Path, capsys):
    pytest.importorskip("distributed")
    assert main(["run", str(config), "--replications", "3", "--executor", "dask", "--workers", "2",
                 "--out", str(tmp_path / "d"), "--quiet"]) == 0
    assert main(["run", str(config), "--replications", "3", "--executor", "serial",
                 "--out", str(tmp_path / "s"), "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "d" / "summary.csv"),
                                  pd.read_csv(tmp_path / "s" / "summary.csv"), check_exact=True)
