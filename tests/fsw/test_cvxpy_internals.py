"""The cvxpy internals the direct Clarabel path reads, checked by name, so that a cvxpy
release that moves them fails here with a message that says what to do, and the
declared version bound that keeps the installed cvxpy inside what was verified.

``surefoot.fsw.guidance.convex.clarabel_program.DirectProgram`` forms Clarabel's data from
cvxpy's parametrised conic program (``ParamConeProg``); ``test_socp_direct.py``
checks that the data and answers equal cvxpy's own ``problem.solve``.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import cvxpy as cp
import numpy as np
from packaging.requirements import Requirement

ADVICE = (
    "cvxpy {v} changed an internal that the direct Clarabel path of the convex guidance "
    "reads (src/surefoot/fsw/guidance/convex/clarabel_program.py, DirectProgram): {what}. Adapt "
    "DirectProgram or keep cvxpy below this release in pyproject.toml."
)


def _requirement(name: str) -> Requirement:
    root = Path(__file__).resolve().parents[2]
    deps = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    return next(Requirement(d) for d in deps if Requirement(d).name == name)


def test_cvxpy_is_pinned_below_an_unverified_release_and_the_installed_one_is_inside() -> None:
    req = _requirement("cvxpy")
    assert any(s.operator == "<" for s in req.specifier), "cvxpy needs an upper bound"
    assert req.specifier.contains(version("cvxpy")), (req, version("cvxpy"))


def test_the_param_cone_prog_still_has_what_the_direct_path_reads() -> None:
    from cvxpy.lin_ops import lin_op
    from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones
    from cvxpy.reductions.solvers.conic_solvers.conic_solver import ConicSolver

    v = version("cvxpy")
    x = cp.Variable(3)
    p = cp.Parameter(3)
    problem = cp.Problem(cp.Minimize(p @ x), [cp.norm(x) <= 1.0, x[0] >= -0.5])
    p.value = np.array([1.0, 2.0, 3.0])
    data, _, _ = problem.get_problem_data(cp.CLARABEL, canon_backend=cp.SCIPY_CANON_BACKEND)
    prog = data[cp.settings.PARAM_PROB]
    for attr in ("P", "q", "x", "reduced_A", "param_id_to_col", "param_id_to_size",
                 "total_param_size", "lb_tensor", "ub_tensor"):
        assert hasattr(prog, attr), ADVICE.format(v=v, what=f"ParamConeProg.{attr}")
    assert lin_op.CONSTANT_ID in prog.param_id_to_col, ADVICE.format(
        v=v, what="the constant column lin_op.CONSTANT_ID")
    prog.reduced_A.cache()
    for attr in ("problem_data_index", "reduced_mat"):
        assert hasattr(prog.reduced_A, attr), ADVICE.format(v=v, what=f"reduced_A.{attr}")
    indices, indptr, (m, n_cols) = prog.reduced_A.problem_data_index
    assert n_cols == prog.x.size + 1, ADVICE.format(v=v, what="the [A | b] column layout")
    assert prog.reduced_A.reduced_mat.shape[0] == len(indices), ADVICE.format(
        v=v, what="one tensor row per structural non-zero")
    cones = dims_to_solver_cones(data[ConicSolver.DIMS])
    assert len(cones) >= 2, ADVICE.format(v=v, what="dims_to_solver_cones")
