"""The scalar ray casts and the early out give the former ray cast's ranges to the bit.

Issue 14 inlined the ray cast on scalars (``height_grid.raycast_xyz``), let
rays that share an origin share its terrain look-up (``ray_origin_xyz`` then
``raycast_from``), and lets a sensor skip a cast that cannot come down to the
highest terrain within its range (``ray_stays_above``; a Doppler lidar is
above its range for most of a descent from 15 km). A flight must stay bit for
bit what it was, so each form is checked against a compiled copy of the
former ``raycast`` (the same operations in the same order) on rays from
heights of metres to tens of kilometres, nadir to grazing, and the early out
against the former cast on rays that pass just above and just below the
terrain's top.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from surefoot.math.height_grid import (
    TAN_SLOPE_MAX,
    _altitude_at,
    ray_origin_xyz,
    ray_stays_above,
    raycast,
    raycast_from,
    raycast_xyz,
)
from surefoot.world.terrain.grid import TerrainGrids

R_MOON = 1_737_400.0
LAT = math.radians(-13.3)
LON = math.radians(25.2)


@njit
def _former_raycast(origin_mcmf, dir_mcmf, max_range_m, c, r_ref, meta, offsets, heights):  # noqa: ANN001, ANN202
    """``height_grid.raycast`` as it was before issue 14's scalar forms."""
    o0, o1, o2 = origin_mcmf[0], origin_mcmf[1], origin_mcmf[2]
    d0, d1, d2 = dir_mcmf[0], dir_mcmf[1], dir_mcmf[2]
    f = _altitude_at(o0, o1, o2, c, r_ref, meta, offsets, heights)
    if f <= 0.0:
        return 0.0
    on = np.sqrt(origin_mcmf[0] ** 2 + origin_mcmf[1] ** 2 + origin_mcmf[2] ** 2)
    cos_a = (
        -(
            dir_mcmf[0] * origin_mcmf[0]
            + dir_mcmf[1] * origin_mcmf[1]
            + dir_mcmf[2] * origin_mcmf[2]
        )
        / on
    )
    sin_a = np.sqrt(max(1.0 - cos_a * cos_a, 0.0))
    den = max(cos_a, 0.0) + sin_a * TAN_SLOPE_MAX
    if den <= 0.0:
        return -1.0
    k = 1.0 / den
    s = 0.0
    while s < max_range_m:
        s_next = min(s + max(k * f, 0.05), max_range_m)
        f_next = _altitude_at(
            o0 + s_next * d0, o1 + s_next * d1, o2 + s_next * d2, c, r_ref, meta, offsets, heights
        )
        if f_next <= 0.0:
            lo, hi, flo, fhi = s, s_next, f, f_next
            side = 0
            sm = hi
            for _ in range(60):
                sm = (lo * fhi - hi * flo) / (fhi - flo)
                fm = _altitude_at(
                    o0 + sm * d0, o1 + sm * d1, o2 + sm * d2, c, r_ref, meta, offsets, heights
                )
                if abs(fm) < 1e-5 or hi - lo < 1e-4:
                    break
                if fm > 0.0:
                    lo, flo = sm, fm
                    if side == 1:
                        fhi *= 0.5
                    side = 1
                else:
                    hi, fhi = sm, fm
                    if side == -1:
                        flo *= 0.5
                    side = -1
            return sm
        if s_next >= max_range_m:
            break
        s = s_next
        f = f_next
    return -1.0


@njit
def _forms(o, d, max_range_m, c, r_ref, meta, offsets, heights, r_top):  # noqa: ANN001, ANN202
    """Every ray (rows of ``o``, ``d``) cast by the former code and each new form."""
    n = o.shape[0]
    out = np.empty((n, 4))
    above = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        out[i, 0] = _former_raycast(o[i], d[i], max_range_m, c, r_ref, meta, offsets, heights)
        out[i, 1] = raycast(o[i], d[i], max_range_m, c, r_ref, meta, offsets, heights)
        out[i, 2] = raycast_xyz(
            o[i, 0], o[i, 1], o[i, 2], d[i, 0], d[i, 1], d[i, 2], max_range_m, c, r_ref,
            meta, offsets, heights,
        )  # fmt: skip
        f, on = ray_origin_xyz(o[i, 0], o[i, 1], o[i, 2], c, r_ref, meta, offsets, heights)
        out[i, 3] = raycast_from(
            o[i, 0], o[i, 1], o[i, 2], f, on, d[i, 0], d[i, 1], d[i, 2], max_range_m, c, r_ref,
            meta, offsets, heights,
        )  # fmt: skip
        above[i] = ray_stays_above(
            o[i, 0], o[i, 1], o[i, 2], on, d[i, 0], d[i, 1], d[i, 2], max_range_m, r_top
        )
    return out, above


