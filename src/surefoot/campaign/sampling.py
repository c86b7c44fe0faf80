"""Per-run draws of the dispersed inputs and the run seed, and the run's scenario.

Every number a run gets comes from random streams keyed by (campaign seed,
run index, stream name) only: one PCG64 stream per dispersed field (or
correlated group) and one for the run seed. A run's inputs therefore never
depend on which other runs are drawn, in which order, by which batch or
worker; and adding a dispersion to a campaign leaves the draws of the other
fields unchanged.

Only the raw 64-bit output of PCG64 is used (stable across NumPy versions,
unlike the ``Generator`` distribution methods): uniforms are
``((raw >> 11) + 0.5) * 2**-53`` on the open interval (0, 1), normals their
inverse normal CDF, so every draw is an explicit function of the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError
from scipy.special import ndtr, ndtri

from surefoot.config.dispersions import ResolvedDispersions, ResolvedItem
from surefoot.config.loader import ConfigError, format_validation_error
from surefoot.config.schema import Scenario

SEED_STREAM = "run.seed"
_MASK32 = 0xFFFFFFFF
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _stream_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def stream_raw(campaign_seed: int, run_index: int, stream: str, k: int) -> np.ndarray:
    """``k`` raw 64-bit words of the stream keyed by (campaign seed, run index, name).

    The key is six 32-bit words (each 64-bit part split low, high), so keys of
    different values never collide by concatenation.
    """
    words = []
    for v in (campaign_seed, run_index, _stream_id(stream)):
        words += [v & _MASK32, (v >> 32) & _MASK32]
    return np.random.PCG64(np.random.SeedSequence(words)).random_raw(k)


def stream_uniforms(campaign_seed: int, run_index: int, stream: str, k: int) -> np.ndarray:
    """``k`` uniforms on the open interval (0, 1) from one keyed stream."""
    raw = stream_raw(campaign_seed, run_index, stream, k)
    return ((raw >> np.uint64(11)).astype(np.float64) + 0.5) * _INV53


def _stream_name(item: ResolvedItem) -> str:
    return ("group:" if item.kind == "mvnormal" else "field:") + ",".join(item.paths)


def _truncated_normal(u: float, a: float, b: float) -> float:
    """Inverse CDF of the standard normal restricted to (a, b), exact in either tail."""
    if a >= 0.0:  # upper tail: work with survival probabilities, which stay precise
        pa, pb = ndtr(-a), ndtr(-b)
        z = -ndtri(pa - u * (pa - pb))
    else:
        fa, fb = ndtr(a), ndtr(b)
        z = ndtri(fa + u * (fb - fa))
    return float(min(max(z, a), b))


def _draw_item(item: ResolvedItem, u: np.ndarray) -> np.ndarray:
    """Values of one item's paths from its uniforms ``u``."""
    if item.kind == "normal":
        return np.array([item.mean[0] + item.sigma[0] * ndtri(u[0])])
    if item.kind == "uniform":
        return np.array([item.low + u[0] * (item.high - item.low)])
    if item.kind == "uniform_int":
        n = int(round(item.high - item.low)) + 1
        return np.array([item.low + min(int(u[0] * n), n - 1)])
    if item.kind == "truncnormal":
        s = item.sigma[0]
        a, b = (item.low - item.mean[0]) / s, (item.high - item.mean[0]) / s
        return np.array([item.mean[0] + s * _truncated_normal(float(u[0]), a, b)])
    if item.kind == "choice":
        cdf = np.cumsum(item.weights)
        k = int(np.searchsorted(cdf, u[0] * cdf[-1], side="right"))
        return np.array([item.values[min(k, len(item.values) - 1)]])
    if item.kind == "mvnormal":
        z = ndtri(u)
        return np.asarray(item.mean) + np.asarray(item.sigma) * (_factor(item) @ z)
    raise ValueError(f"unknown dispersion kind {item.kind!r}")


_FACTORS: dict[tuple, np.ndarray] = {}


def _factor(item: ResolvedItem) -> np.ndarray:
    """A square root ``L`` of the correlation matrix (``L L^T = C``), cached."""
    key = item.correlation
    if key not in _FACTORS:
        c = np.array(key, dtype=float)
        try:
            f = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:  # semi-definite (e.g. correlation 1): symmetric root
            w, v = np.linalg.eigh(c)
            f = v * np.sqrt(np.clip(w, 0.0, None))
        _FACTORS[key] = f
    return _FACTORS[key]


@dataclass
class RunDraws:
    """Draws of a set of runs.

    Attributes
    ----------
    run_index : ndarray of int64, shape (n,)
    seed : ndarray of int64, shape (n,)
        Each run's ``Scenario.seed`` (in ``[0, 2**63)``).
    values : ndarray of float64, shape (n, F)
        Dispersed inputs, columns in the order of ``paths`` (integer fields hold
        exact integers).
    paths : tuple of str
    """

    run_index: np.ndarray
    seed: np.ndarray
    values: np.ndarray
    paths: tuple[str, ...]


