"""The in-flight convex trajectory table and its exact first-order-hold sampling.

The flight software keeps the latest convex solution in a block of its state
row (``surefoot.fsw.executive.FS_CONVEX``): bookkeeping first, then one record
per node of position, velocity and thrust acceleration in guidance
coordinates (downrange, crossrange, up relative to the target, m, m/s,
m/s^2). Nodes are uniform in time from ``CV_T0`` over ``CV_TF``. Sampling
between nodes integrates the linear thrust acceleration exactly under the
constant gravity ``(0, 0, -CV_G)`` the plan was solved with, as
:meth:`surefoot.fsw.guidance.convex.problem.Solution.sample` does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# modes
CVM_IDLE = 0  # not started
CVM_WAITING = 1  # first solve requested, polynomial guidance meanwhile
CVM_ACTIVE = 2  # tracking a convex trajectory
CVM_FALLBACK = 3  # a solve failed: polynomial guidance for the rest of the descent

# bookkeeping (offsets in the block)
CV_MODE = 0
CV_T0 = 1  # flight-software time of the state the plan starts from, s
CV_TF = 2  # time of flight of the plan, s
CV_N = 3  # node count
CV_G = 4  # gravity magnitude used by the plan, m/s^2
CV_NEXT_T = 5  # time of the next periodic re-solve, s
CV_N_OK = 6  # successful requests
CV_N_FAIL = 7  # failed requests
CV_N_CONIC = 8  # conic solves over the flight
CV_PROP_PLAN = 9  # propellant of the latest plan, kg
CV_RETARGET = 10  # 1.0 when the target moved and the plan must be solved again
CV_PENDING = 11  # 1.0 while a request is outstanding
CV_TARGET = 12  # 3: target offset (FS_TARGET) the plan was solved for, site ENU, m
CV_MISS = 15  # horizontal miss of the latest plan from the low gate, m
CV_WALL = 16  # wall time of the latest request, s (diagnostic only)
CV_FF_ON = 17  # 1.0: feed the plan's thrust-direction rate forward into the steering
CV_RATE = 18  # 3: that rate this guidance cycle, ENU, rad/s (zero when no plan flies)
CV_TABLE = 21
CV_NODE = 9  # r 3, v 3, a 3


def table_capacity(n_block: int) -> int:
    """Nodes that fit a block of ``n_block`` floats."""
    return (n_block - CV_TABLE) // CV_NODE


def write_plan(
    cv: np.ndarray,
    t0_s: float,
    tf_s: float,
    g_m_s2: float,
    r: np.ndarray,
    v: np.ndarray,
    a: np.ndarray,
) -> None:
    """Store a plan (node arrays of shape (n, 3), guidance coordinates) in block ``cv``."""
    n = r.shape[0]
    if n > table_capacity(cv.shape[0]):
        raise ValueError(f"nodes: {n} do not fit the table of {table_capacity(cv.shape[0])}")
    cv[CV_T0] = t0_s
    cv[CV_TF] = tf_s
    cv[CV_N] = n
    cv[CV_G] = g_m_s2
    rec = np.hstack([r, v, a])
    cv[CV_TABLE : CV_TABLE + n * CV_NODE] = rec.ravel()


@njit(cache=True)
def plan_reference(cv: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference position, velocity and thrust acceleration at flight-software time ``t``.

    Clipped to the plan's span; exact for its first-order-hold thrust.
    """
    r_t, v_t, a_t = plan_reference_xyz(cv, 0, t)
    r = np.empty(3)
    v = np.empty(3)
    a = np.empty(3)
    r[0], r[1], r[2] = r_t
    v[0], v[1], v[2] = v_t
    a[0], a[1], a[2] = a_t
    return r, v, a


@njit(cache=True, inline="always")
def _reference_axis(
    cv: np.ndarray, b0: int, b1: int, j: int, g: float, h: float, s: float
) -> tuple[float, float, float]:
    u0 = cv[b0 + 6 + j]
    du = (cv[b1 + 6 + j] - u0) / h
    gj = -g if j == 2 else 0.0
    a = u0 + du * s
    v = cv[b0 + 3 + j] + (u0 + gj) * s + 0.5 * du * s * s
    r = cv[b0 + j] + cv[b0 + 3 + j] * s + 0.5 * (u0 + gj) * s * s + du * s * s * s / 6.0
    return r, v, a


@njit(cache=True)
def plan_reference_xyz(cv: np.ndarray, o: int, t: float):  # noqa: ANN201
    """:func:`plan_reference` of the block starting at ``cv[o]`` (the flight-software
    state row and ``FS_CONVEX``, or the block itself and 0), as 3-tuples (no array
    allocated or viewed): ``(r, v, a)``."""
    n = int(cv[o + CV_N])
    tf = cv[o + CV_TF]
    tau = min(max(t - cv[o + CV_T0], 0.0), tf)
    h = tf / (n - 1)
    k = min(int(tau / h), n - 2)
    s = tau - k * h
    b0 = o + CV_TABLE + CV_NODE * k
    b1 = b0 + CV_NODE
    g = cv[o + CV_G]
    r0, v0, a0 = _reference_axis(cv, b0, b1, 0, g, h, s)
    r1, v1, a1 = _reference_axis(cv, b0, b1, 1, g, h, s)
    r2, v2, a2 = _reference_axis(cv, b0, b1, 2, g, h, s)
    return (r0, r1, r2), (v0, v1, v2), (a0, a1, a2)


@njit(cache=True)
def plan_thrust_slope(cv: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The plan's thrust acceleration (m/s^2) and its time derivative (m/s^3) at
    flight-software time ``t``, guidance coordinates; linear between nodes, so the
    derivative is the slope of the current interval. Both zero outside the plan's span."""
    a_t, da_t = plan_thrust_slope_xyz(cv, 0, t)
    a = np.empty(3)
    da = np.empty(3)
    a[0], a[1], a[2] = a_t
    da[0], da[1], da[2] = da_t
    return a, da


@njit(cache=True)
def plan_thrust_slope_xyz(cv: np.ndarray, o: int, t: float):  # noqa: ANN201
    """:func:`plan_thrust_slope` of the block starting at ``cv[o]``
    (:func:`plan_reference_xyz`), as 3-tuples (no array allocated): ``(a, da)``."""
    n = int(cv[o + CV_N])
    tf = cv[o + CV_TF]
    tau = t - cv[o + CV_T0]
    if n < 2 or tf <= 0.0 or tau < 0.0 or tau >= tf:
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
    h = tf / (n - 1)
    k = min(int(tau / h), n - 2)
    s = tau - k * h
    b0 = o + CV_TABLE + CV_NODE * k
    b1 = b0 + CV_NODE
    u0 = cv[b0 + 6]
    u1 = cv[b0 + 7]
    u2 = cv[b0 + 8]
    da0 = (cv[b1 + 6] - u0) / h
    da1 = (cv[b1 + 7] - u1) / h
    da2 = (cv[b1 + 8] - u2) / h
    return (u0 + da0 * s, u1 + da1 * s, u2 + da2 * s), (da0, da1, da2)
