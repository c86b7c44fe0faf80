"""Whether a solution of the problem without its path cones satisfies them anyway.

The glide-slope cones (one per node but the last) and the speed cones (one per node)
make up about a quarter of the rows of the conic program and, at 50 nodes, about a
quarter of a solve, yet on most descents neither binds: the optimum of the problem
without them already flies above the glide slope and below the speed limit.
:meth:`DescentSOCP.solve <surefoot.fsw.guidance.convex.socp.DescentSOCP.solve>` therefore
solves that lean problem first and keeps its answer when it passes the check here.

Why this returns the optimum of the full problem: dropping constraints only enlarges
the feasible set, so the lean optimum is at least as good as the full one; if it also
satisfies the dropped constraints it is feasible for the full problem, hence optimal
there too. If the lean problem is infeasible so is the full one. Only when the check
fails is the full problem solved (then two conic solves instead of one).

All quantities are the solver's scaled ones (length ``acc_u tf^2``, velocity
``acc_u tf``, see :mod:`surefoot.fsw.guidance.convex.socp`), in the problem frame.
"""

from __future__ import annotations

import numpy as np

CHECK_TOL = 1e-7
"""Violation of a dropped cone still accepted, in scaled units: 1e-7 of ``acc_u tf^2``
(about 1.3 mm on the lunar high-gate problem) and of ``acc_u tf`` (0.02 mm/s); ten
times Clarabel's feasibility tolerance, so a cone the lean optimum only touches
(zero multiplier) is not counted as violated through solver round-off."""

LEAN_AGAIN_MARGIN = 1e-4
"""After a path cone bound, the lean problem is tried first again only once a full
solve finds every path cone at least this far (scaled units) from binding."""


def glide_slope_holds(
    r: np.ndarray, vals: dict[str, object], about_target: bool, tol: float = CHECK_TOL
) -> bool:
    """True when every node but the last is inside the glide-slope cone.

    Parameters
    ----------
    r : ndarray, shape (N, 3)
        Scaled positions.
    vals : dict
        The problem's parameter values (``gs_axis``, ``gs_t``, ``horiz_T``, ``horiz_t``).
    about_target : bool
        Apex at the target (a parameter) rather than at the final position ``r[-1]``.
    tol : float
        Accepted violation (scaled length).
    """
    gs_axis = np.asarray(vals["gs_axis"])
    horiz_t_mat = np.asarray(vals["horiz_T"])
    if about_target:
        high = r[:-1] @ gs_axis - float(vals["gs_t"])  # type: ignore[arg-type]
        side = r[:-1] @ horiz_t_mat - np.asarray(vals["horiz_t"])
    else:
        rel = r[:-1] - r[-1]
        high, side = rel @ gs_axis, rel @ horiz_t_mat
    return bool(np.all(np.sqrt(np.einsum("ij,ij->i", side, side)) - high <= tol))


def speed_holds(v: np.ndarray, vals: dict[str, object], tol: float = CHECK_TOL) -> bool:
    """True when every node's speed is within the limit (scaled velocity ``v``, (N, 3))."""
    return bool(np.all(np.sqrt(np.einsum("ij,ij->i", v, v)) <= float(vals["v_max"]) + tol))  # type: ignore[arg-type]


__all__ = ["CHECK_TOL", "LEAN_AGAIN_MARGIN", "glide_slope_holds", "speed_holds"]
