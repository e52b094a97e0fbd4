"""The one definition of where a patient can be counted (places) and what capacity they use (pools).

Every other module refers to these records, never to a typed-out name: a pool's `name` is the
`resource` of its row in a run's `resources` table, and its `scale_field` is the
`capacity_scale` field that scales it. Renaming a pool here renames it everywhere.
"""

from __future__ import annotations

from typing import NamedTuple


class Place(NamedTuple):
    """Where a patient is, as the census counts it: the kind of place, the tier of the bed they
    lie in (0: none), and the tier at which the city's reports count them there (0: their need)."""

    kind: str
    bed_tier: int
    counted_tier: int


PLACES = (
    Place("home", 0, 1),
    Place("transit", 0, 0),
    Place("station", 1, 1),
    Place("station", 2, 1),
    *(Place("hospital", bed, level) for bed in (1, 2, 3) for level in (1, 2, 3) if level >= bed),
)
"""Every place code of the census log (index = code). Home and stations count at tier 1; a
hospital bed at the higher of its own tier and the hospital's level; a patient on the road at
their need."""
PLACE_KINDS = ("home", "station", "hospital", "transit")
HOME, TRANSIT = 0, 1
N_PLACES = len(PLACES)


def counted_tier(kind: str, bed_tier: int, level: int) -> int:
    """The tier at which the city's reports count a patient in a bed of `bed_tier` in a facility
    of `kind` at tower `level`: a station's patients at tier 1, a hospital's at the higher of the
    bed's tier and the hospital's level."""
    return 1 if kind == "station" else max(bed_tier, level)


def place_code(kind: str, bed_tier: int, level: int) -> int:
    """The census place of a bed of `bed_tier` in a facility of `kind` at tower `level`."""
    return PLACES.index(Place(kind, bed_tier, counted_tier(kind, bed_tier, level)))


class Pool(NamedTuple):
    """A city-wide capacity reported beside the wards."""

    name: str
    """The `resource` of the pool's row in the resources table."""
    tier: int
    """The tier of care it gives (0: transport)."""
    kind: str | None
    """The facility kind whose beds it sums (None: any kind); "home" or "fleet" for the others."""
    scale_field: str
    """The `capacity_scale` field that scales it."""


STATION_BEDS = Pool("station beds", 1, "station", "station_beds")
HOSPITAL_TIER1_BEDS = Pool("hospital tier-1 beds", 1, "hospital", "hospital_tier1_beds")
OXYGEN_BEDS = Pool("oxygen beds", 2, None, "oxygen_beds")
ICU_BEDS = Pool("ICU beds", 3, None, "icu_beds")
HOME_MONITORING = Pool("home monitoring", 1, "home", "home_monitoring")
AMBULANCES = Pool("ambulances", 0, "fleet", "ambulances")

BED_POOLS = (STATION_BEDS, HOSPITAL_TIER1_BEDS, OXYGEN_BEDS, ICU_BEDS)
"""The bed pools, in the order of the resources table; a ward belongs to the first that matches."""
POOLS = (*BED_POOLS, HOME_MONITORING, AMBULANCES)
BY_SCALE_FIELD = {p.scale_field: p for p in POOLS}
"""The pool each `capacity_scale` field scales."""


def bed_pool(kind: str, tier: int) -> Pool:
    """The pool a ward of `tier` in a facility of `kind` belongs to."""
    for pool in BED_POOLS:
        if pool.tier == tier and pool.kind in (None, kind):
            return pool
    raise ValueError(f"no bed pool for a tier-{tier} ward of a {kind}")
