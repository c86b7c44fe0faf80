"""Truth state expressed in the landing site's ENU frame (rotating with the Moon).

Site parameter row ``(N_SITE,)``: reference radius, Moon rotation rate,
``q_mcmf_to_enu``, the DCM ``C_enu_mcmf`` (rows east, north, up in MCMF) and
the top of the truth terrain (its highest height above the reference sphere,
``inf`` when unknown), which lets a sensor's ray cast stop early.
The ENU origin is on the reference sphere below the site, so the up
coordinate is a height above the sphere.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.math.frames import enu_basis_mcmf, rot_mci_to_mcmf_xyz
from surefoot.math.quaternion import dcm_to_quat, quat_mul_xyz
from surefoot.world.vehicle import S_Q, S_R, S_V

SITE_RADIUS = 0
SITE_OMEGA = 1
SITE_Q = 2  # 4
SITE_C = 6  # 9
SITE_TOP = 15  # m above the reference sphere
N_SITE = 16


def site_params(
    lat_rad: float,
    lon_rad: float,
    radius_ref_m: float,
    omega_rad_s: float,
    terrain_top_m: float = np.inf,
) -> np.ndarray:
    """Site row; ``terrain_top_m``: the truth terrain's highest height (m above
    the reference sphere, :attr:`TerrainGrids.top_m`), ``inf`` for no bound."""
    c = enu_basis_mcmf(lat_rad, lon_rad)
    p = np.zeros(N_SITE)
    p[SITE_RADIUS] = radius_ref_m
    p[SITE_OMEGA] = omega_rad_s
    p[SITE_Q : SITE_Q + 4] = dcm_to_quat(c)
    p[SITE_C : SITE_C + 9] = c.ravel()
    p[SITE_TOP] = terrain_top_m
    return p


@njit(cache=True)
def mcmf_to_enu_vec(site: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.empty(3)
    for i in range(3):
        b = SITE_C + 3 * i
        out[i] = site[b] * v[0] + site[b + 1] * v[1] + site[b + 2] * v[2]
    return out


@njit(cache=True, inline="always")
def truth_enu_xyz(
    x: np.ndarray, t: float, site: np.ndarray
) -> tuple[
    tuple[float, float, float],
    tuple[float, float, float],
    tuple[float, float, float, float],
    tuple[float, float, float],
]:
    """:func:`truth_enu` as tuples (no array allocated): ``(r_enu, v_enu,
    q_body_to_enu, r_mcmf)``, the same arithmetic in the same order."""
    theta = site[SITE_OMEGA] * t
    om = site[SITE_OMEGA]
    r0, r1, r2 = x[S_R], x[S_R + 1], x[S_R + 2]
    w0 = x[S_V] + om * r1
    w1 = x[S_V + 1] - om * r0
    w2 = x[S_V + 2]
    m0, m1, m2 = rot_mci_to_mcmf_xyz(r0, r1, r2, theta)
    e0, e1, e2 = _mcmf_to_enu_xyz(site, m0, m1, m2)
    e2 -= site[SITE_RADIUS]
    u0, u1, u2 = rot_mci_to_mcmf_xyz(w0, w1, w2, theta)
    v_enu = _mcmf_to_enu_xyz(site, u0, u1, u2)
    a0, a1, a2, a3 = quat_mul_xyz(
        np.cos(-0.5 * theta), 0.0, 0.0, np.sin(-0.5 * theta),
        x[S_Q], x[S_Q + 1], x[S_Q + 2], x[S_Q + 3],
    )
    q = quat_mul_xyz(
        site[SITE_Q], site[SITE_Q + 1], site[SITE_Q + 2], site[SITE_Q + 3], a0, a1, a2, a3
    )
    return (e0, e1, e2), v_enu, q, (m0, m1, m2)


@njit(cache=True, inline="always")
def _mcmf_to_enu_xyz(
    site: np.ndarray, v0: float, v1: float, v2: float
) -> tuple[float, float, float]:
    """:func:`mcmf_to_enu_vec` on scalars."""
    b = SITE_C
    return (
        site[b] * v0 + site[b + 1] * v1 + site[b + 2] * v2,
        site[b + 3] * v0 + site[b + 4] * v1 + site[b + 5] * v2,
        site[b + 6] * v0 + site[b + 7] * v1 + site[b + 8] * v2,
    )


@njit(cache=True)
def truth_enu(
    x: np.ndarray, t: float, site: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(r_enu, v_enu, q_body_to_enu, r_mcmf)`` of a truth state at time ``t``.

    ``v_enu`` is the velocity relative to the rotating surface.
    """
    r, v, q, m = truth_enu_xyz(x, t, site)
    r_enu = np.empty(3)
    v_enu = np.empty(3)
    r_mcmf = np.empty(3)
    q_out = np.empty(4)
    for k in range(3):
        r_enu[k] = r[k]
        v_enu[k] = v[k]
        r_mcmf[k] = m[k]
    for k in range(4):
        q_out[k] = q[k]
    return r_enu, v_enu, q_out, r_mcmf
