"""Impact craters: the size-frequency law, crater tables and compiled stamping.

Simple craters (below a few km on the Moon) are stamped with the shape of a
fresh bowl:

- interior: a paraboloid whose floor lies ``depth_to_diameter * D`` below
  the rim crest (Pike 1977, "Size-dependence in the shape of fresh craters on
  the Moon", Impact and Explosion Cratering, pp. 489-509: d = 0.196 D);
- rim crest ``rim_height_to_diameter * D`` above the surrounding plain
  (Pike 1977: h = 0.036 D);
- ejecta blanket outside the rim whose thickness falls as ``(r / R)^-3``
  (McGetchin, Settle and Head 1973, "Radial thickness variation in impact
  crater ejecta", EPSL 20, 226-236), tapered to reach zero at
  ``ejecta_extent_radii`` radii so that the surface stays continuous.

Older craters are degraded by scaling depth and rim by a freshness factor.
Large complex craters (e.g. Atlas, 87 km) have a flat floor, a terraced wall
and a raised rim (see :func:`large_crater_height`).

Crater tables are structured arrays of dtype :data:`CRATER_DTYPE`, positions
in the site map frame.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from surefoot.config.terrain import CraterPopulation, LargeCrater
from surefoot.world.terrain.sfd import Bounds, PowerLaw, sample_poisson_field, tiled_field

CRATER_DTYPE = np.dtype(
    [
        ("x_m", np.float64),  # centre, m east of the site (map frame)
        ("y_m", np.float64),  # centre, m north of the site (map frame)
        ("diameter_m", np.float64),  # rim-crest diameter, m
        ("depth_m", np.float64),  # floor below rim crest, m
        ("rim_height_m", np.float64),  # rim crest above the plain, m
        ("level", np.int16),  # coarsest terrain level the crater is stamped on (-1: none)
    ]
)
"""Row of a crater table."""

_ROW_BLOCK = 32  # rows per parallel work item in the stamping kernels
_TERRACE_SCARP_FRACTION = 0.4  # share of each terrace's width taken by its scarp


def crater_law(pop: CraterPopulation) -> PowerLaw:
    """The population's cumulative law in SI: per m^2, diameters in m (reference 1 km)."""
    return PowerLaw(
        density_per_m2_at_ref=pop.density_per_km2_above_1km * 1e-6,
        ref_diameter_m=1000.0,
        exponent=pop.exponent,
        d_min_m=pop.min_diameter_m,
        d_max_m=pop.max_diameter_m,
    )


def expected_crater_count(
    pop: CraterPopulation,
    area_m2: float,
    d_lo_m: float | None = None,
    d_hi_m: float | None = None,
) -> float:
    """Mean number of craters with diameter in ``[d_lo_m, d_hi_m)`` over ``area_m2`` (m^2)."""
    law = crater_law(pop)
    lo = law.d_min_m if d_lo_m is None else d_lo_m
    hi = law.d_max_m if d_hi_m is None else d_hi_m
    return law.density_between(lo, hi) * area_m2


def _table(
    pop: CraterPopulation, x: np.ndarray, y: np.ndarray, d: np.ndarray, u: np.ndarray
) -> np.ndarray:
    out = np.empty(x.shape[0], dtype=CRATER_DTYPE)
    fresh = pop.min_freshness + (1.0 - pop.min_freshness) * u
    out["x_m"] = x
    out["y_m"] = y
    out["diameter_m"] = d
    out["depth_m"] = pop.depth_to_diameter * d * fresh
    out["rim_height_m"] = pop.rim_height_to_diameter * d * fresh
    out["level"] = -1
    return out


def sample_craters(
    pop: CraterPopulation,
    bounds_m: Bounds,
    rng: np.random.Generator,
    d_lo_m: float | None = None,
    d_hi_m: float | None = None,
) -> np.ndarray:
    """One Poisson draw of craters with centres uniform in a box.

    The count is Poisson with mean ``N(>d_lo) - N(>d_hi)`` times the area,
    diameters follow the truncated power law (inverse-CDF sampling), depth
    and rim follow Pike (1977) times a freshness uniform in
    ``[pop.min_freshness, 1]``.

    Parameters
    ----------
    pop : CraterPopulation
        Size-frequency law and shape coefficients.
    bounds_m : Bounds
        ``(x_min, x_max, y_min, y_max)`` of the centres, site map frame (m).
    rng : numpy.random.Generator
        Random stream.
    d_lo_m, d_hi_m : float, optional
        Diameter range (m); default the population's truncation.

    Returns
    -------
    ndarray of CRATER_DTYPE
        The craters (``level`` = -1).
    """
    x, y, d, u = sample_poisson_field(crater_law(pop), bounds_m, rng, d_lo_m, d_hi_m)
    return _table(pop, x, y, d, u)


