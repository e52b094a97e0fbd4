"""Interactive charts for the app (Altair / Vega-Lite), drawn from the same result tables as the
PNG figures of plots.py (which the CLI still writes).

Every chart hovers its values with their units, zooms and pans (scroll, drag; double-click
resets), and names its series in a legend that reads without the caption — in the reader's
language (flowsim/locales). Altair is Streamlit's own chart library: no extra dependency.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .headline import POOL_KEYS
from .i18n import (
    DEFAULT,
    figure_digits,
    figure_label,
    gain_title,
    has,
    local_name,
    separators,
    significant,
    text,
)
from .plots import TIER_COLOURS, factor_label

WIDTH = "container"
HEATMAP_ROWS = 25
"""Facilities shown in an occupancy heatmap at most (the busiest): more rows cannot be read."""


def vega_locale(lang: str) -> dict:
    """Vega's number locale for `lang` (a spec's `config.locale`), read off `i18n.number`, the one
    rule for writing numbers: axes and hovers then write 2.270,5 in Vietnamese, as the cards do
    (Vega's own default is English)."""
    thousands, decimal = separators(lang)
    return {"number": {"decimal": decimal, "thousands": thousands, "grouping": [3], "currency": ["", ""]}}


def zoom_x() -> alt.Parameter:
    return alt.selection_interval(bind="scales", encodings=["x"])


def _day(lang: str) -> alt.X:
    return alt.X("time:Q", title=text("chart.day", lang))


def room(values: pd.DataFrame) -> alt.Scale:
    """A value axis's scale: Vega's own, or a unit either side of 0 when every value is 0 (a
    domain of [0, 0] made it tick "0,000000")."""
    return alt.Scale() if float(values.abs().max().max()) > 0 else alt.Scale(domain=[-1, 1])


def series_colours(names: list[str], colours: list[str]) -> alt.Scale:
    return alt.Scale(domain=names, range=colours)


OVERVIEW = ("census", "waiting", "oxygen", "icu")
"""The overview's four charts, in the order a page shows them."""

Series = tuple[tuple[str, str], ...]
"""A chart's series, each (name in the legend, colour): what its legend shows, fixed by the data."""


def overview_data(timeseries: pd.DataFrame, lang: str = DEFAULT) -> dict[str, tuple[pd.DataFrame, Series]]:
    """What each overview chart draws (`OVERVIEW`): its table and its series. Patients in care by
    tier, who waits (only what some patient waited for, and the deaths while waiting), and oxygen
    and ICU beds against capacity."""
    ts = timeseries
    tiers = {f"census_tier{k}": text(f"tier.{k}", lang) for k in (1, 2, 3)}
    census = ts.melt("time", list(tiers), var_name="series", value_name="value")
    census["series"] = census["series"].map(tiers)
    out = {"census": (census, tuple((tiers[f"census_tier{k}"], TIER_COLOURS[k]) for k in (1, 2, 3)))}

    frame = pd.DataFrame({"time": ts["time"]})
    series: list[tuple[str, str]] = []
    for k in (1, 2, 3):
        if ts[f"queue_tier{k}"].any():
            name = text("chart.waiting_for_tier", lang, tier=text(f"tier.{k}", lang))
            frame[name] = ts[f"queue_tier{k}"]
            series.append((name, TIER_COLOURS[k]))
    if "calls_waiting" in ts and ts["calls_waiting"].any():
        frame[text("chart.calls_waiting", lang)] = ts["calls_waiting"]
        series.append((text("chart.calls_waiting", lang), "#2c6fbb"))
    frame[text("chart.died_cumulative", lang)] = ts["deaths_waiting"].cumsum()
    series.append((text("chart.died_cumulative", lang), "#000000"))
    out["waiting"] = (frame.melt("time", [n for n, _ in series], var_name="series", value_name="value"), tuple(series))

    for key, tier in (("oxygen", 2), ("icu", 3)):
        beds = pd.DataFrame({"time": ts["time"], "occupied": ts[f"occupied_tier{tier}"],
                             "capacity": ts[f"capacity_tier{tier}"]})
        beds["full"] = (beds["occupied"] >= beds["capacity"]) & (beds["capacity"] > 0)
        beds["state"] = beds["full"].map({True: text("chart.all_full", lang), False: text("chart.occupied", lang)})
        out[key] = (beds, ())
    return out


LOG_TICKS = [0, 10, 100, 1_000, 10_000, 100_000]
CENSUS_HEIGHT = 360  # the app fits a chart's whole height (title, axis, legend) to this: its two-row
# legend left the plot 30 px at 260
LEGEND_LABEL_PX = 360  # Vega's default (160 px) cut the longer Vietnamese labels ("giường hồi sức tích c…");
# the census legend in two columns: in one row its five entries ran off the chart's right edge


def overview_chart(name: str, data: pd.DataFrame | alt.NamedData, series: Series, lang: str = DEFAULT) -> alt.Chart:
    """One overview chart (`OVERVIEW`) over `data`: its table from `overview_data`, or a dataset
    by name that comes with the spec (the app: the spec then stays the same from one lever
    setting to the next, and the browser swaps the data into the chart it has drawn). Zooming a
    day range is per chart (x only)."""
    w = {"patients": text("chart.patients", lang), "beds": text("chart.beds", lang), "day": text("chart.day", lang)}
    names, colours = [n for n, _ in series], [c for _, c in series]
    if name in ("census", "waiting"):
        census = name == "census"
        lines = alt.Chart(data, title=text(f"chart.{name}", lang)).mark_line().encode(
            _day(lang),
            # census: tier 1 is ~30 times the others, so a log scale, said in the axis title, with
            # ticks at each power of ten (it chose only 0 and 40,000)
            alt.Y("value:Q", title=text("chart.patients_log", lang) if census else w["patients"],
                  scale=alt.Scale(type="symlog") if census else alt.Undefined,
                  # patients are counted whole: no "0,000000" tick when nobody waits
                  axis=alt.Axis(values=LOG_TICKS) if census else alt.Axis(format=",~f", tickMinStep=1)),
            alt.Color("series:N", title=None, scale=series_colours(names, colours),
                      legend=alt.Legend(orient="bottom" if census else "top-left", labelLimit=LEGEND_LABEL_PX,
                                        columns=2 if census else alt.Undefined)),
            tooltip=[alt.Tooltip("time:Q", title=w["day"], format=".1f"), alt.Tooltip("series:N", title=text("chart.what", lang)),
                     alt.Tooltip("value:Q", title=w["patients"], format=",.0f")],
        )
        # the hover anywhere over a day: a near-invisible rule a sample, its tooltip every series
        # that moment (a 2-px line alone was hard to hit: no hover on the census, a tester found)
        tips = [alt.Tooltip("time:Q", title=w["day"], format=".1f"),
                *(alt.Tooltip(f"{n.replace('.', chr(92) + '.')}:Q", title=f"{n} ({w['patients']})", format=",.0f")
                  for n in names)]
        over = alt.Chart(data).transform_pivot("series", value="value", groupby=["time"]).mark_rule(
            opacity=0.001, strokeWidth=6).encode(_day(lang), tooltip=tips)
        return (lines + over).add_params(zoom_x()).properties(width=WIDTH, height=CENSUS_HEIGHT if census else 260)
    tier = {"oxygen": 2, "icu": 3}[name]
    tip = [alt.Tooltip("time:Q", title=w["day"], format=".1f"),
           alt.Tooltip("occupied:Q", title=f"{text('chart.occupied', lang)} ({w['beds']})", format=",.0f"),
           alt.Tooltip("capacity:Q", title=f"{text('chart.capacity', lang)} ({w['beds']})", format=",.0f"),
           alt.Tooltip("state:N", title=text("chart.what", lang))]
    base = alt.Chart(data, title=alt.Title(text(f"chart.{name}", lang), subtitle=(
        f"▒ {text('chart.occupied', lang)} · — {text('chart.capacity', lang)} · "
        f"{text('chart.all_full', lang)}: ▮")))
    # The hover is the area's, which says all four values: a tooltip on the capacity line and the
    # ticks said the same again, evaluated by the browser for every point (README: "Speed").
    area = base.mark_area(opacity=0.55, color=TIER_COLOURS[tier]).encode(
        _day(lang), alt.Y("occupied:Q", title=w["beds"]), tooltip=tip)
    cap = base.mark_line(color="black", strokeWidth=1).encode(_day(lang), alt.Y("capacity:Q"))
    full = base.transform_filter("datum.full").mark_tick(color="red", thickness=3).encode(_day(lang), alt.Y("capacity:Q"))
    return (area + cap + full).add_params(zoom_x()).properties(width=WIDTH, height=230)


def resource_ranking(resources: pd.DataFrame, lang: str = DEFAULT) -> alt.Chart:
    """Pools by the share of time entirely full (bar) with their mean use (point), in %."""
    pools = resources[(resources["level"] == "pool") & (resources["capacity"] > 0)].copy()
    pools["name"] = [text(f"resource.{POOL_KEYS[r]}", lang) if r in POOL_KEYS else r for r in pools["resource"]]
    pools["full"] = pools["share_time_full"].fillna(0) * 100
    pools["use"] = pools["utilisation"].fillna(0) * 100
    pools["days"] = pools["days_full"].fillna(0)
    order = pools.sort_values("full", ascending=False)["name"].tolist()
    tip = [alt.Tooltip("name:N", title=text("resources.resource", lang)),
           alt.Tooltip("capacity:Q", title=text("resources.capacity", lang), format=",.0f"),
           alt.Tooltip("full:Q", title=f"{text('plot.time_full', lang)} (%)", format=".1f"),
           alt.Tooltip("days:Q", title=f"{text('resources.days_full', lang)} ({text('chart.day', lang)})", format=".1f"),
           alt.Tooltip("use:Q", title=f"{text('plot.mean_use', lang)} (%)", format=".1f")]
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelFontSize=12, labelOverlap=False))
    x_scale = alt.Scale(domain=[0, 100])
    bars = alt.Chart(pools).mark_bar(color="#c0392b").encode(
        alt.X("full:Q", title=text("plot.percent_time", lang), scale=x_scale), y, tooltip=tip)
    dots = alt.Chart(pools).mark_point(color="black", filled=True, size=60).encode(
        alt.X("use:Q", scale=x_scale), y, tooltip=tip)
    return (bars + dots).properties(title=alt.Title(text("bottlenecks.ranking_title", lang),
                                                    subtitle=f"▮ {text('plot.time_full', lang)} · ● {text('plot.mean_use', lang)}"),
                                    width=WIDTH, height=alt.Step(34))


