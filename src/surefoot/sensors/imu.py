"""Inertial measurement unit: accelerometer and gyro triads integrated into increments.

The IMU sits at the centre of mass with its axes on the body axes up to a
small misalignment. It is sampled at its own rate (``rate_hz``, a whole
multiple of the simulation rate): the sim calls :func:`imu_step` once per
simulation step with the true specific force and body rate at the step's
start and end (its ``n_sub`` samples see them interpolated linearly), and
:func:`imu_reset_row` at the start of every flight-software cycle. Each
sample adds its measured rates times the sample period to the row's
``dv_body`` and ``dtheta_body`` (``surefoot.fsw.nav.measurements`` layout),
so for inputs that are constant over a cycle the increments are exactly
``(f + b) * dt`` and ``(omega + b) * dt`` (no integration error; the flight
software does any coning and sculling compensation).

Per sample and axis (accelerometer and gyro alike):

    m = (1 + scale_fault) * (I + diag(sf)) C_mis u + b_fixed + b_on + b_gm + b_rw
        + bias_fault + spike_fault,       clipped to +-range
    increment = m * dt + sigma_w * noise_fault * sqrt(dt) * n

with ``u`` the true input, ``C_mis`` the rotation into the misaligned sensor
axes, ``b_on`` the turn-on bias (drawn once per run), ``b_gm`` a first-order
Gauss-Markov bias (bias instability, stationary from the start), ``b_rw`` a
random walk, and ``sigma_w`` the velocity or angle random walk. A ``stuck``
channel outputs its value (or its last rate) times ``dt`` without noise. The
row has one valid flag: it is 1 when at least one sample was taken and no
sample of the cycle was lost.

The noise is drawn once per simulation step from its exact distribution over
the step's samples (:func:`imu_step_into`): the white noise of the samples
that counted as one normal with the sum of their variances, the biases by
their ``n_sub``-sample transitions at the end of the step (held within it).
The increments a cycle delivers have the same law as sample-by-sample noise,
at a cost per step instead of per sample.

Keys: the step's noise by (run seed, ``STREAM_IMU_STEP``, simulation step);
dropouts and fault draws by (run seed, ``STREAM_IMU``, global IMU sample
index ``step * n_sub + j``) for sample ``j`` of the step (``n_sub`` from
:func:`imu_substeps`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.sensors import ImuConfig
from surefoot.fsw.nav.measurements import IMU_DT, IMU_DTHETA, IMU_DV, IMU_T, IMU_VALID
from surefoot.math.random_stream import key_prefix, normal, normal_pair_at, uniform_at
from surefoot.sensors.faults import (
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
)
from surefoot.sensors.streams import STREAM_IMU, STREAM_IMU_STEP, STREAM_IMU_TURN_ON
from surefoot.world.vehicle import (
    P_EF_ACTIVE,
    P_EF_CUT,
    P_EF_FRACTION,
    P_THRUST_DIR,
    S_MPROP,
    S_THRUST,
    S_W,
    delivered_thrust_of,
    total_mass,
)

# per-triad block of the parameter row (SI)
B_BIAS = 0  # 3, fixed bias (m/s^2 or rad/s)
B_TURN_ON = 3  # turn-on bias sigma
B_GM_SIGMA = 4  # Gauss-Markov (bias instability) stationary sigma
B_GM_A = 5  # exp(-dt / tau)
B_GM_Q = 6  # sigma * sqrt(1 - a^2): driving noise per sample
B_RW_Q = 7  # bias random walk step sigma per sample
B_WHITE_Q = 8  # white-noise sigma of one sample's increment (m/s or rad)
B_M = 9  # 9, row-major (I + diag(sf)) C_mis: true body -> sensor output
B_RANGE = 18  # saturation, |rate| limit
N_BLK = 19

P_ACCEL = 0
P_GYRO = N_BLK
P_RATE = 2 * N_BLK
P_DT = P_RATE + 1  # sample period, s
P_DROPOUT = P_RATE + 2
P_FAULTS = P_RATE + 3
N_IMU_PARAMS = P_FAULTS + FAULT_BLOCK

# state row (starts as zeros)
ST_INIT = 0
ST_B_ON = 1  # 6: accel xyz, gyro xyz
ST_B_GM = 7  # 6
ST_B_RW = 13  # 6
ST_LAST = 19  # 6, last output rate (for stuck-at-last)
ST_HAVE_LAST = 25
N_IMU_STATE = 26

# draw indices on STREAM_IMU_TURN_ON (step 0: turn-on biases 0-5, initial
# Gauss-Markov biases 6-11) and STREAM_IMU (per sample: the dropout; the
# step's noise has its own stream, STREAM_IMU_STEP, pairs 0-8)
_IX_GM = 6  # 6
_IX_DROPOUT = 18

_DEG = np.pi / 180.0
_SQRT_H = 60.0  # sqrt(3600 s)


def _misalignment_dcm(phi_rad: np.ndarray) -> np.ndarray:
    """Components in sensor axes of a body vector, sensor axes = body axes rotated by phi."""
    ang = float(np.linalg.norm(phi_rad))
    if ang < 1e-15:
        return np.eye(3)
    k = phi_rad / ang
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    r = np.eye(3) + np.sin(ang) * kx + (1.0 - np.cos(ang)) * (kx @ kx)
    return r.T


def _block(
    bias: np.ndarray,
    turn_on: float,
    gm_sigma: float,
    gm_tau: float,
    rw_density: float,
    white_density: float,
    sf_ppm: np.ndarray,
    mis_mrad: np.ndarray,
    rng: float,
    dt: float,
) -> np.ndarray:
    b = np.zeros(N_BLK)
    b[B_BIAS : B_BIAS + 3] = bias
    b[B_TURN_ON] = turn_on
    a = np.exp(-dt / gm_tau)
    b[B_GM_SIGMA] = gm_sigma
    b[B_GM_A] = a
    b[B_GM_Q] = gm_sigma * np.sqrt(1.0 - a * a)
    b[B_RW_Q] = rw_density * np.sqrt(dt)
    b[B_WHITE_Q] = white_density * np.sqrt(dt)
    m = np.diag(1.0 + 1e-6 * np.asarray(sf_ppm)) @ _misalignment_dcm(1e-3 * np.asarray(mis_mrad))
    b[B_M : B_M + 9] = m.ravel()
    b[B_RANGE] = rng
    return b


def imu_params(cfg: ImuConfig) -> np.ndarray:
    """Kernel parameter row ``(N_IMU_PARAMS,)``, SI, from the ``sensors.imu`` section."""
    dt = 1.0 / cfg.rate_hz
    a = cfg.accelerometer
    g = cfg.gyro
    p = np.zeros(N_IMU_PARAMS)
    p[P_ACCEL : P_ACCEL + N_BLK] = _block(
        np.asarray(a.bias_m_s2, float),
        a.turn_on_bias_sigma_m_s2,
        a.bias_instability_m_s2,
        a.bias_correlation_time_s,
        a.bias_random_walk_m_s2_per_sqrt_s,
        a.velocity_random_walk_m_s_per_sqrt_h / _SQRT_H,
        np.asarray(a.scale_factor_ppm, float),
        np.asarray(a.misalignment_mrad, float),
        a.range_m_s2,
        dt,
    )
    deg_h = _DEG / 3600.0
    p[P_GYRO : P_GYRO + N_BLK] = _block(
        np.asarray(g.bias_deg_h, float) * deg_h,
        g.turn_on_bias_sigma_deg_h * deg_h,
        g.bias_instability_deg_h * deg_h,
        g.bias_correlation_time_s,
        g.rate_random_walk_deg_h_per_sqrt_h * deg_h / _SQRT_H,
        g.angle_random_walk_deg_per_sqrt_h * _DEG / _SQRT_H,
        np.asarray(g.scale_factor_ppm, float),
        np.asarray(g.misalignment_mrad, float),
        g.range_deg_s * _DEG,
        dt,
    )
    p[P_RATE] = cfg.rate_hz
    p[P_DT] = dt
    p[P_DROPOUT] = cfg.dropout_probability
    p[P_FAULTS : P_FAULTS + FAULT_BLOCK] = fault_block(cfg.faults, [1.0] * 3 + [_DEG] * 3)
    return p


def imu_substeps(rate_hz: int, dt_s: float) -> int:
    """IMU samples per simulation step of ``dt_s`` seconds (``rate_hz * dt_s``, whole)."""
    n = rate_hz * dt_s
    if abs(n - round(n)) > 1e-6 or round(n) < 1:
        raise ValueError(
            f"sensors.imu.rate_hz: must be a whole multiple of 1/sim.dt_s (got {rate_hz} Hz, "
            f"sim.dt_s = {dt_s} s)"
        )
    return int(round(n))


@njit(cache=True)
def imu_truth_inputs(x: np.ndarray, vp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True specific force (m/s^2) and body rate (rad/s), body frame, of a truth state.

    The specific force is the non-gravitational acceleration: delivered
    thrust over current mass along the engine's thrust direction (zero once
    the propellant is gone), as in ``surefoot.world.vehicle.derivative``.
    Attitude torques produce no net force.

    Parameters
    ----------
    x : (N_STATE,) float64
        Truth state of one lander.
    vp : (N_PARAMS,) float64
        Vehicle parameter row of that lander.
    """
    f = np.empty(3)
    w = np.empty(3)
    imu_truth_inputs_into(x, vp, f, w)
    return f, w


