"""From validated scenarios to the arrays the compiled step runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surefoot.config.schema import Scenario
from surefoot.fsw.executive import (
    fsw_params,
)
from surefoot.fsw.hda.inflight import LookOutcome
from surefoot.fsw.interfaces import N_CMD, N_NAV
from surefoot.fsw.layout import (
    N_FS,
)
from surefoot.fsw.nav.layout import N_B, N_ERR, N_X
from surefoot.fsw.nav.measurements import N_IMU
from surefoot.fsw.nav.params import nav_init, nav_params
from surefoot.math.frames import enu_basis_mcmf, map_to_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_from_axis_angle, quat_mul
from surefoot.math.random_stream import STREAM_INITIAL_ATTITUDE, STREAM_INITIAL_ESTIMATE, normal
from surefoot.sensors.ideal_nav import ideal_nav_params
from surefoot.sensors.imu import imu_reset_row, imu_substeps, initial_biases
from surefoot.sim.batch_fields import check_batchable
from surefoot.sim.onboard_map import build_onboard_map
from surefoot.sim.sensor_suite import N_SUITE_M, N_SUITE_S, SM_IMU, suite_params
from surefoot.world.contact import N_TD, footpad_positions_body
from surefoot.world.moon import moon_params
from surefoot.world.site_frame import site_params
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import N_STATE, S_MPROP, S_Q, S_R, S_V, S_W, vehicle_params

NAV_MODE_IDEAL = 0
NAV_MODE_EKF = 1


def target_height_m(terrain: TerrainGrids) -> float:
    """Truth terrain height at the target (map origin), m above the reference sphere."""
    return float(terrain.height(0.0, 0.0))


def _start_geometry(s: Scenario, h0_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start position at height ``h0_m`` (MCMF, m), its local up and the along-track unit."""
    ini = s.initial
    lat = np.radians(s.site.lat_deg)
    lon = np.radians(s.site.lon_deg)
    radius = s.moon.radius_m
    c = enu_basis_mcmf(lat, lon)
    az = np.radians(ini.approach_azimuth_deg)
    d = np.array([np.sin(az), np.cos(az)])
    right = np.array([np.cos(az), -np.sin(az)])
    start_xy = -ini.uprange_km * 1e3 * d + ini.crossrange_km * 1e3 * right
    aim_xy = ini.crossrange_km * 1e3 * right
    r = map_to_mcmf(start_xy[0], start_xy[1], h0_m, c, radius)
    aim = map_to_mcmf(aim_xy[0], aim_xy[1], 0.0, c, radius)
    up = r / np.linalg.norm(r)
    along = aim / np.linalg.norm(aim) - up * float(np.dot(aim / np.linalg.norm(aim), up))
    along /= np.linalg.norm(along)
    return r, up, along


def start_track_axes_mcmf(s: Scenario) -> np.ndarray:
    """Rows: along-track, right of track and local up at the start, MCMF unit vectors.

    Right is ``along x up``, the side ``crossrange_km`` counts positive, so the
    triple is left-handed as named.

    The frame of ``initial.estimate_error_track_m``: it turns with the approach
    (``approach_azimuth_deg``, ``crossrange_km``), where site ENU axes do not.
    """
    _, up, along = _start_geometry(s, s.initial.altitude_m)
    return np.vstack([along, np.cross(along, up), up])


def initial_state(s: Scenario, terrain_target_height_m: float) -> np.ndarray:
    """Truth state row at powered-descent initiation (MCI = MCMF at t = 0).

    Position: ``uprange_km`` back along the great circle through the site
    heading ``approach_azimuth_deg``, ``crossrange_km`` to the right, at
    ``altitude_m`` above the target's height. Velocity: inertial speed along
    the track towards the (crossrange-shifted) aim point with the given
    flight-path angle. Attitude: thrust axis against the velocity (braking),
    tilted by ``attitude_error_deg`` about an axis drawn from the run seed.
    """
    ini = s.initial
    r, up, along = _start_geometry(s, terrain_target_height_m + ini.altitude_m)
    gam = np.radians(ini.flight_path_angle_deg)
    v = ini.speed_m_s * (np.cos(gam) * along + np.sin(gam) * up)

    # braking attitude: body z against the velocity, body x towards local up
    z_b = -v / np.linalg.norm(v) if ini.speed_m_s > 0 else up
    x_b = up - z_b * float(np.dot(up, z_b))
    if np.linalg.norm(x_b) < 1e-6:
        x_b = np.cross(z_b, np.array([0.0, 0.0, 1.0]))
    x_b /= np.linalg.norm(x_b)
    y_b = np.cross(z_b, x_b)
    q = dcm_to_quat(np.column_stack([x_b, y_b, z_b]))
    if ini.attitude_error_deg > 0.0:
        axis = np.array([normal(s.seed, STREAM_INITIAL_ATTITUDE, 0, k) for k in range(3)])
        q = quat_mul(q, quat_from_axis_angle(axis, np.radians(ini.attitude_error_deg)))

    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = r
    x[S_V : S_V + 3] = v
    x[S_Q : S_Q + 4] = q
    x[S_W : S_W + 3] = np.radians(ini.body_rate_deg_s)
    x[S_MPROP] = s.vehicle.propellant_kg
    return x


