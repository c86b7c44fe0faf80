"""Navigation filter consistency over a Monte Carlo of nominal descents.

Reference: the normalised estimation error squared (NEES) test of Bar-Shalom,
Li & Kirubarajan, "Estimation with Applications to Tracking and Navigation"
(2001), section 5.4: for a consistent filter the NEES averaged over M
independent runs, times M, is chi-square with M * n degrees of freedom
(n = 15 error states); its two-sided 99 % interval must hold at nearly every
time step. The truth, the IMU and the sensors come from the test kit
(``nav_helpers``) with the errors the filter believes in (no scale-factor
or force-model errors, an exact onboard map), so the model matches the truth.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from surefoot.config.navigation import NavConfig, NavImuConfig, OnboardMapConfig
from surefoot.fsw.nav.layout import (
    B_ALT_TRUSTED,
    B_NIS_DOPR,
    B_NIS_DOPV,
    B_NIS_LRF,
    B_NIS_STAR,
    B_NIS_TRN,
)

from .nav_helpers import (
    SensorPlan,
    Site,
    Terrain,
    errors,
    fly,
    grid_from_function,
    initial_estimate,
    make_rows,
    measure_truth,
    run_filter,
)

N_RUNS = 50
SITE = Site()
NAV = NavConfig(
    source="ekf",
    imu=NavImuConfig(
        accel_scale_factor_ppm=0.0, gyro_scale_factor_ppm=0.0, unmodelled_accel_m_s2=0.0
    ),
    map=OnboardMapConfig(height_sigma_m=1e-3),
)


@pytest.fixture(scope="module")
def campaign() -> dict:
    """50 runs of a 150 s descent from 3 km (80 m/s east, 20 m/s down) to 100 m."""
    truth = fly(
        SITE,
        np.array([-8000.0, 0.0, 3000.0]),
        np.array([80.0, 0.0, -20.0]),
        np.array([0.0, 0.0, 100.0]),
        np.array([0.0, 0.0, -2.0]),
        tgo_s=140.0,
        duration_s=150.0,
    )
    tm = measure_truth(SITE, truth, Terrain(h0=0.0), NAV)
    grid = grid_from_function(lambda x, y: 0.0 * x, 30_000.0, 200.0)
    p = SITE.params(NAV)
    nees, nis, final, trusted = [], [], [], []
    for m in range(N_RUNS):
        rng = np.random.default_rng(1000 + m)
        rows, ba, bg = make_rows(SITE, truth, tm, NAV, SensorPlan(), rng)
        x, cov, bk = initial_estimate(p, truth, NAV, rng)
        run = run_filter(x, cov, bk, p, rows, grid)
        e = errors(truth, run, ba, bg)
        nees.append(np.einsum("ki,ki->k", e, np.linalg.solve(run.cov, e[..., None])[..., 0]))
        nis.append(run.bk[:, [B_NIS_LRF, B_NIS_DOPR, B_NIS_DOPV, B_NIS_TRN, B_NIS_STAR]])
        final.append(e[-1])
        trusted.append(run.bk[:, B_ALT_TRUSTED].min())
    return {
        "nees": np.array(nees),
        "nis": np.array(nis),
        "final": np.array(final),
        "trusted": np.array(trusted),
    }


def test_nees_within_chi_square_bounds(campaign: dict) -> None:
    avg = campaign["nees"].mean(axis=0)
    lo, hi = chi2.ppf([0.005, 0.995], 15 * N_RUNS) / N_RUNS
    inside = np.mean((avg > lo) & (avg < hi))
    print(f"\nNEES: mean {avg.mean():.2f} (15 expected), 99% band [{lo:.2f}, {hi:.2f}], "
          f"{100 * inside:.1f}% of {avg.size} cycles inside")
    assert inside >= 0.95
    assert 14.0 < avg.mean() < 16.0


def test_innovations_are_white_with_the_believed_spread(campaign: dict) -> None:
    """Mean normalised innovation squared per sensor near its degrees of freedom
    (rangefinder, Doppler range: 1 per beam; Doppler velocity 3, TRN 2, star 3)."""
    nis = campaign["nis"]
    for col, dof in enumerate((1.0, 1.0, 3.0, 2.0, 3.0)):
        v = nis[:, :, col]
        v = v[v >= 0.0]
        assert v.size > 1000
        assert v.mean() == pytest.approx(dof, rel=0.1), col


def test_filter_converges(campaign: dict) -> None:
    """From 200 m / 0.5 m/s / 0.1 deg (1-sigma) to metres, cm/s and arcseconds."""
    fin = campaign["final"]
    pos = np.sqrt(np.mean(np.sum(fin[:, 0:3] ** 2, axis=1)))
    vel = np.sqrt(np.mean(np.sum(fin[:, 3:6] ** 2, axis=1)))
    att = np.sqrt(np.mean(np.sum(fin[:, 6:9] ** 2, axis=1)))
    print(f"\nfinal RMS errors: position {pos:.2f} m, velocity {100 * vel:.2f} cm/s, "
          f"attitude {np.degrees(att) * 3600:.1f} arcsec")
    assert pos < 3.0
    assert vel < 0.02
    assert np.degrees(att) * 3600.0 < 30.0
    # ranges all the way down: the monitor never distrusts the altitude
    assert np.all(campaign["trusted"] == 1.0)


def test_gate_thresholds_are_chi_square_quantiles() -> None:
    """The gates come from scipy.special's inverse survival function; scipy.stats'
    chi-square quantile is the independent reference."""
    from surefoot.fsw.nav.gating import chi2_thresholds

    for p in (0.5, 0.99, 0.9999, 0.999999999):
        np.testing.assert_allclose(chi2_thresholds(p), [chi2.ppf(p, k) for k in (1, 2, 3)],
                                   rtol=1e-12)
