"""Why the ``slim`` replay rests on its side and not on its nose (docs/missions.md, SLIM).

Flies ``slim`` (seed 0, or ``--seed``), takes the truth state at first contact into the
post-contact stage (as ``sim.touchdown_dynamics`` does) and follows the lander until its
hull first strikes the ground, printing every ``--step`` seconds: tilt, kinetic energy,
energy above the final rest (kinetic + potential over the resting height) and the
angular momentum about the nose edge that strikes (the two lowest nose corners, the top
face's corners being the first four body points). Then the budget at the strike: what
rolling over that edge asks, ``m g (R - h)`` (R: the edge to the centre of mass, h: the
centre of mass over the edge at rest), against what a sticking strike on the edge leaves
to turn about it, ``L^2 / (2 I_edge)`` (angular momentum about the edge is kept through
an impact at the edge; ``I_edge = I + m R^2``).

Then what each mechanism a real lander has and the stage lacked would give, from the
same contact state (docs/missions.md, "The nose."):

- thrust after the first contact: the thrust and attitude torque acting at contact held
  for a cut-off time (``vehicle.engine.cutoff_after_contact_s``), and the thrust alone
  (its off-axis torque unopposed, the attitude thrusters off at contact);
- a footing that digs in: friction at every contact point up to 10, a footing that
  holds whatever touches it (an upper bound for ploughing regolith or a rock);
- the static thrust that pushes the hull lying on its side over the nose edge, and the
  slide toward the nose at which a dead stop of the nose edge pays the roll over it.

With ``--attitudes`` it prints instead where the replay's vehicle and hull (50 kg of
propellant left) rest after touching at SLIM's flown 1.4 m/s down, drifting 1.4 to 9 m/s
down a plane falling 4 or 15 deg toward the drift, pitched 22.5 to 70 deg toward it (a
two-step touchdown attitude, and beyond); ``--friction 10`` with a footing that holds.

With ``--dispersed N`` it flies instead the first N runs of ``surefoot campaign slim``
(the same draws: campaign seed = the scenario's seed) in one batch and prints where each
came to rest, with 95 % Clopper-Pearson intervals (the campaign's rows do not carry the
resting tilt); ``--set`` overrides scenario fields as the CLI's does.

    .venv/bin/python benchmarks/bench_slim_nose.py [--seed 0] [--step 0.05] [--dispersed N]
        [--set dotted.field=value ...] [--attitudes [--friction MU]]
"""

from __future__ import annotations

import argparse

import numpy as np
from rich.console import Console
from rich.table import Table

