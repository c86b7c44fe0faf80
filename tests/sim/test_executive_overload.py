"""Executive overloads: hardware takes processor time, the flight software's executive
restarts (Apollo 11's 1202 and 1201 alarms) and guidance holds its command.

The backlog is a fluid queue: it grows at ``(duty - available)`` seconds of work
per second and restarts at ``backlog_limit_s``, so a steady overload restarts
every ``limit / (duty - available)`` seconds (rounded up to whole control
cycles), the first restart that long after the overload starts (a queue that
starts empty). The Apollo 11 figures are the
flown alarm times (docs/missions.md): 317, 357, 553, 578 and 593 s after
powered-descent initiation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from surefoot.config.loader import load_scenario
from surefoot.config.schema import ExecutiveConfig, Scenario
from surefoot.config.vehicle_events import OverloadConfig
from surefoot.fsw.executive import executive_cycle
from surefoot.fsw.layout import (
    EX_BACKLOG,
    EX_HOLD_UNTIL,
    EX_RESTARTS,
    EX_T,
    FP_DT,
    FP_EXEC_DUTY,
    FP_EXEC_HOLD,
    FP_EXEC_LIMIT,
    FS_EXEC,
    N_FP,
    N_FS,
)
from surefoot.sim.runner import simulate

FLOWN_ALARMS_S = (317.0, 357.0, 553.0, 578.0, 593.0)


def _rows(duty: float, limit_s: float, hold_s: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    fp = np.zeros(N_FP)
    fp[FP_EXEC_DUTY] = duty
    fp[FP_EXEC_LIMIT] = limit_s
    fp[FP_EXEC_HOLD] = hold_s
    fp[FP_DT] = dt
    return np.zeros(N_FS), fp


@pytest.mark.parametrize(
    ("duty", "available", "limit_s"), [(0.9, 0.75, 2.0), (0.85, 0.5, 1.0), (1.0, 0.95, 3.0)]
)
def test_a_steady_overload_restarts_every_limit_over_excess(
    duty: float, available: float, limit_s: float
) -> None:
    dt = 0.1
    fs, fp = _rows(duty, limit_s, 2.0, dt)
    period = limit_s / (duty - available)
    t_end = 15.5 * period  # half a period clear of a restart
    for k in range(int(round(t_end / dt))):
        executive_cycle(fs, fp, k * dt, available)
    n = int(fs[FS_EXEC + EX_RESTARTS])
    # restarts at the cycle where the integral of (duty - available) reaches the limit
    assert n == 15
    times = fs[FS_EXEC + EX_T : FS_EXEC + EX_T + min(n, 16)]
    assert times[0] == pytest.approx(period - dt, abs=dt + 1e-9)
    assert np.diff(times) == pytest.approx(np.full(len(times) - 1, period), abs=dt + 1e-9)
    assert fs[FS_EXEC + EX_HOLD_UNTIL] == pytest.approx(times[min(n, 16) - 1] + 2.0)


def test_spare_time_works_the_backlog_off_and_never_goes_negative() -> None:
    dt = 0.1
    fs, fp = _rows(0.9, 2.0, 2.0, dt)
    for k in range(100):  # 10 s short by 0.1: 1 s of late work
        executive_cycle(fs, fp, k * dt, 0.8)
    assert fs[FS_EXEC + EX_BACKLOG] == pytest.approx(1.0)
    for k in range(100, 150):  # 5 s with 0.1 to spare: 0.5 s worked off
        executive_cycle(fs, fp, k * dt, 1.0)
    assert fs[FS_EXEC + EX_BACKLOG] == pytest.approx(0.5)
    for k in range(150, 400):
        executive_cycle(fs, fp, k * dt, 1.0)
    assert fs[FS_EXEC + EX_BACKLOG] == 0.0
    assert fs[FS_EXEC + EX_RESTARTS] == 0.0


@pytest.fixture(scope="module")
def apollo() -> dict:
    return simulate(load_scenario("apollo-11"), telemetry=False).summary(0)


def test_apollo_11_restarts_near_the_flown_alarm_times_and_lands(apollo: dict) -> None:
    assert apollo["executive_restarts"] == len(FLOWN_ALARMS_S)
    for t, flown in zip(apollo["executive_restart_times_s"], FLOWN_ALARMS_S, strict=True):
        assert abs(t - flown) <= 6.0, apollo["executive_restart_times_s"]
    # each restart held guidance for its 2 s at the guidance rate (10 Hz)
    assert apollo["guidance_cycles_held"] == pytest.approx(5 * 20, abs=5)
    assert apollo["outcome"] == "safe", apollo["failure_reason"]


def test_no_overload_no_restart_and_no_summary_fields() -> None:
    s = load_scenario("default")
    assert s.vehicle.computer is None
    summary = simulate(s, telemetry=False).summary(0)
    assert "executive_restarts" not in summary


def test_a_heavy_overload_holds_guidance_for_each_restart() -> None:
    # half the processor gone for the whole flight: restart every
    # 2 / (0.85 - 0.5) = 5.7 s rounded up to whole 0.1 s cycles (58 of them), each
    # holding guidance 2 s (20 cycles at 10 Hz)
    s = load_scenario(
        "default",
        overrides=["vehicle.computer={overloads: [{start_time_s: 0, stolen_fraction: 0.5}]}"],
    )
    summary = simulate(s, telemetry=False).summary(0)
    flight = summary["flight_time_s"]
    n = summary["executive_restarts"]
    period = math.ceil(2.0 / (0.35 * 0.1)) * 0.1
    assert n == pytest.approx(flight / period, abs=1.5)
    assert summary["guidance_cycles_held"] == pytest.approx(20 * n, abs=20)


finite = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=150, deadline=None)
@given(stolen=finite, duty=finite, limit=finite)
def test_bad_executive_and_overload_values_are_refused_by_name(
    stolen: float, duty: float, limit: float
) -> None:
    # every config float: finite, and 0 or of magnitude >= 1e-30 (config/base.py)
    ok_stolen = math.isfinite(stolen) and 1e-30 <= stolen < 1.0
    ok_duty = math.isfinite(duty) and 1e-30 <= duty <= 1.0
    ok_limit = math.isfinite(limit) and 1e-30 <= limit <= 100.0
    try:
        OverloadConfig(start_time_s=1.0, stolen_fraction=stolen)
        assert ok_stolen
    except ValidationError as e:
        assert not ok_stolen
        assert "stolen_fraction" in str(e)
    try:
        ExecutiveConfig(duty_fraction=duty, backlog_limit_s=limit)
        assert ok_duty and ok_limit
    except ValidationError as e:
        assert not (ok_duty and ok_limit)
        assert ("duty_fraction" in str(e)) or ("backlog_limit_s" in str(e))


def test_an_overload_needs_exactly_one_start() -> None:
    with pytest.raises(ValidationError, match="exactly one of start_time_s or start_altitude_m"):
        OverloadConfig(stolen_fraction=0.1)
    with pytest.raises(ValidationError, match="exactly one"):
        OverloadConfig(start_time_s=1.0, start_altitude_m=100.0, stolen_fraction=0.1)
    assert isinstance(load_scenario("apollo-11"), Scenario)
