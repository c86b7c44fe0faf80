"""Thrust-vector steering by quaternion feedback, and throttle.

The error quaternion is the shortest rotation (body frame) that takes the
engine's thrust axis onto the commanded thrust direction; roll about the
thrust axis is left free and only damped. An outer loop turns the error into
a rate command limited to a maximum slew rate; the inner loop drives the rate
error with ``tau = I (2 zeta w_n) (w_cmd - w) + w x I w``. For small errors
this is the PD law ``tau = I (w_n^2 theta - 2 zeta w_n w)`` (Wie, Space Vehicle
Dynamics and Control, ch. 7 quaternion feedback).

When the commanded direction turns at a known rate (a convex plan's thrust
acceleration), :func:`steering_torque_feedforward` adds that rate to the
outer loop's command.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def shortest_arc_error(axis_body: np.ndarray, target_body: np.ndarray) -> np.ndarray:
    """Quaternion (scalar first) rotating unit ``axis_body`` onto unit ``target_body``."""
    q = np.empty(4)
    q[0], q[1], q[2], q[3] = shortest_arc_error_xyz(
        axis_body[0], axis_body[1], axis_body[2], target_body[0], target_body[1], target_body[2]
    )
    return q


@njit(cache=True)
def shortest_arc_error_xyz(
    a0: float, a1: float, a2: float, b0: float, b1: float, b2: float
) -> tuple[float, float, float, float]:
    """:func:`shortest_arc_error` on scalars (no array allocated): the quaternion
    (scalar first) rotating unit ``a`` onto unit ``b``, both in the body frame."""
    c = a0 * b0 + a1 * b1 + a2 * b2
    q0 = 1.0 + c
    q1 = a1 * b2 - a2 * b1
    q2 = a2 * b0 - a0 * b2
    q3 = a0 * b1 - a1 * b0
    n = np.sqrt(q0**2 + q1**2 + q2**2 + q3**2)
    if n < 1e-9:  # opposite vectors: rotate 180 deg about body x
        return 0.0, 1.0, 0.0, 0.0
    return q0 / n, q1 / n, q2 / n, q3 / n


@njit(cache=True)
def turn_rate(a: np.ndarray, a_dot: np.ndarray) -> np.ndarray:
    """Angular velocity (rad/s) at which the direction of ``a`` turns when ``a``
    changes at ``a_dot``: ``a x a_dot / |a|^2`` (the part of ``d(a/|a|)/dt`` across
    ``a``, as a rotation vector). Same right-handed frame as the inputs; zero for
    ``a`` = 0."""
    out = np.empty(3)
    out[0], out[1], out[2] = turn_rate_xyz(a[0], a[1], a[2], a_dot[0], a_dot[1], a_dot[2])
    return out


@njit(cache=True)
def turn_rate_xyz(
    a0: float, a1: float, a2: float, d0: float, d1: float, d2: float
) -> tuple[float, float, float]:
    """:func:`turn_rate` on scalars (no array allocated): ``a`` and its rate
    ``a_dot = d``, the angular velocity (rad/s) in their frame."""
    a_sq = a0 * a0 + a1 * a1 + a2 * a2
    if a_sq <= 1e-18:
        return 0.0, 0.0, 0.0
    return (
        (a1 * d2 - a2 * d1) / a_sq,
        (a2 * d0 - a0 * d2) / a_sq,
        (a0 * d1 - a1 * d0) / a_sq,
    )


@njit(cache=True)
def steering_torque(
    q_err: np.ndarray,
    omega_body: np.ndarray,
    inertia_body: np.ndarray,
    bandwidth_rad_s: float,
    damping: float,
    max_rate_rad_s: float,
    max_torque: np.ndarray,
) -> np.ndarray:
    """Body torque (N m) from the error quaternion and the body rate (rad/s)."""
    return _torque(
        q_err,
        omega_body,
        inertia_body,
        bandwidth_rad_s,
        damping,
        max_rate_rad_s,
        max_torque,
        np.zeros(3),
        False,
    )


@njit(cache=True)
def steering_torque_feedforward(
    q_err: np.ndarray,
    omega_body: np.ndarray,
    inertia_body: np.ndarray,
    bandwidth_rad_s: float,
    damping: float,
    max_rate_rad_s: float,
    max_torque: np.ndarray,
    rate_ff_body: np.ndarray,
) -> np.ndarray:
    """:func:`steering_torque` with the commanded direction's own turn rate fed forward.

    ``rate_ff_body`` (rad/s, body frame) is the angular velocity at which the commanded
    thrust direction turns (for a plan's thrust acceleration ``a(t)``,
    ``a x a_dot / |a|^2``). It is added to the outer loop's rate command before the
    slew-rate limit, so a turning command is followed without the steady lag
    ``|rate| / k_outer`` a proportional outer loop leaves (``k_outer = w_n / 2 zeta``:
    a 6 deg/s turn at ``w_n = 1.5``, ``zeta = 0.9`` lags by about 7 deg). Type-1
    tracking of a ramp by rate feed-forward: Wie, Space Vehicle Dynamics and Control,
    ch. 7.
    """
    return _torque(
        q_err,
        omega_body,
        inertia_body,
        bandwidth_rad_s,
        damping,
        max_rate_rad_s,
        max_torque,
        rate_ff_body,
        True,
    )


@njit(cache=True)
def _torque(
    q_err: np.ndarray,
    omega_body: np.ndarray,
    inertia_body: np.ndarray,
    bandwidth_rad_s: float,
    damping: float,
    max_rate_rad_s: float,
    max_torque: np.ndarray,
    rate_ff_body: np.ndarray,
    feedforward: bool,
) -> np.ndarray:
    tau = np.empty(3)
    tau[0], tau[1], tau[2] = steering_torque_xyz(
        (q_err[0], q_err[1], q_err[2], q_err[3]),
        (omega_body[0], omega_body[1], omega_body[2]),
        (inertia_body[0], inertia_body[1], inertia_body[2]),
        bandwidth_rad_s,
        damping,
        max_rate_rad_s,
        (max_torque[0], max_torque[1], max_torque[2]),
        (rate_ff_body[0], rate_ff_body[1], rate_ff_body[2]),
        feedforward,
    )
    return tau


@njit(cache=True, inline="always")
def _clip_torque(t: float, limit: float) -> float:
    return min(max(t, -limit), limit)


@njit(cache=True)
def steering_torque_xyz(
    q_err: tuple[float, float, float, float],
    omega_body: tuple[float, float, float],
    inertia_body: tuple[float, float, float],
    bandwidth_rad_s: float,
    damping: float,
    max_rate_rad_s: float,
    max_torque: tuple[float, float, float],
    rate_ff_body: tuple[float, float, float],
    feedforward: bool,
) -> tuple[float, float, float]:
    """:func:`steering_torque` (``feedforward`` False, ``rate_ff_body`` unused) or
    :func:`steering_torque_feedforward` (True) on tuples (no array allocated).

    Body frame: error quaternion (scalar first), rate (rad/s), principal inertia
    (kg m^2), torque limits (N m) and the fed-forward turn rate (rad/s); returns
    the body torque (N m).
    """
    q1 = q_err[1]
    q2 = q_err[2]
    q3 = q_err[3]
    w0, w1, w2 = omega_body
    i0, i1, i2 = inertia_body
    sgn = 1.0 if q_err[0] >= 0.0 else -1.0
    k_outer = bandwidth_rad_s / (2.0 * damping)
    k_inner = 2.0 * damping * bandwidth_rad_s
    c0 = k_outer * 2.0 * sgn * q1
    c1 = k_outer * 2.0 * sgn * q2
    c2 = k_outer * 2.0 * sgn * q3
    if feedforward:
        c0 += rate_ff_body[0]
        c1 += rate_ff_body[1]
        c2 += rate_ff_body[2]
    n = np.sqrt(c0**2 + c1**2 + c2**2)
    if n > max_rate_rad_s:
        c0 *= max_rate_rad_s / n
        c1 *= max_rate_rad_s / n
        c2 *= max_rate_rad_s / n
    h0 = i0 * w0
    h1 = i1 * w1
    h2 = i2 * w2
    g0 = w1 * h2 - w2 * h1
    g1 = w2 * h0 - w0 * h2
    g2 = w0 * h1 - w1 * h0
    return (
        _clip_torque(i0 * k_inner * (c0 - w0) + g0, max_torque[0]),
        _clip_torque(i1 * k_inner * (c1 - w1) + g1, max_torque[1]),
        _clip_torque(i2 * k_inner * (c2 - w2) + g2, max_torque[2]),
    )
