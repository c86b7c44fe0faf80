"""Laser rangefinder: slant ranges along beams fixed in the body frame, to the true terrain.

One unit at ``position_body_m`` (a lever arm from the centre of mass) with up
to ``MAX_LRF_BEAMS`` beams. Each sample ray-casts every beam against the
truth terrain (``surefoot.math.height_grid.raycast``, in MCMF at the Moon's
rotation angle ``omega t``); a beam has a return when the surface lies
between ``min_range_m`` and ``max_range_m``. The measured range is

    rho_meas = (1 + scale) rho + bias + spike + (floor + fraction rho) noise n

Removal comes first (``disabled`` unit or fault, random dropouts per beam,
``delayed_acquisition``: no return until the true range first falls below the
fault's value, then latched per beam, as on Resilience), then the value
faults; a ``stuck`` beam repeats its value (or its last delivered range) and
is flagged valid even without a true return. ``enabled: false`` is a unit
that never delivers (IM-1).

Called once per flight-software cycle; it delivers on its own sample grid
(``rate_hz``). Noise is keyed by (run seed, ``STREAM_RANGEFINDER``,
simulation step, index).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.sensors import RangefinderConfig
from surefoot.fsw.nav.measurements import LRF_RANGE, LRF_T, LRF_VALID, MAX_LRF_BEAMS
from surefoot.math.frames import rot_mci_to_mcmf_xyz
from surefoot.math.height_grid import beam_cast
from surefoot.math.quaternion import quat_rotate_xyz
from surefoot.math.random_stream import normal, uniform
from surefoot.sensors.faults import (
    EF_ACQUIRE_M,
    EF_BIAS,
    EF_DISABLED,
    EF_DROPPED,
    EF_NOISE,
    EF_SCALE,
    EF_SPIKE,
    EF_STUCK,
    EF_STUCK_VALUE,
    FAULT_BLOCK,
    N_EF,
    fault_block,
    fault_effects,
    sample_due,
)
from surefoot.sensors.streams import STREAM_RANGEFINDER
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS, SITE_TOP
from surefoot.world.vehicle import S_Q, S_R

P_RATE = 0
P_ENABLED = 1
P_NBEAMS = 2
P_MAX_RANGE = 3
P_MIN_RANGE = 4
P_NOISE_FLOOR = 5
P_NOISE_FRAC = 6
P_DROPOUT = 7
P_POS = 8  # 3, body, m from the CoM
P_DIRS = 11  # 3 * MAX_LRF_BEAMS, unit, body
P_FAULTS = P_DIRS + 3 * MAX_LRF_BEAMS
N_LRF_PARAMS = P_FAULTS + FAULT_BLOCK

ST_CLOCK = 0
ST_ACQUIRED = 1  # MAX_LRF_BEAMS
ST_LAST = 1 + MAX_LRF_BEAMS  # MAX_LRF_BEAMS
ST_HAVE_LAST = 1 + 2 * MAX_LRF_BEAMS  # MAX_LRF_BEAMS
N_LRF_STATE = 1 + 3 * MAX_LRF_BEAMS

_IX_NOISE = 0  # per beam
_IX_DROPOUT = 16  # per beam


def rangefinder_params(cfg: RangefinderConfig) -> np.ndarray:
    """Kernel parameter row ``(N_LRF_PARAMS,)``, SI, from ``sensors.rangefinder``."""
    p = np.zeros(N_LRF_PARAMS)
    p[P_RATE] = cfg.rate_hz
    p[P_ENABLED] = 1.0 if cfg.enabled else 0.0
    p[P_NBEAMS] = len(cfg.beams_body)
    p[P_MAX_RANGE] = cfg.max_range_m
    p[P_MIN_RANGE] = cfg.min_range_m
    p[P_NOISE_FLOOR] = cfg.noise_floor_m
    p[P_NOISE_FRAC] = cfg.noise_fraction
    p[P_DROPOUT] = cfg.dropout_probability
    p[P_POS : P_POS + 3] = cfg.position_body_m
    for b, d in enumerate(cfg.beams_body):
        u = np.asarray(d, float)
        p[P_DIRS + 3 * b : P_DIRS + 3 * b + 3] = u / np.linalg.norm(u)
    p[P_FAULTS : P_FAULTS + FAULT_BLOCK] = fault_block(cfg.faults, [1.0] * MAX_LRF_BEAMS)
    return p


@njit(cache=True, inline="always")
def sensor_origin_mci_xyz(
    x: np.ndarray, px: float, py: float, pz: float
) -> tuple[float, float, float]:
    """MCI position (m) of the body point ``(px, py, pz)`` (m from the CoM), as a
    tuple (no array allocated)."""
    a0, a1, a2 = quat_rotate_xyz(x[S_Q], x[S_Q + 1], x[S_Q + 2], x[S_Q + 3], px, py, pz)
    return x[S_R] + a0, x[S_R + 1] + a1, x[S_R + 2] + a2


@njit(cache=True)
def sensor_origin_mci(x: np.ndarray, pos_body: np.ndarray) -> np.ndarray:
    """MCI position (m) of a point fixed on the body at ``pos_body`` (m from the CoM)."""
    o = np.empty(3)
    o[0], o[1], o[2] = sensor_origin_mci_xyz(x, pos_body[0], pos_body[1], pos_body[2])
    return o


@njit(cache=True)
def rangefinder_measure_into(
    x: np.ndarray,
    t: float,
    alt_m: float,
    site: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
    eff: np.ndarray,
) -> None:
    """Write one rangefinder row (``N_LRF``, ``surefoot.fsw.nav.measurements``) into ``out``.

    Parameters
    ----------
    x : (N_STATE,) float64
        Truth state of one lander (``r_mci``, ``q_body_to_mci`` used).
    t : float
        Time since scenario start, s.
    alt_m : float
        True altitude above the terrain (for altitude-window faults), m.
    site : (N_SITE,) float64
        Site row (reference radius, Moon rotation rate, ``C_enu_mcmf``).
    meta, offsets, heights : arrays
        The TRUE terrain's height grids (``surefoot.math.height_grid`` layout).
    p : (N_LRF_PARAMS,) float64
        Parameter row from :func:`rangefinder_params`.
    state : (N_LRF_STATE,) float64
        Sample clock, acquisition latches and last ranges; zeros at the start.
    seed, step : int
        Run seed and global simulation step (the noise key).
    out : (N_LRF,) float64
        Output row: ranges (m) and valid flags per beam.
    eff : (>= MAX_LRF_BEAMS, N_EF) float64
        Scratch for the fault effects (allocated once by the caller: the
        simulation step loop allocates no arrays).
    """
    out[LRF_T] = t
    for b in range(MAX_LRF_BEAMS):
        out[LRF_RANGE + b] = 0.0
        out[LRF_VALID + b] = 0.0
    if p[P_ENABLED] == 0.0 or not sample_due(p[P_RATE], t, state, ST_CLOCK):
        return
    nb = int(p[P_NBEAMS])
    fault_effects(p, P_FAULTS, nb, t, alt_m, seed, STREAM_RANGEFINDER, step, eff)
    theta = site[SITE_OMEGA] * t
    c_enu_mcmf = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    q = x[S_Q : S_Q + 4]
    s0, s1, s2 = sensor_origin_mci_xyz(x, p[P_POS], p[P_POS + 1], p[P_POS + 2])
    # the beams share their origin: its height above the terrain once a sample (when a
    # beam needs it); a beam that cannot come down to the highest terrain within its
    # range (by a metre, far beyond rounding) is a cast that would find nothing
    o0, o1, o2 = rot_mci_to_mcmf_xyz(s0, s1, s2, theta)
    ct = np.cos(theta)
    st = np.sin(theta)
    on = np.sqrt(o0**2 + o1**2 + o2**2)
    f0 = np.nan
    r_top = radius + site[SITE_TOP] + 1.0
    for b in range(nb):
        if eff[b, EF_DISABLED] != 0.0 or eff[b, EF_DROPPED] != 0.0:
            continue
        if p[P_DROPOUT] > 0.0 and (
            uniform(seed, STREAM_RANGEFINDER, step, _IX_DROPOUT + b) < p[P_DROPOUT]
        ):
            continue
        # the beam as scalars, the cast inlined (rot_mci_to_mcmf's arithmetic)
        u0, u1, u2 = quat_rotate_xyz(
            q[0], q[1], q[2], q[3], p[P_DIRS + 3 * b], p[P_DIRS + 3 * b + 1], p[P_DIRS + 3 * b + 2]
        )
        df0, df1, df2 = ct * u0 + st * u1, -st * u0 + ct * u1, u2
        rho, f0 = beam_cast(
            o0, o1, o2, on, f0, df0, df1, df2, p[P_MAX_RANGE], r_top,
            c_enu_mcmf, radius, meta, offsets, heights,
        )
        has = rho > 0.0 and rho >= p[P_MIN_RANGE]
        acq = eff[b, EF_ACQUIRE_M]
        if acq >= 0.0 and state[ST_ACQUIRED + b] == 0.0:
            if has and rho <= acq:
                state[ST_ACQUIRED + b] = 1.0
            else:
                continue
        if eff[b, EF_STUCK] != 0.0:
            v = eff[b, EF_STUCK_VALUE]
            if np.isnan(v):
                if state[ST_HAVE_LAST + b] == 0.0:
                    continue
                v = state[ST_LAST + b]
            out[LRF_RANGE + b] = v
            out[LRF_VALID + b] = 1.0
            continue
        if not has:
            continue
        sigma = (p[P_NOISE_FLOOR] + p[P_NOISE_FRAC] * rho) * eff[b, EF_NOISE]
        meas = rho * (1.0 + eff[b, EF_SCALE]) + eff[b, EF_BIAS] + eff[b, EF_SPIKE]
        if sigma > 0.0:
            meas += sigma * normal(seed, STREAM_RANGEFINDER, step, _IX_NOISE + b)
        out[LRF_RANGE + b] = meas
        out[LRF_VALID + b] = 1.0
        state[ST_LAST + b] = meas
        state[ST_HAVE_LAST + b] = 1.0


@njit(cache=True)
def rangefinder_measure(
    x: np.ndarray,
    t: float,
    alt_m: float,
    site: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    out: np.ndarray,
) -> None:
    """:func:`rangefinder_measure_into` with its own scratch (one row ``N_LRF`` into ``out``)."""
    rangefinder_measure_into(
        x, t, alt_m, site, meta, offsets, heights, p, state, seed, step, out,
        np.empty((MAX_LRF_BEAMS, N_EF)),
    )
