"""The standard-normal space of a campaign's dispersions, and the cross-entropy search.

References: the campaign's own draws (:func:`surefoot.campaign.sampling.draw_runs`)
for the prior points; each distribution's inverse CDF for the map back; a
failure region of known, tiny prior probability for the search.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from surefoot.campaign.hunt.cross_entropy import check_settings, cross_entropy_search
from surefoot.campaign.hunt.problem import AnalyticProblem
from surefoot.campaign.hunt.space import prior_points, run_seeds, values_at
from surefoot.campaign.sampling import draw_runs
from surefoot.config.dispersions import resolve_dispersions
from surefoot.config.loader import load_scenario


def _resolved():
    return resolve_dispersions(load_scenario("default-dispersed"))


def test_prior_points_are_the_campaign_draws() -> None:
    r = _resolved()
    runs = [0, 5, 17, 3]
    pts = prior_points(r, 42, runs)
    draws = draw_runs(r, 42, runs)
    assert np.array_equal(pts.values, draws.values) and np.array_equal(pts.seed, draws.seed)
    assert np.array_equal(run_seeds(42, runs), draws.seed)
    # mapping the coordinates back lands on the same values (to rounding of Phi(Phi^-1(u)))
    np.testing.assert_allclose(values_at(r, pts.z), pts.values, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-6.0, 6.0), min_size=14, max_size=14))
def test_values_follow_each_inverse_cdf(zs: list[float]) -> None:
    """Each kind against scipy.stats' quantile function at Phi(z)."""
    r = _resolved()
    z = np.array([zs])
    v = values_at(r, z)[0]
    col = {p: k for k, p in enumerate(r.paths)}
    for item in r.items:
        k = [col[p] for p in item.paths]
        if item.kind == "normal":
            assert v[k[0]] == pytest.approx(item.mean[0] + item.sigma[0] * zs[k[0]])
        elif item.kind == "uniform":
            u = stats.norm.cdf(zs[k[0]])
            assert v[k[0]] == pytest.approx(item.low + u * (item.high - item.low), abs=1e-9)
        elif item.kind == "truncnormal":
            a = (item.low - item.mean[0]) / item.sigma[0]
            b = (item.high - item.mean[0]) / item.sigma[0]
            q = stats.truncnorm.ppf(
                min(stats.norm.cdf(zs[k[0]]), 1 - 1e-15), a, b, item.mean[0], item.sigma[0]
            )
            assert v[k[0]] == pytest.approx(q, rel=1e-6, abs=1e-6)
            assert item.low <= v[k[0]] <= item.high
        # a correlated group: see test_values_of_correlated_draws_have_the_group_covariance


def test_values_of_correlated_draws_have_the_group_covariance() -> None:
    r = _resolved()
    rng = np.random.default_rng(0)
    v = values_at(r, rng.standard_normal((20_000, len(r.paths))))
    col = {p: k for k, p in enumerate(r.paths)}
    group = next(i for i in r.items if i.kind == "mvnormal")
    k = [col[p] for p in group.paths]
    want = np.outer(group.sigma, group.sigma) * np.array(group.correlation)
    got = np.cov(v[:, k].T)
    np.testing.assert_allclose(got, want, rtol=0.05, atol=1e-3 * np.max(want))


def ball(center: np.ndarray, radius: float, seed: int = 0) -> AnalyticProblem:
    """Failure inside a small ball away from the origin (prior probability ~1e-6)."""
    return AnalyticProblem(
        center.size, lambda z: np.linalg.norm(z - center, axis=1) - radius, seed=seed
    )


def test_search_finds_a_narrow_failure_plain_monte_carlo_misses() -> None:
    center = np.array([2.5, -2.5, 0.0, 0.0, 0.0, 0.0])
    p = ball(center, 0.5)
    prior = p.prior_normals(np.arange(1000))
    assert not np.any(np.linalg.norm(prior - center, axis=1) < 0.5)  # 1,000 runs: none
    r = cross_entropy_search(p, budget=1000, generation_size=100, seed=0)
    assert r.runs == 1000 and r.failures > 0 and r.worst_margin < 0.0
    # the density moved onto the failure region
    np.testing.assert_allclose(r.generations[-1].mu, center, atol=0.3)
    # the worst run's point is inside the ball
    zs = {
        int(i): g for gen in r.generations for i, g in zip(gen.run_index, gen.margin, strict=True)
    }
    assert zs[r.worst_run] == r.worst_margin


def test_search_is_a_function_of_its_seed() -> None:
    center = np.array([2.0, 2.0, 0.0])
    a = cross_entropy_search(ball(center, 0.3, 3), budget=500, generation_size=50, seed=3)
    b = cross_entropy_search(ball(center, 0.3, 3), budget=500, generation_size=50, seed=3)
    assert a.worst_run == b.worst_run and a.worst_margin == b.worst_margin
    for x, y in zip(a.generations, b.generations, strict=True):
        assert np.array_equal(x.margin, y.margin)


def test_first_generation_is_the_prior() -> None:
    p = ball(np.array([3.0, 0.0]), 0.1, seed=5)
    r = cross_entropy_search(p, budget=100, generation_size=100, seed=5)
    z = p.prior_normals(np.arange(100))
    np.testing.assert_array_equal(
        r.generations[0].margin, np.linalg.norm(z - [3.0, 0.0], axis=1) - 0.1
    )


@pytest.mark.parametrize(
    ("n", "elite", "alpha", "what"),
    [
        (1, 0.1, 0.7, "generation size"),
        (100, 0.0, 0.7, "elite fraction"),
        (100, 1.0, 0.7, "elite fraction"),
        (100, 0.1, 0.0, "smoothing"),
        (100, 0.1, math.nan, "smoothing"),
    ],
)
def test_bad_search_settings_are_refused(n: int, elite: float, alpha: float, what: str) -> None:
    with pytest.raises(ValueError, match=what):
        check_settings(n, elite, alpha)


def test_report_boundary_recovers_a_known_failure_circle() -> None:
    """Labels from x^2 + y^2 > 4: the fitted 50 % line passes near radius 2."""
    from surefoot.campaign.hunt.report import failure_boundary

    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, 2000), rng.uniform(-3, 3, 2000)
    fit = failure_boundary(x, y, x * x + y * y > 4.0)
    assert fit is not None
    for angle in np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False):
        inside = fit(1.7 * np.cos(angle), 1.7 * np.sin(angle))
        outside = fit(2.3 * np.cos(angle), 2.3 * np.sin(angle))
        assert inside < 0.5 < outside
    assert failure_boundary(x, y, np.zeros(2000, dtype=bool)) is None
