"""The navigation plots draw the filter's own bounds, read back from the figure.

A short filtered landing is flown and saved; the +-3 sigma lines on the
navigation-error figure must be three times the covariance-derived columns of
the telemetry at the plotted times, and the NEES band the chi-square quantiles
(Bar-Shalom et al. 2001, sec. 5.4: 6 dof, 95 %: 1.24 and 14.45).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from surefoot.analysis.nav_plots import (
    attitude_error_deg,
    chi_square_band,
    consistency_plot,
    navigation_error_plot,
)
from surefoot.analysis.run_folder import RunFolder, read_run_folder
from surefoot.api import run
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.math.quaternion import quat_mul

SHORT_EKF = ["fsw.nav.source=ekf", "initial.altitude_m=3000", "initial.uprange_km=20"]


@pytest.fixture(scope="module")
def ekf_run(tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    out = tmp_path_factory.mktemp("ekf-run")
    paths = run(load_scenario(None, SHORT_EKF)).save(out)
    figures = ("navigation figure", "consistency figure", "attitude figure")
    assert all(paths[f].stat().st_size > 10_000 for f in figures)
    return read_run_folder(out)


def test_plotted_3_sigma_is_three_times_the_telemetry_sigma(ekf_run: RunFolder) -> None:
    fig = navigation_error_plot(ekf_run)
    t = ekf_run.col("t")
    checked = 0
    for ax in fig.axes:
        title = ax.get_title()
        kind = "r" if title.startswith("position") else "v"
        axis = title.rsplit(", ", 1)[1]
        sigma = ekf_run.col(f"nav_sigma_{kind}_{axis}")
        plus = [ln for ln in ax.get_lines() if ln.get_gid() == "plus_3_sigma"]
        minus = [ln for ln in ax.get_lines() if ln.get_gid() == "minus_3_sigma"]
        assert len(plus) == 1 and len(minus) == 1, title
        xs, ys = plus[0].get_xdata(), plus[0].get_ydata()
        rows = np.searchsorted(t, xs)
        assert np.array_equal(t[rows], xs)
        np.testing.assert_allclose(ys, 3.0 * sigma[rows], rtol=1e-12)
        np.testing.assert_allclose(minus[0].get_ydata(), -ys, rtol=0)
        assert np.all(np.isfinite(ys)) and np.all(ys > 0)
        checked += 1
    assert checked == 6


def test_consistency_plot_draws_the_chi_square_band(ekf_run: RunFolder) -> None:
    lo, hi = chi_square_band(6)
    assert math.isclose(lo, 1.2373, abs_tol=1e-3) and math.isclose(hi, 14.449, abs_tol=1e-3)
    fig = consistency_plot(ekf_run)
    nees_ax = fig.axes[0]
    levels = sorted(ln.get_ydata()[0] for ln in nees_ax.get_lines()[1:])
    assert levels == pytest.approx([lo, hi])
    nees = ekf_run.col("nav_nees_rv")
    assert np.isfinite(nees).sum() > 0.5 * len(nees)  # recorded on filter cycles


def test_attitude_error_of_a_known_rotation() -> None:
    # truth = a 0.5 deg turn about north applied to the estimate
    a = math.radians(0.5)
    dq = np.array([[math.cos(a / 2), 0.0, math.sin(a / 2), 0.0]])
    q_est = np.array([[0.9, 0.1, -0.3, 0.2]]) / np.linalg.norm([0.9, 0.1, -0.3, 0.2])
    q_true = quat_mul(dq[0], q_est[0])[None, :]
    err = attitude_error_deg(q_true, q_est)[0]
    np.testing.assert_allclose(err, [0.0, 0.5, 0.0], atol=1e-4)


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="summary.json' is missing|telemetry.parquet' is missing"):
        read_run_folder(tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        read_run_folder(tmp_path / "nope")
