"""The serial and parallel batch kernels must not share an on-disk cache entry.

Numba keys its cache file by the function's qualified name and line, so one
Python function compiled twice with different flags loads whichever was
written last (numba issue #6845): a batch would then silently run serially.
"""

from __future__ import annotations

from surefoot.sim import kernel


def test_serial_and_parallel_kernels_have_distinct_cache_files() -> None:
    serial = kernel.run_segment_serial
    parallel = kernel.run_segment_parallel
    assert parallel.targetoptions.get("parallel") is True
    assert not serial.targetoptions.get("parallel", False)
    serial_index = serial._cache._cache_file._index_name
    parallel_index = parallel._cache._cache_file._index_name
    assert serial_index != parallel_index


def test_both_kernels_share_one_body() -> None:
    # Same bytecode: the per-lander arithmetic cannot drift between the two.
    serial_code = kernel.run_segment_serial.py_func.__code__
    parallel_code = kernel.run_segment_parallel.py_func.__code__
    assert serial_code.co_code == parallel_code.co_code
    assert serial_code.co_consts == parallel_code.co_consts
