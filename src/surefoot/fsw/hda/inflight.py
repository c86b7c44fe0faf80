"""Hazard detection and avoidance in flight: point the lidar, answer a scan, divert.

When a look is due (:func:`surefoot.fsw.hda.sequencing.scan_due`) the
simulator's between-step service asks :func:`lidar_pointing_body` where the
flight software points its lidar, takes the scan with the truth sensor model,
and hands the point cloud to :func:`answer_scan`. Everything here reads only
flight-software rows (navigation estimate, own state and configuration) and
the point cloud, never the truth.

Pointing (``fsw.hda.pointing``): ``target`` gimbals the boresight at the
estimated target, as ALHAT's gimballed lidar did (Johnson et al. 2008), so a
scan taken while the lander is still pitched back in the approach sees the
landing area; ``body`` keeps the boresight fixed in the body frame. The gimbal
is commanded in the body frame from the attitude estimate, so an attitude
error moves the scan on the ground exactly as it would in flight, and the map
is placed with the same (estimated) pose.

Divert: a chosen site becomes the new target (east, north and the mapped
height). Convex guidance re-plans on the moved target; polynomial guidance
flies to it from the next cycle; the terminal descent pulls towards it at a
bounded lateral speed. A look that finds no safe site keeps the target and
says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from surefoot.config.hda import HazardLidarConfig, HdaConfig
from surefoot.fsw.hda.detect import detect_and_select
from surefoot.fsw.hda.sequencing import (
    HD_DIVERT_TOTAL,
    HD_DONE,
    HD_LAST_MARGIN,
    HD_LAST_P_SAFE,
    HD_LOOK_T,
    HD_N_DIVERTS,
    HD_N_NO_SITE,
    HD_PENDING,
    N_HD,
)
from surefoot.fsw.hda.site_selection import HdaResult
from surefoot.fsw.interfaces import NAV_Q, NAV_R, NAV_T
from surefoot.fsw.layout import (
    FP_DRY_MASS,
    FP_ISP,
    FP_TARGET_H,
    FS_HDA,
    FS_MPROP,
    FS_TARGET,
    G0_M_S2,
    N_FS_HDA,
)
from surefoot.math.quaternion import quat_to_dcm

assert N_HD <= N_FS_HDA


def target_enu_m(fs_row: np.ndarray, fp_row: np.ndarray) -> np.ndarray:
    """The current landing target, m, site ENU."""
    return np.array(
        [fs_row[FS_TARGET], fs_row[FS_TARGET + 1], fp_row[FP_TARGET_H] + fs_row[FS_TARGET + 2]]
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def lidar_pointing_body(
    nav_row: np.ndarray,
    fs_row: np.ndarray,
    fp_row: np.ndarray,
    lidar: HazardLidarConfig,
    pointing: str,
) -> np.ndarray:
    """The commanded sensor-to-body rotation ``C_body_sensor`` (3, 3) for the next scan.

    Columns are the sensor axes in the body frame (+z the boresight, +x the
    scan direction projected perpendicular to it).
    """
    z = _unit(np.asarray(lidar.boresight_body, float))
    if pointing == "target":
        c_enu_body = quat_to_dcm(nav_row[NAV_Q : NAV_Q + 4])
        r_sensor = nav_row[NAV_R : NAV_R + 3] + c_enu_body @ np.asarray(lidar.position_body_m)
        los_enu = target_enu_m(fs_row, fp_row) - r_sensor
        if np.linalg.norm(los_enu) > 1e-6:
            z = _unit(c_enu_body.T @ los_enu)
    x = np.asarray(lidar.scan_x_body, float)
    x = x - (x @ z) * z
    if np.linalg.norm(x) < 1e-6:  # boresight along the scan axis: any perpendicular
        x = np.cross(z, np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.9 else np.array([1.0, 0, 0]))
    x = _unit(x)
    return np.column_stack((x, np.cross(z, x), z))


@dataclass(frozen=True)
class LookOutcome:
    """What one look decided, for the event log and the figure."""

    look: int
    t_s: float
    result: HdaResult
    target_before_enu_m: np.ndarray
    target_after_enu_m: np.ndarray
    sensor_enu_m: np.ndarray
    c_enu_sensor: np.ndarray
    event: str


def answer_scan(
    points_sensor: np.ndarray,
    valid: np.ndarray,
    c_body_sensor: np.ndarray,
    nav_row: np.ndarray,
    fs_row: np.ndarray,
    fp_row: np.ndarray,
    lidar: HazardLidarConfig,
    cfg: HdaConfig,
) -> LookOutcome:
    """Map the scan with the estimated pose, choose a site, move the target (in ``fs_row``)."""
    hd = fs_row[FS_HDA : FS_HDA + N_FS_HDA]
    k = int(hd[HD_DONE])
    look = cfg.looks[k]
    t = float(nav_row[NAV_T])
    c_enu_body = quat_to_dcm(nav_row[NAV_Q : NAV_Q + 4])
    r_sensor = nav_row[NAV_R : NAV_R + 3] + c_enu_body @ np.asarray(lidar.position_body_m)
    c_enu_sensor = c_enu_body @ c_body_sensor
    before = target_enu_m(fs_row, fp_row)
    mass = fp_row[FP_DRY_MASS] + max(fs_row[FS_MPROP], 0.0)
    look_cfg = cfg.model_copy(update={"max_divert_m": look.max_divert_m})
    res = detect_and_select(
        points_sensor,
        valid,
        r_sensor,
        c_enu_sensor,
        before,
        look_cfg,
        mass_kg=float(mass),
        exhaust_velocity_m_s=float(fp_row[FP_ISP] * G0_M_S2),
    )
    hd[HD_DONE] = k + 1
    hd[HD_PENDING] = 0.0
    hd[HD_LOOK_T + k] = t
    n_valid = int(np.count_nonzero(valid))
    if res.found:
        fs_row[FS_TARGET] = res.site_east_m
        fs_row[FS_TARGET + 1] = res.site_north_m
        fs_row[FS_TARGET + 2] = res.site_up_m - fp_row[FP_TARGET_H]
        hd[HD_LAST_P_SAFE] = res.p_safe
        hd[HD_LAST_MARGIN] = res.margin_m
        hd[HD_DIVERT_TOTAL] += res.divert_m
        if res.divert_m > 0.0:
            hd[HD_N_DIVERTS] += 1.0
        event = (
            f"t={t:.2f} s hazard look {k + 1} ({n_valid} points): site "
            f"{res.site_east_m:+.1f} E {res.site_north_m:+.1f} N, divert {res.divert_m:.1f} m, "
            f"p_safe {res.p_safe:.3f}, margin {res.margin_m:.1f} m"
        )
    else:
        hd[HD_N_NO_SITE] += 1.0
        event = (
            f"t={t:.2f} s hazard look {k + 1} ({n_valid} points): no safe site "
            f"({res.reason}); target kept"
        )
    return LookOutcome(
        look=k + 1,
        t_s=t,
        result=res,
        target_before_enu_m=before,
        target_after_enu_m=target_enu_m(fs_row, fp_row),
        sensor_enu_m=r_sensor,
        c_enu_sensor=c_enu_sensor,
        event=event,
    )


def hda_summary(fs_row: np.ndarray) -> dict[str, float]:
    """Hazard-avoidance counters and the final target (site ENU, m; a divert moves it)
    of one lander's final flight-software state."""
    hd = fs_row[FS_HDA : FS_HDA + N_FS_HDA]
    return {
        "hda_looks": int(hd[HD_DONE]),
        "hda_diverts": int(hd[HD_N_DIVERTS]),
        "hda_no_site": int(hd[HD_N_NO_SITE]),
        "hda_divert_total_m": float(hd[HD_DIVERT_TOTAL]),
        "hda_last_p_safe": float(hd[HD_LAST_P_SAFE]) if hd[HD_DONE] > 0 else math.nan,
        "hda_last_margin_m": float(hd[HD_LAST_MARGIN]) if hd[HD_DONE] > 0 else math.nan,
        "final_target_east_m": float(fs_row[FS_TARGET]),
        "final_target_north_m": float(fs_row[FS_TARGET + 1]),
    }
