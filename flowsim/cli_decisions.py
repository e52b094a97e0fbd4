"""The decision tools' commands (`bottlenecks --by facility`, `frontier`, `optimise`): thin
layers over `unit_bottlenecks`, `frontier` and `optimise`, hooked into `cli.parser`."""

from __future__ import annotations

import argparse
from pathlib import Path

from .config import ConfigError

QUICK_UNITS = {"replications": 4, "confirm": 4}


def add_unit_args(p: argparse.ArgumentParser) -> None:
    """`bottlenecks` flags for `--by facility` (single units at a facility or base)."""
    from .unit_bottlenecks import UNIT_KINDS

    g = p.add_argument_group("--by facility: one more bed at a given facility, one more vehicle at a given base")
    g.add_argument("--by", choices=("resource", "facility"), default="resource",
                   help="resource: +--step of every city-wide multiplier (default); facility: single units "
                        "screened from the baseline's records, the best confirmed with paired runs")
    g.add_argument("--confirm", type=int, default=None, metavar="K",
                   help="--by facility: units confirmed with paired runs (default 8; --quick 4), plus the "
                        "best screened unit of every kind")
    g.add_argument("--screen-replications", dest="screen_replications", type=int, default=None, metavar="R",
                   help="--by facility: baseline runs of the screen (default: --replications)")
    g.add_argument("--check-screen", dest="check_screen", action="store_true",
                   help="--by facility: confirm every candidate, and report any the screen would have missed")
    g.add_argument("--kinds", type=lambda t: [k.strip() for k in t.split(",") if k.strip()], metavar="K1,K2",
                   help=f"--by facility: kinds of unit to consider (default all: {', '.join(UNIT_KINDS)})")
    g.add_argument("--quick", action="store_true", help="--by facility: 4 replications, 4 units confirmed")


def cmd_unit_bottlenecks(args: argparse.Namespace) -> int:
    from .cli import _checked, _concurrent, _experiment_options, _posterior_note, scenario_from_args
    from .decision_reports import unit_table, write_units
    from .unit_bottlenecks import unit_bottlenecks

    if args.step != 0.10:
        raise ConfigError("--step: only with --by resource (--by facility adds one unit)")
    replications = args.replications if args.replications != 10 or not args.quick else QUICK_UNITS["replications"]
    confirm = args.confirm if args.confirm is not None else (QUICK_UNITS["confirm"] if args.quick else 8)
    if not 1 <= confirm <= 200:
        raise ConfigError(f"--confirm {confirm}: must be from 1 to 200")
    if replications < 2:
        raise ConfigError(f"--replications {replications}: --by facility needs at least 2 (paired intervals)")
    if args.screen_replications is not None and args.screen_replications < 2:
        raise ConfigError(f"--screen-replications {args.screen_replications}: must be at least 2")
    scenario = scenario_from_args(args)
    from .unit_bottlenecks import candidates

    candidates(scenario, args.kinds)  # a bad --kinds is refused before any work
    _checked(args, [scenario], _concurrent(args))
    result = unit_bottlenecks(scenario, replications, seed=args.seed, confirm=confirm,
                              screen_replications=args.screen_replications, check_screen=args.check_screen,
                              kinds=args.kinds, **_experiment_options(args))
    print(unit_table(result))
    if _posterior_note(args):
        print(_posterior_note(args))
    paths = write_units(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)}); runs in "
          f"{args.out}/screen/ and {args.out}/confirm/")
    return 0


QUICK_FRONTIER = {"replications": 4, "rtol": 0.05}


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number (got {text})")
    return value


