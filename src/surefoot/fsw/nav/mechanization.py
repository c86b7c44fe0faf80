"""Strapdown mechanization in MCI and the error-state covariance propagation.

One call of :func:`propagate` advances the nominal state and the 15x15
covariance over one flight-software cycle with the IMU increments
accumulated over it (``dv_body``: integral of specific force, m/s;
``dtheta_body``: integral of angular rate, rad). The flight software's
gravity is its own point-mass Moon (``fsw.moon``).

Nominal: biases removed; the velocity increment rotated to MCI with the
first-order rotation (sculling-free) correction ``dv + 0.5 dtheta x dv``;
attitude ``q <- q * exp(dtheta)``; gravity at the predicted mid-point;
trapezoidal position. Covariance: ``P <- Phi P Phi^T + Q`` with ``Phi`` the
first-order transition of the error dynamics (global attitude error)

    d(dr)/dt  = dv
    d(dv)/dt  = G dr - [a x] dth - C dba          (a: specific force in MCI)
    d(dth)/dt = -C dbg
    d(dba)/dt = d(dbg)/dt = 0 (+ random walks)

plus the second-order terms that couple position to attitude and biases
within a cycle. The same ``Phi`` carries the height-fix sensitivity
``x[X_S:X_S+6]``: the position and velocity error a unit height error at the
last height fix has grown into (gravity gradient over the curved, rotating
trajectory), which robust re-anchoring uses after a blind arc.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.layout import (
    E_BA,
    E_BG,
    E_R,
    E_TH,
    E_V,
    N_ERR,
    N_W,
    P_GM,
    P_J2,
    P_J2_R,
    P_Q_ARW,
    P_Q_BA,
    P_Q_BG,
    P_Q_VRW,
    P_SF_A,
    P_SF_G,
    W_PHI,
    W_PP,
    X_BA,
    X_BG,
    X_C,
    X_F,
    X_Q,
    X_R,
    X_S,
    X_V,
    X_W,
)
from surefoot.math.quaternion import quat_mul_xyz, quat_rotate_xyz, quat_to_dcm_xyz


@njit(cache=True)
def gravity_mci(r: np.ndarray, gm: float, j2: float = 0.0, r_j2: float = 1.0) -> np.ndarray:
    """Gravity (m/s^2) at MCI position ``r`` (m): point mass plus the J2 zonal term.

    The field is axisymmetric about the spin axis (MCI z), so the same form
    holds in MCI and MCMF (Vallado, Fundamentals of Astrodynamics, eq. 8-31);
    ``j2 = 0`` gives the point mass.
    """
    out = np.empty(3)
    out[0], out[1], out[2] = gravity_mci_xyz(r[0], r[1], r[2], gm, j2, r_j2)
    return out


@njit(cache=True, inline="always")
def gravity_mci_xyz(
    x: float, y: float, z: float, gm: float, j2: float, r_j2: float
) -> tuple[float, float, float]:
    """:func:`gravity_mci` at ``(x, y, z)`` (m, MCI) as a tuple (no array allocated)."""
    rn2 = x * x + y * y + z * z
    rn = np.sqrt(rn2)
    k = -gm / (rn2 * rn)
    g0 = k * x
    g1 = k * y
    g2 = k * z
    if j2 != 0.0:
        kj = 1.5 * j2 * gm * r_j2 * r_j2 / (rn2 * rn2 * rn)
        zz = 5.0 * z * z / rn2
        g0 += kj * x * (zz - 1.0)
        g1 += kj * y * (zz - 1.0)
        g2 += kj * z * (zz - 3.0)
    return g0, g1, g2


@njit(cache=True)
def _rotvec_quat(phi: np.ndarray) -> np.ndarray:
    """Unit quaternion of rotation vector ``phi`` (rad)."""
    out = np.empty(4)
    out[0], out[1], out[2], out[3] = _rotvec_quat_xyz(phi[0], phi[1], phi[2])
    return out


@njit(cache=True, inline="always")
def _rotvec_quat_xyz(p0: float, p1: float, p2: float) -> tuple[float, float, float, float]:
    """:func:`_rotvec_quat` of ``(p0, p1, p2)`` (rad) as a tuple (no array allocated)."""
    a = np.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
    if a < 1e-8:
        return 1.0 - a * a / 8.0, 0.5 * p0, 0.5 * p1, 0.5 * p2
    s = np.sin(0.5 * a) / a
    return np.cos(0.5 * a), s * p0, s * p1, s * p2


@njit(cache=True)
def propagate_nominal(
    x: np.ndarray,
    gm: float,
    dv_body: np.ndarray,
    dtheta_body: np.ndarray,
    dt: float,
    j2: float = 0.0,
    r_j2: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Advance the nominal state row ``x`` over one cycle, in place.

    Returns ``(dv_mci, q_mid, r_mid, dv_c, dtheta_c)``: the specific-force
    velocity increment in MCI (m/s), the mid-cycle attitude and position used
    to linearise the error dynamics, and the bias-corrected body increments.
    The arrays of :func:`propagate_nominal_xyz`'s tuples.
    """
    dv, q, r, dvb, dth = propagate_nominal_xyz(x, gm, dv_body, dtheta_body, dt, j2, r_j2)
    return np.array(dv), np.array(q), np.array(r), np.array(dvb), np.array(dth)


