"""Dispersions: which scenario fields a Monte Carlo campaign varies, and how.

A scenario's ``dispersions`` section names numeric fields by their dotted
path (``initial.altitude_m``; a tuple element by its index,
``vehicle.engine.misalignment_deg.0`` or ``vehicle.engine.misalignment_deg[0]``;
a scheduled fault's window by its list index, ``sensors.rangefinder.faults.0.time_s.0``)
and gives each a distribution::

    dispersions:
      fields:
        vehicle.dry_mass_kg: {dist: truncnormal, sigma: 3.0, low: 332.0, high: 348.0}
        vehicle.engine.isp_s: {dist: normal, sigma: 1.5}          # mean: the nominal value
        sensors.ideal_nav.position_noise_m: {dist: uniform, low: 0.5, high: 2.0}
        initial.crossrange_km: {dist: uniform, half_width: 0.5}   # nominal +- 0.5
        terrain.seed: {dist: choice, values: [0, 1, 2]}
      correlated:
        - fields:
            initial.altitude_m: {sigma: 150.0}
            initial.speed_m_s: {sigma: 1.0}
          correlation: [[1.0, -0.6], [-0.6, 1.0]]

Distributions: ``normal`` (``sigma``, optional ``mean``), ``uniform`` (``low``
and ``high``, or ``half_width`` around the nominal; on an integer field it draws
integers ``low..high`` inclusive), ``truncnormal`` (``sigma``, optional
``mean``, ``low`` and/or ``high``), ``choice`` (``values``, optional
``weights``). A ``correlated`` group is a multivariate normal: each member
has ``sigma`` (and optional ``mean``), ``correlation`` is its correlation
matrix in the members' order. A missing ``mean`` is the scenario's nominal
value of the field.

Nested sections (``initial: {altitude_m: {dist: ...}}``, or what ``--set
dispersions.fields.initial.altitude_m.dist=normal`` builds) read as dotted
paths. Validation happens in two steps. Loading the scenario checks what
the section alone decides: every path names a numeric field of the schema, each
distribution is possible (``sigma >= 0``, ``low < high``, weights that sum
to a positive number, a positive semi-definite correlation matrix), integer
fields get only integer distributions, and absolute bounds lie in the
field's allowed range. :func:`resolve_dispersions` then checks what needs
the nominal values (a ``mean`` taken from the scenario, a ``half_width``
range) and that an unbounded normal stays inside the field's range to six
sigma (use ``truncnormal`` to bound it). Both raise errors that name the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from surefoot.config.base import ConfigError, StrictModel
from surefoot.config.fields import (  # noqa: F401 (the dispersion API names them)
    NumericField,
    canonical_path,
    numeric_field,
    register_schema_root,
)

# An unbounded normal must keep this many sigma inside the field's range.
NORMAL_RANGE_SIGMA = 6.0
# A truncated normal must keep at least this probability between its bounds.
MIN_TRUNCATED_MASS = 1e-6
# Integer values are carried as float64 in the draws: keep them exact.
MAX_INT_MAGNITUDE = 2**53

class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("dispersion", message)


# --- distributions ------------------------------------------------------------


class NormalDispersion(_Strict):
    """Normal with standard deviation ``sigma`` about ``mean`` (default: nominal)."""

    dist: Literal["normal"]
    sigma: float = Field(ge=0.0, allow_inf_nan=False)
    mean: float | None = Field(None, allow_inf_nan=False)


class UniformDispersion(_Strict):
    """Uniform on ``[low, high]``, or on nominal +- ``half_width``."""

    dist: Literal["uniform"]
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)
    half_width: float | None = Field(None, ge=0.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> UniformDispersion:
        absolute = self.low is not None or self.high is not None
        if absolute and self.half_width is not None:
            raise _fail("give either low and high, or half_width, not both")
        if self.half_width is None:
            if self.low is None or self.high is None:
                raise _fail("needs low and high (or half_width around the nominal value)")
            if not self.low < self.high:
                raise _fail(f"low ({self.low!r}) must be smaller than high ({self.high!r})")
        return self


class TruncNormalDispersion(_Strict):
    """Normal (``mean``, ``sigma``) restricted to ``[low, high]`` (either may be open)."""

    dist: Literal["truncnormal"]
    sigma: float = Field(gt=0.0, allow_inf_nan=False)
    mean: float | None = Field(None, allow_inf_nan=False)
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> TruncNormalDispersion:
        if self.low is None and self.high is None:
            raise _fail("needs low and/or high (without bounds use dist: normal)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise _fail(f"low ({self.low!r}) must be smaller than high ({self.high!r})")
        return self


class ChoiceDispersion(_Strict):
    """One of ``values``, with probabilities proportional to ``weights`` (default equal)."""

    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> ChoiceDispersion:
        if any(not math.isfinite(v) for v in self.values):
            raise _fail("values must be finite numbers")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise _fail(
                    f"weights has {len(self.weights)} entries for {len(self.values)} values"
                )
            if any(not (math.isfinite(w) and w >= 0.0) for w in self.weights):
                raise _fail("weights must be finite and >= 0")
            if sum(self.weights) <= 0.0:
                raise _fail("weights must not all be zero")
        return self


FieldDispersion = Annotated[
    NormalDispersion | UniformDispersion | TruncNormalDispersion | ChoiceDispersion,
    Field(discriminator="dist"),
]


class CorrelatedMember(_Strict):
    """One member of a correlated group: standard deviation and optional mean."""

    sigma: float = Field(ge=0.0, allow_inf_nan=False)
    mean: float | None = Field(None, allow_inf_nan=False)


class CorrelatedGroup(_Strict):
    """Fields drawn together from a multivariate normal.

    ``correlation[i][j]`` is the correlation of the i-th and j-th field in the
    order they are listed; the covariance is ``sigma_i sigma_j correlation[i][j]``.
    """

    fields: dict[str, CorrelatedMember] = Field(min_length=2)
    correlation: list[list[float]]

    @model_validator(mode="after")
    def _matrix(self) -> CorrelatedGroup:
        n = len(self.fields)
        c = self.correlation
        if len(c) != n or any(len(row) != n for row in c):
            raise _fail(f"correlation must be a {n} x {n} matrix (one row per field)")
        m = np.array(c, dtype=float)
        if not np.all(np.isfinite(m)):
            raise _fail("correlation entries must be finite")
        if not np.allclose(np.diag(m), 1.0, rtol=0.0, atol=1e-12):
            raise _fail("correlation diagonal must be 1")
        if not np.allclose(m, m.T, rtol=0.0, atol=1e-12):
            raise _fail("correlation must be symmetric")
        if np.any(np.abs(m) > 1.0):
            raise _fail("correlation entries must lie in [-1, 1]")
        if np.linalg.eigvalsh(m).min() < -1e-10:
            raise _fail("correlation must be positive semi-definite (it is not a valid matrix)")
        return self


class DispersionsConfig(_Strict):
    """The dispersed fields of a campaign (empty: every run flies the nominal scenario)."""

    fields: dict[str, FieldDispersion] = {}
    correlated: list[CorrelatedGroup] = []

    @model_validator(mode="before")
    @classmethod
    def _canonical_paths(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        fields = data.get("fields")
        if isinstance(fields, dict):
            out: dict[str, Any] = {}

            def flatten(node: dict, prefix: str) -> None:
                # nested sections (``initial: {altitude_m: {dist: ...}}``, or what
                # ``--set dispersions.fields.initial.altitude_m.dist=...`` builds)
                for key, spec in node.items():
                    path = f"{prefix}{key}"
                    if isinstance(spec, dict) and spec and "dist" not in spec:
                        flatten(spec, path + ".")
                        continue
                    canon = canonical_path(str(path))
                    if canon in out:
                        raise _fail(f"fields: '{path}' is listed twice")
                    out[canon] = spec

            flatten(fields, "")
            data["fields"] = out
        groups = data.get("correlated")
        if isinstance(groups, list):
            new_groups = []
            for g in groups:
                if isinstance(g, dict) and isinstance(g.get("fields"), dict):
                    g = dict(g)
                    g["fields"] = {canonical_path(str(k)): v for k, v in g["fields"].items()}
                new_groups.append(g)
            data["correlated"] = new_groups
        return data

    @model_validator(mode="after")
    def _paths(self) -> DispersionsConfig:
        seen: dict[str, str] = {}
        for path, spec in self.fields.items():
            where = f"fields.{path}"
            f = _lookup(path, where)
            _check_field_spec(f, spec, where)
            seen[path] = where
        for k, g in enumerate(self.correlated):
            for path in g.fields:
                where = f"correlated.{k}.fields.{path}"
                if path in seen:
                    raise _fail(f"{where}: '{path}' is already dispersed at {seen[path]}")
                f = _lookup(path, where)
                if f.integer:
                    raise _fail(f"{where}: integer field; correlated groups are for float fields")
                seen[path] = where
        return self

    @property
    def paths(self) -> list[str]:
        """Every dispersed path: independent fields first, then the groups', as listed."""
        out = list(self.fields)
        for g in self.correlated:
            out.extend(g.fields)
        return out


