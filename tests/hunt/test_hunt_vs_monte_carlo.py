"""The hunt against plain Monte Carlo on flown landings (slow: about a minute on 2 cores).

References: plain Monte Carlo campaigns of the same scenario and seed
(Clopper-Pearson interval, :func:`surefoot.campaign.stats.clopper_pearson`).
Run with ``pytest -m slow tests/hunt``; ``benchmarks/bench_hunt.py`` prints the
same comparison as a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from surefoot.campaign.hunt.driver import HuntSettings, run_hunt
from surefoot.campaign.replay import rerun
from surefoot.campaign.runner import run_campaign
from surefoot.campaign.stats import clopper_pearson

from .conftest import short_descent

MC_RUNS = 3000


@pytest.mark.slow
def test_subset_agrees_with_plain_monte_carlo_near_1e_2(warm_kernel: None, tmp_path: Path) -> None:
    """P(failure) ~ 1e-2: subset simulation within 1/5 of the runs agrees with 3,000
    plain Monte Carlo runs (the Monte Carlo estimate inside the subset interval)."""
    scenario = short_descent()
    mc = run_campaign(scenario, MC_RUNS, tmp_path / "mc", workers=2)
    failures = mc.done - mc.success
    p_mc = failures / mc.done
    assert 0.005 < p_mc < 0.02  # the scenario is built to fail near 1e-2
    settings = HuntSettings(method="subset", budget=MC_RUNS // 5, level_size=200, seed=1)
    o = run_hunt(scenario, settings, tmp_path / "hunt", workers=2)
    est = o.summary["estimate"]
    assert est["complete"] and o.summary["runs"] <= MC_RUNS // 5
    lo, hi = est["interval_95"]
    assert lo <= p_mc <= hi
    mc_lo, mc_hi = clopper_pearson(failures, mc.done)
    assert lo <= mc_hi and mc_lo <= hi  # the two intervals overlap


@pytest.mark.slow
def test_search_finds_failures_a_thousand_runs_miss_and_reruns_them(
    warm_kernel: None, tmp_path: Path
) -> None:
    """Misalignment sigma 0.7 deg: 1,000 plain Monte Carlo runs see no failure; the
    cross-entropy and CMA-ES searches find failures within 1,000 runs and each re-flies
    bit for bit."""
    scenario = short_descent(misalignment_sigma_deg=0.7)
    mc = run_campaign(scenario, 1000, tmp_path / "mc", workers=2)
    assert mc.success == mc.done == 1000
    for method in ("cross-entropy", "cmaes"):
        settings = HuntSettings(method=method, budget=1000, seed=1)
        o = run_hunt(scenario, settings, tmp_path / method, workers=2)
        assert o.summary["failures_found"] > 0
        for case in o.summary["worst_cases"][:3]:
            assert case["margin"] < 0.0
            r = rerun(tmp_path / method, case["run_index"], telemetry=False)
            assert r.identical and r.row["outcome"] == case["outcome"]
