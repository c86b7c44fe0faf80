"""The direct Clarabel path of DescentSOCP.solve against cvxpy's own problem.solve.

``DescentSOCP.solve`` forms Clarabel's data from cvxpy's compiled parametrised program
and calls Clarabel itself; ``DescentSOCP.solve_cvxpy`` goes through ``problem.solve``.
Both must hand Clarabel the same problem and read back the same answer, in every mode,
warm and cold, including the failure statuses.
"""

from __future__ import annotations

import dataclasses
import math

import cvxpy as cp
import numpy as np
import pytest

from surefoot.config.guidance_problem import load_guidance_problem
from surefoot.fsw.guidance.convex.gfold import solve_free_time
from surefoot.fsw.guidance.convex.problem import DescentProblem, Solution
from surefoot.fsw.guidance.convex.socp import DescentSOCP, SolverSettings, shape_of

MODES = ("min_fuel", "min_landing_error", "min_fuel_within")
EXACT = SolverSettings(lazy_path_cones=False)
"""The direct path of the very problem cvxpy solves (no lean first solve): the same data
and, to round-off, the same answer. The lean path is compared in test_socp_lean.py."""


def base_problem(name: str, n_nodes: int) -> DescentProblem:
    p = DescentProblem.from_config(load_guidance_problem(name))
    return dataclasses.replace(p, n_nodes=n_nodes)


def dispersed(p: DescentProblem, n: int, seed: int) -> list[DescentProblem]:
    rng = np.random.default_rng(seed)
    return [
        p.with_state(
            p.r0_lf + rng.normal(0.0, 100.0, 3),
            p.v0_lf + rng.normal(0.0, 3.0, 3),
            p.wet_mass_kg + rng.normal(0.0, 5.0),
        )
        for _ in range(n)
    ]


@pytest.fixture(scope="module", params=["lunar_high_gate", "mars_acikmese_ploen_2007"])
def case(request: pytest.FixtureRequest) -> tuple[DescentProblem, float]:
    """A problem (30 nodes; the lunar one with a rate-limited pointing cone) and its tf."""
    p = base_problem(request.param, 30)
    if request.param == "lunar_high_gate":
        p = dataclasses.replace(p, vertical_rate_rad_s=math.radians(4.0))
    return p, solve_free_time(p).tf_s


def assert_same(
    a: Solution,
    b: Solution,
    rel: float = 1e-9,
    atol: float = 1e-7,
    names: tuple[str, ...] = ("t_s", "r_lf", "v_lf", "accel_thrust_lf", "mass_kg", "gamma_n"),
) -> None:
    assert a.status == b.status
    assert a.objective == b.objective
    if a.status in ("infeasible", "error"):
        assert a.r_lf.size == b.r_lf.size == 0
        return
    # rel of the final mass: the objective is its logarithm
    assert a.propellant_kg == pytest.approx(b.propellant_kg, abs=max(rel * a.mass_kg[-1], 1e-9))
    assert a.landing_error_m == pytest.approx(b.landing_error_m, rel=rel, abs=atol)
    for name in names:
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=rel, atol=atol, err_msg=name
        )


