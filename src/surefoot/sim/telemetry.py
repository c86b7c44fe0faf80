"""Telemetry columns: one row per recorded step, names carry frames, units in the schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# (name, unit, description)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("t", "s", "time since powered-descent initiation"),
    ("r_east", "m", "truth position, site ENU (origin on the reference sphere below the target)"),
    ("r_north", "m", "truth position, site ENU"),
    ("r_up", "m", "truth position, site ENU (height above the reference sphere)"),
    ("v_east", "m/s", "truth velocity relative to the surface, site ENU"),
    ("v_north", "m/s", "truth velocity relative to the surface, site ENU"),
    ("v_up", "m/s", "truth velocity relative to the surface, site ENU"),
    ("altitude", "m", "truth height of the centre of mass above the terrain below it"),
    ("q_body_to_enu_w", "1", "truth attitude quaternion, scalar first"),
    ("q_body_to_enu_x", "1", "truth attitude quaternion"),
    ("q_body_to_enu_y", "1", "truth attitude quaternion"),
    ("q_body_to_enu_z", "1", "truth attitude quaternion"),
    ("tilt", "deg", "angle of the thrust axis (body z) from the site vertical"),
    ("omega_body_x", "deg/s", "truth body rate"),
    ("omega_body_y", "deg/s", "truth body rate"),
    ("omega_body_z", "deg/s", "truth body rate"),
    ("thrust", "N", "delivered main-engine thrust"),
    ("thrust_cmd", "N", "commanded main-engine thrust"),
    ("throttle", "1", "delivered thrust over maximum thrust"),
    ("mass", "kg", "truth total mass"),
    ("propellant", "kg", "truth propellant left"),
    ("phase", "1", "flight-software phase: 0 braking, 1 approach, 2 terminal"),
    ("tgo", "s", "guidance time-to-go"),
    ("nav_r_east", "m", "navigation position estimate, site ENU"),
    ("nav_r_north", "m", "navigation position estimate, site ENU"),
    ("nav_r_up", "m", "navigation position estimate, site ENU"),
    ("nav_v_east", "m/s", "navigation velocity estimate, site ENU"),
    ("nav_v_north", "m/s", "navigation velocity estimate, site ENU"),
    ("nav_v_up", "m/s", "navigation velocity estimate, site ENU"),
    ("acmd_east", "m/s^2", "guidance acceleration command, site ENU"),
    ("acmd_north", "m/s^2", "guidance acceleration command, site ENU"),
    ("acmd_up", "m/s^2", "guidance acceleration command, site ENU"),
    ("torque_body_x", "N m", "delivered attitude torque"),
    ("torque_body_y", "N m", "delivered attitude torque"),
    ("torque_body_z", "N m", "delivered attitude torque"),
    ("nav_height", "m", "navigation filter's height above its onboard map (NaN: ideal navigation)"),
    ("nav_height_sigma", "m", "navigation's 1-sigma of the height above the terrain"),
    ("nav_height_trusted", "1", "1 when the navigation monitor lets guidance trust the height"),
    ("nav_events", "1", "navigation event bits of the cycle (surefoot.fsw.nav.layout.EV_*)"),
    ("guidance_reactions", "1", "guidance reaction bits (surefoot.fsw.layout.RX_*)"),
    # the filter's own uncertainty and consistency (EKF navigation; NaN with ideal navigation)
    ("nav_sigma_r_east", "m", "filter 1-sigma of the position error, site ENU axes"),
    ("nav_sigma_r_north", "m", "filter 1-sigma of the position error, site ENU axes"),
    ("nav_sigma_r_up", "m", "filter 1-sigma of the position error, site ENU axes"),
    ("nav_sigma_v_east", "m/s", "filter 1-sigma of the surface-relative velocity error, site ENU"),
    ("nav_sigma_v_north", "m/s", "filter 1-sigma of the surface-relative velocity error, ENU"),
    ("nav_sigma_v_up", "m/s", "filter 1-sigma of the surface-relative velocity error, site ENU"),
    ("nav_sigma_att_east", "deg", "filter 1-sigma of the attitude error about the site east axis"),
    ("nav_sigma_att_north", "deg", "filter 1-sigma of the attitude error about site north"),
    ("nav_sigma_att_up", "deg", "filter 1-sigma of the attitude error about the site up axis"),
    ("nav_q_body_to_enu_w", "1", "navigation attitude estimate, scalar first"),
    ("nav_q_body_to_enu_x", "1", "navigation attitude estimate"),
    ("nav_q_body_to_enu_y", "1", "navigation attitude estimate"),
    ("nav_q_body_to_enu_z", "1", "navigation attitude estimate"),
    (
        "nav_nees_rv",
        "1",
        "normalised estimation error squared of position and velocity (6 dof: "
        "truth minus estimate in the filter's frame, its own covariance; NaN off a filter cycle)",
    ),
    (
        "nav_nis_lrf",
        "1",
        "mean normalised innovation squared of the cycle's rangefinder beams "
        "(1 dof each; NaN: none)",
    ),
    ("nav_nis_doppler_range", "1", "same, Doppler lidar range beams (1 dof each; NaN: none)"),
    (
        "nav_nis_doppler_velocity",
        "1",
        "normalised innovation squared of the Doppler velocity "
        "update (1 dof per valid beam, 3 with all beams; NaN: none)",
    ),
    ("nav_nis_trn", "1", "normalised innovation squared of the TRN fix (2 dof; NaN: none)"),
    (
        "nav_nis_star",
        "1",
        "normalised innovation squared of the star-tracker update (3 dof; NaN: none)",
    ),
)
N_COLUMNS = len(COLUMNS)
INDEX = {name: k for k, (name, _, _) in enumerate(COLUMNS)}


def _block(*names: str) -> int:
    """Index of the first of ``names``, which must be consecutive columns."""
    first = INDEX[names[0]]
    if [INDEX[n] for n in names] != list(range(first, first + len(names))):
        raise AssertionError(f"telemetry columns {names} are not consecutive")
    return first


# Column indices the compiled recorder writes (sim/kernel.py _record), all
# from COLUMNS above: reorder or insert a column there and these follow.
TEL_T = INDEX["t"]
TEL_R_ENU = _block("r_east", "r_north", "r_up")
TEL_V_ENU = _block("v_east", "v_north", "v_up")
TEL_ALTITUDE = INDEX["altitude"]
TEL_Q = _block("q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")
TEL_TILT = INDEX["tilt"]
TEL_OMEGA = _block("omega_body_x", "omega_body_y", "omega_body_z")
TEL_THRUST = INDEX["thrust"]
TEL_THRUST_CMD = INDEX["thrust_cmd"]
TEL_THROTTLE = INDEX["throttle"]
TEL_MASS = INDEX["mass"]
TEL_PROPELLANT = INDEX["propellant"]
TEL_PHASE = INDEX["phase"]
TEL_TGO = INDEX["tgo"]
TEL_NAV_R = _block("nav_r_east", "nav_r_north", "nav_r_up")
TEL_NAV_V = _block("nav_v_east", "nav_v_north", "nav_v_up")
TEL_ACMD = _block("acmd_east", "acmd_north", "acmd_up")
TEL_TORQUE = _block("torque_body_x", "torque_body_y", "torque_body_z")
TEL_NAV_HEIGHT = INDEX["nav_height"]
TEL_NAV_HEIGHT_SIGMA = INDEX["nav_height_sigma"]
TEL_NAV_HEIGHT_TRUSTED = INDEX["nav_height_trusted"]
TEL_NAV_EVENTS = INDEX["nav_events"]
TEL_GUIDANCE_REACTIONS = INDEX["guidance_reactions"]
TEL_NAV_SIGMA_R = _block("nav_sigma_r_east", "nav_sigma_r_north", "nav_sigma_r_up")
TEL_NAV_SIGMA_V = _block("nav_sigma_v_east", "nav_sigma_v_north", "nav_sigma_v_up")
TEL_NAV_SIGMA_ATT = _block("nav_sigma_att_east", "nav_sigma_att_north", "nav_sigma_att_up")
TEL_NAV_Q = _block(
    "nav_q_body_to_enu_w", "nav_q_body_to_enu_x", "nav_q_body_to_enu_y", "nav_q_body_to_enu_z"
)
TEL_NAV_NEES_RV = INDEX["nav_nees_rv"]
TEL_NAV_NIS = _block(
    "nav_nis_lrf",
    "nav_nis_doppler_range",
    "nav_nis_doppler_velocity",
    "nav_nis_trn",
    "nav_nis_star",
)


def schema() -> pa.Schema:
    """Arrow schema with the unit and description of each column as field metadata."""
    fields = [
        pa.field(name, pa.float64(), metadata={"unit": unit, "description": desc})
        for name, unit, desc in COLUMNS
    ]
    return pa.schema(fields, metadata={"producer": "surefoot", "frame": "site ENU"})


def to_table(rows: np.ndarray) -> pa.Table:
    """Arrow table from a (n_rows, N_COLUMNS) telemetry array."""
    return pa.Table.from_arrays([pa.array(rows[:, k]) for k in range(N_COLUMNS)], schema=schema())
