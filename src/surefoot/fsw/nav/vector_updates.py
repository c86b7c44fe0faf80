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
    mahalanobis_small,
    reset_direction,
    residual,
    scalar_update,
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
    X_Q,
    X_R,
    X_V,
)
from surefoot.fsw.nav.measurement_models import (
    doppler_velocity_model,
    trn_model,
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
from surefoot.math.quaternion import quat_mul_xyz, quat_to_dcm


@njit(cache=True)
def _vector_d2(
    cov: np.ndarray, hrows: np.ndarray, rdiag: np.ndarray, nu: np.ndarray, m: int
) -> float:
    s = np.empty((m, m))
    for a in range(m):
        for b in range(a, m):
            acc = 0.0
            for i in range(N_ERR):
                if hrows[a, i] == 0.0:
                    continue
                for j in range(N_ERR):
                    acc += hrows[a, i] * cov[i, j] * hrows[b, j]
            s[a, b] = acc
            s[b, a] = acc
        s[a, a] += rdiag[a]
    return mahalanobis_small(s, nu, m)


@njit(cache=True)
def _vector_apply(
    x: np.ndarray,
    cov: np.ndarray,
    dx: np.ndarray,
    hrows: np.ndarray,
    rdiag: np.ndarray,
    nu: np.ndarray,
    m: int,
) -> None:
    for a in range(m):
        scalar_update(cov, dx, hrows[a], residual(nu[a], hrows[a], dx), rdiag[a])
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
    t: float, robust: bool, dx: np.ndarray,
) -> int:
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
    c_bs = p[P_STAR_AXES : P_STAR_AXES + 9].reshape(3, 3)
    c_ib = quat_to_dcm(x[X_Q : X_Q + 4])
    hrows = np.zeros((3, N_ERR))
    rdiag = np.empty(3)
    tol = np.empty(3)
    nu = np.empty(3)
    for k in range(3):
        acc = 0.0
        for j in range(3):
            a = c_ib[j, 0] * c_bs[0, k] + c_ib[j, 1] * c_bs[1, k] + c_ib[j, 2] * c_bs[2, k]
            hrows[k, E_TH + j] = a
            acc += a * nu_mci[j]
        nu[k] = acc
        sig = p[P_STAR_SIG + k]
        rdiag[k] = sig * sig
        tol[k] = 6.0 * sig
    d2 = _vector_d2(cov, hrows, rdiag, nu, 3)
    bk[B_NIS_STAR] = d2
    verdict = judge(
        d2, p[P_CHI3], p[P_WCHI3], robust, bk[B_REJ_STAR], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_STAR, nu, 3, tol),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, hrows, rdiag, nu, 3)
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
) -> int:
    xm, ym, h = trn_model(x, theta, c, p[P_RADIUS])
    nu = np.empty(2)
    nu[0] = trn[TRN_X] - xm
    nu[1] = trn[TRN_Y] - ym
    sig = max(trn[TRN_SIGMA] * p[P_TRN_SCALE], p[P_TRN_MIN])
    rdiag = np.empty(2)
    tol = np.empty(2)
    for k in range(2):
        rdiag[k] = sig * sig
        tol[k] = 6.0 * sig
    d2 = _vector_d2(cov, h, rdiag, nu, 2)
    bk[B_NIS_TRN] = d2
    verdict = judge(
        d2, p[P_CHI2], p[P_WCHI2], robust, bk[B_REJ_TRN], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_TRN, nu, 2, tol),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, h, rdiag, nu, 2)
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
    t: float, robust: bool, dx: np.ndarray,
) -> int:
    hrows = np.zeros((3, N_ERR))
    rdiag = np.empty(3)
    nu = np.empty(3)
    tol = np.empty(3)
    lever = p[P_DOP_POS : P_DOP_POS + 3]
    m = 0
    for b in range(DOPPLER_BEAMS):
        if dop[DOP_VALID + b] < 0.5:
            continue
        pred = doppler_velocity_model(
            x, p[P_DOP_DIR + 3 * b : P_DOP_DIR + 3 * b + 3], lever, p[P_OMEGA], hrows[m]
        )
        meas = dop[DOP_VLOS + b]
        nu[m] = meas - pred
        sig = p[P_DOP_VSIG] + p[P_DOP_VFRAC] * abs(meas)
        rdiag[m] = sig * sig
        tol[m] = 6.0 * sig
        m += 1
    if m == 0:
        return 0
    d2 = _vector_d2(cov, hrows, rdiag, nu, m)
    bk[B_NIS_DOPV] = d2
    gates = (p[P_CHI1], p[P_CHI2], p[P_CHI3])
    wides = (p[P_WCHI1], p[P_WCHI2], p[P_WCHI3])
    # a velocity re-init needs all three beams (the full relative velocity)
    consistent = m == 3 and streak_consistent(bk, B_STREAK_DOPV, nu, 3, tol)
    verdict = judge(
        d2, gates[m - 1], wides[m - 1], robust, bk[B_REJ_DOPV], p[P_REJ_LIMIT], consistent
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, hrows, rdiag, nu, m)
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
                dmat[k, j] = hrows[k, E_V + j]
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
