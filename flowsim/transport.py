"""Moving a patient between places: the seam where the ambulance fleet plugs in.

A transport answers two questions of the pathway: when is a vehicle at the patient (`reach`, an
event, or None when the patient can leave at once), and when is the patient handed over at the
destination (`carry`). `TravelTime` draws a configured travel time and needs no vehicle.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import simpy

from .config import Scenario


class Transport(Protocol):
    def reach(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        """An event that fires when the patient can be picked up at `origin` (None: now)."""

    def carry(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        """An event that fires when the patient is handed over at `destination` (None: at once)."""

    def cancel(self, call: simpy.Event) -> None:
        """The patient died before the vehicle reached them."""


class TravelTime:
    """Every transfer takes a travel time drawn from `transport.travel_time` (days)."""

    CHUNK = 4096

    def __init__(self, env: simpy.Environment, scenario: Scenario, rng: np.random.Generator) -> None:
        self.env = env
        self._dist = scenario.transport.travel_time
        self._rng = rng
        self._buffer: list[float] = []

    def reach(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        return None

    def cancel(self, call: simpy.Event) -> None:  # pragma: no cover - reach never returns a call
        pass

    def carry(self, patient: int, origin: int, destination: int, tier: int) -> simpy.Event | None:
        if not self._buffer:
            self._buffer = self._dist.sample(self._rng, self.CHUNK).tolist()[::-1]
        days = self._buffer.pop()
        return self.env.timeout(days) if days > 0 else None