def _grids() -> TerrainGrids:
    """Three nested levels of rough heights (coarse 100 m, 10 m, fine 1 m)."""
    rng = np.random.default_rng(5)
    levels = []
    for half, dx in ((20_000.0, 100.0), (2_000.0, 10.0), (150.0, 1.0)):
        n = int(round(2 * half / dx)) + 1
        levels.append((-half, -half, dx, 40.0 * rng.standard_normal((n, n))))
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON)


def _rays(g: TerrainGrids, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Origins over the map at 2 m to 30 km, directions from nadir to 20 deg above
    the horizon (unit, MCMF)."""
    rng = np.random.default_rng(seed)
    c = g.c_enu_mcmf
    o = np.empty((n, 3))
    d = np.empty((n, 3))
    for i in range(n):
        x, y = rng.uniform(-3000.0, 3000.0, 2)
        h = g.height(x, y).item() + 10.0 ** rng.uniform(0.3, 4.5)
        o[i] = g.to_mcmf(x, y, h)
        az = rng.uniform(0.0, 2.0 * np.pi)
        nadir = rng.uniform(0.0, np.radians(110.0))
        enu = np.array([np.sin(nadir) * np.cos(az), np.sin(nadir) * np.sin(az), -np.cos(nadir)])
        d[i] = c.T @ enu
        d[i] /= np.linalg.norm(d[i])
    return o, d


def test_scalar_forms_equal_the_former_cast_bit_for_bit() -> None:
    g = _grids()
    o, d = _rays(g, 3000, 1)
    for max_range in (500.0, 7000.0, 40_000.0):
        out, _ = _forms(
            o, d, max_range, g.c_enu_mcmf, g.radius_ref_m, g.meta, g.offsets, g.heights, np.inf
        )
        ref = out[:, 0].view(np.int64)
        for k in (1, 2, 3):
            assert np.array_equal(out[:, k].view(np.int64), ref)
        assert np.sum(out[:, 0] > 0.0) > 500  # hits, not only misses


def test_a_ray_that_stays_above_the_top_is_a_cast_that_finds_nothing() -> None:
    g = _grids()
    r_top = g.radius_ref_m + g.top_m + 1.0  # the sensors' margin
    assert g.top_m == np.max(g.heights)
    o, d = _rays(g, 4000, 2)
    # and rays skimming the top: horizontal ones at 0.5 to 3 m above and below it
    rng = np.random.default_rng(3)
    skim_o = []
    skim_d = []
    c = g.c_enu_mcmf
    for _ in range(1000):
        x, y = rng.uniform(-2000.0, 2000.0, 2)
        skim_o.append(g.to_mcmf(x, y, g.top_m + rng.uniform(-3.0, 3.0)))
        az = rng.uniform(0.0, 2.0 * np.pi)
        e = c.T @ np.array([np.cos(az), np.sin(az), rng.uniform(-0.002, 0.0)])
        skim_d.append(e / np.linalg.norm(e))
    o = np.vstack([o, np.array(skim_o)])
    d = np.vstack([d, np.array(skim_d)])
    n_above = 0
    for max_range in (500.0, 7000.0, 40_000.0):
        out, above = _forms(
            o, d, max_range, g.c_enu_mcmf, g.radius_ref_m, g.meta, g.offsets, g.heights, r_top
        )
        assert np.all(out[above, 0] == -1.0)
        n_above += int(np.sum(above))
        # not vacuous: rays that do not stay above hit within a long range
        assert np.any(out[~above, 0] > 0.0)
    assert n_above > 1000
    # no bound (the site row's default): never skipped
    _, above = _forms(
        o, d, 7000.0, g.c_enu_mcmf, g.radius_ref_m, g.meta, g.offsets, g.heights, np.inf
    )
    assert not np.any(above)
