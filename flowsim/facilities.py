"""Wards: one `Ward` per tier of each facility, the waiting lists they serve, and home care.

Clocks are read as `env._now` (SimPy's attribute behind the `now` property): these methods run
several times per patient, and the property call is a measurable share of a run. That, and
`Ward.grant` setting a request's `_ok`/`_value`/`callbacks` by hand, are SimPy internals: the rule
for them (each one listed and checked by tests/test_simpy_internals.py; SimPy bounded to the
minor version checked, in pyproject.toml) is in that test's docstring, with every place they are used.

A ward is a counted resource integrated with SimPy: a request is a SimPy event that succeeds
when a bed is granted. A patient whose stay is known on admission and who will not ask for
anything else (most mild F0) holds a bed *lazily*: the release time goes on a heap and the bed is
freed when the ward is next looked at, with no event of its own. Only when someone waits does
the ward schedule a wake-up at its next lazy release, so that the waiter is served on time.
Statistics are not kept here: every change is written to the run's `Log` and integrated after
the run.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from itertools import count
from typing import TYPE_CHECKING

import numpy as np
import simpy

from .pools import place_code

if TYPE_CHECKING:
    from .records import Log

PENDING = simpy.events.PENDING


class BedRequest(simpy.Event):
    """A patient's request for a bed of a tier; its value is the granted `Ward`."""

    __slots__ = ("patient", "tier", "priority", "since", "ward", "cancelled", "queue")

    def __init__(self, env: simpy.Environment, patient: int, tier: int, priority: int) -> None:
        super().__init__(env)
        self.patient = patient
        self.tier = tier
        self.priority = priority
        self.since = env._now
        self.ward: Ward | None = None
        self.cancelled = False
        self.queue: WaitingList | None = None

    def cancel(self) -> None:
        """Withdraw (death, recovery while waiting); a bed already granted is given back."""
        if self.ward is not None:
            self.ward.release(self.patient)
        elif self.queue is not None and not self.cancelled:
            self.cancelled = True
            self.queue.withdraw()


class WaitingList:
    """Requests waiting for a bed, served by priority then first come first served."""

    __slots__ = ("index", "name", "tier", "_heap", "_seq", "size", "wards", "_log", "env", "ward_index")

    def __init__(self, env: simpy.Environment, index: int, name: str, tier: int, log: Log,
                 ward_index: int = -1) -> None:
        self.env = env
        self.ward_index = ward_index
        """The ward whose own list this is, or -1 for a list several wards serve."""
        self.index = index
        self.name = name
        self.tier = tier
        self._heap: list = []
        self._seq = count()
        self.size = 0
        self.wards: list[Ward] = []
        self._log = log

    def push(self, req: BedRequest) -> None:
        heapq.heappush(self._heap, (req.priority, req.since, next(self._seq), req))
        req.queue = self
        self.size += 1
        self._log.queue(self.env._now, self.index, 1)
        for ward in self.wards:
            ward.wake_at_next_release()

    def head(self) -> BedRequest | None:
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)
        return heap[0][3] if heap else None

    def pop(self) -> BedRequest:
        req = heapq.heappop(self._heap)[3]
        self.size -= 1
        self._log.queue(self.env._now, self.index, -1)
        return req

    def withdraw(self) -> None:
        self.size -= 1
        self._log.queue(self.env._now, self.index, -1)