# error_model="numpy": the mass is positive by the scenario's bounds, so the
# zero-division branch never runs, and without it Numba prunes the reference
# counts of the four array arguments (this runs twice a simulation step)
@njit(cache=True, error_model="numpy")
def imu_truth_inputs_into(x: np.ndarray, vp: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """:func:`imu_truth_inputs` written into ``f`` and ``w`` (3,) (the step's scratch)."""
    m = total_mass(x[S_MPROP], vp)
    # the thrust the engine delivers: an engine fault shows in the accelerometers
    thrust = delivered_thrust_of(
        x[S_THRUST], x[S_MPROP], vp[P_EF_ACTIVE], vp[P_EF_CUT], vp[P_EF_FRACTION]
    )
    for k in range(3):
        f[k] = thrust * vp[P_THRUST_DIR + k] / m
        w[k] = x[S_W + k]


@njit(cache=True)
def imu_reset_row(row: np.ndarray, t: float) -> None:
    """Start a new accumulation in the IMU row at time ``t`` (s): zero increments, not valid."""
    row[IMU_T] = t
    for k in range(3):
        row[IMU_DV + k] = 0.0
        row[IMU_DTHETA + k] = 0.0
    row[IMU_DT] = 0.0
    row[IMU_VALID] = 0.0


@njit(cache=True)
def _init_state(p: np.ndarray, state: np.ndarray, seed: int) -> None:
    for s in range(2):
        blk = P_ACCEL if s == 0 else P_GYRO
        for a in range(3):
            c = 3 * s + a
            state[ST_B_ON + c] = p[blk + B_TURN_ON] * normal(seed, STREAM_IMU_TURN_ON, 0, c)
            state[ST_B_GM + c] = p[blk + B_GM_SIGMA] * normal(
                seed, STREAM_IMU_TURN_ON, 0, _IX_GM + c
            )
            state[ST_B_RW + c] = 0.0
            state[ST_LAST + c] = 0.0
    state[ST_HAVE_LAST] = 0.0
    state[ST_INIT] = 1.0


def initial_biases(cfg: ImuConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random biases a run's IMU starts with, as its run seed draws them.

    Turn-on bias plus the initial state of the bias instability (Gauss-Markov),
    per body axis, without the fixed ``bias_*`` part: accelerometer (m/s^2)
    and gyro (rad/s). The same draws as the simulated IMU (:func:`_init_state`),
    so a campaign can name them as drivers of its failures.
    """
    state = np.zeros(N_IMU_STATE)
    _init_state(imu_params(cfg), state, int(seed))
    b = state[ST_B_ON : ST_B_ON + 6] + state[ST_B_GM : ST_B_GM + 6]
    return b[:3].copy(), b[3:].copy()


@njit(cache=True)
def imu_step(
    f0_body: np.ndarray,
    w0_body: np.ndarray,
    f1_body: np.ndarray,
    w1_body: np.ndarray,
    t: float,
    n_sub: int,
    alt_m: float,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    row: np.ndarray,
) -> None:
    """Take the ``n_sub`` IMU samples of one simulation step and add them to ``row``.

    Parameters
    ----------
    f0_body, f1_body : (3,) float64
        True specific force at the start and the end of the step, body frame,
        m/s^2 (non-gravitational; see :func:`imu_truth_inputs`). Sample ``j``
        sees the value interpolated linearly at ``(j + 1/2) / n_sub`` of the step.
    w0_body, w1_body : (3,) float64
        True body rate relative to inertial at the start and the end of the
        step, body frame, rad/s (interpolated likewise).
    t : float
        Start of the step, s since scenario start; sample ``j`` covers
        ``[t + j dt, t + (j + 1) dt]`` with ``dt`` the IMU period.
    n_sub : int
        Samples in the step (:func:`imu_substeps`).
    alt_m : float
        True altitude above the terrain (for altitude-window faults), m.
    p : (N_IMU_PARAMS,) float64
        Parameter row from :func:`imu_params`.
    state : (N_IMU_STATE,) float64
        This lander's IMU state (biases, last outputs), zeros before the first
        sample; updated in place.
    seed : int
        Run seed.
    step : int
        Simulation step index: the key of the step's noise; sample ``j``'s
        dropout and fault draws are keyed by ``step * n_sub + j``.
    row : (N_IMU,) float64
        IMU measurement row, updated in place; ``row[IMU_T]`` becomes the end
        of the step.
    """
    eff = np.empty((6 if int(p[P_FAULTS]) > 0 else 0, N_EF))
    var = np.empty(6)
    imu_step_into(f0_body, w0_body, f1_body, w1_body, t, n_sub, alt_m, p, state, seed, step,
                  row, eff, var)


@njit(cache=True)
def _sample_plain(
    p: np.ndarray,
    t: float,
    alt_m: float,
    seed: int,
    sample: int,
    eff: np.ndarray,
    faulty: bool,
    lossy: bool,
) -> bool:
    """True when IMU sample ``sample`` is kept and every channel's fault effect is
    neutral (the draws :func:`imu_step_into` makes for it, made the same way)."""
    if lossy and uniform_at(key_prefix(seed, STREAM_IMU, sample), _IX_DROPOUT) < p[P_DROPOUT]:
        return False
    if faulty:
        fault_effects(p, P_FAULTS, 6, t, alt_m, seed, STREAM_IMU, sample, eff)
        for c in range(6):
            if (
                eff[c, EF_DISABLED] != 0.0
                or eff[c, EF_DROPPED] != 0.0
                or eff[c, EF_STUCK] != 0.0
                or eff[c, EF_BIAS] != 0.0
                or eff[c, EF_SPIKE] != 0.0
                or eff[c, EF_SCALE] != 0.0
                or eff[c, EF_NOISE] != 1.0
            ):
                return False
    return True


@njit(cache=True)
def imu_step_into(
    f0_body: np.ndarray,
    w0_body: np.ndarray,
    f1_body: np.ndarray,
    w1_body: np.ndarray,
    t: float,
    n_sub: int,
    alt_m: float,
    p: np.ndarray,
    state: np.ndarray,
    seed: int,
    step: int,
    row: np.ndarray,
    eff: np.ndarray,
    var: np.ndarray,
) -> None:
    """:func:`imu_step` with its scratch given, so that the step loop allocates
    nothing: the fault-effect table ``eff`` (>= 6, N_EF; read only when the IMU
    has scheduled faults, and then rewritten whole by :func:`fault_effects`) and
    ``var`` (6,), the white-noise variance each channel gathers over the step.

    The deterministic part is summed sample by sample (saturation, faults and
    dropouts act per sample); when every sample of the step is kept and feels no
    fault, and none is near the range limit, the samples lie on a line and
    their sum is ``n_sub`` times the middle one, which is what is computed. The noise is
    drawn once per step, from its exact distribution over the step: the white
    noise summed over the samples that counted is normal with the sum of their
    variances; the Gauss-Markov bias moves by its ``n_sub``-sample transition
    (``a^n`` and ``sigma sqrt(1 - a^(2n))``) and the random walk by ``q sqrt(n)``,
    both applied at the end of the step (within a step the biases are held,
    an error of order ``q sqrt(n)`` against biases that move by ``q`` a sample).
    """
    dt = p[P_DT]
    if state[ST_INIT] == 0.0:
        _init_state(p, state, seed)
    faulty = int(p[P_FAULTS]) > 0
    lossy = p[P_DROPOUT] > 0.0
    all_good = True
    # a step whose samples are all kept and feel no fault is summed as a line, so a
    # fault outside its window leaves every output bit for bit as without it
    plain = True
    if faulty or lossy:
        for j in range(n_sub):
            if not _sample_plain(p, t + j * dt, alt_m, seed, step * n_sub + j, eff, faulty,
                                 lossy):
                plain = False
                break
    if plain:
        a_first = 0.5 / n_sub
        a_last = 1.0 - a_first
        for s in range(2):
            blk = P_ACCEL if s == 0 else P_GYRO
            u0 = f0_body if s == 0 else w0_body
            u1 = f1_body if s == 0 else w1_body
            out = IMU_DV if s == 0 else IMU_DTHETA
            rng = p[blk + B_RANGE]
            wq = p[blk + B_WHITE_Q]
            for a in range(3):
                c = 3 * s + a
                mrow = blk + B_M + 3 * a
                bias = (
                    p[blk + B_BIAS + a]
                    + state[ST_B_ON + c]
                    + state[ST_B_GM + c]
                    + state[ST_B_RW + c]
                )
                m0 = p[mrow] * u0[0] + p[mrow + 1] * u0[1] + p[mrow + 2] * u0[2] + bias
                m1 = p[mrow] * u1[0] + p[mrow + 1] * u1[1] + p[mrow + 2] * u1[2] + bias
                m_first = m0 + a_first * (m1 - m0)
                m_last = m0 + a_last * (m1 - m0)
                if abs(m_first) <= rng and abs(m_last) <= rng:
                    # every sample within range: the sum of a line's samples
                    row[out + a] += (0.5 * (m0 + m1)) * (n_sub * dt)
                    state[ST_LAST + c] = m_last
                else:
                    for j in range(n_sub):
                        m = m0 + ((j + 0.5) / n_sub) * (m1 - m0)
                        m = min(max(m, -rng), rng)
                        row[out + a] += m * dt
                        state[ST_LAST + c] = m
                var[c] = wq * wq * n_sub
    else:
        for c in range(6):
            var[c] = 0.0
        for j in range(n_sub):
            sample = step * n_sub + j
            frac = (j + 0.5) / n_sub
            good = True
            if faulty:
                fault_effects(p, P_FAULTS, 6, t + j * dt, alt_m, seed, STREAM_IMU, sample, eff)
                for c in range(6):
                    if eff[c, EF_DISABLED] != 0.0 or eff[c, EF_DROPPED] != 0.0:
                        good = False
            if lossy and uniform_at(key_prefix(seed, STREAM_IMU, sample), _IX_DROPOUT) < p[
                P_DROPOUT
            ]:
                good = False
            if not good:
                all_good = False
            for s in range(2):
                blk = P_ACCEL if s == 0 else P_GYRO
                u0 = f0_body if s == 0 else w0_body
                u1 = f1_body if s == 0 else w1_body
                for a in range(3):
                    c = 3 * s + a
                    e_scale, e_bias, e_spike, e_stuck, e_noise = 0.0, 0.0, 0.0, 0.0, 1.0
                    if faulty:
                        e_scale = eff[c, EF_SCALE]
                        e_bias = eff[c, EF_BIAS]
                        e_spike = eff[c, EF_SPIKE]
                        e_stuck = eff[c, EF_STUCK]
                        e_noise = eff[c, EF_NOISE]
                    mrow = blk + B_M + 3 * a
                    m = 0.0
                    for k in range(3):
                        m += p[mrow + k] * (u0[k] + frac * (u1[k] - u0[k]))
                    m *= 1.0 + e_scale
                    m += (
                        p[blk + B_BIAS + a]
                        + state[ST_B_ON + c]
                        + state[ST_B_GM + c]
                        + state[ST_B_RW + c]
                        + e_bias
                        + e_spike
                    )
                    rng = p[blk + B_RANGE]
                    m = min(max(m, -rng), rng)
                    if e_stuck != 0.0:
                        v = eff[c, EF_STUCK_VALUE]
                        if np.isnan(v):
                            v = state[ST_LAST + c] if state[ST_HAVE_LAST] != 0.0 else m
                        inc = v * dt
                    else:
                        state[ST_LAST + c] = m
                        inc = m * dt
                        if good:
                            wq = p[blk + B_WHITE_Q] * e_noise
                            var[c] += wq * wq
                    if good:
                        row[(IMU_DV if s == 0 else IMU_DTHETA) + a] += inc
            state[ST_HAVE_LAST] = 1.0
    state[ST_HAVE_LAST] = 1.0

    # the step's noise: three pairs of normals for the white noise, three for the
    # Gauss-Markov biases, three for the random walks (channels 2k and 2k + 1)
    key = key_prefix(seed, STREAM_IMU_STEP, step)
    for k in range(3):
        if var[2 * k] > 0.0 or var[2 * k + 1] > 0.0:
            z0, z1 = normal_pair_at(key, k)
            for h in range(2):
                c = 2 * k + h
                out = (IMU_DV + c) if c < 3 else (IMU_DTHETA + c - 3)
                row[out] += np.sqrt(var[c]) * (z0 if h == 0 else z1)
    for k in range(3):
        c0 = 2 * k
        q0 = p[(P_ACCEL if c0 < 3 else P_GYRO) + B_GM_Q]
        q1 = p[(P_ACCEL if c0 + 1 < 3 else P_GYRO) + B_GM_Q]
        if q0 > 0.0 or q1 > 0.0:
            z0, z1 = normal_pair_at(key, 3 + k)
            for h in range(2):
                c = c0 + h
                blk = P_ACCEL if c < 3 else P_GYRO
                if p[blk + B_GM_Q] > 0.0:
                    a_n = p[blk + B_GM_A] ** n_sub
                    state[ST_B_GM + c] = a_n * state[ST_B_GM + c] + p[blk + B_GM_SIGMA] * np.sqrt(
                        1.0 - a_n * a_n
                    ) * (z0 if h == 0 else z1)
    for k in range(3):
        c0 = 2 * k
        q0 = p[(P_ACCEL if c0 < 3 else P_GYRO) + B_RW_Q]
        q1 = p[(P_ACCEL if c0 + 1 < 3 else P_GYRO) + B_RW_Q]
        if q0 > 0.0 or q1 > 0.0:
            z0, z1 = normal_pair_at(key, 6 + k)
            for h in range(2):
                c = c0 + h
                blk = P_ACCEL if c < 3 else P_GYRO
                state[ST_B_RW + c] += p[blk + B_RW_Q] * np.sqrt(n_sub) * (z0 if h == 0 else z1)

    if row[IMU_DT] == 0.0:
        row[IMU_VALID] = 1.0 if all_good else 0.0
    elif not all_good:
        row[IMU_VALID] = 0.0
    row[IMU_DT] += n_sub * dt
    row[IMU_T] = t + n_sub * dt
