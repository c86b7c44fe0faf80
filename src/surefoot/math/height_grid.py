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

    Marches with steps of a fraction of the current clearance (safe for
    terrain slopes below about 70 degrees against the ray), then bisects the
    bracket to 1e-5 m. Returns ``-1.0`` when nothing is hit within
    ``max_range_m``; ``0.0`` when the origin is already below the surface.
    """
    s = 0.0
    p = origin_mcmf.copy()
    f = altitude_above_terrain(p, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    if f <= 0.0:
        return 0.0
    min_step = 0.05
    while s < max_range_m:
        step = max(0.3 * f, min_step)
        s_next = min(s + step, max_range_m)
        for k in range(3):
            p[k] = origin_mcmf[k] + s_next * dir_mcmf[k]
        f_next = altitude_above_terrain(p, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
        if f_next <= 0.0:
            lo = s
            hi = s_next
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                for k in range(3):
                    p[k] = origin_mcmf[k] + mid * dir_mcmf[k]
                fm = altitude_above_terrain(p, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
                if fm > 0.0:
                    lo = mid
                else:
                    hi = mid
                if hi - lo < 1e-5:
                    break
            return 0.5 * (lo + hi)
        if s_next >= max_range_m:
            break
        s = s_next
        f = f_next
    return -1.0


@njit(cache=True)
def _height_many(meta, offsets, heights, x, y, out):  # noqa: ANN001
    for k in range(x.shape[0]):
        out[k] = terrain_height(meta, offsets, heights, x[k], y[k])
