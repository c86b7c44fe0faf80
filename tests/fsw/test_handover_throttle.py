"""The hand-over from braking to the approach, tilted far over, with the stopping cap on.

A failure hunt over the ground track of ``hakuto-r-m1-recommended``
(docs/hunt.md) found run 173: the braking phase ends behind its gate, tilted
82 deg, 2.1 km up and descending at 62 m/s, with the stopping-distance cap of
the height policy latched by a 0.7 s blip of untrusted height. The approach
then asks for a stop straight up. Two rules of the flight software decide
whether the lander makes it:

- while the cap binds in the approach, the throttle gives the magnitude of the
  wanted acceleration, not its projection on the thrust axis, which threw away
  most of the thrust for the whole slew upright (27-69 % throttle for 6 s);
- the approach holds its time-to-go only while the height is untrusted, not
  whenever the cap binds (held, the horizontal profile never tightened and the
  lander met the ground at 18 m/s sideways).

Stopping from ``v`` within ``h`` takes ``v^2 / (2 h)`` of deceleration: at the
hand-over the lander needed 1,494 m of the 2,117 m it had at full thrust
straight up, so the height was there and only the throttle lost it.
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.campaign.sampling import base_dict, run_scenario
from surefoot.config.dispersions import resolve_dispersions
from surefoot.config.loader import load_scenario
from surefoot.fsw.interfaces import PHASE_APPROACH
from surefoot.fsw.layout import RX_ALT_UNTRUSTED
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import INDEX

# the inputs of hunt run 173 (surefoot hunt hakuto-r-m1-recommended --method
# cross-entropy --budget 300 --generation-size 100 --seed 1 over the approach
# azimuth and cross-range, docs/hunt.md), and its run seed
RUN_173 = {
    "initial.crossrange_km": 8.421250016632072,
    "initial.attitude_error_deg": 0.4445960104050741,
    "vehicle.dry_mass_kg": 342.5754288681526,
    "vehicle.propellant_kg": 662.2978576047478,
    "vehicle.engine.max_thrust_n": 1521.5620781930195,
    "vehicle.engine.isp_s": 301.3828900986615,
    "vehicle.engine.misalignment_deg.0": 0.10014128429823697,
    "vehicle.engine.misalignment_deg.1": -0.060269550801174965,
    "initial.estimate_error_scale": 1.718766561599148,
    "initial.approach_azimuth_deg": 160.67666615680238,
    "initial.altitude_m": 15175.105533656197,
    "initial.speed_m_s": 1689.4110392852692,
    "initial.flight_path_angle_deg": -0.020624820837969585,
}
SEED_173 = 1193529978844032024


@pytest.fixture(scope="module")
def run_173():  # noqa: ANN201
    """The run as the hunt flew it: its inputs on the truth vehicle, the design
    values on board (campaign.sampling.run_scenario)."""
    hunted = [
        "dispersions.fields.initial.approach_azimuth_deg="
        "{dist: uniform, low: 0.0, high: 359.9}",
        "dispersions.fields.initial.crossrange_km={dist: uniform, low: -30.0, high: 30.0}",
    ]
    scenario = load_scenario("hakuto-r-m1-recommended", hunted)
    resolved = resolve_dispersions(scenario)
    assert set(resolved.paths) == set(RUN_173)
    s = run_scenario(
        base_dict(scenario),
        list(resolved.paths),
        [f.integer for f in resolved.fields],
        [RUN_173[p] for p in resolved.paths],
        SEED_173,
    )
    return simulate(s)


def test_the_hunted_handover_lands(run_173) -> None:  # noqa: ANN001
    s = run_173.summary(0)
    assert s["outcome"] == "safe", s["failure_reason"]
    assert s["touchdown_vertical_speed_m_s"] < 2.0
    assert s["touchdown_horizontal_speed_m_s"] < 0.5


def test_the_case_is_the_one_the_rules_are_for(run_173) -> None:  # noqa: ANN001
    """Not vacuous: the approach starts tilted far over with the cap binding, and
    the throttle is full during the slew upright."""
    tel = run_173.telemetry[0]
    t = tel[:, INDEX["t"]]
    phase = tel[:, INDEX["phase"]]
    flags = tel[:, INDEX["guidance_reactions"]].astype(np.int64)
    tilt = tel[:, INDEX["tilt"]]
    capped = (phase == PHASE_APPROACH) & (flags & RX_ALT_UNTRUSTED != 0)
    assert np.any(capped & (tilt > 60.0))
    first = int(np.argmax(capped))
    slew = capped & (tilt > 30.0) & (t < t[first] + 20.0)
    assert np.sum(slew) > 10
    assert np.mean(tel[slew, INDEX["throttle"]]) > 0.9
