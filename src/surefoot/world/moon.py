"""Truth Moon: constants, gravity and rotation.

Gravity is a point mass plus the J2 zonal term. The default J2 and its
reference radius come from the GRAIL model GRGM1200A (Goossens et al. 2016,
normalised C20 = -9.0881e-5, so J2 = -sqrt(5) C20 = 2.0322e-4 at 1738.0 km).
The spin axis is the MCI/MCMF z axis; MCMF rotates about it at the sidereal
rate (2.6617e-6 rad/s); libration and precession are neglected over a landing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import MoonConfig

# Layout of the Moon parameter array passed to kernels.
MOON_GM = 0
MOON_RADIUS = 1
MOON_J2 = 2
MOON_J2_RADIUS = 3
MOON_OMEGA = 4
N_MOON = 5

G0_M_S2 = 9.80665  # standard gravity, defines Isp in seconds


def moon_params(cfg: MoonConfig) -> np.ndarray:
    """Kernel parameter array (N_MOON,) from the Moon section of a scenario."""
    p = np.zeros(N_MOON)
    p[MOON_GM] = cfg.gm_m3_s2
    p[MOON_RADIUS] = cfg.radius_m
    p[MOON_J2] = cfg.j2
    p[MOON_J2_RADIUS] = cfg.j2_reference_radius_m
    p[MOON_OMEGA] = cfg.rotation_rate_rad_s
    return p


@njit(cache=True)
def gravity_mci(r: np.ndarray, moon: np.ndarray) -> np.ndarray:
    """Gravitational acceleration (m/s^2) at position ``r`` (m), in MCI or MCMF
    (the J2 field is axisymmetric about z, so both frames give the same form).

    ``a = -mu r / |r|^3 + J2 term`` (e.g. Vallado, Fundamentals of
    Astrodynamics, eq. 8-31).
    """
    out = np.empty(3)
    out[0], out[1], out[2] = gravity_mci_xyz(r[0], r[1], r[2], moon)
    return out


@njit(cache=True, inline="always")
def gravity_mci_xyz(x: float, y: float, z: float, moon: np.ndarray) -> tuple[float, float, float]:
    """:func:`gravity_mci` at position ``(x, y, z)`` (m) as a tuple (no array allocated)."""
    mu = moon[MOON_GM]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    r3 = r2 * rn
    k = 1.5 * moon[MOON_J2] * mu * moon[MOON_J2_RADIUS] ** 2 / (r2 * r2 * rn)
    zz = 5.0 * z * z / r2
    return (
        -mu * x / r3 + k * x * (zz - 1.0),
        -mu * y / r3 + k * y * (zz - 1.0),
        -mu * z / r3 + k * z * (zz - 3.0),
    )


@njit(cache=True)
def gravity_potential(r: np.ndarray, moon: np.ndarray) -> float:
    """Potential energy per unit mass (J/kg) of the point-mass + J2 field, for
    conservation checks: ``U = -mu/r + mu J2 R^2 (3 sin^2(phi) - 1) / (2 r^3)``."""
    mu = moon[MOON_GM]
    r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2]
    rn = np.sqrt(r2)
    s2 = r[2] * r[2] / r2
    return -mu / rn + mu * moon[MOON_J2] * moon[MOON_J2_RADIUS] ** 2 * (3.0 * s2 - 1.0) / (
        2.0 * r2 * rn
    )
