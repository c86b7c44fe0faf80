"""Campaign throughput: landings per second of a 1,000-run campaign, by hand.

Flies the built-in ``default-dispersed`` scenario (the default landing with
its dispersions) end to end, as ``surefoot campaign`` does: drawing and
validating every run, starting the workers, flying, writing the Parquet
parts. Local pool with 1 and 2 worker processes, then a Dask LocalCluster
of 2 worker processes. Prints a table with this machine's figures and the
time a 10,000-run campaign would take at that rate (goal: under 10 minutes).

``--overhead`` prints instead where a campaign's CPU goes outside the flight kernel
(:func:`overhead`): the batches of a ``--runs`` campaign flown in this process as one
worker flies them, each component timed in CPU ms per landing, against one landing
flown alone.

    .venv/bin/python benchmarks/bench_campaign.py [--runs 1000] [--skip-dask]
    .venv/bin/python benchmarks/bench_campaign.py --overhead [--runs 200] \
        [--scenario hakuto-r-m1 --scenario slim-pinpoint]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table


@contextlib.contextmanager
def _timed(cpu: dict[str, float], targets: list[tuple[object, str, str]]) -> Iterator[None]:
    """Add the CPU time of each call of ``module.name`` to ``cpu[label]`` while inside."""
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in targets]

    def wrapper(f, label):
        def call(*args, **kwargs):
            t = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                cpu[label] += time.process_time() - t

        return call

    for (mod, name, label), (_, _, f) in zip(targets, saved, strict=True):
        setattr(mod, name, wrapper(f, label))
    try:
        yield
    finally:
        for mod, name, f in saved:
            setattr(mod, name, f)


def overhead(name: str, runs: int, console: Console) -> None:
    """Where a 1-worker campaign of ``runs`` runs of ``name`` spends its CPU.

    The campaign is prepared as ``surefoot campaign --workers 1`` prepares it (draws,
    every run validated, batches of up to 50) and its batches are flown in this
    process by :func:`surefoot.campaign.worker.run_batch`, with the components it calls
    timed by CPU time (``time.process_time``, no profiler: a profiler inflates the
    Python parts many times). A 1-run batch flown first and a second one after it give
    the worker's start-up (loading the compiled kernels from Numba's cache, building
    the truth terrain): a fixed cost per worker process, shown apart and spread over
    the campaign's landings on one worker.
    """
    import surefoot.campaign.rows as rows
    import surefoot.campaign.worker as worker
    import surefoot.sim.runner as sim_runner
    from surefoot.campaign.runner import prepare_campaign
    from surefoot.campaign.sampling import RunScenarios
    from surefoot.config.loader import load_scenario

    scenario = load_scenario(name)
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        t = time.process_time()
        prepared = prepare_campaign(scenario, runs, Path(tmp) / "c", slots=1)
        prepare_s = time.process_time() - t
        first = prepared.batches[0]

        def one_run(k: int) -> worker.BatchTask:
            return worker.BatchTask(
                f"warm{k}", first.base, first.fields, first.run_index[k : k + 1],
                first.seed[k : k + 1], first.values[k : k + 1],
            )

        t = time.process_time()
        worker.run_batch(one_run(0))
        cold = time.process_time() - t
        t = time.process_time()
        worker.run_batch(one_run(1))
        warm = time.process_time() - t
        cpu: dict[str, float] = defaultdict(float)
        validation, table_rows = "worker: run scenarios (validation)", "worker: result rows"
        targets = [
            (RunScenarios, "__call__", validation),
            (sim_runner, "terrain_for", "worker: truth terrain (cached)"),
            (sim_runner, "batch_arrays", "worker: batch arrays, onboard map"),
            (sim_runner, "_run", "worker: flight kernel"),
            (sim_runner, "serve_requests", "worker: between-segment services (scans, HDA)"),
            (sim_runner, "post_contact", "worker: touchdown dynamics stage"),
            (rows, "simulate", "simulate (all)"),
            (worker, "batch_table", table_rows),
        ]
        with _timed(cpu, targets):
            t = time.process_time()
            outs = [worker.run_batch(task) for task in prepared.batches]
            batches_s = time.process_time() - t
        t = time.process_time()
        for task, out in zip(prepared.batches, outs, strict=True):
            prepared.store.write_part(task.batch_id, out.table)
        store_s = time.process_time() - t
        prepared.store.close()
    alone = []
    for _ in range(3):
        t = time.process_time()
        sim_runner.simulate(scenario, telemetry=False)
        alone.append(time.process_time() - t)

    parts = {label: cpu[label] for _, _, label in targets if label != "simulate (all)"}
    outside_sim = parts[validation] + parts[table_rows]
    in_sim = sum(parts.values()) - outside_sim
    parts["worker: rest of simulate (telemetry, outcome)"] = cpu["simulate (all)"] - in_sim
    parts["worker: rest of run_batch"] = batches_s - cpu["simulate (all)"] - outside_sim
    startup = cold - warm
    table = Table(
        title=f"CPU of a {runs}-run campaign of '{name}' on 1 worker, by component "
              f"({len(prepared.batches)} batches, in process)",
        header_style="bold",
    )
    table.add_column("component", justify="left")
    table.add_column("CPU ms/landing", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_row("parent: draws, every run validated", f"{1e3 * prepare_s / runs:.2f}",
                  f"{prepare_s:.2f}")
    for k, v in parts.items():
        table.add_row(k, f"{1e3 * v / runs:.2f}", f"{v:.2f}")
    table.add_row("parent: Parquet part writes", f"{1e3 * store_s / runs:.2f}", f"{store_s:.2f}")
    table.add_row("worker start-up (kernel loads, terrain), once per worker",
                  f"{1e3 * startup / runs:.2f}", f"{startup:.2f}")
    total = prepare_s + batches_s + store_s + startup
    table.add_row("total", f"{1e3 * total / runs:.2f}", f"{total:.2f}", style="bold")
    table.add_row("one landing alone (simulate, no telemetry, best of 3)",
                  f"{1e3 * min(alone):.2f}", "")
    kernel = cpu["worker: flight kernel"]
    table.add_row("outside the flight kernel", f"{1e3 * (total - kernel) / runs:.2f}",
                  f"{total - kernel:.2f} ({100 * (total - kernel) / total:.0f} %)")
    console.print(table)
    console.print(
        f"batches of {', '.join(str(b.size) for b in prepared.batches)} runs, CPU s "
        f"{', '.join(f'{o.cpu_s:.2f}' for o in outs)}; the worker process's imports "
        f"(once per process) are not counted: benchmarks/bench_startup.py"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--scenario", action="append", default=None)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--overhead", action="store_true",
                        help="CPU by component outside the flight kernel (1 worker, in process)")
    args = parser.parse_args()
    if args.overhead:
        console = Console(width=120)
        for name in args.scenario or ["hakuto-r-m1", "slim-pinpoint"]:
            overhead(name, args.runs or 200, console)
        return
    args.runs = args.runs or 1000
    args.scenario = (args.scenario or ["default-dispersed"])[0]

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
