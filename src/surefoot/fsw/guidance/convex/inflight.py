"""Convex guidance in flight: answer the flight software's solve requests.

The compiled flight-software step raises ``REQ_CONVEX_SOLVE`` when the
approach starts, at every re-solve period and when the target moves
(:func:`surefoot.fsw.guidance.phases.convex_sequencing`). Between two simulation
steps the simulator hands each request to :func:`answer_request`, which reads
only flight-software rows (navigation estimate, its own state and
configuration) and writes the new plan into the state row's trajectory table
(:mod:`surefoot.fsw.guidance.convex.table`).

The problem is posed in guidance coordinates (downrange and crossrange arc
lengths and height relative to the target, :func:`guidance_coordinates`),
from the estimated state to the low gate, with constant gravity at the
target's radius. Centripetal and Coriolis terms (about 4e-4 m/s^2 at approach
speeds) are left to the tracking controller, like the plan's other model
errors. Requests:

- first solve and re-target: the configured objective with the free final
  time searched (G-FOLD two-stage by default, so an out-of-reach target still
  gets the closest reachable point);
- periodic re-solve: minimum fuel in the time the current plan has left (one
  conic solve). A fuel-optimal plan ends on a maximum-thrust arc, so metres of
  tracking error can make that problem infeasible within the plan's thrust cap
  (``max_thrust_fraction``). When the tracking controller's correction for the
  current error fits in the thrust the cap leaves and a plan exists at the
  engine's full thrust in the same time, the current plan is kept (the
  controller flies it with that margin, ``keep_recoverable_plan``) instead of
  searching a longer time of flight, which cost up to 1.8 kg in dispersed runs.
  Otherwise the full search, warm-started (like a re-target) from the time the
  plan has left.

With ``turn_rate_fraction`` set, the plan's thrust direction also turns no faster
than that share of the slew limit between any two of its nodes (rate cones,
:mod:`~surefoot.fsw.guidance.convex.rate_cone`): each solve keeps the plan without
them when it already turns slowly enough, and otherwise references, on a re-plan, the
plan being flown (``with_plan_reference``), on a first solve that rate-free plan.

Every problem starts from the thrust axis the lander has (its attitude
estimate, body +z) and lets the plan's thrust direction turn away from it no
faster than ``slew_rate_fraction`` of the attitude control's slew limit (a cone
per node, :class:`DescentProblem` ``slew_rate_rad_s``), so the vehicle can fly
the first seconds of the plan it is given. While a plan flies, the guidance
cycle writes the rate at which its thrust direction turns (``CV_RATE``) and
the steering feeds it forward (``rate_feedforward``,
:func:`surefoot.fsw.control.attitude.steering_torque_feedforward`): without it
the proportional attitude loop lags a 6 deg/s turn by ~7 deg, which cost
0.1 kg of the 0.2 kg lost against the plan in ``default-convex``.

A request that fails (infeasible, solver error, more conic solves than
``max_conic_solves``, or past the optional wall-time budget) switches the
lander to polynomial guidance for the rest of the descent and is logged.

Why the Clarabel solver object is not data-updated between solves: a
data-update re-solve differs from a fresh factorisation in the ninth digit,
which would make a landing depend on which landers solved before it in the
same process and break bit-for-bit replay of a run alone and inside a batch.
The compiled parametrised problem (the expensive part, see the benchmark) is
kept and re-used; each solve factorises afresh.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from surefoot.config.convex_guidance import ConvexGuidanceConfig
from surefoot.fsw.guidance.convex.gfold import SearchSettings, solve
from surefoot.fsw.guidance.convex.problem import DescentProblem, Solution
from surefoot.fsw.guidance.convex.socp import DescentSOCP, Mode, SOCPCache
from surefoot.fsw.guidance.convex.table import (
    CV_FF_ON,
    CV_MISS,
    CV_MODE,
    CV_N,
    CV_N_CONIC,
    CV_N_FAIL,
    CV_N_OK,
    CV_NEXT_T,
    CV_NODE,
    CV_PENDING,
    CV_PROP_PLAN,
    CV_RETARGET,
    CV_T0,
    CV_TABLE,
    CV_TARGET,
    CV_TF,
    CV_WALL,
    CVM_ACTIVE,
    CVM_FALLBACK,
    CVM_WAITING,
    plan_reference,
    write_plan,
)
from surefoot.fsw.guidance.coordinates import (
    curvilinear,
    guidance_coordinates,
)
from surefoot.fsw.interfaces import NAV_Q, NAV_R, NAV_T
from surefoot.fsw.layout import (
    FP_CVX_KP,
    FP_CVX_KV,
    FP_DRY_MASS,
    FP_GM,
    FP_ISP,
    FP_LG,
    FP_MAX_SLEW,
    FP_MAX_THRUST,
    FP_MIN_THROTTLE,
    FP_RADIUS,
    FP_TARGET_H,
    FS_CONVEX,
    FS_MPROP,
    FS_TARGET,
    G0_M_S2,
    N_FS_CONVEX,
)
from surefoot.math.quaternion import quat_rotate


class BudgetExceeded(RuntimeError):
    """A request needed more compute than its budget."""


class _BudgetedSOCP:
    def __init__(self, socp: DescentSOCP, owner: _BudgetedCache) -> None:
        self._socp = socp
        self._owner = owner

    def solve(
        self,
        problem: DescentProblem,
        tf_s: float,
        miss_max_m: float = 0.0,
        warm: bool = True,
        objective: str | None = None,
    ) -> Solution:
        self._owner.charge()
        return self._socp.solve(problem, tf_s, miss_max_m, warm=False, objective=objective)


class _BudgetedCache:
    """A :class:`SOCPCache` front that counts conic solves against a budget."""

    def __init__(self, cache: SOCPCache, max_solves: int, deadline: float) -> None:
        self._cache = cache
        self.max_solves = max_solves
        self.deadline = deadline
        self.n = 0

    def charge(self) -> None:
        if self.n >= self.max_solves:
            raise BudgetExceeded(f"more than {self.max_solves} conic solves")
        if time.perf_counter() > self.deadline:
            raise BudgetExceeded("past the wall-time budget")
        self.n += 1

    def get(self, problem: DescentProblem, mode: Mode) -> _BudgetedSOCP:
        return _BudgetedSOCP(self._cache.get(problem, mode), self)


@dataclass(frozen=True)
class RequestOutcome:
    """What one request did: its log line, and the plan when it succeeded."""

    ok: bool
    event: str
    solution: Solution | None
    problem: DescentProblem | None
    conic_solves: int


def thrust_axis_guidance(nav: np.ndarray, fs: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """The lander's thrust axis (body +z, from its attitude estimate) in guidance
    coordinates: components along the local downrange, crossrange and up axes at the
    lander, the axes its plan's thrust acceleration is expressed in."""
    z_enu = quat_rotate(nav[NAV_Q : NAV_Q + 4], np.array([0.0, 0.0, 1.0]))
    r = nav[NAV_R : NAV_R + 3] - np.array(
        [fs[FS_TARGET], fs[FS_TARGET + 1], fp[FP_TARGET_H] + fs[FS_TARGET + 2]]
    )
    _, _, d_loc, c_loc, up_loc, _ = curvilinear(fp, r, np.zeros(3))
    return np.array([z_enu @ d_loc, z_enu @ c_loc, z_enu @ up_loc])


