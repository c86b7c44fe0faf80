"""Ideal navigation sensor: truth in the site ENU frame plus white noise.

Stands in for a navigation filter until the sensor suite and the filter
exist; it lives here, not in fsw, so flight software still sees only a
measurement. Noise comes from the counter-based stream keyed by
(run seed, STREAM_IDEAL_NAV, step), so it does not depend on the batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import IdealNavConfig
from surefoot.fsw.interfaces import (
    NAV_ALT_SIGMA,
    NAV_ALT_TRUSTED,
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    NAV_VALID,
    NAV_VEL_TRUSTED,
    NAV_W,
)
from surefoot.math.quaternion import quat_mul_xyz
from surefoot.math.random_stream import STREAM_IDEAL_NAV, normal
from surefoot.world.site_frame import truth_enu_xyz
from surefoot.world.vehicle import S_W

NS_POS = 0
NS_VEL = 1
NS_ATT = 2
NS_RATE = 3
N_IDEAL_NAV = 4


def ideal_nav_params(cfg: IdealNavConfig) -> np.ndarray:
    p = np.zeros(N_IDEAL_NAV)
    p[NS_POS] = cfg.position_noise_m
    p[NS_VEL] = cfg.velocity_noise_m_s
    p[NS_ATT] = np.radians(cfg.attitude_noise_deg)
    p[NS_RATE] = np.radians(cfg.rate_noise_deg_s)
    return p


@njit(cache=True)
def ideal_nav_measure(
    x: np.ndarray,
    t: float,
    site: np.ndarray,
    p: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
) -> None:
    """Write one navigation row (``surefoot.fsw.interfaces`` layout) into ``out``."""
    r_enu, v_enu, q, _ = truth_enu_xyz(x, t, site)
    out[NAV_T] = t
    for k in range(3):
        out[NAV_R + k] = r_enu[k] + p[NS_POS] * normal(seed, STREAM_IDEAL_NAV, step, k)
        out[NAV_V + k] = v_enu[k] + p[NS_VEL] * normal(seed, STREAM_IDEAL_NAV, step, 3 + k)
        out[NAV_W + k] = x[S_W + k] + p[NS_RATE] * normal(seed, STREAM_IDEAL_NAV, step, 6 + k)
    # small attitude error: q_est = q ⊗ dq(body-frame rotation vector)
    ex = 0.5 * p[NS_ATT] * normal(seed, STREAM_IDEAL_NAV, step, 9)
    ey = 0.5 * p[NS_ATT] * normal(seed, STREAM_IDEAL_NAV, step, 10)
    ez = 0.5 * p[NS_ATT] * normal(seed, STREAM_IDEAL_NAV, step, 11)
    n = np.sqrt(1.0 + ex * ex + ey * ey + ez * ez)
    qe = quat_mul_xyz(q[0], q[1], q[2], q[3], 1.0 / n, ex / n, ey / n, ez / n)
    for k in range(4):
        out[NAV_Q + k] = qe[k]
    out[NAV_VALID] = 1.0
    out[NAV_ALT_TRUSTED] = 1.0
    out[NAV_ALT_SIGMA] = p[NS_POS]
    out[NAV_VEL_TRUSTED] = 1.0