def held_back(transfers: pd.DataFrame, lang: str = DEFAULT) -> alt.Chart:
    """Transfers by what held them back: nothing, the bed, the vehicle or both."""
    order = ["none", "bed", "vehicle", "both"]
    counts = transfers["held_back_by"].value_counts().reindex(order, fill_value=0)
    total = max(int(counts.sum()), 1)
    frame = pd.DataFrame({"why": [text(f"plot.held_{k}", lang) for k in order], "count": counts.to_numpy(),
                          "share": counts.to_numpy() / total * 100})
    names = frame["why"].tolist()
    return alt.Chart(frame, title=text("plot.held_title", lang)).mark_bar().encode(
        alt.X("why:N", sort=names, title=None, axis=alt.Axis(labelAngle=0)),
        alt.Y("count:Q", title=text("plot.transfers", lang)),
        alt.Color("why:N", legend=None, scale=series_colours(names, ["#4c9f70", "#e0a030", "#2c6fbb", "#c0392b"])),
        tooltip=[alt.Tooltip("why:N", title=text("chart.what", lang)), alt.Tooltip("count:Q", title=text("plot.transfers", lang), format=",.0f"),
                 alt.Tooltip("share:Q", title="%", format=".1f")],
    ).properties(width=WIDTH, height=260)


