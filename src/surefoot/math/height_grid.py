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


@njit(cache=True, inline="always")
def _locate(meta: np.ndarray, x: float, y: float) -> tuple[int, float, float]:
    """Finest level containing map point (x, y) and the point's fractional node
    coordinates ``((x - x0) / dx, (y - y0) / dx)`` on it; level 0 (coordinates
    unclamped) when no level contains it.

    A level the point is clearly outside of (by more than 1e-9 of a node
    spacing, far above rounding) is passed over without a division; the exact
    test decides every other case, so the answer is bit for bit that of the
    plain test on every level (divisions are the dearest part of a terrain
    look-up, and a ray march makes ~100 look-ups a cast).
    """
    for lev in range(meta.shape[0] - 1, -1, -1):
        x0 = meta[lev, 0]
        y0 = meta[lev, 1]
        dx = meta[lev, 2]
        ax = x - x0
        ay = y - y0
        tol = 1e-9 * dx
        if ax < -tol or ay < -tol:
            continue
        if ax > (meta[lev, 3] - 1.0) * dx * (1.0 + 1e-9) or ay > (meta[lev, 4] - 1.0) * dx * (
            1.0 + 1e-9
        ):
            continue
        fx = ax / dx
        fy = ay / dx
        if fx >= 0.0 and fy >= 0.0 and fx <= meta[lev, 3] - 1.0 and fy <= meta[lev, 4] - 1.0:
            return lev, fx, fy
    return 0, (x - meta[0, 0]) / meta[0, 2], (y - meta[0, 1]) / meta[0, 2]


@njit(cache=True)
def _level_of(meta: np.ndarray, x: float, y: float) -> int:
    """Index of the finest level containing map point (x, y); 0 when none does."""
    lev, _, _ = _locate(meta, x, y)
    return lev


