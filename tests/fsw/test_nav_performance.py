"""The navigation cycle with every sensor delivering every cycle (the benchmark's load).

4 rangefinder beams, 3 Doppler beams (velocity and range), the star tracker
and a TRN fix every cycle through the compiled loop the benchmark times. No
wall-time is asserted here (timing is a property of the machine, not of the
code): ``benchmarks/bench_nav.py`` prints the cost per cycle against the
issue-3 goal. This test holds what the benchmark relies on: every sensor
really is fused every cycle, and the estimate stays valid and on the truth.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.navigation import NavConfig, NavRangefinderConfig
from surefoot.fsw.interfaces import N_NAV, NAV_VALID
from surefoot.fsw.nav.layout import (
    B_N_DOPR_ACC,
    B_N_DOPV_ACC,
    B_N_LRF_ACC,
    B_N_STAR_ACC,
    B_N_TRN_ACC,
    X_R,
    X_V,
)
from surefoot.fsw.nav.nav_step import nav_step

from .nav_helpers import (
    SensorPlan,
    Site,
    Terrain,
    fly,
    grid_from_function,
    initial_estimate,
    make_rows,
    measure_truth,
)


@njit(cache=True)
def _drive(x, cov, bk, p, imu, star, lrf, dop, trn, meta, offsets, heights, out):  # noqa: ANN001, ANN202
    for k in range(imu.shape[0]):
        nav_step(imu[k, 0], x, cov, bk, p, imu[k], star[k], lrf[k], dop[k], trn[k], meta,
                 offsets, heights, out)


def all_sensor_case():  # noqa: ANN201
    """Truth, filter rows and inputs of the all-sensors descent (shared with the benchmark)."""
    site = Site()
    nav = NavConfig(
        source="ekf",
        rangefinder=NavRangefinderConfig(
            beams_body=((0.0, 0.0, -1.0), (0.2, 0.0, -1.0), (0.0, 0.2, -1.0), (-0.2, 0.0, -1.0))
        ),
    )
    truth = fly(site, np.array([-6000.0, 0.0, 3000.0]), np.array([70.0, 0.0, -20.0]),
                np.array([0.0, 0.0, 100.0]), np.array([0.0, 0.0, -2.0]), 120.0, 120.0)
    tm = measure_truth(site, truth, Terrain(h0=0.0), nav)
    plan = SensorPlan(star_every=1, trn_every=1, lrf_beams=4)
    rows, _, _ = make_rows(site, truth, tm, nav, plan, np.random.default_rng(0))
    grid = grid_from_function(lambda x, y: 0.0 * x, 30_000.0, 100.0)
    p = site.params(nav)
    args = [rows[k] for k in ("imu", "star", "lrf", "dop", "trn")]
    return site, nav, truth, rows, grid, p, args


def test_every_sensor_is_fused_every_cycle_and_the_estimate_holds() -> None:
    _, nav, truth, rows, grid, p, args = all_sensor_case()
    assert rows["lrf"][:, 5:9].all() and rows["dop"][:, 7:10].all()
    n = args[0].shape[0]
    out = np.zeros(N_NAV)
    x, cov, bk = initial_estimate(p, truth, nav, np.random.default_rng(1))
    _drive(x, cov, bk, p, *args, *grid, out)
    assert out[NAV_VALID] == 1.0
    for i in (B_N_STAR_ACC, B_N_TRN_ACC, B_N_DOPV_ACC):
        assert bk[i] >= 0.95 * n
    assert bk[B_N_LRF_ACC] >= 0.95 * 4 * n and bk[B_N_DOPR_ACC] >= 0.95 * 3 * n
    assert np.linalg.norm(x[X_R : X_R + 3] - truth.r[-1]) < 5.0
    assert np.linalg.norm(x[X_V : X_V + 3] - truth.v[-1]) < 0.05
