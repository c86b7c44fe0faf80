"""Hazard-detection lidar: one scan of the landing area, a point cloud in the sensor frame.

A scan is instantaneous (a flash lidar, or a scanner fast against the
vehicle's motion): every beam leaves the sensor's position at once along a
direction fixed in the sensor frame (+z the boresight, see
:func:`scan_pattern`). Each beam is ray-cast against the truth terrain with
``surefoot.math.height_grid.raycast`` (the same kernel the rangefinder uses,
in MCMF; the site ENU pose is turned into MCMF with the site's ``C_enu_mcmf``
and the ENU origin on the reference sphere below the site).

Beam footprint: a beam of full divergence ``delta`` lights a small disk;
the model casts ``subrays`` rays, one along the beam and the others on a
ring at half-angle ``delta / (2 sqrt 2)`` (the radius with the second moment
of a uniformly lit disk of half-angle ``delta / 2``), and the return is the
mean range of the sub-rays that hit. On a plane this is the centre range to
second order; over a rock's edge it gives the mixed-pixel ranges a real
lidar reports. A beam with fewer than half its sub-rays hitting has no
return. The point is placed along the nominal beam direction.

Measured range ``rho_meas = rho + (floor + fraction rho) n``, ``n`` standard
normal; beams outside ``[min_range, max_range]`` or dropped (probability
``dropout``) are invalid. Noise is keyed by (run seed,
``STREAM_HAZARD_LIDAR``, simulation step of the scan, beam index), so a scan
replays bit for bit. One scan is a few tens of thousands of rays: it runs
between simulation steps (once or twice per landing), one lander at a time,
its beams spread over the threads Numba is given (each beam's arithmetic is
the same on any thread, so the scan is identical to a serial one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from surefoot._numba_cache import renamed
from surefoot.config.hda import HazardLidarConfig
from surefoot.math.height_grid import ray_origin_xyz, raycast_from
from surefoot.math.quaternion import dcm_to_quat, quat_mul, quat_to_dcm
from surefoot.math.random_stream import STREAM_HAZARD_LIDAR, normal, uniform
from surefoot.world.site_frame import truth_enu
from surefoot.world.terrain.grid import TerrainGrids

# Index spaces of the scan's draws: normals use uniform indices 2k and 2k+1 of beam k,
# dropouts sit far above them.
_IX_DROPOUT = 1 << 40


@dataclass(frozen=True)
class HazardLidarParams:
    """Hazard lidar parameters in SI (see :class:`surefoot.config.hda.HazardLidarConfig`).

    Angles in radians (full fields of view and full beam divergence), ranges
    in metres, ``q_sensor_to_body`` scalar first, ``position_body_m`` the
    lever arm from the centre of mass in body axes.
    """

    pattern: str = "raster"
    rows: int = 128
    cols: int = 128
    beams: int = 16384
    petals: int = 13
    fov_x_rad: float = math.radians(8.0)
    fov_y_rad: float = math.radians(8.0)
    max_range_m: float = 1500.0
    min_range_m: float = 1.0
    noise_floor_m: float = 0.02
    noise_fraction: float = 0.0
    divergence_rad: float = 0.5e-3
    subrays: int = 7
    dropout_probability: float = 0.0
    position_body_m: tuple[float, float, float] = (0.0, 0.0, -1.0)
    q_sensor_to_body: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 0.0)

    @classmethod
    def from_config(cls, cfg: HazardLidarConfig) -> HazardLidarParams:
        """SI parameters from the validated ``sensors.hazard_lidar`` section."""
        z = np.asarray(cfg.boresight_body, float)
        z /= np.linalg.norm(z)
        x = np.asarray(cfg.scan_x_body, float)
        x = x - (x @ z) * z
        x /= np.linalg.norm(x)
        c_body_sensor = np.column_stack((x, np.cross(z, x), z))
        q = dcm_to_quat(c_body_sensor)
        return cls(
            pattern=cfg.pattern,
            rows=cfg.rows,
            cols=cfg.cols,
            beams=cfg.beams,
            petals=cfg.petals,
            fov_x_rad=math.radians(cfg.fov_x_deg),
            fov_y_rad=math.radians(cfg.fov_y_deg),
            max_range_m=cfg.max_range_m,
            min_range_m=cfg.min_range_m,
            noise_floor_m=cfg.noise_floor_m,
            noise_fraction=cfg.noise_fraction,
            divergence_rad=cfg.beam_divergence_mrad * 1e-3,
            subrays=cfg.subrays,
            dropout_probability=cfg.dropout_probability,
            position_body_m=tuple(float(v) for v in cfg.position_body_m),
            q_sensor_to_body=tuple(float(v) for v in q),
        )


@dataclass(frozen=True)
class HazardLidarScan:
    """One scan. ``K`` beams; invalid beams have ``nan`` ranges and points.

    Attributes
    ----------
    points_sensor : (K, 3) float64
        Measured points, m, sensor frame (+z boresight).
    valid : (K,) bool
        True where the beam returned a range.
    range_m : (K,) float64
        Measured slant ranges, m.
    dirs_sensor : (K, 3) float64
        Unit beam directions, sensor frame.
    """

    points_sensor: np.ndarray
    valid: np.ndarray
    range_m: np.ndarray
    dirs_sensor: np.ndarray


def scan_pattern(params: HazardLidarParams) -> np.ndarray:
    """Unit beam directions ``(K, 3)`` in the sensor frame (+z the boresight).

    ``raster``: ``rows`` x ``cols`` beams at equally spaced angles
    ``(alpha_x, alpha_y)`` over the full fields of view, direction
    ``(tan alpha_x, tan alpha_y, 1)`` normalised, row-major (y slow).
    ``rosette``: ``beams`` samples, equally spaced in scan time, of the Risley
    rosette ``alpha = (A/2) (cos t + cos (P-1) t, sin t - sin (P-1) t)`` with
    ``A = fov_x / 2`` and ``P`` petals.
    """
    if params.pattern == "raster":
        ax = _centred_angles(params.cols, params.fov_x_rad)
        ay = _centred_angles(params.rows, params.fov_y_rad)
        gx, gy = np.meshgrid(ax, ay)
        tx, ty = np.tan(gx.ravel()), np.tan(gy.ravel())
    elif params.pattern == "rosette":
        t = 2.0 * np.pi * np.arange(params.beams) / params.beams
        k = params.petals - 1
        half = 0.25 * params.fov_x_rad
        tx = np.tan(half * (np.cos(t) + np.cos(k * t)))
        ty = np.tan(half * (np.sin(t) - np.sin(k * t)))
    else:
        raise ValueError(f"pattern: must be 'raster' or 'rosette' (got {params.pattern!r})")
    d = np.column_stack((tx, ty, np.ones_like(tx)))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def _centred_angles(n: int, fov: float) -> np.ndarray:
    if n == 1:
        return np.zeros(1)
    return np.linspace(-0.5 * fov, 0.5 * fov, n)


def subray_offsets(params: HazardLidarParams) -> np.ndarray:
    """Sub-ray offsets ``(S, 2)`` in the beam's transverse plane, rad (centre first)."""
    s = params.subrays
    out = np.zeros((s, 2))
    if s > 1 and params.divergence_rad > 0.0:
        rho = 0.5 * params.divergence_rad / math.sqrt(2.0)
        phi = 2.0 * np.pi * np.arange(s - 1) / (s - 1)
        out[1:, 0] = rho * np.cos(phi)
        out[1:, 1] = rho * np.sin(phi)
    return out[: (s if params.divergence_rad > 0.0 else 1)]


