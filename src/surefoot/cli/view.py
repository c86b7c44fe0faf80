"""``surefoot view RUN_DIR``: a run in the browser, served locally or exported to one
self-contained HTML file (``--export view.html``); ``surefoot view --live SCENARIO``
flies a landing and plays it out as mission control would receive it."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from surefoot.cli.safety import check_output_dir, check_output_file, folder_name, term
from surefoot.config.loader import ConfigError

HTML_SUFFIXES = (".html", ".htm")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer 0..65535 (got {text[:40]!r})"
        ) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535 (got {port})")
    return port


def _bounded(lo: float, hi: float) -> Any:
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a number {lo:g}..{hi:g} (got {text[:40]!r})"
            ) from None
        if not (math.isfinite(v) and lo <= v <= hi):
            raise argparse.ArgumentTypeError(f"must be {lo:g}..{hi:g} (got {text[:40]})")
        return v

    return parse


def _los(text: str) -> tuple[float, float]:
    from surefoot.view.downlink import parse_los

    try:
        return parse_los(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    from surefoot.view.downlink import EARTH_MOON_LIGHT_TIME_S

    p = sub.add_parser(
        "view",
        help="a run in the browser: 3-D lander over its terrain, strip charts, events "
        "(--live: as mission control receives it)",
    )
    p.add_argument(
        "run_dir",
        type=Path,
        nargs="?",
        default=None,
        metavar="RUN_DIR",
        help="a run folder written by 'surefoot run' (or a replay setting's folder)",
    )
    p.add_argument(
        "--export",
        type=Path,
        default=None,
        metavar="FILE",
        help="write one self-contained HTML file (opens offline) instead of serving",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=8018,
        help="local port to serve on (default 8018; 0: any free port)",
    )
    live = p.add_argument_group("mission control (--live)")
    live.add_argument(
        "--live",
        metavar="SCENARIO",
        default=None,
        help="fly this scenario (built-in name or YAML file) and stream it with light time, "
        "downlink rate and loss of signal",
    )
    live.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="dotted.field=value",
        help="override a scenario field (repeatable)",
    )
    live.add_argument("--seed", type=int, default=None, help="run seed (>= 0)")
    live.add_argument(
        "--speed",
        type=_bounded(0.01, 1000.0),
        default=1.0,
        help="mission seconds per wall-clock second (default 1: real time)",
    )
    live.add_argument(
        "--light-time",
        type=_bounded(0.0, 100.0),
        default=EARTH_MOON_LIGHT_TIME_S,
        metavar="S",
        help=f"one-way light time, s (default {EARTH_MOON_LIGHT_TIME_S:.3f}, Earth-Moon)",
    )
    live.add_argument(
        "--downlink-hz",
        type=_bounded(0.01, 100.0),
        default=2.0,
        metavar="HZ",
        help="telemetry frames per second sent to the ground (default 2)",
    )
    live.add_argument(
        "--los",
        type=_los,
        action="append",
        default=[],
        metavar="START:END",
        help="loss of signal from START to END mission seconds (repeatable)",
    )
    live.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the live landing's run folder is written (default out/live-<scenario>)",
    )
    p.set_defaults(func=view_command)


def _serve(page: str, port: int, what: str, live: Any = None) -> int:
    from surefoot.view.server import make_server

    try:
        server = make_server(page, "127.0.0.1", port, live)
    except OSError as exc:
        raise ConfigError(f"--port {port}: cannot listen on it ({exc.strerror or exc})") from None
    host, bound = server.server_address[:2]
    print(f"{what} at http://{host}:{bound}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")  # Ctrl-C is the way to stop: no traceback
    finally:
        server.server_close()
    return 0


def _live_session(args: argparse.Namespace) -> Any:
    """Fly ``--live`` SCENARIO, write its run folder, and make its session."""
    from surefoot.analysis.run_folder import read_run_folder
    from surefoot.api import run
    from surefoot.cli.safety import preflight
    from surefoot.config.loader import load_scenario
    from surefoot.sim.compile_notice import compile_notice, needs_sensors
    from surefoot.view.downlink import Downlink
    from surefoot.view.live import LiveSession

    scenario = load_scenario(args.live, args.overrides, args.seed)
    out = args.out if args.out is not None else Path("out") / f"live-{folder_name(scenario.name)}"
    check_output_dir(out, "--out")
    preflight(scenario)
    print(
        f"flying {term(scenario.name)} (seed {scenario.seed}) for mission control ...", flush=True
    )
    with compile_notice(sensed=needs_sensors(scenario)):
        run(scenario).save(out, figures=False)
    link = Downlink(args.downlink_hz, args.light_time, tuple(args.los))
    return LiveSession(read_run_folder(out), link, args.speed), out


REPLAY_ORDER = ("naive", "robust", "robust-recommended")


def _compared_runs(folder: Path) -> list[Path]:
    """The run folders side by side in ``folder`` when it is not a run itself (a
    ``surefoot replay`` folder: naive, robust, robust-recommended), else []."""
    if not folder.is_dir() or (folder / "telemetry.parquet").exists():
        return []
    subs = [d for d in folder.iterdir() if d.is_dir() and (d / "telemetry.parquet").is_file()]
    rank = {n: k for k, n in enumerate(REPLAY_ORDER)}
    return sorted(subs, key=lambda d: (rank.get(d.name, len(rank)), d.name))[:4]


def view_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.run_folder import read_run_folder
    from surefoot.sim.output import atomic_write
    from surefoot.view.page import render_page, run_page

    if (args.run_dir is None) == (args.live is None):
        raise ConfigError("surefoot view: give RUN_DIR or --live SCENARIO (one of them)")
    if args.live is not None:
        if args.export is not None:
            raise ConfigError("--export: a live session streams; export a run folder instead")
        session, out = _live_session(args)
        page = render_page(session.static, "live.html")
        lt = args.light_time
        return _serve(
            page, args.port, f"mission control for {term(out)} (light time {lt:.2f} s)", session
        )
    out = None
    if args.export is not None:
        out = check_output_file(args.export, "--export", HTML_SUFFIXES)
    settings = _compared_runs(args.run_dir)
    if settings:
        from surefoot.view.data import view_data
        from surefoot.view.page import render_compare_page

        runs = [(d.name, view_data(read_run_folder(d))) for d in settings]
        page = render_compare_page(f"{args.run_dir.name}: {', '.join(n for n, _ in runs)}", runs)
    else:
        page = run_page(read_run_folder(args.run_dir))
    if out is not None:
        atomic_write(out, lambda p: p.write_text(page, encoding="utf-8"))
        size = out.stat().st_size
        print(f"view ({size / 1e6:.1f} MB, opens offline): {term(out)}")
        return 0
    return _serve(page, args.port, f"surefoot view of {term(args.run_dir)}")
