"""Measurement rows the sensors deliver to navigation (fsw owns these types).

Each sensor fills one row per flight-software cycle for each lander; a
sensor with nothing new sets its ``valid`` flags to 0. Times are seconds
since scenario start. Frames: ``body`` (lander body axes, thrust along +z),
``mci`` (Moon-centred inertial, equal to Moon-fixed at t = 0, z the spin
axis).

IMU row ``(N_IMU,)``: increments accumulated over the cycle from samples at
the IMU's own rate (errors applied per sample):
    t, dv_body (3, m/s: integral of specific force), dtheta_body (3, rad),
    dt (s, accumulation interval), valid.

Star tracker row ``(N_STAR,)``: t, q_body_to_mci (4, scalar first), valid.

Laser rangefinder row ``(N_LRF,)``: up to ``MAX_LRF_BEAMS`` beams fixed in the
body frame (their directions are in the flight software's configuration):
    t, range_m[MAX_LRF_BEAMS], valid[MAX_LRF_BEAMS].

Doppler lidar row ``(N_DOPPLER,)``: three beams fixed in the body frame:
    t, v_los_m_s[3] (velocity relative to the surface along each beam, positive
    away from the lander), range_m[3], valid[3].

Terrain-relative navigation camera row ``(N_TRN,)``: a horizontal position
fix in the site map frame:
    t, x_east_m, y_north_m, sigma_m (1-sigma per axis), valid.
"""

from __future__ import annotations

IMU_T = 0
IMU_DV = 1  # 3
IMU_DTHETA = 4  # 3
IMU_DT = 7
IMU_VALID = 8
N_IMU = 9

STAR_T = 0
STAR_Q = 1  # 4
STAR_VALID = 5
N_STAR = 6

MAX_LRF_BEAMS = 4
LRF_T = 0
LRF_RANGE = 1  # MAX_LRF_BEAMS
LRF_VALID = 1 + MAX_LRF_BEAMS  # MAX_LRF_BEAMS
N_LRF = 1 + 2 * MAX_LRF_BEAMS

DOPPLER_BEAMS = 3
DOP_T = 0
DOP_VLOS = 1  # 3
DOP_RANGE = 4  # 3
DOP_VALID = 7  # 3
N_DOPPLER = 10

TRN_T = 0
TRN_X = 1
TRN_Y = 2
TRN_SIGMA = 3
TRN_VALID = 4
N_TRN = 5
