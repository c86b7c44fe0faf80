"""Quaternion helpers, scalar first ``[w, x, y, z]``, Hamilton product.

``q_b_to_f`` rotates a vector from frame b to frame f:
``v_f = q ⊗ [0, v_b] ⊗ q*``. The Numba-compiled functions work on a single
quaternion (shape ``(4,)``) so they can be called inside the per-lander loops
of the batch kernels; :func:`quat_mul_rows` and :func:`quat_conj_rows` are
their NumPy forms for whole time series (analysis, exports, the view).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def quat_mul(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product ``p ⊗ q``."""
    out = np.empty(4)
    out[0] = p[0] * q[0] - p[1] * q[1] - p[2] * q[2] - p[3] * q[3]
    out[1] = p[0] * q[1] + p[1] * q[0] + p[2] * q[3] - p[3] * q[2]
    out[2] = p[0] * q[2] - p[1] * q[3] + p[2] * q[0] + p[3] * q[1]
    out[3] = p[0] * q[3] + p[1] * q[2] - p[2] * q[1] + p[3] * q[0]
    return out


@njit(cache=True, inline="always")
def quat_mul_xyz(
    p0: float, p1: float, p2: float, p3: float, q0: float, q1: float, q2: float, q3: float
) -> tuple[float, float, float, float]:
    """:func:`quat_mul` on scalars (no array allocated): ``p ⊗ q``."""
    return (
        p0 * q0 - p1 * q1 - p2 * q2 - p3 * q3,
        p0 * q1 + p1 * q0 + p2 * q3 - p3 * q2,
        p0 * q2 - p1 * q3 + p2 * q0 + p3 * q1,
        p0 * q3 + p1 * q2 - p2 * q1 + p3 * q0,
    )


@njit(cache=True, inline="always")
def quat_conj(q: np.ndarray) -> np.ndarray:
    """Conjugate (the inverse of a unit quaternion)."""
    return np.array([q[0], -q[1], -q[2], -q[3]])


@njit(cache=True, inline="always")
def quat_normalize(q: np.ndarray) -> np.ndarray:
    n = np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    return q / n


@njit(cache=True, inline="always")
def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector ``v`` (frame b) by unit quaternion ``q_b_to_f`` into frame f."""
    out = np.empty(3)
    out[0], out[1], out[2] = quat_rotate_xyz(q[0], q[1], q[2], q[3], v[0], v[1], v[2])
    return out


@njit(cache=True, inline="always")
def quat_rotate_xyz(
    w: float, x: float, y: float, z: float, v0: float, v1: float, v2: float
) -> tuple[float, float, float]:
    """:func:`quat_rotate` on scalars (no array allocated).

    ``q = [w, x, y, z]``, ``v = [v0, v1, v2]``.
    """
    # t = 2 * (q_vec x v)
    tx = 2.0 * (y * v2 - z * v1)
    ty = 2.0 * (z * v0 - x * v2)
    tz = 2.0 * (x * v1 - y * v0)
    return (
        v0 + w * tx + (y * tz - z * ty),
        v1 + w * ty + (z * tx - x * tz),
        v2 + w * tz + (x * ty - y * tx),
    )


@njit(cache=True, inline="always")
def quat_rotate_inv(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector ``v`` (frame f) into frame b, given ``q_b_to_f``."""
    return quat_rotate(quat_conj(q), v)


@njit(cache=True)
def quat_to_dcm(q: np.ndarray) -> np.ndarray:
    """Direction cosine matrix ``C_f_b`` with ``v_f = C_f_b @ v_b``."""
    w, x, y, z = q[0], q[1], q[2], q[3]
    c = np.empty((3, 3))
    c[0, 0] = 1.0 - 2.0 * (y * y + z * z)
    c[0, 1] = 2.0 * (x * y - w * z)
    c[0, 2] = 2.0 * (x * z + w * y)
    c[1, 0] = 2.0 * (x * y + w * z)
    c[1, 1] = 1.0 - 2.0 * (x * x + z * z)
    c[1, 2] = 2.0 * (y * z - w * x)
    c[2, 0] = 2.0 * (x * z - w * y)
    c[2, 1] = 2.0 * (y * z + w * x)
    c[2, 2] = 1.0 - 2.0 * (x * x + y * y)
    return c


