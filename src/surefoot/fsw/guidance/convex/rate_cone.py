"""Thrust-direction rate cone: a convex bound on how fast the planned thrust turns.

The slew cone (:class:`~surefoot.fsw.guidance.convex.problem.DescentProblem`
``slew_rate_rad_s``) bounds the angle from the thrust axis the vehicle has at the
start; it says nothing about how fast the plan turns between two later nodes. The
bound wanted is ``angle(u_k, u_{k+1}) <= omega dt`` for every node interval, with
``omega`` the attitude slew rate and ``u`` the thrust acceleration. That set is not
convex (two pairs of parallel vectors average to a pair that need not be), and the
plain cone ``|u_{k+1} - u_k| <= c`` also bounds the throttle change, which the
fuel optimum needs free (its thrust is bang-bang: maximum, minimum, maximum).

The convex form used here bounds the change *perpendicular to a reference
direction* ``d_k`` (unit, fixed when the problem is built) and leaves the change
along it free::

    |P_k (u_{k+1} - u_k)| <= omega dt * (d_k . u_k)
    |P_k (u_{k+1} - u_k)| <= omega dt * (d_k . u_{k+1})        P_k = I - d_k d_k^T

two second-order cones per interval (the two right-hand sides are the two nodes'
components along ``d_k``; together, the smaller of them). Both are homogeneous in
``u``, so the solver's scaling does not change them.

What it guarantees
------------------
Write ``a = u_k``, ``b = u_{k+1}``, ``alpha = d.a``, ``beta = d.b`` (both >= 0: the
cones force it), ``a_p = P a``, ``b_p = P b``, and ``theta = omega dt``.

1. The gnomonic map ``x -> P x / (d.x)`` sends the half-sphere about ``d`` to the
   plane; its inverse ``p -> (d + p) / |d + p|`` has differential of norm
   ``1 / sqrt(1 + |p|^2) <= 1``, so it shortens every curve, and the angle between
   two directions is at most the distance of their images:
   ``angle(a, b) <= |b_p / beta - a_p / alpha|``.
2. Let ``alpha >= beta`` (the other case is the same with the nodes swapped) and
   ``lambda = beta / alpha`` in ``(0, 1]``, the throttle ratio across the interval
   measured along ``d``. Then
   ``b_p / beta - a_p / alpha = (b_p - a_p) / alpha + (b_p / beta) (1 - lambda)``,
   and with the cone ``|b_p - a_p| <= theta beta``:

       angle(u_k, u_{k+1}) <= lambda theta + (1 - lambda) tan(phi)

   where ``phi`` is the angle between ``d_k`` and the thrust of the node with the
   smaller component along it (the lower-throttle node).

So the bound is exact (``angle <= theta``) whenever the throttle is the same at both
nodes (``lambda = 1``), or whenever the solution's direction is within ``atan(theta)``
of the reference at the lower-throttle node; otherwise its error is at most
``(1 - lambda) (tan(phi) - theta)``: it grows only where the throttle jumps *and* the
reference is off. A reference taken from a previous solution of the same problem (an
earlier plan, or the same problem solved without this bound) puts ``phi`` near zero
where it matters, and :meth:`DescentSOCP.solve
<surefoot.fsw.guidance.convex.socp.DescentSOCP.solve>` re-references on its own
answer while the check below finds an excess. The cones also keep every thrust in the
half-space ``d_k . u >= 0`` about its reference (no plan turns more than 90 degrees
from it), which the pointing cone about "up" already implies for references within it.

The lower thrust bound with these cones
---------------------------------------
Lossless convexification (``|u| <= sigma``, the thrust bounds on the slack ``sigma``)
is exact for the pointing and glide-slope constraints of Acikmese & Ploen, not for a
bound on how fast the direction turns: on ``lunar_high_gate`` at 5 deg/s the relaxed
optimum thrust fell 10 % below the minimum thrust at the low-throttle nodes where the
turn binds (``|u| < sigma``: fuel paid for thrust not given, a way around the turn
limit that no engine has). So with the rate cones the lower bound ``rho_1 / m`` is also
imposed on the thrust's component along its node's reference ``r_k``::

    r_k . u_k >= rho_1 e^{-z0} [1 - dz + dz^2 / 2]       (the same Taylor form as sigma's)

the linearisation of the non-convex ``|u| >= rho_1 / m`` about the reference used by
successive convexification. It is conservative (``|u| >= r.u``): every planned thrust
is at least the minimum, whatever the reference; where the throttle is at its minimum
it holds the direction at the reference, and the re-referenced solves move it.

The solve (:meth:`DescentSOCP.solve <surefoot.fsw.guidance.convex.socp.DescentSOCP.solve>`):
first the same problem without the bound, kept when its angles pass the check (it is
then the optimum of the rate-limited problem: a relaxation's optimum that is feasible
for it); else passes with the cones about the problem's own reference (a re-plan: the
plan being flown) or, when it has none or that has no solution, a pass about the
rate-free answer without the lower-bound linearisation (its answer turns within the
rate to the error above, but may thrust below the minimum) and then the exact passes
about that; each exact pass after the first is about the previous answer's directions
made to turn within the rate (:func:`rate_limited`), up to
``SolverSettings.turn_passes``, until the angles pass the check and no direction moved
more than :data:`TURN_REFERENCE_TOL_RAD`. Measured, ``lunar_high_gate`` at its
rate-free optimal time (56.75 s, 50 nodes; the rate-free optimum turns at up to
21 deg/s, 41.487 kg): at 5 deg/s 41.509 kg in five conic solves, every interval
within the rate, thrust lossless and at least the minimum. Not done: trust cones
holding each thrust within ``atan(omega dt)`` of its reference, which would make the
bound exact (``tan(phi) <= theta``): with them that problem had no solution at 5 deg/s
(the answer could not move far enough from the first reference in one pass). An
answer whose excess remains after the last pass is returned with it
(``Solution.turn_excess_rad``), bounded by the error term above.

Between nodes the thrust is linear in time (first-order hold), so its direction turns
monotonically along the great circle from ``u_k`` to ``u_{k+1}``: the bound is on the
angle turned over each interval (its mean rate), not on the peak rate inside it,
which is higher where the magnitude dips. Each solution is checked a posteriori
(:func:`turn_excess`) on the actual angles between successive thrust vectors.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

TURN_CHECK_TOL_RAD = 1e-4
"""Excess of a successive-node angle over ``omega dt`` still accepted (rad, 0.006
degrees): solver precision on the directions of thrusts of ~1e-8 relative accuracy
is far below it, and the attitude loop's own error is degrees."""


