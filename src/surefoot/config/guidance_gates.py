"""Guidance gates sized from the vehicle, and the check that a gate is flyable.

The polynomial guidance (``surefoot.fsw.guidance.apollo``) flies three
phases, as Apollo's P63/P64/P66 did: braking to the *high gate*, approach
to the *low gate*, then a vertical descent at a constant rate. The built-in
gate values suit a lander of about 1 t; ``fsw.guidance.gates: derived``
sizes them from the flight software's design values of the vehicle
(``fsw.vehicle``: masses, maximum thrust, Isp), its Moon and the nominal
powered-descent initiation speed, once, when the scenario loads (before any
dispersion is drawn, so a campaign that disperses the truth vehicle leaves
them unchanged). Gate fields the scenario sets itself are kept.

Physics (SI units; ``g0`` = 9.80665 m/s^2, exhaust speed ``ve = isp g0``;
``g = GM / r^2`` and ``r`` the radius at the initiation height):

Braking (P63). The engine runs at the design throttle ``BRAKING_THROTTLE``
(Apollo's fixed throttle position, about 92 % of full thrust), so the
thrust acceleration is ``a_F = k F / m`` with ``dm/dt = -k F / ve``. It holds
the part of the weight that the centripetal term does not carry,
``g' = g - v^2 / r``, and brakes with the rest:

    dv/dt = -sqrt(a_F^2 - g'^2),    ds/dt = v

integrated from the initiation speed ``V0`` until the horizontal speed is the
high gate's. This gives the braking time ``t_b``, the ground range ``s_b`` and
the mass at the high gate ``m_hg``. The high gate's target acceleration is
the braking deceleration there (``-sqrt(a_F(m_hg)^2 - g'^2)`` downrange), and
its downrange jerk target is the one whose time-to-go root at initiation is
``t_b`` over ``s_b`` (Klumpp's cubic, ``surefoot.fsw.guidance.apollo``).
If ``a_F < g'`` anywhere the design throttle cannot hold the lander up: the
derivation refuses.

Approach (P64). A straight glide slope of ``APPROACH_GLIDE_SLOPE_DEG`` (the
line of sight Apollo's crews had to the site) flown with constant
deceleration in ``APPROACH_TIME_S`` (the site-assessment time of P64). The
thrust acceleration is the weight plus ``APPROACH_MARGIN_FRACTION`` of the
margin over weight at the high-gate mass, ``a_A = g + f (F / m_hg - g)``
(the rest is kept for redesignations and control; Apollo's P64 flew near
45 % throttle, a fifth of the LM's margin). Decelerating by ``a`` along a
path descending at ``gamma`` with the thrust also holding ``g``:
``a_A^2 = a^2 + g^2 + 2 a g sin(gamma)``, so

    a = -g sin(gamma) + sqrt(a_A^2 - g^2 cos(gamma)^2).

Constant-acceleration kinematics then place the high gate: speed along the
path ``v_hg = v_lg + a T``, path length ``L = (v_hg + v_lg) T / 2``, so the
high gate is ``L cos(gamma)`` before the low gate and ``L sin(gamma)`` above it.
A lander with a larger thrust-to-weight ratio arrives at the high gate
faster and higher; a smaller one lower and slower.

Terminal (P66). The low gate is ``LOW_GATE_HEIGHT_M`` above the target,
descending at ``TERMINAL_RATE_M_S`` (Apollo's P66 rate-of-descent mode,
about 1 m/s); the vertical descent holds that rate to contact.

Feasibility (:func:`check_gates`, applied before flying by the command line,
whatever the gates): a fixed braking time-to-go (``braking_tgo_s`` > 0)
shorter than the time the engine needs at full thrust to shed the speed
(rocket equation, no gravity: a lower bound) and a propellant load that
cannot give the initial speed plus ``PROPELLANT_MARGIN`` (gravity and
steering losses; Apollo's budget was 21 % over its initiation speed) are
refused with one line naming the field. A start closer to the target than
the distance covered while shedding the speed at full thrust is a warning
(the schema's own default start, 700 km, is one for the default lander,
which needs 743 km; short test flights start there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from surefoot.config.base import ConfigError

if TYPE_CHECKING:
    from surefoot.config.schema import Scenario

G0_M_S2 = 9.80665
BRAKING_THROTTLE = 0.9
APPROACH_MARGIN_FRACTION = 0.2
APPROACH_TIME_S = 110.0
APPROACH_GLIDE_SLOPE_DEG = 15.0
LOW_GATE_HEIGHT_M = 150.0
TERMINAL_RATE_M_S = 1.0
PROPELLANT_MARGIN = 0.1
_STEP_S = 0.25  # integration step of the braking profile (error well below 0.1 %)


@dataclass(frozen=True)
class VehicleDesign:
    """What the derivation knows of the vehicle and the Moon (design values)."""

    dry_mass_kg: float
    propellant_kg: float
    max_thrust_n: float
    isp_s: float
    gm_m3_s2: float
    radius_m: float

    @property
    def exhaust_speed_m_s(self) -> float:
        return self.isp_s * G0_M_S2

    @property
    def ignition_mass_kg(self) -> float:
        return self.dry_mass_kg + self.propellant_kg


@dataclass(frozen=True)
class BrakingProfile:
    """Braking at a constant throttle: time (s), ground range (m), mass at its end (kg),
    and the horizontal deceleration at its end (m/s^2)."""

    time_s: float
    range_m: float
    end_mass_kg: float
    end_deceleration_m_s2: float


def full_thrust_time_s(design: VehicleDesign, dv_m_s: float) -> float:
    """Time (s) the engine needs at full thrust to give ``dv_m_s``, gravity aside:
    the rocket equation ``dv = ve ln(m0 / (m0 - mdot t))`` solved for ``t``."""
    ve = design.exhaust_speed_m_s
    mdot = design.max_thrust_n / ve
    return design.ignition_mass_kg / mdot * (1.0 - math.exp(-max(dv_m_s, 0.0) / ve))


def full_thrust_distance_m(design: VehicleDesign, speed_m_s: float, dv_m_s: float) -> float:
    """Distance (m) flown while shedding ``dv_m_s`` from ``speed_m_s`` at full thrust along
    the velocity, gravity aside: ``s = V0 t - ve tau ((1 - x) ln(1 - x) + x)`` with
    ``tau = m0 / mdot`` and ``x = t / tau`` (the rocket equation integrated once more)."""
    ve = design.exhaust_speed_m_s
    tau = design.ignition_mass_kg * ve / design.max_thrust_n
    t = full_thrust_time_s(design, dv_m_s)
    x = t / tau
    lost = x if x >= 1.0 else (1.0 - x) * math.log(1.0 - x) + x
    return speed_m_s * t - ve * tau * lost


def propellant_needed_kg(design: VehicleDesign, dv_m_s: float, reserve_kg: float = 0.0) -> float:
    """Propellant (kg) the rocket equation needs for ``dv_m_s`` with ``reserve_kg`` left."""
    end = design.dry_mass_kg + reserve_kg
    return end * math.exp(max(dv_m_s, 0.0) / design.exhaust_speed_m_s) - design.dry_mass_kg


def braking_profile(
    design: VehicleDesign,
    speed_m_s: float,
    end_speed_m_s: float,
    height_m: float,
    throttle: float = BRAKING_THROTTLE,
) -> BrakingProfile:
    """Horizontal braking at ``throttle`` from ``speed_m_s`` to ``end_speed_m_s`` (module
    docstring), RK4 at a fixed step with the last step cut to land on the end speed.

    Raises :class:`ConfigError` when the thrust cannot hold the residual weight, or
    the propellant runs out first.
    """
    r = design.radius_m + height_m
    g = design.gm_m3_s2 / (r * r)
    force = throttle * design.max_thrust_n
    mdot = force / design.exhaust_speed_m_s

    def decel(v: float, m: float) -> float:
        a_f = force / m
        gp = g - v * v / r
        if a_f <= abs(gp):
            raise ConfigError(
                f"fsw.guidance.gates: derived: at {throttle:.0%} throttle the engine "
                f"({design.max_thrust_n:g} N) cannot hold the weight of the lander "
                f"({m:.5g} kg at {v:.4g} m/s); must be a vehicle with more thrust, "
                "or gates set by hand"
            )
        return math.sqrt(a_f * a_f - gp * gp)

    t, s, v, m = 0.0, 0.0, speed_m_s, design.ignition_mass_kg
    while v > end_speed_m_s:
        h = _STEP_S
        a1 = decel(v, m)
        if v - a1 * h < end_speed_m_s:
            h = (v - end_speed_m_s) / a1
        k1v, k1s = -a1, v
        k2v, k2s = -decel(v + 0.5 * h * k1v, m - 0.5 * h * mdot), v + 0.5 * h * k1v
        k3v, k3s = -decel(v + 0.5 * h * k2v, m - 0.5 * h * mdot), v + 0.5 * h * k2v
        k4v, k4s = -decel(v + h * k3v, m - h * mdot), v + h * k3v
        v += h * (k1v + 2.0 * k2v + 2.0 * k3v + k4v) / 6.0
        s += h * (k1s + 2.0 * k2s + 2.0 * k3s + k4s) / 6.0
        m -= h * mdot
        t += h
        if m <= design.dry_mass_kg:
            raise ConfigError(
                f"fsw.guidance.gates: derived: the propellant ({design.propellant_kg:g} kg) "
                f"runs out while braking from {speed_m_s:.5g} m/s at {throttle:.0%} "
                "throttle; must be a vehicle with more propellant"
            )
        if h < _STEP_S:
            break
    # the last step was cut on a linear guess: move its end onto the end speed
    fix = (v - end_speed_m_s) / decel(v, m)
    t += fix
    s += 0.5 * (v + end_speed_m_s) * fix
    m -= fix * mdot
    v = end_speed_m_s
    return BrakingProfile(t, s, m, decel(v, m))


def approach_deceleration_m_s2(
    thrust_acc_m_s2: float, gravity_m_s2: float, glide_slope_rad: float
) -> float:
    """Deceleration (m/s^2) along a path descending at ``glide_slope_rad`` when the thrust
    acceleration ``thrust_acc_m_s2`` also holds ``gravity_m_s2`` (module docstring)."""
    g = gravity_m_s2
    c = math.cos(glide_slope_rad)
    under = thrust_acc_m_s2 * thrust_acc_m_s2 - g * g * c * c
    if under <= 0.0:
        return 0.0
    return -g * math.sin(glide_slope_rad) + math.sqrt(under)


def jerk_for_time(
    range_m: float, speed_m_s: float, gate_speed_m_s: float, gate_acc_m_s2: float, time_s: float
) -> float:
    """Downrange jerk target (m/s^3) whose Klumpp time-to-go root is ``time_s``:
    ``j t^3 - 6 a_T t^2 + (6 v + 18 v_T) t - 24 R = 0`` solved for ``j``."""
    t = time_s
    return (
        6.0 * gate_acc_m_s2 * t * t - (6.0 * speed_m_s + 18.0 * gate_speed_m_s) * t + 24.0 * range_m
    ) / (t * t * t)


def design_of(scenario: Scenario) -> VehicleDesign:
    """The flight software's design values of the vehicle and its Moon."""
    from surefoot.config.schema import FswVehicleConfig

    v = scenario.fsw.vehicle or FswVehicleConfig.design_of(scenario.vehicle)
    return VehicleDesign(
        dry_mass_kg=v.dry_mass_kg,
        propellant_kg=v.propellant_kg,
        max_thrust_n=v.max_thrust_n,
        isp_s=v.isp_s,
        gm_m3_s2=scenario.fsw.moon.gm_m3_s2,
        radius_m=scenario.fsw.moon.radius_m,
    )


