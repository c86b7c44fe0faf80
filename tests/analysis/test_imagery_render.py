"""Renderer: flat and tilted planes against the photometric function, cast shadows, camera noise.

References: the closed forms of :mod:`surefoot.analysis.imagery.photometry`
(Hapke 2012); shadow length ``H / tan(elevation)`` of a vertical step by
elementary geometry; Poisson shot noise plus Gaussian read noise plus
uniform quantisation noise of variance 1/12 count^2 (Janesick 2007,
"Photon Transfer").
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from surefoot.analysis.imagery.photometry import Hapke, LommelSeeliger
from surefoot.analysis.imagery.render import (
    Camera,
    ImageGrid,
    render_image,
    render_reflectance,
    unit_vector_enu,
)


@pytest.mark.parametrize("model", [Hapke(), LommelSeeliger()], ids=["hapke", "lommel-seeliger"])
@pytest.mark.parametrize(
    "slope_e,slope_n,sun_el,sun_az,em,em_az",
    [
        (0.0, 0.0, 30.0, 90.0, 0.0, 0.0),
        (0.0, 0.0, 10.0, 200.0, 25.0, 45.0),
        (0.15, -0.05, 45.0, 135.0, 0.0, 0.0),
        (-0.1, 0.2, 60.0, 300.0, 20.0, 250.0),
    ],
)
def test_plane_matches_photometric_function(
    model: Hapke | LommelSeeliger,
    slope_e: float,
    slope_n: float,
    sun_el: float,
    sun_az: float,
    em: float,
    em_az: float,
) -> None:
    dx = 1.0
    n = 40
    x = np.arange(n) * dx
    height = 3.0 + slope_e * x[None, :] + slope_n * x[:, None]
    img = render_reflectance(
        height,
        dx,
        sun_elevation_deg=sun_el,
        sun_azimuth_deg=sun_az,
        emission_deg=em,
        emission_azimuth_deg=em_az,
        model=model,
        supersample=1,
    )
    normal = np.array([-slope_e, -slope_n, 1.0]) / math.sqrt(1.0 + slope_e**2 + slope_n**2)
    sun = unit_vector_enu(sun_el, sun_az)
    cam = unit_vector_enu(90.0 - em, em_az)
    expected = float(
        model.i_over_f(normal @ sun, normal @ cam, math.acos(float(np.clip(sun @ cam, -1, 1))))
    )
    assert expected > 0.0
    # A plane casts no shadow on itself and hides nothing: every pixel is the closed form.
    np.testing.assert_allclose(img.data, expected, rtol=1e-9)
    assert img.meta["synthetic"] is True


@pytest.mark.parametrize("sun_el", [20.0, 30.0, 45.0])
def test_shadow_of_a_step_has_the_geometric_length(sun_el: float) -> None:
    dx = 0.5
    n = 160
    height = np.zeros((n, n))
    height[:, 100:] = 10.0  # a 10 m high plateau east of column 100, Sun in the east
    on_nodes = ImageGrid(0.0, 0.0, dx, n, n)  # pixels centred on the height nodes
    img = render_reflectance(
        height, dx, sun_elevation_deg=sun_el, sun_azimuth_deg=90.0, supersample=1, grid=on_nodes
    )
    flat = img.data[n // 2, 5]
    row = img.data[n // 2, :100]
    # Ground at distance L west of the step's top edge (column 100) is dark while
    # L tan(el) < 10 m; the anti-aliased edge makes the dark fraction sum to the length.
    dark_m = float(np.sum(1.0 - row / flat)) * dx
    expected = 10.0 / math.tan(math.radians(sun_el))
    assert dark_m == pytest.approx(expected, abs=0.5 * dx)


def test_camera_noise_statistics() -> None:
    cam = Camera(psf_sigma_px=0.0)
    i_over_f = np.full((300, 300), 0.05)
    counts = cam.expose(i_over_f, np.random.default_rng(1)).astype(float)
    electrons = cam.full_well_e * 0.05 / cam.if_full_scale
    gain = cam.gain_e_per_count
    assert counts.mean() == pytest.approx(electrons / gain, rel=2e-3)
    var = (electrons + cam.read_noise_e**2) / gain**2 + 1.0 / 12.0
    assert counts.var() == pytest.approx(var, rel=0.03)


def test_camera_saturates_and_quantises() -> None:
    cam = Camera(psf_sigma_px=0.0, read_noise_e=0.0)
    counts = cam.expose(np.full((4, 4), 10.0), np.random.default_rng(0))
    assert counts.dtype == np.uint16
    assert np.all(counts == 2**cam.bits - 1)


def test_render_image_is_reproducible_and_synthetic() -> None:
    rng = np.random.default_rng(3)
    height = rng.normal(0.0, 0.3, (48, 48))
    kw = {"sun_elevation_deg": 25.0, "sun_azimuth_deg": 120.0}
    a = render_image(height, 1.0, rng=7, **kw)
    b = render_image(height, 1.0, rng=7, **kw)
    c = render_image(height, 1.0, rng=8, **kw)
    assert np.array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    assert a.meta["synthetic"] is True and a.meta["quantity"] == "counts"


def test_image_grid_window_is_clipped_to_patch() -> None:
    grid = ImageGrid.covering((101, 101), 1.0, -50.0, -50.0, 0.5, center_m=(40.0, 0.0), size_m=60)
    assert grid.x0_m - 0.25 >= 10.0 - 1e-9
    assert grid.x0_m + (grid.nx - 1) * 0.5 + 0.25 <= 50.0 + 1e-9
    assert grid.ny == 120 and grid.nx == 80
