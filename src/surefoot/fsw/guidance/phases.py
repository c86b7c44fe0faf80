"""Phases and the choice of guidance law, one guidance cycle at a time.

Phases: braking (polynomial guidance to the high gate), approach (to the low
gate), terminal (vertical descent at a constant rate, horizontal velocity
nulled, until contact). A convex (G-FOLD) plan, when enabled, replaces the
rest of braking and the approach once it is solved. Guidance works in the
approach frame at the target (downrange along the approach azimuth,
crossrange to the right, up), in curvilinear coordinates over the curved Moon.

Recovery (Resilience): when navigation trusts the height again after having
lost it and finds the lander still braking below the high gate, the plan to
the gates is void (following it would climb back to the high gate); the
cycle goes straight to the terminal phase, whose descent-rate profile for
the height it now trusts stops with a quarter of the thrust margin while the
horizontal velocity is nulled with the thrust left over. While the height is
untrusted, and after it returns, :mod:`surefoot.fsw.guidance.height_policy`
bounds the vertical command.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.control.attitude import turn_rate_xyz
from surefoot.fsw.guidance.apollo import quartic_acceleration_xyz, tgo_from_jerk
from surefoot.fsw.guidance.convex.table import (
    CV_FF_ON,
    CV_G,
    CV_MODE,
    CV_NEXT_T,
    CV_PENDING,
    CV_RATE,
    CV_RETARGET,
    CV_T0,
    CV_TARGET,
    CV_TF,
    CVM_ACTIVE,
    CVM_IDLE,
    CVM_WAITING,
    plan_reference_xyz,
    plan_thrust_slope_xyz,
)
from surefoot.fsw.guidance.coordinates import curvilinear_xyz, gravity_effective_enu_xyz
from surefoot.fsw.guidance.height_policy import height_policy_xyz, retimed_approach_tgo_xyz
from surefoot.fsw.hda.sequencing import scan_due_at
from surefoot.fsw.interfaces import (
    PHASE_APPROACH,
    PHASE_BRAKING,
    PHASE_TERMINAL,
)
from surefoot.fsw.layout import (
    FP_APPROACH_TGO,
    FP_BRAKING_TGO,
    FP_CVX_KP,
    FP_CVX_KV,
    FP_CVX_MIN_TGO,
    FP_CVX_ON,
    FP_CVX_PERIOD,
    FP_CVX_START_ALT,
    FP_DRY_MASS,
    FP_DT,
    FP_GM,
    FP_GUID_EVERY,
    FP_HDA_H,
    FP_HDA_N_LOOKS,
    FP_HG,
    FP_LG,
    FP_MAX_THRUST,
    FP_MAX_TILT,
    FP_MIN_TGO,
    FP_RADIUS,
    FP_TARGET_H,
    FP_TERM_GAIN,
    FP_TERM_RATE,
    FS_ACMD,
    FS_ATHRUST,
    FS_CONVEX,
    FS_HDA,
    FS_MPROP,
    FS_NAV_FLAGS,
    FS_PHASE,
    FS_REQUEST,
    FS_REQUEST_T,
    FS_T_APPROACH,
    FS_T_TERMINAL,
    FS_TARGET,
    FS_TGO,
    REQ_CONVEX_SOLVE,
    REQ_HAZARD_SCAN,
    RX_ALT_UNTRUSTED,
    RX_HEIGHT_LOST,
    RX_RECOVERY,
    RX_REJOIN,
)

TERM_MAX_PULL_M_S = 1.0  # largest horizontal speed the terminal phase asks for to reach the target

_RX_LATCHED = RX_HEIGHT_LOST | RX_RECOVERY | RX_REJOIN


@njit(cache=True)
def request_service(fs: np.ndarray, bit: int, t: float) -> None:
    fs[FS_REQUEST] = float(int(fs[FS_REQUEST]) | bit)
    fs[FS_REQUEST_T] = t


@njit(cache=True)
def convex_sequencing(fs: np.ndarray, fp: np.ndarray, phase: int, h: float, t: float) -> bool:
    """Raise convex-guidance requests; True when a convex plan flies this cycle."""
    o = FS_CONVEX
    mode = int(fs[o + CV_MODE])
    if mode == CVM_IDLE and phase != PHASE_TERMINAL:
        if fp[FP_CVX_START_ALT] < 0.0:
            start = phase == PHASE_APPROACH
        else:
            start = h <= fp[FP_CVX_START_ALT]
        if start:
            fs[o + CV_MODE] = CVM_WAITING
            fs[o + CV_PENDING] = 1.0
            request_service(fs, REQ_CONVEX_SOLVE, t)
        return False
    if mode != CVM_ACTIVE or phase == PHASE_TERMINAL:
        return False
    if fs[o + CV_PENDING] == 0.0:
        left = fs[o + CV_T0] + fs[o + CV_TF] - t
        moved = fs[o + CV_RETARGET] != 0.0
        for k in range(3):
            moved = moved or fs[o + CV_TARGET + k] != fs[FS_TARGET + k]
        periodic = fp[FP_CVX_PERIOD] > 0.0 and t >= fs[o + CV_NEXT_T] and left > fp[FP_CVX_MIN_TGO]
        if moved or periodic:
            fs[o + CV_PENDING] = 1.0
            request_service(fs, REQ_CONVEX_SOLVE, t)
    return True


@njit(cache=True)
def guidance_cycle(
    fs: np.ndarray,
    fp: np.ndarray,
    r: np.ndarray,
    v: np.ndarray,
    t: float,
    alt_trusted: float,
    alt_sigma: float,
) -> None:
    """Update phase, time-to-go and the commanded thrust acceleration (ENU).

    ``r`` (m, site ENU, relative to the current target at its height) and ``v``
    (m/s); :func:`guidance_cycle_xyz` does the work.
    """
    guidance_cycle_xyz(fs, fp, (r[0], r[1], r[2]), (v[0], v[1], v[2]), t, alt_trusted, alt_sigma)


@njit(cache=True, inline="always")
def _combine(
    a: float,
    b: float,
    c: float,
    x: tuple[float, float, float],
    y: tuple[float, float, float],
    z: tuple[float, float, float],
) -> tuple[float, float, float]:
    """``a x + b y + c z`` for 3-tuples, each component summed left to right."""
    return (
        a * x[0] + b * y[0] + c * z[0],
        a * x[1] + b * y[1] + c * z[1],
        a * x[2] + b * y[2] + c * z[2],
    )


@njit(cache=True, inline="always")
def _track(
    a_ref: float,
    kp: float,
    r_ref: float,
    shift: float,
    rg: float,
    kv: float,
    v_ref: float,
    vg: float,
) -> float:
    """One axis of the convex plan's tracking law (m/s^2)."""
    return a_ref + kp * (r_ref + shift - rg) + kv * (v_ref - vg)


