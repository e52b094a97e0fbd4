"""What the decision tools print and write: plain-text tables and their files."""

from __future__ import annotations

from pathlib import Path

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
