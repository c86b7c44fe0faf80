"""The lossless-convexified powered-descent SOCP, built once per shape and re-solved.

Split by responsibility: this module is the formulation (``DescentSOCP``, the
cvxpy problem that defines every constraint, its parameter values and the
solve drivers); ``clarabel_program.py`` replays cvxpy's compiled data for that
very problem into Clarabel (``_DirectProgram``), reading the reduced tensor
and the variable layout from cvxpy, so it needs no edit when a constraint
changes (``tests/fsw/test_socp_direct.py`` compares the two); the lean path's
cone checks are in ``path_cones.py`` and the thrust-direction rate bound in
``rate_cone.py``.

Why the rest stays one module of ~900 lines: the cvxpy problem (``__init__``),
the parameter values (``_values``) and the solve drivers (lean first, the
rate-bound passes, extraction) share one set of parameter names and one
variable scaling; each constraint is written once in ``__init__`` and given its
values once in ``_values``, and splitting those two apart would put every
constraint in two files that must change together. About a third of the lines
are this docstring and the method docstrings.

Formulation (Acikmese & Ploen 2007, "Convex programming approach to powered descent
guidance for Mars landing", JGCD 30(5); Blackmore, Acikmese & Scharf 2010,
"Minimum-landing-error powered-descent guidance for Mars landing using convex
optimization", JGCD 33(4)). Variables on N nodes, all in the problem frame:

* ``u = T / m`` thrust acceleration, ``sigma = Gamma / m`` its magnitude slack,
  ``z = ln m`` log-mass, position ``r`` and velocity ``v``.
* Dynamics with a first-order hold on ``u`` (exact for piecewise-linear thrust
  acceleration), and ``dz/dt = -alpha sigma`` integrated by the trapezoid rule.
  The position is a variable on every node only in problems with a glide-slope cone,
  the one constraint that needs it. Elsewhere (the lean first solve below, and any
  problem without a glide slope) only the final position ``r_end`` is, tied to the
  start by the sum of the position rows over the flight, divided by ``dt``:
  ``r_end / dt = r_0 / dt + sum_{k<N-1} (v_k + dt/3 u_k + dt/6 u_{k+1}) + (N-1) g dt/2``;
  the positions of the answer are rebuilt from ``v`` and ``u`` by the same hold. The
  same feasible set and optimum, with 147 fewer variables and rows at 50 nodes
  (550 -> 403 variables, 905 -> 758 rows). The division by ``dt`` keeps the
  row's coefficients in the ratios of the velocity rows; undivided, the thrust
  enters it with coefficients of order 1e-4 and the answers lose accuracy.
* ``|u_k| <= sigma_k`` (the convexified thrust bound; lossless at the optimum),
  ``rho_1 e^{-z0} [1 - dz + dz^2 / 2] <= sigma <= rho_2 e^{-z0} [1 - dz]`` with
  ``dz = z - z0(t)`` and ``z0(t) = ln(m_wet - alpha rho_2 t)`` (the Taylor bounds of
  Acikmese & Ploen, eq. 36-37), ``z0(t) <= z <= ln(m_wet - alpha rho_1 t)``.
* Glide-slope cone about the landing point (stated about the target where the
  two coincide, :data:`GLIDE_ABOUT_TARGET`), thrust-pointing cone about "up",
  speed bound, final altitude/velocity, final mass above dry mass.
* Optionally a slew cone about the vehicle's current thrust axis ``e0``:
  ``u_k . e0 >= cos(theta_k) sigma_k`` with ``theta_k = tol + rate t_k`` (imposed while
  below 90 deg), so the first plan starts from the attitude the vehicle has. An axis
  tilted past the first node's pointing limit is replaced by the nearest direction
  within it (the two cones must share a first thrust). Like the
  pointing cone it bounds the direction of ``u`` through the slack, exact when the
  convexification is lossless (Acikmese, Carson & Blackmore 2013 treat pointing cones
  about a fixed axis).
* Optionally thrust-direction rate cones between successive nodes
  (:mod:`~surefoot.fsw.guidance.convex.rate_cone`, which proves what they bound):
  ``|P_k (u_{k+1} - u_k)| <= omega dt min(d_k . u_k, d_k . u_{k+1})`` about reference
  directions ``d_k`` (parameters), the change along ``d_k`` (throttle) left free, and
  with them the lower thrust bound also on the thrust's component along its node's
  reference (they break the losslessness of the bound on ``sigma``).
* Relaxed modes (``relaxed_fuel``, ``relaxed_error``) for the free-final-time search
  (:mod:`gfold`): the terminal position and velocity may miss, at a price, so they
  have a solution at every time of flight at which any thrust program meets the path
  constraints, and the miss measures the distance to feasibility.

Every number that changes between solves (state, time of flight, vehicle, target) is a
``cvxpy.Parameter``, written so the problem is DPP. The cvxpy problem is the one
definition of the formulation, but it is compiled only once per shape: the first solve
takes cvxpy's parametrised conic program (``get_problem_data``, the ``ParamConeProg``
whose reduced tensor maps the parameter vector to the Clarabel data), and every solve
after that (:class:`_DirectProgram`) forms the parameter vector itself, multiplies it
by that tensor to get the values of Clarabel's ``A`` on its fixed sparsity, ``b`` and
``q``, calls ``clarabel.DefaultSolver`` directly and cuts the variables out of the
primal solution at cvxpy's variable offsets. This is the arithmetic cvxpy does in
``problem.solve`` (``ConicSolver.apply``, ``CLARABEL.solve_via_data``,
``ParamConeProg.split_solution``) without its per-solve Python overhead (parameter
validation, rebuilding sparse matrices, the inverse chain), which cost more than the
conic solve itself. ``DescentSOCP.solve_cvxpy`` still solves through cvxpy, as a
reference. A warm solve hands the new data to the same Clarabel solver object
(``DefaultSolver.update``), which skips allocation and the symbolic factorisation;
Clarabel is an interior-point method and takes no primal-dual starting point, so this
is the warm start the API allows. Only the entries of the data that changed since the
solver's last problem are handed over (about a tenth of ``A`` within one shape).

The lean first solve (``SolverSettings.lazy_path_cones``, on by default): the
glide-slope and speed cones are a quarter of the rows and rarely bind, so
:meth:`DescentSOCP.solve` first solves the same problem without them and keeps that
answer when it satisfies them (then it is the full problem's optimum, see
:mod:`~surefoot.fsw.guidance.convex.path_cones`); otherwise, or when the lean solve is
not "optimal", it solves the full problem too. In warm solves, after a cone bound, the
full problem is solved first until one of its optima has every path cone clear of
binding; a cold solve always starts lean, so its answer depends on its problem alone.

Measured against leaner formulations of the same problem (50 nodes, lunar high gate,
warm, CPU): without the position variables, as above, 2.5-2.6 ms instead of 3.1 (the
same iterations, the propellant within 2e-7 relative); without the velocity variables
instead (the position rows as second differences) 2.6 ms, but the answers moved by up to
2e-5 in thrust with the path the solver took, and four tests that compare paths failed;
condensing the dynamics (position and velocity as affine maps of the
thrust, no equality rows or state columns: 550 -> 250 variables, 2,600 -> 11,100
non-zeros in ``A``) took 56 ms instead of 4.0 (QDLDL; 94 ms with faer): the dense
lower-triangular map fills the KKT factor, and the iterations rose from 13 to 17.
Condensing every second or third node (partial condensing) took 7.7 and 8.4 ms.
The banded equalities stay.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

import cvxpy as cp
import numpy as np

from surefoot.fsw.guidance.convex.clarabel_program import DirectProgram as _DirectProgram
from surefoot.fsw.guidance.convex.path_cones import (
    CHECK_TOL,
    LEAN_AGAIN_MARGIN,
    glide_slope_holds,
    speed_holds,
)
from surefoot.fsw.guidance.convex.problem import (
    DescentProblem,
    Solution,
    Status,
    check_integer,
    check_real,
)
from surefoot.fsw.guidance.convex.rate_cone import (
    TURN_CHECK_TOL_RAD,
    TURN_REFERENCE_TOL_RAD,
    cone_values,
    node_references,
    references_from_table,
    turn_excess,
)

Mode = Literal["min_fuel", "min_landing_error", "min_fuel_within", "relaxed_fuel", "relaxed_error"]
"""``min_fuel``: land at the target; ``min_landing_error``: minimise the horizontal miss;
``min_fuel_within``: minimum fuel with the horizontal miss bounded (G-FOLD stage 2);
``relaxed_fuel``: minimum fuel plus a penalty on the terminal defect (horizontal miss,
height and velocity error), so it has a solution at every time of flight that admits
any thrust program at all; ``relaxed_error``: minimum horizontal miss plus a penalty on
the height and velocity error (stage 1 with the touchdown conditions softened)."""

RELAXED_MODES = ("relaxed_fuel", "relaxed_error")

PENALTY_HORIZONTAL = 100.0
"""Weight of the horizontal miss in ``relaxed_fuel`` (per scaled length unit
``acc_u tf^2``, against the log-mass objective). Moving the landing point by one scaled
length costs about ``acc_u tf / (Isp g0)``, 0.1-0.2 in log-mass for the lunar and Mars
examples; 100 makes the penalty exact (the relaxed optimum has zero defect whenever the
exact problem is feasible) except within a sliver of the feasibility boundary, where the
multipliers of the terminal constraints grow without bound."""

GLIDE_ABOUT_TARGET = ("min_fuel", "relaxed_fuel")
"""Modes whose glide-slope cone has its apex at the target rather than at the landing
point: ``min_fuel`` lands there, and ``relaxed_fuel`` is read only where it does (on the
window, or for the direction towards it). The landing-error modes keep the landing
point, which is not the target when the target is out of reach."""

PENALTY_TOUCHDOWN = 1000.0
"""Weight of the height and velocity error (scaled units) in both relaxed modes."""

MIN_TIME_OF_FLIGHT_S = 1e-3
"""Shortest time of flight a fixed-time solve plans for; a shorter one (zero, negative)
is "infeasible" without a conic solve."""

_SPEED_OFF = math.inf
_BIG_ERROR_M = 1e9


@dataclass(frozen=True)
class SolverSettings:
    """Clarabel settings for guidance solves.

    Attributes
    ----------
    tol : float
        Clarabel ``tol_gap_abs``, ``tol_gap_rel`` and ``tol_feas``.
    max_iter : int
        Interior-point iteration cap.
    time_limit_s : float
        Wall-time cap of one conic solve (s); ``inf`` for none.
    iterative_refinement : bool
        Clarabel's iterative refinement of each KKT solve. Off by default: on the scaled
        problem it changed neither the iteration count nor the answer in our tests and
        benchmark, and it cost about 40 % of the solve time.
    lazy_path_cones : bool
        Solve first without the glide-slope and speed cones and keep that answer when it
        satisfies them (:mod:`~surefoot.fsw.guidance.convex.path_cones`: it is then the
        optimum of the full problem); otherwise solve the full problem as well. Same
        optimum, one solve of about three quarters the size when neither cone binds.
    turn_passes : int
        Largest number of solves with the thrust-direction rate cones in one fixed-time
        solve (problems with ``turn_rate_rad_s``): each one after the first takes the
        previous answer's directions as the cones' reference, until the a-posteriori
        check of the angles passes (:mod:`~surefoot.fsw.guidance.convex.rate_cone`).
    """

    tol: float = 1e-8
    max_iter: int = 100
    time_limit_s: float = math.inf
    iterative_refinement: bool = False
    lazy_path_cones: bool = True
    turn_passes: int = 3

    def __post_init__(self) -> None:
        if not 0.0 < check_real(self.tol, "tol", finite=True):
            raise ValueError(f"tol: must be > 0 (got {self.tol})")
        check_integer(self.max_iter, "max_iter", 1)
        if not check_real(self.time_limit_s, "time_limit_s", finite=False) > 0.0:
            raise ValueError(
                f"time_limit_s: must be > 0, or inf for none (got {self.time_limit_s})"
            )
        check_integer(self.turn_passes, "turn_passes", 1)

    def clarabel_options(self) -> dict[str, object]:
        opts: dict[str, object] = {
            "tol_gap_abs": self.tol,
            "tol_gap_rel": self.tol,
            "tol_feas": self.tol,
            "max_iter": self.max_iter,
            # data updates (the warm path) are refused when presolve may drop rows
            "presolve_enable": False,
            "iterative_refinement_enable": self.iterative_refinement,
        }
        if math.isfinite(self.time_limit_s):
            opts["time_limit"] = float(self.time_limit_s)
        return opts


@dataclass(frozen=True)
class _Shape:
    n_nodes: int
    mode: Mode
    glide_slope: bool
    pointing: bool
    speed: bool
    slew: bool = False
    turn: bool = False


def shape_of(problem: DescentProblem, mode: Mode) -> _Shape:
    """The structural key of a problem: what decides which constraints exist."""
    return _Shape(
        n_nodes=int(problem.n_nodes),
        mode=mode,
        glide_slope=problem.glide_slope_rad > 0.0,
        pointing=problem.max_tilt_rad < math.pi or math.isfinite(problem.vertical_rate_rad_s),
        speed=math.isfinite(problem.max_speed_m_s),
        slew=problem.slew_limited,
        turn=problem.turn_limited,
    )


def _into_cone(axis: np.ndarray, up: np.ndarray, max_tilt: float) -> np.ndarray:
    """``axis`` (unit) if within ``max_tilt`` of ``up``, else the nearest direction that
    is: the vehicle may already tilt past the plan's pointing limit (tracking error),
    and a slew cone about such an axis would leave no first thrust inside both cones.
    The first thrust is then tied to the pointing cone's edge next to the axis."""
    c = float(axis @ up)
    if c >= math.cos(max_tilt):
        return axis
    h = axis - c * up
    nh = float(np.linalg.norm(h))
    if nh < 1e-12:  # pointing straight down: any edge direction; the plan's own choice
        return up
    return math.cos(max_tilt) * up + math.sin(max_tilt) * (h / nh)


