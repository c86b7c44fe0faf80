"""Truth 6-DOF lander dynamics with variable mass.

State layout (one row per lander, ``(N, N_STATE)``):

- ``r_mci`` (m) and ``v_mci`` (m/s): centre of mass in Moon-centred inertial.
- ``q_body_to_mci``: attitude, scalar first.
- ``omega_body`` (rad/s): body rate relative to inertial, body frame.
- ``m_prop`` (kg): propellant left.
- ``thrust`` (N): delivered main-engine thrust (first-order lag on command).
- ``torque_body`` (N m): delivered attitude torque (first-order lag).

Mass properties change linearly with propellant: total mass, centre of mass
(dry and propellant CoM weighted) and the diagonal inertia about the CoM
(dry + full-tank inertia scaled by fill fraction). Rotational dynamics are
Euler's equations ``I dw/dt = tau - w x (I w)`` with the inertia at the
current fill (the slowly varying dI/dt term is neglected, as is jet damping).
The engine thrusts along a misaligned body direction through a point offset
from the CoM, so misalignment and CoM shift produce a disturbance torque.
Thrust stops when the propellant is gone.

Hardware events (``surefoot.config.vehicle_events``): the parameter row ends
with an event block the flight kernel updates as the flight goes
(:func:`vehicle_events`): the engine faults with their start times, their
combined effect (thrust fraction, thrust-line offset, engine cut) that
:func:`derivative` applies, and a rover released in flight (the dry mass
drops by its mass; the release time and state are recorded). With no fault
and no rover the block stays zero and the dynamics are exactly those without
it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import VehicleConfig
from surefoot.config.vehicle_events import MAX_ENGINE_FAULTS, MAX_OVERLOADS
from surefoot.fsw.interfaces import CMD_THRUST, CMD_TORQUE, N_CMD  # noqa: F401  (re-exported)
from surefoot.math.engine_isp import isp_at_thrust
from surefoot.math.quaternion import quat_derivative_xyz, quat_rotate_xyz
from surefoot.world.moon import G0_M_S2, gravity_mci_xyz

# State layout
S_R = 0
S_V = 3
S_Q = 6
S_W = 10
S_MPROP = 13
S_THRUST = 14
S_TORQUE = 15
N_STATE = 18

# Parameter layout (per lander, so every entry can be dispersed)
P_DRY_MASS = 0
P_PROP0 = 1
P_I_DRY = 2  # 3
P_I_PROP = 5  # 3, at full tank
P_COM_DRY = 8  # 3
P_COM_PROP = 11  # 3
P_MAX_THRUST = 14
P_MIN_THROTTLE = 15
P_ISP = 16
P_ENGINE_TAU = 17
P_THRUST_DIR = 18  # 3, unit vector in body frame
P_ENGINE_POS = 21  # 3, body frame
P_MAX_TORQUE = 24  # 3
P_TORQUE_TAU = 27
# hardware events: set up from the config, then written by vehicle_events
P_EVENTS_ARMED = 28  # 1: an engine fault or a rover is configured
P_EF_ACTIVE = 29  # 1: an engine fault acts now (the combined effect below applies)
P_EF_FRACTION = 30  # delivered over throttled thrust
P_EF_OFFSET = 31  # 3, thrust-line shift, body frame, m
P_EF_CUT = 34  # 1: engine shut down (no thrust, no flow)
P_N_ENGINE_FAULTS = 35
P_ENGINE_FAULTS = 36  # MAX_ENGINE_FAULTS rows of EF_COLS
# engine fault row
EF_KIND = 0  # ENGINE_FAULT_* code
EF_BY_ALTITUDE = 1  # 1: starts at an altitude, 0: at a time
EF_START = 2  # s or m
EF_DURATION = 3  # s (inf: to the end)
EF_FRACTION = 4
EF_OFFSET = 5  # 3
EF_T_STARTED = 8  # s; NaN until it starts
EF_COLS = 9
P_ROVER = P_ENGINE_FAULTS + MAX_ENGINE_FAULTS * EF_COLS
P_ROVER_MASS = P_ROVER  # kg, 0: no rover
P_ROVER_ALTITUDE = P_ROVER + 1  # release altitude, m
P_ROVER_T = P_ROVER + 2  # release time, s; NaN until released
P_ROVER_H = P_ROVER + 3  # true altitude at release, m
P_ROVER_R = P_ROVER + 4  # 3, position at release, MCI, m
P_ROVER_V = P_ROVER + 7  # 3, velocity at release, MCI, m/s
# flight computer: processor time taken from the flight software
P_CPU_STOLEN = P_ROVER + 10  # share taken now (the active overloads summed, at most 1)
P_N_OVERLOADS = P_ROVER + 11
P_OVERLOADS = P_ROVER + 12  # MAX_OVERLOADS rows of OV_COLS
# overload row
OV_BY_ALTITUDE = 0  # 1: starts at an altitude, 0: at a time
OV_START = 1  # s or m
OV_DURATION = 2  # s (inf: to the end)
OV_FRACTION = 3  # share of the processor taken
OV_T_STARTED = 4  # s; NaN until it starts
OV_COLS = 5
P_ISP_MIN_THROTTLE = P_OVERLOADS + MAX_OVERLOADS * OV_COLS  # Isp at min throttle, s
N_PARAMS = P_ISP_MIN_THROTTLE + 1

ENGINE_FAULT_THRUST_SCALE = 1
ENGINE_FAULT_SHUTDOWN = 2
ENGINE_FAULT_CODES = {"thrust_scale": ENGINE_FAULT_THRUST_SCALE,
                      "shutdown": ENGINE_FAULT_SHUTDOWN}

# Command layout: owned by the flight software (its output type)
C_THRUST = CMD_THRUST  # N
C_TORQUE = CMD_TORQUE  # 3, N m, body frame


def thrust_direction_body(misalignment_deg: tuple[float, float]) -> np.ndarray:
    """Unit thrust direction in the body frame: +z tilted by (about x, about y) angles."""
    ax, ay = np.radians(misalignment_deg[0]), np.radians(misalignment_deg[1])
    d = np.array([np.sin(ay) * np.cos(ax), -np.sin(ax), np.cos(ax) * np.cos(ay)])
    return d / np.linalg.norm(d)


def vehicle_params(cfg: VehicleConfig) -> np.ndarray:
    """Kernel parameter row (N_PARAMS,) from the vehicle section of a scenario."""
    p = np.zeros(N_PARAMS)
    p[P_DRY_MASS] = cfg.dry_mass_kg
    p[P_PROP0] = cfg.propellant_kg
    p[P_I_DRY : P_I_DRY + 3] = cfg.inertia_dry_kg_m2
    p[P_I_PROP : P_I_PROP + 3] = cfg.inertia_propellant_full_kg_m2
    p[P_COM_DRY : P_COM_DRY + 3] = cfg.com_dry_body_m
    p[P_COM_PROP : P_COM_PROP + 3] = cfg.com_propellant_body_m
    p[P_MAX_THRUST] = cfg.engine.max_thrust_n
    p[P_MIN_THROTTLE] = cfg.engine.min_throttle
    p[P_ISP] = cfg.engine.isp_s
    isp_low = cfg.engine.isp_at_min_throttle_s
    p[P_ISP_MIN_THROTTLE] = cfg.engine.isp_s if isp_low is None else isp_low
    p[P_ENGINE_TAU] = cfg.engine.time_constant_s
    p[P_THRUST_DIR : P_THRUST_DIR + 3] = thrust_direction_body(cfg.engine.misalignment_deg)
    p[P_ENGINE_POS : P_ENGINE_POS + 3] = cfg.engine.position_body_m
    p[P_MAX_TORQUE : P_MAX_TORQUE + 3] = cfg.attitude.max_torque_n_m
    p[P_TORQUE_TAU] = cfg.attitude.time_constant_s
    p[P_EF_FRACTION] = 1.0
    p[P_N_ENGINE_FAULTS] = len(cfg.engine.faults)
    for j, f in enumerate(cfg.engine.faults):
        r = P_ENGINE_FAULTS + j * EF_COLS
        p[r + EF_KIND] = ENGINE_FAULT_CODES[f.kind]
        p[r + EF_BY_ALTITUDE] = 1.0 if f.start_altitude_m is not None else 0.0
        p[r + EF_START] = f.start_altitude_m if f.start_altitude_m is not None else f.start_time_s
        p[r + EF_DURATION] = np.inf if f.duration_s is None else f.duration_s
        p[r + EF_FRACTION] = 1.0 if f.thrust_fraction is None else f.thrust_fraction
        p[r + EF_OFFSET : r + EF_OFFSET + 3] = f.thrust_offset_body_m
        p[r + EF_T_STARTED] = np.nan
    p[P_ROVER_T] = np.nan
    if cfg.rover is not None:
        p[P_ROVER_MASS] = cfg.rover.mass_kg
        p[P_ROVER_ALTITUDE] = cfg.rover.release_altitude_m
    overloads = () if cfg.computer is None else cfg.computer.overloads
    p[P_N_OVERLOADS] = len(overloads)
    for j, o in enumerate(overloads):
        r = P_OVERLOADS + j * OV_COLS
        p[r + OV_BY_ALTITUDE] = 1.0 if o.start_altitude_m is not None else 0.0
        p[r + OV_START] = o.start_altitude_m if o.start_altitude_m is not None else o.start_time_s
        p[r + OV_DURATION] = np.inf if o.duration_s is None else o.duration_s
        p[r + OV_FRACTION] = o.stolen_fraction
        p[r + OV_T_STARTED] = np.nan
    armed = cfg.engine.faults or cfg.rover is not None or overloads
    p[P_EVENTS_ARMED] = 1.0 if armed else 0.0
    return p


@njit(cache=True, inline="always")
def _window_acts(
    p: np.ndarray,
    by_altitude: int,
    start: int,
    duration: int,
    started: int,
    t: float,
    altitude_m: float,
) -> bool:
    """Whether the event window (``config.vehicle_events.EventWindow``) whose entries sit
    at these indices of ``p`` acts at time ``t`` (s) with the true altitude
    ``altitude_m`` (m); it starts (``p[started] = t``, NaN until then) at the first
    call that finds it due, and acts until ``duration`` seconds after that."""
    if np.isnan(p[started]):
        if p[by_altitude] > 0.5:
            due = altitude_m <= p[start]
        else:
            due = t >= p[start]
        if not due:
            return False
        p[started] = t
    return t < p[started] + p[duration]


@njit(cache=True)
def vehicle_events(p: np.ndarray, x: np.ndarray, t: float, altitude_m: float) -> None:
    """Start, end and combine the engine faults and the computer overloads and release the
    rover, at time ``t`` (s) with the true altitude ``altitude_m`` (m); writes the event
    block of ``p`` in place.

    Called by the flight kernel after every step of a lander whose row is armed
    (``p[P_EVENTS_ARMED] != 0``); the effect acts from the next step.
    """
    fraction = 1.0
    o0 = 0.0
    o1 = 0.0
    o2 = 0.0
    cut = 0.0
    active = 0.0
    for j in range(int(p[P_N_ENGINE_FAULTS])):
        r = P_ENGINE_FAULTS + j * EF_COLS
        if not _window_acts(
            p, r + EF_BY_ALTITUDE, r + EF_START, r + EF_DURATION, r + EF_T_STARTED, t, altitude_m
        ):
            continue
        active = 1.0
        if p[r + EF_KIND] == ENGINE_FAULT_SHUTDOWN:
            cut = 1.0
        else:
            fraction *= p[r + EF_FRACTION]
            o0 += p[r + EF_OFFSET]
            o1 += p[r + EF_OFFSET + 1]
            o2 += p[r + EF_OFFSET + 2]
    p[P_EF_ACTIVE] = active
    p[P_EF_FRACTION] = fraction
    p[P_EF_OFFSET] = o0
    p[P_EF_OFFSET + 1] = o1
    p[P_EF_OFFSET + 2] = o2
    p[P_EF_CUT] = cut
    stolen = 0.0
    for j in range(int(p[P_N_OVERLOADS])):
        r = P_OVERLOADS + j * OV_COLS
        if _window_acts(
            p, r + OV_BY_ALTITUDE, r + OV_START, r + OV_DURATION, r + OV_T_STARTED, t, altitude_m
        ):
            stolen += p[r + OV_FRACTION]
    p[P_CPU_STOLEN] = min(stolen, 1.0)
    if p[P_ROVER_MASS] > 0.0 and np.isnan(p[P_ROVER_T]) and altitude_m <= p[P_ROVER_ALTITUDE]:
        p[P_ROVER_T] = t
        p[P_ROVER_H] = altitude_m
        for k in range(3):
            p[P_ROVER_R + k] = x[S_R + k]
            p[P_ROVER_V + k] = x[S_V + k]
        p[P_DRY_MASS] -= p[P_ROVER_MASS]


@njit(cache=True, inline="always")
def delivered_thrust(x: np.ndarray, p: np.ndarray) -> float:
    """Main-engine thrust (N) acting now: the throttle state, zero without propellant,
    times the active engine fault's fraction (zero when it is shut down)."""
    return delivered_thrust_of(
        x[S_THRUST], x[S_MPROP], p[P_EF_ACTIVE], p[P_EF_CUT], p[P_EF_FRACTION]
    )


