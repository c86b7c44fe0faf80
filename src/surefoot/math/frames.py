"""Frames shared by truth and flight software.

- MCMF: Moon-centred Moon-fixed, z along the spin axis, x at the prime meridian.
- MCI: Moon-centred inertial, aligned with MCMF at scenario time t = 0; MCMF
  rotates about z at the sidereal rate, so ``r_mcmf = Rz(-omega t) r_mci``.
- ENU: east-north-up at the landing site, origin on the reference sphere of
  radius ``radius_ref_m`` below the site (heights are over that sphere).
- Site map frame: azimuthal-equidistant coordinates about the site,
  ``x_east_m, y_north_m`` in metres along the reference sphere, in which the
  terrain grids are stored.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def enu_basis_mcmf(lat_rad: float, lon_rad: float) -> np.ndarray:
    """Rows are the site's east, north and up unit vectors in MCMF, shape (3, 3).

    ``C_enu_mcmf @ r_mcmf`` gives ENU components.
    """
    sl, cl = np.sin(lat_rad), np.cos(lat_rad)
    so, co = np.sin(lon_rad), np.cos(lon_rad)
    return np.array(
        [
            [-so, co, 0.0],
            [-sl * co, -sl * so, cl],
            [cl * co, cl * so, sl],
        ]
    )


@njit(cache=True, inline="always")
def rot_mci_to_mcmf(v_mci: np.ndarray, angle_rad: float) -> np.ndarray:
    """Components in MCMF of a vector given in MCI, Moon rotated by ``angle_rad`` about z."""
    c = np.cos(angle_rad)
    s = np.sin(angle_rad)
    out = np.empty(3)
    out[0] = c * v_mci[0] + s * v_mci[1]
    out[1] = -s * v_mci[0] + c * v_mci[1]
    out[2] = v_mci[2]
    return out


@njit(cache=True, inline="always")
def rot_mci_to_mcmf_xyz(
    x: float, y: float, z: float, angle_rad: float
) -> tuple[float, float, float]:
    """:func:`rot_mci_to_mcmf` of ``(x, y, z)`` as a tuple (no array allocated)."""
    c = np.cos(angle_rad)
    s = np.sin(angle_rad)
    return c * x + s * y, -s * x + c * y, z


@njit(cache=True, inline="always")
def rot_mcmf_to_mci(v_mcmf: np.ndarray, angle_rad: float) -> np.ndarray:
    """Inverse of :func:`rot_mci_to_mcmf`."""
    c = np.cos(angle_rad)
    s = np.sin(angle_rad)
    out = np.empty(3)
    out[0] = c * v_mcmf[0] - s * v_mcmf[1]
    out[1] = s * v_mcmf[0] + c * v_mcmf[1]
    out[2] = v_mcmf[2]
    return out


@njit(cache=True, inline="always")
def mat_vec(c: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.empty(3)
    for i in range(3):
        out[i] = c[i, 0] * v[0] + c[i, 1] * v[1] + c[i, 2] * v[2]
    return out


@njit(cache=True, inline="always")
def mat_t_vec(c: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.empty(3)
    for i in range(3):
        out[i] = c[0, i] * v[0] + c[1, i] * v[1] + c[2, i] * v[2]
    return out


@njit(cache=True)
def mcmf_to_map(
    r_mcmf: np.ndarray, c_enu_mcmf: np.ndarray, radius_ref_m: float
) -> tuple[float, float, float]:
    """Site map coordinates of a point.

    Returns ``(x_east_m, y_north_m, height_m)``: azimuthal-equidistant
    coordinates about the site along the reference sphere, and the height
    of the point above that sphere.
    """
    return mcmf_to_map_xyz(r_mcmf[0], r_mcmf[1], r_mcmf[2], c_enu_mcmf, radius_ref_m)


@njit(cache=True, inline="always")
def mcmf_to_map_xyz(
    x: float, y: float, z: float, c_enu_mcmf: np.ndarray, radius_ref_m: float
) -> tuple[float, float, float]:
    """:func:`mcmf_to_map` of the MCMF point ``(x, y, z)`` (no array), the same
    arithmetic; inlined where it is called."""
    e = c_enu_mcmf[0, 0] * x + c_enu_mcmf[0, 1] * y + c_enu_mcmf[0, 2] * z
    n = c_enu_mcmf[1, 0] * x + c_enu_mcmf[1, 1] * y + c_enu_mcmf[1, 2] * z
    u = c_enu_mcmf[2, 0] * x + c_enu_mcmf[2, 1] * y + c_enu_mcmf[2, 2] * z
    s = np.sqrt(e * e + n * n)
    radius = np.sqrt(s * s + u * u)
    if s < 1e-9:
        return 0.0, 0.0, radius - radius_ref_m
    ang = np.arctan2(s, u)
    k = radius_ref_m * ang / s
    return k * e, k * n, radius - radius_ref_m


@njit(cache=True, inline="always")
def map_to_mcmf_xyz(
    x_east_m: float,
    y_north_m: float,
    height_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
) -> tuple[float, float, float]:
    """:func:`map_to_mcmf` as a tuple (no array allocated), the same arithmetic."""
    rho = np.sqrt(x_east_m * x_east_m + y_north_m * y_north_m)
    ang = rho / radius_ref_m
    if rho < 1e-9:
        d0 = 0.0
        d1 = 0.0
        d2 = 1.0
    else:
        sa = np.sin(ang)
        d0 = sa * x_east_m / rho
        d1 = sa * y_north_m / rho
        d2 = np.cos(ang)
    r = radius_ref_m + height_m
    c = c_enu_mcmf
    return (
        (c[0, 0] * d0 + c[1, 0] * d1 + c[2, 0] * d2) * r,
        (c[0, 1] * d0 + c[1, 1] * d1 + c[2, 1] * d2) * r,
        (c[0, 2] * d0 + c[1, 2] * d1 + c[2, 2] * d2) * r,
    )


@njit(cache=True)
def map_to_mcmf(
    x_east_m: float,
    y_north_m: float,
    height_m: float,
    c_enu_mcmf: np.ndarray,
    radius_ref_m: float,
) -> np.ndarray:
    """Inverse of :func:`mcmf_to_map`: MCMF position (m) of a map point at a height."""
    out = np.empty(3)
    out[0], out[1], out[2] = map_to_mcmf_xyz(
        x_east_m, y_north_m, height_m, c_enu_mcmf, radius_ref_m
    )
    return out


@njit(cache=True)
def local_up_mcmf(r_mcmf: np.ndarray) -> np.ndarray:
    """Unit radial (local vertical) vector at a point, MCMF."""
    n = np.sqrt(r_mcmf[0] ** 2 + r_mcmf[1] ** 2 + r_mcmf[2] ** 2)
    return r_mcmf / n


@njit(cache=True, inline="always")
def rot_mcmf_to_mci_xyz(
    x: float, y: float, z: float, angle_rad: float
) -> tuple[float, float, float]:
    """:func:`rot_mcmf_to_mci` of ``(x, y, z)`` as a tuple (no array allocated), the
    same arithmetic."""
    c = np.cos(angle_rad)
    s = np.sin(angle_rad)
    return c * x - s * y, s * x + c * y, z
