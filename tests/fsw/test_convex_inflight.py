"""Convex guidance flown in closed loop (issue 4), against independent references.

References:
* Open-loop optimum: the minimum-fuel plan from the state at the first solve
  (Acikmese & Ploen 2007 lossless convexification) bounds what a tracking
  controller can spend over the same segment from below; the closed loop must
  come close to it (model errors: curvature, rotation, engine lag, navigation).
* Apollo-style polynomial guidance (Klumpp 1974) on the same scenario and seed:
  fuel-optimal guidance must not spend more.
* Lossless convexification with a rate-limited pointing cone: the thrust
  magnitude equals its slack on every node, and the last thrust is vertical.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from surefoot.config import load_scenario
from surefoot.fsw.guidance.convex.gfold import solve
from surefoot.fsw.guidance.convex.inflight import answer_request
from surefoot.fsw.guidance.convex.problem import DescentProblem
from surefoot.fsw.guidance.convex.socp import SOCPCache
from surefoot.fsw.guidance.convex.table import (
    CV_MODE,
    CV_N_OK,
    CV_T0,
    CVM_ACTIVE,
    CVM_WAITING,
    plan_reference,
)
from surefoot.fsw.guidance.coordinates import (
    guidance_coordinates,
)
from surefoot.fsw.guidance.phases import convex_sequencing
from surefoot.fsw.interfaces import (
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    PHASE_APPROACH,
)
from surefoot.fsw.layout import (
    FS_CONVEX,
    FS_MPROP,
    FS_REQUEST,
    FS_TARGET,
    N_FS_CONVEX,
    REQ_CONVEX_SOLVE,
)
from surefoot.sim.runner import simulate, terrain_for
from surefoot.sim.setup import batch_arrays
from surefoot.sim.telemetry import INDEX

CONVEX_ON = ["fsw.guidance.convex.enabled=true"]


def test_rate_limited_pointing_cone_is_lossless_and_ends_vertical() -> None:
    p = DescentProblem(
        g_lf=[0.0, 0.0, -1.62],
        wet_mass_kg=900.0,
        dry_mass_kg=700.0,
        thrust_min_n=500.0,
        thrust_max_n=4000.0,
        alpha_s_m=1.0 / (300.0 * 9.80665),
        r0_lf=[-1200.0, 80.0, 900.0],
        v0_lf=[40.0, -2.0, -20.0],
        v_target_lf=[0.0, 0.0, -1.0],
        r_target_lf=[0.0, 0.0, 30.0],
        glide_slope_rad=math.radians(5.0),
        max_tilt_rad=math.radians(45.0),
        vertical_rate_rad_s=math.radians(2.0),
        n_nodes=30,
    )
    s = solve(p, "min_fuel")
    assert s.ok, s.status
    tmag = np.linalg.norm(s.thrust_n_lf, axis=1)
    np.testing.assert_allclose(tmag, s.gamma_n, atol=1e-4 * p.thrust_max_n)
    cos_tilt = s.thrust_n_lf[:, 2] / tmag
    tau = s.tf_s - s.t_s  # time to go at each node
    limit = np.cos(np.minimum(math.radians(45.0), math.radians(2.0) * tau))
    assert np.all(cos_tilt >= limit - 1e-5)
    assert cos_tilt[-1] == pytest.approx(1.0, abs=1e-6)


def _flight(overrides: list[str], seed: int = 0):
    scenario = load_scenario("default", overrides, seed=seed)
    return simulate(scenario, telemetry=True)


@pytest.fixture(scope="module")
def convex_first():
    return _first_problem(CONVEX_ON)


@pytest.fixture(scope="module")
def convex_flight(convex_first):  # noqa: ANN001
    return convex_first[2]


def test_convex_default_lands_safely_and_spends_less_than_polynomial(convex_flight) -> None:
    poly = _flight([])
    sc, sp = convex_flight.summary(0), poly.summary(0)
    assert sc["outcome"] == "safe", sc
    assert sc["convex_plans"] >= 2 and sc["convex_failures"] == 0
    assert sc["distance_from_target_m"] < 5.0
    assert sp["convex_plans"] == 0
    assert sc["propellant_used_kg"] < sp["propellant_used_kg"]


def _segment_propellant(flight) -> tuple[float, float, float]:  # noqa: ANN001
    """Propellant burnt from the first convex solve to the low gate (kg, telemetry),
    the time of that solve and the first plan's time of flight (s)."""
    first = flight.events[0][0]
    m = re.match(
        r"t=([\d.]+) s convex first solve: .*time of flight ([\d.]+) s, "
        r"propellant ([\d.]+) kg",
        first,
    )
    assert m, first
    t0, tf, _ = (float(x) for x in m.groups())
    tel = flight.telemetry[0]
    t, prop = tel[:, INDEX["t"]], tel[:, INDEX["propellant"]]
    low_gate = int(np.argmax(tel[:, INDEX["phase"]] >= 2))  # the plans end at the low gate
    assert t[low_gate] > t0 + 0.5 * tf
    return float(np.interp(t0, t, prop) - prop[low_gate]), t0, tf


