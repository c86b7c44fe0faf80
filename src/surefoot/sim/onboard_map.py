"""The lander's onboard terrain map: a degraded copy of the truth, built by the simulator.

A real lander carries a map made before flight from orbital data: coarser
than the ground, possibly shifted, with height errors. The simulator makes
it from the truth grids with the ``fsw.nav.map`` settings and hands the
flight software only the result (the flight software knows just the map's
assumed accuracy, ``height_sigma_m``).
"""

from __future__ import annotations

import numpy as np

from surefoot.config.navigation import OnboardMapConfig
from surefoot.world.terrain import TerrainGrids

# (id of the truth terrain, map settings, seed) -> (that terrain, its map): the entry
# holds the terrain itself and is used only for that very object, since the id of a
# terrain that was freed (the truth terrain cache of sim/runner.py keeps a few) is
# reused by the next one built, which would be given the freed terrain's map
_CACHE: dict[tuple, tuple[TerrainGrids, TerrainGrids]] = {}


def build_onboard_map(terrain: TerrainGrids, cfg: OnboardMapConfig, seed: int) -> TerrainGrids:
    """Onboard map grids (site map frame, heights above the reference sphere, m).

    ``degraded``: every truth level resampled over its extent at
    ``max(dx, resolution_m)`` by point sampling of the bilinear truth, the
    features moved by ``horizontal_offset_m`` (map height at p = truth height
    at p minus the offset), heights raised by ``height_bias_m`` plus white
    noise of ``height_noise_m`` per node (drawn from ``seed``).
    ``flat``: one plane at the truth height of the target plus ``height_bias_m``,
    over the coarse level's extent.
    """
    key = (id(terrain), cfg.model_dump_json(), int(seed))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is terrain:
        return hit[1]
    if len(_CACHE) > 8:
        _CACHE.clear()
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x6D6170])
    levels: list[tuple[float, float, float, np.ndarray]] = []
    if cfg.model == "flat":
        x0, y0, dx, h = terrain.level(0)
        ny, nx = h.shape
        width = (nx - 1) * dx
        height = (ny - 1) * dx
        step = max(width, height) / 8.0
        nxn = int(np.ceil(width / step)) + 1
        nyn = int(np.ceil(height / step)) + 1
        h0 = float(terrain.height(0.0, 0.0)) + cfg.height_bias_m
        levels.append((x0, y0, step, np.full((nyn, nxn), h0)))
    else:
        ox, oy = cfg.horizontal_offset_m
        for k in range(terrain.n_levels):
            x0, y0, dx, h = terrain.level(k)
            ny, nx = h.shape
            dxn = max(dx, cfg.resolution_m)
            nxn = max(2, int(np.floor((nx - 1) * dx / dxn)) + 1)
            nyn = max(2, int(np.floor((ny - 1) * dx / dxn)) + 1)
            xs = x0 + dxn * np.arange(nxn)
            ys = y0 + dxn * np.arange(nyn)
            gx, gy = np.meshgrid(xs - ox, ys - oy)
            hm = terrain.height(gx, gy) + cfg.height_bias_m
            if cfg.height_noise_m > 0.0:
                hm = hm + cfg.height_noise_m * rng.standard_normal(hm.shape)
            levels.append((x0, y0, dxn, hm))
    out = TerrainGrids.from_levels(
        levels, terrain.site_lat_rad, terrain.site_lon_rad, terrain.radius_ref_m
    )
    _CACHE[key] = (terrain, out)
    return out
