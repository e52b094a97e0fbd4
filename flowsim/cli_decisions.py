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


def add_decision_commands(sub: argparse._SubParsersAction) -> None:
    """`frontier` and `optimise` (added as they are built)."""
