"""Dispersed replays, small: the flown logic fails the way the missions failed, robust
logic never makes things worse, and the recommended sensors land.

A small version of ``benchmarks/bench_replays.py`` (which flies 2,000 runs per
setting): the first runs of each replay's own campaign (its ``dispersions``,
campaign seed 0), flown as one batch per setting.
"""

from __future__ import annotations

import pytest

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.loader import load_scenario
from surefoot.sim.runner import simulate

RUNS = 6


def _fly(name: str, rejection: str, indices: range | list[int] = range(RUNS)) -> list[dict]:
    s0 = load_scenario(name, [f"fsw.nav.rejection={rejection}"])
    resolved = resolve_dispersions(s0)
    draws = draw_runs(resolved, 0, indices)
    integer = [numeric_field(p).integer for p in draws.paths]
    base = base_dict(s0)
    runs = [run_scenario(base, draws.paths, integer, draws.values[k], int(draws.seed[k]), i)
            for k, i in enumerate(indices)]
    result = simulate(runs, telemetry=False)
    return [result.summary(i) for i in range(len(runs))]


def _safe(summaries: list[dict]) -> int:
    return sum(s["outcome"] == "safe" for s in summaries)


@pytest.mark.parametrize("name", ["hakuto-r-m1", "resilience-m2"])
def test_flown_logic_fails_as_the_mission_did(name: str) -> None:
    naive = _fly(name, "naive")
    assert _safe(naive) <= 1, [s["failure_reason"] for s in naive]


@pytest.mark.parametrize("name", ["hakuto-r-m1", "resilience-m2", "im-1"])
def test_robust_logic_is_never_worse_and_never_the_cause(name: str) -> None:
    robust = _fly(name, "robust")
    naive = _fly(name, "naive")
    assert _safe(robust) >= _safe(naive)
    assert not [s for s in robust if s["failure_class"] == "logic"], [
        s["failure_reason"] for s in robust if s["failure_class"] == "logic"
    ]


def test_im1_runs_whose_height_returned_kilometres_high_rejoin_the_approach() -> None:
    """Campaign seed 0, runs 243 and 1663 of im-1: the height was untrusted for
    415-482 s and came back 2-3 km higher than believed with ~100 s of approach
    left; the old clock dove at 80 m/s and crashed at 5-8 m/s horizontal. With the
    approach re-timed from the propellant, both land near the target."""
    landed = _fly("im-1", "robust", [243, 1663])
    for s in landed:
        assert s["outcome"] == "safe", s["failure_reason"]
        assert s["nav_height_untrusted_s"] > 300.0  # the case it was built for
        assert s["distance_from_target_m"] < 20.0


def test_resilience_runs_whose_first_range_came_8_sigma_low_re_anchor_the_height() -> None:
    """Campaign seed 0, runs 43 and 287 of resilience-m2: the first valid range
    (~1.1 km) came under an estimate 7 km high with a 3-sigma of 2.5 km; the beam
    found no ground within the window the filter's sigma allowed, so no
    prediction, no rejection streak, no re-anchoring, and a crash at 130 m/s.
    Robust logic now looks as far as the estimate puts the ground, re-anchors
    and nulls the speed; what is left is the horizontal velocity one nadir
    rangefinder cannot observe (sensor-limited), never the logic."""
    flown = _fly("resilience-m2", "robust", [43, 287])
    for s in flown:
        assert s["nav_height_reinitialisations"] >= 1
        assert s["failure_class"] in ("", "sensor-limited"), s["failure_reason"]
        assert s["touchdown_vertical_speed_m_s"] < 6.0


@pytest.mark.parametrize("name", ["hakuto-r-m1-recommended", "resilience-m2-recommended"])
def test_recommended_sensors_leave_no_logic_or_sensor_failure(name: str) -> None:
    """What the added sensor claims to fix is fixed; a landing may still meet a
    slope at the site (no hazard avoidance in these replays: class 'touchdown')."""
    rec = _fly(name, "robust")
    blamed = [s for s in rec if s["failure_class"] in ("logic", "sensor-limited")]
    assert not blamed, [(s["failure_class"], s["failure_reason"]) for s in blamed]
    assert _safe(rec) >= RUNS - 1