def crater_field(
    pop: CraterPopulation,
    bounds_m: Bounds,
    seed_seq: np.random.SeedSequence,
    d_lo_m: float,
    d_hi_m: float = math.inf,
) -> np.ndarray:
    """Craters of the seed-defined field whose ejecta reach a box.

    Parameters
    ----------
    pop : CraterPopulation
        Size-frequency law and shape coefficients.
    bounds_m : Bounds
        Box in the site map frame (m).
    seed_seq : numpy.random.SeedSequence
        The crater stream of the terrain seed.
    d_lo_m, d_hi_m : float
        Diameter range, m.

    Returns
    -------
    ndarray of CRATER_DTYPE
        Every crater with diameter in range whose stamp (out to
        ``ejecta_extent_radii`` radii) touches the box; the same crater gets
        the same row whatever box is asked for (see :func:`sfd.tiled_field`).
    """
    x, y, d, u = tiled_field(
        crater_law(pop),
        bounds_m,
        seed_seq,
        d_lo_m,
        d_hi_m,
        reach_per_diameter=0.5 * pop.ejecta_extent_radii,
    )
    return _table(pop, x, y, d, u)


@njit(cache=True, inline="always")
def simple_crater_height(
    r2: float, radius: float, depth: float, rim: float, extent_radii: float
) -> float:
    """Height change (m) of a simple crater at squared distance ``r2`` (m^2) from its centre.

    Parabolic bowl ``rim - depth + depth (r/R)^2`` inside the rim (Pike 1977
    depth and rim), ejecta ``rim ((R/r)^3 - e^-3) / (1 - e^-3)`` outside it
    (McGetchin et al. 1973, tapered to zero at ``e = extent_radii``), zero
    beyond.
    """
    rr = radius * radius
    if r2 <= rr:
        return rim - depth + depth * r2 / rr
    e = extent_radii
    if r2 >= e * e * rr:
        return 0.0
    q = rr / r2
    tail = 1.0 / (e * e * e)
    return rim * (q * math.sqrt(q) - tail) / (1.0 - tail)


@njit(cache=True, parallel=True)
def stamp_craters(
    h: np.ndarray,
    x0_m: float,
    y0_m: float,
    dx_m: float,
    cx_m: np.ndarray,
    cy_m: np.ndarray,
    diameter_m: np.ndarray,
    depth_m: np.ndarray,
    rim_m: np.ndarray,
    extent_radii: float,
) -> None:
    """Add simple craters to a height grid in place.

    Parameters
    ----------
    h : (ny, nx) float64
        Heights (m) at nodes ``(x0 + i dx, y0 + j dx)`` of the map frame; row j is north.
    x0_m, y0_m, dx_m : float
        Grid origin and spacing, m.
    cx_m, cy_m, diameter_m, depth_m, rim_m : (K,) float64
        Crater centres (map frame), diameters, depths below rim crest and rim heights, m.
    extent_radii : float
        Ejecta extent in crater radii.

    Notes
    -----
    Only the nodes within ``extent_radii`` radii of each crater are visited.
    Work is split over bands of rows, so overlapping craters never race.
    """
    ny, nx = h.shape
    nblk = (ny + _ROW_BLOCK - 1) // _ROW_BLOCK
    for b in prange(nblk):
        jb0 = b * _ROW_BLOCK
        jb1 = min(ny, jb0 + _ROW_BLOCK) - 1
        for k in range(cx_m.shape[0]):
            radius = 0.5 * diameter_m[k]
            reach = extent_radii * radius
            j0 = max(jb0, int(math.ceil((cy_m[k] - reach - y0_m) / dx_m)))
            j1 = min(jb1, int(math.floor((cy_m[k] + reach - y0_m) / dx_m)))
            if j0 > j1:
                continue
            i0 = max(0, int(math.ceil((cx_m[k] - reach - x0_m) / dx_m)))
            i1 = min(nx - 1, int(math.floor((cx_m[k] + reach - x0_m) / dx_m)))
            for j in range(j0, j1 + 1):
                ddy = y0_m + j * dx_m - cy_m[k]
                for i in range(i0, i1 + 1):
                    ddx = x0_m + i * dx_m - cx_m[k]
                    h[j, i] += simple_crater_height(
                        ddx * ddx + ddy * ddy, radius, depth_m[k], rim_m[k], extent_radii
                    )


