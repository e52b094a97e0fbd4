"""The ambulance fleet: vehicles at bases, dispatch rules, and travel across the city.

A transfer is a *call*. The dispatch rule picks an idle vehicle for it, or the call waits in a
queue ordered by priority (tier 3 before tier 2), first come first served within a priority.
A vehicle's busy time is dispatch delay + drive to the patient + on scene + drive to the
destination + handover, then it drives back to base (or, with `after_handover: next_call`,
takes a waiting call from where it is). Vehicles move as chains of timeouts with callbacks,
not processes: a call costs a handful of events.
"""

from __future__ import annotations

import heapq
from itertools import count

import numpy as np
import simpy

from .config import Ambulances, Scenario
from .records import Log
from .routing import distance_km, locations
from .transport import Call, Vehicle


class DispatchRule:
    """Which vehicle answers a call, and which waiting call a freed vehicle may take.

    Idle vehicles wait at their base, so the nearest idle vehicle is one of the nearest base
    that has an idle vehicle: bases are ranked once per location by distance (= travel time at
    a common speed).
    """

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def bases_for(self, call: Call) -> list[int]:
        """Bases allowed to answer the call, nearest first."""
        return self.fleet.base_order[call.origin]

    def choose(self, call: Call) -> Vehicle | None:
        """An idle vehicle for a new call (taken off its base's idle list), or None to queue it."""
        idle = self.fleet.idle
        for b in self.bases_for(call):
            if idle[b]:
                return idle[b].pop()
        return None

    def accepts(self, vehicle: Vehicle, call: Call) -> bool:
        return True


class NearestIdle(DispatchRule):
    """The idle vehicle nearest to the patient (by travel time: the same speed holds for all)."""


class DistrictBase(DispatchRule):
    """Only vehicles of the bases that serve the patient's district (by default the nearest base;
    a base's `serves` list adds districts)."""

    def bases_for(self, call: Call) -> list[int]:
        allowed = self.fleet.district_bases[call.district]
        return [b for b in self.fleet.base_order[call.origin] if b in allowed]

    def accepts(self, vehicle: Vehicle, call: Call) -> bool:
        return vehicle.base in self.fleet.district_bases[call.district]


DISPATCH_RULES: dict[str, type[DispatchRule]] = {"nearest_idle": NearestIdle, "district_base": DistrictBase}
"""Dispatch rules by config name (`config.DISPATCH_RULE_NAMES`, in its order); a new rule is a
DispatchRule subclass registered here and named there."""