@njit(cache=True)
def propagate_nominal_xyz(
    x: np.ndarray,
    gm: float,
    dv_body: np.ndarray | tuple[float, float, float],
    dtheta_body: np.ndarray | tuple[float, float, float],
    dt: float,
    j2: float,
    r_j2: float,
) -> tuple[
    tuple[float, float, float],
    tuple[float, float, float, float],
    tuple[float, float, float],
    tuple[float, float, float],
    tuple[float, float, float],
]:
    """:func:`propagate_nominal` with tuples for its results (no array allocated);
    the increments ``dv_body`` and ``dtheta_body`` as arrays or tuples.

    Returns ``(dv_mci, q_mid, r_mid, dv_c, dtheta_c)`` as tuples: the
    specific-force velocity increment in MCI (m/s), the mid-cycle
    ``q_body_to_mci`` and MCI position (m), the bias-corrected body increments
    (m/s, rad).
    """
    # scalars where the old code built temporary arrays (this runs every cycle);
    # the same operations in the same order, so the same bits
    dth0 = dtheta_body[0] - x[X_BG] * dt
    dvb0 = dv_body[0] - x[X_BA] * dt
    dth1 = dtheta_body[1] - x[X_BG + 1] * dt
    dvb1 = dv_body[1] - x[X_BA + 1] * dt
    dth2 = dtheta_body[2] - x[X_BG + 2] * dt
    dvb2 = dv_body[2] - x[X_BA + 2] * dt
    # velocity increment: first-order rotation compensation over the cycle
    comp0 = dvb0 + 0.5 * (dth1 * dvb2 - dth2 * dvb1)
    comp1 = dvb1 + 0.5 * (dth2 * dvb0 - dth0 * dvb2)
    comp2 = dvb2 + 0.5 * (dth0 * dvb1 - dth1 * dvb0)
    qa0, qa1, qa2, qa3 = x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3]
    dv0, dv1, dv2 = quat_rotate_xyz(qa0, qa1, qa2, qa3, comp0, comp1, comp2)
    e0, e1, e2, e3 = _rotvec_quat_xyz(dth0, dth1, dth2)
    q10, q11, q12, q13 = quat_mul_xyz(qa0, qa1, qa2, qa3, e0, e1, e2, e3)
    qn = np.sqrt(q10**2 + q11**2 + q12**2 + q13**2)
    if q10 < 0.0:
        qn = -qn
    x[X_Q] = q10 / qn
    x[X_Q + 1] = q11 / qn
    x[X_Q + 2] = q12 / qn
    x[X_Q + 3] = q13 / qn
    h0, h1, h2, h3 = _rotvec_quat_xyz(0.5 * dth0, 0.5 * dth1, 0.5 * dth2)
    q_mid = quat_mul_xyz(qa0, qa1, qa2, qa3, h0, h1, h2, h3)

    r00, r01, r02 = x[X_R], x[X_R + 1], x[X_R + 2]
    v00, v01, v02 = x[X_V], x[X_V + 1], x[X_V + 2]
    g00, g01, g02 = gravity_mci_xyz(r00, r01, r02, gm, j2, r_j2)
    rm0 = r00 + 0.5 * dt * v00 + 0.125 * dt * (dv0 + g00 * dt)
    rm1 = r01 + 0.5 * dt * v01 + 0.125 * dt * (dv1 + g01 * dt)
    rm2 = r02 + 0.5 * dt * v02 + 0.125 * dt * (dv2 + g02 * dt)
    gm0, gm1, gm2 = gravity_mci_xyz(rm0, rm1, rm2, gm, j2, r_j2)
    v1 = v00 + dv0 + gm0 * dt
    x[X_V] = v1
    x[X_R] = r00 + 0.5 * dt * (v00 + v1)
    v1 = v01 + dv1 + gm1 * dt
    x[X_V + 1] = v1
    x[X_R + 1] = r01 + 0.5 * dt * (v01 + v1)
    v1 = v02 + dv2 + gm2 * dt
    x[X_V + 2] = v1
    x[X_R + 2] = r02 + 0.5 * dt * (v02 + v1)
    x[X_W] = dth0 / dt
    x[X_F] = dvb0 / dt
    x[X_W + 1] = dth1 / dt
    x[X_F + 1] = dvb1 / dt
    x[X_W + 2] = dth2 / dt
    x[X_F + 2] = dvb2 / dt
    return (dv0, dv1, dv2), q_mid, (rm0, rm1, rm2), (dvb0, dvb1, dvb2), (dth0, dth1, dth2)


