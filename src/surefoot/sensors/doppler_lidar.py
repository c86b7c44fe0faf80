"""Navigation Doppler lidar (NASA NDL-like): line-of-sight velocity and range on three beams.

Geometry (defaults as NDL: 22.5 deg off the boresight, 120 deg apart): with
``x_s`` the projection of body +x on the plane normal to the boresight ``b``
(body +y when ``b`` is within ~25 deg of body x; see
:func:`surefoot.sensors.star_tracker.sensor_axes_body`) and ``a_s = x_s x b``,
beam ``k`` points along

    u_k = cos(cant) b + sin(cant) (cos(az_k) x_s + sin(az_k) a_s),
    az_k = azimuth + 120 deg * k,

fixed in the body frame. For the default boresight, body -z, this is
``(sin(cant) cos(az_k), sin(cant) sin(az_k), -cos(cant))``: azimuths from
body +x towards body +y, the same beams as the flight software's default
(``fsw.nav.doppler.beams_body``). The unit sits at ``position_body_m`` from the centre
of mass.

Each beam measures the lander's velocity relative to the surface along the
beam, positive away from the lander (a lander descending onto the spot the
beam hits sees ``v_los > 0``, the rate at which the range shrinks):

    v_los = u · (v_sensor - Omega x r_sensor),
    v_sensor = v_mci + R(q) (omega_body x position_body)

with ``Omega`` the Moon's spin. The surface point the beam hits moves at
``Omega x r_hit``; since ``r_hit = r_sensor + rho u``, ``Omega x r_hit`` and
``Omega x r_sensor`` differ by a vector normal to ``u``, so the line-of-sight
component is the same. The slant range ``rho`` comes from the ray cast
against the true terrain. A beam is valid when ``min_range_m <= rho <=
max_range_m`` and ``|v_los| <= max_los_speed_m_s``; noise: ``velocity_noise_m_s``
on ``v_los`` and ``range_noise_floor_m + range_noise_fraction rho`` on ``rho``.

Faults: channels 0-2 are the beams' velocities and 3-5 their ranges; the
removal faults (``disabled``, ``dropout``, ``delayed_acquisition``) act on a
whole beam (channels 0-2). A beam without a true return is still reported
valid when both its channels are ``stuck``. Called once per flight-software
cycle; noise keyed by (run seed, ``STREAM_DOPPLER_LIDAR``, simulation step,
index).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.sensors import DopplerLidarConfig
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_T,
    DOP_VALID,
    DOP_VLOS,
    DOPPLER_BEAMS,
)
from surefoot.math.frames import rot_mci_to_mcmf_xyz
from surefoot.math.height_grid import beam_cast
from surefoot.math.quaternion import quat_rotate_xyz
from surefoot.math.random_stream import normal, uniform
from surefoot.sensors.faults import (
    EF_ACQUIRE_M,
    EF_BIAS,
    EF_DISABLED,
    EF_DROPPED,
    EF_NOISE,
    EF_SCALE,
    EF_SPIKE,
    EF_STUCK,
    EF_STUCK_VALUE,
    FAULT_BLOCK,
    N_EF,
    fault_block,
    fault_effects,
    sample_due,
)
from surefoot.sensors.rangefinder import sensor_origin_mci_xyz
from surefoot.sensors.star_tracker import sensor_axes_body
from surefoot.sensors.streams import STREAM_DOPPLER_LIDAR
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS, SITE_TOP
from surefoot.world.vehicle import S_Q, S_V, S_W

P_RATE = 0
P_ENABLED = 1
P_MAX_RANGE = 2
P_MIN_RANGE = 3
P_VEL_NOISE = 4
P_RANGE_FLOOR = 5
P_RANGE_FRAC = 6
P_MAX_SPEED = 7
P_DROPOUT = 8
P_POS = 9  # 3, body, m from the CoM
P_DIRS = 12  # 3 * DOPPLER_BEAMS, unit, body
P_FAULTS = P_DIRS + 3 * DOPPLER_BEAMS
N_DOPPLER_PARAMS = P_FAULTS + FAULT_BLOCK

N_CH = 2 * DOPPLER_BEAMS
ST_CLOCK = 0
ST_ACQUIRED = 1  # DOPPLER_BEAMS
ST_LAST = 1 + DOPPLER_BEAMS  # N_CH: velocities then ranges
ST_HAVE_LAST = 1 + DOPPLER_BEAMS + N_CH  # N_CH
N_DOPPLER_STATE = 1 + DOPPLER_BEAMS + 2 * N_CH

_IX_NOISE = 0  # N_CH
_IX_DROPOUT = 16  # per beam


def doppler_beams_body(
    boresight_body: np.ndarray, cant_deg: float, azimuth_deg: float
) -> np.ndarray:
    """Unit beam directions ``(3, 3)`` (rows), body frame, of the three-beam cone.

    Parameters
    ----------
    boresight_body : (3,) float
        Cone axis in the body frame.
    cant_deg : float
        Angle of every beam off the boresight, deg.
    azimuth_deg : float
        Azimuth of beam 0 from ``x_s`` towards ``x_s x boresight``, deg (module docstring).
    """
    c = sensor_axes_body(np.asarray(boresight_body, float))
    xs, b = c[:, 0], c[:, 2]
    ys = np.cross(xs, b)
    cant = np.radians(cant_deg)
    out = np.empty((DOPPLER_BEAMS, 3))
    for k in range(DOPPLER_BEAMS):
        az = np.radians(azimuth_deg + 120.0 * k)
        u = np.cos(cant) * b + np.sin(cant) * (np.cos(az) * xs + np.sin(az) * ys)
        out[k] = u / np.linalg.norm(u)
    return out


def doppler_lidar_params(cfg: DopplerLidarConfig) -> np.ndarray:
    """Kernel parameter row ``(N_DOPPLER_PARAMS,)``, SI, from ``sensors.doppler_lidar``."""
    p = np.zeros(N_DOPPLER_PARAMS)
    p[P_RATE] = cfg.rate_hz
    p[P_ENABLED] = 1.0 if cfg.enabled else 0.0
    p[P_MAX_RANGE] = cfg.max_range_m
    p[P_MIN_RANGE] = cfg.min_range_m
    p[P_VEL_NOISE] = cfg.velocity_noise_m_s
    p[P_RANGE_FLOOR] = cfg.range_noise_floor_m
    p[P_RANGE_FRAC] = cfg.range_noise_fraction
    p[P_MAX_SPEED] = cfg.max_los_speed_m_s
    p[P_DROPOUT] = cfg.dropout_probability
    p[P_POS : P_POS + 3] = cfg.position_body_m
    dirs = doppler_beams_body(np.asarray(cfg.boresight_body), cfg.cant_deg, cfg.azimuth_deg)
    p[P_DIRS : P_DIRS + 3 * DOPPLER_BEAMS] = dirs.ravel()
    p[P_FAULTS : P_FAULTS + FAULT_BLOCK] = fault_block(cfg.faults, [1.0] * N_CH)
    return p


@njit(cache=True, inline="always")
def _channel_value(
    p: np.ndarray,
    state: np.ndarray,
    eff: np.ndarray,
    c: int,
    velocity: bool,
    v_los: float,
    rho: float,
    seed: int,
    step: int,
) -> tuple[bool, float]:
    """One channel's output: ``(ok, value)``, the line-of-sight speed (m/s) when
    ``velocity`` else the range (m); a stuck channel repeats its value or its
    last output (``ok`` False when it has none)."""
    if eff[c, EF_STUCK] != 0.0:
        v = eff[c, EF_STUCK_VALUE]
        ok = True
        if np.isnan(v):
            if state[ST_HAVE_LAST + c] == 0.0:
                ok = False
            v = state[ST_LAST + c]
        return ok, v
    true_val = v_los if velocity else rho
    sigma = p[P_VEL_NOISE] if velocity else p[P_RANGE_FLOOR] + p[P_RANGE_FRAC] * rho
    sigma *= eff[c, EF_NOISE]
    m = true_val * (1.0 + eff[c, EF_SCALE]) + eff[c, EF_BIAS] + eff[c, EF_SPIKE]
    if sigma > 0.0:
        m += sigma * normal(seed, STREAM_DOPPLER_LIDAR, step, _IX_NOISE + c)
    return True, m


@njit(cache=True)
def doppler_lidar_measure_into(
    x: np.ndarray,
    t: float,
    alt_m: float,
    site: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
    eff: np.ndarray,
) -> None:
    """Write one Doppler lidar row (``N_DOPPLER``, ``surefoot.fsw.nav.measurements``) into ``out``.

    Parameters
    ----------
    x : (N_STATE,) float64
        Truth state of one lander (``r_mci``, ``v_mci``, ``q_body_to_mci``, ``omega_body``).
    t : float
        Time since scenario start, s.
    alt_m : float
        True altitude above the terrain (for altitude-window faults), m.
    site : (N_SITE,) float64
        Site row (reference radius, Moon rotation rate, ``C_enu_mcmf``).
    meta, offsets, heights : arrays
        The TRUE terrain's height grids.
    p : (N_DOPPLER_PARAMS,) float64
        Parameter row from :func:`doppler_lidar_params`.
    state : (N_DOPPLER_STATE,) float64
        Sample clock, acquisition latches, last outputs; zeros at the start.
    seed, step : int
        Run seed and global simulation step (the noise key).
    out : (N_DOPPLER,) float64
        Output row: ``v_los`` (m/s), range (m) and valid flag per beam.
    eff : (>= 2 * DOPPLER_BEAMS, N_EF) float64
        Scratch for the fault effects (allocated once by the caller: the
        simulation step loop allocates no arrays).
    """
    out[DOP_T] = t
    for b in range(DOPPLER_BEAMS):
        out[DOP_VLOS + b] = 0.0
        out[DOP_RANGE + b] = 0.0
        out[DOP_VALID + b] = 0.0
    if p[P_ENABLED] == 0.0 or not sample_due(p[P_RATE], t, state, ST_CLOCK):
        return
    fault_effects(p, P_FAULTS, N_CH, t, alt_m, seed, STREAM_DOPPLER_LIDAR, step, eff)
    om = site[SITE_OMEGA]
    theta = om * t
    c_enu_mcmf = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    # scalars throughout (no array allocated a sample)
    q0, q1, q2, q3 = x[S_Q], x[S_Q + 1], x[S_Q + 2], x[S_Q + 3]
    p0, p1, p2 = p[P_POS], p[P_POS + 1], p[P_POS + 2]
    m0, m1, m2 = sensor_origin_mci_xyz(x, p0, p1, p2)
    # sensor velocity relative to the rotating Moon, MCI components
    w0, w1, w2 = x[S_W], x[S_W + 1], x[S_W + 2]
    l0, l1, l2 = quat_rotate_xyz(
        q0, q1, q2, q3, w1 * p2 - w2 * p1, w2 * p0 - w0 * p2, w0 * p1 - w1 * p0
    )
    v_rel0 = x[S_V] + l0 + om * m1
    v_rel1 = x[S_V + 1] + l1 - om * m0
    v_rel2 = x[S_V + 2] + l2
    # the beams share their origin: its height above the terrain once a sample (when a
    # beam needs it); a beam that cannot come down to the highest terrain within its
    # range (by a metre, far beyond rounding) is a cast that would find nothing
    o0, o1, o2 = rot_mci_to_mcmf_xyz(m0, m1, m2, theta)
    ct = np.cos(theta)
    st = np.sin(theta)
    on = np.sqrt(o0**2 + o1**2 + o2**2)
    f0 = np.nan
    r_top = radius + site[SITE_TOP] + 1.0
    for b in range(DOPPLER_BEAMS):
        if eff[b, EF_DISABLED] != 0.0 or eff[b, EF_DROPPED] != 0.0:
            continue
        if p[P_DROPOUT] > 0.0 and (
            uniform(seed, STREAM_DOPPLER_LIDAR, step, _IX_DROPOUT + b) < p[P_DROPOUT]
        ):
            continue
        # the beam as scalars, the cast inlined (rot_mci_to_mcmf's arithmetic)
        u0, u1, u2 = quat_rotate_xyz(
            q0, q1, q2, q3, p[P_DIRS + 3 * b], p[P_DIRS + 3 * b + 1], p[P_DIRS + 3 * b + 2]
        )
        df0, df1, df2 = ct * u0 + st * u1, -st * u0 + ct * u1, u2
        rho, f0 = beam_cast(
            o0, o1, o2, on, f0, df0, df1, df2, p[P_MAX_RANGE], r_top,
            c_enu_mcmf, radius, meta, offsets, heights,
        )
        v_los = u0 * v_rel0 + u1 * v_rel1 + u2 * v_rel2
        has = rho > 0.0 and rho >= p[P_MIN_RANGE] and abs(v_los) <= p[P_MAX_SPEED]
        acq = eff[b, EF_ACQUIRE_M]
        if acq >= 0.0 and state[ST_ACQUIRED + b] == 0.0:
            if has and rho <= acq:
                state[ST_ACQUIRED + b] = 1.0
            else:
                continue
        cv = b
        cr = DOPPLER_BEAMS + b
        stuck_v = eff[cv, EF_STUCK] != 0.0
        stuck_r = eff[cr, EF_STUCK] != 0.0
        if not has and not (stuck_v and stuck_r):
            continue
        ok_v, val_v = _channel_value(p, state, eff, cv, True, v_los, rho, seed, step)
        ok_r, val_r = _channel_value(p, state, eff, cr, False, v_los, rho, seed, step)
        if not (ok_v and ok_r):
            continue
        out[DOP_VLOS + b] = val_v
        out[DOP_RANGE + b] = val_r
        out[DOP_VALID + b] = 1.0
        if eff[cv, EF_STUCK] == 0.0:
            state[ST_LAST + cv] = val_v
            state[ST_HAVE_LAST + cv] = 1.0
        if eff[cr, EF_STUCK] == 0.0:
            state[ST_LAST + cr] = val_r
            state[ST_HAVE_LAST + cr] = 1.0


@njit(cache=True)
def doppler_lidar_measure(
    x: np.ndarray,
    t: float,
    alt_m: float,
    site: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
) -> None:
    """:func:`doppler_lidar_measure_into` with its own scratch (one row ``N_DOPPLER`` into
    ``out``)."""
    doppler_lidar_measure_into(
        x, t, alt_m, site, meta, offsets, heights, p, state, seed, step, out,
        np.empty((N_CH, N_EF)),
    )
