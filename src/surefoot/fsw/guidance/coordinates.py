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
def gravity_effective_enu_xyz(
    r0: float, r1: float, r2: float, v0: float, v1: float, v2: float, fp: np.ndarray
) -> tuple[float, float, float]:
    """Point-mass gravity plus Coriolis and centrifugal terms in the rotating
    site ENU frame (m/s^2), from the flight software's own Moon model: site ENU
    position (m) and velocity (m/s) in, as scalars (no array allocated)."""
    rc0 = r0
    rc1 = r1
    rc2 = r2 + fp[FP_RADIUS]
    rn = np.sqrt(rc0 * rc0 + rc1 * rc1 + rc2 * rc2)
    k = -fp[FP_GM] / (rn * rn * rn)
    lat = fp[FP_SITE_LAT]
    w1 = fp[FP_OMEGA] * np.cos(lat)
    w2 = fp[FP_OMEGA] * np.sin(lat)
    # omega = (0, w1, w2); coriolis = -2 w x v ; centrifugal = -w x (w x rc)
    cx = w1 * v2 - w2 * v1
    cy = w2 * v0
    cz = -w1 * v0
    wxr0 = w1 * rc2 - w2 * rc1
    wxr1 = w2 * rc0
    wxr2 = -w1 * rc0
    cen0 = w1 * wxr2 - w2 * wxr1
    cen1 = w2 * wxr0
    cen2 = -w1 * wxr0
    return (
        k * rc0 - 2.0 * cx - cen0,
        k * rc1 - 2.0 * cy - cen1,
        k * rc2 - 2.0 * cz - cen2,
    )


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
    pos_t, vel_t, d_t, c_t, up_t, rn = curvilinear_xyz(fp, r[0], r[1], r[2], v[0], v[1], v[2])
    pos = np.empty(3)
    vel = np.empty(3)
    d_loc = np.empty(3)
    c_loc = np.empty(3)
    up_loc = np.empty(3)
    pos[0], pos[1], pos[2] = pos_t
    vel[0], vel[1], vel[2] = vel_t
    d_loc[0], d_loc[1], d_loc[2] = d_t
    c_loc[0], c_loc[1], c_loc[2] = c_t
    up_loc[0], up_loc[1], up_loc[2] = up_t
    return pos, vel, d_loc, c_loc, up_loc, rn


@njit(cache=True)
def curvilinear_xyz(  # noqa: ANN201
    fp: np.ndarray, r0: float, r1: float, r2: float, v0: float, v1: float, v2: float
):
    """:func:`curvilinear` on scalars (no array allocated).

    ``r`` (m) relative to the target and ``v`` (m/s), site ENU, in; the same
    ``(pos, vel, d_loc, c_loc, up_loc, rn)`` out, each vector a 3-tuple.
    """
    radius = fp[FP_RADIUS] + fp[FP_TARGET_H]
    rc0 = r0
    rc1 = r1
    rc2 = r2 + radius
    rn = np.sqrt(rc0**2 + rc1**2 + rc2**2)
    u0 = rc0 / rn
    u1 = rc1 / rn
    u2 = rc2 / rn
    d0 = fp[FP_G]
    d1 = fp[FP_G + 1]
    d2 = fp[FP_G + 2]
    c0 = fp[FP_G + 3]
    c1 = fp[FP_G + 4]
    c2 = fp[FP_G + 5]
    rd = rc0 * d0 + rc1 * d1 + rc2 * d2
    rcc = rc0 * c0 + rc1 * c1 + rc2 * c2
    du = d0 * u0 + d1 * u1 + d2 * u2
    dl0 = d0 - du * u0
    dl1 = d1 - du * u1
    dl2 = d2 - du * u2
    dn = np.sqrt(dl0**2 + dl1**2 + dl2**2)
    dl0 /= dn
    dl1 /= dn
    dl2 /= dn
    # c_loc = d_loc x up_loc
    cl0 = dl1 * u2 - dl2 * u1
    cl1 = dl2 * u0 - dl0 * u2
    cl2 = dl0 * u1 - dl1 * u0
    p0 = radius * np.arctan2(rd, rc2)
    p1 = radius * np.arcsin(min(max(rcc / rn, -1.0), 1.0))
    p2 = rn - radius
    vd = v0 * dl0 + v1 * dl1 + v2 * dl2
    w0 = vd * radius / rn
    w1 = (v0 * cl0 + v1 * cl1 + v2 * cl2) * radius / rn
    w2 = v0 * u0 + v1 * u1 + v2 * u2
    return (p0, p1, p2), (w0, w1, w2), (dl0, dl1, dl2), (cl0, cl1, cl2), (u0, u1, u2), rn


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
