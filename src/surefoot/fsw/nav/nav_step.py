"""The navigation filter's per-cycle kernel and its builders.

:func:`nav_step` is one flight-software cycle for one lander: propagate with
the IMU increments, then update with the star tracker, TRN, Doppler
line-of-sight velocities and the ranges (rangefinder beams and Doppler
ranges, ray-cast on the onboard map), run the expected-measurement monitor
and write the navigation row of :mod:`surefoot.fsw.interfaces` (site ENU,
velocity relative to the surface) that guidance consumes.

Python builders: :func:`nav_params` (configuration row from the flight
software's configuration) and :func:`nav_init` (state, covariance and
bookkeeping rows from an initial estimate). Row layouts are in
:mod:`surefoot.fsw.nav.layout`; measurement rows in
:mod:`surefoot.fsw.nav.measurements`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.schema import FswConfig
from surefoot.fsw.interfaces import (
    N_NAV,
    NAV_ALT_SIGMA,
    NAV_ALT_TRUSTED,
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    NAV_VALID,
    NAV_VEL_TRUSTED,
    NAV_W,
)
from surefoot.fsw.nav.ekf import (
    direction_variance,
    inflate_direction,
    inject,
    innovation_variance,
    mahalanobis_small,
    reset_direction,
    residual,
    scalar_update,
    scalar_update_vertical,
    symmetrize,
)
from surefoot.fsw.nav.gating import (
    ACCEPT,
    ACCEPT_WIDE,
    REINIT,
    chi2_thresholds,
    judge,
    median_masked,
    naive_jump,
    streak_consistent,
)
from surefoot.fsw.nav.layout import (
    B_ALT_EST,
    B_ALT_SIGMA,
    B_ALT_TRUSTED,
    B_BLIND_DH,
    B_EVENTS,
    B_EVENTS_ALL,
    B_FAIL_DOP,
    B_FAIL_LRF,
    B_FIX_VAR,
    B_FROZEN_DOPR,
    B_FROZEN_LRF,
    B_LAST_DOPR,
    B_LAST_LRF,
    B_N_DOPR_ACC,
    B_N_DOPR_REJ,
    B_N_DOPV_ACC,
    B_N_DOPV_REJ,
    B_N_LRF_ACC,
    B_N_LRF_REJ,
    B_N_REINIT_H,
    B_N_REINIT_OTHER,
    B_N_STAR_ACC,
    B_N_STAR_REJ,
    B_N_TRN_ACC,
    B_N_TRN_REJ,
    B_NIS_DOPR,
    B_NIS_DOPV,
    B_NIS_LRF,
    B_NIS_STAR,
    B_NIS_TRN,
    B_RAW_DOPR,
    B_RAW_LRF,
    B_REJ_DOPR,
    B_REJ_DOPV,
    B_REJ_LRF,
    B_REJ_STAR,
    B_REJ_TRN,
    B_STREAK_DOPV,
    B_STREAK_DZ_DOPR,
    B_STREAK_DZ_LRF,
    B_STREAK_STAR,
    B_STREAK_TRN,
    B_T_DOPV,
    B_T_EXPECT_RANGE,
    B_T_EXPECT_VEL,
    B_T_LRF,
    B_T_RANGE,
    B_T_STAR,
    B_T_TRN,
    B_VEL_TRUSTED,
    B_VZ_SIGMA,
    E_R,
    E_TH,
    E_V,
    EV_ALT_UNTRUSTED,
    EV_ATT_REINIT,
    EV_BLIND_ARC,
    EV_BLIND_ARC_WITHDRAWN,
    EV_CROSS_CHECK,
    EV_DOP_FAILED,
    EV_DOPR_ACCEPT,
    EV_DOPR_REACQUIRED,
    EV_DOPR_REJECT,
    EV_DOPV_ACCEPT,
    EV_DOPV_REJECT,
    EV_HEIGHT_REINIT,
    EV_HORIZ_REINIT,
    EV_IMU_MISSING,
    EV_LRF_ACCEPT,
    EV_LRF_FAILED,
    EV_LRF_REACQUIRED,
    EV_LRF_REJECT,
    EV_MAP_AMBIGUOUS,
    EV_RANGE_FROZEN,
    EV_RANGE_MISSING,
    EV_STAR_ACCEPT,
    EV_STAR_REJECT,
    EV_TRN_ACCEPT,
    EV_TRN_REJECT,
    EV_VEL_MISSING,
    EV_VEL_REINIT,
    EV_WIDE_ACCEPT,
    N_B,
    N_ERR,
    N_P,
    N_X,
    NEVER,
    P_C,
    P_CHI1,
    P_CHI2,
    P_CHI3,
    P_DOP_DIR,
    P_DOP_FITTED,
    P_DOP_MAX,
    P_DOP_POS,
    P_DOP_RFRAC,
    P_DOP_RSIG,
    P_DOP_VFRAC,
    P_DOP_VSIG,
    P_DT,
    P_GM,
    P_INIT_ATT,
    P_INIT_BA,
    P_INIT_BG,
    P_INIT_POS,
    P_INIT_VEL,
    P_J2,
    P_J2_R,
    P_LRF_DIR,
    P_LRF_FRAC,
    P_LRF_MAX,
    P_LRF_N,
    P_LRF_POS,
    P_LRF_SIG,
    P_MAP_SIGMA,
    P_MAX_AGE,
    P_NAIVE_JUMP,
    P_OMEGA,
    P_Q_ARW,
    P_Q_BA,
    P_Q_BG,
    P_Q_VRW,
    P_QENU,
    P_RADIUS,
    P_RANGE_BELOW,
    P_RANGE_TIMEOUT,
    P_REJ_LIMIT,
    P_RELIEF_K,
    P_RELIEF_MAX,
    P_RI_ATT,
    P_RI_H,
    P_RI_HOR,
    P_RI_VEL,
    P_RI_VZ,
    P_ROBUST,
    P_SF_A,
    P_SF_G,
    P_STAR_AXES,
    P_STAR_SIG,
    P_TRN_MIN,
    P_TRN_SCALE,
    P_TRUST_FRAC,
    P_TRUST_SIG,
    P_VEL_BELOW,
    P_VEL_TIMEOUT,
    P_WCHI1,
    P_WCHI2,
    P_WCHI3,
    P_XC_FRAC,
    P_XC_TOL,
    X_BA,
    X_BG,
    X_C,
    X_F,
    X_INIT,
    X_Q,
    X_R,
    X_S,
    X_T,
    X_V,
    X_W,
)
from surefoot.fsw.nav.measurement_models import (
    doppler_velocity_model,
    range_model,
    star_innovation,
    trn_model,
)
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_T,
    DOP_VALID,
    DOP_VLOS,
    DOPPLER_BEAMS,
    IMU_DT,
    IMU_DTHETA,
    IMU_DV,
    IMU_VALID,
    LRF_RANGE,
    LRF_T,
    LRF_VALID,
    MAX_LRF_BEAMS,
    STAR_Q,
    STAR_T,
    STAR_VALID,
    TRN_SIGMA,
    TRN_T,
    TRN_VALID,
    TRN_X,
    TRN_Y,
)
from surefoot.fsw.nav.mechanization import propagate
from surefoot.fsw.nav.onboard_map import map_spacing, neighbourhood_relief
from surefoot.math.frames import (
    enu_basis_mcmf,
    map_to_mcmf,
    mcmf_to_map,
    rot_mci_to_mcmf,
    rot_mcmf_to_mci,
)
from surefoot.math.height_grid import altitude_above_terrain
from surefoot.math.quaternion import dcm_to_quat, quat_mul, quat_to_dcm

_ARCSEC = np.pi / (180.0 * 3600.0)
_MAX_BEAMS = MAX_LRF_BEAMS + DOPPLER_BEAMS



def _unit(v: tuple[float, float, float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def _sensor_axes(boresight: tuple[float, float, float]) -> np.ndarray:
    """``C_body_sensor`` (3, 3): columns are sensor axes in body, z along the boresight.

    Only the boresight matters to the filter (the noise is the same about both
    cross-boresight axes); x is body +x projected off the boresight (body +y
    when the boresight is near x).
    """
    z = _unit(boresight)
    ref = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = ref - (ref @ z) * z
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


def nav_params(
    fsw: FswConfig,
    *,
    site_lat_rad: float,
    site_lon_rad: float,
    dt_s: float,
) -> np.ndarray:
    """Parameter row ``(N_P,)`` of the navigation filter (layout ``layout.P_*``).

    Parameters
    ----------
    fsw : FswConfig
        The flight software's configuration: its Moon (``fsw.moon``, point-mass
        gravity, reference radius of the onboard map, rotation rate) and
        ``fsw.nav`` (filter tuning, sensor mounting, gates).
    site_lat_rad, site_lon_rad : float
        Landing site (origin of the site ENU and map frames), rad.
    dt_s : float
        Flight-software cycle (s), used when an IMU row is missing.
    """
    if not dt_s > 0.0:
        raise ValueError("nav_params: dt_s must be > 0")
    nav = fsw.nav
    g = nav.gating
    p = np.zeros(N_P)
    p[P_GM] = fsw.moon.gm_m3_s2
    p[P_J2] = fsw.moon.j2
    p[P_J2_R] = fsw.moon.j2_reference_radius_m
    p[P_RADIUS] = fsw.moon.radius_m
    p[P_OMEGA] = fsw.moon.rotation_rate_rad_s
    c = enu_basis_mcmf(site_lat_rad, site_lon_rad)
    p[P_C : P_C + 9] = c.ravel()
    p[P_QENU : P_QENU + 4] = dcm_to_quat(c)
    p[P_DT] = dt_s
    p[P_ROBUST] = 1.0 if nav.rejection == "robust" else 0.0
    imu = nav.imu
    p[P_Q_VRW] = (
        imu.accel_vrw_m_s_sqrt_s**2
        + 2.0 * imu.unmodelled_accel_m_s2**2 * imu.unmodelled_accel_time_s
    )
    p[P_Q_ARW] = (np.radians(imu.gyro_arw_deg_sqrt_h) / 60.0) ** 2
    p[P_Q_BA] = imu.accel_bias_rw_m_s2_sqrt_s**2
    p[P_Q_BG] = (np.radians(imu.gyro_bias_rw_deg_h_sqrt_s) / 3600.0) ** 2
    p[P_SF_A] = imu.accel_scale_factor_ppm * 1e-6
    p[P_SF_G] = imu.gyro_scale_factor_ppm * 1e-6
    p[P_INIT_POS] = nav.init.position_m
    p[P_INIT_VEL] = nav.init.velocity_m_s
    p[P_INIT_ATT] = np.radians(nav.init.attitude_deg)
    p[P_INIT_BA] = nav.init.accel_bias_m_s2
    p[P_INIT_BG] = np.radians(nav.init.gyro_bias_deg_h) / 3600.0
    st = nav.star_tracker
    p[P_STAR_SIG] = st.cross_boresight_sigma_arcsec * _ARCSEC
    p[P_STAR_SIG + 1] = st.cross_boresight_sigma_arcsec * _ARCSEC
    p[P_STAR_SIG + 2] = st.about_boresight_sigma_arcsec * _ARCSEC
    p[P_STAR_AXES : P_STAR_AXES + 9] = _sensor_axes(st.boresight_body).ravel()
    lrf = nav.rangefinder
    p[P_LRF_N] = len(lrf.beams_body) if lrf.fitted else 0
    for k, b in enumerate(lrf.beams_body):
        p[P_LRF_DIR + 3 * k : P_LRF_DIR + 3 * k + 3] = _unit(b)
    p[P_LRF_POS : P_LRF_POS + 3] = lrf.position_body_m
    p[P_LRF_SIG] = lrf.sigma_m
    p[P_LRF_FRAC] = lrf.sigma_fraction
    p[P_LRF_MAX] = lrf.max_range_m
    dop = nav.doppler
    p[P_DOP_FITTED] = 1.0 if dop.fitted else 0.0
    for k, b in enumerate(dop.beams_body):
        p[P_DOP_DIR + 3 * k : P_DOP_DIR + 3 * k + 3] = _unit(b)
    p[P_DOP_POS : P_DOP_POS + 3] = dop.position_body_m
    p[P_DOP_VSIG] = dop.velocity_sigma_m_s
    p[P_DOP_VFRAC] = dop.velocity_sigma_fraction
    p[P_DOP_RSIG] = dop.range_sigma_m
    p[P_DOP_RFRAC] = dop.range_sigma_fraction
    p[P_DOP_MAX] = dop.max_range_m
    p[P_TRN_SCALE] = nav.trn.sigma_scale
    p[P_TRN_MIN] = nav.trn.min_sigma_m
    p[P_CHI1], p[P_CHI2], p[P_CHI3] = chi2_thresholds(g.gate_probability)
    p[P_WCHI1], p[P_WCHI2], p[P_WCHI3] = chi2_thresholds(g.widened_gate_probability)
    p[P_NAIVE_JUMP] = g.naive_range_jump_m
    p[P_REJ_LIMIT] = g.rejection_limit
    p[P_RI_H] = g.reinit_height_sigma_m
    p[P_RI_VZ] = g.reinit_vertical_velocity_sigma_m_s
    p[P_RI_HOR] = g.reinit_horizontal_sigma_m
    p[P_RI_VEL] = g.reinit_velocity_sigma_m_s
    p[P_RI_ATT] = np.radians(g.reinit_attitude_deg)
    p[P_XC_TOL] = g.cross_check_tolerance_m
    p[P_XC_FRAC] = g.cross_check_tolerance_fraction
    p[P_RELIEF_K] = g.relief_sigma_scale
    p[P_RELIEF_MAX] = g.relief_max_offset_m
    p[P_MAX_AGE] = g.max_measurement_age_s
    mon = nav.monitor
    p[P_RANGE_BELOW] = mon.range_expected_below_m
    p[P_RANGE_TIMEOUT] = mon.range_timeout_s
    p[P_VEL_BELOW] = mon.velocity_expected_below_m
    p[P_VEL_TIMEOUT] = mon.velocity_timeout_s
    p[P_TRUST_SIG] = mon.trusted_sigma_m
    p[P_TRUST_FRAC] = mon.trusted_sigma_fraction
    p[P_MAP_SIGMA] = nav.map.height_sigma_m
    return p


def nav_init(
    p: np.ndarray,
    t0_s: float,
    r_mci: np.ndarray,
    v_mci: np.ndarray,
    q_body_to_mci: np.ndarray,
    accel_bias_m_s2: np.ndarray | None = None,
    gyro_bias_rad_s: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial rows of one lander's filter from an initial estimate.

    Parameters
    ----------
    p : (N_P,)
        Parameter row from :func:`nav_params` (initial sigmas).
    t0_s : float
        Time of the estimate, s since scenario start.
    r_mci, v_mci : (3,)
        Estimated position (m) and inertial velocity (m/s), MCI.
    q_body_to_mci : (4,)
        Estimated attitude, scalar first.
    accel_bias_m_s2, gyro_bias_rad_s : (3,), optional
        Initial bias estimates (body); zero by default.

    Returns
    -------
    x : (N_X,)
        Nominal state row.
    cov : (15, 15)
        Diagonal initial covariance from the ``fsw.nav.init`` sigmas.
    bk : (N_B,)
        Bookkeeping row: nothing accepted yet, altitude trusted.
    """
    x = np.zeros(N_X)
    x[X_T] = t0_s
    x[X_R : X_R + 3] = r_mci
    x[X_V : X_V + 3] = v_mci
    q = np.asarray(q_body_to_mci, dtype=np.float64)
    q = q / np.linalg.norm(q)
    x[X_Q : X_Q + 4] = q if q[0] >= 0.0 else -q
    if accel_bias_m_s2 is not None:
        x[X_BA : X_BA + 3] = accel_bias_m_s2
    if gyro_bias_rad_s is not None:
        x[X_BG : X_BG + 3] = gyro_bias_rad_s
    x[X_INIT] = 1.0
    x[X_S : X_S + 3] = x[X_R : X_R + 3] / np.linalg.norm(x[X_R : X_R + 3])
    sig = np.repeat([p[P_INIT_POS], p[P_INIT_VEL], p[P_INIT_ATT], p[P_INIT_BA], p[P_INIT_BG]], 3)
    cov = np.diag(sig**2)
    bk = np.zeros(N_B)
    for i in (B_T_LRF, B_T_RANGE, B_T_DOPV, B_T_TRN, B_T_STAR, B_T_EXPECT_RANGE, B_T_EXPECT_VEL):
        bk[i] = NEVER
    bk[B_LAST_LRF : B_LAST_LRF + MAX_LRF_BEAMS] = -1.0
    bk[B_LAST_DOPR : B_LAST_DOPR + DOPPLER_BEAMS] = -1.0
    bk[B_RAW_LRF : B_RAW_LRF + MAX_LRF_BEAMS] = -1.0
    bk[B_RAW_DOPR : B_RAW_DOPR + DOPPLER_BEAMS] = -1.0
    for i in (B_NIS_LRF, B_NIS_DOPV, B_NIS_TRN, B_NIS_STAR, B_NIS_DOPR):
        bk[i] = -1.0
    bk[B_ALT_TRUSTED] = 1.0
    bk[B_VEL_TRUSTED] = 1.0
    bk[B_FIX_VAR] = p[P_INIT_POS] ** 2
    return x, cov, bk


