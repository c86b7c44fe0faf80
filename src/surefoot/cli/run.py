"""``surefoot run`` and ``surefoot scenarios``."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from rich.console import Console

from surefoot.cli.safety import check_flyable, check_output_dir, folder_name, preflight, term
from surefoot.config.loader import builtin_scenarios, load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="fly one landing and write telemetry, summary and figure")
    p.add_argument("scenario", nargs="?", default=None,
                   help="built-in scenario name or YAML file (default: 'default')")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: out/<scenario name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="dotted.field=value", help="override a scenario field (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="run seed (>= 0)")
    p.add_argument("--no-figure", action="store_true", help="skip the PNG figure")
    p.add_argument("--check", action="store_true",
                   help="validate the scenario (its plug-in imports, its DEM file loads) and "
                        "--out, print any warnings, do not fly")
    p.set_defaults(func=run_command)

    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.set_defaults(func=scenarios_command)

    w = sub.add_parser("warmup", help="compile the flight kernels into the cache now "
                       "(the first landing then takes seconds)")
    w.add_argument("--batch", action="store_true",
                   help="also the multi-threaded kernel that large batches use")
    w.set_defaults(func=warmup_command)


def run_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.descent_report import print_summary
    from surefoot.api import run
    from surefoot.sim.compile_notice import compile_notice, needs_sensors

    scenario = load_scenario(args.scenario, args.overrides, args.seed)
    out = args.out if args.out is not None else Path("out") / folder_name(scenario.name)
    check_output_dir(out, "--out")
    check_flyable(scenario)  # --check says "valid" only for what run would fly
    preflight(scenario)
    console = Console()
    if args.check:
        console.print(f"[bold]{term(scenario.name)}[/] (seed {scenario.seed}): valid; "
                      f"output folder {term(out)} usable")
        return 0
    console.print(f"flying [bold]{term(scenario.name)}[/] (seed {scenario.seed}) ...")
    with compile_notice(sensed=needs_sensors(scenario)):
        landing = run(scenario)
    paths = landing.save(out, figures=not args.no_figure)
    print_summary({**landing.summary, "scenario": term(landing.summary["scenario"])},
                  scenario.touchdown.model_dump(), console)
    for label, path in paths.items():
        console.print(f"{label:>13}: {term(path)}")
    return 0


def scenarios_command(args: argparse.Namespace) -> int:
    for name, path in builtin_scenarios().items():
        data = yaml.safe_load(path.read_text()) or {}
        desc = " ".join(str(data.get("description", "")).split())
        if len(desc) > 90:
            desc = desc[:87] + "..."
        print(f"{name:<20} {desc}")
    return 0


def warmup_command(args: argparse.Namespace) -> int:
    """Fly short landings (ideal and filter navigation), a hazard scan, and with
    --batch a batch of each, to fill the cache."""
    import time

    import numba
    import numpy as np

    from surefoot.sensors.hazard_lidar import HazardLidarParams, scan
    from surefoot.sim.compile_notice import compile_notice, kernels_cached
    from surefoot.sim.runner import simulate

    console = Console()
    approach = ["initial.altitude_m=3000", "initial.uprange_km=20"]
    short = load_scenario(None, approach)
    # the same approach flown on the filter: the kernel that samples the sensors
    sensed = load_scenario(None, [*approach, "fsw.nav.source=ekf"])
    t0 = time.perf_counter()
    with compile_notice(sensed=False):
        terrain = simulate(short, telemetry=False).terrain
        down = np.array([0.0, 1.0, 0.0, 0.0])  # boresight to ENU -z
        scan(terrain, np.array([0.0, 0.0, 500.0]), down, HazardLidarParams(rows=8, cols=8), 0, 0)
    with compile_notice(sensed=True):
        simulate(sensed, telemetry=False)
    if args.batch:
        threads = numba.get_num_threads()
        for kind, one in ((False, short), (True, sensed)):
            if threads > 1 and not kernels_cached(parallel=True, sensed=kind):
                # the batch step runs multi-threaded from 4 landers per thread (sim.runner)
                seeds = [one.model_copy(update={"seed": k}) for k in range(4 * threads)]
                with compile_notice(parallel=True, sensed=kind):
                    simulate(seeds, telemetry=False)
    console.print(f"flight kernels ready ({time.perf_counter() - t0:.1f} s)")
    return 0
