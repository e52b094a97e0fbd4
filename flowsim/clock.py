"""The simulation clock: a SimPy environment that can jump to an entry with no event of its own."""

from __future__ import annotations

import simpy
from simpy.core import BoundClass


class Environment(simpy.Environment):
    """A SimPy environment that can jump its clock to a time before its next event.

    Entries that need no event of their own (a mild F0 booked into a free bed) are handled by
    moving the clock straight to their time: nothing is scheduled in between, so the order of
    events is exactly that of a timeout per entry, at a fraction of the cost. This writes SimPy's
    `_now` (the attribute behind `now`), which SimPy has no public setter for: held to what this
    assumes by tests/test_simpy_internals.py, with SimPy bounded to the tested minor version.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        # SimPy binds `timeout`, `process`, `event`… to the instance once (`BoundClass.bind_early`),
        # but only those its own class lists: a subclass's instance made a bound method at every
        # `env.timeout(...)`, 4% of a Hanoi run. Bound here as SimPy does for its own class.
        for name, attribute in vars(simpy.Environment).items():
            if type(attribute) is BoundClass:
                setattr(self, name, getattr(self, name))

    def advance_to(self, t: float) -> bool:
        """Set the clock to `t` if no event is due before it; False if one is."""
        if t < self._now or t > self.peek():
            return False
        self._now = t
        return True
