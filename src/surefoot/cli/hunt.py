"""``surefoot hunt``: search a scenario's dispersions for the conditions that break a landing.

::

    surefoot hunt SCENARIO --budget N [--method subset|cross-entropy|cmaes] [--workers K]
                  [--dask ADDRESS|local] [--seed S] [--out DIR] [--level-size N]
                  [--generation-size N] [--nav-height-limit F] [--set field=value]
    surefoot hunt report DIR [--out FILE]
    surefoot hunt rerun DIR RUN_INDEX [--out DIR] [--no-figure]

``subset`` estimates P(failure) with a 95 % interval by subset simulation;
``cross-entropy`` and ``cmaes`` search toward the worst margin. All store their
runs as a campaign does (rerunning the command resumes) and end with the worst
cases and the command that re-flies each. Bad input prints one line and
exits 2; Ctrl-C exits 130 (resume later).
"""

from __future__ import annotations

import argparse
import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from surefoot.cli.campaign import MAX_WORKERS, _check_dask_address, _int, rerun_command
from surefoot.cli.safety import check_output_dir, folder_name, preflight, term, warn
from surefoot.config.base import safe_text
from surefoot.config.loader import ConfigError, load_scenario

if TYPE_CHECKING:
    from surefoot.campaign.hunt.driver import HuntOutcome


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``hunt`` subcommand."""
    p = sub.add_parser(
        "hunt",
        help=(
            "failure hunting: P(failure) by subset simulation, worst cases by "
            "cross-entropy or CMA-ES"
        ),
        description=(
            "Search a scenario's dispersions for the conditions that break a landing: "
            "'--method subset' estimates P(failure) with a 95%% interval from far fewer runs "
            "than plain Monte Carlo, '--method cross-entropy' and '--method cmaes' search "
            "toward the worst margin. Rerun the same command to resume; 'hunt report DIR' "
            "writes an HTML page; 'hunt rerun DIR RUN_INDEX' re-flies one run with telemetry."
        ),
    )
    p.add_argument(
        "target",
        nargs="+",
        metavar="SCENARIO | rerun DIR RUN_INDEX",
        help="scenario name or YAML file (with dispersions); or 'rerun DIR RUN_INDEX'",
    )
    p.add_argument("--budget", metavar="N", help="most runs to fly (needed for a new hunt)")
    p.add_argument(
        "--method",
        default=None,
        metavar="subset|cross-entropy|cmaes",
        help="subset (default): P(failure) with an interval; cross-entropy, cmaes: worst cases",
    )
    p.add_argument("--workers", metavar="K", help="local worker processes (default: all CPUs)")
    p.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="fly on a Dask scheduler at ADDRESS, or on a LocalCluster ('local')",
    )
    p.add_argument("--seed", metavar="S", help="hunt seed (default: the scenario's seed)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="hunt folder (default out/hunt-<scenario>); for rerun: the run folder",
    )
    p.add_argument(
        "--level-size",
        metavar="N",
        help="subset: samples per level, a multiple of 10 (default 200)",
    )
    p.add_argument(
        "--generation-size",
        metavar="N",
        help="cross-entropy, cmaes: runs per generation (default 100 and 20)",
    )
    p.add_argument(
        "--nav-height-limit",
        metavar="F",
        help=(
            "add the navigation's height gap to the margin: a run whose navigated height "
            "strayed from the true one by more than F times the true height (floor 50 m) "
            "counts as failed (e.g. 0.5)"
        ),
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="dotted.field=value",
        help="override a scenario field (repeatable)",
    )
    p.add_argument("--no-figure", action="store_true", help="rerun: skip the descent figure")
    p.set_defaults(func=hunt_command)


_FLAGS = {
    "budget": "--budget",
    "method": "--method",
    "workers": "--workers",
    "dask": "--dask",
    "seed": "--seed",
    "level_size": "--level-size",
    "generation_size": "--generation-size",
    "nav_height_limit": "--nav-height-limit",
    "overrides": "--set",
    "no_figure": "--no-figure",
    "out": "--out",
}


def _reject(args: argparse.Namespace, mode: str, allowed: tuple[str, ...]) -> None:
    for attr, flag in _FLAGS.items():
        if attr not in allowed and getattr(args, attr) not in (None, False, []):
            raise ConfigError(f"{flag}: not an option of 'surefoot hunt {mode}'")


def hunt_command(args: argparse.Namespace) -> int:
    """Dispatch ``hunt SCENARIO`` and ``hunt rerun DIR RUN``."""
    target = args.target
    if target[0] == "report":
        if len(target) != 2:
            raise ConfigError("usage: surefoot hunt report DIR [--out FILE]")
        _reject(args, "report", ("out",))
        return report_command(Path(target[1]), args.out)
    if target[0] == "rerun":
        if len(target) != 3:
            raise ConfigError("usage: surefoot hunt rerun DIR RUN_INDEX [--out DIR]")
        _reject(args, "rerun", ("out", "no_figure"))
        run_index = _int(target[2], "RUN_INDEX", 0)
        if "\x00" in target[1]:
            raise ConfigError("DIR: the path contains a NUL character")
        return rerun_command(Path(target[1]), run_index, args.out, not args.no_figure)
    if len(target) != 1:
        raise ConfigError(
            f"hunt: expected one scenario, got {safe_text(' '.join(target), 80)!r} "
            "(or 'report DIR' / 'rerun DIR RUN_INDEX')"
        )
    if args.no_figure:
        raise ConfigError("--no-figure: an option of 'surefoot hunt rerun' only")
    return fly_command(args)


def _float(value: str | None, flag: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except ValueError:
        raise ConfigError(f"{flag}: must be a number (got {safe_text(repr(value), 40)})") from None
    if not math.isfinite(v) or v <= 0.0:
        raise ConfigError(f"{flag}: must be a finite number > 0 (got {safe_text(value, 40)})")
    return v


def settings_from(args: argparse.Namespace, default_seed: int, stored_budget: int | None):
    """The :class:`HuntSettings` of the command line (one-line errors naming the flag)."""
    from surefoot.campaign.hunt.driver import HuntSettings

    method = args.method if args.method is not None else "subset"
    if method == "subset" and args.generation_size is not None:
        raise ConfigError("--generation-size: an option of --method cross-entropy or cmaes")
    if method != "subset" and args.level_size is not None:
        raise ConfigError("--level-size: an option of --method subset")
    budget = _int(args.budget, "--budget", 1)
    if budget is None:
        if stored_budget is None:
            raise ConfigError("--budget: required to start a hunt")
        budget = stored_budget
    seed = _int(args.seed, "--seed", 0)
    defaults = HuntSettings()
    level = _int(args.level_size, "--level-size", 1)
    generation = _int(args.generation_size, "--generation-size", 2)
    settings = HuntSettings(
        method=method,
        budget=budget,
        seed=default_seed if seed is None else seed,
        level_size=defaults.level_size if level is None else level,
        generation_size=generation,
        nav_height_limit=_float(args.nav_height_limit, "--nav-height-limit"),
    )
    settings.check()
    return settings


def fly_command(args: argparse.Namespace) -> int:
    """Run or resume a hunt with a progress bar, then print what it found."""
    from surefoot.campaign.backends import make_backend
    from surefoot.campaign.hunt.driver import METHODS, HuntProgress, execute_hunt, open_hunt
    from surefoot.campaign.runner import CampaignFailed
    from surefoot.campaign.store import CampaignError, CampaignStore
    from surefoot.sim.compile_notice import compile_notice, needs_sensors

    workers = _int(args.workers, "--workers", 1)
    if workers is not None and workers > MAX_WORKERS:
        raise ConfigError(f"--workers: at most {MAX_WORKERS} (got {workers})")
    if args.dask is not None and not args.dask.strip():
        raise ConfigError("--dask: give a scheduler address (host:port) or 'local'")
    if args.dask is not None and args.dask != "local":
        if args.workers is not None:
            raise ConfigError("--workers: the cluster at --dask ADDRESS decides its workers")
        _check_dask_address(args.dask)
    if args.method is not None and args.method not in METHODS:
        raise ConfigError(
            f"--method: must be one of {', '.join(METHODS)} "
            f"(got {safe_text(repr(args.method), 40)})"
        )
    # the numeric flags first: a bad flag is named before the scenario is read
    for attr, least in (("budget", 1), ("seed", 0), ("level_size", 1), ("generation_size", 2)):
        _int(getattr(args, attr), _FLAGS[attr], least)
    _float(args.nav_height_limit, "--nav-height-limit")
    scenario = load_scenario(args.target[0], args.overrides, None)
    out = args.out if args.out is not None else Path("out") / f"hunt-{folder_name(scenario.name)}"
    check_output_dir(out, "--out")
    stored_budget = None
    if args.budget is None:
        try:
            stored_budget = CampaignStore.open(out).runs
        except CampaignError:
            stored_budget = None
    settings = settings_from(args, scenario.seed, stored_budget)
    warnings = preflight(scenario, show=False)
    store, resolved = open_hunt(scenario, settings, out)
    warn(warnings)
    console = Console()
    try:
        n_stored = len(store.part_files())
        console.print(
            f"hunt [bold]{term(scenario.name)}[/] ({settings.method}): budget {settings.budget} "
            f"runs, {len(resolved.fields)} dispersed inputs, seed {settings.seed} -> {term(out)}"
        )
        if n_stored:
            console.print("resuming: the runs already stored are read back, not flown")
        backend = make_backend(workers, args.dask)
        try:
            columns = (
                TextColumn("[bold]runs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[stage]}"),
            )
            with Progress(*columns, console=console) as bar:
                task = bar.add_task("hunt", total=settings.budget, stage="")

                def update(p: HuntProgress) -> None:
                    bar.update(task, completed=min(p.runs, p.budget), stage=term(p.stage))

                local = args.dask is None or args.dask == "local"
                notice = compile_notice(sensed=needs_sensors(scenario), record=False)
                with notice if local else contextlib.nullcontext():
                    outcome = execute_hunt(
                        scenario, settings, store, resolved, backend, progress=update
                    )
                bar.update(
                    task,
                    completed=outcome.summary["runs"],
                    stage="done",
                )
        except KeyboardInterrupt:
            backend.close(abort=True)
            console.print(
                f"[yellow]interrupted[/]: the runs flown so far are stored in {term(out)}; "
                "run the same command to resume"
            )
            return 130
        except CampaignFailed as exc:
            backend.close(abort=True)
            Console(stderr=True).print(f"surefoot: error: {exc}", markup=False, soft_wrap=True)
            return 1
        except BaseException:
            backend.close(abort=True)
            raise
        backend.close()
    finally:
        store.close()
    print_outcome(outcome, console)
    return 0


def _g(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.3g}"


def print_outcome(outcome: HuntOutcome, console: Console) -> None:
    """The estimate or the search's result, and the worst cases with their commands."""
    s = outcome.summary
    t = outcome.tally
    console.print(
        f"{s['runs']} runs ({t.flown} flown now, {t.stored} read back); "
        f"{s['failures_found']} failures found"
        + (
            f" (margin with the navigation height gap: {s['failed_landings']} failed landings)"
            if "failed_landings" in s
            else ""
        )
    )
    est = s.get("estimate")
    if est is not None:
        lo, hi = est["interval_95"]
        what = "P(failure)" if est["complete"] else f"P({est['event']}) (budget spent first)"
        console.print(
            f"{what} = {_g(est['probability'])}, 95% interval [{_g(lo)}, {_g(hi)}] "
            f"(subset simulation, {len(est['levels'])} levels); plain Monte Carlo needs "
            f"~{_g(est['plain_monte_carlo_runs_to_see_one_failure'])} runs to see one failure "
            f"and ~{_g(est['plain_monte_carlo_runs_for_same_cov'])} for the same precision"
        )
    search = s.get("search")
    if search is not None:
        console.print(
            f"worst margin {_g(search['worst_margin'])} at run {search['worst_run']} "
            f"({s['settings']['method']}, {len(search['generations'])} generations)"
        )
    w = Table(title="worst cases (margin < 0: failed)", header_style="bold")
    for h in ("run", "margin", "limit", "outcome", "reason"):
        w.add_column(h)
    worst = s["worst_cases"][:5]
    for c in worst:
        w.add_row(
            str(c["run_index"]),
            _g(c["margin"]),
            term(c["limiting"]),
            term(c["outcome"]),
            term(c["failure_reason"] or "-"),
        )
    console.print(w)
    for c in worst:
        console.print(f"re-fly run {c['run_index']}: {term(c['command'])}", soft_wrap=True)
    console.print(f"summary: {term(outcome.root / 'hunt.json')}")


def report_command(root: Path, out: Path | None) -> int:
    """The hunt's findings on the terminal and as an offline HTML page."""
    from surefoot.campaign.hunt.report import load_hunt, write_report
    from surefoot.cli.safety import check_output_file

    if "\x00" in str(root):
        raise ConfigError("DIR: the path contains a NUL character")
    data = load_hunt(root)
    path = out if out is not None else Path(root) / "report.html"
    check_output_file(path, "--out", (".html", ".htm"))
    write_report(data, path)
    console = Console()
    s = data.summary
    est = s.get("estimate")
    if est is not None:
        lo, hi = est["interval_95"]
        console.print(
            f"P(failure) = {_g(est['probability'])}, 95% interval [{_g(lo)}, {_g(hi)}] "
            f"from {s['runs']} runs"
        )
    console.print(
        f"{s['failures_found']} failing runs; worst margin "
        f"{_g(s['worst_cases'][0]['margin']) if s['worst_cases'] else '-'}"
    )
    console.print(f"report: {term(path)}")
    return 0
