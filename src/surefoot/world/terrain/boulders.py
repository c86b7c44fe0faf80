"""Boulders: size-frequency law, boulder tables and compiled stamping (fine level only).

Counts follow a cumulative power law ``N(>D) = k (D / 1 m)^-b`` per m^2, the
form fitted to rock counts at lunar landing sites (Shoemaker and Morris 1969,
"Physics of fragmental debris", Surveyor Program Results, NASA SP-184, with
cumulative slopes of about -2.5). Each boulder is a half-ellipsoid of
horizontal semi-axis ``D / 2`` and height ``height_to_diameter * D`` resting on
the local surface.

Boulder tables are structured arrays of dtype :data:`BOULDER_DTYPE`, positions
in the site map frame; hazard detection uses them as the truth.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from surefoot.config.terrain import BoulderPopulation
from surefoot.world.terrain.sfd import Bounds, PowerLaw, sample_poisson_field, tiled_field

BOULDER_DTYPE = np.dtype(
    [
        ("x_m", np.float64),  # centre, m east of the site (map frame)
        ("y_m", np.float64),  # centre, m north of the site (map frame)
        ("diameter_m", np.float64),  # horizontal diameter, m
        ("height_m", np.float64),  # height above the local surface, m
    ]
)
"""Row of a boulder table."""

_ROW_BLOCK = 32


def boulder_law(pop: BoulderPopulation) -> PowerLaw:
    """The population's cumulative law in SI: per m^2, diameters in m (reference 1 m)."""
    return PowerLaw(
        density_per_m2_at_ref=pop.density_per_m2_above_1m,
        ref_diameter_m=1.0,
        exponent=pop.exponent,
        d_min_m=pop.min_diameter_m,
        d_max_m=pop.max_diameter_m,
    )


def expected_boulder_count(
    pop: BoulderPopulation,
    area_m2: float,
    d_lo_m: float | None = None,
    d_hi_m: float | None = None,
) -> float:
    """Mean number of boulders with diameter in ``[d_lo_m, d_hi_m)`` over ``area_m2`` (m^2)."""
    law = boulder_law(pop)
    lo = law.d_min_m if d_lo_m is None else d_lo_m
    hi = law.d_max_m if d_hi_m is None else d_hi_m
    return law.density_between(lo, hi) * area_m2


def _table(pop: BoulderPopulation, x: np.ndarray, y: np.ndarray, d: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[0], dtype=BOULDER_DTYPE)
    out["x_m"] = x
    out["y_m"] = y
    out["diameter_m"] = d
    out["height_m"] = pop.height_to_diameter * d
    return out


def sample_boulders(
    pop: BoulderPopulation, bounds_m: Bounds, rng: np.random.Generator
) -> np.ndarray:
    """One Poisson draw of boulders with centres uniform in a box.

    Parameters
    ----------
    pop : BoulderPopulation
        Size-frequency law and shape.
    bounds_m : Bounds
        ``(x_min, x_max, y_min, y_max)`` of the centres, site map frame (m).
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    ndarray of BOULDER_DTYPE
    """
    x, y, d, _ = sample_poisson_field(boulder_law(pop), bounds_m, rng)
    return _table(pop, x, y, d)


def boulder_field(
    pop: BoulderPopulation, bounds_m: Bounds, seed_seq: np.random.SeedSequence
) -> np.ndarray:
    """Boulders of the seed-defined field with centres inside a box.

    The same boulder gets the same row whatever box is asked for (tiles with
    their own streams, :func:`surefoot.world.terrain.sfd.tiled_field`).

    Parameters
    ----------
    pop : BoulderPopulation
        Size-frequency law and shape.
    bounds_m : Bounds
        Box of the centres, site map frame (m).
    seed_seq : numpy.random.SeedSequence
        The boulder stream of the terrain seed.

    Returns
    -------
    ndarray of BOULDER_DTYPE
    """
    x, y, d, _ = tiled_field(boulder_law(pop), bounds_m, seed_seq, pop.min_diameter_m)
    return _table(pop, x, y, d)


@njit(cache=True, parallel=True)
def stamp_boulders(
    h: np.ndarray,
    x0_m: float,
    y0_m: float,
    dx_m: float,
    bx_m: np.ndarray,
    by_m: np.ndarray,
    diameter_m: np.ndarray,
    height_m: np.ndarray,
) -> None:
    """Add half-ellipsoid boulders to a height grid in place.

    Parameters
    ----------
    h : (ny, nx) float64
        Heights (m) at nodes ``(x0 + i dx, y0 + j dx)`` of the map frame; row j is north.
    x0_m, y0_m, dx_m : float
        Grid origin and spacing, m.
    bx_m, by_m, diameter_m, height_m : (K,) float64
        Centres (map frame), diameters and heights, m. A node at distance
        ``r < D/2`` rises by ``H sqrt(1 - (2 r / D)^2)``; a boulder smaller
        than the grid spacing may touch no node (it stays in the table).
    """
    ny, nx = h.shape
    nblk = (ny + _ROW_BLOCK - 1) // _ROW_BLOCK
    for b in prange(nblk):
        jb0 = b * _ROW_BLOCK
        jb1 = min(ny, jb0 + _ROW_BLOCK) - 1
        for k in range(bx_m.shape[0]):
            a = 0.5 * diameter_m[k]
            j0 = max(jb0, int(math.ceil((by_m[k] - a - y0_m) / dx_m)))
            j1 = min(jb1, int(math.floor((by_m[k] + a - y0_m) / dx_m)))
            if j0 > j1:
                continue
            i0 = max(0, int(math.ceil((bx_m[k] - a - x0_m) / dx_m)))
            i1 = min(nx - 1, int(math.floor((bx_m[k] + a - x0_m) / dx_m)))
            inv_a2 = 1.0 / (a * a)
            for j in range(j0, j1 + 1):
                ddy = y0_m + j * dx_m - by_m[k]
                for i in range(i0, i1 + 1):
                    ddx = x0_m + i * dx_m - bx_m[k]
                    s = 1.0 - (ddx * ddx + ddy * ddy) * inv_a2
                    if s > 0.0:
                        h[j, i] += height_m[k] * math.sqrt(s)


def stamp_boulder_table(
    h: np.ndarray, x0_m: float, y0_m: float, dx_m: float, table: np.ndarray
) -> None:
    """:func:`stamp_boulders` for a table of :data:`BOULDER_DTYPE` (in place)."""
    if table.shape[0] == 0:
        return
    stamp_boulders(
        h,
        x0_m,
        y0_m,
        dx_m,
        np.ascontiguousarray(table["x_m"]),
        np.ascontiguousarray(table["y_m"]),
        np.ascontiguousarray(table["diameter_m"]),
        np.ascontiguousarray(table["height_m"]),
    )
