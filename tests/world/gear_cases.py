"""Shared set-ups of the landing-gear tests: a lander on a plane in lunar gravity."""

from __future__ import annotations

import numpy as np

from surefoot.config.schema import LegConfig
from surefoot.math.quaternion import quat_from_axis_angle
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    N_OUT,
    N_Y,
    Y_P,
    Y_Q,
    Y_V,
    Y_W,
    gear_params,
    seat_on_ground,
    settle,
)
from surefoot.world.terrain.grid import TerrainGrids

G_MOON = 1.62  # m/s^2
MASS_KG = 500.0
INERTIA = np.array([400.0, 400.0, 300.0])
LEGS = LegConfig()  # 4 legs, radius 1.4 m, 1.2 m below the CoM
COM_HEIGHT_M = LEGS.height_m


def plane(slope_deg: float = 0.0, half_m: float = 200.0, uphill_deg: float = 0.0) -> TerrainGrids:
    """Terrain rising at ``slope_deg`` toward the map direction ``uphill_deg`` (from +x
    toward +y) over a square (bilinear on a plane is exact)."""
    g = np.tan(np.radians(slope_deg))
    gx, gy = g * np.cos(np.radians(uphill_deg)), g * np.sin(np.radians(uphill_deg))
    xs = np.array([-half_m, half_m])
    x, y = np.meshgrid(xs, xs)
    h = gx * x + gy * y
    return TerrainGrids.from_levels([(-half_m, -half_m, 2 * half_m, h)], 0.0, 0.0, 1_737_400.0)


def feet() -> np.ndarray:
    return footpad_positions_body(LEGS)


def state(
    tilt_axis: np.ndarray | None = None,
    tilt_deg: float = 0.0,
    v: tuple[float, float, float] = (0.0, 0.0, 0.0),
    w_body: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> np.ndarray:
    y = np.zeros(N_Y)
    if tilt_axis is None:
        y[Y_Q] = 1.0
    else:
        y[Y_Q : Y_Q + 4] = quat_from_axis_angle(np.asarray(tilt_axis, float), np.radians(tilt_deg))
    y[Y_V : Y_V + 3] = v
    y[Y_W : Y_W + 3] = w_body
    y[Y_P : Y_P + 3] = (0.0, 0.0, 10.0)
    return y


def run(
    y0: np.ndarray,
    terrain: TerrainGrids,
    legs: LegConfig = LEGS,
    mass_kg: float = MASS_KG,
    inertia: np.ndarray = INERTIA,
    max_time_s: float = 30.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Seat the lander on the terrain, integrate; (out row, final state)."""
    f = footpad_positions_body(legs)
    y = y0.copy()
    seat_on_ground(y, f, terrain.meta, terrain.offsets, terrain.heights)
    out = np.zeros(N_OUT)
    yf = settle(
        y,
        mass_kg,
        inertia,
        f,
        gear_params(legs, legs.height_m),
        G_MOON,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        max_time_s,
        out,
    )
    return out, yf
