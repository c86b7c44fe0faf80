"""What the web view draws, built from a run folder as one JSON-ready dict.

Positions are given in a *flattened-Moon* frame around the site: east and north
are the great-circle distances (azimuthal equidistant projection about the
point below the target) and up is the height above the reference sphere. Near
the site it is the site ENU frame; 850 km uprange it keeps the lander above the
surface instead of 200 km below the site's tangent plane. Attitudes are turned
the same way (body to the lander's local east-north-up), so a lander braking
horizontally is drawn lying on its side over the ground it is flying over.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surefoot.analysis.local_frame import (
    centre_to_lander_enu,
    local_horizontal_speed,
    radial_rate,
    tilt_from_local_vertical_deg,
)
from surefoot.analysis.run_folder import RunFolder
from surefoot.fsw.interfaces import PHASE_NAMES
from surefoot.fsw.layout import RX_ALT_UNTRUSTED, RX_COMMIT, RX_HEIGHT_LOST, RX_RECOVERY, RX_REJOIN
from surefoot.fsw.nav.layout import EVENT_NAMES
from surefoot.math.quaternion import quat_mul_rows

MAX_SAMPLES = 3000  # playback samples: a 1,400 s landing at ~2 Hz
TERRAIN_MAX_NODES = 201  # per side of the terrain mesh
# event bits not worth a log line: they happen every cycle a sensor works
_ROUTINE = {
    "lrf_accept",
    "doppler_range_accept",
    "doppler_velocity_accept",
    "trn_accept",
    "star_accept",
    "imu_missing",
}
REACTION_NAMES = {
    RX_ALT_UNTRUSTED: "guidance: descent rate capped (altitude untrusted)",
    RX_HEIGHT_LOST: "guidance: height lost",
    RX_RECOVERY: "guidance: height re-anchored, terminal descent",
    RX_REJOIN: "guidance: descent bounded by stopping distance",
    RX_COMMIT: "guidance: committed to the descent",
}


def flatten(
    r_enu: np.ndarray, q_body_to_enu: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Flattened-Moon positions ``(n, 3)`` (m) and body-to-local-ENU quaternions
    ``(n, 4)`` (scalar first) of site-ENU positions and attitudes."""
    r_c = centre_to_lander_enu(r_enu, radius_m)
    rho = np.hypot(r_c[:, 0], r_c[:, 1])
    angle = np.arctan2(rho, r_c[:, 2])  # central angle from the site
    safe = np.where(rho > 0.0, rho, 1.0)
    az_e = np.where(rho > 0.0, r_c[:, 0] / safe, 0.0)
    az_n = np.where(rho > 0.0, r_c[:, 1] / safe, 0.0)
    pos = np.stack(
        (radius_m * angle * az_e, radius_m * angle * az_n, np.linalg.norm(r_c, axis=1) - radius_m),
        axis=1,
    )
    # local ENU = site ENU turned by `angle` about (site up x direction to lander)
    axis = np.stack((-az_n, az_e, np.zeros_like(az_e)), axis=1)
    half = -0.5 * angle  # the inverse turn takes site-ENU components to local ones
    q_turn = np.concatenate((np.cos(half)[:, None], np.sin(half)[:, None] * axis), axis=1)
    q = quat_mul_rows(q_turn, q_body_to_enu)
    q *= np.where(q[:, :1] < 0.0, -1.0, 1.0)
    return pos, q


def _stride(n: int, max_samples: int) -> np.ndarray:
    """Row indices: every k-th row, the last one always kept."""
    k = max(1, math.ceil(n / max_samples))
    idx = np.arange(0, n, k)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def _rounded(a: np.ndarray, digits: int) -> list[float | None]:
    """JSON numbers with ``digits`` decimals; NaN and inf become null."""
    out = np.round(np.asarray(a, dtype=float), digits)
    return [None if not math.isfinite(v) else float(v) for v in out.tolist()]


