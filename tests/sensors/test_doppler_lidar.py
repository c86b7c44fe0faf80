"""Doppler lidar against the analytic line-of-sight velocity and the ray-sphere range.

References, computed here with scipy's rotations and plain NumPy:
- beam k of the cone is at ``cant`` from the boresight and 120 deg from its
  neighbours in azimuth (NDL geometry);
- v_los = u . (v_sensor - Omega x r_hit) with v_sensor = v + C_mci_body
  (omega_body x lever) and r_hit the point the beam hits: the surface point's
  own velocity, not the formula the kernel uses (Omega x r_sensor; the two
  differ by a vector normal to the beam);
- range: the ray-sphere intersection with the constant-height terrain.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from surefoot.config.navigation import NavDopplerConfig
from surefoot.config.sensors import DopplerLidarConfig
from surefoot.fsw.nav.measurements import DOP_RANGE, DOP_VALID, DOP_VLOS, N_DOPPLER
from surefoot.sensors.doppler_lidar import (
    N_DOPPLER_STATE,
    doppler_beams_body,
    doppler_lidar_measure,
    doppler_lidar_params,
)

from .conftest import H_TERRAIN, OMEGA, R_MOON, rz, sphere_range, truth_state

LEVER = (0.4, 0.1, -0.6)


def _measure(grids, site, x, t, cfg, seed=11, step=5, state=None, alt=1000.0):  # noqa: ANN001, ANN202
    out = np.zeros(N_DOPPLER)
    st = np.zeros(N_DOPPLER_STATE) if state is None else state
    doppler_lidar_measure(
        x, t, alt, site, grids.meta, grids.offsets, grids.heights,
        doppler_lidar_params(cfg), st, seed, step, out,
    )
    return out


def test_beam_geometry_is_a_120_degree_cone() -> None:
    b = np.array([0.2, -0.3, -0.9])
    b /= np.linalg.norm(b)
    u = doppler_beams_body(b, 22.5, 17.0)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-14)
    np.testing.assert_allclose(np.degrees(np.arccos(u @ b)), 22.5, atol=1e-9)
    perp = u - np.outer(u @ b, b)
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        # azimuth runs from x_s towards x_s x b: a right-handed turn about -b
        ang = math.degrees(math.atan2(np.cross(perp[i], perp[j]) @ -b, perp[i] @ perp[j]))
        assert abs(ang - 120.0) < 1e-9


def test_default_mounting_is_what_the_flight_software_assumes() -> None:
    """Truth defaults equal ``fsw.nav.doppler`` defaults, beam for beam (same order)."""
    truth = DopplerLidarConfig()
    believed = NavDopplerConfig()
    got = doppler_beams_body(np.array(truth.boresight_body), truth.cant_deg, truth.azimuth_deg)
    want = np.array(believed.beams_body)
    np.testing.assert_allclose(got, want / np.linalg.norm(want, axis=1, keepdims=True),
                               atol=1e-12)
    assert truth.position_body_m == believed.position_body_m


def test_los_velocity_and_range_are_analytic(shell, site) -> None:  # noqa: ANN001
    """Noise off: v_los to 1e-9 m/s and range to 1 mm, lander moving, rotating and tilted."""
    cfg = DopplerLidarConfig(
        position_body_m=LEVER, boresight_body=(0.1, 0.0, -1.0), azimuth_deg=30.0,
        velocity_noise_m_s=0.0, range_noise_floor_m=0.0, range_noise_fraction=0.0,
    )
    t = 2000.0
    v = (35.0, -60.0, -80.0)
    w = (0.02, -0.03, 0.05)
    x, rot = truth_state(shell, 700.0, -300.0, H_TERRAIN + 3000.0, t,
                         tilt=Rotation.from_rotvec([0.15, 0.05, 0.3]), v_mci=v, omega_body=w)
    out = _measure(shell, site, x, t, cfg)
    lever_mci = rot.apply(LEVER)
    r_s = x[0:3] + lever_mci
    v_s = np.asarray(v) + rot.apply(np.cross(w, LEVER))
    spin = np.array([0.0, 0.0, OMEGA])
    back = rz(OMEGA * t).T
    dirs = doppler_beams_body(np.array([0.1, 0.0, -1.0]), 22.5, 30.0)
    for k in range(3):
        u = rot.apply(dirs[k])
        rho = sphere_range(back @ r_s, back @ u, R_MOON + H_TERRAIN)
        r_hit = r_s + rho * u
        want_v = u @ (v_s - np.cross(spin, r_hit))
        assert out[DOP_VALID + k] == 1.0
        assert abs(out[DOP_VLOS + k] - want_v) < 1e-9
        assert abs(out[DOP_RANGE + k] - rho) < 1e-3
    # descending onto the surface: every beam sees a positive closing velocity
    x2, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 1000.0, 0.0)
    x2[3:6] = -20.0 * x2[0:3] / np.linalg.norm(x2[0:3])
    out2 = _measure(shell, site, x2, 0.0, cfg)
    assert np.all(out2[DOP_VLOS : DOP_VLOS + 3] > 0.0)


def test_valid_only_inside_range_window_and_speed_limit(shell, site) -> None:  # noqa: ANN001
    cfg = DopplerLidarConfig(max_range_m=6000.0, max_los_speed_m_s=100.0)
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 5000.0, 0.0)
    assert np.all(_measure(shell, site, x, 0.0, cfg)[DOP_VALID : DOP_VALID + 3] == 1.0)
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 6000.0, 0.0)  # slant 6000/cos 22.5 > max
    assert not _measure(shell, site, x, 0.0, cfg)[DOP_VALID : DOP_VALID + 3].any()
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 1000.0, 0.0)
    x[3:6] = -150.0 * x[0:3] / np.linalg.norm(x[0:3])  # 150 m/s down: LOS 139 m/s > 100
    assert not _measure(shell, site, x, 0.0, cfg)[DOP_VALID : DOP_VALID + 3].any()


def test_noise_statistics(shell, site) -> None:  # noqa: ANN001
    """Velocity and range errors over 3000 samples have the configured sigmas (6%)."""
    cfg = DopplerLidarConfig(velocity_noise_m_s=0.03, range_noise_floor_m=1.0,
                             range_noise_fraction=1e-3)
    quiet = cfg.model_copy(update={"velocity_noise_m_s": 0.0, "range_noise_floor_m": 0.0,
                                   "range_noise_fraction": 0.0})
    x, _ = truth_state(shell, 0.0, 0.0, H_TERRAIN + 2000.0, 0.0, v_mci=(10.0, 0.0, -5.0))
    truth = _measure(shell, site, x, 0.0, quiet)
    errs = np.array([_measure(shell, site, x, 0.0, cfg, step=k) - truth for k in range(3000)])
    dv = errs[:, DOP_VLOS : DOP_VLOS + 3]
    dr = errs[:, DOP_RANGE : DOP_RANGE + 3]
    sig_r = 1.0 + 1e-3 * truth[DOP_RANGE : DOP_RANGE + 3]
    np.testing.assert_allclose(dv.std(axis=0) / 0.03, 1.0, atol=0.06)
    np.testing.assert_allclose(dr.std(axis=0) / sig_r, 1.0, atol=0.06)
    assert abs(np.corrcoef(dv[:, 0], dr[:, 0])[0, 1]) < 0.08
