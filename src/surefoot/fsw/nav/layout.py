"""Row layouts of the navigation filter: state, error state, bookkeeping, parameters.

One lander's filter is four float arrays:

- state row ``(N_X,)``: the nominal (whole-value) estimate;
- covariance ``(N_ERR, N_ERR)`` of the 15-element error state;
- bookkeeping row ``(N_B,)``: rejection counters, failed flags, last-accepted
  times, event bits and the altitude-trust outputs guidance consumes;
- parameter row ``(N_P,)``: built once by :func:`surefoot.fsw.nav.params.nav_params`.

Frames: ``mci`` (Moon-centred inertial, equal to MCMF at t = 0), ``body``
(thrust along +z). Times in seconds since scenario start, SI units.
"""

from __future__ import annotations

from surefoot.fsw.nav.measurements import DOPPLER_BEAMS, MAX_LRF_BEAMS

N_BEAMS_MAX = MAX_LRF_BEAMS + DOPPLER_BEAMS  # range beams of one cycle (rangefinder, Doppler)

# --- nominal state row -----------------------------------------------------
X_T = 0  # time of the estimate, s
X_R = 1  # 3: position, MCI, m
X_V = 4  # 3: velocity, MCI (inertial), m/s
X_Q = 7  # 4: q_body_to_mci, scalar first
X_BA = 11  # 3: accelerometer bias, body, m/s^2
X_BG = 14  # 3: gyro bias, body, rad/s
X_W = 17  # 3: last bias-corrected angular rate, body, rad/s
X_F = 20  # 3: last bias-corrected specific force, body, m/s^2
X_INIT = 23  # 1.0 once initialised
X_S = 24  # 6: position (m) and velocity (m/s) error, MCI, that a unit height error at the
# last height fix (a range, or the initial estimate) has grown into along the
# flown trajectory; robust re-anchoring after a blind arc removes its consequences
X_C = 30  # 6: the blind-arc correction applied to position and velocity, MCI, propagated
N_X = 36

# --- error state (covariance indices) --------------------------------------
# position error (MCI, m), velocity error (MCI, m/s), attitude error (small
# rotation in MCI, rad: q_true = dq(dtheta) * q_est), accelerometer bias error
# (body, m/s^2), gyro bias error (body, rad/s). Errors are true minus estimate.
E_R = 0
E_V = 3
E_TH = 6
E_BA = 9
E_BG = 12
N_ERR = 15

