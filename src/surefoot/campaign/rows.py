"""One result row per run: inputs, outcome, touchdown metrics, margins, events, failure reason.

The row is a pure function of the run's scenario and its flown result, so
it is the same whether the run flew alone or in a batch of thousands, on
one worker or another (no wall times, no batch ids).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from surefoot.config.dispersions import NumericField
from surefoot.fsw.interfaces import PHASE_APPROACH, PHASE_NAMES, PHASE_TERMINAL
from surefoot.fsw.layout import (
    FS_PHASE,
    FS_T_APPROACH,
    FS_T_TERMINAL,
)
from surefoot.sim.failure import failure_class, failure_reason
from surefoot.sim.kernel import DONE_CONTACT
from surefoot.sim.runner import BatchResult
from surefoot.sim.setup import SEED_DRAW_COLUMNS, seed_draws

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
    (when guidance switched to approach and to terminal descent; NaN if never).
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
    return pa.schema(cols)


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
        From :func:`surefoot.sim.runner.simulate`.
    run_index : sequence of int, length n
    values : ndarray, shape (n, F)
        The dispersed inputs of each lander, columns in the order of ``fields``.
    fields : sequence of NumericField
    """
    n = len(result.scenarios)
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
    return pa.table(cols, schema=result_schema(fields))
