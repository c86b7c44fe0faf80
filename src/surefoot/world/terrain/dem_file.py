"""Digital elevation models from files: ``.npy``, ``.npz`` and GeoTIFF.

Heights are m above the reference sphere (as in LOLA products, relative to
1737.4 km), on square pixels, and become one level of the truth terrain in
the site map frame (:mod:`surefoot.world.terrain.synthetic`).

Formats and orientation:

- ``.npy``: one 2-D array of heights indexed ``[j, i]`` with ``j`` growing to
  the north and ``i`` to the east (the order of
  :meth:`TerrainGrids.level <surefoot.world.terrain.grid.TerrainGrids.level>`);
  the pixel size comes from ``terrain.dem_pixel_m``.
- ``.npz``: array ``height_m`` as for ``.npy``, and optionally ``pixel_m``
  (m; ``dx_m`` is accepted too, as in a run's ``terrain_site.npz``), ``x0_m``
  and ``y0_m`` (map position in m of node ``[0, 0]``, the south-west corner,
  east and north of the site).
- GeoTIFF (``.tif``/``.tiff``): the first image, rows from north to south as
  in any image (flipped on load); GDAL no-data pixels are refused. Where it
  lands is read from the file's own georeference (ModelTiepoint +
  ModelPixelScale, or ModelTransformation; :mod:`surefoot.math.geotiff_georef`)
  and its GeoKeys (:mod:`surefoot.world.terrain.dem_crs`):

  - latitude/longitude referenced (geographic degrees, equirectangular or
    polar stereographic on the Moon sphere): reprojected and resampled
    (bilinear) onto the site map frame around the scenario's site
    (:mod:`surefoot.world.terrain.dem_projection`), at ``terrain.dem_pixel_m``
    or the tile's own ground pixel size;
  - surefoot's own site map frame (what ``surefoot imagery`` writes): as it is;
  - any other frame in metres: by translation, the site being at
    ``terrain.dem_site_easting_m``, ``terrain.dem_site_northing_m`` of that
    frame (north-up square pixels only; rotation or shear is refused);
  - no tie point (at most a ModelPixelScale, which gives the pixel size):
    centred on the site, as a ``.npy``.

Without a georeference (``.npy``, ``.npz`` without ``x0_m``/``y0_m``, a TIFF
without a tie point) the DEM is centred on the site, and
:attr:`DemGrid.placement` (printed in the run's summary) says so. A DEM that
does not reach the area the landing needs (the ground track) is refused.
Any problem with the file raises :class:`~surefoot.config.loader.ConfigError`
with one line naming ``terrain.dem_file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surefoot.config.loader import ConfigError
from surefoot.math.geotiff_georef import (
    TAG_GEO_ASCII,
    TAG_GEO_DOUBLES,
    TAG_GEOKEYS,
    TAG_PIXEL_SCALE,
    TAG_TIEPOINT,
    TAG_TRANSFORMATION,
    GeoreferenceError,
    RasterAffine,
    geokeys,
    pixel_is_point,
    raster_affine,
)
from surefoot.world.terrain.dem_crs import DemCrs, DemCrsError, dem_crs
from surefoot.world.terrain.dem_projection import (
    DemProjectionError,
    resample_to_site_frame,
    site_frame_mapping,
)

FIELD = "terrain.dem_file"
MIN_PIXELS_PER_SIDE = 4
MAX_PIXELS = 200_000_000
MAX_ABS_HEIGHT_M = 20_000.0
"""Lunar relief spans about -9 to +11 km; larger values mean wrong units or datum."""

_TAG_GDAL_NODATA = 42113

Bounds = tuple[float, float, float, float]
CENTRED = "centred on the site: the file carries no georeference"


@dataclass(frozen=True)
class DemSite:
    """The landing site, for placing a georeferenced DEM.

    Attributes
    ----------
    lat_rad, lon_rad : float
        Selenographic latitude and longitude of the site, rad (map origin).
    radius_ref_m : float
        Reference sphere of the site map frame, m.
    easting_m, northing_m : float or None
        The site in the DEM file's own projected frame, m
        (``terrain.dem_site_easting_m``/``dem_site_northing_m``).
    region_m : tuple of float or None
        ``(x_min, x_max, y_min, y_max)`` of the site map frame that the
        landing needs (m); a DEM outside it is refused, a reprojected one is
        cut to it.
    """

    lat_rad: float
    lon_rad: float
    radius_ref_m: float
    easting_m: float | None = None
    northing_m: float | None = None
    region_m: Bounds | None = None


@dataclass(frozen=True)
class DemGrid:
    """A DEM placed in the site map frame.

    Attributes
    ----------
    heights_m : (ny, nx) float64
        Heights above the reference sphere, m; ``[j, i]`` at map point
        ``(x0_m + i pixel_m, y0_m + j pixel_m)`` (j north, i east).
    pixel_m : float
        Node spacing, m.
    x0_m, y0_m : float
        Map position of node ``[0, 0]`` (south-west corner), m east and north of the site.
    placement : str
        How the DEM was placed (one line, for the run's summary).
    """

    heights_m: np.ndarray
    pixel_m: float
    x0_m: float
    y0_m: float
    placement: str = CENTRED

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, x_max, y_min, y_max)`` of the nodes, m (map frame)."""
        ny, nx = self.heights_m.shape
        return (
            self.x0_m,
            self.x0_m + (nx - 1) * self.pixel_m,
            self.y0_m,
            self.y0_m + (ny - 1) * self.pixel_m,
        )


@dataclass(frozen=True)
class DemFootprint:
    """Where a scenario's DEM lies in its terrain (kept with the grids for the summary).

    Attributes
    ----------
    file : str
        ``terrain.dem_file``.
    placement : str
        How it was placed (:attr:`DemGrid.placement`).
    bounds_m : tuple of float
        ``(x_min, x_max, y_min, y_max)`` of its nodes in the site map frame, m.
    pixel_m : float
        Its node spacing in the terrain, m.
    taper_m : float
        Width of the band along its border where it is blended into the
        synthetic terrain around it, m.
    """

    file: str
    placement: str
    bounds_m: Bounds
    pixel_m: float
    taper_m: float


def _fail(path: Path | str, what: str) -> ConfigError:
    return ConfigError(f"{FIELD}: '{path}' {what}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _pixel_size(path: Path, from_file: float | None, from_config: float | None) -> float:
    if from_file is not None:
        if not (math.isfinite(from_file) and from_file > 0.0):
            raise _fail(path, f"has an invalid pixel size {from_file!r} (must be > 0 m)")
        if from_config is not None and not math.isclose(from_file, from_config, rel_tol=1e-6):
            raise _fail(
                path,
                f"has pixel size {from_file:g} m but terrain.dem_pixel_m is {from_config:g} m "
                "(remove one or make them agree)",
            )
        return float(from_file)
    if from_config is None:
        raise _fail(path, "has no pixel size; set terrain.dem_pixel_m (m)")
    return float(from_config)


def _scalar(path: Path, data: np.lib.npyio.NpzFile, name: str) -> float | None:
    if name not in data.files:
        return None
    arr = np.asarray(data[name])
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
        raise _fail(path, f"array '{name}' must be a single number (got shape {arr.shape})")
    return float(arr.reshape(()))


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot be read as .npy ({_first_line(exc)})") from None


def _read_npz(
    path: Path,
) -> tuple[np.ndarray, float | None, float | None, float | None]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "height_m" not in data.files:
                found = ", ".join(data.files) or "none"
                raise _fail(path, f"has no array 'height_m' (arrays found: {found})")
            heights = np.asarray(data["height_m"])
            pixel = _scalar(path, data, "pixel_m")
            dx = _scalar(path, data, "dx_m")
            x0 = _scalar(path, data, "x0_m")
            y0 = _scalar(path, data, "y0_m")
    except ConfigError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise _fail(path, f"cannot be read as .npz ({_first_line(exc)})") from None
    if pixel is None:
        pixel = dx
    elif dx is not None and not math.isclose(pixel, dx, rel_tol=1e-9):
        raise _fail(path, f"has both 'pixel_m' ({pixel:g}) and 'dx_m' ({dx:g}) and they differ")
    if (x0 is None) != (y0 is None):
        raise _fail(path, "gives only one of 'x0_m' and 'y0_m' (give both or neither)")
    return heights, pixel, x0, y0


@dataclass(frozen=True)
class _Tiff:
    """A DEM GeoTIFF's image (file order, row 0 north) and georeference tags."""

    image: np.ndarray
    scale: tuple[float, ...] | None
    tiepoints: tuple[float, ...] | None
    transformation: tuple[float, ...] | None
    keys: dict


def _tag_value(tags: object, code: int) -> tuple | str | bytes | None:
    tag = tags.get(code)  # type: ignore[attr-defined]
    if tag is None:
        return None
    v = tag.value
    return v if isinstance(v, str | bytes) else tuple(v)


def _read_tiff(path: Path) -> _Tiff:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            image = page.asarray()
            tags = page.tags
            scale = _tag_value(tags, TAG_PIXEL_SCALE)
            tie = _tag_value(tags, TAG_TIEPOINT)
            trans = _tag_value(tags, TAG_TRANSFORMATION)
            keys = geokeys(
                _tag_value(tags, TAG_GEOKEYS),  # type: ignore[arg-type]
                _tag_value(tags, TAG_GEO_DOUBLES),  # type: ignore[arg-type]
                _tag_value(tags, TAG_GEO_ASCII),  # type: ignore[arg-type]
            )
            nodata = tags.get(_TAG_GDAL_NODATA)
            nodata_v = None if nodata is None else nodata.value
            scale_f = None if scale is None else tuple(float(v) for v in scale)
            tie_f = None if tie is None else tuple(float(v) for v in tie)
            trans_f = None if trans is None else tuple(float(v) for v in trans)
    except ConfigError:
        raise
    except Exception as exc:  # tifffile raises many types for corrupt files
        raise _fail(path, f"cannot be read as GeoTIFF ({_first_line(exc)})") from None
    heights = np.asarray(image)
    if heights.ndim == 2 and np.issubdtype(heights.dtype, np.number) and nodata_v is not None:
        try:
            nd = float(str(nodata_v).strip().strip("\x00"))
        except ValueError:
            nd = None
        if nd is not None:
            bad = int(np.count_nonzero(heights == nd))
            if bad:
                raise _fail(path, f"has {bad} no-data pixels (value {nd:g}); fill the gaps first")
    return _Tiff(heights, scale_f, tie_f, trans_f, keys)


def _square_pixel(path: Path, scale: tuple[float, ...] | None) -> float | None:
    if scale is None or len(scale) < 2:
        return None
    sx, sy = abs(scale[0]), abs(scale[1])
    if not math.isclose(sx, sy, rel_tol=1e-6):
        raise _fail(path, f"has non-square pixels ({sx:g} x {sy:g}); resample to square pixels")
    return sx


def _check_heights(path: Path, heights: np.ndarray) -> np.ndarray:
    if not (np.issubdtype(heights.dtype, np.floating) or np.issubdtype(heights.dtype, np.integer)):
        raise _fail(path, f"heights must be numbers (got dtype {heights.dtype})")
    if heights.ndim != 2:
        raise _fail(path, f"heights must be a 2-D array (got shape {heights.shape})")
    ny, nx = heights.shape
    if ny < MIN_PIXELS_PER_SIDE or nx < MIN_PIXELS_PER_SIDE:
        raise _fail(
            path,
            f"is too small ({ny} x {nx} pixels; at least "
            f"{MIN_PIXELS_PER_SIDE} x {MIN_PIXELS_PER_SIDE})",
        )
    if heights.size > MAX_PIXELS:
        raise _fail(path, f"is too large ({heights.size} pixels; at most {MAX_PIXELS})")
    out = np.ascontiguousarray(heights, dtype=np.float64)
    bad = int(np.count_nonzero(~np.isfinite(out)))
    if bad:
        raise _fail(path, f"has {bad} non-finite heights (NaN or inf); fill the gaps first")
    peak = float(np.max(np.abs(out)))
    if peak > MAX_ABS_HEIGHT_M:
        raise _fail(
            path,
            f"has heights up to {peak:.4g} m; heights must be m above the reference sphere "
            f"(|h| <= {MAX_ABS_HEIGHT_M:g} m)",
        )
    return out


def _check_reach(path: Path, dem: DemGrid, site: DemSite | None) -> DemGrid:
    """Refuse a DEM that lies off the far side, or misses the area the landing needs."""
    x0, x1, y0, y1 = dem.bounds
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        raise _fail(path, "is placed at non-finite map coordinates; check its georeference")
    if site is not None:
        half_turn = math.pi * site.radius_ref_m
        if max(abs(x0), abs(x1), abs(y0), abs(y1)) > half_turn:
            raise _fail(
                path,
                f"is placed more than half a Moon circumference ({half_turn / 1e3:.0f} km) "
                "from the site; check the tie point and terrain.dem_site_easting_m/northing_m",
            )
    region = None if site is None else site.region_m
    if region is not None and (
        x1 < region[0] or x0 > region[1] or y1 < region[2] or y0 > region[3]
    ):
        dx = max(region[0] - x1, x0 - region[1], 0.0)
        dy = max(region[2] - y1, y0 - region[3], 0.0)
        raise _fail(
            path,
            f"lies {math.hypot(dx, dy) / 1e3:.1f} km outside the area the landing needs "
            f"(DEM x {x0 / 1e3:.1f} to {x1 / 1e3:.1f} km, y {y0 / 1e3:.1f} to "
            f"{y1 / 1e3:.1f} km of the site); check the tie point and "
            "terrain.dem_site_easting_m/northing_m",
        )
    return dem


def _reproject(
    path: Path,
    heights: np.ndarray,
    affine: RasterAffine,
    crs: DemCrs,
    pixel_m: float | None,
    site: DemSite | None,
) -> DemGrid:
    proj = crs.projection
    if proj is None:  # dem_crs sets it for kind "projection"
        raise _fail(path, "has an unreadable projection")
    if site is None:
        raise _fail(path, f"is in {proj.describe()}; the site's latitude and longitude are needed")
    mapping = site_frame_mapping(
        affine, proj, heights.shape, site.lat_rad, site.lon_rad, site.radius_ref_m
    )
    if site.easting_m is not None and proj.kind == "geographic":
        raise _fail(
            path,
            "is in degrees of longitude/latitude; terrain.dem_site_easting_m/northing_m apply "
            "to projected frames in metres (remove them: the site's latitude/longitude place it)",
        )
    if site.easting_m is not None and site.northing_m is not None:
        px, py = proj.forward(
            np.array(site.lat_rad), np.array(site.lon_rad), mapping.lon_centre_rad
        )
        c, r = affine.raster_colrow(px, py)
        c_given, r_given = affine.raster_colrow(site.easting_m, site.northing_m)
        off = float(np.hypot(c - c_given, r - r_given))
        if not off <= 1.0:
            raise _fail(
                path,
                f"is in {proj.describe()}, where the site is {off:.3g} pixels from "
                "terrain.dem_site_easting_m/northing_m; remove them or make them agree",
            )
    h, x0, y0, d = resample_to_site_frame(heights, mapping, site.region_m, pixel_m)
    note = f"reprojected from {proj.describe()} to the site frame at {d:.4g} m"
    return DemGrid(h, d, x0, y0, note)


def _place_tiff(path: Path, tiff: _Tiff, pixel_m: float | None, site: DemSite | None) -> DemGrid:
    heights = _check_heights(path, tiff.image)  # file order: row 0 north
    try:
        crs = dem_crs(tiff.keys)
        affine = raster_affine(
            tiff.scale, tiff.tiepoints, tiff.transformation, pixel_is_point(tiff.keys)
        )
        if affine is None:
            if crs.projection is not None:
                unit = "degrees" if crs.projection.kind == "geographic" else "a projection"
                raise _fail(
                    path,
                    f"is georeferenced in {unit} but has no ModelTiepoint (nor "
                    "ModelTransformation), so it cannot be placed",
                )
            pix = _pixel_size(path, _square_pixel(path, tiff.scale), pixel_m)
            return _centred(heights[::-1], pix)
        if crs.kind == "projection":
            return _reproject(path, heights, affine, crs, pixel_m, site)
    except (DemCrsError, GeoreferenceError, DemProjectionError) as exc:
        raise _fail(path, _first_line(exc)) from None
    if not affine.north_up:
        raise _fail(
            path,
            "is rotated or sheared (ModelTransformation); only north-up pixels can be placed "
            "by translation: resample it north-up first",
        )
    pix = _pixel_size(path, _square_pixel(path, (affine.col_step[0], -affine.row_step[1])), pixel_m)
    x_sw, y_sw = affine.model_xy(0.0, heights.shape[0] - 1.0)
    if site is not None and site.easting_m is not None and site.northing_m is not None:
        e, n = site.easting_m, site.northing_m
        note = (
            f"by its tie point, the site at easting {e:.6g} m, northing {n:.6g} m "
            "of the file's frame"
        )
    elif crs.kind == "site_frame":
        e, n = 0.0, 0.0
        note = "by its tie point in surefoot's site map frame"
    else:
        raise _fail(
            path,
            "has a tie point in a projected frame that surefoot does not reproject; set "
            "terrain.dem_site_easting_m and terrain.dem_site_northing_m (the site in that "
            "frame, m)",
        )
    return DemGrid(heights[::-1], pix, float(x_sw) - e, float(y_sw) - n, note)


def _centred(heights: np.ndarray, pix: float) -> DemGrid:
    ny, nx = heights.shape
    return DemGrid(heights, pix, -0.5 * (nx - 1) * pix, -0.5 * (ny - 1) * pix, CENTRED)


def load_dem(
    path: str | Path, *, pixel_m: float | None = None, site: DemSite | None = None
) -> DemGrid:
    """Read a DEM file and place it in the site map frame.

    Parameters
    ----------
    path : str or Path
        ``.npy``, ``.npz`` or ``.tif``/``.tiff`` file (see the module docstring).
    pixel_m : float, optional
        Pixel size (m) from ``terrain.dem_pixel_m``; needed when the file has
        none, and must agree with the file's when both are given. For a DEM
        reprojected to the site frame it is the spacing of the resampled grid.
    site : DemSite, optional
        The landing site; needed to place a latitude/longitude-referenced DEM
        or one in a foreign projected frame.

    Returns
    -------
    DemGrid
        Heights (m above the reference sphere), rows south to north, placed
        by the file's georeference, or centred on the site when it has none.

    Raises
    ------
    ConfigError
        One line naming ``terrain.dem_file``: missing or unreadable file,
        unknown format, wrong shape, NaN/inf or no-data, missing or
        inconsistent pixel size, heights in the wrong datum, a georeference
        that cannot be used, a DEM that misses the area the landing needs.
    """
    p = Path(path)
    if not str(path):
        raise ConfigError(f"{FIELD}: no file given (a .npy, .npz or GeoTIFF path)")
    if not p.is_file():
        raise _fail(p, "does not exist" if not p.exists() else "is not a file")
    suffix = p.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return _check_reach(p, _place_tiff(p, _read_tiff(p), pixel_m, site), site)
    x0: float | None = None
    y0: float | None = None
    if suffix == ".npy":
        heights = _read_npy(p)
        file_pixel = None
    elif suffix == ".npz":
        heights, file_pixel, x0, y0 = _read_npz(p)
    else:
        raise _fail(p, f"has unsupported format '{suffix}' (use .npy, .npz, .tif or .tiff)")
    heights = _check_heights(p, np.asarray(heights))
    pix = _pixel_size(p, file_pixel, pixel_m)
    if x0 is None or y0 is None:
        return _check_reach(p, _centred(heights, pix), site)
    if not (math.isfinite(x0) and math.isfinite(y0)):
        raise _fail(p, "has non-finite 'x0_m'/'y0_m'")
    note = "by the file's x0_m/y0_m (site map frame)"
    return _check_reach(p, DemGrid(heights, pix, float(x0), float(y0), note), site)