@njit(cache=True)
def transition(
    dv_mci: np.ndarray, q_mid: np.ndarray, r_mid: np.ndarray, gm: float, dt: float
) -> np.ndarray:
    """Error-state transition matrix ``Phi`` (15, 15) over one cycle (see module notes)."""
    phi = np.empty((N_ERR, N_ERR))
    transition_into(
        phi,
        (dv_mci[0], dv_mci[1], dv_mci[2]),
        (q_mid[0], q_mid[1], q_mid[2], q_mid[3]),
        (r_mid[0], r_mid[1], r_mid[2]),
        gm,
        dt,
    )
    return phi


@njit(cache=True)
def transition_into(
    phi: np.ndarray,
    dv_mci: tuple[float, float, float],
    q_mid: tuple[float, float, float, float],
    r_mid: tuple[float, float, float],
    gm: float,
    dt: float,
) -> None:
    """:func:`transition` written into rows ``0..14`` of ``phi`` (no array allocated).

    ``dv_mci`` (m/s, MCI), ``q_mid`` (``q_body_to_mci``) and ``r_mid`` (m, MCI)
    as tuples; every entry of the 15x15 block is written.
    """
    # the matrices of the old code as tuples (row-major): the same values
    c = quat_to_dcm_xyz(q_mid[0], q_mid[1], q_mid[2], q_mid[3])
    rn2 = r_mid[0] ** 2 + r_mid[1] ** 2 + r_mid[2] ** 2
    rn = np.sqrt(rn2)
    kg = gm / (rn2 * rn)
    gg = (
        kg * (3.0 * r_mid[0] * r_mid[0] / rn2 - 1.0),
        kg * (3.0 * r_mid[0] * r_mid[1] / rn2 - 0.0),
        kg * (3.0 * r_mid[0] * r_mid[2] / rn2 - 0.0),
        kg * (3.0 * r_mid[1] * r_mid[0] / rn2 - 0.0),
        kg * (3.0 * r_mid[1] * r_mid[1] / rn2 - 1.0),
        kg * (3.0 * r_mid[1] * r_mid[2] / rn2 - 0.0),
        kg * (3.0 * r_mid[2] * r_mid[0] / rn2 - 0.0),
        kg * (3.0 * r_mid[2] * r_mid[1] / rn2 - 0.0),
        kg * (3.0 * r_mid[2] * r_mid[2] / rn2 - 1.0),
    )
    # [dv x] with dv the specific-force increment in MCI
    ax = (
        0.0, -dv_mci[2], dv_mci[1],
        dv_mci[2], 0.0, -dv_mci[0],
        -dv_mci[1], dv_mci[0], 0.0,
    )
    for i in range(N_ERR):
        for j in range(N_ERR):
            phi[i, j] = 0.0
        phi[i, i] = 1.0
    dt2 = dt * dt
    for i in range(3):
        for j in range(3):
            g = gg[3 * i + j]
            a = ax[3 * i + j]
            cij = c[3 * i + j]
            phi[E_R + i, E_R + j] += 0.5 * g * dt2
            phi[E_R + i, E_TH + j] = -0.5 * a * dt
            phi[E_R + i, E_BA + j] = -0.5 * cij * dt2
            phi[E_V + i, E_R + j] = g * dt
            phi[E_V + i, E_TH + j] = -a
            phi[E_V + i, E_BA + j] = -cij * dt
            phi[E_TH + i, E_BG + j] = -cij * dt
            acc = 0.0
            for k in range(3):
                acc += ax[3 * i + k] * c[3 * k + j]
            phi[E_V + i, E_BG + j] = 0.5 * acc * dt
            phi[E_R + i, E_BG + j] = 0.25 * acc * dt2
            phi[E_V + i, E_V + j] += 0.5 * g * dt2
        phi[E_R + i, E_V + i] = dt


