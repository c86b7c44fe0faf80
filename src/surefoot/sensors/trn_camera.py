"""Terrain-relative navigation camera: horizontal position fixes in the site map frame.

Stands for a camera plus map matching (crater or landmark matching against
orbital imagery, as SLIM and Blue Ghost flew): the fix is the lander's true
centre-of-mass position in site map coordinates (``surefoot.math.frames.mcmf_to_map``,
x east, y north along the reference sphere) plus noise whose 1-sigma per axis
grows with the true altitude ``h`` above the terrain:

    sigma = sigma_floor_m + sigma_per_altitude * h

A fix exists only with ``min_altitude_m <= h <= max_altitude_m``, the
boresight within ``max_off_nadir_deg`` of the local vertical (down), the body
rate below ``max_body_rate_deg_s`` (motion blur), and no random dropout;
``enabled: false`` switches the camera off. The row reports the nominal sigma
(what the matcher believes): ``noise``, ``bias`` and ``spike`` faults corrupt
the fix without changing it, as a failed match does (IM-2). A ``stuck`` axis
repeats its value or last fix.

Called once per flight-software cycle; it delivers on its own sample grid
(``rate_hz``). Noise keyed by (run seed, ``STREAM_TRN_CAMERA``, simulation
step, index).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.sensors import TrnCameraConfig
from surefoot.fsw.nav.measurements import TRN_SIGMA, TRN_T, TRN_VALID, TRN_X, TRN_Y
from surefoot.math.frames import mcmf_to_map, rot_mci_to_mcmf
from surefoot.math.quaternion import quat_rotate
from surefoot.math.random_stream import normal, uniform
from surefoot.sensors.faults import (
    EF_BIAS,
    EF_DISABLED,
    EF_DROPPED,
    EF_NOISE,
    EF_SPIKE,
    EF_STUCK,
    EF_STUCK_VALUE,
    FAULT_BLOCK,
    N_EF,
    fault_block,
    fault_effects,
    sample_due,
)
from surefoot.sensors.streams import STREAM_TRN_CAMERA
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS
from surefoot.world.vehicle import S_Q, S_R, S_W

P_RATE = 0
P_ENABLED = 1
P_MIN_ALT = 2
P_MAX_ALT = 3
P_SIGMA_FLOOR = 4
P_SIGMA_PER_ALT = 5
P_BORESIGHT = 6  # 3, unit, body
P_COS_MAX_OFF_NADIR = 9
P_MAX_RATE = 10  # rad/s
P_DROPOUT = 11
P_FAULTS = 12
N_TRN_PARAMS = P_FAULTS + FAULT_BLOCK

ST_CLOCK = 0
ST_LAST = 1  # 2: x, y
ST_HAVE_LAST = 3  # 2
N_TRN_STATE = 5

_IX_NOISE = 0  # 2
_IX_DROPOUT = 2


def trn_camera_params(cfg: TrnCameraConfig) -> np.ndarray:
    """Kernel parameter row ``(N_TRN_PARAMS,)``, SI, from ``sensors.trn_camera``."""
    p = np.zeros(N_TRN_PARAMS)
    p[P_RATE] = cfg.rate_hz
    p[P_ENABLED] = 1.0 if cfg.enabled else 0.0
    p[P_MIN_ALT] = cfg.min_altitude_m
    p[P_MAX_ALT] = cfg.max_altitude_m
    p[P_SIGMA_FLOOR] = cfg.sigma_floor_m
    p[P_SIGMA_PER_ALT] = cfg.sigma_per_altitude
    b = np.asarray(cfg.boresight_body, float)
    p[P_BORESIGHT : P_BORESIGHT + 3] = b / np.linalg.norm(b)
    p[P_COS_MAX_OFF_NADIR] = np.cos(np.radians(cfg.max_off_nadir_deg))
    p[P_MAX_RATE] = np.radians(cfg.max_body_rate_deg_s)
    p[P_DROPOUT] = cfg.dropout_probability
    p[P_FAULTS : P_FAULTS + FAULT_BLOCK] = fault_block(cfg.faults, [1.0, 1.0])
    return p


@njit(cache=True)
def trn_camera_measure(
    x: np.ndarray,
    t: float,
    alt_m: float,
    site: np.ndarray,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
) -> None:
    """Write one TRN row (``N_TRN``, ``surefoot.fsw.nav.measurements``) into ``out``.

    Parameters
    ----------
    x : (N_STATE,) float64
        Truth state of one lander (``r_mci``, ``q_body_to_mci``, ``omega_body``).
    t : float
        Time since scenario start, s.
    alt_m : float
        True altitude above the terrain below the lander, m (band, sigma, fault windows).
    site : (N_SITE,) float64
        Site row (reference radius, Moon rotation rate, ``C_enu_mcmf``).
    p : (N_TRN_PARAMS,) float64
        Parameter row from :func:`trn_camera_params`.
    state : (N_TRN_STATE,) float64
        Sample clock and last fix; zeros at the start of a run.
    seed, step : int
        Run seed and global simulation step (the noise key).
    out : (N_TRN,) float64
        Output row: ``x_east_m``, ``y_north_m``, ``sigma_m``, valid.
    """
    out[TRN_T] = t
    out[TRN_X] = 0.0
    out[TRN_Y] = 0.0
    out[TRN_SIGMA] = 0.0
    out[TRN_VALID] = 0.0
    if p[P_ENABLED] == 0.0 or not sample_due(p[P_RATE], t, state, ST_CLOCK):
        return
    eff = np.empty((2, N_EF))
    fault_effects(p, P_FAULTS, 2, t, alt_m, seed, STREAM_TRN_CAMERA, step, eff)
    for c in range(2):
        if eff[c, EF_DISABLED] != 0.0 or eff[c, EF_DROPPED] != 0.0:
            return
    if p[P_DROPOUT] > 0.0 and uniform(seed, STREAM_TRN_CAMERA, step, _IX_DROPOUT) < p[P_DROPOUT]:
        return
    sigma = p[P_SIGMA_FLOOR] + p[P_SIGMA_PER_ALT] * max(alt_m, 0.0)
    usable = p[P_MIN_ALT] <= alt_m <= p[P_MAX_ALT]
    r_mci = x[S_R : S_R + 3]
    if usable:
        w2 = x[S_W] ** 2 + x[S_W + 1] ** 2 + x[S_W + 2] ** 2
        usable = w2 <= p[P_MAX_RATE] ** 2
    if usable:
        bore = quat_rotate(x[S_Q : S_Q + 4], p[P_BORESIGHT : P_BORESIGHT + 3])
        rn = np.sqrt(r_mci[0] ** 2 + r_mci[1] ** 2 + r_mci[2] ** 2)
        cos_nadir = -(bore[0] * r_mci[0] + bore[1] * r_mci[1] + bore[2] * r_mci[2]) / rn
        usable = cos_nadir >= p[P_COS_MAX_OFF_NADIR]
    if not usable and not (eff[0, EF_STUCK] != 0.0 and eff[1, EF_STUCK] != 0.0):
        return
    for c in range(2):
        if (
            eff[c, EF_STUCK] != 0.0
            and np.isnan(eff[c, EF_STUCK_VALUE])
            and state[ST_HAVE_LAST + c] == 0.0
        ):
            return  # stuck before any fix: nothing to repeat
    xy = np.zeros(2)
    if usable:
        c_enu_mcmf = site[SITE_C : SITE_C + 9].reshape(3, 3)
        r_mcmf = rot_mci_to_mcmf(r_mci, site[SITE_OMEGA] * t)
        xm, ym, _ = mcmf_to_map(r_mcmf, c_enu_mcmf, site[SITE_RADIUS])
        xy[0] = xm
        xy[1] = ym
    for c in range(2):
        if eff[c, EF_STUCK] != 0.0:
            v = eff[c, EF_STUCK_VALUE]
            xy[c] = state[ST_LAST + c] if np.isnan(v) else v
        else:
            s = sigma * eff[c, EF_NOISE]
            xy[c] += eff[c, EF_BIAS] + eff[c, EF_SPIKE]
            if s > 0.0:
                xy[c] += s * normal(seed, STREAM_TRN_CAMERA, step, _IX_NOISE + c)
            state[ST_LAST + c] = xy[c]
            state[ST_HAVE_LAST + c] = 1.0
    out[TRN_X] = xy[0]
    out[TRN_Y] = xy[1]
    out[TRN_SIGMA] = sigma
    out[TRN_VALID] = 1.0