# ---------------------------------------------------------------------------
# per-sensor updates (each returns the event bits it raised)
# ---------------------------------------------------------------------------


@njit(cache=True)
def _vector_d2(
    cov: np.ndarray, hrows: np.ndarray, rdiag: np.ndarray, nu: np.ndarray, m: int
) -> float:
    s = np.empty((m, m))
    for a in range(m):
        for b in range(a, m):
            acc = 0.0
            for i in range(N_ERR):
                if hrows[a, i] == 0.0:
                    continue
                for j in range(N_ERR):
                    acc += hrows[a, i] * cov[i, j] * hrows[b, j]
            s[a, b] = acc
            s[b, a] = acc
        s[a, a] += rdiag[a]
    return mahalanobis_small(s, nu, m)


@njit(cache=True)
def _vector_apply(
    x: np.ndarray,
    cov: np.ndarray,
    dx: np.ndarray,
    hrows: np.ndarray,
    rdiag: np.ndarray,
    nu: np.ndarray,
    m: int,
) -> None:
    for a in range(m):
        scalar_update(cov, dx, hrows[a], residual(nu[a], hrows[a], dx), rdiag[a])
    inject(x, dx)


@njit(cache=True)
def _note_rejection(bk: np.ndarray, i_count: int, i_streak: int, nu: np.ndarray, m: int) -> None:
    bk[i_count] += 1.0
    if bk[i_count] == 1.0:
        for k in range(m):
            bk[i_streak + k] = nu[k]


