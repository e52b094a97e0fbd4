"""What the decision tools print and write: plain-text tables and their files."""

from __future__ import annotations

import math
from pathlib import Path

from .frontier import Frontier, FrontierLine, TargetFrontier
from .optimise import Optimisation
from .reports import _text_table, _where, number, percent
from .unit_bottlenecks import UnitRanking


def unit_table(result: UnitRanking) -> str:
    """Confirmed units in rank order, with the screen beside them and what the screen covered."""
    r = result.ranking
    waits = [c for c in r.columns if c.endswith("_p90_reduction") and r[c].notna().any()]
    rows = []
    for row in r.to_dict("records"):
        cells = [f"{row['rank']}. {row['unit']}", number(row["capacity"]), str(row["screen_rank"]),
                 percent(row["share_time_full"]),
                 f"{number(row['deaths_averted'])} [{number(row['deaths_averted_lower'])}, "
                 f"{number(row['deaths_averted_upper'])}]",
                 f"{number(row['deaths_waiting_averted'])} [{number(row['deaths_waiting_averted_lower'])}, "
                 f"{number(row['deaths_waiting_averted_upper'])}]"]
        cells += [f"{number(row[c])} [{number(row[c + '_lower'])}, {number(row[c + '_upper'])}]" for c in waits]
        rows.append(cells)
    reps = result.comparison.replications
    n = len(result.screen)
    head = (f"Where one more unit saves most · {n} candidates screened, {len(result.confirmed)} confirmed "
            f"({'all' if result.checked_all else 'the shortlist'}) · {_where(reps, '')} · paired 95% intervals")
    table = _text_table(rows, ["unit", "now", "screen", "full", "deaths averted", "died waiting averted",
                               *[c.replace("_reduction", " −min" if c.startswith("ambulance") else " −days")
                                 for c in waits]])
    notes = []
    v = result.leader_vs_runner_up
    if v:
        first, second = r["unit"].iloc[0], r["unit"].iloc[1]
        if v["lower"] > 0:
            notes.append(f"{first} averts more deaths than {second}: {number(v['difference'])} "
                         f"[{number(v['lower'])}, {number(v['upper'])}] more (paired 95% interval above 0)")
        else:
            notes.append(f"{first} and {second} are not told apart: {first} averts {number(v['difference'])} "
                         f"[{number(v['lower'])}, {number(v['upper'])}] more deaths (the interval includes 0)")
    if result.checked_all:
        notes.append("screen check: every candidate was confirmed; " + (
            "none off the shortlist did better than its leader" if not result.missed
            else "the screen missed: " + ", ".join(result.missed)))
    else:
        notes.append("the screen ranks by waiting one more unit could absorb; it can miss knock-on effects "
                     "(--check-screen confirms every candidate)")
    if (result.screen["screen_score"] == 0).all():
        notes.append("no unit was ever full with someone waiting for it: one more unit anywhere changes little")
    return head + "\n" + table + "\n" + "\n".join(notes)


def write_units(result: UnitRanking, out: Path) -> list[Path]:
    """units.csv (the confirmed ranking), screen.csv (every candidate), comparison.csv,
    replications.csv, units.png."""
    from .decision_plots import unit_bars
    from .plots import save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "units.csv", out / "screen.csv", out / "comparison.csv", out / "replications.csv",
             out / "units.png"]
    result.ranking.to_csv(paths[0], index=False)
    result.screen.to_csv(paths[1], index=False)
    result.comparison.differences.to_csv(paths[2], index=False)
    result.comparison.replications.table.to_csv(paths[3], index=False)
    save(unit_bars(result.ranking), str(paths[4]))
    return paths


def frontier_text(result: Frontier) -> str:
    """The frontier, its interval and the binding target, then every target's own frontier."""
    def span(t: TargetFrontier) -> str:
        if t.status == "met throughout":
            return f"met at every rate tried up to {number(t.rate)}/day (the frontier is higher)"
        if t.status == "never met":
            return f"missed even at {number(t.rate)}/day (the frontier is lower)"
        if t.status == "above":
            return f"met at {number(t.rate)}/day, the binding target's upper end: not binding (its own frontier is higher)"
        if math.isnan(t.lower):
            return f"{number(t.rate)}/day (above the binding target's interval: not binding)"
        return f"{number(t.rate)}/day [{number(t.lower)}, {number(t.upper)}]"

    lines = [f"Capacity frontier · {result.replications} replications per rate on common random numbers · "
             f"{result.simulations} runs ({result.reused} read back) · {result.seconds:.1f} s",
             f"highest constant F0/day meeting every target: {number(result.rate)} "
             f"[{number(result.lower)}, {number(result.upper)}] (95% interval), set by {result.binding}"]
    lines += [f"  {t.target.describe():<34} {span(t)}" for t in result.targets]
    lines.append("  the interval: rates where the 95% interval of the figure crosses the limit (chance in "
                 "the replications; not the model's assumptions)")
    return "\n".join(lines)


