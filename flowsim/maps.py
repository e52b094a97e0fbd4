"""The network on a real map: facilities coloured by how full they are on a chosen day, by tier,
with the patients waiting for their beds, the ambulance bases and the districts (pydeck,
Streamlit's own map library).

The base map is CARTO's light tiles (OpenStreetMap data), fetched by the browser: offline they do
not load, and the districts (circles sized by population, labelled, coloured by their home-care
load), facilities and bases still draw on a blank background — the app says so beside the map.
Districts are circles, not outlines: no district boundary data whose licence lets an open-source
package ship it could be had where this was built (GADM's forbids redistribution). Tables in, a
Deck out.
"""

from __future__ import annotations

import math

import pandas as pd
import pydeck as pdk

from .config import Scenario
from .i18n import DEFAULT, local_name, number, text

BASE_MAP = "light"
"""CARTO's light base map (no key needed)."""


def _colour(share: float) -> list[int]:
    """Green (empty) through yellow to red (full); grey when the facility has no beds of the tier."""
    if share != share:
        return [150, 150, 150, 160]
    x = max(0.0, min(1.0, share))
    if x < 0.5:
        r, g = int(80 + 350 * x), 170
    else:
        r, g = 235, int(170 - 300 * (x - 0.5))
    return [min(r, 235), max(g, 20), 60, 220]


def _during(table: pd.DataFrame, day: float) -> pd.DataFrame:
    """The rows of a time-series table sampled during day `day` ([day, day + 1))."""
    return table[(table["time"] >= day) & (table["time"] < day + 1)]


