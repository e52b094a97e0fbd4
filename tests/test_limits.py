"""Bad or too-large input: one line naming the field or flag, exit code 2, before any work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

import flowsim
from flowsim.cli import main
from flowsim.config import ConfigError, parse_yaml
from flowsim.limits import TooLarge, check_memory, expected_arrivals, missing_beds

from .conftest import base_config, scenario


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(base_config()))
    return path


def refused(argv: list[str], capsys) -> str:
    """Run the CLI; it must exit 2 within seconds, with one line on stderr; that line is returned."""
    start = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert time.perf_counter() - start < 10
    return err


@pytest.mark.parametrize(("argv", "names"), [
    (["--set", "arrivals.rate_per_day=.inf"], "arrivals.rate_per_day: Input should be a finite number"),
    (["--set", "horizon_days=1.0e+300"], "horizon_days: Input should be less than or equal to 100000"),
    (["--set", "arrivals.rate_per_day=1.0e+7"], "arrivals.rate_per_day: Input should be less than or equal to 1000000"),
    (["--set", "clinical.tier2_stay.value=.nan"], "clinical.tier2_stay.value: Input should be a finite number"),
    (["--days", "1e6"], "argument --days: must be a number of days above 0 and at most 100000"),
    (["--days", "inf"], "argument --days"),
    (["--days", "100001"], "argument --days"),
    (["--days", "\x1e"], "argument --days: '\\x1e' is not a number of days"),  # a control character stays one line
    (["--set", "name=a\nb\x1e", "--set", "horizon_days=x\ny"], "horizon_days: Input should be a valid number"),
    (["--replications", "100000"], "argument --replications: must be from 1 to 10,000"),
    (["--replications", "2", "--workers", "5000"], "argument --workers: must be from 1 to 1,024"),
    (["--set", "arrivals.rate_per_day=1000000"], "run too large"),
    (["--set", "record_step_days=0.0000001"], "record steps"),
    (["--max-memory", "0.01"], "more than the 0.0 GB allowed"),
])
def test_bad_numbers_are_one_line_before_any_work(argv: list[str], names: str, config: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    err = refused(["run", str(config), "--quiet", "--out", str(out), *argv], capsys)
    assert names in err
    assert not (out / "summary.csv").exists()


def test_too_large_says_the_estimate_and_the_override(config: Path, capsys):
    err = refused(["run", str(config), "--set", "arrivals.rate_per_day=1000000", "--days", "3650"], capsys)
    assert "≈ 3,650,000,000 patients" in err and "GB of memory" in err and "--max-memory GB" in err


def test_experiments_count_the_runs_at_once(config: Path, tmp_path: Path, capsys):
    err = refused(["sweep", str(config), "--vary", "arrivals.rate_per_day=50,100", "--workers", "4",
                   "--max-memory", "0.5", "--out", str(tmp_path / "sw")], capsys)
    assert "× 4 runs at once" in err and "fewer --workers" in err


@pytest.mark.parametrize("out", ["/proc/flowsim-cannot", "{file}/sub"])
@pytest.mark.parametrize("command", [["run"], ["run", "--replications", "2"], ["validate", "--case", "mmc"],
                                     ["sweep", "--vary", "arrivals.rate_per_day=50,60"]])
def test_out_is_checked_before_simulating(out: str, command: list[str], config: Path, tmp_path: Path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    folder = out.format(file=a_file)
    argv = [*command, "--out", folder, "--quiet"]
    if command[0] != "validate":
        argv.insert(1, str(config))
    err = refused(argv, capsys)
    assert f"--out {folder}: cannot write there" in err


def test_every_built_in_scenario_loads_within_the_bounds():
    from flowsim.config import BUILTIN_DIR

    paths = sorted([*BUILTIN_DIR.glob("*.yaml"), *BUILTIN_DIR.glob("teaching/*.yaml")])  # scenarios, not targets
    assert len(paths) >= 6
    for path in paths:
        assert flowsim.load_scenario(path).horizon_days > 0, path


def test_a_duplicate_yaml_key_names_the_key_and_line(tmp_path: Path, capsys):
    text = yaml.safe_dump(base_config(), sort_keys=False).replace("horizon_days: 30\n", "horizon_days: 30\nhorizon_days: 60\n")
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    line = text.splitlines().index("horizon_days: 60") + 1
    err = refused(["run", str(path)], capsys)
    assert f"dup.yaml: duplicate key 'horizon_days' at line {line} (first at line {line - 1})" in err
    with pytest.raises(ConfigError, match="duplicate key 'rate_per_day'"):
        parse_yaml("arrivals: {rate_per_day: 3, rate_per_day: 4}")
    assert parse_yaml("a: &x {b: 1}\nc:\n  <<: *x\n  b: 2\n")["c"] == {"b": 2}  # a merge key may be overridden


def test_no_bed_at_a_needed_tier_warns(config: Path, tmp_path: Path, capsys):
    no_beds = ["--set", "capacity_scale.oxygen_beds=0", "--set", "capacity_scale.icu_beds=0",
               "--set", "risk_groups.0.p_deteriorate=0.2", "--set", "risk_groups.0.p_escalate=0.3"]
    assert main(["run", str(config), "--days", "5", "--quiet", "--out", str(tmp_path / "o"), *no_beds]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("flowsim: warning:")]
    assert len(warnings) == 2 and "oxygen beds" in warnings[0] and "ICU beds" in warnings[1]
    assert "no capacity at all: oxygen beds, ICU beds" in captured.out
    assert main(["run", str(config), "--days", "5", "--quiet", "--out", str(tmp_path / "p")]) == 0
    assert "warning" not in capsys.readouterr().err  # nobody deteriorates: no one needs those beds


def test_missing_beds_only_for_tiers_patients_need():
    assert missing_beds(scenario({"capacity_scale.oxygen_beds": 0, "capacity_scale.icu_beds": 0})) == []
    warned = missing_beds(scenario({"capacity_scale.icu_beds": 0, "risk_groups.0.p_deteriorate": 0.1,
                                    "risk_groups.0.p_escalate": 0.2}))
    assert len(warned) == 1 and "ICU beds" in warned[0]


def test_the_estimate_counts_the_patients_a_run_has():
    sc = scenario({"arrivals": {"profile": "wave", "base_per_day": 20, "peak_per_day": 200, "peak_day": 10,
                                "width_days": 4}})
    result = flowsim.run(sc, seed=3)
    assert result.summary["arrivals"] == pytest.approx(expected_arrivals(sc), rel=0.05)


def test_the_library_refuses_too_large_experiments_before_running():
    huge = scenario({"arrivals.rate_per_day": 1_000_000, "horizon_days": 3000})
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="max_memory_gb"):
        flowsim.replicate(huge, 2, executor="serial")
    assert time.perf_counter() - start < 5
    with pytest.raises(TooLarge):
        check_memory([scenario()], max_memory_gb=0.001)
    assert check_memory([scenario()]).patients == pytest.approx(50 * 30)
