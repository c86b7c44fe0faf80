"""Horizontal consequences of a height error found after a blind arc, and their withdrawal."""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.ekf import (
    direction_variance,
)
from surefoot.fsw.nav.layout import (
    B_BLIND_DH,
    B_FIX_VAR,
    E_R,
    EV_BLIND_ARC,
    EV_BLIND_ARC_WITHDRAWN,
    X_C,
    X_R,
    X_S,
)


@njit(cache=True)
def blind_arc_consequences(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, dh: float, up: np.ndarray, s_height: float
) -> int:
    """Remove the horizontal consequences of a height error found after a blind arc.

    A height error that no range saw over the arc since the last height fix
    (Resilience: from the orbit-determination estimate on) has fed the
    horizontal position and velocity through the gravity gradient over the
    curved, rotating trajectory; a range update corrects only the height
    channel (consider update), so those consequences would stay. The
    sensitivity ``x[X_S:X_S+6]`` (the error that a unit height error at the
    fix has grown into, ``s_up`` of it along the vertical now) scales them.

    The height correction ``dh`` (m, along ``up``) the ranges just made is
    attributed to a height error at the fix in the proportion a scalar Kalman
    estimate gives, with that error's variance taken from the evidence when it
    exceeds the belief: ``g = a / (a + o)``, ``a = max(var_fix s_up^2, dh^2 - o)``,
    ``o`` the rest of the innovation variance ``s_height`` (covariance, range
    noise, map and relief terms). Each part is bounded by 3 sigma of the
    filter's own horizontal uncertainty. The correction applied is kept in
    ``x[X_C:X_C+6]`` (propagated like the sensitivity) with the height part it
    was drawn from in ``B_BLIND_DH``, so that a later re-anchoring that
    contradicts that height can withdraw it (:func:`withdraw_blind_arc`).
    Returns ``EV_BLIND_ARC`` when a correction was applied.
    """
    s_up = 0.0
    for k in range(3):
        s_up += x[X_S + k] * up[k]
    if s_up < 0.5 or dh == 0.0:
        return 0
    prior = bk[B_FIX_VAR] * s_up * s_up
    other = max(s_height - prior, 0.0)
    a = max(prior, dh * dh - other)
    g = a / (a + other) if a + other > 0.0 else 0.0
    eps = g * dh / s_up
    for part in range(2):
        base = X_S + 3 * part
        ebase = E_R + 3 * part  # E_V = E_R + 3
        along = 0.0
        for k in range(3):
            along += x[base + k] * up[k]
        corr = np.empty(3)
        for k in range(3):
            corr[k] = eps * (x[base + k] - along * up[k])
        cn = np.sqrt(np.sum(corr * corr))
        if cn == 0.0:
            continue
        var_h = max(
            cov[ebase, ebase] + cov[ebase + 1, ebase + 1] + cov[ebase + 2, ebase + 2]
            - direction_variance(cov, ebase, up),
            0.0,
        )
        f = min(1.0, 3.0 * np.sqrt(0.5 * var_h) / cn)
        for k in range(3):
            x[X_R + 3 * part + k] += f * corr[k]
            x[X_C + 3 * part + k] += f * corr[k]
    bk[B_BLIND_DH] += g * dh
    return EV_BLIND_ARC


@njit(cache=True)
def withdraw_blind_arc(x: np.ndarray, bk: np.ndarray, dh: float) -> int:
    """Take back the blind-arc correction when a re-anchoring contradicts it.

    A height re-anchored after a rejection streak (widened gate or
    re-initialisation) by ``dh`` opposite to the height correction a blind-arc
    correction was drawn from shows that the ranges' reference, not the
    initial height, made that correction (a flat or wrong map over relief,
    HAKUTO-R M1): the fraction ``min(1, -dh / B_BLIND_DH)`` of the correction,
    as propagated to now, is removed. Returns ``EV_BLIND_ARC_WITHDRAWN``.
    """
    d0 = bk[B_BLIND_DH]
    if d0 == 0.0 or dh * d0 >= 0.0:
        return 0
    frac = min(1.0, -dh / d0)
    for k in range(6):
        x[X_R + k] -= frac * x[X_C + k]  # X_V = X_R + 3
        x[X_C + k] *= 1.0 - frac
    bk[B_BLIND_DH] = d0 * (1.0 - frac)
    return EV_BLIND_ARC_WITHDRAWN
