"""The schema's numeric fields, addressed by dotted path: what a campaign may disperse.

:func:`numeric_field` resolves ``'vehicle.engine.isp_s'`` or
``'vehicle.engine.misalignment_deg.1'`` (``[1]`` also accepted) against the
scenario schema to a :class:`NumericField`: its bounds from the field's
declaration and whether it is an integer. The schema registers itself as the
root (:func:`register_schema_root`), so this module does not import it (no
import circle). Used by the dispersions and the campaign result columns.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union

import annotated_types
import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from surefoot.config.base import unknown_key_hint

_NOT_DISPERSIBLE = ("seed", "dispersions")


@dataclass(frozen=True)
class NumericField:
    """A numeric scenario field reached by a dotted path.

    Attributes
    ----------
    path : str
        Canonical dotted path (tuple elements as ``.k``).
    integer : bool
        True for ``int`` fields (they take integer distributions only).
    ge, gt, le, lt : float or None
        The schema's bounds on the field.
    optional : bool
        True when the field may be ``None`` (its nominal value may be unset).
    """

    path: str
    integer: bool
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    optional: bool = False

    def contains(self, values: np.ndarray | float) -> np.ndarray:
        """Whether each value is inside the field's allowed range."""
        v = np.asarray(values, dtype=float)
        ok = np.isfinite(v)
        if self.ge is not None:
            ok &= v >= self.ge
        if self.gt is not None:
            ok &= v > self.gt
        if self.le is not None:
            ok &= v <= self.le
        if self.lt is not None:
            ok &= v < self.lt
        return ok

    def range_text(self) -> str:
        """The allowed range in words, e.g. ``'>= 0.0 and <= 200000.0'``."""
        parts = [
            f"{op} {val!r}"
            for op, val in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
            if val is not None
        ]
        return " and ".join(parts) if parts else "any finite number"

    @property
    def lower(self) -> float:
        """The lower bound (-inf when none)."""
        for v in (self.ge, self.gt):
            if v is not None:
                return float(v)
        return -math.inf

    @property
    def upper(self) -> float:
        """The upper bound (+inf when none)."""
        for v in (self.le, self.lt):
            if v is not None:
                return float(v)
        return math.inf


def canonical_path(path: str) -> str:
    """``'a.b[0]'`` -> ``'a.b.0'``; surrounding blanks removed."""
    return re.sub(r"\[\s*(-?\d+)\s*\]", r".\1", path.strip())


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _bounds(metadata: list[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in metadata:
        for cls, name in (
            (annotated_types.Ge, "ge"),
            (annotated_types.Gt, "gt"),
            (annotated_types.Le, "le"),
            (annotated_types.Lt, "lt"),
        ):
            if isinstance(m, cls):
                out[name] = float(getattr(m, name))
    return out


_SCHEMA_ROOT: list[type[BaseModel]] = []


def register_schema_root(root: type[BaseModel]) -> None:
    """Name the model that dispersion paths start from (the scenario schema calls this).

    The schema contains a :class:`DispersionsConfig` whose paths name fields of
    the schema itself; the schema registers itself here instead of this module
    importing it, so the two modules do not import each other.
    """
    _SCHEMA_ROOT[:] = [root]


def _schema_root() -> type[BaseModel]:
    if not _SCHEMA_ROOT:  # importing surefoot.config loads the schema, which registers
        raise RuntimeError("the scenario schema is not loaded (import surefoot.config)")
    return _SCHEMA_ROOT[0]


def numeric_field(path: str, root: type[BaseModel] | None = None) -> NumericField:
    """Look up a numeric field of the scenario schema by its dotted path.

    Parameters
    ----------
    path : str
        Dotted path, e.g. ``'vehicle.engine.isp_s'`` or ``'vehicle.engine.misalignment_deg.1'``.
    root : pydantic model class, optional
        Schema to walk (default: :class:`surefoot.config.schema.Scenario`).

    Returns
    -------
    NumericField

    Raises
    ------
    ValueError
        Unknown path, a path into a value, or a field that is not numeric;
        the message says which part is wrong.
    """
    if root is None:
        root = _schema_root()
    canon = canonical_path(path)
    parts = canon.split(".")
    if not canon or any(not p for p in parts):
        raise ValueError("not a dotted field path")
    if parts[0] in _NOT_DISPERSIBLE:
        raise ValueError(
            f"'{parts[0]}' cannot be dispersed (each run's seed derives from the campaign seed)"
            if parts[0] == "seed"
            else f"'{parts[0]}' cannot be dispersed"
        )
    node: Any = root
    optional = False
    meta: list[Any] = []
    for k, part in enumerate(parts):
        where = ".".join(parts[:k]) or "scenario"
        node, opt = _unwrap_optional(node)
        optional = optional or opt
        if isinstance(node, type) and issubclass(node, BaseModel):
            info = node.model_fields.get(part)
            if info is None:
                hint = unknown_key_hint(part, list(node.model_fields))
                raise ValueError(f"'{where}' has no field '{part}' ({hint})")
            node, meta = info.annotation, list(info.metadata)
            optional = False
            continue
        if typing.get_origin(node) is tuple:
            args = typing.get_args(node)
            if len(args) == 2 and args[1] is Ellipsis:  # a list such as a sensor's faults
                if not re.fullmatch(r"\d+", part):
                    raise ValueError(f"'{where}' is a list: index it with 0, 1, ...")
                node, meta = args[0], []
                continue
            if not re.fullmatch(r"\d+", part) or int(part) >= len(args):
                raise ValueError(
                    f"'{where}' is a tuple of {len(args)}: index it with 0..{len(args) - 1}"
                )
            node, meta = args[int(part)], []
            continue
        raise ValueError(f"'{where}' is a value, not a section")
    node, opt = _unwrap_optional(node)
    optional = optional or opt
    if typing.get_origin(node) is Annotated:  # a constrained tuple element
        for m in node.__metadata__:
            meta = meta + (list(m.metadata) if isinstance(m, FieldInfo) else [m])
        node = typing.get_args(node)[0]
    if node is bool or node not in (int, float):
        raise ValueError("not a numeric field (only int and float fields can be dispersed)")
    return NumericField(path=canon, integer=node is int, optional=optional, **_bounds(meta))
