"""Truth terrain builder: synthetic lunar terrain (or a DEM) on nested grids.

The terrain is a stack of regular height grids in the site map frame
(:mod:`surefoot.world.terrain.grid`), heights in m above the reference sphere:

- coarse: the bounding box of the ground track (from powered-descent
  initiation ``uprange_length_m`` back along the approach azimuth, to the
  site at the origin), widened by ``track_half_width_m``; its spacing grows
  (as a multiple of the medium spacing) when the box would exceed
  :data:`MAX_COARSE_NODES` nodes, as for a diagonal track;
- medium: a square of half width ``medium_half_width_m`` around the site;
- fine: a square of half width ``fine_half_width_m`` around the site, the only
  level with boulders.

Every level holds the undisturbed plain ``base_height_m``, the optional large
complex crater and every simple crater that the level resolves
(``D >= 4`` spacings; finer levels also get the craters of the coarser ones,
drawn at their own resolution). A finer level ``h_f`` is tied to the coarser
one ``h_c`` by

``h_f = I(h_c) + w (F - I(h_c))``,

where ``I`` is bilinear interpolation of the coarser level at the finer
nodes, ``F`` the finer level's own surface and ``w`` a smoothstep weight
that is 0 on the finer level's border and 1 inside a band of
:func:`taper_width`. Heights are therefore continuous across level borders
(exactly so when the coarser nodes are also finer nodes, as with the
default 100/10/1 m spacings).

Randomness: ``SeedSequence(cfg.seed).spawn(2)`` gives the crater and the
boulder streams; within each, fields are drawn per diameter octave and tile
(:mod:`surefoot.world.terrain.sfd`), so the same seed always gives the same
craters and boulders, whatever the track.

With ``cfg.source == "file"`` a DEM (:mod:`surefoot.world.terrain.dem_file`)
becomes the level above the coarse one, and the synthetic medium/fine
levels that are finer than the DEM add only what the DEM cannot hold
(craters below 4 DEM pixels, and boulders).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from surefoot.config.terrain import TerrainConfig
from surefoot.world.terrain.boulders import BOULDER_DTYPE, boulder_field, stamp_boulder_table
from surefoot.world.terrain.craters import (
    CRATER_DTYPE,
    crater_field,
    stamp_crater_table,
    stamp_large,
)
from surefoot.world.terrain.dem_file import DemFootprint, DemGrid, DemSite, load_dem
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.terrain.sfd import Bounds

MAX_COARSE_NODES = 5_000_000
"""Node budget of the coarse level; a larger track box gets a coarser spacing."""

MIN_CELLS_PER_DIAMETER = 4.0
"""A level resolves (and stamps) craters at least this many grid spacings across."""


@dataclass(frozen=True)
class LevelSpec:
    """Geometry of one level: nodes ``(x0 + i dx, y0 + j dx)``, site map frame (m)."""

    name: str
    x0_m: float
    y0_m: float
    dx_m: float
    nx: int
    ny: int
    taper_m: float = 0.0

    @property
    def bounds(self) -> Bounds:
        """``(x_min, x_max, y_min, y_max)`` of the nodes, m."""
        return (
            self.x0_m,
            self.x0_m + (self.nx - 1) * self.dx_m,
            self.y0_m,
            self.y0_m + (self.ny - 1) * self.dx_m,
        )

    @property
    def interior(self) -> Bounds:
        """The part of the level where the taper weight is 1, m."""
        x0, x1, y0, y1 = self.bounds
        t = self.taper_m
        return (x0 + t, x1 - t, y0 + t, y1 - t)

    @property
    def resolved_diameter_m(self) -> float:
        """Smallest crater diameter this level stamps, m."""
        return MIN_CELLS_PER_DIAMETER * self.dx_m


@dataclass(frozen=True)
class TerrainBuild:
    """A built terrain with the features that were placed on it.

    Attributes
    ----------
    grids : TerrainGrids
        The nested height grids (what the simulator queries).
    levels : tuple of LevelSpec
        Geometry of each level, coarse first.
    craters : ndarray of CRATER_DTYPE
        Every simple crater stamped on some level, each once, with ``level``
        the coarsest level that holds it (map frame, m). With a DEM, coarse
        craters centred inside the DEM's untapered part are left out (the
        DEM replaces them there).
    boulders : ndarray of BOULDER_DTYPE
        Every boulder stamped on the fine level (map frame, m).
    timings_s : dict
        Wall time of each build stage, s.
    """

    grids: TerrainGrids
    levels: tuple[LevelSpec, ...]
    craters: np.ndarray
    boulders: np.ndarray
    timings_s: dict[str, float] = field(default_factory=dict)


def _snap(name: str, box: Bounds, dx: float, taper_m: float = 0.0) -> LevelSpec:
    """Smallest grid with nodes on multiples of ``dx`` that covers ``box``."""
    x_min, x_max, y_min, y_max = box
    x0 = math.floor(x_min / dx + 1e-9) * dx
    y0 = math.floor(y_min / dx + 1e-9) * dx
    nx = max(2, math.ceil((x_max - x0) / dx - 1e-9) + 1)
    ny = max(2, math.ceil((y_max - y0) / dx - 1e-9) + 1)
    return LevelSpec(name, x0, y0, dx, nx, ny, taper_m)


def taper_width(half_width_m: float, coarser_dx_m: float) -> float:
    """Width (m) of the band along a level's border that blends it into the coarser level.

    A tenth of the level's half width, at least 4 coarser spacings, at most
    half the half width.
    """
    return min(max(0.1 * half_width_m, 4.0 * coarser_dx_m), 0.5 * half_width_m)


def track_box(approach_azimuth_rad: float, uprange_length_m: float, half_width_m: float) -> Bounds:
    """Bounding box (m, map frame) of the ground track widened by ``half_width_m``.

    The track is the great circle through the site along the approach
    azimuth, which the azimuthal-equidistant map frame draws as the straight
    segment from ``-L (sin az, cos az)`` to the origin, lengths preserved.
    """
    ex = -uprange_length_m * math.sin(approach_azimuth_rad)
    ey = -uprange_length_m * math.cos(approach_azimuth_rad)
    return (
        min(ex, 0.0) - half_width_m,
        max(ex, 0.0) + half_width_m,
        min(ey, 0.0) - half_width_m,
        max(ey, 0.0) + half_width_m,
    )


def _union(a: Bounds, b: Bounds) -> Bounds:
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def coarse_spec(cfg: TerrainConfig, box: Bounds) -> LevelSpec:
    """Coarse level over ``box``; spacing grown to fit :data:`MAX_COARSE_NODES`.

    A grown spacing stays a whole multiple of ``cfg.medium_spacing_m`` so that
    coarse nodes remain medium nodes (exact continuity at the medium border).
    """
    dx = cfg.coarse_spacing_m
    spec = _snap("coarse", box, dx)
    while spec.nx * spec.ny > MAX_COARSE_NODES:
        w = box[1] - box[0]
        h = box[3] - box[2]
        need = max(math.sqrt(w * h / MAX_COARSE_NODES), dx * 1.05)
        dx = math.ceil(need / cfg.medium_spacing_m) * cfg.medium_spacing_m
        spec = _snap("coarse", box, dx)
    return spec


def _site_box(half_width_m: float) -> Bounds:
    return (-half_width_m, half_width_m, -half_width_m, half_width_m)


def _intersect(a: Bounds, b: Bounds) -> Bounds | None:
    out = (max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3]))
    if out[1] <= out[0] or out[3] <= out[2]:
        return None
    return out


@njit(cache=True, inline="always")
def _smoothstep(t: float) -> float:
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return t * t * (3.0 - 2.0 * t)


@njit(cache=True, parallel=True)
def blend_into_coarser(
    h: np.ndarray,
    x0_m: float,
    y0_m: float,
    dx_m: float,
    hc: np.ndarray,
    xc0_m: float,
    yc0_m: float,
    dxc_m: float,
    taper_m: float,
    additive: bool,
) -> None:
    """Tie a finer level to the coarser one, in place.

    ``h <- w h + (1 - w) I`` (or ``h <- I + w h`` when ``additive``, i.e. ``h``
    holds only detail), where ``I`` is the bilinear interpolation of the
    coarser grid ``hc`` at the finer nodes and ``w = s(dx_edge) s(dy_edge)``
    with ``s`` the smoothstep of the distance to the finer level's border
    over ``taper_m``.

    Parameters
    ----------
    h : (ny, nx) float64
        Finer level heights (m), nodes ``(x0 + i dx, y0 + j dx)`` in the map frame.
    x0_m, y0_m, dx_m : float
        Finer grid origin and spacing, m.
    hc : (nyc, nxc) float64
        Coarser level heights (m).
    xc0_m, yc0_m, dxc_m : float
        Coarser grid origin and spacing, m.
    taper_m : float
        Width of the blending band, m (> 0).
    additive : bool
        ``h`` holds detail to add rather than a full surface.
    """
    ny, nx = h.shape
    nyc, nxc = hc.shape
    x1 = x0_m + (nx - 1) * dx_m
    y1 = y0_m + (ny - 1) * dx_m
    inv_t = 1.0 / taper_m
    for j in prange(ny):
        y = y0_m + j * dx_m
        wy = _smoothstep(min(y - y0_m, y1 - y) * inv_t)
        fy = min(max((y - yc0_m) / dxc_m, 0.0), nyc - 1.0)
        jc = min(int(fy), nyc - 2)
        ty = fy - jc
        for i in range(nx):
            x = x0_m + i * dx_m
            fx = min(max((x - xc0_m) / dxc_m, 0.0), nxc - 1.0)
            ic = min(int(fx), nxc - 2)
            tx = fx - ic
            hi = (1.0 - ty) * ((1.0 - tx) * hc[jc, ic] + tx * hc[jc, ic + 1]) + ty * (
                (1.0 - tx) * hc[jc + 1, ic] + tx * hc[jc + 1, ic + 1]
            )
            w = wy * _smoothstep(min(x - x0_m, x1 - x) * inv_t)
            if additive:
                h[j, i] = hi + w * h[j, i]
            else:
                # This form keeps h exactly where w = 1 and hi exactly where w = 0.
                h[j, i] = w * h[j, i] + (1.0 - w) * hi


def _crater_rows(
    cfg: TerrainConfig,
    spec: LevelSpec,
    crater_ss: np.random.SeedSequence,
    d_lo_m: float,
    d_hi_m: float = math.inf,
) -> np.ndarray:
    pop = cfg.craters
    if pop.density_per_km2_above_1km <= 0.0:
        return np.empty(0, dtype=CRATER_DTYPE)
    return crater_field(pop, spec.bounds, crater_ss, d_lo_m, d_hi_m)


def _allocate(specs: list[LevelSpec]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    meta = np.zeros((len(specs), 5))
    offsets = np.zeros(len(specs) + 1, dtype=np.int64)
    for k, s in enumerate(specs):
        meta[k] = (s.x0_m, s.y0_m, s.dx_m, s.nx, s.ny)
        offsets[k + 1] = offsets[k] + s.nx * s.ny
    heights = np.empty(int(offsets[-1]))
    views = [heights[offsets[k] : offsets[k + 1]].reshape(s.ny, s.nx) for k, s in enumerate(specs)]
    return meta, offsets, heights, views


def generate_terrain(
    cfg: TerrainConfig,
    *,
    site_lat_rad: float,
    site_lon_rad: float,
    radius_ref_m: float,
    approach_azimuth_rad: float,
    uprange_length_m: float,
) -> TerrainBuild:
    """Build the truth terrain and return it with its crater and boulder tables.

    Parameters are those of :func:`build_terrain`.

    Returns
    -------
    TerrainBuild
    """
    if not (math.isfinite(uprange_length_m) and uprange_length_m >= 0.0):
        raise ValueError(f"uprange_length_m must be finite and >= 0 (got {uprange_length_m})")
    if not math.isfinite(approach_azimuth_rad):
        raise ValueError(f"approach_azimuth_rad must be finite (got {approach_azimuth_rad})")
    if cfg.source == "file":
        return _generate_from_dem(
            cfg,
            site_lat_rad=site_lat_rad,
            site_lon_rad=site_lon_rad,
            radius_ref_m=radius_ref_m,
            approach_azimuth_rad=approach_azimuth_rad,
            uprange_length_m=uprange_length_m,
        )
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    crater_ss, boulder_ss = np.random.SeedSequence(cfg.seed).spawn(2)

    medium_box = _site_box(cfg.medium_half_width_m)
    box = _union(
        track_box(approach_azimuth_rad, uprange_length_m, cfg.track_half_width_m), medium_box
    )
    coarse = coarse_spec(cfg, box)
    medium = _snap(
        "medium",
        medium_box,
        cfg.medium_spacing_m,
        taper_width(cfg.medium_half_width_m, coarse.dx_m),
    )
    fine = _snap(
        "fine",
        _site_box(cfg.fine_half_width_m),
        cfg.fine_spacing_m,
        taper_width(cfg.fine_half_width_m, medium.dx_m),
    )
    specs = [coarse, medium, fine]
    meta, offsets, heights, views = _allocate(specs)
    timings["allocate"] = time.perf_counter() - t_start

    tables = []
    b = np.empty(0, dtype=BOULDER_DTYPE)
    d_res = [s.resolved_diameter_m for s in specs]
    for k, (spec, h) in enumerate(zip(specs, views, strict=True)):
        t0 = time.perf_counter()
        h.fill(cfg.base_height_m)
        if cfg.large_crater is not None:
            stamp_large(h, spec.x0_m, spec.y0_m, spec.dx_m, cfg.large_crater)
        rows = _crater_rows(cfg, spec, crater_ss, d_res[k])
        stamp_crater_table(
            h, spec.x0_m, spec.y0_m, spec.dx_m, rows, cfg.craters.ejecta_extent_radii
        )
        new = rows if k == 0 else rows[rows["diameter_m"] < d_res[k - 1]]
        new = new.copy()
        new["level"] = k
        tables.append(new)
        if spec.name == "fine":
            b = _boulders(cfg, spec, boulder_ss)
            stamp_boulder_table(h, spec.x0_m, spec.y0_m, spec.dx_m, b)
        if k > 0:
            c = specs[k - 1]
            blend_into_coarser(
                h,
                spec.x0_m,
                spec.y0_m,
                spec.dx_m,
                views[k - 1],
                c.x0_m,
                c.y0_m,
                c.dx_m,
                spec.taper_m,
                False,
            )
        timings[spec.name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    grids = TerrainGrids(meta, offsets, heights, site_lat_rad, site_lon_rad, radius_ref_m)
    timings["grids"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    return TerrainBuild(grids, tuple(specs), np.concatenate(tables), b, timings)


def _boulders(
    cfg: TerrainConfig, spec: LevelSpec, boulder_ss: np.random.SeedSequence
) -> np.ndarray:
    """Boulders with centres in the untapered interior of the fine level."""
    box = _intersect(spec.interior, spec.bounds)
    if box is None or cfg.boulders.density_per_m2_above_1m <= 0.0:
        return np.empty(0, dtype=BOULDER_DTYPE)
    return boulder_field(cfg.boulders, box, boulder_ss)


def _edge_median(h: np.ndarray) -> float:
    edge = np.concatenate([h[0, :], h[-1, :], h[1:-1, 0], h[1:-1, -1]])
    return float(np.median(edge))


def _generate_from_dem(
    cfg: TerrainConfig,
    *,
    site_lat_rad: float,
    site_lon_rad: float,
    radius_ref_m: float,
    approach_azimuth_rad: float,
    uprange_length_m: float,
) -> TerrainBuild:
    """Coarse synthetic level over the track, the DEM on it, synthetic detail finer than the DEM."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    needed = _union(
        track_box(approach_azimuth_rad, uprange_length_m, cfg.track_half_width_m),
        _site_box(cfg.medium_half_width_m),
    )
    site = DemSite(
        site_lat_rad,
        site_lon_rad,
        radius_ref_m,
        cfg.dem_site_easting_m,
        cfg.dem_site_northing_m,
        needed,
    )
    dem: DemGrid = load_dem(cfg.dem_file or "", pixel_m=cfg.dem_pixel_m, site=site)
    timings["load_dem"] = time.perf_counter() - t_start
    crater_ss, boulder_ss = np.random.SeedSequence(cfg.seed).spawn(2)
    base = (
        cfg.base_height_m
        if "base_height_m" in cfg.model_fields_set
        else _edge_median(dem.heights_m)
    )
    dem_box = dem.bounds
    box = _union(needed, dem_box)
    coarse = coarse_spec(cfg, box)
    ny_d, nx_d = dem.heights_m.shape
    dem_half = 0.5 * min(dem_box[1] - dem_box[0], dem_box[3] - dem_box[2])
    dem_spec = LevelSpec(
        "dem", dem.x0_m, dem.y0_m, dem.pixel_m, nx_d, ny_d, taper_width(dem_half, coarse.dx_m)
    )
    specs = [coarse, dem_spec]
    prev = dem_spec
    for name, dx, hw in (
        ("medium", cfg.medium_spacing_m, cfg.medium_half_width_m),
        ("fine", cfg.fine_spacing_m, cfg.fine_half_width_m),
    ):
        if dx >= prev.dx_m:
            continue
        inner = _intersect(_site_box(hw), prev.interior)
        if inner is None:
            continue
        s = _snap(name, inner, dx)
        if s.nx < 4 or s.ny < 4:
            continue
        half = 0.5 * min(inner[1] - inner[0], inner[3] - inner[2])
        s = LevelSpec(name, s.x0_m, s.y0_m, dx, s.nx, s.ny, taper_width(half, prev.dx_m))
        specs.append(s)
        prev = s
    meta, offsets, heights, views = _allocate(specs)

    tables = []
    b = np.empty(0, dtype=BOULDER_DTYPE)
    t0 = time.perf_counter()
    h = views[0]
    h.fill(base)
    if cfg.large_crater is not None:
        stamp_large(h, coarse.x0_m, coarse.y0_m, coarse.dx_m, cfg.large_crater)
    rows = _crater_rows(cfg, coarse, crater_ss, coarse.resolved_diameter_m)
    stamp_crater_table(
        h, coarse.x0_m, coarse.y0_m, coarse.dx_m, rows, cfg.craters.ejecta_extent_radii
    )
    # Craters centred where the DEM is untapered are not in the truth terrain: leave them out.
    di = dem_spec.interior
    hidden = (rows["x_m"] > di[0]) & (rows["x_m"] < di[1])
    hidden &= (rows["y_m"] > di[2]) & (rows["y_m"] < di[3])
    rows = rows[~hidden].copy()
    rows["level"] = 0
    tables.append(rows)
    timings["coarse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    views[1][...] = dem.heights_m
    blend_into_coarser(
        views[1],
        dem_spec.x0_m,
        dem_spec.y0_m,
        dem_spec.dx_m,
        views[0],
        coarse.x0_m,
        coarse.y0_m,
        coarse.dx_m,
        dem_spec.taper_m,
        False,
    )
    timings["dem"] = time.perf_counter() - t0

    for k in range(2, len(specs)):
        t0 = time.perf_counter()
        spec, c = specs[k], specs[k - 1]
        h = views[k]
        h.fill(0.0)
        rows = _crater_rows(cfg, spec, crater_ss, spec.resolved_diameter_m, c.resolved_diameter_m)
        stamp_crater_table(
            h, spec.x0_m, spec.y0_m, spec.dx_m, rows, cfg.craters.ejecta_extent_radii
        )
        rows = rows.copy()
        rows["level"] = k
        tables.append(rows)
        if spec.name == "fine":
            b = _boulders(cfg, spec, boulder_ss)
            stamp_boulder_table(h, spec.x0_m, spec.y0_m, spec.dx_m, b)
        blend_into_coarser(
            h,
            spec.x0_m,
            spec.y0_m,
            spec.dx_m,
            views[k - 1],
            c.x0_m,
            c.y0_m,
            c.dx_m,
            spec.taper_m,
            True,
        )
        timings[spec.name] = time.perf_counter() - t0
    footprint = DemFootprint(
        cfg.dem_file or "", dem.placement, dem_box, dem.pixel_m, dem_spec.taper_m
    )
    grids = TerrainGrids(
        meta, offsets, heights, site_lat_rad, site_lon_rad, radius_ref_m, dem=footprint
    )
    timings["total"] = time.perf_counter() - t_start
    return TerrainBuild(grids, tuple(specs), np.concatenate(tables), b, timings)


def build_terrain(
    cfg: TerrainConfig,
    *,
    site_lat_rad: float,
    site_lon_rad: float,
    radius_ref_m: float,
    approach_azimuth_rad: float,
    uprange_length_m: float,
) -> TerrainGrids:
    """Truth terrain for a scenario: nested height grids over the mean sphere.

    Parameters
    ----------
    cfg : TerrainConfig
        Terrain section of the scenario (synthetic generator or DEM file).
    site_lat_rad, site_lon_rad : float
        Selenographic latitude and longitude of the site, rad (map origin).
    radius_ref_m : float
        Reference sphere radius, m (heights are above it).
    approach_azimuth_rad : float
        Direction of travel over the ground, rad from north, clockwise
        (pi/2: flying east).
    uprange_length_m : float
        Ground distance from powered-descent initiation to the site, m.

    Returns
    -------
    TerrainGrids
        Coarse, medium and fine levels (or coarse, DEM and any synthetic
        detail levels finer than the DEM), heights in m.

    Raises
    ------
    surefoot.config.loader.ConfigError
        For a DEM file that is missing or malformed.

    See Also
    --------
    generate_terrain : the same build, with its crater and boulder tables.
    """
    return generate_terrain(
        cfg,
        site_lat_rad=site_lat_rad,
        site_lon_rad=site_lon_rad,
        radius_ref_m=radius_ref_m,
        approach_azimuth_rad=approach_azimuth_rad,
        uprange_length_m=uprange_length_m,
    ).grids
