"""`flowsim` command line: a thin layer over the library API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ._version import __version__
from .argtypes import number, whole
from .config import (
    MAX_HORIZON_DAYS,
    MAX_REPLICATIONS,
    ConfigError,
    Scenario,
    build,
    parse_set,
    read_raw,
    to_yaml,
)
from .errors import InputError, rename
from .executors import EXECUTORS, MAX_WORKERS, ExecutorError, WorkerLost
from .levers import with_levers
from .options import RunOptions
from .simulation import ConservationError, RunResult, conserved, run
from .store import StoreError

FLAGS = {
    # the library's fields (arguments of its API; `x=True` as a remedy quotes them) → the flag that sets them
    "replications": "--replications", "figure": "--figure", "figures": "--figures", "precision": "--precision",
    "max_replications": "--max-replications", "executor": "--executor", "workers": "--workers",
    "scheduler": "--scheduler", "store": "--out", "out": "--out", "resume": "--resume", "resume=True": "--resume",
    "overwrite": "--overwrite", "overwrite=True": "--overwrite", "max_memory_gb": "--max-memory",
    "presets": "--preset", "overrides": "--set", "factor": "--vary", "factors": "--vary", "variant": "--variant",
    "step": "--step", "posterior": "--posterior", "targets": "--targets", "trajectories": "--trajectories",
    "levels": "--levels", "population": "--population", "generations": "--generations",
    "max_simulations": "--max-simulations", "predictive_draws": "--predictive-draws", "max_minutes": "--max-minutes",
    "doubling_days": "--doubling-days", "rt": "--rt", "detection_share": "--detection-share",
    "distancing_day": "--distancing", "distancing_effect": "--distancing", "distancing_ramp": "--distancing",
    # the decision tools (cli_decisions.py)
    "by": "--by", "kinds": "--kinds", "confirm": "--confirm", "screen_replications": "--screen-replications",
    "target": "--target", "rtol": "--rtol", "start": "--start", "low": "--low", "high": "--high",
    "decide": "--decide", "budget": "--budget", "trials": "--trials", "confirm_replications": "--confirm-replications",
}
"""The one table from the library's names for what a user sets to the flags the user typed: a
library error names a field (`replications 0: must be ...`), the CLI says the flag (`--replications 0: ...`)."""


def flagged(message: str | BaseException) -> str:
    """A library message with the fields it names said as flags (`FLAGS`)."""
    if isinstance(message, InputError):
        return message.named(FLAGS)
    return rename(str(message), FLAGS)


def one_line(message: str) -> str:
    """A message as one printable line: control characters a user typed (a newline, \\x1e) are escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


class _Parser(argparse.ArgumentParser):
    """Bad flags are one line (the usage is in --help), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


_positive_days = number(float, "a number of days", lambda v: 0 < v <= MAX_HORIZON_DAYS,
                         f"a number of days above 0 and at most {MAX_HORIZON_DAYS:g}")
_minutes = number(float, "a number of minutes", lambda v: 0 < v < float("inf"), "a positive, finite number of minutes")
_seed = number(int, "a whole number", lambda v: v >= 0, "0 or more")
_gigabytes = number(float, "a number of GB", lambda v: 0 < v <= 1e6, "a number of GB above 0")
_fraction = number(float, "a number", lambda v: 0 < v < 1, "between 0 and 1, e.g. 0.05")


def _count(text: str, most: int = MAX_REPLICATIONS) -> int:
    value: int = whole(most)(text)
    return value


def _replications(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    return _count(text)


def _workers(text: str) -> int:
    return _count(text, MAX_WORKERS)


def writable_folder(text: str, flag: str = "--out") -> Path:
    """Create the output folder and check that files can be written there, before any work."""
    import tempfile

    path = Path(text)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"{flag} {text}: cannot write there ({exc.strerror or exc.__class__.__name__})") from None
    return path


def _checked(args: argparse.Namespace, scenarios: list[Scenario], concurrent: int = 1) -> None:
    """The checks before any work: --out writable, memory enough, a warning for each tier with no bed."""
    from .limits import check_memory, missing_beds

    writable_folder(args.out)
    check_memory(scenarios, concurrent, getattr(args, "patients", False), args.max_memory,
                 override="--max-memory GB" + (" (or use fewer --workers)" if concurrent > 1 else ""))
    for scenario in scenarios[:1]:
        for line in missing_beds(scenario):
            print(f"flowsim: warning: {line}", file=sys.stderr)


def scenario_from_args(args: argparse.Namespace, config: str | None = None) -> Scenario:
    """The config file, with presets, `--set` overrides and `--days` applied, validated."""
    data, base = read_raw(config if config is not None else args.config)
    overrides = parse_set(args.set or [])
    if getattr(args, "days", None) is not None:
        overrides.append(("horizon_days", args.days))
    scenario = build(data, overrides, args.preset or [], base)
    values = {key: getattr(args, key, None) for key in EPIDEMIC_FLAGS}
    if getattr(args, "distancing", None) is not None:
        day, effect, ramp = args.distancing
        values |= {"distancing_day": day, "distancing_effect": effect, "distancing_ramp": ramp}
    values = {k: v for k, v in values.items() if v is not None}
    return with_levers(scenario, values) if values else scenario


EPIDEMIC_FLAGS = ("doubling_days", "rt", "detection_share")


def _between(low: float, high: float, what: str) -> Callable[[str], Any]:
    """A number from `low` to `high`; the message says what it is (`what`)."""
    return number(float, "a number", lambda v: low <= v <= high, f"between {low:g} and {high:g}", what)


def _intervention(text: str) -> tuple[float, float, float]:
    """DAY:EFFECT[:RAMP], e.g. 14:0.3:7 — from day 14, 30% less transmission, reached over 7 days."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected DAY:EFFECT[:RAMP_DAYS], e.g. 14:0.3:7 (got {text})")
    day = _between(0, 3650, "the day")(parts[0])
    effect = _between(-1, 1, "the effect (share of transmission cut)")(parts[1])
    ramp = _between(0, 365, "the ramp (days)")(parts[2]) if len(parts) == 3 else 0.0
    return day, effect, ramp


