"""Latitude/longitude-referenced DEM tiles reprojected to the site map frame.

References:

- PROJ (through pyproj, optional extra ``geo``) on the sphere R = 1737.4 km:
  ``+proj=eqc`` (equirectangular), ``+proj=stere +lat_0=+-90`` (polar
  stereographic, with ``+k`` or ``+lat_ts``), ``+proj=longlat`` and
  ``+proj=aeqd`` about the site (the site map frame);
- surefoot's own site map frame, :func:`surefoot.math.frames.mcmf_to_map`,
  for the azimuthal-equidistant formulas without pyproj.

A tile whose heights are a linear function of the column (or row) index is
resampled exactly by bilinear interpolation, so the height read at a site
map node gives back the tile column (row) that the loader mapped the node
to; PROJ's column (row) for the same node is the reference, to < 1 pixel
(measured: ~1e-11 pixel).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from surefoot.math.frames import enu_basis_mcmf, mcmf_to_map
from surefoot.world.terrain.dem_file import DemSite, load_dem
from surefoot.world.terrain.dem_projection import (
    MoonProjection,
    site_map_forward,
    site_map_inverse,
)

from .dem_tiffs import (
    R_MOON,
    equirectangular_keys,
    geographic_keys,
    polar_stereographic_keys,
    write_dem_tiff,
)


def _pyproj():  # noqa: ANN202
    return pytest.importorskip("pyproj", reason="pyproj (optional extra 'geo') is the reference")


def _transformer(src: str, dst: str):  # noqa: ANN202
    pyproj = _pyproj()
    return pyproj.Transformer.from_crs(pyproj.CRS(src), pyproj.CRS(dst), always_xy=True)


LONGLAT = f"+proj=longlat +R={R_MOON} +no_defs"


def _aeqd(lat_deg: float, lon_deg: float) -> str:
    return f"+proj=aeqd +lat_0={lat_deg} +lon_0={lon_deg} +R={R_MOON} +units=m +no_defs"


def test_site_map_formulas_agree_with_the_simulators_map_frame() -> None:
    """No pyproj: site_map_forward/inverse against math.frames.mcmf_to_map."""
    rng = np.random.default_rng(1)
    lat0, lon0 = math.radians(-85.3), math.radians(31.0)
    c = enu_basis_mcmf(lat0, lon0)
    lat = lat0 + rng.uniform(-0.05, 0.05, 200)
    lon = lon0 + rng.uniform(-0.5, 0.5, 200)
    x, y = site_map_forward(lat, lon, lat0, lon0, R_MOON)
    for k in range(0, 200, 7):
        r = R_MOON * np.array(
            [
                math.cos(lat[k]) * math.cos(lon[k]),
                math.cos(lat[k]) * math.sin(lon[k]),
                math.sin(lat[k]),
            ]
        )
        xr, yr, _ = mcmf_to_map(r, c, R_MOON)
        assert (x[k], y[k]) == pytest.approx((xr, yr), abs=1e-6)
    lat_b, lon_b = site_map_inverse(x, y, lat0, lon0, R_MOON)
    np.testing.assert_allclose(lat_b, lat, atol=1e-12)
    np.testing.assert_allclose(np.angle(np.exp(1j * (lon_b - lon))), 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ("projection", "proj4"),
    [
        (
            MoonProjection(
                "equirectangular",
                R_MOON,
                math.radians(180.0),
                0.0,
                math.radians(30.0),
                false_easting_m=1e3,
                false_northing_m=-2e3,
            ),
            f"+proj=eqc +lon_0=180 +lat_ts=30 +x_0=1000 +y_0=-2000 +R={R_MOON} +units=m",
        ),
        (
            MoonProjection("polar_stereographic", R_MOON, math.radians(45.0), k0=0.994, south=True),
            f"+proj=stere +lat_0=-90 +lon_0=45 +k=0.994 +R={R_MOON} +units=m",
        ),
        (
            MoonProjection(
                "polar_stereographic", R_MOON, 0.0, k0=0.5 * (1 + math.sin(1.4)), south=False
            ),
            f"+proj=stere +lat_0=90 +lat_ts={math.degrees(1.4)} +lon_0=0 +R={R_MOON} +units=m",
        ),
    ],
)
def test_projection_formulas_against_proj(projection: MoonProjection, proj4: str) -> None:
    t = _transformer(LONGLAT, proj4)
    rng = np.random.default_rng(2)
    pole = -1.0 if projection.south else 1.0
    lat = np.radians(pole * rng.uniform(60.0, 89.9, 300))
    if projection.kind == "equirectangular":
        lat = np.radians(rng.uniform(-80.0, 80.0, 300))
    lon = np.radians(rng.uniform(-180.0, 180.0, 300))
    x, y = projection.forward(lat, lon)
    xr, yr = t.transform(np.degrees(lon), np.degrees(lat))
    np.testing.assert_allclose(x, xr, atol=1e-4)
    np.testing.assert_allclose(y, yr, atol=1e-4)
    lat_b, lon_b = projection.inverse(x, y)
    np.testing.assert_allclose(lat_b, lat, atol=1e-11)
    np.testing.assert_allclose(np.angle(np.exp(1j * (lon_b - lon))), 0.0, atol=1e-10)


def _tiles(tmp: Path, name: str, shape: tuple[int, int], **kw: object) -> tuple[Path, Path]:
    """Two tiles of the same georeference: heights = column / 4 and row / 4 (m)."""
    ny, nx = shape
    rows, cols = np.mgrid[0:ny, 0:nx].astype(float)
    a = write_dem_tiff(tmp / f"{name}_col.tif", cols / 4.0, **kw)
    b = write_dem_tiff(tmp / f"{name}_row.tif", rows / 4.0, **kw)
    return a, b


def _check_against_proj(
    tmp: Path,
    name: str,
    proj4: str,
    site_deg: tuple[float, float],
    shape: tuple[int, int],
    scale: float,
    corner: tuple[float, float],
    keys: list,
    region: tuple | None = None,
) -> None:
    lat_s, lon_s = site_deg
    site = DemSite(math.radians(lat_s), math.radians(lon_s), R_MOON, region_m=region)
    a, b = _tiles(tmp, name, shape, scale=(scale, scale), tie_xy=corner, keys=keys)
    dem_c, dem_r = load_dem(a, site=site), load_dem(b, site=site)
    assert dem_c.bounds == dem_r.bounds
    assert "reprojected from" in dem_c.placement
    ny, nx = dem_c.heights_m.shape
    assert ny >= 50 and nx >= 50
    # every 7th node: the loader's tile column/row against PROJ's
    jj, ii = np.mgrid[0:ny:7, 0:nx:7]
    x = dem_c.x0_m + dem_c.pixel_m * ii
    y = dem_c.y0_m + dem_c.pixel_m * jj
    lon, lat = _transformer(_aeqd(lat_s, lon_s), LONGLAT).transform(x, y)
    px, py = _transformer(LONGLAT, proj4).transform(lon, lat)
    col_ref = (px - corner[0]) / scale - 0.5
    row_ref = (corner[1] - py) / scale - 0.5
    col_got = dem_c.heights_m[jj, ii] * 4.0
    row_got = dem_r.heights_m[jj, ii] * 4.0
    err = np.hypot(col_got - col_ref, row_got - row_ref)
    assert float(err.max()) < 1e-3, float(err.max())  # pixels (the done-when: < 1)
    # the resampled grid stays inside the tile (nothing extrapolated)
    assert col_ref.min() > -0.5 and col_ref.max() < shape[1] - 0.5
    assert row_ref.min() > -0.5 and row_ref.max() < shape[0] - 0.5


def test_equirectangular_tile_against_proj(tmp_path: Path) -> None:
    """A LOLA-style simple cylindrical tile (lon0 0, standard parallel 0, 59 m pixels ~
    512 px/deg) around a mid-latitude site: x is stretched by 1 / cos(lat) on the ground."""
    lat_s, lon_s = 46.7, 44.4
    proj4 = f"+proj=eqc +lon_0=0 +lat_ts=0 +R={R_MOON} +units=m"
    xs, ys = _transformer(LONGLAT, proj4).transform(lon_s, lat_s)
    scale = 59.225
    corner = (xs - 120 * scale, ys + 70 * scale)  # the site off the tile's centre
    _check_against_proj(
        tmp_path, "eqc", proj4, (lat_s, lon_s), (200, 260), scale, corner, equirectangular_keys()
    )


def test_polar_stereographic_tile_against_proj(tmp_path: Path) -> None:
    """A south polar stereographic tile (LOLA's polar products: pole at the origin,
    scale 1 at the pole) around a site at 85.3 S, 31 E: the tile's grid is turned by
    the longitude against the site's north."""
    lat_s, lon_s = -85.3, 31.0
    proj4 = f"+proj=stere +lat_0=-90 +lon_0=0 +k=1 +R={R_MOON} +units=m"
    xs, ys = _transformer(LONGLAT, proj4).transform(lon_s, lat_s)
    scale = 40.0
    corner = (xs - 150 * scale, ys + 110 * scale)
    _check_against_proj(
        tmp_path,
        "ps",
        proj4,
        (lat_s, lon_s),
        (240, 260),
        scale,
        corner,
        polar_stereographic_keys(-90.0, 0.0, 1.0),
    )


