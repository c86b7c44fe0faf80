"""Star tracker: the body attitude ``q_body_to_mci`` with small-angle noise and outages.

Sensor axes: ``z_s`` along the boresight, ``x_s`` the projection of body +x
on the plane normal to the boresight (body +y when the boresight is within
~25 deg of body x), ``y_s = z_s x x_s``. The measurement error is a rotation
vector ``e_s`` in sensor axes, components
``(sigma_cross n0, sigma_cross n1, sigma_about n2)`` (plus ``bias`` and
``spike`` faults, noise times the ``noise`` fault), applied on the body side:

    q_meas = q_body_to_mci ⊗ exp(C_body_sensor e_s / 2)

No attitude above ``max_body_rate_deg_s`` (star smear), and random dropouts
per sample. A ``stuck`` tracker repeats its last delivered attitude as valid.
Scheduled outages are ``disabled`` faults over a window.

Called once per flight-software cycle; it delivers on its own sample grid
(``rate_hz``, see ``surefoot.sensors.faults.sample_due``). Noise is keyed by
(run seed, ``STREAM_STAR_TRACKER``, simulation step, index).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.sensors import StarTrackerConfig
from surefoot.fsw.nav.measurements import STAR_Q, STAR_T, STAR_VALID
from surefoot.math.quaternion import quat_mul_xyz
from surefoot.math.random_stream import normal, uniform
from surefoot.sensors.faults import (
    EF_BIAS,
    EF_DISABLED,
    EF_DROPPED,
    EF_NOISE,
    EF_SPIKE,
    EF_STUCK,
    FAULT_BLOCK,
    N_EF,
    fault_block,
    fault_effects,
    sample_due,
)
from surefoot.sensors.streams import STREAM_STAR_TRACKER
from surefoot.world.vehicle import S_Q, S_W

P_RATE = 0
P_SIGMA = 1  # 3: rad about x_s, y_s, z_s (boresight)
P_C = 4  # 9: C_body_sensor row-major (columns are the sensor axes in body)
P_MAX_RATE = 13  # rad/s
P_DROPOUT = 14
P_FAULTS = 15
N_STAR_PARAMS = P_FAULTS + FAULT_BLOCK

ST_CLOCK = 0
ST_HAVE_LAST = 1
ST_LAST_Q = 2  # 4
N_STAR_STATE = 6

_IX_NOISE = 0  # 3
_IX_DROPOUT = 3

_ARCSEC = np.pi / (180.0 * 3600.0)


def sensor_axes_body(boresight_body: np.ndarray) -> np.ndarray:
    """``C_body_sensor`` (3, 3): columns are the sensor x, y, z (boresight) axes in body.

    Parameters
    ----------
    boresight_body : (3,) float
        Boresight direction in the body frame (any length > 0).
    """
    z = np.asarray(boresight_body, float)
    z = z / np.linalg.norm(z)
    ref = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = ref - np.dot(ref, z) * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.column_stack((x, y, z))


def star_tracker_params(cfg: StarTrackerConfig) -> np.ndarray:
    """Kernel parameter row ``(N_STAR_PARAMS,)``, SI, from ``sensors.star_tracker``."""
    p = np.zeros(N_STAR_PARAMS)
    p[P_RATE] = cfg.rate_hz
    p[P_SIGMA] = cfg.cross_boresight_noise_arcsec * _ARCSEC
    p[P_SIGMA + 1] = cfg.cross_boresight_noise_arcsec * _ARCSEC
    p[P_SIGMA + 2] = cfg.about_boresight_noise_arcsec * _ARCSEC
    p[P_C : P_C + 9] = sensor_axes_body(np.asarray(cfg.boresight_body)).ravel()
    p[P_MAX_RATE] = np.radians(cfg.max_body_rate_deg_s)
    p[P_DROPOUT] = cfg.dropout_probability
    p[P_FAULTS : P_FAULTS + FAULT_BLOCK] = fault_block(cfg.faults, [np.pi / 180.0] * 3)
    return p


@njit(cache=True, inline="always")
def rotvec_to_quat_xyz(e0: float, e1: float, e2: float) -> tuple[float, float, float, float]:
    """Unit quaternion (scalar first) of the rotation vector ``(e0, e1, e2)`` (rad),
    exact, as a tuple (no array allocated)."""
    ang = np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
    if ang < 1e-12:
        q0 = 1.0
        q1 = 0.5 * e0
        q2 = 0.5 * e1
        q3 = 0.5 * e2
        n = np.sqrt(q0**2 + q1**2 + q2**2 + q3**2)
        return q0 / n, q1 / n, q2 / n, q3 / n
    s = np.sin(0.5 * ang) / ang
    return np.cos(0.5 * ang), s * e0, s * e1, s * e2


@njit(cache=True)
def star_tracker_measure_into(
    x: np.ndarray,
    t: float,
    alt_m: float,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
    eff: np.ndarray,
) -> None:
    """Write one star tracker row (``N_STAR``, ``surefoot.fsw.nav.measurements``) into ``out``.

    Parameters
    ----------
    x : (N_STATE,) float64
        Truth state of one lander (``q_body_to_mci``, ``omega_body`` used).
    t : float
        Time since scenario start, s.
    alt_m : float
        True altitude above the terrain (for altitude-window faults), m.
    p : (N_STAR_PARAMS,) float64
        Parameter row from :func:`star_tracker_params`.
    state : (N_STAR_STATE,) float64
        Sample clock and last delivered attitude; zeros at the start of a run.
    seed, step : int
        Run seed and global simulation step (the noise key).
    out : (N_STAR,) float64
        Output row; ``valid`` 0 when nothing new is delivered.
    eff : (>= 3, N_EF) float64
        Scratch for the fault effects (allocated once by the caller: the
        simulation step loop allocates no arrays).
    """
    out[STAR_T] = t
    out[STAR_VALID] = 0.0
    for k in range(4):
        out[STAR_Q + k] = 0.0
    if not sample_due(p[P_RATE], t, state, ST_CLOCK):
        return
    fault_effects(p, P_FAULTS, 3, t, alt_m, seed, STREAM_STAR_TRACKER, step, eff)
    stuck = False
    for c in range(3):
        if eff[c, EF_DISABLED] != 0.0 or eff[c, EF_DROPPED] != 0.0:
            return
        if eff[c, EF_STUCK] != 0.0:
            stuck = True
    if p[P_DROPOUT] > 0.0 and uniform(seed, STREAM_STAR_TRACKER, step, _IX_DROPOUT) < p[P_DROPOUT]:
        return
    if stuck:
        if state[ST_HAVE_LAST] == 0.0:
            return
        for k in range(4):
            out[STAR_Q + k] = state[ST_LAST_Q + k]
        out[STAR_VALID] = 1.0
        return
    w2 = x[S_W] ** 2 + x[S_W + 1] ** 2 + x[S_W + 2] ** 2
    if w2 > p[P_MAX_RATE] ** 2:
        return
    # the error in the sensor axes, then the body's (scalars: no array allocated)
    e_s0 = _axis_error(p, eff, seed, step, 0)
    e_s1 = _axis_error(p, eff, seed, step, 1)
    e_s2 = _axis_error(p, eff, seed, step, 2)
    e_b0 = p[P_C] * e_s0 + p[P_C + 1] * e_s1 + p[P_C + 2] * e_s2
    e_b1 = p[P_C + 3] * e_s0 + p[P_C + 4] * e_s1 + p[P_C + 5] * e_s2
    e_b2 = p[P_C + 6] * e_s0 + p[P_C + 7] * e_s1 + p[P_C + 8] * e_s2
    r0, r1, r2, r3 = rotvec_to_quat_xyz(e_b0, e_b1, e_b2)
    q = quat_mul_xyz(x[S_Q], x[S_Q + 1], x[S_Q + 2], x[S_Q + 3], r0, r1, r2, r3)
    n = np.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2)
    for k in range(4):
        out[STAR_Q + k] = q[k] / n
        state[ST_LAST_Q + k] = q[k] / n
    state[ST_HAVE_LAST] = 1.0
    out[STAR_VALID] = 1.0


@njit(cache=True, inline="always")
def _axis_error(p: np.ndarray, eff: np.ndarray, seed: int, step: int, c: int) -> float:
    """Attitude error about sensor axis ``c`` of one sample (noise, bias, spike), rad."""
    n = normal(seed, STREAM_STAR_TRACKER, step, _IX_NOISE + c)
    return p[P_SIGMA + c] * eff[c, EF_NOISE] * n + eff[c, EF_BIAS] + eff[c, EF_SPIKE]


@njit(cache=True)
def star_tracker_measure(
    x: np.ndarray,
    t: float,
    alt_m: float,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
) -> None:
    """:func:`star_tracker_measure_into` with its own scratch (one row ``N_STAR`` into ``out``)."""
    star_tracker_measure_into(x, t, alt_m, p, state, seed, step, out, np.empty((3, N_EF)))
