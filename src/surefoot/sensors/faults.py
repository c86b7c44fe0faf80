"""Scheduled sensor faults and sample clocks, as small float arrays for the kernels.

A sensor's parameter row ends with a fault block of ``FAULT_BLOCK`` floats:
the number of faults, then ``MAX_FAULTS`` rows of ``FAULT_COLS``:

    kind, channel (-1 = all), window (0 time, 1 altitude), start, end,
    value (SI; NaN = none), probability

A fault is active while ``start <= t < end`` (time window, s since scenario
start) or ``start <= h <= end`` (altitude window, ``h`` the true altitude above
the terrain below the lander, m). The kinds and their meaning are listed in
``surefoot.config.sensors``. :func:`fault_effects` folds the active faults
into one row of effects per channel, which each sensor kernel applies in the
same order: removal (disabled, dropout, delayed acquisition) first, then
``scale`` on the true value, ``bias`` and ``spike`` added, noise sigma times
``noise``, and ``stuck`` replacing the output last.

Random draws of faults (dropout, spike) use the sensor's own stream with
indices from ``FAULT_DRAW_BASE`` up, so they never coincide with its noise
draws. A dropout on all channels (channel -1) is one draw for the whole
unit; a spike draws per channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from surefoot.config.sensors import FaultConfig
from surefoot.math.random_stream import uniform

FK_DISABLED = 1
FK_DROPOUT = 2
FK_STUCK = 3
FK_SPIKE = 4
FK_BIAS = 5
FK_SCALE = 6
FK_NOISE = 7
FK_DELAYED_ACQUISITION = 8

KIND_CODES = {
    "disabled": FK_DISABLED,
    "dropout": FK_DROPOUT,
    "stuck": FK_STUCK,
    "spike": FK_SPIKE,
    "bias": FK_BIAS,
    "scale": FK_SCALE,
    "noise": FK_NOISE,
    "delayed_acquisition": FK_DELAYED_ACQUISITION,
}

# fault row layout
F_KIND = 0
F_CHANNEL = 1
F_WINDOW = 2
F_START = 3
F_END = 4
F_VALUE = 5
F_PROB = 6
FAULT_COLS = 7
MAX_FAULTS = 8
FAULT_BLOCK = 1 + MAX_FAULTS * FAULT_COLS

WINDOW_TIME = 0
WINDOW_ALTITUDE = 1

# effect row layout (per channel), written by fault_effects
EF_DISABLED = 0  # 1: no output
EF_DROPPED = 1  # 1: this sample lost
EF_STUCK = 2  # 1: output frozen
EF_STUCK_VALUE = 3  # SI value, NaN = hold the last good output
EF_BIAS = 4  # added, SI
EF_SPIKE = 5  # added this sample, SI
EF_SCALE = 6  # true value times (1 + this)
EF_NOISE = 7  # noise sigma multiplier
EF_ACQUIRE_M = 8  # acquisition range (m); < 0: no delayed acquisition
N_EF = 9

FAULT_DRAW_BASE = 1_000_000
_DRAWS_PER_FAULT = 64
_ALL_CHANNELS_DRAW = 63


def fault_block(faults: Sequence[FaultConfig], channel_scale: Sequence[float]) -> np.ndarray:
    """Fault block ``(FAULT_BLOCK,)`` for a sensor's parameter row.

    Parameters
    ----------
    faults : sequence of FaultConfig
        The sensor's scheduled faults (validated by its config model).
    channel_scale : sequence of float
        Per channel, the factor from the config unit of a ``stuck``, ``spike``
        or ``bias`` value to SI (e.g. deg -> rad). A fault on all channels uses
        the first channel's factor (the config allows that only where all
        channels share a unit).
    """
    if len(faults) > MAX_FAULTS:
        raise ValueError(f"faults: at most {MAX_FAULTS} per sensor (got {len(faults)})")
    b = np.zeros(FAULT_BLOCK)
    b[0] = len(faults)
    for j, f in enumerate(faults):
        r = 1 + j * FAULT_COLS
        ch = -1 if f.channel is None else int(f.channel)
        b[r + F_KIND] = KIND_CODES[f.kind]
        b[r + F_CHANNEL] = ch
        if f.altitude_m is not None:
            b[r + F_WINDOW] = WINDOW_ALTITUDE
            b[r + F_START], b[r + F_END] = f.altitude_m
        else:
            b[r + F_WINDOW] = WINDOW_TIME
            b[r + F_START], b[r + F_END] = f.time_s if f.time_s is not None else (-np.inf, np.inf)
        if f.value is None:
            b[r + F_VALUE] = np.nan
        elif f.kind in ("stuck", "spike", "bias"):
            b[r + F_VALUE] = f.value * channel_scale[max(ch, 0)]
        else:
            b[r + F_VALUE] = f.value
        b[r + F_PROB] = f.probability
    return b


@njit(cache=True)
def fault_active(p: np.ndarray, row: int, t: float, alt_m: float) -> bool:
    """Whether the fault row starting at ``p[row]`` is active at time ``t`` (s), altitude (m)."""
    if p[row + F_WINDOW] == WINDOW_ALTITUDE:
        return p[row + F_START] <= alt_m <= p[row + F_END]
    return p[row + F_START] <= t < p[row + F_END]


@njit(cache=True)
def fault_effects(
    p: np.ndarray,
    off: int,
    n_ch: int,
    t: float,
    alt_m: float,
    seed: int,
    stream: int,
    step: int,
    eff: np.ndarray,
) -> None:
    """Fold the faults active now into ``eff (n_ch, N_EF)``.

    Parameters
    ----------
    p : (n,) float64
        Sensor parameter row; its fault block starts at ``p[off]``.
    n_ch : int
        Channels of the sensor.
    t : float
        Time since scenario start, s.
    alt_m : float
        True altitude above the terrain below the lander, m.
    seed, stream, step : int
        Key of the draws for this sample (run seed, sensor stream, sample step).
    eff : (>= n_ch, N_EF) float64
        Output: one effect row per channel (layout ``EF_*``).
    """
    for c in range(n_ch):
        eff[c, EF_DISABLED] = 0.0
        eff[c, EF_DROPPED] = 0.0
        eff[c, EF_STUCK] = 0.0
        eff[c, EF_STUCK_VALUE] = np.nan
        eff[c, EF_BIAS] = 0.0
        eff[c, EF_SPIKE] = 0.0
        eff[c, EF_SCALE] = 0.0
        eff[c, EF_NOISE] = 1.0
        eff[c, EF_ACQUIRE_M] = -1.0
    nf = int(p[off])
    for j in range(nf):
        r = off + 1 + j * FAULT_COLS
        if not fault_active(p, r, t, alt_m):
            continue
        kind = int(p[r + F_KIND])
        ch = int(p[r + F_CHANNEL])
        value = p[r + F_VALUE]
        prob = p[r + F_PROB]
        c0 = 0 if ch < 0 else ch
        c1 = n_ch if ch < 0 else min(ch + 1, n_ch)
        draw0 = FAULT_DRAW_BASE + _DRAWS_PER_FAULT * j
        if kind == FK_DROPOUT and ch < 0:
            if uniform(seed, stream, step, draw0 + _ALL_CHANNELS_DRAW) < prob:
                for c in range(n_ch):
                    eff[c, EF_DROPPED] = 1.0
            continue
        for c in range(c0, c1):
            if kind == FK_DISABLED:
                eff[c, EF_DISABLED] = 1.0
            elif kind == FK_DROPOUT:
                if uniform(seed, stream, step, draw0 + c) < prob:
                    eff[c, EF_DROPPED] = 1.0
            elif kind == FK_STUCK:
                eff[c, EF_STUCK] = 1.0
                eff[c, EF_STUCK_VALUE] = value
            elif kind == FK_SPIKE:
                if prob >= 1.0 or uniform(seed, stream, step, draw0 + c) < prob:
                    eff[c, EF_SPIKE] += value
            elif kind == FK_BIAS:
                eff[c, EF_BIAS] += value
            elif kind == FK_SCALE:
                eff[c, EF_SCALE] += value
            elif kind == FK_NOISE:
                eff[c, EF_NOISE] *= value
            elif kind == FK_DELAYED_ACQUISITION:
                a = eff[c, EF_ACQUIRE_M]
                eff[c, EF_ACQUIRE_M] = value if a < 0.0 else min(a, value)


@njit(cache=True)
def sample_due(rate_hz: float, t: float, state: np.ndarray, idx: int) -> bool:
    """Whether a sensor at ``rate_hz`` takes a new sample when called at time ``t`` (s).

    Samples sit on the grid ``k / rate_hz``; a call takes the sample of the
    latest grid time not yet served, so a sensor called every
    flight-software cycle delivers at ``min(rate_hz, cycle rate)``.
    ``state[idx]`` holds the last served grid index plus one (0 = none yet).
    """
    k1 = np.floor(t * rate_hz + 1e-6) + 1.0
    if k1 > state[idx]:
        state[idx] = k1
        return True
    return False
