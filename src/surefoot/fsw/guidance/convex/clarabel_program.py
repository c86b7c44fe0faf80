"""cvxpy's compiled conic program of one descent SOCP, solved by Clarabel directly.

Split from ``socp.py`` by responsibility: ``socp.py`` states the formulation
(``DescentSOCP``, the cvxpy problem, the one definition of the constraints);
this module only replays the arithmetic cvxpy does to hand that problem to
Clarabel (parameter vector, reduced tensor, cone dimensions, variable
offsets), read from cvxpy's own compiled data, so it follows any change to
the formulation without being edited. ``tests/fsw/test_socp_direct.py``
compares its data and solutions with cvxpy's; ``tests/fsw/test_cvxpy_internals.py``
pins the cvxpy internals it reads.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from cvxpy.lin_ops import lin_op as lo
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones
from cvxpy.reductions.solvers.conic_solvers.conic_solver import ConicSolver

from surefoot.fsw.guidance.convex.problem import Status

if TYPE_CHECKING:
    from surefoot.fsw.guidance.convex.socp import DescentSOCP

_CLARABEL_STATUS: dict[str, Status] = {
    # as cvxpy's CLARABEL.STATUS_MAP followed by _map_status; anything else (max
    # iterations, max time, numerical error, insufficient progress, dual infeasible) is
    # an error
    "Solved": "optimal",
    "AlmostSolved": "inaccurate",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible",
}


class DirectProgram:
    """cvxpy's compiled conic program of one :class:`DescentSOCP`, solved without cvxpy.

    Built once from ``problem.get_problem_data(cp.CLARABEL)``: its ``ParamConeProg``
    holds a sparse tensor ``T`` (``reduced_A``) with one row per structural non-zero
    of the solver data ``[A | b]`` (CSC order, ``-A`` of cvxpy's ``A x + s = b`` is what
    Clarabel gets) and one column per parameter-vector entry, and a tensor for ``q``.
    A solve is then: parameter vector ``p`` (each parameter flattened in column-major
    order at its column, 1 at the constant column), ``T @ p`` for the CSC data array of
    ``A`` (sparsity fixed by the structure, so explicit zeros stay) and ``b``, Clarabel,
    and the variables cut out of ``x`` at ``var_id_to_col`` (column-major again).
    """

    def __init__(self, socp: DescentSOCP, vals: dict[str, object]) -> None:
        for name, par in socp._p.items():
            par.value = vals[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            data, _, _ = socp.problem.get_problem_data(
                cp.CLARABEL, canon_backend=cp.SCIPY_CANON_BACKEND
            )
        prog = data[cp.settings.PARAM_PROB]
        if prog.P is not None or prog.lb_tensor is not None or prog.ub_tensor is not None:
            raise RuntimeError("descent SOCP: expected a linear objective and no bounds")

        # parameter vector layout
        name_of = {par.id: name for name, par in socp._p.items()}
        self._slots: list[tuple[str, int, int, bool]] = []
        self._const_col = -1
        for pid, col in prog.param_id_to_col.items():
            if pid == lo.CONSTANT_ID:
                self._const_col = int(col)
            else:
                name = name_of[pid]
                matrix = len(socp._p[name].shape) > 1
                self._slots.append((name, int(col), int(prog.param_id_to_size[pid]), matrix))
        self._n_pvec = int(prog.total_param_size) + 1

        # [A | b] = T @ p on the fixed sparsity; the A rows negated in T (exact)
        prog.reduced_A.cache()
        indices, indptr, (m, n_cols) = prog.reduced_A.problem_data_index
        n = int(prog.x.size)
        if n_cols != n + 1:  # pragma: no cover - cvxpy layout changed
            raise RuntimeError("unexpected cvxpy problem-data layout")
        nnz_a = int(indptr[n])
        tensor = sp.csr_array(prog.reduced_A.reduced_mat)
        sign = np.ones(tensor.shape[0])
        sign[:nnz_a] = -1.0
        self._tensor = sp.csr_array(sp.diags_array(sign) @ tensor)
        self._nnz_a = nnz_a
        self._a_indices = np.asarray(indices[:nnz_a])
        self._a_indptr = np.asarray(indptr[: n + 1])
        self._b_rows = np.asarray(indices[nnz_a:])
        self._m, self._n = int(m), n
        self._q_tensor = sp.csr_array(prog.q)[:n]  # row n is the objective offset
        self._P = sp.csc_array((n, n))
        self._cones = dims_to_solver_cones(data[ConicSolver.DIMS])

        settings = clarabel.DefaultSettings()
        settings.verbose = False
        for key, value in socp.settings.clarabel_options().items():
            setattr(settings, key, value)
        self._settings = settings
        self._solver: clarabel.DefaultSolver | None = None
        self._sent: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # its q, A, b

        self._vars: list[tuple[int, int, tuple[int, ...]]] = []
        for var in socp._vars:
            if var.id not in prog.var_id_to_col:  # pragma: no cover - cvxpy changed
                raise RuntimeError(f"variable {var.name()} not in cvxpy's program")
            self._vars.append((int(prog.var_id_to_col[var.id]), int(var.size), var.shape))

    def parameter_vector(self, vals: dict[str, object]) -> np.ndarray:
        """cvxpy's parameter vector of the values ``vals`` (by parameter name)."""
        p = np.zeros(self._n_pvec)
        for name, col, size, matrix in self._slots:
            value = vals[name]
            # column-major flattening matters only for the matrix parameters
            p[col : col + size] = np.ravel(value, order="F") if matrix else value  # type: ignore[assignment]
        if self._const_col >= 0:
            p[self._const_col] = 1.0
        if np.isnan(p).any():  # cvxpy refuses NaN parameter values too
            bad = [n for n, col, size, _ in self._slots if np.isnan(p[col : col + size]).any()]
            raise ValueError(f"parameter value is NaN: {', '.join(bad)}")
        return p

    def data(self, vals: dict[str, object]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Clarabel's ``q``, the CSC data array of ``A``, and ``b`` for ``vals``."""
        p = self.parameter_vector(vals)
        ab = self._tensor @ p
        b = np.zeros(self._m)
        b[self._b_rows] = ab[self._nnz_a :]
        q = self._q_tensor @ p
        return q, ab[: self._nnz_a], b

    def matrix(self, a_data: np.ndarray) -> sp.csc_array:
        """``A`` with the data array ``a_data`` on the fixed sparsity."""
        return sp.csc_array((a_data, self._a_indices, self._a_indptr), shape=(self._m, self._n))

    def solve(self, vals: dict[str, object], warm: bool) -> tuple[Status, np.ndarray | None]:
        """Status and primal solution ``x`` (``None`` when infeasible or failed)."""
        q, a_data, b = self.data(vals)
        solver = self._solver if warm else None
        sent = self._sent
        self._solver = None
        self._sent = None
        try:
            if solver is not None and sent is not None and solver.is_data_update_allowed():
                try:
                    self._update(solver, sent, (q, a_data, b))
                except Exception:  # as cvxpy: a refused update builds a new solver
                    solver = None
            else:
                solver = None
            if solver is None:
                solver = clarabel.DefaultSolver(
                    self._P, q, self.matrix(a_data), b, self._cones, self._settings
                )
            sol = solver.solve()
        except Exception:  # Clarabel refused the data (for example infinities)
            return "error", None
        self._solver = solver
        self._sent = (q, a_data, b)
        status = _CLARABEL_STATUS.get(str(sol.status), "error")
        if status in ("infeasible", "error"):
            return status, None
        return status, np.asarray(sol.x, dtype=np.float64)

    @staticmethod
    def _update(
        solver: clarabel.DefaultSolver,
        sent: tuple[np.ndarray, np.ndarray, np.ndarray],
        new: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """Hand ``solver`` the new ``q``, ``A`` data array and ``b``; of each, only the
        entries that differ from the ones it holds (``sent``) when they are few.

        Clarabel copies and rescales a full array, after converting it from Python
        element by element (0.16 ms for the 3,000 entries of ``A`` at 50 nodes); given
        ``(indices, values)`` it converts only those but finds each one's row and column
        anew (0.04 ms for the ~300 that change between solves of one shape: time step,
        mass and thrust terms; 0.95 ms if all 3,000 did). Hence the cut-over at a sixth.
        """
        parts = []
        for x, y in zip(new, sent, strict=True):
            idx = np.flatnonzero(x != y)
            parts.append((idx, x[idx]) if 6 * idx.size <= x.size else x)
        solver.update(q=parts[0], A=parts[1], b=parts[2])

    def split(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """The values of ``r, v, u, sigma, z`` in the primal solution ``x``."""
        return tuple(
            x[col : col + size].reshape(shape, order="F") for col, size, shape in self._vars
        )