TURN_REFERENCE_TOL_RAD = math.radians(1.0)
"""A re-referenced solve stops once no node's thrust direction is farther than this
from the reference it was solved about (and the angles pass the check): the
successive-convexification iterate has settled to within what the attitude loop
tracks (degrees). Measured on ``lunar_high_gate`` at 5 deg/s: the propellant after
the first, third and eighth referenced solve 41.800, 41.538, 41.511 kg."""


def unit_rows(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows of ``x`` scaled to unit length (a zero row stays zero)."""
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0.0)


def successive_angles(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Angle (rad) between each pair of successive rows of ``u`` (shape ``(N, 3)``),
    by ``atan2(|a x b|, a.b)`` (accurate for small and large angles alike)."""
    a, b = u[:-1], u[1:]
    cross = np.linalg.norm(np.cross(a, b), axis=1)
    dot = np.einsum("ij,ij->i", a, b)
    return np.arctan2(cross, dot)


def turn_excess(u: NDArray[np.float64], max_turn_rad: float) -> float:
    """Largest excess (rad) of a successive-node angle of ``u`` over ``max_turn_rad``
    (``omega dt``); negative when every interval turns less."""
    if u.shape[0] < 2:
        return -max_turn_rad
    return float(np.max(successive_angles(u)) - max_turn_rad)


def edge_references(e: NDArray[np.float64]) -> NDArray[np.float64]:
    """One reference direction per node interval from unit node directions ``e``
    (``(N, 3)``): the bisector of the two nodes' directions, shape ``(N - 1, 3)``.
    Where the two point opposite ways (no bisector) the first node's direction."""
    e = unit_rows(np.asarray(e, dtype=np.float64))
    mid = e[:-1] + e[1:]
    n = np.linalg.norm(mid, axis=1)
    bad = n < 1e-9
    mid[bad] = e[:-1][bad]
    out = unit_rows(mid)
    zero = np.linalg.norm(out, axis=1) == 0.0
    out[zero] = np.array([0.0, 0.0, 1.0])  # no direction at all: any unit vector
    return out


def node_references(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit directions of a solution's thrusts ``u`` (``(N, 3)``), the node references
    of the next solve; a zero thrust takes its neighbour's direction."""
    e = unit_rows(np.asarray(u, dtype=np.float64))
    for k in range(1, e.shape[0]):
        if not e[k].any():
            e[k] = e[k - 1]
    for k in range(e.shape[0] - 2, -1, -1):
        if not e[k].any():
            e[k] = e[k + 1]
    if not e.any():
        e[:] = np.array([0.0, 0.0, 1.0])
    return e


def rate_limited(e: NDArray[np.float64], max_turn_rad: float) -> NDArray[np.float64]:
    """Unit directions that follow ``e`` (``(N, 3)``, unit) turning at most
    ``max_turn_rad`` per node: from ``e[0]``, each node turns the previous one towards
    its own ``e[k]`` by the smaller of the angle between them and the limit (along the
    great circle). A rate-feasible first reference made from a solution that is not."""
    out = np.array(e, dtype=np.float64, copy=True)
    for k in range(1, out.shape[0]):
        a, b = out[k - 1], e[k]
        angle = math.atan2(float(np.linalg.norm(np.cross(a, b))), float(a @ b))
        if angle <= max_turn_rad:
            out[k] = b
            continue
        perp = b - (a @ b) * a
        n = float(np.linalg.norm(perp))
        if n < 1e-12:  # opposite: no plane to turn in; stay
            out[k] = a
            continue
        out[k] = math.cos(max_turn_rad) * a + math.sin(max_turn_rad) * (perp / n)
    return out


def references_from_table(
    t_ref_s: NDArray[np.float64], d_ref: NDArray[np.float64], t_s: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Reference directions at times ``t_s`` from a table of directions ``d_ref``
    (``(M, 3)``) at increasing times ``t_ref_s`` (``(M,)``): linear in each component
    between entries, held beyond either end, normalised. Shape ``(len(t_s), 3)``."""
    t = np.asarray(t_s, dtype=np.float64)
    if t_ref_s.size == 1:
        return np.repeat(unit_rows(d_ref[:1]), t.size, axis=0)
    out = np.column_stack([np.interp(t, t_ref_s, d_ref[:, j]) for j in range(3)])
    n = np.linalg.norm(out, axis=1)
    # opposite neighbours can interpolate through zero: take the nearer entry
    bad = n < 1e-9
    if bad.any():
        k = np.clip(np.searchsorted(t_ref_s, t[bad]), 0, t_ref_s.size - 1)
        out[bad] = d_ref[k]
    return unit_rows(out)


def perpendicular_bases(d: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two unit vectors perpendicular to each row of ``d`` (unit, ``(K, 3)``) and to
    each other, as two ``(K, 3)`` arrays: ``|P x| = |(e1.x, e2.x)|`` for any ``x``."""
    seed = np.zeros_like(d)
    seed[np.arange(d.shape[0]), np.argmin(np.abs(d), axis=1)] = 1.0
    e1 = unit_rows(np.cross(d, seed))
    e2 = np.cross(d, e1)
    return e1, e2


def cone_values(
    nodes: NDArray[np.float64], max_turn_rad: float, taylor: dict[str, object] | None
) -> dict[str, object]:
    """Parameter values of the rate cones for node references ``nodes`` (``(N, 3)``,
    unit; each interval's reference is the bisector of its two nodes') and a largest
    turn per interval ``max_turn_rad`` (``omega dt``).

    ``taylor``: the problem's values of the lower thrust bound (``lo_a`` .. ``lo_d``),
    imposed on the thrust along each node's reference; the node references are then
    first made to turn within the rate (:func:`rate_limited`), since where the
    throttle is at its minimum the bound holds the thrust at its reference. ``None``
    leaves it out (a first pass, whose reference is not yet one a plan can be held to).
    """
    n = nodes.shape[0]
    if taylor is not None:  # the trust cones need references that turn within the rate
        nodes = rate_limited(nodes, max_turn_rad)
    d = edge_references(nodes)
    e1, e2 = perpendicular_bases(d)
    turn = max_turn_rad if math.isfinite(max_turn_rad) else 1e6
    vals: dict[str, object] = {
        "turn_e1": e1,
        "turn_e2": e2,
        "turn_cd": turn * d,
        "turn_r": nodes,
    }
    if taylor is None:
        # along + 1e3 >= 0: slack for any thrust of the scaled problem (|u| <~ 2)
        vals.update(
            turn_lo_a=np.zeros(n),
            turn_lo_b=np.full(n, -1e3),
            turn_lo_c=np.zeros(n),
            turn_lo_d=np.zeros(n),
        )
    else:
        vals.update(
            turn_lo_a=taylor["lo_a"],
            turn_lo_b=taylor["lo_b"],
            turn_lo_c=taylor["lo_c"],
            turn_lo_d=taylor["lo_d"],
        )
    return vals


__all__ = [
    "TURN_CHECK_TOL_RAD",
    "TURN_REFERENCE_TOL_RAD",
    "cone_values",
    "perpendicular_bases",
    "edge_references",
    "node_references",
    "rate_limited",
    "references_from_table",
    "successive_angles",
    "turn_excess",
    "unit_rows",
]