def draw_runs(
    resolved: ResolvedDispersions, campaign_seed: int, run_indices: Sequence[int]
) -> RunDraws:
    """Draw the run seed and the dispersed inputs of each listed run.

    Parameters
    ----------
    resolved : ResolvedDispersions
        From :func:`surefoot.config.dispersions.resolve_dispersions`.
    campaign_seed : int
        ``>= 0``.
    run_indices : sequence of int
        Runs to draw (any order, any subset): row ``k`` belongs to ``run_indices[k]``.

    Returns
    -------
    RunDraws
    """
    idx = np.asarray(run_indices, dtype=np.int64).reshape(-1)
    paths = resolved.paths
    col = {p: k for k, p in enumerate(paths)}
    values = np.zeros((idx.size, len(paths)))
    seeds = np.zeros(idx.size, dtype=np.int64)
    for r, run in enumerate(idx.tolist()):
        seeds[r] = int(stream_raw(campaign_seed, run, SEED_STREAM, 1)[0] >> np.uint64(1))
        for item in resolved.items:
            u = stream_uniforms(campaign_seed, run, _stream_name(item), len(item.paths))
            vals = _draw_item(item, u)
            for p, v in zip(item.paths, vals, strict=True):
                values[r, col[p]] = v
    return RunDraws(run_index=idx, seed=seeds, values=values, paths=paths)


def base_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data without its dispersions: what every run starts from."""
    data = scenario.model_dump(mode="json")
    data.pop("dispersions", None)
    return data


def _set_path(data: dict[str, Any], parts: list[str], value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the value at ``parts`` replaced (copies only along the path)."""
    head, rest = parts[0], parts[1:]
    if isinstance(data, list):
        out_list = list(data)
        i = int(head)
        out_list[i] = value if not rest else _set_path(out_list[i], rest, value)
        return out_list  # type: ignore[return-value]
    out = dict(data)
    out[head] = value if not rest else _set_path(out[head], rest, value)
    return out


def run_dict(
    base: dict[str, Any],
    paths: Sequence[str],
    integer: Sequence[bool],
    values: Sequence[float],
    seed: int,
) -> dict[str, Any]:
    """Plain data of one run's scenario: ``base`` with the drawn values and seed."""
    data = dict(base)
    for path, is_int, v in zip(paths, integer, values, strict=True):
        data = _set_path(data, path.split("."), int(v) if is_int else float(v))
    data["seed"] = int(seed)
    return data


def _path_tree(paths: Sequence[str]) -> dict[str, Any]:
    """The dispersed paths as a tree of their parts (``{"vehicle": {"engine": {...}}}``)."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def _reuse_untouched(
    model: BaseModel, data: dict[str, Any], tree: dict[str, Any]
) -> dict[str, Any]:
    """``data`` with every sub-model that no dispersed path reaches replaced by ``model``'s
    validated instance of it.

    Pydantic takes an instance of a field's model class as it is (``revalidate_instances``
    is ``'never'``), while the validators of the enclosing models (field and model
    validators) still run on it; the instance is what validating the same plain data
    gives, since a model's validation reads only its own data. A touched sub-model
    stays plain data (validated as before), its untouched parts reused in turn.
    """
    out = dict(data)
    for key, value in data.items():
        current = getattr(model, key, None)
        if not isinstance(current, BaseModel):
            continue  # plain values (numbers, tuples, lists) are validated as data
        sub = tree.get(key)
        if sub is None:
            out[key] = current
        elif sub and isinstance(value, dict):
            out[key] = _reuse_untouched(current, value, sub)
    return out


class RunScenarios:
    """The validated scenarios of a campaign's runs, validating only what each run changes.

    Equal, field for field, to :func:`run_scenario` (the base's untouched sub-models are
    shared: configuration models are frozen); a run that fails validation is validated
    again the full way, so its error message is the one :func:`run_scenario` gives.

    Parameters
    ----------
    base : dict
        :func:`base_dict` of the campaign's scenario.
    paths, integer
        The dispersed fields (paths and whether each is an integer), in column order.
    """

    def __init__(self, base: dict[str, Any], paths: Sequence[str], integer: Sequence[bool]):
        self.base = base
        self.paths = list(paths)
        self.integer = list(integer)
        self._tree = _path_tree([*self.paths, "seed"])
        try:
            self._base_model: Scenario | None = Scenario.model_validate(base)
        except ValidationError:
            self._base_model = None  # every run is then validated the full way

    def __call__(
        self, values: Sequence[float], seed: int, run_index: int | None = None
    ) -> Scenario:
        """The validated scenario of one run (raises :class:`ConfigError` as
        :func:`run_scenario`)."""
        if self._base_model is not None:
            data = run_dict(self.base, self.paths, self.integer, values, seed)
            try:
                return Scenario.model_validate(_reuse_untouched(self._base_model, data, self._tree))
            except ValidationError:
                pass  # the full validation below names the field
        return run_scenario(self.base, self.paths, self.integer, values, seed, run_index)


def run_scenario(
    base: dict[str, Any],
    paths: Sequence[str],
    integer: Sequence[bool],
    values: Sequence[float],
    seed: int,
    run_index: int | None = None,
) -> Scenario:
    """The validated scenario of one run.

    Raises
    ------
    ConfigError
        When the drawn values make the scenario invalid (a cross-field rule);
        the message names the run and the field.
    """
    data = run_dict(base, paths, integer, values, seed)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        which = f"run {run_index}" if run_index is not None else "a run"
        raise ConfigError(
            f"dispersions: {which} draws an invalid scenario: {format_validation_error(exc)}"
        ) from None
