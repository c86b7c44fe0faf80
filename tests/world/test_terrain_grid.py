"""Terrain grid queries and ray casting against analytic surfaces.

Heights are over a sphere, so the analytic references are:
- a constant height H on every level: the surface is the sphere of radius
  R + H concentric with the reference sphere, and a ray meets it at
  s = -(o.d) - sqrt((o.d)^2 - |o|^2 + (R + H)^2) (ray-sphere intersection);
- a plane in map coordinates h = h0 + a x + b y (bilinear interpolation
  reproduces it exactly on every level): the intersection is the root of
  |p(s)| - R - h(x(p), y(p)) with the azimuthal-equidistant projection
  (Snyder 1987, "Map Projections - A Working Manual", USGS PP 1395, ch. 25)
  written out independently here, solved to 1e-9 m by Brent's method.
Both must match the compiled ray cast to 1 mm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from surefoot.config.terrain import TerrainConfig
from surefoot.math.frames import enu_basis_mcmf, mcmf_to_map
from surefoot.world.terrain.grid import TerrainGrids, altitude_above_terrain
from surefoot.world.terrain.synthetic import build_terrain

R_MOON = 1_737_400.0
LAT = math.radians(-13.3)
LON = math.radians(25.2)


def _nested(fn, boxes: list[tuple[float, float]]) -> TerrainGrids:  # noqa: ANN001
    """Levels ``[(half_width_m, dx_m), ...]`` centred on the site, heights ``fn(x, y)``."""
    levels = []
    for half, dx in boxes:
        n = int(round(2 * half / dx)) + 1
        xs = -half + dx * np.arange(n)
        xx, yy = np.meshgrid(xs, xs)
        levels.append((-half, -half, dx, fn(xx, yy)))
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON)


def _rays(grids: TerrainGrids) -> tuple[np.ndarray, np.ndarray]:
    """Origins 1.5-5 km up over several map points, slants 0-70 deg from nadir, MCMF."""
    origins, dirs = [], []
    k = 0
    for x, y in ((0.0, 0.0), (250.0, -130.0), (-3200.0, 900.0), (4100.0, 4100.0)):
        for alt in (1500.0, 5000.0):
            for slant_deg in (0.0, 20.0, 45.0, 70.0):
                k += 1
                az = math.radians(37.0 * k)
                o = grids.to_mcmf(x, y, alt)
                up = o / np.linalg.norm(o)
                # local east/north at the origin (not the site's)
                east = np.cross(np.array([0.0, 0.0, 1.0]), up)  # spin axis x up
                east /= np.linalg.norm(east)
                north = np.cross(up, east)
                s = math.radians(slant_deg)
                d = -math.cos(s) * up + math.sin(s) * (math.sin(az) * east + math.cos(az) * north)
                origins.append(o)
                dirs.append(d / np.linalg.norm(d))
    return np.array(origins), np.array(dirs)


def test_raycast_constant_height_is_exact_sphere_intersection() -> None:
    """Ray-sphere intersection with the shell r = R + H, to 1 mm, across three levels."""
    h0 = 1234.5
    g = _nested(lambda x, y: np.full_like(x, h0), [(20_000.0, 100.0), (3000.0, 10.0),
                                                     (300.0, 1.0)])
    o, d = _rays(g)
    got = g.raycast(o, d, max_range_m=50_000.0)
    b = np.einsum("ij,ij->i", o, d)
    c = np.einsum("ij,ij->i", o, o) - (R_MOON + h0) ** 2
    want = -b - np.sqrt(b * b - c)
    np.testing.assert_allclose(got, want, rtol=0.0, atol=1e-3)
    assert want.max() > 10_000.0  # the 70 deg rays from 5 km travel far across levels


def _map_xyh(p: np.ndarray, c_enu_mcmf: np.ndarray) -> tuple[float, float, float]:
    """Azimuthal-equidistant map coordinates (Snyder 1987) of an MCMF point, written out."""
    e, n, u = c_enu_mcmf @ p
    rho = math.hypot(e, n)
    ang = math.atan2(rho, u)  # central angle from the site
    k = R_MOON * ang / rho if rho > 0 else 0.0
    return k * e, k * n, float(np.linalg.norm(p)) - R_MOON


def test_raycast_tilted_plane_matches_exact_root() -> None:
    """A plane h = h0 + a x + b y in map coordinates on three nested levels: the ray cast
    equals the root of the exact height-above-surface function to 1 mm."""
    h0, a, b = -800.0, 0.05, -0.03
    plane = lambda x, y: h0 + a * x + b * y  # noqa: E731
    g = _nested(plane, [(20_000.0, 100.0), (3000.0, 10.0), (300.0, 1.0)])
    c = g.c_enu_mcmf
    # The written-out projection agrees with the one in surefoot.math.frames.
    p = g.to_mcmf(1234.0, -987.0, 55.0)
    np.testing.assert_allclose(_map_xyh(p, c), mcmf_to_map(p, c, R_MOON), atol=1e-6)
    # And the grid reproduces the plane exactly on every level.
    xs = np.array([0.3, 150.7, -2500.2, 7000.9, -15_000.0])
    ys = np.array([-0.4, 99.1, 1800.8, -6000.3, 12_000.0])
    np.testing.assert_allclose(g.height(xs, ys), plane(xs, ys), atol=1e-8)

    o, d = _rays(g)
    got = g.raycast(o, d, max_range_m=50_000.0)

    def f(s: float, k: int) -> float:
        x, y, hp = _map_xyh(o[k] + s * d[k], c)
        return hp - plane(x, y)

    for k in range(o.shape[0]):
        hi = 1.0
        while f(hi, k) > 0.0:
            hi *= 1.5
        want = brentq(f, 0.0, hi, args=(k,), xtol=1e-9, rtol=1e-15)
        assert got[k] == pytest.approx(want, abs=1e-3), k


def test_raycast_misses_and_starts_below() -> None:
    g = _nested(lambda x, y: np.zeros_like(x), [(5000.0, 100.0)])
    o = g.to_mcmf(0.0, 0.0, 1000.0)
    up = o / np.linalg.norm(o)
    assert np.isnan(g.raycast(o, up, max_range_m=10_000.0)[0])
    assert np.isnan(g.raycast(o, -up, max_range_m=500.0)[0])  # out of range
    below = g.to_mcmf(10.0, 10.0, -5.0)
    assert g.raycast(below, -up)[0] == 0.0


def test_nadir_ray_on_generated_terrain_equals_altitude() -> None:
    """On real generated terrain a ray straight down the radial hits at the altitude above
    the terrain (both are the height of the point minus the surface height below it)."""
    cfg = TerrainConfig()
    g = build_terrain(
        cfg, site_lat_rad=LAT, site_lon_rad=LON, radius_ref_m=R_MOON,
        approach_azimuth_rad=math.radians(80.0), uprange_length_m=60_000.0,
    )
    rng = np.random.default_rng(4)
    pts = np.column_stack([rng.uniform(-900.0, 900.0, 40), rng.uniform(-900.0, 900.0, 40)])
    for x, y in pts:
        o = g.to_mcmf(x, y, 3000.0)
        alt = altitude_above_terrain(o, g.c_enu_mcmf, R_MOON, g.meta, g.offsets, g.heights)
        assert alt == pytest.approx(3000.0 - float(g.height(x, y)), abs=1e-6)
        rng_m = g.raycast(o, -o / np.linalg.norm(o), max_range_m=20_000.0)[0]
        assert rng_m == pytest.approx(alt, abs=1e-3)


def test_height_gradient_and_slope_of_plane() -> None:
    a, b = 0.1, 0.2
    g = _nested(lambda x, y: 10.0 + a * x + b * y, [(1000.0, 10.0)])
    assert g.slope_deg(3.3, -7.1) == pytest.approx(math.degrees(math.atan(math.hypot(a, b))))
    # Outside every level: the coarsest level is clamped at its edge.
    assert float(g.height(5000.0, 0.0)) == pytest.approx(10.0 + a * 1000.0)


def test_enu_basis_is_orthonormal() -> None:
    c = enu_basis_mcmf(LAT, LON)
    np.testing.assert_allclose(c @ c.T, np.eye(3), atol=1e-15)
