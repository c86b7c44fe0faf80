"""Innovation gates and the two ways of handling rejected measurements.

``naive`` (what flew on HAKUTO-R Mission 1): a range reading that differs
from the sensor's previous accepted reading by more than a threshold marks
the sensor failed and every later reading is ignored; otherwise only the
chi-square gate applies.

``robust`` (default): relief-aware range predictions (in
:mod:`surefoot.fsw.nav.measurement_models`), a consecutive-rejection counter
per sensor which, past its limit, re-tests the measurement against a widened
gate and, when the evidence is consistent (another sensor agrees, or the
sensor itself has implied the same correction all along the streak),
re-initialises the channel instead of ignoring the sensor; cross-checks
between range beams; a monitor for expected measurements that do not arrive.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import chdtri

REJECT = 0
ACCEPT = 1
ACCEPT_WIDE = 2
REINIT = 3


def chi2_thresholds(probability: float) -> tuple[float, float, float]:
    """Chi-square gate thresholds for 1, 2 and 3 degrees of freedom at ``probability``.

    The inverse survival function ``chdtri`` (what ``scipy.stats.chi2.ppf``
    evaluates), from ``scipy.special``: importing ``scipy.stats`` costs about a
    second at start-up.
    """
    return (
        float(chdtri(1, 1.0 - probability)),
        float(chdtri(2, 1.0 - probability)),
        float(chdtri(3, 1.0 - probability)),
    )


@njit(cache=True)
def naive_jump(last_accepted: float, reading: float, threshold: float) -> bool:
    """HAKUTO-R M1 logic: a jump larger than ``threshold`` from the last accepted reading.

    ``last_accepted < 0`` means no reading was accepted yet (no test).
    """
    return last_accepted >= 0.0 and abs(reading - last_accepted) > threshold


@njit(cache=True)
def median_in_place(buf: np.ndarray, m: int) -> float:
    """Median of ``buf[:m]`` (0.0 when ``m`` is 0), sorting ``buf[:m]`` in place
    (NaNs last): no array is made, so a filter cycle can call it."""
    if m == 0:
        return 0.0
    _sort_small(buf, m)
    if m % 2 == 1:
        return buf[m // 2]
    return 0.5 * (buf[m // 2 - 1] + buf[m // 2])


@njit(cache=True)
def _sort_small(a: np.ndarray, m: int) -> None:
    """Sort ``a[:m]`` in place by insertion, NaNs last: what ``np.sort`` does in
    Numba for fewer than 15 values (its quicksort goes straight to insertion
    sort, numba/misc/quicksort.py), without the partition stack it allocates.
    The range updates have at most ``layout.N_BEAMS_MAX`` values."""
    for i in range(1, m):
        v = a[i]
        j = i
        while j > 0 and (v < a[j - 1] or (np.isnan(a[j - 1]) and not np.isnan(v))):
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


@njit(cache=True)
def judge(
    d2: float,
    gate: float,
    wide_gate: float,
    robust: bool,
    rejections_before: float,
    limit: float,
    streak_consistent: bool,
) -> int:
    """Decide what to do with a measurement of normalised innovation squared ``d2``.

    Returns ``ACCEPT`` inside the gate; in robust mode, once this rejection
    would reach ``limit`` consecutive ones, ``ACCEPT_WIDE`` inside the widened
    gate, else ``REINIT`` when the streak is consistent; otherwise ``REJECT``.
    """
    if d2 < gate:
        return ACCEPT
    if robust and rejections_before + 1.0 >= limit:
        if d2 < wide_gate:
            return ACCEPT_WIDE
        if streak_consistent:
            return REINIT
    return REJECT


@njit(cache=True)
def streak_consistent(
    bk: np.ndarray, base: int, nu: np.ndarray, m: int, tol: np.ndarray
) -> bool:
    """True when innovation ``nu[:m]`` matches the one stored at ``bk[base:]``
    (the start of the rejection streak) within ``tol[:m]`` per component."""
    for k in range(m):
        if abs(nu[k] - bk[base + k]) > tol[k]:
            return False
    return True
