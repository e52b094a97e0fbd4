"""The app's Plan view (flowsim/app_plan.py), driven headless on the teaching town."""

from __future__ import annotations

from importlib import resources

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("optuna")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(resources.files("flowsim") / "streamlit_app.py")



pytestmark = pytest.mark.usefixtures("every_replication_in_one_script_run")  # conftest.py

@pytest.fixture
def plan(monkeypatch) -> AppTest:
    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "town")
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.radio(key="view:en").set_value("plan").run()
    assert not at.exception, at.exception
    return at


def test_plan_view_finds_the_frontier_and_the_cheapest_plan_and_loads_it(plan: AppTest):
    plan.checkbox(key="plan-o2-on").uncheck().run()  # the ICU target alone: the town can buy its way to it
    plan.slider(key="plan-trials").set_value(6).run()
    plan.button(key="run-frontier").click().run()
    assert not plan.exception, plan.exception
    assert any(m.label.startswith("Highest constant F0/day") for m in plan.metric)
    plan.button(key="run-optimise").click().run()
    assert not plan.exception, plan.exception
    assert any(m.value.startswith("chosen: +") for m in plan.success), [m.value for m in plan.warning]  # what it adds
    confirmed = next(t.value for t in plan.table if "Plan (what it adds)" in t.value.columns)
    assert not [c for c in confirmed.columns if "_" in c or "p_wait" in c]
    assert not plan.get("image")  # the frontier and the plans tried are interactive charts
    plan.selectbox(key="lang").set_value("vi").run()
    assert any(m.value.startswith("chọn: +") for m in plan.success), [m.value for m in plan.success]
    assert any("quá 2 giờ" in c for t in plan.table for c in t.value.columns)  # the target in words
    plan.selectbox(key="lang").set_value("en").run()
    plan.button(key="load-plan").click().run()
    assert not plan.exception, plan.exception
    assert any("Running the plan" in s.value for s in plan.sidebar.success)
    scales = {k: plan.select_slider(key=f"lever:{k}_scale").value for k in ("oxygen_beds", "icu_beds", "station_beds")}
    assert any(v != 1.0 for v in scales.values())                    # the levers start from the plan
    plan.radio(key="view:en").set_value("overview").run()
    assert not plan.exception and next(m.value for m in plan.metric if m.label.startswith("Deaths"))


def test_a_bad_target_is_a_message_not_a_traceback(plan: AppTest):
    plan.checkbox(key="plan-icu-on").uncheck().run()
    plan.checkbox(key="plan-o2-on").uncheck().run()
    assert not plan.exception
    assert any("at least one target" in i.value for i in plan.info)


def test_plan_view_ranks_single_units(plan: AppTest):
    plan.button(key="run-units").click().run()
    assert not plan.exception, plan.exception
    table = next(t.value for t in plan.table if "One more unit" in t.value.columns)
    assert {"Deaths averted [paired 95% interval]", "Rank in the screen"} <= set(table.columns)
    assert table.iloc[0, 0].endswith(", Town Hospital") or "," in table.iloc[0, 0]  # "ICU bed, Town Hospital"
    assert not [c for c in table.columns if "_" in c]  # no internal column name on screen
    assert len(plan.get("vega_lite_chart")) >= 2 and not plan.get("image")  # interactive, not PNGs
    assert any("deaths averted" in c.value for c in plan.caption)
    plan.selectbox(key="lang").set_value("vi").run()
    table = next(t.value for t in plan.table if "Thêm một đơn vị" in t.value.columns)
    assert "Bệnh viện Thị trấn" in " ".join(table.iloc[:, 0]) and "," in table.iloc[0, 1]  # Vietnamese decimals


def test_plan_view_speaks_vietnamese(monkeypatch):
    """Every word of the Plan view comes from the locale files: in Vietnamese, no English left."""
    from flowsim import i18n

    monkeypatch.setenv("FLOWSIM_APP_SCENARIO", "town")
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.selectbox(key="lang").set_value("vi")
    at.radio(key="view:en").set_value("plan").run()
    assert not at.exception, at.exception
    assert at.button(key="run-frontier").label == i18n.text("plan.find_frontier", "vi") == "Tìm ngưỡng năng lực"
    assert at.checkbox(key="plan-icu-on").label == "Chờ giường hồi sức tích cực"
    assert any("Mục tiêu dịch vụ" in m.value for m in at.markdown)
    at.checkbox(key="plan-icu-on").uncheck().run()
    at.checkbox(key="plan-o2-on").uncheck().run()
    assert any(i.value == "Hãy chọn ít nhất một mục tiêu." for i in at.info)


def test_a_frontier_at_an_end_of_the_search_is_shown_as_a_bound_without_an_interval():
    """'met throughout' and 'above' give the highest rate tried (a lower bound), 'never met' the
    lowest (an upper bound): the Plan view says so, not "3,600 [3,600, 3,600]" as if found."""
    import math

    from flowsim.app_plan import frontier_cell

    assert frontier_cell(3600.0, 3600.0, 3600.0, "met throughout", "en") == "≥ 3,600"
    assert frontier_cell(2400.0, math.nan, math.nan, "above", "vi") == "≥ 2.400"
    assert frontier_cell(5.0, 5.0, 5.0, "never met", "en") == "≤ 5"
    found = frontier_cell(1234.4, 1100.0, 1300.0, "found", "en")
    assert found.startswith("1,234 ") and "1,100" in found and "1,300" in found
