"""A hunt over the terrain under the site: the crater's place relative to the site dispersed.

Reference: the runs' own rows (each run flies its own terrain, its inputs stored)
and a re-flight of the worst case alone. Scenario: ``tests/hunt/short-descent.yaml``
with a 2 km crater placed by the hunt within 1.5 km of the site.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from surefoot.campaign.hunt.driver import HuntSettings, run_hunt
from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign

from .conftest import short_descent

CRATER = (
    "terrain.large_crater={center_east_m: 0.0, center_north_m: 0.0, diameter_m: 2000.0, "
    "depth_m: 150.0, rim_height_m: 40.0, floor_diameter_fraction: 0.3, terraces: 0}"
)
EAST = "terrain.large_crater.center_east_m"
NORTH = "terrain.large_crater.center_north_m"


def test_a_hunt_moves_a_crater_under_the_site(warm_kernel: None, tmp_path: Path) -> None:
    scenario = short_descent(
        [
            CRATER,
            f"dispersions.fields.{EAST}={{dist: uniform, low: -1500.0, high: 1500.0}}",
            f"dispersions.fields.{NORTH}={{dist: uniform, low: -1500.0, high: 1500.0}}",
        ]
    )
    out = tmp_path / "h"
    o = run_hunt(
        scenario, HuntSettings(method="cmaes", budget=8, generation_size=4, seed=0), out, workers=2
    )
    t = load_campaign(out).table.to_pydict()
    centres = set(zip(t[EAST], t[NORTH], strict=True))
    assert len(centres) == 8 and all(abs(e) <= 1500 and abs(n) <= 1500 for e, n in centres)
    # the ground under the site moved: the slope at touchdown is not one value
    assert np.ptp(np.array(t["touchdown_slope_deg"])) > 0.5
    worst = o.summary["worst_cases"][0]
    assert {EAST, NORTH} <= set(worst["inputs"])
    assert rerun(out, worst["run_index"], telemetry=False).identical
