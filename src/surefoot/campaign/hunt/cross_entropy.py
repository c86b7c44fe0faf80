"""Falsification by the cross-entropy method: search the dispersions for the worst margin.

A normal sampling density ``N(mu, diag(sigma^2))`` over the standard-normal
space of the dispersed inputs starts at the prior (``mu = 0``, ``sigma = 1``;
generation 0 is a campaign's own draws). Each generation draws
``generation_size`` points, evaluates their margins and refits the density
to its elite (the ``elite_fraction`` lowest margins), smoothed with the old
one (``new = alpha elite + (1 - alpha) old``), so the search moves toward the
lowest margin: the conditions nearest to, or deepest in, failure. Points
are kept within :data:`MAX_Z` standard deviations of each input's
distribution (a coordinate beyond is moved onto the bound).

Reference: R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method"
(Springer, 2004), ch. 4 (continuous optimisation with normal densities and
smoothed updates).

The points come from keyed streams (hunt seed, generation), so a search is
a function of its seed and its problem only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from surefoot.campaign.hunt.problem import Problem
from surefoot.campaign.sampling import stream_uniforms

# a density narrower than this (in prior sigmas) has stopped exploring
MIN_SIGMA = 0.05
# the search stays within this many sigma of each input's distribution: a failure
# further out is a condition nobody would believe (and a campaign never draws
# beyond ~8.3 sigma)
MAX_Z = 5.0


@dataclass
class Generation:
    """One generation of the search.

    Attributes
    ----------
    run_index : ndarray of int64, shape (n,)
    margin : ndarray, shape (n,)
        NaN for a point that is not a valid input.
    mu, sigma : ndarray, shape (d,)
        The density this generation was drawn from.
    elite_margin : float
        Largest score of the elite (the margin, or ``rank_by``'s score).
    """

    run_index: np.ndarray
    margin: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    elite_margin: float


@dataclass
class SearchResult:
    """What a cross-entropy search found.

    Attributes
    ----------
    runs : int
        Margins evaluated.
    worst_run : int
        Run with the lowest margin.
    worst_margin : float
    failures : int
        Runs with a negative margin.
    generations : list of Generation
    """

    runs: int
    worst_run: int
    worst_margin: float
    failures: int
    generations: list[Generation] = field(default_factory=list)


@dataclass
class SearchProgress:
    """Where a search stands, after each generation."""

    generation: int
    runs: int
    worst_margin: float


def check_settings(generation_size: int, elite_fraction: float, smoothing: float) -> int:
    """The elite count (one-line errors naming the setting)."""
    if generation_size < 2:
        raise ValueError(f"generation size: must be >= 2 (got {generation_size})")
    if not 0.0 < elite_fraction < 1.0:
        raise ValueError(f"elite fraction: must lie in (0, 1) (got {elite_fraction})")
    if not 0.0 < smoothing <= 1.0:
        raise ValueError(f"smoothing: must lie in (0, 1] (got {smoothing})")
    return max(2, math.ceil(elite_fraction * generation_size))


def cross_entropy_search(
    problem: Problem,
    *,
    budget: int,
    generation_size: int = 100,
    elite_fraction: float = 0.1,
    smoothing: float = 0.7,
    seed: int = 0,
    rank_by: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: Callable[[SearchProgress], None] | None = None,
) -> SearchResult:
    """Search toward the lowest margin by the cross-entropy method.

    Parameters
    ----------
    problem : Problem
    budget : int
        Margins to evaluate: ``budget // generation_size`` whole generations.
    generation_size : int
        Points per generation.
    elite_fraction : float
        Fraction of a generation the density is refitted to.
    smoothing : float
        Weight ``alpha`` of the elite fit in the update.
    seed : int
        Keys the draws.
    rank_by : callable, optional
        Score of the runs ``run_index`` (already evaluated) that picks the
        elite instead of the margin, lowest first (NaN: invalid): a smooth
        score such as :func:`surefoot.campaign.hunt.margin.soft_min_margin`
        guides the search where the margin is flat. Worst cases and failures
        are always counted on the margin.
    progress : callable, optional
        Called with a :class:`SearchProgress` after each generation.

    Returns
    -------
    SearchResult
    """
    n_elite = check_settings(generation_size, elite_fraction, smoothing)
    if budget < generation_size:
        raise ValueError(f"budget: must be >= the generation size {generation_size} (got {budget})")
    d = problem.dimension
    mu, sigma = np.zeros(d), np.ones(d)
    gens: list[Generation] = []
    runs = 0
    worst_run, worst = -1, math.inf
    failures = 0
    for k in range(budget // generation_size):
        idx = np.arange(runs, runs + generation_size, dtype=np.int64)
        if k == 0:
            z = problem.prior_normals(idx)
        else:
            u = stream_uniforms(seed, k, "hunt.cross-entropy", generation_size * d)
            z = np.clip(mu + sigma * ndtri(u).reshape(generation_size, d), -MAX_Z, MAX_Z)
        g = problem.margins(idx, z)
        runs += generation_size
        score = g if rank_by is None else np.asarray(rank_by(idx), dtype=np.float64)
        ranked = np.where(np.isnan(score), math.inf, score)
        order = np.argsort(ranked, kind="stable")
        elite = order[:n_elite]
        gens.append(Generation(idx, g, mu.copy(), sigma.copy(), float(ranked[elite[-1]])))
        by_margin = np.where(np.isnan(g), math.inf, g)
        failures += int(np.count_nonzero(by_margin < 0.0))
        k_min = int(np.argmin(by_margin))
        if by_margin[k_min] < worst:
            worst, worst_run = float(by_margin[k_min]), int(idx[k_min])
        if progress is not None:
            progress(SearchProgress(k, runs, worst))
        valid = elite[np.isfinite(ranked[elite])]
        if valid.size >= 2:
            mu = smoothing * z[valid].mean(axis=0) + (1.0 - smoothing) * mu
            sigma = smoothing * z[valid].std(axis=0) + (1.0 - smoothing) * sigma
            sigma = np.maximum(sigma, MIN_SIGMA)
    return SearchResult(runs, worst_run, worst, failures, gens)
