"""Synthetic ground for imagery: rolling terrain with craters, albedo variation, a demo run.

These are stand-ins for tests, examples and for trying the imagery tools
before a simulator run exists; a flown run brings its own truth terrain
(``terrain_site.npz``). The albedo variation is also used for flown runs,
since the truth terrain carries heights only.

Run directory contract written by :func:`write_demo_run` (and by the
simulator): ``summary.json`` with ``outcome``, ``touchdown_east_m``,
``touchdown_north_m``, ``touchdown_vertical_speed_m_s``,
``touchdown_horizontal_speed_m_s``, ``touchdown_mass_kg``,
``impact_angle_deg`` and ``scenario``; ``terrain_site.npz`` with
``height_m`` (ny, nx) and scalars ``x0_m``, ``y0_m``, ``dx_m`` (row ``j`` at
``y0_m + j dx_m`` north, column ``i`` at ``x0_m + i dx_m`` east, site map
frame with the target at 0, 0).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from surefoot.analysis.imagery.scars import (
    EJECTA_EXTENT_RADII,
    PIKE_DEPTH_TO_DIAMETER,
    PIKE_RIM_TO_DIAMETER,
)
from surefoot.world.terrain.craters import stamp_craters


def fractal_field(
    shape: tuple[int, int],
    dx_m: float,
    rng: np.random.Generator,
    beta: float = 3.0,
    outer_scale_m: float = 200.0,
) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field with a power-law spectrum.

    Power spectral density ``P(k) ~ (k**2 + k0**2)**(-beta/2)`` with
    ``k0 = 1 / outer_scale_m`` (cycles/m), made by filtering white noise in
    the Fourier domain; periodic at the edges.

    Parameters
    ----------
    shape : (int, int)
        (ny, nx).
    dx_m : float
        Node spacing (m).
    rng : numpy.random.Generator
        Source of the white noise.
    beta : float
        Spectral exponent (3 to 4 for self-affine terrain, Hurst ``(beta - 2)/2``).
    outer_scale_m : float
        Scale (m) above which the spectrum flattens.

    Returns
    -------
    numpy.ndarray
        Field of the given shape.
    """
    ny, nx = shape
    ky = np.fft.fftfreq(ny, dx_m)[:, None]
    kx = np.fft.rfftfreq(nx, dx_m)[None, :]
    amp = (kx**2 + ky**2 + (1.0 / outer_scale_m) ** 2) ** (-beta / 4.0)
    amp[0, 0] = 0.0
    field = np.fft.irfft2(np.fft.rfft2(rng.standard_normal(shape)) * amp, s=shape)
    std = field.std()
    return field / std if std > 0.0 else field


def synthetic_terrain(
    shape: tuple[int, int],
    dx_m: float,
    *,
    seed: int = 0,
    relief_m: float = 1.5,
    crater_density_per_m2: float = 3.0e-4,
    crater_min_m: float = 4.0,
    crater_max_m: float = 60.0,
) -> np.ndarray:
    """Mare-like height patch (m): rolling relief plus craters of mixed freshness.

    Craters follow a cumulative size law ``N(>D) = crater_density_per_m2 *
    (D / crater_min_m)**-2`` per m^2 (an equilibrium-like slope), with the
    fresh-crater shape of :mod:`.scars` (Pike 1977 bowl and rim, ejecta) scaled by a
    freshness drawn in [0.2, 1].

    Parameters
    ----------
    shape : (int, int)
        (ny, nx), row 0 south.
    dx_m : float
        Node spacing (m).
    seed : int
        Random seed.
    relief_m : float
        Standard deviation of the rolling relief (m).
    crater_density_per_m2 : float
        Craters larger than ``crater_min_m`` per m^2.
    crater_min_m, crater_max_m : float
        Diameter range (m).

    Returns
    -------
    numpy.ndarray
        Heights (m), shape ``shape``.
    """
    rng = np.random.default_rng([seed, 1])
    ny, nx = shape
    h = relief_m * fractal_field(shape, dx_m, rng, beta=3.6)
    area = nx * ny * dx_m * dx_m
    n = rng.poisson(crater_density_per_m2 * area)
    # Inverse transform of the truncated D^-2 cumulative law.
    u = rng.random(n)
    lo, hi = crater_min_m**-2, crater_max_m**-2
    diam = (lo - u * (lo - hi)) ** -0.5
    cx = rng.random(n) * nx * dx_m
    cy = rng.random(n) * ny * dx_m
    fresh = rng.uniform(0.2, 1.0, n)
    stamp_craters(
        h,
        0.0,
        0.0,
        dx_m,
        cx,
        cy,
        diam,
        fresh * PIKE_DEPTH_TO_DIAMETER * diam,
        fresh * PIKE_RIM_TO_DIAMETER * diam,
        EJECTA_EXTENT_RADII,
    )
    return h


