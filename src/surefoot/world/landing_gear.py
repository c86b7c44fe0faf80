"""Touchdown dynamics: what the lander does after its first footpad touches.

A post-contact stage, run once per lander from its truth state at first
contact (the flight kernel stops there; :mod:`surefoot.world.touchdown_from_truth`
turns that state into this module's local frame and runs the batch). The
lander is a rigid body (mass,
diagonal inertia about the centre of mass) on ``n`` legs in lunar gravity,
engine off: the flight software cuts the engine at touchdown, so no thrust
is carried over, unless the engine's cut-off takes time
(:func:`settle_with_actuators`: the force and torque of the actuators at
contact held for that long, body frame, their work booked with the energies).

Frame. A local frame at the touchdown point, flat over the few metres the
lander moves: x and y the site map coordinates (m, east and north), z the
height above the reference sphere (m), gravity ``-g z``. Terrain heights and
slopes come from the same nested grids the simulator flies over (bilinear,
:func:`surefoot.math.height_grid.terrain_height_gradient`); a plane in tests.

Each leg, from body point ``f_k`` (the nominal footpad, relative to the CoM):

- Penetration ``d = (h(P) - P_z) n_z`` of the footpad point ``P`` below the
  local terrain facet of unit normal ``n``; its rate ``-n . v_P``.
- A crushable stage (honeycomb) in series with an elastic strut: the leg is
  shortened permanently by the crushed length ``c`` (non-decreasing, at most
  ``stroke_m``); the elastic compression is ``e = d - c``. When the spring
  force ``k e`` would exceed ``crush_force_n`` the core crushes instead
  (while ``k e >= crush_force_n`` and the leg shortens, ``c`` takes the
  shortening, and an overshoot past the crush force relaxes within two
  steps); once ``c = stroke_m`` the stroke is exhausted and the strut
  bottoms out.
- Normal force ``max(0, k e + b dd/dt)`` along ``n`` when ``e > 0``: the
  damper ``b`` acts across the whole leg (on the penetration rate), the crush
  test is on the spring force alone. The strut pushes, never pulls; a foot
  lifting off faster than its spring extends loses the stored energy in the
  damper, as a massless foot would.
- Coulomb friction on the facet, stick-slip by an anchor point: a tangential
  spring (``k``) and damper (critical on a leg's share of the mass) tie the
  footpad to its anchor, the force
  capped at ``mu N``; after each step an anchor whose spring force exceeds
  ``mu N`` slides so it equals it. Below the friction angle the feet stick
  (no creep); above it they slide with ``mu N`` exactly.

Energy bookkeeping. The damping and friction powers (force times velocity,
minus the rate of change of the spring energies) are integrated with the
state by the same RK4 step, and so is the crush power (spring force times
crush rate). Initial kinetic + potential energy then equals the absorbed energy
(crush + damping + friction) plus the elastic energy left in the springs plus
the final kinetic and potential energy, to the integration error; with actuators
held after contact their work (``O_E_ENGINE_J``) adds to the initial energy.

Outcomes. ``settled``: speed below ``SETTLE_SPEED_M_S`` and rate below
``SETTLE_RATE_DEG_S`` for ``SETTLE_HOLD_S`` with three legs loaded at least
(a lander balanced on one or two feet is not at rest), time to settle is the start of
that hold. ``tipped``: body z tilted from the vertical past the tip angle
``atan(leg radius / CoM height)`` (the centre of mass beyond the footpad it
pivots on) while still rotating. ``structural``: a leg's stroke exhausted with
its normal load above ``structural_load_n``. ``unsettled``: none of these
within ``MAX_TIME_S`` (a lander still sliding down a slope steeper than the
friction angle).

Body contact. A lander may also carry body points (``vehicle.body_points_body_m``:
the nose corners, the nozzle exit), contact points with the same laws as the
footpads (strut, crushable stage, friction). With body points the stage
does not stop when the lander tips: it follows it over until it rests on
whatever touches (footpads, body points or both), and the outcome is
``tipped`` if it passed the tip angle on the way, ``settled`` otherwise. A
body point never breaks (``structural`` is a leg's outcome).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import LegConfig
from surefoot.math.height_grid import terrain_height_gradient
from surefoot.math.quaternion import (
    quat_derivative,
    quat_normalize,
    quat_rotate,
    quat_to_dcm,
)

# outcome codes
GEAR_SETTLED = 0
GEAR_TIPPED = 1
GEAR_STRUCTURAL = 2
GEAR_UNSETTLED = 3
GEAR_OUTCOMES = ("settled", "tipped", "structural", "unsettled")

# settle test and limits of the stage
SETTLE_SPEED_M_S = 0.01
SETTLE_RATE_DEG_S = 0.2
SETTLE_HOLD_S = 0.5
MAX_TIME_S = 30.0
DT_MAX_S = 1e-3  # the step is also bounded by the stiffest leg mode (see stable_step_s)

# gear parameter row
G_K = 0  # leg spring, N/m (also the tangential stick spring)
G_B = 1  # leg damping, N s/m
G_CRUSH = 2  # crush force, N
G_STROKE = 3  # crushable stroke, m
G_MU = 4  # footpad friction coefficient
G_STRUCT = 5  # structural load limit with the stroke exhausted, N
G_TIP = 6  # tip angle from the vertical, rad
G_N_BODY = 7  # body contact points after the footpads (0: legs only, stop at a tip)
N_GEAR = 8

# output row (N_OUT,)
O_OUTCOME = 0  # GEAR_* code
O_TILT_DEG = 1  # body z from the vertical at the end, deg
O_STROKE_MAX_M = 2  # largest crushed stroke over the legs, m
O_E_CRUSH_J = 3
O_E_DAMP_J = 4
O_E_FRIC_J = 5
O_T_END_S = 6  # time to settle (settled) or of the end (other outcomes), s after contact
O_E0_J = 7  # initial kinetic + potential (potential relative to the initial height)
O_E_KIN_J = 8  # final kinetic energy
O_E_POT_J = 9  # final potential energy, relative to the initial height
O_E_ELASTIC_J = 10  # energy left in the leg and stick springs
O_COMPRESSION_MAX_M = 11  # largest leg compression (elastic + crushed) seen, m
O_SLIDE_M = 12  # horizontal displacement of the CoM from contact to the end, m
O_LOAD_MAX_N = 13  # largest leg normal load seen, N
O_TIPPED = 14  # 1: passed the tip angle while rotating
O_LEGS_LOADED = 15  # footpads carrying load at the end
O_BODY_LOADED = 16  # body points carrying load at the end
O_E_ENGINE_J = 17  # work done by the engine and attitude torques held after contact (J)
N_OUT = 18

# integrated state: position (3), velocity (3), quaternion body->local (4),
# body rate (3), damping, friction and crush energy (3), crushed length of each leg (8)
Y_P = 0
Y_V = 3
Y_Q = 6
Y_W = 10
Y_ED = 13
Y_EF = 14
Y_EC = 15
Y_C = 16
MAX_LEGS = 8
MAX_BODY_POINTS = 8
Y_EW = Y_C + MAX_LEGS + MAX_BODY_POINTS  # work of the actuators held after contact
N_Y = Y_EW + 1

# actuators held after contact (:func:`settle_with_actuators`): body-frame force on the
# CoM (N) and body-frame torque about it (N m)
A_FORCE = 0
A_TORQUE = 3
N_ACT = 6
CRUSH_RELAX_STEPS = 2.0  # an elastic overshoot past the crush force relaxes in this many steps


def gear_params(legs: LegConfig, com_height_m: float, n_body: int = 0) -> np.ndarray:
    """Gear parameter row (N_GEAR,) of a leg configuration; ``com_height_m`` is the
    height of the centre of mass above the footpad plane (m); ``n_body`` body contact
    points follow the footpads in the contact point array."""
    p = np.zeros(N_GEAR)
    p[G_K] = legs.spring_n_m
    p[G_B] = legs.damping_n_s_m
    p[G_CRUSH] = legs.crush_force_n
    p[G_STROKE] = legs.stroke_m
    p[G_MU] = legs.friction_coefficient
    p[G_STRUCT] = legs.structural_load_n
    p[G_TIP] = np.arctan2(legs.radius_m, com_height_m)
    p[G_N_BODY] = n_body
    return p


@njit(cache=True)
def stable_step_s(mass_kg: float, inertia: np.ndarray, feet: np.ndarray, gp: np.ndarray) -> float:
    """RK4 step (s): a tenth of the period of the stiffest leg mode, at most DT_MAX_S."""
    n = feet.shape[0]
    arm2 = 0.0
    for k in range(n):
        arm2 = max(arm2, feet[k, 0] ** 2 + feet[k, 1] ** 2 + feet[k, 2] ** 2)
    i_min = min(inertia[0], min(inertia[1], inertia[2]))
    w2 = max(n * gp[G_K] / mass_kg, n * gp[G_K] * arm2 / i_min)
    rate = max(np.sqrt(w2), max(n * gp[G_B] / mass_kg, n * gp[G_B] * arm2 / i_min))
    return min(DT_MAX_S, 0.6 / rate)


@njit(cache=True)
def _leg_kinematics(
    y: np.ndarray, fk: np.ndarray, meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Footpad point P, its velocity, the facet normal, penetration and its rate."""
    q = y[Y_Q : Y_Q + 4]
    w = y[Y_W : Y_W + 3]
    rf = quat_rotate(q, fk)
    wxf = np.empty(3)
    wxf[0] = w[1] * fk[2] - w[2] * fk[1]
    wxf[1] = w[2] * fk[0] - w[0] * fk[2]
    wxf[2] = w[0] * fk[1] - w[1] * fk[0]
    vr = quat_rotate(q, wxf)
    p = np.empty(3)
    vp = np.empty(3)
    for j in range(3):
        p[j] = y[Y_P + j] + rf[j]
        vp[j] = y[Y_V + j] + vr[j]
    h, gx, gy = terrain_height_gradient(meta, offsets, heights, p[0], p[1])
    inv = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
    nrm = np.empty(3)
    nrm[0] = -gx * inv
    nrm[1] = -gy * inv
    nrm[2] = inv
    depth = (h - p[2]) * inv
    rate = -(nrm[0] * vp[0] + nrm[1] * vp[1] + nrm[2] * vp[2])
    return p, vp, nrm, depth, rate


