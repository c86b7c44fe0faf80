"""What every configuration model shares: strictness, finite numbers, one-line errors.

Every config model derives from :class:`StrictModel`: unknown keys are
errors, models are frozen, and every float (a field, a tuple element, a list
or mapping value) must be finite and of a magnitude a physical quantity can
have (``|x| <= MAX_MAGNITUDE``). Fields then declare their own physical ranges
with ``Field(ge=..., le=...)``. This module imports nothing else of surefoot,
so the schema, the dispersions and the loader all build on it without
importing each other in a circle.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

# No quantity of a landing scenario comes near this (the largest, a body's GM in
# m^3/s^2, is 4.9e12 for the Moon and 4.0e14 for the Earth); beyond it products
# of two fields can overflow double precision.
MAX_MAGNITUDE = 1e15


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
    elif isinstance(value, tuple | list):
        for v in value:
            _check_magnitude(v, infinite_ok)
    elif isinstance(value, dict):
        for v in value.values():
            _check_magnitude(v, infinite_ok)


class StrictModel(BaseModel):
    """Base of every config model: extra keys forbidden, frozen, finite bounded floats."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # fields that may hold +-inf ("no limit", e.g. an open time window); they
    # must be typed with ``OpenFloat`` elements, and NaN stays an error
    _infinite_ok: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="after")
    @classmethod
    def _finite_and_bounded(cls, value: Any, info: ValidationInfo) -> Any:
        _check_magnitude(value, info.field_name in cls._infinite_ok)
        return value


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of blanks folded into single spaces."""
    return " ".join(str(text).split())


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line for the first error of a pydantic ValidationError."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p != "__root__")
    path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check spelling; see the built-in scenarios for the allowed keys)"
    got = first.get("input")
    got_txt = (
        ""
        if first["type"] in ("extra_forbidden", "missing") or isinstance(got, dict)
        else f" (got {_short_repr(got)})"
    )
    return one_line(f"{path or 'scenario'}: {msg}{got_txt}")


def _short_repr(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
