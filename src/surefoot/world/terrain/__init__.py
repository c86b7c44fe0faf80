"""Truth terrain: nested height grids over the mean sphere, queries and ray casting."""

from surefoot.world.terrain.dem_file import load_dem
from surefoot.world.terrain.grid import (
    TerrainGrids,
    altitude_above_terrain,
    raycast,
    terrain_height,
    terrain_height_gradient,
)
from surefoot.world.terrain.synthetic import TerrainBuild, build_terrain, generate_terrain

__all__ = [
    "TerrainBuild",
    "TerrainGrids",
    "build_terrain",
    "generate_terrain",
    "load_dem",
    "altitude_above_terrain",
    "raycast",
    "terrain_height",
    "terrain_height_gradient",
]
