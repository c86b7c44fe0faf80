"""Apollo-style polynomial guidance (Klumpp 1974, "Apollo lunar descent guidance").

Each cycle fits a quartic in time through the current position and velocity
and a target position, velocity and acceleration at time-to-go ``tgo`` ahead;
the commanded acceleration is the fit's value now. With ``tgo > 0``:

    a_cmd = a_T - 6 (v_T + v) / tgo + 12 (r_T - r) / tgo^2

(Klumpp's form with negative time-to-go flips the signs of the last two
terms). Time-to-go can be set from the downrange jerk target, as Apollo did:
the positive root of ``j_T tgo^3 - 6 a_T tgo^2 + (6 v + 18 v_T) tgo - 24 (r_T - r) = 0``
along the downrange axis.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def quartic_acceleration(
    r: np.ndarray, v: np.ndarray, r_t: np.ndarray, v_t: np.ndarray, a_t: np.ndarray, tgo: float
) -> np.ndarray:
    """Commanded acceleration (m/s^2) of the quartic through (r, v) now and
    (r_t, v_t, a_t) at ``tgo`` s ahead; any common Cartesian frame."""
    out = np.empty(3)
    out[0], out[1], out[2] = quartic_acceleration_xyz(
        (r[0], r[1], r[2]),
        (v[0], v[1], v[2]),
        (r_t[0], r_t[1], r_t[2]),
        (v_t[0], v_t[1], v_t[2]),
        (a_t[0], a_t[1], a_t[2]),
        tgo,
    )
    return out


@njit(cache=True, inline="always")
def _quartic_axis(r: float, v: float, r_t: float, v_t: float, a_t: float, inv: float) -> float:
    return a_t - 6.0 * (v_t + v) * inv + 12.0 * (r_t - r) * inv * inv


@njit(cache=True)
def quartic_acceleration_xyz(
    r: tuple[float, float, float],
    v: tuple[float, float, float],
    r_t: tuple[float, float, float],
    v_t: tuple[float, float, float],
    a_t: tuple[float, float, float],
    tgo: float,
) -> tuple[float, float, float]:
    """:func:`quartic_acceleration` on 3-tuples (no array allocated)."""
    inv = 1.0 / tgo
    return (
        _quartic_axis(r[0], v[0], r_t[0], v_t[0], a_t[0], inv),
        _quartic_axis(r[1], v[1], r_t[1], v_t[1], a_t[1], inv),
        _quartic_axis(r[2], v[2], r_t[2], v_t[2], a_t[2], inv),
    )


@njit(cache=True)
def tgo_from_jerk(
    r_down: float, v_down: float, r_t: float, v_t: float, a_t: float, j_t: float, tgo_guess: float
) -> float:
    """Time-to-go (s) meeting the downrange jerk target (Klumpp's cubic).

    Newton iterations from ``tgo_guess``; returns -1.0 when no positive root is found.
    """
    c3 = j_t
    c2 = -6.0 * a_t
    c1 = 6.0 * v_down + 18.0 * v_t
    c0 = -24.0 * (r_t - r_down)
    t = tgo_guess
    if t <= 0.0:
        # positive root of the quadratic part as a start
        if abs(c2) > 1e-12:
            disc = c1 * c1 - 4.0 * c2 * c0
            if disc < 0.0:
                return -1.0
            t = (-c1 + np.sqrt(disc)) / (2.0 * c2)
            if t <= 0.0:
                t = (-c1 - np.sqrt(disc)) / (2.0 * c2)
        elif abs(c1) > 1e-12:
            t = -c0 / c1
        else:
            return -1.0
    for _ in range(50):
        f = ((c3 * t + c2) * t + c1) * t + c0
        df = (3.0 * c3 * t + 2.0 * c2) * t + c1
        if abs(df) < 1e-12:
            break
        step = f / df
        t -= step
        if abs(step) < 1e-9 * max(1.0, abs(t)):
            break
    if not np.isfinite(t) or t <= 0.0:
        return -1.0
    return t
