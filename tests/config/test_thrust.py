"""Thrust against weight: an error for a lander that cannot hold itself, warnings for poor
margins, none for the built-in landers."""

from __future__ import annotations

import math

import pytest

from surefoot.cli import main
from surefoot.config.loader import ConfigError, builtin_scenarios, load_scenario
from surefoot.config.thrust import HOVER_MARGIN, check_thrust, thrust_figures


@pytest.mark.parametrize("name", list(builtin_scenarios()))
def test_builtin_landers_have_no_warning(name: str) -> None:
    assert check_thrust(load_scenario(name)) == []


def test_figures_of_the_default_lander() -> None:
    f = thrust_figures(load_scenario("default"))
    assert f.gravity_m_s2 == pytest.approx(1.624, abs=1e-3)
    # below 1 at ignition (normal at orbital speed), well above it in the terminal descent
    assert f.ratio(f.max_thrust_n, f.ignition_mass_kg) < 1.0
    dv = 1690.0 - 2.6617e-6 * 1_737_400.0
    assert f.terminal_mass_kg == pytest.approx(1000.0 * math.exp(-dv / (300.0 * 9.80665)))
    assert f.ratio(f.max_thrust_n, f.terminal_mass_kg) > 1.5


def test_a_slow_start_is_judged_at_ignition_mass() -> None:
    # hovering start: terminal mass = ignition mass; 1000 kg weighs 1624 N
    s = load_scenario("default", ["initial.speed_m_s=0", "initial.altitude_m=100",
                                  "vehicle.engine.max_thrust_n=1700"])
    assert thrust_figures(s).terminal_mass_kg == 1000.0
    [w] = check_thrust(s)
    assert w.startswith("vehicle.engine.max_thrust_n:") and f"below {HOVER_MARGIN:g}" in w
    assert check_thrust(s.model_copy(update={"vehicle": s.vehicle.model_copy(update={
        "engine": s.vehicle.engine.model_copy(update={"max_thrust_n": 1800.0})})})) == []


def test_min_throttle_that_cannot_hover_near_empty_warns() -> None:
    # 0.35 x 1600 = 560 N > 340 kg x 1.624 = 552 N; 0.34 x 1600 = 544 N does not
    [w] = check_thrust(load_scenario("default", ["vehicle.engine.min_throttle=0.35"]))
    assert w.startswith("vehicle.engine.min_throttle:") and "cannot hover" in w
    assert check_thrust(load_scenario("default", ["vehicle.engine.min_throttle=0.34"])) == []
    # the reserve is never burnt: the lightest lander is dry + reserve
    assert check_thrust(load_scenario("default", ["vehicle.engine.min_throttle=0.35",
                                                  "vehicle.propellant_reserve_kg=20"])) == []


def test_thrust_below_the_empty_weight_is_an_error() -> None:
    with pytest.raises(ConfigError, match="max_thrust_n: 500 N cannot hold"):
        check_thrust(load_scenario("default", ["vehicle.engine.max_thrust_n=500"]))
    # 560 N holds 340 kg (552 N) but not with margin at the terminal mass
    [w] = check_thrust(load_scenario("default", ["vehicle.engine.max_thrust_n=560"]))
    assert w.startswith("vehicle.engine.max_thrust_n: thrust-to-weight 0.611 ")


def test_without_gravity_only_a_nonzero_minimum_thrust_is_poor() -> None:
    free = ["moon.gm_m3_s2=1e-30", "vehicle.engine.max_thrust_n=1e-6"]
    assert check_thrust(load_scenario("default", [*free, "vehicle.engine.min_throttle=0"])) == []
    [w] = check_thrust(load_scenario("default", free))  # no hover at 0.25 x 1e-6 N
    assert w.startswith("vehicle.engine.min_throttle:")


def test_cli_warns_in_one_line_and_goes_on(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", "--check", "--set", "vehicle.engine.min_throttle=0.9",
               "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert rc == 0 and "valid" in out
    [line] = err.splitlines()
    assert line.startswith("surefoot: warning: vehicle.engine.min_throttle:")
    rc = main(["run", "--check", "--set", "vehicle.engine.max_thrust_n=1.6",
               "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert rc == 2 and line.startswith("surefoot: error: vehicle.engine.max_thrust_n: 1.6 N")
    # a refused output folder is the only line, no warning before it
    (tmp_path / "f").write_text("x")
    rc = main(["run", "--check", "--set", "vehicle.engine.min_throttle=0.9",
               "--out", str(tmp_path / "f")])
    [line] = capsys.readouterr().err.splitlines()
    assert rc == 2 and "--out" in line
