"""Steering that follows a convex plan's turning thrust direction (issue 16).

References:
* Kinematics of a unit vector: ``d(a/|a|)/dt = w x (a/|a|)`` with ``w = a x a_dot / |a|^2``
  (the rate across ``a``); checked against a finite difference.
* A proportional (type-1) loop following a ramp keeps a steady error of
  ``rate / gain`` (Ogata, Modern Control Engineering, sec. 5-8, static velocity
  error constant); feeding the ramp's rate forward removes it. The steering's outer
  gain is ``w_n / (2 zeta)`` (Wie, Space Vehicle Dynamics and Control, ch. 7).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from surefoot.fsw.control.attitude import (
    shortest_arc_error,
    steering_torque,
    steering_torque_feedforward,
    turn_rate,
)
from surefoot.fsw.guidance.convex.table import (
    CV_FF_ON,
    CV_RATE,
    CV_TABLE,
    plan_reference,
    plan_thrust_slope,
    write_plan,
)
from surefoot.fsw.layout import N_FS_CONVEX

finite = st.floats(-10.0, 10.0, allow_nan=False)
vec3 = st.tuples(finite, finite, finite).map(np.array)


@settings(max_examples=60, deadline=None)
@given(a=vec3, a_dot=vec3)
@example(a=np.array([0.0, 1e-5, 0.0]), a_dot=np.array([0.0, 0.0, 1.0]))  # found in CI
def test_turn_rate_is_the_rotation_of_the_direction(a: np.ndarray, a_dot: np.ndarray) -> None:
    w = turn_rate(a, a_dot)
    assert np.all(np.isfinite(w))
    if np.linalg.norm(a) < 0.1:
        # a short vector may turn very fast (|w| = |a_dot| / |a| across it: 1e5 rad/s for
        # |a| = 1e-5), so only the direction of w is checked here, not its size
        assert abs(w @ a) <= 1e-9 * (1.0 + np.linalg.norm(w) * np.linalg.norm(a))
        return
    h = 1e-6
    e_dot = (
        (a + h * a_dot) / np.linalg.norm(a + h * a_dot)
        - (a - h * a_dot) / np.linalg.norm(a - h * a_dot)
    ) / (2.0 * h)
    e = a / np.linalg.norm(a)
    np.testing.assert_allclose(np.cross(w, e), e_dot, atol=1e-5 * (1.0 + np.abs(e_dot).max()))
    assert abs(w @ a) <= 1e-9 * (1.0 + np.linalg.norm(w) * np.linalg.norm(a))


def test_turn_rate_of_a_vanishing_vector_is_zero() -> None:
    assert np.all(turn_rate(np.zeros(3), np.array([1.0, 2.0, 3.0])) == 0.0)


def _ramp_lag_deg(
    feedforward: bool,
    rate_deg_s: float,
    wn: float = 1.5,
    zeta: float = 0.9,
    t_end: float = 20.0,
    dt: float = 0.005,
) -> float:
    """Steady lag (deg) of the body +z axis behind a direction turning at a constant rate
    in the x-z plane (rotation about body y), rigid body, no torque or rate limit hit."""
    inertia = np.array([300.0, 300.0, 200.0])
    big = np.full(3, 1e6)
    rate = math.radians(rate_deg_s)
    theta, w_y = 0.0, 0.0  # body +z at angle theta from ENU up, towards +x
    for k in range(int(t_end / dt)):
        target = rate * k * dt
        phi = target - theta
        q_err = shortest_arc_error(
            np.array([0.0, 0.0, 1.0]), np.array([math.sin(phi), 0.0, math.cos(phi)])
        )
        omega = np.array([0.0, w_y, 0.0])
        if feedforward:
            tau = steering_torque_feedforward(
                q_err, omega, inertia, wn, zeta, 1.0, big, np.array([0.0, rate, 0.0])
            )
        else:
            tau = steering_torque(q_err, omega, inertia, wn, zeta, 1.0, big)
        w_y += tau[1] / inertia[1] * dt
        theta += w_y * dt
    return math.degrees(rate * t_end - theta)


def test_proportional_steering_lags_a_ramp_by_rate_over_gain() -> None:
    """Without feed-forward: steady lag = rate / k_outer (type-1 loop, velocity error
    constant k_outer = w_n / 2 zeta); 6 deg/s at w_n = 1.5, zeta = 0.9 lags 7.2 deg."""
    k_outer = 1.5 / (2.0 * 0.9)
    expected = 6.0 / k_outer
    assert _ramp_lag_deg(False, 6.0) == pytest.approx(expected, rel=0.03)


def test_rate_feedforward_removes_the_ramp_lag() -> None:
    lag_p = _ramp_lag_deg(False, 6.0)
    lag_ff = _ramp_lag_deg(True, 6.0)
    assert abs(lag_ff) < 0.02 * lag_p


def test_feedforward_of_zero_rate_is_the_plain_steering() -> None:
    q_err = shortest_arc_error(np.array([0.0, 0.0, 1.0]), np.array([0.3, -0.2, 0.93]) / 1.0)
    args = (
        q_err,
        np.array([0.01, -0.02, 0.003]),
        np.array([300.0, 310.0, 200.0]),
        1.5,
        0.9,
        math.radians(6.0),
        np.array([40.0, 40.0, 20.0]),
    )
    np.testing.assert_array_equal(
        steering_torque_feedforward(*args, np.zeros(3)), steering_torque(*args)
    )


def test_plan_slope_is_the_derivative_of_the_plan_reference() -> None:
    """The table's thrust acceleration and its slope agree with a finite difference of
    the first-order-hold sampling (:func:`plan_reference`)."""
    rng = np.random.default_rng(3)
    n = 12
    cv = np.zeros(N_FS_CONVEX)
    write_plan(
        cv,
        100.0,
        44.0,
        1.62,
        rng.normal(size=(n, 3)) * 100.0,
        rng.normal(size=(n, 3)) * 10.0,
        rng.normal(size=(n, 3)),
    )
    assert CV_TABLE > CV_RATE + 2 and CV_RATE > CV_FF_ON  # no overlap with the table
    for t in (100.0, 101.3, 117.9, 143.9):
        a, da = plan_thrust_slope(cv, t)
        _, _, a_ref = plan_reference(cv, t)
        np.testing.assert_allclose(a, a_ref, atol=1e-12)
        h = 1e-5
        _, _, a_hi = plan_reference(cv, t + h)
        np.testing.assert_allclose(da, (a_hi - a_ref) / h, rtol=1e-6, atol=1e-8)
    for t in (99.0, 144.0, 200.0):  # outside the plan: nothing to feed forward
        a, da = plan_thrust_slope(cv, t)
        assert not a.any() and not da.any()
