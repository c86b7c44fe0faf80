"""``surefoot replay NAME``: a mission flown with naive and with robust rejection."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from surefoot.cli.safety import check_output_dir, folder_name, preflight, term
from surefoot.config.loader import load_scenario

REPLAYS = (
    "hakuto-r-m1",
    "resilience-m2",
    "im-1",
    "apollo-11",
    "slim",
    "beresheet",
    "chandrayaan-2",
    "blue-ghost-m1",
    "im-2",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="fly a real mission's scenario with naive and robust "
        "measurement rejection side by side",
    )
    p.add_argument("name", help=f"replay scenario ({', '.join(REPLAYS)}) or any EKF scenario")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/replay-NAME)"
    )
    p.add_argument("--seed", type=int, default=None, help="run seed (>= 0)")
    p.set_defaults(func=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.flown_figures import ZERO_HEIGHT_ALTITUDE, print_flown
    from surefoot.analysis.replay_report import print_comparison, zero_height_crossing
    from surefoot.api import check_replayable, replay
    from surefoot.sim.compile_notice import compile_notice, needs_sensors

    base = load_scenario(args.name, [], args.seed)
    check_replayable(base)  # before the preflight's warnings
    out = args.out if args.out is not None else Path("out") / f"replay-{folder_name(base.name)}"
    check_output_dir(out, "--out")
    preflight(base)
    console = Console()
    console.print(f"replaying [bold]{term(base.name)}[/] ...")
    with compile_notice(sensed=needs_sensors(base)):
        r = replay(base)
    tels = r.telemetry_rows()
    print_comparison(term(r.name), r.summaries, tels, console)
    with_crossing = {
        m: {**s, ZERO_HEIGHT_ALTITUDE: zero_height_crossing(tels[m])[1]}
        for m, s in r.summaries.items()
    }
    print_flown(r.name, with_crossing, console)
    paths = r.save(out)
    for label, path in paths.items():
        console.print(f"{label:>15}: {term(path)}")
    return 0