@pytest.mark.parametrize("mode", MODES)
def test_direct_data_equals_cvxpy_problem_data(
    case: tuple[DescentProblem, float], mode: str
) -> None:
    """q, A (data array on the same sparsity) and b equal cvxpy's get_problem_data."""
    p, tf = case
    socp = DescentSOCP(shape_of(p, mode), EXACT)  # type: ignore[arg-type]
    socp.solve(p, tf, 40.0)  # compiles the direct program
    assert socp._direct is not None
    for q_prob in dispersed(p, 2, 1):
        vals = socp._values(q_prob, 0.97 * tf, 25.0)
        q, a_data, b = socp._direct.data(vals)
        socp.set_values(q_prob, 0.97 * tf, 25.0)
        data, _, _ = socp.problem.get_problem_data(
            cp.CLARABEL, canon_backend=cp.SCIPY_CANON_BACKEND
        )
        a_ref = data[cp.settings.A]
        a = socp._direct.matrix(a_data)
        np.testing.assert_array_equal(a.indptr, a_ref.indptr)
        np.testing.assert_array_equal(a.indices, a_ref.indices)
        np.testing.assert_allclose(a.data, a_ref.data, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(b, data[cp.settings.B], rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(q, data[cp.settings.C], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("warm", [True, False])
def test_direct_solve_equals_cvxpy_solve(
    case: tuple[DescentProblem, float], mode: str, warm: bool
) -> None:
    """Same statuses and trajectories over dispersed states and times of flight."""
    p, tf = case
    direct = DescentSOCP(shape_of(p, mode), EXACT)  # type: ignore[arg-type]
    via = DescentSOCP(shape_of(p, mode), EXACT)  # type: ignore[arg-type]
    n_ok = 0
    for i, q in enumerate(dispersed(p, 4, 2)):
        tf_i = tf * (0.95, 1.0, 1.05, 1.1)[i]
        a = direct.solve(q, tf_i, 30.0, warm=warm)
        b = via.solve_cvxpy(q, tf_i, 30.0, warm=warm)
        if warm:  # same data; the direct path updates only changed entries, so the
            # equilibration scale factors multiply in another order: round-off apart
            # (up to 12 mm of a 2 km descent seen, 0.8 mm/s, and 0.09 N of 2.6 kN at a
            # thrust switch: the optimum is flat along the trajectory; the propellant,
            # the objective, agrees to 1e-7)
            assert_same(a, b, rel=1e-7, atol=5e-2, names=("t_s", "r_lf"))
        else:
            assert_same(a, b)
        n_ok += a.status == "optimal"
    assert n_ok >= 2  # the comparison is not only of failures


def test_direct_statuses_equal_cvxpy() -> None:
    """Infeasible, iteration cap and time limit map to the same statuses as via cvxpy."""
    p = base_problem("lunar_high_gate", 20)
    for settings, tf, expect in (
        (EXACT, 10.0, "infeasible"),  # far too short to stop
        (SolverSettings(max_iter=2, lazy_path_cones=False), 60.0, "error"),
        (SolverSettings(time_limit_s=1e-9, lazy_path_cones=False), 60.0, "error"),
    ):
        direct = DescentSOCP(shape_of(p, "min_fuel"), settings)
        via = DescentSOCP(shape_of(p, "min_fuel"), settings)
        a = direct.solve(p, tf, warm=False)
        b = via.solve_cvxpy(p, tf, warm=False)
        assert a.status == b.status == expect
        assert a.r_lf.size == 0


def test_warm_re_uses_the_solver_and_recovers_after_a_failure() -> None:
    """A warm solve updates the same Clarabel object; after an infeasible solve the
    next warm solve still equals a cold one."""
    p = base_problem("lunar_high_gate", 25)
    socp = DescentSOCP(shape_of(p, "min_fuel"), EXACT)
    socp.solve(p, 62.0)
    assert socp._direct is not None
    first = socp._direct._solver
    socp.solve(p, 61.0, warm=True)
    assert socp._direct._solver is first
    assert socp.solve(p, 10.0, warm=True).status == "infeasible"
    warm = socp.solve(p, 63.0, warm=True)
    cold = DescentSOCP(shape_of(p, "min_fuel"), EXACT).solve(p, 63.0, warm=False)
    assert warm.status == cold.status == "optimal"
    assert warm.propellant_kg == pytest.approx(cold.propellant_kg, rel=1e-7)


def test_nan_values_raise_like_cvxpy() -> None:
    p = base_problem("lunar_high_gate", 10)
    socp = DescentSOCP(shape_of(p, "min_fuel"))
    socp.solve(p, 60.0)
    with pytest.raises(ValueError):
        socp.solve(p, math.nan)
    with pytest.raises(ValueError):
        socp.solve_cvxpy(p, math.nan)
