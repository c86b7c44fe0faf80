"""``surefoot campaign``: fly a Monte Carlo campaign, report on it, re-fly one run.

::

    surefoot campaign SCENARIO --runs N [--workers K] [--dask ADDRESS|local]
                      [--out DIR] [--batch-size B] [--seed S] [--set field=value]
    surefoot campaign report DIR [--out FILE]
    surefoot campaign rerun DIR RUN_INDEX [--out DIR] [--no-figure]

Rerunning a campaign command resumes it. Bad input prints one line and
exits with status 2; a batch that keeps failing exits with status 1 (the
stored results stay); Ctrl-C exits with status 130 (resume later).
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from surefoot.campaign.limits import MAX_RUNS, MAX_WORKERS
from surefoot.cli.safety import (
    check_output_dir,
    check_output_file,
    folder_name,
    preflight,
    term,
    warn,
)
from surefoot.config.base import safe_text
from surefoot.config.loader import ConfigError, load_scenario

if TYPE_CHECKING:
    from surefoot.campaign.runner import (
        Backend,
        CampaignProgress,
        CampaignResult,
        PreparedCampaign,
    )



def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``campaign`` subcommand."""
    p = sub.add_parser(
        "campaign",
        help="Monte Carlo campaign: fly N dispersed runs, 'report DIR', 'rerun DIR RUN'",
        description=(
            "Fly a Monte Carlo campaign of a scenario with dispersions (rerun the same "
            "command to resume), or 'campaign report DIR' for statistics and an HTML page, "
            "or 'campaign rerun DIR RUN_INDEX' to re-fly one run with telemetry."
        ),
    )
    p.add_argument("target", nargs="+", metavar="SCENARIO | report DIR | rerun DIR RUN_INDEX",
                   help="scenario name or YAML file; or 'report DIR'; or 'rerun DIR RUN_INDEX'")
    p.add_argument("--runs", metavar="N", help="number of runs (needed for a new campaign)")
    p.add_argument("--workers", metavar="K",
                   help="local worker processes (default: all CPUs); with --dask local, "
                        "the LocalCluster's workers")
    p.add_argument("--dask", metavar="ADDRESS|local",
                   help="fly on a Dask scheduler at ADDRESS, or on a LocalCluster ('local')")
    p.add_argument("--out", type=Path, default=None,
                   help="campaign folder (default out/campaign-<scenario>); for report: the "
                        "HTML file (default DIR/report.html); for rerun: the run folder")
    p.add_argument("--batch-size", metavar="B", help="runs per batch (default: up to 50)")
    p.add_argument("--seed", metavar="S", help="campaign seed (default: the scenario's seed)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="dotted.field=value", help="override a scenario field (repeatable)")
    p.add_argument("--no-figure", action="store_true", help="rerun: skip the descent figure")
    p.add_argument("--views", metavar="N",
                   help=f"report: re-fly the N worst runs (0-{MAX_VIEWS}) into DIR/reruns and "
                        "link a 3-D view of each from the report")
    p.set_defaults(func=campaign_command)


# re-flown worst runs a report links to (each is one landing and a ~1-5 MB page)
MAX_VIEWS = 20
# the schemes a Dask scheduler address can take that need no extra set-up here
# (tls:// needs certificates, ucx:// an extra package: neither is configured)
DASK_SCHEMES = ("tcp", "inproc", "ws")


def _check_dask_address(address: str) -> None:
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in DASK_SCHEMES:
        raise ConfigError(
            f"--dask: scheme '{safe_text(scheme, 20)}://' is not supported "
            f"(use {', '.join(s + '://' for s in DASK_SCHEMES)} or host:port, or 'local')"
        )
    host, colon, port = rest.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--dask: expected host:port with a port 1-65535 (got '{safe_text(address, 80)}')"
        )


def _check_text_path(path: Path, flag: str) -> None:
    text = str(path)
    if "\x00" in text:
        raise ConfigError(f"{flag}: the path contains a NUL character")


def _manifest_name(manifest: dict) -> str:
    scen = manifest.get("scenario")
    return str(scen.get("name", "")) if isinstance(scen, dict) else ""


def _int(value: str | None, flag: str, minimum: int | None = None) -> int | None:
    if value is None:
        return None
    try:
        v = int(value)
    except ValueError:
        raise ConfigError(
            f"{flag}: must be an integer (got {safe_text(repr(value), 40)})"
        ) from None
    if minimum is not None and v < minimum:
        raise ConfigError(f"{flag}: must be >= {minimum} (got {v})")
    return v


