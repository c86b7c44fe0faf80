"""Free-final-time search and the two-stage G-FOLD procedure.

The time of flight is not a variable of the convex problem: for each candidate ``tf``
the SOCP is solved with ``tf`` fixed, and a one-dimensional search over ``tf`` picks the
best (Acikmese & Ploen 2007, sec. IV, report the optimal fuel to be a unimodal function
of ``tf`` on its feasible interval and use a line search; Blackmore, Acikmese & Scharf
2010 do the same for each stage). The search here:

1. brackets ``tf`` from the problem itself (:meth:`DescentProblem.tf_bracket`: the
   propellant lasts at most ``m_fuel / (alpha rho_1)``; the velocity change and the
   distance need at least a computable minimum),
2. evaluates a coarse grid across the bracket to find the feasible interval,
3. refines around the best grid point by golden-section search, treating infeasible
   times as +inf.

Two-stage G-FOLD (Blackmore et al. 2010, sec. V): stage 1 minimises the horizontal
distance between the landing point and the target; stage 2 minimises fuel subject to
landing no farther than the stage-1 optimum ``d*`` (plus a solver-precision margin).
When the target is reachable ``d* = 0`` and stage 2 is the plain minimum-fuel problem.

Every function here is pure in its inputs: the optional :class:`SOCPCache` only
spares rebuilding cvxpy problems between calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from surefoot.fsw.guidance.convex.problem import DescentProblem, Objective, Solution
from surefoot.fsw.guidance.convex.socp import Mode, SOCPCache

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class SearchSettings:
    """Settings of the free-final-time search.

    Attributes
    ----------
    n_grid : int
        Number of coarse grid points across the bracket.
    tf_tol_s : float
        Width (s) at which the golden-section refinement stops.
    miss_margin_m : float
        Slack (m) added to the stage-1 landing error before stage 2, because ``d*`` is
        known only to solver precision; also the error below which the target counts
        as reached.
    """

    n_grid: int = 12
    tf_tol_s: float = 0.05
    miss_margin_m: float = 0.01


def _horizontal_miss(problem: DescentProblem, sol: Solution) -> float:
    if not sol.ok:
        return math.inf
    d = sol.r_lf[-1] - problem.r_target_lf
    return float(np.linalg.norm(problem.horizontal_basis_lf @ d))


def _fuel(problem: DescentProblem, sol: Solution) -> float:
    return sol.propellant_kg if sol.ok else math.inf


class _Counter:
    """Records every fixed-time solve of a search (count and the best result)."""

    def __init__(self, solve: Callable[[float], Solution], cost: Callable[[Solution], float]):
        self._solve = solve
        self._cost = cost
        self.n = 0
        self.best: tuple[float, Solution] | None = None

    def __call__(self, tf: float) -> float:
        sol = self._solve(tf)
        self.n += 1
        c = self._cost(sol)
        if math.isfinite(c) and (self.best is None or c < self.best[0]):
            self.best = (c, sol)
        return c


def _search(
    f: _Counter,
    lo: float,
    hi: float,
    settings: SearchSettings,
    grid: np.ndarray | None = None,
    grid_mask: np.ndarray | None = None,
    stop_below: float = -math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Coarse grid then golden section on the neighbourhood of the best grid point.

    Returns the grid and its costs (inf where infeasible or skipped).
    """
    if grid is None:
        grid = np.linspace(lo, hi, settings.n_grid)
    costs = np.full(grid.size, math.inf)
    for i, tf in enumerate(grid):
        if grid_mask is None or grid_mask[i]:
            costs[i] = f(float(tf))
            if costs[i] <= stop_below:
                return grid, costs
    if not np.any(np.isfinite(costs)):
        return grid, costs
    i = int(np.argmin(costs))
    a = float(grid[max(i - 1, 0)])
    b = float(grid[min(i + 1, grid.size - 1)])
    c = b - _INV_PHI * (b - a)
    d = a + _INV_PHI * (b - a)
    fc, fd = f(c), f(d)
    while b - a > settings.tf_tol_s:
        if not (math.isfinite(fc) or math.isfinite(fd)):
            break  # feasible set narrower than the golden points; keep the grid's best
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _INV_PHI * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + _INV_PHI * (b - a)
            fd = f(d)
        if min(fc, fd) <= stop_below:
            break
    return grid, costs


def _fixed(
    problem: DescentProblem, tf_s: float, mode: Mode, cache: SOCPCache | None,
    miss_max_m: float = 0.0, objective: str | None = None,
) -> Solution:
    cache = cache if cache is not None else SOCPCache(max_size=1)
    return cache.get(problem, mode).solve(problem, tf_s, miss_max_m, objective=objective)


def solve_min_fuel(
    problem: DescentProblem, tf_s: float, cache: SOCPCache | None = None
) -> Solution:
    """Minimum-fuel landing at the target in a fixed time of flight.

    Parameters
    ----------
    problem : DescentProblem
        Vehicle, state and target (problem frame, SI).
    tf_s : float
        Time of flight (s).
    cache : SOCPCache, optional
        Built problems to re-use; without one the cvxpy problem is built for this call.

    Returns
    -------
    Solution
        Status "infeasible" when the target cannot be reached in ``tf_s``.
    """
    return _fixed(problem, tf_s, "min_fuel", cache)


def solve_min_landing_error(
    problem: DescentProblem, tf_s: float, cache: SOCPCache | None = None
) -> Solution:
    """Land as close as possible (horizontally) to the target in a fixed time of flight.

    The thrust slack need not be tight in this problem (no fuel cost); fly the
    stage-2 answer of :func:`solve_gfold` instead.
    """
    return _fixed(problem, tf_s, "min_landing_error", cache)


