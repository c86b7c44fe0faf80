"""Failure hunting against plain Monte Carlo, by hand: runs needed, estimates, intervals.

1. Analytic (no simulator): subset simulation on ``margin = b - sum(z) / sqrt(d)``
   (exact ``P = Phi(-b)``), 150 seeds per case: mean estimate, spread, how often
   the 95 % interval holds the exact value, runs used.
2. Flown (``tests/hunt/short-descent.yaml``, ideal navigation): plain Monte
   Carlo of ``--mc-runs`` runs against subset simulation with a fifth of the
   runs (P ~ 1e-2), and, with the misalignment sigma cut to 0.7 deg, 1,000 plain
   runs against a 1,000-run cross-entropy search.
3. Search methods on the narrow case (sigma 0.7 deg): cross-entropy against
   CMA-ES, a few seeds each: runs flown up to and including the first failing
   run, failures found in the budget, wall time.

    .venv/bin/python benchmarks/bench_hunt.py [--mc-runs 3000] [--workers 2] [--skip-analytic]
        [--skip-flown] [--skip-search] [--search-seeds 0,1,2] [--search-budget 1000]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]


def analytic(console: Console) -> None:
    from scipy.special import ndtr

    from surefoot.campaign.hunt.problem import AnalyticProblem
    from surefoot.campaign.hunt.subset import subset_simulation

    t = Table(title="subset simulation on b - sum(z)/sqrt(d), 150 seeds", header_style="bold")
    for h in (
        "P exact",
        "d",
        "N/level",
        "mean est / P",
        "spread (cov)",
        "interval holds P",
        "runs",
        "plain MC runs for same cov",
    ):
        t.add_column(h, justify="right")
    for b, d, n in [(2.326, 5, 200), (3.09, 4, 500), (4.0, 5, 500), (4.753, 5, 500)]:
        exact = float(ndtr(-b))
        est, runs, hits = [], [], 0
        for seed in range(150):
            p = AnalyticProblem(d, lambda z, b=b, d=d: b - z.sum(axis=1) / math.sqrt(d), seed=seed)
            r = subset_simulation(p, budget=100_000, level_size=n, seed=seed)
            est.append(r.probability)
            runs.append(r.runs)
            hits += r.interval[0] <= exact <= r.interval[1]
        cov = float(np.std(est) / np.mean(est))
        t.add_row(
            f"{exact:.2e}",
            str(d),
            str(n),
            f"{np.mean(est) / exact:.2f}",
            f"{cov:.2f}",
            f"{hits / 150:.0%}",
            f"{np.mean(runs):.0f}",
            f"{(1 - exact) / (exact * cov * cov):.0f}",
        )
    console.print(t)


def flown(console: Console, mc_runs: int, workers: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.hunt.conftest import short_descent

    from surefoot.campaign.hunt.driver import HuntSettings, run_hunt
    from surefoot.campaign.runner import run_campaign
    from surefoot.campaign.stats import clopper_pearson

    t = Table(title="flown landings (short-descent)", header_style="bold")
    for h in ("case", "method", "runs", "failures seen", "P(failure)", "95% interval", "wall s"):
        t.add_column(h, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("P ~ 1e-2", short_descent(), mc_runs, "subset", mc_runs // 5),
            (
                "narrow (sigma 0.7 deg)",
                short_descent(misalignment_sigma_deg=0.7),
                1000,
                "cross-entropy",
                1000,
            ),
        ]
        for k, (label, scenario, n_mc, method, budget) in enumerate(cases):
            w = time.perf_counter()
            mc = run_campaign(scenario, n_mc, Path(tmp) / f"mc{k}", workers=workers)
            fails = mc.done - mc.success
            lo, hi = clopper_pearson(fails, mc.done)
            t.add_row(
                label,
                "plain Monte Carlo",
                str(mc.done),
                str(fails),
                f"{fails / mc.done:.2e}",
                f"[{lo:.2e}, {hi:.2e}] (Clopper-Pearson)",
                f"{time.perf_counter() - w:.0f}",
            )
            w = time.perf_counter()
            settings = HuntSettings(
                method=method, budget=budget, level_size=200, generation_size=100, seed=1
            )
            o = run_hunt(scenario, settings, Path(tmp) / f"hunt{k}", workers=workers)
            est = o.summary.get("estimate")
            p = f"{est['probability']:.2e}" if est else "-"
            iv = f"[{est['interval_95'][0]:.2e}, {est['interval_95'][1]:.2e}]" if est else "-"
            t.add_row(
                label,
                method,
                str(o.summary["runs"]),
                str(o.summary["failures_found"]),
                p,
                iv,
                f"{time.perf_counter() - w:.0f}",
            )
    console.print(t)


def search_methods(console: Console, workers: int, seeds: list[int], budget: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.hunt.conftest import short_descent

    from surefoot.campaign.hunt.driver import HuntSettings, run_hunt
    from surefoot.campaign.report import load_campaign

    t = Table(
        title=f"search methods, narrow case (sigma 0.7 deg), budget {budget}", header_style="bold"
    )
    for h in ("method", "generation", "seed", "runs to first failure", "failures found", "wall s"):
        t.add_column(h, justify="right")
    scenario = short_descent(misalignment_sigma_deg=0.7)
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("cross-entropy", "cmaes"):
            for seed in seeds:
                w = time.perf_counter()
                settings = HuntSettings(method=method, budget=budget, seed=seed)
                out = Path(tmp) / f"{method}-{seed}"
                o = run_hunt(scenario, settings, out, workers=workers)
                wall = time.perf_counter() - w
                table = load_campaign(out).table
                failed = [
                    i
                    for i, outcome in zip(
                        table.column("run_index").to_pylist(),
                        table.column("outcome").to_pylist(),
                        strict=True,
                    )
                    if outcome != "safe"  # the margin is negative exactly on these
                ]
                t.add_row(
                    method,
                    str(settings.generation_size),
                    str(seed),
                    str(min(failed) + 1) if failed else f"none in {budget}",
                    str(o.summary["failures_found"]),
                    f"{wall:.0f}",
                )
    console.print(t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mc-runs", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-analytic", action="store_true")
    parser.add_argument("--skip-flown", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--search-seeds", default="0,1,2")
    parser.add_argument("--search-budget", type=int, default=1000)
    args = parser.parse_args()
    console = Console()
    if not args.skip_analytic:
        analytic(console)
    if not args.skip_flown:
        flown(console, args.mc_runs, args.workers)
    if not args.skip_search:
        seeds = [int(x) for x in args.search_seeds.split(",")]
        search_methods(console, args.workers, seeds, args.search_budget)


if __name__ == "__main__":
    main()
