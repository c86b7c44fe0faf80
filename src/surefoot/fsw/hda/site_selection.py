"""Landing-site choice among the safe cells: the least cost within reach.

Candidates are safe cells with a margin of at least ``min_margin_m`` whose
horizontal distance ``d`` from the target is at most ``max_divert_m``. Each
costs (weights and scales from :class:`surefoot.config.hda.HdaConfig`)::

    cost = w_safety (1 - p_safe)
         + w_margin max(0, margin_goal - margin) / margin_goal
         + w_distance d / distance_scale
         + w_propellant m_divert / propellant_scale

with the divert propellant of a bang-bang lateral divert at the acceleration
``a = max_divert_accel_m_s2``: accelerate half way and brake the rest, so
``d = a t^2 / 4`` over the divert time ``t`` and ``delta_v = a t = 2 sqrt(d a)``
(on top of the hover the descent pays anyway), and by the rocket equation
``m_divert = m (1 - exp(-delta_v / v_e))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surefoot.config.hda import HdaConfig
from surefoot.fsw.hda.elevation_map import ElevationMap
from surefoot.fsw.hda.footprint_analysis import FootprintMaps
from surefoot.fsw.hda.safety_map import SafetyMap


@dataclass(frozen=True)
class HdaResult:
    """The chosen landing site and the maps it was chosen from.

    Attributes
    ----------
    found : bool
        True when a site meets every requirement; the site fields are ``nan`` otherwise.
    reason : str
        Why no site was found ("" when found).
    site_east_m, site_north_m, site_up_m : float
        Site (cell centre and the fitted plane's height there), m, site ENU.
    p_safe : float
        Probability of safe at the site.
    margin_m : float
        Distance from the site to the nearest unsafe or unobserved cell, m.
    cost : float
        Its cost (dimensionless).
    divert_m : float
        Horizontal distance from the target to the site, m.
    divert_propellant_kg : float
        Estimated propellant of the lateral divert, kg.
    elevation, footprint, safety : ElevationMap, FootprintMaps, SafetyMap or None
        The maps (None when there were no points to map).
    cost_map : (ny, nx) float64 or None
        Cost of every candidate cell, ``nan`` elsewhere.
    """

    found: bool
    reason: str
    site_east_m: float = float("nan")
    site_north_m: float = float("nan")
    site_up_m: float = float("nan")
    p_safe: float = float("nan")
    margin_m: float = float("nan")
    cost: float = float("nan")
    divert_m: float = float("nan")
    divert_propellant_kg: float = float("nan")
    elevation: ElevationMap | None = None
    footprint: FootprintMaps | None = None
    safety: SafetyMap | None = None
    cost_map: np.ndarray | None = None

    @property
    def site_enu_m(self) -> np.ndarray:
        """``(3,)`` site east, north, up, m, site ENU."""
        return np.array([self.site_east_m, self.site_north_m, self.site_up_m])


def divert_propellant_kg(
    distance_m: np.ndarray | float,
    accel_m_s2: float,
    mass_kg: float,
    exhaust_velocity_m_s: float,
) -> np.ndarray:
    """Propellant (kg) of a bang-bang lateral divert of ``distance_m`` at ``accel_m_s2``.

    ``delta_v = 2 sqrt(d a)``, ``m_prop = m (1 - exp(-delta_v / v_e))``;
    ``v_e = Isp g0`` is the effective exhaust velocity, m/s.
    """
    dv = 2.0 * np.sqrt(np.maximum(np.asarray(distance_m, float), 0.0) * accel_m_s2)
    return mass_kg * -np.expm1(-dv / exhaust_velocity_m_s)


def select_site(
    emap: ElevationMap,
    fp: FootprintMaps,
    safety: SafetyMap,
    target_enu_m: np.ndarray,
    cfg: HdaConfig,
    mass_kg: float,
    exhaust_velocity_m_s: float,
) -> HdaResult:
    """The least-cost candidate cell, or ``found=False`` with the first requirement none met.

    Parameters
    ----------
    emap, fp, safety : the maps on one grid.
    target_enu_m : (3,) float64
        Nominal landing target, m, site ENU (its up is not used).
    cfg : HdaConfig
        Requirements, weights and scales.
    mass_kg : float
        Current lander mass, kg.
    exhaust_velocity_m_s : float
        Effective exhaust velocity ``Isp g0`` of the descent engine, m/s.
    """
    maps = {"elevation": emap, "footprint": fp, "safety": safety}
    target = np.asarray(target_enu_m, float)
    de = emap.east_m[None, :] - target[0]
    dn = emap.north_m[:, None] - target[1]
    dist = np.hypot(de, dn)

    safe = safety.safe
    wide = safe & (safety.margin_m >= cfg.min_margin_m - 1e-9)
    reach = wide & (dist <= cfg.max_divert_m)
    if not np.any(safe):
        return HdaResult(False, "no safe cell: no footprint meets the limits with coverage", **maps)
    if not np.any(wide):
        return HdaResult(
            False, f"no safe cell has a margin of min_margin_m = {cfg.min_margin_m} m", **maps
        )
    if not np.any(reach):
        return HdaResult(
            False, f"no safe cell within max_divert_m = {cfg.max_divert_m} m of the target", **maps
        )

    prop = divert_propellant_kg(dist, cfg.max_divert_accel_m_s2, mass_kg, exhaust_velocity_m_s)
    shortfall = np.maximum(0.0, cfg.margin_goal_m - safety.margin_m)
    margin_term = shortfall / cfg.margin_goal_m if cfg.margin_goal_m > 0.0 else 0.0 * shortfall
    cost = (
        cfg.weight_safety * (1.0 - safety.p_safe)
        + cfg.weight_margin * margin_term
        + cfg.weight_distance * dist / cfg.distance_scale_m
        + cfg.weight_propellant * prop / cfg.propellant_scale_kg
    )
    cost = np.where(reach, cost, np.nan)
    i, j = np.unravel_index(int(np.nanargmin(cost)), cost.shape)
    return HdaResult(
        found=True,
        reason="",
        site_east_m=float(emap.east_m[j]),
        site_north_m=float(emap.north_m[i]),
        site_up_m=float(fp.plane_up_m[i, j]),
        p_safe=float(safety.p_safe[i, j]),
        margin_m=float(safety.margin_m[i, j]),
        cost=float(cost[i, j]),
        divert_m=float(dist[i, j]),
        divert_propellant_kg=float(prop[i, j]),
        cost_map=cost,
        **maps,
    )
