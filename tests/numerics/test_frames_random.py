"""Frames, quaternions and the counter-based random stream."""

from __future__ import annotations

import numpy as np
from scipy import stats

from surefoot.math.frames import enu_basis_mcmf, map_to_mcmf, mcmf_to_map, rot_mci_to_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_mul, quat_rotate, quat_to_dcm
from surefoot.math.random_stream import normal, uniform

R = 1_737_400.0


def test_map_projection_round_trip_and_true_distance_from_site() -> None:
    """Azimuthal equidistant: distance from the site along the sphere is exact."""
    c = enu_basis_mcmf(np.radians(46.7), np.radians(44.4))
    rng = np.random.default_rng(0)
    for _ in range(50):
        x, y, h = rng.uniform(-800e3, 800e3), rng.uniform(-800e3, 800e3), rng.uniform(-3e3, 2e4)
        p = map_to_mcmf(x, y, h, c, R)
        x2, y2, h2 = mcmf_to_map(p, c, R)
        assert abs(x2 - x) < 1e-6 and abs(y2 - y) < 1e-6 and abs(h2 - h) < 1e-6
        site = c[2] * R
        ang = np.arccos(np.clip(p @ site / (np.linalg.norm(p) * R), -1, 1))
        assert abs(R * ang - np.hypot(x, y)) < 1e-6


def test_quaternion_dcm_consistency() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        q = rng.standard_normal(4)
        q /= np.linalg.norm(q)
        v = rng.standard_normal(3)
        np.testing.assert_allclose(quat_rotate(q, v), quat_to_dcm(q) @ v, atol=1e-12)
        q2 = dcm_to_quat(quat_to_dcm(q))
        assert min(np.linalg.norm(q2 - q), np.linalg.norm(q2 + q)) < 1e-12
        p = rng.standard_normal(4)
        p /= np.linalg.norm(p)
        np.testing.assert_allclose(quat_rotate(quat_mul(p, q), v),
                                   quat_rotate(p, quat_rotate(q, v)), atol=1e-12)


def test_moon_rotation_is_a_z_rotation() -> None:
    v = np.array([1.0, 2.0, 3.0])
    out = rot_mci_to_mcmf(v, np.pi / 2)
    np.testing.assert_allclose(out, [2.0, -1.0, 3.0], atol=1e-12)


def test_counter_based_stream_is_a_pure_function_with_right_statistics() -> None:
    assert normal(7, 1, 123, 4) == normal(7, 1, 123, 4)
    assert normal(7, 1, 123, 4) != normal(8, 1, 123, 4)
    assert normal(7, 1, 123, 4) != normal(7, 2, 123, 4)
    z = np.array([normal(42, 1, k, 0) for k in range(20000)])
    u = np.array([uniform(42, 3, k, 0) for k in range(20000)])
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert 0.0 < u.min() and u.max() < 1.0
