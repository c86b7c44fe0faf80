"""The post-contact stage: landing-gear dynamics from each lander's truth state at
first contact (:mod:`surefoot.world.landing_gear`), run after a batch has flown,
when ``sim.touchdown_dynamics`` is on. The flight kernel itself is unchanged."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from surefoot.config.schema import Scenario
from surefoot.world.contact import TD_T
from surefoot.world.landing_gear import (
    GEAR_OUTCOMES,
    GEAR_SETTLED,
    GEAR_TIPPED,
    O_BODY_LOADED,
    O_E_CRUSH_J,
    O_E_DAMP_J,
    O_E_FRIC_J,
    O_LEGS_LOADED,
    O_OUTCOME,
    O_STROKE_MAX_M,
    O_T_END_S,
    O_TILT_DEG,
    gear_params,
)
from surefoot.world.terrain import TerrainGrids
from surefoot.world.touchdown_from_truth import touchdown_dynamics

# summary.json fields of the stage
GEAR_SUMMARY_FIELDS = (
    "touchdown_dynamics_outcome",
    "settled_tilt_deg",
    "leg_stroke_used_m",
    "touchdown_energy_absorbed_j",
    "tipped_over",
    "settle_time_s",
)


def post_contact(
    x_contact: np.ndarray,
    td: np.ndarray,
    in_contact: np.ndarray,
    vehicle_p: np.ndarray,
    feet_body: np.ndarray,
    s0: Scenario,
    terrain: TerrainGrids,
) -> np.ndarray:
    """Landing-gear outcome rows (N, N_OUT) of a flown batch (NaN rows: no contact).

    ``x_contact`` (N, N_STATE) are the truth states at first contact, ``td``
    (N, N_TD) the touchdown records, ``vehicle_p`` (N, N_PARAMS) the vehicle
    rows; legs, Moon and simulation settings are shared by the batch (``s0``).
    """
    legs = s0.vehicle.legs
    com_h = legs.height_m + s0.vehicle.com_dry_body_m[2]
    body = np.asarray(s0.vehicle.body_points_body_m, dtype=float).reshape(-1, 3)
    points = np.ascontiguousarray(np.vstack([feet_body, body]))
    return touchdown_dynamics(
        x_contact,
        np.ascontiguousarray(td[:, TD_T]),
        np.asarray(in_contact, dtype=np.bool_),
        s0.moon.rotation_rate_rad_s,
        terrain.c_enu_mcmf,
        terrain.radius_ref_m,
        vehicle_p,
        points,
        gear_params(legs, com_h, len(body)),
        s0.moon.gm_m3_s2 / s0.moon.radius_m**2,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        s0.sim.touchdown_max_time_s,
        s0.vehicle.engine.cutoff_after_contact_s,
    )


def body_contact_summary(row: np.ndarray) -> dict[str, Any]:
    """With body contact points: where the lander came to rest. Its tilt (deg, body z
    from the vertical at the end: above 90 the main engine points up), what carries it
    (``legs``, ``body``, ``legs and body``; ``moving`` if it never came to rest)."""
    if not np.isfinite(row[O_OUTCOME]):
        return {
            "resting_tilt_deg": math.nan,
            "resting_on": "no_contact",
            "engine_pointing_up": False,
        }
    code = int(row[O_OUTCOME])
    at_rest = code in (GEAR_SETTLED, GEAR_TIPPED)
    legs, body = int(row[O_LEGS_LOADED]), int(row[O_BODY_LOADED])
    on = ("legs and body" if legs and body else "body" if body else "legs") if at_rest else "moving"
    return {
        "resting_tilt_deg": float(row[O_TILT_DEG]),
        "resting_on": on,
        "engine_pointing_up": bool(row[O_TILT_DEG] > 90.0),
    }


def gear_summary(row: np.ndarray) -> dict[str, Any]:
    """Summary fields of one lander's gear row: outcome, tilt once settled (deg, NaN
    if it did not settle), largest crushed stroke (m), energy absorbed by crushing,
    damping and friction (J), tipped, time from contact to rest (s, NaN if never)."""
    if not np.isfinite(row[O_OUTCOME]):
        return {
            "touchdown_dynamics_outcome": "no_contact",
            "settled_tilt_deg": math.nan,
            "leg_stroke_used_m": math.nan,
            "touchdown_energy_absorbed_j": math.nan,
            "tipped_over": False,
            "settle_time_s": math.nan,
        }
    code = int(row[O_OUTCOME])
    settled = code == GEAR_SETTLED
    return {
        "touchdown_dynamics_outcome": GEAR_OUTCOMES[code],
        "settled_tilt_deg": float(row[O_TILT_DEG]) if settled else math.nan,
        "leg_stroke_used_m": float(row[O_STROKE_MAX_M]),
        "touchdown_energy_absorbed_j": float(row[O_E_CRUSH_J] + row[O_E_DAMP_J] + row[O_E_FRIC_J]),
        "tipped_over": code == GEAR_TIPPED,
        "settle_time_s": float(row[O_T_END_S]) if settled else math.nan,
    }