def _add_epidemic_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("epidemic-driven demand (arrivals.profile seir or renewal, e.g. --preset omicron_fit)")
    g.add_argument("--doubling-days", dest="doubling_days", type=_between(0.5, 365, "--doubling-days"),
                   metavar="D", help="SEIR: infections double every D days at the start")
    g.add_argument("--rt", type=_between(0.01, 30, "--rt"), metavar="R",
                   help="renewal: reproduction number at the start (before distancing)")
    g.add_argument("--distancing", type=_intervention, metavar="DAY:EFFECT[:RAMP]",
                   help="a distancing change from DAY, cutting transmission by EFFECT (0.3 = 30%%), "
                        "reached over RAMP days; replaces the scenario's first intervention")
    g.add_argument("--detection-share", dest="detection_share", type=_between(0.001, 1, "--detection-share"),
                   metavar="S", help="share of infections diagnosed as F0")


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", default=None,
                   help="scenario YAML (default: the built-in Hanoi scenario, configs/hanoi.yaml)")
    p.add_argument("--days", type=_positive_days, help="horizon in days (overrides horizon_days)")
    p.add_argument("--seed", type=_seed, help="root random seed (default: the scenario's seed)")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override any field, e.g. --set arrivals.rate_per_day=3000 "
                        "--set 'facilities.Bach Mai Hospital.beds.tier2=300' (repeatable)")
    p.add_argument("--preset", action="append", metavar="NAME",
                   help="apply a named preset of the scenario, e.g. plan_3000 or omicron_fit (repeatable)")
    _add_epidemic_args(p)
    _add_memory_arg(p)


def _add_memory_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-memory", type=_gigabytes, metavar="GB",
                   help="refuse runs estimated to need more memory than this (default: 80%% of the memory available)")


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
    window = f"days {s['window_start']:g}-{s['window_end']:g}"
    rows = [
        (f"in care on day {s['window_start']:g}", _fmt(s["in_system_start"])),
        ("F0 diagnosed (arrivals)", _fmt(s["arrivals"])),
        ("recovered", _fmt(s["recovered"])),
        ("died", _fmt(s["died"])),
        ("  of whom while waiting", _fmt(s["died_waiting"])),
        ("in system at the end", _fmt(s["in_system_end"])),
        ("peak census tier 1 / 2 / 3, by need", " / ".join(_fmt(s[f"peak_tier{t}"]) for t in (1, 2, 3))),
        ("  by facility (as Hanoi reports)", " / ".join(_fmt(s[f"peak_tier{t}_by_facility"]) for t in (1, 2, 3))),
        ("oxygen-bed wait p50 / p90 (days)", f"{_fmt(s['wait_tier2_p50'])} / {_fmt(s['wait_tier2_p90'])}"),
        ("ICU-bed wait p50 / p90 (days)", f"{_fmt(s['wait_tier3_p50'])} / {_fmt(s['wait_tier3_p90'])}"),
        ("days all oxygen beds full", _fmt(s["full_days_oxygen"], 1)),
        ("days all ICU beds full", _fmt(s["full_days_icu"], 1)),
        ("days all station beds full", _fmt(s["full_days_station"], 1)),
        ("utilisation oxygen / ICU", f"{_fmt(s['utilisation_oxygen'] * 100, 0)}% / {_fmt(s['utilisation_icu'] * 100, 0)}%"),
    ]
    if s.get("ambulance_response_p50") == s.get("ambulance_response_p50"):
        rows += [
            ("ambulance response p50 / p90 (min)",
             f"{_fmt(s['ambulance_response_p50'], 0)} / {_fmt(s['ambulance_response_p90'], 0)}"),
            ("transfers held back: vehicle / bed",
             f"{_fmt(s['transfers_delayed_by_vehicle'])} / {_fmt(s['transfers_delayed_by_bed'])} of {_fmt(s['transfers'])}"),
            ("utilisation ambulances", f"{_fmt(s['utilisation_ambulances'] * 100, 0)}%"),
        ]
    if s["window_start"] > 0:
        rows.append(("deaths while waiting in the warm-up", _fmt(s["died_waiting_warmup"])))
    width = max(len(r[0]) for r in rows)
    head = f"{sc.name} · {sc.horizon_days:g} days · seed {result.seed} · {result.seconds:.1f} s"
    lines = [head, f"every figure over {window}" + (" (after the warm-up)" if s["window_start"] > 0 else ""),
             "-" * len(head)]
    lines += [f"{name:<{width}}  {value:>20}" for name, value in rows]
    lines.append(f"{'conservation':<{width}}  {'holds' if conserved(s) else 'VIOLATED':>20}")
    pools = result.resources[result.resources["level"] == "pool"].sort_values("share_time_full", ascending=False)
    tight = [f"{r.resource} ({r.share_time_full:.0%} of the time full)" for r in pools.itertuples()
             if r.share_time_full == r.share_time_full and r.share_time_full > 0]
    empty = [r.resource for r in pools.itertuples() if r.capacity == 0]
    if empty:
        lines.append("no capacity at all: " + ", ".join(empty))
    if tight:
        lines.append("most constrained: " + "; ".join(tight[:3]))
    return "\n".join(lines)