def derive_gates(scenario: Scenario) -> dict[str, Any]:
    """Guidance fields (``fsw.guidance`` names) sized from the vehicle (module docstring)."""
    d = design_of(scenario)
    gamma = math.radians(APPROACH_GLIDE_SLOPE_DEG)
    g_site = d.gm_m3_s2 / d.radius_m**2
    v0 = scenario.initial.speed_m_s
    # the high-gate mass depends on the high-gate speed only weakly: two passes
    m_hg = d.ignition_mass_kg
    braking = None
    v_hg = 0.0
    for _ in range(3):
        a_a = g_site + APPROACH_MARGIN_FRACTION * max(d.max_thrust_n / m_hg - g_site, 0.0)
        a = approach_deceleration_m_s2(a_a, g_site, gamma)
        v_hg = TERMINAL_RATE_M_S + a * APPROACH_TIME_S
        braking = braking_profile(d, v0, v_hg * math.cos(gamma), scenario.initial.altitude_m)
        m_hg = braking.end_mass_kg
    assert braking is not None
    length = 0.5 * (v_hg + TERMINAL_RATE_M_S) * APPROACH_TIME_S
    hg_down = -length * math.cos(gamma)
    hg_up = LOW_GATE_HEIGHT_M + length * math.sin(gamma)
    v_down = v_hg * math.cos(gamma)
    acc_down = -braking.end_deceleration_m_s2
    jerk = jerk_for_time(braking.range_m, v0, v_down, acc_down, braking.time_s)
    return {
        "high_gate": {
            "position_m": (hg_down, 0.0, hg_up),
            "velocity_m_s": (v_down, 0.0, -v_hg * math.sin(gamma)),
            "acceleration_m_s2": (acc_down, 0.0, 0.0),
            "jerk_downrange_m_s3": jerk,
        },
        "low_gate": {
            "position_m": (0.0, 0.0, LOW_GATE_HEIGHT_M),
            "velocity_m_s": (0.0, 0.0, -TERMINAL_RATE_M_S),
            "acceleration_m_s2": (0.0, 0.0, 0.0),
        },
        "braking_tgo_s": 0.0,
        "approach_tgo_s": APPROACH_TIME_S,
        "terminal_descent_rate_m_s": TERMINAL_RATE_M_S,
    }


