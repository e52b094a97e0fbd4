"""What a run writes down while it runs: the in-run log (`tables` makes the tables after it).

Every change of a counted level (census by tier and place, beds per ward, waiting lists, home
census per district) is appended to a `Log` as (time, key, ±1); changes known in advance (a lazy
discharge) are written ahead with their future time. Events that are rows of their own (a
transfer, a wait, a blocked spell, a placement) are rows of a named record (`Transfer`, `Wait`,
`Block`, `Placement`): written by a `Log` method whose parameters name the fields, kept as plain
tuples, or column by column in arrays for the most numerous (placements). (A NamedTuple instance per row cost 10-15% of an M/M/c run: its construction, and the
garbage collector, which stops tracking plain tuples of numbers but not NamedTuples.) Nothing is sampled, so a short
spike is never missed and the statistics cost nothing while the simulation runs.
"""

from __future__ import annotations

from array import array
from typing import NamedTuple

import numpy as np

from .pools import N_PLACES, PLACES

RECOVERED, DIED, DIED_WAITING = 0, 1, 2
OUTCOMES = ("recovered", "died", "died_waiting")
COUNTED_BY = ("need", "facility")
"""The two ways the census is counted: by clinical need (the tier of care a patient needs now),
and by facility (the tier of the place treating them, as Hanoi's reports count; `PLACES`)."""


def census_key(tier: int, place: int) -> int:
    return (tier - 1) * N_PLACES + place


COUNTED_TIER = np.array([p.counted_tier or tier for tier in (1, 2, 3) for p in PLACES], np.int64)
"""The tier at which the facility count puts each census key (need, place)."""


class Changes:
    """One channel of level changes: (time, key, delta), stored compactly."""

    __slots__ = ("t", "k", "d")

    def __init__(self) -> None:
        self.t = array("d")
        self.k = array("q")
        self.d = array("b")

    def add(self, t: float, key: int, delta: int) -> None:
        self.t.append(t)
        self.k.append(key)
        self.d.append(delta)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.frombuffer(self.t, float) if len(self.t) else np.empty(0),
                np.frombuffer(self.k, np.int64) if len(self.k) else np.empty(0, np.int64),
                np.frombuffer(self.d, np.int8).astype(np.int64) if len(self.d) else np.empty(0, np.int64))


class Bookings:
    """Stays whose end is known when they begin: one row each, (patient, key, start, end),
    expanded into level changes after the run. A single booking ends in recovery; a bulk
    booking says per row whether it does (a home stay that ends in deterioration does not)."""

    def __init__(self) -> None:
        self.patient = array("q")
        self.key = array("q")
        self.start = array("d")
        self.end = array("d")
        self._bulk: list[tuple[np.ndarray, ...]] = []

    def add(self, patient: int, key: int, start: float, end: float) -> None:
        self.patient.append(patient)
        self.key.append(key)
        self.start.append(start)
        self.end.append(end)

    def extend(self, patient: np.ndarray, key: np.ndarray, start: np.ndarray, end: np.ndarray,
               recovers: np.ndarray) -> None:
        self._bulk.append((np.asarray(patient, np.int64), np.asarray(key, np.int64),
                           np.asarray(start, float), np.asarray(end, float), np.asarray(recovers, bool)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """patient, key, start, end, and whether the stay ends in recovery."""
        n = len(self.patient)
        parts = [(np.array(self.patient, np.int64), np.array(self.key, np.int64),
                  np.array(self.start, float), np.array(self.end, float), np.ones(n, bool)), *self._bulk]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(5))

    @staticmethod
    def changes(key: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(key)
        return (np.concatenate([start, end]), np.concatenate([key, key]),
                np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)]))


class Stays:
    """Stays of event-driven patients in a bed (key: ward index) or at home (key: -1 - district),
    one row each when it ends. Written beside the level logs, never read by them: Little's law
    (L = λW) holds the time-average levels against these per-stay lengths."""

    __slots__ = ("_open", "key", "patient", "start", "stop")

    def __init__(self) -> None:
        self._open: dict[tuple[int, int], float] = {}
        self.key = array("q")
        self.patient = array("q")
        self.start = array("d")
        self.stop = array("d")

    def begin(self, key: int, patient: int, t: float) -> None:
        self._open[(key, patient)] = t

    def end(self, key: int, patient: int, t: float) -> None:
        start = self._open.pop((key, patient), None)
        if start is not None:
            self.key.append(key)
            self.patient.append(patient)
            self.start.append(start)
            self.stop.append(t)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """key, patient, start, end (days); a stay still open when the run ends has end = NaN."""
        still = list(self._open.items())
        return (np.array([*self.key, *(k for (k, _), _ in still)], np.int64),
                np.array([*self.patient, *(p for (_, p), _ in still)], np.int64),
                np.array([*self.start, *(t for _, t in still)], float),
                np.array([*self.stop, *(np.nan for _ in still)], float))


