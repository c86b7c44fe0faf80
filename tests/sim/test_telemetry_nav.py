"""The recorded filter uncertainty is the filter's covariance, turned into site ENU.

References: a linear map y = J x of a Gaussian has covariance J P J^T (the
per-axis sigma is the root of its diagonal); NEES = e^T P^-1 e (Bar-Shalom et
al. 2001, sec. 5.4). The transforms are rebuilt here independently: the MCI to
ENU matrix from the simulator's own vector rotations applied to unit vectors,
the surface-relative velocity Jacobian by finite differences of its definition.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.fsw.nav.layout import B_NIS_LRF, B_NIS_STAR, B_NIS_TRN, N_B, N_ERR, N_X, X_R, X_T, X_V
from surefoot.math.frames import rot_mci_to_mcmf
from surefoot.sim.telemetry import INDEX, N_COLUMNS
from surefoot.sim.telemetry_nav import nees, record_navigation
from surefoot.world.site_frame import mcmf_to_enu_vec, site_params
from surefoot.world.vehicle import N_STATE

R = 1_737_400.0
OMEGA = 2.6617e-6


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n)) * rng.uniform(0.1, 50.0, n)
    return a @ a.T + 1e-3 * np.eye(n)


def _enu_from_mci(site: np.ndarray, t: float) -> np.ndarray:
    cols = [mcmf_to_enu_vec(site, rot_mci_to_mcmf(e, OMEGA * t)) for e in np.eye(3)]
    return np.stack(cols, axis=1)


def _v_rel_enu(site: np.ndarray, t: float, rv: np.ndarray) -> np.ndarray:
    r, v = rv[:3], rv[3:]
    v_rel = np.array([v[0] + OMEGA * r[1], v[1] - OMEGA * r[0], v[2]])
    return mcmf_to_enu_vec(site, rot_mci_to_mcmf(v_rel, OMEGA * t))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**31), st.floats(-80.0, 80.0), st.floats(-180.0, 180.0), st.floats(0.0, 2000.0)
)
def test_sigmas_are_the_covariance_in_site_enu(seed: int, lat: float, lon: float, t: float) -> None:
    rng = np.random.default_rng(seed)
    site = site_params(math.radians(lat), math.radians(lon), R, OMEGA)
    cov = _spd(rng, N_ERR)
    x = np.zeros(N_STATE)
    x[0:3] = rng.standard_normal(3) * 1e6
    x[3:6] = rng.standard_normal(3) * 1e3
    kx = np.zeros(N_X)
    kx[X_T] = t
    kx[X_R : X_R + 3] = x[0:3] + rng.standard_normal(3) * 30.0
    kx[X_V : X_V + 3] = x[3:6] + rng.standard_normal(3)
    kbk = np.zeros(N_B)
    kbk[B_NIS_LRF], kbk[B_NIS_TRN], kbk[B_NIS_STAR] = 0.7, -1.0, 4.2
    row = np.zeros(N_COLUMNS)
    record_navigation(row, x, t, site, np.zeros(18), kx, cov, kbk, True)

    m = _enu_from_mci(site, t)
    p_r = m @ cov[0:3, 0:3] @ m.T
    p_th = m @ cov[6:9, 6:9] @ m.T
    # Jacobian of the surface-relative ENU velocity by central differences
    rv = np.concatenate((x[0:3], x[3:6]))
    jac = np.empty((3, 6))
    for k in range(6):
        d = np.zeros(6)
        d[k] = 1.0
        jac[:, k] = (_v_rel_enu(site, t, rv + d) - _v_rel_enu(site, t, rv - d)) / 2.0
    p_v = jac @ cov[0:6, 0:6] @ jac.T
    for i, ax in enumerate(("east", "north", "up")):
        assert math.isclose(row[INDEX[f"nav_sigma_r_{ax}"]], math.sqrt(p_r[i, i]), rel_tol=1e-9)
        assert math.isclose(row[INDEX[f"nav_sigma_v_{ax}"]], math.sqrt(p_v[i, i]), rel_tol=1e-6)
        assert math.isclose(
            row[INDEX[f"nav_sigma_att_{ax}"]], math.degrees(math.sqrt(p_th[i, i])), rel_tol=1e-9
        )
    e = rv - np.concatenate((kx[X_R : X_R + 3], kx[X_V : X_V + 3]))
    assert math.isclose(
        row[INDEX["nav_nees_rv"]], e @ np.linalg.solve(cov[0:6, 0:6], e), rel_tol=1e-7
    )
    assert row[INDEX["nav_nis_lrf"]] == 0.7 and row[INDEX["nav_nis_star"]] == 4.2
    assert math.isnan(row[INDEX["nav_nis_trn"]])  # -1: no fix this cycle


def test_nees_is_nan_off_the_filter_cycle_and_for_ideal_navigation() -> None:
    site = site_params(0.1, 0.2, R, OMEGA)
    cov = np.eye(N_ERR)
    kx = np.zeros(N_X)
    kx[X_T] = 10.0
    row = np.zeros(N_COLUMNS)
    record_navigation(
        row, np.zeros(N_STATE), 10.05, site, np.zeros(18), kx, cov, np.zeros(N_B), True
    )
    assert math.isnan(row[INDEX["nav_nees_rv"]]) and row[INDEX["nav_sigma_r_up"]] == 1.0
    record_navigation(
        row, np.zeros(N_STATE), 10.0, site, np.zeros(18), kx, cov, np.zeros(N_B), False
    )
    assert all(
        math.isnan(row[INDEX[c]])
        for c in ("nav_sigma_r_east", "nav_nees_rv", "nav_nis_star", "nav_sigma_att_up")
    )


def test_nees_refuses_a_covariance_that_is_not_positive_definite() -> None:
    assert math.isnan(nees(np.ones(2), np.array([[1.0, 2.0], [2.0, 1.0]])))
