"""The per-process caches a campaign worker flies with: the truth terrain (sim/runner.py
``terrain_for``) and the onboard map (sim/onboard_map.py). A cached object must be the one
its scenario would build afresh, whatever the worker built before."""

from __future__ import annotations

import numpy as np

from surefoot.config.loader import load_scenario
from surefoot.config.schema import Scenario
from surefoot.sim import onboard_map, runner
from surefoot.sim.onboard_map import build_onboard_map
from surefoot.world.terrain import TerrainGrids


def _with_terrain(s: Scenario, **update: object) -> Scenario:
    return s.model_copy(update={"terrain": s.terrain.model_copy(update=update)})


def _same_grids(a, b) -> bool:
    return (
        np.array_equal(a.meta, b.meta)
        and np.array_equal(a.offsets, b.offsets)
        and np.array_equal(a.heights, b.heights)
    )


def test_terrain_cache_gives_the_same_object_for_the_same_config() -> None:
    s = load_scenario("default")
    t = runner.terrain_for(s)
    again = load_scenario("default")  # an equal scenario, another object
    assert runner.terrain_for(again) is t


def test_a_dispersed_terrain_field_gives_another_terrain() -> None:
    s = load_scenario("default")
    t = runner.terrain_for(s)
    seeded = runner.terrain_for(_with_terrain(s, seed=s.terrain.seed + 1))
    raised = runner.terrain_for(_with_terrain(s, base_height_m=s.terrain.base_height_m + 25.0))
    assert seeded is not t and not np.array_equal(seeded.heights, t.heights)
    # a base height moves the whole surface by exactly that much
    np.testing.assert_allclose(raised.heights - t.heights, 25.0, atol=1e-9)
    farther = s.model_copy(
        update={"initial": s.initial.model_copy(update={"uprange_km": s.initial.uprange_km + 40})}
    )
    assert runner.terrain_for(farther) is not t  # the track box reaches farther uprange


def _small_terrain(k: int) -> TerrainGrids:
    """A two-level terrain whose heights depend on ``k`` (a plane tilted by k)."""
    coarse = np.add.outer(np.arange(9.0), np.arange(9.0)) * (1.0 + k)
    fine = np.add.outer(np.arange(21.0), np.arange(21.0)) * 0.1 * (1.0 + k)
    return TerrainGrids.from_levels(
        [(-400.0, -400.0, 100.0, coarse), (-100.0, -100.0, 10.0, fine)],
        0.3,
        0.5,
        1_737_400.0,
    )


def test_onboard_map_belongs_to_its_terrain_when_terrain_ids_are_reused() -> None:
    # A campaign dispersing a batch-shared terrain field (say the base height, with the
    # same terrain seed) builds a terrain per batch; the truth terrain cache keeps a few
    # and frees the rest, and a new terrain often gets the id (address) of a freed one.
    # Its onboard map must be built from it, not taken from the freed terrain's entry
    # (before the fix, the key was the terrain's id: most maps here came from another
    # terrain; with hakuto-r-m1's terrain at base heights 0, 10, ... 110 m, 2 of 12).
    cfg = load_scenario("hakuto-r-m1").fsw.nav.map.model_copy(update={"resolution_m": 20.0})
    onboard_map._CACHE.clear()
    ids, alive = [], []
    for k in range(60):
        terrain = _small_terrain(k)
        ids.append(id(terrain))
        alive = [*alive[-2:], terrain]  # a few kept, the others freed
        cached = build_onboard_map(terrain, cfg, 7)
        saved = dict(onboard_map._CACHE)
        onboard_map._CACHE.clear()
        try:
            fresh = build_onboard_map(terrain, cfg, 7)
        finally:
            onboard_map._CACHE.clear()
            onboard_map._CACHE.update(saved)
        assert _same_grids(cached, fresh), f"terrain {k}: the map of another terrain"
        assert build_onboard_map(terrain, cfg, 7) is cached  # still cached for it
    assert len(set(ids)) < len(ids)  # ids were reused: the case this test is about
