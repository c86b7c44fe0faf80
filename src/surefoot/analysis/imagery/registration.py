"""Sub-pixel registration of two orbital images (phase correlation, then refinement).

:func:`register` finds the shift that best aligns a later image onto an
earlier one: the peak of the windowed cross-power spectrum, upsampled around
the integer peak (Guizar-Sicairos, Thurman and Fienup 2008), then refined
by robust Gauss-Newton steps on the intensities (Lucas and Kanade 1981).
Change detection (:mod:`surefoot.analysis.imagery.detect`) registers before
it differences.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

MAD_TO_SIGMA = 1.4826  # standard deviation of a normal from its median absolute deviation


def _hann2d(shape: tuple[int, int]) -> np.ndarray:
    return np.outer(np.hanning(shape[0]), np.hanning(shape[1]))


def _cross_power(ref: np.ndarray, moving: np.ndarray) -> np.ndarray:
    win = _hann2d(ref.shape)
    a = np.fft.fft2((ref - ref.mean()) * win)
    b = np.fft.fft2((moving - moving.mean()) * win)
    r = b * np.conj(a)
    mag = np.abs(r)
    return r / (mag + 1e-12 * mag.max() + 1e-300)


def _upsampled_correlation(
    r: np.ndarray, center: tuple[float, float], upsample: int, half_width_px: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse DFT of ``r`` on a fine grid around ``center`` (rows, cols), by matrix products."""
    ny, nx = r.shape
    n = int(math.ceil(half_width_px * upsample))
    offsets = np.arange(-n, n + 1) / upsample
    ys = center[0] + offsets
    xs = center[1] + offsets
    ky = np.fft.fftfreq(ny) * ny
    kx = np.fft.fftfreq(nx) * nx
    ey = np.exp(2j * np.pi * np.outer(ys, ky) / ny)
    ex = np.exp(2j * np.pi * np.outer(kx, xs) / nx)
    return (ey @ r @ ex).real, ys, xs


def phase_correlation(
    ref: np.ndarray, moving: np.ndarray, upsample: int = 20
) -> tuple[float, float, float]:
    """Translation of ``moving`` relative to ``ref``, to ``1/upsample`` pixel.

    Parameters
    ----------
    ref, moving : numpy.ndarray
        Images of the same shape (ny, nx).
    upsample : int
        Sub-pixel resolution factor.

    Returns
    -------
    (float, float, float)
        ``(d_row, d_col, peak)``: ``moving[j, i] ~ ref[j - d_row, i - d_col]``
        (pixels, rows counted like the arrays) and the height of the
        normalised correlation peak (1 for identical images; near 1/N for
        unrelated ones).
    """
    if ref.shape != moving.shape:
        raise ValueError("phase_correlation: images must have the same shape")
    r = _cross_power(np.asarray(ref, dtype=float), np.asarray(moving, dtype=float))
    cc = np.fft.ifft2(r).real
    j, i = np.unravel_index(int(np.argmax(cc)), cc.shape)
    ny, nx = cc.shape
    coarse = (float(j - ny if j > ny // 2 else j), float(i - nx if i > nx // 2 else i))
    if upsample <= 1:
        return coarse[0], coarse[1], float(cc[j, i])
    fine, ys, xs = _upsampled_correlation(r, coarse, upsample)
    fj, fi = np.unravel_index(int(np.argmax(fine)), fine.shape)
    return float(ys[fj]), float(xs[fi]), float(fine[fj, fi] / r.size)


def refine_shift(
    ref: np.ndarray,
    moving: np.ndarray,
    shift: np.ndarray,
    iterations: int = 3,
    smooth_px: float = 1.0,
    margin_px: int = 8,
) -> np.ndarray:
    """Refine a translation by Gauss-Newton steps on the intensities (Lucas and Kanade 1981).

    ``moving`` is resampled by the current shift, scaled to ``ref``'s median
    level, and the shift is corrected by the least-squares solution of
    ``grad(m) . delta = ref - m`` over the interior (beyond ``margin_px`` plus
    the shift); residuals beyond 3 robust sigma are down-weighted, so a
    changed area does not pull the estimate.

    Parameters
    ----------
    ref, moving : numpy.ndarray
        Images of the same shape.
    shift : numpy.ndarray
        Starting (d_row, d_col) in pixels, as :func:`phase_correlation` returns.
    iterations : int
        Gauss-Newton steps.
    smooth_px : float
        Gaussian smoothing of both images (pixels), which widens the basin.
    margin_px : int
        Border left out (pixels) besides the shift.

    Returns
    -------
    numpy.ndarray
        Refined (d_row, d_col) in pixels.
    """
    s = np.array(shift, dtype=float)
    rs = ndimage.gaussian_filter(ref, smooth_px)
    for _ in range(iterations):
        m = ndimage.gaussian_filter(ndimage.shift(moving, -s, order=3, mode="nearest"), smooth_px)
        mg = margin_px + int(math.ceil(np.abs(s).max()))
        if 2 * mg + 4 > min(ref.shape):
            break
        core = (slice(mg, -mg), slice(mg, -mg))
        level = np.median(m[core])
        if not level > 0.0:
            break
        m = m * (np.median(rs[core]) / level)
        gy, gx = np.gradient(0.5 * (m + rs))
        e = (rs - m)[core]
        gy, gx = gy[core], gx[core]
        sig = MAD_TO_SIGMA * np.median(np.abs(e - np.median(e))) + 1e-300
        w = np.minimum(1.0, 3.0 * sig / (np.abs(e) + 1e-300))
        a = np.array(
            [[np.sum(w * gy * gy), np.sum(w * gy * gx)], [np.sum(w * gy * gx), np.sum(w * gx * gx)]]
        )
        rhs = np.array([np.sum(w * gy * e), np.sum(w * gx * e)])
        if abs(np.linalg.det(a)) <= 1e-12 * (a[0, 0] * a[1, 1] + 1e-300):
            break
        delta = np.linalg.solve(a, rhs)
        s += np.clip(delta, -1.0, 1.0)
        if np.abs(delta).max() < 1e-3:
            break
    return s


def register(
    before: np.ndarray, after: np.ndarray, upsample: int = 20
) -> tuple[np.ndarray, np.ndarray, float]:
    """Translation of ``after`` relative to ``before`` with its 1-sigma uncertainty.

    Phase correlation (whole pixels and ``1/upsample``) followed by
    :func:`refine_shift`; the uncertainty per axis is the scatter of the
    refined estimates on the four image quadrants about the whole-image
    estimate, divided by 2 (floor 0.01 pixel).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, float)
        ``(d_row, d_col)`` and its sigma (pixels), and the correlation peak.
    """
    d_row, d_col, peak = phase_correlation(before, after, upsample)
    shift = refine_shift(before, after, np.array([d_row, d_col]))
    ny, nx = before.shape
    hy, hx = ny // 2, nx // 2
    quads = []
    for sl in (
        (slice(0, hy), slice(0, hx)),
        (slice(0, hy), slice(hx, nx)),
        (slice(hy, ny), slice(0, hx)),
        (slice(hy, ny), slice(hx, nx)),
    ):
        quads.append(refine_shift(before[sl], after[sl], shift, iterations=2))
    q = np.array(quads)
    sigma = np.sqrt(np.mean((q - shift) ** 2, axis=0)) / 2.0
    return shift, np.maximum(sigma, 0.01), peak
