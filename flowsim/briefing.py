"""The briefing report: one self-contained HTML page of a scenario to hand round after a meeting.

What was assumed, the headline, the key figures with their intervals (or the runs' range, below 5
replications), the bottlenecks, the charts, the comparison if one was made and the validation
status — in English or Vietnamese (flowsim/locales). Charts are PNGs inside the page (no network,
no scripts), and the page prints to PDF from the browser. The app's button and `flowsim report
OUT_DIR` both write it from the same tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__, levers
from .config import Scenario, to_yaml
from .headline import POOL_KEYS, headline, sentence
from .i18n import DEFAULT, bracket, count, figure_digits, figure_value, has, local_name, named, number, text
from .intervals import INTERVAL_MIN

KEY_FIGURES = ("died", "died_waiting", "wait_tier2_p90", "wait_tier3_p90", "ambulance_response_p90",
               "peak_tier2", "peak_tier3", "full_days_oxygen", "full_days_icu", "tier1_overflow",
               "utilisation_oxygen", "utilisation_icu", "arrivals", "recovered")


@dataclass
class Briefing:
    """What a report says, as tables: a setting's replications and replication 0's detail, and the
    experiments run on it (each optional)."""

    scenario: Scenario
    seed: int
    """The experiment's seed (replication i's streams come from it): with the scenario, the numbers."""
    summary: pd.DataFrame
    """A row per replication (`interactive.look(...).table`)."""
    intervals: pd.DataFrame | None
    timeseries: pd.DataFrame
    resources: pd.DataFrame
    waits: pd.DataFrame
    transfers: pd.DataFrame
    ranking: pd.DataFrame | None = None
    """`bottlenecks(...).ranking` of the same setting."""
    step: float = 0.10
    comparison: pd.DataFrame | None = None
    """`compare(...).differences`, the first scenario the baseline."""
    validation: pd.DataFrame | None = None
    """`validation.validate(...)`: theory against simulation, pass or fail per check."""


def _png(fig) -> str:  # noqa: ANN001 - a matplotlib Figure
    from .plots import plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td class='{'n' if i >= numeric_from else ''}'>{html.escape(str(c))}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _assumptions(s: Scenario, lang: str) -> str:
    now = levers.current(s)
    rows = []
    for lever in levers.LEVERS:
        value = now.get(lever.key)
        if value is not None:
            rows.append([named("lever", lever.key, lang), number(value, 0 if lever.whole else 2, lang)])
    a = s.arrivals
    if a.profile != "constant":
        rows.append([text("report.arrivals", lang), a.profile])
    for tier in (1, 2, 3):
        beds = sum(s.beds(f, tier) for f in s.facilities)
        rows.append([text(f"tier.{tier}", lang), number(beds, 0, lang)])
    if s.ambulances is not None:
        rows.append([text("resource.ambulances", lang),
                     number(sum(b.vehicles for b in s.ambulances.bases) * s.capacity_scale.ambulances, 0, lang)])
    rows.append([text("lever.routing.label", lang), text(f"routing.{now['routing']}", lang)])
    if now["dispatch"] is not None:
        rows.append([text("lever.dispatch.label", lang), text(f"dispatch.{now['dispatch']}", lang)])
    for g in s.risk_groups:
        group = text(f"group.{g.name}", lang) if has(f"group.{g.name}", lang) else g.name
        rows.append([text("lever.home_share.label", lang, group=group), number(g.home_share, 2, lang)])
    rows.append([text("report.window", lang), f"{number(s.warmup_days, 0, lang)}–{number(s.horizon_days, 0, lang)}"])
    return _table([text("report.assumption", lang), text("report.value", lang)], rows)


def _figures(b: Briefing, lang: str) -> str:
    runs = len(b.summary)
    ci = b.intervals.set_index("figure") if b.intervals is not None else None
    rows = []
    for name in KEY_FIGURES:
        if name not in b.summary or b.summary[name].isna().all():
            continue
        x = b.summary[name].dropna()
        digits, scale = figure_digits(name)
        if runs >= INTERVAL_MIN and ci is not None and name in ci.index:
            spread = bracket(ci.loc[name, "lower"] * scale, ci.loc[name, "upper"] * scale, digits, lang)
        else:
            spread = f"{figure_value(name, x.min(), lang)} – {figure_value(name, x.max(), lang)}"
        rows.append([text(f"figure.{name}.label", lang), text(f"figure.{name}.unit", lang),
                     figure_value(name, x.mean(), lang), spread])
    spread_head = text("table.interval" if runs >= INTERVAL_MIN else "table.range", lang)
    note = text("report.interval_note" if runs >= INTERVAL_MIN else "report.range_note", lang, runs=count(runs, "replications", lang))
    return (_table([text("table.figure", lang), text("table.unit", lang), text("table.mean", lang), spread_head],
                   rows, numeric_from=2) + f"<p class='note'>{html.escape(note)}</p>")


def _pools(b: Briefing, lang: str) -> str:
    pools = b.resources[(b.resources["level"] == "pool") & (b.resources["capacity"] > 0)]
    rows = [[text(f"resource.{POOL_KEYS[r.resource]}", lang) if r.resource in POOL_KEYS else r.resource,
             number(r.capacity, 0, lang), f"{number(100 * r.utilisation, 0, lang)} %",
             f"{number(100 * r.share_time_full, 0, lang)} %", number(r.days_full, 1, lang)]
            for r in pools.sort_values("share_time_full", ascending=False).itertuples()]
    return _table([text(f"resources.{c}", lang) for c in ("resource", "capacity", "utilisation", "share_time_full",
                                                           "days_full")], rows)


def _ranking(b: Briefing, lang: str) -> str:
    assert b.ranking is not None
    rows = [[f"{int(r['rank'])}. " + (text(f"resource.{r['resource']}", lang) if has(f"resource.{r['resource']}", lang)
                                       else str(r["resource"])),
             number(r["added"], 0, lang),
             f"{number(r['deaths_averted'], 1, lang)} {bracket(r['deaths_averted_lower'], r['deaths_averted_upper'], 1, lang)}"]
            for r in b.ranking.sort_values("rank").to_dict("records")]
    return _table([text("resources.resource", lang), text("report.added", lang), text("plot.deaths_averted", lang)],
                  rows)


def _comparison(b: Briefing, lang: str) -> str:
    assert b.comparison is not None
    d = b.comparison[b.comparison["figure"].isin(KEY_FIGURES[:7])]
    rows = []
    for r in d.to_dict("records"):
        name = r["figure"]
        digits, scale = figure_digits(name)
        rows.append([str(r["scenario"]), text(f"figure.{name}.label", lang), figure_value(name, r["mean_baseline"], lang),
                     figure_value(name, r["mean"], lang), number(r["difference"] * scale, max(digits, 1), lang),
                     bracket(r["lower"] * scale, r["upper"] * scale, max(digits, 1), lang)])
    baseline = str(b.comparison["baseline"].iloc[0]) if len(b.comparison) else ""
    return (f"<p>{html.escape(text('report.baseline', lang, baseline=baseline))}</p>"
            + _table([text("report.scenario", lang), text("table.figure", lang), text("report.baseline_value", lang),
                      text("report.scenario_value", lang), text("report.difference", lang),
                      text("table.interval", lang)], rows, numeric_from=2))


def _validation(b: Briefing, lang: str) -> str:
    if b.validation is None:
        return f"<p>{html.escape(text('report.validation_not_run', lang))}</p>"
    v = b.validation
    rows = [[str(r.case), str(r.quantity), f"{r.theory:.4g}", f"{r.mean:.4g}",
             text("report.pass" if r.passed else "report.fail", lang)] for r in v.itertuples()]
    head = text("report.validation_summary", lang, passed=int(v["passed"].sum()), total=len(v))
    return (f"<p><b>{html.escape(head)}</b></p>"
            + _table([text("report.case", lang), text("report.quantity", lang), text("report.theory", lang),
                      text("report.simulated", lang), text("report.result", lang)], rows, numeric_from=2))


CSS = """
body { font-family: system-ui, 'Segoe UI', Roboto, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.meta { color: #666; font-size: 0.9rem; } .note { color: #555; font-size: 0.85rem; }
.headline { background: #eef4fb; border-left: 5px solid #2c6fbb; padding: 0.8rem 1rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f4; }
img { max-width: 100%; } pre { font-size: 0.75rem; white-space: pre-wrap; background: #f7f7f7; padding: 0.5rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } img, table { break-inside: avoid; }
               details { display: none; } }
"""


def html_report(b: Briefing, lang: str = DEFAULT, when: dt.datetime | None = None) -> str:
    """The briefing as one HTML page (charts inside, no network needed)."""
    from . import plots

    def t(key: str, **values: object) -> str:
        return html.escape(text(key, lang, **values))

    s = b.scenario
    runs = len(b.summary)
    when = when or dt.datetime.now(dt.UTC)
    first = b.summary.iloc[0]
    h = headline(b.summary, b.timeseries, b.resources, b.waits, b.transfers, b.ranking, b.step)
    parts = [
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{t('report.title', name=local_name(s.name, lang))}</title><style>{CSS}</style></head><body>",
        f"<h1>{t('report.title', name=local_name(s.name, lang))}</h1>",
        f"<p class='meta'>{t('report.meta', when=when.strftime('%Y-%m-%d %H:%M UTC'), version=__version__, runs=count(runs, 'replications', lang), seed=b.seed, start=number(first['window_start'], 0, lang), end=number(first['window_end'], 0, lang))}</p>",
        f"<p class='headline'>{html.escape(sentence(h, lang))}</p>",
        f"<h2>{t('report.assumptions')}</h2>", _assumptions(s, lang),
        f"<h2>{t('report.key_figures')}</h2>", _figures(b, lang),
        f"<h2>{t('report.over_time')}</h2>",
        f"<img alt='{t('report.over_time')}' src='{_png(plots.overview(b.timeseries, local_name(s.name, lang), lang=lang))}'>",
        f"<p class='note'>{t('report.replication0')}</p>",
        f"<h2>{t('view.bottlenecks')}</h2>", _pools(b, lang),
        f"<img alt='{t('view.bottlenecks')}' src='{_png(plots.resource_ranking(b.resources, lang=lang))}'>",
        f"<p class='note'>{t('bottlenecks.ranking_caption')}</p>",  # the bars and dots of that chart
    ]
    if b.ranking is not None:
        parts += [f"<h3>{t('bottlenecks.what_buys')}</h3>", _ranking(b, lang),
                  f"<img alt='' src='{_png(plots.bottleneck_bars(b.ranking, b.step, lang=lang))}'>",
                  f"<p class='note'>{t('bottlenecks.what_buys_caption')}</p>"]
    else:
        parts.append(f"<p class='note'>{t('report.no_ranking')}</p>")
    if b.comparison is not None and len(b.comparison):
        figures = [f for f in KEY_FIGURES[:7] if f in set(b.comparison["figure"])]
        parts += [f"<h2>{t('view.compare')}</h2>", _comparison(b, lang),
                  f"<img alt='' src='{_png(plots.forest(b.comparison, figures, lang=lang))}'>"]
    parts += [f"<h2>{t('report.validation')}</h2>", _validation(b, lang),
              f"<details><summary>{t('report.scenario_yaml')}</summary><pre>{html.escape(to_yaml(s))}</pre></details>",
              f"<p class='note'>{t('report.reproduce', seed=b.seed, runs=runs)}</p>",
              "</body></html>"]
    return "\n".join(parts)


def write(b: Briefing, out: Path, lang: str = DEFAULT) -> Path:
    """OUT/report.html (and the folder, if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(html_report(b, lang), encoding="utf-8")
    return path


def from_look(scenario: Scenario, seed: int, look, **experiments) -> Briefing:  # noqa: ANN001 - interactive.Look
    """A briefing of `interactive.look`'s result, with any experiments (ranking, comparison, validation)."""
    d = look.detail
    return Briefing(scenario, seed, look.table, look.intervals, d.timeseries, d.resources, d.waits, d.transfers,
                    **experiments)