def facilities_on_day(scenario: Scenario, occupancy: pd.DataFrame, day: float, tier: int,
                      queues: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each facility with its tier-`tier` beds, the mean beds taken during day `day` (replication 0)
    and the share taken, where it is (its own coordinates, else its district's) and its busiest day.

    With the run's `queues` (`tables.queues_table`), also the patients waiting for its beds that
    day: `waiting` (mean) and `waiting_max` on the lists only it serves, and `waiting_shared` (mean)
    on a list it shares with `shared_by` wards (the tier's city-wide list), NaN where it has none."""
    centroid = {d.name: (d.lat, d.lon) for d in scenario.districts}
    occ = occupancy[occupancy["tier"] == tier]
    that_day = _during(occ, day).groupby("facility")["occupied"].mean()
    waits = pd.DataFrame(columns=["waiting", "waiting_max", "waiting_shared", "shared_by"], dtype=float)
    if queues is not None:
        q = _during(queues[queues["tier"] == tier], day).groupby("facility")
        waits = pd.DataFrame({"waiting": q["waiting_own"].mean(), "waiting_max": q["waiting_own"].max(),
                              "waiting_shared": q["waiting_shared"].mean(), "shared_by": q["shared_by"].max()})
        waits.loc[~q["has_own"].max().astype(bool), ["waiting", "waiting_max"]] = float("nan")
        waits.loc[waits["shared_by"] == 0, "waiting_shared"] = float("nan")
    daily = occ.assign(day=occ["time"].astype(float).floordiv(1)).groupby(["facility", "day"])["occupied"].mean()
    rows = []
    for f in scenario.facilities:
        lat, lon = (f.lat, f.lon) if f.lat is not None and f.lon is not None else centroid[f.district]
        beds = scenario.beds(f, tier)
        taken = float(that_day.get(f.name, float("nan")))
        series = daily.xs(f.name, level="facility") if f.name in daily.index.get_level_values(0) else pd.Series(dtype=float)
        peak_day = float(series.idxmax()) if len(series) else float("nan")
        rows.append({"facility": f.name, "kind": f.kind, "district": f.district, "lat": lat, "lon": lon, "beds": beds,
                     "occupied": taken, "share": taken / beds if beds > 0 else float("nan"),
                     "peak": float(series.max()) if len(series) else float("nan"), "peak_day": peak_day,
                     **{c: float(waits[c].get(f.name, float("nan"))) for c in waits.columns}})
    return pd.DataFrame(rows)


def districts_on_day(scenario: Scenario, home: pd.DataFrame | None, day: float) -> pd.DataFrame:
    """Each district: population, where its circle goes and, with the run's `home` table
    (`tables.home_table`), the F0 cared for at home during day `day` (mean, replication 0) against
    its home-monitoring capacity (`home_share`; NaN where the scenario sets no capacity)."""
    load = pd.DataFrame(columns=["at_home", "monitoring_capacity"], dtype=float)
    if home is not None:
        load = _during(home, day).groupby("district")[["at_home", "monitoring_capacity"]].mean()
    rows = []
    for x in scenario.districts:
        at_home = float(load["at_home"].get(x.name, float("nan")))
        cap = float(load["monitoring_capacity"].get(x.name, float("nan")))
        rows.append({"district": x.name, "lat": x.lat, "lon": x.lon, "population": x.population,
                     "at_home": at_home, "monitoring_capacity": cap,
                     "home_share": at_home / cap if cap == cap and 0 < cap < math.inf else float("nan")})
    return pd.DataFrame(rows)


def play_step(day: int, last: int) -> int | None:
    """The day "Play" shows next after `day`, or None once `last` (the run's last day) is shown."""
    return day + 1 if day < last else None


def facility_over_time(occupancy: pd.DataFrame, queues: pd.DataFrame | None, name: str, tier: int) -> pd.DataFrame:
    """One facility's tier-`tier` beds over the run: time, occupied, capacity and, with the run's
    queues, the patients waiting for its beds (`waiting_own`, `waiting_shared`, `shared_by`, `has_own`)."""
    occ = occupancy[(occupancy["facility"] == name) & (occupancy["tier"] == tier)]
    out = occ[["time", "occupied", "capacity"]].reset_index(drop=True)
    if queues is not None:
        q = queues[(queues["facility"] == name) & (queues["tier"] == tier)]
        out = out.merge(q[["time", "waiting_own", "waiting_shared", "shared_by", "has_own"]], on="time", how="left")
    return out


def _queue_text(row: object, lang: str) -> str:
    """The tooltip's line on who waits for a facility's beds that day."""
    own, top, shared, wards = (getattr(row, c) for c in ("waiting", "waiting_max", "waiting_shared", "shared_by"))
    def patients(x: float) -> str:  # a mean over the day's samples: a decimal only when it has one
        return number(x, 0 if float(x).is_integer() else 1, lang)

    lines = []
    if own == own:
        lines.append(text("maplayer.tip_queue", lang, waiting=patients(own), most=number(top, 0, lang)))
    if shared == shared:
        lines.append(text("maplayer.tip_queue_shared", lang, waiting=patients(shared), wards=number(wards, 0, lang)))
    return "\n".join(lines)


def network_deck(scenario: Scenario, occupancy: pd.DataFrame, day: float, tier: int,
                 lang: str = DEFAULT, queues: pd.DataFrame | None = None,
                 home: pd.DataFrame | None = None) -> pdk.Deck:
    """Districts (sized by population; with the run's `home` table, coloured by their F0 at home
    against home-monitoring capacity on `day`), facilities (coloured by the share of tier-`tier`
    beds taken on `day`, sized by those beds) and ambulance bases, with a tooltip of each one's
    numbers (and, with the run's `queues`, who waits for a facility's beds that day)."""
    fac = facilities_on_day(scenario, occupancy, day, tier, queues)
    fac = fac[fac["beds"] > 0].copy()
    fac["colour"] = [_colour(s) for s in fac["share"]]
    fac["radius"] = [250 + 60 * math.sqrt(b) for b in fac["beds"]]
    fac["kind_name"] = [text(f"kind.{k}", lang) for k in fac["kind"]]
    fac["beds_text"] = [number(b, 0, lang) for b in fac["beds"]]
    fac["occupied_text"] = [number(x, 1, lang) for x in fac["occupied"]]
    fac["share_text"] = [number(100 * s, 0, lang) + " %" if s == s else "—" for s in fac["share"]]
    fac["peak_text"] = [f"{number(p, 1, lang)} ({text('chart.day', lang)} {number(d, 0, lang)})"
                        for p, d in zip(fac["peak"], fac["peak_day"], strict=True)]
    fac["tip"] = [text("maplayer.tip_facility", lang, name=local_name(r.facility, lang), kind=r.kind_name, tier=text(f"tier.{tier}", lang),
                       beds=r.beds_text, day=number(day, 0, lang), occupied=r.occupied_text, share=r.share_text,
                       peak=r.peak_text) for r in fac.itertuples()]
    if queues is not None:
        fac["tip"] = [tip + ("\n" + q if q else "") for tip, q in
                      zip(fac["tip"], (_queue_text(r, lang) for r in fac.itertuples()), strict=True)]
    d = districts_on_day(scenario, home, day).rename(columns={"district": "title"})
    d["title"] = [local_name(x, lang) for x in d["title"]]
    d["radius"] = [math.sqrt(p) * 4 for p in d["population"]]
    d["fill"] = [_colour(x)[:3] + [70] if x == x else [120, 120, 120, 40] for x in d["home_share"]]
    d["tip"] = [text("maplayer.tip_district", lang, name=r.title, population=number(r.population, 0, lang))
                + ("\n" + text("maplayer.tip_home", lang, day=number(day, 0, lang), at_home=number(r.at_home, 0, lang),
                                  capacity=number(r.monitoring_capacity, 0, lang),
                                  share=number(100 * r.home_share, 0, lang) + " %") if r.home_share == r.home_share else "")
                for r in d.itertuples()]
    layers = [
        pdk.Layer("ScatterplotLayer", d, get_position=["lon", "lat"], get_radius="radius",
                  get_fill_color="fill", get_line_color=[90, 90, 90, 120], stroked=True,
                  line_width_min_pixels=1, pickable=True, id="districts"),
        # character_set "auto": deck.gl's text atlas holds only ASCII by default, and drew "Sóc Sơn" as "S c"
        pdk.Layer("TextLayer", d, get_position=["lon", "lat"], get_text="title", get_size=11, character_set="auto",
                  get_color=[70, 70, 70, 200], id="district-names"),
        pdk.Layer("ScatterplotLayer", fac, get_position=["lon", "lat"], get_radius="radius", get_fill_color="colour",
                  get_line_color=[30, 30, 30, 200], stroked=True, line_width_min_pixels=1, pickable=True,
                  id="facilities"),
    ]
    if scenario.ambulances is not None:
        centroid = {x.name: (x.lat, x.lon) for x in scenario.districts}
        bases = pd.DataFrame([{"title": local_name(b.name, lang), "lat": b.lat if b.lat is not None else centroid[b.district][0],
                               "lon": b.lon if b.lon is not None else centroid[b.district][1],
                               "vehicles": b.vehicles,
                               "vehicles_text": number(round(b.vehicles * scenario.capacity_scale.ambulances), 0, lang)}
                              for b in scenario.ambulances.bases])
        bases["tip"] = [text("maplayer.tip_base", lang, name=r.title, vehicles=r.vehicles_text)
                        for r in bases.itertuples()]
        layers.append(pdk.Layer("ScatterplotLayer", bases, get_position=["lon", "lat"], get_radius=300,
                                get_fill_color=[44, 111, 187, 230], get_line_color=[255, 255, 255], stroked=True,
                                line_width_min_pixels=2, pickable=True, id="bases"))
    # text, its lines apart by newlines: Streamlit escapes the fields it puts into an "html" tooltip,
    # so tags in them showed as text ("<b>Phuc Tho</b><br/>population ...")
    tooltip = {"text": "{tip}", "style": {"fontSize": "12px"}}
    view = pdk.ViewState(latitude=float(fac["lat"].mean() if len(fac) else d["lat"].mean()),
                         longitude=float(fac["lon"].mean() if len(fac) else d["lon"].mean()), zoom=9.2)
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=BASE_MAP, tooltip=tooltip)
