"""Specific impulse that falls with the throttle (``vehicle.engine.isp_at_min_throttle_s``).

References: the law itself (linear in the throttle between the two figures,
``surefoot.math.engine_isp``), and the rocket's mass balance
``dm/dt = -T / (Isp(T) g0)`` (Sutton & Biblarz, Rocket Propulsion Elements, ch. 2):
the propellant a flight burned equals the integral of its delivered thrust over
``Isp(T) g0``, which a constant Isp would miss.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surefoot.config.loader import load_scenario
from surefoot.math.engine_isp import isp_at_thrust
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import TEL_T, TEL_THRUST
from surefoot.world.moon import G0_M_S2


def test_the_law_at_its_ends_and_between() -> None:
    # 10 % to full thrust, 285 s to 311 s (Apollo's descent engine, docs/missions.md)
    assert isp_at_thrust(45_000.0, 45_000.0, 0.1, 311.0, 285.0) == 311.0
    assert isp_at_thrust(4_500.0, 45_000.0, 0.1, 311.0, 285.0) == pytest.approx(285.0)
    assert isp_at_thrust(24_750.0, 45_000.0, 0.1, 311.0, 285.0) == pytest.approx(298.0)
    # flat outside the throttle range (an engine off, or commanded past full)
    assert isp_at_thrust(0.0, 45_000.0, 0.1, 311.0, 285.0) == pytest.approx(285.0)
    assert isp_at_thrust(50_000.0, 45_000.0, 0.1, 311.0, 285.0) == 311.0


@given(
    thrust=st.floats(0.0, 2e4),
    min_throttle=st.floats(0.0, 1.0),
    isp=st.floats(1.0, 1000.0),
)
def test_one_isp_is_that_isp_at_every_throttle_exactly(
    thrust: float, min_throttle: float, isp: float
) -> None:
    assert isp_at_thrust(thrust, 1.6e4, min_throttle, isp, isp) == isp


@given(
    f=st.floats(0.0, 1.0),
    g=st.floats(0.0, 1.0),
    min_throttle=st.floats(0.0, 0.9),
    low=st.floats(100.0, 300.0),
)
def test_more_throttle_never_less_isp_and_within_the_two_figures(
    f: float, g: float, min_throttle: float, low: float
) -> None:
    a = isp_at_thrust(f * 1e4, 1e4, min_throttle, 311.0, low)
    b = isp_at_thrust(g * 1e4, 1e4, min_throttle, 311.0, low)
    assert low - 1e-9 <= a <= 311.0 + 1e-9
    if f <= g:
        assert a <= b + 1e-9


def test_a_flight_burns_what_its_thrust_over_its_isp_says() -> None:
    isp_full, isp_low = 300.0, 200.0
    s = load_scenario("default", overrides=[f"vehicle.engine.isp_at_min_throttle_s={isp_low}"])
    assert s.vehicle.engine.isp_s == isp_full
    result = simulate(s, telemetry=True)
    landing = result.summary(0)
    tel = result.telemetry[0]
    t = tel[:, TEL_T]
    thrust = tel[:, TEL_THRUST]
    eng = s.vehicle.engine
    isp = np.array(
        [isp_at_thrust(x, eng.max_thrust_n, eng.min_throttle, isp_full, isp_low) for x in thrust]
    )
    burned = landing["propellant_used_kg"]
    varying = np.trapezoid(thrust / (isp * G0_M_S2), t)
    constant = np.trapezoid(thrust / (isp_full * G0_M_S2), t)
    assert varying == pytest.approx(burned, rel=0.01)
    assert abs(constant / burned - 1.0) > 0.05  # a constant Isp would be far off
    # the flight software knows the law (design values of the nominal engine): its
    # propellant estimate follows the truth
    assert landing["onboard_mass_estimate_kg"] == pytest.approx(
        landing["touchdown_mass_kg"], rel=0.01
    )
