"""The ``chandrayaan-2`` replay: Vikram's first braking as designed, then more thrust than
the flight software models (docs/missions.md, Chandrayaan-2 Vikram). A synthetic
reconstruction.

Flown: the rough braking took the lander from 30 km at 1,683 m/s to 7.4 km at
146 m/s as designed; after it the engines gave more thrust than modelled and the
lander did not land. The replay must end its braking near those figures (height
within 10 % of 7.4 km, speed within 15 % of 146 m/s), crash with the 40 % thrust
excess from 7.4 km on, and land without it.

Why it crashes here (docs/missions.md has the derivation): the terminal descent holds
its rate with a proportional loop of gain ``kv`` and no integral term, so with the
delivered thrust ``k`` times the commanded its descent settles at
``v = -r + (k - 1) g / (k kv)``: -0.07 m/s instead of -1 m/s for ``k`` = 1.4,
``kv`` = 0.5/s, ``g`` = 1.62 m/s^2. The lander hovers its propellant away and falls.
The tests check that rate against the formula and that the run is dry at impact.
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.loader import load_scenario
from surefoot.fsw.interfaces import PHASE_APPROACH, PHASE_TERMINAL
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import INDEX

HEALTHY = "vehicle.engine.faults=[]"


@pytest.fixture(scope="module")
def flown() -> dict:
    res = simulate([load_scenario("chandrayaan-2"), load_scenario("chandrayaan-2", [HEALTHY])])
    return {
        "fault": (res.summary(0), res.telemetry[0]),
        "nominal": (res.summary(1), res.telemetry[1]),
    }


def _first(tel: np.ndarray, phase: int) -> np.ndarray:
    return tel[np.argmax(tel[:, INDEX["phase"]] == phase)]


def _loop_rate(k: float, g: float = 1.62, kv: float = 0.5, rate: float = 1.0) -> float:
    """Steady vertical speed (m/s) of the terminal descent with thrust k times the model:
    ``k (g + kv (-rate - v)) - g = 0``."""
    return -rate + (k - 1.0) * g / (k * kv)


def _terminal_rate(tel: np.ndarray) -> float:
    """Mean true vertical speed (m/s) from 30 s to 150 s into the terminal descent."""
    t0 = _first(tel, PHASE_TERMINAL)[0]
    w = (tel[:, INDEX["phase"]] == PHASE_TERMINAL) & (tel[:, 0] > t0 + 30.0)
    w &= tel[:, 0] < t0 + 150.0
    return float(np.mean(tel[w, INDEX["v_up"]]))


def _speed(row: np.ndarray) -> float:
    return float(np.linalg.norm(row[INDEX["v_east"] : INDEX["v_up"] + 1]))


@pytest.mark.parametrize("case", ["fault", "nominal"])
def test_first_braking_ends_near_7_4_km_at_146_m_s(flown: dict, case: str) -> None:
    _, tel = flown[case]
    end = _first(tel, PHASE_APPROACH)
    assert end[INDEX["r_up"]] == pytest.approx(7400.0, rel=0.10)
    assert _speed(end) == pytest.approx(146.0, rel=0.15)
    assert tel[0, INDEX["altitude"]] == pytest.approx(30_000.0, rel=0.01)
    assert _speed(tel[0]) == pytest.approx(1683.0, abs=5.0)


def test_more_thrust_than_modelled_from_7_4_km_and_no_landing(flown: dict) -> None:
    s, tel = flown["fault"]
    at = np.searchsorted(tel[:, 0], s["engine_fault_first_s"])
    assert tel[at, INDEX["altitude"]] == pytest.approx(7400.0, abs=50.0)
    # the engine delivers 1.4 times what the flight software commands
    late = (tel[:, 0] > s["engine_fault_first_s"] + 5.0) & (tel[:, INDEX["thrust"]] > 0.0)
    ratio = tel[late, INDEX["thrust"]] / tel[late, INDEX["thrust_cmd"]]
    assert np.median(ratio) == pytest.approx(1.4, rel=0.02)
    # hovering instead of descending: the rate of the proportional loop with the excess
    # (the loop rings by a few tenths of a m/s about it; the mean over two minutes)
    assert _terminal_rate(tel) == pytest.approx(_loop_rate(1.4), abs=0.15)
    assert s["outcome"] == "crashed"
    assert s["failure_class"] == "hardware"
    assert s["propellant_left_kg"] < 0.5
    assert s["touchdown_vertical_speed_m_s"] > 15.0


def test_without_the_excess_it_lands(flown: dict) -> None:
    s, tel = flown["nominal"]
    assert _terminal_rate(tel) == pytest.approx(_loop_rate(1.0), abs=0.05)
    assert s["outcome"] == "safe"
    assert s["touchdown_vertical_speed_m_s"] < 1.5
    assert s["propellant_left_kg"] > 40.0


def _dispersed(overrides: list[str], runs: int) -> list[dict]:
    s0 = load_scenario("chandrayaan-2", overrides)
    resolved = resolve_dispersions(s0)
    draws = draw_runs(resolved, 0, range(runs))
    integer = [numeric_field(p).integer for p in draws.paths]
    base = base_dict(s0)
    scs = [
        run_scenario(base, draws.paths, integer, draws.values[k], int(draws.seed[k]), k)
        for k in range(runs)
    ]
    res = simulate(scs, telemetry=False)
    return [res.summary(i) for i in range(runs)]


def test_dispersed_the_excess_always_crashes_and_the_healthy_engine_lands() -> None:
    """Campaign seed 0, the first 4 runs of the scenario's own dispersions (30-run
    campaigns: 0/30 and 30/30 safe, docs/missions.md)."""
    fault = _dispersed([], 4)
    healthy = _dispersed([HEALTHY], 4)
    assert all(s["outcome"] == "crashed" for s in fault), [s["outcome"] for s in fault]
    assert min(s["touchdown_vertical_speed_m_s"] for s in fault) > 10.0
    assert sum(s["outcome"] == "safe" for s in healthy) >= 3, [s["outcome"] for s in healthy]
