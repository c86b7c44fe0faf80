"""One hazard-detection-and-avoidance pass: point cloud -> maps -> landing site."""

from __future__ import annotations

import math

import numpy as np

from surefoot.config.hda import HdaConfig
from surefoot.fsw.hda.elevation_map import elevation_map, points_to_enu
from surefoot.fsw.hda.footprint_analysis import analyse_footprints
from surefoot.fsw.hda.safety_map import safety_map
from surefoot.fsw.hda.site_selection import HdaResult, select_site


def map_half_width_m(points_enu: np.ndarray, target_enu_m: np.ndarray, cfg: HdaConfig) -> float:
    """Half-width (m) of a map centred on the target that holds every point.

    Capped at what site selection can use: ``max_divert_m`` plus a footprint
    radius and the margin goal (cells farther out cannot change any
    candidate's footprint or wanted margin).
    """
    extent = np.max(np.abs(points_enu[:, :2] - np.asarray(target_enu_m, float)[:2]))
    cap = cfg.max_divert_m + cfg.footprint_radius_m + cfg.margin_goal_m
    return float(min(extent, cap))


def detect_and_select(
    points_sensor: np.ndarray,
    valid: np.ndarray,
    sensor_pos_enu_m: np.ndarray,
    c_enu_sensor: np.ndarray,
    target_enu_m: np.ndarray,
    cfg: HdaConfig,
    mass_kg: float,
    exhaust_velocity_m_s: float,
    half_width_m: float | None = None,
) -> HdaResult:
    """Map the hazards of one lidar scan and choose the landing site.

    Parameters
    ----------
    points_sensor : (K, 3) float64
        Lidar points, m, sensor frame (+z boresight); rows where ``valid`` is False are ignored.
    valid : (K,) bool
        True where the beam returned a range.
    sensor_pos_enu_m : (3,) float64
        The flight software's ESTIMATED sensor position at the scan, m, site ENU.
    c_enu_sensor : (3, 3) float64
        Its ESTIMATED sensor -> ENU rotation (``v_enu = C v_sensor``).
    target_enu_m : (3,) float64
        Nominal landing target, m, site ENU; the map is centred on it.
    cfg : HdaConfig
        Lander footprint and limits, noise belief, requirements and cost weights.
    mass_kg : float
        Current lander mass, kg.
    exhaust_velocity_m_s : float
        Effective exhaust velocity ``Isp g0`` of the engine doing the divert, m/s.
    half_width_m : float, optional
        Half the map's side, m; default :func:`map_half_width_m`.

    Returns
    -------
    HdaResult
        The site (``found``, position, probability of safe, margin, cost,
        divert) or the reason none was found, and the maps.
    """
    if not (math.isfinite(mass_kg) and mass_kg > 0.0):
        raise ValueError(f"mass_kg: must be > 0 (got {mass_kg})")
    if not (math.isfinite(exhaust_velocity_m_s) and exhaust_velocity_m_s > 0.0):
        raise ValueError(f"exhaust_velocity_m_s: must be > 0 (got {exhaust_velocity_m_s})")
    target = np.asarray(target_enu_m, float)
    if target.shape != (3,) or not np.all(np.isfinite(target)):
        raise ValueError("target_enu_m: must be a finite (3,) vector")

    points_enu, _ = points_to_enu(points_sensor, valid, sensor_pos_enu_m, c_enu_sensor)
    if points_enu.shape[0] == 0:
        return HdaResult(False, "no valid lidar returns")
    if half_width_m is None:
        half_width_m = map_half_width_m(points_enu, target, cfg)

    emap = elevation_map(
        points_enu,
        sensor_pos_enu_m,
        target[:2],
        half_width_m,
        cfg.cell_m,
        cfg.range_noise_floor_m,
        cfg.range_noise_fraction,
        math.radians(cfg.attitude_sigma_deg),
    )
    fp = analyse_footprints(emap, cfg.footprint_radius_m)
    safety = safety_map(fp, cfg, emap.cell_m)
    return select_site(emap, fp, safety, target, cfg, mass_kg, exhaust_velocity_m_s)
