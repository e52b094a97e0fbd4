"""The network on a real map: facilities coloured by how full they are on a chosen day, by tier,
with the ambulance bases and the districts (pydeck, Streamlit's own map library).

The base map is CARTO's light tiles (OpenStreetMap data), fetched by the browser: offline they do
not load, and the districts (circles sized by population, labelled), facilities and bases still
draw on a blank background — the app says so beside the map. Tables in, a Deck out.
"""

from __future__ import annotations

import html
import math

import pandas as pd
import pydeck as pdk

from .config import Scenario
from .i18n import DEFAULT, number, text

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


def facilities_on_day(scenario: Scenario, occupancy: pd.DataFrame, day: float, tier: int) -> pd.DataFrame:
    """Each facility with its tier-`tier` beds, the mean beds taken during day `day` (replication 0)
    and the share taken, where it is (its own coordinates, else its district's) and its busiest day."""
    centroid = {d.name: (d.lat, d.lon) for d in scenario.districts}
    occ = occupancy[occupancy["tier"] == tier]
    that_day = occ[(occ["time"] >= day) & (occ["time"] < day + 1)].groupby("facility")["occupied"].mean()
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
                     "peak": float(series.max()) if len(series) else float("nan"), "peak_day": peak_day})
    return pd.DataFrame(rows)


def network_deck(scenario: Scenario, occupancy: pd.DataFrame, day: float, tier: int,
                 lang: str = DEFAULT) -> pdk.Deck:
    """Districts, facilities (coloured by the share of tier-`tier` beds taken on `day`, sized by
    those beds) and ambulance bases, with a tooltip of each facility's numbers."""
    fac = facilities_on_day(scenario, occupancy, day, tier)
    fac = fac[fac["beds"] > 0].copy()
    fac["colour"] = [_colour(s) for s in fac["share"]]
    fac["radius"] = [250 + 60 * math.sqrt(b) for b in fac["beds"]]
    fac["kind_name"] = [text(f"kind.{k}", lang) for k in fac["kind"]]
    fac["beds_text"] = [number(b, 0, lang) for b in fac["beds"]]
    fac["occupied_text"] = [number(x, 1, lang) for x in fac["occupied"]]
    fac["share_text"] = [number(100 * s, 0, lang) + " %" if s == s else "—" for s in fac["share"]]
    fac["peak_text"] = [f"{number(p, 1, lang)} ({text('chart.day', lang)} {number(d, 0, lang)})"
                        for p, d in zip(fac["peak"], fac["peak_day"], strict=True)]
    fac["tip"] = [text("maplayer.tip_facility", lang, name=html.escape(r.facility), kind=r.kind_name, tier=text(f"tier.{tier}", lang),
                       beds=r.beds_text, day=number(day, 0, lang), occupied=r.occupied_text, share=r.share_text,
                       peak=r.peak_text) for r in fac.itertuples()]
    d = pd.DataFrame([{"title": x.name, "lat": x.lat, "lon": x.lon, "pop": x.population,
                       "pop_text": number(x.population, 0, lang)} for x in scenario.districts])
    d["radius"] = [math.sqrt(p) * 4 for p in d["pop"]]
    d["tip"] = [text("maplayer.tip_district", lang, name=html.escape(r.title), population=r.pop_text) for r in d.itertuples()]
    layers = [
        pdk.Layer("ScatterplotLayer", d, get_position=["lon", "lat"], get_radius="radius",
                  get_fill_color=[120, 120, 120, 40], get_line_color=[90, 90, 90, 120], stroked=True,
                  line_width_min_pixels=1, pickable=True, id="districts"),
        pdk.Layer("TextLayer", d, get_position=["lon", "lat"], get_text="title", get_size=11,
                  get_color=[70, 70, 70, 200], id="district-names"),
        pdk.Layer("ScatterplotLayer", fac, get_position=["lon", "lat"], get_radius="radius", get_fill_color="colour",
                  get_line_color=[30, 30, 30, 200], stroked=True, line_width_min_pixels=1, pickable=True,
                  id="facilities"),
    ]
    if scenario.ambulances is not None:
        centroid = {x.name: (x.lat, x.lon) for x in scenario.districts}
        bases = pd.DataFrame([{"title": b.name, "lat": b.lat if b.lat is not None else centroid[b.district][0],
                               "lon": b.lon if b.lon is not None else centroid[b.district][1],
                               "vehicles": b.vehicles,
                               "vehicles_text": number(round(b.vehicles * scenario.capacity_scale.ambulances), 0, lang)}
                              for b in scenario.ambulances.bases])
        bases["tip"] = [text("maplayer.tip_base", lang, name=html.escape(r.title), vehicles=r.vehicles_text)
                        for r in bases.itertuples()]
        layers.append(pdk.Layer("ScatterplotLayer", bases, get_position=["lon", "lat"], get_radius=300,
                                get_fill_color=[44, 111, 187, 230], get_line_color=[255, 255, 255], stroked=True,
                                line_width_min_pixels=2, pickable=True, id="bases"))
    tooltip = {"html": "{tip}", "style": {"fontSize": "12px"}}
    view = pdk.ViewState(latitude=float(fac["lat"].mean() if len(fac) else d["lat"].mean()),
                         longitude=float(fac["lon"].mean() if len(fac) else d["lon"].mean()), zoom=9.2)
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=BASE_MAP, tooltip=tooltip)
