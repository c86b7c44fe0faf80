"""Speed of the default landing and of a batch of dispersed landers.

Run: ``.venv/bin/python benchmarks/bench_landing.py [--batch 1000]``. Prints a
table with this machine's figures; nothing is asserted. Goals (issue 2): the
default landing under 3 s of wall time, and >= 20 landings/s in a batch of 1,000;
issue 3: with full navigation the default landing still under 3 s. The last
rows give the CPU time of one landing of ``default``, ``hakuto-r-m1`` and
``slim-pinpoint`` (issue 14: a campaign on 2 workers reaches 20 landings/s
when a hakuto-r-m1 landing costs <= ~0.09 CPU s);
``benchmarks/profile_landing.py`` splits that time by component.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba
import numpy as np
from rich.console import Console
from rich.table import Table

from surefoot.config import load_scenario
from surefoot.sim.compile_notice import kernels_cached
from surefoot.sim.runner import simulate, terrain_for


def dispersed(n: int):  # noqa: ANN201
    base = load_scenario("default")
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        d = base.model_dump()
        d["seed"] = k
        d["vehicle"]["engine"]["max_thrust_n"] *= 1 + 0.01 * rng.standard_normal()
        d["initial"]["altitude_m"] += 200 * rng.standard_normal()
        d["initial"]["attitude_error_deg"] = abs(2 * rng.standard_normal())
        out.append(type(base).model_validate(d))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    console = Console()
    s = load_scenario("default")
    # a first landing of a minute means a compile: say whether the disk cache had the kernel
    cached_before = kernels_cached(parallel=False, sensed=False)  # the default flies ideal nav

    t0 = time.perf_counter()
    terrain_for(s)
    t_terrain_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate(s)  # compile or load kernels
    t_warm = time.perf_counter() - t0

    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        r = simulate(s)
        walls.append(time.perf_counter() - t0)
    wall = float(np.median(walls))
    flight = float(r.flight_time_s[0])
    steps = flight / s.sim.dt_s

    walls_nt = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        simulate(s, telemetry=False)
        walls_nt.append(time.perf_counter() - t0)

    # full navigation: landing sensors and the error-state filter in the loop
    s_ekf = load_scenario("default", ["fsw.nav.source=ekf"])
    t0 = time.perf_counter()
    simulate(s_ekf)
    t_warm_ekf = time.perf_counter() - t0
    walls_ekf = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        r_ekf = simulate(s_ekf)
        walls_ekf.append(time.perf_counter() - t0)
    wall_ekf = float(np.median(walls_ekf))

    batch = dispersed(args.batch)
    t0 = time.perf_counter()
    rb = simulate(batch, telemetry=False)
    t_batch = time.perf_counter() - t0
    safe = float(np.mean(rb.outcome == "safe"))

    t = Table(title=f"surefoot landing speed ({platform.processor() or platform.machine()}, "
                    f"{os.cpu_count()} cores, numba {numba.__version__}, "
                    f"{numba.get_num_threads()} threads)")
    t.add_column("measurement")
    t.add_column("value", justify="right")
    t.add_row("terrain build, first in process", f"{t_terrain_first:.2f} s")
    t.add_row("first landing in process (kernel load/compile)", f"{t_warm:.2f} s")
    cache_dir = os.environ.get("NUMBA_CACHE_DIR", "Numba's default")
    t.add_row("  step kernel in the disk cache before it",
              f"{'yes' if cached_before else 'no (compiled)'} ({cache_dir})")
    t.add_row("default landing, wall (median, with telemetry)", f"{wall:.3f} s")
    t.add_row("default landing, wall (median, no telemetry)", f"{np.median(walls_nt):.3f} s")
    t.add_row("flight time simulated", f"{flight:.1f} s ({steps:,.0f} steps)")
    t.add_row("real-time factor", f"{flight / wall:,.0f} x")
    t.add_row("cost per step, one lander", f"{wall / steps * 1e6:.2f} us")
    t.add_row("first EKF landing in process (kernel load/compile)", f"{t_warm_ekf:.2f} s")
    t.add_row("default landing, full navigation (EKF), wall (median)", f"{wall_ekf:.3f} s")
    t.add_row("  its outcome", str(r_ekf.outcome[0]))
    t.add_row(f"batch of {args.batch} dispersed landers, wall", f"{t_batch:.2f} s")
    t.add_row("landings per second (batch)", f"{args.batch / t_batch:.1f}")
    t.add_row("safe fraction in the batch", f"{safe:.3f}")
    # CPU seconds of one landing (robust to a shared machine's load, unlike wall
    # time): on an idle machine a campaign flies at most workers / CPU landings/s
    for name in ("default", "hakuto-r-m1", "slim-pinpoint"):
        sc = load_scenario(name)
        simulate(sc, telemetry=False)  # kernels and terrain loaded
        cpus = []
        for _ in range(args.repeats):
            c0 = time.process_time()
            simulate(sc, telemetry=False)
            cpus.append(time.process_time() - c0)
        t.add_row(f"{name}: CPU a landing (best of {args.repeats}, no telemetry)",
                  f"{min(cpus) * 1e3:.0f} ms")
    t.add_row("load average (1, 5, 15 min)", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    console.print(t)


if __name__ == "__main__":
    main()
