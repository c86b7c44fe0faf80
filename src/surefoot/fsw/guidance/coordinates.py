"""Guidance coordinates: the approach frame at the target, curvilinear descent
coordinates over the curved Moon, and the flight software's own gravity.

The approach frame is site ENU rotated to the approach azimuth: downrange,
crossrange to the right, up. Guidance laws work in curvilinear coordinates
(downrange and crossrange arc lengths at the target's radius, height above
it) so that a 700 km braking phase keeps its altitude profile over the
curved Moon; :func:`curvilinear` also returns the local axes that map a
command back to ENU. Gravity is the flight software's point mass
(``fp[FP_GM]``) in the rotating site frame, with the centrifugal and Coriolis
terms of the Moon's rotation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.interfaces import NAV_R, NAV_V
from surefoot.fsw.layout import (
    FP_G,
    FP_GM,
    FP_OMEGA,
    FP_RADIUS,
    FP_SITE_LAT,
    FP_TARGET_H,
    FS_TARGET,
)


def approach_axes_enu(azimuth_rad: float) -> np.ndarray:
    """Rows: downrange, crossrange (right), up unit vectors in ENU, shape (3, 3)."""
    d = np.array([np.sin(azimuth_rad), np.cos(azimuth_rad), 0.0])
    u = np.array([0.0, 0.0, 1.0])
    c = np.cross(d, u)
    return np.vstack([d, c, u])


@njit(cache=True)
def gravity_effective_enu(r_enu: np.ndarray, v_enu: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Point-mass gravity plus Coriolis and centrifugal terms in the rotating
    site ENU frame (m/s^2), from the flight software's own Moon model."""
    rc0 = r_enu[0]
    rc1 = r_enu[1]
    rc2 = r_enu[2] + fp[FP_RADIUS]
    rn = np.sqrt(rc0 * rc0 + rc1 * rc1 + rc2 * rc2)
    k = -fp[FP_GM] / (rn * rn * rn)
    lat = fp[FP_SITE_LAT]
    w1 = fp[FP_OMEGA] * np.cos(lat)
    w2 = fp[FP_OMEGA] * np.sin(lat)
    # omega = (0, w1, w2); coriolis = -2 w x v ; centrifugal = -w x (w x rc)
    cx = w1 * v_enu[2] - w2 * v_enu[1]
    cy = w2 * v_enu[0]
    cz = -w1 * v_enu[0]
    wxr0 = w1 * rc2 - w2 * rc1
    wxr1 = w2 * rc0
    wxr2 = -w1 * rc0
    cen0 = w1 * wxr2 - w2 * wxr1
    cen1 = w2 * wxr0
    cen2 = -w1 * wxr0
    out = np.empty(3)
    out[0] = k * rc0 - 2.0 * cx - cen0
    out[1] = k * rc1 - 2.0 * cy - cen1
    out[2] = k * rc2 - 2.0 * cz - cen2
    return out


@njit(cache=True)
def curvilinear(fp: np.ndarray, r: np.ndarray, v: np.ndarray):  # noqa: ANN202
    """Guidance coordinates over the curved Moon and the local axes at the lander.

    Returns ``(pos, vel, d_loc, c_loc, up_loc, rn)`` where ``pos`` is
    (downrange arc length along the approach great circle, crossrange arc
    length, height above the target's sphere) in m, ``vel`` their rates, and
    ``d_loc, c_loc, up_loc`` the local downrange, crossrange and up unit
    vectors (ENU components) at the lander, ``rn`` its distance from the
    Moon's centre. Near the site this is the flat approach frame.
    """
    radius = fp[FP_RADIUS] + fp[FP_TARGET_H]
    rc = np.empty(3)
    rc[0] = r[0]
    rc[1] = r[1]
    rc[2] = r[2] + radius
    rn = np.sqrt(rc[0] ** 2 + rc[1] ** 2 + rc[2] ** 2)
    up_loc = rc / rn
    d = fp[FP_G : FP_G + 3]
    c = fp[FP_G + 3 : FP_G + 6]
    rd = rc[0] * d[0] + rc[1] * d[1] + rc[2] * d[2]
    rcc = rc[0] * c[0] + rc[1] * c[1] + rc[2] * c[2]
    d_loc = d - (d[0] * up_loc[0] + d[1] * up_loc[1] + d[2] * up_loc[2]) * up_loc
    d_loc /= np.sqrt(d_loc[0] ** 2 + d_loc[1] ** 2 + d_loc[2] ** 2)
    c_loc = np.empty(3)  # d_loc x up_loc
    c_loc[0] = d_loc[1] * up_loc[2] - d_loc[2] * up_loc[1]
    c_loc[1] = d_loc[2] * up_loc[0] - d_loc[0] * up_loc[2]
    c_loc[2] = d_loc[0] * up_loc[1] - d_loc[1] * up_loc[0]
    pos = np.empty(3)
    pos[0] = radius * np.arctan2(rd, rc[2])
    pos[1] = radius * np.arcsin(min(max(rcc / rn, -1.0), 1.0))
    pos[2] = rn - radius
    vel = np.empty(3)
    vd = v[0] * d_loc[0] + v[1] * d_loc[1] + v[2] * d_loc[2]
    vel[0] = vd * radius / rn
    vel[1] = (v[0] * c_loc[0] + v[1] * c_loc[1] + v[2] * c_loc[2]) * radius / rn
    vel[2] = v[0] * up_loc[0] + v[1] * up_loc[1] + v[2] * up_loc[2]
    return pos, vel, d_loc, c_loc, up_loc, rn


@njit(cache=True)
def guidance_coordinates(
    nav: np.ndarray, fs: np.ndarray, fp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """The navigation estimate in guidance coordinates relative to the current target.

    Returns ``(pos, vel, rn)``: downrange and crossrange arc lengths and height
    above the target's sphere (m), their rates (m/s), and the distance from
    the Moon's centre (m). What the convex guidance solves from.
    """
    r = nav[NAV_R : NAV_R + 3] - np.array(
        [fs[FS_TARGET], fs[FS_TARGET + 1], fp[FP_TARGET_H] + fs[FS_TARGET + 2]]
    )
    pos, vel, _, _, _, rn = curvilinear(fp, r, nav[NAV_V : NAV_V + 3])
    return pos, vel, rn
