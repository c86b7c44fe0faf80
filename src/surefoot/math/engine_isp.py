"""Specific impulse of a throttled engine: one law for the truth engine and the
flight software's design model of it.

A throttled engine burns less efficiently: Apollo's descent engine gave about
311 s at full thrust and fell towards 285 s at 10 % (docs/missions.md). With
two figures known, the law here is linear in the throttle between them:
``isp_min_throttle_s`` at ``min_throttle``, ``isp_full_s`` at full thrust,
held flat outside that range. An engine given one Isp (the two equal) has
that Isp at every throttle, exactly.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def isp_at_thrust(
    thrust_n: float,
    max_thrust_n: float,
    min_throttle: float,
    isp_full_s: float,
    isp_min_throttle_s: float,
) -> float:
    """Isp (s) of the engine delivering ``thrust_n`` (N) of its ``max_thrust_n`` (N)."""
    if isp_min_throttle_s == isp_full_s or min_throttle >= 1.0 or max_thrust_n <= 0.0:
        return isp_full_s
    s = (thrust_n / max_thrust_n - min_throttle) / (1.0 - min_throttle)
    if s < 0.0:
        s = 0.0
    elif s > 1.0:
        s = 1.0
    return isp_min_throttle_s + (isp_full_s - isp_min_throttle_s) * s
