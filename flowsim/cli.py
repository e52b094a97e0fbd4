"""`flowsim` command line: a thin layer over the library API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .config import ConfigError, Scenario, build, parse_set, read_raw, to_yaml
from .simulation import ConservationError, RunResult, run


def _positive_days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of days (got {text})")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {text})")
    return value


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The config file, with presets, `--set` overrides and `--days` applied, validated."""
    data, base = read_raw(args.config)
    overrides = parse_set(args.set or [])
    if getattr(args, "days", None) is not None:
        overrides.append(("horizon_days", args.days))
    return build(data, overrides, args.preset or [], base)


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", default=None,
                   help="scenario YAML (default: the built-in Hanoi scenario, configs/hanoi.yaml)")
    p.add_argument("--days", type=_positive_days, help="horizon in days (overrides horizon_days)")
    p.add_argument("--seed", type=_seed, help="root random seed (default: the scenario's seed)")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override any field, e.g. --set arrivals.rate_per_day=3000 "
                        "--set 'facilities.Bach Mai Hospital.beds.tier2=300' (repeatable)")
    p.add_argument("--preset", action="append", metavar="NAME",
                   help="apply a named preset of the scenario, e.g. plan_3000 (repeatable)")


def _fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        if value != value:
            return "—"
        if value.is_integer() and abs(value) >= 10:
            return f"{int(value):,}"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def key_figure_table(result: RunResult) -> str:
    """The key figures of a run as a plain-text table."""
    s = result.summary
    sc = result.scenario
    rows = [
        ("F0 diagnosed (arrivals)", _fmt(s["arrivals"])),
        ("initial census", _fmt(s["initial_census"])),
        ("recovered", _fmt(s["recovered"])),
        ("died", _fmt(s["died"])),
        ("  of whom while waiting", _fmt(s["died_waiting"])),
        ("in system at the end", _fmt(s["in_system_end"])),
        ("peak census tier 1 / 2 / 3", " / ".join(_fmt(s[f"peak_tier{t}"]) for t in (1, 2, 3))),
        ("oxygen-bed wait p50 / p90 (days)", f"{_fmt(s['wait_tier2_p50'])} / {_fmt(s['wait_tier2_p90'])}"),
        ("ICU-bed wait p50 / p90 (days)", f"{_fmt(s['wait_tier3_p50'])} / {_fmt(s['wait_tier3_p90'])}"),
        ("days all oxygen beds full", _fmt(s["full_days_oxygen"], 1)),
        ("days all ICU beds full", _fmt(s["full_days_icu"], 1)),
        ("days all station beds full", _fmt(s["full_days_station"], 1)),
        ("utilisation oxygen / ICU", f"{_fmt(s['utilisation_oxygen'] * 100, 0)}% / {_fmt(s['utilisation_icu'] * 100, 0)}%"),
    ]
    width = max(len(r[0]) for r in rows)
    head = f"{sc.name} · {sc.horizon_days:g} days · seed {result.seed} · {result.seconds:.1f} s"
    lines = [head, "-" * len(head)]
    lines += [f"{name:<{width}}  {value:>14}" for name, value in rows]
    ok = s["arrivals"] + s["initial_census"] == s["recovered"] + s["died"] + s["in_system_end"]
    lines.append(f"{'conservation':<{width}}  {'holds' if ok else 'VIOLATED':>14}")
    pools = result.resources[result.resources["level"] == "pool"].sort_values("share_time_full", ascending=False)
    tight = [f"{r.resource} ({r.share_time_full:.0%} of the time full)" for r in pools.itertuples()
             if r.share_time_full == r.share_time_full and r.share_time_full > 0]
    if tight:
        lines.append("most constrained: " + "; ".join(tight[:3]))
    return "\n".join(lines)