@njit(cache=True)
def _update_star(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, star: np.ndarray,
    t: float, robust: bool, dx: np.ndarray,
) -> int:
    q_meas = star[STAR_Q : STAR_Q + 4].copy()
    qn = np.sqrt(np.sum(q_meas * q_meas))
    if not qn > 0.0:
        return 0
    q_meas /= qn
    nu_mci = star_innovation(x, q_meas)
    # work in the sensor axes, where the noise is diagonal: nu_s = (C C_s)^T nu
    c_bs = p[P_STAR_AXES : P_STAR_AXES + 9].reshape(3, 3)
    c_ib = quat_to_dcm(x[X_Q : X_Q + 4])
    hrows = np.zeros((3, N_ERR))
    rdiag = np.empty(3)
    tol = np.empty(3)
    nu = np.empty(3)
    for k in range(3):
        acc = 0.0
        for j in range(3):
            a = c_ib[j, 0] * c_bs[0, k] + c_ib[j, 1] * c_bs[1, k] + c_ib[j, 2] * c_bs[2, k]
            hrows[k, E_TH + j] = a
            acc += a * nu_mci[j]
        nu[k] = acc
        sig = p[P_STAR_SIG + k]
        rdiag[k] = sig * sig
        tol[k] = 6.0 * sig
    d2 = _vector_d2(cov, hrows, rdiag, nu, 3)
    bk[B_NIS_STAR] = d2
    verdict = judge(
        d2, p[P_CHI3], p[P_WCHI3], robust, bk[B_REJ_STAR], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_STAR, nu, 3, tol),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, hrows, rdiag, nu, 3)
        bk[B_REJ_STAR] = 0.0
        bk[B_T_STAR] = t
        bk[B_N_STAR_ACC] += 1.0
        return EV_STAR_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        for k in range(4):
            x[X_Q + k] = q_meas[k] if q_meas[0] >= 0.0 else -q_meas[k]
        e = np.zeros(3)
        for k in range(3):
            e[:] = 0.0
            e[k] = 1.0
            reset_direction(cov, E_TH, e, p[P_RI_ATT])
        bk[B_REJ_STAR] = 0.0
        bk[B_T_STAR] = t
        bk[B_N_REINIT_OTHER] += 1.0
        return EV_ATT_REINIT
    _note_rejection(bk, B_REJ_STAR, B_STREAK_STAR, nu, 3)
    bk[B_N_STAR_REJ] += 1.0
    return EV_STAR_REJECT


