"""GeoTIFF georeference from tag values: raster-to-model affine and GeoKeys.

Shared by the image reader (:mod:`surefoot.analysis.imagery.io`) and the DEM
reader (:mod:`surefoot.world.terrain.dem_file`); no file access here, only
the values of the tags as a TIFF library returns them.

Reference: OGC GeoTIFF 1.1 (OGC 19-008r4):

- ModelPixelScaleTag (33550) ``(Sx, Sy, Sz)`` with ModelTiepointTag (33922)
  ``(I, J, K, X, Y, Z)``: ``X = X_t + (I' - I) Sx``, ``Y = Y_t - (J' - J) Sy``
  for raster coordinates ``(I', J')`` (column, row from the top);
- ModelTransformationTag (34264): a 4 x 4 row-major matrix,
  ``X = m0 I' + m1 J' + m3``, ``Y = m4 I' + m5 J' + m7``;
- GTRasterTypeGeoKey (1025): pixel-is-area (1, the default) puts raster
  ``(0, 0)`` at the outer corner of the first pixel, so pixel centres are at
  ``I' = i + 1/2``; pixel-is-point (2) puts it at the first pixel's centre;
- GeoKeyDirectoryTag (34735) with its double (34736) and ASCII (34737) stores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TAG_PIXEL_SCALE = 33550
TAG_TIEPOINT = 33922
TAG_TRANSFORMATION = 34264
TAG_GEOKEYS = 34735
TAG_GEO_DOUBLES = 34736
TAG_GEO_ASCII = 34737

KEY_MODEL_TYPE = 1024
KEY_RASTER_TYPE = 1025
KEY_CITATION = 1026
MODEL_PROJECTED = 1
MODEL_GEOGRAPHIC = 2
RASTER_PIXEL_IS_POINT = 2

SITE_FRAME_CITATION = (
    "surefoot site map frame: azimuthal equidistant about the landing target, metres"
)
"""GTCitation of the GeoTIFFs surefoot writes in its own site map frame."""


class GeoreferenceError(ValueError):
    """Tags that do not make a georeference; the message says which and why."""


@dataclass(frozen=True)
class RasterAffine:
    """Model coordinates of pixel centres: ``(X, Y) = origin + col * col_step + row * row_step``.

    ``col`` counts columns from the west (left) edge, ``row`` rows from the
    top of the file; ``origin`` is the centre of the first (top-left) pixel.
    Units are those of the model (metres or degrees).
    """

    origin: tuple[float, float]
    col_step: tuple[float, float]
    row_step: tuple[float, float]

    @property
    def north_up(self) -> bool:
        """Columns run east (+X) and rows south (-Y), with no rotation or shear."""
        return (
            self.col_step[1] == 0.0
            and self.row_step[0] == 0.0
            and self.col_step[0] > 0.0
            and self.row_step[1] < 0.0
        )

    def model_xy(
        self, col: np.ndarray | float, row: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Model ``(X, Y)`` of raster points (column, row from the top; centres at integers)."""
        c = np.asarray(col, dtype=float)
        r = np.asarray(row, dtype=float)
        x = self.origin[0] + c * self.col_step[0] + r * self.row_step[0]
        y = self.origin[1] + c * self.col_step[1] + r * self.row_step[1]
        return x, y

    def raster_colrow(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`model_xy`: fractional (column, row) of model points."""
        a, c = self.col_step
        b, d = self.row_step
        det = a * d - b * c
        dx = np.asarray(x, dtype=float) - self.origin[0]
        dy = np.asarray(y, dtype=float) - self.origin[1]
        return (d * dx - b * dy) / det, (a * dy - c * dx) / det


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise GeoreferenceError(f"{what} has non-finite values")
    return out


def raster_affine(
    scale: Sequence[float] | None,
    tiepoints: Sequence[float] | None,
    transformation: Sequence[float] | None,
    pixel_is_point: bool,
) -> RasterAffine | None:
    """The raster-to-model affine of a GeoTIFF, or None when the tags give no position.

    Parameters
    ----------
    scale : sequence of float or None
        ModelPixelScale ``(Sx, Sy[, Sz])``.
    tiepoints : sequence of float or None
        ModelTiepoint, 6 values per tie point (only one is accepted).
    transformation : sequence of float or None
        ModelTransformation, 16 values (row-major 4 x 4).
    pixel_is_point : bool
        GTRasterTypeGeoKey is pixel-is-point.

    Raises
    ------
    GeoreferenceError
        Several tie points (ground control points), a non-finite or zero
        scale, a singular transformation, or both a transformation and a
        tie point with a scale.
    """
    half = 0.0 if pixel_is_point else 0.5
    if transformation is not None:
        m = _finite(transformation, "ModelTransformation")
        if len(m) < 16:
            raise GeoreferenceError(f"ModelTransformation has {len(m)} values (16 needed)")
        if tiepoints is not None and scale is not None:
            raise GeoreferenceError(
                "has both ModelTransformation and ModelTiepoint+ModelPixelScale (one is allowed)"
            )
        if m[0] * m[5] - m[1] * m[4] == 0.0:
            raise GeoreferenceError("ModelTransformation is singular")
        origin = (m[3] + half * (m[0] + m[1]), m[7] + half * (m[4] + m[5]))
        return RasterAffine(origin, (m[0], m[4]), (m[1], m[5]))
    if tiepoints is None or scale is None:
        return None
    t = _finite(tiepoints, "ModelTiepoint")
    s = _finite(scale, "ModelPixelScale")
    if len(t) < 6:
        raise GeoreferenceError(f"ModelTiepoint has {len(t)} values (6 per tie point)")
    if len(t) > 6:
        raise GeoreferenceError(
            f"has {len(t) // 6} tie points (ground control points); one tie point with "
            "ModelPixelScale is needed"
        )
    if len(s) < 2 or not (s[0] > 0.0 and s[1] > 0.0):
        raise GeoreferenceError(f"ModelPixelScale must be two positive numbers (got {s[:2]})")
    i_t, j_t, _, x_t, y_t, _ = t
    origin = (x_t + (half - i_t) * s[0], y_t - (half - j_t) * s[1])
    return RasterAffine(origin, (s[0], 0.0), (0.0, -s[1]))


def geokeys(
    directory: Sequence[int] | None,
    doubles: Sequence[float] | None = None,
    ascii_params: str | bytes | None = None,
) -> dict[int, int | float | str | tuple]:
    """GeoKeys by number: SHORT values as int, double values as float (tuple when
    several), ASCII values as str (trailing ``|`` removed). Malformed entries are
    skipped; an empty dict without a directory."""
    if directory is None:
        return {}
    keys = [int(v) for v in np.asarray(directory, dtype=np.int64).ravel()]
    dbl = [] if doubles is None else [float(v) for v in np.asarray(doubles, float).ravel()]
    if isinstance(ascii_params, bytes):
        ascii_params = ascii_params.decode("latin-1")
    text = ascii_params or ""
    out: dict[int, int | float | str | tuple] = {}
    if len(keys) < 4:
        return out
    for k in range(keys[3]):
        e = 4 + 4 * k
        if e + 3 >= len(keys):
            break
        key, loc, count, value = keys[e : e + 4]
        if loc == 0:
            out[key] = value
        elif loc == TAG_GEO_DOUBLES and 0 <= value and value + count <= len(dbl) and count > 0:
            vals = dbl[value : value + count]
            out[key] = vals[0] if count == 1 else tuple(vals)
        elif loc == TAG_GEO_ASCII and 0 <= value < len(text):
            out[key] = text[value : value + count].rstrip("|\x00")
    return out


def pixel_is_point(keys: dict) -> bool:
    """GTRasterTypeGeoKey says pixel-is-point."""
    return keys.get(KEY_RASTER_TYPE) == RASTER_PIXEL_IS_POINT
