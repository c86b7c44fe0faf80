"""Dispersed replays: how often naive, robust and robust-with-recommended-sensors land safely.

For each replay scenario (its own ``dispersions`` section: initial state and
estimate error, masses, thrust, Isp, misalignment, the mission's sensor
figures; each run's seed also draws the IMU errors and the noise) flies a
campaign per setting:

- ``naive``: the rejection logic as flown;
- ``robust``: surefoot's robust rejection and untrusted-height policy with
  the sensors flown;
- ``robust-recommended``: robust with the ``NAME-recommended`` scenario's
  sensors, where one ships (the smallest change that makes the flown sensors
  observe what touchdown needs).

Prints one table: P(safe) with its 95% Clopper-Pearson interval, and the
failures by class (``logic``: crash, propellant out or hover that the flight
software caused; ``sensor-limited``: the filter's covariance shows the
sensors could not observe what touchdown needed; ``touchdown``: neither).
The issue's goal: robust (recommended where needed) has a lower bound of at
least 99.7% on every replay, zero logic failures, and never lands less often
than naive; naive fails HAKUTO-R M1 and Resilience in at least 90% of runs.

    .venv/bin/python benchmarks/bench_replays.py [--runs 2000] [--workers 2]
        [--replays hakuto-r-m1,resilience-m2,im-1] [--out DIR]

Measured 2026-12-06 at revision fd27410, 2,000 runs each (the same campaigns flown
one at a time with ``surefoot campaign NAME --runs 2000 --workers 1 --set
fsw.nav.rejection=SETTING``; docs/verification.md reads them):

| replay | naive | robust | robust-recommended |
|---|---|---|---|
| hakuto-r-m1 | 2 (1,959 logic) | 1,221 (779 sensor-limited) | 2,000 |
| resilience-m2 | 51 (1,613 logic) | 1,204 (796 sensor-limited) | 2,000 |
| im-1 | 1,996 (4 logic) | 2,000 | - |

(safe of 2,000; a lower bound of 0.9982 for 2,000 of 2,000, 95 % Clopper-Pearson.)

Campaign folders are kept under ``--out`` (default ``out/bench-replays``), so
an interrupted benchmark resumes and every run can be re-flown with
``surefoot campaign rerun DIR RUN``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPLAYS = ("hakuto-r-m1", "resilience-m2", "im-1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replays", default=",".join(REPLAYS))
    parser.add_argument("--out", type=Path, default=Path("out/bench-replays"))
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from surefoot.campaign.runner import run_campaign
    from surefoot.campaign.stats import clopper_pearson
    from surefoot.config.loader import builtin_scenarios, load_scenario

    console = Console()
    builtins = builtin_scenarios()
    rows = []
    for name in args.replays.split(","):
        settings = [("naive", name, ["fsw.nav.rejection=naive"]),
                    ("robust", name, ["fsw.nav.rejection=robust"])]
        if f"{name}-recommended" in builtins:
            settings.append(("robust-recommended", f"{name}-recommended",
                             ["fsw.nav.rejection=robust"]))
        for label, scen, overrides in settings:
            scenario = load_scenario(scen, overrides)
            out = args.out / f"{name}-{label}"
            t = time.perf_counter()
            r = run_campaign(scenario, args.runs, out, workers=args.workers)
            wall = time.perf_counter() - t
            table = pq.read_table(out / "results")
            cls = Counter(c for c in table.column("failure_class").to_pylist() if c)
            lo, hi = clopper_pearson(r.success, r.done)
            rows.append((name, label, r.success, r.done, lo, hi, cls, wall))
            console.print(f"{name} {label}: {r.success}/{r.done} safe "
                          f"[{lo:.4f}, {hi:.4f}] in {wall:.0f} s")

    t = Table(
        title=f"dispersed replays, {args.runs} runs each, on {platform.node()} "
              f"({os.cpu_count()} CPUs, {args.workers} workers)",
        header_style="bold",
    )
    for h in ("replay", "setting", "safe", "P(safe)", "95% CP low", "95% CP high",
              "logic", "sensor-limited", "touchdown", "wall s"):
        t.add_column(h, justify="left" if h in ("replay", "setting") else "right")
    for name, label, ok, n, lo, hi, cls, wall in rows:
        t.add_row(name, label, f"{ok}/{n}", f"{ok / n:.4f}", f"{lo:.4f}", f"{hi:.4f}",
                  str(cls["logic"]), str(cls["sensor-limited"]), str(cls["touchdown"]),
                  f"{wall:.0f}")
    Console(width=max(console.width, 140)).print(t)


if __name__ == "__main__":
    main()
