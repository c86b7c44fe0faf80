"""Shared fixtures: a warm compiled kernel and one reference campaign."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from surefoot.campaign.report import load_campaign
from surefoot.campaign.runner import run_campaign
from surefoot.config.loader import load_scenario

REFERENCE_RUNS = 24
SCENARIO = "default-dispersed"


@pytest.fixture(scope="session")
def warm_kernel() -> None:
    """Compile (or load) the batch kernel once here, so worker processes load it from
    Numba's disk cache instead of compiling side by side."""
    from surefoot.sim.runner import simulate

    simulate(load_scenario("default"), telemetry=False)


@pytest.fixture(scope="session")
def reference(warm_kernel: None, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, pa.Table]:
    """The reference campaign: one local worker, batches of 5 (5, 5, 5, 5, 4)."""
    out = tmp_path_factory.mktemp("reference") / "campaign"
    result = run_campaign(load_scenario(SCENARIO), REFERENCE_RUNS, out, workers=1,
                          batch_size=5)
    assert result.done == REFERENCE_RUNS and result.flown == REFERENCE_RUNS
    return out, load_campaign(out).table
