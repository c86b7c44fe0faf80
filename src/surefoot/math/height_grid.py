"""Nested regular height grids: compiled queries shared by truth and flight software.

The truth terrain (``surefoot.world.terrain``) and the flight software's
onboard map (``surefoot.fsw.nav``) are both stacks of regular height grids
in the site map frame; these kernels answer height, gradient, altitude and
ray-cast queries on the flat arrays ``meta`` (L, 5) rows
``[x0_m, y0_m, dx_m, nx, ny]`` (coarse first), ``offsets`` (L+1,) and
``heights``. A query uses the finest level containing the point; heights
between nodes are bilinear.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.math.frames import mcmf_to_map


@njit(cache=True)
def _level_of(meta: np.ndarray, x: float, y: float) -> int:
    for lev in range(meta.shape[0] - 1, -1, -1):
        x0 = meta[lev, 0]
        y0 = meta[lev, 1]
        dx = meta[lev, 2]
        fx = (x - x0) / dx
        fy = (y - y0) / dx
        if fx >= 0.0 and fy >= 0.0 and fx <= meta[lev, 3] - 1.0 and fy <= meta[lev, 4] - 1.0:
            return lev
    return 0


@njit(cache=True)
def terrain_height_gradient(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> tuple[float, float, float]:
    """Height (m) and its gradient (dh/dx, dh/dy, dimensionless) at map point (x, y).

    Outside every level the coarsest level is clamped at its edge.
    """
    lev = _level_of(meta, x, y)
    x0 = meta[lev, 0]
    y0 = meta[lev, 1]
    dx = meta[lev, 2]
    nx = int(meta[lev, 3])
    ny = int(meta[lev, 4])
    fx = min(max((x - x0) / dx, 0.0), nx - 1.0)
    fy = min(max((y - y0) / dx, 0.0), ny - 1.0)
    i = min(int(fx), nx - 2)
    j = min(int(fy), ny - 2)
    tx = fx - i
    ty = fy - j
    base = offsets[lev] + j * nx + i
    h00 = heights[base]
    h10 = heights[base + 1]
    h01 = heights[base + nx]
    h11 = heights[base + nx + 1]
    h = (1.0 - ty) * ((1.0 - tx) * h00 + tx * h10) + ty * ((1.0 - tx) * h01 + tx * h11)
    dhdx = ((1.0 - ty) * (h10 - h00) + ty * (h11 - h01)) / dx
    dhdy = ((1.0 - tx) * (h01 - h00) + tx * (h11 - h10)) / dx
    return h, dhdx, dhdy


@njit(cache=True)
def terrain_height(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> float:
    """Bilinear height (m above the reference sphere) at map point (x, y)."""
    h, _, _ = terrain_height_gradient(meta, offsets, heights, x, y)
    return h


@njit(cache=True)
def altitude_above_terrain(
    r_mcmf: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """Height of a point above the terrain directly below it (along the radial), m."""
    x, y, hp = mcmf_to_map(r_mcmf, c_enu_mcmf, radius_ref_m)
    return hp - terrain_height(meta, offsets, heights, x, y)


# steepest terrain (tan of the slope) a ray march may not step over: ~75 deg
TAN_SLOPE_MAX = 3.7


@njit(cache=True)
def raycast(
    origin_mcmf: np.ndarray,
    dir_mcmf: np.ndarray,
    max_range_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """Distance (m) along a unit ray to its first intersection with the terrain.

    The march step is the largest that cannot cross terrain sloping less than
    ~75 deg (:data:`TAN_SLOPE_MAX`), given the ray's angle ``a`` from the local
    downward vertical: ``clearance / (cos a + sin a tan 75deg)``, at least
    5 cm (a nadir ray reaches flat ground in one step). The bracket is then
    refined by regula falsi (Illinois) until the height above the surface is
    under 1e-5 m or the bracket under 1e-4 m. Returns ``-1.0`` when nothing is
    hit within ``max_range_m``; ``0.0`` when the origin is already below the
    surface.
    """
    f = altitude_above_terrain(origin_mcmf, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    if f <= 0.0:
        return 0.0
    on = np.sqrt(origin_mcmf[0] ** 2 + origin_mcmf[1] ** 2 + origin_mcmf[2] ** 2)
    cos_a = -(
        dir_mcmf[0] * origin_mcmf[0] + dir_mcmf[1] * origin_mcmf[1] + dir_mcmf[2] * origin_mcmf[2]
    ) / on
    sin_a = np.sqrt(max(1.0 - cos_a * cos_a, 0.0))
    den = max(cos_a, 0.0) + sin_a * TAN_SLOPE_MAX
    if den <= 0.0:
        return -1.0  # straight up: the height above a height field only grows
    k = 1.0 / den
    p = np.empty(3)
    s = 0.0
    while s < max_range_m:
        s_next = min(s + max(k * f, 0.05), max_range_m)
        for j in range(3):
            p[j] = origin_mcmf[j] + s_next * dir_mcmf[j]
        f_next = altitude_above_terrain(p, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
        if f_next <= 0.0:
            lo, hi, flo, fhi = s, s_next, f, f_next
            side = 0
            sm = hi
            for _ in range(60):
                sm = (lo * fhi - hi * flo) / (fhi - flo)
                for j in range(3):
                    p[j] = origin_mcmf[j] + sm * dir_mcmf[j]
                fm = altitude_above_terrain(p, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
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


@njit(cache=True)
def _height_many(meta, offsets, heights, x, y, out):  # noqa: ANN001
    for k in range(x.shape[0]):
        out[k] = terrain_height(meta, offsets, heights, x[k], y[k])