@njit(cache=True)
def _update_trn(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, trn: np.ndarray,
    t: float, theta: float, c: np.ndarray, robust: bool, dx: np.ndarray,
) -> int:
    xm, ym, h = trn_model(x, theta, c, p[P_RADIUS])
    nu = np.empty(2)
    nu[0] = trn[TRN_X] - xm
    nu[1] = trn[TRN_Y] - ym
    sig = max(trn[TRN_SIGMA] * p[P_TRN_SCALE], p[P_TRN_MIN])
    rdiag = np.empty(2)
    tol = np.empty(2)
    for k in range(2):
        rdiag[k] = sig * sig
        tol[k] = 6.0 * sig
    d2 = _vector_d2(cov, h, rdiag, nu, 2)
    bk[B_NIS_TRN] = d2
    verdict = judge(
        d2, p[P_CHI2], p[P_WCHI2], robust, bk[B_REJ_TRN], p[P_REJ_LIMIT],
        streak_consistent(bk, B_STREAK_TRN, nu, 2, tol),
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, h, rdiag, nu, 2)
        bk[B_REJ_TRN] = 0.0
        bk[B_T_TRN] = t
        bk[B_N_TRN_ACC] += 1.0
        return EV_TRN_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        # move the lander horizontally onto the fix at its current height
        r_mcmf = rot_mci_to_mcmf(x[X_R : X_R + 3], theta)
        _, _, hgt = mcmf_to_map(r_mcmf, c, p[P_RADIUS])
        r_new = rot_mcmf_to_mci(map_to_mcmf(trn[TRN_X], trn[TRN_Y], hgt, c, p[P_RADIUS]), theta)
        for k in range(3):
            x[X_R + k] = r_new[k]
        up = r_new / np.sqrt(np.sum(r_new * r_new))
        e1 = np.array([-up[1], up[0], 0.0])
        if np.sum(e1 * e1) < 1e-12:
            e1 = np.array([1.0, 0.0, 0.0])
        e1 /= np.sqrt(np.sum(e1 * e1))
        e2 = np.empty(3)
        e2[0] = up[1] * e1[2] - up[2] * e1[1]
        e2[1] = up[2] * e1[0] - up[0] * e1[2]
        e2[2] = up[0] * e1[1] - up[1] * e1[0]
        reset_direction(cov, E_R, e1, p[P_RI_HOR])
        reset_direction(cov, E_R, e2, p[P_RI_HOR])
        bk[B_REJ_TRN] = 0.0
        bk[B_T_TRN] = t
        bk[B_N_REINIT_OTHER] += 1.0
        return EV_HORIZ_REINIT
    _note_rejection(bk, B_REJ_TRN, B_STREAK_TRN, nu, 2)
    bk[B_N_TRN_REJ] += 1.0
    return EV_TRN_REJECT


@njit(cache=True)
def _solve3(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    det = (
        a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
        - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
        + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
    )
    out = np.zeros(3)
    if abs(det) < 1e-6:
        return out, False
    for k in range(3):
        m = a.copy()
        for i in range(3):
            m[i, k] = b[i]
        out[k] = (
            m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])
        ) / det
    return out, True


@njit(cache=True)
def _update_doppler_velocity(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, dop: np.ndarray,
    t: float, robust: bool, dx: np.ndarray,
) -> int:
    hrows = np.zeros((3, N_ERR))
    rdiag = np.empty(3)
    nu = np.empty(3)
    tol = np.empty(3)
    beams = np.empty(3, dtype=np.int64)
    lever = p[P_DOP_POS : P_DOP_POS + 3]
    m = 0
    for b in range(DOPPLER_BEAMS):
        if dop[DOP_VALID + b] < 0.5:
            continue
        pred = doppler_velocity_model(
            x, p[P_DOP_DIR + 3 * b : P_DOP_DIR + 3 * b + 3], lever, p[P_OMEGA], hrows[m]
        )
        meas = dop[DOP_VLOS + b]
        nu[m] = meas - pred
        sig = p[P_DOP_VSIG] + p[P_DOP_VFRAC] * abs(meas)
        rdiag[m] = sig * sig
        tol[m] = 6.0 * sig
        beams[m] = b
        m += 1
    if m == 0:
        return 0
    d2 = _vector_d2(cov, hrows, rdiag, nu, m)
    bk[B_NIS_DOPV] = d2
    gates = (p[P_CHI1], p[P_CHI2], p[P_CHI3])
    wides = (p[P_WCHI1], p[P_WCHI2], p[P_WCHI3])
    # a velocity re-init needs all three beams (the full relative velocity)
    consistent = m == 3 and streak_consistent(bk, B_STREAK_DOPV, nu, 3, tol)
    verdict = judge(
        d2, gates[m - 1], wides[m - 1], robust, bk[B_REJ_DOPV], p[P_REJ_LIMIT], consistent
    )
    if verdict == ACCEPT or verdict == ACCEPT_WIDE:
        _vector_apply(x, cov, dx, hrows, rdiag, nu, m)
        bk[B_REJ_DOPV] = 0.0
        bk[B_T_DOPV] = t
        bk[B_N_DOPV_ACC] += 1.0
        return EV_DOPV_ACCEPT | (EV_WIDE_ACCEPT if verdict == ACCEPT_WIDE else 0)
    if verdict == REINIT:
        # solve D v_rel = v_los - d.(lever velocity): the measured velocity relative to the surface
        dmat = np.empty((3, 3))
        rhs = np.empty(3)
        for k in range(3):
            for j in range(3):
                dmat[k, j] = hrows[k, E_V + j]
            rhs[k] = nu[k]
        dv, ok = _solve3(dmat, rhs)
        if ok:
            for j in range(3):
                x[X_V + j] += dv[j]
            e = np.zeros(3)
            for k in range(3):
                e[:] = 0.0
                e[k] = 1.0
                reset_direction(cov, E_V, e, p[P_RI_VEL])
            bk[B_REJ_DOPV] = 0.0
            bk[B_T_DOPV] = t
            bk[B_N_REINIT_OTHER] += 1.0
            return EV_VEL_REINIT
    _note_rejection(bk, B_REJ_DOPV, B_STREAK_DOPV, nu, m if m == 3 else 0)
    bk[B_N_DOPV_REJ] += 1.0
    return EV_DOPV_REJECT


