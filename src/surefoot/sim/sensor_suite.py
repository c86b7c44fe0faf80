"""One lander's landing sensors as three concatenated rows the compiled step slices.

Parameters ``(N_SUITE_P,)``, sensor states ``(N_SUITE_S,)`` and the newest
measurement rows ``(N_SUITE_M,)``, each the IMU, star tracker, laser
rangefinder, Doppler lidar and TRN camera blocks in that order (offsets
below). Measurement row layouts belong to the flight software
(:mod:`surefoot.fsw.nav.measurements`); parameter and state layouts to each
sensor module.
"""

from __future__ import annotations

import numpy as np

from surefoot.config.sensors import SensorsConfig
from surefoot.fsw.nav.measurements import N_DOPPLER, N_IMU, N_LRF, N_STAR, N_TRN
from surefoot.sensors.doppler_lidar import (
    N_DOPPLER_PARAMS,
    N_DOPPLER_STATE,
    doppler_lidar_params,
)
from surefoot.sensors.imu import N_IMU_PARAMS, N_IMU_STATE, imu_params
from surefoot.sensors.rangefinder import N_LRF_PARAMS, N_LRF_STATE, rangefinder_params
from surefoot.sensors.star_tracker import N_STAR_PARAMS, N_STAR_STATE, star_tracker_params
from surefoot.sensors.trn_camera import N_TRN_PARAMS, N_TRN_STATE, trn_camera_params


def _offsets(sizes: tuple[int, ...]) -> tuple[int, ...]:
    out = [0]
    for n in sizes:
        out.append(out[-1] + n)
    return tuple(out)


# parameter row
SP_IMU, SP_STAR, SP_LRF, SP_DOP, SP_TRN, N_SUITE_P = _offsets(
    (N_IMU_PARAMS, N_STAR_PARAMS, N_LRF_PARAMS, N_DOPPLER_PARAMS, N_TRN_PARAMS)
)
# state row
SS_IMU, SS_STAR, SS_LRF, SS_DOP, SS_TRN, N_SUITE_S = _offsets(
    (N_IMU_STATE, N_STAR_STATE, N_LRF_STATE, N_DOPPLER_STATE, N_TRN_STATE)
)
# measurement rows
SM_IMU, SM_STAR, SM_LRF, SM_DOP, SM_TRN, N_SUITE_M = _offsets(
    (N_IMU, N_STAR, N_LRF, N_DOPPLER, N_TRN)
)


def suite_params(cfg: SensorsConfig) -> np.ndarray:
    """Concatenated parameter row of the five landing sensors of ``cfg``."""
    p = np.concatenate(
        [
            imu_params(cfg.imu),
            star_tracker_params(cfg.star_tracker),
            rangefinder_params(cfg.rangefinder),
            doppler_lidar_params(cfg.doppler_lidar),
            trn_camera_params(cfg.trn_camera),
        ]
    )
    assert p.shape == (N_SUITE_P,)
    return p
