"""``surefoot plot RUN_DIR``: the navigation and attitude figures of a flown run."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from surefoot.cli.safety import check_output_dir, term


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="navigation error with the filter's 3-sigma, NEES/NIS, attitude and rates of a run",
    )
    p.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR",
        help="a run folder written by 'surefoot run' (or a replay setting's folder)",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: RUN_DIR)")
    p.set_defaults(func=plot_command)


def plot_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.nav_plots import is_filtered, write_navigation_figures
    from surefoot.analysis.run_folder import read_run_folder

    out = args.out if args.out is not None else args.run_dir
    run = read_run_folder(args.run_dir)
    check_output_dir(out, "--out")
    console = Console()
    if not is_filtered(run):
        why = (
            "its telemetry predates the filter's covariance columns (fly it again for them)"
            if run.scenario.fsw.nav.source == "ekf"
            else "ideal navigation, no filter"
        )
        console.print(f"{why}: attitude and rates only")
    for label, path in write_navigation_figures(run, out).items():
        console.print(f"{label:>18}: {term(path)}")
    return 0
