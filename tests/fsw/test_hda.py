"""Hazard detection and avoidance (``surefoot.fsw.hda``) against geometry with known answers.

Point clouds are made here, not by the truth lidar: a raster of beams from a
known pose is ray-cast (march, then bisection) against an analytic height
field e(east, north) and given Gaussian range noise, and the flight software
gets the same pose as its estimate unless a test says otherwise.

References:
- a plane ``z = s_e e + s_n n`` has slope ``atan(hypot(s_e, s_n))``;
- the least-squares plane over a footprint of ``N`` cells centred on a rock
  of ``n`` cells and height ``h`` (symmetric about the centre) is raised by
  ``h n / N`` with no tilt, so the rock stands ``h (1 - n/N)`` above it;
- the expected maximum of ``N`` standard normals is ~2.7 for ``N`` ~ 200
  (flat-ground relief is that many noise sigmas);
- an attitude error ``delta`` rotates the whole map, tilting flat ground by ``delta``;
- the height error from an attitude error ``delta`` on a beam of range ``rho``
  at off-nadir angle ``theta`` is ``rho delta sin(theta)``;
- a bang-bang divert over ``d`` at acceleration ``a`` needs ``2 sqrt(d a)``
  of delta-v, and the rocket equation gives its propellant;
- an independent brute-force least-squares fit (``numpy.linalg.lstsq``) per
  footprint for the FFT/offset-loop implementation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from surefoot.config.hda import HdaConfig
from surefoot.fsw.hda import detect_and_select, divert_propellant_kg
from surefoot.fsw.hda.elevation_map import ElevationMap, elevation_map, points_to_enu
from surefoot.fsw.hda.footprint_analysis import analyse_footprints, footprint_offsets

CFG = HdaConfig()
HeightField = Callable[[np.ndarray, np.ndarray], np.ndarray]
TARGET = np.array([0.0, 0.0, 0.0])
SENSOR_ENU = np.array([1.0, -2.0, 150.0])
MASS_KG, VE_M_S = 1500.0, 3000.0


# ---------------------------------------------------------------- synthetic scans


def rot_x(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def nadir_c_enu_sensor(tilt_deg: float = 0.0) -> np.ndarray:
    """Sensor -> ENU: boresight (+z) down, +x east, then a tilt about east by ``tilt_deg``."""
    c_nadir = np.column_stack(([1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]))
    return rot_x(math.radians(tilt_deg)) @ c_nadir


def raster_dirs(n: int = 128, fov_deg: float = 10.0) -> np.ndarray:
    a = np.linspace(-0.5, 0.5, n) * math.radians(fov_deg)
    gx, gy = np.meshgrid(a, a)
    d = np.column_stack((np.tan(gx.ravel()), np.tan(gy.ravel()), np.ones(gx.size)))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def synthetic_scan(
    height: HeightField,
    z_band: tuple[float, float],
    sensor_enu: np.ndarray = SENSOR_ENU,
    c_enu_sensor: np.ndarray | None = None,
    noise_m: float = CFG.range_noise_floor_m,
    seed: int = 0,
    n_beams: int = 128,
    fov_deg: float = 10.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points (sensor frame), valid mask and the C_enu_sensor used.

    The first crossing of each ray below ``height`` is found by marching in
    vertical steps of 1 cm through ``z_band`` (the field's bounds), then 30
    bisections.
    """
    c = nadir_c_enu_sensor() if c_enu_sensor is None else c_enu_sensor
    d_s = raster_dirs(n_beams, fov_deg)
    d = d_s @ c.T
    r = np.asarray(sensor_enu, float)

    def above(t: np.ndarray) -> np.ndarray:
        p = r + t[:, None] * d
        return p[:, 2] - height(p[:, 0], p[:, 1])

    t_top = (r[2] - z_band[1] - 0.01) / -d[:, 2]
    t_bot = (r[2] - z_band[0] + 0.01) / -d[:, 2]
    steps = int(np.ceil((z_band[1] - z_band[0] + 0.02) / 0.01)) + 1
    lo, hi = t_top.copy(), np.full_like(t_top, np.nan)
    for s in range(1, steps + 1):
        t = t_top + (t_bot - t_top) * s / steps
        hit = np.isnan(hi) & (above(t) <= 0.0)
        hi[hit] = t[hit]
        lo = np.where(np.isnan(hi), t, lo)
    # a ray already below the surface at the top of the band has no first crossing in it
    valid = np.isfinite(hi) & (above(t_top) > 0.0)
    lo, hi = lo[valid], hi[valid]
    rv, dv = r, d[valid]
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        p = rv + mid[:, None] * dv
        up = p[:, 2] - height(p[:, 0], p[:, 1]) > 0.0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    rho = np.full(d.shape[0], np.nan)
    rho[valid] = 0.5 * (lo + hi)
    rng = np.random.default_rng(seed)
    rho += noise_m * rng.standard_normal(rho.shape)
    return rho[:, None] * d_s, valid, c