def test_polar_stereographic_with_latitude_of_true_scale(tmp_path: Path) -> None:
    lat_s, lon_s = 86.0, -120.0
    proj4 = f"+proj=stere +lat_0=90 +lat_ts=80 +lon_0=-60 +R={R_MOON} +units=m"
    xs, ys = _transformer(LONGLAT, proj4).transform(lon_s, lat_s)
    scale = 30.0
    corner = (xs - 100 * scale, ys + 100 * scale)
    _check_against_proj(
        tmp_path,
        "ps_ts",
        proj4,
        (lat_s, lon_s),
        (200, 200),
        scale,
        corner,
        polar_stereographic_keys(80.0, -60.0, 1.0),
    )


def test_geographic_tile_against_proj_cut_to_the_region(tmp_path: Path) -> None:
    """Degrees (GeoTIFF model type 2), a tile larger than the area the landing needs:
    it is cut to that area."""
    lat_s, lon_s = 8.5, -15.2
    scale = 1.0 / 512.0
    corner = (lon_s - 200 * scale, lat_s + 150 * scale)
    region = (-3e3, 2e3, -2e3, 4e3)
    _check_against_proj(
        tmp_path,
        "geo",
        LONGLAT,
        (lat_s, lon_s),
        (400, 400),
        scale,
        corner,
        geographic_keys(),
        region,
    )
    dem = load_dem(
        tmp_path / "geo_col.tif",
        site=DemSite(math.radians(lat_s), math.radians(lon_s), R_MOON, region_m=region),
    )
    x0, x1, y0, y1 = dem.bounds
    assert x0 >= region[0] - dem.pixel_m and x1 <= region[1] + dem.pixel_m
    assert y0 >= region[2] - dem.pixel_m and y1 <= region[3] + dem.pixel_m


