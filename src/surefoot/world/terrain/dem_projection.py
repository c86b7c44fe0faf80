"""Map projections of lunar DEMs on the Moon sphere, and the site map frame.

A DEM tile referenced by latitude and longitude is read with its projection
and resampled onto the site map frame (:mod:`surefoot.math.frames`:
azimuthal-equidistant about the site, x east and y north along the reference
sphere, the frame of the terrain grids; within a few km of the site it is the
east/north plane of the site's ENU frame to better than 1e-6 relative).

Projections (all on a sphere; the lunar products use R = 1737.4 km):

- ``geographic``: longitude and latitude in degrees (GeoTIFF model type 2);
- ``equirectangular`` (simple cylindrical, LOLA's "SIMPLE CYLINDRICAL"):
  Snyder (1987), *Map Projections: A Working Manual*, USGS PP 1395, eqs.
  12-1 to 12-3: ``x = R (lon - lon0) cos(lat_ts)``, ``y = R (lat - lat0)``;
- ``polar_stereographic``: Snyder eqs. 21-5 to 21-9 (north) and 21-11 to
  21-13 (south), ``rho = 2 R k0 tan(pi/4 -+ lat/2)``, with ``k0`` the scale at
  the pole or ``k0 = (1 + |sin lat_ts|) / 2`` from a latitude of true scale;
- the site map frame: Snyder eqs. 25-2 to 25-5 and 20-14 to 20-16
  (azimuthal equidistant, sphere).

Why written here instead of calling PROJ (pyproj): each projection is a few
lines of closed-form spherical trigonometry, the GeoTIFF's GeoKeys must be
read by hand anyway (pyproj does not read GeoTIFF tags, and rasterio would
bring GDAL, a large native dependency, to every install), and a run must not
depend on an optional package being present. pyproj is the independent
reference in the tests (``tests/world/test_dem_projection.py``, optional
extra ``geo``), which check every formula to far below a pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import map_coordinates

from surefoot.math.geotiff_georef import RasterAffine

MOON_RADIUS_M = 1_737_400.0
"""IAU mean radius of the Moon, m: the sphere of the LOLA products."""

MAX_RESAMPLED_NODES = 25_000_000
"""Largest DEM grid produced by resampling (200 MB of heights)."""

MASK_NODES_PER_SIDE = 256
"""Resolution of the coverage mask used to find the DEM's rectangle in the site frame."""

ProjectionKind = Literal["geographic", "equirectangular", "polar_stereographic"]


class DemProjectionError(ValueError):
    """A projection or a resampling that cannot be done; the message says why (one line)."""


def _wrap_pi(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2.0 * np.pi) - np.pi