def stamp_crater_table(
    h: np.ndarray,
    x0_m: float,
    y0_m: float,
    dx_m: float,
    table: np.ndarray,
    extent_radii: float,
) -> None:
    """:func:`stamp_craters` for a table of :data:`CRATER_DTYPE` (in place)."""
    if table.shape[0] == 0:
        return
    stamp_craters(
        h,
        x0_m,
        y0_m,
        dx_m,
        np.ascontiguousarray(table["x_m"]),
        np.ascontiguousarray(table["y_m"]),
        np.ascontiguousarray(table["diameter_m"]),
        np.ascontiguousarray(table["depth_m"]),
        np.ascontiguousarray(table["rim_height_m"]),
        extent_radii,
    )


@njit(cache=True, inline="always")
def _smoothstep(t: float) -> float:
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return t * t * (3.0 - 2.0 * t)


@njit(cache=True)
def large_crater_height(
    r: float,
    radius: float,
    floor_radius: float,
    depth: float,
    rim: float,
    terraces: int,
    extent_radii: float,
) -> float:
    """Height change (m) of a complex crater at distance ``r`` (m) from its centre.

    Flat floor ``-depth`` out to ``floor_radius``; a wall rising to the rim
    crest ``+rim`` at ``radius`` in ``terraces`` steps (each a flat bench then
    a smoothstep scarp over 40 % of its width; 0 terraces: one smoothstep
    wall); ejecta thinning as ``(r / R)^-3`` (McGetchin et al. 1973) outside,
    tapered to zero at ``extent_radii`` radii.
    """
    if r <= floor_radius:
        return -depth
    if r <= radius:
        t = (r - floor_radius) / (radius - floor_radius)
        if terraces <= 0:
            f = _smoothstep(t)
        else:
            s = t * terraces
            k = min(int(s), terraces - 1)
            u = s - k
            g = _smoothstep((u - (1.0 - _TERRACE_SCARP_FRACTION)) / _TERRACE_SCARP_FRACTION)
            f = (k + g) / terraces
        return -depth + (depth + rim) * f
    e = extent_radii
    if r >= e * radius:
        return 0.0
    q = radius / r
    tail = 1.0 / (e * e * e)
    return rim * (q * q * q - tail) / (1.0 - tail)


@njit(cache=True, parallel=True)
def stamp_large_crater(
    h: np.ndarray,
    x0_m: float,
    y0_m: float,
    dx_m: float,
    cx_m: float,
    cy_m: float,
    radius: float,
    floor_radius: float,
    depth: float,
    rim: float,
    terraces: int,
    extent_radii: float,
) -> None:
    """Add one complex crater (:func:`large_crater_height`) to a height grid in place.

    Grid as in :func:`stamp_craters`; centre in the map frame, lengths in m.
    """
    ny, nx = h.shape
    reach = extent_radii * radius
    j0 = max(0, int(math.ceil((cy_m - reach - y0_m) / dx_m)))
    j1 = min(ny - 1, int(math.floor((cy_m + reach - y0_m) / dx_m)))
    i0 = max(0, int(math.ceil((cx_m - reach - x0_m) / dx_m)))
    i1 = min(nx - 1, int(math.floor((cx_m + reach - x0_m) / dx_m)))
    for j in prange(j0, j1 + 1):
        ddy = y0_m + j * dx_m - cy_m
        for i in range(i0, i1 + 1):
            ddx = x0_m + i * dx_m - cx_m
            r = math.sqrt(ddx * ddx + ddy * ddy)
            h[j, i] += large_crater_height(
                r, radius, floor_radius, depth, rim, terraces, extent_radii
            )


def stamp_large(h: np.ndarray, x0_m: float, y0_m: float, dx_m: float, lc: LargeCrater) -> None:
    """:func:`stamp_large_crater` from the configuration of the large crater (in place)."""
    radius = 0.5 * lc.diameter_m
    stamp_large_crater(
        h,
        x0_m,
        y0_m,
        dx_m,
        lc.center_east_m,
        lc.center_north_m,
        radius,
        lc.floor_diameter_fraction * radius,
        lc.depth_m,
        lc.rim_height_m,
        lc.terraces,
        lc.ejecta_extent_radii,
    )
