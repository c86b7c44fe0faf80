"""Cost of one navigation cycle for one lander with every sensor delivering.

Run: ``.venv/bin/python benchmarks/bench_nav.py [--repeats 5]``. Prints this
machine's figures; nothing is asserted. Goal (issue 3): a 1440 s descent at
10 Hz (14,400 cycles) in under 1 s, i.e. under about 60 us a cycle. Measured
inside a compiled loop (no Python call overhead) with 4 rangefinder beams,
3 Doppler beams (velocity and range), the star tracker and a TRN fix every
cycle: the load of ``tests/fsw/test_nav_performance.py``, which checks that
every sensor is really fused.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
from rich.console import Console
from rich.table import Table

from surefoot.fsw.interfaces import N_NAV

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
_case = importlib.import_module("fsw.test_nav_performance")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    _, nav, truth, _, grid, p, rows = _case.all_sensor_case()
    n = rows[0].shape[0]
    out = np.zeros(N_NAV)
    x, cov, bk = _case.initial_estimate(p, truth, nav, np.random.default_rng(1))
    t0 = time.perf_counter()
    _case._drive(x, cov, bk, p, *[a[:2] for a in rows], *grid, out)  # compile or load
    t_first = time.perf_counter() - t0
    per_cycle = []
    for _ in range(args.repeats):
        x, cov, bk = _case.initial_estimate(p, truth, nav, np.random.default_rng(1))
        t0 = time.perf_counter()
        _case._drive(x, cov, bk, p, *rows, *grid, out)
        per_cycle.append((time.perf_counter() - t0) / n)
    best = min(per_cycle)
    med = float(np.median(per_cycle))
    t = Table(title=f"surefoot navigation cycle ({platform.processor() or platform.machine()}, "
                    f"{os.cpu_count()} cores, numba {numba.__version__})")
    t.add_column("measurement")
    t.add_column("value", justify="right")
    t.add_row("first call in process (kernel load/compile)", f"{t_first:.2f} s")
    t.add_row(f"nav_step, all sensors every cycle (best of {args.repeats})", f"{best * 1e6:.1f} us")
    t.add_row("  median", f"{med * 1e6:.1f} us")
    t.add_row("1440 s descent at 10 Hz (14,400 cycles), best", f"{best * 14_400:.3f} s")
    t.add_row("goal (issue 3)", "< 1 s (about 60 us a cycle)")
    Console().print(t)


if __name__ == "__main__":
    main()
