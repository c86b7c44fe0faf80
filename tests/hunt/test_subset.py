"""Subset simulation against analytic probabilities (no simulator).

Reference: for ``margin = b - (z_1 + ... + z_d) / sqrt(d)`` with ``z`` standard
normal, ``margin / 1`` is normal with mean ``b`` and unit variance, so
``P(margin < 0) = Phi(-b)`` exactly (Au & Beck 2001, their linear example).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from surefoot.campaign.hunt.problem import AnalyticProblem
from surefoot.campaign.hunt.subset import check_settings, subset_simulation


def linear(b: float, d: int, seed: int) -> AnalyticProblem:
    return AnalyticProblem(d, lambda z: b - z.sum(axis=1) / math.sqrt(d), seed=seed)


@pytest.mark.parametrize(("b", "d"), [(2.326, 3), (3.09, 4), (3.719, 8)])
def test_linear_margin_probability_within_the_interval(b: float, d: int) -> None:
    """P = 1e-2, 1e-3, 1e-4: over 20 seeds the interval holds the exact P at least
    17 times and the mean estimate is within 30 % of it."""
    exact = float(ndtr(-b))
    hits, est = 0, []
    for seed in range(20):
        r = subset_simulation(linear(b, d, seed), budget=20_000, level_size=500, seed=seed)
        assert r.complete
        lo, hi = r.interval
        hits += lo <= exact <= hi
        est.append(r.probability)
    assert hits >= 17, (hits, exact)
    assert np.mean(est) == pytest.approx(exact, rel=0.3)


def test_runs_grow_with_levels_not_with_one_over_p() -> None:
    """P = 1e-6 from about 3,000 margins (plain Monte Carlo: ~3 million to see one)."""
    b = 4.753
    r = subset_simulation(linear(b, 5, 0), budget=10_000, level_size=500, seed=0)
    assert r.complete and r.runs < 3_500
    lo, hi = r.interval
    assert lo <= ndtr(-b) <= hi
    # level thresholds fall and the first is the 10 % quantile of N(b, 1): b - 1.2816
    thresholds = [lv.threshold for lv in r.levels[:-1]]
    assert all(a > c for a, c in zip(thresholds, thresholds[1:], strict=False))
    assert thresholds[0] == pytest.approx(b - 1.2816, abs=0.15)
    # every state of a conditional level lies in its event
    for prev, lv in zip(r.levels, r.levels[1:], strict=False):
        assert np.all(lv.margin <= prev.threshold)
        assert 0.0 < lv.acceptance < 1.0


def test_the_same_seed_gives_the_same_hunt_and_another_seed_another() -> None:
    a = subset_simulation(linear(3.0, 3, 7), budget=5000, level_size=200, seed=7)
    b = subset_simulation(linear(3.0, 3, 7), budget=5000, level_size=200, seed=7)
    c = subset_simulation(linear(3.0, 3, 8), budget=5000, level_size=200, seed=8)
    assert a.probability == b.probability and a.runs == b.runs
    for x, y in zip(a.levels, b.levels, strict=True):
        assert np.array_equal(x.run_index, y.run_index) and np.array_equal(x.margin, y.margin)
    assert c.probability != a.probability


def test_a_budget_too_small_stops_incomplete_with_the_threshold_reached() -> None:
    r = subset_simulation(linear(4.5, 3, 0), budget=700, level_size=200, seed=0)
    assert not r.complete and r.runs <= 700
    assert r.last_threshold > 0.0
    ps = [lv.conditional_p for lv in r.levels]
    assert r.probability == pytest.approx(math.prod(ps)) and min(ps) >= 0.1


def test_a_margin_that_never_fails_stops() -> None:
    """A flat bottom above zero: the thresholds stop falling, the hunt stops."""
    p = AnalyticProblem(2, lambda z: np.maximum(1.0 - np.abs(z[:, 0]), 0.5), seed=0)
    r = subset_simulation(p, budget=100_000, level_size=100, seed=0)
    assert not r.complete and r.runs < 2_000


def test_invalid_points_are_rejected_moves() -> None:
    """NaN margins (a point that is no valid input) never enter a level."""
    b, d = 3.0, 3

    class Holes(AnalyticProblem):
        proposed_invalid = 0

        def margins(self, run_index: np.ndarray, z: np.ndarray) -> np.ndarray:
            g = b - z.sum(axis=1) / math.sqrt(d)
            hole = (np.asarray(run_index) >= 500) & (z[:, 0] > 1.5)
            self.proposed_invalid += int(hole.sum())
            return np.where(hole, np.nan, g)

    p = Holes(d, lambda z: z, seed=1)
    r = subset_simulation(p, budget=20_000, level_size=500, seed=1)
    assert p.proposed_invalid > 0
    for lv in r.levels[1:]:
        assert not np.any(np.isnan(lv.margin))


@pytest.mark.parametrize(("size", "p0"), [(100, 0.0), (100, 1.0), (105, 0.1), (10, 0.05), (0, 0.1)])
def test_bad_settings_are_refused(size: int, p0: float) -> None:
    with pytest.raises(ValueError, match="p0|level size"):
        check_settings(size, p0)