def descent_problem(
    nav: np.ndarray, fs: np.ndarray, fp: np.ndarray, cfg: ConvexGuidanceConfig
) -> DescentProblem:
    """The flight software's descent problem from its own estimate to the low gate.

    Guidance coordinates (downrange, crossrange, up relative to the target, m);
    design vehicle values from the configuration row; mass from the flight
    software's propellant count; the first thrust direction tied to the thrust
    axis the lander has (its attitude estimate) and turning at most at
    ``slew_rate_fraction`` of the attitude control's slew limit. Raises
    ``ValueError`` when no problem can be posed (for example no propellant above
    the reserve).
    """
    pos, vel, _ = guidance_coordinates(nav, fs, fp)
    g = fp[FP_GM] / (fp[FP_RADIUS] + fp[FP_TARGET_H]) ** 2
    dry = fp[FP_DRY_MASS]
    wet = dry + max(fs[FS_MPROP], 0.0)
    floor = dry + cfg.reserve_propellant_kg
    if wet <= floor:
        raise ValueError(
            f"propellant {wet - dry:.1f} kg is not above the reserve {cfg.reserve_propellant_kg} kg"
        )
    t_max = fp[FP_MAX_THRUST]
    return DescentProblem(
        g_lf=np.array([0.0, 0.0, -g]),
        wet_mass_kg=wet,
        dry_mass_kg=floor,
        thrust_min_n=(fp[FP_MIN_THROTTLE] + cfg.min_thrust_margin) * t_max,
        thrust_max_n=cfg.max_thrust_fraction * t_max,
        alpha_s_m=1.0 / (fp[FP_ISP] * G0_M_S2),
        r0_lf=pos,
        v0_lf=vel,
        r_target_lf=fp[FP_LG : FP_LG + 3].copy(),
        v_target_lf=fp[FP_LG + 3 : FP_LG + 6].copy(),
        glide_slope_rad=math.radians(cfg.glide_slope_deg),
        max_tilt_rad=math.radians(cfg.max_tilt_deg),
        n_nodes=cfg.nodes,
        vertical_rate_rad_s=math.inf
        if cfg.vertical_rate_deg_s is None
        else math.radians(cfg.vertical_rate_deg_s),
        thrust_axis0_lf=None
        if cfg.slew_rate_fraction is None
        else thrust_axis_guidance(nav, fs, fp),
        slew_rate_rad_s=math.inf
        if cfg.slew_rate_fraction is None
        else cfg.slew_rate_fraction * fp[FP_MAX_SLEW],
        thrust_axis_tol_rad=math.radians(cfg.thrust_axis_tolerance_deg),
        turn_rate_rad_s=math.inf
        if cfg.turn_rate_fraction is None
        else cfg.turn_rate_fraction * fp[FP_MAX_SLEW],
    )


