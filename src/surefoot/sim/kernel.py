"""The compiled batch step: sensors -> flight software -> dynamics -> contact.

:func:`run_segment` advances every lander of a batch by up to ``n_steps``
fixed steps. The loop over landers is the outer (parallel) loop, so each
lander's arithmetic is the same whether it runs alone or among thousands,
and its noise is keyed by its own seed and the global step index.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from surefoot.fsw.executive import (
    FP_MAX_THRUST,
    FS_ACMD,
    FS_PHASE,
    FS_REQUEST,
    FS_TGO,
    FS_THRUST_CMD,
    fsw_step,
)
from surefoot.fsw.interfaces import NAV_R, NAV_V
from surefoot.math.frames import rot_mci_to_mcmf
from surefoot.sensors.ideal_nav import ideal_nav_measure
from surefoot.world.contact import check_contact, touchdown_metrics
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS, truth_enu
from surefoot.world.terrain.grid import altitude_above_terrain
from surefoot.world.vehicle import (
    N_STATE,
    S_MPROP,
    S_THRUST,
    S_TORQUE,
    S_W,
    mass_properties,
    rk4_step,
)

DONE_RUNNING = 0
DONE_CONTACT = 1
DONE_TIMEOUT = 2


@njit(cache=True)
def _record(
    row: np.ndarray,
    x: np.ndarray,
    t: float,
    site: np.ndarray,
    c_enu_mcmf: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    vp: np.ndarray,
    fs: np.ndarray,
    fp: np.ndarray,
    nav: np.ndarray,
) -> None:
    r_enu, v_enu, q, r_mcmf = truth_enu(x, t, site)
    m, _, _ = mass_properties(x[S_MPROP], vp)
    row[0] = t
    for k in range(3):
        row[1 + k] = r_enu[k]
        row[4 + k] = v_enu[k]
    row[7] = altitude_above_terrain(r_mcmf, c_enu_mcmf, site[SITE_RADIUS], meta, offsets, heights)
    for k in range(4):
        row[8 + k] = q[k]
    # body z in ENU: third column of the DCM of q
    cz = 1.0 - 2.0 * (q[1] * q[1] + q[2] * q[2])
    row[12] = np.degrees(np.arccos(min(max(cz, -1.0), 1.0)))
    for k in range(3):
        row[13 + k] = np.degrees(x[S_W + k])
    thrust = x[S_THRUST] if x[S_MPROP] > 0.0 else 0.0
    row[16] = thrust
    row[17] = fs[FS_THRUST_CMD]
    row[18] = thrust / fp[FP_MAX_THRUST]
    row[19] = m
    row[20] = x[S_MPROP]
    row[21] = fs[FS_PHASE]
    row[22] = fs[FS_TGO]
    for k in range(3):
        row[23 + k] = nav[NAV_R + k]
        row[26 + k] = nav[NAV_V + k]
        row[29 + k] = fs[FS_ACMD + k]
        row[32 + k] = x[S_TORQUE + k]


def _run_segment(
    x: np.ndarray,
    vp: np.ndarray,
    moon: np.ndarray,
    site: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    feet_body: np.ndarray,
    nav_p: np.ndarray,
    fs: np.ndarray,
    fp: np.ndarray,
    cmd: np.ndarray,
    nav: np.ndarray,
    seeds: np.ndarray,
    done: np.ndarray,
    td: np.ndarray,
    steps: np.ndarray,
    n_steps: int,
    max_steps: int,
    dt: float,
    ctrl_every: int,
    rec_every: int,
    tel: np.ndarray,
    n_rows: np.ndarray,
) -> None:
    """Advance every running lander by at most ``n_steps`` steps from its own step.

    Arrays with a leading lander axis are updated in place: truth state ``x``,
    flight-software state ``fs``, last commands ``cmd`` and navigation rows
    ``nav``, ``done`` flags, touchdown records ``td`` and the step counters
    ``steps``. A lander whose flight software raised a service request
    (``fs[i, FS_REQUEST] != 0``) stops after the step it is in, so the
    simulator can answer between two steps. When ``rec_every > 0`` telemetry
    rows are written to ``tel[i, :n_rows[i]]`` (reset per call).
    """
    c_enu_mcmf = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    omega = site[SITE_OMEGA]
    reach = 0.0
    for k in range(feet_body.shape[0]):
        reach = max(reach, np.sqrt(np.sum(feet_body[k] ** 2)))
    reach += 5.0
    for i in prange(x.shape[0]):
        n_rows[i] = 0
        if done[i] != DONE_RUNNING:
            continue
        work = np.empty((5, N_STATE))
        xi = x[i]
        for _ in range(n_steps):
            step = steps[i]
            t = step * dt
            if step >= max_steps:
                done[i] = DONE_TIMEOUT
                break
            if step % ctrl_every == 0:
                ideal_nav_measure(xi, t, site, nav_p[i], seeds[i], step, nav[i])
                fsw_step(nav[i], fs[i], fp[i], cmd[i])
            if rec_every > 0 and step % rec_every == 0 and n_rows[i] < tel.shape[1]:
                _record(
                    tel[i, n_rows[i]],
                    xi,
                    t,
                    site,
                    c_enu_mcmf,
                    meta,
                    offsets,
                    heights,
                    vp[i],
                    fs[i],
                    fp[i],
                    nav[i],
                )
                n_rows[i] += 1
            rk4_step(xi, cmd[i], vp[i], moon, dt, work)
            steps[i] = step + 1
            t_next = (step + 1) * dt
            theta = omega * t_next
            # cheap test first: the CoM must be within leg reach of the ground
            r_mcmf = rot_mci_to_mcmf(xi[0:3], theta)
            alt = altitude_above_terrain(r_mcmf, c_enu_mcmf, radius, meta, offsets, heights)
            foot_min = 1.0
            if alt <= reach:
                foot_min = check_contact(
                    xi, theta, feet_body, c_enu_mcmf, radius, meta, offsets, heights
                )
            if foot_min <= 0.0:
                touchdown_metrics(
                    xi,
                    t_next,
                    omega,
                    feet_body,
                    c_enu_mcmf,
                    radius,
                    meta,
                    offsets,
                    heights,
                    foot_min,
                    td[i],
                )
                done[i] = DONE_CONTACT
                if rec_every > 0 and n_rows[i] < tel.shape[1]:
                    _record(
                        tel[i, n_rows[i]],
                        xi,
                        t_next,
                        site,
                        c_enu_mcmf,
                        meta,
                        offsets,
                        heights,
                        vp[i],
                        fs[i],
                        fp[i],
                        nav[i],
                    )
                    n_rows[i] += 1
                break
            if fs[i, FS_REQUEST] != 0.0:
                break


# One body, two compilations: the parallel one spreads landers over the cores
# for batches; the serial one avoids thread start-up and barrier costs for a
# single landing. Both give bit-identical per-lander results.
run_segment_serial = njit(cache=True)(_run_segment)
run_segment_parallel = njit(cache=True, parallel=True)(_run_segment)
