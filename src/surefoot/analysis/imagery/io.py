"""Reading and writing single-band images with their pixel scale: PNG and GeoTIFF.

In memory an image is a :class:`GeoImage`: a ``(ny, nx)`` array whose row 0
is the **southern** edge and column 0 the western edge, like the terrain
grids (row ``j`` at ``y = y0_m + j * pixel_m`` north, column ``i`` at
``x = x0_m + i * pixel_m`` east, coordinates of pixel centres in the site map
frame, metres). Files are stored the usual way, north up (first row of the
file = northern edge); the readers and writers flip the rows.

- PNG: 8- or 16-bit greyscale (colour is converted to luma). surefoot writes
  16-bit greyscale and keeps the georeference and the metadata as JSON in a
  ``surefoot`` text chunk, so any viewer opens the file and surefoot reads
  the scale back. Floating-point data are stored as 16-bit counts with the
  scale in ``value_per_count``. Such counts fill a small part of the 16-bit
  range, so a viewer shows them nearly black: :func:`write_preview_png` writes
  an 8-bit display preview beside them, stretched between percentiles.
- GeoTIFF: any single-band TIFF; the georeference is taken from the
  ``ModelPixelScale`` and ``ModelTiepoint`` tags when present (pixel-is-area
  or pixel-is-point), and written with them in a user-defined projected frame
  in metres (the site map frame; there is no EPSG code for it).

Images surefoot renders are synthetic and say so in their metadata
(``"synthetic": true``) and in the PNG description.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from PIL import Image, PngImagePlugin

from surefoot.config.arguments import check_integer, check_real
from surefoot.config.base import ConfigError, check_regular_file, safe_text
from surefoot.math.geotiff_georef import (
    SITE_FRAME_CITATION,
    GeoreferenceError,
    geokeys,
    pixel_is_point,
    raster_affine,
)
from surefoot.math.geotiff_georef import TAG_GEO_ASCII as _TAG_GEO_ASCII
from surefoot.math.geotiff_georef import TAG_GEOKEYS as _TAG_GEOKEYS
from surefoot.math.geotiff_georef import TAG_PIXEL_SCALE as _TAG_PIXEL_SCALE
from surefoot.math.geotiff_georef import TAG_TIEPOINT as _TAG_TIEPOINT

_PNG_KEY = "surefoot"
_FRAME_TEXT = SITE_FRAME_CITATION


class ImageryInputError(ValueError):
    """Bad input to the imagery tools (files, run folders, options); the message names it."""


class ImageFormatError(ImageryInputError):
    """A file is missing, unreadable or not a single-band image; the message says which."""


def check_number(value: object, name: str, lo: float, hi: float, lo_open: bool = False) -> None:
    """:func:`~surefoot.config.arguments.check_real` (finite, in ``[lo, hi]``) raising
    ImageryInputError."""
    try:
        check_real(value, name, finite=True, lo=lo, hi=hi, lo_open=lo_open)
    except (TypeError, ValueError) as exc:
        raise ImageryInputError(str(exc)) from None


def check_count(value: object, name: str, lo: int, hi: int) -> None:
    """:func:`~surefoot.config.arguments.check_integer` raising ImageryInputError."""
    try:
        check_integer(value, name, lo, hi)
    except (TypeError, ValueError) as exc:
        raise ImageryInputError(str(exc)) from None


@dataclass
class GeoImage:
    """A single-band image and where its pixels lie.

    Attributes
    ----------
    data : numpy.ndarray
        Pixel values, shape (ny, nx); row 0 is the southern edge.
    pixel_m : float or None
        Ground size of a pixel (m); None when the file did not say.
    x0_m, y0_m : float
        East and north coordinates (m, site map frame) of the centre of the
        south-west pixel ``data[0, 0]``.
    meta : dict
        Free-form metadata (JSON-serialisable), e.g. Sun angles, ``synthetic``.
    """

    data: np.ndarray
    pixel_m: float | None
    x0_m: float = 0.0
    y0_m: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) in pixels."""
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    def georef(self) -> dict[str, Any]:
        """Georeference as a JSON-ready dict (``pixel_m``, ``x0_m``, ``y0_m``, ``north_up``)."""
        return {"pixel_m": self.pixel_m, "x0_m": self.x0_m, "y0_m": self.y0_m, "north_up": True}


