"""What an experiment prints and writes: plain-text tables of figures with their intervals,
tidy CSV / Parquet tables, and the PNG charts (drawn by plots.py from those tables)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .config import to_yaml
from .experiments import Bottlenecks, Comparison, Sweep
from .intervals import INTERVAL_MIN
from .replications import Replications

KEY_FIGURES = ("died", "died_waiting", "wait_tier2_p90", "wait_tier3_p90", "peak_tier2", "peak_tier3")
"""Figures shown by default in printed comparisons and forest plots (all are in the CSVs)."""


def default_figures(columns: Sequence[str]) -> list[str]:
    """KEY_FIGURES, plus any other p90 figure the model reports (e.g. ambulance response)."""
    extra = [c for c in columns if str(c).endswith("_p90") and c not in KEY_FIGURES]
    return [f for f in (*KEY_FIGURES, *extra) if f in columns]


def number(value: float) -> str:
    """A figure for a table: thousands separated, about three significant digits below 1,000."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def percent(share: float, half_width: float = float("nan")) -> str:
    """A share (0-1) as a percentage with its interval's half-width if known, or — when undefined."""
    if share is None or math.isnan(share):
        return "—"
    return f"{number(100 * share)}%" + ("" if math.isnan(half_width) else f" ±{number(100 * half_width)}")


def _text_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    lines.append("-" * len(lines[0]))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(lines)


def _where(result: Replications, executor: str) -> str:
    saved = f", {result.reused} read back from {result.store}" if result.reused else ""
    return (f"{result.replications} replications ({result.ran} run{saved}) · {result.seconds:.1f} s"
            + (f" · {executor}" if executor else ""))


def replication_table(result: Replications, executor: str = "") -> str:
    """Every key figure's mean and 95% interval across the replications of one scenario."""
    sc = result.design.scenarios[0]
    head = f"{sc.name} · {sc.horizon_days:g} days · seed {result.design.seed} · {_where(result, executor)}"
    few = result.intervals["n"].max() < INTERVAL_MIN if len(result.intervals) else False
    if few:  # 2-4 runs: the t-interval is wider than the figure; the runs' own range says more
        spread = result.table[result.intervals["figure"].tolist()]
        rows = [[r.figure, number(r.mean), f"{number(spread[r.figure].min())} to {number(spread[r.figure].max())}",
                 number(r.sd), str(r.n)] for r in result.intervals.itertuples()]
    else:
        rows = [[r.figure, number(r.mean), f"[{number(r.lower)}, {number(r.upper)}]", number(r.sd), str(r.n)]
                for r in result.intervals.itertuples()]
    header = ["figure", "mean", "range of the runs" if few else "95% interval", "sd", "n"]
    if "posterior_sample" in result.table:  # the spread itself: what a planner should expect, not just the mean
        header.append("5%-95% of runs")
        for row, r in zip(rows, result.intervals.itertuples(), strict=True):
            x = result.table[r.figure].dropna()
            row.append(f"{number(x.quantile(0.05))}-{number(x.quantile(0.95))}" if len(x) else "—")
    text = head + "\n" + _text_table(rows, header)
    if few:
        text += (f"\nfewer than {INTERVAL_MIN} replications: the range of the runs, not an interval "
                 f"(more replications for one; intervals.csv has the 95% interval)")
    if result.auto is not None:
        text += "\n" + result.auto.describe()
    return text


def write_replications(result: Replications, out: Path) -> list[Path]:
    """summary.csv (a row per replication), intervals.csv, resources.csv (bed pools per
    replication), timeseries.parquet (every replication) and overview.png (their mean)."""
    from .plots import overview, save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "summary.csv", out / "intervals.csv", out / "resources.csv"]
    result.table.drop(columns="scenario").to_csv(paths[0], index=False)
    result.intervals.to_csv(paths[1], index=False)
    result.pools.drop(columns="scenario").to_csv(paths[2], index=False)
    if result.timeseries is not None:
        ts = result.timeseries.drop(columns="scenario")
        ts.to_parquet(out / "timeseries.parquet", index=False)
        paths.append(out / "timeseries.parquet")
        mean = ts.drop(columns="replication").groupby("time", as_index=False).mean()
        save(overview(mean, f"{result.design.scenarios[0].name} · mean of {result.replications} replications"),
             str(out / "overview.png"))
        paths.append(out / "overview.png")
    (out / "scenario.yaml").write_text(to_yaml(result.design.scenarios[0]), encoding="utf-8")
    paths.append(out / "scenario.yaml")
    return paths


def sweep_table(result: Sweep, figure: str) -> str:
    """The chosen figure at every grid point, with its 95% interval."""
    t = result.intervals[result.intervals["figure"] == figure]
    rows = [[*(str(v) for v in vals), number(m), f"[{number(lo)}, {number(hi)}]", str(n)]
            for vals, m, lo, hi, n in zip(t[result.factors].itertuples(index=False, name=None), t["mean"], t["lower"],
                                          t["upper"], t["n"], strict=True)]
    return _text_table(rows, [*result.factors, f"{figure} mean", "95% interval", "n"])


def write_sweep(result: Sweep, out: Path, figure: str) -> list[Path]:
    """sweep.csv (a row per grid point and replication), sweep_intervals.csv and a chart."""
    from .plots import save, sweep_chart

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "sweep.csv", out / "sweep_intervals.csv", out / f"sweep_{figure}.png"]
    result.table.to_csv(paths[0], index=False)
    result.intervals.to_csv(paths[1], index=False)
    save(sweep_chart(result.intervals, result.factors, figure), str(paths[2]))
    return paths


