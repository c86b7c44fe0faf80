"""Where a georeferenced DEM lands in the site map frame, and what is refused.

Reference: OGC GeoTIFF 1.1 (OGC 19-008r4): ModelTiepoint ``(I, J, K, X, Y, Z)``
with ModelPixelScale ``(Sx, Sy, Sz)`` put raster point ``(I, J)`` at model
``(X, Y)``, columns east by ``Sx`` and rows south by ``Sy``; pixel-is-area
puts raster ``(0, 0)`` at the outer corner of the first pixel. A feature at
model ``(X, Y)`` in a frame where the site is ``(E, N)`` must appear at map
``(X - E, Y - N)`` (translation; the frame is local to the site).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from surefoot.config.loader import ConfigError, load_scenario
from surefoot.config.terrain import BoulderPopulation, CraterPopulation, TerrainConfig
from surefoot.math.geotiff_georef import SITE_FRAME_CITATION
from surefoot.world.terrain.dem_file import DemSite, load_dem
from surefoot.world.terrain.dem_projection import MoonProjection
from surefoot.world.terrain.synthetic import generate_terrain

from .dem_tiffs import (
    R_MOON,
    equirectangular_keys,
    geographic_keys,
    geokey_tags,
    metric_keys,
    polar_stereographic_keys,
    write_dem_tiff,
)

SITE_LAT, SITE_LON = math.radians(46.7), math.radians(44.4)
SITE_E, SITE_N = 500_000.0, 200_000.0  # the site in the DEM file's projected frame, m
PIXEL = 20.0
N = 101  # 2 km square
REGION = (-60e3, 20e3, -20e3, 20e3)


def _ridge_file_order() -> np.ndarray:
    """A north-south ridge 300 m high along the middle column; plain at 0 elsewhere."""
    col = np.arange(N, dtype=float)
    profile = 300.0 * np.exp(-0.5 * ((col - 50.0) / 2.0) ** 2)
    return np.tile(profile, (N, 1))


def _site(**kw: object) -> DemSite:
    args: dict = {"easting_m": SITE_E, "northing_m": SITE_N, "region_m": REGION, **kw}
    return DemSite(SITE_LAT, SITE_LON, R_MOON, **args)


def _flat(**kw: object) -> TerrainConfig:
    return TerrainConfig(
        source="file",
        base_height_m=0.0,
        craters=CraterPopulation(density_per_km2_above_1km=0.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=0.0),
        **kw,
    )


def test_a_ridge_15_km_uprange_of_the_site_lands_15_km_uprange(tmp_path: Path) -> None:
    """The issue's case: a DEM whose tie point puts its centre 15 km east of the site,
    the lander flying west. The ridge must be 15 km before the site on the ground track,
    not centred on the site (where today's loader put it) nor past it."""
    centre_e = SITE_E + 15_000.0
    corner = (centre_e - (N / 2) * PIXEL, SITE_N + (N / 2) * PIXEL)
    p = write_dem_tiff(
        tmp_path / "ridge.tif",
        _ridge_file_order(),
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=metric_keys(),
    )
    cfg = _flat(dem_file=str(p), dem_site_easting_m=SITE_E, dem_site_northing_m=SITE_N)
    b = generate_terrain(
        cfg,
        site_lat_rad=SITE_LAT,
        site_lon_rad=SITE_LON,
        radius_ref_m=R_MOON,
        approach_azimuth_rad=math.radians(270.0),
        uprange_length_m=50e3,
    )
    dem = b.levels[1]
    assert dem.name == "dem"
    assert dem.bounds == pytest.approx((14_000.0, 16_000.0, -1_000.0, 1_000.0), abs=1e-6)
    assert b.grids.dem is not None and "easting 500000 m" in b.grids.dem.placement
    # Along the track (y = 0), the highest terrain is the ridge crest at x = +15 km.
    x = np.arange(-30_000.0, 30_000.0, 1.0)
    h = b.grids.height(x, np.zeros_like(x))
    assert x[np.argmax(h)] == pytest.approx(15_000.0, abs=PIXEL)
    assert h.max() > 250.0
    # Nothing of it at the site or 15 km past it.
    assert abs(float(b.grids.height(0.0, 0.0))) < 1e-9
    assert abs(float(b.grids.height(-15_000.0, 0.0))) < 1e-9


def test_transformation_matrix_places_as_tie_point(tmp_path: Path) -> None:
    """ModelTransformation ``X = Sx I + X0, Y = -Sy J + Y0`` is the same placement."""
    corner = (SITE_E - 7_000.0, SITE_N + 3_000.0)
    a = write_dem_tiff(
        tmp_path / "tie.tif",
        _ridge_file_order(),
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=metric_keys(),
    )
    m = (
        PIXEL,
        0.0,
        0.0,
        corner[0],
        0.0,
        -PIXEL,
        0.0,
        corner[1],
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
    )
    b = write_dem_tiff(tmp_path / "mat.tif", _ridge_file_order(), transform=m, keys=metric_keys())
    da, db = load_dem(a, site=_site()), load_dem(b, site=_site())
    assert da.bounds == pytest.approx((-6_990.0, -4_990.0, 990.0, 2_990.0))
    assert db.bounds == pytest.approx(da.bounds)
    np.testing.assert_array_equal(da.heights_m, db.heights_m)
    # pixel-is-point: the tie point is the first pixel's centre, half a pixel away
    keys = geokey_tags({1024: 1, 1025: 2, 3072: 32767})
    c = write_dem_tiff(
        tmp_path / "pt.tif", _ridge_file_order(), scale=(PIXEL, PIXEL), tie_xy=corner, keys=keys
    )
    assert load_dem(c, site=_site()).bounds == pytest.approx((-7_000.0, -5_000.0, 1_000.0, 3_000.0))


def test_site_frame_file_needs_no_site_coordinates(tmp_path: Path) -> None:
    keys = geokey_tags({1024: 1, 1025: 1, 3072: 32767}, text={1026: SITE_FRAME_CITATION})
    p = write_dem_tiff(
        tmp_path / "site.tif",
        _ridge_file_order(),
        scale=(PIXEL, PIXEL),
        tie_xy=(-3_010.0, 2_510.0),
        keys=keys,
    )
    dem = load_dem(p, site=DemSite(SITE_LAT, SITE_LON, R_MOON))
    assert dem.bounds == pytest.approx((-3_000.0, -1_000.0, 500.0, 2_500.0))
    assert "site map frame" in dem.placement


def test_without_georeference_the_dem_is_centred_and_says_so(tmp_path: Path) -> None:
    p = write_dem_tiff(tmp_path / "plain.tif", _ridge_file_order(), scale=(PIXEL, PIXEL))
    dem = load_dem(p, site=_site())
    assert dem.bounds == pytest.approx((-1_000.0, 1_000.0, -1_000.0, 1_000.0))
    assert "no georeference" in dem.placement


def _bad(tmp: Path) -> list[tuple[str, Path, DemSite | None, str]]:
    h = _ridge_file_order()
    corner = (SITE_E - 1_000.0, SITE_N + 1_000.0)
    cases: list[tuple[str, Path, DemSite | None, str]] = []
    _latlon = _site(easting_m=None, northing_m=None)

    def add(name: str, site: DemSite | None, expect: str, **kw: object) -> None:
        cases.append((name, write_dem_tiff(tmp / f"{name}.tif", h, **kw), site, expect))

    add(
        "no site coordinates",
        DemSite(SITE_LAT, SITE_LON, R_MOON),
        "dem_site_easting_m",
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=metric_keys(),
    )
    add(
        "far away",
        _site(),
        "outside the area the landing needs",
        scale=(PIXEL, PIXEL),
        tie_xy=(corner[0] + 400e3, corner[1]),
        keys=metric_keys(),
    )
    add(
        "beyond the far side",
        _site(region_m=None),
        "half a Moon circumference",
        scale=(PIXEL, PIXEL),
        tie_xy=(corner[0] + 9e6, corner[1]),
        keys=metric_keys(),
    )
    rot = math.radians(10.0)
    m = (
        PIXEL * math.cos(rot),
        PIXEL * math.sin(rot),
        0.0,
        corner[0],
        PIXEL * math.sin(rot),
        -PIXEL * math.cos(rot),
        0.0,
        corner[1],
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
    )
    add("rotated", _site(), "rotated or sheared", transform=m, keys=metric_keys())
    add(
        "two tie points",
        _site(),
        "tie points",
        scale=(PIXEL, PIXEL),
        tie_values=(0.0, 0.0, 0.0, *corner, 0.0, 10.0, 10.0, 0.0, *corner, 0.0),
        keys=metric_keys(),
    )
    add(
        "non-square",
        _site(),
        "non-square",
        scale=(PIXEL, 2 * PIXEL),
        tie_xy=corner,
        keys=metric_keys(),
    )
    add(
        "earth datum",
        _latlon,
        "Earth",
        scale=(1e-3, 1e-3),
        tie_xy=(44.0, 47.0),
        keys=geokey_tags({1024: 2, 2048: 4326}),
    )
    add(
        "earth projection",
        _site(),
        "Earth",
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=geokey_tags({1024: 1, 3072: 32633}),
    )
    add(
        "feet",
        _site(),
        "linear units",
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=geokey_tags({1024: 1, 3072: 32767, 3076: 9002}),
    )
    add("degrees without tie point", _latlon, "degrees", scale=(1e-3, 1e-3), keys=geographic_keys())
    add(
        "earth sphere",
        _latlon,
        "not the Moon's",
        scale=(1e-3, 1e-3),
        tie_xy=(44.0, 47.0),
        keys=geokey_tags({1024: 2, 2048: 32767}, {2057: 6_378_137.0}),
    )
    add(
        "beyond the pole",
        _latlon,
        "beyond a pole",
        scale=(1.0, 1.0),
        tie_xy=(40.0, 95.0),
        keys=geographic_keys(),
    )
    add(
        "polar without pole",
        _site(),
        "without a pole",
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=geokey_tags({1024: 1, 3072: 32767, 3075: 15}),
    )
    add(
        "true scale and k0",
        _site(),
        "one only",
        scale=(PIXEL, PIXEL),
        tie_xy=corner,
        keys=polar_stereographic_keys(lat_deg=-80.0, k0=0.99),
    )
    add(
        "site metres on a degree tile",
        _site(),
        "apply to projected frames",
        scale=(1e-3, 1e-3),
        tie_xy=(44.0, 47.0),
        keys=geographic_keys(),
    )
    add(
        "misses the track",
        _latlon,
        "does not reach",
        scale=(1e-3, 1e-3),
        tie_xy=(math.degrees(SITE_LON) + 30.0, math.degrees(SITE_LAT)),
        keys=geographic_keys(),
    )
    return cases


def test_bad_georeference_is_one_line_naming_the_field(tmp_path: Path) -> None:
    for name, path, site, expect in _bad(tmp_path):
        with pytest.raises(ConfigError) as err:
            load_dem(path, site=site)
        msg = str(err.value)
        assert msg.startswith("terrain.dem_file: "), (name, msg)
        assert "\n" not in msg, (name, msg)
        assert expect in msg, (name, msg)


def test_site_coordinates_come_in_pairs() -> None:
    with pytest.raises(ConfigError, match="dem_site_northing_m"):
        load_scenario(None, ["terrain.dem_site_easting_m=500000"])


_FIXTURE = [HealthCheck.function_scoped_fixture]  # tmp_path is reused: each example overwrites
_numbers = st.floats(allow_nan=True, allow_infinity=True, width=64)
_scales = st.one_of(_numbers, st.floats(1e-9, 1e9), st.sampled_from([0.0, -20.0, 20.0]))


_offsets = st.one_of(st.floats(-3e4, 3e4), _numbers)  # near the site, or anything


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE)
@given(
    sx=st.one_of(st.floats(0.5, 500.0), _scales),
    sy=st.one_of(st.none(), _scales),
    dx=_offsets,
    dy=_offsets,
    east=st.floats(-1e8, 1e8),
    north=st.floats(-1e8, 1e8),
)
def test_any_numbers_in_a_metric_georeference(
    tmp_path: Path, sx: float, sy: float | None, dx: float, dy: float, east: float, north: float
) -> None:
    """Whatever the numbers, the DEM is placed where the tags say or refused in one line.
    (``sy`` None: square pixels.)"""
    sy = sx if sy is None else sy
    tx, ty = east + dx, north + dy
    p = write_dem_tiff(
        tmp_path / "h.tif", np.zeros((6, 6)), scale=(sx, sy), tie_xy=(tx, ty), keys=metric_keys()
    )
    site = _site(easting_m=east, northing_m=north)
    try:
        dem = load_dem(p, site=site)
    except ConfigError as exc:
        msg = str(exc)
        assert msg.startswith("terrain.dem_file: ") and "\n" not in msg, msg
        event("refused")
        return
    event("placed")
    assert dem.pixel_m == pytest.approx(abs(sx))
    assert dem.x0_m == pytest.approx(tx + 0.5 * sx - east, rel=1e-9, abs=1e-6)
    assert dem.y0_m == pytest.approx(ty - 5.5 * sy - north, rel=1e-9, abs=1e-6)


