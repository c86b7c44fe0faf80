"""The ``sensors:`` section: validation messages name the field, fault rows carry SI values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from surefoot.config.loader import ConfigError, load_scenario_dict
from surefoot.config.sensors import SensorsConfig, sensor_rate_error
from surefoot.sensors.faults import (
    F_CHANNEL,
    F_END,
    F_KIND,
    F_PROB,
    F_START,
    F_VALUE,
    F_WINDOW,
    FAULT_COLS,
    FK_BIAS,
    FK_STUCK,
    WINDOW_ALTITUDE,
    WINDOW_TIME,
)
from surefoot.sensors.imu import P_FAULTS, imu_params


def _error(sensors: dict) -> str:
    with pytest.raises(ConfigError) as exc:
        load_scenario_dict({"sensors": sensors})
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize(
    ("sensors", "names"),
    [
        ({"rangefinder": {"faults": [{"kind": "explode"}]}},
         ("sensors.rangefinder.faults.0.kind", "delayed_acquisition", "explode")),
        ({"rangefinder": {"faults": [{"kind": "bias", "channel": 1, "value": 3.0}]}},
         ("sensors.rangefinder", "faults.0.channel", "must be 0 (beams)")),
        ({"star_tracker": {"faults": [{"kind": "delayed_acquisition", "value": 3.0}]}},
         ("sensors.star_tracker", "faults.0.kind", "not a fault of this sensor")),
        ({"trn_camera": {"faults": [{"kind": "bias"}]}},
         ("sensors.trn_camera.faults.0", "value: required")),
        ({"imu": {"faults": [{"kind": "disabled", "time_s": [1, 2], "altitude_m": [0, 5]}]}},
         ("sensors.imu.faults.0", "not both")),
        ({"imu": {"faults": [{"kind": "dropout", "time_s": [5, 2]}]}},
         ("sensors.imu.faults.0", "time_s", "start <= end")),
        ({"imu": {"faults": [{"kind": "bias", "value": 0.1}]}},
         ("sensors.imu", "faults.0.channel", "required")),
        ({"doppler_lidar": {"faults": [{"kind": "dropout", "channel": 4}]}},
         ("sensors.doppler_lidar", "faults.0.channel", "0..2")),
        ({"rangefinder": {"faults": [{"kind": "spike", "value": 1.0, "probability": 2.0}]}},
         ("sensors.rangefinder.faults.0.probability", "less than or equal to 1")),
        ({"rangefinder": {"beams_body": [[0, 0, 0]]}},
         ("sensors.rangefinder.beams_body", "non-zero")),
        ({"rangefinder": {"beams_body": [[0, 0, -1]] * 5}},
         ("sensors.rangefinder.beams_body", "at most 4")),
        ({"trn_camera": {"min_altitude_m": 5000, "max_altitude_m": 1000}},
         ("sensors.trn_camera", "min_altitude_m")),
        ({"imu": {"gyro": {"angle_random_walk_deg_per_sqrt_h": -1}}},
         ("sensors.imu.gyro.angle_random_walk_deg_per_sqrt_h",)),
        ({"lidar": {}}, ("sensors.lidar", "unknown key")),
    ],
)
def test_bad_sensor_config_gets_one_line_naming_the_field(sensors: dict, names: tuple) -> None:
    msg = _error(sensors)
    for name in names:
        assert name in msg, msg


def test_faults_from_yaml() -> None:
    text = """
sensors:
  rangefinder:
    faults:
      - kind: delayed_acquisition
        value: 1200.0
      - kind: spike
        channel: 0
        altitude_m: [2000, 6000]
        value: 3000.0
        probability: 0.05
  doppler_lidar:
    faults:
      - {kind: disabled, time_s: [0, .inf]}
"""
    s = load_scenario_dict(yaml.safe_load(text))
    f = s.sensors.rangefinder.faults
    assert f[0].kind == "delayed_acquisition" and f[0].time_s is None and f[0].altitude_m is None
    assert f[1].altitude_m == (2000.0, 6000.0) and f[1].probability == 0.05
    assert s.sensors.doppler_lidar.faults[0].time_s == (0.0, math.inf)


def test_fault_rows_are_si_with_windows() -> None:
    cfg = SensorsConfig(imu={"faults": [
        {"kind": "bias", "channel": 4, "value": 0.5, "altitude_m": [100, 900]},
        {"kind": "stuck", "channel": 1, "value": 2.0, "time_s": [10, 20], "probability": 0.5},
    ]}).imu
    p = imu_params(cfg)
    assert p[P_FAULTS] == 2
    r0 = p[P_FAULTS + 1 : P_FAULTS + 1 + FAULT_COLS]
    r1 = p[P_FAULTS + 1 + FAULT_COLS : P_FAULTS + 1 + 2 * FAULT_COLS]
    assert (r0[F_KIND], r0[F_CHANNEL], r0[F_WINDOW]) == (FK_BIAS, 4, WINDOW_ALTITUDE)
    assert (r0[F_START], r0[F_END]) == (100.0, 900.0)
    assert r0[F_VALUE] == pytest.approx(math.radians(0.5))  # gyro channel: deg/s -> rad/s
    assert (r1[F_KIND], r1[F_CHANNEL], r1[F_WINDOW]) == (FK_STUCK, 1, WINDOW_TIME)
    assert (r1[F_VALUE], r1[F_PROB]) == (2.0, 0.5)
    no_window = imu_params(SensorsConfig(imu={"faults": [{"kind": "disabled"}]}).imu)
    row = no_window[P_FAULTS + 1 : P_FAULTS + 1 + FAULT_COLS]
    assert row[F_START] == -np.inf and row[F_END] == np.inf and np.isnan(row[F_VALUE])


def test_rates_must_fit_the_simulation_step() -> None:
    assert sensor_rate_error(SensorsConfig(), 0.05) is None
    assert sensor_rate_error(SensorsConfig(), 0.01) is None
    msg = sensor_rate_error(SensorsConfig(imu={"rate_hz": 30}), 0.05)
    assert msg is not None and msg.startswith("sensors.imu.rate_hz")
    msg = sensor_rate_error(SensorsConfig(star_tracker={"rate_hz": 3}), 0.05)
    assert msg is not None and msg.startswith("sensors.star_tracker.rate_hz")
    msg = sensor_rate_error(SensorsConfig(trn_camera={"rate_hz": 40}), 0.05)
    assert msg is not None and "trn_camera" in msg
