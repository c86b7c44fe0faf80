"""Per-component CPU profile of one landing inside the compiled step (issue 14).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/profile_landing.py [hakuto-r-m1 slim-pinpoint]``.
Prints, per scenario, a table (component, calls per landing, CPU ms per
landing). Nothing is asserted.

Numba has no profiler, so the landing is first flown one flight-software
cycle per kernel call (the kernel is segment-invariant: the same flight bit
for bit), and the inputs of every cycle are recorded: truth state, sensor
states, filter state. Each component is then timed in isolation, compiled,
over all recorded cycles of the landing (``time.process_time``, best of
``--repeats``), on copies of the recorded inputs, so the figures add up to
one landing's work:

- sensors: star tracker, rangefinder (truth ray casts), Doppler lidar, TRN
  camera, each once per cycle;
- ``nav_step`` (the whole filter cycle) and its parts: ``nav_step``'s body
  stopped after each part (propagate, star tracker, TRN, naive checks and
  Doppler velocities, ranges, symmetrize, monitor, output row), each row the
  difference of two such timings (so a part near 1 ms is within the noise and
  can even come out negative); the full body is checked against ``nav_step``
  (the row "state as nav_step's on cycles" counts the cycles whose state and
  covariance came out the same);
- ``fsw_step`` (guidance, control, executive) on the recorded rows;
- per-step work estimated from the state at the cycle start, ``ctrl_every``
  times a cycle: the RK4 step, the IMU sampling, the contact pre-test
  (altitude above the truth terrain).

Ray-cast counts (casts, terrain look-ups per cast) come from a counting copy
of :func:`surefoot.math.height_grid.raycast` run on the same rays.

Measured again (issue 14, branch h-slim-speed against main 62d65c2, this
2-core machine shared with another engineer's campaigns, load average 2.8-4.1;
``COLUMNS=160 PYTHONPATH=src .venv/bin/python benchmarks/profile_landing.py
hakuto-r-m1 slim-pinpoint --repeats 5``, the two revisions interleaved, two
rounds, the smaller figure), CPU ms of one landing:

| component | hakuto-r-m1 62d65c2 | h-slim-speed | slim-pinpoint 62d65c2 | h-slim-speed |
|---|---|---|---|---|
| truth altitude (cycle start) | 1.7 | 1.7 | 1.4 | 1.4 |
| star tracker | 4.5 | 4.8 | 3.9 | 3.7 |
| rangefinder (truth ray casts) | 18.8 | 15.2 | 14.6 | 10.7 |
| Doppler lidar | (off) | | 35.1 | 24.4 |
| TRN camera | (off) | | 2.3 | 2.3 |
| nav_step (whole filter cycle) | 59.4 | 55.8 | 102.1 | 93.9 |
| propagate (state, covariance) | 25.5 | 25.8 | 20.5 | 20.8 |
| star tracker update | 12.8 | 12.2 | 10.4 | 9.9 |
| TRN update | (off) | | 1.0 | 0.7 |
| naive checks, Doppler velocity update | 1.1 | 0.9 | 10.9 | 7.6 |
| range updates (rangefinder, Doppler ranges) | 10.5 | 8.9 | 52.0 | 45.4 |
| of which the rangefinder's beams | 10.4 | 10.1 | 20.6 | 18.5 |
| symmetrize, monitor, output row | 6.3 | 5.1 | 3.6 | 4.8 |
| fsw_step (guidance, control, executive) | 13.8 | 14.0 | 12.2 | 11.4 |
| RK4 step | 9.6 | 9.5 | 7.8 | 7.9 |
| IMU truth inputs + sampling | 13.4 | 13.4 | 11.1 | 11.1 |

After the step loop stopped making arrays (2026-12-06, revision 8043297; the
sensors, the filter and the flight software's cycle made 56 a cycle before),
``COLUMNS=140 PYTHONPATH=src .venv/bin/python benchmarks/profile_landing.py
hakuto-r-m1 --repeats 3``, the machine quiet, CPU ms of one landing, beside
h-slim-speed's column above: nav_step 44.2 (55.8), of it propagate 21.0
(25.8), star tracker update 7.9 (12.2), range updates 4.8 (8.9); fsw_step
3.9 (14.0); RK4 step 9.1 (9.5); IMU 12.0 (13.4); rangefinder 15.6 (15.2).
What a component costs now is mostly its arithmetic: the covariance product,
the rangefinder's ray march (about 15 ``atan2`` a cast, sampled, for map coordinates) and the
IMU's Box-Muller normals.

Outside the kernel, slim-pinpoint's one hazard scan (16,384 beams, 7 sub-rays)
took 53.2-53.6 ms on 62d65c2 and 42.3-42.5 ms on h-slim-speed (numba threads 1,
best of 5, two rounds, the ranges bit for bit). What paid: the ray cast inlined
on scalars where rays are cast in a loop (no array, no call per ray), beams that
share an origin sharing its terrain look-up, the truth rangefinder and Doppler
lidar skipping a cast that cannot come down to the terrain's top within their
range (``height_grid.ray_stays_above``: the Doppler lidar is above its 7 km for
about 70 % of slim-pinpoint's descent), the hazard analysis' footprint loop
compiled. Tried and dropped: ``inline="always"`` on the filter's updates
(``update_ranges``, ``range_model``, ``monitor``, the EKF primitives; the
``update_ranges`` chain 10 ms faster in its isolated row, no gain in a whole
landing timed from this worktree's cache, which the next paragraph shows was
the wrong way to time a kernel: worth timing again from an empty cache),
multiplication instead of division by a 0.5 m or 1 m grid spacing in the
look-up (no gain in the hazard scan).

A whole landing (``simulate(load_scenario(NAME), telemetry=False)``,
``time.process_time``, best of 5, numba threads 1), each revision from
``git archive`` into its own empty Numba cache, compiled by a first
``simulate`` in one process, then the two interleaved, three rounds, load
average 1.9-2.3: slim-pinpoint 253.3-257.9 ms on 62d65c2 against 218.7-218.9 ms
on h-slim-speed (fc50dca), hakuto-r-m1 126.5-133.5 against 118.7-122.0 ms. Of
slim-pinpoint's landing the kernel took 190.6-191.2 against 164.3-166.5 ms and
the hazard look (scan and analysis) 62.8-63.0 against 50.3-50.5 ms.

The same source timed from a cache filled another way gave a slower kernel:
fc50dca from this worktree's cache (filled by ``surefoot run``, the tests,
this profile and ``compile_parallel --record``, one after another) took
189.1-192.4 ms in the kernel, 242-248 ms a landing, while an empty cache
filled by one ``surefoot run slim-pinpoint`` gave 164.2-166.9 ms (the same
as by ``simulate``). Compare revisions only from caches filled the same way.

Measured before (issue 14, this 2-core machine shared with other work, load average
3.3-3.6; ``PYTHONPATH=src .venv/bin/python benchmarks/profile_landing.py``),
CPU ms of one landing, before (commit fdb1d7f) and after the bit-identical
changes of branch h-speed. Each sensor row includes the truth altitude at the
cycle start (first row); the ``propagate`` rows are parts of ``nav_step``.

| component | hakuto-r-m1 calls | before | after | slim-pinpoint calls | before | after |
|---|---|---|---|---|---|---|
| truth altitude (cycle start) | 18,061 | 2.6 | 1.6 | 14,981 | 2.1 | 1.4 |
| star tracker | 18,061 | 8.7 | 4.8 | 14,981 | 4.6 | 3.7 |
| rangefinder (truth ray casts) | 18,061 | 59.7 | 18.6 | 14,981 | 37.1 | 14.3 |
| Doppler lidar | (off) | | | 14,981 | 83.4 | 37.2 |
| TRN camera | (off) | | | 14,981 | 4.3 | 2.3 |
| nav_step (whole filter cycle) | 18,061 | 69.9 | 63.3 | 14,981 | 139.5 | 111.3 |
| propagate (state, covariance) | 18,061 | 27.7 | 24.3 | 14,981 | 26.2 | 26.3 |
| propagate + update_ranges | 18,061 | 42.6 | 37.0 | 14,981 | 55.6 | 46.2 |
| RK4 step | 36,122 | 9.5 | 9.4 | 29,962 | 7.8 | 7.8 |
| IMU truth inputs + sampling | 36,122 | 13.5 | 13.4 | 29,962 | 11.3 | 11.9 |

Rangefinder ray casts per landing (look-ups a cast, march + refinement):
hakuto-r-m1 9,719 truth (14.3 + 1.0) and 9,719 predicted on the onboard map
(12.2 + 0.7); slim-pinpoint 5,780 and 5,780 (16.9 + 1.0 each).

A whole landing (``simulate(load_scenario(NAME), telemetry=False)``,
``time.process_time``, best of 5, fdb1d7f and h-speed interleaved, two
rounds, load average 0.9-1.1): hakuto-r-m1 147.3-149.7 -> 126.6-128.2 ms,
slim-pinpoint 350.3-385.6 -> 262.8-265.8 ms (slim-pinpoint includes ~90 ms
of hazard scans outside the kernel). Ray casts marching by each grid's own
slope bound instead of the fixed 3.7 (branch h-speed-ray, flight-changing)
gave 124.8-127.0 and 258.0-262.1 ms in the same rounds.

Where the rest goes (``perf record`` of a running landing loop, JIT addresses
named with ``gdb``'s ``info symbol``): the covariance product ~13 % of a
hakuto-r-m1 landing; atomic reference counts of arrays passed to
non-inlined functions (``NRT_incref``/``NRT_decref``) ~12 %, their most
frequent callers the per-step ``world.vehicle.derivative`` and ``rk4_step``
and the IMU sampling; allocation (``malloc``/``free``) ~10 %; ``sincos``,
``atan2`` and ``log`` ~9 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numba import njit
from rich.console import Console
from rich.table import Table

from surefoot.config import load_scenario
from surefoot.fsw.executive import fsw_step
from surefoot.fsw.nav.ekf import nav_work, symmetrize
from surefoot.fsw.nav.layout import (
    B_EVENTS,
    B_FAIL_DOP,
    B_FAIL_LRF,
    P_C,
    P_DOP_FITTED,
    P_LRF_DIR,
    P_LRF_N,
    P_LRF_POS,
    P_MAX_AGE,
    P_OMEGA,
    P_RADIUS,
    P_ROBUST,
    W_DX,
    X_BA,
    X_BG,
    X_F,
    X_Q,
    X_R,
    X_T,
    X_W,
)
from surefoot.fsw.nav.measurements import (
    DOP_T,
    IMU_DT,
    IMU_DTHETA,
    IMU_DV,
    IMU_VALID,
    LRF_RANGE,
    LRF_T,
    LRF_VALID,
    N_DOPPLER,
    N_IMU,
    N_LRF,
    N_STAR,
    N_TRN,
    STAR_T,
    STAR_VALID,
    TRN_T,
    TRN_VALID,
)
from surefoot.fsw.nav.mechanization import propagate_into
from surefoot.fsw.nav.monitor import monitor, nav_output
from surefoot.fsw.nav.nav_step import nav_step
from surefoot.fsw.nav.range_updates import naive_checks, update_ranges
from surefoot.fsw.nav.vector_updates import update_doppler_velocity, update_star, update_trn
from surefoot.math.frames import rot_mci_to_mcmf
from surefoot.math.height_grid import TAN_SLOPE_MAX, altitude_above_terrain
from surefoot.math.quaternion import quat_rotate
from surefoot.sensors.doppler_lidar import N_DOPPLER_PARAMS, N_DOPPLER_STATE, doppler_lidar_measure
from surefoot.sensors.faults import N_EF
from surefoot.sensors.imu import N_IMU_PARAMS, N_IMU_STATE, imu_step_into, imu_truth_inputs_into
from surefoot.sensors.rangefinder import (
    N_LRF_PARAMS,
    N_LRF_STATE,
    P_DIRS,
    P_MAX_RANGE,
    P_NBEAMS,
    P_POS,
    rangefinder_measure,
    sensor_origin_mci,
)
from surefoot.sensors.star_tracker import N_STAR_PARAMS, N_STAR_STATE, star_tracker_measure
from surefoot.sensors.trn_camera import N_TRN_PARAMS, N_TRN_STATE, trn_camera_measure
from surefoot.sim.kernel import DONE_RUNNING
from surefoot.sim.runner import _run, terrain_for
from surefoot.sim.sensor_suite import (
    SM_DOP,
    SM_IMU,
    SM_LRF,
    SM_STAR,
    SM_TRN,
    SP_DOP,
    SP_IMU,
    SP_LRF,
    SP_STAR,
    SP_TRN,
    SS_DOP,
    SS_IMU,
    SS_LRF,
    SS_STAR,
    SS_TRN,
)
from surefoot.sim.services import serve_requests
from surefoot.sim.setup import batch_arrays
from surefoot.sim.telemetry import N_COLUMNS
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS
from surefoot.world.vehicle import N_STATE, S_Q, rk4_step


def record(name: str):  # noqa: ANN201
    """Fly ``name`` one cycle per kernel call; the inputs of every cycle start."""
    s = load_scenario(name)
    terrain = terrain_for(s)
    b = batch_arrays([s], terrain)
    b.rec_every = 0
    tel = np.zeros((1, 1, N_COLUMNS))
    n_rows = np.zeros(1, dtype=np.int64)
    rec = {k: [] for k in ("x", "ss", "sm", "kx", "kcov", "kbk", "step", "cmd", "nav", "fs")}
    while b.done[0] == DONE_RUNNING:
        if b.steps[0] % b.ctrl_every == 0:
            rec["x"].append(b.x[0].copy())
            rec["ss"].append(b.suite_s[0].copy())
            rec["sm"].append(b.suite_m[0].copy())
            rec["kx"].append(b.kx[0].copy())
            rec["kcov"].append(b.kcov[0].copy())
            rec["kbk"].append(b.kbk[0].copy())
            rec["cmd"].append(b.cmd[0].copy())
            rec["nav"].append(b.nav[0].copy())
            rec["fs"].append(b.fs[0].copy())
            rec["step"].append(int(b.steps[0]))
        n = b.ctrl_every - b.steps[0] % b.ctrl_every
        _run(b, terrain, int(n), tel, n_rows)
        serve_requests(b, terrain, [s])
    arrays = {k: np.array(v) for k, v in rec.items()}
    return s, terrain, b, arrays


@njit
def _count_raycast(o, d, max_range_m, c, radius, meta, offsets, heights):  # noqa: ANN001, ANN202
    """Look-ups (march, refinement) of :func:`raycast` on this ray, same algorithm."""
    f = altitude_above_terrain(o, c, radius, meta, offsets, heights)
    if f <= 0.0:
        return 1, 0
    on = np.sqrt(o[0] ** 2 + o[1] ** 2 + o[2] ** 2)
    cos_a = -(d[0] * o[0] + d[1] * o[1] + d[2] * o[2]) / on
    sin_a = np.sqrt(max(1.0 - cos_a * cos_a, 0.0))
    den = max(cos_a, 0.0) + sin_a * TAN_SLOPE_MAX
    if den <= 0.0:
        return 1, 0
    k = 1.0 / den
    p = np.empty(3)
    s = 0.0
    march = 1
    while s < max_range_m:
        s_next = min(s + max(k * f, 0.05), max_range_m)
        for j in range(3):
            p[j] = o[j] + s_next * d[j]
        f_next = altitude_above_terrain(p, c, radius, meta, offsets, heights)
        march += 1
        if f_next <= 0.0:
            lo, hi, flo, fhi = s, s_next, f, f_next
            side = 0
            refine = 0
            for _ in range(60):
                sm = (lo * fhi - hi * flo) / (fhi - flo)
                for j in range(3):
                    p[j] = o[j] + sm * d[j]
                fm = altitude_above_terrain(p, c, radius, meta, offsets, heights)
                refine += 1
                if abs(fm) < 1e-5 or hi - lo < 1e-4:
                    break
                if fm > 0.0:
                    lo, flo = sm, fm
                    if side == 1:
                        fhi *= 0.5
                    side = 1
                else:
                    hi, fhi = sm, fm
                    if side == -1:
                        flo *= 0.5
                    side = -1
            return march, refine
        if s_next >= max_range_m:
            break
        s = s_next
        f = f_next
    return march, 0


@njit
def _ray_counts(
    xs,
    steps,
    dt,
    site,
    lrf_p,
    meta,
    offsets,
    heights,
    kxs,
    kp,
    mmeta,
    moffs,  # noqa: ANN001, ANN202
    mh,
    sms,
):
    """Truth rays of every rangefinder sample and the filter's predicted rays."""
    out = np.zeros(6)  # truth casts, march, refine; predicted casts, march, refine
    c = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    nb = int(lrf_p[P_NBEAMS])
    for k in range(xs.shape[0]):
        t = steps[k] * dt
        theta = site[SITE_OMEGA] * t
        lrf = sms[k, SM_LRF : SM_LRF + N_LRF]
        sampled = False
        for b in range(nb):
            if lrf[LRF_VALID + b] > 0.5:
                sampled = True
        if not sampled:
            continue
        x = xs[k]
        origin = rot_mci_to_mcmf(sensor_origin_mci(x, lrf_p[P_POS : P_POS + 3]), theta)
        for b in range(nb):
            dd = rot_mci_to_mcmf(
                quat_rotate(x[S_Q : S_Q + 4], lrf_p[P_DIRS + 3 * b : P_DIRS + 3 * b + 3]), theta
            )
            m, r = _count_raycast(origin, dd, lrf_p[P_MAX_RANGE], c, radius, meta, offsets, heights)
            out[0] += 1
            out[1] += m
            out[2] += r
        kx = kxs[k]
        cm = kp[P_C : P_C + 9].reshape(3, 3)
        q = kx[X_Q : X_Q + 4]
        for b in range(int(kp[P_LRF_N])):
            if lrf[LRF_VALID + b] < 0.5:
                continue
            dirb = quat_rotate(q, kp[P_LRF_DIR + 3 * b : P_LRF_DIR + 3 * b + 3])
            lev = quat_rotate(q, kp[P_LRF_POS : P_LRF_POS + 3])
            o = np.empty(3)
            for j in range(3):
                o[j] = kx[X_R + j] + lev[j]
            m, r = _count_raycast(
                rot_mci_to_mcmf(o, theta),
                rot_mci_to_mcmf(dirb, theta),
                2.0 * lrf[LRF_RANGE + b] + 1000.0,
                cm,
                kp[P_RADIUS],
                mmeta,
                moffs,
                mh,
            )
            out[3] += 1
            out[4] += m
            out[5] += r
    return out