# --- bookkeeping row ---------------------------------------------------------
B_EVENTS = 0  # event bits of the last cycle (EV_*), stored as a float
B_EVENTS_ALL = 1  # OR of every cycle's event bits since start
B_ALT_TRUSTED = 2  # 1.0 when guidance may trust the altitude (robust monitor; naive: always 1)
B_ALT_SIGMA = 3  # 1-sigma of the altitude above the onboard map, m (covariance + map)
B_ALT_EST = 4  # estimated height above the onboard map along the local vertical, m
B_VEL_TRUSTED = 5  # 1.0 when the velocity is trusted (robust monitor; naive: always 1)
B_VZ_SIGMA = 6  # 1-sigma of the vertical velocity, m/s
B_FAIL_LRF = 7  # naive: 1.0 once the rangefinder was declared failed
B_FAIL_DOP = 8  # naive: 1.0 once the Doppler lidar was declared failed
B_REJ_LRF = 9  # consecutive cycles with every rangefinder beam rejected
B_REJ_DOPR = 10  # same, Doppler ranges
B_REJ_DOPV = 11  # same, Doppler line-of-sight velocities
B_REJ_TRN = 12  # same, TRN fixes
B_REJ_STAR = 13  # same, star tracker
B_T_LRF = 14  # time of the last accepted rangefinder range, s (-1e9: never)
B_T_RANGE = 15  # time of the last accepted range of any sensor (or height re-init), s
B_T_DOPV = 16  # time of the last accepted Doppler velocity, s
B_T_TRN = 17  # time of the last accepted TRN fix, s
B_T_STAR = 18  # time of the last accepted star-tracker attitude, s
B_LAST_LRF = 19  # 4: last accepted range per rangefinder beam, m (-1: none)
B_LAST_DOPR = 23  # 3: last accepted range per Doppler beam, m (-1: none)
B_T_EXPECT_RANGE = 26  # when the altitude first fell below range_expected_below_m, s
B_T_EXPECT_VEL = 27  # when it first fell below velocity_expected_below_m, s
B_STREAK_DZ_LRF = 28  # height correction implied at the start of the rangefinder streak, m
B_STREAK_TRN = 29  # 2: TRN innovation at the start of its rejection streak, m
B_STREAK_DOPV = 31  # 3: Doppler velocity innovations at the start of the streak, m/s
B_STREAK_STAR = 34  # 3: star-tracker innovation at the start of the streak, rad
B_N_REINIT_H = 37  # number of height-channel re-initialisations
B_N_LRF_ACC = 38  # accepted rangefinder beam measurements (count)
B_N_LRF_REJ = 39  # rejected rangefinder beam measurements
B_N_DOPR_ACC = 40
B_N_DOPR_REJ = 41
B_N_DOPV_ACC = 42
B_N_DOPV_REJ = 43
B_N_TRN_ACC = 44
B_N_TRN_REJ = 45
B_N_STAR_ACC = 46
B_N_STAR_REJ = 47
B_NIS_LRF = 48  # mean normalised innovation squared of this cycle's rangefinder beams (-1: none)
B_NIS_DOPV = 49
B_NIS_TRN = 50
B_NIS_STAR = 51
B_NIS_DOPR = 52
B_STREAK_DZ_DOPR = 53  # height correction implied at the start of the Doppler-range streak, m
B_N_REINIT_OTHER = 54  # re-initialisations of the horizontal, velocity or attitude channel
B_RAW_LRF = 55  # 4: last reading per rangefinder beam, accepted or not, m (-1: none)
B_RAW_DOPR = 59  # 3: last reading per Doppler range beam, m (-1: none)
B_FROZEN_LRF = 62  # 4: consecutive identical readings per rangefinder beam (stuck detector)
B_FROZEN_DOPR = 66  # 3: same, Doppler range beams
B_FIX_VAR = 69  # variance of the height at the last height fix (X_S starts there), m^2
B_BLIND_DH = 70  # height correction the blind-arc correction X_C was drawn from, m (0: none)
B_VH_SIGMA = 71  # 1-sigma of the horizontal velocity (per axis, RMS of the two), m/s
B_RH_SIGMA = 72  # 1-sigma of the horizontal position (per axis, RMS of the two), m
B_T_LRF_FAILED = 73  # naive: when the rangefinder was declared failed, s (NEVER: not)
B_T_DOP_FAILED = 74  # naive: when the Doppler lidar was declared failed, s (NEVER: not)
B_UNTRUSTED_S = 75  # total time the height was not trusted, s
B_T_UNTRUSTED_FIRST = 76  # start of the first untrusted span, s (NEVER: none)
B_T_UNTRUSTED_LAST = 77  # end of the latest untrusted span so far, s (NEVER: none)
B_COAST_T = 78  # time the filter has coasted without IMU data in this outage, s
N_B = 79

NEVER = -1.0e9  # "time" of an event that has not happened

