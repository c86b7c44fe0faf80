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
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import VehicleConfig
from surefoot.fsw.interfaces import CMD_THRUST, CMD_TORQUE, N_CMD  # noqa: F401  (re-exported)
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
N_PARAMS = 28

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
    p[P_ENGINE_TAU] = cfg.engine.time_constant_s
    p[P_THRUST_DIR : P_THRUST_DIR + 3] = thrust_direction_body(cfg.engine.misalignment_deg)
    p[P_ENGINE_POS : P_ENGINE_POS + 3] = cfg.engine.position_body_m
    p[P_MAX_TORQUE : P_MAX_TORQUE + 3] = cfg.attitude.max_torque_n_m
    p[P_TORQUE_TAU] = cfg.attitude.time_constant_s
    return p


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


@njit(cache=True)
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
    tx = x[S_TORQUE] + arm1 * fb2 - arm2 * fb1
    ty = x[S_TORQUE + 1] + arm2 * fb0 - arm0 * fb2
    tz = x[S_TORQUE + 2] + arm0 * fb1 - arm1 * fb0
    hx = i0 * w0
    hy = i1 * w1
    hz = i2 * w2
    out[S_W] = (tx - (w1 * hz - w2 * hy)) / i0
    out[S_W + 1] = (ty - (w2 * hx - w0 * hz)) / i1
    out[S_W + 2] = (tz - (w0 * hy - w1 * hx)) / i2

    out[S_MPROP] = -thrust / (p[P_ISP] * G0_M_S2) if has_prop else 0.0

    # engine and torque actuator lags; commands are limited here (the hardware)
    t_max = p[P_MAX_THRUST]
    t_cmd = cmd[C_THRUST]
    if t_cmd > t_max:
        t_cmd = t_max
    if t_cmd < 0.0:
        t_cmd = 0.0
    if not has_prop:
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
        x[S_THRUST] = t_cmd if x[S_MPROP] > 0.0 else 0.0
    if p[P_TORQUE_TAU] <= 0.0:
        for k in range(3):
            lim = p[P_MAX_TORQUE + k]
            x[S_TORQUE + k] = min(max(cmd[C_TORQUE + k], -lim), lim)


@njit(cache=True)
def rk4_step(
    x: np.ndarray,
    cmd: np.ndarray,
    p: np.ndarray,
    moon: np.ndarray,
    dt: float,
    work: np.ndarray,
) -> None:
    """Advance one lander's state in place by ``dt`` (classical RK4).

    ``work`` is scratch of shape (5, N_STATE). The quaternion is renormalised
    after the step. Propellant never goes below zero.
    """
    apply_instant_actuators(x, cmd, p)
    k1 = work[0]
    k2 = work[1]
    k3 = work[2]
    k4 = work[3]
    xt = work[4]
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
def propagate(
    x: np.ndarray, cmd: np.ndarray, p: np.ndarray, moon: np.ndarray, dt: float, n_steps: int
) -> None:
    """Advance a batch ``x (N, N_STATE)`` by ``n_steps``, commands ``cmd (N, N_CMD)`` held."""
    work = np.empty((5, N_STATE))
    for i in range(x.shape[0]):
        for _ in range(n_steps):
            rk4_step(x[i], cmd[i], p[i], moon, dt, work)
