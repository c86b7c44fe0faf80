"""Measurement predictions and their sensitivities to the 15-element error state.

Each model takes the nominal state row and returns the predicted measurement
and ``h`` (15,), the derivative of the measurement with respect to the error
state (true minus estimate; attitude error a small rotation in MCI). Terrain
comes from the onboard map only. ``theta`` is the Moon's rotation angle
``omega * t`` (rad): ``r_mcmf = Rz(-theta) r_mci``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.nav.layout import E_R, E_TH, E_V, N_ERR, X_Q, X_R, X_V, X_W
from surefoot.fsw.nav.onboard_map import beam_range, surface_geometry
from surefoot.math.frames import mcmf_to_map, rot_mci_to_mcmf, rot_mcmf_to_mci
from surefoot.math.quaternion import quat_conj, quat_mul, quat_rotate


@njit(cache=True)
def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(3)
    out[0] = a[1] * b[2] - a[2] * b[1]
    out[1] = a[2] * b[0] - a[0] * b[2]
    out[2] = a[0] * b[1] - a[1] * b[0]
    return out


@njit(cache=True)
def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@njit(cache=True)
def star_innovation(x: np.ndarray, q_meas: np.ndarray) -> np.ndarray:
    """Attitude innovation (rad, MCI rotation vector) of a star-tracker ``q_body_to_mci``.

    ``2 vec(q_meas * q_est^*)`` with the sign of the shorter rotation; the
    sensitivity is the identity on the attitude error.
    """
    dq = quat_mul(q_meas, quat_conj(x[X_Q : X_Q + 4]))
    sgn = 2.0 if dq[0] >= 0.0 else -2.0
    out = np.empty(3)
    for k in range(3):
        out[k] = sgn * dq[1 + k]
    return out


@njit(cache=True)
def trn_model(
    x: np.ndarray, theta: float, c_enu_mcmf: np.ndarray, radius_ref_m: float
) -> tuple[float, float, np.ndarray]:
    """Predicted TRN fix and its sensitivity.

    Returns ``(x_east_m, y_north_m, h)``: the lander's site-map coordinates
    (azimuthal equidistant about the site) and ``h`` (2, 15), their
    derivatives with respect to the MCI position error (finite differences
    of the projection over 1 m).
    """
    r_mcmf = rot_mci_to_mcmf(x[X_R : X_R + 3], theta)
    xm, ym, _ = mcmf_to_map(r_mcmf, c_enu_mcmf, radius_ref_m)
    h = np.zeros((2, N_ERR))
    jac = np.empty((2, 3))
    for k in range(3):
        rp = r_mcmf.copy()
        rp[k] += 1.0
        xp, yp, _ = mcmf_to_map(rp, c_enu_mcmf, radius_ref_m)
        jac[0, k] = xp - xm
        jac[1, k] = yp - ym
    for j in range(2):
        row = rot_mcmf_to_mci(jac[j], theta)
        for k in range(3):
            h[j, E_R + k] = row[k]
    return xm, ym, h


@njit(cache=True)
def doppler_velocity_model(
    x: np.ndarray,
    beam_body: np.ndarray,
    lever_body: np.ndarray,
    omega_moon: float,
    h: np.ndarray,
) -> float:
    """Predicted line-of-sight velocity (m/s) of one Doppler beam; fills ``h`` (15,).

    Convention: the lander's velocity relative to the surface projected on the
    beam's unit direction (pointing away from the lander), so a lander closing
    on the terrain along the beam reads positive (the range rate is its
    negative). The sensor's own velocity includes ``omega_body x lever``.
    """
    q = x[X_Q : X_Q + 4]
    d = quat_rotate(q, beam_body)
    r = x[X_R : X_R + 3]
    w_b = x[X_W : X_W + 3]
    lever_v = quat_rotate(q, _cross(w_b, lever_body))
    vrel = np.empty(3)
    vrel[0] = x[X_V] + omega_moon * r[1]
    vrel[1] = x[X_V + 1] - omega_moon * r[0]
    vrel[2] = x[X_V + 2]
    for i in range(N_ERR):
        h[i] = 0.0
    # d/dr of -d.(Omega x r) = Omega x d, with Omega = (0, 0, omega)
    h[E_R] = -omega_moon * d[1]
    h[E_R + 1] = omega_moon * d[0]
    # the lever-arm velocity turns with the beam, so only v_rel sees the rotation
    dxw = _cross(d, vrel)
    for k in range(3):
        h[E_V + k] = d[k]
        h[E_TH + k] = dxw[k]
    return _dot(d, vrel) + _dot(d, lever_v)


@njit(cache=True)
def range_model(
    x: np.ndarray,
    beam_body: np.ndarray,
    lever_body: np.ndarray,
    max_range_m: float,
    theta: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    relief_scale_m: float,
    h: np.ndarray,
) -> tuple[float, float, float, float, float, float, bool]:
    """Slant range of one beam ray-cast on the onboard map, and its sensitivity.

    The range to a locally planar terrain with unit normal ``n`` is
    ``rho = n.(p - o) / n.d``, so ``d rho / d o = -n / n.d`` and a small
    rotation ``dth`` of the beam changes it by ``-rho / n.d * (d x n).dth``.
    The normal is the map's slope smoothed over ``relief_scale_m``
    (:func:`surface_geometry`), so a robust filter can linearise at the scale
    of its own horizontal uncertainty.

    Parameters
    ----------
    x : (N_X,)
        Nominal state row.
    beam_body, lever_body : (3,)
        Unit beam direction and sensor position, body axes (m).
    max_range_m : float
        Ray-cast limit, m.
    theta : float
        Moon rotation angle at the measurement time, rad.
    c_enu_mcmf : (3, 3)
        Site ENU basis (rows) in MCMF.
    radius_ref_m : float
        Reference sphere radius of the map, m.
    meta, offsets, heights
        Onboard map arrays.
    relief_scale_m : float
        Horizontal half-width over which slope and relief are evaluated, m.
    h : (15,)
        Output: sensitivity of the range to the error state.

    Returns
    -------
    rho, k_up, k_terrain, relief_m, x_hit, y_hit, ok
        Predicted range (m); ``k_up``: range change per metre of lander
        height along its local vertical; ``k_terrain``: range change per metre
        of terrain height (magnitude); relief at the hit point (m); the hit
        point in map coordinates (m); ``ok`` False when the ray misses within
        ``max_range_m`` or grazes the terrain (incidence beyond ~84 deg).
    """
    for i in range(N_ERR):
        h[i] = 0.0
    q = x[X_Q : X_Q + 4]
    d = quat_rotate(q, beam_body)
    lev = quat_rotate(q, lever_body)
    o = np.empty(3)
    for k in range(3):
        o[k] = x[X_R + k] + lev[k]
    o_f = rot_mci_to_mcmf(o, theta)
    d_f = rot_mci_to_mcmf(d, theta)
    rho = beam_range(o_f, d_f, max_range_m, c_enu_mcmf, radius_ref_m, meta, offsets, heights)
    if rho <= 0.0:
        return rho, 0.0, 0.0, 0.0, 0.0, 0.0, False
    hit = np.empty(3)
    for k in range(3):
        hit[k] = o_f[k] + rho * d_f[k]
    xh, yh, _ = mcmf_to_map(hit, c_enu_mcmf, radius_ref_m)
    n_f, relief, _ = surface_geometry(
        meta, offsets, heights, c_enu_mcmf, radius_ref_m, xh, yh, relief_scale_m
    )
    nd = _dot(n_f, d_f)
    if nd > -0.1:
        return rho, 0.0, 0.0, relief, xh, yh, False
    n = rot_mcmf_to_mci(n_f, theta)
    hr = np.empty(3)
    for k in range(3):
        hr[k] = -n[k] / nd
    # attitude: beam rotation plus the lever arm's displacement of the origin
    dxn = _cross(d, n)
    lxh = _cross(lev, hr)
    for k in range(3):
        h[E_R + k] = hr[k]
        h[E_TH + k] = lxh[k] - rho / nd * dxn[k]
    r = x[X_R : X_R + 3]
    rn = np.sqrt(_dot(r, r))
    k_up = _dot(hr, r) / rn
    hn = np.sqrt(_dot(hit, hit))
    k_terrain = _dot(n_f, hit) / hn / (-nd)
    return rho, k_up, k_terrain, relief, xh, yh, True
