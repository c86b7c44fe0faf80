"""Touchdown dynamics (``sim.touchdown_dynamics``): drop tests and the default landing.

Prints two tables:

- vertical drops of a 500 kg lander (inertia 400, 400, 300 kg m^2) on the
  default legs onto flat ground: outcome, crushed stroke, energy absorbed,
  energy-balance error (initial kinetic + potential minus absorbed, elastic,
  final kinetic and potential, over the initial energy), time to settle and the
  CPU time of the post-contact stage per lander (after compilation);
- the default scenario for seeds 0..N-1 with the stage on: today's limit
  outcome beside the dynamics outcome, settled tilt against the resting slope
  of the footpad ground points, stroke used, energy absorbed.

    .venv/bin/python benchmarks/bench_touchdown_dynamics.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from surefoot.config import load_scenario
from surefoot.config.schema import LegConfig
from surefoot.sim.runner import simulate
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    GEAR_OUTCOMES,
    N_OUT,
    N_Y,
    O_E0_J,
    O_E_CRUSH_J,
    O_E_DAMP_J,
    O_E_ELASTIC_J,
    O_E_FRIC_J,
    O_E_KIN_J,
    O_E_POT_J,
    O_OUTCOME,
    O_STROKE_MAX_M,
    O_T_END_S,
    Y_P,
    Y_Q,
    Y_V,
    gear_params,
    settle,
)
from surefoot.world.terrain.grid import TerrainGrids


def drop(v_m_s: float, legs: LegConfig, flat: TerrainGrids) -> tuple[np.ndarray, float]:
    feet = footpad_positions_body(legs)
    y = np.zeros(N_Y)
    y[Y_Q] = 1.0
    y[Y_P + 2] = legs.height_m
    y[Y_V + 2] = -v_m_s
    out = np.zeros(N_OUT)
    t0 = time.process_time()
    settle(
        y, 500.0, np.array([400.0, 400.0, 300.0]), feet, gear_params(legs, legs.height_m),
        1.62, flat.meta, flat.offsets, flat.heights, 30.0, out,
    )  # fmt: skip
    return out, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    console = Console()
    legs = LegConfig()
    flat = TerrainGrids.from_levels(
        [(-100.0, -100.0, 200.0, np.zeros((2, 2)))], 0.0, 0.0, 1_737_400.0
    )
    drop(1.0, legs, flat)  # compile
    t = Table(title="vertical drops, 500 kg, default legs, flat ground")
    for c in ("v (m/s)", "outcome", "stroke (m)", "absorbed (J)", "balance", "settle (s)", "CPU"):
        t.add_column(c, justify="right")
    for v in (0.5, 1.0, 2.0, 3.0, 4.5, 6.0, 9.0):
        out, cpu = drop(v, legs, flat)
        absorbed = out[O_E_CRUSH_J] + out[O_E_DAMP_J] + out[O_E_FRIC_J]
        rest = out[O_E_ELASTIC_J] + out[O_E_KIN_J] + out[O_E_POT_J]
        bal = (out[O_E0_J] - absorbed - rest) / out[O_E0_J]
        t.add_row(
            f"{v:.1f}", GEAR_OUTCOMES[int(out[O_OUTCOME])], f"{out[O_STROKE_MAX_M]:.4f}",
            f"{absorbed:.0f}", f"{bal:.1e}", f"{out[O_T_END_S]:.2f}", f"{cpu * 1e3:.0f} ms",
        )  # fmt: skip
    console.print(t)

    scenarios = [
        load_scenario("default", ["sim.touchdown_dynamics=true"], seed=k) for k in range(args.seeds)
    ]
    t0 = time.perf_counter()
    result = simulate(scenarios, telemetry=False)
    wall = time.perf_counter() - t0
    t = Table(title=f"default scenario, seeds 0..{args.seeds - 1}, touchdown dynamics on")
    for c in ("seed", "limits", "dynamics", "v_vert", "slope", "settled tilt", "stroke", "J"):
        t.add_column(c, justify="right")
    for i in range(args.seeds):
        s = result.summary(i)
        t.add_row(
            str(i), s["outcome"], s["touchdown_dynamics_outcome"],
            f"{s['touchdown_vertical_speed_m_s']:.2f}", f"{s['touchdown_slope_deg']:.2f}",
            f"{s['settled_tilt_deg']:.2f}", f"{s['leg_stroke_used_m']:.4f}",
            f"{s['touchdown_energy_absorbed_j']:.0f}",
        )  # fmt: skip
    console.print(t)
    console.print(f"batch wall time {wall:.1f} s (flight and post-contact stage)")


if __name__ == "__main__":
    main()
