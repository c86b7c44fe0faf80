"""Campaign throughput: landings per second of a 1,000-run campaign, by hand.

Flies the built-in ``default-dispersed`` scenario (the default landing with
its dispersions) end to end, as ``surefoot campaign`` does: drawing and
validating every run, starting the workers, flying, writing the Parquet
parts. Local pool with 1 and 2 worker processes, then a Dask LocalCluster
of 2 worker processes. Prints a table with this machine's figures and the
time a 10,000-run campaign would take at that rate (goal: under 10 minutes).

    .venv/bin/python benchmarks/bench_campaign.py [--runs 1000] [--skip-dask]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--scenario", default="default-dispersed")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()

    from surefoot.campaign.runner import run_campaign
    from surefoot.config.loader import load_scenario
    from surefoot.sim.runner import simulate

    console = Console()
    scenario = load_scenario(args.scenario)
    t = time.perf_counter()
    simulate(load_scenario("default"), telemetry=False)  # compile or load the kernel
    console.print(f"kernel ready in {time.perf_counter() - t:.1f} s (compile or cache load)")
    t = time.perf_counter()
    one = simulate(scenario, telemetry=False)
    console.print(f"one landing alone: {time.perf_counter() - t:.3f} s wall, "
                  f"{one.flight_time_s[0]:.0f} s of flight")

    configs = [("local pool", 1, None), ("local pool", 2, None)]
    if not args.skip_dask:
        configs.append(("Dask LocalCluster", 2, "local"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        for label, workers, dask in configs:
            out = Path(tmp) / f"{label.replace(' ', '-')}-{workers}"
            t = time.perf_counter()
            r = run_campaign(scenario, args.runs, out, workers=workers, dask=dask)
            wall = time.perf_counter() - t
            rows.append((label, workers, r, wall))
            console.print(f"{label}, {workers} workers: {args.runs / wall:.1f} landings/s")

    base = args.runs / rows[0][3]
    table = Table(
        title=f"campaign of {args.runs} runs of '{args.scenario}' on {platform.node()} "
              f"({os.cpu_count()} CPUs, {platform.processor() or platform.machine()})",
        header_style="bold",
    )
    for h in ("backend", "workers", "wall s", "landings/s", "flying only /s",
              "vs 1 worker", "10k runs (min)", "CPU ms/landing", "CPUs got",
              "10k runs, CPUs free (min)", "safe"):
        table.add_column(h, justify="right" if h != "backend" else "left")
    for label, workers, r, wall in rows:
        rate = args.runs / wall
        table.add_row(
            label, str(workers), f"{wall:.1f}", f"{rate:.1f}", f"{r.rate:.1f}",
            f"{rate / base:.2f}", f"{10_000 / rate / 60:.1f}",
            f"{1e3 * r.worker_cpu_s / r.flown:.1f}", f"{r.cpus_used:.2f}",
            f"{10_000 * r.worker_cpu_s / r.flown / workers / 60:.1f}",
            f"{r.success}/{r.done}",
        )
    Console(width=max(console.width, 150)).print(table)
    console.print(
        "wall: the whole campaign (draws and checks, worker start-up, flights, Parquet "
        "writes); flying only: from the first submitted batch to the last stored one; "
        "CPUs got: the workers' CPU time over the flying time (below the worker count when "
        "other processes share the machine); CPUs free: the projection for workers that "
        "each have a CPU of their own (CPU time per landing / workers)."
    )


if __name__ == "__main__":
    main()
