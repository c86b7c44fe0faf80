"""Touchdown dynamics after first contact, against rigid-body physics.

References:

- Drop tests: the work-energy theorem. Kinetic plus potential energy at
  contact equals the energy absorbed (crush + damping + friction, each
  integrated from its own force) plus the elastic energy left in the springs
  plus the final kinetic and potential energy.
- Crushable absorber without damping: a constant-force absorber in series with
  a spring of stiffness k stops a symmetric lander of mass m falling at v when
  m v^2 / 2 + m g (c + e) = n F c + n k e^2 / 2 with e = F / k, so the crushed
  stroke is c = (m v^2 / 2 + m g e - n F e / 2) / (n F - m g).
- Slopes: a block on an incline sticks below the friction angle atan(mu) and
  above it accelerates down the slope at g (sin s - mu cos s).
- Settled attitude: on a plane the footpad plane is the terrain plane, so the
  body z axis rests at the slope angle from the vertical (stiff legs: the
  elastic difference between the legs is below 0.001 deg).
- Tip-over: the static criterion atan(r / h) of tilt plus slope (CoM over the
  pivot footpad) and the energy criterion (kinetic energy about the pivot enough to
  lift the CoM by sqrt(r^2 + h^2) - h), both applied by
  surefoot.world.contact.classify_touchdown and tested in test_contact.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from surefoot.config.schema import LegConfig, TouchdownLimits, VehicleConfig
from surefoot.math.quaternion import dcm_to_quat, quat_to_dcm
from surefoot.world.contact import (
    N_TD,
    TD_CONTACT,
    TD_V_HORIZ,
    classify_touchdown,
    footpad_positions_body,
    resting_plane,
)
from surefoot.world.landing_gear import (
    GEAR_SETTLED,
    GEAR_STRUCTURAL,
    GEAR_TIPPED,
    GEAR_UNSETTLED,
    O_E0_J,
    O_E_CRUSH_J,
    O_E_DAMP_J,
    O_E_ELASTIC_J,
    O_E_FRIC_J,
    O_E_KIN_J,
    O_E_POT_J,
    O_OUTCOME,
    O_SLIDE_M,
    O_STROKE_MAX_M,
    O_TILT_DEG,
    Y_P,
    Y_Q,
    Y_V,
    gear_params,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.touchdown_from_truth import touchdown_dynamics
from surefoot.world.vehicle import N_STATE, S_MPROP, S_Q, S_R, S_V, S_W, vehicle_params

from .gear_cases import (
    COM_HEIGHT_M,
    G_MOON,
    LEGS,
    MASS_KG,
    plane,
    run,
    state,
)

# stiff legs that do not crush, and footpads that do not slip: a rigid lander
STIFF = LegConfig(
    spring_n_m=1e7, crush_force_n=1e6, structural_load_n=1e7, friction_coefficient=1.0
)
# toward footpad 0 (at 45 deg in the body x-y plane) and the axis that tilts body z toward it
TOWARD_FOOT = np.array([math.cos(math.pi / 4), math.sin(math.pi / 4), 0.0])
TILT_AXIS = np.cross([0.0, 0.0, 1.0], TOWARD_FOOT)
OMEGA_MOON = 2.6617e-6  # rad/s
R_MOON = 1_737_400.0  # m, the reference sphere of gear_cases.plane
TIP_DEG = math.degrees(math.atan2(LEGS.radius_m, COM_HEIGHT_M))


def _balance(out: np.ndarray) -> float:
    absorbed = out[O_E_CRUSH_J] + out[O_E_DAMP_J] + out[O_E_FRIC_J]
    final = out[O_E_ELASTIC_J] + out[O_E_KIN_J] + out[O_E_POT_J]
    return (out[O_E0_J] - absorbed - final) / out[O_E0_J]


@pytest.mark.parametrize("v_m_s", [0.5, 1.5, 3.0, 4.5])
def test_vertical_drop_energy_balance(v_m_s: float) -> None:
    out, _ = run(state(v=(0.0, 0.0, -v_m_s)), plane())
    assert out[O_OUTCOME] == GEAR_SETTLED
    assert abs(_balance(out)) < 0.01
    assert out[O_TILT_DEG] < 0.01  # a symmetric drop stays upright
    # a symmetric drop crushes the four legs alike: crush energy is n F c
    assert out[O_E_CRUSH_J] == pytest.approx(
        LEGS.count * LEGS.crush_force_n * out[O_STROKE_MAX_M], rel=0.01, abs=1e-6
    )


def test_slow_drop_stays_elastic_and_fast_drop_crushes() -> None:
    slow, _ = run(state(v=(0.0, 0.0, -0.5)), plane())
    fast, _ = run(state(v=(0.0, 0.0, -3.0)), plane())
    assert slow[O_STROKE_MAX_M] == 0.0 and slow[O_E_CRUSH_J] == 0.0
    assert 0.0 < fast[O_STROKE_MAX_M] < LEGS.stroke_m


@pytest.mark.parametrize("v_m_s", [2.0, 3.0])
def test_undamped_crush_stroke_matches_the_absorber_energy(v_m_s: float) -> None:
    legs = LegConfig(damping_n_s_m=0.0)
    out, _ = run(state(v=(0.0, 0.0, -v_m_s)), plane(), legs=legs, max_time_s=1.0)
    m, n, f = MASS_KG, legs.count, legs.crush_force_n
    e = f / legs.spring_n_m
    c = (0.5 * m * v_m_s**2 + m * G_MOON * e - n * f * e / 2.0) / (n * f - m * G_MOON)
    assert out[O_STROKE_MAX_M] == pytest.approx(c, rel=0.01)
    assert abs(_balance(out)) < 0.01


def test_drop_beyond_the_stroke_breaks_a_leg() -> None:
    out, _ = run(state(v=(0.0, 0.0, -9.0)), plane())
    assert out[O_OUTCOME] == GEAR_STRUCTURAL
    # the stroke is used up (crushing stops within the step that reaches it)
    assert LEGS.stroke_m <= out[O_STROKE_MAX_M] < 1.02 * LEGS.stroke_m
    assert abs(_balance(out)) < 0.01


def _on_slope(slope_deg: float) -> np.ndarray:
    """At rest, footpads on the plane z = tan(slope) x (body z along its normal)."""
    return state(tilt_axis=np.array([0.0, -1.0, 0.0]), tilt_deg=slope_deg)


@pytest.mark.parametrize("slope_deg", [10.0, 25.0])
def test_below_the_friction_angle_the_lander_settles_and_stays(slope_deg: float) -> None:
    assert slope_deg < math.degrees(math.atan(LEGS.friction_coefficient))  # 26.6 deg
    out, yf = run(_on_slope(slope_deg), plane(slope_deg))
    assert out[O_OUTCOME] == GEAR_SETTLED
    assert out[O_SLIDE_M] < 0.01
    # and stays: restarted from the settled state (its stick springs load again from
    # zero, a millimetre or so) it settles again without sliding
    again, _ = run(yf, plane(slope_deg), max_time_s=5.0)
    assert again[O_OUTCOME] == GEAR_SETTLED
    assert again[O_SLIDE_M] < 5e-3


@pytest.mark.parametrize("slope_deg", [28.0, 32.0])
def test_above_the_friction_angle_it_slides_at_the_incline_acceleration(slope_deg: float) -> None:
    s = math.radians(slope_deg)
    a = G_MOON * (math.sin(s) - LEGS.friction_coefficient * math.cos(s))
    speeds = []
    for t_end in (2.0, 4.0):
        out, yf = run(_on_slope(slope_deg), plane(slope_deg), max_time_s=t_end)
        assert out[O_OUTCOME] == GEAR_UNSETTLED
        speeds.append(float(np.linalg.norm(yf[Y_V : Y_V + 3])))
    assert (speeds[1] - speeds[0]) / 2.0 == pytest.approx(a, rel=0.01)


@pytest.mark.parametrize("slope_deg", [0.0, 8.0, 20.0])
def test_settled_attitude_on_a_slope_is_the_slope(slope_deg: float) -> None:
    y0 = _on_slope(slope_deg)
    y0[Y_V + 2] = -0.3  # a gentle drop onto the slope
    out, _ = run(y0, plane(slope_deg), legs=STIFF)
    assert out[O_OUTCOME] == GEAR_SETTLED
    assert out[O_TILT_DEG] == pytest.approx(slope_deg, abs=0.01)


def _rock_under_footpad_0(h_m: float) -> TerrainGrids:
    """Flat ground with a flat-topped rock of height ``h_m`` under footpad 0 (0.7 m square)."""
    a = LEGS.radius_m / math.sqrt(2.0)
    dx = 0.05
    xs = np.arange(-4.0, 4.0 + 1e-9, dx)
    x, y = np.meshgrid(xs, xs)
    h = np.where((abs(x - a) <= 0.35) & (abs(y - a) <= 0.35), h_m, 0.0)
    return TerrainGrids.from_levels([(-4.0, -4.0, dx, h)], 0.0, 0.0, R_MOON)


@pytest.mark.parametrize("roll_rad_s", [0.02, -0.02])
def test_with_a_rock_under_one_footpad_it_rests_on_the_support_plane(roll_rad_s: float) -> None:
    """Dropped with a little roll (either way), the lander rocks off the diagonal through
    the raised foot onto a third one: tilt atan(h / (sqrt(2) r)), the support plane that
    resting_plane finds for the footpad ground points (test_contact.py)."""
    h = 0.1
    terrain = _rock_under_footpad_0(h)
    y0 = state(v=(0.0, 0.0, -0.2), w_body=(roll_rad_s, -0.3 * roll_rad_s, 0.0))
    out, yf = run(y0, terrain, legs=STIFF)
    assert out[O_OUTCOME] == GEAR_SETTLED
    expected = math.degrees(math.atan(h / (math.sqrt(2.0) * LEGS.radius_m)))  # 2.89 deg
    assert out[O_TILT_DEG] == pytest.approx(expected, abs=0.01)
    # the same angle from the support plane of the ground points under the settled feet
    c = quat_to_dcm(yf[Y_Q : Y_Q + 4])
    feet = yf[Y_P : Y_P + 3] + footpad_positions_body(LEGS) @ c.T
    pz = terrain.height(feet[:, 0], feet[:, 1])
    found, _, gx, gy = resting_plane(feet[:, 0], feet[:, 1], pz, yf[Y_P], yf[Y_P + 1])
    assert found
    assert math.degrees(math.atan(math.hypot(gx, gy))) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("delta_deg", "tips"), [(-0.5, False), (0.5, True)])
def test_static_tip_over_at_atan_r_over_h(delta_deg: float, tips: bool) -> None:
    # released at rest on footpad 0, tilted toward it: past atan(r / h) the CoM is beyond it
    out, _ = run(state(TILT_AXIS, TIP_DEG + delta_deg), plane(), legs=STIFF)
    assert out[O_OUTCOME] == (GEAR_TIPPED if tips else GEAR_SETTLED)
    if not tips:
        assert out[O_TILT_DEG] < 0.01  # fell back onto its four feet


@pytest.mark.parametrize(("delta_deg", "tips"), [(-0.5, False), (0.5, True)])
def test_static_tip_over_on_a_slope_at_tilt_plus_slope(delta_deg: float, tips: bool) -> None:
    # a 15 deg slope falling toward footpad 2 (225 deg); tilted further toward that foot
    # by phi, the lander tips when phi + slope passes atan(r / h)
    slope = 15.0
    downhill = -TOWARD_FOOT  # footpad 2
    axis = np.cross([0.0, 0.0, 1.0], downhill)
    out, _ = run(state(axis, TIP_DEG + delta_deg), plane(slope, uphill_deg=45.0), legs=STIFF)
    assert out[O_OUTCOME] == (GEAR_TIPPED if tips else GEAR_SETTLED)
    if not tips:
        assert out[O_TILT_DEG] == pytest.approx(slope, abs=0.01)  # back on its four feet


@pytest.mark.parametrize(("factor", "tips"), [(0.97, False), (1.03, True)])
def test_energy_tip_over_onset(factor: float, tips: bool) -> None:
    """Standing on level ground and rotating about footpad 0 with kinetic energy
    ``factor`` times m g lift (lift = sqrt(r^2 + h^2) - h)."""
    r, h = LEGS.radius_m, COM_HEIGHT_M
    lever = math.hypot(r, h)
    lift = lever - h
    inertia = np.array([20.0, 20.0, 20.0])  # nearly a point mass, as classify_touchdown assumes
    i_pivot = inertia[0] + MASS_KG * lever**2
    omega = math.sqrt(factor * 2.0 * MASS_KG * G_MOON * lift / i_pivot)
    v_com = omega * (r * np.array([0.0, 0.0, 1.0]) + h * TOWARD_FOOT)  # omega x (CoM - pivot)
    y0 = state(v=tuple(v_com), w_body=tuple(omega * TILT_AXIS))
    out, _ = run(y0, plane(), legs=STIFF, inertia=inertia)
    assert out[O_OUTCOME] == (GEAR_TIPPED if tips else GEAR_SETTLED)
    # the limit classifier, given the same CoM speed as lateral touchdown speed, agrees
    td = np.zeros(N_TD)
    td[TD_CONTACT] = 1.0
    td[TD_V_HORIZ] = float(np.linalg.norm(v_com))
    limits = TouchdownLimits(crash_horizontal_speed_m_s=10.0)
    klass = classify_touchdown(td, limits, LEGS, COM_HEIGHT_M, G_MOON)[0]
    assert (klass == "tipped") == tips


def _truth_at_rest_on_the_site(t_s: float, v_down_m_s: float, m_prop_kg: float) -> np.ndarray:
    """Truth state (N_STATE,) over the site (lat 0, lon 0), upright, the footpads
    on the ground, moving with the Moon and down at ``v_down_m_s``."""
    theta = OMEGA_MOON * t_s
    c_mci_mcmf = np.array(
        [
            [math.cos(theta), -math.sin(theta), 0.0],
            [math.sin(theta), math.cos(theta), 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    east, north, up = np.eye(3)[1], np.eye(3)[2], np.eye(3)[0]  # MCMF at lat 0, lon 0
    c_mci_body = c_mci_mcmf @ np.column_stack([east, north, up])
    r_mci = c_mci_mcmf @ (up * (R_MOON + LEGS.height_m))
    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = r_mci
    x[S_V : S_V + 3] = np.cross([0.0, 0.0, OMEGA_MOON], r_mci) - v_down_m_s * (c_mci_mcmf @ up)
    x[S_Q : S_Q + 4] = dcm_to_quat(c_mci_body)
    x[S_W : S_W + 3] = OMEGA_MOON * c_mci_body.T @ np.array([0.0, 0.0, 1.0])
    x[S_MPROP] = m_prop_kg
    return x


def _batch(xs: list[np.ndarray], ts: list[float]) -> np.ndarray:
    terrain = plane()
    vehicle = VehicleConfig()
    return touchdown_dynamics(
        np.array(xs),
        np.array(ts),
        np.ones(len(xs), dtype=np.bool_),
        OMEGA_MOON,
        terrain.c_enu_mcmf,
        R_MOON,
        np.stack([vehicle_params(vehicle)] * len(xs)),
        footpad_positions_body(LEGS),
        gear_params(LEGS, COM_HEIGHT_M),
        G_MOON,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        30.0,
    )


def test_truth_state_at_contact_is_taken_relative_to_the_rotating_moon() -> None:
    # the equator moves at 4.6 m/s in inertial space: only the 1 m/s descent may count
    out = _batch([_truth_at_rest_on_the_site(500.0, 1.0, 100.0)], [500.0])[0]
    mass = VehicleConfig().dry_mass_kg + 100.0
    assert out[O_E0_J] == pytest.approx(0.5 * mass * 1.0**2, rel=1e-6)
    assert out[O_OUTCOME] == GEAR_SETTLED
    assert out[O_TILT_DEG] < 0.01
    assert abs(_balance(out)) < 0.01


def test_a_lander_in_a_batch_equals_the_lander_alone() -> None:
    xs = [_truth_at_rest_on_the_site(t, v, 150.0) for t, v in ((10.0, 0.5), (900.0, 2.5))]
    both = _batch(xs, [10.0, 900.0])
    for i in range(2):
        alone = _batch([xs[i]], [[10.0, 900.0][i]])[0]
        assert np.array_equal(both[i], alone)
    assert not np.array_equal(both[0], both[1])