@njit
def _sensors(which, xs, steps, dt, site, meta, offsets, heights, sp, ss, sms, seed):  # noqa: ANN001, ANN202
    """One sensor (``which``: 0 altitude, 1 star, 2 rangefinder, 3 Doppler, 4 TRN)
    sampled at every recorded cycle start; writes the rows into ``sms``."""
    c = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    omega = site[SITE_OMEGA]
    acc = 0.0
    for k in range(xs.shape[0]):
        xi = xs[k]
        step = steps[k]
        t = step * dt
        r_now = rot_mci_to_mcmf(xi[0:3], omega * t)
        alt = altitude_above_terrain(r_now, c, radius, meta, offsets, heights)
        acc += alt
        s_i = ss[k]
        m_i = sms[k]
        if which == 1:
            star_tracker_measure(
                xi,
                t,
                alt,
                sp[SP_STAR : SP_STAR + N_STAR_PARAMS],
                s_i[SS_STAR : SS_STAR + N_STAR_STATE],
                seed,
                step,
                m_i[SM_STAR : SM_STAR + N_STAR],
            )
        elif which == 2:
            rangefinder_measure(
                xi,
                t,
                alt,
                site,
                meta,
                offsets,
                heights,
                sp[SP_LRF : SP_LRF + N_LRF_PARAMS],
                s_i[SS_LRF : SS_LRF + N_LRF_STATE],
                seed,
                step,
                m_i[SM_LRF : SM_LRF + N_LRF],
            )
        elif which == 3:
            doppler_lidar_measure(
                xi,
                t,
                alt,
                site,
                meta,
                offsets,
                heights,
                sp[SP_DOP : SP_DOP + N_DOPPLER_PARAMS],
                s_i[SS_DOP : SS_DOP + N_DOPPLER_STATE],
                seed,
                step,
                m_i[SM_DOP : SM_DOP + N_DOPPLER],
            )
        elif which == 4:
            trn_camera_measure(
                xi,
                t,
                alt,
                site,
                sp[SP_TRN : SP_TRN + N_TRN_PARAMS],
                s_i[SS_TRN : SS_TRN + N_TRN_STATE],
                seed,
                step,
                m_i[SM_TRN : SM_TRN + N_TRN],
            )
    return acc