def write_outputs(result: RunResult, out: Path) -> list[Path]:
    """summary.csv, timeseries/resources/occupancy/waits/transfers/queues/home parquet, overview.png, scenario.yaml."""
    from .metrics import SUMMARY_COLUMNS
    from .plots import overview, save

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    summary = pd.DataFrame([result.summary])
    cols = [c for c in SUMMARY_COLUMNS if c in summary] + [c for c in summary if c not in SUMMARY_COLUMNS]
    summary[cols].to_csv(out / "summary.csv", index=False)
    paths.append(out / "summary.csv")
    for name in ("timeseries", "resources", "occupancy", "waits", "transfers"):
        getattr(result, name).to_parquet(out / f"{name}.parquet", index=False)
        paths.append(out / f"{name}.parquet")
    for name in ("queues", "home"):
        table = getattr(result, name)
        if table is not None:
            table.to_parquet(out / f"{name}.parquet", index=False)
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


def _run_options(args: argparse.Namespace, store: str | Path | None = None) -> RunOptions:
    """The executor flags as the library's `RunOptions` (validated there), stored in --out."""
    return RunOptions(executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                      store=store if store is not None else args.out, resume=args.resume,
                      overwrite=args.overwrite, progress=not args.quiet,
                      max_memory_gb=getattr(args, "max_memory", None))


def _concurrent(args: argparse.Namespace) -> int:
    """Runs at once on this machine (`RunOptions.concurrent`)."""
    return _run_options(args).concurrent


def _posterior(args: argparse.Namespace) -> Any:
    """The `--posterior` file, read and checked (None without the flag)."""
    if getattr(args, "posterior", None) is None:
        return None
    from .posterior import load

    if not hasattr(args, "_posterior_loaded"):
        args._posterior_loaded = load(args.posterior)
    return args._posterior_loaded


def _posterior_note(args: argparse.Namespace) -> str:
    """What the intervals cover, when a posterior is in use."""
    post = _posterior(args)
    if post is None:
        return ""
    return (f"parameters from --posterior {args.posterior} ({len(post.weights)} weighted sets: "
            f"{', '.join(post.fields)}); replication i of every scenario draws set i, so the intervals "
            "cover what is not known about these parameters as well as chance")


def _executor_note(args: argparse.Namespace) -> str:
    return args.executor + (f" ×{args.workers}" if args.workers else "")


def _wrote(paths: list[Path], out: str) -> str:
    return f"wrote {len(paths)} files to {out}/ ({', '.join(p.name for p in paths)}); replications in {out}/replications/"


def cmd_run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    if args.replications is not None and args.patients:
        raise ConfigError("--patients: per-patient records are for a single run, not with --replications")
    if args.posterior is not None and args.replications is None:
        raise ConfigError("--posterior: needs --replications (replication i draws parameter set i)")
    given = [flag for flag, value in (("--figure", args.figure), ("--precision", args.precision),
                                      ("--max-replications", args.max_replications)) if value is not None]
    if given and args.replications != "auto":  # they only steer `auto`: accepted and ignored, they misled
        raise ConfigError(f"{given[0]}: only with --replications auto (it steers how many replications run)")
    _checked(args, [scenario], _concurrent(args) if args.replications is not None else 1)
    if args.replications is not None:
        from .replications import replicate
        from .reports import replication_table, write_replications

        reps = replicate(scenario, args.replications, seed=args.seed, figure=args.figure or "died",
                         precision=0.05 if args.precision is None else args.precision,
                         max_replications=args.max_replications or 100, timeseries=True,
                         posterior=_posterior(args), options=_run_options(args))
        print(flagged(replication_table(reps, _executor_note(args))))
        if _posterior_note(args):
            print(_posterior_note(args))
        print(_wrote(write_replications(reps, Path(args.out)), args.out))
        return 0
    progress = _Progress(not args.quiet)
    try:
        result = run(scenario, seed=args.seed, patients=args.patients, progress=progress)
    finally:
        progress.close()
    print(key_figure_table(result))
    paths = write_outputs(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)})")
    return 0


