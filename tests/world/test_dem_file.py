"""DEM files: round trips through .npy, .npz and GeoTIFF, placement, and bad inputs.

References: GeoTIFF 1.1 (OGC 19-008r4) for ModelPixelScaleTag (33550),
GeoKeyDirectoryTag (34735, GTModelTypeGeoKey 1024: 1 projected, 2 geographic)
and image rows running north to south; GDAL's GDAL_NODATA tag (42113).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import tifffile

from surefoot.config.loader import ConfigError
from surefoot.config.terrain import BoulderPopulation, CraterPopulation, TerrainConfig
from surefoot.world.terrain.dem_file import load_dem
from surefoot.world.terrain.synthetic import build_terrain, generate_terrain

R_MOON = 1_737_400.0
SITE = {"site_lat_rad": math.radians(46.7), "site_lon_rad": math.radians(44.4)}
PIXEL_TAG = 33550
GEOKEY_TAG = 34735
NODATA_TAG = 42113


def _dem(ny: int = 301, nx: int = 401, level_m: float = -1500.0) -> np.ndarray:
    """Smooth synthetic relief in grid order (row 0 south), m."""
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    return level_m + 40.0 * np.sin(x / 17.0) * np.cos(y / 23.0) + 0.2 * x - 0.1 * y


def _write_tiff(path: Path, grid_order: np.ndarray, extratags: list) -> None:
    tifffile.imwrite(path, grid_order[::-1].astype(np.float32), extratags=extratags)


def _flat(**kw: object) -> TerrainConfig:
    """DEM config with no synthetic detail, so the DEM shows unchanged inside its taper band."""
    return TerrainConfig(
        source="file",
        craters=CraterPopulation(density_per_km2_above_1km=0.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=0.0),
        **kw,
    )


def _build(cfg: TerrainConfig, **kw: float):  # noqa: ANN202
    args = {"approach_azimuth_rad": math.radians(90.0), "uprange_length_m": 50e3, **kw}
    return generate_terrain(cfg, **SITE, radius_ref_m=R_MOON, **args)


# --- round trips ----------------------------------------------------------------------


def test_npy_round_trip_centred_on_site(tmp_path: Path) -> None:
    h = _dem()
    p = tmp_path / "dem.npy"
    np.save(p, h)
    dem = load_dem(p, pixel_m=2.0)
    np.testing.assert_array_equal(dem.heights_m, h)
    assert dem.pixel_m == 2.0
    assert dem.bounds == (-400.0, 400.0, -300.0, 300.0)


def test_npz_round_trip_with_pixel_and_offsets(tmp_path: Path) -> None:
    h = _dem(ny=50, nx=60)
    p = tmp_path / "dem.npz"
    np.savez(p, height_m=h.astype(np.float32), pixel_m=5.0, x0_m=-100.0, y0_m=-40.0)
    dem = load_dem(p)
    np.testing.assert_allclose(dem.heights_m, h, atol=1e-3)  # float32 in the file
    assert (dem.pixel_m, dem.x0_m, dem.y0_m) == (5.0, -100.0, -40.0)
    assert load_dem(p, pixel_m=5.0).pixel_m == 5.0  # agreeing config is fine
    # Without offsets: centred
    np.savez(p, height_m=h, pixel_m=5.0)
    dem = load_dem(p)
    assert dem.bounds == (-147.5, 147.5, -122.5, 122.5)
    # A run's terrain_site.npz (dx_m for the spacing) loads back as a DEM.
    np.savez(p, height_m=h, x0_m=-10.0, y0_m=-20.0, dx_m=0.5)
    dem = load_dem(p)
    assert (dem.pixel_m, dem.x0_m, dem.y0_m) == (0.5, -10.0, -20.0)


def test_geotiff_round_trip_pixel_from_tag(tmp_path: Path) -> None:
    """Rows north to south in the file, flipped on load; pixel size from ModelPixelScale."""
    h = _dem(ny=40, nx=30)
    p = tmp_path / "dem.tif"
    _write_tiff(p, h, [(PIXEL_TAG, "d", 3, (2.5, 2.5, 0.0), False)])
    dem = load_dem(p)
    np.testing.assert_allclose(dem.heights_m, h, atol=1e-3)
    assert dem.pixel_m == 2.5
    assert dem.heights_m[0, 0] == pytest.approx(h[0, 0], abs=1e-3)  # south-west corner
    # No tag: the configured pixel size is used.
    q = tmp_path / "plain.tiff"
    _write_tiff(q, h, [])
    assert load_dem(q, pixel_m=3.0).pixel_m == 3.0
    # A projected model type is accepted.
    r = tmp_path / "proj.tif"
    keys = (1, 1, 0, 1, 1024, 0, 1, 1)
    _write_tiff(r, h, [(PIXEL_TAG, "d", 3, (2.5, 2.5, 0.0), False),
                       (GEOKEY_TAG, "H", len(keys), keys, False)])
    assert load_dem(r).pixel_m == 2.5


def test_dem_becomes_a_level_over_the_coarse_track(tmp_path: Path) -> None:
    """The DEM is a level on top of a coarse level covering the track; inside its taper band
    the terrain is the DEM exactly, and heights are continuous across its border."""
    h = _dem(ny=301, nx=401)  # 800 m x 600 m at 2 m, nodes on whole metres
    p = tmp_path / "site.npy"
    np.save(p, h)
    b = _build(_flat(dem_file=str(p), dem_pixel_m=2.0))
    names = [s.name for s in b.levels]
    assert names == ["coarse", "dem", "fine"]  # fine (1 m) adds detail finer than the DEM
    g = b.grids
    dem_spec = b.levels[1]
    assert dem_spec.bounds == (-400.0, 400.0, -300.0, 300.0)
    t = int(math.ceil(dem_spec.taper_m / 2.0)) + 1
    jj, ii = np.mgrid[t : 301 - t : 7, t : 401 - t : 7]
    got = g.height(-400.0 + 2.0 * ii, -300.0 + 2.0 * jj)
    np.testing.assert_allclose(got, h[jj, ii], atol=1e-9)
    # Coarse level covers the track and the plain is the DEM's edge median height.
    cb = b.levels[0].bounds
    assert cb[0] <= -50e3 and cb[1] >= 0.0
    edge = np.concatenate([h[0], h[-1], h[1:-1, 0], h[1:-1, -1]])
    assert float(g.height(-30e3, 5e3)) == pytest.approx(float(np.median(edge)))
    # Continuity at the DEM border.
    s = np.linspace(-299.0, 299.0, 1001)
    for x_in, x_out in ((-400.0 + 1e-6, -400.0 - 1e-6), (400.0 - 1e-6, 400.0 + 1e-6)):
        jump = g.height(np.full_like(s, x_in), s) - g.height(np.full_like(s, x_out), s)
        assert np.max(np.abs(jump)) < 1e-4


def test_dem_with_synthetic_detail_and_base_height(tmp_path: Path) -> None:
    """Boulders and craters below 4 DEM pixels go on a synthetic fine level inside the DEM;
    an explicit base_height_m sets the coarse plain."""
    h = _dem(ny=401, nx=401, level_m=700.0)
    p = tmp_path / "site.npz"
    np.savez(p, height_m=h, pixel_m=20.0)  # 8 km square at 20 m
    cfg = TerrainConfig(source="file", dem_file=str(p), base_height_m=650.0)
    b = _build(cfg)
    assert [s.name for s in b.levels] == ["coarse", "dem", "medium", "fine"]
    assert b.boulders.shape[0] > 100
    assert b.craters.shape[0] > 0
    fine_craters = b.craters[b.craters["level"] == 3]
    assert np.all(fine_craters["diameter_m"] < 4.0 * 10.0)
    med_craters = b.craters[b.craters["level"] == 2]
    assert med_craters.shape[0] > 0
    assert np.all(med_craters["diameter_m"] < 4.0 * 20.0)
    dem_interior = b.levels[1].interior
    med = b.levels[2].bounds
    assert med[0] >= dem_interior[0] - 10.0 and med[1] <= dem_interior[1] + 10.0
    _, _, _, coarse = b.grids.level(0)
    assert np.median(coarse) == pytest.approx(650.0, abs=5.0)
    g = build_terrain(cfg, **SITE, radius_ref_m=R_MOON, approach_azimuth_rad=0.0,
                      uprange_length_m=20e3)
    assert g.n_levels == 4


# --- bad inputs -----------------------------------------------------------------------


def _bad_cases(tmp: Path) -> list[tuple[str, Path, float | None, str]]:
    ok = _dem(ny=20, nx=20)
    cases: list[tuple[str, Path, float | None, str]] = []

    def add(name: str, path: Path, pixel: float | None, expect: str) -> None:
        cases.append((name, path, pixel, expect))

    add("missing", tmp / "nope.npy", 1.0, "does not exist")
    (tmp / "dem.csv").write_text("1,2\n3,4\n")
    add("format", tmp / "dem.csv", 1.0, "unsupported format")
    np.save(tmp / "vec.npy", np.arange(10.0))
    add("1d", tmp / "vec.npy", 1.0, "2-D")
    np.save(tmp / "cube.npy", np.zeros((5, 5, 3)))
    add("3d", tmp / "cube.npy", 1.0, "2-D")
    np.save(tmp / "tiny.npy", np.zeros((3, 10)))
    add("small", tmp / "tiny.npy", 1.0, "too small")
    nan = ok.copy()
    nan[3, 4] = np.nan
    np.save(tmp / "nan.npy", nan)
    add("nan", tmp / "nan.npy", 1.0, "non-finite")
    inf = ok.copy()
    inf[0, 0] = np.inf
    np.save(tmp / "inf.npy", inf)
    add("inf", tmp / "inf.npy", 1.0, "non-finite")
    np.save(tmp / "text.npy", np.array([["a", "b"], ["c", "d"]]))
    add("strings", tmp / "text.npy", 1.0, "must be numbers")
    np.save(tmp / "nopix.npy", ok)
    add("no pixel", tmp / "nopix.npy", None, "dem_pixel_m")
    np.save(tmp / "radius.npy", ok + R_MOON)
    add("datum", tmp / "radius.npy", 1.0, "above the reference sphere")
    (tmp / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    add("corrupt npy", tmp / "junk.npy", 1.0, "cannot be read")
    np.savez(tmp / "noh.npz", heights=ok)
    add("npz no height_m", tmp / "noh.npz", 1.0, "height_m")
    np.savez(tmp / "vecpix.npz", height_m=ok, pixel_m=np.array([1.0, 2.0]))
    add("npz pixel vector", tmp / "vecpix.npz", None, "single number")
    np.savez(tmp / "negpix.npz", height_m=ok, pixel_m=-2.0)
    add("npz negative pixel", tmp / "negpix.npz", None, "invalid pixel size")
    np.savez(tmp / "twopix.npz", height_m=ok, pixel_m=2.0, dx_m=1.0)
    add("npz pixel_m and dx_m", tmp / "twopix.npz", None, "differ")
    np.savez(tmp / "onex.npz", height_m=ok, pixel_m=2.0, x0_m=5.0)
    add("npz one offset", tmp / "onex.npz", None, "x0_m")
    np.savez(tmp / "conflict.npz", height_m=ok, pixel_m=2.0)
    add("pixel conflict", tmp / "conflict.npz", 3.0, "terrain.dem_pixel_m")
    (tmp / "junk.tif").write_bytes(b"II*\x00garbage")
    add("corrupt tiff", tmp / "junk.tif", 1.0, "cannot be read")
    _write_tiff(tmp / "rect.tif", ok, [(PIXEL_TAG, "d", 3, (2.0, 3.0, 0.0), False)])
    add("non-square", tmp / "rect.tif", None, "non-square")
    keys = (1, 1, 0, 1, 1024, 0, 1, 2)
    _write_tiff(tmp / "geo.tif", ok, [(PIXEL_TAG, "d", 3, (1e-4, 1e-4, 0.0), False),
                                      (GEOKEY_TAG, "H", len(keys), keys, False)])
    add("degrees", tmp / "geo.tif", None, "degrees")
    nd = ok.copy()
    nd[5, 5] = -32768.0
    _write_tiff(tmp / "nodata.tif", nd, [(PIXEL_TAG, "d", 3, (2.0, 2.0, 0.0), False),
                                         (NODATA_TAG, "s", 0, "-32768", False)])
    add("nodata", tmp / "nodata.tif", None, "no-data")
    tifffile.imwrite(tmp / "rgb.tif", np.zeros((20, 20, 3), np.uint8), photometric="rgb")
    add("rgb tiff", tmp / "rgb.tif", 1.0, "2-D")
    (tmp / "adir.npy").mkdir()
    add("directory", tmp / "adir.npy", 1.0, "not a file")
    return cases


def test_bad_dem_inputs_raise_one_line_config_error(tmp_path: Path) -> None:
    for name, path, pixel, expect in _bad_cases(tmp_path):
        with pytest.raises(ConfigError) as err:
            load_dem(path, pixel_m=pixel)
        msg = str(err.value)
        assert msg.startswith("terrain.dem_file: "), (name, msg)
        assert "\n" not in msg, (name, msg)
        assert expect in msg, (name, msg)


def test_build_with_bad_dem_raises_config_error(tmp_path: Path) -> None:
    cfg = TerrainConfig(source="file", dem_file=str(tmp_path / "missing.tif"))
    with pytest.raises(ConfigError, match=r"^terrain\.dem_file: .*does not exist"):
        build_terrain(cfg, **SITE, radius_ref_m=R_MOON, approach_azimuth_rad=0.0,
                      uprange_length_m=1e4)
    np.save(tmp_path / "ok.npy", _dem(ny=10, nx=10))
    cfg = TerrainConfig(source="file", dem_file=str(tmp_path / "ok.npy"))
    with pytest.raises(ConfigError, match="dem_pixel_m"):
        build_terrain(cfg, **SITE, radius_ref_m=R_MOON, approach_azimuth_rad=0.0,
                      uprange_length_m=1e4)