@dataclass(frozen=True)
class Box:
    """Square rock of height ``h`` and half-side ``half`` centred at (e, n)."""

    e: float
    n: float
    half: float
    h: float

    def height(self, e: np.ndarray, n: np.ndarray) -> np.ndarray:
        inside = (np.abs(e - self.e) <= self.half) & (np.abs(n - self.n) <= self.half)
        return np.where(inside, self.h, 0.0)

    def distance(self, e: float, n: float) -> float:
        de = max(abs(e - self.e) - self.half, 0.0)
        dn = max(abs(n - self.n) - self.half, 0.0)
        return math.hypot(de, dn)


@dataclass(frozen=True)
class Pit:
    """Cylindrical hole of radius ``radius`` and depth ``depth`` centred at (e, n)."""

    e: float
    n: float
    radius: float
    depth: float

    def height(self, e: np.ndarray, n: np.ndarray) -> np.ndarray:
        return np.where(np.hypot(e - self.e, n - self.n) <= self.radius, -self.depth, 0.0)

    def distance(self, e: float, n: float) -> float:
        return max(math.hypot(e - self.e, n - self.n) - self.radius, 0.0)


def terrain(hazards: list, ground_m: float = 0.0) -> tuple[HeightField, tuple[float, float]]:
    def h(e: np.ndarray, n: np.ndarray) -> np.ndarray:
        z = np.full(np.shape(e), ground_m)
        for hz in hazards:
            z = z + hz.height(e, n)
        return z

    top = ground_m + sum(max(getattr(hz, "h", 0.0), 0.0) for hz in hazards)
    bottom = ground_m - sum(getattr(hz, "depth", 0.0) for hz in hazards)
    return h, (bottom, top)


def run(points: np.ndarray, valid: np.ndarray, c: np.ndarray, cfg: HdaConfig = CFG, **kw):
    return detect_and_select(
        points, valid, kw.pop("sensor", SENSOR_ENU), c, TARGET, cfg, MASS_KG, VE_M_S, **kw
    )


def cell_of(emap: ElevationMap, e: float, n: float) -> tuple[int, int]:
    return int(np.argmin(np.abs(emap.north_m - n))), int(np.argmin(np.abs(emap.east_m - e)))


def interior(res, cov: float = 1.0) -> np.ndarray:
    return res.footprint.coverage >= cov


def cell_distance_to(hazard, emap: ElevationMap) -> np.ndarray:
    e, n = np.meshgrid(emap.east_m, emap.north_m)
    return np.vectorize(hazard.distance)(e, n)


# ---------------------------------------------------------------- elevation map


def test_attitude_height_sigma_is_range_times_error_times_sin_off_nadir() -> None:
    """One beam at 20 deg off nadir, 300 m: sigma_att = rho delta sin(theta), sigma_r |cos|."""
    theta, rho, delta = math.radians(20.0), 300.0, math.radians(0.05)
    sensor = np.array([0.0, 0.0, rho * math.cos(theta)])
    point = np.array([[rho * math.sin(theta), 0.0, 0.0]])
    emap = elevation_map(point, sensor, point[0, :2], 10.0, 0.25, 0.02, 0.0, delta)
    i, j = cell_of(emap, point[0, 0], 0.0)
    assert emap.count.sum() == 1 and emap.count[i, j] == 1
    assert emap.sigma_attitude_m[i, j] == pytest.approx(rho * delta * math.sin(theta), rel=1e-9)
    assert emap.sigma_noise_m[i, j] == pytest.approx(0.02 * math.cos(theta), rel=1e-9)
    assert np.isnan(emap.height_m).sum() == emap.height_m.size - 1