class Ward:
    """The beds of one tier in one facility."""

    __slots__ = ("env", "index", "facility", "kind", "place", "tier", "capacity", "location",
                 "busy", "_lazy", "lists", "_wake_pending", "_log")

    def __init__(self, env: simpy.Environment, index: int, facility: str, kind: str, tier: int,
                 capacity: int, location: int, log: Log, level: int = 1) -> None:
        self.env = env
        self.index = index
        self.facility = facility
        self.kind = kind
        self.place = place_code(kind, tier, level)
        """Census place of a patient in this ward (`PLACES`)."""
        self.tier = tier
        self.capacity = capacity
        self.location = location
        self.busy = 0
        self._lazy: list[float] = []
        self.lists: list[WaitingList] = []
        self._wake_pending = False
        self._log = log

    def serve(self, list_: WaitingList) -> None:
        self.lists.append(list_)
        list_.wards.append(self)

    def free(self) -> int:
        """Free beds now, after lazy releases due and after serving anyone waiting."""
        now = self.env._now
        lazy = self._lazy
        while lazy and lazy[0] <= now:
            heapq.heappop(lazy)
            self.busy -= 1
        if self.busy < self.capacity:
            for list_ in self.lists:
                if list_.size:
                    self._serve_waiting()
                    break
        return self.capacity - self.busy

    def take(self, patient: int = -1) -> None:
        """Occupy a bed until `release()` (the caller checked `free()`); a patient id opens a stay record."""
        self.busy += 1
        now = self.env._now
        self._log.bed(now, self.index, 1)
        if patient >= 0:
            self._log.stays.begin(self.index, patient, now)

    def take_until(self, until: float) -> None:
        """Occupy a bed until a known time, with no event: freed when the ward is next looked at.
        The caller books the stay in the log (`Log.bed_bookings`)."""
        self.busy += 1
        heapq.heappush(self._lazy, until)

    def grant(self, req: BedRequest) -> None:
        self.take(req.patient)
        req.ward = self
        if req.queue is None:
            # Granted as it is made: nobody is waiting on the event, so mark it processed at once
            # rather than schedule it (SimPy resumes a process yielding a processed event at once).
            # SimPy internals, checked by tests/test_simpy_internals.py.
            req._ok = True
            req._value = self
            req.callbacks = None  # type: ignore[assignment]  # None: processed (SimPy's own mark)
        else:
            req.succeed(self)

    def release(self, patient: int = -1) -> None:
        self.busy -= 1
        now = self.env._now
        self._log.bed(now, self.index, -1)
        if patient >= 0:
            self._log.stays.end(self.index, patient, now)
        if self.lists:
            self.free()

    def _serve_waiting(self) -> None:
        while self.busy < self.capacity:
            best: BedRequest | None = None
            best_list: WaitingList | None = None
            for list_ in self.lists:
                head = list_.head()
                if head is not None and (best is None or (head.priority, head.since) < (best.priority, best.since)):
                    best, best_list = head, list_
            if best is None or best_list is None:
                return
            best_list.pop()
            self.grant(best)

    def wake_at_next_release(self) -> None:
        """Make sure a waiter is served when the next lazy bed falls free."""
        if self._wake_pending or not self._lazy:
            return
        self._wake_pending = True
        self.env.timeout(max(0.0, self._lazy[0] - self.env._now)).callbacks.append(self._wake)

    def _wake(self, _event: simpy.Event) -> None:
        self._wake_pending = False
        self.free()
        if any(list_.head() is not None for list_ in self.lists):
            self.wake_at_next_release()


class HomeCare:
    """Home patients of one district, counted against the district's monitoring capacity.

    Patients whose whole home stay is known at diagnosis are counted from sorted arrays (no
    events); the others (overflow from stations, patients waiting at home for a bed) are counted
    as they come and go.
    """

    __slots__ = ("capacity", "_starts", "_ends", "dynamic", "_lazy")

    def __init__(self, capacity: float, starts: np.ndarray, ends: np.ndarray) -> None:
        self.capacity = capacity
        self._starts: list[float] = np.sort(starts).tolist()  # lists: bisect on a float is 10x searchsorted's
        self._ends: list[float] = np.sort(ends).tolist()
        self.dynamic = 0
        self._lazy: list[float] = []

    def census(self, now: float) -> int:
        lazy = self._lazy
        while lazy and lazy[0] <= now:
            heapq.heappop(lazy)
            self.dynamic -= 1
        planned = bisect_right(self._starts, now) - bisect_right(self._ends, now)
        return planned + self.dynamic

    def stay_until(self, until: float) -> None:
        self.dynamic += 1
        heapq.heappush(self._lazy, until)

    def monitored_share(self, now: float) -> float:
        """Chance that a deteriorating home patient is being followed closely enough to be noticed."""
        n = self.census(now)
        return 1.0 if n <= self.capacity else self.capacity / n
