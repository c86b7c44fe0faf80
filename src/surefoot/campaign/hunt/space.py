"""The standard-normal space of a campaign's dispersed inputs, and the way back to values.

A hunt searches a space where every dispersed input is one independent
standard normal coordinate ``z`` (dimensionless), column ``k`` for the
dispersed path ``k`` of :attr:`ResolvedDispersions.paths`. A value is the
field's distribution at the normal's probability: ``u = Phi(z)`` through the
field's inverse CDF (what :mod:`surefoot.campaign.sampling` does with its
uniforms), except for normals, which take ``z`` directly (``mean + sigma z``;
a correlated group ``mean + sigma (L z)`` with ``L L^T`` its correlation),
so a tail far out keeps its precision.

:func:`prior_points` gives the coordinates of a campaign's own draws: run
``i`` of a hunt with seed ``S`` starts where run ``i`` of a campaign with seed
``S`` stands (same inputs, same run seed), so the first level of a hunt is a
plain Monte Carlo campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from surefoot.campaign.sampling import (
    SEED_STREAM,
    _draw_item,
    _factor,
    _stream_name,
    draw_runs,
    stream_raw,
    stream_uniforms,
)
from surefoot.config.dispersions import ResolvedDispersions

# probabilities stay inside the open interval the campaign's uniforms span
_U_LOW = 2.0**-54
_U_HIGH = 1.0 - 2.0**-53


@dataclass(frozen=True)
class Points:
    """Runs at points of the standard-normal space.

    Attributes
    ----------
    z : ndarray, shape (n, d)
        Standard-normal coordinates, column ``k`` for dispersed path ``k``.
    values : ndarray, shape (n, d)
        The dispersed inputs at those coordinates (integer fields hold integers).
    seed : ndarray of int64, shape (n,)
        Each run's ``Scenario.seed``.
    """

    z: np.ndarray
    values: np.ndarray
    seed: np.ndarray


def run_seeds(hunt_seed: int, run_index: Sequence[int]) -> np.ndarray:
    """The run seed of each run index, as a campaign with seed ``hunt_seed`` draws it."""
    return np.array(
        [int(stream_raw(hunt_seed, int(i), SEED_STREAM, 1)[0] >> np.uint64(1)) for i in run_index],
        dtype=np.int64,
    )


def prior_points(resolved: ResolvedDispersions, hunt_seed: int, run_index: Sequence[int]) -> Points:
    """The campaign draws of the listed runs and their standard-normal coordinates.

    ``values`` and ``seed`` are exactly those of
    :func:`surefoot.campaign.sampling.draw_runs`; ``z = Phi^-1(u)`` of the same
    uniforms (for a correlated group, of its independent uniforms).
    """
    draws = draw_runs(resolved, hunt_seed, run_index)
    col = {p: k for k, p in enumerate(resolved.paths)}
    z = np.zeros_like(draws.values)
    for r, run in enumerate(draws.run_index.tolist()):
        for item in resolved.items:
            u = stream_uniforms(hunt_seed, run, _stream_name(item), len(item.paths))
            for p, zk in zip(item.paths, ndtri(u), strict=True):
                z[r, col[p]] = zk
    return Points(z=z, values=draws.values, seed=draws.seed)


def values_at(resolved: ResolvedDispersions, z: np.ndarray) -> np.ndarray:
    """Dispersed inputs at standard-normal points.

    Parameters
    ----------
    resolved : ResolvedDispersions
    z : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d)
        Columns in the order of ``resolved.paths``.
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    col = {p: k for k, p in enumerate(resolved.paths)}
    out = np.zeros_like(z)
    for item in resolved.items:
        cols = [col[p] for p in item.paths]
        zi = z[:, cols]
        if item.kind == "normal":
            out[:, cols[0]] = item.mean[0] + item.sigma[0] * zi[:, 0]
        elif item.kind == "mvnormal":
            out[:, cols] = np.asarray(item.mean) + np.asarray(item.sigma) * (zi @ _factor(item).T)
        else:
            u = np.clip(ndtr(zi[:, 0]), _U_LOW, _U_HIGH)
            out[:, cols[0]] = [_draw_item(item, np.array([x]))[0] for x in u]
    return out


def points_at(
    resolved: ResolvedDispersions, hunt_seed: int, run_index: Sequence[int], z: np.ndarray
) -> Points:
    """Runs ``run_index`` at points ``z`` (values from :func:`values_at`, campaign run seeds)."""
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    return Points(z=z, values=values_at(resolved, z), seed=run_seeds(hunt_seed, run_index))
