"""Falsification by CMA-ES: an evolution strategy that learns the shape of the failure region.

The covariance matrix adaptation evolution strategy (Hansen and Ostermeier
2001; Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772)
samples each generation from a multivariate normal over the standard-normal
space of the dispersed inputs and adapts its mean, step size and full
covariance toward lower scores, so a failure region that is a thin ridge
across several inputs (a tilt that fails only with a given mass and
misalignment together) is followed along the ridge, which the diagonal
density of :mod:`.cross_entropy` cannot do.

The strategy is the ``cma`` package's (``cma.CMAEvolutionStrategy``, ask and
tell) with:

- a start at the prior: mean 0, step size 1 (one standard deviation of each
  input), and generation 0 the campaign's own draws (injected unchanged);
- bounds ``[-MAX_Z, MAX_Z]`` on every coordinate (``cma``'s ``BoundTransform``,
  the identity inside ``|z| <= MAX_Z - 0.3``), the credibility bound of the
  cross-entropy search;
- its normal deviates from keyed streams (hunt seed, restart, call count)
  instead of NumPy's global generator, so a search is a function of its seed
  and its scores only, replayed exactly after a kill;
- a restart from the prior with fresh streams when the strategy stops on its
  own (step size collapsed, scores flat), while budget is left.

Invalid points (a value a scenario refuses) are scored worse than every valid
point of their generation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy.special import ndtri

from surefoot.campaign.hunt.cross_entropy import (
    MAX_Z,
    Generation,
    SearchProgress,
    SearchResult,
)
from surefoot.campaign.hunt.problem import Problem
from surefoot.campaign.sampling import stream_uniforms

# fewer samples per generation than this leave the covariance update without data
MIN_GENERATION_SIZE = 4
STREAM = "hunt.cmaes"


def check_settings(generation_size: int) -> None:
    """One-line error naming the setting."""
    if generation_size < MIN_GENERATION_SIZE:
        raise ValueError(
            f"generation size: must be >= {MIN_GENERATION_SIZE} for CMA-ES (got {generation_size})"
        )


class KeyedNormals:
    """``randn(n, d)`` for ``cma``: standard normals from the keyed stream (seed, restart, call).

    Each call draws from its own stream, keyed by how many calls came before
    it, so the sequence depends on the seed and the order of the calls only.
    """

    def __init__(self, seed: int, restart: int) -> None:
        self.seed = seed
        self.restart = restart
        self.calls = 0

    def __call__(self, n: int, d: int) -> np.ndarray:
        u = stream_uniforms(self.seed, self.calls, f"{STREAM}.{self.restart}", n * d)
        self.calls += 1
        return ndtri(u).reshape(n, d)


def _strategy(d: int, generation_size: int, seed: int, restart: int):
    import cma

    opts = {
        "popsize": generation_size,
        "bounds": [-MAX_Z, MAX_Z],
        "randn": KeyedNormals(seed, restart),
        "seed": math.nan,  # never touch NumPy's global generator
        "verbose": -9,
        "verb_log": 0,
        "verb_disp": 0,
    }
    return cma.CMAEvolutionStrategy(np.zeros(d), 1.0, opts)


def _scores(score: np.ndarray) -> np.ndarray:
    """Scores for ``tell``: an invalid point (NaN) is worse than every valid one."""
    finite = np.isfinite(score)
    worst = float(np.max(score[finite])) if np.any(finite) else 0.0
    return np.where(finite, score, worst + 1.0)


def cmaes_search(
    problem: Problem,
    *,
    budget: int,
    generation_size: int = 20,
    seed: int = 0,
    rank_by: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: Callable[[SearchProgress], None] | None = None,
) -> SearchResult:
    """Search toward the lowest margin by CMA-ES.

    Parameters
    ----------
    problem : Problem
    budget : int
        Margins to evaluate: ``budget // generation_size`` whole generations.
    generation_size : int
        Points per generation (CMA-ES's ``lambda``).
    seed : int
        Keys the draws.
    rank_by : callable, optional
        Score of the runs ``run_index`` (already evaluated) that the strategy
        minimises instead of the margin (NaN: invalid), such as
        :func:`surefoot.campaign.hunt.margin.soft_min_margin`. Worst cases and
        failures are always counted on the margin.
    progress : callable, optional
        Called with a :class:`SearchProgress` after each generation.

    Returns
    -------
    SearchResult
        Each generation's ``mu`` is the strategy's mean (before the bound
        transform) and ``sigma`` its standard deviation per input; its
        ``elite_margin`` is the score of the best half (the parents).
    """
    check_settings(generation_size)
    if budget < generation_size:
        raise ValueError(f"budget: must be >= the generation size {generation_size} (got {budget})")
    d = problem.dimension
    restart = 0
    es = _strategy(d, generation_size, seed, restart)
    gens: list[Generation] = []
    runs = 0
    worst_run, worst = -1, math.inf
    failures = 0
    with warnings.catch_warnings():
        # cma warns about flat fitness and tiny step sizes: both end in a restart here
        warnings.simplefilter("ignore")
        for k in range(budget // generation_size):
            idx = np.arange(runs, runs + generation_size, dtype=np.int64)
            mu, sd = np.array(es.mean, dtype=np.float64), np.array(es.stds, dtype=np.float64)
            if k == 0:
                es.inject(problem.prior_normals(idx), force=True)
            asked = es.ask()
            z = np.clip(np.array(asked, dtype=np.float64), -MAX_Z, MAX_Z)
            g = problem.margins(idx, z)
            runs += generation_size
            score = g if rank_by is None else np.asarray(rank_by(idx), dtype=np.float64)
            told = _scores(score)
            es.tell(asked, told.tolist())
            parents = np.sort(told)[: max(1, generation_size // 2)]
            gens.append(Generation(idx, g, mu, sd, float(parents[-1])))
            by_margin = np.where(np.isnan(g), math.inf, g)
            failures += int(np.count_nonzero(by_margin < 0.0))
            k_min = int(np.argmin(by_margin))
            if by_margin[k_min] < worst:
                worst, worst_run = float(by_margin[k_min]), int(idx[k_min])
            if progress is not None:
                progress(SearchProgress(k, runs, worst))
            if es.stop():
                restart += 1
                es = _strategy(d, generation_size, seed, restart)
    return SearchResult(runs, worst_run, worst, failures, gens)
