"""Hazard detection and avoidance flown in closed loop (issue 5).

References: the chosen site is checked against the TRUE terrain with an
independent least-squares plane over the lander footprint (the ALHAT
criterion, Johnson et al. 2008: slope from the plane, rocks from the
residual relief); batch and single runs must agree bit for bit (the
simulator's determinism rule, docs/architecture.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config import load_scenario
from surefoot.sim.runner import simulate, terrain_for


def _truth_footprint(terrain, east_m: float, north_m: float, radius_m: float):  # noqa: ANN001, ANN202
    """(slope deg, max relief above the plane m) of the true terrain over a footprint disk."""
    d = 0.125
    n = int(2 * radius_m / d) + 1
    h = terrain.sample_grid(east_m - radius_m, north_m - radius_m, d, n, n)
    xs = -radius_m + d * np.arange(n)
    xx, yy = np.meshgrid(xs, xs)
    inside = xx**2 + yy**2 <= radius_m**2
    a = np.column_stack([np.ones(inside.sum()), xx[inside], yy[inside]])
    coef, *_ = np.linalg.lstsq(a, h[inside], rcond=None)
    resid = h[inside] - a @ coef
    return float(np.degrees(np.arctan(np.hypot(coef[1], coef[2])))), float(resid.max())


@pytest.fixture(scope="module")
def hda_run():  # noqa: ANN201
    s = load_scenario("hazard-field", None, 0)
    return s, simulate(s, telemetry=False)


def test_hazard_field_lands_on_the_site_it_chose_and_the_site_is_truly_clear(hda_run) -> None:  # noqa: ANN001
    s, res = hda_run
    summ = res.summary(0)
    looks = [e for e in res.events[0] if "hazard look" in e]
    assert len(looks) == len(s.fsw.hda.looks) == summ["hda_looks"]
    assert summ["hda_no_site"] == 0
    assert summ["outcome"] == "safe"
    assert summ["distance_from_final_target_m"] < 2.0
    site_e, site_n = summ["final_target_east_m"], summ["final_target_north_m"]
    assert np.hypot(site_e, site_n) <= sum(look.max_divert_m for look in s.fsw.hda.looks)
    slope, relief = _truth_footprint(
        res.terrain, site_e, site_n, s.fsw.hda.footprint_radius_m
    )
    assert slope < s.fsw.hda.tilt_limit_deg
    assert relief < s.fsw.hda.leg_clearance_m
    # each look's maps are kept for the figure
    assert [o.look for o in res.hda_looks[0]] == [1, 2]
    assert res.hda_looks[0][0].result.safety is not None


def test_batch_with_hazard_looks_equals_single_runs() -> None:
    scen = [load_scenario("hazard-field", None, k) for k in (3, 4)]
    terrain = terrain_for(scen[0])
    batch = simulate(scen, terrain=terrain, telemetry=False)
    for i, s in enumerate(scen):
        one = simulate(s, terrain=terrain, telemetry=False)
        assert batch.events[i] == one.events[0]
        np.testing.assert_array_equal(batch.touchdown[i], one.touchdown[0])
        np.testing.assert_array_equal(batch.fsw_state[i], one.fsw_state[0])


def test_without_lidar_returns_no_site_is_reported_and_the_target_kept() -> None:
    s = load_scenario("hazard-field", ["sensors.hazard_lidar.enabled=false"], 0)
    res = simulate(s, telemetry=False)
    summ = res.summary(0)
    assert summ["hda_looks"] == 2 and summ["hda_no_site"] == 2
    assert summ["final_target_east_m"] == 0.0 and summ["final_target_north_m"] == 0.0
    assert all("no safe site" in e for e in res.events[0] if "hazard look" in e)
    assert summ["outcome"] != "no_contact"


def test_on_a_terrain_where_landing_blind_fails_avoidance_lands_safely() -> None:
    """hazard-field terrain seed 6: the nominal target is hazardous (blind: hard);
    with avoidance the same lander, seed and terrain divert and land safely."""
    over = ["terrain.seed=6"]
    blind = load_scenario("hazard-field", [*over, "fsw.hda.enabled=false"], 6)
    hda = load_scenario("hazard-field", over, 6)
    res = simulate([blind, hda], telemetry=False)
    assert res.summary(0)["outcome"] != "safe"
    after = res.summary(1)
    assert after["outcome"] == "safe" and after["hda_divert_total_m"] > 1.0
    # the blind touchdown point is where the truth is rough or steep
    slope, relief = _truth_footprint(
        res.terrain,
        res.summary(0)["touchdown_east_m"],
        res.summary(0)["touchdown_north_m"],
        hda.fsw.hda.footprint_radius_m,
    )
    assert slope > hda.fsw.hda.tilt_limit_deg or relief > hda.fsw.hda.leg_clearance_m