# --- event bits (B_EVENTS) ----------------------------------------------------
# Raised in both modes (the monitor's RANGE_MISSING / VEL_MISSING too, for
# analysis); only ``robust`` acts on them: a naive filter keeps B_ALT_TRUSTED
# and B_VEL_TRUSTED at 1, as the flight software of M1 and Resilience did.
EV_LRF_ACCEPT = 1 << 0
EV_LRF_REJECT = 1 << 1
EV_LRF_FAILED = 1 << 2  # naive: rangefinder declared failed this cycle (ignored from now on)
EV_LRF_REACQUIRED = 1 << 3  # a rangefinder range accepted after one or more rejected cycles
EV_DOPR_ACCEPT = 1 << 4
EV_DOPR_REJECT = 1 << 5
EV_DOP_FAILED = 1 << 6  # naive: Doppler lidar declared failed this cycle
EV_DOPV_ACCEPT = 1 << 7
EV_DOPV_REJECT = 1 << 8
EV_TRN_ACCEPT = 1 << 9
EV_TRN_REJECT = 1 << 10
EV_STAR_ACCEPT = 1 << 11
EV_STAR_REJECT = 1 << 12
EV_WIDE_ACCEPT = 1 << 13  # robust: accepted by the widened gate after a rejection streak
EV_HEIGHT_REINIT = 1 << 14  # robust: height channel re-initialised from the ranges
EV_HORIZ_REINIT = 1 << 15  # robust: horizontal position re-initialised from TRN
EV_VEL_REINIT = 1 << 16  # robust: velocity re-initialised from the Doppler lidar
EV_ATT_REINIT = 1 << 17  # robust: attitude re-initialised from the star tracker
EV_CROSS_CHECK = 1 << 18  # robust: a range beam excluded by the cross-check
EV_MAP_AMBIGUOUS = 1 << 19  # robust: a height re-init withheld, map relief could explain it
EV_RANGE_MISSING = 1 << 20  # expected ranges did not arrive (Resilience)
EV_VEL_MISSING = 1 << 21  # expected Doppler velocities did not arrive
EV_IMU_MISSING = 1 << 22  # no IMU increments this cycle (propagated on the last ones)
EV_ALT_UNTRUSTED = 1 << 23  # B_ALT_TRUSTED is 0 this cycle
EV_DOPR_REACQUIRED = 1 << 24
EV_RANGE_FROZEN = 1 << 25  # robust: a range beam repeating one value while the range must change
EV_BLIND_ARC = 1 << 26  # robust: consequences of a height error found after a blind arc removed
EV_BLIND_ARC_WITHDRAWN = 1 << 27  # robust: that correction taken back (contradicted later)

EVENT_NAMES = (
    "lrf_accept",
    "lrf_reject",
    "lrf_failed",
    "lrf_reacquired",
    "doppler_range_accept",
    "doppler_range_reject",
    "doppler_failed",
    "doppler_velocity_accept",
    "doppler_velocity_reject",
    "trn_accept",
    "trn_reject",
    "star_accept",
    "star_reject",
    "wide_gate_accept",
    "height_reinit",
    "horizontal_reinit",
    "velocity_reinit",
    "attitude_reinit",
    "cross_check_exclusion",
    "map_ambiguous",
    "range_missing",
    "velocity_missing",
    "imu_missing",
    "altitude_untrusted",
    "doppler_range_reacquired",
    "range_frozen",
    "blind_arc_correction",
    "blind_arc_withdrawn",
)

