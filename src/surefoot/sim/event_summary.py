"""Summary fields of the vehicle's hardware events: engine faults, the rover's fall and the
flight software's executive restarts under computer overloads.

Read from the event block of a lander's vehicle row after the flight
(``world/vehicle.py`` ``P_*``, written by ``vehicle_events``). The fields
appear only in the summary of a scenario that configures an engine fault or
a rover, so every other summary is unchanged.

The rover falls from its release state in lunar gravity ``GM / R^2``, in the
site frame (flat over the metres it travels, the truth terrain heights under
it): released at the footpad plane, ``vehicle.legs.height_m`` below the
lander's centre of mass, with the lander's velocity relative to the ground.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surefoot.config.schema import Scenario
from surefoot.fsw.layout import EX_MAX_T, EX_RESTARTS, EX_SHED, EX_T, FS_EXEC
from surefoot.world.site_frame import truth_enu
from surefoot.world.terrain import TerrainGrids
from surefoot.world.vehicle import (
    EF_COLS,
    EF_T_STARTED,
    N_STATE,
    P_ENGINE_FAULTS,
    P_ROVER_H,
    P_ROVER_R,
    P_ROVER_T,
    P_ROVER_V,
    S_Q,
    S_R,
    S_V,
)

FALL_STEP_S = 1e-3


def engine_fault_summary(vp: np.ndarray, s: Scenario) -> dict[str, Any]:
    """Each configured engine fault's kind and start time (s; None if it never started,
    so ``summary.json`` stays plain JSON), and the first start (s, NaN: none)."""
    started: list[dict[str, Any]] = []
    times = []
    for j, f in enumerate(s.vehicle.engine.faults):
        t = float(vp[P_ENGINE_FAULTS + j * EF_COLS + EF_T_STARTED])
        started.append({"kind": f.kind, "started_at_s": t if math.isfinite(t) else None})
        if math.isfinite(t):
            times.append(t)
    first = min(times, default=math.nan)
    return {"engine_faults": started, "engine_fault_first_s": first}


def executive_summary(fs: np.ndarray) -> dict[str, Any]:
    """The executive's restarts (alarms) from a lander's flight-software state row: how
    many, when (s since scenario start; the first ``EX_MAX_T``), and how many guidance
    cycles were held after them."""
    n = int(fs[FS_EXEC + EX_RESTARTS])
    times = [float(t) for t in fs[FS_EXEC + EX_T : FS_EXEC + EX_T + min(n, EX_MAX_T)]]
    return {
        "executive_restarts": n,
        "executive_restart_times_s": times,
        "guidance_cycles_held": int(fs[FS_EXEC + EX_SHED]),
    }


def rover_fall(
    r_enu_m: np.ndarray,
    v_enu_m_s: np.ndarray,
    drop_height_m: float,
    g_m_s2: float,
    terrain: TerrainGrids,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Free fall of the rover from ``drop_height_m`` above the terrain under ``r_enu_m``.

    Returns the fall time (s), the impact point (east, north, m) and the impact
    velocity (ENU, m/s): ``z(t) = z0 + vz t - g t^2 / 2`` and a straight ground
    track, stopped where ``z`` meets the terrain (to ``FALL_STEP_S``, then refined
    by bisection).
    """
    x0, y0 = float(r_enu_m[0]), float(r_enu_m[1])
    vx, vy, vz = (float(v) for v in v_enu_m_s)
    z0 = float(terrain.height(x0, y0)) + drop_height_m

    def gap(t: float) -> float:
        z = z0 + vz * t - 0.5 * g_m_s2 * t * t
        return z - float(terrain.height(x0 + vx * t, y0 + vy * t))

    t_hi = FALL_STEP_S
    t_lo = 0.0
    while gap(t_hi) > 0.0:
        t_lo = t_hi
        t_hi += FALL_STEP_S
        if t_hi > 600.0:
            break
    for _ in range(40):
        mid = 0.5 * (t_lo + t_hi)
        if gap(mid) > 0.0:
            t_lo = mid
        else:
            t_hi = mid
    t = t_hi
    return t, np.array([x0 + vx * t, y0 + vy * t]), np.array([vx, vy, vz - g_m_s2 * t])


