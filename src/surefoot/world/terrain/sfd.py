"""Size-frequency laws of craters and boulders, and their reproducible sampling.

Both populations follow a cumulative power law ``N(>D) = k D^-b`` (count per
unit area with diameter above ``D``) truncated to ``[d_min, d_max]``. Within
that range the diameters of a Poisson field have the truncated power-law
(Pareto) distribution

``P(D > d) = (d^-b - d_max^-b) / (d_min^-b - d_max^-b)``,

sampled by inverting this CDF (e.g. Clauset, Shalizi and Newman 2009,
"Power-law distributions in empirical data", SIAM Review 51, appendix D).

A field over a region is drawn tile by tile from octave diameter bins
``[d_min 2^k, d_min 2^(k+1))``, each (bin, tile) with its own random stream
keyed by its indices (``numpy.random.SeedSequence`` spawn keys). A feature
therefore depends only on the seed and the population, never on the size of
the region asked for: the terrain at the site is the same whatever the length
or azimuth of the ground track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Bounds = tuple[float, float, float, float]
"""Axis-aligned box ``(x_min_m, x_max_m, y_min_m, y_max_m)`` in the site map frame."""

_TILE_KEY_OFFSET = 1 << 31
_TARGET_PER_TILE = 500.0


@dataclass(frozen=True)
class PowerLaw:
    """Cumulative size-frequency law ``N(>D) = k (D / ref_diameter_m)^-exponent`` per m^2.

    Parameters
    ----------
    density_per_m2_at_ref : float
        ``k``: features per m^2 with diameter above ``ref_diameter_m``.
    ref_diameter_m : float
        Reference diameter, m.
    exponent : float
        Cumulative slope ``b`` (> 0).
    d_min_m, d_max_m : float
        Truncation of the diameters, m.
    """

    density_per_m2_at_ref: float
    ref_diameter_m: float
    exponent: float
    d_min_m: float
    d_max_m: float

    def cumulative_per_m2(self, d_m: float | np.ndarray) -> float | np.ndarray:
        """Untruncated ``N(>D)`` per m^2 at diameter ``d_m`` (m)."""
        return self.density_per_m2_at_ref * (np.asarray(d_m) / self.ref_diameter_m) ** (
            -self.exponent
        )

    def density_between(self, d_lo_m: float, d_hi_m: float) -> float:
        """Features per m^2 with diameter in ``[d_lo_m, d_hi_m)`` (clipped to the truncation)."""
        lo = max(d_lo_m, self.d_min_m)
        hi = min(d_hi_m, self.d_max_m)
        if hi <= lo:
            return 0.0
        return float(self.cumulative_per_m2(lo) - self.cumulative_per_m2(hi))

    def cdf(self, d_m: float | np.ndarray) -> np.ndarray:
        """CDF ``P(D <= d)`` of the diameters of the truncated law."""
        return truncated_power_law_cdf(d_m, self.d_min_m, self.d_max_m, self.exponent)


def truncated_power_law_cdf(
    d_m: float | np.ndarray, d_min_m: float, d_max_m: float, exponent: float
) -> np.ndarray:
    """CDF ``P(D <= d)`` of diameters whose cumulative count goes as ``D^-exponent``.

    Parameters
    ----------
    d_m : float or array
        Diameters, m.
    d_min_m, d_max_m : float
        Truncation, m.
    exponent : float
        Cumulative slope ``b``.

    Returns
    -------
    ndarray
        Probabilities in [0, 1].
    """
    d = np.clip(np.asarray(d_m, dtype=np.float64), d_min_m, d_max_m)
    a = d_min_m ** (-exponent)
    c = d_max_m ** (-exponent)
    return (a - d ** (-exponent)) / (a - c)


def sample_truncated_power_law(
    rng: np.random.Generator, n: int, d_min_m: float, d_max_m: float, exponent: float
) -> np.ndarray:
    """Diameters (m), shape (n,), by inverse-CDF sampling of the truncated power law."""
    u = rng.random(n)
    a = d_min_m ** (-exponent)
    c = d_max_m ** (-exponent)
    d = (a - u * (a - c)) ** (-1.0 / exponent)
    return np.clip(d, d_min_m, d_max_m)


def sample_poisson_field(
    law: PowerLaw,
    bounds_m: Bounds,
    rng: np.random.Generator,
    d_lo_m: float | None = None,
    d_hi_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One Poisson draw of features with centres uniform in a box.

    Parameters
    ----------
    law : PowerLaw
        The size-frequency law.
    bounds_m : Bounds
        Box of the centres, site map frame (m).
    rng : numpy.random.Generator
        Random stream.
    d_lo_m, d_hi_m : float, optional
        Diameter range (m), clipped to the law's truncation.

    Returns
    -------
    x_m, y_m, d_m, u : ndarray
        Centres (m, map frame), diameters (m) and one extra uniform draw in
        [0, 1) per feature (for per-feature properties such as freshness).
    """
    lo = law.d_min_m if d_lo_m is None else max(d_lo_m, law.d_min_m)
    hi = law.d_max_m if d_hi_m is None else min(d_hi_m, law.d_max_m)
    x0, x1, y0, y1 = bounds_m
    area = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    lam = law.density_between(lo, hi) * area
    n = int(rng.poisson(lam)) if lam > 0.0 else 0
    x = x0 + (x1 - x0) * rng.random(n)
    y = y0 + (y1 - y0) * rng.random(n)
    d = sample_truncated_power_law(rng, n, lo, hi, law.exponent) if n else np.empty(0)
    u = rng.random(n)
    return x, y, d, u


