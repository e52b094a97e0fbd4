"""Capacity that changes on given days: a phased plan (`capacity_changes:` in a scenario).

Each change adds (or, negative, removes) units on a day: beds of one tier at one facility, or
vehicles at one ambulance base. A station that opens on day N is a station whose beds are 0 in
`facilities` with `add: 50` on day N; ICU beds converted from oxygen beds on day M are two changes
on day M, `tier: 2, add: -10` and `tier: 3, add: 10`.

The rule when capacity shrinks: **beds close as they empty.** Nobody is moved or discharged; the
ward takes no new patient until its occupancy is below the new capacity, and each bed closes
when its patient leaves. Added beds and vehicles are available from the day on (a new vehicle
starts at its base and takes the first waiting call). Vehicles can only be added.

Changes apply to the capacity after `capacity_scale` (they are units, not multiplied). The tables
follow the changes: the time series' `capacity_tier{k}` and the occupancy table's `capacity` are
the beds of the moment; in the resources table a ward's (pool's, fleet's) `capacity` is its most
at any time of the run, its time full is the time at or above the capacity of the moment (a ward
not yet open, or closed, is not full), and its utilisation is the occupied share of the bed-days
open (`tables.Layout.steps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import simpy

    from .ambulances import Fleet
    from .config import Scenario
    from .facilities import Ward

MAX_CHANGE = 1_000_000


class CapacityChange(BaseModel):
    """From `day` on, `add` more units (negative: fewer) of a facility's beds of `tier`, or of a base's vehicles."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    day: float = Field(ge=0.0)
    facility: str | None = None
    tier: Literal[1, 2, 3] | None = None
    base: str | None = None
    add: Annotated[int, Field(ge=-MAX_CHANGE, le=MAX_CHANGE)]

    @model_validator(mode="after")
    def _one_place(self) -> CapacityChange:
        if (self.facility is None) == (self.base is None):
            raise ValueError("give either facility (with tier) or base")
        if self.facility is not None and self.tier is None:
            raise ValueError(f"facility {self.facility}: give the tier of the beds (1, 2 or 3)")
        if self.base is not None and self.tier is not None:
            raise ValueError("tier: a base has vehicles, not beds of a tier")
        if self.add == 0:
            raise ValueError("add: 0 changes nothing")
        if self.base is not None and self.add < 0:
            raise ValueError("add: vehicles can only be added (a negative add is for beds)")
        return self


def problems(scenario: Scenario) -> list[str]:
    """What is wrong with the scenario's capacity changes (config.py raises the first)."""
    out = []
    facilities = {f.name: f for f in scenario.facilities}
    bases = {b.name: b for b in scenario.ambulances.bases} if scenario.ambulances else {}
    level: dict[tuple[str, int], int] = {}
    order = sorted(range(len(scenario.capacity_changes)), key=lambda i: scenario.capacity_changes[i].day)
    for i in order:
        c = scenario.capacity_changes[i]
        where = f"capacity_changes[{i}]"
        if c.day >= scenario.horizon_days:
            out.append(f"{where}.day: {c.day:g} is not within the run (0 to horizon_days = {scenario.horizon_days:g})")
        if c.facility is not None:
            if c.facility not in facilities:
                out.append(f"{where}.facility: no facility named '{c.facility}'")
                continue
            assert c.tier is not None
            key = (c.facility, c.tier)
            now = level.get(key, scenario.beds(facilities[c.facility], c.tier)) + c.add
            if now < 0:
                out.append(f"{where}.add: takes {c.facility}'s tier-{c.tier} beds below 0 on day {c.day:g}")
            level[key] = now
        elif c.base not in bases:
            out.append(f"{where}.base: no ambulance base named '{c.base}'" if bases else
                       f"{where}.base: the scenario has no ambulance fleet")
    return out


def largest(scenario: Scenario, facility: str, tier: int, start: int) -> int:
    """The most beds of this tier the facility has at any time of the run."""
    level = top = start
    for c in sorted(scenario.capacity_changes, key=lambda c: c.day):
        if c.facility == facility and c.tier == tier:
            level += c.add
            top = max(top, level)
    return top


def keyed(scenario: Scenario, wards: Sequence[Ward]) -> tuple[tuple[float, int, int], ...]:
    """The changes as (day, ward key, units added) for the tables (`tables.Layout`); key -1: vehicles."""
    index: dict[tuple[str | None, int | None], int] = {(w.facility, w.tier): w.index for w in wards}
    return tuple((c.day, index[(c.facility, c.tier)] if c.facility is not None else -1, c.add)
                 for c in sorted(scenario.capacity_changes, key=lambda c: c.day))


def schedule(env: simpy.Environment, scenario: Scenario, wards: Sequence[Ward], fleet: Fleet | None) -> None:
    """Start the process that applies the changes on their days (nothing when there are none)."""
    if not scenario.capacity_changes:
        return
    env.process(_apply(env, scenario, {(w.facility, w.tier): w for w in wards}, fleet))


def _apply(env: simpy.Environment, scenario: Scenario, wards: dict[tuple[str, int], Ward],
           fleet: Fleet | None) -> Any:
    base_index = {b.name: i for i, b in enumerate(scenario.ambulances.bases)} if scenario.ambulances else {}
    for c in sorted(scenario.capacity_changes, key=lambda c: c.day):
        if c.day > env.now:
            yield env.timeout(c.day - env.now)
        if c.facility is not None:
            assert c.tier is not None
            ward = wards[(c.facility, c.tier)]
            ward.capacity += c.add  # fewer: beds close as they empty (nobody leaves a bed for it)
            ward.free()  # more: anyone waiting for this ward is served now
        elif fleet is not None:
            fleet.add_vehicles(base_index[str(c.base)], c.add)
