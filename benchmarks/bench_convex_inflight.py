"""Convex guidance in the loop: closed-loop propellant against the open-loop optimum.

Run: ``.venv/bin/python benchmarks/bench_convex_inflight.py [--runs 100] [--workers 2]``

For ``default-convex`` seed 0, and for ``--runs`` dispersed runs of it (initial
altitude, speed and downrange distance, propellant load and initial attitude
error drawn per run, seeds 0..runs-1), the propellant burnt from the first convex
solve to the low gate (where the plans end), from telemetry, as
``tests/fsw/test_convex_inflight.py`` measures it, against three open-loop optima
from the flight software's state at that first solve:

* "plan": the first plan itself (attitude-aware: starts from the lander's thrust
  axis and turns at the configured slew rate);
* "free": the same problem with the first thrust direction left free (the plan the
  flight software flew before issue 16; a lower bound no real vehicle can fly);
* "engine": attitude-aware, but over the engine's whole throttle range instead of
  the plan's (``max_thrust_fraction`` cap and ``min_thrust_margin`` left to the
  tracking controller): what the vehicle itself could do from that state.

Also the wall time and conic solves of the free-final-time searches in flight.

Measured 2026-12-05 (this machine, 2 workers, load 8-11 from other sessions;
closed loop / open-loop propellant). "before FF": measured on the previous commit
(the plan attitude-aware, the attitude loop steering it without a rate
feed-forward; ``--set fsw.guidance.convex.rate_feedforward=false`` takes that code
path again, seed 0 gives the same 25.09 kg):

| default-convex | seed 0 | 100 dispersed runs: median | p95 | max |
|---|---|---|---|---|
| issue 16 start: / optimum (= plan) | 1.030 (25.17 / 24.43 kg) | 1.032 * | 1.060 * | 1.103 * |
| before FF: / first plan (attitude-aware) | 1.0085 (25.09 / 24.88 kg) | 1.0076 | 1.0127 | 1.0162 |
| before FF: / optimum, thrust direction free | 1.0264 (24.45 kg) | 1.0258 | 1.0304 | 1.0350 |
| now: / first plan (attitude-aware) | 1.0041 (24.98 / 24.88 kg) | 1.0043 | 1.0062 | 1.0079 |
| now: / optimum, thrust direction free | 1.0220 (24.45 kg) | 1.0222 | 1.0245 | 1.0265 |
| now: / attitude-aware, whole engine | 1.0262 (24.35 kg) | 1.0263 | 1.0278 | 1.0303 |
| plan / free: the price of the real attitude | 1.018 | 1.0179 | 1.0184 | 1.0187 |
| plan / engine: the price of the tracking margins | 1.022 | 1.0220 | 1.0229 | 1.0232 |

(* the first 30 of these runs with the slew cone off and the re-solve logic
before issue 16: ``--runs 30 --set fsw.guidance.convex.slew_rate_fraction=null``
before commit 7ade09e.) Outcomes: 100/100 safe, no convex failures, before and
after. Command: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_convex_inflight.py
--runs 100 --workers 2`` (240 s wall).

The 2 % goal holds against the best plan the lander can fly from its attitude (a
6 deg/s slew limit): median 1.0043, p95 1.0062. Against the attitude-free bound it
is 2.2 % (p95 2.45 %), of which 1.8 % is the price of the initial attitude itself:
the free plan asks for a ~55 deg turn at once, and it is a relaxation of every
flyable one (the slew cone is itself a relaxation of a 6 deg/s turn), so no
tracking can close that part; the closed loop would have to lose under 0.2 %.
What the feed-forward removed: the proportional attitude loop (outer gain
w_n / 2 zeta = 0.83 /s) lagged the plan's 6 deg/s turn by ~7 deg, 0.175 kg of the
0.21 kg lost in the first 10 s (seed 0: loss = spent + next plan - this plan over
each 10 s re-solve interval); with the plan's turn rate fed forward that interval
loses 0.07 kg, and the rest is spread over the approach (curvature, engine lag,
navigation). With the feed-forward, a slower planned slew (0.9, 0.95 of the limit),
a tighter or wider first-thrust cone (1.5, 5 deg) or a 5 s re-solve period change
the flown propellant by under 0.03 kg (seed 0). In-flight free-final-time searches
(first solves, re-targets, fallbacks; 30 nodes; a new Clarabel solver per solve, for
bit-for-bit replay): 101 in the 100 runs, median 18 conic solves of which ~11 on the
12-node coarse problem (p95 20); wall time median 284 ms (p95 423) at load 11, which
says little about the machine (134 ms at load ~4 in the previous measurement):
``bench_convex_guidance.py`` measures the search's CPU time.

After the lean first solve (the glide-slope and speed cones left out while they do not
bind, ``socp.SolverSettings.lazy_path_cones``), same command, load ~8: seed 0 burns
24.98 kg (1.0040 of the plan, 1.0219 of the direction-free optimum); 100 dispersed
runs 100/100 safe, no convex failures, closed loop / plan median 1.0042, p95 1.0062,
max 1.0080; / direction-free optimum median 1.0222, p95 1.0246, max 1.0266 (234 s
wall; again on the final code, where a cold solve always starts lean: the same
figures, 183 s): the same figures as before to round-off, as the optimum is the same.
``default-convex`` seed 0 summary against the previous commit: propellant used
590.3957 -> 590.3951 kg, touchdown point moved 0.02 mm, touchdown speeds by < 1e-5 m/s.

Thrust-direction rate bound between successive nodes (``turn_rate_fraction``, issue
16; off by default), measured 2026-12-05 on this branch, 1 worker, load 4-6 from
other sessions, ``--runs 100 --workers 1`` without and with ``--set
fsw.guidance.convex.turn_rate_fraction=F``. Ratios as above; "fastest turn" is the
largest angle between successive thrust vectors of any plan a run flew, over the node
spacing (a posteriori):

| default-convex, 100 dispersed runs | off (today) | F = 1.0 (6 deg/s) | F = 0.5 (3 deg/s) |
|---|---|---|---|
| outcomes; convex failures | 100 safe; 0 | 100 safe; 0 | 100 safe; 0 |
| closed loop / plan: median | 1.0042 | 1.0042 | 0.9977 |
| same: p95, max | 1.0062, 1.0080 | 1.0062, 1.0080 | 0.9983, 0.9988 |
| closed loop / direction-free optimum: median | 1.0222 | 1.0222 | 1.0339 |
| same: p95 | 1.0246 | 1.0246 | 1.0350 |
| plan / direction-free optimum: median | 1.0179 | 1.0179 | 1.0363 |
| fastest turn between nodes, deg/s: median, max | 6.00, 6.42 | 6.00, 6.00 | 2.99, 2.99 |
| seed 0: closed loop / plan (kg) | 24.98 / 24.88 | 24.98 / 24.88 | 25.28 / 25.33 |
| wall time of the 100 runs | 168 s | 195 s | 461 s |
| searches (first solves, re-targets): median wall ms | 101 | 117 | see below |

(With the bound, "direction free" and "engine" keep it: the "direction free" optimum
at 3 deg/s is 24.45 kg at seed 0, as without, since a plan free to choose its first
direction needs no fast turn.) At the slew limit (F = 1.0) the bound changes nothing
measurable: the rate-free plan is kept wherever it already turns slowly enough, and
the slew cone from the lander's axis already keeps the plans at 6 deg/s but for a few
(one run planned 6.42 deg/s between two nodes), which the bound holds to 6.00. At
3 deg/s the plans cost 1.8 % more propellant than at 6 and the closed loop spends
0.2 % less than its first plan (the re-plans, referenced on the plan being flown,
refine the first plan's successive-convexification answer). The wall time rises with
the extra conic solves (a fixed-time answer whose rate-free plan turns too fast takes
two to five more); on this shared machine the figure moves by 1.5x with the load. The
script's "in-flight free-final-time searches" line counts every request answered with
more than one conic solve; at 3 deg/s that includes most periodic re-solves (203
requests, median 3 solves, 75.6 ms), so its figures are not comparable across columns.
Commands: ``--runs 100 --workers 1`` with ``--set
fsw.guidance.convex.turn_rate_fraction=1.0`` (or ``0.5``), and without.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

DISPERSIONS = (  # (override path, nominal, 1-sigma)
    ("initial.altitude_m", 15000.0, 300.0),
    ("initial.speed_m_s", 1690.0, 3.0),
    ("initial.uprange_km", 850.0, 2.0),
    ("vehicle.propellant_kg", 660.0, 5.0),
    ("initial.attitude_error_deg", 1.0, 0.5),
)


def fly(args: tuple[int, bool, list[str]]) -> dict:
    """One landing of default-convex; returns the measured figures."""
    seed, dispersed, extra = args
    import dataclasses

    import surefoot.fsw.guidance.convex.inflight as inflight
    from surefoot.config import load_scenario
    from surefoot.fsw.guidance.convex.gfold import solve_gfold
    from surefoot.fsw.guidance.convex.rate_cone import successive_angles
    from surefoot.sim.runner import simulate
    from surefoot.sim.telemetry import INDEX

    captured: list = []
    original = inflight.answer_request

    def spy(nav, fs, fp, cfg, cache):  # noqa: ANN001, ANN202
        out = original(nav, fs, fp, cfg, cache)
        captured.append(out)
        return out

    # the simulator imports answer_request from its module on each request
    inflight.answer_request = spy
    try:
        over = list(extra)
        if dispersed:
            rng = np.random.default_rng(1000 + seed)
            for path, mu, sd in DISPERSIONS:
                value = mu + sd * rng.standard_normal()
                if path == "initial.attitude_error_deg":
                    value = abs(value)
                over.append(f"{path}={value:.6f}")
        scenario = load_scenario("default-convex", over, seed=seed)
        res = simulate(scenario, telemetry=True)
    finally:
        inflight.answer_request = original
    s = res.summary(0)
    first = captured[0] if captured else None
    row = {
        "seed": seed,
        "outcome": s["outcome"],
        "plans": s["convex_plans"],
        "failures": s["convex_failures"],
        "spent": np.nan,
        "plan": np.nan,
        "free": np.nan,
        "engine": np.nan,
        "walls": [
            o.solution.solve_time_s
            for o in captured
            if o.solution is not None and o.solution.n_solves > 1
        ],
        "solves": [
            o.solution.n_solves
            for o in captured
            if o.solution is not None and o.solution.n_solves > 1
        ],
    }
    # the fastest turn between two nodes of any plan flown (deg/s), a posteriori
    rates = [
        float(np.max(successive_angles(o.solution.accel_thrust_lf)))
        / (o.solution.tf_s / (o.solution.t_s.size - 1))
        for o in captured
        if o.solution is not None and o.solution.t_s.size > 1
    ]
    row["turn_max"] = float(np.degrees(max(rates))) if rates else np.nan
    if first is None or not first.ok:
        return row
    m = re.match(r"t=([\d.]+) s convex first solve", first.event)
    assert m, first.event
    t0 = float(m.group(1))
    tel = res.telemetry[0]
    t, prop = tel[:, INDEX["t"]], tel[:, INDEX["propellant"]]
    low_gate = int(np.argmax(tel[:, INDEX["phase"]] >= 2))
    row["spent"] = float(np.interp(t0, t, prop) - prop[low_gate])
    row["plan"] = first.solution.propellant_kg
    free = dataclasses.replace(first.problem, thrust_axis0_lf=None)
    row["free"] = solve_gfold(free).propellant_kg
    # the engine's whole range instead of the plan's (thrust cap and throttle margin
    # for the tracking controller), from the lander's attitude
    cfg = scenario.fsw.guidance.convex
    t_max = first.problem.thrust_max_n / cfg.max_thrust_fraction
    engine = dataclasses.replace(
        first.problem,
        thrust_max_n=t_max,
        thrust_min_n=first.problem.thrust_min_n - cfg.min_thrust_margin * t_max,
    )
    row["engine"] = solve_gfold(engine).propellant_kg
    return row


def pct(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="scenario override for every run (e.g. fsw.guidance.convex."
        "slew_rate_fraction=null for the plan without the slew cone)",
    )
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {args.workers} workers; overrides {args.set or '-'}\n"
    )
    seed0 = fly((0, False, args.set))
    print(f"{'default-convex seed 0':<26}{'kg':>8}")
    print(f"{'closed loop, first solve to low gate':<40}{seed0['spent']:>8.2f}")
    print(
        f"{'open-loop plan (attitude-aware)':<40}{seed0['plan']:>8.2f}"
        f"   ratio {seed0['spent'] / seed0['plan']:.4f}"
    )
    print(
        f"{'open-loop optimum, thrust direction free':<40}{seed0['free']:>8.2f}"
        f"   ratio {seed0['spent'] / seed0['free']:.4f}"
    )
    print(
        f"{'open-loop, attitude-aware, whole engine':<40}{seed0['engine']:>8.2f}"
        f"   ratio {seed0['spent'] / seed0['engine']:.4f}"
    )
    print(
        f"outcome {seed0['outcome']}, {seed0['plans']} plans, {seed0['failures']} failures, "
        f"fastest planned turn between nodes {seed0['turn_max']:.2f} deg/s\n"
    )
    if args.runs <= 0:
        return
    t_start = time.perf_counter()
    # spawn: the parent has run Numba's threading layer, which must not be forked
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
        rows = list(pool.map(fly, [(k, True, args.set) for k in range(args.runs)]))
    wall = time.perf_counter() - t_start
    spent = np.array([r["spent"] for r in rows])
    plan = np.array([r["plan"] for r in rows])
    free = np.array([r["free"] for r in rows])
    engine = np.array([r["engine"] for r in rows])
    names = sorted({r["outcome"] for r in rows})
    outcomes = {o: sum(r["outcome"] == o for r in rows) for o in names}
    print(
        f"dispersed default-convex, {args.runs} runs ({wall:.0f} s wall): outcomes {outcomes}, "
        f"convex failures {sum(r['failures'] for r in rows)}"
    )
    print(f"{'ratio':<40}{'median':>8}{'p95':>8}{'max':>8}")
    for label, num, ref in (
        ("closed loop / plan (attitude-aware)", spent, plan),
        ("closed loop / optimum (direction free)", spent, free),
        ("closed loop / attitude-aware, engine", spent, engine),
        ("plan / optimum (cost of the cone)", plan, free),
        ("plan / engine (cost of the margins)", plan, engine),
    ):
        r = num / ref
        print(f"{label:<40}{pct(r, 50):>8.4f}{pct(r, 95):>8.4f}{np.nanmax(r):>8.4f}")
    turn = np.array([r["turn_max"] for r in rows])
    print(
        f"fastest planned turn between nodes, per run (deg/s): median {pct(turn, 50):.2f}, "
        f"p95 {pct(turn, 95):.2f}, max {np.nanmax(turn):.2f}"
    )
    worst = sorted(rows, key=lambda r: -(r["spent"] / r["plan"]))[:5]
    print(
        "worst closed loop / plan: "
        + ", ".join(f"run {r['seed']} {r['spent']:.2f}/{r['plan']:.2f} kg" for r in worst)
    )
    walls = np.array([w for r in rows for w in r["walls"]]) * 1e3
    solves = np.array([n for r in rows for n in r["solves"]], dtype=float)
    if walls.size:
        print(
            f"in-flight free-final-time searches: {walls.size}, median {pct(walls, 50):.1f} ms, "
            f"p95 {pct(walls, 95):.1f} ms, median {pct(solves, 50):.0f} conic solves "
            f"(p95 {pct(solves, 95):.0f})"
        )


if __name__ == "__main__":
    main()