def comparison_table(result: Comparison, figures: Sequence[str]) -> str:
    """Each scenario's paired difference from the baseline, for the chosen figures."""
    d = result.differences[result.differences["figure"].isin(figures)]
    rows = [[f"{r.scenario}: {r.figure}", number(r.mean_baseline), number(r.mean), number(r.difference),
             f"[{number(r.lower)}, {number(r.upper)}]", f"±{number(r.half_width_unpaired)}"]
            for r in d.itertuples()]
    head = (f"baseline: {result.baseline} · {_where(result.replications, '')} · paired by replication "
            "(common random numbers)")
    return head + "\n" + _text_table(rows, ["scenario: figure", "baseline", "scenario", "difference",
                                      "paired 95% interval", "unpaired"])


def write_comparison(result: Comparison, out: Path, figures: Sequence[str]) -> list[Path]:
    """comparison.csv (every figure), replications.csv and forest.png (the chosen figures)."""
    from .plots import forest, save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "comparison.csv", out / "replications.csv", out / "forest.png"]
    result.differences.to_csv(paths[0], index=False)
    result.replications.table.to_csv(paths[1], index=False)
    save(forest(result.differences, list(figures)), str(paths[2]))
    return paths


def bottleneck_table(result: Bottlenecks) -> str:
    """Resources in rank order: units added, share of time full, deaths averted, p90 reductions."""
    r = result.ranking
    waits = [c for c in r.columns if c.endswith("_p90_reduction")]
    rows = []
    for row in r.to_dict("records"):
        cells = [f"{row['rank']}. {row['resource']}", number(row["added"]),
                 f"{percent(row['share_time_full'], row['share_time_full_half_width'])} / "
                 f"{percent(row['ward_share_full'], row['ward_share_full_half_width'])}",
                 f"{number(row['deaths_averted'])} [{number(row['deaths_averted_lower'])}, "
                 f"{number(row['deaths_averted_upper'])}]"]
        cells += [f"{number(row[c])} [{number(row[c + '_lower'])}, {number(row[c + '_upper'])}]" for c in waits]
        rows.append(cells)
    head = (f"What +{result.step:.0%} of each resource buys · {_where(result.comparison.replications, '')} · "
            "paired 95% intervals")
    return head + "\n" + _text_table(rows, ["resource", "+units", "full: pool / ward", "deaths averted",
                                      *[c.replace("_reduction", " −min" if c.startswith("ambulance") else " −days")
                                        for c in waits]])


def write_bottlenecks(result: Bottlenecks, out: Path) -> list[Path]:
    """bottlenecks.csv (the ranking), comparison.csv, replications.csv, bottlenecks.png."""
    from .plots import bottleneck_bars, save

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "bottlenecks.csv", out / "comparison.csv", out / "replications.csv", out / "bottlenecks.png"]
    result.ranking.to_csv(paths[0], index=False)
    result.comparison.differences.to_csv(paths[1], index=False)
    result.comparison.replications.table.to_csv(paths[2], index=False)
    save(bottleneck_bars(result.ranking, result.step), str(paths[3]))
    return paths



def fit_table(result, cases: str, renewal, interventions) -> str:  # noqa: ANN001 - epidemic.Projection, config types
    """What `flowsim fit` prints: R_t of the last window with its credible interval, the growth it
    implies, and the projection at a few horizons."""
    last = result.rt.iloc[-1]
    days = len(result.curve)
    gi = renewal.generation_interval
    doubling = [math.log(2) / g if g > 0 else math.inf for g in (last["growth_upper"], last["growth_lower"])]
    lines = [
        f"{cases}: R_t over the last {renewal.fit_window_days} days (days {int(last['day']) - renewal.fit_window_days + 1}"
        f"–{int(last['day'])}), Cori et al. 2013, generation interval mean {gi.mean_days:g} d, SD {gi.sd_days:g} d",
        f"  R_t {last['rt_mean']:.3f}  95% credible interval [{last['rt_lower']:.3f}, {last['rt_upper']:.3f}]"
        f"  (posterior SD {last['rt_sd']:.3f})",
        f"  growth {last['growth_mean']:+.4f}/day [{last['growth_lower']:+.4f}, {last['growth_upper']:+.4f}]"
        + (f"  doubling {number(last['doubling_days'])} days [{number(doubling[0])}, {number(doubling[1])}]"
           if last["growth_mean"] > 0 else "  (declining)"),
        "  The interval covers R_t given these counts (Poisson, R_t constant over the window, this generation",
        "  interval); not a change after the window, reporting delays or weekday effects.",
        "",
        "projection (day 0 = the day after the last observed day)"
        + (": " + "; ".join(f"from day {iv.day:g}, transmission cut by {iv.effect:.0%}"
                            + (f" over {iv.ramp_days:g} d" if iv.ramp_days else "") for iv in interventions)
           if interventions else ", no intervention"),
    ]
    rows = [[f"day {d}", number(r.expected), f"[{number(r.lower)}, {number(r.upper)}]"]
            for d in sorted({0, 7, 14, 28, days - 1} & set(range(days)))
            for r in [result.curve.iloc[d]]]
    peak = result.curve.loc[result.curve["expected"].idxmax()]
    rows.append([f"peak (day {int(peak['day'])})", number(peak["expected"]), f"[{number(peak['lower'])}, {number(peak['upper'])}]"])
    lines.append(_text_table(rows, ["", "F0/day", "95% band (R_t uncertainty)"]))
    lines.append("")
    lines.append(f"to simulate it: flowsim run --set arrivals.profile=renewal --set arrivals.csv={cases} "
                 f"--set arrivals.renewal.rt_sd={last['rt_sd']:.3f}"
                 + "".join(f" --distancing {iv.day:g}:{iv.effect:g}:{iv.ramp_days:g}" for iv in interventions[:1])
                 + "  (R_t is fitted again from the CSV; rt_sd gives each replication its own draw)")
    return "\n".join(lines)