class NoStays(Stays):
    """Stays not asked for: nothing is written (the default, to spare time and memory)."""

    def begin(self, key: int, patient: int, t: float) -> None:
        pass

    def end(self, key: int, patient: int, t: float) -> None:
        pass


class Transfer(NamedTuple):
    """One transfer by road (times in days; origin and destination are location indexes:
    districts, then facilities)."""

    patient: int
    tier: int
    origin: int
    destination: int
    called: float
    reached: float
    """When the vehicle reached the patient (NaN if they died first)."""
    handed_over: float
    bed_wait: float
    """Days waited for the bed before the call."""
    vehicle_wait: float
    """Days the call waited for a free vehicle."""
    vehicle: int
    """The vehicle's index, or -1 (no fleet, or none came)."""
    status: str
    """"delivered" or "died"."""


class Wait(NamedTuple):
    """A wait for a bed; `reason` is 'care' (need), 'detection' or 'step_down'."""

    tier: int
    patient: int
    start: float
    wait: float
    status: str
    reason: str


class Block(NamedTuple):
    """A finished spell of a bed held by a patient who needs another."""

    ward: int
    start: float
    end: float


class Placement(NamedTuple):
    """A new tier-1 F0 who needed a facility bed, and whether one was free."""

    time: float
    placed: bool


class Log:
    """Append-only change logs of one run; per-stay records only if `stays`."""

    def __init__(self, stays: bool = False) -> None:
        self.census_changes = Changes()
        self.bed_changes = Changes()
        self.queue_changes = Changes()
        self.home_changes = Changes()
        self.call_changes = Changes()
        """Calls waiting for a vehicle (key 0)."""
        self.vehicle_changes = Changes()
        """Vehicles busy (key 0)."""
        self.transfers: list[tuple] = []
        """Rows of `Transfer` (see `Log.transfer`)."""
        self.bed_bookings = Bookings()
        """Key: ward index."""
        self.home_bookings = Bookings()
        """Key: district index."""
        self.outcome_t = array("d")
        self.outcome_kind = array("b")
        self.outcome_patient = array("q")
        self.blocked: list[tuple[int, float, float]] = []
        """Rows of `Block`."""
        self.open_blocks: dict[int, tuple[int, float]] = {}
        """patient → (ward, start) of blocked spells still under way (they count up to the horizon)."""
        self.stays = Stays() if stays else NoStays()
        self.placement_t = array("d")
        self.placement_placed = array("b")
        """`Placement` rows, column by column (one per mild F0 who needed a bed: 58,000 in Hanoi)."""
        self.waits: list[tuple] = []
        """Rows of `Wait`."""
        self.open_waits: dict[int, tuple[int, float, str]] = {}
        self.census = self._census
        self.bed = self.bed_changes.add
        self.queue = self.queue_changes.add
        self.home = self.home_changes.add
        c = self.census_changes
        self._ct, self._ck, self._cd = c.t.append, c.k.append, c.d.append

    def _census(self, t: float, tier: int, place: int, delta: int) -> None:
        self._ct(t)
        self._ck((tier - 1) * N_PLACES + place)
        self._cd(delta)

    def move(self, t: float, tier: int, place: int, new_tier: int, new_place: int) -> None:
        """A patient changes need or place: one level down, another up."""
        ct, ck, cd = self._ct, self._ck, self._cd
        ct(t)
        ck((tier - 1) * N_PLACES + place)
        cd(-1)
        ct(t)
        ck((new_tier - 1) * N_PLACES + new_place)
        cd(1)

    def outcome(self, t: float, patient: int, kind: int) -> None:
        self.outcome_t.append(t)
        self.outcome_patient.append(patient)
        self.outcome_kind.append(kind)

    def wait(self, tier: int, patient: int, start: float, end: float, status: str, reason: str) -> None:
        """A finished wait for a bed; `reason` is 'care' (need), 'detection' or 'step_down'."""
        self.open_waits.pop(patient, None)
        self.waits.append((tier, patient, start, end - start, status, reason))

    def transfer(self, patient: int, tier: int, origin: int, destination: int, called: float, reached: float,
                 handed_over: float, bed_wait: float, vehicle_wait: float, vehicle: int, status: str) -> None:
        """A transfer by road, as a `Transfer` row."""
        self.transfers.append((patient, tier, origin, destination, called, reached, handed_over, bed_wait,
                               vehicle_wait, vehicle, status))

    def placement(self, t: float, placed: bool) -> None:
        """A new tier-1 F0 who needed a facility bed, as a `Placement` row."""
        self.placement_t.append(t)
        self.placement_placed.append(placed)

    def block(self, ward: int, start: float, end: float) -> None:
        """A finished blocked spell, as a `Block` row."""
        self.blocked.append((ward, start, end))

    def begin_wait(self, tier: int, patient: int, start: float, reason: str) -> None:
        """A wait under way: if the run ends first it is reported as still waiting."""
        self.open_waits[patient] = (tier, start, reason)
