"""Why a landing failed, in words, and whether the flight software or its sensors are to blame.

:func:`failure_reason` names the limit a touchdown broke with the numbers;
:func:`failure_class` sorts a failure into

- ``logic``: the flight software brought a lander it could have landed to a
  crash, a propellant-out fall or a hover until the tanks ran dry (what
  HAKUTO-R M1 and Resilience did), or down too fast with its velocity known;
- ``sensor-limited``: what touchdown needed was not observable with the
  sensors flown, and the filter's own covariance says so: 3 sigma of the
  estimated horizontal velocity exceeds the touchdown limit, or the lander
  touched down within its speed, tilt and rate limits but on other ground
  than its site (more than ``MISS_ELSEWHERE_M`` away: a slope, a rock) with
  3 sigma of horizontal position beyond that miss (one nadir rangefinder
  over flat mare sees neither). A position error does not explain a
  touchdown too fast or too tilted: those are judged as if it were small;
- ``hardware``: an engine fault of the truth vehicle (``vehicle.engine.faults``)
  had started before the end of the flight (SLIM, Beresheet), or the truth
  engine's maximum thrust is more than ``THRUST_SHORT_FRACTION`` below the
  design value the software flies with (``fsw.vehicle.max_thrust_n``): the
  vehicle failed or was out of its specification, not the software or its
  sensors;
- ``touchdown``: none of these (the site, the dynamics or the limits).
"""

from __future__ import annotations

import math

from surefoot.config.schema import Scenario

# a touchdown this far from its (final) target is on other ground than the
# chosen site (hazard looks divert by tens of metres; a footprint is ~2 m): only
# then can a position error be the reason it met a slope or a rock
MISS_ELSEWHERE_M = 20.0

# a truth engine this much weaker than its design value is outside the vehicle's
# specification: five times the 1 % (1-sigma) thrust dispersion of the replays,
# so no dispersed run of theirs comes near it. A failure hunt that widens the
# thrust finds the software failing from about 9 % short (docs/hunt.md,
# "Searching the engine"): those failures are the vehicle's, even if a better
# re-plan might land some of them
THRUST_SHORT_FRACTION = 0.05


def failure_reason(summary: dict, scenario: Scenario) -> str:
    """Why a run is not safe, in words with the numbers and the limits ('' when safe).

    Mirrors the classification of :func:`surefoot.world.contact.classify_touchdown`.
    """
    out = summary["outcome"]
    if out == "safe":
        return ""
    if out == "no_contact":
        t = summary["flight_time_s"]
        if summary["propellant_left_kg"] <= 1e-6:
            return f"propellant exhausted; no touchdown by {t:.0f} s"
        return f"no touchdown within sim.max_time_s = {scenario.sim.max_time_s:g} s"
    lim = scenario.touchdown
    vv = summary["touchdown_vertical_speed_m_s"]
    vh = summary["touchdown_horizontal_speed_m_s"]
    tilt = summary["touchdown_tilt_deg"]
    slope = summary["touchdown_slope_deg"]
    rate = summary["touchdown_rate_deg_s"]
    clearance = summary.get("underbody_clearance_m", math.nan)
    reasons = []
    if clearance < 0.0:
        reasons.append(f"terrain {-clearance:.2f} m above the body clearance under the lander")
    if out == "crashed":
        if vv > lim.crash_vertical_speed_m_s:
            reasons.append(
                f"vertical speed {vv:.2f} m/s > crash limit {lim.crash_vertical_speed_m_s:g} m/s"
            )
        if vh > lim.crash_horizontal_speed_m_s:
            reasons.append(
                f"horizontal speed {vh:.2f} m/s > crash limit "
                f"{lim.crash_horizontal_speed_m_s:g} m/s"
            )
    elif out == "tipped" and summary.get("off_support", False):
        reasons.append("no footpad triangle under the centre of mass: it cannot stand")
    elif out == "tipped":
        legs = scenario.vehicle.legs
        com_h = legs.height_m + scenario.vehicle.com_dry_body_m[2]
        tip = math.degrees(math.atan2(legs.radius_m, com_h))
        if tilt + slope > tip:
            reasons.append(f"tilt + slope {tilt + slope:.1f} deg > tip-over angle {tip:.1f} deg")
        else:
            reasons.append(
                f"horizontal speed {vh:.2f} m/s on a {slope:.1f} deg slope tips it over"
            )
    else:
        checks = (
            ("vertical speed", vv, lim.max_vertical_speed_m_s, "m/s"),
            ("horizontal speed", vh, lim.max_horizontal_speed_m_s, "m/s"),
            ("slope", slope, lim.max_slope_deg, "deg"),
            ("tilt", tilt, lim.max_tilt_deg, "deg"),
            ("angular rate", rate, lim.max_angular_rate_deg_s, "deg/s"),
        )
        reasons += [f"{n} {v:.2f} {u} > {m:g} {u}" for n, v, m, u in checks if v > m]
    return "; ".join(reasons) or out


def failure_class(summary: dict, scenario: Scenario) -> str:
    """``''`` when safe, else ``'logic'``, ``'sensor-limited'``, ``'hardware'`` or
    ``'touchdown'`` (module doc)."""
    out = summary["outcome"]
    if out == "safe":
        return ""
    if math.isfinite(float(summary.get("engine_fault_first_s", math.nan))):
        return "hardware"
    design = scenario.fsw.vehicle.max_thrust_n if scenario.fsw.vehicle is not None else None
    if design is not None and (
        scenario.vehicle.engine.max_thrust_n < (1.0 - THRUST_SHORT_FRACTION) * design
    ):
        return "hardware"
    if out == "no_contact":
        return "logic"
    sig_vh = float(summary.get("nav_horizontal_velocity_sigma_m_s", math.nan))
    sig_rh = float(summary.get("nav_horizontal_position_sigma_m", math.nan))
    miss = float(summary.get("distance_from_final_target_m", math.nan))
    if not math.isfinite(miss):
        miss = float(summary.get("distance_from_target_m", math.nan))
    lim = scenario.touchdown
    vv = float(summary["touchdown_vertical_speed_m_s"])
    if out == "crashed" and vv > lim.crash_vertical_speed_m_s:
        return "logic"
    if math.isfinite(sig_vh) and 3.0 * sig_vh > lim.max_horizontal_speed_m_s:
        return "sensor-limited"
    vh = float(summary["touchdown_horizontal_speed_m_s"])
    if out == "crashed" and vh > lim.crash_horizontal_speed_m_s:
        return "logic"  # a crash sideways with the horizontal velocity known
    within = (vv <= lim.max_vertical_speed_m_s and vh <= lim.max_horizontal_speed_m_s
              and float(summary["touchdown_tilt_deg"]) <= lim.max_tilt_deg
              and float(summary["touchdown_rate_deg_s"]) <= lim.max_angular_rate_deg_s)
    if (within and math.isfinite(sig_rh) and math.isfinite(miss) and miss > MISS_ELSEWHERE_M
            and 3.0 * sig_rh > miss):
        return "sensor-limited"
    if vv > lim.max_vertical_speed_m_s:
        return "logic"
    return "touchdown"
