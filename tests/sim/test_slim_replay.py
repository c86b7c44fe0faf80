"""The ``slim`` replay: a nozzle lost at 50 m, LEV-1 released at about 5 m, a tip-over
onto the nose (docs/missions.md, SLIM). A synthetic reconstruction.

Fast checks hold the pieces against physics: the rover's free fall (``t`` from
``h = v t + g t^2 / 2``, impact speed from energy, ``sqrt(v0^2 + 2 g h)``), the
ground plane fit of the egress check on a plane, and the lander's landing gear and
body from a SLIM-like touchdown state (the post-contact stage alone). The slow tests
fly the replay and its variant without the fault (about 8 s together).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from surefoot.config.loader import load_scenario
from surefoot.math.quaternion import quat_from_axis_angle
from surefoot.sim.event_summary import ground_plane_fit, rover_fall
from surefoot.sim.runner import simulate
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    GEAR_SETTLED,
    GEAR_TIPPED,
    N_OUT,
    N_Y,
    O_BODY_LOADED,
    O_OUTCOME,
    O_TILT_DEG,
    Y_P,
    Y_Q,
    Y_V,
    gear_params,
    seat_on_ground,
    settle,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import mass_properties, vehicle_params

G_MOON = 4.9028e12 / 1_737_400.0**2
NO_FAULT = "vehicle.engine.faults=[]"


def plane(slope_deg: float = 0.0, uphill_deg: float = 0.0, half_m: float = 200.0) -> TerrainGrids:
    """Terrain rising at ``slope_deg`` toward the map direction ``uphill_deg`` (from +x
    toward +y); bilinear interpolation of a plane is exact."""
    g = math.tan(math.radians(slope_deg))
    gx, gy = g * math.cos(math.radians(uphill_deg)), g * math.sin(math.radians(uphill_deg))
    x, y = np.meshgrid([-half_m, half_m], [-half_m, half_m])
    return TerrainGrids.from_levels(
        [(-half_m, -half_m, 2 * half_m, gx * x + gy * y)], 0.0, 0.0, 1_737_400.0
    )


def test_the_replay_carries_its_fault_rover_and_body() -> None:
    s = load_scenario("slim")
    assert s.sim.touchdown_dynamics
    (fault,) = s.vehicle.engine.faults
    assert fault.kind == "thrust_scale" and fault.start_altitude_m == 50.0
    assert fault.thrust_fraction == pytest.approx(0.55)
    assert s.vehicle.rover is not None and len(s.vehicle.body_points_body_m) >= 4
    nominal = load_scenario("slim", [NO_FAULT])
    assert nominal.vehicle.engine.faults == ()
    assert nominal.fsw == s.fsw  # the flight software is the same; only the truth differs


@pytest.mark.parametrize(("h", "vz", "vh"), [(5.0, 0.0, 0.0), (4.0, -1.4, 0.8), (1.0, 0.5, 0.0)])
def test_rover_free_fall_against_kinematics(h: float, vz: float, vh: float) -> None:
    terrain = plane()
    t, xy, v = rover_fall(np.zeros(3), np.array([vh, 0.0, vz]), h, G_MOON, terrain)
    t_ref = (vz + math.sqrt(vz * vz + 2.0 * G_MOON * h)) / G_MOON
    assert t == pytest.approx(t_ref, abs=1e-6)
    assert np.linalg.norm(v) == pytest.approx(math.sqrt(vh**2 + vz**2 + 2 * G_MOON * h), rel=1e-6)
    assert xy[0] == pytest.approx(vh * t_ref, abs=1e-5)


@pytest.mark.parametrize("slope_deg", [0.0, 7.0, 15.0])
def test_egress_ground_fit_on_a_plane(slope_deg: float) -> None:
    slope, rough = ground_plane_fit(plane(slope_deg, uphill_deg=30.0), 3.0, -2.0, 3.0)
    assert slope == pytest.approx(slope_deg, abs=1e-6)
    assert rough < 1e-9


def _touch(drift_east_m_s: float, slope_deg: float) -> np.ndarray:
    """Post-contact outcome of the slim vehicle (60 kg of propellant left) touching a
    plane falling to the east at 1.4 m/s vertical and ``drift_east_m_s``, upright."""
    s = load_scenario("slim")
    v = s.vehicle
    m, com, inertia = mass_properties(60.0, vehicle_params(v))
    body = np.asarray(v.body_points_body_m)
    points = np.vstack([footpad_positions_body(v.legs), body]) - com
    gp = gear_params(v.legs, v.legs.height_m + v.com_dry_body_m[2], len(body))
    terrain = plane(slope_deg, uphill_deg=180.0)
    y = np.zeros(N_Y)
    y[Y_Q : Y_Q + 4] = quat_from_axis_angle(np.array([0.0, 1.0, 0.0]), 0.0)
    y[Y_V : Y_V + 3] = (drift_east_m_s, 0.0, -1.4)
    y[Y_P + 2] = 10.0
    seat_on_ground(y, points, terrain.meta, terrain.offsets, terrain.heights)
    out = np.zeros(N_OUT)
    settle(
        y, m, inertia, points, gp, G_MOON, terrain.meta, terrain.offsets, terrain.heights, 30.0, out
    )
    return out


def test_slim_like_touchdown_tips_onto_the_nose_and_a_soft_one_stands() -> None:
    """The replay site's slope (about 7 deg, falling east) and a 1.5 m/s drift down it:
    the lander tips over and rests on its nose corners with the main engine above the
    horizon; straight down at 1.4 m/s it stands on its four legs at the slope."""
    tipped = _touch(1.5, 7.0)
    assert tipped[O_OUTCOME] == GEAR_TIPPED
    assert tipped[O_TILT_DEG] > 90.0 and tipped[O_BODY_LOADED] >= 2
    stands = _touch(0.0, 7.0)
    assert stands[O_OUTCOME] == GEAR_SETTLED
    assert stands[O_TILT_DEG] == pytest.approx(7.0, abs=0.5)


@pytest.fixture(scope="module")
def flown() -> dict:
    res = simulate([load_scenario("slim"), load_scenario("slim", [NO_FAULT])])
    return {"fault": res.summary(0), "nominal": res.summary(1)}


def test_slim_loses_its_nozzle_releases_the_rover_and_rests_on_its_nose(flown: dict) -> None:
    s = flown["fault"]
    assert 5.0 < s["flight_time_s"] - s["engine_fault_first_s"] < 60.0
    assert s["touchdown_east_m"] > 5.0  # the moved thrust line pushed it east, as flown
    assert s["rover_released"] and 4.0 < s["rover_drop_height_m"] < 6.0
    assert s["tipped_over"] and s["engine_pointing_up"]
    assert s["resting_on"] in ("body", "legs and body")
    assert not s["egress_ok"] and "tilt" in s["egress_blocked_by"]  # no ramp off its side


def test_slim_without_the_fault_lands_and_stands(flown: dict) -> None:
    s = flown["nominal"]
    assert s["outcome"] == "safe"
    assert s["touchdown_dynamics_outcome"] == "settled" and not s["tipped_over"]
    assert not s["engine_pointing_up"] and s["resting_on"] == "legs"
    assert s["rover_released"] and s["rover_landed_safely"]
    assert s["egress_ok"]
    assert "engine_fault_first_s" not in s  # no fault configured, no fault fields
