"""Hazard lidar against analytic ray intersections with a sphere and with tilted planes.

References (computed here with scipy's rotations and plain NumPy):

- constant-height terrain: the sphere r = R + H, ray-sphere intersection
  (``conftest.sphere_range``);
- tilted plane h = H + gx x + gy y in the site map frame (x, y arc lengths
  along the reference sphere, h the height above it): the ray's point where
  the height above that plane vanishes, by Newton iterations on the exact
  map projection written here in plain NumPy (analytic plane geometry; the
  map's stretch (R + h) / R and the sphere's curvature are millimetre
  effects at 100 m, so they must be in the reference).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from surefoot.config.hda import HazardLidarConfig
from surefoot.sensors.hazard_lidar import (
    HazardLidarParams,
    scan,
    scan_pattern,
    sensor_pose_enu,
    subray_offsets,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import S_R

from .conftest import H_TERRAIN, LAT, LON, OMEGA, R_MOON, rz, sphere_range, truth_state


def _q_scipy_to_ours(rot: Rotation) -> np.ndarray:
    x, y, z, w = rot.as_quat()
    return np.array([w, x, y, z])


def _looking_down(tilt_deg: tuple[float, float] = (0.0, 0.0)) -> Rotation:
    """Sensor-to-ENU rotation: boresight straight down, then tilted about ENU x and y (deg)."""
    down = Rotation.from_euler("x", 180.0, degrees=True)  # sensor z -> ENU -z
    return Rotation.from_euler("yx", [tilt_deg[1], tilt_deg[0]], degrees=True) * down


def _quiet(**kw) -> HazardLidarParams:  # noqa: ANN003
    base = dict(
        rows=24, cols=24, fov_x_rad=math.radians(30.0), fov_y_rad=math.radians(20.0),
        noise_floor_m=0.0, noise_fraction=0.0, divergence_rad=0.0, subrays=1,
    )
    base.update(kw)
    return HazardLidarParams(**base)


@pytest.fixture(scope="module")
def plane() -> tuple[TerrainGrids, float, float]:
    """Tilted plane h = H + gx x + gy y over +-150 m (1 m nodes; bilinear is exact on a plane)."""
    gx, gy = math.tan(math.radians(8.0)), math.tan(math.radians(-3.0))
    xs = np.arange(-150.0, 150.0 + 0.5, 1.0)
    xx, yy = np.meshgrid(xs, xs)
    h = H_TERRAIN + gx * xx + gy * yy
    coarse = np.full((121, 121), H_TERRAIN)
    levels = [(-60_000.0, -60_000.0, 1000.0, coarse), (-150.0, -150.0, 1.0, h)]
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON), gx, gy


def _map_height_excess(p_enu: np.ndarray, gx: float, gy: float) -> np.ndarray:
    """Height above the plane of ENU points (K, 3), from the exact map projection."""
    r = p_enu + [0.0, 0.0, R_MOON]
    horiz = np.hypot(r[:, 0], r[:, 1])
    rho = R_MOON * np.arctan2(horiz, r[:, 2])  # arc length along the reference sphere
    x_map, y_map = rho * r[:, 0] / horiz, rho * r[:, 1] / horiz
    return np.linalg.norm(r, axis=1) - R_MOON - (H_TERRAIN + gx * x_map + gy * y_map)


def _plane_range(o: np.ndarray, d: np.ndarray, gx: float, gy: float) -> np.ndarray:
    """Ranges of rays o + s d (ENU, unit d (K, 3)) to the map-frame plane h = H + gx x + gy y.

    Newton iterations on the exact height excess along the ray (central differences),
    started at the intersection with the ENU plane z = H + gx x + gy y.
    """
    s = (H_TERRAIN + gx * o[0] + gy * o[1] - o[2]) / (d[:, 2] - gx * d[:, 0] - gy * d[:, 1])
    for _ in range(8):
        f = _map_height_excess(o + s[:, None] * d, gx, gy)
        e = 1e-3
        df = (_map_height_excess(o + (s + e)[:, None] * d, gx, gy)
              - _map_height_excess(o + (s - e)[:, None] * d, gx, gy)) / (2.0 * e)
        s = s - f / df
    return s


def test_flat_terrain_ranges_match_the_ray_sphere_intersection(shell: TerrainGrids) -> None:
    r_enu = np.array([12.0, -7.0, H_TERRAIN + 320.0])
    rot = _looking_down((4.0, -6.0))
    out = scan(shell, r_enu, _q_scipy_to_ours(rot), _quiet(), seed=3, step=11)
    assert out.valid.all()
    origin = shell.c_enu_mcmf.T @ (r_enu + [0.0, 0.0, R_MOON])
    d_mcmf = (shell.c_enu_mcmf.T @ rot.apply(out.dirs_sensor).T).T
    want = np.array([sphere_range(origin, d, R_MOON + H_TERRAIN) for d in d_mcmf])
    np.testing.assert_allclose(out.range_m, want, atol=1e-4, rtol=0.0)
    np.testing.assert_allclose(np.linalg.norm(out.points_sensor, axis=1), want, atol=1e-4)


def test_tilted_planes_give_the_analytic_ranges(plane: tuple[TerrainGrids, float, float]) -> None:
    grids, gx, gy = plane
    for r_enu, tilt in (([0.0, 0.0, H_TERRAIN + 100.0], (0.0, 0.0)),
                        ([-20.0, 15.0, H_TERRAIN + 120.0], (8.0, 12.0))):
        r_enu = np.asarray(r_enu)
        rot = _looking_down(tilt)
        out = scan(grids, r_enu, _q_scipy_to_ours(rot), _quiet(), seed=1, step=0)
        assert out.valid.all()
        want = _plane_range(r_enu, rot.apply(out.dirs_sensor), gx, gy)
        np.testing.assert_allclose(out.range_m, want, atol=2e-4, rtol=0.0)


def test_beam_footprint_averages_to_the_centre_range_on_a_plane(
    plane: tuple[TerrainGrids, float, float],
) -> None:
    # a 2 mrad beam at 100 m lights a 0.2 m disk; on a plane the mean of a symmetric ring
    # of sub-rays equals the centre range to second order in the divergence
    grids, gx, gy = plane
    r_enu = np.array([5.0, 5.0, H_TERRAIN + 100.0])
    rot = _looking_down((3.0, 0.0))
    p = _quiet(divergence_rad=2e-3, subrays=9)
    assert subray_offsets(p).shape == (9, 2)
    out = scan(grids, r_enu, _q_scipy_to_ours(rot), p, seed=1, step=0)
    want = _plane_range(r_enu, rot.apply(out.dirs_sensor), gx, gy)
    np.testing.assert_allclose(out.range_m, want, atol=1e-3, rtol=0.0)


def test_footprint_straddling_a_step_returns_a_mixed_range() -> None:
    # a 1 m step along x = 0 (0.05 m nodes): a wide beam centred on the edge sees both levels
    xs = np.arange(-10.0, 10.0 + 1e-9, 0.05)
    xx, _ = np.meshgrid(xs, xs)
    h = H_TERRAIN + np.where(xx > 0.0, 1.0, 0.0)
    coarse = np.full((121, 121), H_TERRAIN)
    levels = [(-60_000.0, -60_000.0, 1000.0, coarse), (-10.0, -10.0, 0.05, h)]
    grids = TerrainGrids.from_levels(levels, LAT, LON, R_MOON)
    rot = _looking_down()
    d = np.array([[0.0, 0.0, 1.0]])
    r_enu = np.array([0.0, 0.0, H_TERRAIN + 50.0])
    narrow = scan(grids, r_enu + [0.5, 0.0, 0.0], _q_scipy_to_ours(rot), _quiet(), 1, 0, d)
    np.testing.assert_allclose(narrow.range_m, [49.0], atol=1e-4)
    wide_beam = _quiet(divergence_rad=0.02, subrays=9)
    wide = scan(grids, r_enu, _q_scipy_to_ours(rot), wide_beam, 1, 0, d)
    assert 49.05 < wide.range_m[0] < 49.95


def test_range_noise_has_the_configured_sigma(shell: TerrainGrids) -> None:
    # sigma = floor + fraction * range = 0.05 + 1e-4 * ~500 m = ~0.10 m
    r_enu = np.array([0.0, 0.0, H_TERRAIN + 430.0])
    rot = _looking_down((30.0, 0.0))  # ~500 m slant
    q = _q_scipy_to_ours(rot)
    clean = scan(shell, r_enu, q, _quiet(rows=64, cols=64), seed=5, step=2)
    noisy = scan(shell, r_enu, q, _quiet(rows=64, cols=64, noise_floor_m=0.05, noise_fraction=1e-4),
                 seed=5, step=2)
    sigma = 0.05 + 1e-4 * clean.range_m
    z = (noisy.range_m - clean.range_m) / sigma
    assert abs(z.mean()) < 4.0 / math.sqrt(z.size)
    assert abs(z.std() - 1.0) < 0.05
    again = scan(shell, r_enu, q, _quiet(rows=64, cols=64, noise_floor_m=0.05, noise_fraction=1e-4),
                 seed=5, step=2)
    np.testing.assert_array_equal(again.range_m, noisy.range_m)
    other = scan(shell, r_enu, q, _quiet(rows=64, cols=64, noise_floor_m=0.05, noise_fraction=1e-4),
                 seed=5, step=3)
    assert np.all(other.range_m != noisy.range_m)


def test_dropouts_and_range_limits(shell: TerrainGrids) -> None:
    q = _q_scipy_to_ours(_looking_down())
    r_enu = np.array([0.0, 0.0, H_TERRAIN + 200.0])
    out = scan(shell, r_enu, q, _quiet(rows=64, cols=64, dropout_probability=0.3), seed=9, step=1)
    k = out.valid.size
    assert abs((~out.valid).mean() - 0.3) < 4.0 * math.sqrt(0.3 * 0.7 / k)
    assert np.all(np.isnan(out.points_sensor[~out.valid]))
    assert np.all(np.isfinite(out.points_sensor[out.valid]))
    assert not scan(shell, r_enu, q, _quiet(max_range_m=150.0), seed=9, step=1).valid.any()
    assert not scan(shell, r_enu, q, _quiet(min_range_m=250.0), seed=9, step=1).valid.any()


def test_scan_patterns_cover_the_field_of_view() -> None:
    raster = scan_pattern(_quiet(rows=5, cols=7))
    assert raster.shape == (35, 3)
    ang_x = np.degrees(np.arctan2(raster[:, 0], raster[:, 2]))
    ang_y = np.degrees(np.arctan2(raster[:, 1], raster[:, 2]))
    np.testing.assert_allclose([ang_x.min(), ang_x.max(), ang_y.min(), ang_y.max()],
                               [-15.0, 15.0, -10.0, 10.0], atol=1e-9)
    rosette = scan_pattern(_quiet(pattern="rosette", beams=2000, petals=9))
    np.testing.assert_allclose(np.linalg.norm(rosette, axis=1), 1.0, atol=1e-12)
    off = np.degrees(np.arccos(rosette[:, 2]))
    assert off.max() <= 15.0 + 1e-9 and off.max() > 14.9  # fills the 30 deg circle
    with pytest.raises(ValueError, match="pattern"):
        scan_pattern(_quiet(pattern="spiral"))


def test_pose_from_the_truth_state_points_the_boresight_down(shell: TerrainGrids, site) -> None:  # noqa: ANN001
    t = 40.0
    params = HazardLidarParams.from_config(HazardLidarConfig(position_body_m=(0.2, 0.0, -1.0)))
    x, rot = truth_state(shell, 30.0, -20.0, H_TERRAIN + 150.0, t)
    r_sensor, q_sensor = sensor_pose_enu(x, t, site, params)
    # upright lander over (30, -20): lever arm (0.2, 0, -1) in local east/north/up
    r_mcmf = rz(OMEGA * t).T @ (x[S_R : S_R + 3] + rot.apply((0.2, 0.0, -1.0)))
    np.testing.assert_allclose(r_sensor, shell.c_enu_mcmf @ r_mcmf - [0.0, 0.0, R_MOON], atol=1e-6)
    assert r_sensor[2] == pytest.approx(H_TERRAIN + 149.0, abs=2e-3)
    bore = Rotation.from_quat(np.roll(q_sensor, -1)).apply([0.0, 0.0, 1.0])
    np.testing.assert_allclose(bore, [0.0, 0.0, -1.0], atol=1e-4)
    # the same beam cast from the truth state directly (MCI -> MCMF) gives the same range
    out = scan(shell, r_sensor, q_sensor, _quiet(), 1, 0, np.array([[0.0, 0.0, 1.0]]))
    origin = rz(OMEGA * t).T @ (x[S_R : S_R + 3] + rot.apply((0.2, 0.0, -1.0)))
    d = rz(OMEGA * t).T @ rot.apply([0.0, 0.0, -1.0])
    assert out.range_m[0] == pytest.approx(sphere_range(origin, d, R_MOON + H_TERRAIN), abs=2e-3)


def test_parallel_scan_equals_the_serial_scan_bit_for_bit() -> None:
    import numba

    from surefoot.sensors import hazard_lidar

    # rough ground (rocks, pits, 0.1 m nodes) so that footprints mix and beams miss
    rng = np.random.default_rng(11)
    xs = np.arange(-40.0, 40.0 + 1e-9, 0.1)
    h = H_TERRAIN + 0.3 * rng.standard_normal((xs.size, xs.size))
    xx, yy = np.meshgrid(xs, xs)
    for cx, cy, rad in rng.uniform([-35, -35, 0.3], [35, 35, 2.0], size=(60, 3)):
        h += np.clip(rad**2 - (xx - cx) ** 2 - (yy - cy) ** 2, 0.0, None) / rad
    coarse = np.full((121, 121), H_TERRAIN)
    levels = [(-60_000.0, -60_000.0, 1000.0, coarse), (-40.0, -40.0, 0.1, h)]
    grids = TerrainGrids.from_levels(levels, LAT, LON, R_MOON)
    params = HazardLidarParams(
        rows=96, cols=96, fov_x_rad=math.radians(16.0), fov_y_rad=math.radians(16.0),
        noise_floor_m=0.02, noise_fraction=1e-4, divergence_rad=2e-3, subrays=7,
        dropout_probability=0.05, max_range_m=260.0,
    )
    q = _q_scipy_to_ours(_looking_down((12.0, -5.0)))
    r_enu = np.array([3.0, -2.0, H_TERRAIN + 250.0])
    if numba.get_num_threads() < 2:
        pytest.skip("one Numba thread: nothing to compare with the serial scan")
    assert hazard_lidar._scan_kernel_parallel.targetoptions.get("parallel") is True
    par = scan(grids, r_enu, q, params, seed=4, step=77)
    ser = scan(grids, r_enu, q, params, seed=4, step=77, parallel=False)
    # a mix of hits, misses (beyond max range at the edge) and dropouts
    assert 0.5 < par.valid.mean() < 0.97
    np.testing.assert_array_equal(par.range_m, ser.range_m)
    np.testing.assert_array_equal(par.valid, ser.valid)