@njit
def _nav(which, kxs, kcovs, kbks, kp, sms, steps, dt, mmeta, moffs, mh, navs):  # noqa: ANN001, ANN202
    """The filter at every recorded cycle (``which``: 0 nav_step, 1 propagate,
    2 update_ranges on the propagated state), on the recorded inputs."""
    dv = np.empty(3)
    dth = np.empty(3)
    work = nav_work()  # the filter's scratch, made once as the kernel does
    c = kp[P_C : P_C + 9].reshape(3, 3)
    for k in range(kxs.shape[0]):
        t = steps[k] * dt
        m_i = sms[k]
        imu = m_i[SM_IMU : SM_IMU + N_IMU]
        if which == 0:
            nav_step(
                t,
                kxs[k],
                kcovs[k],
                kbks[k],
                kp,
                imu,
                m_i[SM_STAR : SM_STAR + N_STAR],
                m_i[SM_LRF : SM_LRF + N_LRF],
                m_i[SM_DOP : SM_DOP + N_DOPPLER],
                m_i[SM_TRN : SM_TRN + N_TRN],
                mmeta,
                moffs,
                mh,
                navs[k],
                work,
            )
        elif which == 1:
            if imu[IMU_VALID] > 0.5 and imu[IMU_DT] > 0.0:
                for j in range(3):
                    dv[j] = imu[IMU_DV + j]
                    dth[j] = imu[IMU_DTHETA + j]
                propagate_into(kxs[k], kcovs[k], kp, dv, dth, imu[IMU_DT], work)
        else:
            if imu[IMU_VALID] > 0.5 and imu[IMU_DT] > 0.0:
                for j in range(3):
                    dv[j] = imu[IMU_DV + j]
                    dth[j] = imu[IMU_DTHETA + j]
                propagate_into(kxs[k], kcovs[k], kp, dv, dth, imu[IMU_DT], work)
            dx = work[W_DX]
            dx[:] = 0.0
            lrf = m_i[SM_LRF : SM_LRF + N_LRF]
            if kp[P_LRF_N] > 0.0 and abs(lrf[LRF_T] - t) <= 1e-9 and kbks[k, B_FAIL_LRF] < 0.5:
                update_ranges(
                    kxs[k],
                    kcovs[k],
                    kbks[k],
                    kp,
                    lrf,
                    m_i[SM_DOP : SM_DOP + N_DOPPLER],
                    True,
                    False,
                    t,
                    kp[P_OMEGA] * t,
                    c,
                    mmeta,
                    moffs,
                    mh,
                    kp[P_ROBUST] > 0.5,
                    dx,
                    work,
                )
    return 0