def _figures(text: str) -> list[str]:
    return [f.strip() for f in text.split(",") if f.strip()]


def _factors(vary: list[str] | None, example: str) -> dict[str, list]:
    """The `--vary PATH=VALUES` flags as {path: values}: each path once, at least one."""
    from .experiments import parse_vary

    factors: dict[str, list] = {}
    for text in vary or []:
        path, values = parse_vary(text)
        if path in factors:
            raise ConfigError(f"--vary {path}: given twice")
        factors[path] = values
    if not factors:
        raise ConfigError(f"--vary: give at least one factor, e.g. --vary {example}")
    return factors


def cmd_sweep(args: argparse.Namespace) -> int:
    from .experiments import sweep
    from .replications import check_figures
    from .reports import sweep_table, write_sweep

    check_figures([args.figure], "figure")
    scenario = scenario_from_args(args)
    _checked(args, [scenario], _concurrent(args))
    factors = _factors(args.vary, "capacity_scale.oxygen_beds=1,1.2")
    result = sweep(scenario, factors, args.replications, seed=args.seed, posterior=_posterior(args),
                   options=_run_options(args))
    print(f"{len(result.table['scenario'].unique())} grid points × {result.replications.replications} replications "
          f"· {_executor_note(args)} · {result.replications.seconds:.1f} s")
    print(sweep_table(result, args.figure))
    if _posterior_note(args):
        print(_posterior_note(args))
    print(_wrote(write_sweep(result, Path(args.out), args.figure), args.out))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .experiments import compare, parse_variant, unique_labels, variant
    from .replications import check_figures, figure_names
    from .reports import comparison_table, default_figures, write_comparison

    figures = args.figures or default_figures(figure_names())
    check_figures(figures, "figures")
    configs = args.configs or [None]
    labels = unique_labels([Path(config).stem if config else "hanoi" for config in configs])
    scenarios: dict[str, Scenario] = {}
    for label, config in zip(labels, configs, strict=True):
        scenarios[label] = scenario_from_args(args, config if config is not None else "hanoi")
    base = next(iter(scenarios.values()))
    for text in args.variant or []:
        label, changes = parse_variant(text)
        if label in scenarios:
            raise ConfigError(f"--variant {text}: the label '{label}' is already used")
        try:
            scenarios[label] = variant(base, changes)
        except ConfigError as exc:
            raise ConfigError(f"--variant {label}: {flagged(exc)}") from None
    if len(scenarios) < 2:
        raise ConfigError("compare: give at least two scenarios (config files, or --variant on one file)")
    _checked(args, list(scenarios.values()), _concurrent(args))
    result = compare(scenarios, args.replications, seed=args.seed, posterior=_posterior(args),
                     options=_run_options(args))
    print(comparison_table(result, figures))
    if _posterior_note(args):
        print(_posterior_note(args))
    print(_wrote(write_comparison(result, Path(args.out), figures), args.out))
    return 0


def cmd_decision(args: argparse.Namespace) -> int:
    """`frontier`, `optimise`, `bottlenecks --by facility` (cli_decisions.py): their flags first."""
    import importlib.util

    from .cli_decisions import prepare

    if args.decision == "optimise" and importlib.util.find_spec("optuna") is None:
        raise MissingDependency("flowsim optimise needs optuna: pip install 'flowsim[decisions]'")
    go = prepare(args)
    scenario = scenario_from_args(args)
    _checked(args, [scenario], _concurrent(args))
    o = _run_options(args)
    code = go(scenario, {"executor": o.executor, "workers": o.workers, "scheduler": o.scheduler, "store": o.store,
                         "resume": o.resume, "overwrite": o.overwrite, "progress": o.progress,
                         "posterior": _posterior(args)})
    if _posterior_note(args):
        print(_posterior_note(args))
    return code


def cmd_bottlenecks(args: argparse.Namespace) -> int:
    if args.by == "facility":
        args.decision = "units"
        return cmd_decision(args)
    from .experiments import bottlenecks
    from .reports import bottleneck_table, write_bottlenecks

    scenario = scenario_from_args(args)
    _checked(args, [scenario], _concurrent(args))
    result = bottlenecks(scenario, args.step, args.replications, seed=args.seed, posterior=_posterior(args),
                         options=_run_options(args))
    print(bottleneck_table(result))
    if _posterior_note(args):
        print(_posterior_note(args))
    print(_wrote(write_bottlenecks(result, Path(args.out)), args.out))
    return 0


