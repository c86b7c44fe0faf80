"""Touchdown dynamics from the flight's truth states: the batch entry of the post-contact stage.

:mod:`surefoot.world.landing_gear` holds the mechanics in a local frame at
the touchdown point (legs, body contact, friction, the integrator and its
outcomes); this module turns each lander's truth state at first contact
(MCI, with the Moon's rotation) into that frame, seats it on the ground and
settles it. With an engine cut-off after contact (``vehicle.engine.cutoff_after_contact_s``)
the thrust and the attitude thrusters' torque acting at contact are held for that time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.math.frames import mcmf_to_map, rot_mci_to_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_to_dcm
from surefoot.world.landing_gear import (
    A_FORCE,
    A_TORQUE,
    N_ACT,
    N_OUT,
    N_Y,
    Y_P,
    Y_Q,
    Y_V,
    Y_W,
    seat_on_ground,
    settle,
    settle_with_actuators,
)
from surefoot.world.vehicle import (
    P_EF_ACTIVE,
    P_EF_OFFSET,
    P_ENGINE_POS,
    P_THRUST_DIR,
    S_MPROP,
    S_Q,
    S_R,
    S_TORQUE,
    S_V,
    S_W,
    delivered_thrust,
    mass_properties,
)


@njit(cache=True)
def local_state_from_truth(
    x: np.ndarray, t: float, omega_moon: float, c_enu_mcmf: np.ndarray, radius_ref_m: float
) -> np.ndarray:
    """Post-contact state (N_Y,) from a truth state row (N_STATE,) at time ``t``.

    Position: site map coordinates and height of the CoM. Velocity and body
    rate are relative to the rotating Moon. Local axes: up the radial at the
    lander, east the site's east made orthogonal to it (the map's axes, to
    within the lander's distance from the site over the Moon's radius).
    """
    theta = omega_moon * t
    r_mci = x[S_R : S_R + 3]
    r_mcmf = rot_mci_to_mcmf(r_mci, theta)
    xm, ym, hp = mcmf_to_map(r_mcmf, c_enu_mcmf, radius_ref_m)
    v_rel_mci = np.empty(3)
    v_rel_mci[0] = x[S_V] + omega_moon * r_mci[1]
    v_rel_mci[1] = x[S_V + 1] - omega_moon * r_mci[0]
    v_rel_mci[2] = x[S_V + 2]
    v_mcmf = rot_mci_to_mcmf(v_rel_mci, theta)
    rn = np.sqrt(r_mcmf[0] ** 2 + r_mcmf[1] ** 2 + r_mcmf[2] ** 2)
    up = r_mcmf / rn
    east = c_enu_mcmf[0].copy()
    eu = east[0] * up[0] + east[1] * up[1] + east[2] * up[2]
    for j in range(3):
        east[j] -= eu * up[j]
    east /= np.sqrt(east[0] ** 2 + east[1] ** 2 + east[2] ** 2)
    north = np.empty(3)
    north[0] = up[1] * east[2] - up[2] * east[1]
    north[1] = up[2] * east[0] - up[0] * east[2]
    north[2] = up[0] * east[1] - up[1] * east[0]
    c_local_mcmf = np.empty((3, 3))
    for j in range(3):
        c_local_mcmf[0, j] = east[j]
        c_local_mcmf[1, j] = north[j]
        c_local_mcmf[2, j] = up[j]
    # body -> MCI -> MCMF -> local
    c_mci_body = quat_to_dcm(x[S_Q : S_Q + 4])
    c_mcmf_body = np.empty((3, 3))
    ct = np.cos(theta)
    st = np.sin(theta)
    for j in range(3):
        c_mcmf_body[0, j] = ct * c_mci_body[0, j] + st * c_mci_body[1, j]
        c_mcmf_body[1, j] = -st * c_mci_body[0, j] + ct * c_mci_body[1, j]
        c_mcmf_body[2, j] = c_mci_body[2, j]
    c_local_body = c_local_mcmf @ c_mcmf_body
    y = np.zeros(N_Y)
    y[Y_P] = xm
    y[Y_P + 1] = ym
    y[Y_P + 2] = hp
    for i in range(3):
        y[Y_V + i] = (
            c_local_mcmf[i, 0] * v_mcmf[0]
            + c_local_mcmf[i, 1] * v_mcmf[1]
            + c_local_mcmf[i, 2] * v_mcmf[2]
        )
    q = dcm_to_quat(c_local_body)
    for j in range(4):
        y[Y_Q + j] = q[j]
    # the Moon's rate (about MCI z) seen in the body frame, removed from the body rate
    for j in range(3):
        y[Y_W + j] = x[S_W + j] - omega_moon * c_mci_body[2, j]
    return y


@njit(cache=True)
def actuators_at_contact(x: np.ndarray, p: np.ndarray, com: np.ndarray) -> np.ndarray:
    """The actuators acting at contact (N_ACT,), body frame: the engine's delivered
    thrust (N, along its thrust direction, zero without propellant, times an active
    fault's fraction) and the torque about the CoM ``com`` (m, body) of that thrust
    through its line (the engine position, moved by an active fault) plus the
    attitude thrusters' torque (N m), as the flight dynamics apply them."""
    act = np.zeros(N_ACT)
    thrust = delivered_thrust(x, p)
    arm = np.empty(3)
    for j in range(3):
        act[A_FORCE + j] = thrust * p[P_THRUST_DIR + j]
        arm[j] = p[P_ENGINE_POS + j] - com[j]
        if p[P_EF_ACTIVE] != 0.0:
            arm[j] += p[P_EF_OFFSET + j]
    f = act[A_FORCE : A_FORCE + 3]
    act[A_TORQUE] = x[S_TORQUE] + arm[1] * f[2] - arm[2] * f[1]
    act[A_TORQUE + 1] = x[S_TORQUE + 1] + arm[2] * f[0] - arm[0] * f[2]
    act[A_TORQUE + 2] = x[S_TORQUE + 2] + arm[0] * f[1] - arm[1] * f[0]
    return act


@njit(cache=True)
def touchdown_dynamics(
    x: np.ndarray,
    t_contact: np.ndarray,
    in_contact: np.ndarray,
    omega_moon: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    vehicle_p: np.ndarray,
    feet_body: np.ndarray,
    gp: np.ndarray,
    g: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    max_time_s: float,
    cutoff_after_contact_s: float = 0.0,
) -> np.ndarray:
    """Post-contact outcome rows (N, N_OUT) of a batch of landers at first contact.

    Parameters
    ----------
    x : (N, N_STATE) truth states at first contact (MCI)
    t_contact : (N,) contact times (s)
    in_contact : (N,) bool; rows of landers that never touched are NaN
    vehicle_p : (N, N_PARAMS) vehicle parameter rows (mass properties)
    feet_body : (n, 3) footpads relative to the body origin, body frame (m)
    gp : (N_GEAR,) gear parameters
    cutoff_after_contact_s : the thrust and attitude torque at contact act this long (s)
    """
    nb = x.shape[0]
    out = np.full((nb, N_OUT), np.nan)
    for i in range(nb):
        if not in_contact[i]:
            continue
        mass, com, inertia = mass_properties(x[i, S_MPROP], vehicle_p[i])
        feet = feet_body.copy()
        for leg in range(feet.shape[0]):
            for j in range(3):
                feet[leg, j] -= com[j]
        y = local_state_from_truth(x[i], t_contact[i], omega_moon, c_enu_mcmf, radius_ref_m)
        seat_on_ground(y, feet, meta, offsets, heights)
        if cutoff_after_contact_s > 0.0:
            act = actuators_at_contact(x[i], vehicle_p[i], com)
            settle_with_actuators(
                y,
                mass,
                inertia,
                feet,
                gp,
                g,
                meta,
                offsets,
                heights,
                max_time_s,
                out[i],
                act,
                cutoff_after_contact_s,
            )
        else:
            settle(y, mass, inertia, feet, gp, g, meta, offsets, heights, max_time_s, out[i])
    return out