def test_a_peak_lands_where_proj_puts_its_latitude_and_longitude(tmp_path: Path) -> None:
    """One raised pixel of a polar stereographic tile at a known latitude/longitude: the
    highest node of the reprojected DEM is within a pixel of PROJ's site-frame position."""
    lat_s, lon_s = -89.2, 100.0
    proj4 = f"+proj=stere +lat_0=-90 +lon_0=0 +k=1 +R={R_MOON} +units=m"
    to_ps = _transformer(LONGLAT, proj4)
    xs, ys = to_ps.transform(lon_s, lat_s)
    scale = 20.0
    corner = (xs - 100 * scale, ys + 100 * scale)
    h = np.zeros((200, 200))
    h[60, 140] = 100.0
    p = write_dem_tiff(
        tmp_path / "peak.tif",
        h,
        scale=(scale, scale),
        tie_xy=corner,
        keys=polar_stereographic_keys(),
    )
    dem = load_dem(p, site=DemSite(math.radians(lat_s), math.radians(lon_s), R_MOON, region_m=None))
    j, i = np.unravel_index(np.argmax(dem.heights_m), dem.heights_m.shape)
    got = (dem.x0_m + i * dem.pixel_m, dem.y0_m + j * dem.pixel_m)
    ps = _transformer(proj4, LONGLAT).transform(corner[0] + 140.5 * scale, corner[1] - 60.5 * scale)
    ref = _transformer(LONGLAT, _aeqd(lat_s, lon_s)).transform(*ps)
    assert math.dist(got, ref) < dem.pixel_m