def occupancy_heatmap(occupancy: pd.DataFrame, tier: int, kind: str, lang: str = DEFAULT,
                      rows: int = HEATMAP_ROWS) -> alt.Chart:
    """Share of beds taken per facility (rows, busiest first) over days, one tier and one kind."""
    occ = occupancy[(occupancy["tier"] == tier) & (occupancy["capacity"] > 0) & (occupancy["kind"] == kind)].copy()
    if occ.empty:
        return alt.Chart(pd.DataFrame({"x": [0]})).mark_text(size=14).encode(
            text=alt.value(text("bottlenecks.no_beds", lang, tier=text(f"tier.{tier}", lang),
                                kind=text(f"bottlenecks.kind_{kind}", lang)))).properties(width=WIDTH, height=60)
    occ["day"] = occ["time"].astype(float).floordiv(1).astype(int)
    daily = occ.groupby(["facility", "day"], as_index=False).agg(occupied=("occupied", "mean"), capacity=("capacity", "max"))
    daily["share"] = daily["occupied"] / daily["capacity"] * 100
    order = daily.groupby("facility")["share"].mean().sort_values(ascending=False).index[:rows].tolist()
    daily = daily[daily["facility"].isin(order)].assign(facility=lambda d: [local_name(f, lang) for f in d["facility"]])
    order = [local_name(f, lang) for f in order]
    return alt.Chart(daily, title=text("plot.heatmap_title", lang, tier=text(f"tier.{tier}", lang))).mark_rect().encode(
        alt.X("day:O", title=text("chart.day", lang), axis=alt.Axis(labelAngle=0, values=list(range(0, 400, 10)))),
        alt.Y("facility:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=12, labelOverlap=False)),
        alt.Color("share:Q", title="%", scale=alt.Scale(scheme="redyellowgreen", reverse=True, domain=[0, 100])),
        tooltip=[alt.Tooltip("facility:N", title=text("resources.facility", lang)),
                 alt.Tooltip("day:O", title=text("chart.day", lang)),
                 alt.Tooltip("occupied:Q", title=f"{text('chart.occupied', lang)} ({text('chart.beds', lang)}, "
                                                 f"{text('plot.mean', lang)})", format=",.1f"),
                 alt.Tooltip("capacity:Q", title=f"{text('chart.capacity', lang)} ({text('chart.beds', lang)})"),
                 alt.Tooltip("share:Q", title=f"{text('plot.share_taken', lang)} (%)", format=".0f")],
    ).properties(width=WIDTH, height=alt.Step(24))


def bottleneck_bars(ranking: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart]:
    """What +step of each resource buys, one chart per gain in its own unit, with paired 95%
    intervals; separate charts, each a share of the page (four concatenated panels of fixed width
    ran off it). The caller titles them (`plot.bottlenecks_title`)."""
    gains = ["deaths_averted", *[c for c in ranking.columns if c.endswith("_p90_reduction")]]
    names = [text(f"resource.{r}", lang) if has(f"resource.{r}", lang) else r for r in ranking["resource"]]
    panels: list[alt.LayerChart] = []
    for col in gains:
        title = gain_title(col, lang)
        frame = pd.DataFrame({"resource": names, "value": ranking[col], "lower": ranking[f"{col}_lower"],
                              "upper": ranking[f"{col}_upper"]})
        tip = [alt.Tooltip("resource:N", title=text("chart.what", lang)), alt.Tooltip("value:Q", title=title, format=",.2f"),
               alt.Tooltip("lower:Q", title=f"{text('plot.interval', lang)} ↓", format=",.2f"),
               alt.Tooltip("upper:Q", title=f"{text('plot.interval', lang)} ↑", format=",.2f")]
        y = alt.Y("resource:N", sort=names, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False))
        x = alt.X("value:Q", title=None, axis=alt.Axis(format=",~f"), scale=room(frame[["value", "lower", "upper"]]))
        base = alt.Chart(frame, title=alt.Title(title, fontSize=12))
        panels.append((base.mark_bar(color=TIER_COLOURS[1] if col == "deaths_averted" else TIER_COLOURS[2]).encode(
            x, y, tooltip=tip)
            + base.mark_rule(color="black").encode(alt.X("lower:Q"), alt.X2("upper:Q"), y, tooltip=tip)
        ).properties(width=WIDTH, height=alt.Step(30)))
    return panels


