"""Gates sized from the vehicle (surefoot.config.guidance_gates), and the up-front
refusal of gates the vehicle cannot fly.

References: the Tsiolkovsky rocket equation (time and distance at constant
thrust, gravity aside), constant-acceleration kinematics along the approach
glide slope, and Klumpp's time-to-go cubic (Klumpp 1974) for the jerk target.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.cli import main
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.guidance_gates import (
    APPROACH_GLIDE_SLOPE_DEG,
    APPROACH_TIME_S,
    G0_M_S2,
    LOW_GATE_HEIGHT_M,
    TERMINAL_RATE_M_S,
    VehicleDesign,
    approach_deceleration_m_s2,
    braking_profile,
    check_gates,
    derive_gates,
    design_of,
    full_thrust_distance_m,
    full_thrust_time_s,
    propellant_needed_kg,
)
from surefoot.config.loader import ConfigError, builtin_scenarios, load_scenario
from surefoot.fsw.guidance.apollo import tgo_from_jerk

masses = st.floats(100.0, 20_000.0)
fractions = st.floats(0.2, 0.8)
thrust_to_mass = st.floats(1.0, 6.0)  # m/s^2 at ignition
isps = st.floats(200.0, 450.0)
speeds = st.floats(200.0, 2000.0)


def _design(m0: float, prop_fraction: float, acc0: float, isp: float, gm: float = 0.0):
    return VehicleDesign(
        dry_mass_kg=m0 * (1.0 - prop_fraction),
        propellant_kg=m0 * prop_fraction,
        max_thrust_n=acc0 * m0,
        isp_s=isp,
        gm_m3_s2=gm,
        radius_m=1e12,  # flat: no centripetal term either
    )


@settings(max_examples=40, deadline=None)
@given(masses, fractions, thrust_to_mass, isps, speeds, st.floats(0.0, 0.5))
def test_braking_without_gravity_is_the_rocket_equation(m0, frac, acc0, isp, v0, end) -> None:
    """Tsiolkovsky: at full thrust with no gravity, shedding dv takes
    t = m0/mdot (1 - exp(-dv/ve)); the integrated profile agrees, and so do its
    range (the closed form integrated once more) and its end mass."""
    d = _design(m0, frac, acc0, isp)
    dv = v0 * (1.0 - end)
    if propellant_needed_kg(d, dv) >= d.propellant_kg:
        with pytest.raises(ConfigError, match="runs out"):
            braking_profile(d, v0, v0 - dv, 15_000.0, throttle=1.0)
        return
    p = braking_profile(d, v0, v0 - dv, 15_000.0, throttle=1.0)
    t = full_thrust_time_s(d, dv)
    assert p.time_s == pytest.approx(t, rel=1e-6)
    assert p.range_m == pytest.approx(full_thrust_distance_m(d, v0, dv), rel=1e-6)
    assert p.end_mass_kg == pytest.approx(m0 * math.exp(-dv / (isp * G0_M_S2)), rel=1e-6)
    assert p.end_deceleration_m_s2 == pytest.approx(d.max_thrust_n / p.end_mass_kg, rel=1e-9)


def test_braking_against_gravity_takes_longer_and_a_weak_engine_is_refused() -> None:
    lm = design_of(load_scenario("apollo-11"))
    free = VehicleDesign(**{**lm.__dict__, "gm_m3_s2": 0.0})
    slow = braking_profile(lm, 1695.0, 130.0, 15_000.0)
    fast = braking_profile(free, 1695.0, 130.0, 15_000.0)
    assert slow.time_s > fast.time_s
    # from 600 m/s the centripetal term carries 0.2 of the 1.6 m/s^2: 0.9 x 15 kN on
    # 15.1 t (0.9 m/s^2) cannot hold the rest
    weak = VehicleDesign(**{**lm.__dict__, "max_thrust_n": 15_000.0})
    with pytest.raises(ConfigError, match="cannot hold the weight"):
        braking_profile(weak, 600.0, 130.0, 15_000.0)


def test_derived_gates_follow_constant_acceleration_along_the_glide_slope() -> None:
    """Approach: v_hg = v_lg + a T and L = (v_hg + v_lg) T / 2 along the slope, with
    a the deceleration the approach thrust leaves after holding the weight."""
    s = load_scenario("apollo-11")
    g = derive_gates(s)
    hg, lg = g["high_gate"], g["low_gate"]
    gamma = math.radians(APPROACH_GLIDE_SLOPE_DEG)
    v_hg = math.hypot(*hg["velocity_m_s"])
    assert math.degrees(math.atan2(-hg["velocity_m_s"][2], hg["velocity_m_s"][0])) == (
        pytest.approx(APPROACH_GLIDE_SLOPE_DEG)
    )
    length = 0.5 * (v_hg + TERMINAL_RATE_M_S) * APPROACH_TIME_S
    assert -hg["position_m"][0] == pytest.approx(length * math.cos(gamma))
    assert hg["position_m"][2] - LOW_GATE_HEIGHT_M == pytest.approx(length * math.sin(gamma))
    assert lg["position_m"] == (0.0, 0.0, LOW_GATE_HEIGHT_M)
    assert lg["velocity_m_s"] == (0.0, 0.0, -TERMINAL_RATE_M_S)
    # the thrust acceleration that decelerates by a along the slope and holds g
    a = (v_hg - TERMINAL_RATE_M_S) / APPROACH_TIME_S
    g_moon = s.fsw.moon.gm_m3_s2 / s.fsw.moon.radius_m**2
    thrust = math.sqrt((a * math.cos(gamma)) ** 2 + (g_moon + a * math.sin(gamma)) ** 2)
    assert approach_deceleration_m_s2(thrust, g_moon, gamma) == pytest.approx(a)
    # Apollo's P63 ended at a high gate of about 2.1-2.7 km
    assert 2000.0 < hg["position_m"][2] < 2700.0


def test_jerk_target_makes_klumpps_time_to_go_the_braking_time() -> None:
    s = load_scenario("apollo-11")
    d = design_of(s)
    g = derive_gates(s)
    hg = g["high_gate"]
    v_end = hg["velocity_m_s"][0]
    p = braking_profile(d, s.initial.speed_m_s, v_end, s.initial.altitude_m)
    tgo = tgo_from_jerk(
        -p.range_m,
        s.initial.speed_m_s,
        0.0,
        v_end,
        hg["acceleration_m_s2"][0],
        hg["jerk_downrange_m_s3"],
        -1.0,
    )
    assert tgo == pytest.approx(p.time_s, rel=1e-6)


def test_more_thrust_to_weight_means_a_faster_higher_high_gate() -> None:
    light = derive_gates(load_scenario("default", ["fsw.guidance.gates=derived"]))
    lm = derive_gates(load_scenario("apollo-11"))
    assert lm["high_gate"]["velocity_m_s"][0] > light["high_gate"]["velocity_m_s"][0]
    assert lm["high_gate"]["position_m"][2] > light["high_gate"]["position_m"][2]


def test_derived_gates_fill_only_what_the_scenario_leaves_unset_and_stay_put() -> None:
    s = load_scenario("default", ["fsw.guidance.gates=derived", "fsw.guidance.approach_tgo_s=90"])
    g = s.fsw.guidance
    derived = derive_gates(s)
    assert g.approach_tgo_s == 90.0
    assert g.high_gate.position_m == pytest.approx(derived["high_gate"]["position_m"])
    # a dumped scenario (scenario.yaml, a campaign run) keeps the values it was given
    again = type(s).model_validate(s.model_dump(mode="json"))
    assert again.fsw.guidance == g


def test_dispersing_the_truth_vehicle_moves_no_gate() -> None:
    """The rule by value: gates come from design values, drawn before any dispersion."""
    s0 = load_scenario("apollo-11")
    resolved = resolve_dispersions(s0)
    draws = draw_runs(resolved, 0, range(4))
    integer = [numeric_field(p).integer for p in draws.paths]
    base = base_dict(s0)
    for k in range(4):
        run = run_scenario(base, draws.paths, integer, draws.values[k], int(draws.seed[k]), k)
        assert run.vehicle != s0.vehicle
        assert run.fsw.guidance == s0.fsw.guidance


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_builtin_scenarios_are_flyable(name: str) -> None:
    assert check_gates(load_scenario(name)) == []


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 3000.0))
def test_a_braking_time_shorter_than_full_thrust_allows_is_refused(tgo: float) -> None:
    s = load_scenario("default", [f"fsw.guidance.braking_tgo_s={tgo}"])
    d = design_of(s)
    shed = s.initial.speed_m_s - math.hypot(*s.fsw.guidance.high_gate.velocity_m_s)
    t_min = full_thrust_time_s(d, shed)
    if tgo < t_min:
        with pytest.raises(ConfigError, match=r"^fsw\.guidance\.braking_tgo_s: .* must be 0"):
            check_gates(s)
    else:
        check_gates(s)


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 1500.0), st.floats(100.0, 3000.0))
def test_a_propellant_load_below_the_rocket_equation_need_is_refused(prop, uprange) -> None:
    s = load_scenario("default", [f"vehicle.propellant_kg={prop}", f"initial.uprange_km={uprange}"])
    d = design_of(s)
    shed = s.initial.speed_m_s - math.hypot(*s.fsw.guidance.high_gate.velocity_m_s)
    short = uprange * 1000.0 < full_thrust_distance_m(d, s.initial.speed_m_s, shed)
    # dv = ve ln(m0 / m_dry) against the speed plus 10 %
    dry = prop < 340.0 * (math.exp(1.1 * s.initial.speed_m_s / (300.0 * G0_M_S2)) - 1.0)
    if dry:
        with pytest.raises(ConfigError, match=r"^vehicle\.propellant_kg: .* must be >= "):
            check_gates(s)
        return
    warnings = check_gates(s)
    assert [w.startswith("initial.uprange_km: ") for w in warnings] == ([True] if short else [])


@pytest.mark.parametrize("setting", ["fsw.guidance.braking_tgo_s=300", "vehicle.propellant_kg=200"])
def test_cli_refuses_in_one_line(setting: str, tmp_path, capsys) -> None:
    rc = main(["run", "--check", "--set", setting, "--out", str(tmp_path / "o")])
    [line] = capsys.readouterr().err.splitlines()
    assert rc == 2 and line.startswith(f"surefoot: error: {setting.split('=')[0]}: ")


def test_cli_warns_of_a_start_too_close_to_brake_and_flies_on(tmp_path, capsys) -> None:
    rc = main(["run", "--check", "--set", "initial.uprange_km=300", "--out", str(tmp_path / "o")])
    [line] = capsys.readouterr().err.splitlines()
    assert rc == 0 and line.startswith("surefoot: warning: initial.uprange_km: 300 km is shorter")