@njit(cache=True)
def dcm_to_quat(c: np.ndarray) -> np.ndarray:
    """Quaternion ``q_b_to_f`` from DCM ``C_f_b`` (Shepperd's method, w >= 0)."""
    tr = c[0, 0] + c[1, 1] + c[2, 2]
    q = np.empty(4)
    if tr > 0.0:
        s = 2.0 * np.sqrt(tr + 1.0)
        q[0] = 0.25 * s
        q[1] = (c[2, 1] - c[1, 2]) / s
        q[2] = (c[0, 2] - c[2, 0]) / s
        q[3] = (c[1, 0] - c[0, 1]) / s
    elif c[0, 0] > c[1, 1] and c[0, 0] > c[2, 2]:
        s = 2.0 * np.sqrt(1.0 + c[0, 0] - c[1, 1] - c[2, 2])
        q[0] = (c[2, 1] - c[1, 2]) / s
        q[1] = 0.25 * s
        q[2] = (c[0, 1] + c[1, 0]) / s
        q[3] = (c[0, 2] + c[2, 0]) / s
    elif c[1, 1] > c[2, 2]:
        s = 2.0 * np.sqrt(1.0 + c[1, 1] - c[0, 0] - c[2, 2])
        q[0] = (c[0, 2] - c[2, 0]) / s
        q[1] = (c[0, 1] + c[1, 0]) / s
        q[2] = 0.25 * s
        q[3] = (c[1, 2] + c[2, 1]) / s
    else:
        s = 2.0 * np.sqrt(1.0 + c[2, 2] - c[0, 0] - c[1, 1])
        q[0] = (c[1, 0] - c[0, 1]) / s
        q[1] = (c[0, 2] + c[2, 0]) / s
        q[2] = (c[1, 2] + c[2, 1]) / s
        q[3] = 0.25 * s
    if q[0] < 0.0:
        q = -q
    return q / np.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2)


@njit(cache=True)
def quat_from_axis_angle(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    n = np.sqrt(axis[0] ** 2 + axis[1] ** 2 + axis[2] ** 2)
    s = np.sin(0.5 * angle_rad) / n
    return np.array([np.cos(0.5 * angle_rad), axis[0] * s, axis[1] * s, axis[2] * s])


@njit(cache=True, inline="always")
def quat_derivative(q: np.ndarray, omega_b: np.ndarray) -> np.ndarray:
    """Time derivative of ``q_b_to_f`` for body rate ``omega_b`` (rad/s, body frame)."""
    out = np.empty(4)
    out[0], out[1], out[2], out[3] = quat_derivative_xyz(
        q[0], q[1], q[2], q[3], omega_b[0], omega_b[1], omega_b[2]
    )
    return out


@njit(cache=True, inline="always")
def quat_derivative_xyz(
    w: float, x: float, y: float, z: float, ox: float, oy: float, oz: float
) -> tuple[float, float, float, float]:
    """:func:`quat_derivative` on scalars (no array allocated)."""
    return (
        0.5 * (-x * ox - y * oy - z * oz),
        0.5 * (w * ox + y * oz - z * oy),
        0.5 * (w * oy + z * ox - x * oz),
        0.5 * (w * oz + x * oy - y * ox),
    )


def quat_mul_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product ``p ⊗ q`` row by row: ``p`` (4,) or (n, 4), ``q`` (n, 4)."""
    p = np.broadcast_to(p, np.shape(q))
    w1, x1, y1, z1 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    w2, x2, y2, z2 = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        (
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ),
        axis=1,
    )


def quat_conj_rows(q: np.ndarray) -> np.ndarray:
    """Conjugates of the rows of ``q`` (n, 4)."""
    return q * np.array([1.0, -1.0, -1.0, -1.0])


@njit(cache=True, inline="always")
def quat_to_dcm_xyz(
    w: float, x: float, y: float, z: float
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """:func:`quat_to_dcm` of ``q = [w, x, y, z]`` as a row-major 9-tuple
    ``(c00, c01, c02, c10, ..., c22)`` (no array allocated), the same arithmetic."""
    return (
        1.0 - 2.0 * (y * y + z * z),
        2.0 * (x * y - w * z),
        2.0 * (x * z + w * y),
        2.0 * (x * y + w * z),
        1.0 - 2.0 * (x * x + z * z),
        2.0 * (y * z - w * x),
        2.0 * (x * z - w * y),
        2.0 * (y * z + w * x),
        1.0 - 2.0 * (x * x + y * y),
    )
