"""The fast terrain look-ups and covariance product give the plain arithmetic's results to the bit.

Issue 14 made the look-ups of ``surefoot.math.height_grid`` inlined and
division-free on levels a point is clearly outside of, the map-to-MCMF
conversion scalar (``frames.map_to_mcmf_xyz``) and the covariance product of
``fsw.nav.mechanization.propagate_covariance`` column-wise. A flight must stay
bit for bit what it was, so each is checked here against a plain Python
reference of the former arithmetic (IEEE double, the same operations in the
same order), including points on and one ulp beyond level edges, and against
geometry (the map projection's inverse, the dense product ``Phi P Phi^T``).
"""

from __future__ import annotations

import math

import numpy as np

from surefoot.fsw.nav.layout import N_P
from surefoot.fsw.nav.mechanization import propagate_covariance, transition
from surefoot.math.frames import enu_basis_mcmf, map_to_mcmf, map_to_mcmf_xyz, mcmf_to_map
from surefoot.math.height_grid import (
    _level_of,
    altitude_above_terrain,
    altitude_above_terrain_xyz,
    terrain_height,
    terrain_height_gradient,
)
from surefoot.world.terrain.grid import TerrainGrids

R_MOON = 1_737_400.0
LAT = math.radians(-13.3)
LON = math.radians(25.2)


def _grids() -> TerrainGrids:
    """Three nested levels of rough heights (coarse 100 m, 10 m, fine 1 m)."""
    rng = np.random.default_rng(3)
    levels = []
    for half, dx in ((20_000.0, 100.0), (2_000.0, 10.0), (150.0, 1.0)):
        n = int(round(2 * half / dx)) + 1
        levels.append((-half, -half, dx, 40.0 * rng.standard_normal((n, n))))
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON)


def _plain_level(meta: np.ndarray, x: float, y: float) -> int:
    for lev in range(meta.shape[0] - 1, -1, -1):
        fx = (x - meta[lev, 0]) / meta[lev, 2]
        fy = (y - meta[lev, 1]) / meta[lev, 2]
        if fx >= 0.0 and fy >= 0.0 and fx <= meta[lev, 3] - 1.0 and fy <= meta[lev, 4] - 1.0:
            return lev
    return 0


def _plain_height(g: TerrainGrids, x: float, y: float) -> tuple[float, float, float]:
    """The former ``terrain_height_gradient``, in Python floats."""
    meta = g.meta
    lev = _plain_level(meta, x, y)
    x0, y0, dx = meta[lev, 0], meta[lev, 1], meta[lev, 2]
    nx, ny = int(meta[lev, 3]), int(meta[lev, 4])
    fx = min(max((x - x0) / dx, 0.0), nx - 1.0)
    fy = min(max((y - y0) / dx, 0.0), ny - 1.0)
    i = min(int(fx), nx - 2)
    j = min(int(fy), ny - 2)
    tx, ty = fx - i, fy - j
    base = int(g.offsets[lev]) + j * nx + i
    h00, h10 = float(g.heights[base]), float(g.heights[base + 1])
    h01, h11 = float(g.heights[base + nx]), float(g.heights[base + nx + 1])
    h = (1.0 - ty) * ((1.0 - tx) * h00 + tx * h10) + ty * ((1.0 - tx) * h01 + tx * h11)
    gx = ((1.0 - ty) * (h10 - h00) + ty * (h11 - h01)) / dx
    gy = ((1.0 - tx) * (h01 - h00) + tx * (h11 - h10)) / dx
    return h, gx, gy


def _edge_points(g: TerrainGrids) -> list[tuple[float, float]]:
    """Points on every level's edges, one ulp either side, and outside every level."""
    pts = []
    for lev in range(g.meta.shape[0]):
        x0, y0, dx, nx, ny = g.meta[lev]
        x1 = x0 + (nx - 1.0) * dx
        y1 = y0 + (ny - 1.0) * dx
        for xe in (x0, x1):
            for xx in (np.nextafter(xe, -np.inf), xe, np.nextafter(xe, np.inf)):
                pts.append((float(xx), 0.5 * (y0 + y1) + 0.3))
        for ye in (y0, y1):
            for yy in (np.nextafter(ye, -np.inf), ye, np.nextafter(ye, np.inf)):
                pts.append((0.5 * (x0 + x1) - 0.7, float(yy)))
    pts += [(-5e5, 3e5), (1e6, -1e6), (0.0, 0.0)]
    return pts


