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
    B_FAIL_DOP,
    B_FAIL_LRF,
    B_FIX_VAR,
    B_LAST_DOPR,
    B_LAST_LRF,
    B_N_DOPR_ACC,
    B_N_DOPR_REJ,
    B_N_LRF_ACC,
    B_N_LRF_REJ,
    B_N_REINIT_H,
    B_NIS_DOPR,
    B_NIS_LRF,
    B_REJ_DOPR,
    B_REJ_LRF,
    B_STREAK_DZ_DOPR,
    B_STREAK_DZ_LRF,
    B_T_LRF,
    B_T_RANGE,
    E_R,
    E_V,
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
    EV_WIDE_ACCEPT,
    N_BEAMS_MAX,
    P_CHI1,
    P_DT,
    P_LRF_N,
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
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_VALID,
    DOPPLER_BEAMS,
    LRF_RANGE,
    LRF_VALID,
)
from surefoot.fsw.nav.onboard_map import map_spacing, neighbourhood_relief
from surefoot.fsw.nav.range_beams import (
    BT_BEAM,
    BT_D2,
    BT_DZ,
    BT_KUP,
    BT_MEAS,
    BT_NU,
    BT_RV,
    BT_SIGZ,
    BT_STATUS,
    BT_TOLZ,
    BT_UNIT,
    BT_XH,
    BT_YH,
    ST_ACCEPTED,
    ST_EXCLUDED,
    ST_NONE,
    ST_REJECTED,
    candidate_of,
    cross_check,
    median_dz,
    predict_beams,
)
from surefoot.math.frames import (
    mcmf_to_map_xyz,
    rot_mci_to_mcmf_xyz,
)


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
        if not candidate_of(bt, k, u):
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
        if candidate_of(bt, k, u):
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

    Robust extras: stuck-sensor exclusion (:func:`predict_beams`), the
    cross-beam check (:func:`cross_check`), vertical-only updates, the
    recovery of a unit whose every beam is rejected (:func:`_recover_unit`)
    and the blind-arc corrections at a height fix (:func:`_after_height_fix`).
    ``work`` is the scratch of :func:`surefoot.fsw.nav.ekf.nav_work` (allocated
    here when omitted): the beam table, the beams' sensitivity rows and the
    vectors below live there. Returns the event bits raised.
    """
    if work is None:
        work = nav_work()
    nmax = N_BEAMS_MAX
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

    n, ev = predict_beams(
        x, bk, p, lrf, dop, use_lrf, use_dop, theta, c, meta, offsets, heights,
        robust, s_rel, var_up, vrel, bt, hs,
    )
    if n == 0:
        return ev
    if robust:
        ev |= cross_check(bt, n, buf)
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
                if candidate_of(bt, k, u):
                    n_cand += 1
            dz_c = median_dz(bt, n, u, buf)
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