@njit(cache=True)
def _naive_checks(
    bk: np.ndarray, p: np.ndarray, lrf: np.ndarray, dop: np.ndarray, lrf_ok: bool, dop_ok: bool
) -> int:
    """HAKUTO-R M1 fault logic: a range jump from the last accepted reading fails the sensor."""
    ev = 0
    thr = p[P_NAIVE_JUMP]
    if lrf_ok and bk[B_FAIL_LRF] < 0.5:
        for b in range(int(p[P_LRF_N])):
            if lrf[LRF_VALID + b] > 0.5 and naive_jump(
                bk[B_LAST_LRF + b], lrf[LRF_RANGE + b], thr
            ):
                bk[B_FAIL_LRF] = 1.0
                ev |= EV_LRF_FAILED
                break
    if dop_ok and bk[B_FAIL_DOP] < 0.5:
        for b in range(DOPPLER_BEAMS):
            if dop[DOP_VALID + b] > 0.5 and naive_jump(
                bk[B_LAST_DOPR + b], dop[DOP_RANGE + b], thr
            ):
                bk[B_FAIL_DOP] = 1.0
                ev |= EV_DOP_FAILED
                break
    return ev


@njit(cache=True)
def _update_ranges(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray,
    lrf: np.ndarray, dop: np.ndarray, use_lrf: bool, use_dop: bool,
    t: float, theta: float, c: np.ndarray,
    meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray,
    robust: bool, dx: np.ndarray,
) -> int:
    """Rangefinder beams and Doppler ranges: prediction, cross-check, gates, recovery.

    Robust extras: a beam repeating the same reading while the predicted range
    must have changed by more than its noise is excluded (stuck sensor); with
    three or more beams those far from the median implied height correction
    are excluded; past the rejection limit a unit is re-tested against the
    widened gate, then the height channel is re-initialised when another unit
    agrees with the implied correction (or, with no other unit, when the
    correction stayed the same within its noise over three times the limit)
    and the map has no relief nearby that a horizontal error could explain.
    """
    nmax = _MAX_BEAMS
    unit = np.empty(nmax, dtype=np.int64)  # 0 rangefinder, 1 Doppler
    beam = np.empty(nmax, dtype=np.int64)
    meas = np.empty(nmax)
    nu = np.empty(nmax)
    hs = np.empty((nmax, N_ERR))
    rv = np.empty(nmax)
    kup = np.empty(nmax)
    tolz = np.empty(nmax)
    sigz = np.empty(nmax)
    dz = np.empty(nmax)
    xh = np.empty(nmax)
    yh = np.empty(nmax)
    status = np.zeros(nmax, dtype=np.int64)  # 0 no prediction, 1 accepted, 2 rejected, 3 excluded
    d2s = np.full(nmax, -1.0)

    r = x[X_R : X_R + 3]
    rn = np.sqrt(np.sum(r * r))
    up = r / rn
    r_entry = r.copy()  # the height the ranges move this cycle
    t_fix_before = bk[B_T_RANGE]
    var_up = direction_variance(cov, E_R, up)
    sig_h = np.sqrt(max(cov[0, 0] + cov[1, 1] + cov[2, 2] - var_up, 0.0) * 0.5)
    r_mcmf = rot_mci_to_mcmf(r, theta)
    x_nad, y_nad, _ = mcmf_to_map(r_mcmf, c, p[P_RADIUS])
    spacing = map_spacing(meta, x_nad, y_nad)
    if robust:
        s_rel = max(spacing, min(p[P_RELIEF_K] * sig_h, p[P_RELIEF_MAX]))
    else:
        s_rel = spacing
    map_var = p[P_MAP_SIGMA] ** 2
    om = p[P_OMEGA]
    vrel = np.empty(3)
    vrel[0] = x[X_V] + om * r[1]
    vrel[1] = x[X_V + 1] - om * r[0]
    vrel[2] = x[X_V + 2]
    ev = 0

    n = 0
    for u in range(2):
        if u == 0:
            if not use_lrf:
                continue
            nb = int(p[P_LRF_N])
        else:
            if not use_dop:
                continue
            nb = DOPPLER_BEAMS
        for b in range(nb):
            if u == 0:
                valid = lrf[LRF_VALID + b] > 0.5
                z = lrf[LRF_RANGE + b]
                dirb = p[P_LRF_DIR + 3 * b : P_LRF_DIR + 3 * b + 3]
                lever = p[P_LRF_POS : P_LRF_POS + 3]
                sig = p[P_LRF_SIG] + p[P_LRF_FRAC] * z
            else:
                valid = dop[DOP_VALID + b] > 0.5
                z = dop[DOP_RANGE + b]
                dirb = p[P_DOP_DIR + 3 * b : P_DOP_DIR + 3 * b + 3]
                lever = p[P_DOP_POS : P_DOP_POS + 3]
                sig = p[P_DOP_RSIG] + p[P_DOP_RFRAC] * z
            if not valid or not z > 0.0:
                continue
            i_raw = (B_RAW_LRF if u == 0 else B_RAW_DOPR) + b
            i_frz = (B_FROZEN_LRF if u == 0 else B_FROZEN_DOPR) + b
            if abs(z - bk[i_raw]) <= 1e-9 * z:
                bk[i_frz] += 1.0
            else:
                bk[i_frz] = 0.0
            bk[i_raw] = z
            unit[n] = u
            beam[n] = b
            meas[n] = z
            rho, k_up, k_ter, relief, xhit, yhit, ok = range_model(
                x, dirb, lever, 2.0 * z + 1000.0 + 6.0 * np.sqrt(var_up), theta, c, p[P_RADIUS],
                meta, offsets, heights, s_rel, hs[n],
            )
            if ok and k_up > 1e-3:
                status[n] = 2
                # stuck sensor: identical readings while the range must have moved
                rate = abs(hs[n, 0] * vrel[0] + hs[n, 1] * vrel[1] + hs[n, 2] * vrel[2])
                if robust and bk[i_frz] >= 2.0 and rate * bk[i_frz] * p[P_DT] > 4.3 * sig:
                    status[n] = 3
                    ev |= EV_RANGE_FROZEN
                nu[n] = z - rho
                var = sig * sig + k_ter * k_ter * map_var
                if robust:
                    var += (k_ter * relief) ** 2
                rv[n] = var
                kup[n] = k_up
                dz[n] = nu[n] / k_up
                sigz[n] = sig / k_up
                ratio = k_ter / k_up
                tolz[n] = p[P_XC_TOL] + p[P_XC_FRAC] * z + 3.0 * ratio * (
                    relief + p[P_MAP_SIGMA]
                )
                xh[n] = xhit
                yh[n] = yhit
            n += 1
    if n == 0:
        return ev

    # robust cross-check: with three or more beams, drop those far from the median
    if robust:
        okmask = status == 2
        if np.sum(okmask[:n]) >= 3:
            med = median_masked(dz, okmask, n)
            for k in range(n):
                if status[k] == 2 and abs(dz[k] - med) > tolz[k]:
                    status[k] = 3
                    ev |= EV_CROSS_CHECK

    # gates, beams in order, sequential scalar updates
    for k in range(n):
        if status[k] != 2:
            continue
        res = residual(nu[k], hs[k], dx)
        s = innovation_variance(cov, hs[k], rv[k])
        d2 = res * res / s
        d2s[k] = d2
        if d2 < p[P_CHI1]:
            if robust:
                scalar_update_vertical(cov, dx, hs[k], res, rv[k], up)
            else:
                scalar_update(cov, dx, hs[k], res, rv[k])
            status[k] = 1

    # per-unit bookkeeping and robust recovery
    reinit_done = False
    for u in range(2):
        n_val = 0
        n_acc = 0
        n_rej = 0
        nis_sum = 0.0
        nis_n = 0
        for k in range(n):
            if unit[k] != u:
                continue
            n_val += 1
            if status[k] == 1:
                n_acc += 1
            else:
                n_rej += 1
            if d2s[k] >= 0.0:
                nis_sum += d2s[k]
                nis_n += 1
        if n_val == 0:
            continue
        i_cnt = B_REJ_LRF if u == 0 else B_REJ_DOPR
        i_streak = B_STREAK_DZ_LRF if u == 0 else B_STREAK_DZ_DOPR
        bk[B_NIS_LRF if u == 0 else B_NIS_DOPR] = nis_sum / nis_n if nis_n > 0 else -1.0
        if n_acc > 0:
            if bk[i_cnt] >= 1.0:
                ev |= EV_LRF_REACQUIRED if u == 0 else EV_DOPR_REACQUIRED
            bk[i_cnt] = 0.0
            bk[B_T_RANGE] = t
            if u == 0:
                bk[B_T_LRF] = t
            ev |= EV_LRF_ACCEPT if u == 0 else EV_DOPR_ACCEPT
        elif not reinit_done:
            ev |= EV_LRF_REJECT if u == 0 else EV_DOPR_REJECT
            rejmask = np.zeros(nmax, dtype=np.bool_)
            for k in range(n):
                rejmask[k] = unit[k] == u and status[k] == 2
            dz_c = median_masked(dz, rejmask, n)
            bk[i_cnt] += 1.0
            if bk[i_cnt] == 1.0:
                bk[i_streak] = dz_c
            if robust and bk[i_cnt] >= p[P_REJ_LIMIT] and np.any(rejmask):
                # 1) widened gate
                wide = 0
                for k in range(n):
                    if not rejmask[k]:
                        continue
                    res = residual(nu[k], hs[k], dx)
                    s = innovation_variance(cov, hs[k], rv[k])
                    if res * res / s < p[P_WCHI1]:
                        scalar_update_vertical(cov, dx, hs[k], res, rv[k], up)
                        status[k] = 1
                        wide += 1
                if wide > 0:
                    n_acc = wide
                    n_rej -= wide
                    bk[i_cnt] = 0.0
                    bk[B_T_RANGE] = t
                    if u == 0:
                        bk[B_T_LRF] = t
                    ev |= EV_WIDE_ACCEPT | (EV_LRF_ACCEPT if u == 0 else EV_DOPR_ACCEPT)
                else:
                    # 2) re-initialise the height channel if the evidence agrees
                    tol_c = 0.0
                    k_med = -1
                    best = 1e300
                    for k in range(n):
                        if rejmask[k]:
                            tol_c = max(tol_c, tolz[k])
                            if abs(dz[k] - dz_c) < best:
                                best = abs(dz[k] - dz_c)
                                k_med = k
                    other_ok = 0
                    other_agree = 0
                    other_filter = 0
                    for k in range(n):
                        if unit[k] == u or status[k] == 0 or status[k] == 3:
                            continue
                        other_ok += 1
                        if status[k] == 1:
                            other_filter += 1
                        elif abs(dz[k] - dz_c) <= max(tolz[k], tol_c):
                            other_agree += 1
                    if other_ok > 0:
                        agree = other_agree > 0 and other_agree > other_filter
                    else:
                        # alone: the same correction, within noise and the filter's own
                        # vertical drift, over three times the limit (a stuck or drifting
                        # sensor implies a correction that moves with the descent)
                        span = bk[i_cnt] * p[P_DT]
                        sig_vz = np.sqrt(max(direction_variance(cov, E_V, up), 0.0))
                        tol_t = 4.3 * sigz[k_med] + 3.0 * sig_vz * span + 1.0
                        if abs(dz_c - bk[i_streak]) > tol_t:
                            # the correction moved (a wall under the beam, a drifting
                            # sensor): start the consistency window again from here
                            bk[i_streak] = dz_c
                            bk[i_cnt] = p[P_REJ_LIMIT]
                        agree = (
                            bk[i_cnt] >= 3.0 * p[P_REJ_LIMIT]
                            and abs(dz_c - bk[i_streak]) <= tol_t
                        )
                    if agree:
                        radius = 3.0 * sig_h + spacing
                        relief = neighbourhood_relief(
                            meta, offsets, heights, xh[k_med], yh[k_med], radius
                        )
                        if relief >= 0.5 * abs(dz_c):
                            ev |= EV_MAP_AMBIGUOUS
                        else:
                            inject(x, dx)
                            for j in range(3):
                                x[X_R + j] += dz_c * up[j]
                            reset_direction(cov, E_R, up, p[P_RI_H])
                            inflate_direction(cov, E_V, up, p[P_RI_VZ])
                            bk[B_REJ_LRF] = 0.0
                            bk[B_REJ_DOPR] = 0.0
                            bk[B_T_RANGE] = t
                            if u == 0:
                                bk[B_T_LRF] = t
                            bk[B_N_REINIT_H] += 1.0
                            ev |= EV_HEIGHT_REINIT
                            reinit_done = True
        # last accepted readings (the naive jump test compares against them)
        for k in range(n):
            if unit[k] == u and status[k] == 1:
                if u == 0:
                    bk[B_LAST_LRF + beam[k]] = meas[k]
                else:
                    bk[B_LAST_DOPR + beam[k]] = meas[k]
        if u == 0:
            bk[B_N_LRF_ACC] += n_acc
            bk[B_N_LRF_REJ] += n_rej
        else:
            bk[B_N_DOPR_ACC] += n_acc
            bk[B_N_DOPR_REJ] += n_rej
    inject(x, dx)
    if bk[B_T_RANGE] == t and robust:
        # the height is fixed this cycle
        dh = 0.0
        for k in range(3):
            dh += (x[X_R + k] - r_entry[k]) * up[k]
        if t - t_fix_before > p[P_RANGE_TIMEOUT]:
            r_h = np.inf  # height-equivalent noise of the best beam used
            for k in range(n):
                if status[k] == 1 or status[k] == 2:
                    r_h = min(r_h, rv[k] / (kup[k] * kup[k]))
            if np.isfinite(r_h):
                ev |= _blind_arc_consequences(x, cov, bk, dh, up, var_up + r_h)
        elif ev & (EV_WIDE_ACCEPT | EV_HEIGHT_REINIT):
            ev |= _withdraw_blind_arc(x, bk, dh)
    if bk[B_T_RANGE] == t:
        _reset_height_sensitivity(x, cov, bk)
    return ev