def _add_experiment_args(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--replications", type=_count, default=10, metavar="R",
                   help="replications of every scenario (default 10); replication i of each scenario "
                        "shares its random numbers (common random numbers)")
    p.add_argument("--out", default=out, help=f"experiment directory (default: {out})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(p)


def _add_executor_args(p: argparse.ArgumentParser, posterior: bool = True) -> None:
    p.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where replications run: serial, processes (default, all cores) or dask")
    p.add_argument("--workers", type=_workers, metavar="N", help="processes or local Dask workers (default: all cores)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="with --executor dask: an existing Dask scheduler (default: start a local cluster)")
    p.add_argument("--resume", action="store_true",
                   help="finish the experiment in --out: run only the replications missing there")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished experiment in --out")
    if posterior:
        p.add_argument("--posterior", metavar="FILE",
                       help="parameter sets from `flowsim calibrate` (posterior.parquet): replication i of every "
                            "scenario runs with set i, so intervals cover the parameters as well as chance")
class MissingDependency(RuntimeError):
    """A command needs an optional extra that is not installed."""


def _needs(module: str, command: str, extra: str = "calibrate") -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependency(f"flowsim {command} needs {module}: pip install 'flowsim[{extra}]'")


def cmd_calibrate(args: argparse.Namespace) -> int:
    _needs("pyabc", "calibrate")
    from .calibration import QUICK, Settings, calibrate, format_calibration, write
    from .targets import load_targets, resolve_targets

    settings = QUICK if args.quick else Settings()
    changes = {k: getattr(args, k) for k in ("population", "generations", "max_simulations", "predictive_draws",
                                             "max_minutes")
               if getattr(args, k) is not None}
    settings = Settings(**{**settings.__dict__, **changes})
    scenario = scenario_from_args(args)
    targets = load_targets(resolve_targets(args.targets))
    result = calibrate(scenario, targets, args.out, settings, seed=args.seed, options=_run_options(args))
    print(format_calibration(result))
    paths = write(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)}; history in calibration.db); "
          f"use it with --posterior {args.out}/posterior.parquet")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    _needs("SALib", "sensitivity")
    from .sensitivity import FIGURES, format_sensitivity, sensitivity, write

    scenario = scenario_from_args(args)
    trajectories = args.trajectories or (4 if args.quick else 10)
    result = sensitivity(scenario, args.figures or list(FIGURES), trajectories, args.levels, args.replications,
                         seed=args.seed, options=_run_options(args, store=Path(args.out) / "runs"))
    print(format_sensitivity(result))
    paths = write(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)}); runs in {args.out}/runs/")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from . import census, validation
    from .plots import census_comparison, save

    names = args.case or [*validation.CASES, "census"]
    theory = [n for n in names if n != "census"]
    out = writable_folder(args.out)
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


def cmd_fit(args: argparse.Namespace) -> int:
    from .config import Delay, Intervention, Renewal, _read_csv_cases
    from .plots import projection_chart, save
    from .reports import fit_table

    out = writable_folder(args.out)
    cases = _read_csv_cases(Path(args.cases), "cases")
    try:
        renewal = Renewal(fit_window_days=args.window, population=args.population, immune_share=args.immune_share,
                          detection_share=args.detection_share or 1.0,
                          generation_interval=Delay(mean_days=args.gi_mean, sd_days=args.gi_sd))
        interventions = [Intervention(day=d, effect=e, ramp_days=r) for d, e, r in args.intervention or []]
    except ValueError as exc:
        raise ConfigError(f"fit: {str(exc).splitlines()[-1].strip()}") from None
    from .epidemic import project

    try:
        result = project(renewal, cases, interventions, int(args.days), seed=args.seed or 0)
    except ValueError as exc:
        raise ConfigError(f"{args.cases}: {exc}") from None
    print(fit_table(result, args.cases, renewal, interventions))
    result.rt.to_csv(out / "rt.csv", index=False)
    result.curve.to_csv(out / "projection.csv", index=False)
    save(projection_chart(cases, result.curve, result.rt), str(out / "projection.png"))
    print(f"wrote {args.out}/ (rt.csv, projection.csv, projection.png)")
    return 0


