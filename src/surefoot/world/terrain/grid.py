"""Nested regular height grids in the site map frame, with compiled queries.

A terrain is a stack of levels, coarse first and fine last. Each level is a
regular grid of heights (m above the reference sphere) at nodes
``x = x0 + i dx``, ``y = y0 + j dx`` in the site map frame (x east, y north,
metres, azimuthal-equidistant about the site; see ``surefoot.math.frames``).
A query uses the finest level that contains the point; heights between nodes
are bilinear. Levels are stored flat so that the Numba kernels take plain
arrays: ``meta`` (L, 5) rows ``[x0_m, y0_m, dx_m, nx, ny]``, ``offsets`` (L+1,)
and ``heights`` (sum of nx*ny,), each level row-major with y as the slow index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from surefoot.math.frames import enu_basis_mcmf, map_to_mcmf
from surefoot.math.height_grid import (  # noqa: F401  (re-exported)
    _height_many,
    altitude_above_terrain,
    raycast,
    terrain_height,
    terrain_height_gradient,
)

if TYPE_CHECKING:
    from surefoot.world.terrain.dem_file import DemFootprint


@dataclass(frozen=True)
class TerrainGrids:
    """Truth terrain: nested height grids plus the site that anchors the map frame.

    Parameters
    ----------
    meta : (L, 5) float64
        Rows ``[x0_m, y0_m, dx_m, nx, ny]``, coarse level first.
    offsets : (L+1,) int64
        Start of each level in ``heights``.
    heights : (sum nx*ny,) float64
        Heights above the reference sphere, m.
    site_lat_rad, site_lon_rad : float
        Selenographic latitude and longitude of the site (map origin).
    radius_ref_m : float
        Reference sphere radius, m (the Moon's mean radius).
    dem : DemFootprint or None
        Where a DEM file lies in this terrain (``terrain.source: file``), else None.
    """

    meta: np.ndarray
    offsets: np.ndarray
    heights: np.ndarray
    site_lat_rad: float
    site_lon_rad: float
    radius_ref_m: float
    c_enu_mcmf: np.ndarray = field(init=False, repr=False)
    dem: DemFootprint | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "c_enu_mcmf", enu_basis_mcmf(self.site_lat_rad, self.site_lon_rad))

    @cached_property
    def top_m(self) -> float:
        """Highest height of any level, m above the reference sphere (no bilinear
        height exceeds it): a ray that stays above it hits nothing. Found on first
        use (a pass over every height) and kept."""
        return float(np.max(self.heights))

    @classmethod
    def from_levels(
        cls,
        levels: list[tuple[float, float, float, np.ndarray]],
        site_lat_rad: float,
        site_lon_rad: float,
        radius_ref_m: float,
    ) -> TerrainGrids:
        """Build from ``[(x0_m, y0_m, dx_m, heights (ny, nx)), ...]``, coarse first."""
        meta = np.zeros((len(levels), 5))
        offsets = np.zeros(len(levels) + 1, dtype=np.int64)
        flat = []
        for k, (x0, y0, dx, h) in enumerate(levels):
            h = np.asarray(h, dtype=np.float64)
            if h.ndim != 2 or h.shape[0] < 2 or h.shape[1] < 2:
                raise ValueError("each terrain level needs a 2-D height grid of at least 2x2 nodes")
            meta[k] = (x0, y0, dx, h.shape[1], h.shape[0])
            offsets[k + 1] = offsets[k] + h.size
            flat.append(h.ravel())
        return cls(meta, offsets, np.concatenate(flat), site_lat_rad, site_lon_rad, radius_ref_m)

    def level(self, k: int) -> tuple[float, float, float, np.ndarray]:
        """``(x0_m, y0_m, dx_m, heights (ny, nx))`` of level ``k`` (a view)."""
        x0, y0, dx, nx, ny = self.meta[k]
        h = self.heights[self.offsets[k] : self.offsets[k + 1]].reshape(int(ny), int(nx))
        return float(x0), float(y0), float(dx), h

    @property
    def n_levels(self) -> int:
        return int(self.meta.shape[0])

    def height(self, x_east_m: np.ndarray | float, y_north_m: np.ndarray | float) -> np.ndarray:
        """Heights (m) at map points; any broadcastable shapes."""
        x, y = np.broadcast_arrays(np.asarray(x_east_m, float), np.asarray(y_north_m, float))
        out = np.empty(x.shape)
        _height_many(self.meta, self.offsets, self.heights, x.ravel(), y.ravel(), out.reshape(-1))
        return out

    def slope_deg(self, x_east_m: float, y_north_m: float) -> float:
        """Local slope (deg) of the bilinear surface at a map point."""
        _, gx, gy = terrain_height_gradient(
            self.meta, self.offsets, self.heights, x_east_m, y_north_m
        )
        return float(np.degrees(np.arctan(np.hypot(gx, gy))))

    def to_mcmf(self, x_east_m: float, y_north_m: float, height_m: float) -> np.ndarray:
        return map_to_mcmf(x_east_m, y_north_m, height_m, self.c_enu_mcmf, self.radius_ref_m)

    def raycast(
        self, origin_mcmf: np.ndarray, dir_mcmf: np.ndarray, max_range_m: float = 1e6
    ) -> np.ndarray:
        """Ranges (m) along rays ``(N, 3)`` (unit directions); ``nan`` where nothing is hit."""
        o = np.atleast_2d(np.asarray(origin_mcmf, float))
        d = np.atleast_2d(np.asarray(dir_mcmf, float))
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
        out = np.empty(o.shape[0])
        for k in range(o.shape[0]):
            out[k] = raycast(
                o[k],
                d[k],
                max_range_m,
                self.c_enu_mcmf,
                self.radius_ref_m,
                self.meta,
                self.offsets,
                self.heights,
            )
        out[out < 0.0] = np.nan
        return out

    def sample_grid(self, x0_m: float, y0_m: float, dx_m: float, nx: int, ny: int) -> np.ndarray:
        """Heights (ny, nx) on a regular grid of the map frame."""
        xs = x0_m + dx_m * np.arange(nx)
        ys = y0_m + dx_m * np.arange(ny)
        xx, yy = np.meshgrid(xs, ys)
        return self.height(xx, yy)
