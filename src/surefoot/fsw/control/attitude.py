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
    c = (
        axis_body[0] * target_body[0]
        + axis_body[1] * target_body[1]
        + axis_body[2] * target_body[2]
    )
    q = np.empty(4)
    q[0] = 1.0 + c
    q[1] = axis_body[1] * target_body[2] - axis_body[2] * target_body[1]
    q[2] = axis_body[2] * target_body[0] - axis_body[0] * target_body[2]
    q[3] = axis_body[0] * target_body[1] - axis_body[1] * target_body[0]
    n = np.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2)
    if n < 1e-9:  # opposite vectors: rotate 180 deg about body x
        q[0] = 0.0
        q[1] = 1.0
        q[2] = 0.0
        q[3] = 0.0
        return q
    return q / n


@njit(cache=True)
def turn_rate(a: np.ndarray, a_dot: np.ndarray) -> np.ndarray:
    """Angular velocity (rad/s) at which the direction of ``a`` turns when ``a``
    changes at ``a_dot``: ``a x a_dot / |a|^2`` (the part of ``d(a/|a|)/dt`` across
    ``a``, as a rotation vector). Same right-handed frame as the inputs; zero for
    ``a`` = 0."""
    out = np.zeros(3)
    a2 = a[0] * a[0] + a[1] * a[1] + a[2] * a[2]
    if a2 <= 1e-18:
        return out
    out[0] = (a[1] * a_dot[2] - a[2] * a_dot[1]) / a2
    out[1] = (a[2] * a_dot[0] - a[0] * a_dot[2]) / a2
    out[2] = (a[0] * a_dot[1] - a[1] * a_dot[0]) / a2
    return out


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
    sgn = 1.0 if q_err[0] >= 0.0 else -1.0
    k_outer = bandwidth_rad_s / (2.0 * damping)
    k_inner = 2.0 * damping * bandwidth_rad_s
    w_cmd = np.empty(3)
    for k in range(3):
        w_cmd[k] = k_outer * 2.0 * sgn * q_err[k + 1]
    if feedforward:
        for k in range(3):
            w_cmd[k] += rate_ff_body[k]
    n = np.sqrt(w_cmd[0] ** 2 + w_cmd[1] ** 2 + w_cmd[2] ** 2)
    if n > max_rate_rad_s:
        for k in range(3):
            w_cmd[k] *= max_rate_rad_s / n
    h0 = inertia_body[0] * omega_body[0]
    h1 = inertia_body[1] * omega_body[1]
    h2 = inertia_body[2] * omega_body[2]
    gyro = np.empty(3)
    gyro[0] = omega_body[1] * h2 - omega_body[2] * h1
    gyro[1] = omega_body[2] * h0 - omega_body[0] * h2
    gyro[2] = omega_body[0] * h1 - omega_body[1] * h0
    tau = np.empty(3)
    for k in range(3):
        t = inertia_body[k] * k_inner * (w_cmd[k] - omega_body[k]) + gyro[k]
        tau[k] = min(max(t, -max_torque[k]), max_torque[k])
    return tau