from surefoot.campaign.runner import resolve
from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.campaign.stats import clopper_pearson
from surefoot.config import load_scenario
from surefoot.math.quaternion import quat_from_axis_angle, quat_rotate, quat_to_dcm
from surefoot.sim.runner import simulate
from surefoot.world.contact import TD_T, footpad_positions_body
from surefoot.world.landing_gear import (
    G_MU,
    GEAR_OUTCOMES,
    N_OUT,
    N_Y,
    O_BODY_LOADED,
    O_LEGS_LOADED,
    O_OUTCOME,
    O_TILT_DEG,
    Y_P,
    Y_Q,
    Y_V,
    Y_W,
    gear_params,
    seat_on_ground,
    settle,
    settle_with_actuators,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.touchdown_from_truth import actuators_at_contact, local_state_from_truth
from surefoot.world.vehicle import (
    P_EF_ACTIVE,
    P_EF_OFFSET,
    P_ENGINE_POS,
    S_MPROP,
    S_TORQUE,
    mass_properties,
    vehicle_params,
)


def dispersed(n: int, overrides: list[str]) -> None:
    """Rest of the first ``n`` campaign runs of ``slim``: counts by resting tilt."""
    s = load_scenario("slim", overrides)
    res = resolve(s)
    draws = draw_runs(res, s.seed, range(n))
    integer = [f.integer for f in res.fields]
    base = base_dict(s)
    runs = [
        run_scenario(base, draws.paths, integer, draws.values[k], int(draws.seed[k]), k)
        for k in range(n)
    ]
    out = simulate(runs)
    rows = [out.summary(k) for k in range(n)]
    tilt = np.array([r.get("resting_tilt_deg", np.nan) for r in rows])
    table = Table(title=f"slim, campaign runs 0..{n - 1}: where each came to rest")
    for col in ("rest", "runs", "95% CI"):
        table.add_column(col)
    bands = (
        ("on its legs (tilt < 30 deg)", tilt < 30.0),
        ("on its side (80-110 deg)", (tilt > 80.0) & (tilt < 110.0)),
        ("on its nose (> 150 deg)", tilt > 150.0),
        (
            "elsewhere or moving",
            ~((tilt < 30.0) | ((tilt > 80.0) & (tilt < 110.0)) | (tilt > 150.0)),
        ),
    )
    for name, sel in bands:
        lo, hi = clopper_pearson(int(sel.sum()), n)
        table.add_row(name, str(int(sel.sum())), f"[{lo:.3f}, {hi:.3f}]")
    console = Console()
    console.print(table)
    console.print(
        f"resting tilt {np.nanmin(tilt):.1f} to {np.nanmax(tilt):.1f} deg; "
        f"resting on: {sorted({r.get('resting_on') for r in rows})}"
    )


def attitudes(mu: float | None) -> None:
    """Rest after touching at 1.4 m/s down with a drift down a slope, pitched toward it;
    ``mu``: the friction coefficient of every contact point (default: the scenario's)."""
    s = load_scenario("slim")
    v = s.vehicle
    m, com, inertia = mass_properties(50.0, vehicle_params(v))
    body = np.asarray(v.body_points_body_m)
    points = np.vstack([footpad_positions_body(v.legs), body]) - com
    gp = gear_params(v.legs, v.legs.height_m + v.com_dry_body_m[2], len(body))
    if mu is not None:
        gp[G_MU] = mu
    g = s.moon.gm_m3_s2 / s.moon.radius_m**2
    table = Table(
        title=f"slim's vehicle at 1.4 m/s down, friction {gp[G_MU]:g}: "
        "resting tilt (deg; > 150: the nose)"
    )
    drifts = (1.4, 3.8, 6.0, 9.0)
    for col in ("slope deg", "pitch deg", *(f"drift {d} m/s" for d in drifts)):
        table.add_column(col, justify="right")
    for slope in (4.0, 15.0):
        t = np.tan(np.radians(slope))
        xs = np.array([-200.0, 200.0])
        gx, gy = np.meshgrid(xs, xs)
        ter = TerrainGrids.from_levels(
            [(-200.0, -200.0, 400.0, -t * gx)], 0.0, 0.0, s.moon.radius_m
        )
        for pitch in (22.5, 45.0, 70.0):
            row = []
            for drift in drifts:
                y = np.zeros(N_Y)
                y[Y_Q : Y_Q + 4] = quat_from_axis_angle(
                    np.array([0.0, 1.0, 0.0]), np.radians(pitch)
                )
                y[Y_V : Y_V + 3] = (drift, 0.0, -1.4)
                y[Y_P + 2] = 10.0
                seat_on_ground(y, points, ter.meta, ter.offsets, ter.heights)
                o = np.zeros(N_OUT)
                settle(y, m, inertia, points, gp, g, ter.meta, ter.offsets, ter.heights, 30.0, o)
                row.append(f"{o[O_TILT_DEG]:.1f} ({GEAR_OUTCOMES[int(o[O_OUTCOME])]})")
            table.add_row(f"{slope:.0f}", f"{pitch:.1f}", *row)
    Console().print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--dispersed", type=int, default=0, metavar="N")
    ap.add_argument("--set", action="append", default=[], metavar="dotted.field=value")
    ap.add_argument("--attitudes", action="store_true")
    ap.add_argument("--friction", type=float, default=None, help="with --attitudes")
    args = ap.parse_args()
    if args.attitudes:
        attitudes(args.friction)
        return
    if args.dispersed > 0:
        dispersed(args.dispersed, args.set)
        return
    s = load_scenario("slim", [f"seed={args.seed}", *args.set])
    res = simulate([s])
    ter = res.terrain
    v = s.vehicle
    m, com, inertia = mass_properties(res.final_state[0, S_MPROP], res.vehicle_rows[0])
    body = np.asarray(v.body_points_body_m)
    n_legs = v.legs.count
    points = np.vstack([footpad_positions_body(v.legs), body]) - com
    gp = gear_params(v.legs, v.legs.height_m + v.com_dry_body_m[2], len(body))
    g = s.moon.gm_m3_s2 / s.moon.radius_m**2
    y0 = local_state_from_truth(
        res.final_state[0],
        res.touchdown[0, TD_T],
        s.moon.rotation_rate_rad_s,
        ter.c_enu_mcmf,
        ter.radius_ref_m,
    )
    seat_on_ground(y0, points, ter.meta, ter.offsets, ter.heights)
    out = np.zeros(N_OUT)

    def stage(t: float) -> np.ndarray:
        return settle(y0, m, inertia, points, gp, g, ter.meta, ter.offsets, ter.heights, t, out)

    y_rest = stage(s.sim.touchdown_max_time_s)
    tilt_rest = out[O_TILT_DEG]
    nose = slice(n_legs, n_legs + 4)

    def nose_edge(y: np.ndarray) -> np.ndarray:
        p = np.array([y[Y_P : Y_P + 3] + quat_rotate(y[Y_Q : Y_Q + 4], f) for f in points[nose]])
        return p[np.argsort(p[:, 2])[:2]]

    def budget(y: np.ndarray) -> tuple[float, float, float, float]:
        """Kinetic energy, energy over the rest, angular momentum about the lowest nose
        edge (along the edge, + turning over it) and that edge's unit vector."""
        vel, w = y[Y_V : Y_V + 3], y[Y_W : Y_W + 3]
        kin = 0.5 * m * vel @ vel + 0.5 * np.sum(inertia * w * w)
        e_over = kin + m * g * (y[Y_P + 2] - y_rest[Y_P + 2])
        edge = nose_edge(y)
        axis = edge[1] - edge[0]
        axis /= np.linalg.norm(axis)
        r = y[Y_P : Y_P + 3] - edge.mean(axis=0)
        ang = quat_to_dcm(y[Y_Q : Y_Q + 4]) @ (inertia * w) + m * np.cross(r, vel)
        # + when turning about the edge lifts the CoM: over the edge, off the side face
        sign = np.sign(np.cross(axis, r)[2] + 1e-12)
        return kin, e_over, float(ang @ axis) * sign, float(np.linalg.norm(r))

    table = Table(title=f"slim seed {args.seed}: from first contact to the hull's first strike")
    for col in ("t s", "tilt deg", "kinetic J", "over rest J", "L nose edge kg m2/s"):
        table.add_column(col, justify="right")
    t = args.step
    last = None
    while t < 5.0:
        y = stage(t)
        if out[O_BODY_LOADED] > 0:
            break
        kin, e_over, lnose, _ = budget(y)
        table.add_row(
            f"{t:.2f}", f"{out[O_TILT_DEG]:.1f}", f"{kin:.0f}", f"{e_over:.0f}", f"{lnose:+.0f}"
        )
        last = y
        t += args.step
    console = Console()
    console.print(table)
    if last is None:
        console.print("the hull touched within the first step")
        return
    # the rest: CoM over the nose edge that struck, and the rise over it
    corner = points[n_legs]  # a nose corner, body frame from the CoM
    r_edge = float(np.hypot(corner[0], corner[2]))
    edge_rest = nose_edge(y_rest)
    h_rest = y_rest[Y_P + 2] - edge_rest[:, 2].mean()
    barrier = m * g * (r_edge - h_rest)
    _, e_over, lnose, _ = budget(last)
    i_edge = inertia[1] + m * r_edge**2
    left = max(lnose, 0.0) ** 2 / (2.0 * i_edge)
    console.print(
        f"rest: tilt {tilt_rest:.1f} deg; mass {m:.1f} kg; nose edge R {r_edge:.2f} m, "
        f"CoM {h_rest:.2f} m over it at rest: rolling over it asks {barrier:.0f} J"
    )
    console.print(
        f"just before the strike ({t - args.step:.2f} s): {e_over:.0f} J over the rest; "
        f"angular momentum about the nose edge {lnose:+.0f} kg m^2/s, which turns the hull "
        f"about it at {max(lnose, 0.0) / i_edge:.3f} rad/s with {left:.1f} J"
    )
    x = res.final_state[0]
    p = res.vehicle_rows[0]
    act = actuators_at_contact(x, p, com)

    def rest(act_: np.ndarray, until_s: float, mu: float | None = None) -> str:
        gpx = gp.copy()
        if mu is not None:
            gpx[G_MU] = mu
        o = np.zeros(N_OUT)
        settle_with_actuators(
            y0,
            m,
            inertia,
            points,
            gpx,
            g,
            ter.meta,
            ter.offsets,
            ter.heights,
            s.sim.touchdown_max_time_s,
            o,
            act_,
            until_s,
        )
        on = f"legs {int(o[O_LEGS_LOADED])}, body {int(o[O_BODY_LOADED])}"
        return f"{o[O_TILT_DEG]:.1f} deg ({GEAR_OUTCOMES[int(o[O_OUTCOME])]}, {on})"

    thrust_only = act.copy()
    thrust_only[3:] -= x[S_TORQUE : S_TORQUE + 3]
    cand = Table(title="thrust after the first contact: where it comes to rest")
    for col in ("cut-off after contact s", "thrust and attitude torque held", "thrust alone"):
        cand.add_column(col, justify="right")
    for cut in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0):
        cand.add_row(f"{cut:.2f}", rest(act, cut), rest(thrust_only, cut))
    console.print(cand)
    console.print(
        f"at contact: thrust {act[2]:.0f} N (weight {m * g:.0f} N), its torque about the CoM "
        f"{thrust_only[4]:+.1f} N m, the attitude thrusters' {x[S_TORQUE + 1]:+.1f} N m "
        "(pitch, body y)"
    )
    dig = Table(title="a footing that digs in: friction at every contact point")
    for col in ("friction coefficient", "rest"):
        dig.add_column(col, justify="right")
    for mu in (0.5, 1.0, 2.0, 5.0, 10.0):
        dig.add_row(f"{mu:.1f}", rest(np.zeros_like(act), 0.0, mu))
    console.print(dig)
    # the hull lying on its +x face: the thrust (along body z, toward the nose) acts on a
    # line `a - x_line` above the ground, the nose edge is `length` ahead of the CoM
    a = corner[0]
    length = corner[2]
    x_line = p[P_ENGINE_POS] - com[0] + (p[P_EF_OFFSET] if p[P_EF_ACTIVE] else 0.0)
    f_tip = m * g * length / (a - x_line)
    v_trip = np.sqrt(2.0 * barrier * i_edge) / (m * h_rest)
    console.print(
        f"lying on its side face, a thrust along body z tips the hull over its nose edge "
        f"above m g L / (a - x) = {f_tip:.0f} N (L {length:.2f} m, a {a:.2f} m, thrust line "
        f"x {x_line:+.2f} m), with a footing holding {f_tip / (m * g):.2f} of the weight "
        f"sideways; sliding on that face toward the nose, a dead stop of the nose edge pays "
        f"the {barrier:.0f} J from {v_trip:.1f} m/s (m v h = sqrt(2 I_edge E))"
    )


if __name__ == "__main__":
    main()
