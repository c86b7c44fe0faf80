"""Flight-software executive: mode sequencer, guidance, steering and throttle.

One call of :func:`fsw_step` is one control cycle for one lander: a pure
function of (configuration row, state row, navigation row) that updates the
state row and writes the command row. :func:`fsw_params` turns a scenario's
flight-software configuration and the vehicle's *design* values (not the
dispersed truth) into the configuration row.

Phases: braking (polynomial guidance to the high gate), approach (to the low
gate), terminal (vertical descent at a constant rate, horizontal velocity
nulled, until contact). Guidance works in the approach frame at the target
(downrange along the approach azimuth, crossrange to the right, up).

Recovery (Resilience): when navigation trusts the height again after having
lost it and finds the lander still braking below the high gate, the plan to
the gates is void (following it would climb back to the high gate); the
executive goes straight to the terminal phase, whose descent-rate profile for
the height it now trusts stops with a quarter of the thrust margin while the
horizontal velocity is nulled with the thrust left over.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.hda import MAX_LOOKS
from surefoot.config.schema import FswConfig
from surefoot.fsw.control.attitude import shortest_arc_error, steering_torque
from surefoot.fsw.guidance.apollo import quartic_acceleration, tgo_from_jerk
from surefoot.fsw.guidance.convex.table import (
    CV_G,
    CV_MODE,
    CV_NEXT_T,
    CV_PENDING,
    CV_RETARGET,
    CV_T0,
    CV_TARGET,
    CV_TF,
    CVM_ACTIVE,
    CVM_IDLE,
    CVM_WAITING,
    plan_reference,
)
from surefoot.fsw.guidance.coordinates import approach_axes_enu, curvilinear, gravity_effective_enu
from surefoot.fsw.hda.sequencing import scan_due
from surefoot.fsw.interfaces import (
    CMD_THRUST,
    CMD_TORQUE,
    NAV_ALT_SIGMA,
    NAV_ALT_TRUSTED,
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    NAV_W,
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
    FP_G,
    FP_GM,
    FP_GUID_EVERY,
    FP_HDA_H,
    FP_HDA_N_LOOKS,
    FP_HG,
    FP_I_DRY,
    FP_I_PROP,
    FP_ISP,
    FP_LG,
    FP_MAX_SLEW,
    FP_MAX_THRUST,
    FP_MAX_TILT,
    FP_MAX_TORQUE,
    FP_MIN_TGO,
    FP_MIN_THROTTLE,
    FP_OMEGA,
    FP_PROP0,
    FP_RADIUS,
    FP_SITE_LAT,
    FP_TARGET_H,
    FP_TERM_GAIN,
    FP_TERM_RATE,
    FP_UNTRUSTED_VMAX,
    FP_WN,
    FP_ZETA,
    FS_ACMD,
    FS_ATHRUST,
    FS_CONVEX,
    FS_CYCLE,
    FS_HDA,
    FS_INIT,
    FS_MPROP,
    FS_NAV_FLAGS,
    FS_PHASE,
    FS_REQUEST,
    FS_REQUEST_T,
    FS_T_APPROACH,
    FS_T_TERMINAL,
    FS_TARGET,
    FS_TGO,
    FS_THRUST_CMD,
    G0_M_S2,
    N_FP,
    N_FS_CONVEX,
    N_FS_HDA,
    REQ_CONVEX_SOLVE,
    REQ_HAZARD_SCAN,
    RX_ALT_UNTRUSTED,
    RX_COMMIT,
    RX_HEIGHT_LOST,
    RX_RECOVERY,
    RX_REJOIN,
)
from surefoot.math.quaternion import quat_rotate, quat_rotate_inv

TERM_MAX_PULL_M_S = 1.0  # largest horizontal speed the terminal phase asks for to reach the target

_RX_LATCHED = RX_HEIGHT_LOST | RX_RECOVERY | RX_REJOIN

# untrusted height: wait for the ranges while the propellant exceeds this many
# times the cost of committing now; once committed, descend at no less than
# this many times the least rate the propellant allows
UNTRUSTED_BUDGET_FACTOR = 1.5
UNTRUSTED_COMMIT_MARGIN = 1.2
# the terminal descent from the low gate, costed at hover flow: this many
# times the time the low gate's height takes at the terminal rate
TERMINAL_TIME_FACTOR = 1.5


def fsw_params(
    fsw: FswConfig,
    *,
    site_lat_rad: float,
    approach_azimuth_rad: float,
    target_height_m: float,
    dt_control_s: float,
) -> np.ndarray:
    """Configuration row (N_FP,) of the flight software.

    The vehicle's figures are the design values of ``fsw.vehicle``, never
    the truth vehicle; ``target_height_m`` is the onboard map's height of the target (m above
    the reference sphere).
    """
    g = fsw.guidance
    p = np.zeros(N_FP)
    p[FP_GM] = fsw.moon.gm_m3_s2
    p[FP_RADIUS] = fsw.moon.radius_m
    p[FP_OMEGA] = fsw.moon.rotation_rate_rad_s
    p[FP_SITE_LAT] = site_lat_rad
    p[FP_TARGET_H] = target_height_m if fsw.target_height_m is None else fsw.target_height_m
    p[FP_G : FP_G + 9] = approach_axes_enu(approach_azimuth_rad).ravel()
    for base, gate in ((FP_HG, g.high_gate), (FP_LG, g.low_gate)):
        p[base : base + 3] = gate.position_m
        p[base + 3 : base + 6] = gate.velocity_m_s
        p[base + 6 : base + 9] = gate.acceleration_m_s2
        p[base + 9] = gate.jerk_downrange_m_s3
    p[FP_BRAKING_TGO] = g.braking_tgo_s
    p[FP_APPROACH_TGO] = g.approach_tgo_s
    p[FP_MIN_TGO] = g.min_tgo_s
    p[FP_TERM_RATE] = g.terminal_descent_rate_m_s
    p[FP_TERM_GAIN] = g.terminal_velocity_gain_1_s
    p[FP_MAX_TILT] = np.radians(g.max_tilt_deg)
    vehicle = fsw.vehicle
    if vehicle is None:
        raise ValueError("fsw_params: fsw.vehicle (design values) is not set")
    p[FP_DRY_MASS] = vehicle.dry_mass_kg
    p[FP_PROP0] = vehicle.propellant_kg
    p[FP_MAX_THRUST] = vehicle.max_thrust_n
    p[FP_MIN_THROTTLE] = vehicle.min_throttle
    p[FP_ISP] = vehicle.isp_s
    p[FP_I_DRY : FP_I_DRY + 3] = vehicle.inertia_dry_kg_m2
    p[FP_I_PROP : FP_I_PROP + 3] = vehicle.inertia_propellant_full_kg_m2
    p[FP_MAX_TORQUE : FP_MAX_TORQUE + 3] = vehicle.max_torque_n_m
    p[FP_WN] = fsw.control.attitude_bandwidth_rad_s
    p[FP_ZETA] = fsw.control.attitude_damping
    p[FP_MAX_SLEW] = np.radians(fsw.control.max_slew_rate_deg_s)
    p[FP_DT] = dt_control_s
    p[FP_GUID_EVERY] = max(1, round(fsw.control.rate_hz / fsw.guidance.rate_hz))
    p[FP_UNTRUSTED_VMAX] = g.untrusted_max_descent_rate_m_s
    cvx = g.convex
    p[FP_CVX_ON] = 1.0 if cvx.enabled else 0.0
    p[FP_CVX_START_ALT] = cvx.start_altitude_m if cvx.start == "altitude" else -1.0
    p[FP_CVX_PERIOD] = cvx.resolve_period_s
    p[FP_CVX_MIN_TGO] = cvx.min_resolve_tgo_s
    p[FP_CVX_KP] = cvx.tracking_bandwidth_rad_s**2
    p[FP_CVX_KV] = 2.0 * cvx.tracking_damping * cvx.tracking_bandwidth_rad_s
    hda = fsw.hda
    p[FP_HDA_N_LOOKS] = len(hda.looks) if hda.enabled else 0
    for k, look in enumerate(hda.looks):
        p[FP_HDA_H + k] = look.height_m
    return p


@njit(cache=True)
def _request(fs: np.ndarray, bit: int, t: float) -> None:
    fs[FS_REQUEST] = float(int(fs[FS_REQUEST]) | bit)
    fs[FS_REQUEST_T] = t


@njit(cache=True)
def _convex_sequencing(fs: np.ndarray, fp: np.ndarray, phase: int, h: float, t: float) -> bool:
    """Raise convex-guidance requests; True when a convex plan flies this cycle."""
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    mode = int(cv[CV_MODE])
    if mode == CVM_IDLE and phase != PHASE_TERMINAL:
        if fp[FP_CVX_START_ALT] < 0.0:
            start = phase == PHASE_APPROACH
        else:
            start = h <= fp[FP_CVX_START_ALT]
        if start:
            cv[CV_MODE] = CVM_WAITING
            cv[CV_PENDING] = 1.0
            _request(fs, REQ_CONVEX_SOLVE, t)
        return False
    if mode != CVM_ACTIVE or phase == PHASE_TERMINAL:
        return False
    if cv[CV_PENDING] == 0.0:
        left = cv[CV_T0] + cv[CV_TF] - t
        moved = cv[CV_RETARGET] != 0.0
        for k in range(3):
            moved = moved or cv[CV_TARGET + k] != fs[FS_TARGET + k]
        periodic = fp[FP_CVX_PERIOD] > 0.0 and t >= cv[CV_NEXT_T] and left > fp[FP_CVX_MIN_TGO]
        if moved or periodic:
            cv[CV_PENDING] = 1.0
            _request(fs, REQ_CONVEX_SOLVE, t)
    return True


@njit(cache=True)
def _height_policy(
    fs: np.ndarray,
    fp: np.ndarray,
    rg: np.ndarray,
    vg: np.ndarray,
    rn: float,
    a_g: np.ndarray,
    flags: int,
    alt_trusted: float,
    alt_sigma: float,
) -> tuple[np.ndarray, int]:
    """Bound the vertical command when the height is (or was) not trusted.

    The lander must always be able to stop above the lowest height the
    estimate allows (estimate - 3 sigma) with half of its thrust margin over
    gravity: the descent rate is capped there (``RX_ALT_UNTRUSTED``).

    While the height is untrusted the lander waits for the ranges, descending
    at no more than the configured rate and never climbing, as long as its
    propellant budget allows. Two rates decide: ``v_need``, the least mean
    descent rate that reaches the ground from the highest height the estimate
    allows (estimate + 3 sigma) before the estimated propellant, less what
    nulling the present speed costs, is spent hovering (``m g / (Isp g0)``);
    and the stopping-distance rate. Waiting is allowed while the propellant
    exceeds ``UNTRUSTED_BUDGET_FACTOR`` times the cost of committing now at the
    stopping-distance rate. Otherwise the lander commits (``RX_COMMIT``): it
    descends at no less than ``UNTRUSTED_COMMIT_MARGIN * v_need`` (and a
    quarter of the stopping-distance rate), the cap rising to that floor when
    the two conflict, because running dry is certain loss (HAKUTO-R M1
    hovered until its tanks were dry; IM-1-like runs whose estimate was
    kilometres low climbed while believing they descended). After trust
    returns the stopping-distance cap stays (``RX_REJOIN``), so the guidance
    profile is rejoined at a rate the lander can stop from.
    """
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    g_loc = fp[FP_GM] / (rn * rn)
    a_brake = 0.5 * max(fp[FP_MAX_THRUST] / m_est - g_loc, 0.0)
    h_low = max(rg[2] - 3.0 * alt_sigma, 0.0)
    v_stop = np.sqrt(2.0 * a_brake * h_low) + fp[FP_TERM_RATE]
    kv = fp[FP_TERM_GAIN]
    v_cap = v_stop
    v_floor = -np.inf  # least descent rate (negative: a climb rate allowed)
    if alt_trusted < 0.5:
        flags |= RX_REJOIN
        ve = fp[FP_ISP] * G0_M_S2
        mdot_hover = m_est * g_loc / ve
        prop = max(fs[FS_MPROP], 0.0)
        h_high = max(rg[2] + 3.0 * alt_sigma, 0.0)
        speed = np.sqrt(vg[0] * vg[0] + vg[1] * vg[1] + vg[2] * vg[2])
        brake = m_est * (1.0 - np.exp(-(speed + v_stop) / ve))
        v_need = h_high * mdot_hover / max(prop - brake, 1e-3 * m_est)
        commit_cost = mdot_hover * h_high / v_stop + brake
        if v_stop >= v_need and prop > UNTRUSTED_BUDGET_FACTOR * commit_cost:
            v_cap = min(v_stop, fp[FP_UNTRUSTED_VMAX])
            v_floor = 0.0
        else:
            v_floor = max(UNTRUSTED_COMMIT_MARGIN * v_need, 0.25 * v_stop)
            v_cap = max(v_stop, v_floor)
            flags |= RX_COMMIT
        if vg[2] > -v_floor:
            a_g[2] = min(a_g[2], kv * (-v_floor - vg[2]))
    if vg[2] < -v_cap:
        a_g[2] = max(a_g[2], kv * (-v_cap - vg[2]))
        flags |= RX_ALT_UNTRUSTED
    return a_g, flags


@njit(cache=True)
def _retimed_approach_tgo(fs: np.ndarray, fp: np.ndarray, rg: np.ndarray, vg: np.ndarray,
                          rn: float) -> float:
    """Approach time-to-go after the height is trusted again (s).

    The approach clock ran while the height was wrong; when navigation finds
    the lander higher than the profile (IM-1-like runs: 2-3 km), keeping the
    old time-to-go asks the quartic for a dive it cannot brake from with
    attitude authority to spare. The approach is re-timed to descend the
    height left above the low gate at the designed approach's mean rate
    ``(h_HG - h_LG) / tgo_approach``, but no longer than the propellant
    allows: descending near hover costs ``m g / (Isp g0)`` per second, after
    what nulling the present speed and the terminal descent from the low
    gate cost, with ``UNTRUSTED_COMMIT_MARGIN``. Never shorter than now.
    """
    tgo_now = fs[FS_TGO]
    h_left = rg[2] - fp[FP_LG + 2]
    v_nominal = (fp[FP_HG + 2] - fp[FP_LG + 2]) / fp[FP_APPROACH_TGO]
    if h_left <= 0.0 or v_nominal <= 0.0:
        return tgo_now
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    ve = fp[FP_ISP] * G0_M_S2
    mdot_hover = m_est * (fp[FP_GM] / (rn * rn)) / ve
    speed = np.sqrt(vg[0] * vg[0] + vg[1] * vg[1] + vg[2] * vg[2])
    brake = m_est * (1.0 - np.exp(-speed / ve))
    t_terminal = TERMINAL_TIME_FACTOR * fp[FP_LG + 2] / fp[FP_TERM_RATE]
    spare = max(fs[FS_MPROP], 0.0) - brake - mdot_hover * t_terminal
    tgo_budget = spare / (UNTRUSTED_COMMIT_MARGIN * mdot_hover)
    return max(tgo_now, min(h_left / v_nominal, tgo_budget))


@njit(cache=True)
def _guidance(
    fs: np.ndarray,
    fp: np.ndarray,
    r: np.ndarray,
    v: np.ndarray,
    t: float,
    alt_trusted: float,
    alt_sigma: float,
) -> None:
    """Update phase, time-to-go and the commanded thrust acceleration (ENU).

    The polynomial runs in curvilinear coordinates (downrange and crossrange
    arc lengths, height) so that a 700 km braking phase over the curved Moon
    keeps its altitude profile; the command is mapped back to thrust
    acceleration with the polar-coordinate terms (centripetal ``v_h^2 / r``,
    Coriolis-like ``2 h_dot v_d / r``) and the flight software's gravity.
    """
    dt_g = fp[FP_DT] * fp[FP_GUID_EVERY]
    rg, vg, d_loc, c_loc, up_loc, rn = curvilinear(fp, r, v)
    phase = int(fs[FS_PHASE])
    flags = int(fs[FS_NAV_FLAGS]) & _RX_LATCHED
    if alt_trusted < 0.5:
        flags |= RX_HEIGHT_LOST
    elif flags & RX_HEIGHT_LOST:
        flags &= ~RX_HEIGHT_LOST
        if phase == PHASE_BRAKING and rg[2] < fp[FP_HG + 2]:
            phase = PHASE_TERMINAL
            fs[FS_PHASE] = phase
            fs[FS_T_TERMINAL] = t
            flags |= RX_RECOVERY
        elif phase == PHASE_APPROACH:
            fs[FS_TGO] = _retimed_approach_tgo(fs, fp, rg, vg, rn)
    convex = False
    if fp[FP_CVX_ON] > 0.0:
        convex = _convex_sequencing(fs, fp, phase, rg[2], t)
    if fp[FP_HDA_N_LOOKS] > 0.0 and phase != PHASE_BRAKING:
        hd = fs[FS_HDA : FS_HDA + N_FS_HDA]
        if scan_due(hd, fp[FP_HDA_H : FP_HDA_H + MAX_LOOKS], int(fp[FP_HDA_N_LOOKS]), rg[2]):
            _request(fs, REQ_HAZARD_SCAN, t)
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    if convex and phase == PHASE_BRAKING:
        # the convex plan replaces the rest of braking and the approach
        phase = PHASE_APPROACH
        fs[FS_PHASE] = phase
        fs[FS_T_APPROACH] = t
    if convex:
        # the plan ends exactly at the low gate state: fly it to its end
        fs[FS_TGO] = cv[CV_T0] + cv[CV_TF] - t
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
                rg[0], vg[0], fp[FP_HG], fp[FP_HG + 3], fp[FP_HG + 6], fp[FP_HG + 9], guess
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
            pull = TERM_MAX_PULL_M_S * min(max(rg[2] / fp[FP_LG + 2], 0.0), 1.0)
        e_max = pull * kv / kp
        e_h = np.sqrt(rg[0] * rg[0] + rg[1] * rg[1])
        shrink = e_max / e_h if e_h > e_max else 1.0
        a_g = np.empty(3)
        a_g[0] = -kv * vg[0] - kp * rg[0] * shrink
        a_g[1] = -kv * vg[1] - kp * rg[1] * shrink
        # constant-rate descent at the low gate's height; above it (navigation
        # found the lander higher than planned) a descent-rate profile that
        # can stop with a quarter of the thrust margin over gravity
        m_now = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
        margin = max(fp[FP_MAX_THRUST] / m_now - fp[FP_GM] / (rn * rn), 0.0)
        excess = max(rg[2] - fp[FP_LG + 2], 0.0)
        v_des = fp[FP_TERM_RATE] + np.sqrt(2.0 * 0.25 * margin * excess)
        if flags & RX_RECOVERY:
            # re-anchored low and fast (Resilience): the height left must last
            # until the horizontal speed is nulled with the lateral
            # acceleration the engine has over weight, three quarters of it
            g_here = fp[FP_GM] / (rn * rn)
            a_side = 0.75 * np.sqrt(max((margin + g_here) ** 2 - g_here * g_here, 0.0))
            v_h = np.sqrt(vg[0] * vg[0] + vg[1] * vg[1])
            if a_side > 0.0 and v_h > 0.0:
                v_des = min(v_des, max(fp[FP_TERM_RATE], excess * a_side / v_h))
        a_g[2] = kv * (-v_des - vg[2])
    elif convex:
        # track the plan: its thrust acceleration plus its gravity plus PD feedback;
        # a moved target shifts the reference until the new plan arrives
        r_ref, v_ref, a_ref = plan_reference(cv, t)
        a_g = np.empty(3)
        for k in range(3):
            shift = cv[CV_TARGET + k] - fs[FS_TARGET + k] if k < 2 else 0.0
            a_g[k] = (
                a_ref[k]
                + fp[FP_CVX_KP] * (r_ref[k] + shift - rg[k])
                + fp[FP_CVX_KV] * (v_ref[k] - vg[k])
            )
        a_g[2] -= cv[CV_G]
    else:
        base = FP_HG if phase == PHASE_BRAKING else FP_LG
        a_g = quartic_acceleration(
            rg,
            vg,
            fp[base : base + 3],
            fp[base + 3 : base + 6],
            fp[base + 6 : base + 9],
            fs[FS_TGO],
        )
    if alt_trusted < 0.5 or flags & RX_REJOIN:
        a_g, flags = _height_policy(fs, fp, rg, vg, rn, a_g, flags, alt_trusted, alt_sigma)
        if flags & RX_ALT_UNTRUSTED and phase == PHASE_APPROACH and not convex:
            # the approach profile waits for the lander instead of pulling it down
            fs[FS_TGO] += dt_g
    fs[FS_NAV_FLAGS] = float(flags)
    vd = vg[0] * rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    vc = vg[1] * rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    scale = rn / (fp[FP_RADIUS] + fp[FP_TARGET_H])
    a_d = a_g[0] * scale + 2.0 * vg[2] * vd / rn
    a_c = a_g[1] * scale + 2.0 * vg[2] * vc / rn
    a_u = a_g[2] - (vd * vd + vc * vc) / rn
    a_cmd = a_d * d_loc + a_c * c_loc + a_u * up_loc
    a_t = a_cmd - gravity_effective_enu(r + np.array([0.0, 0.0, fp[FP_TARGET_H]]), v, fp)
    # limits relative to the local vertical: never thrust downward, cap the
    # tilt, and when the engine cannot deliver the magnitude keep the
    # vertical part and shorten the horizontal (altitude is worth more than range)
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    a_max = fp[FP_MAX_THRUST] / m_est
    a_up = a_t[0] * up_loc[0] + a_t[1] * up_loc[1] + a_t[2] * up_loc[2]
    a_h = a_t - a_up * up_loc
    if a_up < 0.0:
        a_up = 0.0
    horiz = np.sqrt(a_h[0] ** 2 + a_h[1] ** 2 + a_h[2] ** 2)
    max_h_ratio = np.tan(fp[FP_MAX_TILT])
    if horiz > max_h_ratio * a_up:
        a_up = horiz / max_h_ratio  # keep the horizontal command, add the least lift
    if np.sqrt(horiz * horiz + a_up * a_up) > a_max:
        a_up = min(a_up, a_max)
        h_allowed = np.sqrt(max(a_max * a_max - a_up * a_up, 0.0))
        a_h *= h_allowed / horiz if horiz > 0.0 else 0.0
    a_t = a_h + a_up * up_loc
    for k in range(3):
        fs[FS_ATHRUST + k] = a_t[k]
        fs[FS_ACMD + k] = a_cmd[k]


@njit(cache=True)
def fsw_step(nav: np.ndarray, fs: np.ndarray, fp: np.ndarray, cmd: np.ndarray) -> None:
    """One control cycle for one lander: update ``fs`` and write ``cmd``."""
    t = nav[NAV_T]
    if fs[FS_INIT] == 0.0:
        fs[FS_INIT] = 1.0
        fs[FS_PHASE] = PHASE_BRAKING
        fs[FS_TGO] = fp[FP_BRAKING_TGO] if fp[FP_BRAKING_TGO] > 0.0 else -1.0
        fs[FS_MPROP] = fp[FP_PROP0]
        fs[FS_T_APPROACH] = -1.0
        fs[FS_T_TERMINAL] = -1.0
    r = nav[NAV_R : NAV_R + 3] - np.array(
        [fs[FS_TARGET], fs[FS_TARGET + 1], fp[FP_TARGET_H] + fs[FS_TARGET + 2]]
    )
    v = nav[NAV_V : NAV_V + 3]
    q = nav[NAV_Q : NAV_Q + 4]
    w = nav[NAV_W : NAV_W + 3]
    if int(fs[FS_CYCLE]) % int(fp[FP_GUID_EVERY]) == 0:
        _guidance(fs, fp, r, v, t, nav[NAV_ALT_TRUSTED], nav[NAV_ALT_SIGMA])
    fs[FS_CYCLE] += 1.0

    a_t = fs[FS_ATHRUST : FS_ATHRUST + 3]
    mag = np.sqrt(a_t[0] ** 2 + a_t[1] ** 2 + a_t[2] ** 2)
    ez = np.array([0.0, 0.0, 1.0])
    if mag > 1e-9:
        b_body = quat_rotate_inv(q, a_t / mag)
    else:
        b_body = ez
    q_err = shortest_arc_error(ez, b_body)
    fill = max(fs[FS_MPROP], 0.0) / fp[FP_PROP0] if fp[FP_PROP0] > 0.0 else 0.0
    inertia = np.empty(3)
    for k in range(3):
        inertia[k] = fp[FP_I_DRY + k] + fill * fp[FP_I_PROP + k]
    tau = steering_torque(
        q_err,
        w,
        inertia,
        fp[FP_WN],
        fp[FP_ZETA],
        fp[FP_MAX_SLEW],
        fp[FP_MAX_TORQUE : FP_MAX_TORQUE + 3],
    )
    # throttle: the part of the wanted acceleration along the current thrust axis
    z_enu = quat_rotate(q, ez)
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    along = a_t[0] * z_enu[0] + a_t[1] * z_enu[1] + a_t[2] * z_enu[2]
    t_min = fp[FP_MIN_THROTTLE] * fp[FP_MAX_THRUST]
    thrust = min(max(m_est * along, t_min), fp[FP_MAX_THRUST])
    fs[FS_THRUST_CMD] = thrust
    fs[FS_MPROP] -= thrust / (fp[FP_ISP] * G0_M_S2) * fp[FP_DT]
    cmd[CMD_THRUST] = thrust
    for k in range(3):
        cmd[CMD_TORQUE + k] = tau[k]
