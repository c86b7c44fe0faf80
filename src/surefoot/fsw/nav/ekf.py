"""Error-state Kalman filter primitives on one lander's arrays.

The filter keeps a nominal state row (``layout.X_*``) and the covariance of
a 15-element error state (``layout.E_*``). Within one sensor's update the
corrections accumulate in an error vector ``dx`` (15,) with sequential scalar
updates; :func:`inject` then folds ``dx`` into the nominal state and zeroes it.
Scalar updates cost O(n^2): a vector measurement with a diagonal noise is
gated as a vector first and then applied one component at a time.
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
    W_A,
    W_H,
    W_K,
    X_BA,
    X_BG,
    X_Q,
    X_R,
    X_V,
)
from surefoot.math.quaternion import quat_mul_xyz

_VAR_FLOOR = 1e-30


@njit(cache=True)
def nav_work() -> np.ndarray:
    """Scratch of one lander's filter, ``(N_W, 15)`` (rows ``layout.W_*``): make it
    once and pass it to every cycle (:func:`surefoot.fsw.nav.nav_step.nav_step`)."""
    return np.empty((N_W, N_ERR))


@njit(cache=True)
def innovation_variance_w(cov: np.ndarray, work: np.ndarray, i_h: int, r_var: float) -> float:
    """``h P h^T + R`` for a scalar measurement whose sensitivity row ``h`` (15,)
    is row ``i_h`` of the scratch ``work``."""
    s = r_var
    for i in range(N_ERR):
        if work[i_h, i] == 0.0:
            continue
        acc = 0.0
        for j in range(N_ERR):
            acc += cov[i, j] * work[i_h, j]
        s += work[i_h, i] * acc
    return s


@njit(cache=True)
def residual(innov: float, h: np.ndarray, dx: np.ndarray) -> float:
    """Innovation left after the corrections ``dx`` already accumulated this update."""
    out = innov
    for i in range(N_ERR):
        out -= h[i] * dx[i]
    return out


@njit(cache=True)
def residual_w(innov: float, work: np.ndarray, i_h: int, dx: np.ndarray) -> float:
    """:func:`residual` with the sensitivity row in row ``i_h`` of ``work``."""
    out = innov
    for i in range(N_ERR):
        out -= work[i_h, i] * dx[i]
    return out


@njit(cache=True)
def scalar_update(
    cov: np.ndarray, dx: np.ndarray, h: np.ndarray, resid: float, r_var: float
) -> None:
    """Kalman update with one scalar measurement, in place.

    Parameters
    ----------
    cov : (15, 15)
        Error covariance, updated to ``P - P h^T h P / s``.
    dx : (15,)
        Accumulated error-state correction, increased by ``K * resid``.
    h : (15,)
        Measurement sensitivity to the error state.
    resid : float
        Innovation after the corrections already in ``dx`` (:func:`residual`).
    r_var : float
        Measurement noise variance (units of the measurement squared).
    """
    work = nav_work()
    for i in range(N_ERR):
        work[W_H, i] = h[i]
    scalar_update_w(cov, dx, work, W_H, resid, r_var)


@njit(cache=True)
def scalar_update_w(
    cov: np.ndarray, dx: np.ndarray, work: np.ndarray, i_h: int, resid: float, r_var: float
) -> None:
    """:func:`scalar_update` with ``h`` in row ``i_h`` of the scratch ``work``
    (``layout.W_*``) and ``P h`` in its row ``W_A`` (no array allocated)."""
    for i in range(N_ERR):
        acc = 0.0
        for j in range(N_ERR):
            if work[i_h, j] != 0.0:
                acc += cov[i, j] * work[i_h, j]
        work[W_A, i] = acc
    s = r_var
    for i in range(N_ERR):
        s += work[i_h, i] * work[W_A, i]
    if s <= 0.0:
        return
    inv_s = 1.0 / s
    for i in range(N_ERR):
        dx[i] += work[W_A, i] * inv_s * resid
    for i in range(N_ERR):
        ai = work[W_A, i] * inv_s
        for j in range(i, N_ERR):
            v = cov[i, j] - ai * work[W_A, j]
            cov[i, j] = v
            cov[j, i] = v
    for i in range(N_ERR):
        if cov[i, i] < _VAR_FLOOR:
            cov[i, i] = _VAR_FLOOR


@njit(cache=True)
def inject(x: np.ndarray, dx: np.ndarray) -> None:
    """Fold the error-state correction ``dx`` into the nominal state row ``x``; zero ``dx``.

    Attitude uses the global (MCI) error: ``q <- dq(dtheta) * q``.
    """
    for k in range(3):
        x[X_R + k] += dx[E_R + k]
        x[X_V + k] += dx[E_V + k]
        x[X_BA + k] += dx[E_BA + k]
        x[X_BG + k] += dx[E_BG + k]
    # dq = [1, dtheta / 2] and the product as scalars (no array): the same arithmetic
    q0, q1, q2, q3 = quat_mul_xyz(
        1.0, 0.5 * dx[E_TH], 0.5 * dx[E_TH + 1], 0.5 * dx[E_TH + 2],
        x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3],
    )
    n = np.sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3)
    if q0 < 0.0:
        n = -n
    x[X_Q] = q0 / n
    x[X_Q + 1] = q1 / n
    x[X_Q + 2] = q2 / n
    x[X_Q + 3] = q3 / n
    for i in range(N_ERR):
        dx[i] = 0.0


@njit(cache=True)
def reset_direction(cov: np.ndarray, base: int, u: np.ndarray, sigma: float) -> None:
    """Replace the error along unit vector ``u`` of the 3-block at ``base`` by a fresh one.

    The component ``w^T e`` (``w`` is ``u`` placed at ``base``) loses all its
    correlations and gets variance ``sigma**2``: ``P <- (I - w w^T) P (I - w w^T)
    + sigma^2 w w^T``. Used to re-initialise a channel (e.g. height).
    """
    a = np.zeros(N_ERR)
    for i in range(N_ERR):
        acc = 0.0
        for k in range(3):
            acc += cov[i, base + k] * u[k]
        a[i] = acc
    c = 0.0
    for k in range(3):
        c += u[k] * a[base + k]
    w = np.zeros(N_ERR)
    for k in range(3):
        w[base + k] = u[k]
    add = c + sigma * sigma
    for i in range(N_ERR):
        for j in range(i, N_ERR):
            v = cov[i, j] - w[i] * a[j] - a[i] * w[j] + add * w[i] * w[j]
            cov[i, j] = v
            cov[j, i] = v


@njit(cache=True)
def inflate_direction(cov: np.ndarray, base: int, u: np.ndarray, sigma: float) -> None:
    """Add variance ``sigma**2`` along unit vector ``u`` of the 3-block at ``base``."""
    s2 = sigma * sigma
    for i in range(3):
        for j in range(3):
            cov[base + i, base + j] += s2 * u[i] * u[j]


@njit(cache=True)
def direction_variance(cov: np.ndarray, base: int, u: np.ndarray) -> float:
    """``u^T P_block u`` for the 3-block at ``base``."""
    s = 0.0
    for i in range(3):
        for j in range(3):
            s += u[i] * cov[base + i, base + j] * u[j]
    return s


@njit(cache=True)
def symmetrize(cov: np.ndarray) -> None:
    """Average ``P`` with its transpose and floor its diagonal, in place."""
    for i in range(N_ERR):
        for j in range(i + 1, N_ERR):
            v = 0.5 * (cov[i, j] + cov[j, i])
            cov[i, j] = v
            cov[j, i] = v
        if cov[i, i] < _VAR_FLOOR:
            cov[i, i] = _VAR_FLOOR


@njit(cache=True)
def scalar_update_vertical_w(
    cov: np.ndarray,
    dx: np.ndarray,
    work: np.ndarray,
    i_h: int,
    resid: float,
    r_var: float,
    up: np.ndarray,
) -> None:
    """Scalar update that corrects only the height and vertical velocity (Schmidt form).

    A range to a map whose errors the filter cannot see (a flat or shifted
    map) should move the height, not the horizontal position or velocity,
    the attitude or the IMU biases through their correlations with it: all
    but the vertical parts of position and velocity are treated as consider
    states (Schmidt 1966). With that sub-optimal
    gain ``K`` the covariance follows the Joseph form
    ``P - K a^T - a K^T + s K K^T`` (``a = P h``, ``s = h^T P h + r``), which
    stays exact for any gain.

    ``h`` is row ``i_h`` of the scratch ``work``; ``a = P h`` goes in its row
    ``W_A`` and the gain in its row ``W_K`` (no array allocated).

    Parameters
    ----------
    up : (3,)
        Unit local vertical at the lander, MCI.
    Other parameters as :func:`scalar_update`.
    """
    for i in range(N_ERR):
        acc = 0.0
        for j in range(N_ERR):
            if work[i_h, j] != 0.0:
                acc += cov[i, j] * work[i_h, j]
        work[W_A, i] = acc
    s = r_var
    for i in range(N_ERR):
        s += work[i_h, i] * work[W_A, i]
    if s <= 0.0:
        return
    for i in range(N_ERR):
        work[W_K, i] = work[W_A, i] / s
    for i in range(6, N_ERR):  # attitude and biases: consider states too
        work[W_K, i] = 0.0
    for base in (0, 3):
        along = work[W_K, base] * up[0] + work[W_K, base + 1] * up[1] + work[W_K, base + 2] * up[2]
        for j in range(3):
            work[W_K, base + j] = along * up[j]
    for i in range(N_ERR):
        dx[i] += work[W_K, i] * resid
    for i in range(N_ERR):
        for j in range(i, N_ERR):
            v = (
                cov[i, j] - work[W_K, i] * work[W_A, j] - work[W_A, i] * work[W_K, j]
                + s * work[W_K, i] * work[W_K, j]
            )
            cov[i, j] = v
            cov[j, i] = v
    for i in range(N_ERR):
        if cov[i, i] < _VAR_FLOOR:
            cov[i, i] = _VAR_FLOOR


@njit(cache=True, inline="always")
def direction_variance_xyz(cov: np.ndarray, base: int, u0: float, u1: float, u2: float) -> float:
    """:func:`direction_variance` of the unit ``(u0, u1, u2)``
    (no array): the same sum in the same order."""
    s = 0.0
    s += u0 * cov[base, base] * u0
    s += u0 * cov[base, base + 1] * u1
    s += u0 * cov[base, base + 2] * u2
    s += u1 * cov[base + 1, base] * u0
    s += u1 * cov[base + 1, base + 1] * u1
    s += u1 * cov[base + 1, base + 2] * u2
    s += u2 * cov[base + 2, base] * u0
    s += u2 * cov[base + 2, base + 1] * u1
    s += u2 * cov[base + 2, base + 2] * u2
    return s


@njit(cache=True, inline="always")
def mahalanobis_small_xyz(
    n: int,
    s00: float, s01: float, s02: float, s11: float, s12: float, s22: float,
    nu0: float, nu1: float, nu2: float,
) -> float:
    """``nu^T S^-1 nu`` for a symmetric positive definite ``S`` of size ``n`` = 1, 2
    or 3, given by its upper triangle, and ``nu``, as scalars (entries past ``n``
    unused; no array). Returns ``inf`` when ``S`` is singular."""
    if n == 1:
        return nu0 * nu0 / s00 if s00 > 0.0 else np.inf
    if n == 2:
        det = s00 * s11 - s01 * s01
        if det <= 0.0:
            return np.inf
        q2 = s11 * nu0 * nu0 - 2.0 * s01 * nu0 * nu1 + s00 * nu1 * nu1
        return q2 / det
    a, b, c = s00, s01, s02
    d, e = s11, s12
    f = s22
    c00 = d * f - e * e
    c01 = c * e - b * f
    c02 = b * e - c * d
    det = a * c00 + b * c01 + c * c02
    if det <= 0.0:
        return np.inf
    c11 = a * f - c * c
    c12 = b * c - a * e
    c22 = a * d - b * b
    q = (
        c00 * nu0 * nu0
        + c11 * nu1 * nu1
        + c22 * nu2 * nu2
        + 2.0 * (c01 * nu0 * nu1 + c02 * nu0 * nu2 + c12 * nu1 * nu2)
    )
    return q / det