def _first_problem(overrides: list[str]):  # noqa: ANN202
    """A flight, with its first convex request's problem (the flight software's state,
    attitude and mass at the guidance start) and the first plan's propellant (kg)."""
    import surefoot.fsw.guidance.convex.inflight as inflight

    seen: list = []
    original = inflight.answer_request

    def spy(nav, fs, fp, cfg, cache):  # noqa: ANN001, ANN202
        out = original(nav, fs, fp, cfg, cache)
        seen.append(out)
        return out

    inflight.answer_request = spy  # the simulator looks it up in its module per request
    try:
        flight = _flight(overrides)
    finally:
        inflight.answer_request = original
    assert seen and seen[0].ok and seen[0].problem is not None
    return seen[0].problem, seen[0].solution.propellant_kg, flight


def test_closed_loop_propellant_is_close_to_the_open_loop_optimum(convex_first) -> None:
    """Issue 16: the closed loop burns within 2 % of the open-loop optimum from the
    guidance-start state (position, velocity, mass and the attitude it has).

    That optimum is the first plan: it starts from the lander's thrust axis and turns
    no faster than the attitude control's slew limit (a relaxation of every thrust
    history a 6 deg/s vehicle can fly, so a lower bound up to model error: curvature,
    engine lag, navigation). Measured (default-convex, seed 0): 24.98 kg flown against
    a 24.88 kg plan (1.004) with the plan's turn rate fed forward into the steering,
    25.09 kg (1.0085) without it; before issue 16 the plan asked for an instant 55 deg
    slew: 25.17 kg against 24.43 kg (1.031).

    Against the optimum with the first thrust direction free (24.45 kg, a bound no
    vehicle with a slew limit can fly: the plan itself costs 1.8 % more) the closed
    loop is at 1.022; bounded here at 1.025 so a loss in tracking shows.
    """
    problem, plan_kg, flight = convex_first
    spent, _, _ = _segment_propellant(flight)
    assert plan_kg * 0.995 < spent < plan_kg * 1.02, (spent, plan_kg)
    assert spent < plan_kg * 1.007, (spent, plan_kg)  # measured 1.004
    free = solve(dataclasses.replace(problem, thrust_axis0_lf=None), "two_stage")
    assert free.ok and free.propellant_kg < plan_kg
    assert spent < 1.025 * free.propellant_kg, (spent, free.propellant_kg)
    # the feed-forward is what brings the loss down (measured 25.09 kg without it)
    off, _, _ = _segment_propellant(
        _flight(CONVEX_ON + ["fsw.guidance.convex.rate_feedforward=false"])
    )
    assert spent < off - 0.05, (spent, off)


