"""The navigation filter's gravity (point mass + J2) against the truth model's.

Two implementations of Vallado's J2 acceleration (Fundamentals of
Astrodynamics, eq. 8-31): the flight software's own and the truth
simulator's must agree, and J2 = 0 must give the point mass.
"""

from __future__ import annotations

import numpy as np

from surefoot.config.schema import MoonConfig
from surefoot.fsw.nav.mechanization import gravity_mci as fsw_gravity
from surefoot.world.moon import gravity_mci as truth_gravity
from surefoot.world.moon import moon_params


def test_fsw_j2_gravity_matches_the_truth_model() -> None:
    cfg = MoonConfig()
    moon = moon_params(cfg)
    rng = np.random.default_rng(3)
    for _ in range(50):
        u = rng.normal(size=3)
        r = u / np.linalg.norm(u) * (cfg.radius_m + rng.uniform(0.0, 100e3))
        a_fsw = fsw_gravity(r, cfg.gm_m3_s2, cfg.j2, cfg.j2_reference_radius_m)
        a_truth = truth_gravity(r, moon)
        assert np.allclose(a_fsw, a_truth, rtol=1e-12, atol=1e-15)


def test_zero_j2_is_the_point_mass() -> None:
    r = np.array([1.0e6, -1.2e6, 0.7e6])
    a = fsw_gravity(r, 4.9028e12, 0.0, 1.738e6)
    assert np.allclose(a, -4.9028e12 * r / np.linalg.norm(r) ** 3, rtol=1e-14)
    # J2 changes the point-mass value by about J2 (R/r)^2, 1e-4 relative
    a_j2 = fsw_gravity(r, 4.9028e12, 2.0322e-4, 1.738e6)
    rel = np.linalg.norm(a_j2 - a) / np.linalg.norm(a)
    assert 1e-5 < rel < 1e-3
