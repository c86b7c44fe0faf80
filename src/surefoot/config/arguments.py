"""Checks of plain Python arguments (numbers and counts) for the library's public
classes and functions, which pydantic does not validate.

One place for them: the convex-guidance API (``DescentProblem``, the solve functions),
the imagery classes and :mod:`surefoot.api` raise what these raise, or wrap it in their
own error class. A bool is never a number; NumPy scalars and 0-d arrays are.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_real(
    x: object,
    name: str,
    *,
    finite: bool,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> float:
    """``x`` as a float.

    Raises TypeError unless it is a real number (a NumPy scalar or 0-d array counts; a
    bool, string or sequence does not), ValueError unless it is finite (with
    ``finite``) and within ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), naming ``name``.
    """
    real = isinstance(x, numbers.Real) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "fiu"
    )
    if isinstance(x, bool | np.bool_) or not real:
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__} ({x!r:.40})")
    v = float(x)  # type: ignore[arg-type]
    if finite and not math.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {v!r}")
    below = lo is not None and (v <= lo if lo_open else v < lo)
    if below or (hi is not None and v > hi):
        left = "(" if lo_open else "["
        low = "-inf" if lo is None else f"{lo:g}"
        high = "inf" if hi is None else f"{hi:g}"
        raise ValueError(f"{name}: must be in {left}{low}, {high}] (got {v!r})")
    return v


def check_integer(x: object, name: str, least: int, most: int | None = None) -> int:
    """``x`` as an int in ``[least, most]``; TypeError for a float, bool or string,
    ValueError for a value out of range, naming ``name``."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(x).__name__} ({x!r:.40})")
    v = int(x)
    if v < least or (most is not None and v > most):
        span = f">= {least}" if most is None else f"in [{least}, {most}]"
        raise ValueError(f"{name}: must be {span} (got {v})")
    return v


__all__ = ["check_integer", "check_real"]
