"""Probability that a lander centred on each cell lands safely, and its safety margin.

Each limit is a Gaussian margin test on the footprint estimate: ``P(slope <
tilt_limit) = Phi((tilt_limit - slope) / sigma_slope)`` with ``sigma_slope``
the fit's and the attitude-knowledge error's in quadrature (an attitude error
tilts the whole map by itself, see :mod:`surefoot.fsw.hda.elevation_map`);
likewise relief against ``leg_clearance_m`` and depth against ``max_step_m``
with the noise of the cell that set them. The three are treated as
independent and multiplied. A cell is safe when that probability reaches
``safe_probability`` AND the footprint is at least ``min_coverage`` observed.

Margin: the distance (m, cell centre to cell centre) from a safe cell to the
nearest cell that is not safe, by ``scipy.ndimage.distance_transform_edt``;
the world beyond the map counts as not safe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from surefoot.config.hda import HdaConfig
from surefoot.fsw.hda.footprint_analysis import FootprintMaps

_SIGMA_MIN = 1e-9


@dataclass(frozen=True)
class SafetyMap:
    """Per-cell safety, each ``(ny, nx)``.

    Attributes
    ----------
    p_safe : float64
        Probability that all three limits hold (0 where undefined).
    p_slope, p_relief, p_step : float64
        Probability of each limit alone.
    safe : bool
        ``p_safe >= safe_probability`` and ``coverage >= min_coverage``.
    margin_m : float64
        Distance to the nearest unsafe or unobserved cell, m (0 at unsafe cells).
    """

    p_safe: np.ndarray
    p_slope: np.ndarray
    p_relief: np.ndarray
    p_step: np.ndarray
    safe: np.ndarray
    margin_m: np.ndarray


def _p_below(value: np.ndarray, sigma: np.ndarray, limit: float) -> np.ndarray:
    p = ndtr((limit - value) / np.maximum(sigma, _SIGMA_MIN))
    return np.where(np.isfinite(p), p, 0.0)


def safety_map(fp: FootprintMaps, cfg: HdaConfig, cell_m: float) -> SafetyMap:
    """Probability of safe, the safe mask and the margin of every cell.

    Parameters
    ----------
    fp : FootprintMaps
        Footprint estimates on the map grid.
    cfg : HdaConfig
        Limits and the noise belief (degrees at this edge).
    cell_m : float
        Cell size of the grid, m.
    """
    sigma_slope = np.hypot(fp.slope_sigma_deg, cfg.attitude_sigma_deg)
    with np.errstate(invalid="ignore"):
        p_slope = _p_below(fp.slope_deg, sigma_slope, cfg.tilt_limit_deg)
        p_relief = _p_below(fp.relief_m, fp.relief_sigma_m, cfg.leg_clearance_m)
        p_step = _p_below(fp.depth_m, fp.depth_sigma_m, cfg.max_step_m)
        p_safe = p_slope * p_relief * p_step
        covered = np.nan_to_num(fp.coverage) >= cfg.min_coverage
    safe = (p_safe >= cfg.safe_probability) & covered
    # pad with unsafe cells so that the edge of the map bounds the margin
    from scipy.ndimage import distance_transform_edt  # 0.2 s to import: only when a map is made

    dist = distance_transform_edt(np.pad(safe, 1, constant_values=False))[1:-1, 1:-1]
    return SafetyMap(
        p_safe=p_safe,
        p_slope=p_slope,
        p_relief=p_relief,
        p_step=p_step,
        safe=safe,
        margin_m=dist * cell_m,
    )
