"""Vector measurement updates: star tracker attitude, TRN position fix, Doppler velocities.

Each update gates the whole vector (Mahalanobis distance against the
chi-square threshold for its size), applies it as sequential scalar updates
when accepted, and otherwise counts the rejection; under ``robust`` rejection
a streak that stays consistent past the limit re-initialises the channel
(:func:`surefoot.fsw.nav.gating.judge`). Each returns the event bits it raised.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.ekf import (
    inject,
    mahalanobis_small_xyz,
    nav_work,
    reset_direction,
    residual_w,
    scalar_update_w,
)
from surefoot.fsw.nav.gating import (
    ACCEPT,
    ACCEPT_WIDE,
    REINIT,
    judge,
    streak_consistent,
)
from surefoot.fsw.nav.layout import (
    B_N_DOPV_ACC,
    B_N_DOPV_REJ,
    B_N_REINIT_OTHER,
    B_N_STAR_ACC,
    B_N_STAR_REJ,
    B_N_TRN_ACC,
    B_N_TRN_REJ,
    B_NIS_DOPV,
    B_NIS_STAR,
    B_NIS_TRN,
    B_REJ_DOPV,
    B_REJ_STAR,
    B_REJ_TRN,
    B_STREAK_DOPV,
    B_STREAK_STAR,
    B_STREAK_TRN,
    B_T_DOPV,
    B_T_STAR,
    B_T_TRN,
    E_R,
    E_TH,
    E_V,
    EV_ATT_REINIT,
    EV_DOPV_ACCEPT,
    EV_DOPV_REJECT,
    EV_HORIZ_REINIT,
    EV_STAR_ACCEPT,
    EV_STAR_REJECT,
    EV_TRN_ACCEPT,
    EV_TRN_REJECT,
    EV_VEL_REINIT,
    EV_WIDE_ACCEPT,
    N_ERR,
    P_CHI1,
    P_CHI2,
    P_CHI3,
    P_DOP_DIR,
    P_DOP_POS,
    P_DOP_VFRAC,
    P_DOP_VSIG,
    P_OMEGA,
    P_RADIUS,
    P_REJ_LIMIT,
    P_RI_ATT,
    P_RI_HOR,
    P_RI_VEL,
    P_STAR_AXES,
    P_STAR_SIG,
    P_TRN_MIN,
    P_TRN_SCALE,
    P_WCHI1,
    P_WCHI2,
    P_WCHI3,
    W_H,
    W_NU,
    W_RV,
    W_TOL,
    X_Q,
    X_R,
    X_V,
)
from surefoot.fsw.nav.measurement_models import (
    doppler_velocity_model,
    trn_model_into,
)
from surefoot.fsw.nav.measurements import (
    DOP_VALID,
    DOP_VLOS,
    DOPPLER_BEAMS,
    STAR_Q,
    TRN_SIGMA,
    TRN_X,
    TRN_Y,
)
from surefoot.math.frames import (
    map_to_mcmf,
    mcmf_to_map,
    rot_mci_to_mcmf,
    rot_mcmf_to_mci,
)
from surefoot.math.quaternion import quat_mul_xyz, quat_to_dcm_xyz


@njit(cache=True, inline="always")
def _s_entry(cov: np.ndarray, work: np.ndarray, a: int, b: int) -> float:
    """``h_a P h_b^T`` of the sensitivity rows ``W_H + a`` and ``W_H + b`` of ``work``."""
    acc = 0.0
    for i in range(N_ERR):
        if work[W_H + a, i] == 0.0:
            continue
        for j in range(N_ERR):
            acc += work[W_H + a, i] * cov[i, j] * work[W_H + b, j]
    return acc


@njit(cache=True)
def _vector_d2(cov: np.ndarray, work: np.ndarray, m: int) -> float:
    """Squared Mahalanobis distance of the ``m`` (1..3) innovations in row ``W_NU`` of
    ``work``, sensitivity rows ``W_H``, noise variances in row ``W_RV`` (no array)."""
    # S = H P H^T + R entry by entry as scalars: each entry the same sum as before
    s00 = _s_entry(cov, work, 0, 0) + work[W_RV, 0]
    s01 = 0.0
    s02 = 0.0
    s11 = 0.0
    s12 = 0.0
    s22 = 0.0
    nu1 = 0.0
    nu2 = 0.0
    if m >= 2:
        s01 = _s_entry(cov, work, 0, 1)
        s11 = _s_entry(cov, work, 1, 1) + work[W_RV, 1]
        nu1 = work[W_NU, 1]
    if m >= 3:
        s02 = _s_entry(cov, work, 0, 2)
        s12 = _s_entry(cov, work, 1, 2)
        s22 = _s_entry(cov, work, 2, 2) + work[W_RV, 2]
        nu2 = work[W_NU, 2]
    return mahalanobis_small_xyz(m, s00, s01, s02, s11, s12, s22, work[W_NU, 0], nu1, nu2)


@njit(cache=True)
def _vector_apply(x: np.ndarray, cov: np.ndarray, dx: np.ndarray, work: np.ndarray, m: int) -> None:
    """Sequential scalar updates with the ``m`` rows of :func:`_vector_d2`, then inject."""
    for a in range(m):
        scalar_update_w(
            cov, dx, work, W_H + a, residual_w(work[W_NU, a], work, W_H + a, dx), work[W_RV, a]
        )
    inject(x, dx)


@njit(cache=True)
def _note_rejection(bk: np.ndarray, i_count: int, i_streak: int, nu: np.ndarray, m: int) -> None:
    bk[i_count] += 1.0
    if bk[i_count] == 1.0:
        for k in range(m):
            bk[i_streak + k] = nu[k]


@njit(cache=True)
def update_star(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, star: np.ndarray,
    t: float, robust: bool, dx: np.ndarray, work: np.ndarray | None = None,
) -> int:
    """Star tracker attitude update; ``work`` is the scratch of
    :func:`surefoot.fsw.nav.ekf.nav_work` (allocated here when omitted)."""
    if work is None:
        work = nav_work()
    # the measured quaternion and the innovation as scalars (every cycle): the
    # arithmetic of the normalisation and of star_innovation, in the same order
    m0, m1, m2, m3 = star[STAR_Q], star[STAR_Q + 1], star[STAR_Q + 2], star[STAR_Q + 3]
    qn = np.sqrt(m0 * m0 + m1 * m1 + m2 * m2 + m3 * m3)
    if not qn > 0.0:
        return 0
    q_meas = (m0 / qn, m1 / qn, m2 / qn, m3 / qn)
    d0, d1, d2, d3 = quat_mul_xyz(
        q_meas[0], q_meas[1], q_meas[2], q_meas[3],
        x[X_Q], -x[X_Q + 1], -x[X_Q + 2], -x[X_Q + 3],
    )
    sgn = 2.0 if d0 >= 0.0 else -2.0
    nu_mci = (sgn * d1, sgn * d2, sgn * d3)
    # work in the sensor axes, where the noise is diagonal: nu_s = (C C_s)^T nu
    # c_bs = p[P_STAR_AXES:+9] as 3x3 (row-major) and C(q) as a tuple: no array
    cs = P_STAR_AXES
    c_ib = quat_to_dcm_xyz(x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3])
    # H rows, innovations, variances and tolerances in the scratch
    for k in range(3):
        for j in range(N_ERR):
            work[W_H + k, j] = 0.0
    for k in range(3):
        acc = 0.0
        for j in range(3):
            a = (
                c_ib[3 * j] * p[cs + k]
                + c_ib[3 * j + 1] * p[cs + 3 + k]
                + c_ib[3 * j + 2] * p[cs + 6 + k]
            )
            work[W_H + k, E_TH + j] = a
            acc += a * nu_mci[j]
        work[W_NU, k] = acc
        sig = p[P_STAR_SIG + k]
        work[W_RV, k] = sig * sig
        work[W_TOL, k] = 6.0 * sig
    d2 = _vector_d2(cov, work, 3)
    bk[B_NIS_STAR] = d2
    nu = work[W_NU]
    verdict = judge(
        d2, p[P_CHI3], p[P_WCHI3], robust, bk[B_REJ_STAR], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_STAR, nu, 3, work[W_TOL]),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, work, 3)
        bk[B_REJ_STAR] = 0.0
        bk[B_T_STAR] = t
        bk[B_N_STAR_ACC] += 1.0
        return EV_STAR_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        for k in range(4):
            x[X_Q + k] = q_meas[k] if q_meas[0] >= 0.0 else -q_meas[k]
        e = np.zeros(3)
        for k in range(3):
            e[:] = 0.0
            e[k] = 1.0
            reset_direction(cov, E_TH, e, p[P_RI_ATT])
        bk[B_REJ_STAR] = 0.0
        bk[B_T_STAR] = t
        bk[B_N_REINIT_OTHER] += 1.0
        return EV_ATT_REINIT
    _note_rejection(bk, B_REJ_STAR, B_STREAK_STAR, nu, 3)
    bk[B_N_STAR_REJ] += 1.0
    return EV_STAR_REJECT


@njit(cache=True)
def update_trn(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, trn: np.ndarray,
    t: float, theta: float, c: np.ndarray, robust: bool, dx: np.ndarray,
    work: np.ndarray | None = None,
) -> int:
    """TRN position fix update; ``work`` is the scratch of
    :func:`surefoot.fsw.nav.ekf.nav_work` (allocated here when omitted)."""
    if work is None:
        work = nav_work()
    xm, ym = trn_model_into(x, theta, c, p[P_RADIUS], work, W_H)
    nu = work[W_NU]
    nu[0] = trn[TRN_X] - xm
    nu[1] = trn[TRN_Y] - ym
    sig = max(trn[TRN_SIGMA] * p[P_TRN_SCALE], p[P_TRN_MIN])
    for k in range(2):
        work[W_RV, k] = sig * sig
        work[W_TOL, k] = 6.0 * sig
    d2 = _vector_d2(cov, work, 2)
    bk[B_NIS_TRN] = d2
    verdict = judge(
        d2, p[P_CHI2], p[P_WCHI2], robust, bk[B_REJ_TRN], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_TRN, nu, 2, work[W_TOL]),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, work, 2)
        bk[B_REJ_TRN] = 0.0
        bk[B_T_TRN] = t
        bk[B_N_TRN_ACC] += 1.0
        return EV_TRN_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        # move the lander horizontally onto the fix at its current height
        r_mcmf = rot_mci_to_mcmf(x[X_R : X_R + 3], theta)
        _, _, hgt = mcmf_to_map(r_mcmf, c, p[P_RADIUS])
        r_new = rot_mcmf_to_mci(map_to_mcmf(trn[TRN_X], trn[TRN_Y], hgt, c, p[P_RADIUS]), theta)
        for k in range(3):
            x[X_R + k] = r_new[k]
        up = r_new / np.sqrt(np.sum(r_new * r_new))
        e1 = np.array([-up[1], up[0], 0.0])
        if np.sum(e1 * e1) < 1e-12:
            e1 = np.array([1.0, 0.0, 0.0])
        e1 /= np.sqrt(np.sum(e1 * e1))
        e2 = np.empty(3)
        e2[0] = up[1] * e1[2] - up[2] * e1[1]
        e2[1] = up[2] * e1[0] - up[0] * e1[2]
        e2[2] = up[0] * e1[1] - up[1] * e1[0]
        reset_direction(cov, E_R, e1, p[P_RI_HOR])
        reset_direction(cov, E_R, e2, p[P_RI_HOR])
        bk[B_REJ_TRN] = 0.0
        bk[B_T_TRN] = t
        bk[B_N_REINIT_OTHER] += 1.0
        return EV_HORIZ_REINIT
    _note_rejection(bk, B_REJ_TRN, B_STREAK_TRN, nu, 2)
    bk[B_N_TRN_REJ] += 1.0
    return EV_TRN_REJECT


@njit(cache=True)
def _solve3(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    det = (
        a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
        - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
        + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
    )
    out = np.zeros(3)
    if abs(det) < 1e-6:
        return out, False
    for k in range(3):
        m = a.copy()
        for i in range(3):
            m[i, k] = b[i]
        out[k] = (
            m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])
        ) / det
    return out, True


@njit(cache=True)
def update_doppler_velocity(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, dop: np.ndarray,
    t: float, robust: bool, dx: np.ndarray, work: np.ndarray | None = None,
) -> int:
    """Doppler line-of-sight velocity update; ``work`` is the scratch of
    :func:`surefoot.fsw.nav.ekf.nav_work` (allocated here when omitted)."""
    if work is None:
        work = nav_work()
    nu = work[W_NU]
    lever = p[P_DOP_POS : P_DOP_POS + 3]
    m = 0
    for b in range(DOPPLER_BEAMS):
        if dop[DOP_VALID + b] < 0.5:
            continue
        pred = doppler_velocity_model(
            x, p[P_DOP_DIR + 3 * b : P_DOP_DIR + 3 * b + 3], lever, p[P_OMEGA], work[W_H + m]
        )
        meas = dop[DOP_VLOS + b]
        nu[m] = meas - pred
        sig = p[P_DOP_VSIG] + p[P_DOP_VFRAC] * abs(meas)
        work[W_RV, m] = sig * sig
        work[W_TOL, m] = 6.0 * sig
        m += 1
    if m == 0:
        return 0
    d2 = _vector_d2(cov, work, m)
    bk[B_NIS_DOPV] = d2
    gates = (p[P_CHI1], p[P_CHI2], p[P_CHI3])
    wides = (p[P_WCHI1], p[P_WCHI2], p[P_WCHI3])
    # a velocity re-init needs all three beams (the full relative velocity)
    consistent = m == 3 and streak_consistent(bk, B_STREAK_DOPV, nu, 3, work[W_TOL])
    verdict = judge(
        d2, gates[m - 1], wides[m - 1], robust, bk[B_REJ_DOPV], p[P_REJ_LIMIT], consistent
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, work, m)
        bk[B_REJ_DOPV] = 0.0
        bk[B_T_DOPV] = t
        bk[B_N_DOPV_ACC] += 1.0
        return EV_DOPV_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        # solve D v_rel = v_los - d.(lever velocity): the measured velocity relative to the surface
        dmat = np.empty((3, 3))
        rhs = np.empty(3)
        for k in range(3):
            for j in range(3):
                dmat[k, j] = work[W_H + k, E_V + j]
            rhs[k] = nu[k]
        dv, ok = _solve3(dmat, rhs)
        if ok:
            for j in range(3):
                x[X_V + j] += dv[j]
            e = np.zeros(3)
            for k in range(3):
                e[:] = 0.0
                e[k] = 1.0
                reset_direction(cov, E_V, e, p[P_RI_VEL])
            bk[B_REJ_DOPV] = 0.0
            bk[B_T_DOPV] = t
            bk[B_N_REINIT_OTHER] += 1.0
            return EV_VEL_REINIT
    _note_rejection(bk, B_REJ_DOPV, B_STREAK_DOPV, nu, m if m == 3 else 0)
    bk[B_N_DOPV_REJ] += 1.0
    return EV_DOPV_REJECT