# --- parameter row -----------------------------------------------------------
P_GM = 0  # m^3/s^2, flight software's Moon
P_RADIUS = 1  # reference sphere radius, m (map heights are above it)
P_OMEGA = 2  # Moon rotation rate, rad/s
P_C = 3  # 9: C_enu_mcmf row-major (rows east, north, up of the site in MCMF)
P_QENU = 12  # 4: q_mcmf_to_enu
P_DT = 16  # flight-software cycle, s (used when the IMU row is missing)
P_ROBUST = 17  # 1.0 robust, 0.0 naive
P_Q_VRW = 18  # white velocity noise PSD, m^2/s^3 (IMU + unmodelled acceleration)
P_Q_ARW = 19  # white attitude noise PSD, rad^2/s
P_Q_BA = 20  # accelerometer bias random-walk PSD, (m/s^2)^2/s
P_Q_BG = 21  # gyro bias random-walk PSD, (rad/s)^2/s
P_SF_A = 22  # accelerometer scale factor, dimensionless
P_SF_G = 23  # gyro scale factor, dimensionless
P_INIT_POS = 24  # initial 1-sigma: m
P_INIT_VEL = 25  # m/s
P_INIT_ATT = 26  # rad
P_INIT_BA = 27  # m/s^2
P_INIT_BG = 28  # rad/s
P_STAR_SIG = 29  # 3: 1-sigma about the sensor x, y, z (boresight) axes, rad
P_STAR_AXES = 32  # 9: C_body_sensor row-major (columns: sensor axes in body)
P_LRF_N = 41  # number of rangefinder beams (0..4)
P_LRF_DIR = 42  # 12: unit beam directions, body
P_LRF_POS = 54  # 3: rangefinder position, body, m
P_LRF_SIG = 57  # m
P_LRF_FRAC = 58  # of range
P_LRF_MAX = 59  # m
P_DOP_FITTED = 60  # 1.0 when a Doppler lidar is fitted
P_DOP_DIR = 61  # 9: unit beam directions, body
P_DOP_POS = 70  # 3: body, m
P_DOP_VSIG = 73  # m/s
P_DOP_VFRAC = 74
P_DOP_RSIG = 75  # m
P_DOP_RFRAC = 76
P_DOP_MAX = 77  # m
P_TRN_SCALE = 78
P_TRN_MIN = 79  # m
P_CHI1 = 80  # chi-square gate, 1 degree of freedom
P_CHI2 = 81  # 2 dof
P_CHI3 = 82  # 3 dof
P_WCHI1 = 83  # widened gate, 1 dof
P_WCHI2 = 84
P_WCHI3 = 85
P_NAIVE_JUMP = 86  # m
P_REJ_LIMIT = 87  # cycles
P_RI_H = 88  # re-init sigmas: height m
P_RI_VZ = 89  # vertical velocity m/s
P_RI_HOR = 90  # horizontal m
P_RI_VEL = 91  # velocity m/s
P_RI_ATT = 92  # attitude rad
P_XC_TOL = 93  # cross-check tolerance, m
P_XC_FRAC = 94  # of range
P_RELIEF_K = 95  # relief sampling offset, multiples of the horizontal 1-sigma
P_RELIEF_MAX = 96  # m
P_MAX_AGE = 97  # s
P_RANGE_BELOW = 98  # m
P_RANGE_TIMEOUT = 99  # s
P_VEL_BELOW = 100  # m
P_VEL_TIMEOUT = 101  # s
P_TRUST_SIG = 102  # m
P_TRUST_FRAC = 103
P_MAP_SIGMA = 104  # believed 1-sigma of the onboard map heights, m
P_J2 = 105  # flight software's J2 (0: point mass)
P_J2_R = 106  # its reference radius, m
P_MAP_NU1 = 107  # relief the map does not hold: 1-sigma at 1 km from the site, m (0: none)
P_MAP_HURST = 108  # its growth with distance, (d / 1 km) ** H
P_COAST_ALPHA = 109  # angular acceleration the attitude control can command (design), rad/s^2
N_P = 110

# --- scratch of one cycle ------------------------------------------------------
# ``(N_W, N_ERR)`` floats made once by the caller of ``nav_step`` (``ekf.nav_work``)
# and reused every cycle, so that the cycle allocates no array; rows:
W_PHI = 0  # N_ERR rows: the transition matrix Phi of the cycle
W_PP = 15  # N_ERR + 1 rows: Phi P, then the sums of (Phi P) Phi^T of one column
W_H = 31  # 3 rows: sensitivity rows of a vector measurement (star, TRN, Doppler velocities)
W_NU = 34  # its innovations (first m columns)
W_RV = 35  # its noise variances
W_TOL = 36  # its streak tolerances
W_A = 37  # P h of a scalar update
W_K = 38  # gain of a vertical-only scalar update
W_DX = 39  # the error-state correction accumulated over the cycle
W_HS = 40  # N_BEAMS_MAX rows: sensitivity rows of this cycle's range beams
W_BT = W_HS + N_BEAMS_MAX  # N_BEAMS_MAX rows: their beam table (range_beams.BT_*)
W_UP = W_BT + N_BEAMS_MAX  # unit local vertical at the lander, MCI (first 3 columns)
W_R0 = W_UP + 1  # position before the range updates, MCI, m (first 3 columns)
W_VREL = W_R0 + 1  # velocity relative to the surface, MCI, m/s (first 3 columns)
W_MED = W_VREL + 1  # the values a median sorts
N_W = W_MED + 1
