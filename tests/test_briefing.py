"""The briefing report: one self-contained page, in either language, from the same tables as the app."""

from __future__ import annotations

import re

import pytest

import flowsim
from flowsim import briefing, cli
from flowsim.executors import Serial
from flowsim.interactive import look


@pytest.fixture(scope="module")
def town():
    scenario = flowsim.load_scenario("town", overrides={"horizon_days": 20})
    return scenario, look(scenario, 5, 3, Serial())


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_report_says_what_a_planner_needs_in_their_language(town, lang):
    scenario, result = town
    page = briefing.html_report(briefing.from_look(scenario, 3, result), lang)
    words = {"en": ["What was assumed", "Key figures", "95% interval", "Validation status", "Bottlenecks"],
             "vi": ["Các giả định", "Chỉ số chính", "Khoảng tin cậy 95%", "Tình trạng kiểm định", "Điểm nghẽn"]}[lang]
    for w in words:
        assert w in page, w
    assert f"<html lang='{lang}'>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained
    assert len(re.findall(r"src='data:image/png;base64,", page)) >= 2  # over time, and the pools' chart its caption describes
    from flowsim.i18n import bracket, figure_value

    ci = result.intervals.set_index("figure").loc["died"]
    row = f"<td class='n'>{figure_value('died', result.table['died'].mean(), lang)}</td>"
    assert row in page  # the mean of every replication, written the language's way
    assert bracket(ci['lower'], ci['upper'], 0, lang) in page  # "[1; 4]" in Vietnamese, where the comma is the decimal sign


def test_few_replications_give_the_range_and_say_so(town):
    scenario = town[0]
    few = look(scenario, 2, 3, Serial())
    page = briefing.html_report(briefing.from_look(scenario, 3, few), "en")
    assert "Range of the runs" in page and "too few for an interval" in page


def test_flowsim_report_writes_one_html_file(tmp_path, capsys):
    code = cli.main(["report", str(tmp_path / "brief"), "town", "--days", "10", "--replications", "5",
                     "--executor", "serial", "--lang", "vi", "--bottlenecks", "--quiet"])
    assert code == 0
    page = (tmp_path / "brief" / "report.html").read_text(encoding="utf-8")
    assert "Báo cáo tóm tắt" in page and "Thêm 10% mỗi nguồn lực thì được gì?" in page
    assert "wrote" in capsys.readouterr().out


def test_a_bad_report_folder_is_refused_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["report", str(blocker / "sub"), "town", "--quiet"]) == 2
    assert "OUT_DIR" in capsys.readouterr().err
