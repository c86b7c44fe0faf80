"""A height error found after a blind arc (Resilience): its consequences and their removal.

The filter starts 2.5 km too high along the local vertical and sees no range
for a 500 s descent from 300 km uprange: the height error grows through the
vertical gravity gradient and feeds the horizontal position and velocity. The
height-fix sensitivity (``X_S``, carried by the filter's own transition
matrix) must predict that whole error from the initial height error alone;
the first ranges then fix the height and, in robust mode, the horizontal
consequences with it. A later re-anchoring that contradicts the height the
correction was drawn from takes it back.
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config.navigation import NavConfig, NavDopplerConfig, NavGatingConfig
from surefoot.fsw.nav.blind_arc import withdraw_blind_arc
from surefoot.fsw.nav.layout import (
    B_BLIND_DH,
    B_EVENTS,
    EV_BLIND_ARC,
    EV_BLIND_ARC_WITHDRAWN,
    N_B,
    N_X,
    X_C,
    X_R,
    X_S,
    X_V,
)
from surefoot.fsw.nav.params import nav_init

from .nav_helpers import (
    SensorPlan,
    Site,
    Terrain,
    errors,
    fly,
    grid_from_function,
    make_rows,
    measure_truth,
    run_filter,
)

H0_ERROR_M = 2500.0


@pytest.fixture(scope="module")
def descent() -> tuple:
    site = Site()
    truth = fly(site, np.array([-300e3, 0.0, 12000.0]), np.array([1000.0, 0.0, 0.0]),
                np.array([0.0, 0.0, 1500.0]), np.array([0.0, 0.0, -10.0]), 500.0, 500.0)
    nav = NavConfig(source="ekf", doppler=NavDopplerConfig(fitted=False))
    tm = measure_truth(site, truth, Terrain(h0=0.0), nav)
    return site, truth, tm


def _fly_filter(descent: tuple, rejection: str, ranges_below_m: float):  # noqa: ANN202
    site, truth, tm = descent
    nav = NavConfig(source="ekf", rejection=rejection, doppler=NavDopplerConfig(fitted=False),
                    gating=NavGatingConfig())
    plan = SensorPlan(star_every=5, trn_every=0, doppler=False, noise=False,
                      lrf_valid_below_alt_m=ranges_below_m,
                      accel_bias_m_s2=np.zeros(3), gyro_bias_rad_s=np.zeros(3))
    rows, ba, bg = make_rows(site, truth, tm, nav, plan, np.random.default_rng(0))
    p = site.params(nav)
    up0 = truth.r[0] / np.linalg.norm(truth.r[0])
    x, cov, bk = nav_init(p, 0.0, truth.r[0] + H0_ERROR_M * up0, truth.v[0], truth.q[0])
    run = run_filter(x, cov, bk, p, rows, grid_from_function(lambda x, y: 0.0 * x,
                                                              400_000.0, 1000.0))
    return truth, run, errors(truth, run, ba, bg)


def _horizontal(truth, k: int, a: np.ndarray) -> np.ndarray:  # noqa: ANN001
    u = truth.r[k + 1] / np.linalg.norm(truth.r[k + 1])
    return a - (a @ u) * u


def test_the_sensitivity_predicts_the_dead_reckoned_error(descent: tuple) -> None:
    truth, run, e = _fly_filter(descent, "robust", -1.0)  # never a range
    for k in (1000, 3000, e.shape[0] - 1):
        pred = -H0_ERROR_M * run.x[k, X_S : X_S + 6]
        assert np.linalg.norm(e[k, :3] - pred[:3]) < 2e-3 * np.linalg.norm(e[k, :3])
        assert np.linalg.norm(e[k, 3:6] - pred[3:]) < 1e-2 * np.linalg.norm(e[k, 3:6])
        eh_v = _horizontal(truth, k, e[k, 3:6])
        assert np.linalg.norm(eh_v - _horizontal(truth, k, pred[3:])) < 0.05 * np.linalg.norm(eh_v)
    # the blind arc grew the height error and moved the horizontal position
    k = e.shape[0] - 1
    assert np.linalg.norm(_horizontal(truth, k, e[k, :3])) > 300.0
    assert abs(np.linalg.norm(e[k, :3]) - H0_ERROR_M) > 500.0


def test_robust_removes_the_horizontal_consequences_with_the_height(descent: tuple) -> None:
    truth, run, e = _fly_filter(descent, "robust", 3000.0)
    fix = np.nonzero(run.bk[:, B_EVENTS].astype(np.int64) & EV_BLIND_ARC)[0]
    assert fix.size == 1
    k = fix[0]
    before_r = np.linalg.norm(_horizontal(truth, k - 1, e[k - 1, :3]))
    before_v = np.linalg.norm(_horizontal(truth, k - 1, e[k - 1, 3:6]))
    assert before_r > 300.0
    assert np.linalg.norm(_horizontal(truth, k, e[k, :3])) < 0.05 * before_r
    assert np.linalg.norm(_horizontal(truth, k, e[k, 3:6])) < 0.05 * before_v
    assert abs(run.bk[k, B_BLIND_DH]) > 2000.0


def test_naive_keeps_them(descent: tuple) -> None:
    truth, run, e = _fly_filter(descent, "naive", 3000.0)
    assert not np.any(run.bk[:, B_EVENTS].astype(np.int64) & EV_BLIND_ARC)
    k = e.shape[0] - 1
    assert np.linalg.norm(_horizontal(truth, k, e[k, :3])) > 300.0


def test_a_contradicting_re_anchoring_withdraws_the_correction() -> None:
    x = np.zeros(N_X)
    bk = np.zeros(N_B)
    x[X_R : X_R + 3] = [1.0e6, 2.0, 3.0]
    x[X_V : X_V + 3] = [4.0, 5.0, 6.0]
    x[X_C : X_C + 6] = [10.0, -20.0, 0.0, 0.1, -0.2, 0.0]
    bk[B_BLIND_DH] = -1800.0
    # same direction: kept
    assert withdraw_blind_arc(x, bk, -500.0) == 0
    assert bk[B_BLIND_DH] == -1800.0
    # opposite, half of it: half taken back
    assert withdraw_blind_arc(x, bk, 900.0) == EV_BLIND_ARC_WITHDRAWN
    assert x[X_R : X_R + 3] == pytest.approx([1.0e6 - 5.0, 12.0, 3.0])
    assert x[X_V : X_V + 3] == pytest.approx([3.95, 5.1, 6.0])
    assert bk[B_BLIND_DH] == pytest.approx(-900.0)
    # opposite and larger than the rest: all of it
    assert withdraw_blind_arc(x, bk, 3000.0) == EV_BLIND_ARC_WITHDRAWN
    assert x[X_R : X_R + 3] == pytest.approx([1.0e6 - 10.0, 22.0, 3.0])
    assert x[X_C : X_C + 6] == pytest.approx(np.zeros(6))
    assert bk[B_BLIND_DH] == pytest.approx(0.0)