def albedo_field(
    shape: tuple[int, int],
    dx_m: float,
    *,
    seed: int = 0,
    rel_sigma: float = 0.05,
    outer_scale_m: float = 50.0,
) -> np.ndarray:
    """Multiplicative albedo variation ``exp(rel_sigma * f)`` with ``f`` a fractal field.

    Parameters
    ----------
    shape : (int, int)
        (ny, nx).
    dx_m : float
        Node spacing (m).
    seed : int
        Random seed.
    rel_sigma : float
        Relative standard deviation of the albedo.
    outer_scale_m : float
        Largest scale of the variation (m).

    Returns
    -------
    numpy.ndarray
        Albedo factor around 1, shape ``shape``.
    """
    rng = np.random.default_rng([seed, 2])
    field = fractal_field(shape, dx_m, rng, beta=3.0, outer_scale_m=outer_scale_m)
    return np.exp(rel_sigma * field)


def write_demo_run(
    run_dir: str | Path,
    *,
    outcome: str = "crashed",
    touchdown_east_m: float = 236.0,
    touchdown_north_m: float = -282.0,
    vertical_speed_m_s: float = 52.0,
    horizontal_speed_m_s: float = 8.0,
    mass_kg: float = 1000.0,
    size_m: float = 600.0,
    dx_m: float = 1.0,
    seed: int = 0,
    scenario: str = "demo-resilience-like",
) -> Path:
    """Write a run directory with a synthetic terrain, as the simulator would.

    Defaults imitate the end of Resilience (docs/missions.md: about 282 m south
    and 236 m east of the target, about 1,000 kg, reported speeds 42-66 m/s);
    the terrain is synthetic. The patch is centred on the touchdown point.

    Parameters
    ----------
    run_dir : str or Path
        Directory to create or fill.
    outcome : str
        One of ``safe``, ``hard``, ``tipped``, ``crashed``, ``no_contact``.
    touchdown_east_m, touchdown_north_m : float
        Touchdown point (m, site map frame).
    vertical_speed_m_s, horizontal_speed_m_s : float
        Speeds at contact (m/s).
    mass_kg : float
        Mass at contact (kg).
    size_m, dx_m : float
        Side and node spacing of the square terrain patch (m).
    seed : int
        Terrain seed.
    scenario : str
        Name stored in the summary.

    Returns
    -------
    Path
        The run directory.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    n = int(round(size_m / dx_m)) + 1
    x0 = touchdown_east_m - 0.5 * (n - 1) * dx_m
    y0 = touchdown_north_m - 0.5 * (n - 1) * dx_m
    height = synthetic_terrain((n, n), dx_m, seed=seed)
    np.savez_compressed(run_dir / "terrain_site.npz", height_m=height, x0_m=x0, y0_m=y0, dx_m=dx_m)
    angle = math.degrees(math.atan2(vertical_speed_m_s, horizontal_speed_m_s))
    summary = {
        "scenario": scenario,
        "outcome": outcome,
        "touchdown_east_m": touchdown_east_m,
        "touchdown_north_m": touchdown_north_m,
        "touchdown_vertical_speed_m_s": vertical_speed_m_s,
        "touchdown_horizontal_speed_m_s": horizontal_speed_m_s,
        "touchdown_mass_kg": mass_kg,
        "impact_angle_deg": angle,
        "synthetic_terrain": True,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return run_dir
