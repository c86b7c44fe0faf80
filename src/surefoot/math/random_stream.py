"""Counter-based random numbers keyed by (run seed, stream id, step, index).

A run's noise depends only on its own seed, never on the batch it runs in
or on the order of calls: each draw is a pure hash of its key (SplitMix64
finaliser, Steele, Lea and Flood 2014), turned into a uniform on (0, 1) and
into a standard normal by the Box-Muller transform.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

# Stream ids: one per noise source, fixed forever so that runs replay.
STREAM_IDEAL_NAV = 1
STREAM_INITIAL_ATTITUDE = 2
STREAM_INITIAL_ESTIMATE = 3  # error of the initial navigation estimate (per run)
STREAM_HAZARD_LIDAR = 20  # hazard lidar scans; sensor ids 10-15 are in sensors.streams


@njit(cache=True, inline="always")
def _mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def key_prefix(seed: int, stream: int, step: int) -> np.uint64:
    """The part of :func:`hash_key` shared by every index of one (seed, stream, step).

    A sensor sample that draws many numbers hashes its key once and each draw
    mixes in only its index (:func:`uniform_at`, :func:`normal_at`): the same
    values as :func:`uniform` and :func:`normal`, bit for bit.
    """
    z = _mix64(np.uint64(seed) + _GOLDEN)
    z = _mix64(z ^ (np.uint64(stream) * _GOLDEN))
    return _mix64(z ^ (np.uint64(step) + _M1))


@njit(cache=True)
def hash_key(seed: int, stream: int, step: int, index: int) -> np.uint64:
    return _mix64(key_prefix(seed, stream, step) ^ (np.uint64(index) * _M2 + _GOLDEN))


@njit(cache=True, inline="always")
def uniform_at(prefix: np.uint64, index: int) -> float:
    """:func:`uniform` of the key whose :func:`key_prefix` is ``prefix``."""
    z = _mix64(prefix ^ (np.uint64(index) * _M2 + _GOLDEN))
    return (float(z >> _S11) + 0.5) * _INV53


@njit(cache=True)
def normal_at(prefix: np.uint64, index: int) -> float:
    """:func:`normal` of the key whose :func:`key_prefix` is ``prefix``."""
    u1 = uniform_at(prefix, 2 * index)
    u2 = uniform_at(prefix, 2 * index + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True)
def normal_pair_at(prefix: np.uint64, index: int) -> tuple[float, float]:
    """Two independent standard normals from one pair of keyed uniforms.

    Both outputs of the Box-Muller transform of ``uniform_at(prefix, 2 index)``
    and ``uniform_at(prefix, 2 index + 1)``: the cosine one equals
    :func:`normal_at` of ``index``; the sine one is independent of it (Box and
    Muller 1958). Half the hashes and logarithms per normal.
    """
    u1 = uniform_at(prefix, 2 * index)
    u2 = uniform_at(prefix, 2 * index + 1)
    r = np.sqrt(-2.0 * np.log(u1))
    phi = 2.0 * np.pi * u2
    return r * np.cos(phi), r * np.sin(phi)


@njit(cache=True)
def uniform(seed: int, stream: int, step: int, index: int) -> float:
    """Uniform on the open interval (0, 1)."""
    z = hash_key(seed, stream, step, index)
    return (float(z >> _S11) + 0.5) * _INV53


@njit(cache=True)
def normal(seed: int, stream: int, step: int, index: int) -> float:
    """Standard normal (Box-Muller on two keyed uniforms)."""
    u1 = uniform(seed, stream, step, 2 * index)
    u2 = uniform(seed, stream, step, 2 * index + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