@njit(cache=True)
def _reset_height_sensitivity(x: np.ndarray, cov: np.ndarray, bk: np.ndarray) -> None:
    """Start the height-fix sensitivity ``x[X_S:X_S+6]`` afresh at a height fix."""
    r = x[X_R : X_R + 3]
    up = r / np.sqrt(np.sum(r * r))
    for k in range(3):
        x[X_S + k] = up[k]
        x[X_S + 3 + k] = 0.0
    bk[B_FIX_VAR] = direction_variance(cov, E_R, up)


@njit(cache=True)
def _blind_arc_consequences(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, dh: float, up: np.ndarray, s_height: float
) -> int:
    """Remove the horizontal consequences of a height error found after a blind arc.

    A height error that no range saw over the arc since the last height fix
    (Resilience: from the orbit-determination estimate on) has fed the
    horizontal position and velocity through the gravity gradient over the
    curved, rotating trajectory; a range update corrects only the height
    channel (consider update), so those consequences would stay. The
    sensitivity ``x[X_S:X_S+6]`` (the error that a unit height error at the
    fix has grown into, ``s_up`` of it along the vertical now) scales them.

    The height correction ``dh`` (m, along ``up``) the ranges just made is
    attributed to a height error at the fix in the proportion a scalar Kalman
    estimate gives, with that error's variance taken from the evidence when it
    exceeds the belief: ``g = a / (a + o)``, ``a = max(var_fix s_up^2, dh^2 - o)``,
    ``o`` the rest of the innovation variance ``s_height`` (covariance, range
    noise, map and relief terms). Each part is bounded by 3 sigma of the
    filter's own horizontal uncertainty. The correction applied is kept in
    ``x[X_C:X_C+6]`` (propagated like the sensitivity) with the height part it
    was drawn from in ``B_BLIND_DH``, so that a later re-anchoring that
    contradicts that height can withdraw it (:func:`_withdraw_blind_arc`).
    Returns ``EV_BLIND_ARC`` when a correction was applied.
    """
    s_up = 0.0
    for k in range(3):
        s_up += x[X_S + k] * up[k]
    if s_up < 0.5 or dh == 0.0:
        return 0
    prior = bk[B_FIX_VAR] * s_up * s_up
    other = max(s_height - prior, 0.0)
    a = max(prior, dh * dh - other)
    g = a / (a + other) if a + other > 0.0 else 0.0
    eps = g * dh / s_up
    for part in range(2):
        base = X_S + 3 * part
        ebase = E_R + 3 * part  # E_V = E_R + 3
        along = 0.0
        for k in range(3):
            along += x[base + k] * up[k]
        corr = np.empty(3)
        for k in range(3):
            corr[k] = eps * (x[base + k] - along * up[k])
        cn = np.sqrt(np.sum(corr * corr))
        if cn == 0.0:
            continue
        var_h = max(
            cov[ebase, ebase] + cov[ebase + 1, ebase + 1] + cov[ebase + 2, ebase + 2]
            - direction_variance(cov, ebase, up),
            0.0,
        )
        f = min(1.0, 3.0 * np.sqrt(0.5 * var_h) / cn)
        for k in range(3):
            x[X_R + 3 * part + k] += f * corr[k]
            x[X_C + 3 * part + k] += f * corr[k]
    bk[B_BLIND_DH] += g * dh
    return EV_BLIND_ARC