def _lookup(path: str, where: str) -> NumericField:
    try:
        return numeric_field(path)
    except ValueError as exc:
        raise _fail(f"{where}: {exc}") from None


def _check_field_spec(f: NumericField, spec: Any, where: str) -> None:
    def outside(v: float) -> bool:
        return not bool(f.contains(v))

    if f.integer:
        if isinstance(spec, NormalDispersion | TruncNormalDispersion):
            raise _fail(
                f"{where}: integer field; use dist: uniform (integers low..high) or dist: choice"
            )
        ints = []
        if isinstance(spec, UniformDispersion):
            ints = [v for v in (spec.low, spec.high, spec.half_width) if v is not None]
        elif isinstance(spec, ChoiceDispersion):
            ints = list(spec.values)
        for v in ints:
            if v != round(v) or abs(v) >= MAX_INT_MAGNITUDE:
                raise _fail(f"{where}: integer field; {v!r} is not an integer below 2**53")
    if isinstance(spec, UniformDispersion) and spec.half_width is None:
        for label, v in (("low", spec.low), ("high", spec.high)):
            if outside(v):
                raise _fail(f"{where}: {label} {v!r} is outside the field's range {f.range_text()}")
    if isinstance(spec, TruncNormalDispersion):
        for label, v in (("low", spec.low), ("high", spec.high)):
            if v is not None and outside(v):
                raise _fail(f"{where}: {label} {v!r} is outside the field's range {f.range_text()}")
    if isinstance(spec, ChoiceDispersion):
        for v in spec.values:
            if outside(v):
                raise _fail(f"{where}: value {v!r} is outside the field's range {f.range_text()}")