@njit
def _nav_stages(upto, dop_ranges, kxs, kcovs, kbks, kp, sms, steps, dt, mmeta, moffs, mh, navs):  # noqa: ANN001, ANN202
    """:func:`nav_step`'s body, its parts in its order, stopped after part ``upto``
    (1 propagate, 2 star tracker, 3 TRN, 4 naive checks and Doppler velocities,
    5 ranges, 6 symmetrize, 7 monitor, 8 events and output row); the differences
    of the timings of ``upto`` and ``upto - 1`` are the parts' costs. A coasting
    cycle (no IMU) propagates the coasted increments without nav_step's
    inflation. ``dop_ranges`` False leaves the Doppler ranges out of part 5."""
    dv = np.empty(3)
    dth = np.empty(3)
    work = nav_work()
    for k in range(kxs.shape[0]):
        t = steps[k] * dt
        m_i = sms[k]
        x = kxs[k]
        cov = kcovs[k]
        bk = kbks[k]
        p = kp
        imu = m_i[SM_IMU : SM_IMU + N_IMU]
        star = m_i[SM_STAR : SM_STAR + N_STAR]
        lrf = m_i[SM_LRF : SM_LRF + N_LRF]
        dop = m_i[SM_DOP : SM_DOP + N_DOPPLER]
        trn = m_i[SM_TRN : SM_TRN + N_TRN]
        ev = 0
        if imu[IMU_VALID] > 0.5 and imu[IMU_DT] > 0.0:
            for j in range(3):
                dv[j] = imu[IMU_DV + j]
                dth[j] = imu[IMU_DTHETA + j]
            propagate_into(x, cov, p, dv, dth, imu[IMU_DT], work)
        elif t - x[X_T] > 0.0:
            el = t - x[X_T]
            for j in range(3):
                dv[j] = (x[X_F + j] + x[X_BA + j]) * el
                dth[j] = (x[X_W + j] + x[X_BG + j]) * el
            propagate_into(x, cov, p, dv, dth, el, work)
        x[X_T] = t
        if upto < 2:
            continue
        theta = p[P_OMEGA] * t
        c = p[P_C : P_C + 9].reshape(3, 3)
        robust = p[P_ROBUST] > 0.5
        max_age = p[P_MAX_AGE]
        dx = work[W_DX]
        dx[:] = 0.0
        if star[STAR_VALID] > 0.5 and abs(star[STAR_T] - t) <= max_age:
            ev |= update_star(x, cov, bk, p, star, t, robust, dx, work)
        if upto < 3:
            continue
        if trn[TRN_VALID] > 0.5 and abs(trn[TRN_T] - t) <= max_age:
            ev |= update_trn(x, cov, bk, p, trn, t, theta, c, robust, dx, work)
        if upto < 4:
            continue
        lrf_fresh = p[P_LRF_N] > 0.0 and abs(lrf[LRF_T] - t) <= max_age
        dop_fresh = p[P_DOP_FITTED] > 0.5 and abs(dop[DOP_T] - t) <= max_age
        if not robust:
            ev |= naive_checks(bk, p, lrf, dop, lrf_fresh, dop_fresh)
        use_lrf = lrf_fresh and bk[B_FAIL_LRF] < 0.5
        use_dop = dop_fresh and bk[B_FAIL_DOP] < 0.5
        if use_dop:
            ev |= update_doppler_velocity(x, cov, bk, p, dop, t, robust, dx, work)
        if upto < 5:
            continue
        use_dop_r = use_dop and dop_ranges
        if use_lrf or use_dop_r:
            ev |= update_ranges(
                x,
                cov,
                bk,
                p,
                lrf,
                dop,
                use_lrf,
                use_dop_r,
                t,
                theta,
                c,
                mmeta,
                moffs,
                mh,
                robust,
                dx,
                work,
            )
        if upto < 6:
            continue
        symmetrize(cov)
        if upto < 7:
            continue
        ev |= monitor(x, cov, bk, p, t, theta, c, mmeta, moffs, mh, robust)
        if upto < 8:
            continue
        bk[B_EVENTS] = float(ev)
        nav_output(x, p, navs[k])
    return 0