def test_first_plan_starts_from_the_thrust_axis_the_lander_has() -> None:
    """The plan's first thrust lies within the tolerance cone about the lander's thrust
    axis (from its attitude estimate), however far the free optimum would point."""
    scenario = load_scenario("default", CONVEX_ON)
    b = batch_arrays([scenario], terrain_for(scenario))
    nav, fs, fp = b.nav[0].copy(), b.fs[0].copy(), b.fp[0].copy()
    cfg = scenario.fsw.guidance.convex
    assert cfg.slew_rate_fraction is not None
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    nav[NAV_T] = 1000.0
    nav[NAV_R : NAV_R + 3] = [-4000.0, 50.0, 2000.0]  # approach azimuth 90 deg: east
    nav[NAV_V : NAV_V + 3] = [70.0, 0.0, -30.0]
    fs[FS_MPROP] = 150.0
    cache = SOCPCache(max_size=4)

    def first_thrust(config, pitch_deg: float) -> np.ndarray:  # noqa: ANN001
        # body +z tilted by pitch towards downrange (east), about the north axis
        half = math.radians(pitch_deg) / 2.0
        nav[NAV_Q : NAV_Q + 4] = [math.cos(half), 0.0, math.sin(half), 0.0]
        cv[:] = 0.0
        cv[CV_MODE] = CVM_WAITING
        out = answer_request(nav, fs, fp, config, cache)
        assert out.ok, out.event
        a = plan_reference(cv, float(cv[CV_T0]))[2]
        return a / np.linalg.norm(a)

    free = first_thrust(cfg.model_copy(update={"slew_rate_fraction": None}), 0.0)
    free_pitch = math.degrees(math.atan2(free[0], free[2]))
    pitch = free_pitch - 40.0 if free_pitch > -5.0 else free_pitch + 40.0
    axis = np.array([math.sin(math.radians(pitch)), 0.0, math.cos(math.radians(pitch))])
    a = first_thrust(cfg, pitch)
    angle = math.degrees(math.acos(float(np.clip(a @ axis, -1.0, 1.0))))
    # + 0.2 deg: the plan's axes are local at the lander, 4 km (0.13 deg of arc) from
    # the site's ENU axes the attitude is given in
    assert angle <= cfg.thrust_axis_tolerance_deg + 0.2
    # without the cone the plan starts about 40 deg away from where the lander points
    loose = first_thrust(cfg.model_copy(update={"slew_rate_fraction": None}), pitch)
    assert math.degrees(math.acos(float(np.clip(loose @ axis, -1.0, 1.0)))) > 30.0


def test_failed_solve_falls_back_to_polynomial_and_is_logged() -> None:
    r = _flight(CONVEX_ON + ["fsw.guidance.convex.max_conic_solves=3"])
    s = r.summary(0)
    assert s["outcome"] == "safe", s
    assert s["convex_failures"] == 1 and s["convex_plans"] == 0
    assert any("failed (budget" in e and "polynomial guidance" in e for e in r.events[0])


def test_convex_batch_equals_single_runs_bit_for_bit() -> None:
    """docs/architecture.md: solves between steps read only the lander's own rows."""
    rng = np.random.default_rng(7)
    scenarios = [
        load_scenario(
            "default",
            CONVEX_ON
            + [
                f"initial.altitude_m={15000 + 300 * rng.standard_normal():.6f}",
                f"vehicle.propellant_kg={660 + 5 * rng.standard_normal():.6f}",
            ],
            seed=k,
        )
        for k in range(3)
    ]
    batch = simulate(scenarios, telemetry=True)
    for k, s in enumerate(scenarios):
        single = simulate(s, telemetry=True)
        np.testing.assert_array_equal(single.touchdown[0], batch.touchdown[k])
        np.testing.assert_array_equal(single.telemetry[0], batch.telemetry[k])
        assert single.events[0] == batch.events[k]
        assert batch.summary(k)["outcome"] == "safe"


