"""Body contact after a tip-over: the lander's nose corners as contact points with the
footpads' laws, so a tipped lander comes to rest on its side instead of the stage
stopping at the tip.

References: a rigid body rests on the hull face under its centre of mass (statics:
the face's outward normal points down), here the face through two footpads and two
nose corners, at a tilt of ``90 deg + atan(dx / dz)`` for a face that narrows by
``dx`` over its height ``dz``; the energy balance of the stage holds with the body
points as with the legs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from surefoot.config.schema import LegConfig
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    GEAR_TIPPED,
    N_OUT,
    O_BODY_LOADED,
    O_E0_J,
    O_E_CRUSH_J,
    O_E_DAMP_J,
    O_E_ELASTIC_J,
    O_E_FRIC_J,
    O_E_KIN_J,
    O_E_POT_J,
    O_LEGS_LOADED,
    O_OUTCOME,
    O_TILT_DEG,
    O_TIPPED,
    gear_params,
    seat_on_ground,
    settle,
)

from .gear_cases import G_MOON, INERTIA, MASS_KG, plane, state

STIFF = LegConfig(
    spring_n_m=1e7, crush_force_n=1e6, structural_load_n=1e7, friction_coefficient=1.0
)
NOSE_RADIUS_M = 1.0  # nose corners on a circle of this radius, at the footpads' azimuths
NOSE_HEIGHT_M = 1.5  # above the centre of mass
TOWARD_FOOT = np.array([math.cos(math.pi / 4), math.sin(math.pi / 4), 0.0])


def _nose(legs: LegConfig) -> np.ndarray:
    ang = 2.0 * np.pi * np.arange(legs.count) / legs.count + np.pi / legs.count
    return np.column_stack(
        [
            NOSE_RADIUS_M * np.cos(ang),
            NOSE_RADIUS_M * np.sin(ang),
            np.full(legs.count, NOSE_HEIGHT_M),
        ]
    )


def _run(y0: np.ndarray, legs: LegConfig, body: bool) -> np.ndarray:
    feet = footpad_positions_body(legs)
    n_body = 0
    if body:
        feet = np.vstack([feet, _nose(legs)])
        n_body = legs.count
    terrain = plane()
    y = y0.copy()
    seat_on_ground(y, feet, terrain.meta, terrain.offsets, terrain.heights)
    out = np.zeros(N_OUT)
    settle(
        y,
        MASS_KG,
        INERTIA,
        feet,
        gear_params(legs, legs.height_m, n_body),
        G_MOON,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        30.0,
        out,
    )
    return out


def _side_tilt_deg(legs: LegConfig) -> float:
    """Tilt of body z when the face through two footpads and two nose corners lies flat
    (the face toward +x: footpads at x = r cos 45, nose corners at x = a cos 45)."""
    c = math.cos(math.pi / 4)
    dx = (NOSE_RADIUS_M - legs.radius_m) * c
    dz = NOSE_HEIGHT_M + legs.height_m
    return 90.0 + math.degrees(math.atan2(-dx, dz))


def test_tipped_lander_rests_on_its_side_at_the_hull_face() -> None:
    # tipped over the +x face: a tilt about y past the tip angle toward +x
    y0 = state(np.array([0.0, 1.0, 0.0]), 40.0)
    out = _run(y0, STIFF, body=True)
    assert out[O_OUTCOME] == GEAR_TIPPED and out[O_TIPPED] == 1.0
    assert out[O_TILT_DEG] == pytest.approx(_side_tilt_deg(STIFF), abs=0.1)
    assert out[O_LEGS_LOADED] == 2 and out[O_BODY_LOADED] == 2


def test_without_body_points_the_stage_stops_at_the_tip() -> None:
    out = _run(state(np.array([0.0, 1.0, 0.0]), 40.0), STIFF, body=False)
    assert out[O_OUTCOME] == GEAR_TIPPED and out[O_TILT_DEG] < 60.0


@pytest.mark.parametrize("spin_rad_s", [0.0, 0.8])
def test_energy_balance_through_a_tip_over_onto_the_body(spin_rad_s: float) -> None:
    """Crushable legs and body points: the energy at contact is absorbed, stored or left
    as motion, to 1%."""
    legs = LegConfig()
    y0 = state(np.array([0.0, 1.0, 0.0]), 42.0, w_body=(0.0, spin_rad_s, 0.0))
    out = _run(y0, legs, body=True)
    assert out[O_TIPPED] == 1.0
    drop = -out[O_E_POT_J]
    absorbed = out[O_E_CRUSH_J] + out[O_E_DAMP_J] + out[O_E_FRIC_J]
    balance = out[O_E0_J] + drop - absorbed - out[O_E_ELASTIC_J] - out[O_E_KIN_J]
    assert abs(balance) < 0.01 * (out[O_E0_J] + drop)