@njit(cache=True, inline="always")
def _cell(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> tuple[int, float, float, float, float, float, float]:
    """The grid cell holding map point (x, y) on its finest level (the coarsest level
    clamped at its edge outside every level): ``(level, tx, ty, h00, h10, h01, h11)``,
    the point's place in the cell (0 to 1) and the heights at its four corners."""
    lev, fx, fy = _locate(meta, x, y)
    nx = int(meta[lev, 3])
    ny = int(meta[lev, 4])
    fx = min(max(fx, 0.0), nx - 1.0)
    fy = min(max(fy, 0.0), ny - 1.0)
    i = min(int(fx), nx - 2)
    j = min(int(fy), ny - 2)
    base = offsets[lev] + j * nx + i
    return (
        lev,
        fx - i,
        fy - j,
        heights[base],
        heights[base + 1],
        heights[base + nx],
        heights[base + nx + 1],
    )


@njit(cache=True)
def terrain_height_gradient(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> tuple[float, float, float]:
    """Height (m) and its gradient (dh/dx, dh/dy, dimensionless) at map point (x, y).

    Outside every level the coarsest level is clamped at its edge.
    """
    lev, tx, ty, h00, h10, h01, h11 = _cell(meta, offsets, heights, x, y)
    dx = meta[lev, 2]
    h = (1.0 - ty) * ((1.0 - tx) * h00 + tx * h10) + ty * ((1.0 - tx) * h01 + tx * h11)
    dhdx = ((1.0 - ty) * (h10 - h00) + ty * (h11 - h01)) / dx
    dhdy = ((1.0 - tx) * (h01 - h00) + tx * (h11 - h10)) / dx
    return h, dhdx, dhdy


@njit(cache=True, inline="always")
def terrain_height_inline(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> float:
    """The height of :func:`terrain_height_gradient`, the same arithmetic, without
    the gradient; inlined where it is used, so that a look-up is no function call
    (a call passes three arrays, and each costs an atomic reference count in and
    out: more than the look-up's arithmetic)."""
    _, tx, ty, h00, h10, h01, h11 = _cell(meta, offsets, heights, x, y)
    return (1.0 - ty) * ((1.0 - tx) * h00 + tx * h10) + ty * ((1.0 - tx) * h01 + tx * h11)


@njit(cache=True)
def terrain_height(
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, x: float, y: float
) -> float:
    """Bilinear height (m above the reference sphere) at map point (x, y)."""
    return terrain_height_inline(meta, offsets, heights, x, y)


@njit(cache=True, inline="always")
def _altitude_at(
    px: float,
    py: float,
    pz: float,
    c: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """:func:`altitude_above_terrain` of the MCMF point ``(px, py, pz)`` (scalars, no
    array): :func:`surefoot.math.frames.mcmf_to_map` written out, the same
    arithmetic in the same order."""
    e = c[0, 0] * px + c[0, 1] * py + c[0, 2] * pz
    n = c[1, 0] * px + c[1, 1] * py + c[1, 2] * pz
    u = c[2, 0] * px + c[2, 1] * py + c[2, 2] * pz
    s = np.sqrt(e * e + n * n)
    radius = np.sqrt(s * s + u * u)
    if s < 1e-9:
        return (radius - radius_ref_m) - terrain_height_inline(meta, offsets, heights, 0.0, 0.0)
    ang = np.arctan2(s, u)
    k = radius_ref_m * ang / s
    return (radius - radius_ref_m) - terrain_height_inline(meta, offsets, heights, k * e, k * n)


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
    return _altitude_at(
        r_mcmf[0], r_mcmf[1], r_mcmf[2], c_enu_mcmf, radius_ref_m, meta, offsets, heights
    )


@njit(cache=True, inline="always")
def altitude_above_terrain_xyz(
    x_mcmf: float,
    y_mcmf: float,
    z_mcmf: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """:func:`altitude_above_terrain` of the MCMF point ``(x, y, z)`` (m), inlined
    where it is called: no array allocated, no call (a step loop's form)."""
    return _altitude_at(x_mcmf, y_mcmf, z_mcmf, c_enu_mcmf, radius_ref_m, meta, offsets, heights)


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
    return raycast_xyz(
        origin_mcmf[0],
        origin_mcmf[1],
        origin_mcmf[2],
        dir_mcmf[0],
        dir_mcmf[1],
        dir_mcmf[2],
        max_range_m,
        c_enu_mcmf,
        radius_ref_m,
        meta,
        offsets,
        heights,
    )


@njit(cache=True, inline="always")
def raycast_xyz(
    o0: float,
    o1: float,
    o2: float,
    d0: float,
    d1: float,
    d2: float,
    max_range_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """:func:`raycast` of the ray from MCMF ``(o0, o1, o2)`` along the unit
    ``(d0, d1, d2)``, the same arithmetic in the same order; inlined where it is
    called, so that a cast allocates no array and is no call (loops casting
    many rays: a hazard scan, a sensor's beams)."""
    f, on = ray_origin_xyz(o0, o1, o2, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    return raycast_from(
        o0, o1, o2, f, on, d0, d1, d2, max_range_m, c_enu_mcmf, radius_ref_m, meta, offsets, heights
    )


@njit(cache=True, inline="always")
def ray_origin_xyz(
    o0: float,
    o1: float,
    o2: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> tuple[float, float]:
    """What a cast from MCMF ``(o0, o1, o2)`` needs of its origin, whatever its
    direction: ``(height above the terrain, distance from the centre)``, m. Rays
    that share an origin (a sensor's beams, a scan's sub-rays) share these:
    :func:`raycast_from`."""
    f = _altitude_at(o0, o1, o2, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    on = np.sqrt(o0**2 + o1**2 + o2**2)
    return f, on


@njit(cache=True, inline="always")
def ray_stays_above(
    o0: float,
    o1: float,
    o2: float,
    on: float,
    d0: float,
    d1: float,
    d2: float,
    max_range_m: float,
    r_top_m: float,
) -> bool:
    """True when every point of the ray from MCMF ``(o0, o1, o2)`` (``on`` its
    distance from the centre) along the unit ``(d0, d1, d2)``, up to
    ``max_range_m``, lies farther than ``r_top_m`` from the centre.

    With ``r_top_m`` above the highest terrain (by a margin far beyond rounding),
    every look-up of the cast's march finds the ray above the ground, so the cast
    returns ``-1.0``: a caller may skip it and get the same answer (a sensor
    above its own range, as a Doppler lidar is for most of a descent from
    15 km). The nearest point is the origin (a ray going up), the foot of the
    perpendicular from the centre, or the end of the ray.
    """
    od = d0 * o0 + d1 * o1 + d2 * o2
    if od >= 0.0:
        r2 = on * on
    elif -od <= max_range_m:
        r2 = on * on - od * od
    else:
        r2 = on * on + 2.0 * max_range_m * od + max_range_m * max_range_m
    return r2 > r_top_m * r_top_m


@njit(cache=True, inline="always")
def beam_cast(
    o0: float,
    o1: float,
    o2: float,
    on: float,
    f0: float,
    d0: float,
    d1: float,
    d2: float,
    max_range_m: float,
    r_top_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> tuple[float, float]:
    """One of several beams from a shared MCMF origin ``(o0, o1, o2)`` (``on`` its
    distance from the centre): ``(range, f0)``. A beam that stays above ``r_top_m``
    (:func:`ray_stays_above`) is not cast (range ``-1.0``); otherwise the origin's
    height above the terrain ``f0`` is looked up once (pass ``nan`` until then, and
    the returned value to the next beam) and the cast is :func:`raycast_from`."""
    if ray_stays_above(o0, o1, o2, on, d0, d1, d2, max_range_m, r_top_m):
        return -1.0, f0
    if np.isnan(f0):
        f0 = _altitude_at(o0, o1, o2, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    rho = raycast_from(
        o0, o1, o2, f0, on, d0, d1, d2, max_range_m, c_enu_mcmf, radius_ref_m, meta, offsets,
        heights,
    )
    return rho, f0


@njit(cache=True, inline="always")
def raycast_from(
    o0: float,
    o1: float,
    o2: float,
    f: float,
    on: float,
    d0: float,
    d1: float,
    d2: float,
    max_range_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """:func:`raycast_xyz` with its origin's ``(f, on)`` from :func:`ray_origin_xyz`
    (the same numbers: a cast of many that share an origin skips its first
    terrain look-up)."""
    c = c_enu_mcmf
    r_ref = radius_ref_m
    if f <= 0.0:
        return 0.0
    cos_a = -(d0 * o0 + d1 * o1 + d2 * o2) / on
    sin_a = np.sqrt(max(1.0 - cos_a * cos_a, 0.0))
    den = max(cos_a, 0.0) + sin_a * TAN_SLOPE_MAX
    if den <= 0.0:
        return -1.0  # straight up: the height above a height field only grows
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


@njit(cache=True)
def _height_many(meta, offsets, heights, x, y, out):  # noqa: ANN001
    for k in range(x.shape[0]):
        out[k] = terrain_height(meta, offsets, heights, x[k], y[k])