def write_outputs(result: RunResult, out: Path) -> list[Path]:
    """summary.csv, timeseries/resources/occupancy/waits parquet, overview.png, scenario.yaml."""
    from .metrics import SUMMARY_COLUMNS
    from .plots import overview, save

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    summary = pd.DataFrame([result.summary])
    cols = [c for c in SUMMARY_COLUMNS if c in summary] + [c for c in summary if c not in SUMMARY_COLUMNS]
    summary[cols].to_csv(out / "summary.csv", index=False)
    paths.append(out / "summary.csv")
    for name in ("timeseries", "resources", "occupancy", "waits"):
        getattr(result, name).to_parquet(out / f"{name}.parquet", index=False)
        paths.append(out / f"{name}.parquet")
    if result.patients is not None:
        result.patients.to_parquet(out / "patients.parquet", index=False)
        paths.append(out / "patients.parquet")
    save(overview(result.timeseries, result.scenario.name), str(out / "overview.png"))
    paths.append(out / "overview.png")
    (out / "scenario.yaml").write_text(to_yaml(result.scenario), encoding="utf-8")
    paths.append(out / "scenario.yaml")
    return paths


class _Progress:
    """A progress bar that appears only if the run takes longer than about a second."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100, delay=1.0, unit="%", desc="simulating", leave=False, file=sys.stderr)
        self.done = 0

    def __call__(self, fraction: float) -> None:
        if self.bar is not None:
            pct = int(fraction * 100)
            if pct > self.done:
                self.bar.update(pct - self.done)
                self.done = pct

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    progress = _Progress(not args.quiet)
    try:
        result = run(scenario, seed=args.seed, patients=args.patients, progress=progress)
    finally:
        progress.close()
    print(key_figure_table(result))
    paths = write_outputs(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)})")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from . import census, validation
    from .plots import census_comparison, save

    names = args.case or [*validation.CASES, "census"]
    theory = [n for n in names if n != "census"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    if theory:
        def progress(name: str) -> None:
            if not args.quiet:
                print(f"validating: {name} ...", file=sys.stderr, flush=True)

        table = validation.validate(theory, quick=args.quick, progress=progress)
        print(validation.format_table(table))
        table.to_csv(out / "validation.csv", index=False)
        failed = not table["passed"].all()
    if "census" in names:
        if not args.quiet:
            print("validating: census (Hanoi, January 2022) ...", file=sys.stderr, flush=True)
        comparison = census.january_2022(reps=2 if args.quick else 5)
        print(("\n" if theory else "") + "Hanoi, January 2022: the model against the reported census\n")
        print(census.format_census(comparison))
        comparison.table.to_csv(out / "census.csv", index=False)
        save(census_comparison(comparison.table, comparison.series, comparison.window, census.REPORTED_CENSUS),
             str(out / "census.png"))
    print(f"\nwrote {args.out}/ ({', '.join(sorted(p.name for p in out.iterdir()))})")
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flowsim", description="COVID-19 patient-flow simulation (Hanoi 2021-22).")
    p.add_argument("--version", action="version", version=f"flowsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario once and write its tables and overview plot")
    _add_scenario_args(r)
    r.add_argument("--out", default="out", help="output folder (default: out)")
    r.add_argument("--patients", action="store_true", help="also write per-patient records (costs memory)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)
    from .validation import CASES

    v = sub.add_parser("validate", help="check flowsim against queueing theory and Hanoi's January 2022 census",
                       description="Run the reference cases (configs/teaching/) and the January 2022 census "
                                   "comparison; print the tables; exit 1 if a theory check fails.")
    v.add_argument("--case", action="append", choices=[*CASES, "census"],
                   help="run only this case (repeatable; default: all)")
    v.add_argument("--quick", action="store_true", help="shorter runs, looser precision (as in the tests)")
    v.add_argument("--out", default="out/validation", help="folder for the tables and the census plot")
    v.add_argument("--quiet", action="store_true", help="no progress messages")
    v.set_defaults(func=cmd_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"flowsim: config error: {exc}", file=sys.stderr)
        return 2
    except ConservationError as exc:
        print(f"flowsim: internal error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("flowsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
