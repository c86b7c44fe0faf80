"""surefoot: autonomous lunar landing toolkit.

Flight software (``surefoot.fsw``), truth simulator (``surefoot.world``,
``surefoot.sensors``, ``surefoot.sim``), Monte Carlo campaigns and analysis.
"""

from importlib.metadata import PackageNotFoundError, version

from surefoot import _numba_cache

_numba_cache.configure()

try:
    __version__ = version("surefoot")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
