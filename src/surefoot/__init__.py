"""surefoot: autonomous lunar landing toolkit.

Flight software (``surefoot.fsw``), truth simulator (``surefoot.world``,
``surefoot.sensors``, ``surefoot.sim``), Monte Carlo campaigns and analysis.

The Python API (:mod:`surefoot.api`) is reachable from here::

    import surefoot
    surefoot.run("default").summary["outcome"]

``load_scenario``, ``run``, ``run_campaign``, ``replay`` and the result types
``Landing``, ``Replay`` and ``Campaign`` load on first use, so that
``import surefoot`` does not pull in Numba, cvxpy or the simulator.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from surefoot import _numba_cache

_numba_cache.configure()

try:
    __version__ = version("surefoot")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

_API = ("Campaign", "Landing", "Replay", "load_scenario", "replay", "run", "run_campaign")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        # imported by name, not by an import statement: the root package is in
        # no layer, and a static edge from it to the top layer would turn every
        # `from surefoot import __version__` in a lower layer into an upward chain
        return getattr(importlib.import_module("surefoot.api"), name)
    raise AttributeError(f"module 'surefoot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
