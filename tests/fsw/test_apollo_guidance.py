"""Apollo-style quartic guidance against its defining boundary conditions (Klumpp 1974)."""

from __future__ import annotations

import numpy as np

from surefoot.fsw.guidance.apollo import quartic_acceleration, tgo_from_jerk


def _quartic_through(r, v, rt, vt, at, tgo):
    """Solve the 5 coefficients per axis of r(s) on s in [0, tgo] independently."""
    a = np.array([
        [1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [1, tgo, tgo**2, tgo**3, tgo**4],
        [0, 1, 2 * tgo, 3 * tgo**2, 4 * tgo**3],
        [0, 0, 2, 6 * tgo, 12 * tgo**2],
    ], dtype=float)
    return np.linalg.solve(a, np.array([r, v, rt, vt, at]))


def test_quartic_command_is_the_initial_acceleration_of_the_interpolating_quartic() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        r, v, rt, vt, at = (rng.normal(0, 1000, 3), rng.normal(0, 50, 3), rng.normal(0, 100, 3),
                            rng.normal(0, 5, 3), rng.normal(0, 1, 3))
        tgo = rng.uniform(20, 500)
        a_cmd = quartic_acceleration(r, v, rt, vt, at, tgo)
        for k in range(3):
            c = _quartic_through(r[k], v[k], rt[k], vt[k], at[k], tgo)
            assert abs(a_cmd[k] - 2 * c[2]) < 1e-9 * max(1, abs(a_cmd[k]))


def test_tgo_meets_the_downrange_jerk_target() -> None:
    r, v, rt, vt, at, jt = -50_000.0, 600.0, -2500.0, 25.0, -0.3, 0.01
    tgo = tgo_from_jerk(r, v, rt, vt, at, jt, -1.0)
    assert tgo > 0
    c = _quartic_through(r, v, rt, vt, at, tgo)
    jerk_end = 6 * c[3] + 24 * c[4] * tgo
    assert abs(jerk_end - jt) < 1e-9
