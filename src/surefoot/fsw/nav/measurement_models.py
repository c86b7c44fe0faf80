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
from surefoot.fsw.nav.onboard_map import surface_geometry_xyz
from surefoot.math.frames import (
    mcmf_to_map_xyz,
    rot_mci_to_mcmf_xyz,
    rot_mcmf_to_mci_xyz,
)
from surefoot.math.height_grid import raycast_xyz
from surefoot.math.quaternion import quat_conj, quat_mul, quat_rotate_xyz


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
    h = np.zeros((2, N_ERR))
    xm, ym = trn_model_into(x, theta, c_enu_mcmf, radius_ref_m, h, 0)
    return xm, ym, h


@njit(cache=True)
def trn_model_into(
    x: np.ndarray, theta: float, c_enu_mcmf: np.ndarray, radius_ref_m: float,
    h: np.ndarray, i_h: int,
) -> tuple[float, float]:
    """:func:`trn_model` with ``h`` written into rows ``i_h`` and ``i_h + 1`` of ``h``
    (every column); returns ``(x_east_m, y_north_m)``. Scalars throughout (no
    array allocated), the same arithmetic in the same order."""
    f0, f1, f2 = rot_mci_to_mcmf_xyz(x[X_R], x[X_R + 1], x[X_R + 2], theta)
    xm, ym, _ = mcmf_to_map_xyz(f0, f1, f2, c_enu_mcmf, radius_ref_m)
    # the projection of the MCMF position moved by 1 m along each axis
    xp0, yp0, _ = mcmf_to_map_xyz(f0 + 1.0, f1, f2, c_enu_mcmf, radius_ref_m)
    xp1, yp1, _ = mcmf_to_map_xyz(f0, f1 + 1.0, f2, c_enu_mcmf, radius_ref_m)
    xp2, yp2, _ = mcmf_to_map_xyz(f0, f1, f2 + 1.0, c_enu_mcmf, radius_ref_m)
    for i in range(N_ERR):
        h[i_h, i] = 0.0
        h[i_h + 1, i] = 0.0
    h[i_h, E_R], h[i_h, E_R + 1], h[i_h, E_R + 2] = rot_mcmf_to_mci_xyz(
        xp0 - xm, xp1 - xm, xp2 - xm, theta
    )
    h[i_h + 1, E_R], h[i_h + 1, E_R + 1], h[i_h + 1, E_R + 2] = rot_mcmf_to_mci_xyz(
        yp0 - ym, yp1 - ym, yp2 - ym, theta
    )
    return xm, ym


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
    # scalars (no array; the beams of every cycle): the same operations in the same order
    q0, q1, q2, q3 = x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3]
    d0, d1, d2 = quat_rotate_xyz(q0, q1, q2, q3, beam_body[0], beam_body[1], beam_body[2])
    r0, r1 = x[X_R], x[X_R + 1]
    w0, w1, w2 = x[X_W], x[X_W + 1], x[X_W + 2]
    # omega_body x lever
    c0 = w1 * lever_body[2] - w2 * lever_body[1]
    c1 = w2 * lever_body[0] - w0 * lever_body[2]
    c2 = w0 * lever_body[1] - w1 * lever_body[0]
    lv0, lv1, lv2 = quat_rotate_xyz(q0, q1, q2, q3, c0, c1, c2)
    vr0 = x[X_V] + omega_moon * r1
    vr1 = x[X_V + 1] - omega_moon * r0
    vr2 = x[X_V + 2]
    for i in range(N_ERR):
        h[i] = 0.0
    # d/dr of -d.(Omega x r) = Omega x d, with Omega = (0, 0, omega)
    h[E_R] = -omega_moon * d1
    h[E_R + 1] = omega_moon * d0
    # the lever-arm velocity turns with the beam, so only v_rel sees the rotation
    h[E_V] = d0
    h[E_V + 1] = d1
    h[E_V + 2] = d2
    h[E_TH] = d1 * vr2 - d2 * vr1
    h[E_TH + 1] = d2 * vr0 - d0 * vr2
    h[E_TH + 2] = d0 * vr1 - d1 * vr0
    return (d0 * vr0 + d1 * vr1 + d2 * vr2) + (d0 * lv0 + d1 * lv1 + d2 * lv2)


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
    # scalars throughout, the cast and the map queries inlined: no array, no call
    # (one beam at a time, several a cycle); the same arithmetic in the same order
    q0, q1, q2, q3 = x[X_Q], x[X_Q + 1], x[X_Q + 2], x[X_Q + 3]
    d0, d1, d2 = quat_rotate_xyz(q0, q1, q2, q3, beam_body[0], beam_body[1], beam_body[2])
    l0, l1, l2 = quat_rotate_xyz(q0, q1, q2, q3, lever_body[0], lever_body[1], lever_body[2])
    o0 = x[X_R] + l0
    o1 = x[X_R + 1] + l1
    o2 = x[X_R + 2] + l2
    ct = np.cos(theta)
    st = np.sin(theta)
    # rot_mci_to_mcmf
    of0, of1, of2 = ct * o0 + st * o1, -st * o0 + ct * o1, o2
    df0, df1, df2 = ct * d0 + st * d1, -st * d0 + ct * d1, d2
    # beam_range
    rho = raycast_xyz(
        of0, of1, of2, df0, df1, df2, max_range_m, c_enu_mcmf, radius_ref_m, meta, offsets, heights
    )
    if rho <= 0.0:
        return rho, 0.0, 0.0, 0.0, 0.0, 0.0, False
    hit0 = of0 + rho * df0
    hit1 = of1 + rho * df1
    hit2 = of2 + rho * df2
    xh, yh, _ = mcmf_to_map_xyz(hit0, hit1, hit2, c_enu_mcmf, radius_ref_m)
    nf0, nf1, nf2, relief, _ = surface_geometry_xyz(
        meta, offsets, heights, c_enu_mcmf, radius_ref_m, xh, yh, relief_scale_m
    )
    nd = nf0 * df0 + nf1 * df1 + nf2 * df2
    if nd > -0.1:
        return rho, 0.0, 0.0, relief, xh, yh, False
    # rot_mcmf_to_mci
    n0, n1, n2 = ct * nf0 - st * nf1, st * nf0 + ct * nf1, nf2
    hr0 = -n0 / nd
    hr1 = -n1 / nd
    hr2 = -n2 / nd
    # attitude: beam rotation plus the lever arm's displacement of the origin
    dxn0, dxn1, dxn2 = d1 * n2 - d2 * n1, d2 * n0 - d0 * n2, d0 * n1 - d1 * n0
    lxh0, lxh1, lxh2 = l1 * hr2 - l2 * hr1, l2 * hr0 - l0 * hr2, l0 * hr1 - l1 * hr0
    h[E_R] = hr0
    h[E_R + 1] = hr1
    h[E_R + 2] = hr2
    h[E_TH] = lxh0 - rho / nd * dxn0
    h[E_TH + 1] = lxh1 - rho / nd * dxn1
    h[E_TH + 2] = lxh2 - rho / nd * dxn2
    r0, r1, r2 = x[X_R], x[X_R + 1], x[X_R + 2]
    rn = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    k_up = (hr0 * r0 + hr1 * r1 + hr2 * r2) / rn
    hn = np.sqrt(hit0 * hit0 + hit1 * hit1 + hit2 * hit2)
    k_terrain = (nf0 * hit0 + nf1 * hit1 + nf2 * hit2) / hn / (-nd)
    return rho, k_up, k_terrain, relief, xh, yh, True
