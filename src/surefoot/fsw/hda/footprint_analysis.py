"""Lander-footprint analysis of an elevation map: plane fit, slope, relief, depth, coverage.

For every cell taken as a candidate lander centre, a plane ``z = a + b e + c n``
is fitted by weighted least squares (weights ``1 / sigma_noise^2``) through
the centroids of the observed cells inside the footprint disk of radius
``footprint_radius_m`` (ALHAT: Johnson et al. 2008, plane fit over the lander
footprint). From the plane: slope ``atan(hypot(b, c))``; relief, the largest
height of an observed footprint cell ABOVE the plane (rocks, against the leg
clearance); depth, the largest distance BELOW it (holes and steps, against the
maximum step); coverage, the observed fraction of the footprint's cells.

How it is computed (exactly, not approximated):

- Plane fit: the nine weighted moment sums ``sum w {1, e, n, ee, en, nn, z,
  ez, nz}`` over the disk are one correlation each of a moment image with the
  disk's indicator, done by FFT (``scipy.signal.fftconvolve``; the disk is
  symmetric so correlation equals convolution). Coordinates are taken about
  the map centre and heights about the map median so the sums stay well
  scaled; the 2x2 normal equations of the gradient are solved in closed form
  from the central moments, for every cell at once.
- Relief and depth: a maximum filter of the residual image is NOT exact,
  because the plane changes with the footprint centre. Instead the residual of
  every footprint offset ``k`` (a ~200-element disk at 0.25 m cells and 2 m
  radius) is evaluated for ALL centres at once against each centre's own
  plane, keeping the running maximum and minimum: a Python loop over the
  disk's offsets, never over cells, ``O(cells x disk)`` vectorised work
  (~40 ms for 200 x 200 cells and a 197-cell disk).

Limitation of the least-squares plane (as in ALHAT): a hazard inside the
footprint pulls the plane toward itself, so a rock of height ``h`` covering a
fraction ``f`` of a footprint centred on it reads as ``h (1 - f)``, and less
near the footprint edge where its leverage on the tilt is largest (there by
about ``5 f``). The safety test keeps margin for this through the noise belief
and the ``min_margin_m`` stand-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from surefoot.fsw.hda.elevation_map import ElevationMap

# noise floor (m) used only to bound the fit weights when the belief says zero noise
_SIGMA_WEIGHT_MIN_M = 1e-4


@dataclass(frozen=True)
class FootprintMaps:
    """Per-cell footprint results, each ``(ny, nx)`` on the elevation map's grid.

    ``nan`` where the footprint holds too few observed cells for a plane.

    Attributes
    ----------
    slope_deg : float64
        Tilt of the fitted plane from horizontal, deg.
    slope_sigma_deg : float64
        Its standard deviation from the fit (range noise only), deg.
    relief_m, depth_m : float64
        Largest height above / below the plane of an observed footprint cell, m (>= 0).
    relief_sigma_m, depth_sigma_m : float64
        Standard deviation of the extreme cell's height, m.
    coverage : float64
        Observed fraction of the footprint's cells, 0..1 (cells off the map count as unobserved).
    plane_up_m : float64
        Height of the fitted plane at the cell centre, m, site ENU up.
    disk_cells : int
        Number of cells in the footprint disk.
    """

    slope_deg: np.ndarray
    slope_sigma_deg: np.ndarray
    relief_m: np.ndarray
    depth_m: np.ndarray
    relief_sigma_m: np.ndarray
    depth_sigma_m: np.ndarray
    coverage: np.ndarray
    plane_up_m: np.ndarray
    disk_cells: int


def footprint_offsets(footprint_radius_m: float, cell_m: float) -> np.ndarray:
    """Cell offsets ``(D, 2)`` as ``(di_north, dj_east)`` with centre distance <= the radius."""
    r = int(np.floor(footprint_radius_m / cell_m + 1e-9))
    di, dj = np.mgrid[-r : r + 1, -r : r + 1]
    inside = (di**2 + dj**2) * cell_m**2 <= footprint_radius_m**2 * (1.0 + 1e-9)
    return np.column_stack((di[inside], dj[inside]))


def analyse_footprints(emap: ElevationMap, footprint_radius_m: float) -> FootprintMaps:
    """Plane fit, slope, relief, depth and coverage of the footprint around every cell.

    Parameters
    ----------
    emap : ElevationMap
        Gridded heights (site ENU).
    footprint_radius_m : float
        Radius of the lander footprint disk, m.
    """
    cell = emap.cell_m
    offsets = footprint_offsets(footprint_radius_m, cell)
    r = int(np.max(np.abs(offsets)))
    disk = np.zeros((2 * r + 1, 2 * r + 1))
    disk[offsets[:, 0] + r, offsets[:, 1] + r] = 1.0
    n_disk = offsets.shape[0]

    obs = emap.observed
    shape = obs.shape
    e0, n0 = emap.east_m[shape[1] // 2], emap.north_m[shape[0] // 2]
    z_ref = float(np.median(emap.height_m[obs])) if np.any(obs) else 0.0
    x = np.where(obs, emap.centroid_east_m - e0, 0.0)
    y = np.where(obs, emap.centroid_north_m - n0, 0.0)
    z = np.where(obs, emap.height_m - z_ref, 0.0)
    sig = np.where(obs, np.maximum(emap.sigma_noise_m, _SIGMA_WEIGHT_MIN_M), np.inf)
    sig_ref = float(np.median(sig[obs])) if np.any(obs) else 1.0
    w = np.where(obs, (sig_ref / sig) ** 2, 0.0)

    from scipy.signal import fftconvolve  # only when a hazard map is built (slow import)

    def disk_sum(img: np.ndarray) -> np.ndarray:
        return fftconvolve(img, disk, mode="same")

    n_obs = np.rint(disk_sum(obs.astype(float)))
    s1 = disk_sum(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        fit_ok = (n_obs >= 3) & (s1 > 1e-9 * max(float(s1.max()), 1e-300))
        s1 = np.where(fit_ok, s1, np.nan)
        xm, ym, zm = (disk_sum(w * v) / s1 for v in (x, y, z))
        cxx = disk_sum(w * x * x) / s1 - xm * xm
        cxy = disk_sum(w * x * y) / s1 - xm * ym
        cyy = disk_sum(w * y * y) / s1 - ym * ym
        cxz = disk_sum(w * x * z) / s1 - xm * zm
        cyz = disk_sum(w * y * z) / s1 - ym * zm
        det = cxx * cyy - cxy * cxy
        # collinear footprints (e.g. a single observed row) have no plane
        det = np.where(det > 1e-6 * cell**4, det, np.nan)
        b = (cyy * cxz - cxy * cyz) / det
        c = (cxx * cyz - cxy * cxz) / det
        a = zm - b * xm - c * ym

        grad = np.hypot(b, c)
        var_b = sig_ref**2 * cyy / (s1 * det)
        var_c = sig_ref**2 * cxx / (s1 * det)
        cov_bc = -(sig_ref**2) * cxy / (s1 * det)
        var_along = np.where(
            grad > 1e-12,
            (b * b * var_b + c * c * var_c + 2.0 * b * c * cov_bc) / np.maximum(grad, 1e-12) ** 2,
            0.5 * (var_b + var_c),
        )
        slope_deg = np.degrees(np.arctan(grad))
        slope_sigma_deg = np.degrees(np.sqrt(var_along) / (1.0 + grad * grad))

    ii, jj = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    x_centre = emap.east_m[jj] - e0
    y_centre = emap.north_m[ii] - n0
    plane_up = a + b * x_centre + c * y_centre + z_ref

    relief, depth, relief_sig, depth_sig = _residual_extremes(
        np.where(obs, z, np.nan), x, y, np.where(obs, emap.sigma_noise_m, np.nan), a, b, c, offsets
    )
    return FootprintMaps(
        slope_deg=slope_deg,
        slope_sigma_deg=slope_sigma_deg,
        relief_m=relief,
        depth_m=depth,
        relief_sigma_m=relief_sig,
        depth_sigma_m=depth_sig,
        coverage=n_obs / n_disk,
        plane_up_m=plane_up,
        disk_cells=n_disk,
    )


def _residual_extremes(
    z: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact max residual above and below each centre's own plane over its footprint.

    ``z`` is ``nan`` at unobserved cells (their residual never wins). Returns
    relief, depth (both clipped at 0) and the noise sigma of the cell that set
    each; ``nan`` where the plane is undefined.
    """
    ny, nx = z.shape
    r = int(np.max(np.abs(offsets)))

    def pad(img: np.ndarray) -> np.ndarray:
        return np.pad(img, r, constant_values=np.nan)

    zp, xp, yp, sp = pad(z), pad(x), pad(y), pad(sigma)
    hi = np.full((ny, nx), -np.inf)
    lo = np.full((ny, nx), np.inf)
    hi_sig = np.full((ny, nx), np.nan)
    lo_sig = np.full((ny, nx), np.nan)
    _extremes_over_offsets(
        zp, xp, yp, sp, np.asarray(a, float), np.asarray(b, float), np.asarray(c, float),
        np.asarray(offsets, np.int64), r, hi, lo, hi_sig, lo_sig,
    )  # fmt: skip
    defined = np.isfinite(a) & np.isfinite(hi)
    relief = np.where(defined, np.maximum(hi, 0.0), np.nan)
    depth = np.where(defined, np.maximum(-lo, 0.0), np.nan)
    return relief, depth, np.where(defined, hi_sig, np.nan), np.where(defined, lo_sig, np.nan)