def _port(text: str) -> int:
    value = _seed(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535 (got {text})")
    return value


EMULATED = ("died", "died_waiting", "wait_tier2_p90", "wait_tier3_p90", "peak_tier2", "peak_tier3", "full_days_icu")


def cmd_emulate(args: argparse.Namespace) -> int:
    """Sweep, keep the sweep in OUT_DIR/sweep (resumable), train the emulator on all but the
    held-out points and report its accuracy there, then train on every point and save it."""
    from . import emulator
    from .experiments import sweep

    _needs("sklearn", "emulate", "emulate")
    scenario = scenario_from_args(args)
    factors = _factors(args.vary, "capacity_scale.icu_beds=0.5:2:0.25")
    args.out = args.out_dir
    _checked(args, [scenario], _concurrent(args))
    result = sweep(scenario, factors, args.replications, seed=args.seed, options=_run_options(args, Path(args.out_dir) / "sweep"))
    figures = args.figure or list(EMULATED)
    _, accuracy = emulator.held_out(result.table, list(factors), figures, args.held_out, seed=args.seed or 0)
    model = emulator.fit(result.table, list(factors), figures, seed=args.seed or 0)
    folder = Path(args.out_dir)
    accuracy.to_csv(folder / "held_out.csv", index=False)
    saved = model.save(folder / "emulator.pkl")
    print(f"emulator of {', '.join(factors)} · trained on {len(model.trained_on)} grid points × "
          f"{result.replications.replications} replications")
    print(f"held out: {int(accuracy['points'].iloc[0]) if len(accuracy) else 0} points never used in training")
    print(f"{'figure':<22} {'coverage of 95% band':>21} {'mean abs error':>15} {'÷ spread':>9}")
    for r in accuracy.itertuples():
        print(f"{r.figure:<22} {r.coverage:>20.0%} {r.mean_abs_error:>15.3g} {r.relative_error:>9.2f}")
    print(f"wrote {saved} and {folder / 'held_out.csv'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The briefing report: OUT_DIR/report.html, one self-contained page (what the app's button writes)."""
    from . import briefing
    from .executors import make_executor
    from .interactive import look

    scenario = scenario_from_args(args)
    args.out = args.out_dir
    writable_folder(args.out_dir, "OUT_DIR")
    from .executors import available_cores

    at_once = 1 if args.executor == "serial" or args.scheduler else (args.workers or available_cores())
    _checked(args, [scenario], at_once)
    seed = args.seed if args.seed is not None else scenario.seed
    executor = make_executor(args.executor, args.workers, args.scheduler)
    try:
        if not args.quiet:
            print(f"report: {args.replications} replications of {scenario.name} ...", file=sys.stderr, flush=True)
        result = look(scenario, args.replications, seed, executor)
        ranking = None
        if args.bottlenecks:
            from .experiments import bottlenecks

            if not args.quiet:
                print("report: ranking the resources (+10% each, paired runs) ...", file=sys.stderr, flush=True)
            ranking = bottlenecks(scenario, 0.10, max(args.replications, 4), seed, executor=executor).ranking
    finally:
        executor.close()
    checks = None
    if args.validate:
        from .validation import validate

        if not args.quiet:
            print("report: the quick validation ...", file=sys.stderr, flush=True)
        checks = validate(quick=True)
    path = briefing.write(briefing.from_look(scenario, seed, result, ranking=ranking, validation=checks),
                          Path(args.out_dir), args.lang)
    print(f"wrote {path}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """The planner's app: `streamlit run` on the app module shipped in the package."""
    import importlib.util
    import os
    import socket
    from importlib import resources

    if importlib.util.find_spec("streamlit") is None:
        print("flowsim app: needs Streamlit; install it with: pip install 'flowsim[app]'", file=sys.stderr)
        return 2
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server's own socket: a port
        try:                                                          # just freed (TIME_WAIT) is free
            probe.bind((args.address, args.port))
        except OSError as exc:
            print(f"flowsim: error: --port {args.port}: cannot listen on {args.address} ({exc.strerror})",
                  file=sys.stderr)
            return 2
    script = resources.files("flowsim") / "streamlit_app.py"
    # flowsim.serve is `streamlit run` that also prepares the first page as the server starts
    # -P: the working folder is not put first on the import path, so a folder named flowsim there
    # (a clone's checkout, seen from its parent) cannot stand in for the installed package
    command = [sys.executable, "-P", "-m", "flowsim.serve", str(script), "--server.port", str(args.port),
               "--server.address", args.address, "--server.fileWatcherType", "none",  # an installed app: no reloads
               "--client.toolbarMode", "minimal",  # no "Deploy" button: a planner has nothing to deploy
               "--browser.gatherUsageStats", "false"]  # no usage statistics sent to Streamlit
    sys.stdout.flush()
    os.execv(sys.executable, command)  # this process becomes the server: a signal to it reaches Streamlit
    return 0  # not reached


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="flowsim", description="COVID-19 patient-flow simulation (Hanoi 2021-22).")
    p.add_argument("--version", action="version", version=f"flowsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario once and write its tables and overview plot")
    _add_scenario_args(r)
    r.add_argument("--out", default="out", help="output folder (default: out)")
    r.add_argument("--patients", action="store_true", help="also write per-patient records (costs memory)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--replications", type=_replications, metavar="R|auto",
                   help="R replications with a 95%% interval for every key figure, or auto: add replications "
                        "until --figure is within --precision (Hoad, Robinson & Davies 2010)")
    r.add_argument("--figure", help="with --replications auto: the figure to make precise (default died)")
    r.add_argument("--precision", type=_fraction,
                   help="with --replications auto: target half-width / mean of the 95%% interval (default 0.05)")
    r.add_argument("--max-replications", type=_count, metavar="N",
                   help="with --replications auto: stop here even if imprecise (default 100)")
    _add_executor_args(r)
    r.set_defaults(func=cmd_run)

    sw = sub.add_parser("sweep", help="run a full factorial grid of field values × replications")
    _add_scenario_args(sw)
    sw.add_argument("--vary", action="append", metavar="PATH=V1,V2|START:STOP:STEP",
                    help="a factor: values, or an inclusive range, e.g. --vary capacity_scale.oxygen_beds=1:1.5:0.1 "
                         "(repeatable: the grid is every combination)")
    sw.add_argument("--figure", default="died", help="the key figure to print and plot (default died)")
    _add_experiment_args(sw, "out/sweep")
    sw.set_defaults(func=cmd_sweep)

    c = sub.add_parser("compare", help="paired differences of scenarios from the first, with 95%% intervals")
    c.add_argument("configs", nargs="*", metavar="CONFIG",
                   help="scenario YAML files; the first is the baseline (default: the built-in Hanoi scenario)")
    c.add_argument("--variant", action="append", metavar="'[LABEL:] PATH=VALUE[; PATH=VALUE]'",
                   help="another scenario: the first config with these changes (repeatable)")
    c.add_argument("--days", type=_positive_days, help="horizon in days, for every scenario")
    c.add_argument("--seed", type=_seed, help="root seed shared by every scenario (default: the first one's)")
    c.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a field in every scenario")
    c.add_argument("--preset", action="append", metavar="NAME", help="apply a preset to every scenario")
    _add_memory_arg(c)
    c.add_argument("--figures", type=_figures, metavar="F1,F2",
                   help="figures to print and plot (default: deaths, deaths while waiting, p90 waits, peaks)")
    _add_experiment_args(c, "out/compare")
    c.set_defaults(func=cmd_compare)

    b = sub.add_parser("bottlenecks", help="rank resources by what +10%% of each buys (paired runs)")
    _add_scenario_args(b)
    b.add_argument("--step", type=float, default=0.10, help="capacity added to each resource (default 0.10 = +10%%)")
    _add_experiment_args(b, "out/bottlenecks")
    from .cli_decisions import DECISION_COMMANDS, add_unit_args

    add_unit_args(b)
    b.set_defaults(func=cmd_bottlenecks)
    for name, aliases, what, description, add_args in DECISION_COMMANDS:
        d = sub.add_parser(name, aliases=aliases, help=what, description=description)
        _add_scenario_args(d)
        add_args(d)
        _add_executor_args(d)
        d.set_defaults(func=cmd_decision, decision=name)
    cal = sub.add_parser("calibrate", help="fit the scenario's priors to observed targets (ABC-SMC) into a posterior",
                         description="Fit every prior the scenario declares (`priors:`) to a targets file by "
                                     "ABC-SMC (pyabc); writes posterior.parquet, posterior.yaml, a predictive "
                                     "check and the marginals against the priors.")
    _add_scenario_args(cal)
    cal.add_argument("--targets", required=True, metavar="FILE",
                     help="targets YAML (quantity, value or range, uncertainty, window); 'hanoi' for the built-in "
                          "January 2022 targets")
    cal.add_argument("--quick", action="store_true",
                     help="a rough fit in a few minutes on 2 cores (12 particles, 3 generations, 100 runs, "
                          "5 minutes at most)")
    cal.add_argument("--population", type=_count, metavar="N", help="particles per generation (default 40)")
    cal.add_argument("--generations", type=_count, metavar="N", help="generations at most (default 6)")
    cal.add_argument("--max-simulations", type=_count, metavar="N", help="model runs at most (default 800)")
    cal.add_argument("--max-minutes", type=_minutes, metavar="M",
                     help="start no generation after M minutes of fitting (default 30; --quick 5)")
    cal.add_argument("--predictive-draws", type=_count, metavar="N",
                     help="posterior draws run for the predictive check (default 20)")
    cal.add_argument("--out", default="out/calibrate", help="output folder (default: out/calibrate)")
    cal.add_argument("--quiet", action="store_true", help="no progress")
    _add_executor_args(cal, posterior=False)
    cal.set_defaults(func=cmd_calibrate)

    se = sub.add_parser("sensitivity", help="which unknown matters: Morris screening of the key figures over the priors",
                        description="Global sensitivity (SALib's Morris method) of key figures to every prior the "
                                    "scenario declares; writes a table and a bar plot per figure.")
    _add_scenario_args(se)
    se.add_argument("--trajectories", type=_count, metavar="N",
                    help="Morris trajectories, each (priors + 1) runs (default 10; --quick 4)")
    se.add_argument("--levels", type=int, default=4, choices=(4, 6, 8, 10), help="grid levels per range (default 4)")
    se.add_argument("--replications", type=_count, default=1, metavar="R",
                    help="replications per point, averaged (default 1; every point shares them)")
    se.add_argument("--figures", type=_figures, metavar="F1,F2",
                    help="key figures to screen (default: deaths while waiting, p90 bed waits, peak census by "
                         "facility, days full)")
    se.add_argument("--quick", action="store_true", help="4 trajectories")
    se.add_argument("--out", default="out/sensitivity", help="output folder (default: out/sensitivity)")
    se.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(se, posterior=False)
    se.set_defaults(func=cmd_sensitivity)

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

    f = sub.add_parser("fit", help="estimate Rt from a daily case CSV (Cori et al.) and project F0/day forward",
                       description="Fit the reproduction number Rt to the last --window days of a case history "
                                   "(Cori et al. 2013: gamma posterior, 95%% credible interval), give the growth "
                                   "rate and doubling time it implies, and project diagnoses --days ahead under "
                                   "the stated interventions (band: the fit's uncertainty).")
    f.add_argument("cases", help="CSV with columns day,cases (one row per day, oldest first)")
    f.add_argument("--window", type=_count, default=7, help="days of the trailing window (default 7)")
    f.add_argument("--days", type=_positive_days, default=60, help="days to project (default 60)")
    f.add_argument("--gi-mean", type=_between(1, 30, "--gi-mean"), default=3.5,
                   help="mean generation interval, days (default 3.5, Omicron [A])")
    f.add_argument("--gi-sd", type=_between(0, 30, "--gi-sd"), default=2.4, help="its SD, days (default 2.4)")
    f.add_argument("--intervention", action="append", type=_intervention, metavar="DAY:EFFECT[:RAMP]",
                   help="a dated change in transmission, days after the last observed day (repeatable)")
    f.add_argument("--population", type=_between(1, 1e10, "--population"),
                   help="population, for depletion of susceptibles (default: none)")
    f.add_argument("--immune-share", dest="immune_share", type=_between(0, 0.99, "--immune-share"), default=0.0)
    f.add_argument("--detection-share", dest="detection_share", type=_between(0.001, 1, "--detection-share"),
                   help="share of infections diagnosed (depletion only; default 1)")
    f.add_argument("--seed", type=_seed, help="seed of the posterior draws for the band (default 0)")
    f.add_argument("--out", default="out/fit", help="output folder (default out/fit)")
    f.set_defaults(func=cmd_fit)

    em = sub.add_parser("emulate", help="train a Gaussian-process emulator on a sweep and report its held-out accuracy",
                        description="Sweeps the factors (kept in OUT_DIR/sweep, resumable), sets a share of the grid "
                                    "points aside, trains on the rest and reports coverage and error on those, then "
                                    "trains on every point and writes OUT_DIR/emulator.pkl (needs scikit-learn).")
    em.add_argument("out_dir", metavar="OUT_DIR", help="folder for the sweep, emulator.pkl and held_out.csv")
    _add_scenario_args(em)
    em.add_argument("--vary", action="append", metavar="PATH=V1,V2|START:STOP:STEP",
                    help="a numeric factor (repeatable: the grid is every combination)")
    em.add_argument("--figure", action="append", help="a key figure to emulate (repeatable; default: deaths, "
                                                      "deaths while waiting, bed waits, peaks, ICU full days)")
    em.add_argument("--replications", type=_count, default=3, metavar="R", help="replications per point (default 3)")
    em.add_argument("--held-out", type=float, default=0.25, dest="held_out",
                    help="share of grid points set aside for the accuracy check (default 0.25)")
    em.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(em, posterior=False)
    em.set_defaults(func=cmd_emulate)
    rp = sub.add_parser("report", help="a briefing: one self-contained HTML page of a scenario (OUT_DIR/report.html)",
                        description="Assumptions, headline, key figures with intervals, bottlenecks, charts and the "
                                    "validation status, in English or Vietnamese; prints to PDF from a browser.")
    rp.add_argument("out_dir", metavar="OUT_DIR", help="folder to write report.html into")
    _add_scenario_args(rp)
    rp.add_argument("--replications", type=_count, default=5, metavar="R",
                    help="replications (default 5: the fewest that give an interval)")
    rp.add_argument("--lang", choices=["en", "vi"], default="en", help="language of the report (default en)")
    rp.add_argument("--bottlenecks", action="store_true", help="also rank the resources (+10%% each, paired runs)")
    rp.add_argument("--validate", action="store_true", help="also run the quick validation against queueing theory")
    rp.add_argument("--quiet", action="store_true", help="no progress messages")
    rp.add_argument("--executor", choices=EXECUTORS, default="processes",
                    help="where replications run: serial, processes (default, all cores) or dask")
    rp.add_argument("--workers", type=_workers, metavar="N", help="processes or local Dask workers (default: all cores)")
    rp.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="with --executor dask: an existing Dask scheduler")
    rp.set_defaults(func=cmd_report)
    a = sub.add_parser("app", help="open the planner's app in the browser (needs: pip install 'flowsim[app]')",
                       description="Start the planner's Streamlit app; it opens on the built-in Hanoi scenario. "
                                   "Streamlit's own settings (e.g. STREAMLIT_SERVER_HEADLESS=true) apply.")
    a.add_argument("--port", type=_port, default=8501, help="port to serve on (default 8501)")
    a.add_argument("--address", default="localhost", help="address to serve on (default localhost)")
    a.set_defaults(func=cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"flowsim: config error: {one_line(flagged(exc))}", file=sys.stderr)
        return 2
    except (StoreError, ExecutorError, MissingDependency) as exc:
        print(f"flowsim: error: {one_line(flagged(exc))}", file=sys.stderr)
        return 2
    except WorkerLost as exc:
        print(f"flowsim: error: {one_line(flagged(exc))}", file=sys.stderr)
        return 1
    except ConservationError as exc:
        print(f"flowsim: internal error: {one_line(str(exc))}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as exc:
        print(f"flowsim: interrupted{': ' + flagged(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