def with_plan_reference(problem: DescentProblem, cv: np.ndarray, t: float) -> DescentProblem:
    """``problem`` (starting at flight-software time ``t``) with the thrust directions of
    the plan in the table ``cv`` as the reference of its turn-rate cones, shifted to the
    new start; unchanged without a turn-rate bound or a plan of at least two nodes."""
    n = int(cv[CV_N])
    if not problem.turn_limited or n < 2 or not cv[CV_TF] > 0.0:
        return problem
    rec = cv[CV_TABLE : CV_TABLE + n * CV_NODE].reshape(n, CV_NODE)
    acc = rec[:, 6:9]
    if not np.all(np.linalg.norm(acc, axis=1) > 0.0):
        return problem
    times = cv[CV_T0] + np.linspace(0.0, cv[CV_TF], n) - t
    return dataclasses.replace(problem, turn_reference_t_s=times, turn_reference_lf=acc.copy())


def _within_margin(
    nav: np.ndarray, fs: np.ndarray, fp: np.ndarray, cfg: ConvexGuidanceConfig, mass_kg: float
) -> bool:
    """True when the tracking controller's correction for the current error from the
    plan fits in the thrust the plan leaves unused: ``|kp e_r + kv e_v|`` (the
    feedback acceleration, guidance coordinates) at most ``(1 - max_thrust_fraction)``
    of the full thrust acceleration."""
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    r_ref, v_ref, _ = plan_reference(cv, float(nav[NAV_T]))
    pos, vel, _ = guidance_coordinates(nav, fs, fp)
    feedback = fp[FP_CVX_KP] * (r_ref - pos) + fp[FP_CVX_KV] * (v_ref - vel)
    margin = (1.0 - cfg.max_thrust_fraction) * fp[FP_MAX_THRUST] / mass_kg
    return float(np.linalg.norm(feedback)) <= margin


def _horizontal_miss(p: DescentProblem, s: Solution) -> float:
    d = s.r_lf[-1] - p.r_target_lf
    return float(math.hypot(d[0], d[1]))


