"""The compiled footprint loop of the hazard analysis gives the array form's maps to the bit.

Issue 14 compiled the loop over footprint offsets of
``footprint_analysis._residual_extremes`` (the highest and lowest residual of
every cell's footprint against the cell's own plane). A flight must stay bit
for bit what it was, so it is checked against the former array expressions,
on rough heights with unobserved (``nan``) cells and undefined planes.
"""

from __future__ import annotations

import numpy as np

from surefoot.fsw.hda.footprint_analysis import _residual_extremes, footprint_offsets


def _former(z, x, y, sigma, a, b, c, offsets):  # noqa: ANN001, ANN202
    """``_residual_extremes`` as it was: one array expression per offset."""
    ny, nx = z.shape
    r = int(np.max(np.abs(offsets)))

    def pad(img: np.ndarray) -> np.ndarray:
        return np.pad(img, r, constant_values=np.nan)

    zp, xp, yp, sp = pad(z), pad(x), pad(y), pad(sigma)
    hi = np.full((ny, nx), -np.inf)
    lo = np.full((ny, nx), np.inf)
    hi_sig = np.full((ny, nx), np.nan)
    lo_sig = np.full((ny, nx), np.nan)
    for di, dj in offsets:
        win = (slice(r + di, r + di + ny), slice(r + dj, r + dj + nx))
        res = zp[win] - (a + b * xp[win] + c * yp[win])
        up = res > hi
        down = res < lo
        np.copyto(hi, res, where=up)
        np.copyto(hi_sig, sp[win], where=up)
        np.copyto(lo, res, where=down)
        np.copyto(lo_sig, sp[win], where=down)
    defined = np.isfinite(a) & np.isfinite(hi)
    relief = np.where(defined, np.maximum(hi, 0.0), np.nan)
    depth = np.where(defined, np.maximum(-lo, 0.0), np.nan)
    return relief, depth, np.where(defined, hi_sig, np.nan), np.where(defined, lo_sig, np.nan)


def test_compiled_footprint_loop_equals_the_array_form_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    ny, nx, cell = 47, 53, 0.2
    offsets = footprint_offsets(1.1, cell)
    yy, xx = np.mgrid[0:ny, 0:nx] * cell
    x = xx + rng.uniform(-0.05, 0.05, (ny, nx))
    y = yy + rng.uniform(-0.05, 0.05, (ny, nx))
    z = 0.12 * x - 0.05 * y + rng.normal(0.0, 0.3, (ny, nx))
    z[rng.random((ny, nx)) < 0.15] = np.nan  # unobserved cells
    sigma = np.where(np.isnan(z), np.nan, rng.uniform(0.01, 0.05, (ny, nx)))
    a = rng.normal(0.0, 0.2, (ny, nx))
    b = rng.normal(0.1, 0.05, (ny, nx))
    c = rng.normal(-0.05, 0.05, (ny, nx))
    a[rng.random((ny, nx)) < 0.05] = np.nan  # undefined planes
    new = _residual_extremes(z, x, y, sigma, a, b, c, offsets)
    old = _former(z, x, y, sigma, a, b, c, offsets)
    for n, o in zip(new, old, strict=True):
        assert np.array_equal(n.view(np.int64), o.view(np.int64))
    assert np.sum(np.isfinite(new[0])) > 0.5 * ny * nx  # mostly defined, not vacuous