def _counts_for_file(image: GeoImage) -> tuple[np.ndarray, dict[str, Any]]:
    """Unsigned integer counts, north up, and the metadata to store with them."""
    data = np.asarray(image.data)
    meta = dict(image.meta)
    if data.dtype in (np.uint8, np.uint16):
        counts = data
    else:
        values = np.asarray(data, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ImageFormatError("image data: contains NaN or infinite values")
        lo = min(0.0, float(values.min()))
        span = float(values.max()) - lo
        scale = span / 65535.0 if span > 0.0 else 1.0
        counts = np.round((values - lo) / scale).astype(np.uint16)
        meta["value_per_count"] = scale
        meta["value_offset"] = lo
    return np.ascontiguousarray(counts[::-1]), meta


def write_png(path: str | Path, image: GeoImage) -> Path:
    """Write a greyscale PNG (north up) with georeference and metadata in a text chunk.

    Parameters
    ----------
    path : str or Path
        Output file.
    image : GeoImage
        Image to write; uint8 and uint16 data are stored as they are, other
        data are scaled linearly to 16-bit counts (scale kept in the metadata).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    counts, meta = _counts_for_file(image)
    info = PngImagePlugin.PngInfo()
    info.add_text(_PNG_KEY, json.dumps({**image.georef(), "meta": meta}))
    if meta.get("synthetic"):
        info.add_text("Description", "SYNTHETIC image rendered by surefoot (not an observation)")
    Image.fromarray(counts).save(path, format="PNG", pnginfo=info)
    return path


def display_stretch(
    images: list[GeoImage], low_percentile: float = 0.5, high_percentile: float = 99.5
) -> tuple[float, float]:
    """One linear display stretch ``(lo, hi)`` for several images: the given percentiles
    of all their finite values together, so that previews of a before/after pair are
    comparable (the same value is the same grey in both)."""
    values = np.concatenate([np.asarray(im.data, dtype=float).ravel() for im in images])
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ImageFormatError("image data: no finite values to stretch")
    lo, hi = np.percentile(values, [low_percentile, high_percentile])
    if not hi > lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def write_preview_png(path: str | Path, image: GeoImage, stretch: tuple[float, float]) -> Path:
    """Write an 8-bit greyscale display preview (north up), values ``stretch[0]`` ..
    ``stretch[1]`` mapped linearly to 0 .. 255 and clipped.

    A preview is for eyes, not for measurement: the science image is the
    16-bit file of :func:`write_png`. The text chunk keeps the georeference and
    says ``"preview": true`` with the stretch.
    """
    path = Path(path)
    lo, hi = stretch
    values = np.asarray(image.data, dtype=float)
    grey = np.clip(np.round((values - lo) / (hi - lo) * 255.0), 0, 255)
    grey = np.where(np.isfinite(grey), grey, 0).astype(np.uint8)
    meta = {**image.meta, "preview": True, "stretch": [lo, hi]}
    info = PngImagePlugin.PngInfo()
    info.add_text(_PNG_KEY, json.dumps({**image.georef(), "meta": meta}))
    note = "8-bit display preview"
    if image.meta.get("synthetic"):
        note += " of a SYNTHETIC image rendered by surefoot (not an observation)"
    info.add_text("Description", note)
    Image.fromarray(np.ascontiguousarray(grey[::-1]), mode="L").save(path, format="PNG",
                                                                    pnginfo=info)
    return path


def write_geotiff(path: str | Path, image: GeoImage) -> Path:
    """Write a single-band GeoTIFF (north up) in the site map frame.

    The pixel scale and the tie point (upper-left corner of the upper-left
    pixel, pixel-is-area) go to the GeoTIFF tags; the metadata go to the
    ImageDescription as JSON.

    Parameters
    ----------
    path : str or Path
        Output file.
    image : GeoImage
        Image to write; must have a pixel scale.

    Returns
    -------
    Path
        The written file.
    """
    if image.pixel_m is None or not image.pixel_m > 0.0:
        raise ImageFormatError("pixel_m: a GeoTIFF needs a positive pixel scale (m)")
    path = Path(path)
    counts, meta = _counts_for_file(image)
    p = float(image.pixel_m)
    ny = counts.shape[0]
    x_ul = image.x0_m - 0.5 * p
    y_ul = image.y0_m + (ny - 1) * p + 0.5 * p
    geokeys = [1, 1, 0, 5]
    geokeys += [1024, 0, 1, 1]  # GTModelType: projected
    geokeys += [1025, 0, 1, 1]  # GTRasterType: pixel is area
    geokeys += [1026, _TAG_GEO_ASCII, len(_FRAME_TEXT) + 1, 0]  # GTCitation
    geokeys += [3072, 0, 1, 32767]  # ProjectedCSType: user-defined
    geokeys += [3076, 0, 1, 9001]  # ProjLinearUnits: metre
    extratags = [
        (_TAG_PIXEL_SCALE, "d", 3, (p, p, 0.0), True),
        (_TAG_TIEPOINT, "d", 6, (0.0, 0.0, 0.0, x_ul, y_ul, 0.0), True),
        (_TAG_GEOKEYS, "H", len(geokeys), tuple(geokeys), True),
        (_TAG_GEO_ASCII, "s", 0, _FRAME_TEXT + "|", True),
    ]
    description = json.dumps({**image.georef(), "meta": meta})
    tifffile.imwrite(
        path, counts, photometric="minisblack", description=description, extratags=extratags
    )
    return path


def _luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an (ny, nx, 3 or 4) array."""
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def _apply_count_scale(values: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    scale = meta.get("value_per_count")
    if scale is None:
        return values
    scale, offset = float(scale), float(meta.get("value_offset", 0.0))
    if not (math.isfinite(scale) and math.isfinite(offset) and 0.0 < abs(scale) <= 1e12
            and abs(offset) <= 1e12):
        raise ValueError("value_per_count / value_offset out of range")
    return values * scale + offset


def _read_png(path: Path) -> GeoImage:
    try:
        with Image.open(path) as im:
            _check_pixels(path, im.size[0] * im.size[1])
            im.load()
            text = dict(getattr(im, "text", {}) or {})
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I", "F", "L"):
                data = np.asarray(im, dtype=float)
            elif mode in ("LA", "P", "PA", "1"):
                data = np.asarray(im.convert("L"), dtype=float)
            else:
                data = _luma(np.asarray(im.convert("RGB"), dtype=float))
    except Exception as exc:  # noqa: BLE001 - any failure to decode a user file is damage
        # (the decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error,
        # zlib.error, OverflowError, MemoryError, ... for damaged or hostile files)
        raise ImageFormatError(
            f"'{safe_text(path)}' is not a readable PNG image ({_why(exc)})"
        ) from None
    pixel_m, x0, y0, meta = None, 0.0, 0.0, {}
    if _PNG_KEY in text:
        try:
            info = json.loads(text[_PNG_KEY])
            pixel_m = info.get("pixel_m")
            x0 = float(info.get("x0_m", 0.0))
            y0 = float(info.get("y0_m", 0.0))
            meta = dict(info.get("meta", {}))
        except (ValueError, TypeError, AttributeError):
            pixel_m, x0, y0, meta = None, 0.0, 0.0, {}
    return _checked(path, data, pixel_m, x0, y0, meta)


def _read_tiff(path: Path) -> GeoImage:
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            _check_pixels(path, int(np.prod(page.shape, dtype=np.float64)))
            data = page.asarray()
            tags = page.tags
            scale_tag = tags.get(_TAG_PIXEL_SCALE)
            tie_tag = tags.get(_TAG_TIEPOINT)
            keys_tag = tags.get(_TAG_GEOKEYS)
            desc = page.description or ""
            scale = tuple(scale_tag.value) if scale_tag is not None else None
            tie = tuple(tie_tag.value) if tie_tag is not None else None
            keys = tuple(keys_tag.value) if keys_tag is not None else ()
    except Exception as exc:  # noqa: BLE001 - as in _read_png: a damaged file, one line
        raise ImageFormatError(
            f"'{safe_text(path)}' is not a readable TIFF image ({_why(exc)})"
        ) from None
    data = np.asarray(data)
    if data.ndim == 3 and data.shape[-1] in (3, 4):
        data = _luma(data.astype(float))
    elif data.ndim == 3 and data.shape[0] == 1:
        data = data[0]
    if data.ndim != 2:
        raise ImageFormatError(
            f"'{safe_text(path)}' has shape {data.shape}; a single-band 2-D image is needed"
        )
    data = data.astype(float)
    meta: dict[str, Any] = {}
    try:
        info = json.loads(desc) if desc.startswith("{") else {}
        meta = dict(info.get("meta", {}))
    except (ValueError, TypeError, AttributeError):
        meta = {}
    try:
        pixel_m, x0, y0 = _tiff_georeference(path, scale, tie, keys, data.shape[0])
    except (TypeError, ValueError, OverflowError, IndexError):  # tags of the wrong type
        raise ImageFormatError(
            f"'{safe_text(path)}': damaged georeference tags (ModelPixelScale, ModelTiepoint)"
        ) from None
    return _checked(path, data, pixel_m, x0, y0, meta)


def _tiff_georeference(
    path: Path, scale: tuple | None, tie: tuple | None, keys: tuple, ny: int
) -> tuple[float | None, float, float]:
    """Pixel size and south-west pixel centre from the GeoTIFF tags (None, 0, 0 without)."""
    pixel_m, x0, y0 = None, 0.0, 0.0
    if scale is not None and len(scale) >= 2 and float(scale[0]) > 0.0:
        sx, sy = float(scale[0]), float(scale[1])
        if abs(sx - sy) > 1e-9 * sx:
            raise ImageFormatError(
                f"'{safe_text(path)}': pixels are not square ({sx:g} x {sy:g}); square pixels "
                "needed"
            )
        pixel_m = sx
        if tie is not None and len(tie) >= 6:
            point = pixel_is_point(geokeys(keys))
            try:
                affine = raster_affine((sx, sy), tie[:6], None, point)
            except GeoreferenceError as exc:
                raise ValueError(str(exc)) from None
            if affine is not None:
                x0_a, y0_a = affine.model_xy(0.0, ny - 1.0)
                x0, y0 = float(x0_a), float(y0_a)
    return pixel_m, x0, y0


def read_image(path: str | Path) -> GeoImage:
    """Read a PNG or (Geo)TIFF into a :class:`GeoImage` (row 0 = southern edge).

    Parameters
    ----------
    path : str or Path
        File to read; the format is taken from the file's first bytes.

    Returns
    -------
    GeoImage
        Float data; ``pixel_m`` is None when the file carries no scale, and
        then ``x0_m = y0_m = 0`` (metres from the south-west pixel).

    Raises
    ------
    ImageFormatError
        Missing file, unknown format, corrupt file, or not a single-band image.
    """
    path = Path(path)
    try:
        missing = not path.exists()
    except (OSError, ValueError):
        missing = False  # check_regular_file names the reason
    if missing:
        raise ImageFormatError(f"'{safe_text(path)}' does not exist or is not a file")
    try:
        check_regular_file(path, "image")
    except ConfigError as exc:
        raise ImageFormatError(str(exc).removeprefix("image ")) from None
    try:
        with path.open("rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise ImageFormatError(f"'{safe_text(path)}' cannot be read ({_why(exc)})") from None
    # library warnings (PIL, tifffile) would print extra lines before the one-line error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tiff_log = logging.getLogger("tifffile")
        level = tiff_log.level
        tiff_log.setLevel(logging.CRITICAL)
        try:
            if magic.startswith(b"\x89PNG"):
                return _read_png(path)
            if magic[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                return _read_tiff(path)
        finally:
            tiff_log.setLevel(level)
    raise ImageFormatError(f"'{safe_text(path)}' is neither a PNG nor a TIFF file")


# the largest image read (a decompression bomb declares billions of pixels)
MAX_READ_PIXELS = 6000 * 6000


def _why(exc: BaseException) -> str:
    return safe_text(" ".join(str(exc).split()), 120) or type(exc).__name__


def _check_pixels(path: Path, n: float) -> None:
    if n > MAX_READ_PIXELS:
        raise ImageFormatError(
            f"'{safe_text(path)}': {n:.0f} pixels, more than the {MAX_READ_PIXELS} read"
        )


def _checked(
    path: Path, data: np.ndarray, pixel_m: Any, x0: Any, y0: Any, meta: Any
) -> GeoImage:
    """The image with its metadata checked: one-line ImageFormatError on damage."""
    where = f"'{safe_text(path)}'"
    if not isinstance(meta, dict):
        meta = {}
    try:
        if pixel_m is not None:
            pixel_m = float(pixel_m)
            if not (math.isfinite(pixel_m) and 1e-6 <= pixel_m <= 1e6):
                raise ValueError
        x0, y0 = float(x0), float(y0)
        if not (math.isfinite(x0) and math.isfinite(y0) and max(abs(x0), abs(y0)) <= 1e9):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ImageFormatError(
            f"{where}: damaged georeference (pixel scale must be a positive finite number "
            "of metres, the origin finite)"
        ) from None
    try:
        data = _apply_count_scale(data, meta)
    except (TypeError, ValueError, OverflowError):
        raise ImageFormatError(f"{where}: damaged value_per_count / value_offset") from None
    if not np.all(np.isfinite(data)):
        raise ImageFormatError(f"{where}: pixel values must be finite (NaN or infinity found)")
    return GeoImage(np.ascontiguousarray(data[::-1]), pixel_m, x0, y0, meta)


def write_image(path: str | Path, image: GeoImage) -> Path:
    """Write PNG or GeoTIFF according to the suffix (``.png``, ``.tif``, ``.tiff``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return write_png(path, image)
    if suffix in (".tif", ".tiff"):
        return write_geotiff(path, image)
    raise ImageFormatError(f"'{path}': suffix must be .png, .tif or .tiff")
