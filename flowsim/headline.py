"""The one-sentence answer at the top of a result: where the network jams, who dies waiting for
what, and what to add first — read off a run's tables, never written by hand.

`Headline` holds the facts; the app and the briefing report put them into words in the reader's
language (flowsim/locales). "What to add first" comes from a bottleneck ranking when one was run
for the same setting (paired replications); otherwise it is the resource most of the deaths
while waiting were waiting for, and says it is that (a first reading, to be confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .i18n import DEFAULT, number, text

POOL_KEYS = {"station beds": "station_beds", "hospital tier-1 beds": "hospital_tier1_beds",
             "oxygen beds": "oxygen_beds", "ICU beds": "icu_beds", "ambulances": "ambulances",
             "home monitoring": "home_monitoring"}
"""Pool names of the resources table → the capacity_scale field (and label key) of the same resource."""

TIER_OF = {"oxygen_beds": 2, "icu_beds": 3}
CAUSE_RESOURCE = {"icu_bed": "icu_beds", "oxygen_bed": "oxygen_beds", "ambulance": "ambulances",
                  "late_detection": "home_monitoring"}
"""What a patient who died waiting was waiting for → the resource that would have served them.
`detection` (died before their deterioration was noticed, with home monitoring never over its
capacity: the usual delay, not a shortage) has none."""


@dataclass(frozen=True)
class Jam:
    resource: str
    """capacity_scale field of the pool that was entirely full longest (e.g. icu_beds)."""
    days_full: float
    """Days the whole pool was full, within the statistics window (replication 0)."""
    first_day: float | None = None
    last_day: float | None = None
    """First and last day it was full (bed pools of tiers 2 and 3, from the time series)."""
    absent: bool = False
    """The scenario has none of it, and patients died waiting for it (full the whole window)."""


@dataclass(frozen=True)
class Headline:
    window: tuple[float, float]
    jam: Jam | None
    """None when no pool was ever entirely full."""
    died_waiting: float
    """Mean deaths while waiting over the replications."""
    replications: int
    causes: dict[str, int] = field(default_factory=dict)
    """Deaths while waiting in replication 0 by what they waited for (icu_bed, oxygen_bed, ambulance,
    late_detection), largest first."""
    add_first: str | None = None
    """capacity_scale field to add first, or None when nothing is short."""
    ranked: bool = False
    """True: `add_first` tops a bottleneck ranking (paired runs); False: read off the causes."""
    deaths_averted: tuple[float, float, float] | None = None
    """Ranked: deaths averted by +step of it, with the bounds of its paired 95% interval."""
    step: float | None = None
    unclear: bool = False
    """A ranking was run, but no resource's +step averts deaths with a paired interval above 0."""


def _span(timeseries: pd.DataFrame, tier: int, window: tuple[float, float]) -> tuple[float | None, float | None]:
    ts = timeseries[(timeseries["time"] >= window[0]) & (timeseries["time"] <= window[1])]
    cap = ts[f"capacity_tier{tier}"]
    full = ts[(ts[f"occupied_tier{tier}"] >= cap) & (cap > 0)]["time"]
    return (float(full.min()), float(full.max())) if len(full) else (None, None)


def home_over_capacity(resources: pd.DataFrame) -> bool:
    """Whether any district's home monitoring was ever over its capacity: only then is a deterioration
    at home noticed late (`Pathway.deteriorate_at_home`), and more teams could have saved anyone."""
    districts = resources[(resources["level"] == "district") & (resources["kind"] == "home")]
    return bool((districts["days_full"] > 0).any())


def causes(waits: pd.DataFrame, transfers: pd.DataFrame, window: tuple[float, float],
           home_full: bool) -> dict[str, int]:
    """Deaths while waiting by what they waited for, counted in the window (by time of death). Deaths
    before a deterioration was noticed are `late_detection` when home monitoring was ever over its
    capacity (`home_full`), else `detection`: the usual delay, which more teams would not shorten."""
    died = waits[waits["status"] == "died"]
    died = died[(died["start"] + died["wait"] > window[0]) & (died["start"] + died["wait"] <= window[1])]
    out = {
        "icu_bed": int(((died["reason"] == "care") & (died["tier"] == 3)).sum()),
        "oxygen_bed": int(((died["reason"] == "care") & (died["tier"] == 2)).sum()),
        "late_detection" if home_full else "detection": int((died["reason"] == "detection").sum()),
        "ambulance": int(((transfers["status"] == "died") & (transfers["called"] > window[0])
                          & (transfers["called"] <= window[1])).sum()) if len(transfers) else 0,
    }
    return dict(sorted(((k, v) for k, v in out.items() if v > 0), key=lambda kv: -kv[1]))


