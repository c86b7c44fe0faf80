"""Change detection: registration, a planted change found within a pixel, a null pair.

References: phase correlation (Kuglin and Hines 1975) with DFT upsampling
(Guizar-Sicairos et al. 2008, Opt. Lett. 33, 156) and Lucas-Kanade (1981)
refinement; robust z-scores by the median absolute deviation (Hampel 1974,
1.4826 MAD = sigma for Gaussian noise). The truth of every case is the
planted change itself.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from surefoot.analysis.imagery.detect import DetectionSettings, detect_change
from surefoot.analysis.imagery.registration import phase_correlation, register
from surefoot.analysis.imagery.render import Camera, render_image, render_reflectance
from surefoot.analysis.imagery.scars import Touchdown, landing_mark, smooth_disc
from surefoot.analysis.imagery.synthetic import albedo_field, synthetic_terrain

N = 201
DX = 1.0
X0 = Y0 = -100.0
CENTRE = (10.3, -7.6)  # planted change, m east and north (off the pixel grid)
CAMERAS = {"snr80": Camera(), "snr40": Camera(full_well_e=12_000.0)}


@pytest.fixture(scope="module")
def ground() -> tuple[np.ndarray, np.ndarray]:
    return synthetic_terrain((N, N), DX, seed=5), albedo_field((N, N), DX, seed=5)


def _planted(albedo: np.ndarray) -> np.ndarray:
    """A dark disc (-20 %, 10 m radius) with a bright halo (+8 %, to 25 m)."""
    x = X0 + np.arange(N) * DX
    y = Y0 + np.arange(N) * DX
    r = np.hypot(x[None, :] - CENTRE[0], y[:, None] - CENTRE[1])
    dark = smooth_disc(r, 10.0, 4.0)
    halo = np.clip(smooth_disc(r, 25.0, 8.0) - dark, 0.0, 1.0)
    return albedo * (1.0 - 0.2 * dark + 0.08 * halo)


def _pair(ground, albedo_after, sun_el, sun_az, camera, offset_m, pixel_m, seed=1):
    height, albedo = ground
    kw = {
        "x0_m": X0,
        "y0_m": Y0,
        "sun_elevation_deg": sun_el,
        "sun_azimuth_deg": sun_az,
        "pixel_m": pixel_m,
        "camera": camera,
    }
    before = render_image(height, DX, albedo_factor=albedo, rng=seed, **kw)
    after = render_image(
        height, DX, albedo_factor=albedo_after, rng=seed + 100, pointing_offset_m=offset_m, **kw
    )
    return before, after


@pytest.mark.parametrize("offset_m", [(3.4, -2.7), (-0.3, 0.77), (-1.23, 2.5)])
def test_registration_recovers_a_subpixel_shift(ground, offset_m) -> None:
    height, albedo = ground
    kw = {"x0_m": X0, "y0_m": Y0, "sun_elevation_deg": 30.0, "sun_azimuth_deg": 90.0}
    before = render_reflectance(height, DX, albedo_factor=albedo, **kw).data
    after = render_reflectance(height, DX, albedo_factor=albedo, pointing_offset_m=offset_m, **kw)
    # The after image shows the ground displaced by +offset, i.e. the scene moved by -offset.
    truth = (-offset_m[1] / DX, -offset_m[0] / DX)
    coarse = phase_correlation(before, after.data)
    assert coarse[0] == pytest.approx(truth[0], abs=0.2)
    assert coarse[1] == pytest.approx(truth[1], abs=0.2)
    shift, sigma, _ = register(before, after.data)
    assert shift == pytest.approx(truth, abs=0.02)
    assert np.all(sigma < 0.05)


@pytest.mark.parametrize(
    "sun_el,sun_az,cam,offset_m,pixel_m",
    [
        (20.0, 90.0, "snr80", (3.4, -2.7), 1.0),
        (20.0, 90.0, "snr80", (0.0, 0.0), 0.5),
        (35.0, 135.0, "snr80", (-2.2, 1.6), 1.0),
        (35.0, 135.0, "snr40", (0.0, 0.0), 1.0),
        (35.0, 135.0, "snr40", (3.4, -2.7), 1.0),
        (60.0, 270.0, "snr80", (2.6, 3.1), 0.5),
        (60.0, 270.0, "snr40", (-3.3, -1.4), 1.0),
    ],
)
def test_planted_change_is_found_within_a_pixel(
    ground, sun_el, sun_az, cam, offset_m, pixel_m
) -> None:
    before, after = _pair(
        ground, _planted(ground[1]), sun_el, sun_az, CAMERAS[cam], offset_m, pixel_m
    )
    det = detect_change(before.data, after.data, pixel_m, x0_m=before.x0_m, y0_m=before.y0_m)
    assert len(det.sites) == 1
    site = det.sites[0]
    err = np.array([site.center_east_m - CENTRE[0], site.center_north_m - CENTRE[1]])
    assert np.all(np.abs(err) < pixel_m), err
    # The stated uncertainty covers the error.
    sigma = np.array([site.sigma_east_m, site.sigma_north_m])
    assert np.all(np.abs(err) < 4.0 * sigma + 0.1 * pixel_m), (err, sigma)
    # The extent is that of the halo (50 m across), part darker and part brighter.
    assert 30.0 < site.equivalent_diameter_m < 60.0
    assert site.dark_ratio < 0.9 and site.bright_ratio > 1.02
    assert site.offset_range_m == pytest.approx(np.hypot(*CENTRE), abs=pixel_m)
    json.dumps(det.to_dict())


def test_noisy_low_sun_pair_reports_a_larger_uncertainty(ground) -> None:
    # Sun 20 deg and signal-to-noise 40: many slopes are dim, the centre scatters by
    # about half a pixel and the detector says so rather than claiming a quiet case's sigma.
    sigmas = {}
    for cam in ("snr80", "snr40"):
        before, after = _pair(
            ground, _planted(ground[1]), 20.0, 90.0, CAMERAS[cam], (3.4, -2.7), 1.0
        )
        det = detect_change(before.data, after.data, 1.0, x0_m=before.x0_m, y0_m=before.y0_m)
        assert len(det.sites) == 1
        site = det.sites[0]
        err = np.hypot(site.center_east_m - CENTRE[0], site.center_north_m - CENTRE[1])
        sigmas[cam] = np.hypot(site.sigma_east_m, site.sigma_north_m)
        assert err < 2.0
    assert sigmas["snr40"] > 1.5 * sigmas["snr80"]


def test_impact_mark_is_found_within_a_pixel(ground) -> None:
    height, albedo = ground
    summary = {
        "outcome": "crashed",
        "touchdown_east_m": CENTRE[0],
        "touchdown_north_m": CENTRE[1],
        "touchdown_vertical_speed_m_s": 50.0,
        "touchdown_horizontal_speed_m_s": 10.0,
        "touchdown_mass_kg": 900.0,
    }
    mark = landing_mark(Touchdown.from_summary(summary))
    h_after, alb_after = mark.apply(height, albedo, DX, X0, Y0)
    kw = {"x0_m": X0, "y0_m": Y0, "sun_elevation_deg": 30.0, "sun_azimuth_deg": 100.0}
    before = render_image(height, DX, albedo_factor=albedo, rng=3, **kw)
    after = render_image(
        h_after, DX, albedo_factor=alb_after, rng=4, pointing_offset_m=(1.7, -2.9), **kw
    )
    det = detect_change(before.data, after.data, DX, x0_m=before.x0_m, y0_m=before.y0_m)
    assert len(det.sites) == 1
    site = det.sites[0]
    assert abs(site.center_east_m - CENTRE[0]) < DX
    assert abs(site.center_north_m - CENTRE[1]) < DX


@pytest.mark.parametrize(
    "sun_el,sun_az,cam,offset_m,gain",
    [
        (20.0, 90.0, "snr80", (3.4, -2.7), 1.0),
        (45.0, 200.0, "snr40", (0.0, 0.0), 1.0),
        (60.0, 300.0, "snr80", (-1.6, 2.2), 1.3),
    ],
)
def test_nothing_changed_reports_nothing(ground, sun_el, sun_az, cam, offset_m, gain) -> None:
    before, after = _pair(ground, ground[1], sun_el, sun_az, CAMERAS[cam], offset_m, 1.0, seed=7)
    # A different exposure (gain) is not a change either.
    det = detect_change(
        before.data, gain * after.data.astype(float), 1.0, x0_m=before.x0_m, y0_m=before.y0_m
    )
    assert not det.found
    assert det.sites == []
    assert not det.site_map.any()
    assert det.to_dict()["n_sites"] == 0


def test_identical_images_report_nothing(ground) -> None:
    before, _ = _pair(ground, ground[1], 30.0, 90.0, CAMERAS["snr80"], (0.0, 0.0), 1.0)
    det = detect_change(before.data, before.data, 1.0)
    assert not det.found


def test_detect_rejects_bad_input() -> None:
    a = np.ones((32, 32))
    with pytest.raises(ValueError, match="same shape"):
        detect_change(a, np.ones((32, 33)), 1.0)
    with pytest.raises(ValueError, match="pixel_m"):
        detect_change(a, a, 0.0)
    with pytest.raises(ValueError, match="16 x 16"):
        detect_change(np.ones((8, 8)), np.ones((8, 8)), 1.0)


def test_settings_threshold_is_used(ground) -> None:
    before, after = _pair(ground, _planted(ground[1]), 35.0, 135.0, CAMERAS["snr80"], (0, 0), 1.0)
    strict = DetectionSettings(k_seed=1e6)
    assert not detect_change(before.data, after.data, 1.0, settings=strict).found
