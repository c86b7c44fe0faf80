"""What a user waits for: whole-process wall of ``surefoot run``, warm and cold, and its parts.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeats 5] [--cold]``.
Prints a table with this machine's figures; nothing is asserted. Goals
(issue 14): a warm ``surefoot run`` (default, figure included) under 3 s of
process wall time; a first landing on a fresh install under 30 s, announced.

Rows:

- ``surefoot run`` whole process (start to exit), warm cache, with and
  without the figure, and ``surefoot --help`` (start-up alone);
- with ``--cold``: the same run with an empty Numba cache (a fresh install;
  minutes on 2 cores), and whether it printed the compile notice;
- in one process: imports of the CLI and of the simulator, the landing,
  the descent figure;
- one hazard-lidar scan of ``slim-pinpoint`` (16,384 beams x 7 sub-rays),
  serial and spread over the Numba threads.

The machine may be shared: every whole-process figure is the median of
``--repeats`` runs, taken in turn with the others.
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

SUREFOOT = [sys.executable, "-m", "surefoot"]


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return wall, p.stderr


def _in_process_parts() -> dict[str, float]:
    """Import, landing and figure times in a fresh interpreter (imports are per process)."""
    code = r"""
import json, sys, time, tempfile
from pathlib import Path
t0 = time.perf_counter()
import surefoot.cli
surefoot.cli.build_parser()
t1 = time.perf_counter()
from surefoot.sim.runner import simulate
from surefoot.sim.output import write_run
t2 = time.perf_counter()
from surefoot.analysis.descent_report import descent_figure
t3 = time.perf_counter()
from surefoot.config import load_scenario
r = simulate(load_scenario("default"))
t4 = time.perf_counter()
out = Path(tempfile.mkdtemp())
write_run(r, out)
t5 = time.perf_counter()
descent_figure(r.telemetry[0], r.terrain, r.summary(0), out / "descent.png")
t6 = time.perf_counter()
heavy = [m for m in ("cvxpy", "dask", "distributed", "matplotlib.pyplot") if m in sys.modules]
print(json.dumps({"cli": t1 - t0, "sim": t2 - t1, "figure_import": t3 - t2,
                  "landing": t4 - t3, "write": t5 - t4, "figure": t6 - t5,
                  "heavy": ",".join(heavy) or "none"}))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=3600, check=True)
    import json

    return json.loads(p.stdout.strip().splitlines()[-1])


def _scan_times(repeats: int) -> tuple[float, float, int]:
    import numba
    import numpy as np

    from surefoot.config import load_scenario
    from surefoot.sensors.hazard_lidar import HazardLidarParams, scan
    from surefoot.sim.runner import terrain_for

    s = load_scenario("slim-pinpoint")
    grids = terrain_for(s)
    params = HazardLidarParams.from_config(s.sensors.hazard_lidar)
    r = np.array([0.0, 0.0, 200.0 + float(grids.height(0.0, 0.0))])
    q = np.array([0.0, 1.0, 0.0, 0.0])  # boresight straight down
    for parallel in (False, True):
        scan(grids, r, q, params, 1, 1, parallel=parallel)  # compile or load
    walls: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(repeats):
        for parallel in (False, True):
            t0 = time.perf_counter()
            scan(grids, r, q, params, 1, 1, parallel=parallel)
            walls[parallel].append(time.perf_counter() - t0)
    out = {k: statistics.median(v) for k, v in walls.items()}
    return out[False], out[True], numba.get_num_threads()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cold", action="store_true",
                    help="also time a run on an empty Numba cache (minutes)")
    args = ap.parse_args()
    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="surefoot-bench-"))
    run = [*SUREFOOT, "run", "--out", str(tmp / "run")]

    _wall(run)  # warm the cache (compiles once if it is empty)
    walls: dict[str, list[float]] = {"fig": [], "nofig": [], "help": []}
    for _ in range(args.repeats):
        walls["fig"].append(_wall(run)[0])
        walls["nofig"].append(_wall([*run, "--no-figure"])[0])
        walls["help"].append(_wall([*SUREFOOT, "--help"])[0])
    med = {k: statistics.median(v) for k, v in walls.items()}
    parts = _in_process_parts()
    scan_serial, scan_parallel, threads = _scan_times(args.repeats)

    cold = None
    if args.cold:
        env = dict(os.environ)
        env.pop("NUMBA_CACHE_DIR", None)
        env["XDG_CACHE_HOME"] = str(tmp / "empty-cache")
        wall, err = _wall(run, env)
        cold = (wall, "compiling flight kernels" in err)

    t = Table(title=f"surefoot start-up ({platform.processor() or platform.machine()}, "
                    f"{os.cpu_count()} cores; whole-process medians of {args.repeats})")
    t.add_column("measurement")
    t.add_column("value", justify="right")
    t.add_row("surefoot run, warm, whole process (figure included)", f"{med['fig']:.2f} s")
    t.add_row("surefoot run --no-figure, warm, whole process", f"{med['nofig']:.2f} s")
    t.add_row("surefoot --help, whole process", f"{med['help']:.2f} s")
    if cold is not None:
        t.add_row("surefoot run, empty kernel cache (fresh install), whole process",
                  f"{cold[0]:.1f} s")
        t.add_row("  compile announced", "yes" if cold[1] else "NO")
    t.add_row("in one process: import CLI + build parser", f"{parts['cli']:.2f} s")
    t.add_row("  import simulator", f"{parts['sim']:.2f} s")
    t.add_row("  import descent report", f"{parts['figure_import']:.2f} s")
    t.add_row("  default landing (kernels from cache)", f"{parts['landing']:.2f} s")
    t.add_row("  write telemetry, summary, terrain", f"{parts['write']:.2f} s")
    t.add_row("  descent figure", f"{parts['figure']:.2f} s")
    t.add_row("  heavy modules imported by a run", parts["heavy"])
    t.add_row("hazard-lidar scan (slim-pinpoint, 16,384 beams), serial", f"{scan_serial:.3f} s")
    t.add_row(f"  same, beams over {threads} threads", f"{scan_parallel:.3f} s")
    console.print(t)


if __name__ == "__main__":
    main()
