"""The navigation filter's uncertainty and consistency, recorded beside the truth.

Only the simulator may put the filter's estimate and the truth side by side
(the flight software never sees truth): this module turns the filter's own
covariance (error state in MCI, ``fsw/nav/layout.py``) into per-axis 1-sigma
values in the site ENU frame of the telemetry, and computes the normalised
estimation error squared (NEES) of position and velocity from the truth.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.interfaces import NAV_Q
from surefoot.fsw.nav.layout import (
    B_NIS_DOPR,
    B_NIS_DOPV,
    B_NIS_LRF,
    B_NIS_STAR,
    B_NIS_TRN,
    E_R,
    E_TH,
    E_V,
    X_R,
    X_T,
    X_V,
)
from surefoot.sim.telemetry import (
    TEL_NAV_NEES_RV,
    TEL_NAV_NIS,
    TEL_NAV_Q,
    TEL_NAV_SIGMA_ATT,
    TEL_NAV_SIGMA_R,
    TEL_NAV_SIGMA_V,
)
from surefoot.world.site_frame import SITE_C, SITE_OMEGA
from surefoot.world.vehicle import S_R, S_V

NIS_SLOTS = (B_NIS_LRF, B_NIS_DOPR, B_NIS_DOPV, B_NIS_TRN, B_NIS_STAR)  # order of TEL_NAV_NIS


@njit(cache=True)
def enu_from_mci(site: np.ndarray, t: float) -> np.ndarray:
    """(3, 3) matrix taking MCI components to site ENU components at time ``t`` (s)."""
    th = site[SITE_OMEGA] * t
    c = np.cos(th)
    s = np.sin(th)
    out = np.empty((3, 3))
    for i in range(3):
        e0 = site[SITE_C + 3 * i]
        e1 = site[SITE_C + 3 * i + 1]
        # row i of C_enu_mcmf times Rz(theta): MCMF = (c x + s y, -s x + c y, z) of MCI
        out[i, 0] = e0 * c - e1 * s
        out[i, 1] = e0 * s + e1 * c
        out[i, 2] = site[SITE_C + 3 * i + 2]
    return out


@njit(cache=True)
def _quadratic_sigma(row: np.ndarray, cov: np.ndarray) -> float:
    """sqrt(row cov row^T) for a (k,) row and a (k, k) covariance."""
    acc = 0.0
    for a in range(row.shape[0]):
        for b in range(row.shape[0]):
            acc += row[a] * cov[a, b] * row[b]
    return np.sqrt(acc) if acc >= 0.0 else np.nan


@njit(cache=True)
def nees(err: np.ndarray, cov: np.ndarray) -> float:
    """err^T cov^-1 err by a Cholesky factorisation; NaN when ``cov`` is not
    positive definite."""
    n = err.shape[0]
    low = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            acc = cov[i, j]
            for k in range(j):
                acc -= low[i, k] * low[j, k]
            if i == j:
                if acc <= 0.0:
                    return np.nan
                low[i, i] = np.sqrt(acc)
            else:
                low[i, j] = acc / low[j, j]
    # forward substitution: low y = err; NEES = |y|^2
    y = np.empty(n)
    out = 0.0
    for i in range(n):
        acc = err[i]
        for k in range(i):
            acc -= low[i, k] * y[k]
        y[i] = acc / low[i, i]
        out += y[i] * y[i]
    return out


@njit(cache=True)
def record_navigation(
    row: np.ndarray,
    x_truth: np.ndarray,
    t: float,
    site: np.ndarray,
    nav: np.ndarray,
    kx: np.ndarray,
    kcov: np.ndarray,
    kbk: np.ndarray,
    ekf: bool,
) -> None:
    """Write the navigation-consistency columns of one telemetry row.

    ``x_truth``: truth state (MCI); ``nav``: the interface navigation row;
    ``kx``, ``kcov``, ``kbk``: the filter's state, 15x15 error covariance (MCI)
    and bookkeeping rows. With ideal navigation (``ekf`` False) only the
    attitude estimate is written; the rest is NaN. NEES is NaN unless the
    filter's estimate is of time ``t`` (a row recorded between two cycles).
    """
    for k in range(4):
        row[TEL_NAV_Q + k] = nav[NAV_Q + k]
    if not ekf:
        for k in range(3):
            row[TEL_NAV_SIGMA_R + k] = np.nan
            row[TEL_NAV_SIGMA_V + k] = np.nan
            row[TEL_NAV_SIGMA_ATT + k] = np.nan
        row[TEL_NAV_NEES_RV] = np.nan
        for k in range(5):
            row[TEL_NAV_NIS + k] = np.nan
        return
    m = enu_from_mci(site, t)
    om = site[SITE_OMEGA]
    p_rv = kcov[E_R : E_R + 6, E_R : E_R + 6]  # E_V follows E_R
    p_th = kcov[E_TH : E_TH + 3, E_TH : E_TH + 3]
    jac = np.zeros(6)
    for i in range(3):
        row[TEL_NAV_SIGMA_R + i] = _quadratic_sigma(m[i], kcov[E_R : E_R + 3, E_R : E_R + 3])
        # surface-relative velocity v + w x r in MCI: (v0 + om r1, v1 - om r0, v2)
        jac[0] = -om * m[i, 1]
        jac[1] = om * m[i, 0]
        jac[2] = 0.0
        for k in range(3):
            jac[E_V - E_R + k] = m[i, k]
        row[TEL_NAV_SIGMA_V + i] = _quadratic_sigma(jac, p_rv)
        row[TEL_NAV_SIGMA_ATT + i] = np.degrees(_quadratic_sigma(m[i], p_th))
    if abs(kx[X_T] - t) < 1e-9:
        err = np.empty(6)
        for k in range(3):
            err[k] = x_truth[S_R + k] - kx[X_R + k]
            err[3 + k] = x_truth[S_V + k] - kx[X_V + k]
        row[TEL_NAV_NEES_RV] = nees(err, p_rv)
    else:
        row[TEL_NAV_NEES_RV] = np.nan
    for k in range(5):
        v = kbk[NIS_SLOTS[k]]
        row[TEL_NAV_NIS + k] = v if v >= 0.0 else np.nan
