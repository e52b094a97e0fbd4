"""The decision tools' commands (`bottlenecks --by facility`, `frontier`, `optimise`): their flags,
and what each runs and prints — thin layers over `unit_bottlenecks`, `frontier` and `optimise`.

`cli` adds the scenario and executor flags, builds the scenario and calls `prepare(args)` (which
refuses this command's bad flags before any work) and then the function it returns with the
scenario and the executor keywords. Nothing here imports `cli`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .argtypes import positive, whole
from .config import ConfigError, Scenario

QUICK_UNITS = {"replications": 4, "confirm": 4}
Go = Callable[[Scenario, dict[str, Any]], int]
"""Runs a prepared command on its scenario with the executor keywords; returns the exit code."""


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


def _prepare_units(args: argparse.Namespace) -> Go:
    from .decision_reports import unit_table, write_units
    from .unit_bottlenecks import candidates, unit_bottlenecks

    if args.step != 0.10:
        raise ConfigError.at("step", "only for whole resources (`by` resource): by facility adds one unit")
    replications = args.replications if args.replications != 10 or not args.quick else QUICK_UNITS["replications"]
    confirm = args.confirm if args.confirm is not None else (QUICK_UNITS["confirm"] if args.quick else 8)
    if not 1 <= confirm <= 200:
        raise ConfigError.at("confirm", "must be from 1 to 200", confirm)
    if replications < 2:
        raise ConfigError.at("replications", "single units need at least 2 (paired intervals)", replications)
    if args.screen_replications is not None and args.screen_replications < 2:
        raise ConfigError.at("screen_replications", "must be at least 2", args.screen_replications)

    def go(scenario: Scenario, run: dict[str, Any]) -> int:
        candidates(scenario, args.kinds)  # a bad --kinds is refused before any run
        result = unit_bottlenecks(scenario, replications, seed=args.seed, confirm=confirm,
                                  screen_replications=args.screen_replications, check_screen=args.check_screen,
                                  kinds=args.kinds, max_memory_gb=args.max_memory, **run)
        print(unit_table(result))
        paths = write_units(result, Path(args.out))
        print(_wrote(paths, args.out, "screen", "confirm"))
        return 0

    return go


def _wrote(paths: list[Path], out: str, *runs: str) -> str:
    """What a decision tool wrote to `out`, and the folders under it holding its runs."""
    return (f"wrote {len(paths)} files to {out}/ ({', '.join(p.name for p in paths)}); runs in "
            + " and ".join(f"{out}/{r}/" for r in runs))


QUICK_FRONTIER_REPLICATIONS, QUICK_FRONTIER_RTOL = 4, 0.05


def _prepare_frontier(args: argparse.Namespace) -> Go:
    from .decision_reports import frontier_line_text, frontier_text, write_frontier
    from .experiments import parse_vary
    from .frontier import DEFAULT_TARGETS, frontier, frontier_line, parse_target

    targets = [parse_target(t) for t in (args.target or DEFAULT_TARGETS)]
    replications: int = args.replications or (QUICK_FRONTIER_REPLICATIONS if args.quick else 10)
    rtol: float = args.rtol or (QUICK_FRONTIER_RTOL if args.quick else 0.01)
    vary = parse_vary(args.vary) if args.vary else None
    search = {"start": args.start, "low": args.low, "high": args.high, "rtol": rtol}

    def go(scenario: Scenario, run: dict[str, Any]) -> int:
        if vary is not None:
            line = frontier_line(scenario, vary[0], vary[1], targets, replications, args.seed, **run, **search)
            print(frontier_line_text(line))
            paths = write_frontier(line, Path(args.out))
        else:
            result = frontier(scenario, targets, replications, args.seed, **run, **search)
            print(frontier_text(result))
            paths = write_frontier(result, Path(args.out))
        print(_wrote(paths, args.out, "points"))
        return 0

    return go


def add_frontier_args(fr: argparse.ArgumentParser) -> None:
    fr.add_argument("--target", action="append", metavar="TARGET",
                    help="a service target (repeatable): FIGURE<=LIMIT for a key figure or deaths_waiting_per_1000, "
                         "or P(icu_wait>2h)<=5%%, P(oxygen_wait>1d)<=10%% (default: P(icu_wait>2h)<=5%% and "
                         "P(oxygen_wait>2h)<=5%%)")
    fr.add_argument("--replications", type=whole(10_000), metavar="R",
                    help="replications per rate (default 10; --quick 4)")
    fr.add_argument("--start", type=positive, metavar="F0", help="first rate tried (default: the scenario's rate)")
    fr.add_argument("--low", type=positive, metavar="F0", help="lowest rate tried (default: start / 1000)")
    fr.add_argument("--high", type=positive, metavar="F0", help="highest rate tried (default: start × 1000)")
    fr.add_argument("--rtol", type=positive, metavar="R",
                    help="relative precision of the root (default 0.01; --quick 0.05)")
    fr.add_argument("--vary", metavar="PATH=V1,V2|START:STOP:STEP",
                    help="one frontier per value of a field, e.g. capacity_scale.oxygen_beds=1,1.2,1.4")
    fr.add_argument("--quick", action="store_true", help="4 replications per rate, 5%% precision")
    fr.add_argument("--out", default="out/frontier", help="output folder (default: out/frontier)")
    fr.add_argument("--quiet", action="store_true", help="no progress bar")


QUICK_OPTIMISE = {"replications": 4, "trials": 12, "confirm": 2}


def _amount(text: str) -> float:
    """A positive amount; thousands separators (1,000,000 or 1_000_000) are allowed."""
    return positive(text.replace(",", "").replace("_", ""))


def _prepare_optimise(args: argparse.Namespace) -> Go:
    from .decision_reports import optimise_text, write_optimisation
    from .frontier import DEFAULT_TARGETS, parse_target
    from .optimise import default_decisions, optimise, parse_decision

    targets = [parse_target(t) for t in (args.target or DEFAULT_TARGETS)]
    quick = QUICK_OPTIMISE if args.quick else {}
    replications = args.replications or quick.get("replications", 10)
    trials = args.trials or quick.get("trials", 40)
    confirm = args.confirm or quick.get("confirm", 3)

    def go(scenario: Scenario, run: dict[str, Any]) -> int:
        decisions = ([parse_decision(scenario, d) for d in args.decide] if args.decide else
                     default_decisions(scenario, args.most, args.step))
        result = optimise(scenario, targets, args.budget if args.budget is not None else float("inf"), decisions,
                          trials, replications, args.seed, confirm=confirm,
                          confirm_replications=args.confirm_replications, **run)
        print(optimise_text(result))
        paths = write_optimisation(result, Path(args.out))
        print(_wrote(paths, args.out, "points", "confirm") + (f"; to run the plan: flowsim run {args.out}/plan.yaml"
                                                             if result.chosen is not None else ""))
        return 0

    return go


def add_optimise_args(op: argparse.ArgumentParser) -> None:
    op.add_argument("--target", action="append", metavar="TARGET",
                    help="a service target, as for flowsim frontier (repeatable; default: P(icu_wait>2h)<=5%% and "
                         "P(oxygen_wait>2h)<=5%%)")
    op.add_argument("--budget", type=_amount, metavar="AMOUNT",
                    help="most the plan may cost, in the scenario's costs.currency (default: no limit)")
    op.add_argument("--decide", action="append", metavar="NAME=START:STOP:STEP",
                    help="a decision and its levels (repeatable): a capacity_scale field, e.g. oxygen_beds=1:1.5:0.1, "
                         "a bed field at a group of facilities, e.g. 'icu_beds @ level-3 hospitals=1:2:0.25', "
                         "a unit, e.g. 'oxygen bed @ Bach Mai Hospital=0:200:20', or the day units are added, e.g. "
                         "'ICU bed @ Bach Mai Hospital +50 on day=0:60:15' (default: every priced "
                         "resource's multiplier from today's to --most)")
    op.add_argument("--most", type=positive, default=2.0, help="default decisions: up to this × today (default 2)")
    op.add_argument("--step", type=positive, default=0.1, help="default decisions: in steps of this × today (0.1)")
    op.add_argument("--trials", type=whole(5000), metavar="N", help="plans the search tries (default 40; --quick 12)")
    op.add_argument("--replications", type=whole(10_000), metavar="R",
                    help="replications per plan (default 10; --quick 4)")
    op.add_argument("--confirm", type=whole(20), metavar="K",
                    help="best plans confirmed on fresh replications (default 3; --quick 2)")
    op.add_argument("--confirm-replications", dest="confirm_replications", type=whole(10_000), metavar="R",
                    help="replications of the confirmation (default: --replications)")
    op.add_argument("--quick", action="store_true", help="12 plans × 4 replications, 2 confirmed")
    op.add_argument("--out", default="out/optimise", help="output folder (default: out/optimise)")
    op.add_argument("--quiet", action="store_true", help="no progress bar")


DECISION_COMMANDS: tuple[tuple[str, list[str], str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("frontier", [], "the highest constant F0/day meeting service targets, with its interval",
     "Stochastic root-finding on common random numbers: the highest constant rate of new F0 a day at which "
     "every --target holds on average over the replications, with a 95%% interval; with --vary, one frontier "
     "per value of a capacity field (a line with its band).", add_frontier_args),
    ("optimise", ["optimize"], "the cheapest capacity plan meeting service targets within a budget (Optuna)",
     "Search capacity decisions (capacity_scale multipliers of the resources the scenario prices under costs:, "
     "or extra units at a facility or base) for the cheapest plan meeting every --target within --budget, on "
     "common random numbers (Optuna TPE with constraints); confirm the best plans on fresh paired replications; "
     "write the plans tried, the Pareto set and the chosen plan as a scenario YAML.", add_optimise_args),
)
"""name, aliases, help, description, the function adding its own flags."""


def prepare(args: argparse.Namespace) -> Go:
    """Check a decision command's own flags (before any work) and return what runs it."""
    return {"units": _prepare_units, "frontier": _prepare_frontier, "optimise": _prepare_optimise}[args.decision](args)
