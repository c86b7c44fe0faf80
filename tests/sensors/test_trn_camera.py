"""TRN camera: fixes equal the map coordinates of the truth position, only inside its band.

Reference: the lander is placed at a chosen map point (x, y) and height with
``TerrainGrids.to_mcmf`` and the Moon turned by omega t, so the noise-free
fix must return (x, y); the reported sigma is a + b h with h the altitude
above the constant-height terrain.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from surefoot.config.sensors import TrnCameraConfig
from surefoot.fsw.nav.measurements import N_TRN, TRN_SIGMA, TRN_VALID, TRN_X, TRN_Y
from surefoot.sensors.trn_camera import N_TRN_STATE, trn_camera_measure, trn_camera_params

from .conftest import H_TERRAIN, truth_state


def _measure(site, x, t, alt, cfg, step=0, seed=9, state=None):  # noqa: ANN001, ANN202
    out = np.zeros(N_TRN)
    st = np.zeros(N_TRN_STATE) if state is None else state
    trn_camera_measure(x, t, alt, site, trn_camera_params(cfg), st, seed, step, out)
    return out


def test_fix_is_the_map_position_without_noise(shell, site) -> None:  # noqa: ANN001
    cfg = TrnCameraConfig(sigma_floor_m=0.0, sigma_per_altitude=0.0)
    for t, xe, yn in ((0.0, 0.0, 0.0), (3000.0, -12_345.0, 6789.0), (800.0, 41_000.0, -250.0)):
        x, _ = truth_state(shell, xe, yn, H_TERRAIN + 4000.0, t)
        out = _measure(site, x, t, 4000.0, cfg)
        assert out[TRN_VALID] == 1.0
        assert abs(out[TRN_X] - xe) < 1e-6 and abs(out[TRN_Y] - yn) < 1e-6


def test_valid_only_inside_altitude_band(shell, site) -> None:  # noqa: ANN001
    cfg = TrnCameraConfig(min_altitude_m=500.0, max_altitude_m=15_000.0)
    for alt, want in ((300.0, 0.0), (499.0, 0.0), (500.0, 1.0), (8000.0, 1.0),
                      (15_000.0, 1.0), (15_001.0, 0.0), (30_000.0, 0.0)):
        x, _ = truth_state(shell, 100.0, 200.0, H_TERRAIN + alt, 0.0)
        assert _measure(site, x, 0.0, alt, cfg)[TRN_VALID] == want, alt
    x, _ = truth_state(shell, 100.0, 200.0, H_TERRAIN + 8000.0, 0.0)
    assert _measure(site, x, 0.0, 8000.0, TrnCameraConfig(enabled=False))[TRN_VALID] == 0.0


def test_boresight_off_nadir_and_rate_limits(shell, site) -> None:  # noqa: ANN001
    cfg = TrnCameraConfig(max_off_nadir_deg=30.0, max_body_rate_deg_s=2.0)
    for tilt_deg, want in ((29.0, 1.0), (31.0, 0.0)):
        tilt = Rotation.from_rotvec([math.radians(tilt_deg), 0.0, 0.0])
        x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 3000.0, 0.0, tilt=tilt)
        assert _measure(site, x, 0.0, 3000.0, cfg)[TRN_VALID] == want
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 3000.0, 0.0,
                       omega_body=(0.0, 0.0, math.radians(2.5)))
    assert _measure(site, x, 0.0, 3000.0, cfg)[TRN_VALID] == 0.0


def test_sigma_grows_with_altitude_and_matches_the_scatter(shell, site) -> None:  # noqa: ANN001
    cfg = TrnCameraConfig(sigma_floor_m=4.0, sigma_per_altitude=2e-3)
    for alt in (1000.0, 10_000.0):
        x, _ = truth_state(shell, 50.0, -70.0, H_TERRAIN + alt, 0.0)
        fixes = np.array([_measure(site, x, 0.0, alt, cfg, step=k) for k in range(2000)])
        sigma = 4.0 + 2e-3 * alt
        np.testing.assert_allclose(fixes[:, TRN_SIGMA], sigma)
        err = fixes[:, [TRN_X, TRN_Y]] - [50.0, -70.0]
        np.testing.assert_allclose(err.std(axis=0) / sigma, 1.0, atol=0.07)