class DescentSOCP:
    """One parametrised cvxpy problem of a fixed shape; solve it for any problem values.

    Parameters
    ----------
    shape : _Shape
        Node count, mode and which optional constraints exist (see :func:`shape_of`).
    settings : SolverSettings, optional
        Clarabel settings.
    """

    def __init__(self, shape: _Shape, settings: SolverSettings | None = None) -> None:
        self.shape = shape
        self.settings = settings or SolverSettings()
        n = shape.n_nodes
        self._p: dict[str, cp.Parameter] = {}
        p = self._param

        # Position is a variable on every node only where a cone needs it (the glide
        # slope); otherwise only the final position is, tied to the start by the sum of
        # the position rows over the whole flight, divided by dt (module docstring).
        # (Variables are created in the order of the formulation with a position
        # variable, so that where it has one its program is that one, column for column.)
        self._position_eliminated = not shape.glide_slope
        r = None if self._position_eliminated else cp.Variable((n, 3), name="r")
        v = cp.Variable((n, 3), name="v")
        u = cp.Variable((n, 3), name="u")
        sigma = cp.Variable(n, name="sigma")
        z = cp.Variable(n, name="z")
        dt = p("dt")
        # The cones are stated as cp.SOC of affine expressions rather than as norm() <=
        # and square() atoms: the same sets, but cvxpy's atom canonicalisation adds an
        # epigraph variable and a linear row per cone (about 200 of each at 50 nodes,
        # 750 -> 550 variables), which made a warm solve about 10 % slower.
        # Taylor lower bound of rho/m about the lightest possible mass profile z0(t):
        # sigma >= lo_b - lo_a z + w^2, w = lo_c z - lo_d, as the rotated cone
        # w^2 <= s  <=>  |(2 w, s - 1)| <= s + 1  with  s = sigma - lo_b + lo_a z
        taylor = sigma - p("lo_b", n) + cp.multiply(p("lo_a", n), z)
        w = cp.multiply(p("lo_c", n), z) - p("lo_d", n)
        cons: list[cp.Constraint] = [] if r is None else [r[0] == p("r0", 3)]
        cons += [
            v[0] == p("v0", 3),
            z[0] == p("z_wet"),
            v[1:] == v[:-1] + (0.5 * dt) * (u[:-1] + u[1:]) + p("g_dt", 3),
        ]
        if r is None:
            r_end = cp.Variable(3, name="r_end")
            cons.append(
                p("inv_dt") * r_end
                == p("r0_dt", 3)
                + cp.sum(v[:-1], axis=0)
                + p("dt_3") * cp.sum(u[:-1], axis=0)
                + p("dt_6") * cp.sum(u[1:], axis=0)
                + p("g_dt_2_sum", 3)
            )
            self._vars = (r_end, v, u, sigma, z)
        else:
            r_end = r[n - 1]
            cons.append(
                r[1:]
                == r[:-1] + dt * v[:-1] + p("dt2_3") * u[:-1] + p("dt2_6") * u[1:] + p("g_dt2_2", 3)
            )
            self._vars = (r, v, u, sigma, z)
        cons += [
            z[1:] == z[:-1] - p("alpha_dt_2") * (sigma[:-1] + sigma[1:]),
            cp.SOC(sigma, u, axis=1),  # |u_k| <= sigma_k
            cp.SOC(taylor + 1.0, cp.vstack([2.0 * w, taylor - 1.0]), axis=0),
            sigma <= p("hi_e", n) - cp.multiply(p("hi_f", n), z),
            z[1:] >= p("z_lo", n - 1),
            z[1:] <= p("z_hi", n - 1),
            z[n - 1] >= p("z_dry"),
        ]
        if shape.mode not in RELAXED_MODES:
            cons.append(v[n - 1] == p("v_t", 3))
        if shape.pointing:
            cons.append(u @ p("up", 3) >= cp.multiply(p("cos_tilt", n), sigma))
        if shape.slew:  # thrust within theta_k of the starting thrust axis (cos = -1: off)
            cons.append(u @ p("axis0", 3) >= cp.multiply(p("cos_slew", n), sigma))
        if shape.speed:  # |v_k| <= v_max
            cons.append(cp.SOC(p("v_max") * np.ones(n), v, axis=1))
        if shape.turn:  # successive thrust directions within omega dt (rate_cone.py)
            du = u[1:] - u[:-1]
            perp = cp.vstack(
                [
                    cp.sum(cp.multiply(p("turn_e1", (n - 1, 3)), du), axis=1),
                    cp.sum(cp.multiply(p("turn_e2", (n - 1, 3)), du), axis=1),
                ]
            )
            cd = p("turn_cd", (n - 1, 3))
            cons.append(cp.SOC(cp.sum(cp.multiply(cd, u[:-1]), axis=1), perp, axis=0))
            cons.append(cp.SOC(cp.sum(cp.multiply(cd, u[1:]), axis=1), perp, axis=0))
            # the lower thrust bound on the component along each node's reference: the
            # cones above break the losslessness of sigma's (rate_cone.py); its own
            # Taylor parameters, so that a first pass can switch it off
            along = cp.sum(cp.multiply(p("turn_r", (n, 3)), u), axis=1)
            low = along - p("turn_lo_b", n) + cp.multiply(p("turn_lo_a", n), z)
            w_t = cp.multiply(p("turn_lo_c", n), z) - p("turn_lo_d", n)
            cons.append(cp.SOC(low + 1.0, cp.vstack([2.0 * w_t, low - 1.0]), axis=0))
        if shape.glide_slope:  # |horizontal part of r_k - r_N| <= its height / tan(gs)
            assert r is not None
            if shape.mode in GLIDE_ABOUT_TARGET:
                # the cone's apex is the target (a parameter), not the variable r_N: in
                # min_fuel the same set (r_N = r_t); in relaxed_fuel the same set on the
                # window, where the search reads it (module docstring). A variable apex
                # puts r_N in every cone, a dense column of the KKT matrix that cost
                # about a quarter of a solve.
                high = r[:-1] @ p("gs_axis", 3) - p("gs_t")
                side = r[:-1] @ p("horiz_T", (3, 2)) - p("horiz_t", 2)
            else:
                rel = r[:-1] - r[n - 1]
                high, side = rel @ p("gs_axis", 3), rel @ p("horiz_T", (3, 2))
            cons.append(cp.SOC(high, side, axis=1))

        horiz_miss = r_end @ p("horiz_T", (3, 2)) - p("horiz_t", 2)
        if shape.mode == "min_fuel":
            cons.append(r_end == p("r_t", 3))
            objective = cp.Minimize(-z[n - 1])
        elif shape.mode in RELAXED_MODES:
            s_h = cp.Variable(name="s_h")
            s_v = cp.Variable(name="s_v")
            touchdown = cp.hstack([r_end @ p("up", 3) - p("alt_t"), v[n - 1] - p("v_t", 3)])
            cons.append(cp.SOC(s_v, touchdown))
            cons.append(cp.SOC(s_h, horiz_miss))
            if shape.mode == "relaxed_fuel":
                objective = cp.Minimize(
                    -z[n - 1] + PENALTY_HORIZONTAL * s_h + PENALTY_TOUCHDOWN * s_v
                )
            else:
                objective = cp.Minimize(s_h + PENALTY_TOUCHDOWN * s_v)
        else:
            cons.append(r_end @ p("up", 3) == p("alt_t"))
            if shape.mode == "min_landing_error":
                err = cp.Variable(name="miss")
                cons.append(cp.SOC(err, horiz_miss))
                objective = cp.Minimize(err)
            else:
                cons.append(cp.SOC(p("miss_max"), horiz_miss))
                objective = cp.Minimize(-z[n - 1])
        self.problem = cp.Problem(objective, cons)
        if not self.problem.is_dpp():  # pragma: no cover - a construction error
            raise RuntimeError("descent SOCP is not DPP; it would be recompiled every solve")
        self._direct: _DirectProgram | None = None  # compiled on the first solve
        self._lean: DescentSOCP | None = None  # the problem without path cones, if lazy
        self._unturned: DescentSOCP | None = None  # the problem without the rate cones
        self._lean_first = True  # try it first (False after a path cone bound)
        self._horiz_key: bytes | None = None
        self._horiz = np.zeros((2, 3))

    def _param(self, name: str, shape: int | tuple[int, ...] = ()) -> cp.Parameter:
        if name not in self._p:
            self._p[name] = cp.Parameter(shape, name=name)
        return self._p[name]

    # ----------------------------------------------------------------- values
    def set_values(self, problem: DescentProblem, tf_s: float, miss_max_m: float = 0.0) -> None:
        """Write the parameter values of ``problem`` flown in ``tf_s`` seconds.

        Only :meth:`solve_cvxpy` (and the one-time compile) need the values in the
        ``cvxpy.Parameter`` objects; :meth:`solve` passes them to Clarabel directly.
        """
        vals = self._values(problem, tf_s, miss_max_m)
        for name, par in self._p.items():
            par.value = vals[name]

    def _values(
        self, problem: DescentProblem, tf_s: float, miss_max_m: float = 0.0
    ) -> dict[str, object]:
        """The value of every parameter, by name, for ``problem`` flown in ``tf_s`` s."""
        n = self.shape.n_nodes
        dt = tf_s / (n - 1)
        t = dt * np.arange(n)
        g = problem.g_lf
        alpha = problem.alpha_s_m
        rho1, rho2 = problem.thrust_min_n, problem.thrust_max_n
        m_wet, m_dry = problem.wet_mass_kg, problem.dry_mass_kg
        z0 = np.log(np.maximum(m_wet - alpha * rho2 * t, m_dry))
        z_hi = np.log(np.maximum(m_wet - alpha * rho1 * t, 1e-9 * m_wet))
        lo_a = rho1 * np.exp(-z0)
        hi_f = rho2 * np.exp(-z0)
        horiz = self._horizontal_basis(problem)
        up = problem.up_lf
        tilt = np.full(n, problem.max_tilt_rad)
        if math.isfinite(problem.vertical_rate_rad_s):
            tau = np.maximum(tf_s - t, 0.0)
            tilt = np.minimum(tilt, problem.vertical_rate_rad_s * tau)
        axis0 = up
        cos_slew = -np.ones(n)
        if problem.slew_limited:
            assert problem.thrust_axis0_lf is not None
            axis0 = _into_cone(problem.thrust_axis0_lf, up, float(tilt[0]))
            theta = problem.slew_half_angles(t)
            cos_slew = np.where(
                theta < 0.5 * math.pi, np.cos(np.minimum(theta, 0.5 * math.pi)), -1.0
            )
        # Scaled variables keep the interior-point iterations well conditioned: time in
        # units of tf, acceleration in units of the largest thrust acceleration.
        time_u, acc_u = self._units(problem, tf_s)
        len_u, vel_u = acc_u * time_u**2, acc_u * time_u
        dts = dt / time_u
        lo_a_s = lo_a / acc_u
        lo_c_s = np.sqrt(0.5 * lo_a_s)
        hi_f_s = hi_f / acc_u

        vals: dict[str, object] = {
            "dt": dts,
            "dt2_3": dts * dts / 3.0,
            "dt2_6": dts * dts / 6.0,
            "g_dt": g * dts / acc_u,
            "g_dt2_2": 0.5 * g * dts * dts / acc_u,
            "inv_dt": 1.0 / dts,
            "r0_dt": problem.r0_lf / len_u / dts,
            "dt_3": dts / 3.0,
            "dt_6": dts / 6.0,
            "g_dt_2_sum": (n - 1) * 0.5 * g * dts / acc_u,
            "alpha_dt_2": 0.5 * alpha * dt * acc_u,
            "r0": problem.r0_lf / len_u,
            "v0": problem.v0_lf / vel_u,
            "z_wet": math.log(m_wet),
            "z_dry": math.log(m_dry),
            "v_t": problem.v_target_lf / vel_u,
            "lo_a": lo_a_s,
            "lo_b": lo_a_s * (1.0 + z0),
            "lo_c": lo_c_s,
            "lo_d": lo_c_s * z0,
            "hi_f": hi_f_s,
            "hi_e": hi_f_s * (1.0 + z0),
            "z_lo": z0[1:],
            "z_hi": z_hi[1:],
            "up": up,
            "cos_tilt": np.cos(tilt),
            "axis0": axis0,
            "cos_slew": cos_slew,
            "v_max": problem.max_speed_m_s / vel_u,
            "horiz_T": horiz.T,
            "gs_axis": up / max(math.tan(problem.glide_slope_rad), 1e-12),
            "gs_t": float(up @ problem.r_target_lf)
            / max(math.tan(problem.glide_slope_rad), 1e-12)
            / len_u,
            "r_t": problem.r_target_lf / len_u,
            "horiz_t": horiz @ problem.r_target_lf / len_u,
            "alt_t": float(up @ problem.r_target_lf) / len_u,
            "miss_max": max(miss_max_m, 0.0) / len_u,
        }
        if self.shape.turn:
            if problem.turn_reference_t_s is not None:
                assert problem.turn_reference_lf is not None
                ref = references_from_table(
                    problem.turn_reference_t_s, problem.turn_reference_lf, t
                )
            else:  # a placeholder: solve() references the rate-free solution instead
                ref = np.repeat(up[None, :], n, axis=0)
            vals.update(cone_values(ref, problem.turn_rate_rad_s * dt, vals))
        return vals

    def _horizontal_basis(self, problem: DescentProblem) -> np.ndarray:
        """``problem.horizontal_basis_lf``, kept for the last gravity vector (a pure
        function of it, and about half the cost of forming the values)."""
        key = problem.g_lf.tobytes()
        if self._horiz_key != key:
            self._horiz = problem.horizontal_basis_lf
            self._horiz_key = key
        return self._horiz

    @staticmethod
    def _units(problem: DescentProblem, tf_s: float) -> tuple[float, float]:
        """Time unit (s) and acceleration unit (m/s^2) of the scaled variables."""
        return float(tf_s), problem.thrust_max_n / problem.wet_mass_kg

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        problem: DescentProblem,
        tf_s: float,
        miss_max_m: float = 0.0,
        warm: bool = True,
        objective: str | None = None,
    ) -> Solution:
        """Solve for a fixed time of flight.

        Parameters
        ----------
        problem : DescentProblem
            Vehicle, state and target (problem frame, SI).
        tf_s : float
            Time of flight (s).
        miss_max_m : float
            Bound on the horizontal landing error (m), used by ``min_fuel_within`` only.
        warm : bool
            Re-use the Clarabel solver object of the previous solve (same sparsity).
        objective : str, optional
            Label stored in the solution (defaults to the mode).

        Returns
        -------
        Solution
            Trajectory on the nodes; status "infeasible" or "error" without arrays.
        """
        if int(problem.n_nodes) != self.shape.n_nodes:
            raise ValueError(f"n_nodes {problem.n_nodes} != built {self.shape.n_nodes}")
        label = objective or self.shape.mode
        if math.isnan(tf_s):
            raise ValueError("tf_s: must be a number of seconds, not NaN")
        if tf_s < MIN_TIME_OF_FLIGHT_S:
            # no plan flies in no time (as a negative time has none); the scaled problem
            # would divide by it. In flight a re-plan's time left can reach zero.
            return Solution.failed("infeasible", label, problem.g_lf, 0.0, 0, float(tf_s))
        vals = self._values(problem, tf_s, miss_max_m)
        if self.shape.turn:
            return self._solve_turn(problem, tf_s, vals, warm, label)
        return self._solve_vals(problem, tf_s, vals, warm, label)

    def _solve_turn(
        self,
        problem: DescentProblem,
        tf_s: float,
        vals: dict[str, object],
        warm: bool,
        label: str,
    ) -> Solution:
        """:meth:`solve` with the thrust-direction rate cones (:mod:`rate_cone`).

        The same problem is first solved without the rate cones; when its thrust
        already turns slowly enough (checked on the angles themselves) it is the
        optimum of the rate-limited problem too (a relaxation's optimum that is
        feasible), and it is returned; when it has no solution neither has this one.
        Otherwise the problem with the cones is solved about the problem's reference
        when it has one (a re-plan: the plan being flown), else, or when that has no
        solution, about the rate-free answer (a first pass without the lower-bound
        linearisation, whose answer makes the reference); then again about its own
        answer while the a-posteriori check finds an excess or a node's direction
        moved more than ``TURN_REFERENCE_TOL_RAD`` from its reference (successive
        convexification; ``settings.turn_passes`` exact passes at most). The last
        answer is returned, with its excess in ``turn_excess_rad``.
        """
        t0 = time.perf_counter()
        max_turn = problem.turn_rate_rad_s * tf_s / (self.shape.n_nodes - 1)
        free = self._unturned_problem()
        sol = free._solve_vals(problem, tf_s, vals, warm, label)
        n_solves = sol.n_solves
        excess = turn_excess(sol.accel_thrust_lf, max_turn) if sol.ok else math.nan
        if not sol.ok or excess <= TURN_CHECK_TOL_RAD:
            return sol.replace(
                solve_time_s=time.perf_counter() - t0, n_solves=n_solves, turn_excess_rad=excess
            )
        unturned = node_references(sol.accel_thrust_lf)
        out: Solution | None = None
        if problem.turn_reference_t_s is not None:  # _values put its cones in vals
            out, n = self._turn_passes(vals, problem, tf_s, warm, label, max_turn)
            n_solves += n
        if out is None or not out.ok:
            # a first referenced pass without the lower-bound linearisation: its
            # directions turn within the rate (to the proof's error) and make a
            # reference the exact passes can start from
            vals.update(cone_values(unturned, max_turn, None))
            first = self._solve_vals(problem, tf_s, vals, warm, label)
            n_solves += first.n_solves
            out = first
            if first.ok:
                vals.update(cone_values(node_references(first.accel_thrust_lf), max_turn, vals))
                out, n = self._turn_passes(vals, problem, tf_s, warm, label, max_turn)
                n_solves += n
        assert out is not None
        return out.replace(solve_time_s=time.perf_counter() - t0, n_solves=n_solves)

    def _turn_passes(
        self,
        vals: dict[str, object],
        problem: DescentProblem,
        tf_s: float,
        warm: bool,
        label: str,
        max_turn: float,
    ) -> tuple[Solution, int]:
        """The exact passes of :meth:`_solve_turn` from the cones in ``vals``: the last
        answer with a solution (or the failed one) and the conic solves taken."""
        best: Solution | None = None
        sol: Solution | None = None
        n_solves = 0
        for _ in range(max(self.settings.turn_passes, 1)):
            sol = self._solve_vals(problem, tf_s, vals, warm, label)
            n_solves += sol.n_solves
            if not sol.ok:
                break
            excess = turn_excess(sol.accel_thrust_lf, max_turn)
            best = sol.replace(turn_excess_rad=excess)
            nodes = node_references(sol.accel_thrust_lf)
            moved = float(np.min(np.einsum("ij,ij->i", nodes, vals["turn_r"])))  # type: ignore[arg-type]
            if excess <= TURN_CHECK_TOL_RAD and moved >= math.cos(TURN_REFERENCE_TOL_RAD):
                break
            vals.update(cone_values(nodes, max_turn, vals))
        out = best if best is not None else sol
        assert out is not None
        return out, n_solves

    def _unturned_problem(self) -> DescentSOCP:
        """The same problem without the rate cones (built on first use)."""
        if self._unturned is None:
            self._unturned = DescentSOCP(replace(self.shape, turn=False), self.settings)
        return self._unturned

    def _solve_vals(
        self,
        problem: DescentProblem,
        tf_s: float,
        vals: dict[str, object],
        warm: bool,
        label: str,
    ) -> Solution:
        """One fixed-time answer of this shape for the parameter values ``vals``: the
        lean problem first when asked for (module docstring), then the full one."""
        t0 = time.perf_counter()
        n_solves = 0
        lean = self._lean_problem()
        # A cold solve is a function of its problem alone (replays bit for bit whatever
        # was solved before): only warm solves let the last one choose what to try first.
        if lean is not None and (self._lean_first or not warm):
            status, x = lean._solve_direct(vals, warm)
            n_solves += 1
            if status == "infeasible":  # a relaxation of this problem: so is this one
                elapsed = time.perf_counter() - t0
                return Solution.failed(status, label, problem.g_lf, elapsed, n_solves, tf_s)
            if status == "optimal" and x is not None:
                assert lean._direct is not None
                arrays = lean._arrays(lean._direct.split(x), vals)
                if self._path_cones_hold(arrays, vals, CHECK_TOL):
                    elapsed = time.perf_counter() - t0
                    return self._extract(problem, tf_s, status, label, elapsed, arrays, n_solves)
                self._lean_first = self._lean_first and not warm
        status, x = self._solve_direct(vals, warm)
        n_solves += 1
        if status in ("infeasible", "error") or x is None:
            elapsed = time.perf_counter() - t0
            return Solution.failed(status, label, problem.g_lf, elapsed, n_solves, tf_s)
        assert self._direct is not None
        arrays = self._arrays(self._direct.split(x), vals)
        if lean is not None and warm:
            # Which problem to try first next time (speed only: both give this optimum).
            # A path cone that binds here will likely bind in the next, similar solve
            # (the free-time search, a re-plan); once none is within a margin of binding,
            # the lean problem alone would have found this optimum.
            self._lean_first = self._path_cones_hold(arrays, vals, -LEAN_AGAIN_MARGIN)
        elapsed = time.perf_counter() - t0
        return self._extract(problem, tf_s, status, label, elapsed, arrays, n_solves)

    def _solve_direct(
        self, vals: dict[str, object], warm: bool
    ) -> tuple[Status, np.ndarray | None]:
        """One conic solve of this very shape (compiled on first use)."""
        if self._direct is None:
            self._direct = _DirectProgram(self, vals)
        return self._direct.solve(vals, warm)

    def _lean_problem(self) -> DescentSOCP | None:
        """The same problem without glide-slope and speed cones, when solving it first
        is asked for (``settings.lazy_path_cones``) and there are such cones."""
        sh = self.shape
        if not self.settings.lazy_path_cones or not (sh.glide_slope or sh.speed):
            return None
        if self._lean is None:
            self._lean = DescentSOCP(
                replace(sh, glide_slope=False, speed=False),
                replace(self.settings, lazy_path_cones=False),
            )
        return self._lean

    def _path_cones_hold(
        self, arrays: tuple[np.ndarray, ...], vals: dict[str, object], tol: float
    ) -> bool:
        """Whether ``arrays`` (scaled ``r, v, u, sigma, z``) satisfy the glide-slope and
        speed cones of this shape to ``tol`` (scaled units; < 0: with that margin)."""
        r, v = arrays[0], arrays[1]
        if self.shape.glide_slope and not glide_slope_holds(
            r, vals, self.shape.mode in GLIDE_ABOUT_TARGET, tol
        ):
            return False
        return not self.shape.speed or speed_holds(v, vals, tol)

    def solve_cvxpy(
        self,
        problem: DescentProblem,
        tf_s: float,
        miss_max_m: float = 0.0,
        warm: bool = True,
        objective: str | None = None,
    ) -> Solution:
        """:meth:`solve` through cvxpy's own ``problem.solve`` (the reference path).

        Same arguments and result as :meth:`solve`; slower, since cvxpy re-validates
        the parameters, rebuilds the problem data and inverts its reduction chain on
        every call. ``warm`` re-uses cvxpy's cached Clarabel solver, not the one of
        :meth:`solve`. Leaves the values in ``self.problem``'s parameters and variables.
        With rate cones, one solve about the problem's reference (about "up" when it
        has none): the reference passes of :meth:`solve` are not made.
        """
        if int(problem.n_nodes) != self.shape.n_nodes:
            raise ValueError(f"n_nodes {problem.n_nodes} != built {self.shape.n_nodes}")
        label = objective or self.shape.mode
        vals = self._values(problem, tf_s, miss_max_m)
        for name, par in self._p.items():
            par.value = vals[name]
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # an inaccurate solve is reported in the status, not as a warning
                warnings.simplefilter("ignore", UserWarning)
                self.problem.solve(
                    solver=cp.CLARABEL,
                    warm_start=warm,
                    canon_backend=cp.SCIPY_CANON_BACKEND,
                    **self.settings.clarabel_options(),
                )
            cv_status = self.problem.status
        except cp.error.SolverError:
            cv_status = "solver_error"
        elapsed = time.perf_counter() - t0
        status = _map_status(cv_status)
        if status in ("infeasible", "error"):
            return Solution.failed(status, label, problem.g_lf, elapsed, tf_s=tf_s)
        raw = tuple(np.asarray(x.value, dtype=np.float64) for x in self._vars)
        return self._extract(problem, tf_s, status, label, elapsed, self._arrays(raw, vals))

    def _arrays(
        self, raw: tuple[np.ndarray, ...], vals: dict[str, object]
    ) -> tuple[np.ndarray, ...]:
        """Scaled ``r, v, u, sigma, z`` of a solution from its variables' values ``raw``.

        Where the position was eliminated it is rebuilt by the first-order hold it
        obeys, ``r_{k+1} = r_k + dt v_k + dt^2/3 u_k + dt^2/6 u_{k+1} + g dt^2/2`` from
        ``r_0``, and the last node is the solved ``r_end`` (their sums are the one
        position row, held to the solver's feasibility tolerance).
        """
        if not self._position_eliminated:
            return raw
        r_end, v, u, sigma, z = raw
        dt = float(vals["dt"])  # type: ignore[arg-type]
        step = dt * v[:-1] + float(vals["dt2_3"]) * u[:-1] + float(vals["dt2_6"]) * u[1:]  # type: ignore[arg-type]
        step += np.asarray(vals["g_dt2_2"])
        r = np.empty_like(v)
        r[0] = np.asarray(vals["r0"])
        np.cumsum(step, axis=0, out=r[1:])
        r[1:] += r[0]
        r[-1] = r_end
        return r, v, u, sigma, z

    def _extract(
        self,
        problem: DescentProblem,
        tf_s: float,
        status: Status,
        label: str,
        elapsed: float,
        arrays: tuple[np.ndarray, ...],
        n_solves: int = 1,
    ) -> Solution:
        r, v, u, sigma, z = arrays
        time_u, acc_u = self._units(problem, tf_s)
        r = r * (acc_u * time_u**2)
        v = v * (acc_u * time_u)
        u = u * acc_u
        sigma = sigma * acc_u
        n = self.shape.n_nodes
        mass = np.exp(z)
        t = np.linspace(0.0, tf_s, n)
        miss = float(np.linalg.norm(r[-1] - problem.r_target_lf))
        return Solution(
            status=status,
            objective=label,
            t_s=t,
            r_lf=r,
            v_lf=v,
            accel_thrust_lf=u,
            thrust_n_lf=u * mass[:, None],
            mass_kg=mass,
            gamma_n=sigma * mass,
            g_lf=problem.g_lf.copy(),
            tf_s=float(tf_s),
            propellant_kg=float(problem.wet_mass_kg - mass[-1]),
            landing_error_m=miss,
            solve_time_s=elapsed,
            n_solves=n_solves,
        )


