"""Flight-software executive: one control cycle (guidance rate, steering, throttle).

One call of :func:`fsw_step` is one control cycle for one lander: a pure
function of (configuration row, state row, navigation row) that updates the
state row and writes the command row. :func:`fsw_params` turns a scenario's
flight-software configuration and the vehicle's *design* values (not the
dispersed truth) into the configuration row.

The guidance cycle (phases and the choice of guidance law) lives in
:mod:`surefoot.fsw.guidance.phases`, the untrusted-height policy in
:mod:`surefoot.fsw.guidance.height_policy`; this module runs them at the
guidance rate and turns the wanted thrust acceleration into an attitude
torque (steering) and a thrust (throttle) every control cycle, and keeps the
propellant estimate from commanded thrust and the design Isp.

The executive also keeps a backlog of late work (``fsw.executive``): when a
cycle gets less of the processor than it needs (hardware took the rest,
``vehicle.computer.overloads``), the work left over piles up, and at
``backlog_limit_s`` the executive restarts, as Apollo's did with its 1202 and
1201 alarms. A restart drops the backlog and holds guidance's last thrust
command for ``restart_hold_s``: guidance still runs (its phase and time to go
stay current) but its answer does not reach steering and throttle, which keep
running on the held command.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import FswConfig
from surefoot.fsw.control.attitude import shortest_arc_error_xyz, steering_torque_xyz
from surefoot.fsw.guidance.convex.table import CV_RATE
from surefoot.fsw.guidance.coordinates import approach_axes_enu
from surefoot.fsw.guidance.phases import guidance_cycle_xyz
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
)
from surefoot.fsw.layout import (
    EX_BACKLOG,
    EX_HOLD_UNTIL,
    EX_MAX_T,
    EX_RESTARTS,
    EX_SHED,
    EX_T,
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
    FP_EXEC_DUTY,
    FP_EXEC_HOLD,
    FP_EXEC_LIMIT,
    FP_G,
    FP_GM,
    FP_GUID_EVERY,
    FP_HDA_H,
    FP_HDA_N_LOOKS,
    FP_HG,
    FP_I_DRY,
    FP_I_PROP,
    FP_ISP,
    FP_ISP_MIN_THROTTLE,
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
    FS_ATHRUST,
    FS_CONVEX,
    FS_CYCLE,
    FS_EXEC,
    FS_INIT,
    FS_MPROP,
    FS_NAV_FLAGS,
    FS_PHASE,
    FS_T_APPROACH,
    FS_T_TERMINAL,
    FS_TARGET,
    FS_TGO,
    FS_THRUST_CMD,
    G0_M_S2,
    N_FP,
    RX_ALT_UNTRUSTED,
)
from surefoot.math.engine_isp import isp_at_thrust
from surefoot.math.quaternion import quat_rotate_xyz


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
    isp_low = vehicle.isp_at_min_throttle_s
    p[FP_ISP_MIN_THROTTLE] = vehicle.isp_s if isp_low is None else isp_low
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
    ex = fsw.executive
    p[FP_EXEC_DUTY] = ex.duty_fraction
    p[FP_EXEC_LIMIT] = ex.backlog_limit_s
    p[FP_EXEC_HOLD] = ex.restart_hold_s
    return p


@njit(cache=True)
def executive_cycle(fs: np.ndarray, fp: np.ndarray, t: float, cpu_available: float) -> None:
    """Account one control cycle's processor time (module docstring).

    The backlog (s) grows by ``(duty - cpu_available) dt`` and never falls below
    zero; when it reaches the limit the executive restarts at ``t``: the
    restart is counted (its time kept for the first ``EX_MAX_T``), the backlog
    dropped, and guidance's command held until ``t + restart_hold_s``.
    ``cpu_available`` is the share of the processor the cycle had (1: all of it).
    """
    e = FS_EXEC
    backlog = fs[e + EX_BACKLOG] + (fp[FP_EXEC_DUTY] - cpu_available) * fp[FP_DT]
    if backlog < 0.0:
        backlog = 0.0
    if backlog >= fp[FP_EXEC_LIMIT]:
        n = int(fs[e + EX_RESTARTS])
        if n < EX_MAX_T:
            fs[e + EX_T + n] = t
        fs[e + EX_RESTARTS] = n + 1.0
        fs[e + EX_HOLD_UNTIL] = t + fp[FP_EXEC_HOLD]
        backlog = 0.0
    fs[e + EX_BACKLOG] = backlog


@njit(cache=True)
def fsw_step(
    nav: np.ndarray, fs: np.ndarray, fp: np.ndarray, cmd: np.ndarray, cpu_available: float
) -> None:
    """One control cycle for one lander: update ``fs`` and write ``cmd``.

    ``cpu_available``: the share of the processor this cycle had (1 unless
    hardware took time from the flight software; :func:`executive_cycle`). It is
    the software's own timing, what a real executive reads off its clock, not a
    state of the vehicle: no truth state or dispersed vehicle figure reaches it.
    """
    t = nav[NAV_T]
    if fs[FS_INIT] == 0.0:
        fs[FS_INIT] = 1.0
        fs[FS_PHASE] = PHASE_BRAKING
        fs[FS_TGO] = fp[FP_BRAKING_TGO] if fp[FP_BRAKING_TGO] > 0.0 else -1.0
        fs[FS_MPROP] = fp[FP_PROP0]
        fs[FS_T_APPROACH] = -1.0
        fs[FS_T_TERMINAL] = -1.0
    # position relative to the target at its height, velocity, attitude, body rate
    r = (
        nav[NAV_R] - fs[FS_TARGET],
        nav[NAV_R + 1] - fs[FS_TARGET + 1],
        nav[NAV_R + 2] - (fp[FP_TARGET_H] + fs[FS_TARGET + 2]),
    )
    v = (nav[NAV_V], nav[NAV_V + 1], nav[NAV_V + 2])
    q0 = nav[NAV_Q]
    q1 = nav[NAV_Q + 1]
    q2 = nav[NAV_Q + 2]
    q3 = nav[NAV_Q + 3]
    w = (nav[NAV_W], nav[NAV_W + 1], nav[NAV_W + 2])
    executive_cycle(fs, fp, t, cpu_available)
    if int(fs[FS_CYCLE]) % int(fp[FP_GUID_EVERY]) == 0:
        if t < fs[FS_EXEC + EX_HOLD_UNTIL]:
            # after a restart: guidance runs, its command is not passed on
            h0 = fs[FS_ATHRUST]
            h1 = fs[FS_ATHRUST + 1]
            h2 = fs[FS_ATHRUST + 2]
            guidance_cycle_xyz(fs, fp, r, v, t, nav[NAV_ALT_TRUSTED], nav[NAV_ALT_SIGMA])
            fs[FS_ATHRUST] = h0
            fs[FS_ATHRUST + 1] = h1
            fs[FS_ATHRUST + 2] = h2
            fs[FS_EXEC + EX_SHED] += 1.0
        else:
            guidance_cycle_xyz(fs, fp, r, v, t, nav[NAV_ALT_TRUSTED], nav[NAV_ALT_SIGMA])
    fs[FS_CYCLE] += 1.0

    # the wanted thrust acceleration (ENU) and the engine's axis (body +z)
    a0 = fs[FS_ATHRUST]
    a1 = fs[FS_ATHRUST + 1]
    a2 = fs[FS_ATHRUST + 2]
    mag = np.sqrt(a0**2 + a1**2 + a2**2)
    if mag > 1e-9:
        # into the body frame by the conjugate of q_body_to_enu
        b0, b1, b2 = quat_rotate_xyz(q0, -q1, -q2, -q3, a0 / mag, a1 / mag, a2 / mag)
    else:
        b0, b1, b2 = 0.0, 0.0, 1.0
    q_err = shortest_arc_error_xyz(0.0, 0.0, 1.0, b0, b1, b2)
    fill = max(fs[FS_MPROP], 0.0) / fp[FP_PROP0] if fp[FP_PROP0] > 0.0 else 0.0
    inertia = (
        fp[FP_I_DRY] + fill * fp[FP_I_PROP],
        fp[FP_I_DRY + 1] + fill * fp[FP_I_PROP + 1],
        fp[FP_I_DRY + 2] + fill * fp[FP_I_PROP + 2],
    )
    max_torque = (fp[FP_MAX_TORQUE], fp[FP_MAX_TORQUE + 1], fp[FP_MAX_TORQUE + 2])
    rate0 = fs[FS_CONVEX + CV_RATE]
    rate1 = fs[FS_CONVEX + CV_RATE + 1]
    rate2 = fs[FS_CONVEX + CV_RATE + 2]
    if rate0 != 0.0 or rate1 != 0.0 or rate2 != 0.0:
        # a convex plan turns the thrust direction: follow its rate without lag
        tau = steering_torque_xyz(
            q_err,
            w,
            inertia,
            fp[FP_WN],
            fp[FP_ZETA],
            fp[FP_MAX_SLEW],
            max_torque,
            quat_rotate_xyz(q0, -q1, -q2, -q3, rate0, rate1, rate2),
            True,
        )
    else:
        tau = steering_torque_xyz(
            q_err,
            w,
            inertia,
            fp[FP_WN],
            fp[FP_ZETA],
            fp[FP_MAX_SLEW],
            max_torque,
            (0.0, 0.0, 0.0),
            False,
        )
    # throttle: the part of the wanted acceleration along the current thrust axis
    z0, z1, z2 = quat_rotate_xyz(q0, q1, q2, q3, 0.0, 0.0, 1.0)
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    along = a0 * z0 + a1 * z1 + a2 * z2
    capped = (int(fs[FS_NAV_FLAGS]) & RX_ALT_UNTRUSTED) != 0
    if capped and fs[FS_PHASE] == PHASE_APPROACH and along > 0.0:
        # descending faster than the lander can stop from, in the approach: every
        # newton counts while the attitude turns towards the command (the
        # projection threw away most of the thrust for a whole slew upright from a
        # braking attitude). Not in the braking phase: thrust along a tilted axis
        # brakes horizontal speed the quartic did not ask for, and its downrange
        # time-to-go then stalls and the lander climbs back towards its gate
        along = np.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    t_min = fp[FP_MIN_THROTTLE] * fp[FP_MAX_THRUST]
    thrust = min(max(m_est * along, t_min), fp[FP_MAX_THRUST])
    fs[FS_THRUST_CMD] = thrust
    isp = isp_at_thrust(
        thrust, fp[FP_MAX_THRUST], fp[FP_MIN_THROTTLE], fp[FP_ISP], fp[FP_ISP_MIN_THROTTLE]
    )
    fs[FS_MPROP] -= thrust / (isp * G0_M_S2) * fp[FP_DT]
    cmd[CMD_THRUST] = thrust
    cmd[CMD_TORQUE] = tau[0]
    cmd[CMD_TORQUE + 1] = tau[1]
    cmd[CMD_TORQUE + 2] = tau[2]
