"""`flowsim run` end to end, as an analyst uses it from a shell."""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import flowsim
from flowsim.cli import FLAGS, flagged, main, parser
from flowsim.config import ConfigError, load_scenario
from flowsim.metrics import SUMMARY_COLUMNS
from flowsim.store import StoreError

from .conftest import base_config

REQUIRED = ["replication", "seed", "arrivals", "initial_census", "recovered", "died", "died_waiting",
            "in_system_end", "peak_tier1", "peak_tier2", "peak_tier3", "wait_tier2_p90", "wait_tier3_p90"]


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    data = base_config()
    data["risk_groups"][0].update(p_deteriorate=0.2, p_escalate=0.3)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_writes_every_output(small_config: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--days", "20", "--seed", "5", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "oxygen-bed wait p50 / p90" in printed and "conservation" in printed and "holds" in printed
    for name in ("summary.csv", "timeseries.parquet", "resources.parquet", "overview.png", "scenario.yaml"):
        assert (out / name).stat().st_size > 0, name
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:2]) == ["replication", "seed"]
    assert set(REQUIRED) <= set(summary.columns) <= set(SUMMARY_COLUMNS)
    row = summary.iloc[0]
    assert row["seed"] == 5
    assert row["arrivals"] + row["initial_census"] == row["recovered"] + row["died"] + row["in_system_end"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["time"].iloc[-1] == 20
    resources = pd.read_parquet(out / "resources.parquet")
    assert {"utilisation", "share_time_full", "mean_queue", "max_queue", "blocked_bed_days"} <= set(resources.columns)
    queues, home = pd.read_parquet(out / "queues.parquet"), pd.read_parquet(out / "home.parquet")
    for tier in (1, 2, 3):  # each list counted once: its own ward's, or once for the wards sharing it
        q = queues[queues["tier"] == tier]
        shared = q[q["shared_by"] > 0].groupby("time")["waiting_shared"].max()
        waiting = q.groupby("time")["waiting_own"].sum().add(shared, fill_value=0).reindex(ts["time"], fill_value=0)
        if len(q):  # a tier with wards: every patient waiting for one of its beds is on a list they serve
            assert (waiting.to_numpy() == ts[f"queue_tier{tier}"].to_numpy()).all()
    assert (home.groupby("time")["at_home"].sum().to_numpy() == ts["home_census"].to_numpy()).all()


def test_set_override_changes_the_run(small_config: Path, tmp_path: Path):
    main(["run", str(small_config), "--out", str(tmp_path / "a"), "--quiet"])
    main(["run", str(small_config), "--out", str(tmp_path / "b"), "--quiet", "--set", "arrivals.rate_per_day=5"])
    a = pd.read_csv(tmp_path / "a" / "summary.csv").iloc[0]
    b = pd.read_csv(tmp_path / "b" / "summary.csv").iloc[0]
    assert b["arrivals"] < a["arrivals"] / 5


@pytest.mark.parametrize("args, expected", [
    (["--set", "facilities.1.beds.tier2=-3"], "facilities[1].beds.tier2: Input should be greater than or equal to 0"),
    (["--set", "bogus_field=1"], "bogus_field: Extra inputs are not permitted"),
    (["--set", "risk_groups.0.p_escalate=2"], "risk_groups[0].p_escalate:"),
    (["--preset", "nope"], "--preset nope: unknown preset"),
])
def test_bad_input_is_one_clear_line(small_config: Path, tmp_path: Path, capsys, args, expected):
    assert main(["run", str(small_config), "--out", str(tmp_path), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_the_library_names_the_field_and_the_cli_the_flag(small_config: Path):
    with pytest.raises(ConfigError) as info:
        load_scenario(small_config, presets=["nope"])
    assert str(info.value).startswith("presets nope: unknown preset") and info.value.field == "presets"
    assert flagged(info.value).startswith("--preset nope: unknown preset")
    with pytest.raises(StoreError) as held:
        raise StoreError.at("store", "add `resume=True` to finish it, or `overwrite=True` to discard it", "out/x")
    assert flagged(held.value) == "--out out/x: add --resume to finish it, or --overwrite to discard it"


def _flags() -> set[str]:
    """Every option string of every subcommand."""
    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices.values()
    return {flag for command in commands for action in command._actions for flag in action.option_strings}


def test_every_field_the_cli_renames_is_a_flag_it_has():
    assert set(FLAGS.values()) <= _flags()


def test_no_library_error_names_a_flag():
    """Errors raised in the library name fields (`replications`), never flags (`--replications`)."""
    found = []
    for path in sorted(Path(flowsim.__file__).parent.glob("*.py")):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for text in ast.walk(node.exc):
                    if isinstance(text, ast.Constant) and isinstance(text.value, str) and re.search(r"--[a-z]", text.value):
                        found.append(f"{path.name}:{node.lineno}: {text.value}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("flag", [["--days", "-4"], ["--days", "soon"], ["--seed", "-1"]])
def test_bad_flags_are_rejected(flag, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", *flag])
    assert info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--figure", "nosuch"], ["--figure", "died_waiting", "--replications", "3"],
                                   ["--precision", "0.1"], ["--max-replications", "9", "--replications", "2"]])
def test_flags_that_only_steer_auto_replications_are_refused_without_them(flags, capsys):
    """`--figure`, `--precision` and `--max-replications` only steer `--replications auto`: accepted
    and ignored, they let an analyst think a figure was made precise."""
    assert main(["run", "--days", "1", *flags]) == 2
    err = capsys.readouterr().err
    assert f"{flags[0]}: only with --replications auto" in err and "Traceback" not in err


def test_builtin_hanoi_from_a_fresh_shell(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "flowsim", "run", "--days", "5", "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Hanoi, January 2022" in proc.stdout
    assert (tmp_path / "overview.png").exists()