def octave_bins(law: PowerLaw) -> list[tuple[float, float]]:
    """Diameter bins ``[d_min 2^k, d_min 2^(k+1))`` covering the truncation (last bin clipped)."""
    bins = []
    lo = law.d_min_m
    while lo < law.d_max_m:
        hi = min(2.0 * lo, law.d_max_m)
        bins.append((lo, hi))
        lo = 2.0 * lo
    return bins


def tiled_field(
    law: PowerLaw,
    bounds_m: Bounds,
    seed_seq: np.random.SeedSequence,
    d_lo_m: float,
    d_hi_m: float = math.inf,
    reach_per_diameter: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features of a fixed, seed-defined field that touch a box.

    The field is the union over octave bins and square tiles of independent
    Poisson draws (:func:`sample_poisson_field`), each with the stream
    ``SeedSequence(seed_seq.entropy, spawn_key=seed_seq.spawn_key + (bin, i, j))``.
    Tiles are sized per bin for about 500 features each. Asking for any box
    returns exactly the features of that one field which reach it.

    Parameters
    ----------
    law : PowerLaw
        The size-frequency law.
    bounds_m : Bounds
        Box in the site map frame (m).
    seed_seq : numpy.random.SeedSequence
        Stream of this population (a child of the terrain seed).
    d_lo_m, d_hi_m : float
        Keep diameters in ``[d_lo_m, d_hi_m)``, m.
    reach_per_diameter : float
        A feature of diameter ``D`` is kept when its centre lies within
        ``reach_per_diameter * D`` of the box (0: centre inside the box).

    Returns
    -------
    x_m, y_m, d_m, u : ndarray
        As :func:`sample_poisson_field`, ordered by bin, tile and draw.
    """
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ds: list[np.ndarray] = []
    us: list[np.ndarray] = []
    bx0, bx1, by0, by1 = bounds_m
    for k, (lo, hi) in enumerate(octave_bins(law)):
        if hi <= d_lo_m or lo >= d_hi_m:
            continue
        dens = law.density_between(lo, hi)
        if dens <= 0.0:
            continue
        tile = max(math.sqrt(_TARGET_PER_TILE / dens), 8.0 * hi)
        reach = reach_per_diameter * hi
        i0 = math.floor((bx0 - reach) / tile)
        i1 = math.floor((bx1 + reach) / tile)
        j0 = math.floor((by0 - reach) / tile)
        j1 = math.floor((by1 + reach) / tile)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                key = (*seed_seq.spawn_key, k, i + _TILE_KEY_OFFSET, j + _TILE_KEY_OFFSET)
                rng = np.random.default_rng(np.random.SeedSequence(seed_seq.entropy, spawn_key=key))
                tb = (i * tile, (i + 1) * tile, j * tile, (j + 1) * tile)
                x, y, d, u = sample_poisson_field(law, tb, rng, lo, hi)
                # Distance from each centre to the box (0 inside).
                ddx = np.maximum(np.maximum(bx0 - x, x - bx1), 0.0)
                ddy = np.maximum(np.maximum(by0 - y, y - by1), 0.0)
                keep = (d >= d_lo_m) & (d < d_hi_m)
                keep &= ddx * ddx + ddy * ddy <= (reach_per_diameter * d) ** 2
                if np.any(keep):
                    xs.append(x[keep])
                    ys.append(y[keep])
                    ds.append(d[keep])
                    us.append(u[keep])
    if not xs:
        e = np.empty(0)
        return e, e.copy(), e.copy(), e.copy()
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ds), np.concatenate(us)
