"""The simulation's step loop allocates no arrays (docs/architecture.md, "Fly").

An array made inside a compiled function costs a ``malloc``, a ``free`` and
atomic reference counts; made in the flight software's cycle it cost a
full-navigation landing about a quarter of its time (issue 14: 56 arrays a
cycle, 1,011,671 a hakuto-r-m1 landing, before they were taken out). Numba's
runtime counts its allocations when its statistics are on; a landing may make
its scratch once per lander and kernel call (a call flies up to 400 steps),
never once per cycle.
"""

from __future__ import annotations

import pytest
from numba.core.runtime import _nrt_python, rtsys

from surefoot.config import load_scenario
from surefoot.sim.runner import simulate


def _allocations(name: str) -> tuple[int, float]:
    """Numba runtime allocations while flying scenario ``name`` once, and its
    flight-software cycles."""
    scenario = load_scenario(name)
    simulate(scenario, telemetry=False)  # compiled, terrain built: not counted
    was_on = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()
    try:
        before = rtsys.get_allocation_stats().alloc
        result = simulate(scenario, telemetry=False)
        made = rtsys.get_allocation_stats().alloc - before
    finally:
        if not was_on:
            _nrt_python.memsys_disable_stats()
    cycles = result.summary(0)["flight_time_s"] * scenario.fsw.control.rate_hz
    return made, cycles


@pytest.mark.parametrize("name", ["hakuto-r-m1", "default"])
def test_a_landing_makes_no_array_per_flight_software_cycle(name: str) -> None:
    # hakuto-r-m1: IMU, star tracker, rangefinder and the error-state filter;
    # default: ideal navigation. One array a cycle anywhere in the loop would
    # put the count above one per cycle.
    made, cycles = _allocations(name)
    assert cycles > 10_000
    assert made < 0.5 * cycles, f"{made} allocations in {cycles:.0f} cycles"