def solve_free_time(
    problem: DescentProblem,
    cache: SOCPCache | None = None,
    search: SearchSettings | None = None,
) -> Solution:
    """Minimum-fuel landing at the target with the time of flight optimised.

    Returns
    -------
    Solution
        The best solution found; ``solve_time_s`` is the wall time of the whole search
        and ``n_solves`` the number of conic solves.
    """
    search = search or SearchSettings()
    cache = cache if cache is not None else SOCPCache(max_size=2)
    t0 = time.perf_counter()
    f = _Counter(lambda tf: _fixed(problem, tf, "min_fuel", cache),
                 lambda s: _fuel(problem, s))
    lo, hi = problem.tf_bracket()
    _search(f, lo, hi, search)
    elapsed = time.perf_counter() - t0
    if f.best is None:
        return Solution.failed("infeasible", "min_fuel", problem.g_lf, elapsed, f.n)
    return f.best[1].replace(solve_time_s=elapsed, n_solves=f.n)


def solve_gfold(
    problem: DescentProblem,
    cache: SOCPCache | None = None,
    search: SearchSettings | None = None,
    tf_s: float | None = None,
) -> Solution:
    """Two-stage G-FOLD: minimum landing error first, then minimum fuel to that point.

    Parameters
    ----------
    problem : DescentProblem
        Vehicle, state and target (problem frame, SI).
    cache : SOCPCache, optional
        Built problems to re-use.
    search : SearchSettings, optional
        Free-final-time search settings.
    tf_s : float, optional
        Fixed time of flight (s); searched in both stages when omitted.

    Returns
    -------
    Solution
        The stage-2 (minimum-fuel) trajectory, objective "two_stage"; its
        ``landing_error_m`` is the distance to the target (0 when it is reachable).
        Status "infeasible" when no soft landing exists at all.
    """
    search = search or SearchSettings()
    cache = cache if cache is not None else SOCPCache(max_size=2)
    t0 = time.perf_counter()
    margin = search.miss_margin_m

    stage1 = _Counter(lambda tf: _fixed(problem, tf, "min_landing_error", cache),
                      lambda s: _horizontal_miss(problem, s))
    if tf_s is None:
        lo, hi = problem.tf_bracket()
        grid, miss = _search(stage1, lo, hi, search, stop_below=margin)
    else:
        grid, miss = np.array([tf_s]), np.array([stage1(tf_s)])
    if stage1.best is None:
        return Solution.failed("infeasible", "two_stage", problem.g_lf,
                               time.perf_counter() - t0, stage1.n)
    d_star = stage1.best[0]
    miss_max = d_star + margin

    # Reachable target: stage 2 is the plain minimum-fuel problem (exact target).
    reachable = d_star <= margin
    mode2: Mode = "min_fuel" if reachable else "min_fuel_within"
    stage2 = _Counter(
        lambda tf: _fixed(problem, tf, mode2, cache, miss_max, "two_stage"),
        lambda s: _fuel(problem, s),
    )
    if tf_s is None and reachable:
        _search(stage2, grid[0], grid[-1], search)
    elif tf_s is None:
        # Only times whose stage-1 miss was close to d* can satisfy the stage-2 bound.
        _search(stage2, grid[0], grid[-1], search, grid=grid,
                grid_mask=miss <= miss_max + 0.05 * max(d_star, 1.0))
        if stage2.best is None:
            stage2(stage1.best[1].tf_s)
    else:
        stage2(tf_s)
    elapsed = time.perf_counter() - t0
    n = stage1.n + stage2.n
    if stage2.best is None:
        # Stage 1 found a landing but stage 2 failed numerically; fly stage 1.
        return stage1.best[1].replace(objective="two_stage", status="inaccurate",
                                      solve_time_s=elapsed, n_solves=n)
    return stage2.best[1].replace(solve_time_s=elapsed, n_solves=n)


def solve(
    problem: DescentProblem,
    objective: Objective = "two_stage",
    tf_s: float | None = None,
    cache: SOCPCache | None = None,
    search: SearchSettings | None = None,
) -> Solution:
    """Solve ``problem`` for ``objective``, with ``tf_s`` fixed or (when None) searched.

    ``objective`` is "min_fuel" (land at the target), "min_landing_error" (stage 1
    alone) or "two_stage" (G-FOLD).
    """
    if objective == "two_stage":
        return solve_gfold(problem, cache, search, tf_s)
    if objective == "min_fuel":
        if tf_s is not None:
            return solve_min_fuel(problem, tf_s, cache)
        return solve_free_time(problem, cache, search)
    if objective == "min_landing_error":
        if tf_s is not None:
            return solve_min_landing_error(problem, tf_s, cache)
        search = search or SearchSettings()
        cache = cache if cache is not None else SOCPCache(max_size=1)
        t0 = time.perf_counter()
        f = _Counter(lambda tf: _fixed(problem, tf, "min_landing_error", cache),
                     lambda s: _horizontal_miss(problem, s))
        lo, hi = problem.tf_bracket()
        _search(f, lo, hi, search, stop_below=search.miss_margin_m)
        elapsed = time.perf_counter() - t0
        if f.best is None:
            return Solution.failed("infeasible", objective, problem.g_lf, elapsed, f.n)
        return f.best[1].replace(solve_time_s=elapsed, n_solves=f.n)
    raise ValueError(f"objective: unknown {objective!r}")


__all__ = [
    "SearchSettings",
    "solve",
    "solve_free_time",
    "solve_gfold",
    "solve_min_fuel",
    "solve_min_landing_error",
]
