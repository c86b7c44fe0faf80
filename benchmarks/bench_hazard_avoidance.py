"""Hazard avoidance and pinpoint landing outcomes over many seeds (issue 5).

Run: ``.venv/bin/python benchmarks/bench_hazard_avoidance.py [--seeds 200] [--workers 2]``

Part 1, ``hazard-field``: for each seed k the terrain seed and the run seed are
k; the same lander flies blind (``fsw.hda.enabled=false``) and with hazard
detection and avoidance, as one batch of two on the same terrain. Prints the
safe-landing rate of each with its Clopper-Pearson 95 % interval, the outcome
counts and the divert distances.

Part 2, ``slim-pinpoint``: run k of its campaign (campaign seed 0: the run seed
and the scenario's dispersions, including the map-tie bias of the TRN fixes,
drawn as ``surefoot campaign`` draws them; terrain fixed), the landing error
distribution (distance of the touchdown from the target), and
the share within 100 m (SLIM's requirement) and within 10 m (our goal).

Nothing is asserted; the figures are this machine's.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.campaign.stats import clopper_pearson
from surefoot.config import load_scenario
from surefoot.config.dispersions import resolve_dispersions
from surefoot.sim.runner import simulate


def _hazard_pair(k: int) -> list[dict]:
    over = [f"terrain.seed={k}"]
    blind = load_scenario("hazard-field", [*over, "fsw.hda.enabled=false"], k)
    hda = load_scenario("hazard-field", over, k)
    res = simulate([blind, hda], telemetry=False)
    return [res.summary(0), res.summary(1)]


def _slim(k: int) -> dict:
    """Run ``k`` of a ``slim-pinpoint`` campaign (campaign seed 0): its dispersions drawn."""
    base = load_scenario("slim-pinpoint")
    resolved = resolve_dispersions(base)
    draws = draw_runs(resolved, 0, [k])
    s = run_scenario(base_dict(base), draws.paths, [f.integer for f in resolved.fields],
                     draws.values[0],
                     int(draws.seed[0]), k)
    return simulate(s, telemetry=False).summary(0)


def _rate(rows: list[dict]) -> str:
    n = len(rows)
    k = sum(r["outcome"] == "safe" for r in rows)
    lo, hi = clopper_pearson(k, n)
    return f"{k}/{n} = {k / n:.3f}  [{lo:.3f}, {hi:.3f}]"


def _counts(rows: list[dict]) -> str:
    names = ("safe", "hard", "tipped", "crashed", "no_contact")
    return "  ".join(f"{o} {sum(r['outcome'] == o for r in rows)}" for o in names)


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--skip-hazard", action="store_true")
    ap.add_argument("--skip-slim", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, {args.workers} worker processes\n")
    seeds = range(args.seeds)
    with ProcessPoolExecutor(args.workers) as pool:
        if not args.skip_hazard:
            t0 = time.perf_counter()
            pairs = list(pool.map(_hazard_pair, seeds))
            wall = time.perf_counter() - t0
            blind = [p[0] for p in pairs]
            hda = [p[1] for p in pairs]
            print(f"hazard-field, {args.seeds} seeds (terrain and run seed = k), "
                  f"{wall:.0f} s wall")
            print(f"{'':<22}{'safe landings [95% CI]':<34}outcomes")
            print(f"{'blind':<22}{_rate(blind):<34}{_counts(blind)}")
            print(f"{'hazard avoidance':<22}{_rate(hda):<34}{_counts(hda)}")
            div = np.array([r["hda_divert_total_m"] for r in hda])
            nosite = sum(r["hda_no_site"] > 0 for r in hda)
            print(f"diverts: median {_pct(div, 50):.1f} m, p95 {_pct(div, 95):.1f} m, "
                  f"max {div.max():.1f} m; looks with no safe site in {nosite} runs")
            saved = sum(b["outcome"] != "safe" and h["outcome"] == "safe"
                        for b, h in zip(blind, hda, strict=True))
            lost = sum(b["outcome"] == "safe" and h["outcome"] != "safe"
                       for b, h in zip(blind, hda, strict=True))
            print(f"same seed: {saved} blind failures landed safely with avoidance, "
                  f"{lost} blind successes failed with it\n")
        if not args.skip_slim:
            t0 = time.perf_counter()
            rows = list(pool.map(_slim, seeds))
            wall = time.perf_counter() - t0
            err = np.array([np.hypot(r["touchdown_east_m"], r["touchdown_north_m"])
                            for r in rows if r["outcome"] != "no_contact"])
            print(f"slim-pinpoint, {args.seeds} seeds, {wall:.0f} s wall")
            print(f"safe landings      {_rate(rows)}   ({_counts(rows)})")
            print("landing error m    " + "  ".join(
                f"p{q} {_pct(err, q):.2f}" for q in (5, 50, 90, 95, 99)) +
                f"  max {err.max():.2f}")
            ok100 = sum(r["outcome"] == "safe" and np.hypot(r["touchdown_east_m"],
                        r["touchdown_north_m"]) <= 100.0 for r in rows)
            ok10 = sum(r["outcome"] == "safe" and np.hypot(r["touchdown_east_m"],
                       r["touchdown_north_m"]) <= 10.0 for r in rows)
            for label, k in (("safe and <= 100 m (SLIM requirement)", ok100),
                             ("safe and <= 10 m (our goal)", ok10)):
                lo, hi = clopper_pearson(k, len(rows))
                print(f"{label:<38}{k}/{len(rows)} = {k / len(rows):.3f}  [{lo:.3f}, {hi:.3f}]")


if __name__ == "__main__":
    main()