def _label(value: object, lang: str) -> str:
    return significant(value, 6, lang) if isinstance(value, float) else str(value)


def figure_format(name: str) -> str:
    """A key figure's d3 format, with the decimals its card has (`i18n.figure_digits`): shares as %."""
    digits, scale = figure_digits(name)
    return f".{digits}%" if scale == 100 else f",.{digits}f"


def sweep_chart(intervals: pd.DataFrame, factors: list[str], figure: str, lang: str = DEFAULT) -> alt.Chart:
    """A key figure over one factor (mean, 95% band) or two (a heatmap of means, hover for the interval)."""
    table = intervals[intervals["figure"] == figure].copy()
    y_title = figure_label(figure, lang)
    shown = figure_format(figure)  # deaths as whole patients, not "1.043,75"
    tip = [alt.Tooltip("mean:Q", title=f"{y_title}, {text('plot.mean', lang)}", format=shown),
           alt.Tooltip("lower:Q", title=f"{text('plot.interval', lang)} ↓", format=shown),
           alt.Tooltip("upper:Q", title=f"{text('plot.interval', lang)} ↑", format=shown)]
    title = text("plot.sweep_title", lang, figure=y_title)
    x = factors[0]
    table["x"] = table[x]
    if len(factors) == 1:
        tip = [alt.Tooltip("x:Q", title=factor_label(x, lang), format=",~f"), *tip]
        base = alt.Chart(table, title=title)
        return (base.mark_area(opacity=0.25, color=TIER_COLOURS[2]).encode(
                    alt.X("x:Q", title=factor_label(x, lang)), alt.Y("lower:Q", title=y_title), alt.Y2("upper:Q"),
                    tooltip=tip)
                + base.mark_line(point=True, color=TIER_COLOURS[2]).encode(alt.X("x:Q"), alt.Y("mean:Q"), tooltip=tip)
                ).add_params(zoom_x()).properties(width=WIDTH, height=340)
    y = factors[1]
    table["x"] = [_label(v, lang) for v in table[x]]
    table["y"] = [_label(v, lang) for v in table[y]]
    tip = [alt.Tooltip("x:N", title=factor_label(x, lang)), alt.Tooltip("y:N", title=factor_label(y, lang)), *tip]
    base = alt.Chart(table, title=title).encode(
        alt.X("x:N", title=factor_label(x, lang), sort=list(dict.fromkeys(table["x"])), axis=alt.Axis(labelAngle=0)),
        alt.Y("y:N", title=factor_label(y, lang), sort=list(dict.fromkeys(table["y"]))[::-1]))
    return (base.mark_rect().encode(alt.Color("mean:Q", title=y_title, scale=alt.Scale(scheme="viridis")), tooltip=tip)
            + base.mark_text(fontSize=12).encode(alt.Text("mean:Q", format=shown), color=alt.value("white"),
                                                 tooltip=tip)
            ).properties(width=WIDTH, height=60 * table["y"].nunique() + 40)