@njit(cache=True)
def _withdraw_blind_arc(x: np.ndarray, bk: np.ndarray, dh: float) -> int:
    """Take back the blind-arc correction when a re-anchoring contradicts it.

    A height re-anchored after a rejection streak (widened gate or
    re-initialisation) by ``dh`` opposite to the height correction a blind-arc
    correction was drawn from shows that the ranges' reference, not the
    initial height, made that correction (a flat or wrong map over relief,
    HAKUTO-R M1): the fraction ``min(1, -dh / B_BLIND_DH)`` of the correction,
    as propagated to now, is removed. Returns ``EV_BLIND_ARC_WITHDRAWN``.
    """
    d0 = bk[B_BLIND_DH]
    if d0 == 0.0 or dh * d0 >= 0.0:
        return 0
    frac = min(1.0, -dh / d0)
    for k in range(6):
        x[X_R + k] -= frac * x[X_C + k]  # X_V = X_R + 3
        x[X_C + k] *= 1.0 - frac
    bk[B_BLIND_DH] = d0 * (1.0 - frac)
    return EV_BLIND_ARC_WITHDRAWN


@njit(cache=True)
def _monitor(
    x: np.ndarray, cov: np.ndarray, bk: np.ndarray, p: np.ndarray, t: float, theta: float,
    c: np.ndarray, meta: np.ndarray, offsets: np.ndarray, heights: np.ndarray, robust: bool,
) -> int:
    """Altitude above the onboard map, its sigma, and the expected-measurement monitor."""
    ev = 0
    r = x[X_R : X_R + 3]
    up = r / np.sqrt(np.sum(r * r))
    r_mcmf = rot_mci_to_mcmf(r, theta)
    alt = altitude_above_terrain(r_mcmf, c, p[P_RADIUS], meta, offsets, heights)
    sig_alt = np.sqrt(max(direction_variance(cov, E_R, up), 0.0) + p[P_MAP_SIGMA] ** 2)
    bk[B_ALT_EST] = alt
    bk[B_ALT_SIGMA] = sig_alt
    bk[B_VZ_SIGMA] = np.sqrt(max(direction_variance(cov, E_V, up), 0.0))
    range_fitted = p[P_LRF_N] > 0.0 or p[P_DOP_FITTED] > 0.5
    range_missing = False
    if range_fitted and alt < p[P_RANGE_BELOW]:
        if bk[B_T_EXPECT_RANGE] <= NEVER:
            bk[B_T_EXPECT_RANGE] = t
        if t - max(bk[B_T_RANGE], bk[B_T_EXPECT_RANGE]) > p[P_RANGE_TIMEOUT]:
            range_missing = True
            ev |= EV_RANGE_MISSING
    vel_missing = False
    if p[P_DOP_FITTED] > 0.5 and alt < p[P_VEL_BELOW]:
        if bk[B_T_EXPECT_VEL] <= NEVER:
            bk[B_T_EXPECT_VEL] = t
        if t - max(bk[B_T_DOPV], bk[B_T_EXPECT_VEL]) > p[P_VEL_TIMEOUT]:
            vel_missing = True
            ev |= EV_VEL_MISSING
    if robust:
        limit = p[P_TRUST_SIG] + p[P_TRUST_FRAC] * max(alt, 0.0)
        trusted = (not range_missing) and sig_alt <= limit
        bk[B_ALT_TRUSTED] = 1.0 if trusted else 0.0
        bk[B_VEL_TRUSTED] = 0.0 if vel_missing else 1.0
        if not trusted:
            ev |= EV_ALT_UNTRUSTED
    else:
        bk[B_ALT_TRUSTED] = 1.0
        bk[B_VEL_TRUSTED] = 1.0
    return ev