@njit(cache=True)
def guidance_cycle_xyz(
    fs: np.ndarray,
    fp: np.ndarray,
    r: tuple[float, float, float],
    v: tuple[float, float, float],
    t: float,
    alt_trusted: float,
    alt_sigma: float,
) -> None:
    """:func:`guidance_cycle` on 3-tuples (no array allocated or viewed): update
    phase, time-to-go and the commanded thrust acceleration (ENU).

    The polynomial runs in curvilinear coordinates (downrange and crossrange
    arc lengths, height) so that a 700 km braking phase over the curved Moon
    keeps its altitude profile; the command is mapped back to thrust
    acceleration with the polar-coordinate terms (centripetal ``v_h^2 / r``,
    Coriolis-like ``2 h_dot v_d / r``) and the flight software's gravity.
    """
    dt_g = fp[FP_DT] * fp[FP_GUID_EVERY]
    rg, vg, d_loc, c_loc, up_loc, rn = curvilinear_xyz(fp, r[0], r[1], r[2], v[0], v[1], v[2])
    rg0, rg1, rg2 = rg
    vg0, vg1, vg2 = vg
    phase = int(fs[FS_PHASE])
    flags = int(fs[FS_NAV_FLAGS]) & _RX_LATCHED
    if alt_trusted < 0.5:
        flags |= RX_HEIGHT_LOST
    elif flags & RX_HEIGHT_LOST:
        flags &= ~RX_HEIGHT_LOST
        if phase == PHASE_BRAKING and rg2 < fp[FP_HG + 2]:
            phase = PHASE_TERMINAL
            fs[FS_PHASE] = phase
            fs[FS_T_TERMINAL] = t
            flags |= RX_RECOVERY
        elif phase == PHASE_APPROACH:
            fs[FS_TGO] = retimed_approach_tgo_xyz(fs, fp, rg2, vg0, vg1, vg2, rn)
    convex = False
    if fp[FP_CVX_ON] > 0.0:
        convex = convex_sequencing(fs, fp, phase, rg2, t)
    if fp[FP_HDA_N_LOOKS] > 0.0 and phase != PHASE_BRAKING:
        if scan_due_at(fs, FS_HDA, fp, FP_HDA_H, int(fp[FP_HDA_N_LOOKS]), rg2):
            request_service(fs, REQ_HAZARD_SCAN, t)
    cv = FS_CONVEX  # the convex block of fs starts here
    if fp[FP_CVX_ON] > 0.0:
        for k in range(3):  # set below while a plan flies
            fs[cv + CV_RATE + k] = 0.0
    if convex and phase == PHASE_BRAKING:
        # the convex plan replaces the rest of braking and the approach
        phase = PHASE_APPROACH
        fs[FS_PHASE] = phase
        fs[FS_T_APPROACH] = t
    if convex:
        # the plan ends exactly at the low gate state: fly it to its end
        fs[FS_TGO] = fs[cv + CV_T0] + fs[cv + CV_TF] - t
        if fs[FS_TGO] <= 0.5 * dt_g:
            phase = PHASE_TERMINAL
            fs[FS_PHASE] = phase
            fs[FS_T_TERMINAL] = t
    elif phase == PHASE_BRAKING:
        if fp[FP_BRAKING_TGO] > 0.0:
            fs[FS_TGO] -= dt_g
        else:
            guess = fs[FS_TGO] - dt_g if fs[FS_TGO] > 0.0 else -1.0
            tg = tgo_from_jerk(
                rg0, vg0, fp[FP_HG], fp[FP_HG + 3], fp[FP_HG + 6], fp[FP_HG + 9], guess
            )
            fs[FS_TGO] = tg if tg > 0.0 else fs[FS_TGO] - dt_g
        if fs[FS_TGO] <= fp[FP_MIN_TGO]:
            phase = PHASE_APPROACH
            fs[FS_PHASE] = phase
            fs[FS_TGO] = fp[FP_APPROACH_TGO]
            fs[FS_T_APPROACH] = t
    elif phase == PHASE_APPROACH:
        fs[FS_TGO] -= dt_g
        if fs[FS_TGO] <= fp[FP_MIN_TGO]:
            phase = PHASE_TERMINAL
            fs[FS_PHASE] = phase
            fs[FS_T_TERMINAL] = t

    if phase == PHASE_TERMINAL:
        kv = fp[FP_TERM_GAIN]
        kp = 0.25 * kv * kv
        # null the horizontal velocity; pull towards the target by at most the
        # position error that asks for TERM_MAX_PULL_M_S of horizontal speed,
        # fading to none at the target's height (a lander that arrives far off
        # lands where it is, it does not chase the target sideways at
        # touchdown); in recovery it only nulls the velocity
        if flags & RX_RECOVERY:
            pull = 0.0
        else:
            pull = TERM_MAX_PULL_M_S * min(max(rg2 / fp[FP_LG + 2], 0.0), 1.0)
        e_max = pull * kv / kp
        e_h = np.sqrt(rg0 * rg0 + rg1 * rg1)
        shrink = e_max / e_h if e_h > e_max else 1.0
        a_g0 = -kv * vg0 - kp * rg0 * shrink
        a_g1 = -kv * vg1 - kp * rg1 * shrink
        # constant-rate descent at the low gate's height; above it (navigation
        # found the lander higher than planned) a descent-rate profile that
        # can stop with a quarter of the thrust margin over gravity
        m_now = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
        margin = max(fp[FP_MAX_THRUST] / m_now - fp[FP_GM] / (rn * rn), 0.0)
        excess = max(rg2 - fp[FP_LG + 2], 0.0)
        v_des = fp[FP_TERM_RATE] + np.sqrt(2.0 * 0.25 * margin * excess)
        if flags & RX_RECOVERY:
            # re-anchored low and fast (Resilience): the height left must last
            # until the horizontal speed is nulled with the lateral
            # acceleration the engine has over weight, three quarters of it
            g_here = fp[FP_GM] / (rn * rn)
            a_side = 0.75 * np.sqrt(max((margin + g_here) ** 2 - g_here * g_here, 0.0))
            v_h = np.sqrt(vg0 * vg0 + vg1 * vg1)
            if a_side > 0.0 and v_h > 0.0:
                v_des = min(v_des, max(fp[FP_TERM_RATE], excess * a_side / v_h))
        a_g2 = kv * (-v_des - vg2)
    elif convex:
        # track the plan: its thrust acceleration plus its gravity plus PD feedback;
        # a moved target shifts the reference until the new plan arrives
        r_ref, v_ref, a_ref = plan_reference_xyz(fs, cv, t)
        kp = fp[FP_CVX_KP]
        kv = fp[FP_CVX_KV]
        shift0 = fs[cv + CV_TARGET] - fs[FS_TARGET]
        shift1 = fs[cv + CV_TARGET + 1] - fs[FS_TARGET + 1]
        a_g0 = _track(a_ref[0], kp, r_ref[0], shift0, rg0, kv, v_ref[0], vg0)
        a_g1 = _track(a_ref[1], kp, r_ref[1], shift1, rg1, kv, v_ref[1], vg1)
        a_g2 = _track(a_ref[2], kp, r_ref[2], 0.0, rg2, kv, v_ref[2], vg2)
        a_g2 -= fs[cv + CV_G]
        if fs[cv + CV_FF_ON] > 0.0:
            # the plan's thrust-direction rate, for the steering's feed-forward; the
            # cross product in ENU (downrange, crossrange-right, up is left-handed)
            a_p, da_p = plan_thrust_slope_xyz(fs, cv, t)
            a_e = _combine(a_p[0], a_p[1], a_p[2], d_loc, c_loc, up_loc)
            da_e = _combine(da_p[0], da_p[1], da_p[2], d_loc, c_loc, up_loc)
            w0, w1, w2 = turn_rate_xyz(a_e[0], a_e[1], a_e[2], da_e[0], da_e[1], da_e[2])
            fs[cv + CV_RATE] = w0
            fs[cv + CV_RATE + 1] = w1
            fs[cv + CV_RATE + 2] = w2
    else:
        base = FP_HG if phase == PHASE_BRAKING else FP_LG
        a_g0, a_g1, a_g2 = quartic_acceleration_xyz(
            rg,
            vg,
            (fp[base], fp[base + 1], fp[base + 2]),
            (fp[base + 3], fp[base + 4], fp[base + 5]),
            (fp[base + 6], fp[base + 7], fp[base + 8]),
            fs[FS_TGO],
        )
    if alt_trusted < 0.5 or flags & RX_REJOIN:
        a_g2, flags = height_policy_xyz(
            fs, fp, rg2, vg0, vg1, vg2, rn, a_g2, flags, alt_trusted, alt_sigma
        )
        waiting = (flags & RX_ALT_UNTRUSTED) != 0 and alt_trusted < 0.5
        if waiting and phase == PHASE_APPROACH and not convex:
            # the approach profile waits for the lander instead of pulling it down,
            # while the height is untrusted only: once trusted again the approach
            # flies on under the stopping cap (held, its horizontal profile never
            # tightened and a hunted run met the ground at 18 m/s sideways)
            fs[FS_TGO] += dt_g
    fs[FS_NAV_FLAGS] = float(flags)
    vd = vg0 * rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    vc = vg1 * rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    scale = rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    a_d = a_g0 * scale + 2.0 * vg2 * vd / rn
    a_c = a_g1 * scale + 2.0 * vg2 * vc / rn
    a_u = a_g2 - (vd * vd + vc * vc) / rn
    a_cmd = _combine(a_d, a_c, a_u, d_loc, c_loc, up_loc)
    g0, g1, g2 = gravity_effective_enu_xyz(
        r[0] + 0.0, r[1] + 0.0, r[2] + fp[FP_TARGET_H], v[0], v[1], v[2], fp
    )
    a_t0 = a_cmd[0] - g0
    a_t1 = a_cmd[1] - g1
    a_t2 = a_cmd[2] - g2
    # limits relative to the local vertical: never thrust downward, cap the
    # tilt, and when the engine cannot deliver the magnitude keep the
    # vertical part and shorten the horizontal (altitude is worth more than range)
    u0, u1, u2 = up_loc
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    a_max = fp[FP_MAX_THRUST] / m_est
    a_up = a_t0 * u0 + a_t1 * u1 + a_t2 * u2
    a_h0 = a_t0 - a_up * u0
    a_h1 = a_t1 - a_up * u1
    a_h2 = a_t2 - a_up * u2
    if a_up < 0.0:
        a_up = 0.0
    horiz = np.sqrt(a_h0**2 + a_h1**2 + a_h2**2)
    max_h_ratio = np.tan(fp[FP_MAX_TILT])
    if horiz > max_h_ratio * a_up:
        a_up = horiz / max_h_ratio  # keep the horizontal command, add the least lift
    if np.sqrt(horiz * horiz + a_up * a_up) > a_max:
        a_up = min(a_up, a_max)
        h_allowed = np.sqrt(max(a_max * a_max - a_up * a_up, 0.0))
        f = h_allowed / horiz if horiz > 0.0 else 0.0
        a_h0 *= f
        a_h1 *= f
        a_h2 *= f
    fs[FS_ATHRUST] = a_h0 + a_up * u0
    fs[FS_ATHRUST + 1] = a_h1 + a_up * u1
    fs[FS_ATHRUST + 2] = a_h2 + a_up * u2
    fs[FS_ACMD] = a_cmd[0]
    fs[FS_ACMD + 1] = a_cmd[1]
    fs[FS_ACMD + 2] = a_cmd[2]