def forest(differences: pd.DataFrame, figures: list[str], lang: str = DEFAULT) -> alt.VConcatChart:
    """Each scenario's difference from the baseline with its paired 95% interval, one row of panels
    per three figures, each in its own unit."""
    defined = set(differences.loc[differences["difference"].notna(), "figure"])
    figures = [f for f in figures if f in defined]  # a figure undefined in every run (no ICU beds: no "days full") has no panel
    baseline = str(differences["baseline"].iloc[0]) if len(differences) else ""
    panels = []
    for name in figures:
        d = differences[differences["figure"] == name][["scenario", "difference", "lower", "upper", "mean_baseline",
                                                        "mean"]]
        title = figure_label(name, lang)
        tip = [alt.Tooltip("scenario:N", title=text("chart.what", lang)), alt.Tooltip("difference:Q", title=title, format=",.2f"),
               alt.Tooltip("lower:Q", title=f"{text('plot.interval', lang)} ↓", format=",.2f"),
               alt.Tooltip("upper:Q", title=f"{text('plot.interval', lang)} ↑", format=",.2f")]
        base = alt.Chart(d, title=alt.Title(title, fontSize=12))
        y = alt.Y("scenario:N", title=None, sort=list(dict.fromkeys(d["scenario"])))
        zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=TIER_COLOURS[3], strokeDash=[4, 3]).encode(x="x:Q")
        x = alt.X("lower:Q", title=None, axis=alt.Axis(format=",~f"),  # ~g wrote 5e+2 (Vega sets its precision)
                  scale=room(d[["lower", "upper", "difference"]]))
        panels.append((zero + base.mark_rule().encode(x, alt.X2("upper:Q"), y, tooltip=tip)
                       + base.mark_point(filled=True, color="black", size=60).encode(alt.X("difference:Q"), y,
                                                                                     tooltip=tip)
                       ).properties(width=220, height=alt.Step(32)))
    rows = [alt.hconcat(*panels[i:i + 3]) for i in range(0, len(panels), 3)]
    return alt.vconcat(*rows).properties(title=text("plot.forest_title", lang, baseline=baseline))