@dataclass(frozen=True)
class MoonProjection:
    """A map projection of the Moon sphere (see the module docstring).

    Attributes
    ----------
    kind : str
        ``"geographic"``, ``"equirectangular"`` or ``"polar_stereographic"``.
    radius_m : float
        Sphere radius, m.
    lon0_rad, lat0_rad : float
        Central meridian and latitude of origin (equirectangular), rad.
    lat_ts_rad : float
        Standard parallel (equirectangular: true scale; ``cos`` of it scales x), rad.
    k0 : float
        Polar stereographic scale factor at the pole.
    south : bool
        Polar stereographic about the south pole.
    false_easting_m, false_northing_m : float
        Added to projected x and y, m.
    """

    kind: ProjectionKind
    radius_m: float = MOON_RADIUS_M
    lon0_rad: float = 0.0
    lat0_rad: float = 0.0
    lat_ts_rad: float = 0.0
    k0: float = 1.0
    south: bool = False
    false_easting_m: float = 0.0
    false_northing_m: float = 0.0

    def describe(self) -> str:
        """One line naming the projection and its parameters (degrees, km)."""
        r = f"R {self.radius_m / 1e3:g} km"
        if self.kind == "geographic":
            return f"longitude/latitude in degrees on the sphere of {r}"
        if self.kind == "equirectangular":
            return (
                f"equirectangular (lon0 {math.degrees(self.lon0_rad):g} deg, standard parallel "
                f"{math.degrees(self.lat_ts_rad):g} deg, {r})"
            )
        pole = "south" if self.south else "north"
        return (
            f"polar stereographic ({pole} pole, lon0 {math.degrees(self.lon0_rad):g} deg, "
            f"k0 {self.k0:.6g}, {r})"
        )

    def forward(
        self, lat_rad: np.ndarray, lon_rad: np.ndarray, lon_centre_rad: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Projected ``(x, y)`` (m; degrees for ``geographic``) of points on the sphere.

        ``lon_centre_rad`` (a longitude inside the tile) chooses which turn of
        the longitude is meant: ``lon - lon_centre`` is taken in ``[-pi, pi)``.
        """
        lat = np.asarray(lat_rad, dtype=float)
        lon = np.asarray(lon_rad, dtype=float)
        c = self.lon0_rad if lon_centre_rad is None else lon_centre_rad
        dlon = _wrap_pi(lon - c) + (c - self.lon0_rad)
        if self.kind == "geographic":
            return np.degrees(self.lon0_rad + dlon), np.degrees(lat)
        r = self.radius_m
        if self.kind == "equirectangular":
            x = r * dlon * math.cos(self.lat_ts_rad)
            y = r * (lat - self.lat0_rad)
        elif self.south:
            rho = 2.0 * r * self.k0 * np.tan(0.25 * np.pi + 0.5 * lat)
            x = rho * np.sin(dlon)
            y = rho * np.cos(dlon)
        else:
            rho = 2.0 * r * self.k0 * np.tan(0.25 * np.pi - 0.5 * lat)
            x = rho * np.sin(dlon)
            y = -rho * np.cos(dlon)
        return x + self.false_easting_m, y + self.false_northing_m

    def inverse(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(lat_rad, lon_rad)`` of projected points (inverse of :meth:`forward`)."""
        if self.kind == "geographic":
            return np.radians(np.asarray(y, float)), np.radians(np.asarray(x, float))
        r = self.radius_m
        xe = np.asarray(x, dtype=float) - self.false_easting_m
        yn = np.asarray(y, dtype=float) - self.false_northing_m
        if self.kind == "equirectangular":
            return yn / r + self.lat0_rad, self.lon0_rad + xe / (r * math.cos(self.lat_ts_rad))
        rho = np.hypot(xe, yn)
        c = 2.0 * np.arctan(rho / (2.0 * r * self.k0))
        if self.south:
            return c - 0.5 * np.pi, self.lon0_rad + np.arctan2(xe, yn)
        return 0.5 * np.pi - c, self.lon0_rad + np.arctan2(xe, -yn)


def site_map_forward(
    lat_rad: np.ndarray,
    lon_rad: np.ndarray,
    site_lat_rad: float,
    site_lon_rad: float,
    radius_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Site map ``(x_east_m, y_north_m)`` of points on the sphere (azimuthal
    equidistant about the site; Snyder eqs. 25-2, 22-4 to 22-5 with ``k' = c / sin c``)."""
    lat = np.asarray(lat_rad, dtype=float)
    dlon = np.asarray(lon_rad, dtype=float) - site_lon_rad
    s1, c1 = math.sin(site_lat_rad), math.cos(site_lat_rad)
    sl, cl = np.sin(lat), np.cos(lat)
    cd = np.cos(dlon)
    east = cl * np.sin(dlon)
    north = c1 * sl - s1 * cl * cd
    up = s1 * sl + c1 * cl * cd
    s = np.hypot(east, north)
    ang = np.arctan2(s, up)
    k = radius_m * np.divide(ang, s, out=np.ones_like(s), where=s > 1e-15)
    return k * east, k * north


def site_map_inverse(
    x_east_m: np.ndarray,
    y_north_m: np.ndarray,
    site_lat_rad: float,
    site_lon_rad: float,
    radius_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(lat_rad, lon_rad)`` of site map points (Snyder eqs. 20-14, 20-15, 25-15)."""
    x = np.asarray(x_east_m, dtype=float)
    y = np.asarray(y_north_m, dtype=float)
    rho = np.hypot(x, y)
    c = rho / radius_m
    s1, c1 = math.sin(site_lat_rad), math.cos(site_lat_rad)
    sc, cc = np.sin(c), np.cos(c)
    y_over = np.divide(y * sc, rho, out=np.zeros_like(rho), where=rho > 0.0)
    lat = np.arcsin(np.clip(cc * s1 + y_over * c1, -1.0, 1.0))
    lon = site_lon_rad + np.arctan2(x * sc, rho * c1 * cc - y * s1 * sc)
    return lat, lon


@dataclass(frozen=True)
class SiteFrameResampling:
    """Where a tile's pixels fall in the site map frame.

    ``colrow(x, y)`` gives the tile's fractional (column, row from the top)
    of site map points; ``map_xy(col, row)`` the reverse.
    """

    affine: RasterAffine
    projection: MoonProjection
    site_lat_rad: float
    site_lon_rad: float
    radius_ref_m: float
    lon_centre_rad: float

    def colrow(self, x_east_m: np.ndarray, y_north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat, lon = site_map_inverse(
            x_east_m, y_north_m, self.site_lat_rad, self.site_lon_rad, self.radius_ref_m
        )
        px, py = self.projection.forward(lat, lon, self.lon_centre_rad)
        return self.affine.raster_colrow(px, py)

    def map_xy(self, col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        px, py = self.affine.model_xy(col, row)
        lat, lon = self.projection.inverse(px, py)
        return site_map_forward(lat, lon, self.site_lat_rad, self.site_lon_rad, self.radius_ref_m)


def site_frame_mapping(
    affine: RasterAffine,
    projection: MoonProjection,
    shape: tuple[int, int],
    site_lat_rad: float,
    site_lon_rad: float,
    radius_ref_m: float,
) -> SiteFrameResampling:
    """The mapping between a tile of ``shape`` (ny, nx) and the site map frame.

    Raises
    ------
    DemProjectionError
        The tile reaches beyond a pole or its centre is not a point of the sphere.
    """
    ny, nx = shape
    corners_c = np.array([0.0, nx - 1.0, 0.0, nx - 1.0, 0.5 * (nx - 1)])
    corners_r = np.array([0.0, 0.0, ny - 1.0, ny - 1.0, 0.5 * (ny - 1)])
    lat, lon = projection.inverse(*affine.model_xy(corners_c, corners_r))
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
        raise DemProjectionError("its corners are not points of the Moon sphere")
    if projection.kind != "polar_stereographic" and np.max(np.abs(lat)) > 0.5 * np.pi + 1e-9:
        raise DemProjectionError(
            f"reaches latitude {math.degrees(float(np.max(np.abs(lat)))):.4g} deg "
            "(beyond a pole): check the tie point and pixel scale"
        )
    return SiteFrameResampling(
        affine, projection, site_lat_rad, site_lon_rad, radius_ref_m, float(lon[4])
    )


def _largest_rectangle(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(j0, j1, i0, i1)`` (inclusive) of the largest all-True rectangle of ``mask``."""
    ny, nx = mask.shape
    heights = np.zeros(nx, dtype=np.int64)
    best_area = 0
    best: tuple[int, int, int, int] | None = None
    for j in range(ny):
        heights = np.where(mask[j], heights + 1, 0)
        stack: list[tuple[int, int]] = []
        for i in range(nx + 1):
            h = int(heights[i]) if i < nx else 0
            start = i
            while stack and stack[-1][1] >= h:
                s, sh = stack.pop()
                area = sh * (i - s)
                if area > best_area:
                    best_area, best = area, (j - sh + 1, j, s, i - 1)
                start = s
            stack.append((start, h))
    return best


def _inside(col: np.ndarray, row: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    ny, nx = shape
    eps = 1e-6
    ok = np.isfinite(col) & np.isfinite(row)
    return ok & (col >= -eps) & (col <= nx - 1 + eps) & (row >= -eps) & (row <= ny - 1 + eps)


def ground_pixel_m(mapping: SiteFrameResampling, col: float, row: float) -> float:
    """Square root of the ground area (m^2) of one tile pixel at (col, row)."""
    c = np.array([col, col + 1.0, col])
    r = np.array([row, row, row + 1.0])
    x, y = mapping.map_xy(c, r)
    area = abs((x[1] - x[0]) * (y[2] - y[0]) - (y[1] - y[0]) * (x[2] - x[0]))
    return math.sqrt(area)


def resample_to_site_frame(
    heights_file_order: np.ndarray,
    mapping: SiteFrameResampling,
    region_m: tuple[float, float, float, float] | None,
    spacing_m: float | None = None,
) -> tuple[np.ndarray, float, float, float]:
    """Bilinear resampling of a tile onto a regular grid of the site map frame.

    The grid is the largest axis-aligned rectangle of the site map frame that
    the tile covers (inside ``region_m``, ``(x_min, x_max, y_min, y_max)`` m,
    when given), at ``spacing_m`` or, by default, the tile's ground pixel size
    (square root of a pixel's ground area) at the centre of that area.

    Parameters
    ----------
    heights_file_order : (ny, nx) float64
        Heights, m; row 0 is the first row of the file (the top).
    mapping : SiteFrameResampling
        From :func:`site_frame_mapping`.
    region_m : tuple of float or None
        Part of the site map frame that is wanted, m.
    spacing_m : float, optional
        Node spacing of the result, m.

    Returns
    -------
    heights_m, x0_m, y0_m, spacing_m
        Heights ``(ny, nx)`` with row 0 south, the map position of node
        ``[0, 0]`` (south-west) and the spacing, m.

    Raises
    ------
    DemProjectionError
        The tile does not cover any of ``region_m``, covers too little of it
        for a grid of 4 x 4 nodes, or the grid would exceed
        :data:`MAX_RESAMPLED_NODES`.
    """
    shape = heights_file_order.shape
    ny_s, nx_s = shape
    # Footprint of the tile in the site frame: its border, densely sampled.
    n_edge = 400
    t_c = np.linspace(0.0, nx_s - 1.0, n_edge)
    t_r = np.linspace(0.0, ny_s - 1.0, n_edge)
    bc = np.concatenate([t_c, t_c, np.zeros(n_edge), np.full(n_edge, nx_s - 1.0)])
    br = np.concatenate([np.zeros(n_edge), np.full(n_edge, ny_s - 1.0), t_r, t_r])
    fx, fy = mapping.map_xy(bc, br)
    if not (np.all(np.isfinite(fx)) and np.all(np.isfinite(fy))):
        raise DemProjectionError("its edge does not map onto the site frame")
    box = (float(fx.min()), float(fx.max()), float(fy.min()), float(fy.max()))
    if region_m is not None:
        box = (
            max(box[0], region_m[0]),
            min(box[1], region_m[1]),
            max(box[2], region_m[2]),
            min(box[3], region_m[3]),
        )
        if box[1] <= box[0] or box[3] <= box[2]:
            raise DemProjectionError(
                f"does not reach the area the landing needs (x {region_m[0] / 1e3:.1f} to "
                f"{region_m[1] / 1e3:.1f} km, y {region_m[2] / 1e3:.1f} to "
                f"{region_m[3] / 1e3:.1f} km of the site): it lies "
                f"{_distance_km(fx, fy):.1f} km from the site at its nearest"
            )
    if spacing_m is None:
        cc, rr = mapping.colrow(0.5 * (box[0] + box[1]), 0.5 * (box[2] + box[3]))
        cc = float(np.clip(np.nan_to_num(cc), 0.0, nx_s - 2.0))
        rr = float(np.clip(np.nan_to_num(rr), 0.0, ny_s - 2.0))
        spacing_m = ground_pixel_m(mapping, cc, rr)
    if not (math.isfinite(spacing_m) and spacing_m > 0.0):
        raise DemProjectionError(f"has a ground pixel size of {spacing_m!r} m")
    # Coverage mask on a coarse grid, and its largest rectangle.
    step = max(spacing_m, max(box[1] - box[0], box[3] - box[2]) / MASK_NODES_PER_SIDE)
    mx = np.arange(box[0], box[1] + 0.5 * step, step)
    my = np.arange(box[2], box[3] + 0.5 * step, step)
    gx, gy = np.meshgrid(mx, my)
    mask = _inside(*mapping.colrow(gx, gy), shape)
    rect = _largest_rectangle(mask)
    if rect is None or rect[1] == rect[0] or rect[3] == rect[2]:
        raise DemProjectionError("covers too little of the area the landing needs")
    j0, j1, i0, i1 = rect
    x_lo, x_hi, y_lo, y_hi = mx[i0], mx[i1], my[j0], my[j1]
    nx = int(math.floor((x_hi - x_lo) / spacing_m + 1e-9)) + 1
    ny = int(math.floor((y_hi - y_lo) / spacing_m + 1e-9)) + 1
    if nx * ny > MAX_RESAMPLED_NODES:
        raise DemProjectionError(
            f"would need {nx} x {ny} nodes at {spacing_m:.4g} m (at most "
            f"{MAX_RESAMPLED_NODES}); set terrain.dem_pixel_m larger"
        )
    x0 = 0.5 * (x_lo + x_hi) - 0.5 * (nx - 1) * spacing_m
    y0 = 0.5 * (y_lo + y_hi) - 0.5 * (ny - 1) * spacing_m
    xs = x0 + spacing_m * np.arange(nx)
    out = np.empty((ny, nx))
    inside = np.empty((ny, nx), dtype=bool)
    rows_per_chunk = max(1, 1_000_000 // nx)
    for j_start in range(0, ny, rows_per_chunk):
        ys = y0 + spacing_m * np.arange(j_start, min(ny, j_start + rows_per_chunk))
        cx, cy = np.meshgrid(xs, ys)
        col, row = mapping.colrow(cx, cy)
        inside[j_start : j_start + ys.size] = _inside(col, row, shape)
        col = np.clip(np.nan_to_num(col), 0.0, nx_s - 1.0)
        row = np.clip(np.nan_to_num(row), 0.0, ny_s - 1.0)
        out[j_start : j_start + ys.size] = map_coordinates(
            heights_file_order, [row.ravel(), col.ravel()], order=1, mode="nearest"
        ).reshape(col.shape)
    # The footprint's edges may bow inwards between mask nodes: trim them off.
    a, b, c, d = 0, ny - 1, 0, nx - 1
    while a < b and c < d and not inside[a : b + 1, c : d + 1].all():
        edges = (
            (~inside[a, c : d + 1]).sum(),
            (~inside[b, c : d + 1]).sum(),
            (~inside[a : b + 1, c]).sum(),
            (~inside[a : b + 1, d]).sum(),
        )
        k = int(np.argmax(edges))
        a, b, c, d = a + (k == 0), b - (k == 1), c + (k == 2), d - (k == 3)
    if b - a < 3 or d - c < 3:
        raise DemProjectionError("covers too little of the area the landing needs")
    return (
        np.ascontiguousarray(out[a : b + 1, c : d + 1]),
        float(x0 + c * spacing_m),
        float(y0 + a * spacing_m),
        float(spacing_m),
    )


def _distance_km(fx: np.ndarray, fy: np.ndarray) -> float:
    return float(np.min(np.hypot(fx, fy))) / 1e3