@njit(cache=True, inline="always")
def delivered_thrust_of(
    thrust_state_n: float, m_prop_kg: float, fault_active: float, fault_cut: float,
    fault_fraction: float,
) -> float:
    """:func:`delivered_thrust` of the state's thrust and propellant and the engine
    fault's fields (scalars: where the arrays would be read only in some branches,
    their reference counts could not be pruned)."""
    thrust = thrust_state_n if m_prop_kg > 0.0 else 0.0
    if thrust < 0.0:
        thrust = 0.0
    if fault_active != 0.0:
        thrust = 0.0 if fault_cut != 0.0 else thrust * fault_fraction
    return thrust


@njit(cache=True)
def mass_properties(m_prop: float, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Total mass (kg), CoM (m, body) and diagonal inertia about the CoM (kg m^2)."""
    m, c0, c1, c2, i0, i1, i2 = mass_properties_xyz(m_prop, p)
    com = np.empty(3)
    inertia = np.empty(3)
    com[0], com[1], com[2] = c0, c1, c2
    inertia[0], inertia[1], inertia[2] = i0, i1, i2
    return m, com, inertia


@njit(cache=True, inline="always")
def mass_properties_xyz(
    m_prop: float, p: np.ndarray
) -> tuple[float, float, float, float, float, float, float]:
    """:func:`mass_properties` as scalars (no array allocated): ``(m, com_x, com_y,
    com_z, I_x, I_y, I_z)`` in kg, m (body) and kg m^2."""
    mp = max(m_prop, 0.0)
    m = p[P_DRY_MASS] + mp
    fill = mp / p[P_PROP0] if p[P_PROP0] > 0.0 else 0.0
    return (
        m,
        (p[P_DRY_MASS] * p[P_COM_DRY] + mp * p[P_COM_PROP]) / m,
        (p[P_DRY_MASS] * p[P_COM_DRY + 1] + mp * p[P_COM_PROP + 1]) / m,
        (p[P_DRY_MASS] * p[P_COM_DRY + 2] + mp * p[P_COM_PROP + 2]) / m,
        p[P_I_DRY] + fill * p[P_I_PROP],
        p[P_I_DRY + 1] + fill * p[P_I_PROP + 1],
        p[P_I_DRY + 2] + fill * p[P_I_PROP + 2],
    )


@njit(cache=True, inline="always")
def total_mass(m_prop: float, p: np.ndarray) -> float:
    """Total mass (kg) with ``m_prop`` kg of propellant left (as :func:`mass_properties`)."""
    return p[P_DRY_MASS] + max(m_prop, 0.0)


# error_model="numpy": every divisor here is positive by the scenario's bounds
# (mass, principal moments, Isp; the lags are tested before dividing), so the
# Python error model's zero-division branches never run, but their exits kept
# Numba from pruning the reference counts of the five array arguments: ten
# atomic operations a call, four calls a step. The quotients are the same bits.
@njit(cache=True, error_model="numpy")
def derivative(
    x: np.ndarray, cmd: np.ndarray, p: np.ndarray, moon: np.ndarray, out: np.ndarray
) -> None:
    """Time derivative of one lander's state, written into ``out`` (N_STATE,).

    Scalars throughout (no temporary arrays): this runs four times per step.
    """
    m_prop = x[S_MPROP]
    has_prop = m_prop > 0.0
    thrust = x[S_THRUST] if has_prop else 0.0
    if thrust < 0.0:
        thrust = 0.0
    # propellant flow follows the throttle; an engine fault changes the force it buys
    flow_thrust = thrust
    fault = p[P_EF_ACTIVE] != 0.0
    if fault:
        if p[P_EF_CUT] != 0.0:
            thrust = 0.0
            flow_thrust = 0.0
        else:
            thrust *= p[P_EF_FRACTION]
    m, com0, com1, com2, i0, i1, i2 = mass_properties_xyz(m_prop, p)
    q0, q1, q2, q3 = x[S_Q], x[S_Q + 1], x[S_Q + 2], x[S_Q + 3]
    w0, w1, w2 = x[S_W], x[S_W + 1], x[S_W + 2]

    g0, g1, g2 = gravity_mci_xyz(x[S_R], x[S_R + 1], x[S_R + 2], moon)
    fb0 = thrust * p[P_THRUST_DIR]
    fb1 = thrust * p[P_THRUST_DIR + 1]
    fb2 = thrust * p[P_THRUST_DIR + 2]
    fm0, fm1, fm2 = quat_rotate_xyz(q0, q1, q2, q3, fb0, fb1, fb2)
    for k in range(3):
        out[S_R + k] = x[S_V + k]
    out[S_V] = g0 + fm0 / m
    out[S_V + 1] = g1 + fm1 / m
    out[S_V + 2] = g2 + fm2 / m

    out[S_Q], out[S_Q + 1], out[S_Q + 2], out[S_Q + 3] = quat_derivative_xyz(
        q0, q1, q2, q3, w0, w1, w2
    )

    # torque: actuator + engine force acting at an arm from the CoM
    arm0 = p[P_ENGINE_POS] - com0
    arm1 = p[P_ENGINE_POS + 1] - com1
    arm2 = p[P_ENGINE_POS + 2] - com2
    if fault:
        arm0 += p[P_EF_OFFSET]
        arm1 += p[P_EF_OFFSET + 1]
        arm2 += p[P_EF_OFFSET + 2]
    tx = x[S_TORQUE] + arm1 * fb2 - arm2 * fb1
    ty = x[S_TORQUE + 1] + arm2 * fb0 - arm0 * fb2
    tz = x[S_TORQUE + 2] + arm0 * fb1 - arm1 * fb0
    hx = i0 * w0
    hy = i1 * w1
    hz = i2 * w2
    out[S_W] = (tx - (w1 * hz - w2 * hy)) / i0
    out[S_W + 1] = (ty - (w2 * hx - w0 * hz)) / i1
    out[S_W + 2] = (tz - (w0 * hy - w1 * hx)) / i2

    isp = isp_at_thrust(
        flow_thrust, p[P_MAX_THRUST], p[P_MIN_THROTTLE], p[P_ISP], p[P_ISP_MIN_THROTTLE]
    )
    out[S_MPROP] = -flow_thrust / (isp * G0_M_S2) if has_prop else 0.0

    # engine and torque actuator lags; commands are limited here (the hardware)
    t_max = p[P_MAX_THRUST]
    t_cmd = cmd[C_THRUST]
    if t_cmd > t_max:
        t_cmd = t_max
    if t_cmd < 0.0:
        t_cmd = 0.0
    if not has_prop or (fault and p[P_EF_CUT] != 0.0):
        t_cmd = 0.0
    tau = p[P_ENGINE_TAU]
    out[S_THRUST] = (t_cmd - x[S_THRUST]) / tau if tau > 0.0 else 0.0
    ttau = p[P_TORQUE_TAU]
    for k in range(3):
        lim = p[P_MAX_TORQUE + k]
        c = min(max(cmd[C_TORQUE + k], -lim), lim)
        out[S_TORQUE + k] = (c - x[S_TORQUE + k]) / ttau if ttau > 0.0 else 0.0


@njit(cache=True)
def apply_instant_actuators(x: np.ndarray, cmd: np.ndarray, p: np.ndarray) -> None:
    """Actuators without lag (time constant 0) take their command at once."""
    if p[P_ENGINE_TAU] <= 0.0:
        t_cmd = min(max(cmd[C_THRUST], 0.0), p[P_MAX_THRUST])
        cut = p[P_EF_ACTIVE] != 0.0 and p[P_EF_CUT] != 0.0
        x[S_THRUST] = t_cmd if x[S_MPROP] > 0.0 and not cut else 0.0
    if p[P_TORQUE_TAU] <= 0.0:
        for k in range(3):
            lim = p[P_MAX_TORQUE + k]
            x[S_TORQUE + k] = min(max(cmd[C_TORQUE + k], -lim), lim)


@njit(cache=True)
def rk4_step_into(
    x: np.ndarray,
    cmd: np.ndarray,
    p: np.ndarray,
    moon: np.ndarray,
    dt: float,
    k1: np.ndarray,
    k2: np.ndarray,
    k3: np.ndarray,
    k4: np.ndarray,
    xt: np.ndarray,
) -> None:
    """Advance one lander's state in place by ``dt`` (classical RK4).

    ``k1`` .. ``k4`` (the stages) and ``xt`` (the trial state) are scratch of
    shape (N_STATE,), allocated once by the caller (the step loop allocates
    nothing, and rows of one scratch array would cost a reference count each).
    The quaternion is renormalised after the step. Propellant never goes
    below zero.
    """
    apply_instant_actuators(x, cmd, p)
    derivative(x, cmd, p, moon, k1)
    for j in range(N_STATE):
        xt[j] = x[j] + 0.5 * dt * k1[j]
    derivative(xt, cmd, p, moon, k2)
    for j in range(N_STATE):
        xt[j] = x[j] + 0.5 * dt * k2[j]
    derivative(xt, cmd, p, moon, k3)
    for j in range(N_STATE):
        xt[j] = x[j] + dt * k3[j]
    derivative(xt, cmd, p, moon, k4)
    for j in range(N_STATE):
        x[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
    n = np.sqrt(x[S_Q] ** 2 + x[S_Q + 1] ** 2 + x[S_Q + 2] ** 2 + x[S_Q + 3] ** 2)
    for j in range(4):
        x[S_Q + j] /= n
    if x[S_MPROP] < 0.0:
        x[S_MPROP] = 0.0


@njit(cache=True)
def rk4_step(
    x: np.ndarray,
    cmd: np.ndarray,
    p: np.ndarray,
    moon: np.ndarray,
    dt: float,
    work: np.ndarray,
) -> None:
    """:func:`rk4_step_into` with the stages and trial state in the rows of
    ``work`` (5, N_STATE)."""
    rk4_step_into(x, cmd, p, moon, dt, work[0], work[1], work[2], work[3], work[4])


@njit(cache=True)
def propagate(
    x: np.ndarray, cmd: np.ndarray, p: np.ndarray, moon: np.ndarray, dt: float, n_steps: int
) -> None:
    """Advance a batch ``x (N, N_STATE)`` by ``n_steps``, commands ``cmd (N, N_CMD)`` held."""
    work = np.empty((5, N_STATE))
    for i in range(x.shape[0]):
        for _ in range(n_steps):
            rk4_step(x[i], cmd[i], p[i], moon, dt, work)
