"""Checks shared by every sensor model (as scikit-learn runs one suite over every estimator).

- Same run seed and step give the same output bit for bit; another seed
  gives another output.
- A lander's output is the same alone and inside a batch of landers with
  other seeds, states and parameters (the kernels keep no shared state).
- Parameter builders do not touch the configuration and are repeatable.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from surefoot.config.sensors import SensorsConfig
from surefoot.fsw.nav.measurements import N_DOPPLER, N_IMU, N_LRF, N_STAR, N_TRN
from surefoot.sensors.doppler_lidar import (
    N_DOPPLER_STATE,
    doppler_lidar_measure,
    doppler_lidar_params,
)
from surefoot.sensors.imu import N_IMU_STATE, imu_params, imu_reset_row, imu_step
from surefoot.sensors.rangefinder import N_LRF_STATE, rangefinder_measure, rangefinder_params
from surefoot.sensors.star_tracker import N_STAR_STATE, star_tracker_measure, star_tracker_params
from surefoot.sensors.trn_camera import N_TRN_STATE, trn_camera_measure, trn_camera_params

from .conftest import H_TERRAIN, truth_state

NOISY = SensorsConfig(
    rangefinder={"beams_body": ((0.0, 0.0, -1.0), (0.3, 0.0, -0.95)), "dropout_probability": 0.2,
                 "faults": [{"kind": "spike", "value": 100.0, "probability": 0.3}]},
    doppler_lidar={"dropout_probability": 0.2},
    star_tracker={"dropout_probability": 0.2},
    trn_camera={"dropout_probability": 0.2},
    imu={"dropout_probability": 0.01},
)
SENSORS = ("imu", "star_tracker", "rangefinder", "doppler_lidar", "trn_camera")


@njit(cache=True)
def _batch(kind, x, t, alt, site, meta, offsets, heights, p, state, seeds, step, out):  # noqa: ANN001
    """Run one sensor over a batch, as the sim does (a loop over landers, steps outside)."""
    for i in range(x.shape[0]):
        if kind == 0:
            imu_reset_row(out[i], t)
            imu_step(x[i, 3:6], x[i, 10:13], x[i, 3:6], x[i, 10:13], t, 5, alt[i], p[i],
                     state[i], seeds[i], step, out[i])
        elif kind == 1:
            star_tracker_measure(x[i], t, alt[i], p[i], state[i], seeds[i], step, out[i])
        elif kind == 2:
            rangefinder_measure(x[i], t, alt[i], site, meta, offsets, heights, p[i], state[i],
                                seeds[i], step, out[i])
        elif kind == 3:
            doppler_lidar_measure(x[i], t, alt[i], site, meta, offsets, heights, p[i], state[i],
                                  seeds[i], step, out[i])
        else:
            trn_camera_measure(x[i], t, alt[i], site, p[i], state[i], seeds[i], step, out[i])


def _setup(name: str, cfg: SensorsConfig) -> tuple[np.ndarray, int, int]:
    return {
        "imu": (imu_params(cfg.imu), N_IMU_STATE, N_IMU),
        "star_tracker": (star_tracker_params(cfg.star_tracker), N_STAR_STATE, N_STAR),
        "rangefinder": (rangefinder_params(cfg.rangefinder), N_LRF_STATE, N_LRF),
        "doppler_lidar": (doppler_lidar_params(cfg.doppler_lidar), N_DOPPLER_STATE, N_DOPPLER),
        "trn_camera": (trn_camera_params(cfg.trn_camera), N_TRN_STATE, N_TRN),
    }[name]


def _scene(grids, n: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    rng = np.random.default_rng(0)
    xs, alts = [], []
    for _ in range(n):
        h = rng.uniform(800.0, 4000.0)
        x, _ = truth_state(grids, rng.uniform(-500, 500), rng.uniform(-500, 500), H_TERRAIN + h,
                           60.0, v_mci=tuple(rng.normal(0.0, 20.0, 3)),
                           omega_body=tuple(rng.normal(0.0, 0.01, 3)))
        xs.append(x)
        alts.append(h)
    return np.array(xs), np.array(alts)


def _run(name, grids, site, x, alt, p, n_state, n_out, seeds, steps):  # noqa: ANN001, ANN202
    n = x.shape[0]
    state = np.zeros((n, n_state))
    outs = []
    for step in steps:
        out = np.zeros((n, n_out))
        _batch(SENSORS.index(name), x, step * 0.05, alt, site, grids.meta, grids.offsets,
               grids.heights, p, state, seeds, step, out)
        outs.append(out)
    return np.stack(outs, axis=1)


@pytest.mark.parametrize("name", SENSORS)
def test_same_seed_same_output_other_seed_other_output(shell, site, name: str) -> None:  # noqa: ANN001
    p1, n_state, n_out = _setup(name, NOISY)
    x, alt = _scene(shell, 1)
    steps = range(1200, 1240)
    p = p1[None, :]
    a = _run(name, shell, site, x, alt, p, n_state, n_out, np.array([17]), steps)
    b = _run(name, shell, site, x, alt, p, n_state, n_out, np.array([17]), steps)
    c = _run(name, shell, site, x, alt, p, n_state, n_out, np.array([18]), steps)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", SENSORS)
def test_lander_alone_equals_lander_in_batch(shell, site, name: str) -> None:  # noqa: ANN001
    p1, n_state, n_out = _setup(name, NOISY)
    p2, _, _ = _setup(name, SensorsConfig())
    n = 6
    x, alt = _scene(shell, n)
    p = np.stack([p1 if i % 2 else p2 for i in range(n)])
    seeds = np.arange(100, 100 + n)
    steps = range(1200, 1240)
    batch = _run(name, shell, site, x, alt, p, n_state, n_out, seeds, steps)
    assert np.any(batch[..., 1:] != 0.0)
    for i in (0, 3, 5):
        alone = _run(name, shell, site, x[i : i + 1], alt[i : i + 1], p[i : i + 1], n_state,
                     n_out, seeds[i : i + 1], steps)
        np.testing.assert_array_equal(alone[0], batch[i])


def test_param_builders_are_pure() -> None:
    cfg = NOISY
    dump = cfg.model_dump()
    for name in SENSORS:
        a = _setup(name, cfg)[0]
        b = _setup(name, cfg)[0]
        np.testing.assert_array_equal(a, b)
    assert cfg.model_dump() == dump
