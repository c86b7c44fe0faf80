"""Altitude trust and the expected-measurement monitor; the filter's output row."""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.interfaces import (
    N_NAV,
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    NAV_VALID,
    NAV_W,
)
from surefoot.fsw.nav.ekf import direction_variance_xyz
from surefoot.fsw.nav.layout import (
    B_ALT_EST,
    B_ALT_SIGMA,
    B_ALT_TRUSTED,
    B_RH_SIGMA,
    B_T_DOPV,
    B_T_EXPECT_RANGE,
    B_T_EXPECT_VEL,
    B_T_RANGE,
    B_T_UNTRUSTED_FIRST,
    B_T_UNTRUSTED_LAST,
    B_UNTRUSTED_S,
    B_VEL_TRUSTED,
    B_VH_SIGMA,
    B_VZ_SIGMA,
    E_R,
    E_V,
    EV_ALT_UNTRUSTED,
    EV_RANGE_MISSING,
    EV_VEL_MISSING,
    NEVER,
    P_C,
    P_DOP_FITTED,
    P_DT,
    P_LRF_N,
    P_MAP_SIGMA,
    P_OMEGA,
    P_QENU,
    P_RADIUS,
    P_RANGE_BELOW,
    P_RANGE_TIMEOUT,
    P_TRUST_FRAC,
    P_TRUST_SIG,
    P_VEL_BELOW,
    P_VEL_TIMEOUT,
    X_INIT,
    X_Q,
    X_R,
    X_T,
    X_V,
    X_W,
)
from surefoot.math.frames import rot_mci_to_mcmf_xyz
from surefoot.math.height_grid import altitude_above_terrain_xyz
from surefoot.math.quaternion import quat_mul_xyz


@njit(cache=True)
def monitor(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, t: float, theta: float,
    c: np.ndarray, meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, robust: bool,
) -> int:
    """Altitude above the onboard map, its sigma, and the expected-measurement monitor."""
    ev = 0
    # scalars, the look-up inlined (every cycle): the same operations in the same order
    r0, r1, r2 = x[X_R], x[X_R + 1], x[X_R + 2]
    rn = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    u0, u1, u2 = r0 / rn, r1 / rn, r2 / rn
    f0, f1, f2 = rot_mci_to_mcmf_xyz(r0, r1, r2, theta)
    alt = altitude_above_terrain_xyz(f0, f1, f2, c, p[P_RADIUS], meta, offsets, heights)
    var_up_r = direction_variance_xyz(cov, E_R, u0, u1, u2)
    var_up_v = direction_variance_xyz(cov, E_V, u0, u1, u2)
    sig_alt = np.sqrt(max(var_up_r, 0.0) + p[P_MAP_SIGMA] ** 2)
    bk[B_ALT_EST] = alt
    bk[B_ALT_SIGMA] = sig_alt
    bk[B_VZ_SIGMA] = np.sqrt(max(var_up_v, 0.0))
    # horizontal: what the sensors leave unobserved shows here (one nadir beam
    # over flat ground says nothing about the horizontal velocity)
    var_vh = cov[E_V, E_V] + cov[E_V + 1, E_V + 1] + cov[E_V + 2, E_V + 2]
    bk[B_VH_SIGMA] = np.sqrt(max(var_vh - var_up_v, 0.0) * 0.5)
    var_rh = cov[E_R, E_R] + cov[E_R + 1, E_R + 1] + cov[E_R + 2, E_R + 2]
    bk[B_RH_SIGMA] = np.sqrt(max(var_rh - var_up_r, 0.0) * 0.5)
    range_fitted = p[P_LRF_N] > 0.0 or p[P_DOP_FITTED] > 0.5
    range_missing = False
    if range_fitted and alt < p[P_RANGE_BELOW]:
        if bk[B_T_EXPECT_RANGE] <= NEVER:
            bk[B_T_EXPECT_RANGE] = t
        if t - max(bk[B_T_RANGE], bk[B_T_EXPECT_RANGE]) > p[P_RANGE_TIMEOUT]:
            range_missing = True
            ev |= EV_RANGE_MISSING
    vel_missing = False
    if p[P_DOP_FITTED] > 0.5 and alt < p[P_VEL_BELOW]:
        if bk[B_T_EXPECT_VEL] <= NEVER:
            bk[B_T_EXPECT_VEL] = t
        if t - max(bk[B_T_DOPV], bk[B_T_EXPECT_VEL]) > p[P_VEL_TIMEOUT]:
            vel_missing = True
            ev |= EV_VEL_MISSING
    if robust:
        limit = p[P_TRUST_SIG] + p[P_TRUST_FRAC] * max(alt, 0.0)
        trusted = (not range_missing) and sig_alt <= limit
        bk[B_ALT_TRUSTED] = 1.0 if trusted else 0.0
        bk[B_VEL_TRUSTED] = 0.0 if vel_missing else 1.0
        if not trusted:
            ev |= EV_ALT_UNTRUSTED
            bk[B_UNTRUSTED_S] += p[P_DT]
            if bk[B_T_UNTRUSTED_FIRST] <= NEVER:
                bk[B_T_UNTRUSTED_FIRST] = t
            bk[B_T_UNTRUSTED_LAST] = t
    else:
        bk[B_ALT_TRUSTED] = 1.0
        bk[B_VEL_TRUSTED] = 1.0
    return ev