def test_a_flat_altitude_reference_biases_horizontal_velocity_and_the_map_removes_it() -> None:
    """Why hakuto-r-m1-recommended carries the terrain map its camera matches against.

    Seed 0 with a perfect IMU and star tracker, so the only error source left
    is the measurement model: below the camera's last fix (500 m) ranges to the
    sloping crater floor, predicted on the flown one-plane reference, pull the
    filter's east velocity by ~0.03 m/s (2,000 dispersed runs landed 3.8 m short
    on average and 3 on slopes); predicted on the onboard map they do not.
    """
    from surefoot.sim.telemetry import TEL_NAV_V, TEL_V_ENU

    perfect = [
        "sensors.imu.accelerometer.turn_on_bias_sigma_m_s2=0",
        "sensors.imu.accelerometer.bias_instability_m_s2=0",
        "sensors.imu.accelerometer.velocity_random_walk_m_s_per_sqrt_h=0",
        "sensors.imu.gyro.turn_on_bias_sigma_deg_h=0",
        "sensors.imu.gyro.bias_instability_deg_h=0",
        "sensors.imu.gyro.angle_random_walk_deg_per_sqrt_h=0",
        "sensors.star_tracker.cross_boresight_noise_arcsec=0",
        "sensors.star_tracker.about_boresight_noise_arcsec=0",
    ]
    east_velocity_error = {}
    for model in ("flat", "degraded"):
        s = load_scenario("hakuto-r-m1-recommended", [*perfect, f"fsw.nav.map.model={model}"])
        r = simulate(s, telemetry=True)
        assert r.summary(0)["outcome"] == "safe"
        tel = r.telemetry[0]
        east_velocity_error[model] = float(tel[-1, TEL_NAV_V] - tel[-1, TEL_V_ENU])
    assert east_velocity_error["flat"] > 0.025, east_velocity_error
    assert abs(east_velocity_error["degraded"]) < 0.015, east_velocity_error


GROUND_TRACK_CASE = [
    "fsw.nav.rejection=robust",
    "initial.approach_azimuth_deg=327.01060665020816",
    "initial.crossrange_km=-12.58042135550765",
    "initial.attitude_error_deg=1.0662137378734204",
    "vehicle.dry_mass_kg=341.8216283470071",
    "vehicle.propellant_kg=658.8388362689475",
    "vehicle.engine.max_thrust_n=1601.7355361946602",
    "vehicle.engine.isp_s=298.19376487930134",
    "vehicle.engine.misalignment_deg=[0.06229823566184765, 0.03909730940192038]",
    "initial.estimate_error_scale=0.9848925217896457",
    "initial.altitude_m=15084.448757584982",
    "initial.speed_m_s=1688.6230860489798",
    "initial.flight_path_angle_deg=0.013052363220382777",
]


@pytest.mark.parametrize("relief_m", [0.0, 100.0])
def test_a_north_west_ground_track_no_longer_takes_the_plateau_for_height(
    relief_m: float,
) -> None:
    """The worst case of a ground-track hunt on hakuto-r-m1 with robust rejection
    (docs/hunt.md): approaching from the north-west, the first ranges came 60 km
    out over terrain 2-3 km above the flat reference and were taken for height,
    the rise of the ground for a descent; the lander climbed to 16 km believing
    it was descending and crashed at 230 m/s with the propellant gone. With the
    relief the reference does not hold in the range model (the scenario's
    ``unmodelled_relief_1km_m``) it lands; what remains on this track is the
    horizontal velocity one nadir rangefinder cannot observe."""
    s = load_scenario(
        "hakuto-r-m1",
        [*GROUND_TRACK_CASE, f"fsw.nav.map.unmodelled_relief_1km_m={relief_m}"],
        2034736754713595003,
    )
    summary = simulate(s, telemetry=False).summary(0)
    if relief_m == 0.0:
        assert summary["outcome"] == "crashed" and summary["failure_class"] == "logic"
    else:
        assert summary["failure_class"] in ("", "sensor-limited"), summary["failure_reason"]
        assert summary["touchdown_vertical_speed_m_s"] < 2.0
        assert summary["nav_height_untrusted_s"] < 200.0