def epidemic_curve(curve: pd.DataFrame, timeseries: pd.DataFrame | None,
                   lang: str = DEFAULT) -> alt.LayerChart | alt.FacetChart:
    """Expected F0/day with the 95% band of one day's count, and the F0 replication 0 drew."""
    y = text("upload.y", lang)
    c = curve.assign(mid=curve["day"] + 0.5)
    tip = [alt.Tooltip("day:Q", title=text("chart.day", lang)),
           alt.Tooltip("expected:Q", title=text("plot.expected_f0", lang), format=",.0f"),
           alt.Tooltip("lower:Q", title=f"{text('plot.day_band', lang)} ↓", format=",.0f"),
           alt.Tooltip("upper:Q", title=f"{text('plot.day_band', lang)} ↑", format=",.0f")]
    base = alt.Chart(c, title=text("plot.projected_f0", lang))
    layers = [base.mark_area(opacity=0.35, color="#99aabb").encode(
                  alt.X("mid:Q", title=text("chart.day", lang)), alt.Y("lower:Q", title=y), alt.Y2("upper:Q"), tooltip=tip),
              base.mark_line(color="#223355").encode(alt.X("mid:Q"), alt.Y("expected:Q"), tooltip=tip)]
    if timeseries is not None and len(timeseries):
        day = (timeseries["time"] - 1e-9).floordiv(1).astype(int)
        drawn = timeseries["arrivals"].groupby(day).sum()
        drawn = drawn[(drawn.index >= 0) & (drawn.index < len(curve))]
        d = pd.DataFrame({"mid": drawn.index + 0.5, "drawn": drawn.to_numpy()})
        layers.append(alt.Chart(d).mark_point(color=TIER_COLOURS[3], size=12, filled=True).encode(
            alt.X("mid:Q"), alt.Y("drawn:Q"),
            tooltip=[alt.Tooltip("drawn:Q", title=text("plot.f0_drawn", lang), format=",.0f")]))
    return alt.layer(*layers).add_params(zoom_x()).properties(width=WIDTH, height=300)


def uploaded_cases(cases: pd.DataFrame, horizon: int, lang: str = DEFAULT) -> alt.Chart:
    """An uploaded daily-cases series as the run uses it: days given, then (hatched red) the last
    value held to the horizon."""
    given = cases[cases["day"] < horizon].assign(source=text("upload.observed", lang))
    frames = [given]
    if len(cases) < horizon:
        frames.append(pd.DataFrame({"day": range(len(cases), horizon), "cases": float(cases["cases"].iloc[-1]),
                                    "source": text("upload.held", lang)}))
    data = pd.concat(frames, ignore_index=True)
    names = [text("upload.observed", lang), text("upload.held", lang)]
    return alt.Chart(data).mark_bar().encode(
        alt.X("day:Q", title=text("upload.x", lang), scale=alt.Scale(domain=[-1, horizon])),
        alt.Y("cases:Q", title=text("upload.y", lang)),
        alt.Color("source:N", title=None, scale=series_colours(names, ["#2c6fbb", "#f1b0a8"]),
                  legend=alt.Legend(orient="top-left")),
        tooltip=[alt.Tooltip("day:Q", title=text("upload.x", lang)),
                 alt.Tooltip("cases:Q", title=text("upload.y", lang), format=",.0f"), alt.Tooltip("source:N", title=text("chart.what", lang))],
    ).add_params(zoom_x()).properties(width=WIDTH, height=220)




