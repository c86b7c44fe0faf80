"""Shared scenes for the sensor tests: a constant-height terrain and truth states above it.

With the same height H on every grid level the terrain surface is the sphere
of radius R + H about the Moon's centre, so slant ranges have the closed form
of the ray-sphere intersection and the altitude above terrain is |r| - R - H.
Reference geometry here uses scipy's rotations and plain NumPy, independent
of ``surefoot.math``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from surefoot.world.site_frame import site_params
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import N_STATE, S_Q, S_R, S_V, S_W

R_MOON = 1_737_400.0
OMEGA = 2.6617e-6
LAT = math.radians(-13.3)
LON = math.radians(25.2)
H_TERRAIN = 1234.5


@pytest.fixture(scope="session")
def shell() -> TerrainGrids:
    """Terrain at constant height ``H_TERRAIN`` on two nested levels (120 km and 10 km wide)."""
    levels = []
    for half, dx in ((60_000.0, 1000.0), (5000.0, 50.0)):
        n = int(round(2 * half / dx)) + 1
        levels.append((-half, -half, dx, np.full((n, n), H_TERRAIN)))
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON)


@pytest.fixture(scope="session")
def site() -> np.ndarray:
    return site_params(LAT, LON, R_MOON, OMEGA)


def rz(theta: float) -> np.ndarray:
    """MCMF -> MCI rotation after the Moon turned by ``theta`` (rad): r_mci = Rz r_mcmf."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def local_frame_mci(r_mci: np.ndarray) -> np.ndarray:
    """Columns: local east, north, up at ``r_mci`` (MCI, spin axis z)."""
    up = r_mci / np.linalg.norm(r_mci)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    return np.column_stack((east, north, up))


def truth_state(
    grids: TerrainGrids,
    x_east_m: float,
    y_north_m: float,
    height_m: float,
    t: float,
    tilt: Rotation | None = None,
    v_mci: tuple[float, float, float] = (0.0, 0.0, 0.0),
    omega_body: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> tuple[np.ndarray, Rotation]:
    """Truth state at a map point and height (above the sphere) at time ``t``.

    Body axes: x east, y north, z up at that point (so body -z looks straight
    down), then rotated by ``tilt`` (body frame). Returns the state row and
    the body-to-MCI rotation.
    """
    r_mci = rz(OMEGA * t) @ grids.to_mcmf(x_east_m, y_north_m, height_m)
    rot = Rotation.from_matrix(local_frame_mci(r_mci))
    if tilt is not None:
        rot = rot * tilt
    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = r_mci
    x[S_V : S_V + 3] = v_mci
    qx, qy, qz, qw = rot.as_quat()
    x[S_Q : S_Q + 4] = (qw, qx, qy, qz)
    x[S_W : S_W + 3] = omega_body
    return x, rot


def sphere_range(origin: np.ndarray, d: np.ndarray, radius: float) -> float:
    """First intersection distance of the ray ``origin + s d`` (unit d) with a centred sphere."""
    b = float(origin @ d)
    c = float(origin @ origin) - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return math.nan
    s = -b - math.sqrt(disc)
    return s if s >= 0.0 else math.nan
