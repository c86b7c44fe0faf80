"""Telemetry columns: one row per recorded step, names carry frames, units in the schema.

In memory (the compiled recorder, :data:`COLUMNS`, the ``TEL_*`` indices) a
column has a quantity name (``altitude``, ``omega_body_x``) and every value
is a float64. In ``telemetry.parquet`` (:func:`to_table`) the name carries
the unit too, one convention everywhere: ``<name>_<unit>`` with ``/`` written
``_``, ``^`` and spaces dropped (``altitude_m``, ``v_east_m_s``,
``omega_body_x_deg_s``, ``acmd_up_m_s2``, ``torque_body_x_Nm``, ``t_s``);
dimensionless columns keep their bare name (``throttle``,
``q_body_to_enu_w``). Codes and flags are typed: ``phase`` is a categorical
(dictionary) of the phase names, ``nav_height_trusted`` a boolean, the event
bit-fields unsigned 32-bit integers, each null where the column does not
apply. Every field keeps its ``unit``, ``description`` and quantity ``name``
in its Arrow metadata; :func:`table_columns` reads a file's columns back by
quantity name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from surefoot.fsw.interfaces import PHASE_NAMES

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


def file_name(name: str, unit: str) -> str:
    """The column's name in ``telemetry.parquet``: ``<name>_<unit>`` (see the module notes)."""
    if unit == "1":
        return name
    return f"{name}_{unit.replace('/', '_').replace('^', '').replace(' ', '')}"


FILE_NAMES: tuple[str, ...] = tuple(file_name(n, u) for n, u, _ in COLUMNS)
_BY_FILE_NAME = {f: k for k, f in enumerate(FILE_NAMES)}
_CODES = ("nav_events", "guidance_reactions")
_FLAGS = ("nav_height_trusted",)
_CATEGORIES = {"phase": PHASE_NAMES}


def _string_array(labels: tuple[str, ...]) -> pa.Array:
    """A string array built from its buffers (no pandas import, see _column_array)."""
    encoded = [label.encode() for label in labels]
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in encoded])]).astype(np.int32)
    return pa.Array.from_buffers(
        pa.string(), len(labels), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


_LABELS = {k: _string_array(v) for k, v in _CATEGORIES.items()}


def _arrow_type(name: str) -> pa.DataType:
    if name in _CODES:
        return pa.uint32()
    if name in _FLAGS:
        return pa.bool_()
    if name in _CATEGORIES:
        return pa.dictionary(pa.int8(), pa.string())
    return pa.float64()


def schema() -> pa.Schema:
    """Arrow schema of ``telemetry.parquet``: unit-named columns, typed codes and flags, and
    the unit, description and quantity name of each column as field metadata."""
    fields = [
        pa.field(file_name(name, unit), _arrow_type(name),
                 metadata={"unit": unit, "description": desc, "name": name})
        for name, unit, desc in COLUMNS
    ]
    return pa.schema(fields, metadata={"producer": "surefoot", "frame": "site ENU"})


def _validity(missing: np.ndarray) -> pa.Buffer | None:
    """Arrow validity bitmap (LSB first, 1 = valid) of a boolean ``missing`` mask."""
    if not missing.any():
        return None
    return pa.py_buffer(np.packbits(~missing, bitorder="little"))


def _column_array(name: str, values: np.ndarray) -> pa.Array:
    """One column as an Arrow array, built from buffers (``pa.array`` on NumPy data would
    import pandas, when installed, to check the input type: 0.2-0.6 s of start-up)."""
    n = len(values)
    if name not in _CODES and name not in _FLAGS and name not in _CATEGORIES:
        data = np.ascontiguousarray(values, dtype=np.float64)
        return pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(data)])
    missing = ~np.isfinite(values)
    clean = np.where(missing, 0.0, values)
    if name in _CODES:
        data = np.ascontiguousarray(clean.astype(np.uint32))
        return pa.Array.from_buffers(pa.uint32(), n, [_validity(missing), pa.py_buffer(data)])
    if name in _FLAGS:
        bits = pa.py_buffer(np.packbits(clean != 0.0, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), n, [_validity(missing), bits])
    labels = _CATEGORIES[name]
    code = clean.astype(np.int64)
    missing |= (code < 0) | (code >= len(labels))
    data = np.ascontiguousarray(np.where(missing, 0, code).astype(np.int8))
    indices = pa.Array.from_buffers(pa.int8(), n, [_validity(missing), pa.py_buffer(data)])
    return pa.DictionaryArray.from_arrays(indices, _LABELS[name])


def to_table(rows: np.ndarray) -> pa.Table:
    """Arrow table (the ``telemetry.parquet`` layout) from a (n_rows, N_COLUMNS) array."""
    return pa.Table.from_arrays(
        [_column_array(name, rows[:, k]) for k, (name, _, _) in enumerate(COLUMNS)],
        schema=schema(),
    )


def table_columns(table: pa.Table) -> dict[str, np.ndarray]:
    """The columns of a telemetry table as float64 arrays keyed by quantity name
    (``altitude``, not ``altitude_m``); codes, flags and phases as numbers, null as NaN.
    Columns this version does not know keep their file name."""
    out: dict[str, np.ndarray] = {}
    for field, col in zip(table.schema, table.columns, strict=True):
        meta = field.metadata or {}
        name = meta.get(b"name", b"").decode() or field.name
        if pa.types.is_dictionary(field.type):
            labels = _CATEGORIES.get(name, ())
            out[name] = np.array(
                [labels.index(v) if v in labels else np.nan for v in col.to_pylist()], dtype=float
            )
            continue
        if pa.types.is_boolean(field.type):
            col = col.cast(pa.uint8())
        out[name] = np.array(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return out
