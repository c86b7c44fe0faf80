"""The run summary says which DEM area the landing crossed.

Reference: on a sphere, the azimuthal-equidistant map frame keeps distances
along great circles through its centre (Snyder 1987, USGS PP 1395, ch. 25),
so a track along the great circle through the site at ground angles
``theta_a .. theta_b`` is ``R (theta_b - theta_a)`` long on the map, and the
part of it over a DEM spanning ``x0 .. x1`` on that line is ``x1 - x0``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import tifffile
from rich.console import Console

from surefoot.analysis.descent_report import summary_table
from surefoot.config import load_scenario
from surefoot.sim.output import dem_summary, run_summary
from surefoot.sim.runner import simulate
from surefoot.world.terrain.dem_file import DemFootprint

R = 1_737_400.0


def _great_circle_east(theta: np.ndarray, height_m: float) -> np.ndarray:
    """Site ENU (up above the sphere) of points over the great circle due east."""
    r = R + height_m
    return np.stack([r * np.sin(theta), np.zeros_like(theta), r * np.cos(theta) - R], axis=1)


def test_track_over_the_dem_is_the_arc_inside_it() -> None:
    theta = np.linspace(-30e3 / R, 0.0, 30_001)  # 1 m steps, 30 km uprange to the site
    fp = DemFootprint("x.tif", "placed", (-10e3, -5e3, -1e3, 1e3), 20.0, 400.0)
    s = dem_summary(fp, _great_circle_east(theta, 2_000.0), R)
    assert s["ground_track_m"] == pytest.approx(30e3, abs=1e-3)
    assert s["ground_track_over_dem_m"] == pytest.approx(5e3, abs=1.0)
    assert s["ground_track_over_synthetic_m"] == pytest.approx(25e3, abs=1.0)
    assert s["ground_track_over_dem_fraction"] == pytest.approx(1.0 / 6.0, abs=1e-4)
    assert (s["dem_east_min_m"], s["dem_north_max_m"]) == (-10e3, 1e3)
    # a track that passes beside the DEM (north of it) never crosses it
    off = _great_circle_east(theta, 2_000.0)
    off[:, 1] = 5e3
    assert dem_summary(fp, off, R)["ground_track_over_dem_m"] == 0.0
    # no telemetry: the extent, and NaN for the track
    s = dem_summary(fp, None, R)
    assert math.isnan(s["ground_track_m"]) and s["dem_pixel_m"] == 20.0


def test_a_flight_over_a_dem_reports_it_and_one_without_does_not(tmp_path: Path) -> None:
    n, pixel = 201, 50.0  # 10 km square, 15 km uprange of the site (flying east)
    h = -1_000.0 + np.zeros((n, n))
    east, north = 100_000.0, 40_000.0  # the site in the file's frame
    corner = (east - 20_000.0 - 0.5 * pixel, north + 5_000.0 + 0.5 * pixel)
    p = tmp_path / "dem.tif"
    keys = (1, 1, 0, 3, 1024, 0, 1, 1, 3072, 0, 1, 32767, 3076, 0, 1, 9001)  # user frame, m
    tifffile.imwrite(
        p,
        h.astype(np.float32),
        extratags=[
            (33550, "d", 3, (pixel, pixel, 0.0), False),  # ModelPixelScale
            (33922, "d", 6, (0.0, 0.0, 0.0, *corner, 0.0), False),  # ModelTiepoint
            (34735, "H", len(keys), keys, False),  # GeoKeyDirectory
        ],
    )
    short = ["initial.altitude_m=3000", "initial.uprange_km=20"]
    s = load_scenario(
        "default",
        [
            *short,
            "terrain.source=file",
            f"terrain.dem_file={p}",
            f"terrain.dem_site_easting_m={east}",
            f"terrain.dem_site_northing_m={north}",
        ],
    )
    result = simulate(s)
    summary = run_summary(result)
    assert (summary["dem_east_min_m"], summary["dem_east_max_m"]) == pytest.approx((-20e3, -10e3))
    assert (summary["dem_north_min_m"], summary["dem_north_max_m"]) == pytest.approx((-5e3, 5e3))
    assert "easting 100000 m" in summary["dem_placement"]
    assert summary["ground_track_over_dem_m"] + summary["ground_track_over_synthetic_m"] == (
        pytest.approx(summary["ground_track_m"])
    )
    assert 0.0 < summary["ground_track_over_dem_m"] <= math.hypot(10e3, 10e3) + 100.0
    console = Console(record=True, width=200)
    console.print(summary_table(summary))
    text = console.export_text()
    assert "DEM extent (site frame)" in text and "E -20.00 to -10.00 km" in text
    assert "ground track over DEM" in text
    plain = run_summary(simulate(load_scenario("default", short), telemetry=False))
    assert not any(k.startswith(("dem_", "ground_track")) for k in plain)
