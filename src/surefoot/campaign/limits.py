"""Largest campaign sizes the command line and the Python API accept.

A module of constants alone, so that the command line and :mod:`surefoot.api`
check the same limits without importing the campaign runner.
"""

# A campaign draws and validates every run before any flies: 0.5 ms and 8 bytes a
# dispersed field per run (hakuto-r-m1, 2026-12-06), so a million runs take about 9
# minutes and 110 MB before flying (and 18 hours of flying at 15 landings/s); at
# 100 million, the former limit, `default-dispersed`'s draws alone asked for 10.4 GiB
# and the checks would have taken about 14 hours.
MAX_RUNS = 1_000_000
MAX_WORKERS = 4096

__all__ = ["MAX_RUNS", "MAX_WORKERS"]
