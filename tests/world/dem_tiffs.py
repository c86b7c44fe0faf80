"""Small DEM GeoTIFFs written in the tests, with the GeoTIFF tags of OGC 19-008r4.

Keys are written as GDAL writes lunar products: user-defined (32767) model,
datum and projection, the projection's parameters in GeoKeys, doubles in the
GeoDoubleParamsTag (34736) and text in the GeoAsciiParamsTag (34737).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

R_MOON = 1_737_400.0
SCALE, TIE, TRANSFORM, KEYS, DOUBLES, ASCII = 33550, 33922, 34264, 34735, 34736, 34737


def geokey_tags(
    short: dict[int, int],
    doubles: dict[int, float] | None = None,
    text: dict[int, str] | None = None,
) -> list[tuple]:
    """Extra tags (tifffile's form) for a GeoKey directory with its value stores."""
    doubles = doubles or {}
    text = text or {}
    entries: list[tuple[int, int, int, int]] = []
    dbl: list[float] = []
    asc = ""
    for key in sorted({*short, *doubles, *text}):
        if key in short:
            entries.append((key, 0, 1, short[key]))
        elif key in doubles:
            entries.append((key, DOUBLES, 1, len(dbl)))
            dbl.append(doubles[key])
        else:
            entries.append((key, ASCII, len(text[key]) + 1, len(asc)))
            asc += text[key] + "|"
    directory = [1, 1, 0, len(entries)] + [v for e in entries for v in e]
    tags: list[tuple] = [(KEYS, "H", len(directory), tuple(directory), False)]
    if dbl:
        tags.append((DOUBLES, "d", len(dbl), tuple(dbl), False))
    if asc:
        tags.append((ASCII, "s", 0, asc, False))
    return tags


def write_dem_tiff(
    path: Path,
    heights_file_order: np.ndarray,
    *,
    scale: tuple[float, float] | None = None,
    tie_xy: tuple[float, float] | None = None,
    keys: list[tuple] | None = None,
    transform: tuple[float, ...] | None = None,
    tie_values: tuple[float, ...] | None = None,
) -> Path:
    """A float32 GeoTIFF (row 0 = north) with the given georeference.

    ``tie_xy`` is the model position of the outer corner of the top-left
    pixel (pixel-is-area, raster point (0, 0)).
    """
    tags: list[tuple] = []
    if scale is not None:
        tags.append((SCALE, "d", 3, (scale[0], scale[1], 0.0), False))
    if tie_values is not None:
        tags.append((TIE, "d", len(tie_values), tie_values, False))
    elif tie_xy is not None:
        tags.append((TIE, "d", 6, (0.0, 0.0, 0.0, tie_xy[0], tie_xy[1], 0.0), False))
    if transform is not None:
        tags.append((TRANSFORM, "d", 16, transform, False))
    tags += keys or []
    tifffile.imwrite(path, np.asarray(heights_file_order, dtype=np.float32), extratags=tags)
    return path


def metric_keys() -> list[tuple]:
    """A projected frame in metres that surefoot does not reproject (user-defined)."""
    return geokey_tags({1024: 1, 1025: 1, 3072: 32767, 3076: 9001})


def equirectangular_keys(lon0_deg: float = 0.0, lat_ts_deg: float = 0.0) -> list[tuple]:
    """LOLA-style simple cylindrical on the Moon sphere."""
    return geokey_tags(
        {1024: 1, 1025: 1, 2048: 32767, 3072: 32767, 3074: 32767, 3075: 17, 3076: 9001},
        {
            2057: R_MOON,
            2058: R_MOON,
            3078: lat_ts_deg,
            3088: lon0_deg,
            3089: 0.0,
            3082: 0.0,
            3083: 0.0,
        },
        {1026: "Equirectangular Moon", 2049: "GCS_Moon_2000"},
    )


def polar_stereographic_keys(
    lat_deg: float = -90.0, lon0_deg: float = 0.0, k0: float = 1.0
) -> list[tuple]:
    """Polar stereographic on the Moon sphere; ``lat_deg`` is +-90 or the latitude
    of true scale (GDAL's ProjNatOriginLatGeoKey)."""
    return geokey_tags(
        {1024: 1, 1025: 1, 2048: 32767, 3072: 32767, 3074: 32767, 3075: 15, 3076: 9001},
        {2057: R_MOON, 3081: lat_deg, 3095: lon0_deg, 3092: k0, 3082: 0.0, 3083: 0.0},
    )


def geographic_keys() -> list[tuple]:
    """Longitude/latitude in degrees on the Moon sphere."""
    return geokey_tags({1024: 2, 1025: 1, 2048: 32767, 2054: 9102}, {2057: R_MOON})