def answer_request(
    nav: np.ndarray,
    fs: np.ndarray,
    fp: np.ndarray,
    cfg: ConvexGuidanceConfig,
    cache: SOCPCache,
) -> RequestOutcome:
    """Answer one convex-guidance request of one lander, updating its state row ``fs``.

    ``nav`` is the navigation row the request was raised with (its time is the
    plan's start), ``fp`` the configuration row.
    """
    cv = fs[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    t = float(nav[NAV_T])
    first = int(cv[CV_MODE]) == CVM_WAITING
    moved = cv[CV_RETARGET] != 0.0 or not np.array_equal(
        cv[CV_TARGET : CV_TARGET + 3], fs[FS_TARGET : FS_TARGET + 3]
    )
    reason = "first solve" if first else ("re-target" if moved else "re-solve")
    wall0 = time.perf_counter()
    deadline = wall0 + cfg.time_budget_s if cfg.time_budget_s is not None else math.inf
    budget = _BudgetedCache(cache, cfg.max_conic_solves, deadline)
    # warm start: a re-target or a failed re-solve searches from the current plan's time
    left = cv[CV_T0] + cv[CV_TF] - t
    search = SearchSettings(tf_guess_s=None if first or left <= 0.0 else float(left))
    problem: DescentProblem | None = None
    sol: Solution | None = None
    why = ""
    keep = False
    try:
        problem = descent_problem(nav, fs, fp, cfg)
        if not first:  # re-plans keep turning the way the plan being flown does
            problem = with_plan_reference(problem, cv, t)
        if first or moved:
            sol = solve(problem, cfg.objective, None, budget, search)  # type: ignore[arg-type]
        else:
            sol = solve(problem, "min_fuel", left, budget)  # type: ignore[arg-type]
            if (
                not sol.ok
                and cfg.keep_recoverable_plan
                and _within_margin(nav, fs, fp, cfg, problem.wet_mass_kg)
            ):
                full = dataclasses.replace(problem, thrust_max_n=float(fp[FP_MAX_THRUST]))
                keep = solve(full, "min_fuel", left, budget).ok  # type: ignore[arg-type]
            if not sol.ok and not keep:
                sol = solve(problem, cfg.objective, None, budget, search)  # type: ignore[arg-type]
        if not sol.ok and not keep:
            why = sol.status
    except BudgetExceeded as exc:
        why = f"budget: {exc}"
    except ValueError as exc:
        why = str(exc)
    wall = time.perf_counter() - wall0
    cv[CV_PENDING] = 0.0
    cv[CV_WALL] = wall
    cv[CV_N_CONIC] += budget.n
    if sol is not None and sol.ok and not why and problem is not None:
        miss = _horizontal_miss(problem, sol)
        write_plan(
            cv, t, sol.tf_s, -float(problem.g_lf[2]), sol.r_lf, sol.v_lf, sol.accel_thrust_lf
        )
        cv[CV_MODE] = CVM_ACTIVE
        cv[CV_FF_ON] = 1.0 if cfg.rate_feedforward else 0.0
        cv[CV_NEXT_T] = t + cfg.resolve_period_s
        cv[CV_TARGET : CV_TARGET + 3] = fs[FS_TARGET : FS_TARGET + 3]
        cv[CV_RETARGET] = 0.0
        cv[CV_PROP_PLAN] = sol.propellant_kg
        cv[CV_MISS] = miss
        cv[CV_N_OK] += 1
        event = (
            f"t={t:.2f} s convex {reason}: {sol.status}, time of flight {sol.tf_s:.1f} s, "
            f"propellant {sol.propellant_kg:.1f} kg, miss {miss:.1f} m, {budget.n} conic solves"
        )
        return RequestOutcome(True, event, sol, problem, budget.n)
    if keep and not why:
        cv[CV_NEXT_T] = t + cfg.resolve_period_s
        event = (
            f"t={t:.2f} s convex re-solve: no plan within the thrust margin in the "
            f"{left:.1f} s left, but one at full thrust: current plan kept, "
            f"{budget.n} conic solves"
        )
        return RequestOutcome(True, event, None, problem, budget.n)
    cv[CV_MODE] = CVM_FALLBACK
    cv[CV_N_FAIL] += 1
    event = f"t={t:.2f} s convex {reason} failed ({why}): polynomial guidance from here"
    return RequestOutcome(False, event, None, problem, budget.n)


__all__ = [
    "BudgetExceeded",
    "RequestOutcome",
    "answer_request",
    "descent_problem",
    "thrust_axis_guidance",
    "with_plan_reference",
]
