"""One navigation cycle: the order in which the filter uses its sensors.

:func:`nav_step` is one flight-software cycle for one lander: propagate with
the IMU increments (:mod:`.mechanization`), then update with the star
tracker, TRN and Doppler line-of-sight velocities (:mod:`.vector_updates`),
the ranges (rangefinder beams and Doppler ranges ray-cast on the onboard map,
:mod:`.range_updates`), run the altitude-trust and expected-measurement
monitor and write the navigation row of :mod:`surefoot.fsw.interfaces` (site
ENU, velocity relative to the surface) that guidance consumes
(:mod:`.monitor`).

The filter is built by :func:`surefoot.fsw.nav.params.nav_params` and
:func:`surefoot.fsw.nav.params.nav_init`. Row layouts are in
:mod:`surefoot.fsw.nav.layout`; measurement rows in
:mod:`surefoot.fsw.nav.measurements`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.interfaces import (
    NAV_ALT_SIGMA,
    NAV_ALT_TRUSTED,
    NAV_VEL_TRUSTED,
)
from surefoot.fsw.nav.ekf import (
    nav_work,
    symmetrize,
)
from surefoot.fsw.nav.layout import (
    B_ALT_SIGMA,
    B_ALT_TRUSTED,
    B_COAST_T,
    B_EVENTS,
    B_EVENTS_ALL,
    B_FAIL_DOP,
    B_FAIL_LRF,
    B_NIS_DOPR,
    B_NIS_DOPV,
    B_NIS_LRF,
    B_NIS_STAR,
    B_NIS_TRN,
    B_T_DOP_FAILED,
    B_T_LRF_FAILED,
    B_VEL_TRUSTED,
    E_TH,
    E_V,
    EV_DOP_FAILED,
    EV_IMU_MISSING,
    EV_LRF_FAILED,
    N_ERR,
    P_C,
    P_COAST_ALPHA,
    P_DOP_FITTED,
    P_LRF_N,
    P_MAX_AGE,
    P_OMEGA,
    P_ROBUST,
    W_DX,
    X_BA,
    X_BG,
    X_F,
    X_T,
    X_W,
)
from surefoot.fsw.nav.measurements import (
    DOP_T,
    IMU_DT,
    IMU_DTHETA,
    IMU_DV,
    IMU_VALID,
    LRF_T,
    STAR_T,
    STAR_VALID,
    TRN_T,
    TRN_VALID,
)
from surefoot.fsw.nav.mechanization import propagate_into
from surefoot.fsw.nav.monitor import monitor, nav_output
from surefoot.fsw.nav.range_updates import naive_checks, update_ranges
from surefoot.fsw.nav.vector_updates import update_doppler_velocity, update_star, update_trn


@njit(cache=True)
def nav_step(
    t: float,
    x: np.ndarray,
    cov: np.ndarray,
    bk: np.ndarray,
    p: np.ndarray,
    imu: np.ndarray,
    star: np.ndarray,
    lrf: np.ndarray,
    dop: np.ndarray,
    trn: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    nav_out: np.ndarray,
    work: np.ndarray | None = None,
) -> None:
    """One navigation cycle for one lander at flight-software time ``t``, in place.

    Order: propagate (IMU) -> star tracker -> TRN -> naive jump checks ->
    Doppler velocities -> ranges (rangefinder, Doppler) -> monitor -> output.

    Parameters
    ----------
    t : float
        Flight-software time of this cycle, s since scenario start; the
        estimate is brought to ``t`` (no propagation on the first call, when
        ``t`` equals the initial time).
    x : (N_X,)
        Nominal state row (``layout.X_*``), MCI.
    cov : (15, 15)
        Error-state covariance.
    bk : (N_B,)
        Bookkeeping row (``layout.B_*``); ``B_EVENTS`` holds this cycle's events.
    p : (N_P,)
        Parameter row from :func:`nav_params`.
    imu : (N_IMU,)
        IMU increments accumulated over the cycle that ends at ``t``. When not
        valid (or empty) the filter coasts from its last time to ``t`` on the
        last bias-corrected rates and raises ``EV_IMU_MISSING``.
    star, lrf, dop, trn : rows
        Measurement rows (:mod:`surefoot.fsw.nav.measurements`); used when
        valid and no older than ``max_measurement_age_s``.
    meta, offsets, heights
        Onboard map (site map frame, heights above the reference sphere).
    nav_out : (N_NAV,)
        Output: navigation row of :mod:`surefoot.fsw.interfaces`.
    work : (N_W, 15), optional
        Scratch from :func:`nav_work`, made once by the caller and reused every
        cycle (the cycle then allocates no array); allocated here when omitted.
    """
    if work is None:
        work = nav_work()
    ev = 0
    elapsed = t - x[X_T]
    if imu[IMU_VALID] > 0.5 and imu[IMU_DT] > 0.0:
        # the increments straight from the row as tuples (no copy, no view): the same numbers
        propagate_into(
            x, cov, p,
            (imu[IMU_DV], imu[IMU_DV + 1], imu[IMU_DV + 2]),
            (imu[IMU_DTHETA], imu[IMU_DTHETA + 1], imu[IMU_DTHETA + 2]),
            imu[IMU_DT], work,
        )
        bk[B_COAST_T] = 0.0
    elif elapsed > 0.0:
        dv = (
            (x[X_F] + x[X_BA]) * elapsed,
            (x[X_F + 1] + x[X_BA + 1]) * elapsed,
            (x[X_F + 2] + x[X_BA + 2]) * elapsed,
        )
        dth = (
            (x[X_W] + x[X_BG]) * elapsed,
            (x[X_W + 1] + x[X_BG + 1]) * elapsed,
            (x[X_W + 2] + x[X_BG + 2]) * elapsed,
        )
        propagate_into(x, cov, p, dv, dth, elapsed, work)
        # thrust and rates may change while we are blind: 10 % of the coasted increment
        # (np.sum's order, from 0.0, without the temporary of the squares)
        f = np.sqrt(0.0 + dv[0] * dv[0] + dv[1] * dv[1] + dv[2] * dv[2])
        w = np.sqrt(0.0 + dth[0] * dth[0] + dth[1] * dth[1] + dth[2] * dth[2])
        # the body rate is unseen while coasting: the control may have changed it at
        # up to its design angular acceleration a, so the attitude error grows as a
        # random walk in rate, variance a^2 T^3 / 3 after T seconds (the
        # velocity's grows from it through propagate's coupling); without this the
        # attitude the filter comes out with is degrees off at a 0.4 deg sigma, and
        # the star tracker is refused from then on
        t0 = bk[B_COAST_T]
        t1 = t0 + elapsed
        a2 = p[P_COAST_ALPHA] * p[P_COAST_ALPHA]
        for k in range(3):
            cov[E_V + k, E_V + k] += (0.1 * f) ** 2
            cov[E_TH + k, E_TH + k] += (0.1 * w) ** 2 + a2 * (t1**3 - t0**3) / 3.0
        bk[B_COAST_T] = t1
        ev |= EV_IMU_MISSING
    x[X_T] = t
    theta = p[P_OMEGA] * t
    c = p[P_C : P_C + 9].reshape(3, 3)
    robust = p[P_ROBUST] > 0.5
    max_age = p[P_MAX_AGE]
    # the corrections of this cycle's updates, in the scratch (inject zeroes it after each)
    dx = work[W_DX]
    for k in range(N_ERR):
        dx[k] = 0.0
    bk[B_NIS_STAR] = -1.0
    bk[B_NIS_TRN] = -1.0
    bk[B_NIS_DOPV] = -1.0
    bk[B_NIS_LRF] = -1.0
    bk[B_NIS_DOPR] = -1.0

    if star[STAR_VALID] > 0.5 and abs(star[STAR_T] - t) <= max_age:
        ev |= update_star(x, cov, bk, p, star, t, robust, dx, work)
    if trn[TRN_VALID] > 0.5 and abs(trn[TRN_T] - t) <= max_age:
        ev |= update_trn(x, cov, bk, p, trn, t, theta, c, robust, dx, work)
    lrf_fresh = p[P_LRF_N] > 0.0 and abs(lrf[LRF_T] - t) <= max_age
    dop_fresh = p[P_DOP_FITTED] > 0.5 and abs(dop[DOP_T] - t) <= max_age
    if not robust:
        ev_failed = naive_checks(bk, p, lrf, dop, lrf_fresh, dop_fresh)
        if ev_failed & EV_LRF_FAILED:
            bk[B_T_LRF_FAILED] = t
        if ev_failed & EV_DOP_FAILED:
            bk[B_T_DOP_FAILED] = t
        ev |= ev_failed
    use_lrf = lrf_fresh and bk[B_FAIL_LRF] < 0.5
    use_dop = dop_fresh and bk[B_FAIL_DOP] < 0.5
    if use_dop:
        ev |= update_doppler_velocity(x, cov, bk, p, dop, t, robust, dx, work)
    if use_lrf or use_dop:
        ev |= update_ranges(
            x, cov, bk, p, lrf, dop, use_lrf, use_dop, t, theta, c,
            meta, offsets, heights, robust, dx, work,
        )
    symmetrize(cov)
    ev |= monitor(x, cov, bk, p, t, theta, c, meta, offsets, heights, robust)
    bk[B_EVENTS] = float(ev)
    bk[B_EVENTS_ALL] = float(int(bk[B_EVENTS_ALL]) | ev)
    nav_output(x, p, nav_out)
    nav_out[NAV_ALT_TRUSTED] = bk[B_ALT_TRUSTED]
    nav_out[NAV_ALT_SIGMA] = bk[B_ALT_SIGMA]
    nav_out[NAV_VEL_TRUSTED] = bk[B_VEL_TRUSTED]
