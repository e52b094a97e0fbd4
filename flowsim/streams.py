"""Random streams: one `numpy.random.Generator` per purpose and attribute, from one root seed.

Replication *i* of any scenario uses the seed sequence `(seed, spawn_key=(i, purpose, item))`, the
same children `SeedSequence.spawn` would give, so two scenarios run with the same seed share their
random numbers wherever they share structure (common random numbers). Each patient attribute has
its own stream, so patient *k* draws the same stay in every scenario even when another attribute
is drawn for more patients.
"""

from __future__ import annotations

import numpy as np

PURPOSES: tuple[str, ...] = ("arrivals", "clinical", "routing", "ambulances", "initial")


class Streams:
    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._items: dict[tuple[str, str], int] = {}

    def rng(self, purpose: str, item: str = "") -> np.random.Generator:
        """The stream for `purpose` (one of PURPOSES) and a named item within it."""
        p = PURPOSES.index(purpose)
        key = (purpose, item)
        if key not in self._items:
            self._items[key] = _stable_index(item)
        seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, p, self._items[key]))
        return np.random.default_rng(seq)


def _stable_index(item: str) -> int:
    """A name → integer that does not depend on call order or Python's hash seed."""
    value = 0
    for ch in item.encode():
        value = (value * 131 + ch) % (2**31 - 1)
    return value
