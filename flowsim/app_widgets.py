"""Streamlit helpers every view of the app shares (app.py, app_plan.py): an interactive chart in
the page's language, charts side by side, a table's download, a slider whose numbers are written
the page's language's way."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from flowsim import charts
from flowsim.app_language import page_lang
from flowsim.i18n import number, text


def spec(chart: Any) -> dict:
    """A chart's Vega-Lite spec, data inline."""
    with alt.data_transformers.disable_max_rows():  # a heatmap of 180 days × 25 rows is more than 5,000
        return chart.to_dict(validate=False)  # built by our own code: its schema check took half the page's time


def show_chart(chart: Any) -> None:
    """An interactive chart: hover for values with units, scroll or drag to zoom and pan, double-click
    to reset; its ⋯ menu saves it as PNG or SVG (the CLI writes the same figures as PNG files). Its
    numbers are written the chosen language's way (`charts.vega_locale`)."""
    drawn = chart if isinstance(chart, dict) else spec(chart)
    drawn = {**drawn, "config": {**drawn.get("config", {}), "locale": charts.vega_locale(page_lang())}}
    st.vega_lite_chart(drawn, width="stretch")


def show_charts(drawn: list) -> None:
    """Charts side by side, each a share of the page (a concatenated chart does not stretch to its width)."""
    for column, chart in zip(st.columns(len(drawn)), drawn, strict=True):
        with column:
            show_chart(chart)


def download_table(table: pd.DataFrame, name: str) -> None:
    """A table as CSV, its numbers as computed (the page shows them rounded, in its language)."""
    st.download_button(text("download.csv", page_lang(), name=name), table.to_csv(index=False).encode(),
                       f"{name}.csv", "text/csv", key=f"csv-{name}")


def number_slider(where: Any, label: str, low: float, high: float, step: float, key: str, **kw: Any) -> Any:
    """A slider from `low` to `high` by `step` whose numbers are written the page's language's way
    ("1,05", "2.270" on a Vietnamese page): Streamlit's own slider writes them with a printf format,
    which has no decimal comma and no thousands separator. So a select-slider over the steps, with
    the value the slider holds (`st.session_state[key]`: a preset's, an uploaded scenario's or a
    plan's, which may lie between steps) among them, kept when the language changes; whole steps
    give integers."""
    digits = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    whole = float(step).is_integer() and float(low).is_integer()
    grid = [round(low + i * step, digits) for i in range(int(round((high - low) / step)) + 1)]
    options: list[Any] = [int(v) for v in grid] if whole else grid
    held = st.session_state.get(key)
    if held is not None:
        if held not in options:
            options = sorted([*options, held])
        # The options' words follow the language, and with them the widget's identity: a new one
        # would start at its first option. Given again before it is drawn, the value is kept.
        st.session_state[key] = held
        kw.pop("value", None)
    lang = page_lang()
    return where.select_slider(label, options, key=key, format_func=lambda v: number(v, digits, lang), **kw)