def test_moved_target_raises_a_request_and_the_new_plan_starts_from_it() -> None:
    """A divert (hazard avoidance) moves FS_TARGET; the executive asks for a new plan."""

    scenario = load_scenario("default", CONVEX_ON)
    b = batch_arrays([scenario], terrain_for(scenario))
    nav, fs, fp = b.nav[0].copy(), b.fs[0].copy(), b.fp[0].copy()
    cfg = scenario.fsw.guidance.convex
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    # an approach-like estimated state 4 km uprange, 2 km up (site ENU, m and m/s)
    nav[NAV_T] = 1000.0
    nav[NAV_R : NAV_R + 3] = [-4000.0, 50.0, 2000.0]
    nav[NAV_V : NAV_V + 3] = [70.0, 0.0, -30.0]
    fs[FS_MPROP] = 150.0  # the flight software's propellant estimate, kg
    cv[CV_MODE] = CVM_WAITING
    cache = SOCPCache(max_size=2)
    first = answer_request(nav, fs, fp, cfg, cache)
    assert first.ok and "first solve" in first.event and cv[CV_MODE] == CVM_ACTIVE
    fs[FS_REQUEST] = 0.0
    # no periodic re-solve is due yet and the target has not moved: no request
    assert convex_sequencing(fs, fp, PHASE_APPROACH, 2000.0, 1000.1)
    assert int(fs[FS_REQUEST]) & REQ_CONVEX_SOLVE == 0
    old_start = plan_start(fs)
    fs[FS_TARGET : FS_TARGET + 3] = [150.0, -120.0, 0.0]
    assert convex_sequencing(fs, fp, PHASE_APPROACH, 2000.0, 1000.2)
    assert int(fs[FS_REQUEST]) & REQ_CONVEX_SOLVE
    nav[NAV_T] = 1000.2
    second = answer_request(nav, fs, fp, cfg, cache)
    assert second.ok and "re-target" in second.event, second.event
    pos, _, _ = guidance_coordinates(nav, fs, fp)
    np.testing.assert_allclose(plan_start(fs), pos, atol=1e-6)
    shift = np.hypot(*(plan_start(fs) - old_start)[:2])
    assert shift == pytest.approx(np.hypot(150.0, 120.0), rel=0.02)


def test_periodic_resolve_keeps_a_plan_the_margin_can_fly() -> None:
    """A re-solve with no plan in the remaining time under the thrust cap, but one at
    full thrust, and a tracking error the margin covers, keeps the current plan
    instead of stretching the time of flight (issue 16: up to 1.8 kg per landing)."""
    scenario = load_scenario("default", CONVEX_ON)
    b = batch_arrays([scenario], terrain_for(scenario))
    nav, fs, fp = b.nav[0].copy(), b.fs[0].copy(), b.fp[0].copy()
    cfg = scenario.fsw.guidance.convex
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    nav[NAV_T] = 1000.0
    nav[NAV_R : NAV_R + 3] = [-4000.0, 50.0, 2000.0]
    nav[NAV_V : NAV_V + 3] = [70.0, 0.0, -30.0]
    nav[NAV_Q : NAV_Q + 4] = [1.0, 0.0, 0.0, 0.0]
    fs[FS_MPROP] = 150.0
    cv[CV_MODE] = CVM_WAITING
    cache = SOCPCache(max_size=4)
    first = answer_request(nav, fs, fp, cfg, cache)
    assert first.ok
    # same state, on the plan, but the propellant estimate revised up by 90 kg: the
    # plan's maximum-thrust arcs no longer fit under the cap in the same time
    fs[FS_MPROP] = 240.0
    t0, n_ok = float(cv[CV_T0]), int(cv[CV_N_OK])
    saved = fs.copy()
    kept = answer_request(nav, fs, fp, cfg, cache)
    assert kept.ok and "current plan kept" in kept.event, kept.event
    assert cv[CV_T0] == t0 and int(cv[CV_N_OK]) == n_ok
    # far off the plan (10 m/s): the margin cannot fly it back, so a new plan
    fs[:] = saved
    off = nav.copy()
    off[NAV_V] += 10.0
    moved_on = answer_request(off, fs, fp, cfg, cache)
    assert moved_on.ok and "kept" not in moved_on.event, moved_on.event
    fs[:] = saved
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    again = answer_request(
        nav, fs, fp, cfg.model_copy(update={"keep_recoverable_plan": False}), cache
    )
    assert again.ok and "kept" not in again.event
    assert again.solution is not None and again.solution.tf_s > first.solution.tf_s + 0.5


def plan_start(fs: np.ndarray) -> np.ndarray:
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    return plan_reference(cv, float(cv[CV_T0]))[0]
