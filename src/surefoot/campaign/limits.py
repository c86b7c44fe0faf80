"""Largest campaign sizes the command line and the Python API accept.

A module of constants alone, so that the command line and :mod:`surefoot.api`
check the same limits without importing the campaign runner.
"""

# a campaign's bookkeeping holds a few bytes per run in memory: a billion runs
# is years of flying on any cluster and more memory than a machine has
MAX_RUNS = 100_000_000
MAX_WORKERS = 4096

__all__ = ["MAX_RUNS", "MAX_WORKERS"]
