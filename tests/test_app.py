"""The planner's Streamlit app, driven headless with streamlit.testing (every view).

The app starts from the small teaching town (FLOWSIM_APP_SCENARIO) so each test runs in seconds;
the real-browser test (test_browser.py) opens it on the built-in Hanoi scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "town")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_opens_with_key_figures_and_intervals(app: AppTest):
    assert "Teaching: a small town" in app.selectbox(key="source").value
    assert "±" in metric(app, "Deaths")  # 3 replications by default: mean ± half-width
    assert len(app.tabs) == 6
    assert not app.error


def test_moving_a_slider_changes_the_results(app: AppTest):
    before = metric(app, "Deaths")
    app.slider(key="lever:daily_f0").set_value(60.0).run()
    assert not app.exception
    assert metric(app, "Deaths") != before


def test_preset_button_sets_the_daily_rate(app: AppTest):
    app.button(key="preset-3,000/day").click().run()
    assert app.slider(key="lever:daily_f0").value == 3000.0


def test_bad_yaml_edit_gives_a_clear_message(app: AppTest):
    area = next(t for t in app.text_area if t.key.startswith("yaml:"))
    area.set_value(area.value.replace("horizon_days: 60", "horizon_days: -3")).run()
    assert not app.exception
    assert any("horizon_days" in e.value and "greater than 0" in e.value for e in app.error)


def test_bad_bed_value_in_the_table_gives_a_clear_message(app: AppTest):
    app.slider(key="lever:icu_beds_scale").set_value(0.0).run()  # an extreme slider is fine, not an error
    assert not app.exception and not app.error


def test_bottlenecks_view_ranks_resources(app: AppTest):
    app.button(key="run-bottlenecks").click().run()
    assert not app.exception
    ranking = app.session_state["bottlenecks"][1]
    assert {"oxygen_beds", "icu_beds", "ambulances"} <= set(ranking.iloc[:, 0]) | set(ranking.get("resource", []))


def test_sweep_view_runs_a_sweep(app: AppTest):
    app.button(key="run-sweep").click().run()
    assert not app.exception
    factors, table = app.session_state["sweep"]
    assert factors[0][0] == "arrivals.rate_per_day" and len(table) > 0


def test_compare_view_gives_paired_differences(app: AppTest):
    app.button(key="save-scenario").click().run()
    app.slider(key="lever:oxygen_beds_scale").set_value(2.0).run()
    app.button(key="run-compare").click().run()
    assert not app.exception
    diffs = app.session_state["comparison"]
    assert "current" in set(diffs["scenario"])


def test_results_survive_a_rerun(app: AppTest):
    app.button(key="run-sweep").click().run()
    app.run()  # any later interaction reruns the script
    assert "sweep" in app.session_state
