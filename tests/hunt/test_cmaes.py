"""CMA-ES falsification (``--method cmaes``): on an analytic margin and on flown landings.

References: a linear margin ``b - sum(z) / sqrt(d)`` whose failure probability
is exactly ``Phi(-b)`` (here 2.3e-4: 400 plain Monte Carlo draws miss it with
probability 0.91); the campaign's own draws for generation 0; a hunt of the
same seed on one worker, and the same hunt killed and resumed, for the flown
search on ``tests/hunt/short-descent.yaml`` with the misalignment sigma cut to
0.7 deg (1,000 plain runs see no failure: ``test_hunt_vs_monte_carlo.py``).
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy.special import ndtr

from surefoot.campaign.hunt.cmaes import KeyedNormals, check_settings, cmaes_search
from surefoot.campaign.hunt.cross_entropy import MAX_Z
from surefoot.campaign.hunt.driver import SUMMARY, HuntSettings, run_hunt
from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign
from surefoot.campaign.runner import run_campaign
from surefoot.cli import main

from .conftest import SHORT_DESCENT, short_descent

B = 3.5


def _linear(z: np.ndarray) -> np.ndarray:
    return B - z.sum(axis=1) / math.sqrt(z.shape[1])


def _problem(seed: int):
    from surefoot.campaign.hunt.problem import AnalyticProblem

    return AnalyticProblem(5, _linear, seed=seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_a_failure_region_of_probability_2e_4_within_400_runs(seed: int) -> None:
    assert float(ndtr(-B)) == pytest.approx(2.33e-4, rel=1e-2)
    r = cmaes_search(_problem(seed), budget=400, generation_size=20, seed=seed)
    assert r.runs == 400 and r.failures > 50 and r.worst_margin < -1.0
    # the mean walked out along the failure direction (1, ..., 1) / sqrt(d)
    last = r.generations[-1].mu
    assert last.sum() / math.sqrt(5) > B


def test_same_seed_same_search_and_numpy_global_state_untouched() -> None:
    np.random.seed(12345)  # noqa: NPY002 - the legacy global state is what cma would touch
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = cmaes_search(_problem(3), budget=200, generation_size=10, seed=7)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    b = cmaes_search(_problem(3), budget=200, generation_size=10, seed=7)
    c = cmaes_search(_problem(3), budget=200, generation_size=10, seed=8)
    assert all(
        np.array_equal(x.margin, y.margin)
        for x, y in zip(a.generations, b.generations, strict=True)
    )
    assert not np.array_equal(a.generations[1].margin, c.generations[1].margin)


def test_generation_zero_is_the_prior_and_points_stay_in_bounds() -> None:
    seen: list[np.ndarray] = []
    p = _problem(4)

    def f(z: np.ndarray) -> np.ndarray:
        seen.append(z.copy())
        return -10.0 * z[:, 0]  # the search runs off toward z0 = +inf

    p.f = f
    r = cmaes_search(p, budget=300, generation_size=10, seed=0)
    assert np.array_equal(seen[0], p.prior_normals(np.arange(10)))
    allz = np.concatenate(seen)
    assert np.all(np.abs(allz) <= MAX_Z) and allz[:, 0].max() > MAX_Z - 0.3
    assert r.worst_margin == pytest.approx(-10.0 * allz[:, 0].max())


def test_a_flat_margin_restarts_and_spends_the_budget() -> None:
    """A constant margin stops the strategy (no progress); it restarts from the prior."""
    p = _problem(0)
    p.f = lambda z: np.ones(z.shape[0])
    r = cmaes_search(p, budget=2000, generation_size=10, seed=0)
    assert r.runs == 2000 and len(r.generations) == 200
    restarts = [k for k, g in enumerate(r.generations) if k and np.all(g.mu == 0.0)]
    assert restarts, "the strategy never stopped on a flat margin"


def test_invalid_points_rank_last() -> None:
    p = _problem(1)
    p.f = lambda z: np.where(z[:, 0] > 0.0, np.nan, _linear(z))
    r = cmaes_search(p, budget=400, generation_size=20, seed=1)
    assert r.failures > 0 and math.isfinite(r.worst_margin)


def test_keyed_normals_depend_on_seed_restart_and_call() -> None:
    a, b = KeyedNormals(1, 0), KeyedNormals(1, 0)
    assert np.array_equal(a(3, 2), b(3, 2)) and not np.array_equal(
        a(3, 2), KeyedNormals(1, 1)(3, 2)
    )
    assert not np.array_equal(KeyedNormals(1, 0)(3, 2), a(3, 2))  # a's second call differs


def test_settings() -> None:
    with pytest.raises(ValueError, match="generation size: must be >= 4"):
        check_settings(3)
    with pytest.raises(ValueError, match="budget: must be >= the generation size"):
        cmaes_search(_problem(0), budget=10, generation_size=20)


# --- flown landings -------------------------------------------------------------------

NARROW = 0.7
FLOWN = HuntSettings(method="cmaes", budget=100, generation_size=20, seed=1)


def _table(root: Path) -> pa.Table:
    return load_campaign(root).table


@pytest.fixture(scope="module")
def two_workers(warm_kernel: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cmaes") / "two"
    run_hunt(short_descent(misalignment_sigma_deg=NARROW), FLOWN, out, workers=2)
    return out


def test_flown_search_finds_the_narrow_failures_and_reflies_them(two_workers: Path) -> None:
    s = json.loads((two_workers / SUMMARY).read_text())
    assert s["settings"]["method"] == "cmaes" and s["runs"] == FLOWN.budget
    assert s["failures_found"] > 0
    worst = s["worst_cases"][0]
    assert worst["margin"] < 0.0 and worst["run_index"] >= FLOWN.generation_size
    assert worst["command"] == f"surefoot campaign rerun {two_workers} {worst['run_index']}"
    r = rerun(two_workers, worst["run_index"], telemetry=False)
    assert r.identical and r.row["outcome"] == worst["outcome"] != "safe"


def test_flown_generation_zero_is_the_campaign(two_workers: Path, tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    n = FLOWN.generation_size
    run_campaign(short_descent(misalignment_sigma_deg=NARROW), n, camp, campaign_seed=1, workers=1)
    assert _table(camp).equals(_table(two_workers).slice(0, n))


def test_one_worker_gives_the_same_search(two_workers: Path, tmp_path: Path) -> None:
    out = tmp_path / "one"
    run_hunt(short_descent(misalignment_sigma_deg=NARROW), FLOWN, out, workers=1)
    assert _table(out).equals(_table(two_workers))
    got = json.loads((out / SUMMARY).read_text())
    ref = json.loads((two_workers / SUMMARY).read_text())
    assert got["search"] == ref["search"] and got["failures_found"] == ref["failures_found"]


def test_kill_and_resume_gives_the_same_search(
    two_workers: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "killed"
    argv = [
        "hunt",
        str(SHORT_DESCENT),
        "--set",
        f"dispersions.fields.vehicle.engine.misalignment_deg.0.sigma={NARROW}",
        "--set",
        f"dispersions.fields.vehicle.engine.misalignment_deg.1.sigma={NARROW}",
        "--method",
        "cmaes",
        "--budget",
        str(FLOWN.budget),
        "--generation-size",
        str(FLOWN.generation_size),
        "--seed",
        str(FLOWN.seed),
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "surefoot", *argv],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    try:
        # one worker flies a generation of 20 as batches of 10: kill inside generation 2
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "results").glob("part-*.parquet"))) >= 5:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = _table(out)
    ref = _table(two_workers)
    assert FLOWN.generation_size < stored.num_rows < ref.num_rows, "the kill came too late"
    assert stored.equals(ref.slice(0, stored.num_rows))
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "resuming" in text and "cmaes, 5 generations" in text
    assert _table(out).equals(ref)
    got = json.loads((out / SUMMARY).read_text())
    assert got["search"] == json.loads((two_workers / SUMMARY).read_text())["search"]