@njit(cache=True)
def _derivative(y: np.ndarray, t: float, ctx: tuple, dy: np.ndarray, loads: np.ndarray) -> None:
    """Time derivative of the integrated state ``y`` (N_Y,) at ``t`` (s after contact)
    into ``dy``; leg normal loads (N) into ``loads``. ``ctx``: ``(mass_kg, inertia,
    feet, anchor, gp, g, meta, offsets, heights, tau_crush_s, c_stick, act,
    act_until_s)``, see :func:`settle_with_actuators`."""
    (
        mass_kg,
        inertia,
        feet,
        anchor,
        gp,
        g,
        meta,
        offsets,
        heights,
        tau_crush_s,
        c_stick,
        act,
        act_until_s,
    ) = ctx
    k = gp[G_K]
    b = gp[G_B]
    mu = gp[G_MU]
    force = np.zeros(3)
    force[2] = -mass_kg * g
    torque_b = np.zeros(3)
    p_damp = 0.0
    p_fric = 0.0
    p_crush = 0.0
    q = y[Y_Q : Y_Q + 4]
    for leg in range(MAX_LEGS + MAX_BODY_POINTS):
        dy[Y_C + leg] = 0.0
    for leg in range(feet.shape[0]):
        fk = feet[leg]
        p, vp, nrm, depth, rate = _leg_kinematics(y, fk, meta, offsets, heights)
        e = depth - y[Y_C + leg]
        loads[leg] = 0.0
        if e <= 0.0:
            continue
        if k * e >= gp[G_CRUSH] and y[Y_C + leg] < gp[G_STROKE]:
            # the core takes the shortening; an elastic overshoot relaxes into it
            dc = max(rate, 0.0) + (e - gp[G_CRUSH] / k) / tau_crush_s
            dy[Y_C + leg] = dc
            p_crush += k * e * dc
        fn = max(k * e + b * rate, 0.0)
        loads[leg] = fn
        p_damp += (fn - k * e) * rate
        # tangential stick spring to the anchor, damper on the slip velocity
        d = np.empty(3)
        for j in range(3):
            d[j] = p[j] - anchor[leg, j]
        dn = d[0] * nrm[0] + d[1] * nrm[1] + d[2] * nrm[2]
        vn = vp[0] * nrm[0] + vp[1] * nrm[1] + vp[2] * nrm[2]
        u = np.empty(3)
        vt = np.empty(3)
        ft = np.empty(3)
        ft2 = 0.0
        for j in range(3):
            u[j] = d[j] - dn * nrm[j]
            vt[j] = vp[j] - vn * nrm[j]
            ft[j] = -(k * u[j] + c_stick * vt[j])
            ft2 += ft[j] * ft[j]
        cap = mu * fn
        if ft2 > cap * cap:
            s = cap / np.sqrt(ft2)
            for j in range(3):
                ft[j] *= s
        f = np.empty(3)
        for j in range(3):
            f[j] = fn * nrm[j] + ft[j]
            force[j] += f[j]
            p_fric -= ft[j] * vt[j] + k * u[j] * vt[j]
        # torque about the CoM, body frame: f_k x (C_body_local f)
        fb = np.empty(3)
        c = quat_to_dcm(q)
        for j in range(3):
            fb[j] = c[0, j] * f[0] + c[1, j] * f[1] + c[2, j] * f[2]
        torque_b[0] += fk[1] * fb[2] - fk[2] * fb[1]
        torque_b[1] += fk[2] * fb[0] - fk[0] * fb[2]
        torque_b[2] += fk[0] * fb[1] - fk[1] * fb[0]
    w = y[Y_W : Y_W + 3]
    dy[Y_EW] = 0.0
    if t < act_until_s:
        # the engine and attitude torques held after contact (cut-off latency)
        c = quat_to_dcm(q)
        p_act = 0.0
        for j in range(3):
            fj = c[j, 0] * act[A_FORCE] + c[j, 1] * act[A_FORCE + 1] + c[j, 2] * act[A_FORCE + 2]
            force[j] += fj
            p_act += fj * y[Y_V + j] + act[A_TORQUE + j] * w[j]
            torque_b[j] += act[A_TORQUE + j]
        dy[Y_EW] = p_act
    for j in range(3):
        dy[Y_P + j] = y[Y_V + j]
        dy[Y_V + j] = force[j] / mass_kg
    dq = quat_derivative(q, w)
    for j in range(4):
        dy[Y_Q + j] = dq[j]
    iw0 = inertia[0] * w[0]
    iw1 = inertia[1] * w[1]
    iw2 = inertia[2] * w[2]
    dy[Y_W + 0] = (torque_b[0] - (w[1] * iw2 - w[2] * iw1)) / inertia[0]
    dy[Y_W + 1] = (torque_b[1] - (w[2] * iw0 - w[0] * iw2)) / inertia[1]
    dy[Y_W + 2] = (torque_b[2] - (w[0] * iw1 - w[1] * iw0)) / inertia[2]
    dy[Y_ED] = p_damp
    dy[Y_EF] = p_fric
    dy[Y_EC] = p_crush


