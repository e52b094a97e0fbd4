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
    pts += [(f.lat, f.lon) if f.lat is not None and f.lon is not None else centroid[f.district]
            for f in scenario.facilities]  # config gives both or neither
    return np.array(pts, float)


def distance_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between every point of `a` and every point of `b`."""
    la, lo = np.radians(a[:, :1]), np.radians(a[:, 1:])
    lb, lob = np.radians(b[:, 0])[None, :], np.radians(b[:, 1])[None, :]
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((lob - lo) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


class Admissions:
    """Finds beds for patients: tier 1 always nearest-free, tiers 2 and 3 by the routing rule."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, wards: list[Ward], log: Log) -> None:
        self.env = env
        self.log = log
        points = locations(scenario)
        self.lists: list[WaitingList] = []
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
        self.nowhere = {tier: self.new_list(f"tier {tier} (no beds)", tier) for tier in (1, 2, 3)}
        self.tier1 = NearestFree(self, scenario, wards, tiers=(1,))
        self.rule: RoutingRule = ROUTING_RULES[scenario.routing.policy](self, scenario, wards, tiers=(2, 3))

    def new_list(self, name: str, tier: int, ward: Ward | None = None) -> WaitingList:
        lst = WaitingList(self.env, len(self.lists), name, tier, self.log, -1 if ward is None else ward.index)
        self.lists.append(lst)
        if ward is not None:
            ward.serve(lst)
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
        """A bed request, granted at once if the rule finds a free bed, else queued by the rule."""
        req = BedRequest(self.env, patient, tier, priority)
        rule = self.tier1 if tier == 1 else self.rule
        rule.place(req, location, district)
        return req


class RoutingRule:
    """How a request for a tier-2/3 bed is placed: granted now, or queued somewhere."""

    def __init__(self, admissions: Admissions, scenario: Scenario, wards: list[Ward], tiers: tuple[int, ...]) -> None:
        self.a = admissions

    def place(self, req: BedRequest, location: int, district: int) -> None:  # pragma: no cover
        raise NotImplementedError


class NearestFree(RoutingRule):
    """The nearest ward with a free bed; else the city-wide list, served by the first bed freed."""

    def __init__(self, admissions: Admissions, scenario: Scenario, wards: list[Ward], tiers: tuple[int, ...]) -> None:
        super().__init__(admissions, scenario, wards, tiers)
        self.city: dict[int, WaitingList] = {}
        for tier in tiers:
            self.city[tier] = admissions.new_list(f"tier {tier} (city)", tier)
            for w in wards:
                if w.tier == tier:
                    w.serve(self.city[tier])

    def choose(self, tier: int, location: int) -> Ward | None:
        return self.a.free_ward(tier, location)

    def place(self, req: BedRequest, location: int, district: int) -> None:
        w = self.choose(req.tier, location)
        if w is not None:
            w.grant(req)
        elif self.a.order[req.tier][location]:
            self.city[req.tier].push(req)
        else:
            self.a.nowhere[req.tier].push(req)


class LeastLoaded(NearestFree):
    """The ward with a free bed whose occupancy (share of beds taken) is lowest; ties go nearest."""

    def choose(self, tier: int, location: int) -> Ward | None:
        best, best_load = None, 2.0
        for w in self.a.order[tier][location]:
            free = w.free()
            if free > 0:
                load = 1.0 - free / w.capacity
                if load < best_load:
                    best, best_load = w, load
        return best


class Designated(RoutingRule):
    """The patient's own hospital if it has the tier (escalation in place), else the district's
    designated hospital; when that is full, hold the patient there (`when_full: hold`) or send
    them to the nearest hospital with a free bed however far (`when_full: anywhere`)."""

    def __init__(self, admissions: Admissions, scenario: Scenario, wards: list[Ward], tiers: tuple[int, ...]) -> None:
        super().__init__(admissions, scenario, wards, tiers)
        self.anywhere = scenario.routing.when_full == "anywhere"
        n_districts = len(scenario.districts)
        index = {f.name: n_districts + i for i, f in enumerate(scenario.facilities)}
        self.own: dict[int, WaitingList] = {}
        for w in wards:
            if w.tier in tiers:
                self.own[w.index] = admissions.new_list(f"{w.facility} / tier {w.tier}", w.tier, w)
        self.designated: dict[int, list[Ward | None]] = {}
        for tier in tiers:
            chosen: list[Ward | None] = []
            for i, district in enumerate(scenario.districts):
                name = getattr(district.designated, f"tier{tier}")
                if name is not None and name in index:
                    chosen.append(admissions.at_facility.get((index[name], tier)))
                else:
                    chosen.append(admissions.order[tier][i][0] if admissions.order[tier][i] else None)
            self.designated[tier] = chosen

    def place(self, req: BedRequest, location: int, district: int) -> None:
        w = self.a.at_facility.get((location, req.tier)) or self.designated[req.tier][district]
        if w is None:
            self.a.nowhere[req.tier].push(req)
        elif w.free() > 0:
            w.grant(req)
        else:
            other = self.a.free_ward(req.tier, location) if self.anywhere else None
            if other is not None:
                other.grant(req)
            else:
                self.own[w.index].push(req)


ROUTING_RULES: dict[str, type[RoutingRule]] = {
    "nearest_free": NearestFree,
    "least_loaded": LeastLoaded,
    "designated": Designated,
}
"""Routing rules by config name (`config.ROUTING_RULE_NAMES`, in its order); a new rule is a RoutingRule
subclass registered here and named there."""
