"""Laser rangefinder against the ray-sphere intersection with a constant-height terrain.

Reference: the terrain is the sphere r = R + H, so a beam from sensor
position o (MCMF) along unit d hits it at s = -(o.d) - sqrt((o.d)^2 - |o|^2
+ (R + H)^2); o and d follow from the truth state with scipy's rotations and
the Moon's turn omega t, computed here independently of the kernel.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from surefoot.config.navigation import NavRangefinderConfig
from surefoot.config.sensors import RangefinderConfig
from surefoot.fsw.nav.measurements import LRF_RANGE, LRF_VALID, N_LRF
from surefoot.sensors.rangefinder import N_LRF_STATE, rangefinder_measure, rangefinder_params

from .conftest import H_TERRAIN, OMEGA, R_MOON, rz, sphere_range, truth_state

LEVER = (0.3, -0.2, -0.5)


def _beam(slant_deg: float, az_deg: float) -> tuple[float, float, float]:
    s, a = math.radians(slant_deg), math.radians(az_deg)
    return (math.sin(s) * math.cos(a), math.sin(s) * math.sin(a), -math.cos(s))


def _measure(grids, site, x, t, cfg, seed=7, step=3, state=None, alt=1000.0):  # noqa: ANN001, ANN202
    out = np.zeros(N_LRF)
    st = np.zeros(N_LRF_STATE) if state is None else state
    rangefinder_measure(
        x, t, alt, site, grids.meta, grids.offsets, grids.heights,
        rangefinder_params(cfg), st, seed, step, out,
    )
    return out


def _expected(x_rot: Rotation, r_mci: np.ndarray, t: float, beams) -> np.ndarray:  # noqa: ANN001
    back = rz(OMEGA * t).T  # MCI -> MCMF
    origin = back @ (r_mci + x_rot.apply(LEVER))
    want = []
    for b in beams:
        d = back @ x_rot.apply(np.asarray(b) / np.linalg.norm(b))
        want.append(sphere_range(origin, d, R_MOON + H_TERRAIN))
    return np.array(want)


def test_slant_ranges_match_ray_sphere_intersection(shell, site) -> None:  # noqa: ANN001
    """Four beams at 0-70 deg from body -z, lander tilted 10 deg, Moon turned for 5000 s: 1 mm."""
    beams = (_beam(0, 0), _beam(20, 40), _beam(45, 160), _beam(70, 260))
    cfg = RangefinderConfig(
        beams_body=beams, position_body_m=LEVER, max_range_m=60_000.0,
        noise_floor_m=0.0, noise_fraction=0.0,
    )
    for t, (xe, yn, h) in ((5000.0, (1200.0, -800.0, H_TERRAIN + 2500.0)),
                           (37.0, (-20_000.0, 9000.0, H_TERRAIN + 300.0))):
        x, rot = truth_state(shell, xe, yn, h, t, tilt=Rotation.from_rotvec([0.1, -0.13, 0.05]))
        out = _measure(shell, site, x, t, cfg)
        want = _expected(rot, x[0:3], t, beams)
        assert np.all(np.isfinite(want))
        np.testing.assert_array_equal(out[LRF_VALID : LRF_VALID + 4], 1.0)
        np.testing.assert_allclose(out[LRF_RANGE : LRF_RANGE + 4], want, rtol=0.0, atol=1e-3)


def test_beyond_max_range_and_upward_beams_are_invalid(shell, site) -> None:  # noqa: ANN001
    beams = (_beam(0, 0), _beam(70, 0), (0.0, 0.0, 1.0), _beam(10, 90))
    cfg = RangefinderConfig(beams_body=beams, position_body_m=LEVER, max_range_m=3000.0,
                            noise_floor_m=0.0, noise_fraction=0.0)
    x, rot = truth_state(shell, 0.0, 0.0, H_TERRAIN + 2000.0, 10.0)
    want = _expected(rot, x[0:3], 10.0, beams)
    out = _measure(shell, site, x, 10.0, cfg)
    assert want[1] > 3000.0 and math.isnan(want[2])
    np.testing.assert_array_equal(out[LRF_VALID : LRF_VALID + 4], [1.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(out[LRF_RANGE + 3], want[3], atol=1e-3)
    # below the minimum range: no return
    cfg = RangefinderConfig(min_range_m=2500.0, max_range_m=3000.0, position_body_m=LEVER)
    assert _measure(shell, site, x, 10.0, cfg)[LRF_VALID] == 0.0


def test_noise_is_floor_plus_fraction_of_range(shell, site) -> None:  # noqa: ANN001
    """Sample std of (measured - true) over 3000 samples equals floor + fraction * range (6%)."""
    cfg = RangefinderConfig(position_body_m=LEVER, noise_floor_m=0.5, noise_fraction=2e-3)
    x, rot = truth_state(shell, 0.0, 0.0, H_TERRAIN + 4000.0, 0.0)
    truth = _expected(rot, x[0:3], 0.0, [(0.0, 0.0, -1.0)])[0]
    errs = np.array([
        _measure(shell, site, x, 0.0, cfg, step=k)[LRF_RANGE] - truth for k in range(3000)
    ])
    sigma = 0.5 + 2e-3 * truth
    assert abs(errs.mean()) < 4 * sigma / math.sqrt(3000)
    assert abs(errs.std() / sigma - 1.0) < 0.06


def test_disabled_unit_never_delivers(shell, site) -> None:  # noqa: ANN001
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 500.0, 0.0)
    out = _measure(shell, site, x, 0.0, RangefinderConfig(enabled=False))
    assert not out[LRF_VALID : LRF_VALID + 4].any()


def test_delivers_on_its_own_rate(shell, site) -> None:  # noqa: ANN001
    """At 4 Hz, called at 20 Hz for 2 s: 8 samples, at t = 0, 0.25, ..."""
    cfg = RangefinderConfig(rate_hz=4)
    st = np.zeros(N_LRF_STATE)
    valid_t = []
    for step in range(40):
        t = step * 0.05
        x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 500.0, t)
        if _measure(shell, site, x, t, cfg, step=step, state=st)[LRF_VALID]:
            valid_t.append(t)
    np.testing.assert_allclose(valid_t, 0.25 * np.arange(8), atol=1e-12)


def test_default_mounting_is_what_the_flight_software_assumes() -> None:
    truth = RangefinderConfig()
    believed = NavRangefinderConfig()
    assert truth.beams_body == believed.beams_body
    assert truth.position_body_m == believed.position_body_m