def cmd_frontier(args: argparse.Namespace) -> int:
    from .cli import _checked, _concurrent, _posterior, _posterior_note, scenario_from_args
    from .decision_reports import frontier_line_text, frontier_text, write_frontier
    from .experiments import parse_vary
    from .frontier import DEFAULT_TARGETS, frontier, frontier_line, parse_target

    targets = [parse_target(t) for t in (args.target or DEFAULT_TARGETS)]
    replications = args.replications or (QUICK_FRONTIER["replications"] if args.quick else 10)
    rtol = args.rtol or (QUICK_FRONTIER["rtol"] if args.quick else 0.01)
    vary = parse_vary(args.vary) if args.vary else None
    scenario = scenario_from_args(args)
    _checked(args, [scenario], _concurrent(args))
    options = {"executor": args.executor, "workers": args.workers, "scheduler": args.scheduler, "store": args.out,
               "resume": args.resume, "overwrite": args.overwrite, "progress": not args.quiet,
               "posterior": _posterior(args)}
    search = {"start": args.start, "low": args.low, "high": args.high, "rtol": rtol}
    if vary is not None:
        line = frontier_line(scenario, vary[0], vary[1], targets, replications, args.seed, **options, **search)
        print(frontier_line_text(line))
        paths = write_frontier(line, Path(args.out))
    else:
        result = frontier(scenario, targets, replications, args.seed, **options, **search)
        print(frontier_text(result))
        paths = write_frontier(result, Path(args.out))
    if _posterior_note(args):
        print(_posterior_note(args))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)}); runs in {args.out}/points/")
    return 0


def add_decision_commands(sub: argparse._SubParsersAction) -> None:
    """`frontier` and `optimise`."""
    from .cli import _add_executor_args, _add_scenario_args, _count

    fr = sub.add_parser("frontier", help="the highest constant F0/day meeting service targets, with its interval",
                        description="Stochastic root-finding on common random numbers: the highest constant rate "
                                    "of new F0 a day at which every --target holds on average over the "
                                    "replications, with a 95%% interval; with --vary, one frontier per value of a "
                                    "capacity field (a line with its band).")
    _add_scenario_args(fr)
    fr.add_argument("--target", action="append", metavar="TARGET",
                    help="a service target (repeatable): FIGURE<=LIMIT for a key figure or deaths_waiting_per_1000, "
                         "or P(icu_wait>2h)<=5%%, P(oxygen_wait>1d)<=10%% (default: P(icu_wait>2h)<=5%% and "
                         "P(oxygen_wait>2h)<=5%%)")
    fr.add_argument("--replications", type=_count, metavar="R", help="replications per rate (default 10; --quick 4)")
    fr.add_argument("--start", type=_positive, metavar="F0", help="first rate tried (default: the scenario's rate)")
    fr.add_argument("--low", type=_positive, metavar="F0", help="lowest rate tried (default: start / 1000)")
    fr.add_argument("--high", type=_positive, metavar="F0", help="highest rate tried (default: start × 1000)")
    fr.add_argument("--rtol", type=_positive, metavar="R",
                    help="relative precision of the root (default 0.01; --quick 0.05)")
    fr.add_argument("--vary", metavar="PATH=V1,V2|START:STOP:STEP",
                    help="one frontier per value of a field, e.g. capacity_scale.oxygen_beds=1,1.2,1.4")
    fr.add_argument("--quick", action="store_true", help="4 replications per rate, 5%% precision")
    fr.add_argument("--out", default="out/frontier", help="output folder (default: out/frontier)")
    fr.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(fr)
    fr.set_defaults(func=cmd_frontier)
    add_optimise_command(sub)


QUICK_OPTIMISE = {"replications": 4, "trials": 12, "confirm": 2}


def _amount(text: str) -> float:
    """A positive amount; thousands separators (1,000,000 or 1_000_000) are allowed."""
    return _positive(text.replace(",", "").replace("_", ""))