@njit(cache=True)
def nav_output(x: np.ndarray, p: np.ndarray, nav_out: np.ndarray) -> None:
    """Write the interface navigation row (``surefoot.fsw.interfaces``) from the state.

    ``r_enu``: site ENU, origin on the reference sphere below the site, m;
    ``v_enu``: velocity relative to the rotating surface, m/s;
    ``q_body_to_enu``; ``omega_body``: bias-corrected inertial rate, rad/s.
    """
    t = x[X_T]
    theta = p[P_OMEGA] * t
    c = p[P_C : P_C + 9].reshape(3, 3)
    r = x[X_R : X_R + 3]
    om = p[P_OMEGA]
    r_f = rot_mci_to_mcmf(r, theta)
    vrel = np.empty(3)
    vrel[0] = x[X_V] + om * r[1]
    vrel[1] = x[X_V + 1] - om * r[0]
    vrel[2] = x[X_V + 2]
    v_f = rot_mci_to_mcmf(vrel, theta)
    nav_out[NAV_T] = t
    for i in range(3):
        nav_out[NAV_R + i] = c[i, 0] * r_f[0] + c[i, 1] * r_f[1] + c[i, 2] * r_f[2]
        nav_out[NAV_V + i] = c[i, 0] * v_f[0] + c[i, 1] * v_f[1] + c[i, 2] * v_f[2]
        nav_out[NAV_W + i] = x[X_W + i]
    nav_out[NAV_R + 2] -= p[P_RADIUS]
    q_mci_to_mcmf = np.array([np.cos(-0.5 * theta), 0.0, 0.0, np.sin(-0.5 * theta)])
    q = quat_mul(p[P_QENU : P_QENU + 4], quat_mul(q_mci_to_mcmf, x[X_Q : X_Q + 4]))
    if q[0] < 0.0:
        q = -q
    for k in range(4):
        nav_out[NAV_Q + k] = q[k]
    ok = x[X_INIT] > 0.5
    for k in range(N_NAV):
        if not np.isfinite(nav_out[k]):
            ok = False
    nav_out[NAV_VALID] = 1.0 if ok else 0.0


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
    """
    ev = 0
    dv = np.empty(3)
    dth = np.empty(3)
    elapsed = t - x[X_T]
    if imu[IMU_VALID] > 0.5 and imu[IMU_DT] > 0.0:
        dt = imu[IMU_DT]
        for k in range(3):
            dv[k] = imu[IMU_DV + k]
            dth[k] = imu[IMU_DTHETA + k]
        propagate(x, cov, p, dv, dth, dt)
    elif elapsed > 0.0:
        for k in range(3):
            dv[k] = (x[X_F + k] + x[X_BA + k]) * elapsed
            dth[k] = (x[X_W + k] + x[X_BG + k]) * elapsed
        propagate(x, cov, p, dv, dth, elapsed)
        # thrust and rates may change while we are blind: 10 % of the coasted increment
        f = np.sqrt(np.sum(dv * dv))
        w = np.sqrt(np.sum(dth * dth))
        for k in range(3):
            cov[E_V + k, E_V + k] += (0.1 * f) ** 2
            cov[E_TH + k, E_TH + k] += (0.1 * w) ** 2
        ev |= EV_IMU_MISSING
    x[X_T] = t
    theta = p[P_OMEGA] * t
    c = p[P_C : P_C + 9].reshape(3, 3)
    robust = p[P_ROBUST] > 0.5
    max_age = p[P_MAX_AGE]
    dx = np.zeros(N_ERR)
    bk[B_NIS_STAR] = -1.0
    bk[B_NIS_TRN] = -1.0
    bk[B_NIS_DOPV] = -1.0
    bk[B_NIS_LRF] = -1.0
    bk[B_NIS_DOPR] = -1.0

    if star[STAR_VALID] > 0.5 and abs(star[STAR_T] - t) <= max_age:
        ev |= _update_star(x, cov, bk, p, star, t, robust, dx)
    if trn[TRN_VALID] > 0.5 and abs(trn[TRN_T] - t) <= max_age:
        ev |= _update_trn(x, cov, bk, p, trn, t, theta, c, robust, dx)
    lrf_fresh = p[P_LRF_N] > 0.0 and abs(lrf[LRF_T] - t) <= max_age
    dop_fresh = p[P_DOP_FITTED] > 0.5 and abs(dop[DOP_T] - t) <= max_age
    if not robust:
        ev |= _naive_checks(bk, p, lrf, dop, lrf_fresh, dop_fresh)
    use_lrf = lrf_fresh and bk[B_FAIL_LRF] < 0.5
    use_dop = dop_fresh and bk[B_FAIL_DOP] < 0.5
    if use_dop:
        ev |= _update_doppler_velocity(x, cov, bk, p, dop, t, robust, dx)
    if use_lrf or use_dop:
        ev |= _update_ranges(
            x, cov, bk, p, lrf, dop, use_lrf, use_dop, t, theta, c,
            meta, offsets, heights, robust, dx,
        )
    symmetrize(cov)
    ev |= _monitor(x, cov, bk, p, t, theta, c, meta, offsets, heights, robust)
    bk[B_EVENTS] = float(ev)
    bk[B_EVENTS_ALL] = float(int(bk[B_EVENTS_ALL]) | ev)
    nav_output(x, p, nav_out)
    nav_out[NAV_ALT_TRUSTED] = bk[B_ALT_TRUSTED]
    nav_out[NAV_ALT_SIGMA] = bk[B_ALT_SIGMA]
    nav_out[NAV_VEL_TRUSTED] = bk[B_VEL_TRUSTED]