def facility_over_time(table: pd.DataFrame, name: str, day: float, lang: str = DEFAULT) -> list[alt.LayerChart]:
    """One facility's beds taken (area) against its beds (line) over the run, the map's day marked;
    then, when the table has the run's queues (`maps.facility_over_time`), the patients waiting
    for its beds: on its own list, and on a list it shares with the tier's other wards. Two
    charts, not one concatenated: a concatenation does not stretch to the page's width."""
    tip = [alt.Tooltip("time:Q", title=text("chart.day", lang), format=".1f"),
           alt.Tooltip("occupied:Q", title=f"{text('chart.occupied', lang)} ({text('chart.beds', lang)})"),
           alt.Tooltip("capacity:Q", title=f"{text('chart.capacity', lang)} ({text('chart.beds', lang)})")]
    base = alt.Chart(table, title=name)
    marker = alt.Chart(pd.DataFrame({"time": [day + 0.5]})).mark_rule(color="#2c6fbb", strokeDash=[4, 3]).encode(
        x="time:Q")
    beds = (base.mark_area(opacity=0.5, color=TIER_COLOURS[2]).encode(
                _day(lang), alt.Y("occupied:Q", title=text("chart.beds", lang)), tooltip=tip)
            + base.mark_line(color="black", strokeWidth=1).encode(_day(lang), alt.Y("capacity:Q"), tooltip=tip)
            + marker).add_params(zoom_x()).properties(width=WIDTH, height=220)
    if "waiting_own" not in table:
        return [beds]
    series: dict[str, str] = {}
    if table["has_own"].any():
        series["waiting_own"] = text("chart.queue_own", lang)
    if (table["shared_by"] > 0).any():
        series["waiting_shared"] = text("chart.queue_shared", lang, wards=int(table["shared_by"].max()))
    if not series:
        return [beds]
    long = table.melt("time", list(series), var_name="series", value_name="waiting")
    long["series"] = long["series"].map(series)
    patients = text("chart.patients", lang)
    most = float(long["waiting"].max()) if len(long) else 0.0
    queue = (alt.Chart(long, title=text("chart.queue_title", lang)).mark_line(interpolate="step-after").encode(
        _day(lang), alt.Y("waiting:Q", title=patients, axis=alt.Axis(format=",~f", tickMinStep=1),
                          scale=alt.Scale(domain=[0, max(most, 1.0)])),
        alt.Color("series:N", title=None, scale=series_colours(list(series.values()), ["#c0392b", "#7f8c8d"]),
                  legend=alt.Legend(orient="top", direction="vertical", labelLimit=600)),
        tooltip=[alt.Tooltip("time:Q", title=text("chart.day", lang), format=".1f"),
                 alt.Tooltip("series:N", title=text("chart.what", lang)), alt.Tooltip("waiting:Q", title=patients, format=",.0f")])
        + marker).add_params(zoom_x()).properties(width=WIDTH, height=260)
    return [beds, queue]


# -- the Teach view's lessons ------------------------------------------------------------------------

def _with_interval(data: pd.DataFrame, x: alt.X, col: str, axis: str, colour: str,
                   tip: list[alt.Tooltip], log: bool = False) -> alt.LayerChart:
    """Points with their 95% interval as a vertical bar (lesson charts)."""
    d = data.assign(lo=data[col] - data[f"{col}_half_width"].fillna(0), hi=data[col] + data[f"{col}_half_width"].fillna(0))
    if log:  # a log axis cannot show a bar reaching 0 or below: it stops at a tenth of the point
        d["lo"] = d["lo"].where(d["lo"] > 0, d[col] / 10)
    else:  # a lesson's quantities (shares, waits, beds) are never below 0: nor is their interval drawn so
        d["lo"] = d["lo"].clip(lower=0)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    base = alt.Chart(d)
    return (base.mark_rule(color=colour, strokeWidth=2).encode(x, alt.Y("lo:Q", title=axis, scale=scale), alt.Y2("hi:Q"),
                                                              tooltip=tip)
            + base.mark_point(color=colour, filled=True, size=60).encode(x, alt.Y(f"{col}:Q"), tooltip=tip))


