"""The beam table of a cycle's range measurements: each valid rangefinder beam
and Doppler range predicted on the onboard map, its implied height correction,
and the cross-check that excludes beams far from the others' median.

:mod:`surefoot.fsw.nav.range_updates` gates and applies the table's beams.
The table lives in the filter's scratch rows ``layout.W_BT`` (no array is
made in a cycle), one row per beam, columns ``BT_*``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.gating import (
    median_in_place,
)
from surefoot.fsw.nav.layout import (
    B_ALT_EST,
    B_FROZEN_DOPR,
    B_FROZEN_LRF,
    B_RAW_DOPR,
    B_RAW_LRF,
    EV_CROSS_CHECK,
    EV_RANGE_FROZEN,
    P_DOP_DIR,
    P_DOP_POS,
    P_DOP_RFRAC,
    P_DOP_RSIG,
    P_DT,
    P_LRF_DIR,
    P_LRF_FRAC,
    P_LRF_N,
    P_LRF_POS,
    P_LRF_SIG,
    P_MAP_HURST,
    P_MAP_NU1,
    P_MAP_SIGMA,
    P_RADIUS,
    P_XC_FRAC,
    P_XC_TOL,
)
from surefoot.fsw.nav.measurement_models import (
    range_model,
)
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_VALID,
    DOPPLER_BEAMS,
    LRF_RANGE,
    LRF_VALID,
)

BT_MEAS = 0  # measured range, m
BT_NU = 1  # innovation against the map prediction, m
BT_RV = 2  # measurement variance (noise, map, robust relief term), m^2
BT_KUP = 3  # sensitivity of the range to the height (slant factor)
BT_TOLZ = 4  # cross-check tolerance of the implied height correction, m
BT_SIGZ = 5  # noise of the implied height correction, m
BT_DZ = 6  # implied height correction, m (along the local vertical)
BT_XH = 7  # beam hit point on the onboard map, site map frame east, m
BT_YH = 8  # same, north, m
BT_D2 = 9  # squared Mahalanobis distance at the gate (-1: not gated)
BT_UNIT = 10  # 0 rangefinder, 1 Doppler lidar
BT_BEAM = 11  # beam index within its unit
BT_STATUS = 12  # ST_*
N_BT = 13  # the table is in the scratch rows layout.W_BT (N_BT <= N_ERR columns)
ST_NONE = 0  # no usable prediction (off the map, grazing)
ST_ACCEPTED = 1
ST_REJECTED = 2  # predicted and gated out (before the gates: a candidate)
ST_EXCLUDED = 3  # stuck sensor or cross-check outlier, never gated


@njit(cache=True)
def unmodelled_relief(p: np.ndarray, x_m: float, y_m: float) -> float:
    """1-sigma (m) of the relief the onboard map does not hold at map point (x, y).

    ``nu(d) = nu_1km (d / 1 km) ** H`` at the distance ``d`` from the site
    (the map frame's origin), the RMS height deviation of self-affine
    topography over a baseline ``d`` (Rosenburg et al. 2011): the map is
    right at the site and knows less of the ground the farther it is.
    """
    d_km = np.sqrt(x_m * x_m + y_m * y_m) * 1e-3
    return p[P_MAP_NU1] * d_km ** p[P_MAP_HURST]


@njit(cache=True)
def predict_beams(
    x: np.ndarray, bk: np.ndarray, p: np.ndarray,
    lrf: np.ndarray, dop: np.ndarray, use_lrf: bool, use_dop: bool,
    theta: float, c: np.ndarray,
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray,
    robust: bool, s_rel: float, var_up: float, vrel: np.ndarray,
    bt: np.ndarray, hs: np.ndarray,
) -> tuple[int, int]:
    """Predict every valid beam on the onboard map and fill the beam table.

    A beam repeating the same reading while the predicted range must have
    changed by more than its noise is excluded under ``robust`` (stuck
    sensor). Returns the number of rows filled and the event bits raised.
    """
    map_var = p[P_MAP_SIGMA] ** 2
    ev = 0
    n = 0
    for u in range(2):
        if u == 0:
            if not use_lrf:
                continue
            nb = int(p[P_LRF_N])
        else:
            if not use_dop:
                continue
            nb = DOPPLER_BEAMS
        for b in range(nb):
            if u == 0:
                valid = lrf[LRF_VALID + b] > 0.5
                z = lrf[LRF_RANGE + b]
                dirb = p[P_LRF_DIR + 3 * b : P_LRF_DIR + 3 * b + 3]
                lever = p[P_LRF_POS : P_LRF_POS + 3]
                sig = p[P_LRF_SIG] + p[P_LRF_FRAC] * z
            else:
                valid = dop[DOP_VALID + b] > 0.5
                z = dop[DOP_RANGE + b]
                dirb = p[P_DOP_DIR + 3 * b : P_DOP_DIR + 3 * b + 3]
                lever = p[P_DOP_POS : P_DOP_POS + 3]
                sig = p[P_DOP_RSIG] + p[P_DOP_RFRAC] * z
            if not valid or not z > 0.0:
                continue
            i_raw = (B_RAW_LRF if u == 0 else B_RAW_DOPR) + b
            i_frz = (B_FROZEN_LRF if u == 0 else B_FROZEN_DOPR) + b
            if abs(z - bk[i_raw]) <= 1e-9 * z:
                bk[i_frz] += 1.0
            else:
                bk[i_frz] = 0.0
            bk[i_raw] = z
            bt[n, BT_UNIT] = u
            bt[n, BT_BEAM] = b
            bt[n, BT_STATUS] = ST_NONE
            bt[n, BT_MEAS] = z
            bt[n, BT_D2] = -1.0
            reach = 2.0 * z + 1000.0 + 6.0 * np.sqrt(var_up)
            if robust:
                # a reading far shorter than the estimated height is evidence
                # against the estimate, not a beam without a prediction: look
                # as far as the estimate puts the ground (Resilience: the
                # first range at ~1 km under an estimate 7 km high, 8 sigma)
                reach = max(reach, 3.0 * bk[B_ALT_EST] + 1000.0)
            rho, k_up, k_ter, relief, xhit, yhit, ok = range_model(
                x, dirb, lever, reach, theta, c, p[P_RADIUS],
                meta, offsets, heights, s_rel, hs[n],
            )
            if ok and k_up > 1e-3:
                bt[n, BT_STATUS] = ST_REJECTED
                # stuck sensor: identical readings while the range must have moved
                rate = abs(hs[n, 0] * vrel[0] + hs[n, 1] * vrel[1] + hs[n, 2] * vrel[2])
                if robust and bk[i_frz] >= 2.0 and rate * bk[i_frz] * p[P_DT] > 4.3 * sig:
                    bt[n, BT_STATUS] = ST_EXCLUDED
                    ev |= EV_RANGE_FROZEN
                nu = z - rho
                var = sig * sig + k_ter * k_ter * map_var
                map_sig = p[P_MAP_SIGMA]
                if robust:
                    var += (k_ter * relief) ** 2
                    if p[P_MAP_NU1] > 0.0:
                        # relief the map does not hold, at the hit point's
                        # distance from the site (where the map is right)
                        nu_d = unmodelled_relief(p, xhit, yhit)
                        var += (k_ter * nu_d) ** 2
                        map_sig = np.sqrt(map_var + nu_d * nu_d)
                bt[n, BT_NU] = nu
                bt[n, BT_RV] = var
                bt[n, BT_KUP] = k_up
                bt[n, BT_DZ] = nu / k_up
                bt[n, BT_SIGZ] = sig / k_up
                ratio = k_ter / k_up
                bt[n, BT_TOLZ] = p[P_XC_TOL] + p[P_XC_FRAC] * z + 3.0 * ratio * (
                    relief + map_sig
                )
                bt[n, BT_XH] = xhit
                bt[n, BT_YH] = yhit
            n += 1
    return n, ev


@njit(cache=True)
def median_dz(bt: np.ndarray, n: int, u: int, buf: np.ndarray) -> float:
    """Median implied height correction (m) of the candidate beams (``ST_REJECTED``)
    among the first ``n`` of unit ``u`` (every unit when ``u < 0``); 0.0 when none.

    The values are gathered in ``buf`` and their median taken there
    (:func:`surefoot.fsw.nav.gating.median_in_place`: no array allocated).
    """
    m = 0
    for k in range(n):
        if bt[k, BT_STATUS] == ST_REJECTED and (u < 0 or bt[k, BT_UNIT] == u):
            buf[m] = bt[k, BT_DZ]
            m += 1
    return median_in_place(buf, m)


@njit(cache=True, inline="always")
def candidate_of(bt: np.ndarray, k: int, u: int) -> bool:
    """Beam ``k`` belongs to unit ``u`` and is a candidate (``ST_REJECTED``)."""
    return bt[k, BT_UNIT] == u and bt[k, BT_STATUS] == ST_REJECTED


@njit(cache=True)
def cross_check(bt: np.ndarray, n: int, buf: np.ndarray) -> int:
    """With three or more candidate beams, exclude those far from the median correction."""
    ev = 0
    n_ok = 0
    for k in range(n):
        if bt[k, BT_STATUS] == ST_REJECTED:
            n_ok += 1
    if n_ok >= 3:
        med = median_dz(bt, n, -1, buf)
        for k in range(n):
            if bt[k, BT_STATUS] == ST_REJECTED and abs(bt[k, BT_DZ] - med) > bt[k, BT_TOLZ]:
                bt[k, BT_STATUS] = ST_EXCLUDED
                ev |= EV_CROSS_CHECK
    return ev