def _phi_structure() -> tuple[np.ndarray, np.ndarray]:
    """Columns (ascending) that :func:`transition` may fill in each row of ``Phi``."""
    nz = np.eye(N_ERR, dtype=bool)
    for i in range(3):
        nz[E_R + i, E_V + i] = True
        for base in (E_R, E_TH, E_BA, E_BG):
            nz[E_R + i, base : base + 3] = True
        for base in (E_R, E_V, E_TH, E_BA, E_BG):
            nz[E_V + i, base : base + 3] = True
        nz[E_TH + i, E_BG : E_BG + 3] = True
    cols = np.zeros((N_ERR, N_ERR), dtype=np.int64)
    ncols = np.zeros(N_ERR, dtype=np.int64)
    for i in range(N_ERR):
        idx = np.flatnonzero(nz[i])
        cols[i, : idx.size] = idx
        ncols[i] = idx.size
    return cols, ncols


_PHI_COLS, _PHI_NCOLS = _phi_structure()


@njit(cache=True)
def propagate_covariance(
    cov: np.ndarray,
    phi: np.ndarray,
    p: np.ndarray,
    dv_c: np.ndarray,
    dtheta_c: np.ndarray,
    dt: float,
) -> None:
    """``P <- Phi P Phi^T + Q`` in place; ``Q`` from the believed IMU errors (module notes).

    :func:`propagate_covariance_into` on a scratch it allocates, ``phi`` copied in.
    """
    work = np.empty((N_W, N_ERR))
    for i in range(N_ERR):
        for j in range(N_ERR):
            work[W_PHI + i, j] = phi[i, j]
    propagate_covariance_into(
        cov, work, p, (dv_c[0], dv_c[1], dv_c[2]), (dtheta_c[0], dtheta_c[1], dtheta_c[2]), dt
    )


@njit(cache=True)
def propagate_covariance_into(
    cov: np.ndarray,
    work: np.ndarray,
    p: np.ndarray,
    dv_c: tuple[float, float, float],
    dtheta_c: tuple[float, float, float],
    dt: float,
) -> None:
    """:func:`propagate_covariance` with ``Phi`` in the scratch rows ``W_PHI`` of
    ``work`` (``layout.N_W``, 15) and ``Phi P`` in its rows ``W_PP`` (no array
    allocated); the bias-corrected body increments ``dv_c`` (m/s) and
    ``dtheta_c`` (rad) as tuples.

    Only the entries of ``Phi`` that :func:`transition` can fill are visited
    (:data:`_PHI_COLS`: 102 of 225), each sum in ascending column order and
    skipping zeros as a dense product would, so the result is the dense
    product's to the bit.
    """
    # Phi P in rows W_PP..W_PP+14 and the column sums below in row W_PP+15
    for i in range(N_ERR):
        for j in range(N_ERR):
            work[W_PP + i, j] = 0.0
        for t in range(_PHI_NCOLS[i]):
            k = _PHI_COLS[i, t]
            f = work[W_PHI + i, k]
            if f != 0.0:
                for j in range(N_ERR):
                    work[W_PP + i, j] += f * cov[k, j]
    # (Phi P) Phi^T, one column j of the upper triangle at a time: the sums of
    # all its rows i <= j advance together, each still in ascending k from 0.0
    # (the same value as one sum at a time, to the bit), so they are
    # independent chains instead of one chain of additions after another
    acc = W_PP + N_ERR
    for j in range(N_ERR):
        for i in range(j + 1):
            work[acc, i] = 0.0
        for t in range(_PHI_NCOLS[j]):
            k = _PHI_COLS[j, t]
            f = work[W_PHI + j, k]
            if f != 0.0:
                for i in range(j + 1):
                    work[acc, i] += work[W_PP + i, k] * f
        for i in range(j + 1):
            cov[i, j] = work[acc, i]
            cov[j, i] = work[acc, i]
    dvn = np.sqrt(dv_c[0] ** 2 + dv_c[1] ** 2 + dv_c[2] ** 2)
    dthn = np.sqrt(dtheta_c[0] ** 2 + dtheta_c[1] ** 2 + dtheta_c[2] ** 2)
    dt2 = dt * dt
    qv = p[P_Q_VRW]
    sf_v = (p[P_SF_A] * dvn) ** 2
    q_att = p[P_Q_ARW] * dt + (p[P_SF_G] * dthn) ** 2
    for k in range(3):
        cov[E_R + k, E_R + k] += qv * dt2 * dt / 3.0 + 0.25 * sf_v * dt2
        cov[E_R + k, E_V + k] += 0.5 * qv * dt2 + 0.5 * sf_v * dt
        cov[E_V + k, E_R + k] += 0.5 * qv * dt2 + 0.5 * sf_v * dt
        cov[E_V + k, E_V + k] += qv * dt + sf_v
        cov[E_TH + k, E_TH + k] += q_att
        cov[E_BA + k, E_BA + k] += p[P_Q_BA] * dt
        cov[E_BG + k, E_BG + k] += p[P_Q_BG] * dt


