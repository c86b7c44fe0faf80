"""Fuel-optimal convex powered-descent guidance (lossless convexification, G-FOLD).

Typical use, in flight or on the ground::

    from surefoot.fsw.guidance.convex import DescentProblem, SOCPCache, solve_gfold

    cache = SOCPCache()                      # owned by the caller; speeds re-solves
    sol = solve_gfold(problem, cache)        # free final time, two stages
    again = solve_min_fuel(problem.with_state(r_lf, v_lf, m_kg), tf_remaining_s, cache)
    r_ref, v_ref, a_ref = again.sample(t_s)  # reference for a tracking controller
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# loaded on first use: the solver imports cvxpy (seconds), and every landing
# imports this package for its in-flight table layout (table.py) alone
_WHERE = {
    "SearchSettings": "gfold",
    "solve": "gfold",
    "solve_free_time": "gfold",
    "solve_gfold": "gfold",
    "solve_min_fuel": "gfold",
    "solve_min_landing_error": "gfold",
    "DescentProblem": "problem",
    "Solution": "problem",
    "SOCPCache": "socp",
    "SolverSettings": "socp",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
