"""``surefoot guidance solve PROBLEM.yaml [--json] [--plot FILE]``: convex powered descent.

PROBLEM is a YAML problem file (see ``surefoot.config.guidance_problem``) or the name of
a built-in example (``mars_acikmese_ploen_2007``, ``lunar_high_gate``). Exit status 0
when a trajectory was found, 1 when the problem is infeasible or the solver failed, 2 on
bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surefoot.cli.safety import FIGURE_SUFFIXES, check_output_file
from surefoot.config.base import safe_text
from surefoot.config.guidance_problem import (
    GuidanceProblemConfig,
    builtin_guidance_problems,
    guidance_problem_from_dict,
    load_guidance_problem,
)
from surefoot.config.loader import ConfigError

if TYPE_CHECKING:  # the solver imports cvxpy (seconds): only when a problem is solved
    from surefoot.fsw.guidance.convex.problem import DescentProblem, Solution


def register(subparsers: Any) -> None:
    """Add the ``guidance`` command and its ``solve`` subcommand."""
    p = subparsers.add_parser(
        "guidance",
        help="convex (G-FOLD) powered-descent guidance",
        description="Fuel-optimal powered-descent guidance by lossless convexification.",
    )
    p.set_defaults(func=lambda _args: _print_help(p))
    sub = p.add_subparsers(dest="guidance_command")
    s = sub.add_parser(
        "solve",
        help="solve a guidance problem file",
        description="Solve PROBLEM.yaml (or a built-in example: "
        + ", ".join(builtin_guidance_problems())
        + ") and print propellant, time of flight, landing error, solve time and status.",
    )
    s.add_argument("problem", metavar="PROBLEM.yaml", help="problem file or built-in name")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--plot", metavar="FILE", help="write a PNG of the trajectory")
    s.add_argument(
        "--objective",
        choices=["min_fuel", "min_landing_error", "two_stage"],
        help="override solver.objective",
    )
    s.add_argument("--nodes", type=int, help="override solver.nodes")
    s.add_argument("--tf", type=float, metavar="SECONDS", help="fix the time of flight (s)")
    s.set_defaults(func=handler)


def _print_help(parser: argparse.ArgumentParser) -> int:
    print(f"surefoot: error: {parser.prog}: a subcommand is required (solve; see "
          f"'{parser.prog} --help')", file=sys.stderr)
    return 2


def _with_overrides(cfg: GuidanceProblemConfig, args: argparse.Namespace) -> GuidanceProblemConfig:
    solver: dict[str, Any] = {}
    if getattr(args, "objective", None) is not None:
        solver["objective"] = args.objective
    if getattr(args, "nodes", None) is not None:
        solver["nodes"] = args.nodes
    if getattr(args, "tf", None) is not None:
        solver["time_of_flight_s"] = args.tf
    if not solver:
        return cfg
    data = cfg.model_dump()
    data["solver"].update(solver)
    return guidance_problem_from_dict(data)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def summary(cfg: GuidanceProblemConfig, sol: Solution) -> dict[str, Any]:
    """The printed figures as a JSON-ready mapping (NaN becomes null)."""
    return {
        "problem": cfg.name,
        "objective": cfg.solver.objective,
        "nodes": cfg.solver.nodes,
        "status": sol.status,
        "propellant_kg": _finite(sol.propellant_kg),
        "time_of_flight_s": _finite(sol.tf_s),
        "landing_error_m": _finite(sol.landing_error_m),
        "solve_time_s": _finite(sol.solve_time_s),
        "n_solves": sol.n_solves,
    }


def handler(args: argparse.Namespace) -> int:
    """Run ``guidance solve``; returns the exit status."""
    if args.plot:
        check_output_file(Path(args.plot), "--plot", FIGURE_SUFFIXES)
    from surefoot.fsw.guidance.convex.gfold import SearchSettings, solve
    from surefoot.fsw.guidance.convex.problem import DescentProblem

    cfg = _with_overrides(load_guidance_problem(args.problem), args)
    if not cfg.name:
        cfg = cfg.model_copy(update={"name": Path(args.problem).stem})
    problem = DescentProblem.from_config(cfg)
    search = SearchSettings(n_grid=cfg.solver.grid_points, tf_tol_s=cfg.solver.tf_tolerance_s)
    sol = solve(problem, cfg.solver.objective, cfg.solver.time_of_flight_s, search=search)
    out = summary(cfg, sol)
    if args.json:
        print(json.dumps(out))
    else:
        _print_table(out)
    if args.plot:
        if sol.ok:
            plot_solution(problem, sol, Path(args.plot), title=cfg.name)
        else:
            print(f"surefoot: no trajectory to plot (status {sol.status})", file=sys.stderr)
    return 0 if sol.ok else 1


def _print_table(out: dict[str, Any]) -> None:
    def num(x: float | None, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    rows = [
        ("problem", f"{out['problem']} ({out['objective']}, {out['nodes']} nodes)"),
        ("status", out["status"]),
        ("propellant used", f"{num(out['propellant_kg'], '.2f')} kg"),
        ("time of flight", f"{num(out['time_of_flight_s'], '.2f')} s"),
        ("landing error", f"{num(out['landing_error_m'], '.3f')} m"),
        ("solve time", f"{num(out['solve_time_s'], '.3f')} s ({out['n_solves']} conic solves)"),
    ]
    for key, val in rows:
        print(f"{key:<16} {val}")


def plot_solution(problem: DescentProblem, sol: Solution, path: Path, title: str = "") -> None:
    """Write a four-panel PNG: path in the vertical plane, thrust, speed and mass."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    up = problem.up_lf
    horiz = problem.horizontal_basis_lf
    rel = sol.r_lf - problem.r_target_lf
    alt = rel @ up
    downrange = np.linalg.norm(rel @ horiz.T, axis=1)
    t_fine = np.linspace(0.0, sol.tf_s, 400)
    r_f, v_f, _ = sol.sample(t_fine)
    rel_f = r_f - problem.r_target_lf

    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    a = ax[0, 0]
    a.plot(np.linalg.norm(rel_f @ horiz.T, axis=1), rel_f @ up, "-", lw=1.2)
    a.plot(downrange, alt, ".", ms=4, label="nodes")
    if problem.glide_slope_rad > 0.0:
        xs = np.array([0.0, max(float(downrange.max()), 1.0)])
        a.plot(xs, xs * math.tan(problem.glide_slope_rad), "k--", lw=0.8, label="glide slope")
    a.set_xlabel("horizontal distance to target (m)")
    a.set_ylabel("height above target (m)")
    a.legend(loc="best", fontsize=8)
    a = ax[0, 1]
    a.plot(sol.t_s, np.linalg.norm(sol.thrust_n_lf, axis=1), ".-", label="|T|")
    a.plot(sol.t_s, sol.gamma_n, "--", label="Gamma (slack)")
    a.axhline(problem.thrust_min_n, color="k", lw=0.8, ls=":")
    a.axhline(problem.thrust_max_n, color="k", lw=0.8, ls=":")
    a.set_xlabel("time (s)")
    a.set_ylabel("thrust (N)")
    a.legend(loc="best", fontsize=8)
    a = ax[1, 0]
    a.plot(t_fine, np.linalg.norm(v_f, axis=1))
    a.set_xlabel("time (s)")
    a.set_ylabel("speed (m/s)")
    a = ax[1, 1]
    a.plot(sol.t_s, sol.mass_kg)
    a.set_xlabel("time (s)")
    a.set_ylabel("mass (kg)")
    title = title.replace("$", r"\$")  # a name is text, not mathtext
    fig.suptitle(
        f"{title}: {sol.propellant_kg:.1f} kg in {sol.tf_s:.1f} s, "
        f"landing error {sol.landing_error_m:.2f} m ({sol.status})"
    )
    fig.tight_layout()
    from surefoot.sim.output import atomic_write

    fmt = path.suffix.lower().lstrip(".") or "png"
    try:
        # through a new file renamed into place: a planted symlink is replaced, not followed
        atomic_write(path, lambda p: fig.savefig(p, dpi=110, format=fmt))
    except OSError as exc:
        raise ConfigError(
            f"--plot '{safe_text(path)}': cannot write ({exc.strerror or exc})"
        ) from None
    finally:
        plt.close(fig)
