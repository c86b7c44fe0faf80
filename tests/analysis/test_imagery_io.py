"""PNG and GeoTIFF reading and writing with the pixel scale and the georeference.

Reference: GeoTIFF 1.0 (OGC 19-008r4): ModelPixelScale (33550),
ModelTiepoint (33922), raster type pixel-is-area or pixel-is-point (key 1025).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from surefoot.analysis.imagery.io import (
    GeoImage,
    ImageFormatError,
    read_image,
    write_geotiff,
    write_image,
    write_png,
)


def _image() -> GeoImage:
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4096, (30, 40)).astype(np.uint16)
    return GeoImage(data, 0.75, -12.5, 40.25, {"synthetic": True, "sun_elevation_deg": 30.0})


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_round_trip_keeps_data_and_georeference(tmp_path: Path, suffix: str) -> None:
    img = _image()
    path = write_image(tmp_path / f"a{suffix}", img)
    back = read_image(path)
    assert np.array_equal(back.data, img.data.astype(float))
    assert back.pixel_m == pytest.approx(0.75)
    assert back.x0_m == pytest.approx(-12.5)
    assert back.y0_m == pytest.approx(40.25)
    assert back.meta["synthetic"] is True


def test_files_are_north_up(tmp_path: Path) -> None:
    img = _image()
    write_png(tmp_path / "a.png", img)
    write_geotiff(tmp_path / "a.tif", img)
    # First row of the file is the northern edge: the last row in memory.
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), img.data[::-1])
    assert np.array_equal(tifffile.imread(tmp_path / "a.tif"), img.data[::-1])
    with tifffile.TiffFile(tmp_path / "a.tif") as tif:
        tags = tif.pages[0].tags
        assert tuple(tags[33550].value)[:2] == (0.75, 0.75)
        tie = tuple(tags[33922].value)
    # Upper-left corner of the upper-left pixel (pixel is area).
    assert tie[3] == pytest.approx(-12.5 - 0.375)
    assert tie[4] == pytest.approx(40.25 + 29 * 0.75 + 0.375)


def test_float_data_are_scaled_to_counts(tmp_path: Path) -> None:
    data = np.linspace(0.0, 0.2, 600).reshape(20, 30)
    back = read_image(write_png(tmp_path / "f.png", GeoImage(data, 1.0)))
    np.testing.assert_allclose(back.data, data, atol=0.2 / 65535)


def test_pixel_is_point_geotiff(tmp_path: Path) -> None:
    data = np.arange(12, dtype=np.uint16).reshape(3, 4)
    keys = (1, 1, 0, 2, 1024, 0, 1, 1, 1025, 0, 1, 2)
    tifffile.imwrite(
        tmp_path / "p.tif",
        data,
        extratags=[
            (33550, "d", 3, (2.0, 2.0, 0.0), True),
            (33922, "d", 6, (0, 0, 0, 100.0, 50.0, 0), True),
            (34735, "H", len(keys), keys, True),
        ],
    )
    img = read_image(tmp_path / "p.tif")
    assert img.pixel_m == 2.0
    assert img.x0_m == pytest.approx(100.0)
    assert img.y0_m == pytest.approx(50.0 - 2 * 2.0)  # southern row centre
    assert np.array_equal(img.data, data[::-1].astype(float))


def test_plain_rgb_png_without_scale(tmp_path: Path) -> None:
    rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    rgb[..., 1] = 100
    Image.fromarray(rgb).save(tmp_path / "c.png")
    img = read_image(tmp_path / "c.png")
    assert img.pixel_m is None and img.shape == (10, 12)
    assert img.data == pytest.approx(np.full((10, 12), 58.7))


def test_bad_files_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageFormatError, match="does not exist"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ImageFormatError, match="neither a PNG nor a TIFF"):
        read_image(tmp_path / "junk.png")
    good = write_png(tmp_path / "g.png", _image()).read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(ImageFormatError, match="not a readable PNG"):
        read_image(tmp_path / "cut.png")
    with pytest.raises(ImageFormatError, match="suffix"):
        write_image(tmp_path / "x.jpg", _image())


def test_float_geotiff_round_trip_is_scaled_once(tmp_path) -> None:
    """Float data are stored as 16-bit counts with a scale; reading applies it once."""
    import numpy as np

    from surefoot.analysis.imagery.io import GeoImage, read_image, write_geotiff

    d = np.linspace(10.0, 20.0, 32 * 32).reshape(32, 32)
    write_geotiff(tmp_path / "f.tif", GeoImage(d, 1.0))
    np.testing.assert_allclose(read_image(tmp_path / "f.tif").data, d, atol=2e-4)


def test_non_finite_pixels_are_refused(tmp_path) -> None:
    import numpy as np
    import pytest
    import tifffile

    from surefoot.analysis.imagery.io import ImageFormatError, read_image

    d = np.ones((32, 32), np.float32)
    d[3, 4] = np.nan
    tifffile.imwrite(tmp_path / "n.tif", d)
    with pytest.raises(ImageFormatError, match="finite"):
        read_image(tmp_path / "n.tif")