def _map_status(cv_status: str | None) -> Status:
    if cv_status == cp.OPTIMAL:
        return "optimal"
    if cv_status == cp.OPTIMAL_INACCURATE:
        return "inaccurate"
    if cv_status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        return "infeasible"
    return "error"


class SOCPCache:
    """Built problems keyed by shape, least recently used first out.

    Owned by the caller (one per guidance instance), so solves have no hidden global
    state; the cache only changes speed, never results.

    Parameters
    ----------
    max_size : int
        Number of built problems kept.
    settings : SolverSettings, optional
        Clarabel settings given to every problem built here.
    """

    def __init__(self, max_size: int = 8, settings: SolverSettings | None = None) -> None:
        self.max_size = check_integer(max_size, "max_size", 0)
        if settings is not None and not isinstance(settings, SolverSettings):
            raise TypeError(f"settings: expected a SolverSettings, got {type(settings).__name__}")
        self.settings = settings or SolverSettings()
        self._built: OrderedDict[_Shape, DescentSOCP] = OrderedDict()

    def get(self, problem: DescentProblem, mode: Mode) -> DescentSOCP:
        """The built problem for ``problem``'s shape in ``mode`` (built on first use)."""
        key = shape_of(problem, mode)
        socp = self._built.get(key)
        if socp is None:
            socp = DescentSOCP(key, self.settings)
            self._built[key] = socp
            while len(self._built) > self.max_size:
                self._built.popitem(last=False)
        else:
            self._built.move_to_end(key)
        return socp


__all__ = ["DescentSOCP", "Mode", "SOCPCache", "SolverSettings", "shape_of"]
