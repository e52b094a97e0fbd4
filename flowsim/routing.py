"""Which ward gets a patient who needs a bed of a tier: the routing policies.

Locations are numbered districts first (their centroids), then facilities. `nearest_free` gives
the nearest ward of the tier with a free bed, else the patient joins the tier's city-wide
waiting list and takes the first bed that falls free anywhere. `designated` sends a patient to
the ward of their own hospital if it has the tier (escalation to the same hospital's ICU), else
to the district's designated hospital, and waits there. Tier-1 beds are always nearest-free.
"""

from __future__ import annotations

import numpy as np
import simpy

from .config import Scenario
from .facilities import BedRequest, WaitingList, Ward
from .records import Log

EARTH_RADIUS_KM = 6371.0


def locations(scenario: Scenario) -> np.ndarray:
    """(lat, lon) of every location: districts, then facilities (a facility without
    coordinates sits at its district's centroid)."""
    centroid = {d.name: (d.lat, d.lon) for d in scenario.districts}
    pts = [(d.lat, d.lon) for d in scenario.districts]
    pts += [(f.lat, f.lon) if f.lat is not None else centroid[f.district] for f in scenario.facilities]
    return np.array(pts, float)


def distance_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between every point of `a` and every point of `b`."""
    la, lo = np.radians(a[:, :1]), np.radians(a[:, 1:])
    lb, lob = np.radians(b[:, 0])[None, :], np.radians(b[:, 1])[None, :]
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((lob - lo) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


class Admissions:
    """Finds beds for patients under the scenario's routing policy."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, wards: list[Ward], log: Log) -> None:
        self.env = env
        self.policy = scenario.routing.policy
        n_districts = len(scenario.districts)
        points = locations(scenario)
        self.lists: list[WaitingList] = []
        self.city: dict[int, WaitingList] = {}
        self.order: dict[int, list[list[Ward]]] = {}
        self.at_facility: dict[tuple[int, int], Ward] = {}
        for w in wards:
            self.at_facility[(w.location, w.tier)] = w
        for tier in (1, 2, 3):
            tier_wards = [w for w in wards if w.tier == tier]
            if tier_wards:
                d = distance_km(points, points[[w.location for w in tier_wards]])
                ranks = np.argsort(d, axis=1, kind="stable")
                self.order[tier] = [[tier_wards[j] for j in row] for row in ranks]
            else:
                self.order[tier] = [[] for _ in range(len(points))]
            if tier == 1 or self.policy == "nearest_free":
                self.city[tier] = self._new_list(f"tier {tier} (city)", tier, -1, log)
                for w in tier_wards:
                    w.serve(self.city[tier])
        self.designated: dict[int, list[Ward | None]] = {}
        if self.policy == "designated":
            by_name = {f.name: f for f in scenario.facilities}
            index = {f.name: n_districts + i for i, f in enumerate(scenario.facilities)}
            for w in wards:
                if w.tier > 1:
                    w.serve(self._new_list(f"{w.facility} / tier {w.tier}", w.tier, w.index, log))
            for tier in (2, 3):
                chosen: list[Ward | None] = []
                for i, district in enumerate(scenario.districts):
                    name = getattr(district.designated, f"tier{tier}")
                    if name is not None and name in by_name:
                        chosen.append(self.at_facility.get((index[name], tier)))
                    else:
                        chosen.append(self.order[tier][i][0] if self.order[tier][i] else None)
                self.designated[tier] = chosen
        self._nowhere = {tier: self._new_list(f"tier {tier} (no beds)", tier, -1, log) for tier in (1, 2, 3)}

    def _new_list(self, name: str, tier: int, ward: int, log: Log) -> WaitingList:
        lst = WaitingList(self.env, len(self.lists), name, tier, log, ward)
        self.lists.append(lst)
        return lst

    def free_ward(self, tier: int, location: int) -> Ward | None:
        """The nearest ward of the tier with a free bed now, without queueing."""
        for w in self.order[tier][location]:
            if w.free() > 0:
                return w
        return None

    def ward_at(self, location: int, tier: int) -> Ward | None:
        return self.at_facility.get((location, tier))

    def request(self, patient: int, tier: int, location: int, district: int, priority: int) -> BedRequest:
        """A bed request, granted at once if a bed is free, else queued by policy."""
        req = BedRequest(self.env, patient, tier, priority)
        if tier == 1 or self.policy == "nearest_free":
            w = self.free_ward(tier, location)
            if w is not None:
                w.grant(req)
            elif self.order[tier][location]:
                self.city[tier].push(req)
            else:
                self._nowhere[tier].push(req)
            return req
        w = self.at_facility.get((location, tier)) or self.designated[tier][district]
        if w is None:
            self._nowhere[tier].push(req)
        elif w.free() > 0:
            w.grant(req)
        else:
            w.lists[-1].push(req)
        return req
