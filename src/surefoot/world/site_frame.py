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

from surefoot.math.frames import enu_basis_mcmf, rot_mci_to_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_mul
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


@njit(cache=True)
def truth_enu(
    x: np.ndarray, t: float, site: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(r_enu, v_enu, q_body_to_enu, r_mcmf)`` of a truth state at time ``t``.

    ``v_enu`` is the velocity relative to the rotating surface.
    """
    theta = site[SITE_OMEGA] * t
    r_mci = x[S_R : S_R + 3]
    v_mci = x[S_V : S_V + 3]
    om = site[SITE_OMEGA]
    v_rel_mci = np.empty(3)
    v_rel_mci[0] = v_mci[0] + om * r_mci[1]
    v_rel_mci[1] = v_mci[1] - om * r_mci[0]
    v_rel_mci[2] = v_mci[2]
    r_mcmf = rot_mci_to_mcmf(r_mci, theta)
    r_enu = mcmf_to_enu_vec(site, r_mcmf)
    r_enu[2] -= site[SITE_RADIUS]
    v_enu = mcmf_to_enu_vec(site, rot_mci_to_mcmf(v_rel_mci, theta))
    q_mci_to_mcmf = np.array([np.cos(-0.5 * theta), 0.0, 0.0, np.sin(-0.5 * theta)])
    q = quat_mul(site[SITE_Q : SITE_Q + 4], quat_mul(q_mci_to_mcmf, x[S_Q : S_Q + 4]))
    return r_enu, v_enu, q, r_mcmf