def check_gates(scenario: Scenario) -> list[str]:
    """Refuse a braking time and a propellant load the vehicle cannot fly (module
    docstring) with :class:`ConfigError`; return a one-line warning for a start too
    close to the site to brake (the run goes on: a short experiment may want it)."""
    d = design_of(scenario)
    g = scenario.fsw.guidance
    v0 = scenario.initial.speed_m_s
    hg_speed = math.hypot(*g.high_gate.velocity_m_s)
    shed = max(v0 - hg_speed, 0.0)
    t_min = full_thrust_time_s(d, shed)
    if 0.0 < g.braking_tgo_s < t_min:
        raise ConfigError(
            f"fsw.guidance.braking_tgo_s: {g.braking_tgo_s:g} s is shorter than the "
            f"{t_min:.0f} s the engine needs at full thrust to shed {shed:.0f} m/s "
            f"(rocket equation, {d.max_thrust_n:g} N, {d.ignition_mass_kg:g} kg, Isp "
            f"{d.isp_s:g} s); must be 0 (time-to-go from the range) or >= {math.ceil(t_min)} s"
        )
    warnings = []
    uprange_m = scenario.initial.uprange_km * 1000.0
    s_min = full_thrust_distance_m(d, v0, shed)
    if uprange_m < s_min:
        warnings.append(
            f"initial.uprange_km: {scenario.initial.uprange_km:g} km is shorter than the "
            f"{s_min / 1000.0:.1f} km the lander flies while shedding {shed:.0f} m/s at full "
            "thrust (rocket equation): it will overshoot the site"
        )
    # the load is what the lander carries (the truth's nominal vehicle, as check_thrust)
    vehicle = scenario.vehicle
    truth = VehicleDesign(
        vehicle.dry_mass_kg,
        vehicle.propellant_kg,
        vehicle.engine.max_thrust_n,
        vehicle.engine.isp_s,
        scenario.moon.gm_m3_s2,
        scenario.moon.radius_m,
    )
    need_dv = v0 * (1.0 + PROPELLANT_MARGIN)
    reserve = vehicle.propellant_reserve_kg
    need = propellant_needed_kg(truth, need_dv, reserve)
    if truth.propellant_kg < need:
        raise ConfigError(
            f"vehicle.propellant_kg: {truth.propellant_kg:g} kg is below the {need:.0f} kg the "
            f"rocket equation needs to shed {v0:g} m/s plus {PROPELLANT_MARGIN:.0%} for "
            f"gravity losses (Isp {truth.isp_s:g} s, {truth.dry_mass_kg:g} kg dry, {reserve:g} kg "
            f"reserve); must be >= {math.ceil(need)} kg"
        )
    return warnings
