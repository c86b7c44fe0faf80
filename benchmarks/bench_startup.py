"""What a user waits for: whole-process wall of ``surefoot run``, warm and cold, and its parts.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeats 5] [--cold]``.
Prints a table with this machine's figures; nothing is asserted. Goals
(issue 14): a warm ``surefoot run`` (default, figure included) under 3 s of
process wall time; a first landing on a fresh install under 30 s, announced.

Rows:

- ``surefoot run`` whole process (start to exit), warm cache, with and
  without the figure, and ``surefoot --help`` (start-up alone);
- with ``--cold``: the same run with an empty Numba cache (a fresh install),
  whether it printed the compile notice, and then the first full-navigation
  landing (``hakuto-r-m1 --no-figure``, the filter kernel) on that cache:
  process wall, the CPU of the main process alone and of all its processes
  (the helper that compiles on the second core, ``surefoot.sim.compile_parallel``),
  and the load average beside each; ``--one-process`` adds the same two runs
  with the helper off (``SUREFOOT_COMPILE_HELPER=0``), as before it existed.
- in one process: imports of the CLI and of the simulator, the landing,
  the descent figure;
- one hazard-lidar scan of ``slim-pinpoint`` (16,384 beams x 7 sub-rays),
  serial and spread over the Numba threads.

The machine may be shared: every whole-process figure is the median of
``--repeats`` runs, taken in turn with the others.

Measured on the 2-core development machine (whole process, empty cache, the
code before the compile helper and with it taken in turn, three of each,
revision fdb1d7f, load average 1.8-3.4 from other jobs throughout):

first ``surefoot run default``:

- one process: wall 52.3, 55.4, 35.0 s; CPU of the main process 34-36 s
- two processes: wall 22.9, 30.3, 45.4 s; CPU main 19-21 s, all 30-33 s

then the first ``surefoot run hakuto-r-m1 --no-figure`` on that cache:

- one process: wall 50.0, 54.1, 58.0 s; CPU of the main process 46-47 s
- two processes: wall 49.6, 43.1, 51.9 s; CPU main 28-31 s, all 48-53 s

Every one of these 12 landings matched the main branch bit for bit (summary
and telemetry).

Again at revision 5bcfc32 (the kernel speed-ups merged), load average
0.9-1.4, ``SUREFOOT_COMPILE_HELPER=0`` and ``=1`` taken in turn, each as
``NUMBA_CACHE_DIR=$(mktemp -d) /usr/bin/time surefoot run default`` (wall,
user + system of the process and its children):

- one process: 41.6, 42.2, 43.4 s (user 31-33 s, system 11 s)
- two processes: 22.7, 25.2, 28.5 s (user 29-36 s, system 6-7 s)
- the first ``hakuto-r-m1 --no-figure`` after it: 61.5 s against 37.2 s
"""

from __future__ import annotations

import argparse
import json
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


# runs the CLI, then reports this process's own CPU and its reaped children's
_RUSAGE = r"""
import atexit, json, resource, sys
def report():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("RUSAGE " + json.dumps([s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime]),
          file=sys.stderr)
atexit.register(report)
from surefoot.cli import main
sys.argv = ["surefoot"] + sys.argv[1:]
sys.exit(main())
"""


def _cold(args: list[str], env: dict[str, str]) -> dict[str, float | bool]:
    """One whole process on the cache of ``env``: wall, CPU of the main process and
    of all (main + helper), compile notice seen, 1-min load average before and after."""
    load0 = os.getloadavg()[0]
    wall, err = _wall([sys.executable, "-c", _RUSAGE, *args], env)
    line = next(x for x in err.splitlines() if x.startswith("RUSAGE "))
    own, children = json.loads(line[len("RUSAGE ") :])
    return {
        "wall": wall,
        "own": own,
        "all": own + children,
        "load0": load0,
        "load1": os.getloadavg()[0],
        "notice": "compiling flight kernels" in err,
    }


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
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=3600, check=True
    )
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
    ap.add_argument(
        "--cold",
        action="store_true",
        help="also time first runs on an empty Numba cache (a minute or two)",
    )
    ap.add_argument(
        "--one-process", action="store_true", help="with --cold: also with the compile helper off"
    )
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

    cold: dict[str, dict[str, dict[str, float | bool]]] = {}
    modes = ([("two processes", "1")] if args.cold else []) + (
        [("one process", "0")] if args.cold and args.one_process else []
    )
    for label, switch in modes:
        env = dict(os.environ)
        env.pop("NUMBA_CACHE_DIR", None)
        env.pop("SUREFOOT_NUMBA_CACHE_KEYED", None)
        env["XDG_CACHE_HOME"] = str(tmp / f"empty-cache-{switch}")
        env["SUREFOOT_COMPILE_HELPER"] = switch
        cold[label] = {
            "default": _cold(["run", "--out", str(tmp / "cold")], env),
            "hakuto-r-m1": _cold(
                ["run", "hakuto-r-m1", "--no-figure", "--out", str(tmp / "cold-ekf")], env
            ),
        }

    t = Table(
        title=f"surefoot start-up ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; whole-process medians of {args.repeats})"
    )
    t.add_column("measurement")
    t.add_column("value", justify="right")
    t.add_row("surefoot run, warm, whole process (figure included)", f"{med['fig']:.2f} s")
    t.add_row("surefoot run --no-figure, warm, whole process", f"{med['nofig']:.2f} s")
    t.add_row("surefoot --help, whole process", f"{med['help']:.2f} s")
    for label, runs in cold.items():
        for name, what in (
            ("default", "surefoot run, empty kernel cache (fresh install)"),
            ("hakuto-r-m1", "then surefoot run hakuto-r-m1 --no-figure"),
        ):
            c = runs[name]
            t.add_row(
                f"{what}, {label}: wall / CPU main / CPU all",
                f"{c['wall']:.1f} / {c['own']:.1f} / {c['all']:.1f} s",
            )
            t.add_row(
                f"  load average {c['load0']:.2f} -> {c['load1']:.2f}; compile announced",
                "yes" if c["notice"] else "NO",
            )
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
