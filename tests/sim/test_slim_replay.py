"""The ``slim`` replay: a nozzle lost at 50 m, LEV-1 released at about 5 m, a tip-over
with SLIM's box hull (docs/missions.md, SLIM). A synthetic reconstruction.

Fast checks hold the pieces against physics: the rover's free fall (``t`` from
``h = v t + g t^2 / 2``, impact speed from energy, ``sqrt(v0^2 + 2 g h)``), the
ground plane fit of the egress check on a plane, and the post-contact stage alone
with the replay's vehicle and hull: the energy criterion for rolling over the nose
edge (a rigid body rotating about an edge passes over it when its kinetic energy
exceeds the rise of its centre of mass, ``m g (R - a)``), the static equilibrium
of the rest (the centre of mass above the support polygon of the loaded contact
points, the contact loads summing to the weight), and the rest on the side face,
never the nose, at SLIM's flown 1.4 m/s. The slow tests fly the replay and its
variant without the fault (about 8 s together).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from surefoot.config.loader import load_scenario
from surefoot.math.quaternion import quat_from_axis_angle, quat_rotate
from surefoot.sim.event_summary import ground_plane_fit, rover_fall
from surefoot.sim.runner import simulate
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    A_FORCE,
    A_TORQUE,
    G_K,
    G_MU,
    GEAR_SETTLED,
    GEAR_TIPPED,
    N_ACT,
    N_OUT,
    N_Y,
    O_BODY_LOADED,
    O_LEGS_LOADED,
    O_OUTCOME,
    O_TILT_DEG,
    Y_C,
    Y_P,
    Y_Q,
    Y_V,
    Y_W,
    gear_params,
    seat_on_ground,
    settle_with_actuators,
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


PROPELLANT_AT_TOUCHDOWN_KG = 50.0  # about what the replay has left (summary: 47.6 kg)


def _stage(
    *,
    slope_deg: float = 0.0,
    pitch_deg: float = 0.0,
    v_local: tuple[float, float, float] = (0.0, 0.0, 0.0),
    w_body: tuple[float, float, float] = (0.0, 0.0, 0.0),
    act: np.ndarray | None = None,
    act_until_s: float = 0.0,
    mu: float | None = None,
    max_time_s: float = 30.0,
) -> dict:
    """The post-contact stage alone with the slim vehicle and hull, on a plane falling to
    the east (+x) at ``slope_deg``: the lander pitched by ``pitch_deg`` about north (its
    top toward the east), CoM velocity ``v_local`` (m/s, east, north, up) and body rate
    ``w_body`` (rad/s), seated so its lowest contact point touches; the actuators
    ``act`` (body force and torque) held for ``act_until_s`` after contact, the friction
    coefficient of every contact point ``mu`` (default: the scenario's), for at most
    ``max_time_s``."""
    v = load_scenario("slim").vehicle
    m, com, inertia = mass_properties(PROPELLANT_AT_TOUCHDOWN_KG, vehicle_params(v))
    body = np.asarray(v.body_points_body_m)
    points = np.vstack([footpad_positions_body(v.legs), body]) - com
    gp = gear_params(v.legs, v.legs.height_m + v.com_dry_body_m[2], len(body))
    if mu is not None:
        gp[G_MU] = mu
    terrain = plane(slope_deg, uphill_deg=180.0)
    y = np.zeros(N_Y)
    y[Y_Q : Y_Q + 4] = quat_from_axis_angle(np.array([0.0, 1.0, 0.0]), math.radians(pitch_deg))
    y[Y_V : Y_V + 3] = v_local
    y[Y_W : Y_W + 3] = w_body
    y[Y_P + 2] = 10.0
    seat_on_ground(y, points, terrain.meta, terrain.offsets, terrain.heights)
    out = np.zeros(N_OUT)
    y_end = settle_with_actuators(
        y,
        m,
        inertia,
        points,
        gp,
        G_MOON,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        max_time_s,
        out,
        np.zeros(N_ACT) if act is None else act,
        act_until_s,
    )
    return {
        "out": out,
        "y": y_end,
        "points": points,
        "mass": m,
        "inertia": inertia,
        "gp": gp,
        "slope_deg": slope_deg,
        "n_legs": v.legs.count,
        "com": com,
    }


def _touch(drift_east_m_s: float, slope_deg: float) -> np.ndarray:
    """Post-contact outcome of the slim vehicle touching a plane falling to the east at
    1.4 m/s vertical and ``drift_east_m_s``, upright."""
    return _stage(slope_deg=slope_deg, v_local=(drift_east_m_s, 0.0, -1.4))["out"]


def _contacts(r: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At the end of a stage: every contact point in the local frame (n, 3), its elastic
    compression normal to the plane (m, the crushed length taken off; > 0: loaded) and
    the plane's upward unit normal. The plane is analytic here: h = -tan(slope) x."""
    y = r["y"]
    q = y[Y_Q : Y_Q + 4]
    p = np.array([y[Y_P : Y_P + 3] + quat_rotate(q, f) for f in r["points"]])
    t = math.tan(math.radians(r["slope_deg"]))
    normal = np.array([t, 0.0, 1.0]) / math.hypot(t, 1.0)
    depth = (-t * p[:, 0] - p[:, 2]) * normal[2]
    return p, depth - y[Y_C : Y_C + len(p)], normal


def _inside_margin_m(xy: np.ndarray, poly: np.ndarray) -> float:
    """Signed distance (m) of point ``xy`` inside the convex hull of ``poly`` (k, 2):
    positive inside, the distance to the nearest edge."""
    hull = ConvexHull(poly)
    # hull.equations: n . x + c <= 0 inside, n unit
    return float(-np.max(hull.equations[:, :2] @ xy + hull.equations[:, 2]))


NOSE_EDGE_START_DEG = 20.0  # the CoM this far short of vertical over the nose edge


def _nose_edge_roll(energy_fraction: float) -> dict:
    """SLIM's hull on level ground resting only on the nose edge of its +x side face
    (the line through the corners (0.85, +-1.2, 2.2)), tilted so its CoM is
    NOSE_EDGE_START_DEG short of vertical over the edge, rotating about it toward the
    nose with kinetic energy ``energy_fraction`` of the CoM's remaining rise
    ``m g R (1 - cos 20 deg)``. Slow enough to stay on the edge: the centripetal
    acceleration, ``omega^2 R``, stays well below the gravity along the edge-to-CoM line
    (a faster roll from the side face leaves the ground)."""
    v = load_scenario("slim").vehicle
    m, com, inertia = mass_properties(PROPELLANT_AT_TOUCHDOWN_KG, vehicle_params(v))
    corner = np.asarray(v.body_points_body_m[0]) - com
    a, length = corner[0], corner[2]  # CoM height over the edge lying on the face; along z
    r = math.hypot(a, length)
    # lying on the face (tilt 90) the edge-to-CoM line is atan(length / a) from vertical
    tilt_deg = 90.0 + math.degrees(math.atan2(length, a)) - NOSE_EDGE_START_DEG
    barrier_j = m * G_MOON * r * (1.0 - math.cos(math.radians(NOSE_EDGE_START_DEG)))
    omega = math.sqrt(2.0 * energy_fraction * barrier_j / (inertia[1] + m * r * r))
    assert omega**2 * r < 0.5 * G_MOON * math.cos(math.radians(NOSE_EDGE_START_DEG))
    # a pure rotation about the edge: v = omega north x (CoM - edge)
    edge = quat_rotate(
        quat_from_axis_angle(np.array([0.0, 1.0, 0.0]), math.radians(tilt_deg)), corner
    )
    d = -edge
    return _stage(
        pitch_deg=tilt_deg, v_local=(omega * d[2], 0.0, -omega * d[0]), w_body=(0.0, omega, 0.0)
    )


@pytest.mark.parametrize(
    ("energy_fraction", "on_nose"), [(0.8, False), (0.95, False), (1.05, True), (1.25, True)]
)
def test_the_hull_rolls_onto_its_nose_only_above_the_nose_edge_energy(
    energy_fraction: float, on_nose: bool
) -> None:
    """Rigid-body energy criterion (as for a block tipping over an edge): rolling about
    the nose edge, the hull passes over it onto the top face (tilt near 180 deg, the
    engine straight up) when its kinetic energy exceeds ``m g (R - a)`` (R: edge to
    CoM, a: its height over the edge), and falls back onto its side face (tilt 90 deg)
    below it. From lying on the side face the rise is about 590 J; the roll starts
    closer (see _nose_edge_roll). Losses at the edge are small: 0.95 and 1.05 of it."""
    r = _nose_edge_roll(energy_fraction)
    out = r["out"]
    assert out[O_OUTCOME] in (GEAR_SETTLED, GEAR_TIPPED)
    if on_nose:
        assert out[O_TILT_DEG] > 170.0
    else:
        assert out[O_TILT_DEG] == pytest.approx(90.0, abs=2.0)


@pytest.mark.parametrize(("spare_fraction", "stays"), [(0.9, True), (1.1, False)])
def test_over_the_nose_edge_the_hull_stays_on_its_nose_only_with_little_to_spare(
    spare_fraction: float, stays: bool
) -> None:
    """Rocking-block impact (Housner 1963, a rigid block rocking onto its base): the
    hull, turning over its nose edge A onto the nose face, strikes that face and turns
    on about the far edge B, keeping its angular momentum about B:
    ``w+ / w- = (I + m (L^2 - a^2)) / (I + m (L^2 + a^2))`` (L: the CoM over the nose
    face, a: half its width), its energy times ``eta = (w+ / w-)^2``. Falling from
    the balance point over A onto the face it gains ``m g (R - L)``, the rise it needs
    to pass B, so it stays on its nose only if it crossed A with less than
    ``E* = m g (R - L) (1 / eta - 1)`` (45 J; the barrier of A from the side face is
    about 590 J), and goes on over B onto its far (-x) side face above it."""
    v = load_scenario("slim").vehicle
    m, com, inertia = mass_properties(PROPELLANT_AT_TOUCHDOWN_KG, vehicle_params(v))
    corner = np.asarray(v.body_points_body_m[0]) - com
    a, length = corner[0], corner[2]
    r_edge = math.hypot(a, length)
    eta = ((inertia[1] + m * (length**2 - a**2)) / (inertia[1] + m * r_edge**2)) ** 2
    spare_j = m * G_MOON * (r_edge - length) * (1.0 / eta - 1.0)
    assert 35.0 < spare_j < 55.0
    barrier_j = m * G_MOON * r_edge * (1.0 - math.cos(math.radians(NOSE_EDGE_START_DEG)))
    r = _nose_edge_roll(1.0 + spare_fraction * spare_j / barrier_j)
    out = r["out"]
    assert out[O_OUTCOME] in (GEAR_SETTLED, GEAR_TIPPED)
    x_body_up = quat_rotate(r["y"][Y_Q : Y_Q + 4], np.array([1.0, 0.0, 0.0]))[2]
    if stays:
        assert out[O_TILT_DEG] > 170.0
    else:
        assert out[O_TILT_DEG] == pytest.approx(90.0, abs=2.0)
        assert x_body_up > 0.95  # the far side face down, not the +x face it came from


def test_slim_like_touchdown_tips_onto_its_side_and_a_soft_one_stands() -> None:
    """The replay site's slope (about 7 deg, falling east) and a 1.5 m/s drift down it:
    the lander tips over and rests on its hull's side face, the main engine just above
    the horizon (tilt 90 deg + the slope, 97); straight down at 1.4 m/s it stands on its
    four legs at the slope."""
    tipped = _touch(1.5, 7.0)
    assert tipped[O_OUTCOME] == GEAR_TIPPED
    assert tipped[O_TILT_DEG] == pytest.approx(97.0, abs=1.0) and tipped[O_BODY_LOADED] >= 3
    stands = _touch(0.0, 7.0)
    assert stands[O_OUTCOME] == GEAR_SETTLED
    assert stands[O_TILT_DEG] == pytest.approx(7.0, abs=0.5)


def test_the_replays_touchdown_rests_in_static_equilibrium_on_the_side_face() -> None:
    """The replay's contact state (summary of ``surefoot run slim``: 5.4 m/s down,
    3.8 m/s east, 22.5 deg tilted east, on about 4 deg falling east): the hull comes to
    rest on its side face. Statics: the CoM lies above the support polygon of the loaded
    contact points, well inside it, and their spring loads carry the weight."""
    r = _stage(slope_deg=4.0, pitch_deg=22.5, v_local=(3.8, 0.0, -5.4))
    out = r["out"]
    assert out[O_OUTCOME] == GEAR_TIPPED
    assert out[O_TILT_DEG] == pytest.approx(94.0, abs=1.5)  # the face on a 4 deg slope
    p, compression, normal = _contacts(r)
    loaded = compression > 0.0
    assert loaded.sum() >= 3 and not loaded[: r["n_legs"]].any()  # the hull, not the legs
    margin = _inside_margin_m(r["y"][Y_P : Y_P + 2], p[loaded, :2])
    assert margin > 0.3  # the face is 2.4 m x 2.7 m, the CoM above its middle
    # at rest the strut loads k e along the normal carry the weight's normal component;
    # the friction carries the rest (4 deg, far below the friction angle)
    normal_load = r["gp"][G_K] * compression[loaded].sum()
    assert normal_load == pytest.approx(r["mass"] * G_MOON * normal[2], rel=0.02)


@pytest.mark.parametrize("slope_deg", [4.0, 15.0])
@pytest.mark.parametrize("pitch_deg", [0.0, 22.5, 45.0])
@pytest.mark.parametrize("drift_m_s", [1.0, 2.0, 3.8])
def test_at_slims_flown_speed_the_hull_never_reaches_its_nose(
    slope_deg: float, pitch_deg: float, drift_m_s: float
) -> None:
    """SLIM's flown 1.4 m/s down, drifting down the slope, pitched toward the drift
    (SLIM's two-step attitude would pitch it so): the hull rests on its legs or its side
    face, never on its nose (the ~590 J of the test above is not paid by turning about
    the nose edge; benchmarks/bench_slim_nose.py shows why for the replay's touchdown,
    docs/missions.md, SLIM)."""
    out = _stage(slope_deg=slope_deg, pitch_deg=pitch_deg, v_local=(drift_m_s, 0.0, -1.4))["out"]
    assert out[O_OUTCOME] in (GEAR_SETTLED, GEAR_TIPPED)
    assert out[O_TILT_DEG] < 90.0 + slope_deg + 3.0


THRUST_AT_CONTACT_N = 353.0  # what the replay's engine delivers at contact (seed 0)


def _held_thrust(force_n: float) -> np.ndarray:
    """The faulted engine's thrust ``force_n`` along body z through its moved line, and
    that line's torque about the CoM, as held actuators (the attitude thrusters off)."""
    v = load_scenario("slim").vehicle
    _, com, _ = mass_properties(PROPELLANT_AT_TOUCHDOWN_KG, vehicle_params(v))
    arm = np.asarray(v.engine.position_body_m) - com
    arm += np.asarray(v.engine.faults[0].thrust_offset_body_m)
    act = np.zeros(N_ACT)
    act[A_FORCE + 2] = force_n
    act[A_TORQUE : A_TORQUE + 3] = np.cross(arm, act[A_FORCE : A_FORCE + 3])
    return act


@pytest.mark.parametrize(("factor", "rolls"), [(0.9, False), (1.1, True)])
def test_a_thrust_rolls_the_hull_about_its_nose_edge_above_the_static_tip_thrust(
    factor: float, rolls: bool
) -> None:
    """Statics of a box pushed over an edge: the hull lying on its +x side face on level
    ground, a thrust along body z (toward the nose, horizontal) on the faulted engine's
    line ``x`` (body, from the CoM) turns it about the nose edge when ``F (a - x)``
    exceeds ``m g L`` (a: the CoM over the face, L: the CoM to the nose face along body
    z), the footing holding the edge (friction 5). Below it the hull stays on its face;
    above it, 3 s of it lift the face off the ground, the hull turning on its nose edge
    alone. That thrust is more than the faulted engine can give (55 % of 1,000 N) and
    2.3 times what it gave at contact."""
    v = load_scenario("slim").vehicle
    m, com, _ = mass_properties(PROPELLANT_AT_TOUCHDOWN_KG, vehicle_params(v))
    corner = np.asarray(v.body_points_body_m[0]) - com  # a nose corner of the +x face
    a, length = corner[0], corner[2]
    x_line = v.engine.position_body_m[0] + v.engine.faults[0].thrust_offset_body_m[0] - com[0]
    f_tip = m * G_MOON * length / (a - x_line)
    assert f_tip > v.engine.faults[0].thrust_fraction * v.engine.max_thrust_n
    assert f_tip > 2.3 * THRUST_AT_CONTACT_N
    r = _stage(
        pitch_deg=90.0, act=_held_thrust(factor * f_tip), act_until_s=3.0, mu=5.0, max_time_s=3.0
    )
    out = r["out"]
    if rolls:
        # turning toward the nose (body +y rate), on the two nose corners alone
        assert out[O_TILT_DEG] > 100.0 and r["y"][Y_W + 1] > 0.1
        assert out[O_BODY_LOADED] == 2 and out[O_LEGS_LOADED] == 0
    else:
        assert out[O_OUTCOME] == GEAR_TIPPED  # at rest on its side face
        assert out[O_TILT_DEG] == pytest.approx(90.0, abs=0.5)


@pytest.mark.parametrize("cut_s", [0.5, 1.0, 2.0])
def test_thrust_after_contact_does_not_roll_the_replays_touchdown_onto_its_nose(
    cut_s: float,
) -> None:
    """The replay's contact state (as above) with its engine's thrust at contact held
    for ``cut_s`` after it, its off-axis torque unopposed (the attitude thrusters off):
    the hull still rests on its side face. The thrust, 353 N against a 400 N weight,
    and its 71 N m torque add too little angular momentum about the nose edge
    (benchmarks/bench_slim_nose.py prints the sweep)."""
    r = _stage(
        slope_deg=4.0,
        pitch_deg=22.5,
        v_local=(3.8, 0.0, -5.4),
        act=_held_thrust(THRUST_AT_CONTACT_N),
        act_until_s=cut_s,
    )
    out = r["out"]
    assert out[O_OUTCOME] == GEAR_TIPPED
    assert 85.0 < out[O_TILT_DEG] < 90.0 + 4.0 + 3.0


@pytest.fixture(scope="module")
def flown() -> dict:
    res = simulate([load_scenario("slim"), load_scenario("slim", [NO_FAULT])])
    return {"fault": res.summary(0), "nominal": res.summary(1)}


def test_slim_loses_its_nozzle_releases_the_rover_and_tips_onto_its_side(flown: dict) -> None:
    """As flown up to the tip-over; then SLIM's hull rests on its side face (tilt 90 deg
    give or take the local slope), not on its nose: its nose edge strikes with almost
    no angular momentum about it (docs/missions.md, SLIM)."""
    s = flown["fault"]
    assert 5.0 < s["flight_time_s"] - s["engine_fault_first_s"] < 60.0
    assert s["touchdown_east_m"] > 5.0  # the moved thrust line pushed it east, as flown
    assert s["rover_released"] and 4.0 < s["rover_drop_height_m"] < 6.0
    assert s["tipped_over"] and s["resting_on"] in ("body", "legs and body")
    assert 80.0 < s["resting_tilt_deg"] < 110.0  # the side face; on the nose it would be > 150
    assert not s["egress_ok"] and "tilt" in s["egress_blocked_by"]  # no ramp off its side


def test_slim_without_the_fault_lands_and_stands(flown: dict) -> None:
    s = flown["nominal"]
    assert s["outcome"] == "safe"
    assert s["touchdown_dynamics_outcome"] == "settled" and not s["tipped_over"]
    assert not s["engine_pointing_up"] and s["resting_on"] == "legs"
    assert s["rover_released"] and s["rover_landed_safely"]
    assert s["egress_ok"]
    assert "engine_fault_first_s" not in s  # no fault configured, no fault fields
