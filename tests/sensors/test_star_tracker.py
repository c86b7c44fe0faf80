"""Star tracker noise against its configured sigmas, in its own axes.

Reference: the error rotation q_true^-1 ⊗ q_meas, turned into a rotation
vector by scipy and expressed in sensor axes (boresight z), has zero mean
and standard deviations (cross, cross, about) as configured.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from surefoot.config.sensors import StarTrackerConfig
from surefoot.fsw.nav.measurements import N_STAR, STAR_Q, STAR_VALID
from surefoot.sensors.star_tracker import (
    N_STAR_STATE,
    sensor_axes_body,
    star_tracker_measure,
    star_tracker_params,
)
from surefoot.world.vehicle import N_STATE, S_Q, S_W

ARCSEC = math.pi / 180.0 / 3600.0


def _state(rot: Rotation, w=(0.0, 0.0, 0.0)) -> np.ndarray:  # noqa: ANN001
    x = np.zeros(N_STATE)
    qx, qy, qz, qw = rot.as_quat()
    x[S_Q : S_Q + 4] = (qw, qx, qy, qz)
    x[S_W : S_W + 3] = w
    return x


def _measure(x, cfg, t=0.0, step=0, seed=5, state=None, alt=1000.0):  # noqa: ANN001, ANN202
    out = np.zeros(N_STAR)
    st = np.zeros(N_STAR_STATE) if state is None else state
    star_tracker_measure(x, t, alt, star_tracker_params(cfg), st, seed, step, out)
    return out


def error_sensor(out: np.ndarray, rot: Rotation, boresight) -> np.ndarray:  # noqa: ANN001
    """Measured-minus-true rotation vector (rad) in sensor axes."""
    w, x, y, z = out[STAR_Q : STAR_Q + 4]
    meas = Rotation.from_quat([x, y, z, w])
    e_body = (rot.inv() * meas).as_rotvec()
    return sensor_axes_body(np.asarray(boresight)).T @ e_body


def test_sensor_axes_are_orthonormal_with_boresight_z() -> None:
    for b in ((0.0, -0.5, 0.866), (1.0, 0.0, 0.0), (0.0, 0.0, -1.0)):
        c = sensor_axes_body(np.array(b))
        np.testing.assert_allclose(c.T @ c, np.eye(3), atol=1e-14)
        np.testing.assert_allclose(c[:, 2], np.array(b) / np.linalg.norm(b), atol=1e-14)
        assert np.linalg.det(c) > 0.0


def test_noise_statistics_match_sigmas() -> None:
    """3000 samples: std about each sensor axis within 6% of (10, 10, 60) arcsec."""
    bore = (0.3, -0.5, 0.8)
    cfg = StarTrackerConfig(boresight_body=bore, cross_boresight_noise_arcsec=10.0,
                            about_boresight_noise_arcsec=60.0)
    rot = Rotation.from_rotvec([0.4, -1.1, 2.0])
    x = _state(rot)
    e = np.array([error_sensor(_measure(x, cfg, step=k), rot, bore) for k in range(3000)])
    sig = np.array([10.0, 10.0, 60.0]) * ARCSEC
    np.testing.assert_allclose(e.std(axis=0) / sig, 1.0, atol=0.06)
    assert np.all(np.abs(e.mean(axis=0)) < 4 * sig / math.sqrt(3000))
    c = np.corrcoef(e.T)
    assert np.all(np.abs(c[np.triu_indices(3, 1)]) < 0.08)


def test_rate_limit_and_own_rate() -> None:
    cfg = StarTrackerConfig(rate_hz=5, max_body_rate_deg_s=2.0)
    rot = Rotation.identity()
    slow = _state(rot, (0.0, math.radians(1.9), 0.0))
    fast = _state(rot, (0.0, math.radians(2.1), 0.0))
    assert _measure(slow, cfg)[STAR_VALID] == 1.0
    assert _measure(fast, cfg)[STAR_VALID] == 0.0
    st = np.zeros(N_STAR_STATE)
    got = [_measure(slow, cfg, t=k * 0.05, step=k, state=st)[STAR_VALID] for k in range(20)]
    np.testing.assert_array_equal(np.nonzero(got)[0], [0, 4, 8, 12, 16])


def test_random_dropouts() -> None:
    cfg = StarTrackerConfig(dropout_probability=0.25)
    x = _state(Rotation.identity())
    valid = np.array([_measure(x, cfg, step=k)[STAR_VALID] for k in range(4000)])
    assert abs(1.0 - valid.mean() - 0.25) < 0.03