@njit(cache=True)
def _extremes_over_offsets(
    zp: np.ndarray,
    xp: np.ndarray,
    yp: np.ndarray,
    sp: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    offsets: np.ndarray,
    r: int,
    hi: np.ndarray,
    lo: np.ndarray,
    hi_sig: np.ndarray,
    lo_sig: np.ndarray,
) -> None:
    """The footprint loop of :func:`_residual_extremes`, compiled: for each offset
    in order, the residual ``z - ((a + b x) + c y)`` of every cell against its
    centre's plane (the array expression's operations, so the same bits) raises
    ``hi`` / lowers ``lo`` where it beats them (``nan`` never does). The arrays
    are padded by ``r`` (``zp``, ``xp``, ``yp``, ``sp``)."""
    ny, nx = hi.shape
    for t in range(offsets.shape[0]):
        oi = r + offsets[t, 0]
        oj = r + offsets[t, 1]
        for i in range(ny):
            for j in range(nx):
                res = zp[oi + i, oj + j] - (
                    a[i, j] + b[i, j] * xp[oi + i, oj + j] + c[i, j] * yp[oi + i, oj + j]
                )
                if res > hi[i, j]:
                    hi[i, j] = res
                    hi_sig[i, j] = sp[oi + i, oj + j]
                if res < lo[i, j]:
                    lo[i, j] = res
                    lo_sig[i, j] = sp[oi + i, oj + j]
