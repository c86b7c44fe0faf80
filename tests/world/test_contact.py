"""Touchdown classification: safe / hard / tipped / crashed at and across each limit.

References: the safe limits are Chandrayaan-3's specification (2 m/s vertical,
0.5 m/s horizontal, 12 deg slope; ../shared/reference/missions.md). Tip-over
is rigid-body statics and energy: a lander of CoM height h on footpads of
radius r tips statically past atan(r / h) of tilt plus slope, and dynamically
when its lateral kinetic energy v^2 / 2 lifts the CoM over the downhill
footpad, a height sqrt(r^2 + h^2) - h cos(s) - r sin(s) on a slope s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from surefoot.config.schema import LegConfig, TouchdownLimits
from surefoot.world.contact import (
    N_TD,
    TD_CONTACT,
    TD_RATE_DEG_S,
    TD_SLOPE_DEG,
    TD_TILT_DEG,
    TD_V_HORIZ,
    TD_V_VERT,
    classify_touchdown,
    footpad_positions_body,
)

LIMITS = TouchdownLimits()
LEGS = LegConfig(count=4, radius_m=2.0, height_m=1.2)
COM_HEIGHT_M = 1.5
G_MOON = 1.62


def _td(v_vert=1.0, v_horiz=0.1, tilt=1.0, slope=1.0, rate=0.5, contact=True) -> np.ndarray:
    td = np.zeros(N_TD)
    td[TD_CONTACT] = 1.0 if contact else 0.0
    td[TD_V_VERT] = v_vert
    td[TD_V_HORIZ] = v_horiz
    td[TD_TILT_DEG] = tilt
    td[TD_SLOPE_DEG] = slope
    td[TD_RATE_DEG_S] = rate
    return td


def _classify(**kw: float) -> str:
    return str(classify_touchdown(_td(**kw), LIMITS, LEGS, COM_HEIGHT_M, G_MOON)[0])


def test_nominal_touchdown_is_safe_and_no_contact_is_reported() -> None:
    assert _classify() == "safe"
    assert _classify(contact=False) == "no_contact"


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("v_vert", LIMITS.max_vertical_speed_m_s),
        ("v_horiz", LIMITS.max_horizontal_speed_m_s),
        ("slope", LIMITS.max_slope_deg),
        ("tilt", LIMITS.max_tilt_deg),
        ("rate", LIMITS.max_angular_rate_deg_s),
    ],
)
def test_each_safe_limit_separates_safe_from_hard(field: str, limit: float) -> None:
    assert _classify(**{field: 0.99 * limit}) == "safe"
    assert _classify(**{field: 1.01 * limit}) == "hard"


def test_crash_limits() -> None:
    assert _classify(v_vert=0.99 * LIMITS.crash_vertical_speed_m_s) == "hard"
    assert _classify(v_vert=1.01 * LIMITS.crash_vertical_speed_m_s) == "crashed"
    # horizontal crash speed wins over the (lower) dynamic tip-over speed
    assert _classify(v_horiz=1.01 * LIMITS.crash_horizontal_speed_m_s) == "crashed"


def test_static_tip_over_at_atan_r_over_h() -> None:
    tip_deg = math.degrees(math.atan2(LEGS.radius_m, COM_HEIGHT_M))  # 53.13 deg
    # tilt plus slope just inside the tip angle is not tipped (hard: beyond safe limits)
    assert _classify(tilt=tip_deg - 5.5, slope=5.0, v_horiz=0.0) == "hard"
    assert _classify(tilt=tip_deg - 4.5, slope=5.0, v_horiz=0.0) == "tipped"


@pytest.mark.parametrize("slope_deg", [0.0, 8.0])
def test_dynamic_tip_over_at_the_energy_threshold(slope_deg: float) -> None:
    r, h = LEGS.radius_m, COM_HEIGHT_M
    s = math.radians(slope_deg)
    lift = math.hypot(r, h) - h * math.cos(s) - r * math.sin(s)
    v_tip = math.sqrt(2.0 * G_MOON * lift)  # 1.80 m/s on level ground
    assert v_tip < LIMITS.crash_horizontal_speed_m_s
    assert _classify(v_horiz=0.99 * v_tip, slope=slope_deg, tilt=0.0) == "hard"
    assert _classify(v_horiz=1.01 * v_tip, slope=slope_deg, tilt=0.0) == "tipped"


def test_batch_classification_matches_one_by_one() -> None:
    rows = [
        dict(),
        dict(v_vert=3.0),
        dict(v_vert=7.0),
        dict(v_horiz=2.5),
        dict(tilt=50.0, slope=10.0),
        dict(contact=False),
    ]
    batch = np.stack([_td(**kw) for kw in rows])
    got = classify_touchdown(batch, LIMITS, LEGS, COM_HEIGHT_M, G_MOON)
    assert list(got) == [_classify(**kw) for kw in rows]
    assert list(got) == ["safe", "hard", "crashed", "tipped", "tipped", "no_contact"]


def test_footpads_lie_on_the_leg_circle_below_the_body() -> None:
    feet = footpad_positions_body(LEGS)
    assert feet.shape == (LEGS.count, 3)
    np.testing.assert_allclose(np.hypot(feet[:, 0], feet[:, 1]), LEGS.radius_m, rtol=1e-12)
    np.testing.assert_allclose(feet[:, 2], -LEGS.height_m)
    np.testing.assert_allclose(feet[:, :2].sum(axis=0), 0.0, atol=1e-12)  # symmetric
