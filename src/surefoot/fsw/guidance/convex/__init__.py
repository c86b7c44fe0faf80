"""Fuel-optimal convex powered-descent guidance (lossless convexification, G-FOLD).

Typical use, in flight or on the ground::

    from surefoot.fsw.guidance.convex import DescentProblem, SOCPCache, solve_gfold

    cache = SOCPCache()                      # owned by the caller; speeds re-solves
    sol = solve_gfold(problem, cache)        # free final time, two stages
    again = solve_min_fuel(problem.with_state(r_lf, v_lf, m_kg), tf_remaining_s, cache)
    r_ref, v_ref, a_ref = again.sample(t_s)  # reference for a tracking controller
"""

from surefoot.fsw.guidance.convex.gfold import (
    SearchSettings,
    solve,
    solve_free_time,
    solve_gfold,
    solve_min_fuel,
    solve_min_landing_error,
)
from surefoot.fsw.guidance.convex.problem import DescentProblem, Solution
from surefoot.fsw.guidance.convex.socp import SOCPCache, SolverSettings

__all__ = [
    "DescentProblem",
    "SOCPCache",
    "SearchSettings",
    "Solution",
    "SolverSettings",
    "solve",
    "solve_free_time",
    "solve_gfold",
    "solve_min_fuel",
    "solve_min_landing_error",
]