def _scan_body(
    origin_mcmf: np.ndarray,
    c_mcmf_sensor: np.ndarray,
    dirs_sensor: np.ndarray,
    offsets: np.ndarray,
    max_range_m: float,
    min_range_m: float,
    noise_floor_m: float,
    noise_fraction: float,
    dropout: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    level_offsets: np.ndarray,
    heights: np.ndarray,
    seed: int,
    step: int,
    out_range: np.ndarray,
) -> None:
    n_sub = offsets.shape[0]
    need = (n_sub + 1) // 2
    # cast a little past max range so that a footprint straddling it still averages
    cast_max = max_range_m * 1.01 + 1.0
    o0, o1, o2 = origin_mcmf[0], origin_mcmf[1], origin_mcmf[2]
    # every sub-ray leaves from the same point: its height above the terrain once a scan
    f0, on = ray_origin_xyz(o0, o1, o2, c_enu_mcmf, radius_ref_m, meta, level_offsets, heights)
    for k in prange(dirs_sensor.shape[0]):
        out_range[k] = np.nan
        if dropout > 0.0 and uniform(seed, STREAM_HAZARD_LIDAR, step, _IX_DROPOUT + k) < dropout:
            continue
        d0 = dirs_sensor[k]
        # transverse unit vectors u, w of the beam (sensor frame)
        if abs(d0[0]) < 0.9:
            ux, uy, uz = 0.0, -d0[2], d0[1]  # e_x x d0
        else:
            ux, uy, uz = d0[2], 0.0, -d0[0]  # e_y x d0
        nu = math.sqrt(ux * ux + uy * uy + uz * uz)
        ux /= nu
        uy /= nu
        uz /= nu
        wx = d0[1] * uz - d0[2] * uy
        wy = d0[2] * ux - d0[0] * uz
        wz = d0[0] * uy - d0[1] * ux
        total = 0.0
        hits = 0
        # the sub-ray as scalars and the cast inlined: no array per beam, no call per ray
        m = c_mcmf_sensor
        for s in range(n_sub):
            a = offsets[s, 0]
            b = offsets[s, 1]
            ds0 = d0[0] + a * ux + b * wx
            ds1 = d0[1] + a * uy + b * wy
            ds2 = d0[2] + a * uz + b * wz
            nd = math.sqrt(ds0**2 + ds1**2 + ds2**2)
            rho = raycast_from(
                o0,
                o1,
                o2,
                f0,
                on,
                (m[0, 0] * ds0 + m[0, 1] * ds1 + m[0, 2] * ds2) / nd,
                (m[1, 0] * ds0 + m[1, 1] * ds1 + m[1, 2] * ds2) / nd,
                (m[2, 0] * ds0 + m[2, 1] * ds1 + m[2, 2] * ds2) / nd,
                cast_max,
                c_enu_mcmf,
                radius_ref_m,
                meta,
                level_offsets,
                heights,
            )
            if rho > 0.0:
                total += rho
                hits += 1
        if hits < need:
            continue
        rho = total / hits
        if rho > max_range_m or rho < min_range_m:
            continue
        sigma = noise_floor_m + noise_fraction * rho
        if sigma > 0.0:
            rho += sigma * normal(seed, STREAM_HAZARD_LIDAR, step, k)
        out_range[k] = rho


