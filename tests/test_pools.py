"""The one definition of pools: every capacity_scale field scales a pool, every pool is reported."""

from __future__ import annotations

import pytest

import flowsim
from flowsim.config import CapacityScale, resolve_path
from flowsim.pools import AMBULANCES, BED_POOLS, BY_SCALE_FIELD, POOLS, bed_pool


@pytest.fixture(scope="module")
def town() -> flowsim.Scenario:
    return flowsim.load_scenario(resolve_path("town"))


def test_every_capacity_scale_field_names_a_pool_and_every_pool_has_one():
    assert set(CapacityScale.model_fields) == set(BY_SCALE_FIELD)
    assert len({p.name for p in POOLS}) == len(POOLS)


def test_every_pool_is_a_row_of_the_resources_table(town):
    r = flowsim.run(town, seed=1)
    pools = set(r.resources.loc[r.resources["level"] == "pool", "resource"])
    assert pools == {p.name for p in POOLS}
    scenario = flowsim.variant(town, {"ambulances": None})
    no_fleet = flowsim.run(scenario, seed=1).resources
    assert AMBULANCES.name not in set(no_fleet["resource"])


@pytest.mark.parametrize("kind", ["station", "hospital"])
def test_every_ward_belongs_to_one_bed_pool(kind):
    for tier in (1, 2, 3):
        pool = bed_pool(kind, tier)
        assert pool in BED_POOLS and pool.tier == tier


def test_a_capacity_scale_field_scales_the_beds_of_its_pool(town):
    """Doubling one field doubles that pool's capacity and no other (Scenario.beds reads the pool)."""
    base = flowsim.run(town, seed=1).resources.set_index("resource")["capacity"]
    for pool in BED_POOLS:
        scaled = flowsim.variant(town, {f"capacity_scale.{pool.scale_field}": 2.0})
        after = flowsim.run(scaled, seed=1).resources.set_index("resource")["capacity"]
        for other in BED_POOLS:
            assert after[other.name] == (2 * base[other.name] if other is pool else base[other.name]), pool