def _reject(args: argparse.Namespace, mode: str, allowed: tuple[str, ...]) -> None:
    flags = {
        "runs": "--runs", "workers": "--workers", "dask": "--dask", "batch_size": "--batch-size",
        "seed": "--seed", "overrides": "--set", "no_figure": "--no-figure", "out": "--out",
        "views": "--views",
    }
    for attr, flag in flags.items():
        if attr in allowed:
            continue
        v = getattr(args, attr)
        if v not in (None, False, []):
            raise ConfigError(f"{flag}: not an option of 'surefoot campaign {mode}'")


def campaign_command(args: argparse.Namespace) -> int:
    """Dispatch ``campaign SCENARIO``, ``campaign report DIR``, ``campaign rerun DIR RUN``."""
    target = args.target
    if target[0] == "report":
        if len(target) != 2:
            raise ConfigError("usage: surefoot campaign report DIR [--out FILE] [--views N]")
        _reject(args, "report", ("out", "views"))
        views = _int(args.views, "--views", 0) or 0
        if views > MAX_VIEWS:
            raise ConfigError(f"--views: at most {MAX_VIEWS} re-flown runs (got {views})")
        return report_command(Path(target[1]), args.out, views)
    if target[0] == "rerun":
        if len(target) != 3:
            raise ConfigError("usage: surefoot campaign rerun DIR RUN_INDEX [--out DIR]")
        _reject(args, "rerun", ("out", "no_figure"))
        run_index = _int(target[2], "RUN_INDEX", 0)
        return rerun_command(Path(target[1]), run_index, args.out, not args.no_figure)
    if len(target) != 1:
        raise ConfigError(
            f"campaign: expected one scenario, got {' '.join(target)!r} "
            "(or 'report DIR' / 'rerun DIR RUN_INDEX')"
        )
    if args.no_figure:
        raise ConfigError("--no-figure: an option of 'surefoot campaign rerun' only")
    if args.views is not None:
        raise ConfigError("--views: an option of 'surefoot campaign report' only")
    return fly_command(args)


