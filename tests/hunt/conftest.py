"""Shared fixtures of the hunt tests: the short test scenario and a warm kernel."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from surefoot.config.loader import apply_overrides, load_scenario_dict
from surefoot.config.schema import Scenario

# a ~95 s descent whose failures come from thrust misalignment (see the file)
SHORT_DESCENT = Path(__file__).with_name("short-descent.yaml")
MISALIGNMENT = ("vehicle.engine.misalignment_deg.0", "vehicle.engine.misalignment_deg.1")


def short_descent(
    overrides: list[str] | None = None, misalignment_sigma_deg: float | None = None
) -> Scenario:
    """The test scenario, with ``--set``-style overrides and another misalignment sigma."""
    data = yaml.safe_load(SHORT_DESCENT.read_text())
    if misalignment_sigma_deg is not None:
        for path in MISALIGNMENT:
            data["dispersions"]["fields"][path]["sigma"] = misalignment_sigma_deg
    apply_overrides(data, overrides or [])
    return load_scenario_dict(data)


@pytest.fixture(scope="session")
def warm_kernel() -> None:
    """Compile (or load) the batch kernel once, so workers load it from the disk cache."""
    from surefoot.sim.runner import simulate

    simulate(short_descent(), telemetry=False)