def headline(summary: pd.DataFrame, timeseries: pd.DataFrame, resources: pd.DataFrame, waits: pd.DataFrame,
             transfers: pd.DataFrame, ranking: pd.DataFrame | None = None, step: float | None = None) -> Headline:
    """The facts of the headline from the tables of one setting: `summary` (a row per replication),
    replication 0's time series, resources, waits and transfers, and a bottleneck ranking of the
    same setting if one was run."""
    first = summary.iloc[0]
    window = (float(first["window_start"]), float(first["window_end"]))
    pools = resources[(resources["level"] == "pool") & (resources["capacity"] > 0)
                      & resources["resource"].isin(list(POOL_KEYS))]
    jam = None
    if len(pools) and pools["days_full"].max() > 0:
        top = pools.loc[pools["days_full"].idxmax()]
        key = POOL_KEYS[str(top["resource"])]
        span = _span(timeseries, TIER_OF[key], window) if key in TIER_OF else (None, None)
        jam = Jam(key, float(top["days_full"]), *span)
    home_full = home_over_capacity(resources)
    why = causes(waits, transfers, window, home_full)
    every = resources[(resources["level"] == "pool") & resources["resource"].isin(list(POOL_KEYS))]
    every = every.assign(key=every["resource"].map(POOL_KEYS)).set_index("key")
    needed = [CAUSE_RESOURCE[c] for c in why if c in CAUSE_RESOURCE]
    absent = [key for key in needed if key in every.index and every.loc[key, "capacity"] == 0]
    if absent:  # a pool the scenario has none of, that patients died waiting for: it jams first
        jam = Jam(absent[0], window[1] - window[0], absent=True)
    # What was short: a pool that was ever entirely full, or had anyone on its waiting lists (a call
    # waiting for a vehicle), or home monitoring over capacity somewhere. Deaths while waiting for
    # what was not short (a vehicle's drive, a bed being reached) are not a reason to add it.
    short = {key for key in needed if key in absent or (key == "home_monitoring" and home_full) or (
        key in every.index and (every.loc[key, "days_full"] > 0 or every.loc[key, "max_queue"] > 0))}
    needed = [key for key in needed if key in short]
    add_first, ranked, averted = None, False, None
    unclear = False
    if ranking is not None and len(ranking) and ranking["deaths_averted"].notna().any():
        best = ranking.sort_values("rank").iloc[0]
        if best["deaths_averted_lower"] > 0:  # its paired interval excludes "no effect"
            add_first, ranked = str(best["resource"]), True
            averted = (float(best["deaths_averted"]), float(best["deaths_averted_lower"]),
                       float(best["deaths_averted_upper"]))
        else:
            unclear = True
    if ranked:
        pass
    elif needed:
        add_first = needed[0]
    elif jam is not None:
        add_first = jam.resource
    return Headline(window, jam, float(summary["died_waiting"].mean()), len(summary), why, add_first, ranked,
                    averted, step, unclear)


def sentence(h: Headline, lang: str = DEFAULT) -> str:
    """The headline's facts as one sentence in `lang`: where it jams; who dies waiting, for what;
    what to add first (and whether a ranking says so or it is read off the causes)."""
    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    def num(value: float | None) -> str:
        return number(value, 0, lang)

    window = num(h.window[1] - h.window[0])
    if h.jam is None:
        parts = [t("headline.no_jam")]
    else:
        resource = t(f"resource.{h.jam.resource}")
        resource = resource[:1].upper() + resource[1:]
        if h.jam.absent:
            parts = [t("headline.jam_absent", resource=resource)]
        elif h.jam.first_day is not None:
            parts = [t("headline.jam_span", resource=resource, days=num(h.jam.days_full), window=window,
                       first=num(h.jam.first_day), last=num(h.jam.last_day))]
        else:
            parts = [t("headline.jam", resource=resource, days=num(h.jam.days_full), window=window)]
    if h.died_waiting > 0:
        deaths = t("headline.deaths" if h.replications > 1 else "headline.deaths_one", deaths=num(h.died_waiting),
                   runs=h.replications)
        if h.causes:
            cause, count = next(iter(h.causes.items()))
            deaths += ", " + t("headline.cause", share=f"{count / sum(h.causes.values()):.0%}", cause=t(f"cause.{cause}"))
        parts.append(deaths)
    else:
        parts.append(t("headline.no_deaths"))
    if h.unclear:
        parts.append(t("headline.add_unclear", step=f"{h.step or 0.1:.0%}"))
    if h.add_first is None:
        parts.append(t("headline.add_none"))
    elif h.ranked and h.deaths_averted is not None:
        a = h.deaths_averted
        parts.append(t("headline.add_ranked", resource=t(f"resource.{h.add_first}"), step=f"{h.step or 0.1:.0%}",
                       averted=num(a[0]), lower=num(a[1]), upper=num(a[2])))
    else:
        parts.append(t("headline.add_guess", resource=t(f"resource.{h.add_first}")))
    return "; ".join(parts) + "."
