"""Building the navigation filter: its parameter row and its initial rows.

:func:`nav_params` turns the flight software's configuration (its own Moon,
filter tuning, sensor mounting, gates) into the parameter row ``(N_P,)``
(layout ``layout.P_*``); :func:`nav_init` turns an initial estimate into the
state, covariance and bookkeeping rows. Plain Python, run once per landing.
"""

from __future__ import annotations

import numpy as np

from surefoot.config.schema import FswConfig
from surefoot.fsw.nav.gating import (
    chi2_thresholds,
)
from surefoot.fsw.nav.layout import (
    B_ALT_TRUSTED,
    B_FIX_VAR,
    B_LAST_DOPR,
    B_LAST_LRF,
    B_NIS_DOPR,
    B_NIS_DOPV,
    B_NIS_LRF,
    B_NIS_STAR,
    B_NIS_TRN,
    B_RAW_DOPR,
    B_RAW_LRF,
    B_T_DOP_FAILED,
    B_T_DOPV,
    B_T_EXPECT_RANGE,
    B_T_EXPECT_VEL,
    B_T_LRF,
    B_T_LRF_FAILED,
    B_T_RANGE,
    B_T_STAR,
    B_T_TRN,
    B_T_UNTRUSTED_FIRST,
    B_T_UNTRUSTED_LAST,
    B_VEL_TRUSTED,
    N_B,
    N_P,
    N_X,
    NEVER,
    P_C,
    P_CHI1,
    P_CHI2,
    P_CHI3,
    P_COAST_ALPHA,
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
    P_MAP_HURST,
    P_MAP_NU1,
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
    X_INIT,
    X_Q,
    X_R,
    X_S,
    X_T,
    X_V,
)
from surefoot.fsw.nav.measurements import (
    DOPPLER_BEAMS,
    MAX_LRF_BEAMS,
)
from surefoot.math.frames import (
    enu_basis_mcmf,
)
from surefoot.math.quaternion import dcm_to_quat

_ARCSEC = np.pi / (180.0 * 3600.0)

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
    p[P_MAP_NU1] = nav.map.unmodelled_relief_1km_m
    p[P_MAP_HURST] = nav.map.unmodelled_relief_hurst
    # the slowest axis's full-torque angular acceleration of the dry vehicle (design
    # values): how fast the attitude can change unseen while the IMU is out
    # (none without a design vehicle: coasting then inflates as before)
    v = fsw.vehicle
    if v is not None:
        p[P_COAST_ALPHA] = min(
            t / i for t, i in zip(v.max_torque_n_m, v.inertia_dry_kg_m2, strict=True)
        )
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
    for i in (B_T_LRF, B_T_RANGE, B_T_DOPV, B_T_TRN, B_T_STAR, B_T_EXPECT_RANGE, B_T_EXPECT_VEL,
              B_T_LRF_FAILED, B_T_DOP_FAILED, B_T_UNTRUSTED_FIRST, B_T_UNTRUSTED_LAST):
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