def test_points_to_enu_inverts_the_pose() -> None:
    c = nadir_c_enu_sensor(17.0)
    p_enu = np.array([[3.0, -4.0, 1.0], [0.5, 2.0, -0.3]])
    p_sensor = (p_enu - SENSOR_ENU) @ c
    got, rng = points_to_enu(p_sensor, np.array([True, True]), SENSOR_ENU, c)
    np.testing.assert_allclose(got, p_enu, atol=1e-9)
    np.testing.assert_allclose(rng, np.linalg.norm(p_enu - SENSOR_ENU, axis=1))
    with pytest.raises(ValueError, match="c_enu_sensor"):
        points_to_enu(p_sensor, np.array([True, True]), SENSOR_ENU, 2.0 * c)


# ---------------------------------------------------------------- footprint analysis


def test_footprint_analysis_matches_brute_force_least_squares() -> None:
    """FFT moments + offset loop equal a per-footprint numpy.linalg.lstsq, holes included."""
    rng = np.random.default_rng(3)
    n, cell, radius = 31, 0.25, 1.0
    axis = (np.arange(n) - n // 2) * cell
    e, nn = np.meshgrid(axis, axis)
    observed = rng.random((n, n)) > 0.2
    jitter = rng.uniform(-0.1, 0.1, (2, n, n))
    ce, cn = e + jitter[0], nn + jitter[1]
    z = 40.0 + 0.1 * ce - 0.05 * cn + rng.normal(0.0, 0.1, (n, n))
    sig = rng.uniform(0.01, 0.03, (n, n))
    nan = np.where(observed, 1.0, np.nan)
    emap = ElevationMap(
        axis,
        axis,
        cell,
        z * nan,
        ce * nan,
        cn * nan,
        observed.astype(np.int64),
        sig * nan,
        0.0 * nan,
    )
    fp = analyse_footprints(emap, radius)
    offs = footprint_offsets(radius, cell)
    checked = 0
    for i in range(n):
        for j in range(n):
            qi, qj = offs[:, 0] + i, offs[:, 1] + j
            on = (qi >= 0) & (qi < n) & (qj >= 0) & (qj < n)
            qi, qj = qi[on], qj[on]
            keep = observed[qi, qj]
            qi, qj = qi[keep], qj[keep]
            assert fp.coverage[i, j] == pytest.approx(qi.size / offs.shape[0])
            if qi.size < 6:
                continue
            w = 1.0 / sig[qi, qj]
            a_mat = np.column_stack((np.ones(qi.size), ce[qi, qj], cn[qi, qj]))
            coef = np.linalg.lstsq(a_mat * w[:, None], z[qi, qj] * w, rcond=None)[0]
            res = z[qi, qj] - a_mat @ coef
            assert fp.slope_deg[i, j] == pytest.approx(
                math.degrees(math.atan(math.hypot(coef[1], coef[2]))), abs=1e-7
            )
            assert fp.relief_m[i, j] == pytest.approx(max(res.max(), 0.0), abs=1e-8)
            assert fp.depth_m[i, j] == pytest.approx(max(-res.min(), 0.0), abs=1e-8)
            plane_centre = coef[0] + coef[1] * e[i, j] + coef[2] * nn[i, j]
            assert fp.plane_up_m[i, j] == pytest.approx(plane_centre, abs=1e-8)
            checked += 1
    assert checked > 0.8 * n * n


@pytest.mark.parametrize(("slope_deg", "tilt_deg"), [(3.0, 0.0), (12.0, 0.0), (3.0, 15.0)])
def test_tilted_plane_slope_and_noise_level_relief(slope_deg: float, tilt_deg: float) -> None:
    """Plane rising at ``slope_deg`` toward azimuth 30 deg: slope within 0.3 deg everywhere.

    Relief and depth of a plane are pure noise: about 2.7 (the expected max of
    ~200 normals) cell noise sigmas, checked between 1.5 and 4.5.
    """
    g = math.tan(math.radians(slope_deg))
    ge, gn = g * math.sin(math.radians(30.0)), g * math.cos(math.radians(30.0))
    # heights the beams can meet: within the ground reach of the widest beam
    reach = 5.0 + SENSOR_ENU[2] * math.tan(math.radians(tilt_deg + 8.0))
    span = 1.0 + reach * g

    def plane(e: np.ndarray, n: np.ndarray) -> np.ndarray:
        return 10.0 + ge * e + gn * n

    c = nadir_c_enu_sensor(tilt_deg)
    pts, ok, c = synthetic_scan(plane, (10.0 - span, 10.0 + span), c_enu_sensor=c)
    assert ok.all()
    res = run(pts, ok, c)
    inner = interior(res)
    assert inner.sum() > 1000
    err = res.footprint.slope_deg[inner] - slope_deg
    # the fit's own sigma explains the scatter (attitude is exact here)
    z_rms = float(np.sqrt(np.mean((err / res.footprint.slope_sigma_deg[inner]) ** 2)))
    print(
        f"slope {slope_deg} tilt {tilt_deg}: max |err| {np.abs(err).max():.4f} deg, "
        f"median |err| {np.median(np.abs(err)):.4f}, rms err/sigma {z_rms:.2f}"
    )
    assert np.abs(err).max() < 0.3
    assert 0.7 < z_rms < 1.3
    sigma_cell = float(np.median(res.elevation.sigma_noise_m[res.elevation.observed]))
    for extreme in (res.footprint.relief_m[inner], res.footprint.depth_m[inner]):
        ratio = float(np.median(extreme)) / sigma_cell
        print(f"  median extreme / cell sigma = {ratio:.2f} (cell sigma {sigma_cell:.4f} m)")
        assert 1.5 < ratio < 4.5
    if slope_deg < CFG.tilt_limit_deg:
        assert res.safety.safe[inner].all()
        assert res.found
        truth_up = plane(np.array(res.site_east_m), np.array(res.site_north_m))
        assert res.site_up_m == pytest.approx(float(truth_up), abs=0.02)
        if tilt_deg == 0.0:  # the target is in the scan
            assert res.divert_m == 0.0
    else:
        assert not res.safety.safe.any()
        assert not res.found


def test_attitude_error_tilts_flat_ground_by_the_error() -> None:
    """Estimated attitude off by 0.5 deg about east: flat ground reads 0.5 deg of slope.

    Per footprint the fit scatters by its noise (~0.06 deg), so the median is checked.
    """
    h, band = terrain([])
    pts, ok, c_true = synthetic_scan(h, band)
    c_est = rot_x(math.radians(0.5)) @ c_true
    res = run(pts, ok, c_est)
    slope = res.footprint.slope_deg[interior(res)]
    print(f"attitude 0.5 deg -> median slope {np.median(slope):.4f} deg")
    assert np.median(slope) == pytest.approx(0.5, abs=0.02)


# ---------------------------------------------------------------- rocks and holes


@pytest.mark.parametrize("rock_h", [0.5, 0.1])
def test_box_rock_relief_and_safety(rock_h: float) -> None:
    """A 3 x 3-cell box rock of height h: relief h (1 - 9/N) on its centre footprint.

    0.5 m (above the 0.3 m leg clearance): every cell whose footprint holds a
    rock cell is unsafe. 0.1 m: the same cells are safe.
    """
    rock = Box(3.0, 2.0, 0.375, rock_h)
    h, band = terrain([rock], ground_m=5.0)
    pts, ok, c = synthetic_scan(h, band)
    res = run(pts, ok, c)
    fp = res.footprint
    expect = rock_h * (1.0 - 9.0 / fp.disk_cells)
    got = fp.relief_m[cell_of(res.elevation, rock.e, rock.n)]
    print(f"rock {rock_h} m: relief {got:.4f} m, expected {expect:.4f} m")
    assert got == pytest.approx(expect, abs=0.03)
    near = (cell_distance_to(rock, res.elevation) <= CFG.footprint_radius_m - CFG.cell_m) & (
        interior(res)
    )
    assert near.sum() > 150
    if rock_h > CFG.leg_clearance_m:
        print(f"  min relief over footprints holding the rock: {fp.relief_m[near].min():.3f} m")
        assert not res.safety.safe[near].any()
    else:
        assert res.safety.safe[near].all()


def test_hole_deeper_than_max_step_is_unsafe() -> None:
    """Pit of radius 0.5 m, 0.6 m deep (> 0.3 m max step): depth ~ 0.6 (1 - area/footprint)."""
    pit = Pit(-3.0, 1.0, 0.5, 0.6)
    h, band = terrain([pit])
    pts, ok, c = synthetic_scan(h, band)
    res = run(pts, ok, c)
    fp = res.footprint
    expect = pit.depth * (1.0 - math.pi * pit.radius**2 / (fp.disk_cells * CFG.cell_m**2))
    got = fp.depth_m[cell_of(res.elevation, pit.e, pit.n)]
    print(f"pit depth {got:.4f} m, expected {expect:.4f} m")
    assert got == pytest.approx(expect, abs=0.05)
    near = (cell_distance_to(pit, res.elevation) <= CFG.footprint_radius_m - CFG.cell_m) & (
        interior(res)
    )
    assert near.sum() > 150
    assert not res.safety.safe[near].any()
    assert res.found and pit.distance(res.site_east_m, res.site_north_m) > CFG.footprint_radius_m


# ---------------------------------------------------------------- site selection


def random_hazards(rng: np.random.Generator, keep_out_m: float = 0.0) -> list:
    hazards: list = []
    while len(hazards) < 7:
        e, n = rng.uniform(-9.0, 9.0, 2)
        if math.hypot(e, n) < keep_out_m:
            continue
        if len(hazards) < 5:
            hazards.append(Box(e, n, rng.uniform(0.25, 0.5), rng.uniform(0.4, 0.8)))
        else:
            hazards.append(Pit(e, n, rng.uniform(0.4, 0.7), rng.uniform(0.5, 0.8)))
    return hazards


def test_chosen_site_keeps_the_footprint_off_every_hazard() -> None:
    """Six seeded layouts of 5 rocks and 2 pits: the footprint never touches a hazard."""
    found = 0
    for seed in range(6):
        hazards = random_hazards(np.random.default_rng(100 + seed))
        h, band = terrain(hazards)
        pts, ok, c = synthetic_scan(h, band, seed=seed)
        res = run(pts, ok, c)
        if not res.found:
            continue
        found += 1
        clear = min(hz.distance(res.site_east_m, res.site_north_m) for hz in hazards)
        print(
            f"seed {seed}: site ({res.site_east_m:.2f}, {res.site_north_m:.2f}) clear {clear:.2f}"
        )
        assert clear > CFG.footprint_radius_m
        assert res.p_safe >= CFG.safe_probability and res.margin_m >= CFG.min_margin_m
    assert found >= 4


def test_clean_target_is_chosen_itself() -> None:
    """Hazards kept 6.5 m from the target: the target cell is chosen, no divert."""
    for seed in range(3):
        hazards = random_hazards(np.random.default_rng(200 + seed), keep_out_m=6.5)
        h, band = terrain(hazards)
        pts, ok, c = synthetic_scan(h, band, seed=seed)
        res = run(pts, ok, c)
        assert res.found
        assert (res.site_east_m, res.site_north_m) == (0.0, 0.0)
        assert res.divert_m == 0.0 and res.divert_propellant_kg == 0.0
        assert res.margin_m >= CFG.margin_goal_m


def test_everything_rough_finds_no_site() -> None:
    """A checkerboard of 1.5 m squares 0.8 m high: relief and depth ~0.4 m everywhere."""

    def checker(e: np.ndarray, n: np.ndarray) -> np.ndarray:
        return 0.8 * ((np.floor(e / 1.5) + np.floor(n / 1.5)) % 2)

    pts, ok, c = synthetic_scan(checker, (0.0, 0.8))
    res = run(pts, ok, c)
    assert not res.found
    assert "no safe cell" in res.reason
    assert not res.safety.safe.any()
    assert np.nanmin(res.footprint.relief_m[interior(res)]) > CFG.leg_clearance_m


def test_no_returns_and_out_of_reach() -> None:
    """No valid beams, and a safe area farther than max_divert_m: found False with a reason."""
    pts = np.full((10, 3), np.nan)
    res = detect_and_select(
        pts, np.zeros(10, bool), SENSOR_ENU, nadir_c_enu_sensor(), TARGET, CFG, MASS_KG, VE_M_S
    )
    assert not res.found and "no valid lidar returns" in res.reason
    h, band = terrain([])
    pts, ok, c = synthetic_scan(h, band)
    far = HdaConfig(max_divert_m=5.0)
    res = detect_and_select(
        pts, ok, SENSOR_ENU, c, np.array([40.0, 0.0, 0.0]), far, MASS_KG, VE_M_S, half_width_m=50
    )
    assert not res.found and "max_divert_m" in res.reason


def test_divert_propellant_is_bang_bang_rocket_equation() -> None:
    """25 m at 1 m/s^2: delta-v 10 m/s; m (1 - exp(-dv / ve))."""
    got = divert_propellant_kg(25.0, 1.0, 1000.0, 3000.0)
    assert got == pytest.approx(1000.0 * (1.0 - math.exp(-10.0 / 3000.0)), rel=1e-12)
    assert divert_propellant_kg(0.0, 1.0, 1000.0, 3000.0) == 0.0
