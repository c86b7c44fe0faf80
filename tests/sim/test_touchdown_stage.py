"""The post-contact stage in a flown landing: off by default (summaries unchanged),
on with ``sim.touchdown_dynamics``: the lander comes to rest on the terrain it
touched, its tilt the resting slope of the footpad ground points (the support
plane of surefoot.world.contact), having absorbed its kinetic energy at contact
plus the potential energy of sinking onto its legs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from surefoot.config import load_scenario
from surefoot.sim.output import write_run
from surefoot.sim.runner import simulate
from surefoot.sim.touchdown_stage import GEAR_SUMMARY_FIELDS


@pytest.fixture(scope="module")
def flights() -> tuple[dict, dict]:
    off = simulate(load_scenario("default", seed=0), telemetry=False).summary(0)
    on_result = simulate(
        load_scenario("default", ["sim.touchdown_dynamics=true"], seed=0), telemetry=False
    )
    return off, on_result.summary(0) | {"_result": on_result}


def test_off_by_default_and_the_flight_is_unchanged_when_on(flights) -> None:  # noqa: ANN001
    off, on = flights
    assert not any(k in off for k in GEAR_SUMMARY_FIELDS)
    for k, v in off.items():
        if k != "wall_time_s":
            assert str(on[k]) == str(v), k


def test_the_lander_settles_at_the_resting_slope_having_absorbed_its_energy(
    flights,  # noqa: ANN001
) -> None:
    _, on = flights
    assert on["touchdown_dynamics_outcome"] == "settled"
    assert on["tipped_over"] is False
    assert on["settled_tilt_deg"] == pytest.approx(on["touchdown_slope_deg"], abs=0.5)
    v2 = on["touchdown_vertical_speed_m_s"] ** 2 + on["touchdown_horizontal_speed_m_s"] ** 2
    kinetic = 0.5 * on["touchdown_mass_kg"] * v2
    assert kinetic <= on["touchdown_energy_absorbed_j"] <= 1.2 * kinetic
    assert 0.0 <= on["leg_stroke_used_m"] < 0.15
    assert 0.0 < on["settle_time_s"] < 30.0


def test_summary_json_carries_the_gear_fields(flights, tmp_path: Path) -> None:  # noqa: ANN001
    _, on = flights
    paths = write_run(on["_result"], tmp_path)
    written = json.loads(paths["summary"].read_text())
    for k in GEAR_SUMMARY_FIELDS:
        assert k in written
    assert math.isclose(written["leg_stroke_used_m"], on["leg_stroke_used_m"])


def test_rigid_legs_rest_on_the_support_plane_of_the_footpad_ground_points() -> None:
    """Legs that neither crush nor give: the tilt at rest is the slope of the support
    plane that world/contact.py computes at first contact (to the few centimetres the
    feet move on the bilinear terrain while settling)."""
    rigid = [
        "sim.touchdown_dynamics=true",
        "vehicle.legs.crush_force_n=1e6",
        "vehicle.legs.structural_load_n=1e7",
        "vehicle.legs.spring_n_m=1e7",
    ]
    s = simulate(load_scenario("default", rigid, seed=0), telemetry=False).summary(0)
    assert s["touchdown_dynamics_outcome"] == "settled"
    assert s["leg_stroke_used_m"] == 0.0
    assert s["settled_tilt_deg"] == pytest.approx(s["touchdown_slope_deg"], abs=0.03)
