"""Truth terrain: nested height grids over the mean sphere, queries and ray casting."""

from surefoot.world.terrain.grid import (
    TerrainGrids,
    altitude_above_terrain,
    raycast,
    terrain_height,
    terrain_height_gradient,
)

__all__ = [
    "TerrainGrids",
    "altitude_above_terrain",
    "raycast",
    "terrain_height",
    "terrain_height_gradient",
]