def cmd_optimise(args: argparse.Namespace) -> int:
    import importlib.util

    from .cli import MissingDependency, _checked, _concurrent, _posterior, _posterior_note, scenario_from_args
    from .frontier import DEFAULT_TARGETS, parse_target

    if importlib.util.find_spec("optuna") is None:
        raise MissingDependency("flowsim optimise needs optuna: pip install 'flowsim[decisions]'")
    from .decision_reports import optimise_text, write_optimisation
    from .optimise import default_decisions, optimise, parse_decision

    targets = [parse_target(t) for t in (args.target or DEFAULT_TARGETS)]
    quick = QUICK_OPTIMISE if args.quick else {}
    replications = args.replications or quick.get("replications", 10)
    trials = args.trials or quick.get("trials", 40)
    confirm = args.confirm or quick.get("confirm", 3)
    scenario = scenario_from_args(args)
    decisions = ([parse_decision(scenario, d) for d in args.decide] if args.decide else
                 default_decisions(scenario, args.most, args.step))
    _checked(args, [scenario], _concurrent(args))
    result = optimise(scenario, targets, args.budget if args.budget is not None else float("inf"), decisions,
                      trials, replications, args.seed, confirm=confirm,
                      confirm_replications=args.confirm_replications, executor=args.executor, workers=args.workers,
                      scheduler=args.scheduler, store=args.out, resume=args.resume, overwrite=args.overwrite,
                      progress=not args.quiet, posterior=_posterior(args))
    print(optimise_text(result))
    if _posterior_note(args):
        print(_posterior_note(args))
    paths = write_optimisation(result, Path(args.out))
    print(f"wrote {len(paths)} files to {args.out}/ ({', '.join(p.name for p in paths)}); runs in {args.out}/points/ "
          f"and {args.out}/confirm/" + (f"; to run the plan: flowsim run {args.out}/plan.yaml"
                                        if result.chosen is not None else ""))
    return 0


def add_optimise_command(sub: argparse._SubParsersAction) -> None:
    from .cli import _add_executor_args, _add_scenario_args, _count

    op = sub.add_parser("optimise", aliases=["optimize"],
                        help="the cheapest capacity plan meeting service targets within a budget (Optuna)",
                        description="Search capacity decisions (capacity_scale multipliers of the resources the "
                                    "scenario prices under costs:, or extra units at a facility or base) for the "
                                    "cheapest plan meeting every --target within --budget, on common random "
                                    "numbers (Optuna TPE with constraints); confirm the best plans on fresh paired "
                                    "replications; write the plans tried, the Pareto set and the chosen plan as a "
                                    "scenario YAML.")
    _add_scenario_args(op)
    op.add_argument("--target", action="append", metavar="TARGET",
                    help="a service target, as for flowsim frontier (repeatable; default: P(icu_wait>2h)<=5%% and "
                         "P(oxygen_wait>2h)<=5%%)")
    op.add_argument("--budget", type=_amount, metavar="AMOUNT",
                    help="most the plan may cost, in the scenario's costs.currency (default: no limit)")
    op.add_argument("--decide", action="append", metavar="NAME=START:STOP:STEP",
                    help="a decision and its levels (repeatable): a capacity_scale field, e.g. oxygen_beds=1:1.5:0.1, "
                         "or a unit, e.g. 'oxygen bed @ Bach Mai Hospital=0:200:20' (default: every priced "
                         "resource's multiplier from today's to --most)")
    op.add_argument("--most", type=_positive, default=2.0, help="default decisions: up to this × today (default 2)")
    op.add_argument("--step", type=_positive, default=0.1, help="default decisions: in steps of this × today (0.1)")
    op.add_argument("--trials", type=lambda t: _count(t, 5000), metavar="N",
                    help="plans the search tries (default 40; --quick 12)")
    op.add_argument("--replications", type=_count, metavar="R", help="replications per plan (default 10; --quick 4)")
    op.add_argument("--confirm", type=lambda t: _count(t, 20), metavar="K",
                    help="best plans confirmed on fresh replications (default 3; --quick 2)")
    op.add_argument("--confirm-replications", dest="confirm_replications", type=_count, metavar="R",
                    help="replications of the confirmation (default: --replications)")
    op.add_argument("--quick", action="store_true", help="12 plans × 4 replications, 2 confirmed")
    op.add_argument("--out", default="out/optimise", help="output folder (default: out/optimise)")
    op.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(op)
    op.set_defaults(func=cmd_optimise)