@dataclass
class BatchArrays:
    """Everything the compiled step needs for one batch."""

    x: np.ndarray
    vp: np.ndarray
    moon: np.ndarray
    site: np.ndarray
    feet_body: np.ndarray
    nav_p: np.ndarray
    fs: np.ndarray
    fp: np.ndarray
    cmd: np.ndarray
    nav: np.ndarray
    seeds: np.ndarray
    done: np.ndarray
    td: np.ndarray
    steps: np.ndarray
    nav_mode: np.ndarray
    suite_p: np.ndarray
    suite_s: np.ndarray
    suite_m: np.ndarray
    imu_sub: np.ndarray
    kx: np.ndarray
    kcov: np.ndarray
    kbk: np.ndarray
    kp: np.ndarray
    onboard_map: TerrainGrids
    external: np.ndarray
    """(N,) int: 1 where a plug-in flies the lander (set by sim/external_fsw.py)."""
    plugin_phase: np.ndarray
    """(N,) int: ``sim/kernel_state.py`` ``PLUGIN_*``."""
    dt: float
    ctrl_every: int
    rec_every: int
    max_steps: int
    target_height_m: float
    events: list[list[str]] = field(default_factory=list)
    """Per lander, the flight software's logged events (between-step services)."""
    hda_looks: list[list[LookOutcome]] = field(default_factory=list)
    """Per lander, the hazard looks it took (maps and chosen sites, for figures)."""