def event_log(run: RunFolder) -> list[dict[str, Any]]:
    """Times (s) and names of the events worth a line: phase changes, the rising edge
    of each non-routine navigation event bit and of each guidance reaction."""
    t = run.col("t")
    log: list[dict[str, Any]] = []
    phase = run.col("phase").astype(int)
    for k in np.flatnonzero(np.diff(phase) != 0) + 1:
        name = PHASE_NAMES[phase[k]] if 0 <= phase[k] < len(PHASE_NAMES) else str(phase[k])
        log.append({"t": float(t[k]), "kind": "mode", "text": f"phase: {name}"})
    ev = run.col("nav_events").astype(np.int64)
    prev = np.concatenate(([0], ev[:-1]))
    for bit, name in enumerate(EVENT_NAMES):
        if name in _ROUTINE:
            continue
        m = 1 << bit
        for k in np.flatnonzero(((ev & m) != 0) & ((prev & m) == 0)):
            log.append({"t": float(t[k]), "kind": "nav", "text": name.replace("_", " ")})
    rx = run.col("guidance_reactions").astype(np.int64)
    prev = np.concatenate(([0], rx[:-1]))
    for m, text in REACTION_NAMES.items():
        for k in np.flatnonzero(((rx & m) != 0) & ((prev & m) == 0)):
            log.append({"t": float(t[k]), "kind": "guidance", "text": text})
    s = run.summary
    log.append({"t": float(t[-1]), "kind": "end", "text": f"outcome: {s.get('outcome', '?')}"})
    log.sort(key=lambda e: e["t"])
    return log


