"""The coordinate reference system of a DEM GeoTIFF, from its GeoKeys.

Reference: OGC GeoTIFF 1.1 (OGC 19-008r4), sections 7.4-7.5 and annex B
(key and code numbers below). What surefoot understands:

- geographic (GTModelTypeGeoKey 2): longitude/latitude in degrees; the
  sphere's radius from GeogSemiMajorAxisGeoKey, else the Moon's 1737.4 km;
- projected (GTModelTypeGeoKey 1) with ProjCoordTransGeoKey
  CT_Equirectangular (17: ProjCenterLong/ProjNatOriginLong, ProjCenterLat/
  ProjNatOriginLat, ProjStdParallel1) or CT_PolarStereographic (15:
  ProjStraightVertPoleLong/ProjNatOriginLong, ProjNatOriginLat or
  ProjStdParallel1 as the latitude of true scale, ProjScaleAtNatOrigin), plus
  ProjFalseEasting/Northing: reprojected to the site frame
  (:mod:`surefoot.world.terrain.dem_projection`);
- the site map frame surefoot writes (GTCitation
  :data:`~surefoot.math.geotiff_georef.SITE_FRAME_CITATION`): placed as it is;
- any other projected frame in metres: placed by translation, given the
  site's easting and northing in it (``terrain.dem_site_easting_m``,
  ``terrain.dem_site_northing_m``); right for a projection local to the site.

Earth codes (an EPSG GeographicTypeGeoKey or ProjectedCSTypeGeoKey),
non-metre linear units and non-degree angular units are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from surefoot.math.geotiff_georef import (
    KEY_CITATION,
    KEY_MODEL_TYPE,
    MODEL_GEOGRAPHIC,
    MODEL_PROJECTED,
    SITE_FRAME_CITATION,
)
from surefoot.world.terrain.dem_projection import MOON_RADIUS_M, MoonProjection

USER_DEFINED = 32767
KEY_GEOGRAPHIC_TYPE = 2048
KEY_GEOG_ANGULAR_UNITS = 2054
KEY_GEOG_SEMI_MAJOR = 2057
KEY_PROJECTED_CS_TYPE = 3072
KEY_PROJ_COORD_TRANS = 3075
KEY_PROJ_LINEAR_UNITS = 3076
KEY_STD_PARALLEL_1 = 3078
KEY_NAT_ORIGIN_LONG = 3080
KEY_NAT_ORIGIN_LAT = 3081
KEY_FALSE_EASTING = 3082
KEY_FALSE_NORTHING = 3083
KEY_CENTER_LONG = 3088
KEY_CENTER_LAT = 3089
KEY_SCALE_AT_NAT_ORIGIN = 3092
KEY_STRAIGHT_VERT_POLE_LONG = 3095
CT_POLAR_STEREOGRAPHIC = 15
CT_EQUIRECTANGULAR = 17
UNIT_METRE = 9001
UNIT_DEGREE = 9102

MOON_RADIUS_RANGE_M = (1_700_000.0, 1_780_000.0)
"""A sphere outside this range is not the Moon (an Earth datum or wrong units)."""


class DemCrsError(ValueError):
    """GeoKeys that surefoot cannot use; the message says which (one line)."""


@dataclass(frozen=True)
class DemCrs:
    """What a DEM's GeoKeys say about its coordinates.

    ``kind``: ``"none"`` (no GeoKeys), ``"site_frame"`` (surefoot's own site
    map frame), ``"metric"`` (a projected frame in metres that surefoot does
    not reproject), or ``"projection"`` (``projection`` is set).
    """

    kind: Literal["none", "site_frame", "metric", "projection"]
    projection: MoonProjection | None = None


def _number(keys: dict, key: int, name: str, default: float | None) -> float | None:
    v = keys.get(key, default)
    if v is None:
        return None
    if isinstance(v, tuple | str):
        raise DemCrsError(f"GeoKey {name} ({key}) must be one number (got {v!r:.40})")
    v = float(v)
    if not math.isfinite(v):
        raise DemCrsError(f"GeoKey {name} ({key}) is not finite")
    return v


def _angle(keys: dict, key: int, name: str, default: float | None, limit: float) -> float | None:
    v = _number(keys, key, name, default)
    if v is None:
        return None
    if abs(v) > limit:
        raise DemCrsError(f"GeoKey {name} ({key}) is {v:g} deg (|value| <= {limit:g})")
    return math.radians(v)


def _radius(keys: dict) -> float:
    r = _number(keys, KEY_GEOG_SEMI_MAJOR, "GeogSemiMajorAxis", None) or MOON_RADIUS_M
    lo, hi = MOON_RADIUS_RANGE_M
    if not lo <= r <= hi:
        raise DemCrsError(
            f"has a sphere of radius {r:.6g} m, not the Moon's (GeogSemiMajorAxis must be "
            f"{lo / 1e3:g} to {hi / 1e3:g} km)"
        )
    return r


def _check_geographic_type(keys: dict) -> None:
    code = keys.get(KEY_GEOGRAPHIC_TYPE)
    if code is not None and code != USER_DEFINED:
        raise DemCrsError(
            f"has GeographicTypeGeoKey {code!r}, an Earth datum code; a lunar DEM uses a "
            f"user-defined ({USER_DEFINED}) lunar sphere"
        )
    units = keys.get(KEY_GEOG_ANGULAR_UNITS, UNIT_DEGREE)
    if units != UNIT_DEGREE:
        raise DemCrsError(f"has angular units code {units!r}; only degrees ({UNIT_DEGREE})")


def dem_crs(keys: dict) -> DemCrs:
    """Read the GeoKeys (:func:`surefoot.math.geotiff_georef.geokeys`) of a DEM.

    Raises
    ------
    DemCrsError
        Earth codes, unknown model type, units other than metres/degrees,
        projection parameters out of range.
    """
    if not keys:
        return DemCrs("none")
    model = keys.get(KEY_MODEL_TYPE)
    if model == MODEL_GEOGRAPHIC:
        _check_geographic_type(keys)
        return DemCrs("projection", MoonProjection("geographic", _radius(keys)))
    if model not in (MODEL_PROJECTED, None):
        raise DemCrsError(f"has GTModelTypeGeoKey {model!r} (1 projected or 2 geographic)")
    citation = keys.get(KEY_CITATION)
    if isinstance(citation, str) and citation.startswith(SITE_FRAME_CITATION):
        return DemCrs("site_frame")
    pcs = keys.get(KEY_PROJECTED_CS_TYPE)
    if pcs is not None and pcs != USER_DEFINED:
        raise DemCrsError(
            f"has ProjectedCSTypeGeoKey {pcs!r}, an Earth projection code; a lunar DEM uses "
            f"a user-defined ({USER_DEFINED}) projection"
        )
    units = keys.get(KEY_PROJ_LINEAR_UNITS, UNIT_METRE)
    if units != UNIT_METRE:
        raise DemCrsError(f"has linear units code {units!r}; only metres ({UNIT_METRE})")
    trans = keys.get(KEY_PROJ_COORD_TRANS)
    if trans not in (CT_EQUIRECTANGULAR, CT_POLAR_STEREOGRAPHIC):
        return DemCrs("metric")
    _check_geographic_type(keys)
    r = _radius(keys)
    fe = _number(keys, KEY_FALSE_EASTING, "ProjFalseEasting", 0.0) or 0.0
    fn = _number(keys, KEY_FALSE_NORTHING, "ProjFalseNorthing", 0.0) or 0.0
    if trans == CT_EQUIRECTANGULAR:
        lon0 = _angle(keys, KEY_CENTER_LONG, "ProjCenterLong", None, 360.0)
        if lon0 is None:
            lon0 = _angle(keys, KEY_NAT_ORIGIN_LONG, "ProjNatOriginLong", 0.0, 360.0)
        lat0 = _angle(keys, KEY_CENTER_LAT, "ProjCenterLat", None, 90.0)
        if lat0 is None:
            lat0 = _angle(keys, KEY_NAT_ORIGIN_LAT, "ProjNatOriginLat", 0.0, 90.0)
        lat_ts = _angle(keys, KEY_STD_PARALLEL_1, "ProjStdParallel1", 0.0, 89.0)
        return DemCrs(
            "projection",
            MoonProjection(
                "equirectangular",
                r,
                lon0 or 0.0,
                lat0 or 0.0,
                lat_ts or 0.0,
                false_easting_m=fe,
                false_northing_m=fn,
            ),
        )
    lon0 = _angle(keys, KEY_STRAIGHT_VERT_POLE_LONG, "ProjStraightVertPoleLong", None, 360.0)
    if lon0 is None:
        lon0 = _angle(keys, KEY_NAT_ORIGIN_LONG, "ProjNatOriginLong", 0.0, 360.0)
    lat_ts = _angle(keys, KEY_STD_PARALLEL_1, "ProjStdParallel1", None, 90.0)
    if lat_ts is None:
        lat_ts = _angle(keys, KEY_NAT_ORIGIN_LAT, "ProjNatOriginLat", None, 90.0)
    if lat_ts is None or lat_ts == 0.0:
        raise DemCrsError(
            "is polar stereographic without a pole (ProjNatOriginLat or ProjStdParallel1 "
            "must be +-90 or the latitude of true scale)"
        )
    k0 = _number(keys, KEY_SCALE_AT_NAT_ORIGIN, "ProjScaleAtNatOrigin", 1.0) or 0.0
    if not 0.5 <= k0 <= 1.5:
        raise DemCrsError(f"has polar stereographic scale {k0:g} (0.5 to 1.5)")
    if abs(abs(lat_ts) - 0.5 * math.pi) > 1e-12:
        if k0 != 1.0:
            raise DemCrsError(
                "gives both a latitude of true scale and a scale factor at the pole (one only)"
            )
        k0 = 0.5 * (1.0 + abs(math.sin(lat_ts)))
    return DemCrs(
        "projection",
        MoonProjection(
            "polar_stereographic",
            r,
            lon0 or 0.0,
            k0=k0,
            south=lat_ts < 0.0,
            false_easting_m=fe,
            false_northing_m=fn,
        ),
    )
