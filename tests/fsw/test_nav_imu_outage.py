"""An IMU outage: while the filter coasts, its attitude uncertainty grows with what
the attitude control could have done unseen.

Reference (closed form): a body rate that changes at up to ``a`` (rad/s^2) and is
not measured is modelled as a random walk in rate of intensity ``a^2``,
``w(t) = a W(t)`` with ``W`` a Wiener process; the attitude error it leaves,
``int_0^T w dt``, has variance ``a^2 int_0^T (T - s)^2 ds = a^2 T^3 / 3`` per axis
(the integrated Wiener process). ``a`` is the design vehicle's full-torque angular
acceleration about its slowest axis (``fsw.vehicle`` torque over dry inertia).
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config import load_scenario
from surefoot.fsw.interfaces import N_NAV
from surefoot.fsw.nav import measurements as M
from surefoot.fsw.nav.layout import B_COAST_T, E_TH, P_COAST_ALPHA
from surefoot.fsw.nav.nav_step import nav_step
from surefoot.fsw.nav.params import nav_init, nav_params
from surefoot.sim.runner import simulate


def _coast(alpha: float, cycles: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    s = load_scenario("default", ["fsw.nav.source=ekf"])
    p = nav_params(s.fsw, site_lat_rad=0.5, site_lon_rad=0.3, dt_s=dt)
    p[P_COAST_ALPHA] = alpha
    r = np.array([1_752_000.0, 0.0, 0.0])
    v = np.array([0.0, 1_600.0, 0.0])
    x, cov, bk = nav_init(p, 0.0, r, v, np.array([1.0, 0.0, 0.0, 0.0]))
    imu = np.zeros(M.N_IMU)  # never valid: the filter coasts every cycle
    star = np.zeros(M.N_STAR)
    lrf = np.zeros(M.N_LRF)
    dop = np.zeros(M.N_DOPPLER)
    trn = np.zeros(M.N_TRN)
    grid = (np.array([[-1e3, -1e3, 1e3, 3.0, 3.0]]), np.array([0, 9]), np.zeros(9))
    nav = np.zeros(N_NAV)
    for k in range(1, cycles + 1):
        nav_step(k * dt, x, cov, bk, p, imu, star, lrf, dop, trn, *grid, nav)
    return cov, bk


def test_coasting_grows_the_attitude_variance_as_a_rate_random_walk() -> None:
    """The attitude block's trace gains 3 a^2 T^3 / 3 over T seconds of coasting,
    against the same coast with a = 0 (everything else identical)."""
    dt, cycles = 0.05, 200  # 10 s, about Beresheet's outage in the replay
    alpha = 0.086
    cov_a, bk = _coast(alpha, cycles, dt)
    cov_0, _ = _coast(0.0, cycles, dt)
    t = cycles * dt
    assert bk[B_COAST_T] == pytest.approx(t)
    gained = np.trace(cov_a[E_TH : E_TH + 3, E_TH : E_TH + 3]) - np.trace(
        cov_0[E_TH : E_TH + 3, E_TH : E_TH + 3]
    )
    assert gained == pytest.approx(alpha**2 * t**3, rel=1e-3)


def test_the_design_vehicle_sets_the_angular_acceleration() -> None:
    s = load_scenario("default", ["fsw.nav.source=ekf"])
    p = nav_params(s.fsw, site_lat_rad=0.5, site_lon_rad=0.3, dt_s=0.05)
    v = s.fsw.vehicle
    want = min(t / i for t, i in zip(v.max_torque_n_m, v.inertia_dry_kg_m2, strict=True))
    assert p[P_COAST_ALPHA] == pytest.approx(want)


def test_an_imu_outage_with_the_engine_running_lands() -> None:
    """Beresheet's 11 s IMU outage at 14 km without its engine shutdown: with the
    coasting model every one of 8 seeds lands; with the old 10 % inflation seeds
    0 and 4-7 crashed (the filter came out of the outage degrees off at a 0.4 deg
    sigma and refused the star tracker from then on)."""
    runs = [load_scenario("beresheet", ["vehicle.engine.faults=[]"], seed) for seed in range(8)]
    r = simulate(runs, telemetry=False)
    assert [r.summary(i)["outcome"] for i in range(8)] == ["safe"] * 8