def phase_spans(run: RunFolder) -> list[dict[str, Any]]:
    """Consecutive spans of one flight-software phase: start, end (s) and name."""
    t = run.col("t")
    phase = run.col("phase").astype(int)
    cuts = np.concatenate(([0], np.flatnonzero(np.diff(phase) != 0) + 1, [len(t)]))
    return [
        {
            "t0": float(t[a]),
            "t1": float(t[min(b, len(t) - 1)]),
            "name": PHASE_NAMES[phase[a]] if 0 <= phase[a] < len(PHASE_NAMES) else str(phase[a]),
        }
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


def _terrain(run: RunFolder) -> dict[str, Any]:
    site = run.site_terrain()
    h = site.height_m
    s = max(1, math.ceil((max(h.shape) - 1) / (TERRAIN_MAX_NODES - 1)))
    hs = h[::s, ::s]
    return {
        "x0": site.x0_m,
        "y0": site.y0_m,
        "dx": site.dx_m * s,
        "nx": int(hs.shape[1]),
        "ny": int(hs.shape[0]),
        "h": _rounded(hs.ravel(), 2),  # row-major, rows northward
    }


def view_data(run: RunFolder, max_samples: int = MAX_SAMPLES) -> dict[str, Any]:
    """Everything the page needs: series at up to ``max_samples`` times, terrain patch,
    phase spans, event log, target, touchdown and the hazard looks (where the sensor
    looked from and the site each look chose)."""
    radius = run.scenario.moon.radius_m
    r_enu = run.vectors("r_east", "r_north", "r_up")
    v_enu = run.vectors("v_east", "v_north", "v_up")
    q = run.vectors("q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")
    pos, q_local = flatten(r_enu, q, radius)
    alt = run.col("altitude")
    nav_r = run.vectors("nav_r_east", "nav_r_north", "nav_r_up")
    # estimated altitude: the filter's height above its map; with ideal navigation the
    # truth altitude plus the estimate's radial position error
    nav_h = run.col("nav_height") if run.has("nav_height") else np.full_like(alt, np.nan)
    radial_err = np.linalg.norm(centre_to_lander_enu(nav_r, radius), axis=1) - np.linalg.norm(
        centre_to_lander_enu(r_enu, radius), axis=1
    )
    alt_est = np.where(np.isfinite(nav_h), nav_h, alt + radial_err)
    # where the lander believes it is: the navigation estimate on the same flattened Moon
    # (the onboard altitude is above its map, so the believed point is shifted along the
    # radial by the altitude error, as guidance sees it)
    nav_pos, _ = flatten(nav_r, q, radius)
    nav_pos[:, 2] = pos[:, 2] + (alt_est - alt)
    omega = run.vectors("omega_body_x", "omega_body_y", "omega_body_z")
    idx = _stride(len(alt), max_samples)
    series = {
        "t": _rounded(run.col("t")[idx], 3),
        "x": _rounded(pos[idx, 0], 2),
        "y": _rounded(pos[idx, 1], 2),
        "z": _rounded(pos[idx, 2], 2),
        "qw": _rounded(q_local[idx, 0], 5),
        "qx": _rounded(q_local[idx, 1], 5),
        "qy": _rounded(q_local[idx, 2], 5),
        "qz": _rounded(q_local[idx, 3], 5),
        "nx": _rounded(nav_pos[idx, 0], 2),
        "ny": _rounded(nav_pos[idx, 1], 2),
        "nz": _rounded(nav_pos[idx, 2], 2),
        "altitude": _rounded(alt[idx], 2),
        "altitude_est": _rounded(alt_est[idx], 2),
        "speed_h": _rounded(local_horizontal_speed(r_enu, v_enu, radius)[idx], 3),
        "descent_rate": _rounded(-radial_rate(r_enu, v_enu, radius)[idx], 3),
        "throttle": _rounded(100.0 * run.col("throttle")[idx], 2),
        "propellant": _rounded(run.col("propellant")[idx], 2),
        "tilt": _rounded(tilt_from_local_vertical_deg(r_enu, q, radius)[idx], 2),
        "rate": _rounded(np.linalg.norm(omega, axis=1)[idx], 3),
        "phase": [int(p) for p in run.col("phase")[idx]],
    }
    s = run.summary
    touchdown = None
    te, tn = s.get("touchdown_east_m"), s.get("touchdown_north_m")
    if isinstance(te, float) and math.isfinite(te) and isinstance(tn, float) and math.isfinite(tn):
        touchdown = [te, tn]
    target = [s.get("final_target_east_m", 0.0), s.get("final_target_north_m", 0.0)]
    target = [v if isinstance(v, float) and math.isfinite(v) else 0.0 for v in target]
    scenario = s.get("scenario")
    seed = s.get("seed")
    return {
        "format": "surefoot-view-1",
        "scenario": scenario if isinstance(scenario, str) else run.scenario.name,
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else run.scenario.seed,
        "outcome": str(s.get("outcome", "?")),
        "navigation": run.scenario.fsw.nav.source,
        "series": series,
        "terrain": _terrain(run),
        "phases": phase_spans(run),
        "events": event_log(run),
        "target": target,
        "touchdown": touchdown,
        "looks": [
            {
                "t": round(float(lk["t_s"]), 2),
                "sensor": [round(float(v), 2) for v in lk["sensor_enu_m"]],
                "before": [round(float(v), 2) for v in lk["target_before_enu_m"][:2]],
                "after": [round(float(v), 2) for v in lk["target_after_enu_m"][:2]],
                "event": str(lk.get("event", "")),
            }
            for lk in run.hazard_looks()
        ],
        # a quantity the run never had (no touchdown: null in summary.json, NaN once
        # read) is null here and "-" on the page
        "summary": {
            k: _summary_value(s.get(k))
            for k in (
                "touchdown_vertical_speed_m_s",
                "touchdown_horizontal_speed_m_s",
                "touchdown_tilt_deg",
                "distance_from_target_m",
                "propellant_left_kg",
                "flight_time_s",
                "failure_reason",
            )
        },
    }


def _summary_value(v: object) -> float | int | str | None:
    """A summary value as JSON: finite numbers and text as they are, anything else null."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | str):
        return v
    if isinstance(v, float) and math.isfinite(v):
        return v
    return None