def rover_summary(
    vp: np.ndarray, s: Scenario, site: np.ndarray, terrain: TerrainGrids
) -> dict[str, Any]:
    """The rover's release and landing (SI, site frame); NaN fields when never released."""
    rover = s.vehicle.rover
    if rover is None:
        return {}
    t_rel = float(vp[P_ROVER_T])
    nan = math.nan
    out: dict[str, Any] = {
        "rover_released": math.isfinite(t_rel),
        "rover_release_time_s": t_rel,
        "rover_release_altitude_m": nan,
        "rover_drop_height_m": nan,
        "rover_fall_time_s": nan,
        "rover_impact_speed_m_s": nan,
        "rover_impact_vertical_speed_m_s": nan,
        "rover_impact_east_m": nan,
        "rover_impact_north_m": nan,
        "rover_landed_safely": False,
    }
    if not out["rover_released"]:
        return out
    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = vp[P_ROVER_R : P_ROVER_R + 3]
    x[S_V : S_V + 3] = vp[P_ROVER_V : P_ROVER_V + 3]
    x[S_Q] = 1.0
    r_enu, v_enu, _, _ = truth_enu(x, t_rel, site)
    altitude = float(vp[P_ROVER_H])
    drop = max(altitude - s.vehicle.legs.height_m, 0.0)
    g = s.moon.gm_m3_s2 / s.moon.radius_m**2
    t_fall, xy, v_imp = rover_fall(r_enu, v_enu, drop, g, terrain)
    speed = float(np.linalg.norm(v_imp))
    out.update(
        rover_release_altitude_m=altitude,
        rover_drop_height_m=drop,
        rover_fall_time_s=t_fall,
        rover_impact_speed_m_s=speed,
        rover_impact_vertical_speed_m_s=float(-v_imp[2]),
        rover_impact_east_m=float(xy[0]),
        rover_impact_north_m=float(xy[1]),
        rover_landed_safely=speed <= rover.max_impact_speed_m_s,
    )
    return out


def ground_plane_fit(
    terrain: TerrainGrids, east_m: float, north_m: float, radius_m: float
) -> tuple[float, float]:
    """Slope (deg) of the least-squares plane through the truth terrain within ``radius_m``
    of a point (samples every ``radius_m / 10``), and the largest height of the ground
    above or below that plane (m)."""
    step = radius_m / 10.0
    offsets = np.arange(-radius_m, radius_m + 0.5 * step, step)
    dx, dy = np.meshgrid(offsets, offsets)
    inside = dx**2 + dy**2 <= radius_m**2
    dx, dy = dx[inside], dy[inside]
    h = np.asarray(terrain.height(east_m + dx, north_m + dy), dtype=float)
    a = np.column_stack([dx, dy, np.ones_like(dx)])
    coef, *_ = np.linalg.lstsq(a, h, rcond=None)
    slope = float(np.degrees(np.arctan(np.hypot(coef[0], coef[1]))))
    return slope, float(np.max(np.abs(h - a @ coef)))


def egress_summary(summary: dict[str, Any], s: Scenario, terrain: TerrainGrids) -> dict[str, Any]:
    """Can a rover leave the lander by its ramp or deployer (``vehicle.egress``)?

    The lander's tilt at rest (after the touchdown dynamics when they ran, else
    at contact), the slope and roughness of the ground around the landing point
    and the underbody clearance, each against its limit; ``egress_ok`` when all
    four hold and the lander is not on its side.
    """
    eg = s.vehicle.egress
    if eg is None:
        return {}
    nan = math.nan
    east, north = summary["touchdown_east_m"], summary["touchdown_north_m"]
    if not (math.isfinite(east) and math.isfinite(north)):
        return {
            "egress_tilt_deg": nan,
            "egress_slope_deg": nan,
            "egress_roughness_m": nan,
            "egress_clearance_m": nan,
            "egress_ok": False,
            "egress_blocked_by": "no_contact",
        }
    tilt = summary.get("resting_tilt_deg", summary.get("settled_tilt_deg", nan))
    if not math.isfinite(tilt):
        tilt = summary["touchdown_tilt_deg"]
    slope, rough = ground_plane_fit(terrain, east, north, eg.radius_m)
    clearance = summary["underbody_clearance_m"]
    blocked = []
    if summary.get("tipped_over", False) or tilt > eg.max_tilt_deg:
        blocked.append("tilt")
    if slope > eg.max_slope_deg:
        blocked.append("slope")
    if rough > eg.max_roughness_m:
        blocked.append("roughness")
    if clearance < eg.min_clearance_m:
        blocked.append("clearance")
    return {
        "egress_tilt_deg": float(tilt),
        "egress_slope_deg": slope,
        "egress_roughness_m": rough,
        "egress_clearance_m": float(clearance),
        "egress_ok": not blocked and summary["outcome"] != "crashed",
        "egress_blocked_by": ", ".join(blocked),
    }
