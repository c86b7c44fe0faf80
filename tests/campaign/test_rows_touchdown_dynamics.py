"""Campaign rows carry the touchdown-dynamics summary (``sim.touchdown_dynamics``).

Reference: the flight's own summary (:func:`surefoot.sim.touchdown_stage.gear_summary`),
field for field; with the stage off the columns are empty (null).
Scenario: ``tests/hunt/short-descent.yaml`` (a ~95 s descent, ideal navigation).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign
from surefoot.campaign.rows import TOUCHDOWN_DYNAMICS_COLUMNS, batch_table, fly_for_rows
from surefoot.campaign.runner import run_campaign
from surefoot.config.loader import apply_overrides, load_scenario_dict
from surefoot.config.schema import Scenario

SHORT_DESCENT = Path(__file__).parents[1] / "hunt" / "short-descent.yaml"
NAMES = [c for c, _ in TOUCHDOWN_DYNAMICS_COLUMNS]


def short_descent(overrides: list[str] | None = None) -> Scenario:
    data = yaml.safe_load(SHORT_DESCENT.read_text())
    apply_overrides(data, overrides or [])
    return load_scenario_dict(data)


def test_rows_hold_the_flight_summary_with_the_stage_on_and_null_off(warm_kernel: None) -> None:
    # misalignments that settle, land hard and tip (tests/hunt/test_margin.py)
    misalignments = [(0.0, 0.0), (0.0, -3.5), (4.5, 0.0)]
    on = [
        short_descent([f"vehicle.engine.misalignment_deg=[{a},{b}]", "sim.touchdown_dynamics=true"])
        for a, b in misalignments
    ]
    result = fly_for_rows(on)
    rows = batch_table(result, [0, 1, 2], np.zeros((3, 0)), []).to_pylist()
    for i, row in enumerate(rows):
        summ = result.summary(i)
        for c in NAMES:
            want = summ[c]
            if isinstance(want, float) and math.isnan(want):
                assert row[c] is None, c
            else:
                assert row[c] == want and type(row[c]) is type(want), (c, row[c], want)
    assert {r["touchdown_dynamics_outcome"] for r in rows} >= {"settled"}
    assert rows[0]["leg_stroke_used_m"] > 0.0 and rows[0]["touchdown_energy_absorbed_j"] > 0.0
    off = batch_table(fly_for_rows([short_descent()]), [0], np.zeros((1, 0)), []).to_pylist()
    assert all(off[0][c] is None for c in NAMES)


def test_a_campaign_with_the_stage_reflies_identical(warm_kernel: None, tmp_path: Path) -> None:
    out = tmp_path / "c"
    run_campaign(short_descent(["sim.touchdown_dynamics=true"]), 2, out, workers=1)
    table = load_campaign(out).table.to_pydict()
    assert all(o is not None for o in table["touchdown_dynamics_outcome"])
    r = rerun(out, 1, telemetry=False)
    assert r.identical and set(NAMES) <= set(r.compared)