@njit(cache=True)
def _mechanical_energy(
    y: np.ndarray, mass_kg: float, inertia: np.ndarray, g: float, z0: float
) -> tuple[float, float]:
    """Kinetic and potential energy (J), potential relative to height ``z0``."""
    v2 = y[Y_V] ** 2 + y[Y_V + 1] ** 2 + y[Y_V + 2] ** 2
    w = y[Y_W : Y_W + 3]
    kin = 0.5 * mass_kg * v2 + 0.5 * (
        inertia[0] * w[0] ** 2 + inertia[1] * w[1] ** 2 + inertia[2] * w[2] ** 2
    )
    return kin, mass_kg * g * (y[Y_P + 2] - z0)


@njit(cache=True)
def _rk4_step(
    y: np.ndarray,
    t: float,
    dt: float,
    ctx: tuple,
    k1: np.ndarray,
    k2: np.ndarray,
    k3: np.ndarray,
    k4: np.ndarray,
    tmp: np.ndarray,
    loads: np.ndarray,
) -> None:
    """One RK4 step of ``dt`` (s) from ``t`` of the integrated state, in place; quaternion
    renormalised."""
    _derivative(y, t, ctx, k1, loads)
    for j in range(N_Y):
        tmp[j] = y[j] + 0.5 * dt * k1[j]
    _derivative(tmp, t + 0.5 * dt, ctx, k2, loads)
    for j in range(N_Y):
        tmp[j] = y[j] + 0.5 * dt * k2[j]
    _derivative(tmp, t + 0.5 * dt, ctx, k3, loads)
    for j in range(N_Y):
        tmp[j] = y[j] + dt * k3[j]
    _derivative(tmp, t + dt, ctx, k4, loads)
    for j in range(N_Y):
        y[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
    qn = quat_normalize(y[Y_Q : Y_Q + 4])
    for j in range(4):
        y[Y_Q + j] = qn[j]


@njit(cache=True)
def settle(
    y0: np.ndarray,
    mass_kg: float,
    inertia: np.ndarray,
    feet: np.ndarray,
    gp: np.ndarray,
    g: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    max_time_s: float,
    out: np.ndarray,
) -> np.ndarray:
    """:func:`settle_with_actuators` with the engine and attitude torques off at contact."""
    return settle_with_actuators(
        y0,
        mass_kg,
        inertia,
        feet,
        gp,
        g,
        meta,
        offsets,
        heights,
        max_time_s,
        out,
        np.zeros(N_ACT),
        0.0,
    )


@njit(cache=True)
def settle_with_actuators(
    y0: np.ndarray,
    mass_kg: float,
    inertia: np.ndarray,
    feet: np.ndarray,
    gp: np.ndarray,
    g: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    max_time_s: float,
    out: np.ndarray,
    act: np.ndarray,
    act_until_s: float,
) -> np.ndarray:
    """Integrate one lander from first contact until it settles, tips, breaks a leg
    or ``max_time_s`` passes; fill ``out`` (N_OUT,) and return the final state (N_Y,).
    The actuators ``act`` (N_ACT,) act for the first ``act_until_s`` seconds.

    Parameters
    ----------
    y0 : (N_Y,) state in the local frame: CoM position (m), velocity (m/s),
        quaternion body -> local (scalar first), body rate (rad/s, body frame), three
        energies (reset to 0) and the crushed length of each leg (m, 0 for new legs).
    mass_kg : total mass
    inertia : (3,) principal moments about the CoM, body axes (kg m^2)
    feet : (n, 3) footpad points relative to the CoM, body frame (m)
    gp : (N_GEAR,) gear parameters (:func:`gear_params`)
    g : gravity (m/s^2), along -z
    meta, offsets, heights : terrain grids (map frame, m)
    act : (N_ACT,) held actuators: body-frame force on the CoM (N, the engine's thrust)
        and body-frame torque about the CoM (N m, the thrust's arm and the attitude
        control's torque), both as they were at contact
    act_until_s : how long they act after contact (s; 0: off at contact)
    """
    n = feet.shape[0]
    y = y0.copy()
    y[Y_ED:Y_C] = 0.0  # energies from zero; crushed lengths carried over
    y[Y_EW] = 0.0
    anchor = np.empty((n, 3))
    loads = np.zeros(n)
    for leg in range(n):
        p, _, _, _, _ = _leg_kinematics(y, feet[leg], meta, offsets, heights)
        for j in range(3):
            anchor[leg, j] = p[j]
    dt = stable_step_s(mass_kg, inertia, feet, gp)
    z0 = y[Y_P + 2]
    kin0, _ = _mechanical_energy(y, mass_kg, inertia, g, z0)
    k = gp[G_K]
    tau_crush = CRUSH_RELAX_STEPS * dt
    # the stick spring is a device for static friction: critically damped on a leg's share
    c_stick = 2.0 * np.sqrt(gp[G_K] * mass_kg / n)
    e_fric_release = 0.0
    comp_max = 0.0
    load_max = 0.0
    k1 = np.empty(N_Y)
    k2 = np.empty(N_Y)
    k3 = np.empty(N_Y)
    k4 = np.empty(N_Y)
    tmp = np.empty(N_Y)
    n_steps = int(np.ceil(max_time_s / dt))
    outcome = GEAR_UNSETTLED
    n_body = int(gp[G_N_BODY])
    n_legs = n - n_body
    tipped = False
    t = 0.0
    t_quiet = -1.0
    rate_settle = np.radians(SETTLE_RATE_DEG_S)
    ctx = (
        mass_kg,
        inertia,
        feet,
        anchor,
        gp,
        g,
        meta,
        offsets,
        heights,
        tau_crush,
        c_stick,
        act,
        act_until_s,
    )
    for _ in range(n_steps):
        _rk4_step(y, t, dt, ctx, k1, k2, k3, k4, tmp, loads)
        t += dt
        # loads at the end of the step, then slip by return mapping
        _derivative(y, t, ctx, k1, loads)
        broken = False
        n_loaded = 0
        for leg in range(n):
            if loads[leg] > 0.0:
                n_loaded += 1
            p, _, nrm, depth, _ = _leg_kinematics(y, feet[leg], meta, offsets, heights)
            comp_max = max(comp_max, depth)
            load_max = max(load_max, loads[leg])
            e = depth - y[Y_C + leg]
            if leg < n_legs and y[Y_C + leg] >= gp[G_STROKE] and loads[leg] > gp[G_STRUCT]:
                broken = True
            # stick-slip: the anchor slides so the stick spring holds at most mu N
            d = np.empty(3)
            for j in range(3):
                d[j] = p[j] - anchor[leg, j]
            dn = d[0] * nrm[0] + d[1] * nrm[1] + d[2] * nrm[2]
            u2 = 0.0
            for j in range(3):
                u2 += (d[j] - dn * nrm[j]) ** 2
            held = gp[G_MU] * loads[leg] / k if e > 0.0 else 0.0
            if u2 > held * held:
                s = held / np.sqrt(u2)
                for j in range(3):
                    anchor[leg, j] += (1.0 - s) * (d[j] - dn * nrm[j])
                if e > 0.0:
                    # an airborne point's anchor follows it with no spring force acting:
                    # bookkeeping, no energy released
                    e_fric_release += 0.5 * k * (u2 - held * held)
        if broken:
            outcome = GEAR_STRUCTURAL
            break
        zb = quat_rotate(y[Y_Q : Y_Q + 4], np.array([0.0, 0.0, 1.0]))
        tilt = np.arccos(min(max(zb[2], -1.0), 1.0))
        speed = np.sqrt(y[Y_V] ** 2 + y[Y_V + 1] ** 2 + y[Y_V + 2] ** 2)
        rate = np.sqrt(y[Y_W] ** 2 + y[Y_W + 1] ** 2 + y[Y_W + 2] ** 2)
        if tilt > gp[G_TIP] and rate > rate_settle:
            tipped = True
            if n_body == 0:
                outcome = GEAR_TIPPED
                break
        # at rest on its feet: a rigid body stands on three footpads at least
        if speed < SETTLE_SPEED_M_S and rate < rate_settle and n_loaded >= 3:
            if t_quiet < 0.0:
                t_quiet = t - dt
            if t - t_quiet >= SETTLE_HOLD_S:
                outcome = GEAR_TIPPED if tipped else GEAR_SETTLED
                break
        else:
            t_quiet = -1.0
    kin, pot = _mechanical_energy(y, mass_kg, inertia, g, z0)
    elastic = 0.0
    for leg in range(n):
        p, _, nrm, depth, _ = _leg_kinematics(y, feet[leg], meta, offsets, heights)
        e = depth - y[Y_C + leg]
        if e > 0.0:
            elastic += 0.5 * k * e * e
            d = np.empty(3)
            for j in range(3):
                d[j] = p[j] - anchor[leg, j]
            dn = d[0] * nrm[0] + d[1] * nrm[1] + d[2] * nrm[2]
            for j in range(3):
                elastic += 0.5 * k * (d[j] - dn * nrm[j]) ** 2
    zb = quat_rotate(y[Y_Q : Y_Q + 4], np.array([0.0, 0.0, 1.0]))
    stroke_max = 0.0
    for leg in range(n):
        stroke_max = max(stroke_max, y[Y_C + leg])
    out[O_OUTCOME] = outcome
    out[O_TILT_DEG] = np.degrees(np.arccos(min(max(zb[2], -1.0), 1.0)))
    out[O_STROKE_MAX_M] = stroke_max
    out[O_E_CRUSH_J] = y[Y_EC]
    out[O_E_DAMP_J] = y[Y_ED]
    out[O_E_FRIC_J] = y[Y_EF] + e_fric_release
    at_rest = outcome == GEAR_SETTLED or (n_body > 0 and outcome == GEAR_TIPPED)
    out[O_T_END_S] = t_quiet if at_rest else t
    out[O_E0_J] = kin0
    out[O_E_KIN_J] = kin
    out[O_E_POT_J] = pot
    out[O_E_ELASTIC_J] = elastic
    out[O_COMPRESSION_MAX_M] = comp_max
    out[O_SLIDE_M] = np.sqrt((y[Y_P] - y0[Y_P]) ** 2 + (y[Y_P + 1] - y0[Y_P + 1]) ** 2)
    out[O_LOAD_MAX_N] = load_max
    out[O_TIPPED] = 1.0 if tipped else 0.0
    out[O_E_ENGINE_J] = y[Y_EW]
    _derivative(y, t, ctx, k1, loads)
    legs_loaded = 0
    body_loaded = 0
    for leg in range(n):
        if loads[leg] > 0.0:
            if leg < n_legs:
                legs_loaded += 1
            else:
                body_loaded += 1
    out[O_LEGS_LOADED] = legs_loaded
    out[O_BODY_LOADED] = body_loaded
    return y


@njit(cache=True)
def seat_on_ground(
    y: np.ndarray, feet: np.ndarray, meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray
) -> None:
    """Move the lander along z so its lowest footpad just touches the terrain (in place).

    The flight kernel detects contact at the end of a step, up to one step's
    descent below the surface; the post-contact stage starts at the surface.
    """
    lowest = 1e30
    for leg in range(feet.shape[0]):
        p, _, _, _, _ = _leg_kinematics(y, feet[leg], meta, offsets, heights)
        h, _, _ = terrain_height_gradient(meta, offsets, heights, p[0], p[1])
        lowest = min(lowest, p[2] - h)
    y[Y_P + 2] -= lowest
