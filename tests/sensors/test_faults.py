"""Every fault kind does what it says inside its window and nothing outside it.

Reference for each check: the same sensor, same truth, same seed and step
without the fault (noise draws are keyed, so the two differ only by the
fault), and where a kind changes the value, the noise-free truth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from surefoot.config.sensors import (
    DopplerLidarConfig,
    ImuConfig,
    RangefinderConfig,
    StarTrackerConfig,
    TrnCameraConfig,
)
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_VALID,
    DOP_VLOS,
    IMU_DT,
    IMU_DTHETA,
    IMU_DV,
    IMU_VALID,
    LRF_RANGE,
    LRF_VALID,
    N_DOPPLER,
    N_IMU,
    N_LRF,
    N_STAR,
    N_TRN,
    STAR_Q,
    STAR_VALID,
    TRN_VALID,
    TRN_X,
    TRN_Y,
)
from surefoot.sensors.doppler_lidar import (
    N_DOPPLER_STATE,
    doppler_lidar_measure,
    doppler_lidar_params,
)
from surefoot.sensors.imu import N_IMU_STATE, imu_params, imu_reset_row, imu_step
from surefoot.sensors.rangefinder import N_LRF_STATE, rangefinder_measure, rangefinder_params
from surefoot.sensors.star_tracker import (
    N_STAR_STATE,
    sensor_axes_body,
    star_tracker_measure,
    star_tracker_params,
)
from surefoot.sensors.trn_camera import N_TRN_STATE, trn_camera_measure, trn_camera_params

from .conftest import H_TERRAIN, truth_state

BEAMS = ((0.0, 0.0, -1.0), (math.sin(0.35), 0.0, -math.cos(0.35)))
ALT = 2000.0
# (window, inside (t, alt), outside points)
WINDOWS = (
    ({"time_s": (100.0, 200.0)}, (150.0, ALT), ((50.0, ALT), (200.0, ALT), (250.0, ALT))),
    ({"altitude_m": (1500.0, 2500.0)}, (150.0, ALT), ((150.0, 1400.0), (150.0, 3000.0))),
)


class Lrf:
    def __init__(self, grids, site, **kw) -> None:  # noqa: ANN001, ANN003
        self.g, self.site, self.kw = grids, site, kw

    def __call__(self, faults=(), t=150.0, alt=ALT, step=42, height=ALT, state=None, **kw):  # noqa: ANN001, ANN003, ANN204
        cfg = RangefinderConfig(beams_body=BEAMS, faults=faults, **{**self.kw, **kw})
        x, _ = truth_state(self.g, 10.0, 20.0, H_TERRAIN + height, t)
        out = np.zeros(N_LRF)
        st = np.zeros(N_LRF_STATE) if state is None else state
        rangefinder_measure(x, t, alt, self.site, self.g.meta, self.g.offsets, self.g.heights,
                            rangefinder_params(cfg), st, 1234, step, out)
        return out


@pytest.fixture
def lrf(shell, site) -> Lrf:  # noqa: ANN001
    return Lrf(shell, site)


def _ranges(out: np.ndarray) -> np.ndarray:
    return out[LRF_RANGE : LRF_RANGE + 2]


def _valid(out: np.ndarray) -> np.ndarray:
    return out[LRF_VALID : LRF_VALID + 2]


KIND_CASES = {
    "disabled": ({}, lambda o, base, true: not _valid(o).any()),
    "dropout": ({"probability": 1.0}, lambda o, base, true: not _valid(o).any()),
    "stuck": ({"value": 777.0}, lambda o, b, t: np.all(_ranges(o) == 777.0) and _valid(o).all()),
    "spike": ({"value": 3000.0}, lambda o, b, t: np.allclose(_ranges(o) - _ranges(b), 3000.0)),
    "bias": ({"value": -50.0}, lambda o, b, t: np.allclose(_ranges(o) - _ranges(b), -50.0)),
    "scale": ({"value": 0.1},
              lambda o, b, t: np.allclose(_ranges(o) - _ranges(b), 0.1 * _ranges(t), atol=1e-9)),
    "noise": ({"value": 3.0},
              lambda o, b, t: np.allclose(_ranges(o) - _ranges(t), 3 * (_ranges(b) - _ranges(t)))),
    "delayed_acquisition": ({"value": 1500.0}, lambda o, base, true: not _valid(o).any()),
}


@pytest.mark.parametrize("kind", sorted(KIND_CASES))
@pytest.mark.parametrize("w", range(len(WINDOWS)))
def test_rangefinder_fault_kinds_inside_and_outside(lrf, kind: str, w: int) -> None:  # noqa: ANN001
    extra, check = KIND_CASES[kind]
    window, (t_in, alt_in), outside = WINDOWS[w]
    faults = [{"kind": kind, **window, **extra}]
    base = lrf(t=t_in, alt=alt_in)
    true = lrf(t=t_in, alt=alt_in, noise_floor_m=0.0, noise_fraction=0.0)
    assert _valid(base).all() and not np.array_equal(_ranges(base), _ranges(true))
    assert check(lrf(faults, t=t_in, alt=alt_in), base, true)
    for t_out, alt_out in outside:
        np.testing.assert_array_equal(lrf(faults, t=t_out, alt=alt_out),
                                      lrf(t=t_out, alt=alt_out))


def test_fault_on_one_beam_leaves_the_other(lrf) -> None:  # noqa: ANN001
    base = lrf()
    out = lrf([{"kind": "bias", "channel": 1, "value": 25.0}])
    assert out[LRF_RANGE] == base[LRF_RANGE]
    assert out[LRF_RANGE + 1] == pytest.approx(base[LRF_RANGE + 1] + 25.0, abs=1e-9)
    out = lrf([{"kind": "disabled", "channel": 0}])
    np.testing.assert_array_equal(_valid(out), [0.0, 1.0])


def test_dropout_and_spike_probabilities(lrf) -> None:  # noqa: ANN001
    n = 3000
    one = np.array([_valid(lrf([{"kind": "dropout", "channel": 0, "probability": 0.3}],
                                step=k)) for k in range(n)])
    assert abs(1.0 - one[:, 0].mean() - 0.3) < 0.03 and one[:, 1].all()
    both = np.array([_valid(lrf([{"kind": "dropout", "probability": 0.3}], step=k))
                     for k in range(n)])
    assert np.array_equal(both[:, 0], both[:, 1])  # the unit drops out as a whole
    assert abs(1.0 - both[:, 0].mean() - 0.3) < 0.03
    spikes = np.array([_ranges(lrf([{"kind": "spike", "value": 500.0, "probability": 0.1}],
                                   step=k)) - _ranges(lrf(step=k)) for k in range(n)])
    hit = np.isclose(spikes, 500.0)
    assert np.all(hit | np.isclose(spikes, 0.0))
    assert abs(hit.mean() - 0.1) < 0.02


def test_stuck_without_value_holds_the_last_range(lrf) -> None:  # noqa: ANN001
    faults = [{"kind": "stuck", "time_s": (1.0, 100.0)}]
    st = np.zeros(N_LRF_STATE)
    before = lrf(faults, t=0.9, step=18, state=st, height=2500.0)
    for k, h in enumerate((2400.0, 2000.0, 12_000.0)):  # still stuck with no true return
        out = lrf(faults, t=1.0 + 0.1 * k, step=20 + 2 * k, state=st, height=h)
        np.testing.assert_array_equal(_ranges(out), _ranges(before))
        assert _valid(out).all()
    after = lrf(faults, t=100.0, step=2000, state=st, height=2000.0)
    assert np.all(np.abs(_ranges(after) - _ranges(before)) > 400.0)


def test_delayed_acquisition_latches_below_the_threshold(lrf) -> None:  # noqa: ANN001
    """Resilience: descending 3000 -> 300 m, first valid nadir range only below 1200 m."""
    faults = [{"kind": "delayed_acquisition", "channel": 0, "value": 1200.0}]
    st = np.zeros(N_LRF_STATE)
    heights = np.arange(3000.0, 299.0, -50.0)
    first = None
    for k, h in enumerate(heights):
        out = lrf(faults, t=0.1 * k, step=2 * k, state=st, height=h, alt=h)
        assert out[LRF_VALID + 1] == 1.0  # beam 1 has no fault
        if out[LRF_VALID] and first is None:
            first = h
        if first is not None:
            assert out[LRF_VALID] == 1.0
    assert first == pytest.approx(1200.0 - 0.5, abs=50.0)  # the lever arm puts it 0.5 m lower
    # once acquired the beam stays acquired even back above the threshold
    out = lrf(faults, t=100.0, step=9999, state=st, height=2500.0, alt=2500.0)
    assert out[LRF_VALID] == 1.0
    # and without the fault the same beam is valid from the start
    assert lrf(height=3000.0)[LRF_VALID] == 1.0


def _imu_cycle(faults, t0=10.0, f=(0.1, 0.2, 1.5), w=(0.01, 0.0, -0.02), state=None,
               sample0=7000, alt=ALT):  # noqa: ANN001
    p = imu_params(ImuConfig(faults=faults, accelerometer={"turn_on_bias_sigma_m_s2": 0.0}))
    row = np.zeros(N_IMU)
    st = np.zeros(N_IMU_STATE) if state is None else state
    imu_reset_row(row, t0)
    fa, wa = np.array(f), np.array(w)
    imu_step(fa, wa, fa, wa, t0, 5, alt, p, st, 77, sample0 // 5, row)
    return row


def test_imu_faults() -> None:
    win = {"time_s": (5.0, 20.0)}
    base = _imu_cycle([])
    out = _imu_cycle([{"kind": "bias", "channel": 4, "value": 0.1, **win}])
    d = out[IMU_DTHETA : IMU_DTHETA + 3] - base[IMU_DTHETA : IMU_DTHETA + 3]
    np.testing.assert_allclose(d, [0.0, math.radians(0.1) * base[IMU_DT], 0.0], atol=1e-15)
    # untouched channels: the same to rounding (a step without faults is summed as a
    # line, one with faults sample by sample)
    np.testing.assert_allclose(out[IMU_DV : IMU_DV + 3], base[IMU_DV : IMU_DV + 3], rtol=1e-14,
                               atol=0.0)
    assert _imu_cycle([{"kind": "disabled", **win}])[IMU_VALID] == 0.0
    assert _imu_cycle([{"kind": "disabled", "channel": 2, **win}])[IMU_VALID] == 0.0
    quiet = _imu_cycle([{"kind": "noise", "value": 0.0, **win}])
    assert not np.array_equal(quiet, base)
    stuck = _imu_cycle([{"kind": "stuck", "channel": 0, "value": 2.0, **win}])
    assert stuck[IMU_DV] == pytest.approx(2.0 * base[IMU_DT], rel=1e-14)
    # stuck at the last rate: the accelerometer keeps reporting the old force
    st = np.zeros(N_IMU_STATE)
    _imu_cycle([{"kind": "stuck", "channel": 2, "time_s": (10.0, 20.0)}], t0=9.95, state=st)
    held = _imu_cycle([{"kind": "stuck", "channel": 2, "time_s": (10.0, 20.0)}],
                      f=(0.1, 0.2, 0.0), state=st)
    assert held[IMU_DV + 2] == pytest.approx(1.5 * held[IMU_DT], rel=1e-3)
    for fault in ({"kind": "bias", "channel": 0, "value": 1.0}, {"kind": "disabled"},
                  {"kind": "stuck", "channel": 3, "value": 1.0}):
        for outside in ({"time_s": (0.0, 10.0)}, {"altitude_m": (0.0, 1000.0)}):
            np.testing.assert_array_equal(_imu_cycle([{**fault, **outside}]), base)


def test_star_tracker_faults() -> None:
    bore = (0.0, -0.5, 0.8660254037844386)
    win = {"altitude_m": (1000.0, 3000.0)}

    def meas(faults, rot, t=1.0, step=3, state=None):  # noqa: ANN001, ANN202
        x = np.zeros(18)
        qx, qy, qz, qw = rot.as_quat()
        x[6:10] = (qw, qx, qy, qz)
        out = np.zeros(N_STAR)
        st = np.zeros(N_STAR_STATE) if state is None else state
        star_tracker_measure(x, t, ALT, star_tracker_params(StarTrackerConfig(faults=faults)),
                             st, 5, step, out)
        return out

    def err(out, rot):  # noqa: ANN001, ANN202
        w, x, y, z = out[STAR_Q : STAR_Q + 4]
        e = (rot.inv() * Rotation.from_quat([x, y, z, w])).as_rotvec()
        return sensor_axes_body(np.array(bore)).T @ e

    rot = Rotation.from_rotvec([0.3, 0.2, -0.1])
    base = meas([], rot)
    out = meas([{"kind": "bias", "channel": 2, "value": 0.05, **win}], rot)
    np.testing.assert_allclose(err(out, rot) - err(base, rot), [0, 0, math.radians(0.05)],
                               atol=1e-12)
    assert meas([{"kind": "disabled", **win}], rot)[STAR_VALID] == 0.0
    st = np.zeros(N_STAR_STATE)
    first = meas([{"kind": "stuck", "time_s": (2.0, 9.0)}], rot, t=1.0, state=st)
    later = meas([{"kind": "stuck", "time_s": (2.0, 9.0)}], Rotation.from_rotvec([1, 0, 0]),
                 t=2.0, step=40, state=st)
    np.testing.assert_array_equal(later, np.r_[2.0, first[1:]])
    for fault in ({"kind": "bias", "value": 1.0}, {"kind": "disabled"}, {"kind": "stuck"},
                  {"kind": "noise", "value": 5.0}):
        np.testing.assert_array_equal(meas([{**fault, "time_s": (5.0, 6.0)}], rot), base)
        np.testing.assert_array_equal(meas([{**fault, "altitude_m": (0.0, 100.0)}], rot), base)


def test_doppler_lidar_faults(shell, site) -> None:  # noqa: ANN001
    def meas(faults, height=2500.0, state=None, step=8):  # noqa: ANN001, ANN202
        x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + height, 30.0, v_mci=(5.0, -3.0, 20.0))
        out = np.zeros(N_DOPPLER)
        st = np.zeros(N_DOPPLER_STATE) if state is None else state
        doppler_lidar_measure(x, 30.0, height, site, shell.meta, shell.offsets, shell.heights,
                              doppler_lidar_params(DopplerLidarConfig(faults=faults)), st, 3,
                              step, out)
        return out

    base = meas([])
    assert base[DOP_VALID : DOP_VALID + 3].all()
    out = meas([{"kind": "bias", "channel": 4, "value": 25.0}])
    diff = out - base
    np.testing.assert_allclose(diff[DOP_RANGE + 1], 25.0, atol=1e-9)
    diff[DOP_RANGE + 1] = 0.0
    assert not diff.any()
    out = meas([{"kind": "spike", "channel": 0, "value": 0.5}])
    assert out[DOP_VLOS] - base[DOP_VLOS] == pytest.approx(0.5, abs=1e-12)
    out = meas([{"kind": "delayed_acquisition", "channel": 2, "value": 2000.0}])
    np.testing.assert_array_equal(out[DOP_VALID : DOP_VALID + 3], [1.0, 1.0, 0.0])
    assert not meas([{"kind": "disabled"}])[DOP_VALID : DOP_VALID + 3].any()
    out = meas([{"kind": "stuck", "channel": 1, "value": -3.0},
                {"kind": "stuck", "channel": 4, "value": 99.0}], height=20_000.0)
    np.testing.assert_array_equal(out[[DOP_VALID, DOP_VALID + 1, DOP_VALID + 2]], [0, 1, 0])
    assert (out[DOP_VLOS + 1], out[DOP_RANGE + 1]) == (-3.0, 99.0)
    for fault in ({"kind": "bias", "channel": 0, "value": 1.0}, {"kind": "disabled"},
                  {"kind": "scale", "value": 0.2}):
        np.testing.assert_array_equal(meas([{**fault, "altitude_m": (3000.0, 9000.0)}]), base)


def test_trn_camera_faults(site, shell) -> None:  # noqa: ANN001
    def meas(faults, t=40.0, step=4, state=None):  # noqa: ANN001, ANN202
        x, _ = truth_state(shell, 300.0, 400.0, H_TERRAIN + 5000.0, t)
        out = np.zeros(N_TRN)
        st = np.zeros(N_TRN_STATE) if state is None else state
        trn_camera_measure(x, t, 5000.0, site,
                           trn_camera_params(TrnCameraConfig(faults=faults)), st, 2, step, out)
        return out

    base = meas([])
    out = meas([{"kind": "bias", "channel": 1, "value": 100.0, "time_s": (30.0, 50.0)}])
    assert out[TRN_X] == base[TRN_X]
    assert out[TRN_Y] == pytest.approx(base[TRN_Y] + 100.0, abs=1e-9)
    assert meas([{"kind": "disabled", "time_s": (30.0, 50.0)}])[TRN_VALID] == 0.0
    for fault in ({"kind": "bias", "channel": 0, "value": 1.0}, {"kind": "disabled"},
                  {"kind": "dropout"}):
        np.testing.assert_array_equal(meas([{**fault, "time_s": (0.0, 40.0)}]), base)
        np.testing.assert_array_equal(meas([{**fault, "altitude_m": (5001.0, 9000.0)}]), base)
