"""Footpad contact with the truth terrain and touchdown metrics.

The flight ends at the first step where any footpad is at or below the
terrain. Metrics are taken at that step: speeds relative to the surface
split along the local vertical at the touchdown point, tilt of the body z
axis from that vertical, angular rate, and the local slope of the plane
fitted (least squares) through the terrain heights under the footpads.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import LegConfig, TouchdownLimits
from surefoot.math.frames import mcmf_to_map, rot_mci_to_mcmf
from surefoot.math.quaternion import quat_rotate
from surefoot.world.terrain.grid import terrain_height
from surefoot.world.vehicle import S_MPROP, S_Q, S_R, S_V, S_W

# touchdown record layout
TD_CONTACT = 0  # 1.0 once contact happened
TD_T = 1
TD_EAST = 2
TD_NORTH = 3
TD_V_VERT = 4  # m/s, positive downward
TD_V_HORIZ = 5
TD_TILT_DEG = 6
TD_SLOPE_DEG = 7
TD_RATE_DEG_S = 8
TD_MPROP = 9
TD_FOOT_MIN_ALT = 10  # penetration of the lowest foot at detection (<= 0)
N_TD = 11

OUTCOMES = ("safe", "hard", "tipped", "crashed", "no_contact")


def footpad_positions_body(legs: LegConfig) -> np.ndarray:
    """Footpad positions (n, 3) in the body frame (m): a circle below the body origin."""
    ang = 2.0 * np.pi * np.arange(legs.count) / legs.count + np.pi / legs.count
    return np.column_stack(
        [
            legs.radius_m * np.cos(ang),
            legs.radius_m * np.sin(ang),
            np.full(legs.count, -legs.height_m),
        ]
    )


@njit(cache=True)
def check_contact(
    x: np.ndarray,
    theta: float,
    feet_body: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """Lowest footpad height above the terrain (m); <= 0 means contact."""
    lowest = 1e30
    q = x[S_Q : S_Q + 4]
    for k in range(feet_body.shape[0]):
        f = quat_rotate(q, feet_body[k])
        p = np.empty(3)
        for j in range(3):
            p[j] = x[S_R + j] + f[j]
        pm = rot_mci_to_mcmf(p, theta)
        xm, ym, hp = mcmf_to_map(pm, c_enu_mcmf, radius_ref_m)
        alt = hp - terrain_height(meta, offsets, heights, xm, ym)
        if alt < lowest:
            lowest = alt
    return lowest


@njit(cache=True)
def touchdown_metrics(
    x: np.ndarray,
    t: float,
    omega_moon: float,
    feet_body: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    foot_min_alt: float,
    out: np.ndarray,
) -> None:
    """Fill a touchdown record (N_TD,) for a lander in contact at time ``t``."""
    theta = omega_moon * t
    r_mci = x[S_R : S_R + 3]
    v_mci = x[S_V : S_V + 3]
    r_mcmf = rot_mci_to_mcmf(r_mci, theta)
    v_rel = np.empty(3)
    v_rel[0] = v_mci[0] + omega_moon * r_mci[1]
    v_rel[1] = v_mci[1] - omega_moon * r_mci[0]
    v_rel[2] = v_mci[2]
    rn = np.sqrt(r_mci[0] ** 2 + r_mci[1] ** 2 + r_mci[2] ** 2)
    up = r_mci / rn
    vu = v_rel[0] * up[0] + v_rel[1] * up[1] + v_rel[2] * up[2]
    vh2 = 0.0
    for k in range(3):
        vh2 += (v_rel[k] - vu * up[k]) ** 2
    z_b = quat_rotate(x[S_Q : S_Q + 4], np.array([0.0, 0.0, 1.0]))
    cz = min(max(z_b[0] * up[0] + z_b[1] * up[1] + z_b[2] * up[2], -1.0), 1.0)

    # plane through the terrain under the footpads (least squares)
    n = feet_body.shape[0]
    a = np.zeros((3, 3))
    b = np.zeros(3)
    for k in range(n):
        f = quat_rotate(x[S_Q : S_Q + 4], feet_body[k])
        p = np.empty(3)
        for j in range(3):
            p[j] = r_mci[j] + f[j]
        pm = rot_mci_to_mcmf(p, theta)
        xm, ym, _ = mcmf_to_map(pm, c_enu_mcmf, radius_ref_m)
        h = terrain_height(meta, offsets, heights, xm, ym)
        row = np.array([1.0, xm, ym])
        for i in range(3):
            b[i] += row[i] * h
            for j in range(3):
                a[i, j] += row[i] * row[j]
    coef = np.linalg.solve(a, b)
    xs, ys, _ = mcmf_to_map(r_mcmf, c_enu_mcmf, radius_ref_m)
    w = x[S_W : S_W + 3]
    out[TD_CONTACT] = 1.0
    out[TD_T] = t
    out[TD_EAST] = xs
    out[TD_NORTH] = ys
    out[TD_V_VERT] = -vu
    out[TD_V_HORIZ] = np.sqrt(vh2)
    out[TD_TILT_DEG] = np.degrees(np.arccos(cz))
    out[TD_SLOPE_DEG] = np.degrees(np.arctan(np.sqrt(coef[1] ** 2 + coef[2] ** 2)))
    out[TD_RATE_DEG_S] = np.degrees(np.sqrt(w[0] ** 2 + w[1] ** 2 + w[2] ** 2))
    out[TD_MPROP] = x[S_MPROP]
    out[TD_FOOT_MIN_ALT] = foot_min_alt


def classify_touchdown(
    td: np.ndarray,
    limits: TouchdownLimits,
    legs: LegConfig,
    com_height_m: float,
    g_surface_m_s2: float,
) -> np.ndarray:
    """Outcome class per lander (array of strings from ``OUTCOMES``).

    - crashed: vertical or horizontal speed beyond the crash limits;
    - tipped: tilt plus slope beyond the static tip-over angle
      ``atan(leg radius / CoM height)``, or lateral kinetic energy enough to
      lift the CoM over the downhill footpad (rigid-body energy criterion);
    - hard: any safe limit exceeded (speeds, slope, tilt, angular rate);
    - safe: otherwise; no_contact: the flight ended without touching down.
    """
    td = np.atleast_2d(td)
    out = np.full(td.shape[0], "no_contact", dtype=object)
    contact = td[:, TD_CONTACT] > 0.5
    vv = td[:, TD_V_VERT]
    vh = td[:, TD_V_HORIZ]
    tilt = td[:, TD_TILT_DEG]
    slope = td[:, TD_SLOPE_DEG]
    rate = td[:, TD_RATE_DEG_S]
    tip_angle = np.degrees(np.arctan2(legs.radius_m, com_height_m))
    lever = np.hypot(legs.radius_m, com_height_m)
    lift = (
        lever - com_height_m * np.cos(np.radians(slope)) - legs.radius_m * np.sin(np.radians(slope))
    )
    dynamic_tip = 0.5 * vh**2 > g_surface_m_s2 * np.maximum(lift, 0.0)
    crashed = (vv > limits.crash_vertical_speed_m_s) | (vh > limits.crash_horizontal_speed_m_s)
    tipped = ~crashed & ((tilt + slope > tip_angle) | dynamic_tip)
    hard = (
        ~crashed
        & ~tipped
        & (
            (vv > limits.max_vertical_speed_m_s)
            | (vh > limits.max_horizontal_speed_m_s)
            | (slope > limits.max_slope_deg)
            | (tilt > limits.max_tilt_deg)
            | (rate > limits.max_angular_rate_deg_s)
        )
    )
    out[contact] = "safe"
    out[contact & hard] = "hard"
    out[contact & tipped] = "tipped"
    out[contact & crashed] = "crashed"
    return out