def mmc_lesson(theory: pd.DataFrame, simulated: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart]:
    """Erlang C (line) against flowsim (points with 95% intervals): P(wait), then Wq on a log
    axis (it spans decades as ρ nears 1). Two charts, each half the page. Their titles say what
    is drawn and the axes only its unit: Streamlit fits title, axes and legend into the chart's
    height, and a long axis title leaves no room for the plot."""
    load = text("lesson.load", lang)
    theory_name, simulated_name = text("lesson.theory", lang), text("lesson.simulated", lang)
    legend = series_colours([theory_name, simulated_name], ["black", TIER_COLOURS[3]])
    charts = []
    for col, title, axis, digits, log in (("p_wait", text("lesson.p_wait", lang), text("lesson.p_wait_axis", lang), ".1%", False),
                                          ("wq", text("lesson.wq", lang), text("lesson.days", lang), ",.3f", True)):
        x = alt.X("rho:Q", title=load, scale=alt.Scale(domain=[0, 1]))
        line_tip = [alt.Tooltip("rho:Q", title=load, format=".2f"), alt.Tooltip(f"{col}:Q", title=theory_name, format=digits)]
        dot_tip = [alt.Tooltip("rho:Q", title=load, format=".2f"),
                   alt.Tooltip(f"{col}:Q", title=simulated_name, format=digits),
                   alt.Tooltip(f"{col}_half_width:Q", title="± (95%)", format=digits),
                   alt.Tooltip(f"{col}_theory:Q", title=theory_name, format=digits)]
        shown = theory
        if log:  # Wq falls towards 0 at light load: the axis starts a decade below the lowest point
            shown = theory[theory[col] >= simulated[col].min() / 10]
        line = alt.Chart(shown.assign(source=theory_name)).mark_line().encode(
            x, alt.Y(f"{col}:Q", title=axis, scale=alt.Scale(type="log") if log else alt.Scale()),
            alt.Color("source:N", title=None, scale=legend, legend=alt.Legend(orient="top-left", labelLimit=400)),
            tooltip=line_tip)
        dots = _with_interval(simulated.assign(source=simulated_name), x, col, axis, TIER_COLOURS[3], dot_tip, log)
        charts.append((line + dots).add_params(zoom_x()).properties(title=title, width=WIDTH, height=280))
    return charts


def tandem_lesson(table: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart]:
    """Blocked station beds and the oxygen-bed wait as the downstream ward grows (95% intervals)."""
    downstream = text("lesson.downstream", lang)
    x = alt.X("oxygen_beds:Q", title=downstream, axis=alt.Axis(format="d", tickMinStep=1))
    charts = []
    for col, title, axis in (("blocked_beds", text("lesson.blocked", lang), text("chart.beds", lang)),
                             ("wait", text("lesson.wait", lang), text("lesson.days", lang))):
        tip = [alt.Tooltip("oxygen_beds:Q", title=downstream), alt.Tooltip(f"{col}:Q", title=title, format=",.2f"),
               alt.Tooltip(f"{col}_half_width:Q", title="± (95%)", format=",.2f")]
        line = alt.Chart(table).mark_line(color=TIER_COLOURS[2]).encode(x, alt.Y(f"{col}:Q"))
        charts.append((line + _with_interval(table, x, col, axis, TIER_COLOURS[2], tip)).add_params(zoom_x())
                      .properties(title=title, width=WIDTH, height=260))
    return charts


def epidemic_lesson(series: pd.DataFrame, lang: str = DEFAULT) -> list[alt.LayerChart | alt.FacetChart]:
    """Expected F0/day and mean ICU demand per day, one line per variant (`variant` holds the
    words shown), the ICU beds as a dashed line."""
    names = list(dict.fromkeys(series["variant"]))
    colours = series_colours(names, ["#223355", TIER_COLOURS[3]][:len(names)])
    day = alt.X("day:Q", title=text("chart.day", lang))
    what = text("chart.what", lang)
    charts: list[alt.LayerChart | alt.FacetChart] = []
    for col, title, axis in (("f0_expected", text("lesson.f0", lang), "F0"),
                             ("icu_demand", text("lesson.icu_demand", lang), text("chart.patients", lang))):
        tip = [alt.Tooltip("day:Q", title=text("chart.day", lang)), alt.Tooltip("variant:N", title=what),
               alt.Tooltip(f"{col}:Q", title=title, format=",.1f")]
        layers = [alt.Chart(series).mark_line().encode(
            day, alt.Y(f"{col}:Q", title=axis),
            alt.Color("variant:N", title=None, scale=colours, legend=alt.Legend(orient="top")), tooltip=tip)]
        if col == "icu_demand":
            beds = text("lesson.icu_beds", lang)
            rule = pd.DataFrame({"beds": [float(series["icu_beds"].iloc[0])], "what": [beds]})
            layers.append(alt.Chart(rule).mark_rule(color="grey", strokeDash=[5, 4]).encode(
                alt.Y("beds:Q"), tooltip=[alt.Tooltip("what:N", title=what), alt.Tooltip("beds:Q", title=beds)]))
        charts.append(alt.layer(*layers).add_params(zoom_x()).properties(title=title, width=WIDTH, height=260))
    return charts
