"""Queries on the lander's onboard terrain map.

The onboard map is the same kind of nested height grids as the truth terrain
(``meta`` (L, 5) rows ``[x0_m, y0_m, dx_m, nx, ny]`` coarse first, ``offsets``
(L+1,), ``heights``; see :mod:`surefoot.math.height_grid`) but a degraded copy
built by the simulator (coarser, possibly shifted and biased). Navigation only
ever queries this map, never the truth.

Besides heights and ray casts (from ``surefoot.math.height_grid``) the filter
needs the terrain's normal at a beam's hit point, smoothed at the scale of its
own horizontal uncertainty, and how far the terrain departs from that plane
(the relief the linearised range model cannot represent).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.math.frames import map_to_mcmf_xyz
from surefoot.math.height_grid import raycast, terrain_height, terrain_height_inline


def check_onboard_map(meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray) -> None:
    """Raise ``ValueError`` naming the problem when the map arrays are inconsistent."""
    meta = np.asarray(meta)
    offsets = np.asarray(offsets)
    heights = np.asarray(heights)
    if meta.ndim != 2 or meta.shape[1] != 5 or meta.shape[0] < 1:
        raise ValueError("onboard map: meta must have shape (L, 5) with L >= 1")
    if offsets.shape != (meta.shape[0] + 1,):
        raise ValueError("onboard map: offsets must have shape (L + 1,)")
    for lev in range(meta.shape[0]):
        nx, ny, dx = int(meta[lev, 3]), int(meta[lev, 4]), meta[lev, 2]
        if nx < 2 or ny < 2 or not dx > 0.0:
            raise ValueError(f"onboard map level {lev}: needs nx, ny >= 2 and dx_m > 0")
        if offsets[lev + 1] - offsets[lev] != nx * ny:
            raise ValueError(f"onboard map level {lev}: offsets do not match nx * ny")
    if heights.shape != (int(offsets[-1]),):
        raise ValueError("onboard map: heights must have offsets[-1] elements")
    if not np.all(np.isfinite(heights)):
        raise ValueError("onboard map: heights must be finite")


@njit(cache=True)
def map_spacing(meta: np.ndarray, x: float, y: float) -> float:
    """Node spacing (m) of the finest level containing map point (x, y)."""
    for lev in range(meta.shape[0] - 1, -1, -1):
        fx = (x - meta[lev, 0]) / meta[lev, 2]
        fy = (y - meta[lev, 1]) / meta[lev, 2]
        if fx >= 0.0 and fy >= 0.0 and fx <= meta[lev, 3] - 1.0 and fy <= meta[lev, 4] - 1.0:
            return meta[lev, 2]
    return meta[0, 2]


@njit(cache=True)
def surface_geometry(
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    x: float,
    y: float,
    s: float,
) -> tuple[np.ndarray, float, float]:
    """Terrain normal and relief around map point (x, y) at horizontal scale ``s``.

    The surface points at ``(x +- s, y)`` and ``(x, y +- s)`` span two tangents
    whose cross product is the normal (MCMF, unit, pointing up), the slope of
    the map smoothed over ``2 s``. The relief is the largest departure of the
    centre height from the mean of a pair: zero on a plane, about half a step
    when a cliff lies within ``s``.

    Returns
    -------
    n_mcmf : (3,)
        Unit outward normal of the terrain, MCMF.
    relief_m : float
        Height departure from the plane through the samples, m (>= 0).
    h0_m : float
        Map height at (x, y), m above the reference sphere.
    """
    n0, n1, n2, relief, h0 = surface_geometry_xyz(
        meta, offsets, heights, c_enu_mcmf, radius_ref_m, x, y, s
    )
    n = np.empty(3)
    n[0] = n0
    n[1] = n1
    n[2] = n2
    return n, relief, h0


@njit(cache=True, inline="always")
def surface_geometry_xyz(
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    x: float,
    y: float,
    s: float,
) -> tuple[float, float, float, float, float]:
    """:func:`surface_geometry` as scalars ``(n0, n1, n2, relief_m, h0_m)``, the same
    arithmetic, inlined where it is called (no array, no call)."""
    h0 = terrain_height_inline(meta, offsets, heights, x, y)
    hxp = terrain_height_inline(meta, offsets, heights, x + s, y)
    hxm = terrain_height_inline(meta, offsets, heights, x - s, y)
    hyp = terrain_height_inline(meta, offsets, heights, x, y + s)
    hym = terrain_height_inline(meta, offsets, heights, x, y - s)
    a0, a1, a2 = map_to_mcmf_xyz(x + s, y, hxp, c_enu_mcmf, radius_ref_m)
    b0, b1, b2 = map_to_mcmf_xyz(x - s, y, hxm, c_enu_mcmf, radius_ref_m)
    e0, e1, e2 = map_to_mcmf_xyz(x, y + s, hyp, c_enu_mcmf, radius_ref_m)
    f0, f1, f2 = map_to_mcmf_xyz(x, y - s, hym, c_enu_mcmf, radius_ref_m)
    tx0, tx1, tx2 = a0 - b0, a1 - b1, a2 - b2
    ty0, ty1, ty2 = e0 - f0, e1 - f1, e2 - f2
    n0 = tx1 * ty2 - tx2 * ty1
    n1 = tx2 * ty0 - tx0 * ty2
    n2 = tx0 * ty1 - tx1 * ty0
    nn = np.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    # outward: same side as the position vector of the surface point
    pc0, pc1, pc2 = a0 + b0, a1 + b1, a2 + b2
    if n0 * pc0 + n1 * pc1 + n2 * pc2 < 0.0:
        nn = -nn
    relief = max(abs(0.5 * (hxp + hxm) - h0), abs(0.5 * (hyp + hym) - h0))
    return n0 / nn, n1 / nn, n2 / nn, relief, h0


@njit(cache=True)
def neighbourhood_relief(
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    x: float,
    y: float,
    radius_m: float,
) -> float:
    """Largest height difference (m) between (x, y) and map points within ``radius_m``.

    Samples 8 directions at half and full radius: enough to tell whether a
    horizontal error of that size could explain a height discrepancy.
    """
    h0 = terrain_height(meta, offsets, heights, x, y)
    out = 0.0
    for k in range(8):
        ang = 0.25 * np.pi * k
        ca = np.cos(ang)
        sa = np.sin(ang)
        for frac in (0.5, 1.0):
            d = frac * radius_m
            h = terrain_height(meta, offsets, heights, x + d * ca, y + d * sa)
            out = max(out, abs(h - h0))
    return out


@njit(cache=True)
def beam_range(
    origin_mcmf: np.ndarray,
    dir_mcmf: np.ndarray,
    max_range_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """Distance (m) along a unit ray to the first intersection with the map.

    The shared ray cast :func:`surefoot.math.height_grid.raycast` (the truth
    sensors use the same march on the truth terrain). Returns ``-1.0`` when
    nothing is hit within ``max_range_m`` and ``0.0`` when the origin is below
    the surface.
    """
    return raycast(
        origin_mcmf, dir_mcmf, max_range_m, c_enu_mcmf, radius_ref_m, meta, offsets, heights
    )