_KEYS = {"geo": geographic_keys, "eqc": equirectangular_keys, "stere": polar_stereographic_keys}
_PROJ = {
    "geo": MoonProjection("geographic", R_MOON),
    "eqc": MoonProjection("equirectangular", R_MOON),
    "stere": MoonProjection("polar_stereographic", R_MOON, south=True),
}


@settings(max_examples=40, deadline=None, suppress_health_check=_FIXTURE)
@given(
    kind=st.sampled_from(sorted(_KEYS)),
    scale=st.one_of(st.floats(0.05, 2.0), _scales),
    oc=st.one_of(st.floats(-20.0, 30.0), _numbers),
    orow=st.floats(-20.0, 30.0),
    south=st.booleans(),
)
def test_any_numbers_in_a_projected_georeference(
    tmp_path: Path, kind: str, scale: float, oc: float, orow: float, south: bool
) -> None:
    """Latitude/longitude tiles with any tie point and scale: a placed DEM or one line.
    The tie point is ``oc``, ``orow`` pixels (of ``scale`` km, or ``scale`` / 30 deg)
    north-west of the site, or anywhere."""
    lat = math.radians(-85.0 if south or kind == "stere" else 46.7)
    base = _PROJ[kind].forward(np.array(lat), np.array(SITE_LON))
    step = scale / 30.0 if kind == "geo" else scale * 1e3
    tie = (float(base[0]) - oc * step, float(base[1]) + orow * step)
    p = write_dem_tiff(
        tmp_path / "h.tif", np.zeros((24, 24)), scale=(step, step), tie_xy=tie, keys=_KEYS[kind]()
    )
    try:
        dem = load_dem(p, site=DemSite(lat, SITE_LON, R_MOON, region_m=REGION))
    except ConfigError as exc:
        msg = str(exc)
        assert msg.startswith("terrain.dem_file: ") and "\n" not in msg, msg
        event("refused")
        return
    event("placed")
    assert np.all(np.isfinite(dem.heights_m)) and min(dem.heights_m.shape) >= 4
    x0, x1, y0, y1 = dem.bounds
    assert x1 >= REGION[0] and x0 <= REGION[1] and y1 >= REGION[2] and y0 <= REGION[3]


