"""Every word the app and the briefing report show, in one file per language (flowsim/locales/*.yaml).

The files are the one table of labels and units: a lever, a key figure or a resource is named by
the same key in every language (`lever.daily_f0.label`, `figure.died.unit`, `resource.icu_beds`),
so a screen never shows an internal name and a translation cannot miss a label unnoticed (the
tests check both files hold the same keys). Numbers are written the way each language writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = {"en": "English", "vi": "Tiếng Việt"}
DEFAULT = "en"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flatten(value, f"{name}.")
        else:
            out[name] = str(value)
    return out


@cache
def table(lang: str = DEFAULT) -> dict[str, str]:
    """Every key of one language's file, flattened (`a: {b: x}` → `a.b`)."""
    if lang not in LANGUAGES:
        raise KeyError(f"language '{lang}': one of {', '.join(LANGUAGES)}")
    text = (resources.files("flowsim") / "locales" / f"{lang}.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the same data, 8× faster than pure Python
    return _flatten(yaml.load(text, Loader=loader) or {})  # noqa: S506 - a safe loader


def text(key: str, lang: str = DEFAULT, /, **values: Any) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled. A missing key is an error
    (the key-parity test catches it before a user does)."""
    words = table(lang)
    if key not in words:
        raise KeyError(f"no text '{key}' in flowsim/locales/{lang}.yaml")
    return words[key].format(**values) if values else words[key]


@cache
def local_names(lang: str = DEFAULT) -> dict[str, str]:
    """Names a scenario file writes itself, as `lang` writes them (flowsim/locales/names/<lang>.yaml):
    facilities, districts, ambulance bases, the scenario's name, its currency; keyed by the name as
    the file gives it (in the built-in scenarios, English without diacritics). Kept apart from the
    words: a name is not a key (it holds dots and spaces), and an uploaded scenario may bring names
    no locale has."""
    if lang not in LANGUAGES:
        raise KeyError(f"language '{lang}': one of {', '.join(LANGUAGES)}")
    path = resources.files("flowsim") / "locales" / "names" / f"{lang}.yaml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def local_name(name: str, lang: str = DEFAULT) -> str:
    """A scenario file's own name as `lang` writes it: "Sóc Sơn" for "Soc Son" in Vietnamese; a
    name no locale has is shown as the file writes it."""
    return local_names(lang).get(name, name)


def count(n: int, noun: str, lang: str = DEFAULT) -> str:
    """`n` of `noun` as `lang` says it: "1 replication", "3 replications"; Vietnamese has one form
    ("3 lần chạy"). The forms are `count.<noun>.one` and `.other`."""
    return text(f"count.{noun}.{'one' if n == 1 else 'other'}", lang, n=number(n, 0, lang))


def error_words(exc: Exception, lang: str = DEFAULT, names: Mapping[str, str] | None = None) -> str:
    """An input error as `lang` says it, each field called as `names` calls it (a front end's own
    names, as `InputError.named`). English: the library's own line. Another language: an error the
    library coded (`InputError.code`: pydantic's error type for a field that failed validation, or
    the library's own code for a scenario, table or file it refused) in `error.<code>`, with the
    field's path as the scenario file writes it; any other reason in the library's English, said
    to be English."""
    from .errors import InputError

    names = names or {}
    if not isinstance(exc, InputError):
        return str(exc)
    if lang == DEFAULT:
        return exc.named(names)
    params = dict(exc.params or {})
    key = f"error.{exc.code}"
    if exc.code is None or not has(key, lang):
        return text("error.in_english", lang, error=exc.named(names))
    shown = {k: (significant(v, 6, lang) if isinstance(v, float) else
                 number(v, 0, lang) if isinstance(v, int) and not isinstance(v, bool) else str(v)) for k, v in params.items()}
    try:
        reason = text(key, lang, **shown)
    except KeyError:  # a context pydantic did not give: the English line, said to be English
        return text("error.in_english", lang, error=exc.named(names))
    more = params.get("more", 0)
    head = "" if exc.field is None else names.get(exc.field, exc.field) + ("" if exc.value is None else " " + exc.value) + ": "
    return head + reason + (" " + text("error.more", lang, more=shown["more"]) if more else "")


def has(key: str, lang: str = DEFAULT) -> bool:
    return key in table(lang)


def named(kind: str, name: str, lang: str = DEFAULT) -> str:
    """A lever's or figure's label with its unit, e.g. "New F0 per day (patients/day)"."""
    label = text(f"{kind}.{name}.label", lang)
    unit_key = f"{kind}.{name}.unit"
    return f"{label} ({text(unit_key, lang)})" if has(unit_key, lang) and table(lang)[unit_key] else label


def bracket(lower: float, upper: float, digits: int = 0, lang: str = DEFAULT) -> str:
    """An interval as `lang` writes it: "[-1.6, 2.6]" in English, "[-1,6; 2,6]" in Vietnamese
    (where the comma is the decimal sign, "[-1,6, 2,6]" could be read three ways)."""
    return text("table.bracket", lang, lower=number(lower, digits, lang), upper=number(upper, digits, lang))


def significant(value: float, digits: int, lang: str = DEFAULT, sign: bool = False) -> str:
    """`value` to `digits` significant figures, written the way `lang` writes numbers (2.270,5 in
    Vietnamese): e.g. a verdict's differences, as `f"{x:+.3g}"` would write them in English."""
    written = f"{value:{'+' if sign else ''},.{digits}g}"
    thousands, decimal = separators(lang)
    swap: dict[str, str | int | None] = {",": thousands, ".": decimal}
    return written.translate(str.maketrans(swap))


def separators(lang: str = DEFAULT) -> tuple[str, str]:
    """The thousands and decimal signs `lang` writes (`number`'s rule): (",", ".") or (".", ",")."""
    written = number(1234.5, 1, lang)  # "1,234.5" or "1.234,5"
    return written[1], written[-2]


def figure_label(name: str, lang: str = DEFAULT) -> str:
    """A key figure's plain label with its unit ("Deaths (patients)"); an unknown name as it is."""
    return named("figure", name, lang) if has(f"figure.{name}.label", lang) else name


def number(value: float | None, digits: int = 0, lang: str = DEFAULT) -> str:
    """A number as `lang` writes it: 2,270.5 in English, 2.270,5 in Vietnamese; — when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    written = f"{float(value):,.{digits}f}"
    if written in ("-0", "-0.0") or written.startswith("-0.") and float(value) == 0:
        written = written[1:]
    if lang == "vi":
        written = written.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return written


def figure_digits(name: str) -> tuple[int, float]:
    """Decimals a key figure is shown with, and its scale: shares as %, waits and days to 0.1,
    counts and minutes whole (read off the figure's unit in the English table)."""
    unit = table(DEFAULT).get(f"figure.{name}.unit", "")
    if unit == "%":
        return 0, 100.0
    return (1, 1.0) if unit == "days" else (0, 1.0)


def figure_value(name: str, value: float | None, lang: str = DEFAULT) -> str:
    digits, scale = figure_digits(name)
    return number(None if value is None else float(value) * scale, digits, lang)


def gain_title(column: str, lang: str = DEFAULT) -> str:
    """The title of a bottleneck ranking's gain column (`deaths_averted`, `<figure>_reduction`)."""
    if column == "deaths_averted":
        return text("plot.deaths_averted", lang)
    figure = column.removesuffix("_reduction")
    return text("plot.reduction_of", lang, figure=text(f"figure.{figure}.label", lang),
                unit=text(f"figure.{figure}.unit", lang))