def fly_command(args: argparse.Namespace) -> int:
    """Fly or resume a campaign with a progress bar."""
    from surefoot.campaign.backends import default_workers, make_backend
    from surefoot.campaign.runner import CampaignFailed, execute_campaign, prepare_campaign
    from surefoot.campaign.stats import clopper_pearson
    from surefoot.campaign.store import CampaignError, CampaignStore
    from surefoot.sim.compile_notice import compile_notice, needs_sensors

    runs = _int(args.runs, "--runs", 1)
    workers = _int(args.workers, "--workers", 1)
    batch_size = _int(args.batch_size, "--batch-size", 1)
    seed = _int(args.seed, "--seed", 0)
    if args.dask is not None and not args.dask.strip():
        raise ConfigError("--dask: give a scheduler address (host:port) or 'local'")
    if args.dask is not None and args.dask != "local" and args.workers is not None:
        raise ConfigError("--workers: the cluster at --dask ADDRESS decides its workers")
    if runs is not None and runs > MAX_RUNS:
        raise ConfigError(f"--runs: at most {MAX_RUNS} (got {runs})")
    if workers is not None and workers > MAX_WORKERS:
        raise ConfigError(f"--workers: at most {MAX_WORKERS} (got {workers})")
    if args.dask is not None and args.dask != "local":
        _check_dask_address(args.dask)
    scenario = load_scenario(args.target[0], args.overrides, None)
    out = (
        args.out if args.out is not None else Path("out") / f"campaign-{folder_name(scenario.name)}"
    )
    check_output_dir(out, "--out")
    if runs is None:
        try:
            runs = CampaignStore.open(out).runs
        except CampaignError:
            raise ConfigError("--runs: required to start a campaign") from None
    warnings = preflight(scenario, show=False)

    console = Console()
    slots = workers or default_workers()
    prepared = prepare_campaign(
        scenario, runs, out, campaign_seed=seed, batch_size=batch_size, slots=slots
    )
    warn(warnings)
    try:
        for note in prepared.notes:
            console.print(f"[yellow]note:[/] {term(note)}")
        n_inputs = len(prepared.resolved.fields)
        console.print(
            f"campaign [bold]{term(scenario.name)}[/]: {runs} runs, {n_inputs} dispersed "
            f"inputs, campaign seed {prepared.campaign_seed} -> {term(out)}"
        )
        if prepared.done_before:
            console.print(f"resuming: {prepared.done_before} runs already stored")
        if not prepared.batches:
            console.print(
                f"all {runs} runs are stored; see 'surefoot campaign report {term(out)}'"
            )
            return 0
        backend = make_backend(workers, args.dask)
        try:
            console.print(
                f"flying {prepared.pending} runs in {len(prepared.batches)} batches on "
                f"{term(backend.description)}"
            )
            # the workers compile (they fly on the serial kernel); this process only says
            # so, and knows nothing of a remote cluster's cache
            local = args.dask is None or args.dask == "local"
            # (no spinner: the progress bar is this block's live display)
            notice = compile_notice(sensed=needs_sensors(scenario), record=False, spinner=False)
            with notice if local else contextlib.nullcontext():
                result = _fly_with_progress(prepared, backend, console, execute_campaign)
        except KeyboardInterrupt:
            backend.close(abort=True)
            from surefoot.campaign.rows import result_schema

            idx, _ = prepared.store.scan(result_schema(prepared.resolved.fields))
            stored = int((idx < runs).sum())
            console.print(
                f"[yellow]interrupted[/]: {stored} of {runs} runs stored in {term(out)}; "
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
        prepared.store.close()
    lo, hi = clopper_pearson(result.success, result.done)
    console.print(
        f"done: {result.done}/{runs} runs stored, {result.success} safe "
        f"(P = {result.success / result.done:.4f}, 95% CI [{lo:.4f}, {hi:.4f}]); "
        f"flew {result.flown} in {result.elapsed_s:.1f} s = {result.rate:.1f} landings/s"
        + (f", {result.retries} batches retried" if result.retries else "")
    )
    console.print(f"report: surefoot campaign report {term(out)}")
    return 0


def _fly_with_progress(
    prepared: PreparedCampaign,
    backend: Backend,
    console: Console,
    execute: Callable[..., CampaignResult],
) -> CampaignResult:
    """Run ``execute`` with a rich progress bar: runs done, rate, ETA, running success rate."""
    columns = (
        TextColumn("[bold]landings"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[success]}"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        done0 = prepared.done_before
        ok0 = prepared.success_before
        task = bar.add_task(
            "campaign", total=prepared.target, completed=done0, rate="- landings/s",
            success=_success_text(ok0, done0),
        )

        def update(p: CampaignProgress) -> None:
            bar.update(
                task, completed=p.done, rate=f"{p.rate:.1f} landings/s",
                success=_success_text(p.success, p.done),
            )

        return execute(prepared, backend, progress=update)


def _success_text(k: int, n: int) -> str:
    return f"safe {k / n:.1%}" if n else "safe -"


def _worst_run_views(root: Path, report_path: Path, worst: list[dict], n_new: int,
                     console: Console) -> dict[int, str]:
    """Views of the worst runs for the report: re-fly the first ``n_new`` that have none
    into ``root/reruns/run-NNNNNN`` (as ``campaign rerun`` does) and write its
    ``view.html``; link every worst run that has one. Addresses relative to the report."""
    import os

    from surefoot.analysis.run_folder import read_run_folder
    from surefoot.api import Landing
    from surefoot.campaign.replay import fly_rerun, plan_rerun
    from surefoot.sim.compile_notice import compile_notice, needs_sensors
    from surefoot.sim.output import atomic_write
    from surefoot.view.page import run_page

    links: dict[int, str] = {}
    made = 0
    for row in worst:
        idx = int(row["run_index"])
        folder = Path(root) / "reruns" / f"run-{idx:06d}"
        page = folder / "view.html"
        if not page.is_file() and made < n_new:
            plan = plan_rerun(root, idx)
            console.print(f"re-flying run {idx} for its view ...")
            with compile_notice(sensed=needs_sensors(plan.scenario)):
                r = fly_rerun(plan)
            Landing(r.scenario, r.result).save(folder, figures=False)
            text = run_page(read_run_folder(folder))
            atomic_write(page, lambda p, t=text: p.write_text(t, encoding="utf-8"))
            if r.stored is not None and not r.identical:
                console.print(f"[red]run {idx} re-flew differently[/] from its stored row: "
                              f"{term(', '.join(r.mismatches))}")
            made += 1
        if page.is_file():
            rel = os.path.relpath(page.resolve(), Path(report_path).resolve().parent)
            links[idx] = Path(rel).as_posix()
    return links


def report_command(root: Path, out: Path | None, views: int = 0) -> int:
    """Statistics of a stored campaign on the terminal and as an HTML page; with ``views``,
    the worst runs re-flown and linked as 3-D views."""
    from surefoot.campaign.report import compute_stats, load_campaign, write_report
    from surefoot.campaign.stats import PERCENTILE_COLUMNS
    from surefoot.campaign.store import CampaignError

    _check_text_path(root, "DIR")
    data = load_campaign(root)
    report_path = out if out is not None else Path(root) / "report.html"
    check_output_file(report_path, "--out", (".html", ".htm"))
    if data.table.num_rows == 0:
        raise CampaignError(f"{safe_text(root)}: no runs stored yet")
    stats = compute_stats(data)
    console = Console()
    links = _worst_run_views(root, report_path, list(stats.worst), views, console)
    path = write_report(data, stats, report_path, links)
    lo, hi = stats.success_ci
    console.print(
        f"[bold]{term(_manifest_name(data.store.manifest))}[/]: {stats.n} of "
        f"{stats.runs_requested} runs; P(safe) = {stats.successes}/{stats.n} = "
        f"{stats.success_probability:.4f}, 95% Clopper-Pearson [{lo:.4f}, {hi:.4f}]"
    )
    console.print(
        "outcomes: " + ", ".join(f"{term(k)} {v}" for k, v in stats.outcome_counts.items())
    )
    t = Table(title="touchdown figures", header_style="bold")
    for h in ("quantity", "p1", "p5", "p50", "p95", "p99", "max"):
        t.add_column(h, justify="right" if h != "quantity" else "left")
    for col, label, unit in PERCENTILE_COLUMNS[:4]:
        p = stats.percentiles[col]
        t.add_row(f"{label} ({unit})",
                  *(_num(p[k]) for k in ("p1", "p5", "p50", "p95", "p99", "max")))
    console.print(t)
    if stats.failure_drivers:
        d = Table(title="drivers of failure (point-biserial r, permutation p)",
                  header_style="bold")
        for h in ("input", "r", "p"):
            d.add_column(h, justify="right" if h != "input" else "left")
        for drv in stats.failure_drivers[:5]:
            d.add_row(term(drv.input), _num(drv.r), _num(drv.p_value))
        console.print(d)
    w = Table(title="worst runs", header_style="bold")
    for h in ("run", "outcome", "class", "reason"):
        w.add_column(h)
    for row in stats.worst[:5]:
        w.add_row(str(row["run_index"]), term(row["outcome"]),
                  term(row.get("failure_class") or "-"), term(row["failure_reason"] or "-"))
    console.print(w)
    console.print(f"report: {term(path)}")
    return 0


def _num(v: float) -> str:
    return "-" if not math.isfinite(v) else f"{v:.3g}"


def rerun_command(root: Path, run_index: int, out: Path | None, figure: bool) -> int:
    """Re-fly one run with telemetry and compare it with its stored row."""
    from surefoot.analysis.descent_report import print_summary
    from surefoot.api import Landing
    from surefoot.campaign.replay import fly_rerun, plan_rerun
    from surefoot.sim.compile_notice import compile_notice, needs_sensors

    _check_text_path(root, "DIR")
    folder = out if out is not None else Path(root) / "reruns" / f"run-{run_index:06d}"
    check_output_dir(folder, "--out")
    plan = plan_rerun(root, run_index)  # the folder and the index, before any notice
    console = Console()
    console.print(f"re-flying run {run_index} of {term(root)} ...")
    with compile_notice(sensed=needs_sensors(plan.scenario)):
        r = fly_rerun(plan)
    landing = Landing(r.scenario, r.result)
    paths = landing.save(folder, figures=figure)
    print_summary({**landing.summary, "scenario": term(landing.summary["scenario"])},
                  r.scenario.touchdown.model_dump(), console)
    for label, path in paths.items():
        console.print(f"{label:>13}: {term(path)}")
    if r.stored is None:
        console.print(f"run {run_index} is not stored yet: nothing to compare with")
        return 0
    if r.identical:
        newer = [c for c in r.row if c not in r.compared]
        note = f"; the folder predates {', '.join(newer)}, not compared" if newer else ""
        console.print(
            f"[green]identical[/] to the stored row (every stored column, {len(r.compared)}"
            f"{term(note)})"
        )
        return 0
    console.print(
        f"[red]differs[/] from the stored row in: {term(', '.join(r.mismatches))} "
        "(has the code changed since the campaign flew?)"
    )
    return 1