@njit
def _fsw(navs, fss, fp, cmd):  # noqa: ANN001, ANN202
    """Guidance, control and the executive (``fsw_step``) at every recorded cycle,
    on the recorded navigation row (the one of the cycle before) and state."""
    for k in range(navs.shape[0]):
        fsw_step(navs[k], fss[k], fp, cmd, 1.0)
    return 0


@njit
def _per_step(which, xs, cmds, vp, moon, dt, ctrl_every, sp, ss, sms, steps, seed, n_sub):  # noqa: ANN001, ANN202
    """Per-step work from each cycle start, ``ctrl_every`` steps (``which``: 0 RK4,
    1 IMU truth inputs and sampling)."""
    work = np.empty((5, N_STATE))
    f0 = np.empty(3)
    w0 = np.empty(3)
    f1 = np.empty(3)
    w1 = np.empty(3)
    eff = np.empty((6, N_EF))
    var = np.empty(6)
    for k in range(xs.shape[0]):
        xi = xs[k]
        for j in range(ctrl_every):
            if which == 0:
                rk4_step(xi, cmds[k], vp, moon, dt, work)
            else:
                imu_truth_inputs_into(xi, vp, f0, w0)
                imu_truth_inputs_into(xi, vp, f1, w1)
                imu_step_into(
                    f0,
                    w0,
                    f1,
                    w1,
                    (steps[k] + j) * dt,
                    n_sub,
                    0.0,
                    sp[SP_IMU : SP_IMU + N_IMU_PARAMS],
                    ss[k, SS_IMU : SS_IMU + N_IMU_STATE],
                    seed,
                    steps[k] + j,
                    sms[k, SM_IMU : SM_IMU + N_IMU],
                    eff,
                    var,
                )
    return 0


