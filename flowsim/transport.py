"""Moving a patient between places: the seam where the ambulance fleet plugs in.

A transport answers two questions of the pathway: when is a vehicle at the patient (`reach`, an
event, or None when the patient can leave at once), and when is the patient handed over at the
destination (`carry`). `TravelTime` draws a configured travel time and needs no vehicle.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import simpy

from .config import Scenario


class Vehicle:
    """A vehicle; `where` indexes the fleet's points (locations, then bases)."""

    __slots__ = ("index", "base", "where", "busy")

    def __init__(self, index: int, base: int, where: int) -> None:
        self.index = index
        self.base = base
        self.where = where
        self.busy = False


class Call(simpy.Event):
    """A request for a vehicle; succeeds when the vehicle is at the patient."""

    __slots__ = ("patient", "tier", "priority", "origin", "destination", "district", "since",
                 "vehicle", "dispatched", "eta", "cancelled")

    def __init__(self, env: simpy.Environment, patient: int, tier: int, origin: int, destination: int,
                 district: int) -> None:
        super().__init__(env)
        self.patient = patient
        self.tier = tier
        self.priority = 0 if tier >= 3 else 1
        self.origin = origin
        self.destination = destination
        self.district = district
        self.since = env.now
        self.vehicle: Vehicle | None = None
        self.dispatched = math.nan
        self.eta = math.inf
        """When the vehicle will be at the patient, once one is on its way."""
        self.cancelled = False

    @property
    def queue_wait(self) -> float:
        """Days the call waited for a vehicle to be assigned."""
        return self.dispatched - self.since


class Transport(Protocol):
    def reach(self, patient: int, origin: int, destination: int, tier: int) -> Call | None:
        """A call that succeeds when a vehicle is at the patient at `origin` (None: they can leave now)."""

    def carry(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        """An event that fires when the patient is handed over at `destination` (None: at once)."""

    def cancel(self, call: Call) -> None:
        """The patient died before the vehicle reached them."""


class TravelTime:
    """Every transfer takes a travel time drawn from `transport.travel_time` (days)."""

    CHUNK = 4096

    def __init__(self, env: simpy.Environment, scenario: Scenario, rng: np.random.Generator) -> None:
        self.env = env
        self._dist = scenario.transport.travel_time
        self._rng = rng
        self._buffer: list[float] = []

    def reach(self, patient: int, origin: int, destination: int, tier: int) -> Call | None:
        return None

    def cancel(self, call: Call) -> None:  # pragma: no cover - reach never returns a call
        pass

    def carry(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        if not self._buffer:
            self._buffer = self._dist.sample(self._rng, self.CHUNK).tolist()[::-1]
        days = self._buffer.pop()
        return self.env.timeout(days) if days > 0 else None