def test_lookups_equal_plain_arithmetic_bit_for_bit() -> None:
    g = _grids()
    rng = np.random.default_rng(7)
    pts = (
        _edge_points(g)
        + [(float(x), float(y)) for x, y in rng.uniform(-25_000.0, 25_000.0, (300, 2))]
        + [(float(x), float(y)) for x, y in rng.uniform(-200.0, 200.0, (300, 2))]
    )
    for x, y in pts:
        ref = _plain_height(g, x, y)
        assert _level_of(g.meta, x, y) == _plain_level(g.meta, x, y)
        assert terrain_height(g.meta, g.offsets, g.heights, x, y) == ref[0]
        assert terrain_height_gradient(g.meta, g.offsets, g.heights, x, y) == ref


def test_altitude_equals_map_projection_then_height() -> None:
    """altitude = height over the sphere (mcmf_to_map) minus the terrain there, to the bit."""
    g = _grids()
    c = enu_basis_mcmf(LAT, LON)
    rng = np.random.default_rng(11)
    for _ in range(400):
        xm, ym = rng.uniform(-30_000.0, 30_000.0, 2)
        r = map_to_mcmf(xm, ym, rng.uniform(-50.0, 9_000.0), c, R_MOON)
        x, y, hp = mcmf_to_map(r, c, R_MOON)
        ref = hp - _plain_height(g, x, y)[0]
        assert altitude_above_terrain(r, c, R_MOON, g.meta, g.offsets, g.heights) == ref
        assert (
            altitude_above_terrain_xyz(r[0], r[1], r[2], c, R_MOON, g.meta, g.offsets, g.heights)
            == ref
        )


def test_map_to_mcmf_scalar_form_and_inverse() -> None:
    c = enu_basis_mcmf(LAT, LON)
    rng = np.random.default_rng(5)
    for xm, ym, h in [(0.0, 0.0, 12.0)] + [tuple(v) for v in rng.uniform(-9e4, 9e4, (200, 3))]:
        r = map_to_mcmf(xm, ym, h, c, R_MOON)
        assert tuple(r) == map_to_mcmf_xyz(xm, ym, h, c, R_MOON)
        # the azimuthal-equidistant projection's inverse brings the point back
        x2, y2, h2 = mcmf_to_map(r, c, R_MOON)
        assert abs(x2 - xm) < 1e-6 and abs(y2 - ym) < 1e-6 and abs(h2 - h) < 1e-6


def test_covariance_product_equals_dense_product() -> None:
    """Phi P Phi^T of propagate_covariance (Q off) equals the dense product in ascending
    order, skipping exact zeros of Phi as a dense product's 0 * P terms vanish."""
    rng = np.random.default_rng(2)
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    phi = transition(rng.standard_normal(3), q, np.array([1.7e6, 2e5, -3e5]), 4.9e12, 0.1)
    a = rng.standard_normal((15, 15))
    cov = a @ a.T
    p = np.zeros(N_P)  # no process noise: P_Q_* and P_SF_* are zero
    out = cov.copy()
    propagate_covariance(out, phi, p, np.zeros(3), np.zeros(3), 0.1)
    ap = np.zeros((15, 15))
    for i in range(15):
        for k in range(15):
            if phi[i, k] != 0.0:
                for j in range(15):
                    ap[i, j] += phi[i, k] * cov[k, j]
    ref = np.zeros((15, 15))
    for i in range(15):
        for j in range(i, 15):
            acc = 0.0
            for k in range(15):
                if phi[j, k] != 0.0:
                    acc += ap[i, k] * phi[j, k]
            ref[i, j] = ref[j, i] = acc
    assert np.array_equal(out, ref)
    np.testing.assert_allclose(out, phi @ cov @ phi.T, rtol=1e-12, atol=1e-9)