# --- resolution against a scenario ---------------------------------------------


@dataclass(frozen=True)
class ResolvedItem:
    """One independent draw: a single field, or a correlated group of fields.

    ``kind`` is ``'normal'``, ``'uniform'``, ``'uniform_int'``,
    ``'truncnormal'``, ``'choice'`` or ``'mvnormal'``. Parameters are
    absolute (nominal values filled in): ``mean`` and ``sigma`` per path for
    normals (arrays for a group, with ``correlation``), ``low``/``high`` for
    uniforms and truncated normals (``-inf``/``inf`` when open), ``values``
    and ``weights`` for choices.
    """

    kind: str
    paths: tuple[str, ...]
    where: str
    mean: tuple[float, ...] = ()
    sigma: tuple[float, ...] = ()
    low: float = -math.inf
    high: float = math.inf
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    correlation: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class ResolvedDispersions:
    """The dispersions of a scenario with every parameter absolute.

    Attributes
    ----------
    items : tuple of ResolvedItem
        Independent draws, in the scenario's order (fields, then groups).
    fields : tuple of NumericField
        One per dispersed path, in column order (the order of ``paths``).
    """

    items: tuple[ResolvedItem, ...]
    fields: tuple[NumericField, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """Dispersed paths in column order."""
        return tuple(f.path for f in self.fields)


_MISSING = object()


def _slot(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, ``None`` when unset, ``_MISSING`` when there is no
    such place in this scenario (a section left unset, a list index past its end)."""
    node: Any = data
    for part in path.split("."):
        if node is None:
            return _MISSING
        if isinstance(node, list | tuple):
            i = int(part)
            if i >= len(node):
                return _MISSING
            node = node[i]
        else:
            node = node.get(part, _MISSING)
            if node is _MISSING:
                return _MISSING
    return node


def nominal_value(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a scenario dump (``None`` when unset or absent)."""
    v = _slot(data, path)
    return None if v is _MISSING else v


def _normal_mass(a: float, b: float) -> float:
    """P(a < Z < b) for a standard normal, accurate in either tail."""
    if a >= 0.0:
        return 0.5 * (math.erfc(a / math.sqrt(2.0)) - math.erfc(b / math.sqrt(2.0)))
    if b <= 0.0:
        return 0.5 * (math.erfc(-b / math.sqrt(2.0)) - math.erfc(-a / math.sqrt(2.0)))
    return 1.0 - 0.5 * math.erfc(-a / math.sqrt(2.0)) - 0.5 * math.erfc(b / math.sqrt(2.0))


def resolve_dispersions(scenario: Any) -> ResolvedDispersions:
    """Fill in nominal values and check the dispersions against a scenario.

    Parameters
    ----------
    scenario : surefoot.config.schema.Scenario
        A validated scenario whose ``dispersions`` section is resolved.

    Returns
    -------
    ResolvedDispersions

    Raises
    ------
    surefoot.config.base.ConfigError
        A one-line message starting with ``dispersions.<where>`` when a
        distribution needs a nominal value the scenario leaves unset, or
        can draw values outside the field's allowed range.
    """
    disp: DispersionsConfig = scenario.dispersions
    data = scenario.model_dump(mode="json")
    items: list[ResolvedItem] = []
    fields: list[NumericField] = []

    def nominal(path: str, where: str, what: str) -> float:
        v = nominal_value(data, path)
        if v is None:
            raise ConfigError(f"dispersions.{where}: the scenario leaves '{path}' unset; {what}")
        return float(v)

    def check_normal(f: NumericField, mean: float, sigma: float, where: str) -> None:
        lo, hi = mean - NORMAL_RANGE_SIGMA * sigma, mean + NORMAL_RANGE_SIGMA * sigma
        if not (f.contains(lo) and f.contains(hi)):
            raise ConfigError(
                f"dispersions.{where}: normal(mean {mean:g}, sigma {sigma:g}) leaves the field's "
                f"range {f.range_text()} within {NORMAL_RANGE_SIGMA:g} sigma; "
                "use dist: truncnormal with low/high, or a smaller sigma"
            )

    def exists(path: str, where: str) -> None:
        if _slot(data, path) is _MISSING:
            parent = path.rsplit(".", 1)[0]
            raise ConfigError(
                f"dispersions.{where}: the scenario has no '{path}' ('{parent}' is unset "
                "or shorter); set it in the scenario to disperse it"
            )

    for path, spec in disp.fields.items():
        where = f"fields.{path}"
        f = numeric_field(path)
        exists(path, where)
        fields.append(f)
        if isinstance(spec, NormalDispersion):
            mean = spec.mean if spec.mean is not None else nominal(path, where, "give a mean")
            check_normal(f, mean, spec.sigma, where)
            items.append(ResolvedItem("normal", (path,), where, (mean,), (spec.sigma,)))
        elif isinstance(spec, UniformDispersion):
            if spec.half_width is not None:
                c = nominal(path, where, "give low and high")
                lo, hi = c - spec.half_width, c + spec.half_width
                if f.integer and (c != round(c)):
                    raise ConfigError(
                        f"dispersions.{where}: integer field with a non-integer nominal value"
                    )
                for label, v in (("nominal - half_width", lo), ("nominal + half_width", hi)):
                    if not f.contains(v):
                        raise ConfigError(
                            f"dispersions.{where}: {label} = {v:g} is outside the field's range "
                            f"{f.range_text()}"
                        )
                if not lo < hi:
                    raise ConfigError(f"dispersions.{where}: half_width must be > 0")
            else:
                lo, hi = float(spec.low), float(spec.high)
            kind = "uniform_int" if f.integer else "uniform"
            items.append(ResolvedItem(kind, (path,), where, low=lo, high=hi))
        elif isinstance(spec, TruncNormalDispersion):
            mean = spec.mean if spec.mean is not None else nominal(path, where, "give a mean")
            lo = spec.low if spec.low is not None else -math.inf
            hi = spec.high if spec.high is not None else math.inf
            # an open side must itself respect the field's range
            check_lo = spec.low is None and not f.contains(mean - NORMAL_RANGE_SIGMA * spec.sigma)
            check_hi = spec.high is None and not f.contains(mean + NORMAL_RANGE_SIGMA * spec.sigma)
            if check_lo or check_hi:
                side = "low" if check_lo else "high"
                raise ConfigError(
                    f"dispersions.{where}: the open side reaches outside the field's range "
                    f"{f.range_text()}; give {side}"
                )
            mass = _normal_mass((lo - mean) / spec.sigma, (hi - mean) / spec.sigma)
            if mass < MIN_TRUNCATED_MASS:
                raise ConfigError(
                    f"dispersions.{where}: [low, high] = [{lo:g}, {hi:g}] holds probability "
                    f"{mass:.1e} of normal(mean {mean:g}, sigma {spec.sigma:g}); "
                    "the distribution is impossible to draw from"
                )
            items.append(
                ResolvedItem("truncnormal", (path,), where, (mean,), (spec.sigma,), lo, hi)
            )
        else:
            w = spec.weights if spec.weights is not None else [1.0] * len(spec.values)
            total = float(sum(w))
            items.append(
                ResolvedItem(
                    "choice",
                    (path,),
                    where,
                    values=tuple(float(v) for v in spec.values),
                    weights=tuple(float(x) / total for x in w),
                )
            )
    for k, g in enumerate(disp.correlated):
        means, sigmas = [], []
        for path, member in g.fields.items():
            where = f"correlated.{k}.fields.{path}"
            f = numeric_field(path)
            exists(path, where)
            fields.append(f)
            mean = member.mean if member.mean is not None else nominal(path, where, "give a mean")
            check_normal(f, mean, member.sigma, where)
            means.append(mean)
            sigmas.append(member.sigma)
        items.append(
            ResolvedItem(
                "mvnormal",
                tuple(g.fields),
                f"correlated.{k}",
                tuple(means),
                tuple(sigmas),
                correlation=tuple(tuple(float(x) for x in row) for row in g.correlation),
            )
        )
    return ResolvedDispersions(items=tuple(items), fields=tuple(fields))