@njit(cache=True)
def propagate(
    x: np.ndarray,
    cov: np.ndarray,
    p: np.ndarray,
    dv_body: np.ndarray,
    dtheta_body: np.ndarray,
    dt: float,
) -> None:
    """Advance nominal state ``x`` and covariance ``cov`` by one cycle, in place.

    :func:`propagate_into` on a scratch it allocates.
    """
    propagate_into(x, cov, p, dv_body, dtheta_body, dt, np.empty((N_W, N_ERR)))


@njit(cache=True)
def propagate_into(
    x: np.ndarray,
    cov: np.ndarray,
    p: np.ndarray,
    dv_body: np.ndarray | tuple[float, float, float],
    dtheta_body: np.ndarray | tuple[float, float, float],
    dt: float,
    work: np.ndarray,
) -> None:
    """Advance nominal state ``x`` and covariance ``cov`` by one cycle, in place.

    Parameters
    ----------
    x : (N_X,)
        Nominal state row (``layout.X_*``); time is not changed here.
    cov : (15, 15)
        Error covariance.
    p : (N_P,)
        Parameter row (gravity, process noise).
    dv_body : (3,) or 3-tuple
        Raw accelerometer increment over the cycle, body, m/s.
    dtheta_body : (3,) or 3-tuple
        Raw gyro increment over the cycle, body, rad.
    dt : float
        Cycle length, s.
    work : (N_W, 15)
        Scratch (``layout.W_*``); its rows ``W_PHI`` hold ``Phi`` afterwards.
    """
    if dt <= 0.0:
        return
    dv_mci, q_mid, r_mid, dv_c, dth_c = propagate_nominal_xyz(
        x, p[P_GM], dv_body, dtheta_body, dt, p[P_J2], p[P_J2_R]
    )
    transition_into(work, dv_mci, q_mid, r_mid, p[P_GM], dt)
    propagate_covariance_into(cov, work, p, dv_c, dth_c, dt)
    propagate_sensitivity(x, work)


@njit(cache=True)
def propagate_sensitivity(x: np.ndarray, phi: np.ndarray) -> None:
    """``s <- Phi s`` for the height-fix sensitivity ``x[X_S:X_S+6]`` and the
    applied blind-arc correction ``x[X_C:X_C+6]`` (position and velocity parts;
    neither feeds attitude or biases). ``Phi`` in rows 0..5 of ``phi`` (``W_PHI``
    is 0: the scratch ``work`` serves)."""
    for base in (X_S, X_C):
        # the old values as scalars (no copy of the slice): the same sums in the same order
        s0, s1, s2 = x[base], x[base + 1], x[base + 2]
        s3, s4, s5 = x[base + 3], x[base + 4], x[base + 5]
        for i in range(6):
            acc = 0.0
            acc += phi[i, 0] * s0
            acc += phi[i, 1] * s1
            acc += phi[i, 2] * s2
            acc += phi[i, 3] * s3
            acc += phi[i, 4] * s4
            acc += phi[i, 5] * s5
            x[base + i] = acc
