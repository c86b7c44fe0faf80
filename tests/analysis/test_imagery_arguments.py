"""The imagery classes refuse bad fields by name when built directly (``render_image``
and ``detect_change`` users get no command-line check): NaN, infinities, negatives,
true/false for a number and sizes that would not fit in memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surefoot.analysis.imagery.detect import DetectionSettings
from surefoot.analysis.imagery.io import ImageryInputError
from surefoot.analysis.imagery.render import Camera, ImageGrid

BAD_REALS = [math.nan, math.inf, -math.inf, "1", None, True]


def test_defaults_and_numpy_numbers_are_accepted() -> None:
    Camera()
    DetectionSettings()
    ImageGrid(np.float64(0.0), 0.0, np.float32(0.5), np.int64(64), 32)
    Camera(psf_sigma_px=0.0, read_noise_e=0.0)  # as the render tests use them
    DetectionSettings(k_seed=1e6)


@pytest.mark.parametrize("value", BAD_REALS + [0.0, -1.0])
def test_a_bad_pixel_size_is_named(value: object) -> None:
    with pytest.raises(ImageryInputError, match="^pixel_m: "):
        ImageGrid(0.0, 0.0, value, 10, 10)  # type: ignore[arg-type]


@given(st.one_of(st.integers(max_value=1), st.integers(min_value=16_385), st.floats()))
def test_an_image_too_small_too_large_or_not_whole_is_refused(n: object) -> None:
    """Under 2 pixels a side, over 16,384 (2 GiB a float image), or not an integer."""
    with pytest.raises(ImageryInputError, match="^nx: "):
        ImageGrid(0.0, 0.0, 1.0, n, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [("psf_sigma_px", math.nan), ("psf_sigma_px", -0.1), ("full_well_e", 0.0),
     ("full_well_e", math.inf), ("if_full_scale", -1.0), ("read_noise_e", math.nan),
     ("bits", 0), ("bits", 17), ("bits", 12.0), ("bits", True)],
)
def test_a_bad_camera_field_is_named(field: str, value: object) -> None:
    with pytest.raises(ImageryInputError, match=f"^{field}: "):
        Camera(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [("smooth_px", math.nan), ("k_seed", 0.0), ("k_grow", -3.0), ("min_area_m2", math.inf),
     ("merge_m", -1.0), ("dark_floor", 1.5), ("open_px", -1), ("brightness_bins", 0),
     ("upsample", 0), ("replicas", 10**9), ("register", 1)],
)
def test_a_bad_detection_setting_is_named(field: str, value: object) -> None:
    with pytest.raises(ImageryInputError, match=f"^{field}: "):
        DetectionSettings(**{field: value})  # type: ignore[arg-type]
