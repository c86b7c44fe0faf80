"""Apollo 11's powered descent, replayed: the lunar module lands, and its burn
time and descent propellant come within 5 % of the flown figures (756 s,
7,899 kg: post-flight analysis, docs/missions.md) with gates derived from the
vehicle, not tuned."""

from __future__ import annotations

import pytest

from surefoot.analysis.flown_figures import FLOWN, flown_deviation
from surefoot.config.guidance_gates import derive_gates
from surefoot.config.loader import load_scenario, read_scenario_file
from surefoot.sim.runner import simulate


@pytest.fixture(scope="module")
def landing() -> dict:
    return simulate(load_scenario("apollo-11"), telemetry=False).summary(0)


def test_the_gates_are_derived_not_tuned() -> None:
    # the file sets no gate field itself: every gate value is the derivation's
    assert read_scenario_file("apollo-11")["fsw"]["guidance"] == {"gates": "derived"}
    s = load_scenario("apollo-11")
    assert s.fsw.guidance.high_gate.position_m == pytest.approx(
        derive_gates(s)["high_gate"]["position_m"]
    )


def test_apollo_11_lands_safely(landing: dict) -> None:
    assert landing["outcome"] == "safe", landing["failure_reason"]


@pytest.mark.parametrize("key", ["flight_time_s", "propellant_used_kg"])
def test_burn_time_and_propellant_within_5_percent_of_flown(landing: dict, key: str) -> None:
    flown = {f.summary_key: f.value for f in FLOWN["apollo-11"]}
    dev = flown_deviation("apollo-11", landing)[key]
    assert abs(dev) <= 0.05, f"{key}: simulated {landing[key]:.0f}, flown {flown[key]:.0f}"