def frontier_line_text(line: FrontierLine) -> str:
    rows = [[number(float(r[line.path])), number(r["frontier"]), f"[{number(r['lower'])}, {number(r['upper'])}]",
             r["binding"]] for r in line.table.to_dict("records")]
    return (f"Capacity frontier as {line.path} varies (F0/day, 95% intervals)\n"
            + _text_table(rows, [line.path, "frontier", "95% interval", "binding target"]))


def write_frontier(result: Frontier | FrontierLine, out: Path) -> list[Path]:
    """frontier.csv, evaluations.csv (every rate tried), frontier.png; with a varied field also
    frontier_line.csv and frontier_line.png."""
    from .decision_plots import frontier_band, frontier_curves
    from .plots import save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "frontier.csv", out / "evaluations.csv", out / "frontier.png"]
    if isinstance(result, FrontierLine):
        import pandas as pd

        pd.concat([f.table for f in result.frontiers]).to_csv(paths[0], index=False)
        pd.concat([f.evaluations.assign(**{result.path: v}) for v, f in zip(result.values, result.frontiers,
                                                                             strict=True)]).to_csv(paths[1], index=False)
        save(frontier_curves(result.frontiers[0].evaluations, result.frontiers[0].table,
                             f"Frontier at {result.path} = {result.values[0]}"), str(paths[2]))
        paths += [out / "frontier_line.csv", out / "frontier_line.png"]
        result.table.to_csv(paths[3], index=False)
        save(frontier_band(result.table, result.path), str(paths[4]))
        return paths
    result.table.to_csv(paths[0], index=False)
    result.evaluations.to_csv(paths[1], index=False)
    save(frontier_curves(result.evaluations, result.table), str(paths[2]))
    return paths


def optimise_text(result: Optimisation) -> str:
    """The search in a few lines: what was searched, the chosen plan, its confirmation, the verdict."""
    cur = result.currency
    budget = "no budget" if not math.isfinite(result.budget) else f"budget {number(result.budget)} {cur}"
    lines = [f"Cheapest plan meeting {', '.join(t.describe() for t in result.targets)} · {budget} · "
             f"{len(result.plans)} plans tried ({result.plans['plan'].nunique()} distinct) × {result.replications} "
             f"replications on common random numbers · {result.simulations} runs ({result.reused} read back) · "
             f"{result.seconds:.1f} s",
             "decisions: " + "; ".join(f"{d.name} {d.level_text(d.levels[0])}…{d.level_text(d.levels[-1])}"
                                      for d in result.decisions)]
    feasible = int(result.plans["feasible"].sum())
    lines.append(f"{feasible} of the plans tried meet every target within the budget; Pareto set (cost vs deaths "
                 f"while waiting): {len(result.pareto)} plans")
    if len(result.confirmation):
        rows = []
        for r in result.confirmation.to_dict("records"):
            cells = [r["plan"], number(r["cost"])]
            cells += [f"{number(r[t.figure])} [{number(r[t.figure + '_lower'])}, {number(r[t.figure + '_upper'])}]"
                      for t in result.targets]
            cells += [f"{number(r['died_waiting'])} [{number(r['died_waiting_lower'])}, "
                      f"{number(r['died_waiting_upper'])}]",
                      "yes, with confidence" if r["meets_with_confidence"] else ("on average" if r["meets_targets"]
                                                                                 else "no")]
            rows.append(cells)
        lines.append("confirmed on fresh replications (paired, 95% intervals):")
        lines.append(_text_table(rows, ["plan", f"cost ({cur})", *[t.describe() for t in result.targets],
                                        "died waiting", "meets targets"]))
    lines.append(result.verdict)
    if result.chosen is not None:
        lines.append("adds: " + ", ".join(f"{number(a)} {u.replace('_', ' ')}s" for u, a in result.chosen.added.items()
                                          if a))
    return "\n".join(lines)


def write_optimisation(result: Optimisation, out: Path) -> list[Path]:
    """plans.csv (every trial), pareto.csv, confirmation.csv, optimise.png and, when a plan was
    chosen, plan.yaml: the scenario with the plan applied, ready for `flowsim run plan.yaml`."""
    from .config import to_yaml
    from .decision_plots import pareto_plot
    from .plots import save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "plans.csv", out / "pareto.csv", out / "confirmation.csv", out / "optimise.png"]
    result.plans.to_csv(paths[0], index=False)
    result.pareto.to_csv(paths[1], index=False)
    result.confirmation.to_csv(paths[2], index=False)
    chosen = result.chosen.label if result.chosen is not None else None
    save(pareto_plot(result.plans, result.pareto, chosen, result.currency, result.budget), str(paths[3]))
    if result.chosen is not None:
        header = (f"# flowsim optimise: the chosen plan ({chosen}), cost {number(result.chosen.cost)} "
                  f"{result.currency}\n# {result.verdict}\n")
        (out / "plan.yaml").write_text(header + to_yaml(result.chosen.scenario), encoding="utf-8")
        paths.append(out / "plan.yaml")
    return paths
