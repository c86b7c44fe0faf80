"""Telemetry seen from the lander's own local vertical, not the site's.

Telemetry positions and velocities are in the site ENU frame (origin on the
reference sphere below the target). Far from the target that frame's "up" is
not the lander's: at 850 km uprange it leans ~28 degrees, so the site-frame
vertical speed of a lander braking horizontally reads hundreds of m/s and its
site-frame tilt over 100 degrees. These functions take the local vertical as
the direction from the Moon's centre to the lander (spherical Moon of radius
``radius_m``, the reference sphere of the simulator's site frame).

All inputs are arrays with a leading row axis, shape ``(n, 3)`` or ``(n, 4)``.
"""

from __future__ import annotations

import numpy as np


def centre_to_lander_enu(r_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n, 3)`` vector from the Moon's centre to the lander in site ENU axes, m."""
    r_c = np.array(r_enu, dtype=float, copy=True)
    r_c[:, 2] += radius_m
    return r_c


def local_up(r_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n, 3)`` unit local vertical (radial, away from the centre) in site ENU axes."""
    r_c = centre_to_lander_enu(r_enu, radius_m)
    return r_c / np.linalg.norm(r_c, axis=1, keepdims=True)


def radial_rate(r_enu: np.ndarray, v_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n,)`` rate of change of the distance from the Moon's centre, m/s (negative:
    descending). ``v_enu`` is the velocity relative to the surface."""
    return np.einsum("ij,ij->i", local_up(r_enu, radius_m), v_enu)


def local_horizontal_speed(r_enu: np.ndarray, v_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n,)`` speed relative to the surface across the local vertical, m/s."""
    vr = radial_rate(r_enu, v_enu, radius_m)
    v2 = np.einsum("ij,ij->i", v_enu, v_enu)
    return np.sqrt(np.maximum(v2 - vr * vr, 0.0))


def body_z_enu(q_body_to_enu: np.ndarray) -> np.ndarray:
    """``(n, 3)`` thrust axis (body +z) in ENU axes from scalar-first quaternions."""
    w, x, y, z = (q_body_to_enu[:, k] for k in range(4))
    return np.stack(
        (2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)), axis=1
    )


def tilt_from_local_vertical_deg(
    r_enu: np.ndarray, q_body_to_enu: np.ndarray, radius_m: float
) -> np.ndarray:
    """``(n,)`` angle between the thrust axis and the local vertical, deg."""
    c = np.einsum("ij,ij->i", local_up(r_enu, radius_m), body_z_enu(q_body_to_enu))
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def surface_distance_to_target_m(r_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n,)`` great-circle distance on the reference sphere from the point below the
    lander to the point below the target, m."""
    r_c = centre_to_lander_enu(r_enu, radius_m)
    return radius_m * np.arctan2(np.hypot(r_c[:, 0], r_c[:, 1]), r_c[:, 2])


def height_above_sphere_m(r_enu: np.ndarray, radius_m: float) -> np.ndarray:
    """``(n,)`` radial height of the lander above the reference sphere, m."""
    return np.linalg.norm(centre_to_lander_enu(r_enu, radius_m), axis=1) - radius_m