# One body, two compilations (as the batch step): beams over threads, and a serial
# twin that the tests hold the parallel one to.
_scan_kernel_serial = njit(cache=True)(renamed(_scan_body, "_scan_kernel_serial"))
_scan_kernel_parallel = njit(cache=True, parallel=True)(
    renamed(_scan_body, "_scan_kernel_parallel")
)


def scan(
    grids: TerrainGrids,
    r_sensor_enu: np.ndarray,
    q_sensor_to_enu: np.ndarray,
    params: HazardLidarParams,
    seed: int,
    step: int,
    dirs_sensor: np.ndarray | None = None,
    parallel: bool = True,
) -> HazardLidarScan:
    """Scan the truth terrain from a sensor pose in the site ENU frame.

    Parameters
    ----------
    grids : TerrainGrids
        The TRUE terrain.
    r_sensor_enu : (3,) float64
        Sensor position, m, site ENU (origin on the reference sphere below the site).
    q_sensor_to_enu : (4,) float64
        Sensor-to-ENU attitude, scalar first.
    params : HazardLidarParams
        Scan pattern, noise, footprint and limits.
    seed, step : int
        Run seed and the simulation step of the scan (the noise key).
    dirs_sensor : (K, 3) float64, optional
        Beam directions (unit, sensor frame); default :func:`scan_pattern`.
    parallel : bool
        Spread the beams over Numba's threads (the same result as ``False``).

    Returns
    -------
    HazardLidarScan
        Points in the sensor frame, validity, ranges and beam directions.
    """
    r = np.asarray(r_sensor_enu, float)
    q = np.asarray(q_sensor_to_enu, float)
    if r.shape != (3,) or q.shape != (4,):
        raise ValueError("r_sensor_enu must have shape (3,) and q_sensor_to_enu shape (4,)")
    dirs = scan_pattern(params) if dirs_sensor is None else np.asarray(dirs_sensor, float)
    dirs = np.ascontiguousarray(dirs / np.linalg.norm(dirs, axis=1, keepdims=True))
    c_enu_mcmf = grids.c_enu_mcmf
    origin_mcmf = c_enu_mcmf.T @ (r + np.array([0.0, 0.0, grids.radius_ref_m]))
    c_mcmf_sensor = np.ascontiguousarray(c_enu_mcmf.T @ quat_to_dcm(q / np.linalg.norm(q)))
    rng = np.empty(dirs.shape[0])
    kernel = _scan_kernel_parallel if parallel else _scan_kernel_serial
    kernel(
        origin_mcmf,
        c_mcmf_sensor,
        dirs,
        subray_offsets(params),
        float(params.max_range_m),
        float(params.min_range_m),
        float(params.noise_floor_m),
        float(params.noise_fraction),
        float(params.dropout_probability),
        np.ascontiguousarray(c_enu_mcmf),
        float(grids.radius_ref_m),
        grids.meta,
        grids.offsets,
        grids.heights,
        int(seed),
        int(step),
        rng,
    )
    valid = np.isfinite(rng)
    return HazardLidarScan(rng[:, None] * dirs, valid, rng, dirs)


def sensor_pose_enu(
    x: np.ndarray, t: float, site: np.ndarray, params: HazardLidarParams
) -> tuple[np.ndarray, np.ndarray]:
    """True sensor pose ``(r_sensor_enu (3,), q_sensor_to_enu (4,))`` of a truth state row.

    ``x`` is one lander's truth state (``surefoot.world.vehicle`` layout), ``t``
    the time (s), ``site`` the site row (``surefoot.world.site_frame``).
    """
    r_enu, _, q_body_to_enu, _ = truth_enu(x, t, site)
    c_enu_body = quat_to_dcm(q_body_to_enu)
    r_sensor = r_enu + c_enu_body @ np.asarray(params.position_body_m, float)
    q_sensor = quat_mul(q_body_to_enu, np.asarray(params.q_sensor_to_body, float))
    return r_sensor, q_sensor