class Fleet:
    """The `Transport` with vehicles: `reach` calls one, `carry` drives the patient."""

    CHUNK = 4096

    def __init__(self, env: simpy.Environment, scenario: Scenario, rng: np.random.Generator, log: Log) -> None:
        cfg = scenario.ambulances
        assert cfg is not None
        self.env = env
        self.cfg: Ambulances = cfg
        self.log = log
        locs = locations(scenario)
        n_locations = len(locs)
        n_districts = len(scenario.districts)
        dindex = {d.name: i for i, d in enumerate(scenario.districts)}
        self.district_of = np.array(list(range(n_districts)) + [dindex[f.district] for f in scenario.facilities])
        centroid = {d.name: (d.lat, d.lon) for d in scenario.districts}
        base_pts = np.array([(b.lat, b.lon) if b.lat is not None else centroid[b.district] for b in cfg.bases], float)
        self.base_point = [n_locations + b for b in range(len(cfg.bases))]
        points = np.vstack([locs, base_pts])
        self.road_km = (distance_km(points, points) * cfg.detour_factor).tolist()
        """Road distance (km) between any two points: locations, then bases."""
        self.base_order = np.argsort(distance_km(locs, base_pts), axis=1, kind="stable").tolist()
        nearest = np.argmin(distance_km(locs[:n_districts], base_pts), axis=1)
        self.district_bases = [{int(nearest[d])} | {b for b, base in enumerate(cfg.bases) if base.serves and
                                                     scenario.districts[d].name in base.serves}
                               for d in range(n_districts)]
        self.vehicles: list[Vehicle] = []
        self.idle: list[list[Vehicle]] = [[] for _ in cfg.bases]
        for bi, b in enumerate(cfg.bases):
            for _ in range(scenario.vehicles(b)):
                v = Vehicle(len(self.vehicles), bi, self.base_point[bi])
                self.vehicles.append(v)
                self.idle[bi].append(v)
        for lst in self.idle:
            lst.reverse()  # pop() hands out the lowest-numbered vehicle first
        self.rule = DISPATCH_RULES[cfg.dispatch](self)
        self._queue: list = []
        self._seq = count()
        self._active: dict[int, Call] = {}
        self._rng = rng
        self._noise: list[float] = []
        self._delays: dict[str, list[float]] = {"dispatch_delay": [], "on_scene": [], "handover": []}
        hours = np.arange(0, 24, 0.25)
        factor = np.ones(len(hours))
        for r in cfg.rush_hours:
            factor[(hours >= r.from_hour) & (hours < r.to_hour)] = r.speed_factor
        self._km_per_day = (cfg.speed_kmh * 24 * factor).tolist()

    # -- travel -----------------------------------------------------------------------------

    def _draw(self, name: str) -> float:
        buf = self._delays[name]
        if not buf:
            buf.extend(getattr(self.cfg, name).sample(self._rng, self.CHUNK).tolist())
        return buf.pop()

    def drive(self, a: int, b: int) -> float:
        """Days to drive from point `a` to point `b`, leaving now."""
        km = self.road_km[a][b]
        if km == 0.0:
            return 0.0
        days = km / self._km_per_day[int((self.env.now % 1.0) * 96) % 96]
        sd = self.cfg.travel_noise_sd
        if sd > 0:
            if not self._noise:
                self._noise = np.exp(sd * self._rng.standard_normal(self.CHUNK) - sd * sd / 2).tolist()
            return days * self._noise.pop()
        return days

    # -- the Transport seam ---------------------------------------------------------------------

    def reach(self, patient: int, origin: int, destination: int, tier: int) -> Call | None:
        if tier <= 1:
            return None  # mild F0 go to a station by their own means
        call = Call(self.env, patient, tier, origin, destination, int(self.district_of[origin]))
        vehicle = self.rule.choose(call)
        if vehicle is None:
            heapq.heappush(self._queue, (call.priority, call.since, next(self._seq), call))
            self.log.call_changes.add(self.env.now, 0, 1)
        else:
            self._dispatch(vehicle, call)
        return call

    def cancel(self, call: Call) -> None:
        """The patient no longer needs the vehicle (died waiting)."""
        if call.cancelled:
            return
        call.cancelled = True
        if call.vehicle is None:
            self.log.call_changes.add(self.env.now, 0, -1)
        elif call.triggered:
            self._active.pop(call.patient, None)
            self._after(call.vehicle)

    def carry(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event:
        call = self._active.pop(patient, None)
        if call is None:
            return self.env.timeout(self.drive(origin, destination))
        busy = self._draw("on_scene") + self.drive(origin, destination) + self._draw("handover")
        event = self.env.timeout(busy)
        event.callbacks.append(lambda _e: self._handed_over(call))
        return event

    # -- vehicles -------------------------------------------------------------------------------

    def _dispatch(self, vehicle: Vehicle, call: Call) -> None:
        if not vehicle.busy:
            vehicle.busy = True
            self.log.vehicle_changes.add(self.env.now, 0, 1)
        call.vehicle = vehicle
        call.dispatched = self.env.now
        delay = self._draw("dispatch_delay") + self.drive(vehicle.where, call.origin)
        call.eta = self.env.now + delay
        self.env.timeout(delay).callbacks.append(lambda _e: self._at_patient(call))

    def _at_patient(self, call: Call) -> None:
        vehicle = call.vehicle
        assert vehicle is not None
        vehicle.where = call.origin
        if call.cancelled:
            self._after(vehicle)
            return
        self._active[call.patient] = call
        call.succeed(vehicle)

    def _handed_over(self, call: Call) -> None:
        vehicle = call.vehicle
        assert vehicle is not None
        vehicle.where = call.destination
        self._after(vehicle)

    def _after(self, vehicle: Vehicle) -> None:
        """Handover done (or the call fell through): next call from here, or back to base."""
        if self.cfg.after_handover == "next_call" and self._take_waiting(vehicle):
            return
        back = self.drive(vehicle.where, self.base_point[vehicle.base])
        self.env.timeout(back).callbacks.append(lambda _e: self._at_base(vehicle))

    def _at_base(self, vehicle: Vehicle) -> None:
        vehicle.where = self.base_point[vehicle.base]
        if not self._take_waiting(vehicle):
            vehicle.busy = False
            self.idle[vehicle.base].append(vehicle)
            self.log.vehicle_changes.add(self.env.now, 0, -1)

    def _take_waiting(self, vehicle: Vehicle) -> bool:
        """Give the vehicle the first waiting call it may take (priority, then first come)."""
        skipped = []
        taken = None
        while self._queue:
            item = heapq.heappop(self._queue)
            call = item[3]
            if call.cancelled:
                continue
            if self.rule.accepts(vehicle, call):
                taken = call
                break
            skipped.append(item)
        for item in skipped:
            heapq.heappush(self._queue, item)
        if taken is None:
            return False
        self.log.call_changes.add(self.env.now, 0, -1)
        self._dispatch(vehicle, taken)
        return True

    def add_vehicles(self, base: int, count: int) -> None:
        """`count` new vehicles at a base, now (a phased plan): each takes a waiting call or stands by."""
        for _ in range(count):
            v = Vehicle(len(self.vehicles), base, self.base_point[base])
            self.vehicles.append(v)
            v.busy = True
            self.log.vehicle_changes.add(self.env.now, 0, 1)
            self._at_base(v)

    @property
    def size(self) -> int:
        return len(self.vehicles)
