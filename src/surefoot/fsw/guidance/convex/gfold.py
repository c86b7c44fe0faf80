"""Free-final-time search and the two-stage G-FOLD procedure.

Why one file of ~960 lines (the rate bound's passes live in ``rate_cone.py``
and ``socp.py``; what this module adds for it is the coarse phase that leaves
it out): the pieces of the search (penalised objective, Brent with a secant
lower bound, grid minima, the coarse guess, exact polish near a window edge,
the two-stage driver) share the ``_Objective`` cache of solved final times and
the ``SearchSettings`` tolerances, and the guarantee that no window is missed
is argued across all of them in this docstring; split apart, that argument and
the cache would have to be threaded through module boundaries.

The time of flight is not a variable of the convex problem: for each candidate ``tf``
the SOCP is solved with ``tf`` fixed, and a one-dimensional search over ``tf`` picks the
best (Acikmese & Ploen 2007, sec. IV, report the optimal fuel to be a unimodal function
of ``tf`` on its feasible interval and use a line search; Blackmore, Acikmese & Scharf
2010 do the same for each stage).

Why a search over the exact problem can miss a landing, and this one does not
-----------------------------------------------------------------------------
An exact fixed-time solve answers "infeasible" outside the window of feasible times,
and an answer of "infeasible" carries no information about where the window is: a grid
whose spacing is wider than the window sees a flat +inf everywhere and reports a
solvable problem as infeasible (the old 12-point grid did, on windows ~8 s wide).

This search evaluates the *relaxed* problems of :mod:`socp` instead. They keep every
path constraint (thrust bounds, pointing and slew cones, glide slope, speed, mass) but
let the terminal state miss the target, at a price:

* ``relaxed_fuel``:  ``phi(tf) = min  -ln m_N + W_h s_h + W_v s_v``,
* ``relaxed_error``: ``D(tf)   = min  s_h + W_v s_v``,

with ``s_h`` the horizontal miss and ``s_v`` the height-and-velocity error. Then:

1. ``D(tf) >= 0``, and ``D(tf) = 0`` exactly when the exact landing problem is
   feasible at ``tf`` (``s_h = s_v = 0`` *is* the exact terminal constraint). So the
   feasible window is the zero set of ``D``, and ``D`` off the window is a distance to
   feasibility, not a flat +inf.
2. The relaxed problems have a solution at every ``tf`` of the bracket at which any
   thrust program satisfies the path constraints (the terminal state is free), and
   their value is continuous in ``tf`` there (all problem data are continuous in
   ``tf``). ``phi`` equals the minimum fuel on the window wherever the penalty is
   exact (see :data:`socp.PENALTY_HORIZONTAL`) and rises with the defect off it.
3. Brent's method (golden section with parabolic steps) on a function that is unimodal
   on the interval it is given discards, at each step, only a sub-interval on which the
   function is no lower than at the point kept. With ``D`` unimodal (the landing-error
   objective is reported unimodal in ``tf`` by Blackmore et al. 2010), its minimiser
   set, the window when one exists, is never discarded, however narrow it is: the
   search cannot skip it. The same holds for ``phi`` and the minimum-fuel time.
4. Unimodality is an observed property, not a theorem, so the search does not rest
   on it alone: when refining the lowest grid point does not reach ``D = 0``, every
   other local minimum of the grid is refined as well, and "infeasible" is reported
   only with the smallest defect found as its certificate (``Solution.residual``).
   ``tests/fsw/test_convex_guidance.py`` checks the search against dense fixed-time
   sweeps (0.1 s) on constructed narrow-window problems.

The search, for the minimum-fuel objective:

a. bracket ``tf`` from the problem itself (:meth:`DescentProblem.tf_bracket`), and
   start from a guess: the time of flight of the previous plan (a warm start), or
   else the minimiser of ``phi`` for the same problem on a few nodes
   (:data:`SearchSettings.coarse_nodes`, found from the grid at a fifth of the cost per
   solve). From the guess the minimum is bracketed downhill over the whole bracket, a
   few solves, instead of a grid of full-size solves;
b. minimise ``phi`` by Brent's method around the best grid (or guess) point;
c. a point with zero defect is the minimum-fuel optimum at that ``tf``. If the
   optimum lies at the window's edge, where the penalty stops being exact, the edge
   is found by bisection between the best point and the best feasible one; if no
   evaluated point has zero defect, ``D`` is minimised (step 4) to find the window.

Two-stage G-FOLD (Blackmore et al. 2010, sec. V): stage 1 minimises the horizontal
distance between the landing point and the target; stage 2 minimises fuel subject to
landing no farther than the stage-1 optimum ``d*`` (plus a solver-precision margin).
When the target is reachable ``d* = 0`` and stage 2 is the plain minimum-fuel problem,
so the minimum-fuel search runs first, and stage 1 (``D`` minimised, whose minimiser
with ``s_v = 0`` is the minimum-landing-error time) only when it finds no window. Stage 2
is then solved at the stage-1 final time.

Every function here is pure in its inputs: the optional :class:`SOCPCache` only
spares rebuilding cvxpy problems between calls.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from surefoot.fsw.guidance.convex.problem import (
    DescentProblem,
    Objective,
    Solution,
    check_integer,
    check_real,
)
from surefoot.fsw.guidance.convex.socp import (
    PENALTY_HORIZONTAL,
    PENALTY_TOUCHDOWN,
    Mode,
    SOCPCache,
)

_CGOLD = (3.0 - math.sqrt(5.0)) / 2.0  # golden-section fraction of Brent's method
COARSE_TF_FACTOR = 10.0
COARSE_VALUE_FACTOR = 10.0
"""The coarse search (:data:`SearchSettings.coarse_nodes`) stops at these multiples of
``tf_tol_s`` and ``value_tol``: it places the start of the full search, to about the
width of its first bracketing step (2 % of the time), not the optimum."""
_INTERIOR_DEFECT_M = 1e-6
"""Terminal defect (m, m/s) of a relaxed solution that counts as solver precision."""


@dataclass(frozen=True)
class SearchSettings:
    """Settings of the free-final-time search.

    Attributes
    ----------
    n_grid : int
        Number of coarse grid points across the bracket (without a guess).
    tf_tol_s : float
        Width (s) at which Brent's method (and the edge bisection) stops.
    miss_margin_m : float
        Slack (m) added to the stage-1 landing error before stage 2, because ``d*`` is
        known only to solver precision; also the error below which the target counts
        as reached.
    defect_tol : float
        Terminal defect (m and m/s, Euclidean norm of horizontal miss, height and
        velocity error) below which a relaxed solution counts as landing exactly.
    tf_guess_s : float, optional
        Warm start: a time of flight near the optimum (the previous plan's); the
        search brackets downhill from it instead of evaluating the grid.
    value_tol : float
        Brent's method also stops when the secant lower bound on the relaxed
        objective is within this of the best value (log-mass units: 5e-6 is 5 g per
        tonne of landed mass); 0 turns the test off. Matched to the discretisation:
        at 50 nodes the optimum's propellant is 1.7e-4 to 4.7e-4 (relative) above a
        200-node solution (lunar and Mars examples), and this stop costs at most 2e-5
        against 2e-6 (benchmark, 100 lunar states) for about one conic solve fewer.
    coarse_nodes : int, optional
        Without a guess, the search first minimises the relaxed fuel of the same
        problem on this many nodes (a conic solve of a fifth of the cost at 50
        nodes) and starts from its optimal time as from a guess. The optimal time
        moves by well under a second between 12 and 200 nodes (the benchmark's
        table), so the full problem is bracketed in a few solves instead of a grid
        across the whole bracket. Used on problems of at least twice as many nodes
        (below that a coarse solve costs more than half a full one); ``None``: off.
    """

    n_grid: int = 5
    tf_tol_s: float = 0.05
    miss_margin_m: float = 0.01
    defect_tol: float = 1e-3
    tf_guess_s: float | None = None
    value_tol: float = 5e-6
    coarse_nodes: int | None = 12

    def __post_init__(self) -> None:
        check_integer(self.n_grid, "n_grid", 1)
        for name, least in (("tf_tol_s", 0.0), ("defect_tol", 0.0)):
            if not check_real(getattr(self, name), name, finite=True) > least:
                raise ValueError(f"{name}: must be > 0 (got {getattr(self, name)})")
        for name in ("miss_margin_m", "value_tol"):
            if not check_real(getattr(self, name), name, finite=True) >= 0.0:
                raise ValueError(f"{name}: must be >= 0 (got {getattr(self, name)})")
        if self.tf_guess_s is not None:
            if not check_real(self.tf_guess_s, "tf_guess_s", finite=True) > 0.0:
                raise ValueError(f"tf_guess_s: must be > 0 (got {self.tf_guess_s})")
        if self.coarse_nodes is not None:
            check_integer(self.coarse_nodes, "coarse_nodes", 3, 2000)


def _check_arguments(
    problem: object, search: object = None, tf_s: object = None, *, fixed: bool = False
) -> None:
    """Refuse, by name, what a solve function cannot take (before any conic solve,
    whose own errors would not say which argument was wrong)."""
    if not isinstance(problem, DescentProblem):
        raise TypeError(f"problem: expected a DescentProblem, got {type(problem).__name__}")
    if search is not None and not isinstance(search, SearchSettings):
        raise TypeError(f"search: expected a SearchSettings, got {type(search).__name__}")
    if fixed or tf_s is not None:
        check_real(tf_s, "tf_s", finite=True)


def _defects(problem: DescentProblem, sol: Solution) -> tuple[float, float, float]:
    """Horizontal miss (m), height error (m) and velocity error (m/s) at the end."""
    if not sol.ok:
        return math.inf, math.inf, math.inf
    d = sol.r_lf[-1] - problem.r_target_lf
    horiz = float(np.linalg.norm(problem.horizontal_basis_lf @ d))
    up = float(problem.up_lf @ d)
    dv = float(np.linalg.norm(sol.v_lf[-1] - problem.v_target_lf))
    return horiz, abs(up), dv


@dataclass
class _Eval:
    tf: float
    value: float
    horiz: float
    alt: float
    dv: float
    sol: Solution

    @property
    def touchdown(self) -> float:
        """Height and velocity error combined (m, m/s)."""
        return math.hypot(self.alt, self.dv)

    @property
    def defect(self) -> float:
        """Every terminal error combined (m, m/s): zero when the target is met."""
        return math.hypot(self.horiz, self.touchdown)


def _units(problem: DescentProblem, tf: float) -> tuple[float, float]:
    """Length and velocity units of the scaled SOCP (as :meth:`DescentSOCP._units`)."""
    acc_u = problem.thrust_max_n / problem.wet_mass_kg
    return acc_u * tf * tf, acc_u * tf


def _value_fuel(problem: DescentProblem, e: _Eval) -> float:
    """The ``relaxed_fuel`` objective of an evaluation (scaled units, as solved)."""
    len_u, vel_u = _units(problem, e.tf)
    s_v = math.hypot(e.alt / len_u, e.dv / vel_u)
    return (
        -math.log(float(e.sol.mass_kg[-1]))
        + PENALTY_HORIZONTAL * e.horiz / len_u
        + PENALTY_TOUCHDOWN * s_v
    )


def _value_error(problem: DescentProblem, e: _Eval) -> float:
    """The ``relaxed_error`` objective of an evaluation (scaled units, as solved)."""
    len_u, vel_u = _units(problem, e.tf)
    return e.horiz / len_u + PENALTY_TOUCHDOWN * math.hypot(e.alt / len_u, e.dv / vel_u)


class _Objective:
    """One relaxed mode as a function of ``tf``; counts solves and keeps every result."""

    def __init__(
        self,
        problem: DescentProblem,
        mode: Mode,
        cache: SOCPCache,
        value: Callable[[DescentProblem, _Eval], float],
    ):
        self.problem = problem
        self.mode = mode
        self.cache = cache
        self._value = value
        self.evals: dict[float, _Eval] = {}
        self.n = 0

    def eval(self, tf: float) -> _Eval:
        tf = float(tf)
        got = self.evals.get(tf)
        if got is not None:
            return got
        sol = _fixed(self.problem, tf, self.mode, self.cache)
        self.n += 1
        e = _Eval(tf, math.inf, *_defects(self.problem, sol), sol)
        if sol.ok:
            e.value = self._value(self.problem, e)
        self.evals[tf] = e
        return e

    def __call__(self, tf: float) -> float:
        return self.eval(tf).value

    def samples(self) -> list[tuple[float, float]]:
        """Every finite evaluation as ``(tf, value)``, sorted by ``tf``."""
        return sorted((e.tf, e.value) for e in self.evals.values() if math.isfinite(e.value))

    def best(self, feasible_tol: float | None = None) -> _Eval | None:
        """Lowest value (among those with defect <= ``feasible_tol`` when given)."""
        pts = [
            e
            for e in self.evals.values()
            if math.isfinite(e.value) and (feasible_tol is None or e.defect <= feasible_tol)
        ]
        return min(pts, key=lambda e: (e.value, e.tf)) if pts else None


def _secant_bound(pts: list[tuple[float, float]], x: float) -> float:
    """Lower bound on the minimum of a *convex* function near its best sample ``x``.

    ``pts``: samples ``(t, f)`` sorted by ``t``, ``x`` the lowest. On the interval
    between ``x`` and a neighbour, a convex function lies above the secants of the
    two sample pairs beyond either end, extended into it; the lowest point of their
    upper envelope bounds the minimum there. ``-inf`` without two samples each side.
    """
    i = next(k for k, (t, _) in enumerate(pts) if t == x)
    if i < 2 or i > len(pts) - 3:
        return -math.inf

    def line(j: int) -> tuple[float, float]:  # secant through samples j, j + 1
        (t0, f0), (t1, f1) = pts[j], pts[j + 1]
        slope = (f1 - f0) / (t1 - t0)
        return slope, f0 - slope * t0

    bound = math.inf
    for lo_j, hi_j in ((i - 1, i), (i, i + 1)):
        (s1, c1), (s2, c2) = line(lo_j - 1), line(hi_j)
        t_lo, t_hi = pts[lo_j][0], pts[hi_j][0]
        cands = [t_lo, t_hi]
        if s1 != s2:
            cands.append(min(max((c2 - c1) / (s1 - s2), t_lo), t_hi))
        bound = min(bound, min(max(s1 * t + c1, s2 * t + c2) for t in cands))
    return bound


def _brent(
    f: Callable[[float], float],
    a: float,
    b: float,
    x: float,
    fx: float,
    tol: float,
    samples: Callable[[], list[tuple[float, float]]] | None = None,
    gap: float = 0.0,
) -> tuple[float, float]:
    """Minimise ``f`` on ``[a, b]`` from the point ``x`` (value ``fx``), Brent's method.

    The parabolic steps of Brent (1973, ch. 5) with the golden-section fallback,
    as in Press et al., *Numerical Recipes*, sec. 10.3; ``+inf`` values (no relaxed
    solution) are handled by taking a golden step. Stops when the bracket around the
    best point is ``2 tol`` wide, or, given ``samples`` (every finite evaluation so
    far) and ``gap``, when the secant lower bound (:func:`_secant_bound`, valid where
    ``f`` is convex near its minimum) is within ``gap`` of ``fx``: the V-shaped minima
    of the fuel (a constraint becoming active) stop in a few steps, where the
    bracket would shrink only by the golden ratio per solve.
    """
    w = v = x
    fw = fv = fx
    d = e = 0.0
    for _ in range(200):
        xm = 0.5 * (a + b)
        if abs(x - xm) <= 2.0 * tol - 0.5 * (b - a):
            break
        if samples is not None and gap > 0.0 and fx - _secant_bound(samples(), x) <= gap:
            break
        golden = True
        if abs(e) > tol and math.isfinite(fw) and math.isfinite(fv):
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            etemp, e = e, d
            if not (abs(p) >= abs(0.5 * q * etemp) or p <= q * (a - x) or p >= q * (b - x)):
                d = p / q
                u = x + d
                if u - a < 2.0 * tol or b - u < 2.0 * tol:
                    d = math.copysign(tol, xm - x)
                golden = False
        if golden:
            e = (a - x) if x >= xm else (b - x)
            d = _CGOLD * e
        u = x + d if abs(d) >= tol else x + math.copysign(tol, d)
        fu = f(u)
        if fu <= fx:
            if u >= x:
                a = x
            else:
                b = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, w, fv, fw = w, u, fw, fu
            elif fu <= fv or v in (x, w):
                v, fv = u, fu
    return x, fx


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` points at the centres of ``n`` equal cells of ``[lo, hi]``."""
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n


def _local_minima(ts: np.ndarray, fs: np.ndarray) -> list[int]:
    """Indices of grid local minima (finite), lowest first."""
    idx = []
    for i in range(ts.size):
        if not math.isfinite(fs[i]):
            continue
        left = fs[i - 1] if i > 0 else math.inf
        right = fs[i + 1] if i < ts.size - 1 else math.inf
        if fs[i] <= left and fs[i] <= right:
            idx.append(i)
    return sorted(idx, key=lambda i: fs[i])


def _bracket_from_guess(
    f: _Objective, lo: float, hi: float, guess: float, tol: float
) -> tuple[float, float, float]:
    """Downhill bracketing from ``guess``: ``(a, x, b)`` with the minimum of a unimodal
    ``f`` in ``[a, b]`` and ``x`` the lowest point seen. Steps grow by the golden ratio."""
    x = min(max(guess, lo + tol), hi - tol)
    fx = f(x)
    step = max(0.02 * x, 4.0 * tol)
    y = min(x + step, hi)
    fy = f(y)
    direction = 1.0
    if not fy < fx:
        y2 = max(x - step, lo)
        fy2 = f(y2)
        if not fy2 < fx:
            return y2, x, y  # x is lowest of three: bracketed
        direction, y, fy = -1.0, y2, fy2
    # walk downhill: x <- y until f rises
    a_far = x
    while True:
        step *= 1.0 + (1.0 + math.sqrt(5.0)) / 2.0
        nxt = min(max(y + direction * step, lo), hi)
        if nxt == y:  # hit the bracket end: the minimum is between a_far and the end
            return (min(a_far, y), y, max(a_far, y))
        fn = f(nxt)
        if not fn < fy:
            return (min(x, nxt), y, max(x, nxt))
        a_far, x, fx, y, fy = x, y, fy, nxt, fn


def _minimise(
    f: _Objective,
    lo: float,
    hi: float,
    settings: SearchSettings,
    guess: float | None,
    stop: Callable[[_Eval], bool] | None = None,
    all_minima: bool = False,
    refine_empty: bool = True,
) -> None:
    """Brent on ``f`` over ``[lo, hi]``, from a guess or from the lowest grid point.

    Without ``all_minima`` the grid is evaluated from the short end until it rises
    (enough for a unimodal ``f``); with it, the whole grid is evaluated and every
    local minimum refined (lowest first) until ``stop`` holds for the best evaluation.
    A grid with no finite value is refined (cells halved twice) when ``refine_empty``.
    """
    tol = 0.5 * settings.tf_tol_s
    kw = {"samples": f.samples, "gap": settings.value_tol}
    if guess is not None and math.isfinite(guess):
        a, x, b = _bracket_from_guess(f, lo, hi, guess, tol)
        fx = f(x)
        if math.isfinite(fx):
            _brent(f, a, b, x, fx, tol, **kw)
            return
    ts = _grid(lo, hi, max(settings.n_grid, 2))
    fs = np.full(ts.size, math.inf)
    for k, t in enumerate(ts):
        fs[k] = f(float(t))
        if not all_minima and k >= 1 and math.isfinite(fs[k - 1]) and fs[k] > fs[k - 1]:
            # unimodal: past the lowest point the grid only rises; the rest is
            # evaluated (every local minimum refined) when all_minima asks for it
            ts, fs = ts[: k + 1], fs[: k + 1]
            break
    minima = _local_minima(ts, fs)
    for i in minima:
        a = float(ts[i - 1]) if i > 0 else lo
        b = float(ts[i + 1]) if i < ts.size - 1 else hi
        _brent(f, a, b, float(ts[i]), float(fs[i]), tol, **kw)
        best = f.best()
        if not all_minima or (stop is not None and best is not None and stop(best)):
            break
    if not minima and refine_empty:
        # no relaxed solution on the grid (no thrust program meets the path constraints
        # there): halve the cells, twice at most, until one time has a solution
        width = (hi - lo) / ts.size
        for _ in range(2):
            width *= 0.5
            for t in np.arange(lo + 0.5 * width, hi, width):
                if f(float(t)) < math.inf:
                    _minimise_near(f, lo, hi, float(t), width, tol, kw)
                    return


def _minimise_near(
    f: _Objective, lo: float, hi: float, x: float, width: float, tol: float, kw: dict
) -> None:
    """Brent in the cell of ``width`` on either side of ``x`` (a finite evaluation)."""
    _brent(f, max(lo, x - width), min(hi, x + width), x, f(x), tol, **kw)


def _exact_near(
    problem: DescentProblem,
    cache: SOCPCache,
    phi: _Objective,
    x: float,
    tol_s: float,
    lo: float,
    hi: float,
) -> tuple[Solution | None, int]:
    """The exact minimum-fuel optimum next to ``x``, the best relaxed time.

    Near a window edge the penalty stops being exact: the relaxed optimum may sit a
    little past the edge or short of it (a small defect buys fuel), while the exact
    optimum, when fuel falls towards the edge, is on the edge itself. So the relaxed
    answer is polished with exact solves (infeasible = +inf):

    * ``x`` infeasible: step (``tol_s``, doubling) towards the side where the relaxed
      defect falls until a solve lands, then bisect for the edge;
    * ``x`` feasible: one probe ``tol_s`` away towards the side where the defect rises
      (where an edge would be); fuel not lower there: the other side is followed
      while the fuel falls; infeasible: bisect for the edge; lower: walk on, doubling.

    Bisection stops at ``tol_s / 4``; from an edge found so, the exact fuel is then
    followed inwards while it falls (:func:`_descend`), since an inexact penalty can
    also pull the relaxed optimum to an edge when the exact one is inside. The
    lowest-fuel exact solution seen is returned (or None), with the number of conic
    solves. A solve that Clarabel reports only
    "inaccurate" (it happens on the edge itself) counts as outside during the polish
    and is returned only when nothing solved to full accuracy.
    """
    left = [e for e in phi.evals.values() if e.tf < x]
    right = [e for e in phi.evals.values() if e.tf > x]
    d_left = max(left, key=lambda e: e.tf).defect if left else math.inf
    d_right = min(right, key=lambda e: e.tf).defect if right else math.inf
    here = phi.evals.get(x)
    if (
        here is not None
        and here.sol.status == "optimal"
        and max(here.defect, d_left, d_right) <= _INTERIOR_DEFECT_M
    ):
        # x and both its neighbours land to solver precision: x is inside the window,
        # where the penalty is exact and the relaxed solution is the exact optimum
        return here.sol, 0
    n = 0

    fallback: list[Solution] = []

    def exact(t: float) -> Solution:
        nonlocal n
        n += 1
        got = _fixed(problem, t, "min_fuel", cache)
        if got.status == "inaccurate":
            fallback.append(got)
            return got.replace(status="infeasible")
        return got

    sol = exact(x)
    best: Solution | None = sol if sol.ok else None
    inside, out = x, math.nan
    if best is None:
        direction = -1.0 if d_left < d_right else 1.0
        out, step = x, tol_s
        for _ in range(12):
            t = min(max(x + direction * step, lo), hi)
            trial = exact(t)
            if trial.ok:
                best, inside = trial, t
                break
            out, step = t, 2.0 * step
        if best is None:
            return (min(fallback, key=lambda s: s.propellant_kg) if fallback else None), n
    else:
        direction = -1.0 if d_left > d_right else 1.0
        step = tol_s
        for _ in range(12):
            t = min(max(inside + direction * step, lo), hi)
            if t == inside:
                break
            trial = exact(t)
            if not trial.ok:
                out = t
                break
            if trial.propellant_kg >= best.propellant_kg:
                if step == tol_s:  # not lower towards the edge: look the other way
                    best = _descend(exact, best, inside, -direction, tol_s, lo, hi)
                break
            best, inside, step = trial, t, 2.0 * step
    if math.isfinite(out):
        while abs(inside - out) > 0.25 * tol_s:
            m = 0.5 * (inside + out)
            trial = exact(m)
            if trial.ok:
                inside = m
                if trial.propellant_kg < best.propellant_kg:
                    best = trial
            else:
                out = m
        # from the edge, fuel may still fall inwards (the relaxed optimum was pulled
        # to the edge by the inexact penalty): walk in, doubling, while it falls, and
        # refine the bracketed minimum by Brent's method on the exact fuel
        best = _descend(exact, best, inside, math.copysign(1.0, inside - out), tol_s, lo, hi)
    return best, n


def _descend(
    exact: Callable[[float], Solution],
    best: Solution,
    t0: float,
    direction: float,
    tol_s: float,
    lo: float,
    hi: float,
) -> Solution:
    """Lowest-fuel exact solution from ``t0`` (solution ``best``) walking in
    ``direction``: steps of ``tol_s`` doubling while the fuel falls, then Brent's
    method in the last bracket; infeasible times count as +inf."""
    seen: dict[float, Solution] = {t0: best}

    def fuel(t: float) -> float:
        got = seen.get(t)
        if got is None:
            got = exact(t)
            seen[t] = got
        return got.propellant_kg if got.ok else math.inf

    prev, x, step = t0, t0, tol_s
    fx = best.propellant_kg
    while True:
        t = min(max(x + direction * step, lo), hi)
        if t == x:
            break
        ft = fuel(t)
        if not ft < fx:
            a, b = sorted((prev, t))
            if b - a > 2.0 * tol_s:
                _brent(fuel, a, b, x, fx, 0.5 * tol_s)
            break
        prev, x, fx, step = x, t, ft, 2.0 * step
    oks = [sol for sol in seen.values() if sol.ok]
    return min(oks, key=lambda sol: sol.propellant_kg)


def _fixed(
    problem: DescentProblem,
    tf_s: float,
    mode: Mode,
    cache: SOCPCache | None,
    miss_max_m: float = 0.0,
    objective: str | None = None,
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
    _check_arguments(problem, tf_s=tf_s, fixed=True)
    return _fixed(problem, tf_s, "min_fuel", cache)


def solve_min_landing_error(
    problem: DescentProblem, tf_s: float, cache: SOCPCache | None = None
) -> Solution:
    """Land as close as possible (horizontally) to the target in a fixed time of flight.

    The thrust slack need not be tight in this problem (no fuel cost); fly the
    stage-2 answer of :func:`solve_gfold` instead.
    """
    _check_arguments(problem, tf_s=tf_s, fixed=True)
    return _fixed(problem, tf_s, "min_landing_error", cache)


@dataclass
class _FuelSearch:
    """Outcome of the minimum-fuel search: the exact optimum (or None), the conic solves
    it took, and the landing-error objective ``D`` when it had to be minimised."""

    sol: Solution | None
    n: int
    stage1: _Objective | None


def _search_fuel(problem: DescentProblem, cache: SOCPCache, search: SearchSettings) -> _FuelSearch:
    lo, hi = problem.tf_bracket()
    tol = search.defect_tol

    def landed(e: _Eval) -> bool:
        return e.defect <= tol

    guess, n = search.tf_guess_s, 0
    if (
        guess is None
        and search.coarse_nodes is not None
        and (problem.n_nodes >= 2 * search.coarse_nodes)
    ):
        guess, n = _coarse_guess(problem, cache, search, lo, hi)
    phi = _Objective(problem, "relaxed_fuel", cache, _value_fuel)
    _minimise(phi, lo, hi, search, guess)
    best = phi.best()
    if best is not None and (landed(best) or phi.best(tol) is not None):
        sol, n2 = _exact_near(problem, cache, phi, best.tf, search.tf_tol_s, lo, hi)
        n += n2
        if sol is not None:
            return _FuelSearch(sol, phi.n + n, None)
    if best is None:  # no time admits any trajectory: D has no solution either
        return _FuelSearch(None, phi.n + n, None)
    # no evaluated time lands: find the window (if any) as the zero set of D
    d = _Objective(problem, "relaxed_error", cache, _value_error)
    _minimise(d, lo, hi, search, None, stop=landed, all_minima=True)
    n += d.n
    dbest = d.best()
    if dbest is None or not landed(dbest):
        return _FuelSearch(None, phi.n + n, d)
    # a window at dbest.tf: the fuel optimum within the grid cell around it
    span = (hi - lo) / max(search.n_grid, 2)
    x = dbest.tf
    fx = phi(x)
    if math.isfinite(fx):
        _brent(phi, max(lo, x - span), min(hi, x + span), x, fx, 0.5 * search.tf_tol_s)
    cell = [e for e in phi.evals.values() if abs(e.tf - x) <= span and math.isfinite(e.value)]
    best = min(cell, key=lambda e: (e.value, e.tf)) if cell else None
    if best is not None:
        sol, n2 = _exact_near(problem, cache, phi, best.tf, search.tf_tol_s, lo, hi)
        n += n2
        if sol is not None:
            return _FuelSearch(sol, phi.n + n, d)
    sol = _fixed(problem, x, "min_fuel", cache)  # D's own landing time is feasible
    n += 1
    return _FuelSearch(sol if sol.ok else None, phi.n + n, d)


def _coarse_guess(
    problem: DescentProblem, cache: SOCPCache, search: SearchSettings, lo: float, hi: float
) -> tuple[float | None, int]:
    """The time minimising the relaxed fuel of ``problem`` on ``search.coarse_nodes``
    nodes (None when no time has a relaxed solution there), and the solves it took.

    Only a starting point: the full problem is then bracketed downhill from it over
    the whole ``[lo, hi]`` (:func:`_bracket_from_guess`), so for a unimodal ``phi`` a
    poor guess costs solves, never the window (step 3 of the module docstring). A
    coarse grid with no relaxed solution at all is not refined here (None): the full
    search then refines its own grid.
    """
    # without the turn-rate cones (rate_cone.py), whose passes cost two to three conic
    # solves where the bound binds: this time is only where the bracketing starts
    coarse = dataclasses.replace(
        problem,
        n_nodes=int(search.coarse_nodes or 0),
        turn_rate_rad_s=math.inf,
        turn_reference_t_s=None,
        turn_reference_lf=None,
    )
    phi = _Objective(coarse, "relaxed_fuel", cache, _value_fuel)
    # the time is wanted to about the step the bracketing starts with, not to tf_tol_s
    _minimise(
        phi,
        lo,
        hi,
        dataclasses.replace(
            search,
            tf_tol_s=COARSE_TF_FACTOR * search.tf_tol_s,
            value_tol=COARSE_VALUE_FACTOR * search.value_tol,
        ),
        None,
        refine_empty=False,
    )
    best = phi.best()
    return (best.tf if best is not None else None), phi.n


def _residual(d: _Objective | None) -> float:
    best = d.best() if d is not None else None
    return best.defect if best is not None else math.inf


def solve_free_time(
    problem: DescentProblem,
    cache: SOCPCache | None = None,
    search: SearchSettings | None = None,
) -> Solution:
    """Minimum-fuel landing at the target with the time of flight optimised.

    Returns
    -------
    Solution
        The optimum; ``solve_time_s`` is the wall time of the whole search and
        ``n_solves`` the number of conic solves. Status "infeasible" when no time of
        flight lands at the target, with ``residual`` the smallest terminal defect of
        the relaxed problem found (the certificate).
    """
    _check_arguments(problem, search)
    search = search or SearchSettings()
    cache = cache if cache is not None else SOCPCache(max_size=4)
    t0 = time.perf_counter()
    res = _search_fuel(problem, cache, search)
    if res.sol is None:
        return Solution.failed(
            "infeasible",
            "min_fuel",
            problem.g_lf,
            time.perf_counter() - t0,
            res.n,
            residual=_residual(res.stage1),
        )
    return res.sol.replace(
        objective="min_fuel", solve_time_s=time.perf_counter() - t0, n_solves=res.n
    )


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
        Fixed time of flight (s); searched when omitted.

    Returns
    -------
    Solution
        The stage-2 (minimum-fuel) trajectory, objective "two_stage"; its
        ``landing_error_m`` is the distance to the target (0 when it is reachable).
        Status "infeasible" when no soft landing exists at all (``residual``: the
        smallest height-and-velocity error found).
    """
    _check_arguments(problem, search, tf_s)
    search = search or SearchSettings()
    cache = cache if cache is not None else SOCPCache(max_size=4)
    t0 = time.perf_counter()
    margin = search.miss_margin_m
    tol = search.defect_tol

    if tf_s is None:
        res = _search_fuel(problem, cache, search)
        n = res.n
        if res.sol is not None:  # reachable: d* = 0, stage 2 is the minimum-fuel optimum
            return res.sol.replace(
                objective="two_stage", solve_time_s=time.perf_counter() - t0, n_solves=n
            )
        stage1 = res.stage1.best() if res.stage1 is not None else None
    else:
        d = _Objective(problem, "relaxed_error", cache, _value_error)
        d.eval(tf_s)
        stage1 = d.best()
        n = d.n
    if stage1 is None or stage1.touchdown > tol:
        residual = stage1.touchdown if stage1 is not None else math.inf
        return Solution.failed(
            "infeasible",
            "two_stage",
            problem.g_lf,
            time.perf_counter() - t0,
            n,
            tf_s=math.nan if tf_s is None else tf_s,
            residual=residual,
        )
    d_star = stage1.horiz
    sol2 = Solution.failed("error", "two_stage", problem.g_lf, 0.0)
    if d_star <= margin:
        sol2 = _fixed(problem, stage1.tf, "min_fuel", cache, objective="two_stage")
        n += 1
    if not sol2.ok:
        sol2 = _fixed(problem, stage1.tf, "min_fuel_within", cache, d_star + margin, "two_stage")
        n += 1
    elapsed = time.perf_counter() - t0
    if not sol2.ok:
        # Stage 1 found a landing but stage 2 failed numerically; fly stage 1.
        return stage1.sol.replace(
            objective="two_stage", status="inaccurate", solve_time_s=elapsed, n_solves=n
        )
    return sol2.replace(solve_time_s=elapsed, n_solves=n)


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
    _check_arguments(problem, search, tf_s)
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
        lo, hi = problem.tf_bracket()
        d = _Objective(problem, "relaxed_error", cache, _value_error)
        _minimise(
            d,
            lo,
            hi,
            search,
            None,
            all_minima=True,
            stop=lambda e: e.horiz <= search.miss_margin_m and e.touchdown <= search.defect_tol,
        )
        best = d.best()
        elapsed = time.perf_counter() - t0
        if best is None or best.touchdown > search.defect_tol:
            return Solution.failed(
                "infeasible",
                objective,
                problem.g_lf,
                elapsed,
                d.n,
                residual=best.touchdown if best else math.inf,
            )
        return best.sol.replace(objective=objective, solve_time_s=elapsed, n_solves=d.n)
    raise ValueError(f"objective: unknown {objective!r}")


__all__ = [
    "SearchSettings",
    "solve",
    "solve_free_time",
    "solve_gfold",
    "solve_min_fuel",
    "solve_min_landing_error",
]
