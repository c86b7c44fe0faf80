"""Touchdown classification: safe / hard / tipped / crashed at and across each limit.

References: the safe limits are Chandrayaan-3's specification (2 m/s vertical,
0.5 m/s horizontal, 12 deg slope; docs/missions.md). Tip-over
is rigid-body statics and energy: a lander of CoM height h on footpads of
radius r tips statically past atan(r / h) of tilt plus slope, and dynamically
when its lateral kinetic energy v^2 / 2 lifts the CoM over the downhill
footpad, a height sqrt(r^2 + h^2) - h cos(s) - r sin(s) on a slope s.

Resting attitude and body clearance: a rigid lander settles on the upper
convex hull of the footpad ground points, on the facet over its CoM. On a
plane every facet is the plane; for 4 legs at radius r with one foot on a
rock of height h the hull ridges along the diagonal through that foot and the
lander rests on the foot, the opposite one and one more, a plane at distance
2 r / sqrt(2) from the raised foot in plan: slope atan(h / (sqrt(2) r)) (the
least-squares plane gives atan(h / (2 r))). With 3 legs the plane through the
three points is unique: atan(h / (1.5 r)). The random cases are cross-checked
against scipy's Qhull hull. A rock under the body of height b above the
resting plane leaves body_clearance_m - b of clearance.
"""

from __future__ import annotations

import math

import numpy as np
import pydantic
import pytest
from scipy.spatial import ConvexHull

