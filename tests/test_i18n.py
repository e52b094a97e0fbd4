"""The two languages: the same keys and placeholders in each file, every key the code asks for
present, Vietnamese written with its diacritics and Hanoi's terms, numbers written each language's way."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest

from flowsim import i18n, levers

ROOT = Path(i18n.__file__).parent


def _fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


def test_no_key_is_missing_in_either_language():
    en, vi = i18n.table("en"), i18n.table("vi")
    assert sorted(set(en) - set(vi)) == [], "missing in vi.yaml"
    assert sorted(set(vi) - set(en)) == [], "missing in en.yaml"


def test_placeholders_match_between_languages():
    en, vi = i18n.table("en"), i18n.table("vi")
    wrong = {k: (_fields(en[k]), _fields(vi[k])) for k in en if _fields(en[k]) != _fields(vi[k])}
    assert not wrong


def test_every_key_the_code_asks_for_exists():
    used = set()
    for name in ("app.py", "app_plan.py", "app_widgets.py", "decision_plots.py", "decision_charts.py", "decision_words.py", "plots.py", "charts.py", "maps.py", "headline.py", "reports.py", "briefing.py"):
        path = ROOT / name
        if path.exists():
            used |= set(re.findall(r'\b(?:t|text)\(\s*"([a-z_]+\.[a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 100
    for lang in i18n.LANGUAGES:
        assert sorted(k for k in used if k not in i18n.table(lang)) == [], lang
    for lever in (*levers.LEVERS, *levers.EPIDEMIC_LEVERS):
        for lang in i18n.LANGUAGES:
            assert i18n.has(f"lever.{lever.key}.label", lang) and i18n.has(f"lever.{lever.key}.unit", lang)


def test_vietnamese_is_written_with_diacritics_and_hanoi_terms():
    vi = i18n.table("vi")
    words = " ".join(vi.values())
    for term in ("F0", "tầng", "trạm y tế lưu động", "giường oxy", "hồi sức tích cực", "xe cứu thương"):
        assert term in words, term
    en = i18n.table("en")
    same = [k for k in en if en[k] == vi[k] and re.search(r"[a-z]{4}", en[k]) and k != "app.language"]
    assert len(same) < 0.03 * len(en), same  # not English left in place
    assert i18n.text("resource.icu_beds", "vi") == "giường hồi sức tích cực (tầng 3)"


@pytest.mark.parametrize(("lang", "expected"), [("en", "2,270.5"), ("vi", "2.270,5")])
def test_numbers_are_written_each_languages_way(lang, expected):
    assert i18n.number(2270.46, 1, lang) == expected
    assert i18n.number(float("nan"), 0, lang) == "—"


def test_a_missing_key_is_an_error_not_a_silent_english_word():
    with pytest.raises(KeyError, match="no text 'nope.nothing'"):
        i18n.text("nope.nothing", "vi")


def test_every_place_in_the_built_in_scenarios_has_its_vietnamese_name():
    """A facility, district, ambulance base or scenario added to a built-in file without its
    Vietnamese name would show unaccented English on the Vietnamese page."""
    import flowsim

    configs = Path(flowsim.__file__).parents[1] / "configs"
    missing = []
    for path in sorted([*configs.glob("*.yaml"), *configs.glob("teaching/*.yaml")]):
        s = flowsim.load_scenario(path)
        bases = [b.name for b in s.ambulances.bases] if s.ambulances else []
        missing += [n for n in (s.name, *(f.name for f in s.facilities), *(d.name for d in s.districts), *bases)
                    if n not in i18n.local_names("vi")]
    assert missing == []
    assert i18n.local_name("Soc Son", "vi") == "Sóc Sơn" and i18n.local_name("Soc Son", "en") == "Soc Son"
    assert i18n.local_name("Mobile Medical Station Soc Son", "vi") == "Trạm y tế lưu động Sóc Sơn"
    assert i18n.local_name("a name no locale has", "vi") == "a name no locale has"


def test_the_vietnamese_map_and_tables_name_places_with_their_diacritics():
    import flowsim
    from flowsim import charts, maps

    s = flowsim.load_scenario("hanoi", overrides={"horizon_days": 2})
    r = flowsim.run(s, seed=1)
    deck = maps.network_deck(s, r.occupancy, 1, 2, "vi")
    layers = {layer.id: pd.DataFrame(layer.data) for layer in deck.layers}
    assert "Sóc Sơn" in set(layers["districts"]["title"])
    assert any(tip.startswith("Bệnh viện Đa khoa Đức Giang") for tip in layers["facilities"]["tip"])
    heat = charts.occupancy_heatmap(r.occupancy, 2, "hospital", "vi").to_dict(validate=False)
    rows = next(iter(heat["datasets"].values()))
    assert any(row["facility"].startswith("Bệnh viện") for row in rows)


def test_an_uploaded_cases_table_is_refused_in_the_readers_language():
    import pandas as pd

    from flowsim.config import ConfigError, cases_from_table

    with pytest.raises(ConfigError) as caught:
        cases_from_table(pd.DataFrame({"cases": [5, -1]}), "cases.csv")
    assert str(caught.value) == "cases.csv: row 2: 'cases' must be from 0 to 1,000,000 a day"  # the CLI's line
    assert i18n.error_words(caught.value, "vi") == "cases.csv: dòng 2: 'cases' phải từ 0 đến 1.000.000 ca mỗi ngày"


def _library_codes() -> dict[str, str]:
    """Every error code the library raises with `InputError.said` or `errors.invalid`, with its English template."""
    import ast

    found = {}
    for path in sorted(ROOT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            first = {"said": 1, "invalid": 0}.get(str(name))
            if first is None or len(node.args) < first + 2:
                continue
            code, reason = node.args[first], node.args[first + 1]
            if isinstance(code, ast.Constant) and isinstance(reason, ast.Constant):
                found[code.value] = reason.value
    return found


def test_every_error_the_library_codes_is_worded_in_every_language():
    codes = _library_codes()
    assert len(codes) >= 40 and "unknown_district" in codes and "seir_speed" in codes  # the scan finds them
    for lang in i18n.LANGUAGES:
        assert sorted(c for c in codes if not i18n.has(f"error.{c}", lang)) == [], lang
    vi = i18n.table("vi")
    wrong = {c: _fields(vi[f"error.{c}"]) - _fields(t) for c, t in codes.items() if _fields(vi[f"error.{c}"]) - _fields(t)}
    assert not wrong, "a Vietnamese reason names a value the library does not give"


@pytest.mark.parametrize(("make", "vietnamese"), [
    (lambda d: d["facilities"][0].update(district="Nowhere"), "không có quận/huyện 'Nowhere'"),
    (lambda d: d.update(arrivals={"profile": "wave"}), "dạng 'wave' cần có 'peak_per_day'"),
    (lambda d: d.update(warmup_days=10_000), "warmup_days: phải ngắn hơn horizon_days"),
    (lambda d: d["risk_groups"][0].update(share=0.99), "tổng tỷ lệ các nhóm phải bằng 1"),
])
def test_a_refused_scenario_is_said_in_vietnamese_and_the_cli_keeps_its_english_line(make, vietnamese):
    import yaml

    from flowsim.config import ConfigError, build

    data = yaml.safe_load((ROOT.parent / "configs" / "hanoi.yaml").read_text(encoding="utf-8"))
    make(data)
    with pytest.raises(ConfigError) as caught:
        build(data)
    said = i18n.error_words(caught.value, "vi")
    assert vietnamese in said and "tiếng Anh" not in said
    assert i18n.error_words(caught.value, "en") == str(caught.value)


def test_a_refused_yaml_posterior_or_oversized_run_is_said_in_vietnamese():
    import flowsim
    from flowsim.config import ConfigError, parse_yaml
    from flowsim.limits import check_memory
    from flowsim.posterior import load

    refused = []
    for attempt in (lambda: parse_yaml("a: 1\na: 2\n", "scenario.yaml"), lambda: parse_yaml("a: 1\n  b: 2\n", "x"),
                    lambda: load(b"not parquet", "bad.parquet"),
                    lambda: check_memory([flowsim.load_scenario("hanoi", overrides={"arrivals.rate_per_day": 1_000_000,
                                                                                   "horizon_days": 365})], 2)):
        with pytest.raises(ConfigError) as caught:
            attempt()
        refused.append(caught.value)
    said = [i18n.error_words(e, "vi", {"posterior": "tệp"}) for e in refused]
    assert said[0] == "scenario.yaml: khóa 'a' bị lặp ở dòng 2 (lần đầu ở dòng 1)"
    assert said[1].startswith("x: YAML sai cú pháp ở dòng 2, cột")
    assert said[2] == "tệp bad.parquet: không đọc được tệp dạng Parquet (ArrowInvalid)"
    assert said[3].startswith("lần chạy quá lớn: ≈ 365.") and "record_step_days" in said[3]
    assert str(refused[3]).startswith("run too large: ≈ 365,")  # the library's own line, unchanged
