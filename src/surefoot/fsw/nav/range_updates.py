"""Range measurements: rangefinder beams and Doppler ranges on the onboard map.

The height channel is where the landers of 2023-2025 were lost, so this is
where ``naive`` and ``robust`` rejection differ most: the naive jump test
(:func:`naive_checks`), relief-aware predictions, stuck-sensor and
cross-beam checks, sequential gates, and the robust recovery of a unit whose
every beam is rejected (widened gate, then a height re-initialisation when
the evidence agrees and the map cannot explain it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.blind_arc import blind_arc_consequences, withdraw_blind_arc
from surefoot.fsw.nav.ekf import (
    direction_variance,
    direction_variance_xyz,
    inflate_direction,
    inject,
    innovation_variance_w,
    nav_work,
    reset_direction,
    residual_w,
    scalar_update_vertical_w,
    scalar_update_w,
)
from surefoot.fsw.nav.gating import (
    naive_jump,
)
from surefoot.fsw.nav.layout import (
    B_ALT_EST,
    B_FAIL_DOP,
    B_FAIL_LRF,
    B_FIX_VAR,
    B_FROZEN_DOPR,
    B_FROZEN_LRF,
    B_LAST_DOPR,
    B_LAST_LRF,
    B_N_DOPR_ACC,
    B_N_DOPR_REJ,
    B_N_LRF_ACC,
    B_N_LRF_REJ,
    B_N_REINIT_H,
    B_NIS_DOPR,
    B_NIS_LRF,
    B_RAW_DOPR,
    B_RAW_LRF,
    B_REJ_DOPR,
    B_REJ_LRF,
    B_STREAK_DZ_DOPR,
    B_STREAK_DZ_LRF,
    B_T_LRF,
    B_T_RANGE,
    E_R,
    E_V,
    EV_CROSS_CHECK,
    EV_DOP_FAILED,
    EV_DOPR_ACCEPT,
    EV_DOPR_REACQUIRED,
    EV_DOPR_REJECT,
    EV_HEIGHT_REINIT,
    EV_LRF_ACCEPT,
    EV_LRF_FAILED,
    EV_LRF_REACQUIRED,
    EV_LRF_REJECT,
    EV_MAP_AMBIGUOUS,
    EV_RANGE_FROZEN,
    EV_WIDE_ACCEPT,
    N_BEAMS_MAX,
    P_CHI1,
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
    P_NAIVE_JUMP,
    P_OMEGA,
    P_RADIUS,
    P_RANGE_TIMEOUT,
    P_REJ_LIMIT,
    P_RELIEF_K,
    P_RELIEF_MAX,
    P_RI_H,
    P_RI_VZ,
    P_WCHI1,
    P_XC_FRAC,
    P_XC_TOL,
    W_BT,
    W_HS,
    W_MED,
    W_R0,
    W_UP,
    W_VREL,
    X_R,
    X_S,
    X_V,
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
from surefoot.fsw.nav.onboard_map import map_spacing, neighbourhood_relief
from surefoot.math.frames import (
    mcmf_to_map_xyz,
    rot_mci_to_mcmf_xyz,
)

_MAX_BEAMS = N_BEAMS_MAX  # fewer than 15 (_sort_small)

@njit(cache=True)
def naive_checks(
    bk: np.ndarray, p: np.ndarray, lrf: np.ndarray, dop: np.ndarray, lrf_ok: bool, dop_ok: bool
) -> int:
    """HAKUTO-R M1 fault logic: a range jump from the last accepted reading fails the sensor."""
    ev = 0
    thr = p[P_NAIVE_JUMP]
    if lrf_ok and bk[B_FAIL_LRF] < 0.5:
        for b in range(int(p[P_LRF_N])):
            if lrf[LRF_VALID + b] > 0.5 and naive_jump(
                bk[B_LAST_LRF + b], lrf[LRF_RANGE + b], thr
            ):
                bk[B_FAIL_LRF] = 1.0
                ev |= EV_LRF_FAILED
                break
    if dop_ok and bk[B_FAIL_DOP] < 0.5:
        for b in range(DOPPLER_BEAMS):
            if dop[DOP_VALID + b] > 0.5 and naive_jump(
                bk[B_LAST_DOPR + b], dop[DOP_RANGE + b], thr
            ):
                bk[B_FAIL_DOP] = 1.0
                ev |= EV_DOP_FAILED
                break
    return ev


# --- the beam table: one row per valid beam of this cycle ----------------------
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
def _predict_beams(
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
def _median_dz(bt: np.ndarray, n: int, u: int, buf: np.ndarray) -> float:
    """Median implied height correction (m) of the candidate beams (``ST_REJECTED``)
    among the first ``n`` of unit ``u`` (every unit when ``u < 0``); 0.0 when none.

    :func:`surefoot.fsw.nav.gating.median_masked` sorting in ``buf`` (no array
    allocated): the same values in the same order, the same sort (:func:`_sort_small`).
    """
    m = 0
    for k in range(n):
        if bt[k, BT_STATUS] == ST_REJECTED and (u < 0 or bt[k, BT_UNIT] == u):
            buf[m] = bt[k, BT_DZ]
            m += 1
    if m == 0:
        return 0.0
    _sort_small(buf, m)
    if m % 2 == 1:
        return buf[m // 2]
    return 0.5 * (buf[m // 2 - 1] + buf[m // 2])


@njit(cache=True)
def _sort_small(a: np.ndarray, m: int) -> None:
    """Sort ``a[:m]`` in place, ``m`` < 15: what ``np.sort`` does in Numba for so
    few values (its quicksort goes straight to this insertion sort, NaNs last,
    numba/misc/quicksort.py), without the partition stack it allocates."""
    for i in range(1, m):
        v = a[i]
        j = i
        while j > 0 and (v < a[j - 1] or (np.isnan(a[j - 1]) and not np.isnan(v))):
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


@njit(cache=True, inline="always")
def _candidate_of(bt: np.ndarray, k: int, u: int) -> bool:
    """Beam ``k`` belongs to unit ``u`` and is a candidate (``ST_REJECTED``)."""
    return bt[k, BT_UNIT] == u and bt[k, BT_STATUS] == ST_REJECTED


@njit(cache=True)
def _cross_check(bt: np.ndarray, n: int, buf: np.ndarray) -> int:
    """With three or more candidate beams, exclude those far from the median correction."""
    ev = 0
    n_ok = 0
    for k in range(n):
        if bt[k, BT_STATUS] == ST_REJECTED:
            n_ok += 1
    if n_ok >= 3:
        med = _median_dz(bt, n, -1, buf)
        for k in range(n):
            if bt[k, BT_STATUS] == ST_REJECTED and abs(bt[k, BT_DZ] - med) > bt[k, BT_TOLZ]:
                bt[k, BT_STATUS] = ST_EXCLUDED
                ev |= EV_CROSS_CHECK
    return ev


@njit(cache=True)
def _gate_beams(
    cov: np.ndarray, dx: np.ndarray, p: np.ndarray, bt: np.ndarray, work: np.ndarray,
    n: int, robust: bool, up: np.ndarray,
) -> None:
    """Chi-square gate and sequential scalar update of the candidate beams, in order.

    Robust updates move only the vertical (a range on relief says little
    about the horizontal position). The beams' sensitivity rows are the
    scratch rows ``W_HS`` of ``work``.
    """
    for k in range(n):
        if bt[k, BT_STATUS] != ST_REJECTED:
            continue
        res = residual_w(bt[k, BT_NU], work, W_HS + k, dx)
        s = innovation_variance_w(cov, work, W_HS + k, bt[k, BT_RV])
        d2 = res * res / s
        bt[k, BT_D2] = d2
        if d2 < p[P_CHI1]:
            if robust:
                scalar_update_vertical_w(cov, dx, work, W_HS + k, res, bt[k, BT_RV], up)
            else:
                scalar_update_w(cov, dx, work, W_HS + k, res, bt[k, BT_RV])
            bt[k, BT_STATUS] = ST_ACCEPTED


@njit(cache=True)
def _recover_unit(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, dx: np.ndarray,
    bt: np.ndarray, work: np.ndarray, n: int, u: int,
    dz_c: float, up: np.ndarray, sig_h: float, spacing: float,
    t: float, meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray,
) -> tuple[int, int, bool]:
    """Robust recovery of unit ``u`` whose every beam was rejected past the limit.

    Its beams are the candidates (``ST_REJECTED``) of unit ``u`` on entry (the
    widened gate changes only a beam already tested, and a beam it accepts
    ends the recovery); sensitivity rows in the scratch rows ``W_HS`` of ``work``.

    First the rejected beams are re-tested against the widened gate. If none
    passes, the height channel is re-initialised by the median implied
    correction ``dz_c`` when the evidence agrees: another unit agrees with it
    (and outnumbers the beams the filter accepted), or, with no other unit,
    the correction stayed the same within its noise and the filter's own
    vertical drift over three times the limit (a stuck or drifting sensor
    implies a correction that moves with the descent); and the map has no
    relief near the hit point that a horizontal error could explain.
    Returns (event bits, beams accepted on the widened gate, re-initialised).
    """
    ev = 0
    i_cnt = B_REJ_LRF if u == 0 else B_REJ_DOPR
    i_streak = B_STREAK_DZ_LRF if u == 0 else B_STREAK_DZ_DOPR
    # 1) widened gate
    wide = 0
    for k in range(n):
        if not _candidate_of(bt, k, u):
            continue
        res = residual_w(bt[k, BT_NU], work, W_HS + k, dx)
        s = innovation_variance_w(cov, work, W_HS + k, bt[k, BT_RV])
        if res * res / s < p[P_WCHI1]:
            scalar_update_vertical_w(cov, dx, work, W_HS + k, res, bt[k, BT_RV], up)
            bt[k, BT_STATUS] = ST_ACCEPTED
            wide += 1
    if wide > 0:
        bk[i_cnt] = 0.0
        bk[B_T_RANGE] = t
        if u == 0:
            bk[B_T_LRF] = t
        ev |= EV_WIDE_ACCEPT | (EV_LRF_ACCEPT if u == 0 else EV_DOPR_ACCEPT)
        return ev, wide, False
    # 2) re-initialise the height channel if the evidence agrees
    tol_c = 0.0
    k_med = -1
    best = 1e300
    for k in range(n):
        if _candidate_of(bt, k, u):
            tol_c = max(tol_c, bt[k, BT_TOLZ])
            if abs(bt[k, BT_DZ] - dz_c) < best:
                best = abs(bt[k, BT_DZ] - dz_c)
                k_med = k
    other_ok = 0
    other_agree = 0
    other_filter = 0
    for k in range(n):
        st = bt[k, BT_STATUS]
        if bt[k, BT_UNIT] == u or st == ST_NONE or st == ST_EXCLUDED:
            continue
        other_ok += 1
        if st == ST_ACCEPTED:
            other_filter += 1
        elif abs(bt[k, BT_DZ] - dz_c) <= max(bt[k, BT_TOLZ], tol_c):
            other_agree += 1
    if other_ok > 0:
        agree = other_agree > 0 and other_agree > other_filter
    else:
        span = bk[i_cnt] * p[P_DT]
        sig_vz = np.sqrt(max(direction_variance(cov, E_V, up), 0.0))
        tol_t = 4.3 * bt[k_med, BT_SIGZ] + 3.0 * sig_vz * span + 1.0
        if abs(dz_c - bk[i_streak]) > tol_t:
            # the correction moved (a wall under the beam, a drifting
            # sensor): start the consistency window again from here
            bk[i_streak] = dz_c
            bk[i_cnt] = p[P_REJ_LIMIT]
        agree = bk[i_cnt] >= 3.0 * p[P_REJ_LIMIT] and abs(dz_c - bk[i_streak]) <= tol_t
    if not agree:
        return ev, 0, False
    radius = 3.0 * sig_h + spacing
    relief = neighbourhood_relief(
        meta, offsets, heights, bt[k_med, BT_XH], bt[k_med, BT_YH], radius
    )
    if relief >= 0.5 * abs(dz_c):
        return ev | EV_MAP_AMBIGUOUS, 0, False
    inject(x, dx)
    for j in range(3):
        x[X_R + j] += dz_c * up[j]
    reset_direction(cov, E_R, up, p[P_RI_H])
    inflate_direction(cov, E_V, up, p[P_RI_VZ])
    bk[B_REJ_LRF] = 0.0
    bk[B_REJ_DOPR] = 0.0
    bk[B_T_RANGE] = t
    if u == 0:
        bk[B_T_LRF] = t
    bk[B_N_REINIT_H] += 1.0
    return ev | EV_HEIGHT_REINIT, 0, True


@njit(cache=True)
def _after_height_fix(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray,
    bt: np.ndarray, n: int, t: float, t_fix_before: float,
    r_entry: np.ndarray, up: np.ndarray, var_up: float, ev: int,
) -> int:
    """Robust: after the first height fix past a blind arc, correct its consequences.

    ``dh`` is the height the ranges moved the estimate this cycle (from
    ``r_entry``); after a gap longer than the range timeout its horizontal
    consequences are removed (:func:`blind_arc_consequences`), and a
    re-anchoring against a rejection streak withdraws an earlier correction
    it contradicts (:func:`withdraw_blind_arc`).
    """
    dh = 0.0
    for k in range(3):
        dh += (x[X_R + k] - r_entry[k]) * up[k]
    if t - t_fix_before > p[P_RANGE_TIMEOUT]:
        r_h = np.inf  # height-equivalent noise of the best beam used
        for k in range(n):
            st = bt[k, BT_STATUS]
            if st == ST_ACCEPTED or st == ST_REJECTED:
                r_h = min(r_h, bt[k, BT_RV] / (bt[k, BT_KUP] * bt[k, BT_KUP]))
        if np.isfinite(r_h):
            return blind_arc_consequences(x, cov, bk, dh, up, var_up + r_h)
    elif ev & (EV_WIDE_ACCEPT | EV_HEIGHT_REINIT):
        return withdraw_blind_arc(x, bk, dh)
    return 0


@njit(cache=True)
def update_ranges(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray,
    lrf: np.ndarray, dop: np.ndarray, use_lrf: bool, use_dop: bool,
    t: float, theta: float, c: np.ndarray,
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray,
    robust: bool, dx: np.ndarray, work: np.ndarray | None = None,
) -> int:
    """Rangefinder beams and Doppler ranges: prediction, cross-check, gates, recovery.

    Robust extras: stuck-sensor exclusion (:func:`_predict_beams`), the
    cross-beam check (:func:`_cross_check`), vertical-only updates, the
    recovery of a unit whose every beam is rejected (:func:`_recover_unit`)
    and the blind-arc corrections at a height fix (:func:`_after_height_fix`).
    ``work`` is the scratch of :func:`surefoot.fsw.nav.ekf.nav_work` (allocated
    here when omitted): the beam table, the beams' sensitivity rows and the
    vectors below live there. Returns the event bits raised.
    """
    if work is None:
        work = nav_work()
    nmax = _MAX_BEAMS
    bt = work[W_BT : W_BT + nmax]
    hs = work[W_HS : W_HS + nmax]
    for k in range(nmax):
        bt[k, BT_UNIT] = 0.0
        bt[k, BT_BEAM] = 0.0
        bt[k, BT_STATUS] = ST_NONE
    buf = work[W_MED]

    r0, r1, r2 = x[X_R], x[X_R + 1], x[X_R + 2]
    rn = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    up = work[W_UP]
    up[0] = r0 / rn
    up[1] = r1 / rn
    up[2] = r2 / rn
    r_entry = work[W_R0]  # the height the ranges move this cycle
    r_entry[0] = r0
    r_entry[1] = r1
    r_entry[2] = r2
    t_fix_before = bk[B_T_RANGE]
    var_up = direction_variance(cov, E_R, up)
    sig_h = np.sqrt(max(cov[0, 0] + cov[1, 1] + cov[2, 2] - var_up, 0.0) * 0.5)
    f0, f1, f2 = rot_mci_to_mcmf_xyz(r0, r1, r2, theta)
    x_nad, y_nad, _ = mcmf_to_map_xyz(f0, f1, f2, c, p[P_RADIUS])
    spacing = map_spacing(meta, x_nad, y_nad)
    if robust:
        s_rel = max(spacing, min(p[P_RELIEF_K] * sig_h, p[P_RELIEF_MAX]))
    else:
        s_rel = spacing
    om = p[P_OMEGA]
    vrel = work[W_VREL]
    vrel[0] = x[X_V] + om * r1
    vrel[1] = x[X_V + 1] - om * r0
    vrel[2] = x[X_V + 2]

    n, ev = _predict_beams(
        x, bk, p, lrf, dop, use_lrf, use_dop, theta, c, meta, offsets, heights,
        robust, s_rel, var_up, vrel, bt, hs,
    )
    if n == 0:
        return ev
    if robust:
        ev |= _cross_check(bt, n, buf)
    _gate_beams(cov, dx, p, bt, work, n, robust, up)

    # per-unit bookkeeping and robust recovery
    reinit_done = False
    for u in range(2):
        n_val = 0
        n_acc = 0
        n_rej = 0
        nis_sum = 0.0
        nis_n = 0
        for k in range(n):
            if bt[k, BT_UNIT] != u:
                continue
            n_val += 1
            if bt[k, BT_STATUS] == ST_ACCEPTED:
                n_acc += 1
            else:
                n_rej += 1
            if bt[k, BT_D2] >= 0.0:
                nis_sum += bt[k, BT_D2]
                nis_n += 1
        if n_val == 0:
            continue
        i_cnt = B_REJ_LRF if u == 0 else B_REJ_DOPR
        i_streak = B_STREAK_DZ_LRF if u == 0 else B_STREAK_DZ_DOPR
        bk[B_NIS_LRF if u == 0 else B_NIS_DOPR] = nis_sum / nis_n if nis_n > 0 else -1.0
        if n_acc > 0:
            if bk[i_cnt] >= 1.0:
                ev |= EV_LRF_REACQUIRED if u == 0 else EV_DOPR_REACQUIRED
            bk[i_cnt] = 0.0
            bk[B_T_RANGE] = t
            if u == 0:
                bk[B_T_LRF] = t
            ev |= EV_LRF_ACCEPT if u == 0 else EV_DOPR_ACCEPT
        elif not reinit_done:
            ev |= EV_LRF_REJECT if u == 0 else EV_DOPR_REJECT
            n_cand = 0  # this unit's candidate beams (ST_REJECTED)
            for k in range(n):
                if _candidate_of(bt, k, u):
                    n_cand += 1
            dz_c = _median_dz(bt, n, u, buf)
            bk[i_cnt] += 1.0
            if bk[i_cnt] == 1.0:
                bk[i_streak] = dz_c
            if robust and bk[i_cnt] >= p[P_REJ_LIMIT] and n_cand > 0:
                ev_u, wide, reinit_done = _recover_unit(
                    x, cov, bk, p, dx, bt, work, n, u, dz_c, up, sig_h, spacing,
                    t, meta, offsets, heights,
                )
                ev |= ev_u
                if wide > 0:
                    n_acc = wide
                    n_rej -= wide
        # last accepted readings (the naive jump test compares against them)
        for k in range(n):
            if bt[k, BT_UNIT] == u and bt[k, BT_STATUS] == ST_ACCEPTED:
                i_last = (B_LAST_LRF if u == 0 else B_LAST_DOPR) + int(bt[k, BT_BEAM])
                bk[i_last] = bt[k, BT_MEAS]
        if u == 0:
            bk[B_N_LRF_ACC] += n_acc
            bk[B_N_LRF_REJ] += n_rej
        else:
            bk[B_N_DOPR_ACC] += n_acc
            bk[B_N_DOPR_REJ] += n_rej
    inject(x, dx)
    if bk[B_T_RANGE] == t and robust:
        ev |= _after_height_fix(
            x, cov, bk, p, bt, n, t, t_fix_before, r_entry, up, var_up, ev
        )
    if bk[B_T_RANGE] == t:
        reset_height_sensitivity(x, cov, bk)
    return ev


@njit(cache=True)
def reset_height_sensitivity(x: np.ndarray, cov: np.ndarray, bk: np.ndarray) -> None:
    """Start the height-fix sensitivity ``x[X_S:X_S+6]`` afresh at a height fix."""
    # scalars (no array): the arithmetic of r / |r| and of direction_variance
    r0, r1, r2 = x[X_R], x[X_R + 1], x[X_R + 2]
    rn = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    u0, u1, u2 = r0 / rn, r1 / rn, r2 / rn
    x[X_S] = u0
    x[X_S + 1] = u1
    x[X_S + 2] = u2
    for k in range(3):
        x[X_S + 3 + k] = 0.0
    bk[B_FIX_VAR] = direction_variance_xyz(cov, E_R, u0, u1, u2)