from surefoot.config.schema import LegConfig, TouchdownLimits
from surefoot.math.quaternion import dcm_to_quat
from surefoot.world.contact import (
    N_TD,
    TD_CONTACT,
    TD_OFF_SUPPORT,
    TD_RATE_DEG_S,
    TD_SLOPE_DEG,
    TD_SLOPE_LS_DEG,
    TD_TILT_DEG,
    TD_UNDERBODY_RISE_M,
    TD_V_HORIZ,
    TD_V_VERT,
    classify_touchdown,
    footpad_positions_body,
    least_squares_plane,
    resting_plane,
    touchdown_metrics,
    underbody_clearance,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.vehicle import N_STATE, S_Q, S_R

LIMITS = TouchdownLimits()
LEGS = LegConfig(count=4, radius_m=2.0, height_m=1.2)
COM_HEIGHT_M = 1.5
G_MOON = 1.62


def _td(
    v_vert=1.0, v_horiz=0.1, tilt=1.0, slope=1.0, rate=0.5, contact=True, rise=0.0, off=False
) -> np.ndarray:
    td = np.zeros(N_TD)
    td[TD_UNDERBODY_RISE_M] = rise
    td[TD_OFF_SUPPORT] = 1.0 if off else 0.0
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


# ---------------------------------------------------------------- resting plane


def _ring(n: int, r: float, phase: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    ang = 2.0 * np.pi * np.arange(n) / n + np.pi / n + phase
    return r * np.cos(ang), r * np.sin(ang)


def _slope_deg(gx: float, gy: float) -> float:
    return math.degrees(math.atan(math.hypot(gx, gy)))


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
def test_resting_plane_on_flat_and_uniform_ground_is_the_plane_and_the_ls_plane(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(20):
        px, py = _ring(n, rng.uniform(0.5, 3.0), rng.uniform(0, 2 * np.pi))
        px = px * rng.uniform(0.8, 1.0) + 1234.5  # foreshortened ring far from the map origin
        py = py + -876.5
        cx, cy = 1234.5 + rng.uniform(-0.2, 0.2), -876.5 + rng.uniform(-0.2, 0.2)
        a, b, c = rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(-3000, 3000)
        for ga, gb in ((0.0, 0.0), (a, b)):
            pz = c + ga * px + gb * py
            found, z0, gx, gy = resting_plane(px, py, pz, cx, cy)
            ok, lz0, lgx, lgy = least_squares_plane(px, py, pz, cx, cy)
            assert found and ok
            assert gx == pytest.approx(ga, abs=1e-9) and gy == pytest.approx(gb, abs=1e-9)
            assert z0 == pytest.approx(c + ga * cx + gb * cy, abs=1e-7)
            assert _slope_deg(gx, gy) == pytest.approx(_slope_deg(lgx, lgy), abs=1e-9)
            assert _slope_deg(gx, gy) == pytest.approx(_slope_deg(ga, gb), abs=1e-9)


@pytest.mark.parametrize("h", [0.05, 0.3, 0.8])
def test_one_foot_on_a_rock_4_legs_rests_on_the_diagonal(h: float) -> None:
    r = 1.4
    px, py = _ring(4, r)
    for k in range(4):
        pz = np.zeros(4)
        pz[k] = h
        found, z0, gx, gy = resting_plane(px, py, pz, 0.0, 0.0)
        assert found
        assert _slope_deg(gx, gy) == pytest.approx(
            math.degrees(math.atan(h / (math.sqrt(2.0) * r))), abs=1e-9
        )
        assert z0 == pytest.approx(h / 2.0, abs=1e-12)  # the ridge through the raised foot
        ok, _, lgx, lgy = least_squares_plane(px, py, pz, 0.0, 0.0)
        assert ok
        assert _slope_deg(lgx, lgy) == pytest.approx(math.degrees(math.atan(h / (2 * r))))


def test_one_foot_on_a_rock_3_legs_is_the_unique_plane() -> None:
    r, h = 1.4, 0.4
    px, py = _ring(3, r)
    pz = np.array([h, 0.0, 0.0])
    found, _, gx, gy = resting_plane(px, py, pz, 0.0, 0.0)
    assert found
    assert _slope_deg(gx, gy) == pytest.approx(math.degrees(math.atan(h / (1.5 * r))), abs=1e-9)


def test_resting_plane_matches_qhull_upper_facet_on_random_feet() -> None:
    rng = np.random.default_rng(7)
    n_checked = 0
    for _ in range(300):
        n = int(rng.integers(3, 9))
        px, py = _ring(n, 1.4, rng.uniform(0, 2 * np.pi))
        px = px + rng.normal(0, 0.05, n)
        py = py + rng.normal(0, 0.05, n)
        pz = rng.uniform(0.0, 0.6, n)
        cx, cy = rng.uniform(-0.3, 0.3, 2)
        found, z0, gx, gy = resting_plane(px, py, pz, cx, cy)
        assert found
        pts = np.column_stack([px, py, pz])
        # no footpad point above the support plane, which is the hull's upper surface
        assert np.all(pz <= z0 + gx * (px - cx) + gy * (py - cy) + 1e-9)
        if n == 3:
            continue
        hull = ConvexHull(pts)
        hit = []
        for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
            if eq[2] <= 1e-12:
                continue  # not an upper facet
            tri = pts[simplex]
            m = np.array([tri[1, :2] - tri[0, :2], tri[2, :2] - tri[0, :2]]).T
            lam = np.linalg.solve(m, np.array([cx, cy]) - tri[0, :2])
            if lam.min() >= -1e-9 and lam.sum() <= 1 + 1e-9:
                hit.append(
                    (-eq[0] / eq[2], -eq[1] / eq[2], -(eq[0] * cx + eq[1] * cy + eq[3]) / eq[2])
                )
        assert hit
        qgx, qgy, qz = max(hit, key=lambda g: g[0] ** 2 + g[1] ** 2)
        assert (gx, gy, z0) == pytest.approx((qgx, qgy, qz), abs=1e-9)
        n_checked += 1
    assert n_checked > 200


def test_resting_plane_degenerate_cases() -> None:
    # three of the feet collinear in plan: those triples are skipped, the others still work
    px = np.array([-1.0, 0.0, 1.0, 0.0])
    py = np.array([0.0, 0.0, 0.0, 1.0])
    pz = 0.2 + 0.1 * px - 0.3 * py
    found, z0, gx, gy = resting_plane(px, py, pz, 0.0, 0.2)
    assert found and (gx, gy, z0) == pytest.approx((0.1, -0.3, 0.2 - 0.06), abs=1e-12)
    # all feet on a line: no plane, neither support nor least squares
    px = np.array([-1.0, 0.0, 1.0, 2.0])
    py = 0.5 * px
    pz = np.zeros(4)
    assert not resting_plane(px, py, pz, 0.0, 0.0)[0]
    assert not least_squares_plane(px, py, pz, 0.0, 0.0)[0]
    # the CoM outside the footprint: no support facet
    px, py = _ring(4, 1.4)
    assert not resting_plane(px, py, np.zeros(4), 1.2, 0.0)[0]
    assert resting_plane(px, py, np.zeros(4), 0.9, 0.0)[0]


# ---------------------------------------------------- through touchdown_metrics

R_MOON = 1_737_400.0
LAT = math.radians(-13.3)
LON = math.radians(25.2)
LEGS_DEFAULT = LegConfig()  # 4 legs, r 1.4 m, height 1.2 m, body clearance 0.5 m


def _grids(fn) -> TerrainGrids:  # noqa: ANN001
    """A coarse 5 m level over 400 m and a fine 0.05 m level over 8 m, heights ``fn(x, y)``."""
    levels = []
    for half, dx in ((200.0, 5.0), (4.0, 0.05)):
        n = int(round(2 * half / dx)) + 1
        xs = -half + dx * np.arange(n)
        xx, yy = np.meshgrid(xs, xs)
        levels.append((-half, -half, dx, fn(xx, yy)))
    return TerrainGrids.from_levels(levels, LAT, LON, R_MOON)


def _metrics(grids: TerrainGrids, legs: LegConfig = LEGS_DEFAULT, h0: float = 0.0) -> np.ndarray:
    """Touchdown record of a level lander at rest with its body origin over the site."""
    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = grids.to_mcmf(0.0, 0.0, h0 + legs.height_m)
    x[S_Q : S_Q + 4] = dcm_to_quat(grids.c_enu_mcmf.T.copy())  # body x, y, z = east, north, up
    td = np.zeros(N_TD)
    touchdown_metrics(
        x,
        0.0,
        0.0,
        footpad_positions_body(legs),
        grids.c_enu_mcmf,
        grids.radius_ref_m,
        grids.meta,
        grids.offsets,
        grids.heights,
        0.0,
        td,
    )
    return td


def _outcome(td: np.ndarray, legs: LegConfig = LEGS_DEFAULT) -> str:
    return str(classify_touchdown(td, LIMITS, legs, legs.height_m, G_MOON)[0])


def test_metrics_on_flat_ground() -> None:
    td = _metrics(_grids(lambda x, y: np.full_like(x, -1500.0)), h0=-1500.0)
    assert td[TD_TILT_DEG] == pytest.approx(0.0, abs=1e-5)  # arccos near 1
    assert td[TD_SLOPE_DEG] == pytest.approx(0.0, abs=1e-9)
    assert td[TD_SLOPE_LS_DEG] == pytest.approx(0.0, abs=1e-9)
    assert td[TD_OFF_SUPPORT] == 0.0
    assert underbody_clearance(td, LEGS_DEFAULT)[0] == pytest.approx(0.5, abs=1e-9)
    assert _outcome(td) == "safe"


def test_metrics_on_a_uniform_plane() -> None:
    a, b = 0.1, -0.05
    td = _metrics(_grids(lambda x, y: 20.0 + a * x + b * y), h0=20.0)
    want = math.degrees(math.atan(math.hypot(a, b)))  # 6.38 deg
    assert td[TD_SLOPE_DEG] == pytest.approx(want, abs=1e-9)
    assert td[TD_SLOPE_LS_DEG] == pytest.approx(td[TD_SLOPE_DEG], abs=1e-9)
    # the plane is the ground: the clearance is the structure height
    assert underbody_clearance(td, LEGS_DEFAULT)[0] == pytest.approx(0.5, abs=1e-9)


def _box(x0: float, y0: float, half: float, h: float):  # noqa: ANN202
    return lambda x, y: np.where((abs(x - x0) <= half) & (abs(y - y0) <= half), h, 0.0)


@pytest.mark.parametrize("h", [0.2, 0.5])
def test_metrics_one_foot_on_a_box_rock(h: float) -> None:
    r = LEGS_DEFAULT.radius_m
    foot = footpad_positions_body(LEGS_DEFAULT)[0]  # at 45 deg: (r / sqrt 2, r / sqrt 2)
    td = _metrics(_grids(_box(foot[0], foot[1], 0.15, h)))
    assert td[TD_SLOPE_DEG] == pytest.approx(
        math.degrees(math.atan(h / (math.sqrt(2.0) * r))), abs=1e-9
    )
    assert td[TD_SLOPE_LS_DEG] == pytest.approx(math.degrees(math.atan(h / (2.0 * r))), abs=1e-9)
    # the rock is under the foot: only its inner edge reaches the 0.8 r disc, just above
    # the resting plane (which climbs to h at the foot)
    assert td[TD_UNDERBODY_RISE_M] < 0.1 * h
    assert td[TD_OFF_SUPPORT] == 0.0


def test_a_large_rock_under_a_foot_exceeds_the_slope_limit_the_ls_plane_would_pass() -> None:
    # h = 0.5 m under one foot: resting 14.2 deg > 12 deg limit, least squares 10.1 deg
    foot = footpad_positions_body(LEGS_DEFAULT)[0]
    td = _metrics(_grids(_box(foot[0], foot[1], 0.15, 0.5)))
    assert td[TD_SLOPE_LS_DEG] < LIMITS.max_slope_deg < td[TD_SLOPE_DEG]
    assert _outcome(td) == "hard"


@pytest.mark.parametrize(
    ("h", "outcome"),
    [(0.45, "safe"), (0.7, "hard"), (1.1, "hard"), (1.3, "crashed")],
)
def test_rock_under_the_body_strikes_the_structure(h: float, outcome: str) -> None:
    td = _metrics(_grids(_box(0.3, -0.2, 0.2, h)))
    assert td[TD_SLOPE_DEG] == pytest.approx(0.0, abs=1e-9)  # the feet are on flat ground
    assert td[TD_UNDERBODY_RISE_M] == pytest.approx(h, abs=1e-9)
    assert underbody_clearance(td, LEGS_DEFAULT)[0] == pytest.approx(0.5 - h, abs=1e-9)
    assert _outcome(td) == outcome


def test_small_rock_between_samples_is_found_at_its_node() -> None:
    # one raised node of the 0.05 m level, off the 0.1 m polar grid
    def fn(x, y):  # noqa: ANN001, ANN202
        out = np.zeros_like(x)
        out[(abs(x - 0.35) < 1e-6) & (abs(y - 0.55) < 1e-6)] = 0.8
        return out

    td = _metrics(_grids(fn))
    assert td[TD_UNDERBODY_RISE_M] == pytest.approx(0.8, abs=1e-9)


# ------------------------------------------------------ clearance classification


def test_clearance_and_support_classification_thresholds() -> None:
    c, hl = LEGS.body_clearance_m, LEGS.height_m
    assert _classify(rise=c - 0.01) == "safe"
    assert _classify(rise=c + 0.01) == "hard"
    assert _classify(rise=hl - 0.01) == "hard"
    assert _classify(rise=hl + 0.01) == "crashed"
    assert _classify(off=True, v_horiz=0.0) == "tipped"
    assert _classify(off=True, v_vert=7.0) == "crashed"
    np.testing.assert_allclose(underbody_clearance(_td(rise=0.2), LEGS), [c - 0.2])


def test_body_clearance_config_bounds() -> None:
    assert LegConfig().body_clearance_m == 0.5
    assert LegConfig(height_m=1.2, body_clearance_m=1.2).body_clearance_m == 1.2
    for bad in (0.0, -0.1, 1.3):
        with pytest.raises(pydantic.ValidationError):
            LegConfig(height_m=1.2, body_clearance_m=bad)
