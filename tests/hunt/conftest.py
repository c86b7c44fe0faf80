"""Shared fixtures of the hunt tests: the short test scenario and a warm kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from surefoot.config.loader import load_scenario
from surefoot.config.schema import Scenario

# a ~95 s descent whose failures come from thrust misalignment (see the file)
SHORT_DESCENT = Path(__file__).with_name("short-descent.yaml")


def short_descent(overrides: list[str] | None = None) -> Scenario:
    """The test scenario, with ``--set``-style overrides."""
    return load_scenario(str(SHORT_DESCENT), overrides)


@pytest.fixture(scope="session")
def warm_kernel() -> None:
    """Compile (or load) the batch kernel once, so workers load it from the disk cache."""
    from surefoot.sim.runner import simulate

    simulate(short_descent(), telemetry=False)