def test_cli_refuses_a_dem_that_misses_the_track_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from surefoot.cli import main

    p = write_dem_tiff(
        tmp_path / "far.tif",
        _ridge_file_order(),
        scale=(PIXEL, PIXEL),
        tie_xy=(SITE_E + 400e3, SITE_N),
        keys=metric_keys(),
    )
    sets = [
        "terrain.source=file",
        f"terrain.dem_file={p}",
        f"terrain.dem_site_easting_m={SITE_E}",
        f"terrain.dem_site_northing_m={SITE_N}",
    ]
    args = ["run", "--out", str(tmp_path / "out"), "--no-figure"]
    assert main(args + [a for s in sets for a in ("--set", s)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # a cold kernel cache announces its compile before the terrain is built
    err = [line for line in err if not line.startswith("compiling flight kernels")]
    assert len(err) == 1 and err[0].startswith("surefoot: error: terrain.dem_file: "), err
    assert "outside the area the landing needs" in err[0]


def test_check_refuses_the_dems_that_run_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run --check`` once said "valid" for a missing DEM file and for one that misses
    the track, which ``run`` then refused: it builds the terrain too (without flying),
    one line naming ``terrain.dem_file``, exit 2."""
    from surefoot.cli import main

    far = write_dem_tiff(
        tmp_path / "far.tif",
        _ridge_file_order(),
        scale=(PIXEL, PIXEL),
        tie_xy=(SITE_E + 400e3, SITE_N),
        keys=metric_keys(),
    )
    for path, message in (
        (tmp_path / "nosuch.tif", "does not exist"),
        (far, "outside the area the landing needs"),
    ):
        sets = [
            "terrain.source=file",
            f"terrain.dem_file={path}",
            f"terrain.dem_site_easting_m={SITE_E}",
            f"terrain.dem_site_northing_m={SITE_N}",
        ]
        args = ["run", "--check", "--out", str(tmp_path / "out")]
        assert main(args + [a for s in sets for a in ("--set", s)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("surefoot: error: terrain.dem_file: "), err
        assert message in err[0]