@njit(cache=True)
def nav_output(x: np.ndarray, p: np.ndarray, nav_out: np.ndarray) -> None:
    """Write the interface navigation row (``surefoot.fsw.interfaces``) from the state.

    ``r_enu``: site ENU, origin on the reference sphere below the site, m;
    ``v_enu``: velocity relative to the rotating surface, m/s;
    ``q_body_to_enu``; ``omega_body``: bias-corrected inertial rate, rad/s.
    """
    # scalars, no temporary arrays (every cycle); the same operations in the same order
    t = x[X_T]
    theta = p[P_OMEGA] * t
    om = p[P_OMEGA]
    r0, r1, r2 = x[X_R], x[X_R + 1], x[X_R + 2]
    rf0, rf1, rf2 = rot_mci_to_mcmf_xyz(r0, r1, r2, theta)
    vf0, vf1, vf2 = rot_mci_to_mcmf_xyz(x[X_V] + om * r1, x[X_V + 1] - om * r0, x[X_V + 2], theta)
    nav_out[NAV_T] = t
    for i in range(3):
        c0, c1, c2 = p[P_C + 3 * i], p[P_C + 3 * i + 1], p[P_C + 3 * i + 2]
        nav_out[NAV_R + i] = c0 * rf0 + c1 * rf1 + c2 * rf2
        nav_out[NAV_V + i] = c0 * vf0 + c1 * vf1 + c2 * vf2
        nav_out[NAV_W + i] = x[X_W + i]
    nav_out[NAV_R + 2] -= p[P_RADIUS]
    # q_mci_to_mcmf = [cos(-theta/2), 0, 0, sin(-theta/2)] times q_body_to_mci
    c_h, s_h = np.cos(-0.5 * theta), np.sin(-0.5 * theta)
    m0, m1, m2, m3 = quat_mul_xyz(c_h, 0.0, 0.0, s_h, x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3])
    q0, q1, q2, q3 = quat_mul_xyz(
        p[P_QENU], p[P_QENU + 1], p[P_QENU + 2], p[P_QENU + 3], m0, m1, m2, m3
    )
    if q0 < 0.0:
        q0, q1, q2, q3 = -q0, -q1, -q2, -q3
    nav_out[NAV_Q] = q0
    nav_out[NAV_Q + 1] = q1
    nav_out[NAV_Q + 2] = q2
    nav_out[NAV_Q + 3] = q3
    ok = x[X_INIT] > 0.5
    for k in range(N_NAV):
        if not np.isfinite(nav_out[k]):
            ok = False
    nav_out[NAV_VALID] = 1.0 if ok else 0.0
