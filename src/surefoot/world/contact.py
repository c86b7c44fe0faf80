"""Footpad contact with the truth terrain and touchdown metrics.

The flight ends at the first step where any footpad is at or below the
terrain. Metrics are taken at that step: speeds relative to the surface
split along the local vertical at the touchdown point, tilt of the body z
axis from that vertical, angular rate, and the ground the lander settles on.

Resting attitude. The footpad ground points are the terrain heights under
each foot at the touchdown attitude. A rigid lander does not rest on their
least-squares plane but on a supporting plane: the facet of the upper convex
hull of those points whose triangle contains the horizontal projection of the
body origin (no footpad point lies above it). Its tilt from the local vertical
is the resting slope (``TD_SLOPE_DEG``); the least-squares slope is kept in
``TD_SLOPE_LS_DEG``. On a plane both are the plane's slope; with one foot of a
4-leg lander of leg radius r on a rock of height h the lander rocks onto the
diagonal through that foot and rests at atan(h / (sqrt(2) r)), where the
least-squares plane says atan(h / (2 r)). If the projection is outside every
facet (only at extreme touchdown tilts) the lander cannot stand on its feet:
``TD_OFF_SUPPORT`` is 1 and the least-squares slope is reported.

Body clearance. ``TD_UNDERBODY_RISE_M`` is the largest height of the terrain
above the resting plane (along its normal) over a disc of 0.8 leg radii around
the footpad centroid: every node of the local terrain level inside the disc
(exact for bilinear terrain) plus a polar grid at a 0.1 m pitch. The clearance
left under the lowest structure is ``LegConfig.body_clearance_m`` minus that
rise (:func:`underbody_clearance`); the kernel does not know the structure
height, so the record holds the rise and the classifier applies the config.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import LegConfig, TouchdownLimits
from surefoot.math.frames import mcmf_to_map, rot_mci_to_mcmf
from surefoot.math.height_grid import _level_of
from surefoot.math.quaternion import quat_rotate
from surefoot.world.terrain.grid import terrain_height
from surefoot.world.vehicle import S_MPROP, S_Q, S_R, S_V, S_W

# touchdown record layout
TD_CONTACT = 0  # 1.0 once contact happened
TD_T = 1
TD_EAST = 2
TD_NORTH = 3
TD_V_VERT = 4  # m/s, positive downward
TD_V_HORIZ = 5
TD_TILT_DEG = 6
TD_SLOPE_DEG = 7
TD_RATE_DEG_S = 8
TD_MPROP = 9
TD_FOOT_MIN_ALT = 10  # penetration of the lowest foot at detection (<= 0)
TD_SLOPE_LS_DEG = 11  # slope of the least-squares plane through the footpad ground points
TD_UNDERBODY_RISE_M = 12  # highest terrain above the resting plane under the body (m)
TD_OFF_SUPPORT = 13  # 1.0 when the body origin is over no support facet (cannot stand)
N_TD = 14

UNDERBODY_DISC_FRACTION = 0.8  # radius of the sampled disc under the body, in leg radii
UNDERBODY_PITCH_M = 0.1  # polar sample pitch under the body

OUTCOMES = ("safe", "hard", "tipped", "crashed", "no_contact")


def footpad_positions_body(legs: LegConfig) -> np.ndarray:
    """Footpad positions (n, 3) in the body frame (m): a circle below the body origin."""
    ang = 2.0 * np.pi * np.arange(legs.count) / legs.count + np.pi / legs.count
    return np.column_stack(
        [
            legs.radius_m * np.cos(ang),
            legs.radius_m * np.sin(ang),
            np.full(legs.count, -legs.height_m),
        ]
    )


@njit(cache=True)
def check_contact(
    x: np.ndarray,
    theta: float,
    feet_body: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
) -> float:
    """Lowest footpad height above the terrain (m); <= 0 means contact."""
    lowest = 1e30
    q = x[S_Q : S_Q + 4]
    for k in range(feet_body.shape[0]):
        f = quat_rotate(q, feet_body[k])
        p = np.empty(3)
        for j in range(3):
            p[j] = x[S_R + j] + f[j]
        pm = rot_mci_to_mcmf(p, theta)
        xm, ym, hp = mcmf_to_map(pm, c_enu_mcmf, radius_ref_m)
        alt = hp - terrain_height(meta, offsets, heights, xm, ym)
        if alt < lowest:
            lowest = alt
    return lowest


@njit(cache=True)
def resting_plane(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, cx: float, cy: float
) -> tuple[bool, float, float, float]:
    """Support plane of footpad ground points ``(px, py, pz)`` under the point ``(cx, cy)``.

    Tries every triple of points (n <= 8): a triple is the support facet when
    its triangle is not degenerate (collinear in plan), contains ``(cx, cy)``
    and no other point lies above its plane. Such a triple is a facet of the
    upper convex hull; when ``(cx, cy)`` is on an edge or vertex shared by
    several facets, the steepest is kept (the lander rocks onto it).

    Returns ``(found, z0, gx, gy)``: the plane ``z = z0 + gx (x - cx) + gy (y - cy)``;
    ``found`` is False when no facet contains the point (then the plane is 0).
    """
    n = px.shape[0]
    zref = 0.0
    for m in range(n):
        zref += pz[m]
    zref /= n
    x = np.empty(n)
    y = np.empty(n)
    z = np.empty(n)
    scale = 0.0
    zscale = 0.0
    for m in range(n):
        x[m] = px[m] - cx
        y[m] = py[m] - cy
        z[m] = pz[m] - zref
        scale = max(scale, abs(x[m]), abs(y[m]))
        zscale = max(zscale, abs(z[m]))
    eps_area = 1e-9 * scale * scale + 1e-300
    eps_bary = 1e-9
    eps_z = 1e-9 * (1.0 + zscale)
    found = False
    best_g2 = -1.0
    best_z0 = 0.0
    best_gx = 0.0
    best_gy = 0.0
    for i in range(n - 2):
        for j in range(i + 1, n - 1):
            for k in range(j + 1, n):
                ax = x[j] - x[i]
                ay = y[j] - y[i]
                bx = x[k] - x[i]
                by = y[k] - y[i]
                cr = ax * by - ay * bx
                if abs(cr) <= eps_area:
                    continue  # collinear in plan: no plane
                # barycentric coordinates of the origin (the point (cx, cy))
                lj = (-x[i] * by + y[i] * bx) / cr
                lk = (-ax * y[i] + ay * x[i]) / cr
                li = 1.0 - lj - lk
                if li < -eps_bary or lj < -eps_bary or lk < -eps_bary:
                    continue
                dzj = z[j] - z[i]
                dzk = z[k] - z[i]
                gx = (dzj * by - dzk * ay) / cr
                gy = (ax * dzk - bx * dzj) / cr
                above = False
                for m in range(n):
                    if m == i or m == j or m == k:
                        continue
                    if z[m] > z[i] + gx * (x[m] - x[i]) + gy * (y[m] - y[i]) + eps_z:
                        above = True
                        break
                if above:
                    continue
                g2 = gx * gx + gy * gy
                if g2 > best_g2:
                    found = True
                    best_g2 = g2
                    best_gx = gx
                    best_gy = gy
                    best_z0 = zref + z[i] - gx * x[i] - gy * y[i]
    return found, best_z0, best_gx, best_gy


@njit(cache=True)
def least_squares_plane(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, cx: float, cy: float
) -> tuple[bool, float, float, float]:
    """Least-squares plane ``z = z0 + gx (x - cx) + gy (y - cy)``; ``(ok, z0, gx, gy)``.

    ``ok`` is False (and the plane 0) when the points are collinear in plan.
    """
    # centred normal equations: the slope from the 2x2 system of the centred
    # second moments (Cramer's rule), the offset from the means; no LAPACK call
    # (which would bring its bindings into every kernel that reaches touchdown)
    n = px.shape[0]
    mx = 0.0
    my = 0.0
    mz = 0.0
    for k in range(n):
        mx += px[k] - cx
        my += py[k] - cy
        mz += pz[k]
    mx /= n
    my /= n
    mz /= n
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    sxz = 0.0
    syz = 0.0
    for k in range(n):
        dx = px[k] - cx - mx
        dy = py[k] - cy - my
        dz = pz[k] - mz
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
        sxz += dx * dz
        syz += dy * dz
    # collinear in plan <=> the centred second moments are singular
    det = sxx * syy - sxy * sxy
    if det <= 1e-12 * (sxx + syy) ** 2 + 1e-300:
        return False, 0.0, 0.0, 0.0
    gx = (sxz * syy - syz * sxy) / det
    gy = (syz * sxx - sxz * sxy) / det
    return True, mz - gx * mx - gy * my, gx, gy


@njit(cache=True)
def underbody_rise(
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    xc: float,
    yc: float,
    disc_radius_m: float,
    cx: float,
    cy: float,
    z0: float,
    gx: float,
    gy: float,
) -> float:
    """Largest terrain height (m) above the plane ``z0 + gx (x - cx) + gy (y - cy)``,
    along its normal, over the disc of ``disc_radius_m`` about ``(xc, yc)``.

    Samples every node of the terrain level at the centre that lies in the disc
    (the maximum of bilinear terrain minus a plane over a cell is at a node)
    and a polar grid of pitch ``UNDERBODY_PITCH_M`` (the rim, and coarser levels).
    """
    cos_s = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
    best = -1e30
    # polar grid: centre plus rings
    n_ring = max(1, int(np.ceil(disc_radius_m / UNDERBODY_PITCH_M)))
    for ir in range(n_ring + 1):
        rho = disc_radius_m * ir / n_ring
        n_az = 1 if ir == 0 else max(6, int(np.ceil(2.0 * np.pi * rho / UNDERBODY_PITCH_M)))
        for ia in range(n_az):
            ang = 2.0 * np.pi * ia / n_az
            xs = xc + rho * np.cos(ang)
            ys = yc + rho * np.sin(ang)
            d = terrain_height(meta, offsets, heights, xs, ys) - (
                z0 + gx * (xs - cx) + gy * (ys - cy)
            )
            best = max(best, d)
    # nodes of the local level inside the disc
    lev = _level_of(meta, xc, yc)
    x0 = meta[lev, 0]
    y0 = meta[lev, 1]
    dx = meta[lev, 2]
    nx = int(meta[lev, 3])
    ny = int(meta[lev, 4])
    if disc_radius_m / dx <= 200.0:  # at most ~1.3e5 nodes
        i_lo = max(0, int(np.ceil((xc - disc_radius_m - x0) / dx)))
        i_hi = min(nx - 1, int(np.floor((xc + disc_radius_m - x0) / dx)))
        j_lo = max(0, int(np.ceil((yc - disc_radius_m - y0) / dx)))
        j_hi = min(ny - 1, int(np.floor((yc + disc_radius_m - y0) / dx)))
        r2 = disc_radius_m * disc_radius_m
        for j in range(j_lo, j_hi + 1):
            ys = y0 + j * dx
            for i in range(i_lo, i_hi + 1):
                xs = x0 + i * dx
                if (xs - xc) ** 2 + (ys - yc) ** 2 > r2:
                    continue
                d = terrain_height(meta, offsets, heights, xs, ys) - (
                    z0 + gx * (xs - cx) + gy * (ys - cy)
                )
                best = max(best, d)
    return best * cos_s


@njit(cache=True)
def touchdown_metrics(
    x: np.ndarray,
    t: float,
    omega_moon: float,
    feet_body: np.ndarray,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    foot_min_alt: float,
    out: np.ndarray,
) -> None:
    """Fill a touchdown record (N_TD,) for a lander in contact at time ``t``."""
    theta = omega_moon * t
    r_mci = x[S_R : S_R + 3]
    v_mci = x[S_V : S_V + 3]
    r_mcmf = rot_mci_to_mcmf(r_mci, theta)
    v_rel = np.empty(3)
    v_rel[0] = v_mci[0] + omega_moon * r_mci[1]
    v_rel[1] = v_mci[1] - omega_moon * r_mci[0]
    v_rel[2] = v_mci[2]
    rn = np.sqrt(r_mci[0] ** 2 + r_mci[1] ** 2 + r_mci[2] ** 2)
    up = r_mci / rn
    vu = v_rel[0] * up[0] + v_rel[1] * up[1] + v_rel[2] * up[2]
    vh2 = 0.0
    for k in range(3):
        vh2 += (v_rel[k] - vu * up[k]) ** 2
    z_b = quat_rotate(x[S_Q : S_Q + 4], np.array([0.0, 0.0, 1.0]))
    cz = min(max(z_b[0] * up[0] + z_b[1] * up[1] + z_b[2] * up[2], -1.0), 1.0)

    # footpad ground points: map position of each foot, terrain height under it
    n = feet_body.shape[0]
    px = np.empty(n)
    py = np.empty(n)
    pz = np.empty(n)
    leg_r = 0.0
    for k in range(n):
        f = quat_rotate(x[S_Q : S_Q + 4], feet_body[k])
        p = np.empty(3)
        for j in range(3):
            p[j] = r_mci[j] + f[j]
        pm = rot_mci_to_mcmf(p, theta)
        xm, ym, _ = mcmf_to_map(pm, c_enu_mcmf, radius_ref_m)
        px[k] = xm
        py[k] = ym
        pz[k] = terrain_height(meta, offsets, heights, xm, ym)
        leg_r += np.sqrt(feet_body[k, 0] ** 2 + feet_body[k, 1] ** 2) / n
    xs, ys, _ = mcmf_to_map(r_mcmf, c_enu_mcmf, radius_ref_m)
    ls_ok, ls_z0, ls_gx, ls_gy = least_squares_plane(px, py, pz, xs, ys)
    slope_ls = np.degrees(np.arctan(np.sqrt(ls_gx**2 + ls_gy**2))) if ls_ok else 90.0
    found, z0, gx, gy = resting_plane(px, py, pz, xs, ys)
    if not found:
        z0, gx, gy = ls_z0, ls_gx, ls_gy
    slope_rest = np.degrees(np.arctan(np.sqrt(gx * gx + gy * gy))) if found else slope_ls
    xc = 0.0
    yc = 0.0
    for k in range(n):
        xc += px[k] / n
        yc += py[k] / n
    rise = underbody_rise(
        meta, offsets, heights, xc, yc, UNDERBODY_DISC_FRACTION * leg_r, xs, ys, z0, gx, gy
    )
    w = x[S_W : S_W + 3]
    out[TD_CONTACT] = 1.0
    out[TD_T] = t
    out[TD_EAST] = xs
    out[TD_NORTH] = ys
    out[TD_V_VERT] = -vu
    out[TD_V_HORIZ] = np.sqrt(vh2)
    out[TD_TILT_DEG] = np.degrees(np.arccos(cz))
    out[TD_SLOPE_DEG] = slope_rest
    out[TD_RATE_DEG_S] = np.degrees(np.sqrt(w[0] ** 2 + w[1] ** 2 + w[2] ** 2))
    out[TD_MPROP] = x[S_MPROP]
    out[TD_FOOT_MIN_ALT] = foot_min_alt
    out[TD_SLOPE_LS_DEG] = slope_ls
    out[TD_UNDERBODY_RISE_M] = rise
    out[TD_OFF_SUPPORT] = 0.0 if found else 1.0


def underbody_clearance(td: np.ndarray, legs: LegConfig) -> np.ndarray:
    """Clearance (m) left under the lowest structure: ``body_clearance_m`` minus
    the terrain rise above the resting plane; negative means a strike."""
    return legs.body_clearance_m - np.atleast_2d(td)[:, TD_UNDERBODY_RISE_M]


def classify_touchdown(
    td: np.ndarray,
    limits: TouchdownLimits,
    legs: LegConfig,
    com_height_m: float,
    g_surface_m_s2: float,
) -> np.ndarray:
    """Outcome class per lander (array of strings from ``OUTCOMES``).

    The slope is the resting slope (support plane, ``TD_SLOPE_DEG``) and the
    clearance is :func:`underbody_clearance`.

    - crashed: vertical or horizontal speed beyond the crash limits, or terrain
      under the body rising above the resting plane by more than the leg height
      ``height_m`` (it reaches the body origin: the structure, not just the
      engine bell, is struck);
    - tipped: tilt plus slope beyond the static tip-over angle
      ``atan(leg radius / CoM height)``, lateral kinetic energy enough to
      lift the CoM over the downhill footpad (rigid-body energy criterion), or
      the body origin over no support facet (``TD_OFF_SUPPORT``);
    - hard: any safe limit exceeded (speeds, slope, tilt, angular rate) or a
      negative clearance (a rock or ridge strikes the lowest structure);
    - safe: otherwise; no_contact: the flight ended without touching down.
    """
    td = np.atleast_2d(td)
    out = np.full(td.shape[0], "no_contact", dtype=object)
    contact = td[:, TD_CONTACT] > 0.5
    vv = td[:, TD_V_VERT]
    vh = td[:, TD_V_HORIZ]
    tilt = td[:, TD_TILT_DEG]
    slope = td[:, TD_SLOPE_DEG]
    rate = td[:, TD_RATE_DEG_S]
    tip_angle = np.degrees(np.arctan2(legs.radius_m, com_height_m))
    lever = np.hypot(legs.radius_m, com_height_m)
    lift = (
        lever - com_height_m * np.cos(np.radians(slope)) - legs.radius_m * np.sin(np.radians(slope))
    )
    dynamic_tip = 0.5 * vh**2 > g_surface_m_s2 * np.maximum(lift, 0.0)
    rise = td[:, TD_UNDERBODY_RISE_M]
    clearance = legs.body_clearance_m - rise
    off_support = td[:, TD_OFF_SUPPORT] > 0.5
    crashed = (
        (vv > limits.crash_vertical_speed_m_s)
        | (vh > limits.crash_horizontal_speed_m_s)
        | (rise > legs.height_m)
    )
    tipped = ~crashed & ((tilt + slope > tip_angle) | dynamic_tip | off_support)
    hard = (
        ~crashed
        & ~tipped
        & (
            (vv > limits.max_vertical_speed_m_s)
            | (vh > limits.max_horizontal_speed_m_s)
            | (slope > limits.max_slope_deg)
            | (tilt > limits.max_tilt_deg)
            | (rate > limits.max_angular_rate_deg_s)
            | (clearance < 0.0)
        )
    )
    out[contact] = "safe"
    out[contact & hard] = "hard"
    out[contact & tipped] = "tipped"
    out[contact & crashed] = "crashed"
    return out
