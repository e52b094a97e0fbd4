"""The planner's Streamlit app, driven headless with streamlit.testing (every view).

The app starts from the small teaching town (FLOWSIM_APP_SCENARIO) so each test runs in seconds;
the real-browser test (test_browser.py) opens it on the built-in Hanoi scenario. The script is the
one shipped in the package (what `flowsim app` runs), so these tests also hold for an installed wheel.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(resources.files("flowsim") / "streamlit_app.py")
CLONE_APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "town")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.skipif(not CLONE_APP.exists(), reason="not in a clone of the repository")
def test_the_clone_script_opens_the_same_app(monkeypatch):
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "town")
    at = AppTest.from_file(str(CLONE_APP), default_timeout=120).run()
    assert not at.exception and at.title[0].value.startswith("flowsim")
    assert "–" in metric(at, "Deaths")  # 2 replications: the range of the runs


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_opens_with_key_figures_and_intervals(app: AppTest):
    assert app.selectbox(key="source").value == "town"  # shown as "Teaching: a small town"
    assert "–" in metric(app, "Deaths")  # 2 replications by default: the range of the runs, not a ±
    assert app.radio(key="view").options == ["Overview", "Bottlenecks", "Sweep", "Compare", "Map", "Teach"]
    assert not app.error


def test_moving_a_slider_changes_the_results(app: AppTest):
    before = metric(app, "Deaths")
    app.slider(key="lever:daily_f0").set_value(60.0).run()
    assert not app.exception
    assert metric(app, "Deaths") != before


def test_preset_button_sets_the_daily_rate(app: AppTest):
    app.button(key="preset-3000").click().run()
    assert app.slider(key="lever:daily_f0").value == 3000


def test_bad_yaml_edit_gives_a_clear_message(app: AppTest):
    area = next(t for t in app.text_area if t.key.startswith("yaml:"))
    area.set_value(area.value.replace("record_step_days: 0.5", "record_step_days: -1")).run()
    assert not app.exception
    assert any("record_step_days" in e.value and "greater than 0" in e.value for e in app.error)
    area = next(t for t in app.text_area if t.key.startswith("yaml:"))
    area.set_value("name: [unclosed").run()
    assert any("malformed YAML" in e.value for e in app.error)


def test_too_large_a_run_is_refused_in_the_page(app: AppTest):
    area = next(t for t in app.text_area if t.key.startswith("yaml:"))
    area.set_value(area.value.replace("record_step_days: 0.5", "record_step_days: 1.0e-7")).run()
    assert not app.exception
    assert any(e.value.startswith("Not run: run too large") and "record_step_days" in e.value for e in app.error)
    assert not app.metric  # nothing ran


def test_no_icu_bed_is_a_warning_in_the_page(app: AppTest):
    app.slider(key="lever:icu_beds_scale").set_value(0.0).run()
    assert not app.exception and any("no ICU beds" in w.value for w in app.warning)
    assert "–" in metric(app, "Deaths")  # it still runs


def test_sliders_at_their_extremes_run(app: AppTest):
    for key in ("lever:icu_beds_scale", "lever:oxygen_beds_scale", "lever:station_beds_scale", "lever:daily_f0"):
        app.slider(key=key).set_value(0.0).run()
        assert not app.exception and not app.error, key
    app.slider(key="lever:ambulances_scale").set_value(0.05).run()  # 2 vehicles × 0.05 rounds to none
    assert any("capacity_scale.ambulances" in e.value for e in app.error) and not app.exception


def test_bottlenecks_view_ranks_resources(app: AppTest):
    app.radio(key="view").set_value("bottlenecks").run()
    assert len(app.dataframe) >= 1 and not app.exception  # the resource table of replication 0
    app.button(key="run-bottlenecks").click().run()
    assert not app.exception
    ranking = app.session_state["bottlenecks"][1]
    assert {"oxygen_beds", "icu_beds", "ambulances"} <= set(ranking["resource"])


def test_sweep_view_runs_a_sweep(app: AppTest):
    app.radio(key="view").set_value("sweep").run()
    app.button(key="run-sweep").click().run()
    assert not app.exception
    factors, table = app.session_state["sweep"]
    assert factors[0][0] == "arrivals.rate_per_day" and len(table) > 0


def test_compare_view_gives_paired_differences(app: AppTest):
    app.radio(key="view").set_value("compare").run()
    app.button(key="save-scenario").click().run()
    app.slider(key="lever:oxygen_beds_scale").set_value(2.0).run()
    app.button(key="run-compare").click().run()
    assert not app.exception
    diffs = app.session_state["comparison"]
    assert "current" in set(diffs["scenario"])


def test_results_survive_switching_views(app: AppTest):
    app.radio(key="view").set_value("sweep").run()
    app.button(key="run-sweep").click().run()
    images = len(app.get("image"))
    assert images >= 1  # the sweep chart
    app.radio(key="view").set_value("map").run()
    assert not app.exception
    app.radio(key="view").set_value("sweep").run()
    assert "sweep" in app.session_state and len(app.get("image")) == images


def test_map_view_draws_the_network(app: AppTest):
    app.radio(key="view").set_value("map").run()
    assert not app.exception and len(app.get("image")) >= 1


def test_teach_view_shows_theory_beside_simulation(app: AppTest):
    app.radio(key="view").set_value("teach").run()
    assert not app.exception
    assert any("Erlang C" in m.value for m in app.markdown)
    assert any("two-week delay" in m.value for m in app.subheader)
    assert len(app.get("image")) >= 3


def test_the_app_shows_the_same_numbers_as_replicate():
    import flowsim
    from flowsim.executors import Serial
    from flowsim.interactive import look

    scenario = flowsim.load_scenario("town")
    seen = look(scenario, 3, 5, Serial())
    reps = flowsim.replicate(scenario, 3, 5, executor="serial")
    cols = ["died", "wait_tier2_p90", "peak_tier2", "ambulance_response_p90"]
    assert seen.table[cols].to_numpy().tolist() == reps.table[cols].to_numpy().tolist()
    assert len(seen.detail.occupancy) > 0


def test_no_stray_text_above_the_title(app: AppTest):
    assert not [m.value for m in app.markdown if "Replications at least" in m.value]
    assert app.title[0].value.startswith("flowsim")


def test_epidemic_demand_draws_the_f0_curve_and_its_sliders_move_results(monkeypatch):
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "epidemic")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert "epidemic" in at.selectbox(key="source").value
    assert len(at.get("image")) >= 2  # the overview and, beside it, the projected F0/day curve
    assert any("Expected F0/day peaks" in c.value for c in at.caption)
    before = metric(at, "Deaths")
    at.slider(key="lever:distancing_day").set_value(50.0).run()
    assert not at.exception and not at.error
    assert metric(at, "Deaths") != before
    at.slider(key="lever:doubling_days").set_value(4.0).run()
    assert not at.exception and not at.error


@pytest.mark.slow  # the Hanoi scenario: about 17 s
def test_hanoi_offers_the_omicron_fit_as_epidemic_demand(monkeypatch):
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "hanoi")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    chooser = next(s for s in at.selectbox if s.label == "Epidemic-driven demand")
    assert "omicron_fit" in chooser.options
    chooser.set_value("omicron_fit").run()
    assert not at.exception and not at.error
    assert at.slider(key="lever:rt").value == pytest.approx(1.085)



def test_a_shorter_horizon_pulls_the_distancing_day_in(monkeypatch):
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "epidemic")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.slider(key="lever:distancing_day").set_value(100.0).run()
    at.slider(key="lever:horizon_days").set_value(40.0).run()
    assert not at.exception and not at.error
    assert at.slider(key="lever:distancing_day").max == 39
    at.radio(key="view").set_value("sweep").run()
    assert "Doubling time of cases (days)" in at.multiselect(key="sweep-levers").options
