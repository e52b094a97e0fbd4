"""The decision tools' results in a reader's words (flowsim/locales): a service target, a single
unit, a plan as the units it adds, and the optimiser's verdict. The CLI says the verdict in English
through the same function the app says it in Vietnamese, so the two cannot disagree."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from .frontier import parse_target
from .i18n import DEFAULT, figure_label, local_name, number, significant, text
from .unit_bottlenecks import UNIT_OF_KIND


def target_words(target: str, lang: str = DEFAULT) -> str:
    """A service target as a planner reads it: "ICU wait over 2 h: at most 5 % of patients"."""
    t = parse_target(target)
    if t.share is not None:
        hours = t.share.days * 24
        bed = text(f"tier.{t.share.tier}", lang)
        return text("plan.target_share", lang, bed=bed, hours=significant(hours, 3, lang),
                    share=number(100 * t.limit, 1 if (100 * t.limit) % 1 else 0, lang))
    return text("plan.target_limit", lang, figure=figure_label(t.figure, lang), limit=significant(t.limit, 4, lang))


def unit_words(kind: str, place: str, lang: str = DEFAULT) -> str:
    """One more unit of `kind` at `place`: "ICU bed, Bệnh viện Thị trấn"."""
    unit = UNIT_OF_KIND.get(kind)
    return f"{text(f'plan.unit.{unit}', lang) if unit else kind}, {local_name(place, lang)}"


def plan_words(plans: pd.DataFrame, lang: str = DEFAULT) -> dict[str, str]:
    """Each plan of an optimisation's `plans` table (by its label) as what it adds:
    "+16 station beds, +2 ICU beds" ("nothing": today's capacity)."""
    units = [c.removeprefix("added_") for c in plans.columns if c.startswith("added_")]
    out = {}
    for row in plans.drop_duplicates("plan").itertuples(index=False):
        added = [(u, float(getattr(row, f"added_{u}"))) for u in units]
        parts = [f"{'+' if a > 0 else ''}{number(a, 0, lang)} {text(f'plan.unit.{u}' + ('_many' if abs(a) != 1 else ''), lang)}"
                 for u, a in added if a and math.isfinite(a)]
        out[str(row.plan)] = ", ".join(parts) or text("plan.nothing", lang)
    return out


def verdict(confirmation: pd.DataFrame, winner: str | None, tried: int, confidence: float,
            lang: str = DEFAULT, name: Callable[[str], str] = str) -> str:
    """What the optimiser chose and how sure it is, from its confirmation table: the winner (the
    cheapest plan meeting the targets on fresh replications), whether it meets them with
    `confidence`, and the runner-up's extra cost and paired difference in deaths while waiting.
    `tried`: how many plans were confirmed (0: none met the targets in the search). `name`: a
    plan's words (its label by default)."""
    def t(key: str, **values: object) -> str:
        return text(f"plan.verdict.{key}", lang, **values)

    if tried == 0:
        return t("none_tried")
    if winner is None:
        return t("none_confirmed")
    pct = f"{confidence:.0%}"
    w = confirmation.set_index("plan").loc[winner]
    said = t("chosen_sure" if w["meets_with_confidence"] else "chosen_on_average", plan=name(winner), pct=pct)
    others = confirmation[(confirmation["plan"] != winner) & confirmation["meets_targets"]]
    if len(others):
        r = others.iloc[0]
        deaths = t("deaths", difference=significant(r["died_waiting_vs_winner"], 3, lang, sign=True),
                   lower=significant(r["died_waiting_vs_winner_lower"], 3, lang, sign=True),
                   upper=significant(r["died_waiting_vs_winner_upper"], 3, lang, sign=True))
        more = significant(r["cost"] - w["cost"], 4, lang)
        tie = r["meets_with_confidence"] and not w["meets_with_confidence"]
        said += t("tie" if tie else "runner_up", plan=name(str(r["plan"])), more=more, pct=pct, deaths=deaths)
    elif tried > 1:
        said += t("no_other")
    return said
