"""One result row per run: inputs, outcome, touchdown metrics, margins, events, failure reason.

The row is a pure function of the run's scenario and its flown result, so
it is the same whether the run flew alone or in a batch of thousands, on
one worker or another (no wall times, no batch ids).

A flight whose rows are wanted is flown by :func:`fly_for_rows`: telemetry
recorded on a 1 s grid only (a percent or two of flight time; the recorder
never changes the flight), from which the navigation's height gap
(:data:`NAV_GAP_COLUMNS`) is taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from surefoot.config.dispersions import NumericField
from surefoot.config.schema import Scenario
from surefoot.fsw.interfaces import PHASE_APPROACH, PHASE_NAMES, PHASE_TERMINAL
from surefoot.fsw.layout import (
    FS_PHASE,
    FS_T_APPROACH,
    FS_T_TERMINAL,
)
from surefoot.sim.failure import failure_class, failure_reason
from surefoot.sim.kernel import DONE_CONTACT
from surefoot.sim.runner import BatchResult, simulate
from surefoot.sim.setup import SEED_DRAW_COLUMNS, seed_draws
from surefoot.sim.telemetry import TEL_ALTITUDE, TEL_NAV_HEIGHT, TEL_T

# Touchdown metrics copied from BatchResult.summary (SI units, site frame).
METRIC_COLUMNS = (
    "touchdown_vertical_speed_m_s",
    "touchdown_horizontal_speed_m_s",
    "touchdown_tilt_deg",
    "touchdown_slope_deg",
    "touchdown_rate_deg_s",
    "touchdown_east_m",
    "touchdown_north_m",
    "distance_from_target_m",
    "distance_from_final_target_m",
    "hda_divert_total_m",
    "underbody_clearance_m",
    "impact_angle_deg",
    "touchdown_mass_kg",
    "onboard_mass_estimate_kg",
    "propellant_used_kg",
    "propellant_left_kg",
    "flight_time_s",
    "nav_horizontal_velocity_sigma_m_s",
    "nav_horizontal_position_sigma_m",
    "nav_height_untrusted_s",
)

OUTCOMES = ("safe", "hard", "tipped", "crashed", "no_contact")

# The navigation's height gap: the largest |navigated height - true height above the
# terrain| over the flight (powered descent to touchdown), sampled every
# NAV_GAP_EVERY_S and at first contact, in metres and relative to max(true height,
# NAV_GAP_FLOOR_M). Null (missing, not NaN: tables with it still compare equal) without
# a navigation filter (ideal navigation has no height estimate of its own).
NAV_GAP_COLUMNS = ("nav_height_gap_max_m", "nav_height_gap_max_rel")
NAV_GAP_EVERY_S = 1.0
# below this true height the gap is taken relative to the floor: near the ground a few
# metres of error are what a landing with a rangefinder has, not a lost height
NAV_GAP_FLOOR_M = 50.0

# The touchdown-dynamics summary (sim.touchdown_dynamics, docs/touchdown.md): always in
# the schema, null when the stage is off and for a figure the stage leaves undefined
# (NaN in the summary: a tilt or settle time of a lander that did not settle).
TOUCHDOWN_DYNAMICS_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("touchdown_dynamics_outcome", pa.string()),
    ("settled_tilt_deg", pa.float64()),
    ("leg_stroke_used_m", pa.float64()),
    ("touchdown_energy_absorbed_j", pa.float64()),
    ("tipped_over", pa.bool_()),
    ("settle_time_s", pa.float64()),
)


def result_schema(fields: Sequence[NumericField]) -> pa.Schema:
    """Arrow schema of the result table for a campaign dispersing ``fields``.

    Columns: ``run_index``, ``seed``, one column per dispersed path (named by
    the path; int64 for integer fields), ``outcome`` (one of ``OUTCOMES``),
    ``success`` (outcome is safe), ``failure_reason`` (empty when safe),
    ``failure_class`` (``logic``, ``sensor-limited`` or ``touchdown``, see
    :mod:`surefoot.sim.failure`; empty when safe), the
    touchdown metrics of ``METRIC_COLUMNS``, what the run seed drew
    (``SEED_DRAW_COLUMNS``: initial estimate error, IMU biases), ``propellant_margin_kg``
    (propellant left above the vehicle's reserve; negative: reserve used),
    and events: ``end`` (``contact`` or ``timeout``), ``final_phase``
    (guidance phase at the end), ``t_high_gate_s`` and ``t_low_gate_s``
    (when guidance switched to approach and to terminal descent; NaN if never),
    the navigation's height gap :data:`NAV_GAP_COLUMNS` and the touchdown
    dynamics :data:`TOUCHDOWN_DYNAMICS_COLUMNS` (null unless
    ``sim.touchdown_dynamics``). New columns come last, so that older result
    files hold a prefix of these columns.
    """
    cols = [pa.field("run_index", pa.int64()), pa.field("seed", pa.int64())]
    cols += [pa.field(f.path, pa.int64() if f.integer else pa.float64()) for f in fields]
    cols += [
        pa.field("outcome", pa.string()),
        pa.field("success", pa.bool_()),
        pa.field("failure_reason", pa.string()),
        pa.field("failure_class", pa.string()),
    ]
    cols += [pa.field(c, pa.float64()) for c in METRIC_COLUMNS]
    cols += [pa.field(c, pa.float64()) for c in SEED_DRAW_COLUMNS]
    cols += [
        pa.field("propellant_margin_kg", pa.float64()),
        pa.field("end", pa.string()),
        pa.field("final_phase", pa.string()),
        pa.field("t_high_gate_s", pa.float64()),
        pa.field("t_low_gate_s", pa.float64()),
    ]
    cols += [pa.field(c, pa.float64()) for c in NAV_GAP_COLUMNS]
    cols += [pa.field(c, t) for c, t in TOUCHDOWN_DYNAMICS_COLUMNS]
    return pa.schema(cols)


def stored_schema(parts: Sequence[Path], schema: pa.Schema) -> pa.Schema:
    """The columns a folder's part files hold: ``schema``, or a prefix of it written by an
    older surefoot (a part of other columns is left to the store's own check)."""
    if not parts:
        return schema
    try:
        names = pq.read_schema(parts[0]).names
    except (pa.ArrowException, OSError, ValueError):
        return schema  # the store names the corrupted part
    if len(names) < len(schema.names) and names == schema.names[: len(names)]:
        return pa.schema([schema.field(n) for n in names])
    return schema


def _defined(value: object) -> object:
    """A summary value for a row: NaN (undefined) becomes a missing value."""
    return None if isinstance(value, float) and math.isnan(value) else value


def grid_stride(dt_s: float) -> int:
    """Simulation steps between two samples of the height gap's grid."""
    return max(1, round(NAV_GAP_EVERY_S / dt_s))


def fly_for_rows(scenarios: list[Scenario]) -> BatchResult:
    """Fly a batch as its result rows need it: telemetry on the height gap's grid only.

    The scenarios' telemetry rate is set to one sample per :data:`NAV_GAP_EVERY_S`;
    the recorder only reads the state, so the flight is the one
    ``simulate(scenarios, telemetry=False)`` flies.
    """
    rate = 1.0 / NAV_GAP_EVERY_S
    on_grid = [
        s.model_copy(update={"sim": s.sim.model_copy(update={"telemetry_rate_hz": rate})})
        for s in scenarios
    ]
    return simulate(on_grid, telemetry=True)


def records_the_grid(scenario: Scenario) -> bool:
    """A flight of ``scenario`` with its own telemetry holds every sample of the grid."""
    hz = scenario.sim.telemetry_rate_hz
    if hz <= 0.0:
        return False
    dt = scenario.sim.dt_s
    rec_every = max(round(1.0 / (hz * dt)), 1)
    return grid_stride(dt) % rec_every == 0


def nav_height_gap(telemetry: np.ndarray, dt_s: float, contact: bool) -> tuple[float, float]:
    """The largest height gap of one flight (metres, relative), from its telemetry.

    Parameters
    ----------
    telemetry : ndarray, shape (rows, N_COLUMNS)
        Rows at least on the grid (every :func:`grid_stride` steps); rows off the
        grid are ignored, except the last one of a flight that touched down
        (recorded at first contact).
    dt_s : float
        Simulation step, s.
    contact : bool
        The flight touched down.

    Returns
    -------
    (float, float)
        ``max |h_nav - h_true|`` in m and ``max |h_nav - h_true| / max(h_true,
        NAV_GAP_FLOOR_M)``; NaN when no sample has a navigated height.
    """
    steps = np.rint(telemetry[:, TEL_T] / dt_s).astype(np.int64)
    keep = steps % grid_stride(dt_s) == 0
    if contact and keep.size:
        keep[-1] = True
    h_true = telemetry[keep, TEL_ALTITUDE]
    gap = np.abs(telemetry[keep, TEL_NAV_HEIGHT] - h_true)
    ok = np.isfinite(gap)
    if not np.any(ok):
        return math.nan, math.nan
    rel = gap[ok] / np.maximum(h_true[ok], NAV_GAP_FLOOR_M)
    return float(np.max(gap[ok])), float(np.max(rel))


def batch_table(
    result: BatchResult,
    run_index: Sequence[int],
    values: np.ndarray,
    fields: Sequence[NumericField],
) -> pa.Table:
    """The result rows of a flown batch, one per lander in batch order.

    Parameters
    ----------
    result : BatchResult
        From :func:`fly_for_rows` (or a flight whose telemetry holds the grid,
        :func:`records_the_grid`).
    run_index : sequence of int, length n
    values : ndarray, shape (n, F)
        The dispersed inputs of each lander, columns in the order of ``fields``.
    fields : sequence of NumericField
    """
    n = len(result.scenarios)
    if result.telemetry is None:
        raise ValueError("result rows need the flight's telemetry on a 1 s grid: fly_for_rows")
    cols: dict[str, list] = {name: [] for name in result_schema(fields).names}
    for i in range(n):
        s = result.scenarios[i]
        summ = result.summary(i)
        cols["run_index"].append(int(run_index[i]))
        cols["seed"].append(int(s.seed))
        for k, f in enumerate(fields):
            v = values[i, k]
            cols[f.path].append(int(v) if f.integer else float(v))
        cols["outcome"].append(summ["outcome"])
        cols["success"].append(summ["outcome"] == "safe")
        cols["failure_reason"].append(failure_reason(summ, s))
        cols["failure_class"].append(failure_class(summ, s))
        for c in METRIC_COLUMNS:
            cols[c].append(float(summ[c]))
        for c, v in seed_draws(s).items():
            cols[c].append(v)
        cols["propellant_margin_kg"].append(
            float(summ["propellant_left_kg"]) - s.vehicle.propellant_reserve_kg
        )
        fs = result.fsw_state[i]
        phase = int(fs[FS_PHASE])
        cols["end"].append("contact" if result.done[i] == DONE_CONTACT else "timeout")
        cols["final_phase"].append(PHASE_NAMES[phase] if 0 <= phase < len(PHASE_NAMES) else "")
        cols["t_high_gate_s"].append(float(fs[FS_T_APPROACH]) if phase >= PHASE_APPROACH
                                     else math.nan)
        cols["t_low_gate_s"].append(float(fs[FS_T_TERMINAL]) if phase >= PHASE_TERMINAL
                                    else math.nan)
        gap_m, gap_rel = nav_height_gap(
            result.telemetry[i], s.sim.dt_s, bool(result.done[i] == DONE_CONTACT)
        )
        # no height estimate: a missing value (null), not NaN
        cols["nav_height_gap_max_m"].append(None if math.isnan(gap_m) else gap_m)
        cols["nav_height_gap_max_rel"].append(None if math.isnan(gap_rel) else gap_rel)
        for c, _ in TOUCHDOWN_DYNAMICS_COLUMNS:
            cols[c].append(_defined(summ[c]) if c in summ else None)
    return pa.table(cols, schema=result_schema(fields))
