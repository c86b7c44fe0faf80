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
  in any image (flipped on load); the pixel size is the ModelPixelScale tag
  when present, else ``terrain.dem_pixel_m``. Georeferencing in degrees is
  refused (reproject to metres first); GDAL no-data pixels are refused.
  The tie point is not used: the DEM is placed on the site.

Without ``x0_m``/``y0_m`` the DEM is centred on the site. Any problem with the
file raises :class:`~surefoot.config.loader.ConfigError` with one line naming
``terrain.dem_file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surefoot.config.loader import ConfigError

FIELD = "terrain.dem_file"
MIN_PIXELS_PER_SIDE = 4
MAX_PIXELS = 200_000_000
MAX_ABS_HEIGHT_M = 20_000.0
"""Lunar relief spans about -9 to +11 km; larger values mean wrong units or datum."""

_TAG_MODEL_PIXEL_SCALE = 33550
_TAG_GEO_KEY_DIRECTORY = 34735
_TAG_GDAL_NODATA = 42113
_GEOKEY_MODEL_TYPE = 1024
_MODEL_TYPE_GEOGRAPHIC = 2


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
    """

    heights_m: np.ndarray
    pixel_m: float
    x0_m: float
    y0_m: float

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


def _geo_model_type(value: object) -> int | None:
    keys = np.asarray(value, dtype=np.int64).ravel()
    if keys.size < 4:
        return None
    for k in range(int(keys[3])):
        e = 4 + 4 * k
        if e + 3 < keys.size and keys[e] == _GEOKEY_MODEL_TYPE and keys[e + 1] == 0:
            return int(keys[e + 3])
    return None


def _read_tiff(path: Path) -> tuple[np.ndarray, float | None]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            image = page.asarray()
            tags = page.tags
            scale = tags.get(_TAG_MODEL_PIXEL_SCALE)
            keys = tags.get(_TAG_GEO_KEY_DIRECTORY)
            nodata = tags.get(_TAG_GDAL_NODATA)
            scale_v = None if scale is None else tuple(float(v) for v in scale.value)
            keys_v = None if keys is None else keys.value
            nodata_v = None if nodata is None else nodata.value
    except ConfigError:
        raise
    except Exception as exc:  # tifffile raises many types for corrupt files
        raise _fail(path, f"cannot be read as GeoTIFF ({_first_line(exc)})") from None
    if keys_v is not None and _geo_model_type(keys_v) == _MODEL_TYPE_GEOGRAPHIC:
        raise _fail(
            path,
            "is georeferenced in degrees (geographic model); reproject it to metres "
            "around the site first",
        )
    heights = np.asarray(image)
    if heights.ndim == 2 and np.issubdtype(heights.dtype, np.number):
        heights = heights[::-1, :]  # image rows run north to south
        if nodata_v is not None:
            try:
                nd = float(str(nodata_v).strip().strip("\x00"))
            except ValueError:
                nd = None
            if nd is not None:
                bad = int(np.count_nonzero(heights == nd))
                if bad:
                    raise _fail(
                        path, f"has {bad} no-data pixels (value {nd:g}); fill the gaps first"
                    )
    pixel = None
    if scale_v is not None and len(scale_v) >= 2:
        sx, sy = abs(scale_v[0]), abs(scale_v[1])
        if not math.isclose(sx, sy, rel_tol=1e-6):
            raise _fail(path, f"has non-square pixels ({sx:g} x {sy:g}); resample to square pixels")
        pixel = sx
    return heights, pixel


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


def load_dem(path: str | Path, *, pixel_m: float | None = None) -> DemGrid:
    """Read a DEM file and place it in the site map frame.

    Parameters
    ----------
    path : str or Path
        ``.npy``, ``.npz`` or ``.tif``/``.tiff`` file (see the module docstring).
    pixel_m : float, optional
        Pixel size (m) from ``terrain.dem_pixel_m``; needed when the file has
        none, and must agree with the file's when both are given.

    Returns
    -------
    DemGrid
        Heights (m above the reference sphere), rows south to north, centred
        on the site unless the file gives ``x0_m``/``y0_m``.

    Raises
    ------
    ConfigError
        One line naming ``terrain.dem_file``: missing or unreadable file,
        unknown format, wrong shape, NaN/inf or no-data, missing or
        inconsistent pixel size, heights in the wrong datum.
    """
    p = Path(path)
    if not str(path):
        raise ConfigError(f"{FIELD}: no file given (a .npy, .npz or GeoTIFF path)")
    if not p.is_file():
        raise _fail(p, "does not exist" if not p.exists() else "is not a file")
    suffix = p.suffix.lower()
    x0: float | None = None
    y0: float | None = None
    if suffix == ".npy":
        heights = _read_npy(p)
        file_pixel = None
    elif suffix == ".npz":
        heights, file_pixel, x0, y0 = _read_npz(p)
    elif suffix in (".tif", ".tiff"):
        heights, file_pixel = _read_tiff(p)
    else:
        raise _fail(p, f"has unsupported format '{suffix}' (use .npy, .npz, .tif or .tiff)")
    heights = _check_heights(p, np.asarray(heights))
    pix = _pixel_size(p, file_pixel, pixel_m)
    ny, nx = heights.shape
    if x0 is None or y0 is None:
        x0 = -0.5 * (nx - 1) * pix
        y0 = -0.5 * (ny - 1) * pix
    elif not (math.isfinite(x0) and math.isfinite(y0)):
        raise _fail(p, "has non-finite 'x0_m'/'y0_m'")
    return DemGrid(heights, pix, float(x0), float(y0))
