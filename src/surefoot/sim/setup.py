"""From validated scenarios to the arrays the compiled step runs on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surefoot.config.schema import Scenario
from surefoot.fsw.executive import N_FS, fsw_params
from surefoot.fsw.interfaces import N_CMD, N_NAV
from surefoot.math.frames import enu_basis_mcmf, map_to_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_from_axis_angle, quat_mul
from surefoot.math.random_stream import STREAM_INITIAL_ATTITUDE, normal
from surefoot.sensors.ideal_nav import ideal_nav_params
from surefoot.world.contact import N_TD, footpad_positions_body
from surefoot.world.moon import moon_params
from surefoot.world.site_frame import site_params
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import N_STATE, S_MPROP, S_Q, S_R, S_V, S_W, vehicle_params


def _batch_key(s: Scenario) -> tuple:
    """Fields every lander of one batch must share (one terrain, one clock)."""
    return (
        s.terrain.model_dump_json(),
        s.site.model_dump_json(),
        s.moon.model_dump_json(),
        s.sim.model_dump_json(),
        s.initial.uprange_km,
        s.initial.approach_azimuth_deg,
        s.vehicle.legs.model_dump_json(),
        s.fsw.control.rate_hz,
    )


def check_batchable(scenarios: list[Scenario]) -> None:
    """Raise ValueError unless the scenarios can fly in one batch."""
    if not scenarios:
        raise ValueError("a batch needs at least one scenario")
    key = _batch_key(scenarios[0])
    for k, s in enumerate(scenarios[1:], start=1):
        if _batch_key(s) != key:
            raise ValueError(
                f"scenario {k} differs from scenario 0 in terrain, site, Moon, sim, ground track "
                "or legs; such runs must go in separate batches"
            )


def target_height_m(terrain: TerrainGrids) -> float:
    """Truth terrain height at the target (map origin), m above the reference sphere."""
    return float(terrain.height(0.0, 0.0))


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
    lat = np.radians(s.site.lat_deg)
    lon = np.radians(s.site.lon_deg)
    radius = s.moon.radius_m
    c = enu_basis_mcmf(lat, lon)
    az = np.radians(ini.approach_azimuth_deg)
    d = np.array([np.sin(az), np.cos(az)])
    right = np.array([np.cos(az), -np.sin(az)])
    start_xy = -ini.uprange_km * 1e3 * d + ini.crossrange_km * 1e3 * right
    aim_xy = ini.crossrange_km * 1e3 * right
    h0 = terrain_target_height_m + ini.altitude_m
    r = map_to_mcmf(start_xy[0], start_xy[1], h0, c, radius)
    aim = map_to_mcmf(aim_xy[0], aim_xy[1], 0.0, c, radius)
    up = r / np.linalg.norm(r)
    along = aim / np.linalg.norm(aim) - up * float(np.dot(aim / np.linalg.norm(aim), up))
    along /= np.linalg.norm(along)
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
    dt: float
    ctrl_every: int
    rec_every: int
    max_steps: int
    target_height_m: float


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
    return BatchArrays(
        x=np.stack([initial_state(s, h_t) for s in scenarios]),
        vp=np.stack([vehicle_params(s.vehicle) for s in scenarios]),
        moon=moon_params(s0.moon),
        site=site_params(lat, lon, s0.moon.radius_m, s0.moon.rotation_rate_rad_s),
        feet_body=footpad_positions_body(s0.vehicle.legs),
        nav_p=np.stack([ideal_nav_params(s.sensors.ideal_nav) for s in scenarios]),
        fs=np.zeros((n, N_FS)),
        fp=np.stack(
            [
                fsw_params(
                    s.fsw,
                    s.vehicle,
                    site_lat_rad=lat,
                    approach_azimuth_rad=np.radians(s.initial.approach_azimuth_deg),
                    target_height_m=h_t,
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
        dt=dt,
        ctrl_every=ctrl_every,
        rec_every=rec_every,
        max_steps=int(np.ceil(s0.sim.max_time_s / dt)),
        target_height_m=h_t,
    )
