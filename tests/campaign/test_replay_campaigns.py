"""Dispersed replays, small: the flown logic fails the way the missions failed, robust
logic never makes things worse, and the recommended sensors land.

A small version of ``benchmarks/bench_replays.py`` (which flies 2,000 runs per
setting): the first runs of each replay's own campaign (its ``dispersions``,
campaign seed 0), flown as one batch per setting.
"""

from __future__ import annotations

import pytest

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.loader import load_scenario
from surefoot.sim.runner import simulate

RUNS = 6


def _fly(name: str, rejection: str) -> list[dict]:
    s0 = load_scenario(name, [f"fsw.nav.rejection={rejection}"])
    resolved = resolve_dispersions(s0)
    draws = draw_runs(resolved, 0, range(RUNS))
    integer = [numeric_field(p).integer for p in draws.paths]
    base = base_dict(s0)
    runs = [run_scenario(base, draws.paths, integer, draws.values[k], int(draws.seed[k]), k)
            for k in range(RUNS)]
    result = simulate(runs, telemetry=False)
    return [result.summary(i) for i in range(RUNS)]


def _safe(summaries: list[dict]) -> int:
    return sum(s["outcome"] == "safe" for s in summaries)


@pytest.mark.parametrize("name", ["hakuto-r-m1", "resilience-m2"])
def test_flown_logic_fails_as_the_mission_did(name: str) -> None:
    naive = _fly(name, "naive")
    assert _safe(naive) <= 1, [s["failure_reason"] for s in naive]


@pytest.mark.parametrize("name", ["hakuto-r-m1", "resilience-m2", "im-1"])
def test_robust_logic_is_never_worse_and_never_the_cause(name: str) -> None:
    robust = _fly(name, "robust")
    naive = _fly(name, "naive")
    assert _safe(robust) >= _safe(naive)
    assert not [s for s in robust if s["failure_class"] == "logic"], [
        s["failure_reason"] for s in robust if s["failure_class"] == "logic"
    ]


@pytest.mark.parametrize("name", ["hakuto-r-m1-recommended", "resilience-m2-recommended"])
def test_recommended_sensors_leave_no_logic_or_sensor_failure(name: str) -> None:
    """What the added sensor claims to fix is fixed; a landing may still meet a
    slope at the site (no hazard avoidance in these replays: class 'touchdown')."""
    rec = _fly(name, "robust")
    blamed = [s for s in rec if s["failure_class"] in ("logic", "sensor-limited")]
    assert not blamed, [(s["failure_class"], s["failure_reason"]) for s in blamed]
    assert _safe(rec) >= RUNS - 1
