"""IMU accumulation against closed forms and its noise against the random-walk laws.

References:
- constant inputs, errors off: dv = f T and dtheta = omega T over a cycle of
  length T, to rounding; with a fixed bias b: (f + b) T; with scale factor
  and misalignment: (I + diag(sf)) R(phi)^T f T (R from scipy);
- white noise: the increment over T has variance N^2 T (velocity / angle
  random walk N), the defining law of the random walk coefficient (IEEE Std
  952, Allan variance sigma^2(tau) = N^2 / tau);
- bias random walk: variance q^2 t after t; first-order Gauss-Markov bias:
  stationary variance sigma^2 and lag-1 correlation exp(-dt/tau);
- turn-on bias: spread over runs (seeds) equals its sigma.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from surefoot.config.sensors import ImuConfig
from surefoot.fsw.nav.measurements import IMU_DT, IMU_DTHETA, IMU_DV, IMU_T, IMU_VALID, N_IMU
from surefoot.sensors.imu import (
    N_IMU_STATE,
    ST_B_GM,
    ST_B_ON,
    ST_B_RW,
    imu_params,
    imu_reset_row,
    imu_step,
    imu_substeps,
    imu_truth_inputs,
)

F = np.array([0.3, -0.2, 1.7])
W = np.array([0.01, -0.02, 0.005])
QUIET_ACC = {
    "turn_on_bias_sigma_m_s2": 0.0,
    "bias_instability_m_s2": 0.0,
    "velocity_random_walk_m_s_per_sqrt_h": 0.0,
}
QUIET_GYR = {
    "turn_on_bias_sigma_deg_h": 0.0,
    "bias_instability_deg_h": 0.0,
    "angle_random_walk_deg_per_sqrt_h": 0.0,
}


def _cfg(acc: dict | None = None, gyr: dict | None = None, **kw) -> ImuConfig:  # noqa: ANN003
    return ImuConfig(accelerometer={**QUIET_ACC, **(acc or {})},
                     gyro={**QUIET_GYR, **(gyr or {})}, **kw)


def _cycle(p, state, row, n, t0=0.0, step0=0, seed=3, f=F, w=W, alt=1000.0, per_step=None):  # noqa: ANN001
    """One flight-software cycle of ``n`` samples with constant inputs, as simulation
    steps of ``per_step`` samples each (all ``n`` in one step by default)."""
    dt = p_dt(p)
    per_step = n if per_step is None else per_step
    imu_reset_row(row, t0)
    for k in range(n // per_step):
        imu_step(f, w, f, w, t0 + k * per_step * dt, per_step, alt, p, state, seed, step0 + k,
                 row)


def p_dt(p: np.ndarray) -> float:
    from surefoot.sensors.imu import P_DT

    return float(p[P_DT])


def test_constant_inputs_accumulate_exactly() -> None:
    p = imu_params(_cfg())
    row = np.zeros(N_IMU)
    _cycle(p, np.zeros(N_IMU_STATE), row, 5, t0=2.0)
    assert row[IMU_VALID] == 1.0
    assert row[IMU_DT] == pytest.approx(0.05, rel=1e-15, abs=0.0)
    assert row[IMU_T] == pytest.approx(2.05, rel=1e-15)
    np.testing.assert_allclose(row[IMU_DV : IMU_DV + 3], F * row[IMU_DT], rtol=1e-14, atol=0.0)
    np.testing.assert_allclose(row[IMU_DTHETA : IMU_DTHETA + 3], W * row[IMU_DT], rtol=1e-14,
                               atol=0.0)


def test_fixed_bias_adds_b_dt() -> None:
    b_a = np.array([0.01, -0.02, 0.03])
    b_g_deg_h = np.array([10.0, -5.0, 2.0])
    p = imu_params(_cfg({"bias_m_s2": tuple(b_a)}, {"bias_deg_h": tuple(b_g_deg_h)}))
    row = np.zeros(N_IMU)
    _cycle(p, np.zeros(N_IMU_STATE), row, 10)
    T = row[IMU_DT]
    np.testing.assert_allclose(row[IMU_DV : IMU_DV + 3], (F + b_a) * T, rtol=1e-14)
    b_g = np.radians(b_g_deg_h) / 3600.0
    np.testing.assert_allclose(row[IMU_DTHETA : IMU_DTHETA + 3], (W + b_g) * T, rtol=1e-14)


def test_scale_factor_and_misalignment() -> None:
    sf = np.array([500.0, -300.0, 1000.0])
    mis = np.array([2.0, -1.0, 3.0])
    p = imu_params(_cfg({"scale_factor_ppm": tuple(sf), "misalignment_mrad": tuple(mis)}))
    row = np.zeros(N_IMU)
    _cycle(p, np.zeros(N_IMU_STATE), row, 4)
    c_sensor_body = Rotation.from_rotvec(1e-3 * mis).as_matrix().T
    want = (1.0 + 1e-6 * sf) * (c_sensor_body @ F) * row[IMU_DT]
    np.testing.assert_allclose(row[IMU_DV : IMU_DV + 3], want, rtol=1e-13)


def test_saturation_clips_the_rate() -> None:
    p = imu_params(_cfg({"range_m_s2": 1.0}))
    row = np.zeros(N_IMU)
    _cycle(p, np.zeros(N_IMU_STATE), row, 5)
    np.testing.assert_allclose(row[IMU_DV : IMU_DV + 3] / row[IMU_DT], [0.3, -0.2, 1.0],
                               rtol=1e-13)


def test_white_noise_is_a_random_walk_of_the_configured_coefficient() -> None:
    """Var(dv over T) = VRW^2 T and var(dtheta over T) = ARW^2 T, for T = 0.05 and 0.5 s."""
    vrw_h, arw_h = 0.5, 0.2  # m/s/sqrt(h), deg/sqrt(h)
    p = imu_params(_cfg({"velocity_random_walk_m_s_per_sqrt_h": vrw_h},
                        {"angle_random_walk_deg_per_sqrt_h": arw_h}))
    state = np.zeros(N_IMU_STATE)
    row = np.zeros(N_IMU)
    # windows, samples per window, samples per simulation step, tolerance (about 4.5
    # sigma of a variance estimate): the noise drawn once per step must add up over
    # the steps of a window as sample-by-sample noise does
    for n_win, n_per, per_step, tol in ((4000, 5, 5, 0.1), (1500, 50, 50, 0.16),
                                        (1500, 50, 5, 0.16)):
        dv = np.empty((n_win, 3))
        dth = np.empty_like(dv)
        for k in range(dv.shape[0]):
            _cycle(p, state, row, n_per, step0=1_000_000 * n_per + k * n_per, per_step=per_step)
            dv[k] = row[IMU_DV : IMU_DV + 3] - F * row[IMU_DT]
            dth[k] = row[IMU_DTHETA : IMU_DTHETA + 3] - W * row[IMU_DT]
        T = n_per * 0.01
        np.testing.assert_allclose(dv.var(axis=0) / ((vrw_h / 60.0) ** 2 * T), 1.0, atol=tol)
        np.testing.assert_allclose(
            dth.var(axis=0) / ((math.radians(arw_h) / 60.0) ** 2 * T), 1.0, atol=tol
        )


def test_bias_processes() -> None:
    """Turn-on spread over 2000 runs; Gauss-Markov stationary sigma and lag correlation;
    random-walk variance q^2 t (each within sampling error)."""
    tau = 2.0
    p = imu_params(ImuConfig(
        accelerometer={**QUIET_ACC, "turn_on_bias_sigma_m_s2": 0.01,
                       "bias_instability_m_s2": 0.002, "bias_correlation_time_s": tau,
                       "bias_random_walk_m_s2_per_sqrt_s": 0.001},
        gyro=QUIET_GYR,
    ))
    runs, n = 2000, 20
    on = np.empty((runs, 3))
    gm = np.empty((runs, 2, 3))
    rw = np.empty((runs, 3))
    row = np.zeros(N_IMU)
    for s in range(runs):
        st = np.zeros(N_IMU_STATE)
        _cycle(p, st, row, 1, seed=s)
        on[s] = st[ST_B_ON : ST_B_ON + 3]
        gm[s, 0] = st[ST_B_GM : ST_B_GM + 3]
        _cycle(p, st, row, n - 1, step0=1, seed=s)
        gm[s, 1] = st[ST_B_GM : ST_B_GM + 3]
        rw[s] = st[ST_B_RW : ST_B_RW + 3]
    np.testing.assert_allclose(on.std(axis=0) / 0.01, 1.0, atol=0.1)
    np.testing.assert_allclose(gm.reshape(-1, 3).std(axis=0) / 0.002, 1.0, atol=0.1)
    lag = (gm[:, 0] * gm[:, 1]).mean(axis=0) / 0.002**2
    np.testing.assert_allclose(lag, math.exp(-(n - 1) * 0.01 / tau), atol=0.1)
    np.testing.assert_allclose(rw.var(axis=0) / (0.001**2 * n * 0.01), 1.0, atol=0.15)


def test_cycle_validity_and_substeps() -> None:
    assert imu_substeps(100, 0.05) == 5
    assert imu_substeps(200, 0.005) == 1
    with pytest.raises(ValueError, match="sensors.imu.rate_hz"):
        imu_substeps(100, 0.003)
    row = np.zeros(N_IMU)
    imu_reset_row(row, 1.0)
    assert row[IMU_VALID] == 0.0 and row[IMU_DT] == 0.0
    p = imu_params(_cfg(dropout_probability=1.0))
    _cycle(p, np.zeros(N_IMU_STATE), row, 5)
    assert row[IMU_VALID] == 0.0 and row[IMU_DT] == pytest.approx(0.05)


def test_truth_inputs_from_state() -> None:
    from surefoot.config.schema import VehicleConfig
    from surefoot.world.vehicle import N_STATE, S_MPROP, S_THRUST, S_W, vehicle_params

    vp = vehicle_params(VehicleConfig(engine={"misalignment_deg": (0.5, -0.3)}))
    x = np.zeros(N_STATE)
    x[S_MPROP] = 300.0
    x[S_THRUST] = 1200.0
    x[S_W : S_W + 3] = W
    f, w = imu_truth_inputs(x, vp)
    m = 340.0 + 300.0
    assert np.linalg.norm(f) == pytest.approx(1200.0 / m, rel=1e-14)
    assert f[2] > 0.99 * np.linalg.norm(f)
    np.testing.assert_array_equal(w, W)
    x[S_MPROP] = 0.0
    f, _ = imu_truth_inputs(x, vp)
    assert not f.any()


def test_a_step_sums_its_interpolated_samples_with_and_without_saturation() -> None:
    """Inputs that change over a step: the increment is the sum of the samples at the
    mid-sample points (by hand below), whether the step is summed as a line (no fault
    acts) or sample by sample (a fault that only silences the noise, which is zero
    here anyway), and when the line crosses the range limit part-way (each sample
    clipped)."""
    f0, f1 = np.array([0.3, -0.2, 0.6]), np.array([0.5, 0.4, 1.6])
    w0, w1 = np.array([0.01, -0.02, 0.0]), np.array([0.03, 0.0, -0.01])
    n = 5
    for rng_m_s2 in (100.0, 1.0):
        want = np.zeros(3)
        for j in range(n):
            u = f0 + (j + 0.5) / n * (f1 - f0)
            want += np.clip(u, -rng_m_s2, rng_m_s2) * 0.01
        for faults in ([], [{"kind": "noise", "value": 0.0}]):
            p = imu_params(_cfg({"range_m_s2": rng_m_s2}, faults=faults))
            row = np.zeros(N_IMU)
            imu_reset_row(row, 0.0)
            imu_step(f0, w0, f1, w1, 0.0, n, 1000.0, p, np.zeros(N_IMU_STATE), 3, 0, row)
            assert row[IMU_VALID] == 1.0
            np.testing.assert_allclose(row[IMU_DV : IMU_DV + 3], want, rtol=1e-13, atol=1e-16)
            np.testing.assert_allclose(row[IMU_DTHETA : IMU_DTHETA + 3],
                                       0.5 * (w0 + w1) * 0.05, rtol=1e-13, atol=1e-17)
