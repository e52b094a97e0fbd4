"""Fuzzing: hypothesis writes configs and command lines, valid and not, and flowsim must answer each
with exit code 0 or 2 and never a traceback; every run that completes conserves its patients.

The slow set runs over 1,000 cases; the quick suite a few dozen of the same.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flowsim.cli import main

from .conftest import base_config

MEMORY = "0.27"  # GB: the limit's own 250 MB for the process, plus room for ≈ 20,000 patients (runs stay quick)


def runs(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

FIELDS = [
    "horizon_days", "record_step_days", "warmup_days", "seed", "name", "arrivals.rate_per_day", "arrivals.profile",
    "arrivals.daily_cases", "arrivals.steps", "arrivals.peak_per_day", "arrivals.width_days",
    "districts.0.population", "districts.1.lat", "districts.0.home_monitoring_capacity",
    "facilities.0.beds.tier1", "facilities.1.beds.tier2", "facilities.1.beds.tier3", "facilities.1.kind",
    "facilities.0.district", "risk_groups.0.share", "risk_groups.0.p_deteriorate", "risk_groups.0.p_escalate",
    "risk_groups.0.home_share", "clinical.tier1_stay", "clinical.tier2_stay", "clinical.tier2_stay.value",
    "clinical.stay_multiplier", "capacity_scale.oxygen_beds", "capacity_scale.icu_beds", "waiting_hazard.tier2",
    "waiting_hazard.tier3", "initial_census.tier1_home", "initial_census.tier2", "routing.policy",
    "routing.tier1_overflow", "transport.travel_time", "home.antiviral_coverage", "no_such_field",
]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, 100000, 100001, 1e6, 1e6 + 1, 2**63, 50, 0.25]),
)
odd_strings = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "nan", ".inf", "1e3", "∞", "Hà Nội", "hospital", "gamma", "nearest_free", "\x00"]),
)
plausible = st.one_of(st.integers(0, 200), st.floats(0, 100, allow_nan=False), st.floats(0, 1, allow_nan=False))
values = plausible | plausible | st.recursive(
    st.one_of(numbers, odd_strings, st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(odd_strings | st.sampled_from(
        ["dist", "value", "mean_days", "shape", "scale", "from_day", "rate_per_day"]), inner, max_size=3)),
    max_leaves=6,
)
distributions = st.one_of(
    st.builds(lambda v: {"dist": "fixed", "value": v}, numbers | plausible),
    st.builds(lambda m: {"dist": "exponential", "mean_days": m}, numbers),
    st.builds(lambda a, b: {"dist": "gamma", "shape": a, "scale": b}, numbers, numbers),
)


def _set(data: dict, path: str, value: Any) -> None:
    node: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if not isinstance(node, dict | list):
            return
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value


@st.composite
def config_texts(draw) -> str:
    """A scenario file: the small test network with some fields changed, or raw odd text."""
    kind = draw(st.sampled_from(["edited", "edited", "edited", "raw", "duplicate"]))
    if kind == "raw":
        return draw(st.text(max_size=80) | st.sampled_from(["", "- a\n- b\n", "a: [1,\n", "name: x\nname: y\n"]))
    data = copy.deepcopy(base_config())
    data["risk_groups"][0].update(p_deteriorate=0.2, p_escalate=0.3, p_die_tier2=0.05, p_die_tier3=0.3)
    data["waiting_hazard"] = {"tier2": 0.2, "tier3": 0.5}
    for path in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        stay = path.endswith(("_stay", "travel_time"))
        _set(data, path, draw(distributions if stay else values))
    text = yaml.safe_dump(data, allow_unicode=True)
    if kind == "duplicate":
        text += f"horizon_days: {draw(numbers)}\n"
    return text


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0) or a bad flag (2)
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def _check(argv: list[str], folder: Path) -> None:
    code, err = _run(argv)
    event(f"exit {code}" + (": " + err.strip()[:50] if code == 2 else ""))
    assert code in (0, 2), f"exit {code} for {argv}: {err}"
    assert "Traceback" not in err, err
    if code == 2:
        assert len(err.strip().splitlines()) >= 1 and err.strip().splitlines()[-1].startswith("flowsim"), err
    summary = folder / "summary.csv"
    if code == 0 and summary.exists():
        for row in pd.read_csv(summary).itertuples():  # over the statistics window (after any warm-up)
            assert row.in_system_start + row.arrivals == row.recovered + row.died + row.in_system_end, argv


def _fuzz_config(text: str, days: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        out = Path(tmp) / "out"
        argv = ["run", str(path), "--quiet", "--out", str(out), "--max-memory", MEMORY]
        _check(argv + (["--days", days] if days is not None else []), out)


FLAG_VALUES = st.one_of(
    st.sampled_from(["1", "2", "3"]),
    st.sampled_from(["1", "2", "0", "-1", "3", "auto", "1e6", "inf", "nan", "x", "", "0.05", "10001", "100001",
                     "0.5", "5000", "tcp://127.0.0.1:1", "serial", "processes"]),
    st.text(max_size=8),
)
SETS = st.one_of(
    st.builds(lambda p, v: f"{p}={v}", st.sampled_from(FIELDS), FLAG_VALUES),
    st.builds(lambda p, v: f"{p}={v}", st.sampled_from(FIELDS), plausible),
    st.text(max_size=15),
)
FLAGS = {
    "--days": FLAG_VALUES, "--seed": FLAG_VALUES, "--set": SETS, "--preset": st.sampled_from(["plan_3000", "x", ""]),
    "--replications": st.sampled_from(["1", "2", "0", "auto", "x", "10001", "-3"]),
    "--workers": FLAG_VALUES, "--max-memory": FLAG_VALUES, "--figure": st.sampled_from(["died", "peak_tier2", "x"]),
    "--precision": FLAG_VALUES, "--max-replications": st.sampled_from(["2", "3", "0", "x"]),
    "--vary": st.builds(lambda p, v: f"{p}={v}", st.sampled_from(FIELDS[:8]), st.sampled_from(
        ["40,50", "1:3:1", "1:1e9:1", "x", "", "inf,1", "[1,2],[3]", "0:1:0"])),
    "--variant": st.builds(lambda v: f"v: {v}", SETS), "--step": FLAG_VALUES,
    "--executor": st.sampled_from(["serial", "processes", "nope"]),
}


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(["run", "run", "run", "sweep", "compare", "bottlenecks", "nope"]))
    argv = [command]
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(["town", "town", "mmc", "tandem", "no-such-config", "", "configs"])))
    for flag in draw(st.lists(st.sampled_from(sorted(FLAGS)), max_size=3)):
        argv += [flag, draw(FLAGS[flag])]
    return argv


def _fuzz_command(argv: list[str], out_kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a_file = Path(tmp) / "a_file"
        a_file.write_text("")
        out = {"fresh": Path(tmp) / "out", "file": a_file / "sub", "proc": Path("/proc/flowsim-fuzz")}[out_kind]
        # Small and quick whatever was drawn: a short horizon unless --days was given; serial; little memory.
        tail = ["--quiet", "--out", str(out), "--executor", "serial", "--max-memory", "0.3"]
        if "--days" not in argv:
            tail += ["--days", "3"]
        if "--replications" not in argv and argv[0] != "run":
            tail += ["--replications", "2"]
        _check([*argv, *tail], out)


def _days():
    return st.one_of(st.none(), st.none(), st.sampled_from(["1", "2", "0.5", "3", "0", "-1", "1e6", "inf", "nan",
                                                           "x", "100001"]))


@pytest.mark.slow
@runs(700)
@given(text=config_texts(), days=_days())
def test_generated_configs_exit_0_or_2_and_conserve(text: str, days: str | None):
    _fuzz_config(text, days)


@pytest.mark.slow
@runs(500)
@given(argv=command_lines(), out_kind=st.sampled_from(["fresh", "fresh", "fresh", "file", "proc"]))
def test_generated_command_lines_exit_0_or_2(argv: list[str], out_kind: str):
    _fuzz_command(argv, out_kind)


@runs(10)
@given(text=config_texts(), days=_days())
def test_a_few_generated_configs(text: str, days: str | None):
    _fuzz_config(text, days)


@runs(10)
@given(argv=command_lines(), out_kind=st.sampled_from(["fresh", "file", "proc"]))
def test_a_few_generated_command_lines(argv: list[str], out_kind: str):
    _fuzz_command(argv, out_kind)


def test_the_fuzzer_reaches_runs_that_complete():
    """Not every generated case is refused: the unchanged network runs and conserves."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        path = Path(tmp) / "ok.yaml"
        path.write_text(yaml.safe_dump(base_config()))
        assert _run(["run", str(path), "--quiet", "--out", str(out), "--max-memory", MEMORY, "--days", "2"])[0] == 0
        row = pd.read_csv(out / "summary.csv").iloc[0]
        assert not math.isnan(row["arrivals"]) and row["arrivals"] > 0