def _best(fn, make_args, repeats: int) -> float:  # noqa: ANN001
    fn(*make_args())  # compile
    best = 1e9
    for _ in range(repeats):
        args = make_args()
        t0 = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t0)
    return best * 1e3


def profile(name: str, repeats: int) -> Table:
    s, terrain, b, r = record(name)
    n = len(r["step"])
    dt = float(b.dt)
    site = b.site
    seed = int(b.seeds[0])
    meta, offs, hts = terrain.meta, terrain.offsets, terrain.heights
    om = b.onboard_map
    sp = b.suite_p[0]
    kp = b.kp[0]
    steps = r["step"].astype(np.int64)
    rows: list[tuple[str, str, float]] = []

    # sensor rows of every cycle, made once (the filter timings read them)
    sms = r["sm"].copy()
    ss = r["ss"].copy()
    for which in (1, 2, 3, 4):
        _sensors(which, r["x"], steps, dt, site, meta, offs, hts, sp, ss, sms, seed)
    names = {
        0: "truth altitude (cycle start)",
        1: "star tracker",
        2: "rangefinder (truth rays)",
        3: "Doppler lidar",
        4: "TRN camera",
    }
    for which in (0, 1, 2, 3, 4):
        ms = _best(
            _sensors,
            lambda w=which: (
                w,
                r["x"],
                steps,
                dt,
                site,
                meta,
                offs,
                hts,
                sp,
                r["ss"].copy(),
                r["sm"].copy(),
                seed,
            ),
            repeats,
        )
        rows.append((names[which], f"{n}", ms))
    navs = np.zeros((n, b.nav.shape[1]))
    nav_args = (kp, sms, steps, dt, om.meta, om.offsets, om.heights, navs)
    ms = _best(
        _nav,
        lambda: (0, r["kx"].copy(), r["kcov"].copy(), r["kbk"].copy(), *nav_args),
        repeats,
    )
    rows.append(("nav_step (whole filter cycle)", f"{n}", ms))
    # nav_step's parts: its body stopped after each part, the differences
    stage = {}
    for upto, dop_r in (
        (0, True),
        (1, True),
        (2, True),
        (3, True),
        (4, True),
        (5, False),
        (5, True),
        (6, True),
        (7, True),
        (8, True),
    ):
        if upto == 0:
            stage[(0, True)] = 0.0
            continue
        stage[(upto, dop_r)] = _best(
            _nav_stages,
            lambda u=upto, d=dop_r: (
                u,
                d,
                r["kx"].copy(),
                r["kcov"].copy(),
                r["kbk"].copy(),
                *nav_args,
            ),
            repeats,
        )
    for upto, label in (
        (1, "  propagate (state, covariance)"),
        (2, "  star tracker update"),
        (3, "  TRN update"),
        (4, "  Doppler velocity update (naive checks)"),
        (5, "  range updates (rangefinder + Doppler ranges)"),
        (6, "  symmetrize"),
        (7, "  monitor (altitude above the map, trust)"),
        (8, "  events, output row"),
    ):
        rows.append((label, f"{n}", stage[(upto, True)] - stage[(upto - 1, True)]))
        if upto == 5:
            rows.append(
                ("    of which rangefinder beams", f"{n}", stage[(5, False)] - stage[(4, True)])
            )
    # the staged copy against nav_step itself: the same state after every cycle
    kx_a, kc_a = r["kx"].copy(), r["kcov"].copy()
    _nav(0, kx_a, kc_a, r["kbk"].copy(), *nav_args)
    kx_b, kc_b = r["kx"].copy(), r["kcov"].copy()
    _nav_stages(8, True, kx_b, kc_b, r["kbk"].copy(), *nav_args)
    same = np.sum(np.all(kx_a == kx_b, axis=1) & np.all(kc_a == kc_b, axis=(1, 2)))
    rows.append(("  (parts: state as nav_step's on cycles)", f"{same}", float("nan")))
    ms = _best(
        _fsw,
        lambda: (r["nav"].copy(), r["fs"].copy(), b.fp[0], np.zeros(b.cmd.shape[1])),
        repeats,
    )
    rows.append(("fsw_step (guidance, control, executive)", f"{n}", ms))
    vp = b.vp[0]
    for which, label in ((0, "RK4 step"), (1, "IMU truth inputs + sampling")):
        ms = _best(
            _per_step,
            lambda w=which: (
                w,
                r["x"].copy(),
                r["cmd"],
                vp,
                b.moon,
                dt,
                int(b.ctrl_every),
                sp,
                r["ss"].copy(),
                r["sm"].copy(),
                steps,
                seed,
                int(b.imu_sub[0]),
            ),
            repeats,
        )
        rows.append((label, f"{n * int(b.ctrl_every)}", ms))
    counts = _ray_counts(
        r["x"],
        steps,
        dt,
        site,
        sp[SP_LRF : SP_LRF + N_LRF_PARAMS],
        meta,
        offs,
        hts,
        r["kx"],
        kp,
        om.meta,
        om.offsets,
        om.heights,
        sms,
    )
    tab = Table(
        title=f"{name}: per-component CPU of one landing ({n} cycles, "
        f"{n * int(b.ctrl_every)} steps)"
    )
    tab.add_column("component")
    tab.add_column("calls / landing", justify="right")
    tab.add_column("CPU ms / landing", justify="right")
    for label, calls, ms in rows:
        tab.add_row(label, calls, "" if np.isnan(ms) else f"{ms:.1f}")
    for i, who in ((0, "truth"), (3, "predicted (onboard map)")):
        casts = counts[i]
        if casts:
            tab.add_row(
                f"  {who} ray casts: look-ups march + refine / cast",
                f"{casts:.0f}",
                f"({counts[i + 1] / casts:.1f} + {counts[i + 2] / casts:.1f})",
            )
    return tab


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=["hakuto-r-m1", "slim-pinpoint"])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    console = Console()
    for name in args.scenarios:
        console.print(profile(name, args.repeats))


if __name__ == "__main__":
    main()
