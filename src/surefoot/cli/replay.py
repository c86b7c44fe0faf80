"""``surefoot replay NAME``: a mission flown with naive and with robust rejection."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from surefoot.config.loader import ConfigError, load_scenario

REPLAYS = ("hakuto-r-m1", "resilience-m2", "im-1")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="fly a real mission's scenario with naive and robust "
                       "measurement rejection side by side")
    p.add_argument("name", help=f"replay scenario ({', '.join(REPLAYS)}) or any EKF scenario")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: out/replay-NAME)")
    p.add_argument("--seed", type=int, default=None, help="run seed (>= 0)")
    p.set_defaults(func=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.replay_report import MODES, print_comparison, replay_figure
    from surefoot.sim.compile_notice import compile_notice
    from surefoot.sim.runner import simulate

    base = load_scenario(args.name, [], args.seed)
    if base.fsw.nav.source != "ekf":
        raise ConfigError(f"{args.name}: fsw.nav.source must be 'ekf' for a replay "
                          "(rejection logic needs the navigation filter)")
    scenarios = [load_scenario(args.name, [f"fsw.nav.rejection={m}"], args.seed) for m in MODES]
    console = Console()
    console.print(f"replaying [bold]{base.name}[/] with naive and robust rejection ...")
    with compile_notice():
        result = simulate(scenarios)
    assert result.telemetry is not None
    summaries = {m: result.summary(i) for i, m in enumerate(MODES)}
    tels = {m: result.telemetry[i] for i, m in enumerate(MODES)}
    print_comparison(base.name, summaries, tels, console)
    out = args.out if args.out is not None else Path("out") / f"replay-{base.name}"
    path = replay_figure(base.name, tels, out / "replay.png")
    console.print(f"figure: {path}")
    return 0
