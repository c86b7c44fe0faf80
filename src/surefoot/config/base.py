"""What every configuration model shares: strictness, finite numbers, one-line errors.

Every config model derives from :class:`StrictModel`: unknown keys are
errors, models are frozen, and every float (a field, a tuple element, a list
or mapping value) must be finite and of a magnitude a physical quantity can
have (0 or ``MIN_MAGNITUDE <= |x| <= MAX_MAGNITUDE``). Fields then declare their own physical ranges
with ``Field(ge=..., le=...)``. This module imports nothing else of surefoot,
so the schema, the dispersions and the loader all build on it without
importing each other in a circle.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import types
import typing
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

import yaml
from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# No quantity of a landing scenario comes near this (the largest, a body's GM in
# m^3/s^2, is 4.9e12 for the Moon and 4.0e14 for the Earth); beyond it products
# of two fields can overflow double precision.
MAX_MAGNITUDE = 1e15
# Nor this small unless zero: squares of smaller numbers underflow to 0 and a
# direction or a ratio computed from them divides by zero.
MIN_MAGNITUDE = 1e-30


# pydantic error type of true/false given for a number (StrictModel)
BOOL_FOR_NUMBER = "bool_for_number"

# a float that may be +-inf (or NaN, which the owning model must reject) for a
# field listed in ``StrictModel._infinite_ok``
OpenFloat = Annotated[float, AllowInfNan(True)]


class ConfigError(ValueError):
    """Bad user input. The message is one line naming the field and what is allowed."""


def _check_magnitude(value: Any, infinite_ok: bool = False) -> None:
    if isinstance(value, float):
        if infinite_ok and math.isinf(value):
            return
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise PydanticCustomError(
                "absurd_number", f"must be a finite number of magnitude <= {MAX_MAGNITUDE:g}"
            )
        if value != 0.0 and abs(value) < MIN_MAGNITUDE:
            raise PydanticCustomError(
                "absurd_number", f"must be 0 or of magnitude >= {MIN_MAGNITUDE:g}"
            )
    elif isinstance(value, tuple | list):
        for v in value:
            _check_magnitude(v, infinite_ok)
    elif isinstance(value, dict):
        for v in value.values():
            _check_magnitude(v, infinite_ok)


# the plain members of an annotation, by the annotation's identity (the annotations of
# the config models live as long as the models; the entry keeps its key alive too)
_MEMBERS: dict[int, tuple[Any, tuple[Any, ...]]] = {}


def _plain_members(tp: Any) -> tuple[Any, ...]:
    got = _MEMBERS.get(id(tp))
    if got is None or got[0] is not tp:
        got = _MEMBERS[id(tp)] = (tp, tuple(_plain(m) for m in _members(_plain(tp))))
    return got[1]


def _bool_for_number(tp: Any, value: Any) -> bool:
    """Whether ``value`` holds true/false where ``tp`` wants a number (a field, a tuple
    or list element, a mapping value); a member ``bool`` of ``tp`` takes it."""
    if not isinstance(value, bool | list | tuple | dict):  # a number, a text: nothing to see
        return False
    members = _plain_members(tp)
    if isinstance(value, bool):
        return bool not in members and any(m in (int, float) for m in members)
    if isinstance(value, list | tuple):
        for m in members:
            origin, args = typing.get_origin(m), typing.get_args(m)
            if origin in (tuple, list) and args:
                if origin is list or (len(args) == 2 and args[1] is Ellipsis):
                    return any(_bool_for_number(args[0], v) for v in value)
                return any(_bool_for_number(a, v) for a, v in zip(args, value, strict=False))
    elif isinstance(value, dict):
        for m in members:
            args = typing.get_args(m)
            if typing.get_origin(m) is dict and len(args) == 2:
                return any(_bool_for_number(args[1], v) for v in value.values())
    return False


def _holds_number(tp: Any) -> bool:
    """Whether ``tp`` is or contains (as a union member, a tuple, list or mapping
    element) an int or a float; a nested model checks its own fields."""
    for m in _plain_members(tp):
        if m in (int, float):
            return True
        if typing.get_origin(m) in (tuple, list, dict) and any(
            _holds_number(a) for a in typing.get_args(m) if a is not Ellipsis
        ):
            return True
    return False


# StrictModel subclass -> {field name: annotation} of its fields that hold numbers
_NUMERIC_FIELDS: dict[type, dict[str, Any]] = {}


class StrictModel(BaseModel):
    """Base of every config model: extra keys forbidden, frozen, finite bounded floats,
    no true/false for a number (lax pydantic reads ``true`` as 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # fields that may hold +-inf ("no limit", e.g. an open time window); they
    # must be typed with ``OpenFloat`` elements, and NaN stays an error
    _infinite_ok: ClassVar[tuple[str, ...]] = ()

    # a model validator, not a field one: a discriminator field (a dispersion's
    # ``dist``) may not have a "before" validator
    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            numeric = _NUMERIC_FIELDS.get(cls)
            if numeric is None:  # once per model: the fields that hold numbers somewhere
                numeric = _NUMERIC_FIELDS[cls] = {
                    k: f.annotation
                    for k, f in cls.__pydantic_fields__.items()
                    if _holds_number(f.annotation)
                }
            for key, tp in numeric.items():
                if key in data and _bool_for_number(tp, data[key]):
                    value = data[key]
                    raise PydanticCustomError(
                        BOOL_FOR_NUMBER,
                        "{field}: must be a number, not true or false",
                        {"field": key, "value": value},
                    )
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _finite_and_bounded(cls, value: Any, info: ValidationInfo) -> Any:
        _check_magnitude(value, info.field_name in cls._infinite_ok)
        return value


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of blanks folded into single spaces."""
    return " ".join(str(text).split())


def _first_error(err: ValidationError) -> dict[str, Any]:
    """The error to report: the first, unless an unknown key sits beside a missing
    field (a misspelt required key), whose spelling is then the thing to fix."""
    errors = err.errors()
    first = errors[0]
    if first["type"] == "missing":
        parent = tuple(first["loc"][:-1])
        for e in errors:
            if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == parent:
                return dict(e)
    return dict(first)


def _members(tp: Any) -> list[Any]:
    """The non-None members of a union type (``[tp]`` when it is not one)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _plain(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(tp: Any, part: Any) -> Any:
    """The type reached from ``tp`` by one part of a pydantic error location, or None."""
    members = [_plain(m) for m in _members(_plain(tp))]
    if len(members) > 1:  # a union: pydantic's location names the member taken
        for m in members:
            if not _is_model(m):
                continue
            tags = [
                typing.get_args(_plain(f.annotation))
                for f in m.model_fields.values()
                if typing.get_origin(_plain(f.annotation)) is Literal
            ]
            if m.__name__ == part or any(part in t for t in tags):
                return m
        return None
    tp = members[0]
    if _is_model(tp):
        info = tp.model_fields.get(str(part))
        return None if info is None else info.annotation
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    if origin is tuple and args and isinstance(part, int):
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[part] if 0 <= part < len(args) else None
    return None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed in the section that holds the key at error location ``loc``
    (a pydantic ``loc`` from ``model``), or None when the section is not a model."""
    tp: Any = model
    for part in loc[:-1]:
        tp = _step(tp, part)
        if tp is None:
            return None
    members = [_plain(m) for m in _members(_plain(tp))]
    if len(members) == 1 and _is_model(members[0]):
        return list(members[0].model_fields)
    return None


def unknown_key_hint(key: str, allowed: list[str]) -> str:
    """``"did you mean 'a' or 'b'?"`` for the allowed keys closest to ``key``, or the
    allowed keys themselves when none is close."""
    close = difflib.get_close_matches(key, allowed, n=3, cutoff=0.6)
    if not close and key:  # a prefix of a key is a near miss too ('dry_mass' for 'dry_mass_kg')
        close = [a for a in allowed if a.startswith(key) or key.startswith(a)][:3]
    if close:
        quoted = [f"'{c}'" for c in close]
        return "did you mean " + (
            quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        ) + "?"
    return "allowed: " + ", ".join(allowed) if allowed else "this section takes no keys"


def format_validation_error(
    err: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> str:
    """One line for the first error of a pydantic ValidationError.

    With ``model`` (the model that raised ``err``) an unknown key names the
    closest allowed keys of its section.
    """
    first = _first_error(err)
    if first["type"] == BOOL_FOR_NUMBER:  # raised by the model: name the field
        ctx = first.get("ctx") or {}
        first["loc"] = (*first["loc"], ctx.get("field", "?"))
        first["msg"] = "must be a number, not true or false"
        first["input"] = ctx.get("value")
    loc = ".".join(str(p) for p in first["loc"] if p != "__root__")
    path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        allowed = allowed_keys(model, tuple(first["loc"])) if model is not None else None
        if allowed is None:
            msg = "unknown key (check spelling; see the built-in scenarios for the allowed keys)"
        else:
            msg = f"unknown key ({unknown_key_hint(str(first['loc'][-1]), allowed)})"
    got = first.get("input")
    got_txt = (
        ""
        if first["type"] in ("extra_forbidden", "missing") or isinstance(got, dict)
        else f" (got {_short_repr(got)})"
    )
    return safe_text(one_line(f"{path or 'scenario'}: {msg}{got_txt}"), limit=400)


def _short_repr(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- guarded reading of user files ---------------------------------------------

# a scenario or problem file is a few kB; anything this large is not one
MAX_TEXT_BYTES = 16 * 1024 * 1024
# nesting of a YAML document (a scenario needs fewer than 10 levels)
MAX_YAML_DEPTH = 64
# nodes of a YAML document counted with aliases expanded (a billion-laughs
# document is small on disk and expands to billions of nodes)
MAX_YAML_NODES = 200_000


def check_regular_file(path: Path, what: str) -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular file, else :class:`ConfigError`.

    FIFOs, devices (``/dev/zero``) and folders are refused before they are
    opened, so reading can neither block nor run forever.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what} '{safe_text(path)}': cannot be read ({why(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{what} '{safe_text(path)}': is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{what} '{safe_text(path)}': not a regular file")
    return st


def read_text_file(path: Path, what: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``; one-line errors."""
    st = check_regular_file(path, what)
    if st.st_size > max_bytes:
        raise ConfigError(
            f"{what} '{safe_text(path)}': {st.st_size} bytes, more than the "
            f"{max_bytes} allowed"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{what} '{safe_text(path)}': cannot be read ({why(exc)})") from None
    if len(raw) > max_bytes:
        raise ConfigError(f"{what} '{safe_text(path)}': more than {max_bytes} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} '{safe_text(path)}': not UTF-8 text (byte {exc.start})"
        ) from None


def why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return safe_text(one_line(str(exc)), limit=120) or type(exc).__name__


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents nested deeper than MAX_YAML_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


def _count_nodes(data: Any, budget: int) -> int:
    """Nodes of ``data`` with shared references counted each time; stops past ``budget``."""
    stack = [data]
    n = 0
    while stack:
        node = stack.pop()
        n += 1
        if n > budget:
            return n
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return n


def parse_yaml(text: str, where: str) -> Any:
    """YAML text to Python data with one-line :class:`ConfigError` messages.

    ``where`` names the source (``"scenario file 'x.yaml'"``). Refuses
    syntax errors, documents nested deeper than MAX_YAML_DEPTH or expanding
    (through aliases) to more than MAX_YAML_NODES nodes, and integers too
    long to convert.
    """
    try:
        data = yaml.load(text, Loader=_GuardedLoader)  # noqa: S506 (a SafeLoader)
    except _TooDeep as exc:
        raise ConfigError(
            f"{where}: nested deeper than {MAX_YAML_DEPTH} levels at line {exc.mark.line + 1}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{where}: not valid YAML{at}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a 5,000-digit integer
        raise ConfigError(f"{where}: unreadable value ({why(exc)})") from None
    if _count_nodes(data, MAX_YAML_NODES) > MAX_YAML_NODES:
        raise ConfigError(
            f"{where}: expands to more than {MAX_YAML_NODES} values (aliases expanded)"
        )
    return data


# --- text from users on a terminal ---------------------------------------------

# C0/C1 control characters except tab: ANSI CSI/OSC sequences start with ESC
# (0x1b) or CSI (0x9b) and cannot act once these are replaced
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def safe_text(value: Any, limit: int = 200) -> str:
    """``value`` as one printable line: control characters replaced by '?', at most
    ``limit`` characters. Use it on any user-controlled string in a message."""
    text = _CONTROL.sub("?", str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