def initial_estimate_error(s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The error of the ground's initial estimate, as the run seed draws it.

    The scenario's deterministic part (``initial.estimate_error_*``, site ENU)
    plus a random draw from the ``fsw.nav.init`` sigmas times
    ``initial.estimate_error_scale``, keyed by the run seed (stream
    ``STREAM_INITIAL_ESTIMATE``). Returns position (m) and velocity (m/s)
    errors in MCMF (= MCI at t = 0) and the attitude error rotation vector (rad).
    """
    ini = s.initial
    init = s.fsw.nav.init
    c = enu_basis_mcmf(np.radians(s.site.lat_deg), np.radians(s.site.lon_deg))
    k = ini.estimate_error_scale
    draw = np.array([normal(s.seed, STREAM_INITIAL_ESTIMATE, 0, j) for j in range(9)])
    dr = c.T @ np.asarray(ini.estimate_error_enu_m) + k * init.position_m * draw[0:3]
    if any(ini.estimate_error_track_m):
        dr = dr + start_track_axes_mcmf(s).T @ np.asarray(ini.estimate_error_track_m)
    dv = c.T @ np.asarray(ini.estimate_error_velocity_enu_m_s) + k * init.velocity_m_s * draw[3:6]
    dth = k * np.radians(init.attitude_deg) * draw[6:9]
    return dr, dv, dth


def initial_estimate(
    s: Scenario, x_true: np.ndarray, kp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The navigation filter's rows at t = 0: truth plus :func:`initial_estimate_error`."""
    dr, dv, dth = initial_estimate_error(s)
    angle = float(np.linalg.norm(dth))
    q = x_true[S_Q : S_Q + 4]
    if angle > 0.0:
        q = quat_mul(quat_from_axis_angle(dth / angle, angle), q)
    return nav_init(kp, 0.0, x_true[S_R : S_R + 3] + dr, x_true[S_V : S_V + 3] + dv, q)


SEED_DRAW_COLUMNS = (
    "draw.estimate_error_east_m",
    "draw.estimate_error_north_m",
    "draw.estimate_error_up_m",
    "draw.estimate_error_v_east_m_s",
    "draw.estimate_error_v_north_m_s",
    "draw.estimate_error_v_up_m_s",
    "draw.estimate_error_attitude_deg",
    "draw.accel_bias_x_m_s2",
    "draw.accel_bias_y_m_s2",
    "draw.accel_bias_z_m_s2",
    "draw.gyro_bias_x_deg_h",
    "draw.gyro_bias_y_deg_h",
    "draw.gyro_bias_z_deg_h",
)
"""Names of :func:`seed_draws`, in order (campaign result columns)."""


def seed_draws(s: Scenario) -> dict[str, float]:
    """What a run's seed drew before it flew: the initial estimate error and the IMU biases.

    The estimate error is the whole error handed to the filter at t = 0 (the
    scenario's deterministic part plus the random draw), site ENU, m and m/s,
    and the size of the attitude error, deg; the IMU biases are the random
    turn-on and bias-instability parts, body axes (m/s^2 and deg/h). The
    values are those :func:`initial_estimate` and the IMU model use.
    """
    c = enu_basis_mcmf(np.radians(s.site.lat_deg), np.radians(s.site.lon_deg))
    dr, dv, dth = initial_estimate_error(s)
    ba, bg = initial_biases(s.sensors.imu, s.seed)
    values = [*(c @ dr), *(c @ dv), np.degrees(np.linalg.norm(dth)), *ba,
              *(np.degrees(bg) * 3600.0)]
    return {name: float(v) for name, v in zip(SEED_DRAW_COLUMNS, values, strict=True)}


def batch_arrays(scenarios: list[Scenario], terrain: TerrainGrids) -> BatchArrays:
    check_batchable(scenarios)
    s0 = scenarios[0]
    n = len(scenarios)
    h_t = target_height_m(terrain)
    dt = s0.sim.dt_s
    ctrl_every = round(1.0 / (s0.fsw.control.rate_hz * dt))
    rec_every = round(1.0 / (s0.sim.telemetry_rate_hz * dt)) if s0.sim.telemetry_rate_hz > 0 else 0
    if s0.sim.telemetry_rate_hz > 0:
        rec_every = max(rec_every, 1)
    lat = np.radians(s0.site.lat_deg)
    lon = np.radians(s0.site.lon_deg)
    x = np.stack([initial_state(s, h_t) for s in scenarios])
    nav_mode = np.array([NAV_MODE_EKF if s.fsw.nav.source == "ekf" else NAV_MODE_IDEAL
                         for s in scenarios], dtype=np.int64)
    ekf = bool(np.any(nav_mode == NAV_MODE_EKF))
    onboard = build_onboard_map(terrain, s0.fsw.nav.map, s0.terrain.seed) if ekf else terrain
    h_map = float(onboard.height(0.0, 0.0))
    kp = np.stack(
        [
            nav_params(s.fsw, site_lat_rad=lat, site_lon_rad=lon, dt_s=ctrl_every * dt)
            for s in scenarios
        ]
    )
    kx = np.zeros((n, N_X))
    kcov = np.zeros((n, N_ERR, N_ERR))
    kbk = np.zeros((n, N_B))
    for i, s in enumerate(scenarios):
        kx[i], kcov[i], kbk[i] = initial_estimate(s, x[i], kp[i])
    suite_m = np.zeros((n, N_SUITE_M))
    for i in range(n):
        imu_reset_row(suite_m[i, SM_IMU : SM_IMU + N_IMU], 0.0)
    return BatchArrays(
        x=x,
        vp=np.stack([vehicle_params(s.vehicle) for s in scenarios]),
        moon=moon_params(s0.moon),
        site=site_params(lat, lon, s0.moon.radius_m, s0.moon.rotation_rate_rad_s, terrain.top_m),
        feet_body=footpad_positions_body(s0.vehicle.legs),
        nav_p=np.stack([ideal_nav_params(s.sensors.ideal_nav) for s in scenarios]),
        fs=np.zeros((n, N_FS)),
        fp=np.stack(
            [
                fsw_params(
                    s.fsw,
                    site_lat_rad=lat,
                    approach_azimuth_rad=np.radians(s.initial.approach_azimuth_deg),
                    target_height_m=h_map if s.fsw.nav.source == "ekf" else h_t,
                    dt_control_s=ctrl_every * dt,
                )
                for s in scenarios
            ]
        ),
        cmd=np.zeros((n, N_CMD)),
        nav=np.zeros((n, N_NAV)),
        seeds=np.array([s.seed for s in scenarios], dtype=np.int64),
        done=np.zeros(n, dtype=np.int64),
        td=np.zeros((n, N_TD)),
        steps=np.zeros(n, dtype=np.int64),
        nav_mode=nav_mode,
        suite_p=np.stack([suite_params(s.sensors) for s in scenarios]),
        suite_s=np.zeros((n, N_SUITE_S)),
        suite_m=suite_m,
        imu_sub=np.array([imu_substeps(s.sensors.imu.rate_hz, dt) for s in scenarios],
                         dtype=np.int64),
        kx=kx,
        kcov=kcov,
        kbk=kbk,
        kp=kp,
        onboard_map=onboard,
        external=np.zeros(n, dtype=np.int64),
        plugin_phase=np.zeros(n, dtype=np.int64),
        dt=dt,
        ctrl_every=ctrl_every,
        rec_every=rec_every,
        max_steps=int(np.ceil(s0.sim.max_time_s / dt)),
        target_height_m=h_t,
        events=[[] for _ in scenarios],
        hda_looks=[[] for _ in scenarios],
    )
