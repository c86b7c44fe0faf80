"""What a hunt algorithm asks of the thing it searches: points of the prior, margins at points.

The algorithms (:mod:`.subset`, :mod:`.cross_entropy`) are written against
:class:`Problem` only, so they run on an analytic margin in the tests and on
flown landings in a hunt (:class:`surefoot.campaign.hunt.flight.FlownProblem`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import ndtri

from surefoot.campaign.sampling import stream_uniforms


class Problem(Protocol):
    """A margin over a ``dimension``-dimensional standard-normal space.

    Run indices are handed out by the algorithm, in order, each once; a
    problem may key its randomness (a landing's noise) by them.
    """

    dimension: int

    def prior_normals(self, run_index: np.ndarray) -> np.ndarray:
        """Points drawn from the standard normal for these runs, shape (n, dimension)."""
        ...

    def margins(self, run_index: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Margin of each run at its point ``z`` (n, dimension); NaN where the point is
        not a valid input (the algorithm treats it as rejected)."""
        ...


@dataclass
class AnalyticProblem:
    """``margin(z) = f(z)`` for a plain function ``f`` of the batch of points (tests, benchmarks).

    Prior points come from keyed streams (``seed``, run index), as in a campaign.
    """

    dimension: int
    f: Callable[[np.ndarray], np.ndarray]
    seed: int = 0
    calls: int = 0

    def prior_normals(self, run_index: np.ndarray) -> np.ndarray:
        return np.array(
            [
                ndtri(stream_uniforms(self.seed, int(i), "analytic", self.dimension))
                for i in run_index
            ]
        ).reshape(len(run_index), self.dimension)

    def margins(self, run_index: np.ndarray, z: np.ndarray) -> np.ndarray:
        self.calls += len(run_index)
        return np.asarray(self.f(np.atleast_2d(z)), dtype=np.float64)
