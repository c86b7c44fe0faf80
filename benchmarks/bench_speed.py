"""Issue 14's speed table: what a user waits for, in one table with this machine's figures.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--runs 60] [--repeats 3] [--cold]``.
Nothing is asserted. Goals (issue 14, 2-core machine): hakuto-r-m1 campaign
(full navigation) >= 20 landings/s on 2 workers, slim-pinpoint >= 8/s; warm
``surefoot run`` default under 3 s of process wall; a first landing on a
fresh install under 30 s.

Next to each landing's wall time stands the CPU time it took: on a machine
shared with other work the wall time grows with the load, the CPU time of a
landing hardly does, so the CPU seconds are the figure to compare between
two versions of the code (on an otherwise idle machine a campaign flies at
most ``workers / (CPU s a landing)`` landings/s).

Rows:

- ``surefoot run default`` as a whole process, warm cache (median of
  ``--repeats``); with ``--cold`` also with an empty kernel cache (a
  temporary ``NUMBA_CACHE_DIR``: minutes of compilation on 2 cores);
- one landing in process, ideal navigation (``default``) and full
  navigation (``hakuto-r-m1``: IMU, star tracker, rangefinder and the
  error-state filter), median of ``--repeats``;
- campaigns of ``--runs`` runs of ``default-dispersed``, ``hakuto-r-m1``,
  ``slim-pinpoint`` and ``hazard-field`` with 1 and 2 local worker
  processes: whole-campaign landings/s (draws, worker start-up, flights,
  Parquet writes) and the scaling from 1 to 2 workers.

Measured 2026-12-06 (revision 01aae10, the machine otherwise quiet; the load
average near 2 is the campaign's own two workers), ``surefoot campaign NAME
--runs N --workers 2``, whole campaign including the workers' start-up:
slim-pinpoint 7.8 and 8.0 landings/s at 200 runs, 8.9 at 1,000 (goal 8);
hakuto-r-m1 15.2 landings/s at 400 runs (goal 20: 118-122 CPU ms a landing,
where 20/s asks for about 95).

Measured again after the step loop stopped making arrays (the sensors, the
filter and the flight software's cycle: 56 arrays a cycle before, 1,011,671
a hakuto-r-m1 landing, 4,635 after; revision 62d231a, same conditions):
hakuto-r-m1 10,000 runs in 8 min 19 s of process wall, 20.3 landings/s
(flying 493.5 s), 20.9 at 2,000 runs, 17.3 and 19.3 at 400 (the workers'
start-up weighs more); slim-pinpoint 9.6 at 400; default-dispersed 71.6 at
1,000. One landing's CPU (``simulate``, best of 5, the two revisions
alternated, three rounds): hakuto-r-m1 90.1-94.2 ms against 120.2-126.2,
slim-pinpoint 190.2-196.0 against 228.0-231.3, default-dispersed 20.2-20.3
against 34.5-34.7.

The machine may be shared with other work: the load average is printed
with the table, and figures taken under load are lower than on a quiet
machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

CAMPAIGNS = ("default-dispersed", "hakuto-r-m1", "slim-pinpoint", "hazard-field")


def _process_wall(args: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "surefoot", *args], capture_output=True, text=True, env=env,
        timeout=3600,
    )
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"surefoot {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return wall


def _landing_wall(name: str, repeats: int) -> tuple[float, float, float]:
    """Median wall (s) and median CPU time (s) of one landing in process after a
    warm-up one, and its flight time (s)."""
    from surefoot.config import load_scenario
    from surefoot.sim.runner import simulate, terrain_for

    s = load_scenario(name)
    terrain = terrain_for(s)
    simulate(s, terrain=terrain, telemetry=False)  # load (or compile) the kernels
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        r = simulate(s, terrain=terrain, telemetry=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), float(r.flight_time_s[0])


def _campaign_rate(name: str, runs: int, workers: int, tmp: Path) -> tuple[float, float, str]:
    """Whole-campaign landings/s, the workers' CPU seconds per landing, and safe/done."""
    from surefoot.campaign.runner import run_campaign
    from surefoot.config.loader import load_scenario

    out = tmp / f"{name}-{workers}"
    t0 = time.perf_counter()
    r = run_campaign(load_scenario(name), runs, out, workers=workers)
    wall = time.perf_counter() - t0
    return runs / wall, r.worker_cpu_s / max(r.flown, 1), f"{r.success}/{r.done}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=60, help="runs per campaign (default 60)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="also time a run with an empty cache")
    ap.add_argument("--campaigns", default=",".join(CAMPAIGNS))
    args = ap.parse_args()
    console = Console()
    load0 = os.getloadavg()[0]

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp_s:
        tmp = Path(tmp_s)
        run_args = ["run", "default", "--out", str(tmp / "run"), "--no-figure"]
        _process_wall(run_args)  # warm the cache of this checkout
        warm = statistics.median(_process_wall(run_args) for _ in range(args.repeats))
        rows.append(("surefoot run default --no-figure, warm (process wall)",
                     f"{warm:.2f} s", "< 3 s (with the figure)"))
        fig_args = ["run", "default", "--out", str(tmp / "run-fig")]
        warm_fig = statistics.median(_process_wall(fig_args) for _ in range(args.repeats))
        rows.append(("surefoot run default, warm, with the figure", f"{warm_fig:.2f} s", "< 3 s"))
        if args.cold:
            env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba-cold"))
            cold = _process_wall(run_args, env)
            rows.append(("surefoot run default --no-figure, empty kernel cache", f"{cold:.1f} s",
                         "< 30 s"))
        for name, label in (("default", "ideal"), ("hakuto-r-m1", "full (EKF)")):
            wall, cpu, flight = _landing_wall(name, args.repeats)
            rows.append((f"one landing, {label} navigation ({name}, {flight:.0f} s of flight)",
                         f"{wall:.3f} s (CPU {cpu:.3f} s)", ""))
        goals = {"hakuto-r-m1": ">= 20/s on 2", "slim-pinpoint": ">= 8/s on 2"}
        for name in args.campaigns.split(","):
            rate = {}
            for workers in (1, 2):
                rate[workers], cpu, safe = _campaign_rate(name, args.runs, workers, tmp)
                console.print(f"{name}, {workers} worker(s): {rate[workers]:.1f} landings/s, "
                              f"{cpu:.3f} CPU s a landing (safe {safe})")
                rows.append((f"campaign {name}, {args.runs} runs, {workers} worker(s)",
                             f"{rate[workers]:.1f} landings/s ({cpu:.3f} CPU s each)",
                             goals.get(name, "") if workers == 2 else ""))
            rows.append((f"  scaling 1 -> 2 workers ({name})", f"{rate[2] / rate[1]:.2f}x", ""))

    load1 = os.getloadavg()[0]
    table = Table(
        title=f"surefoot speed (issue 14) on {platform.node()}: {os.cpu_count()} CPUs, "
              f"{platform.processor() or platform.machine()}, load average {load0:.1f} "
              f"at start, {load1:.1f} at end",
        header_style="bold",
    )
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("goal")
    for r in rows:
        table.add_row(*r)
    Console(width=max(console.width, 120)).print(table)
    console.print("Campaign figures are whole campaigns (draws, worker start-up, flights, "
                  "Parquet writes); a load average near or above the CPU count means the "
                  "figures were taken on a shared machine and are lower than on a quiet one. "
                  "CPU s each: the workers' CPU time per landing (flights only).")


if __name__ == "__main__":
    main()
