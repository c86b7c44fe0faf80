"""The navigation's height gap in campaign rows, and re-flying a folder written before it.

References: hand-computed gaps on made-up telemetry (grid, floor, contact row);
the same flight's full telemetry at the scenario's 10 Hz (the row's 1 s grid
is a subset of it); a flight without telemetry (the recorder changes nothing).
Scenario: ``tests/hunt/short-descent.yaml`` with the navigation filter
(``fsw.nav.source=ekf``), a ~110 s descent.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign
from surefoot.campaign.rows import (
    NAV_GAP_COLUMNS,
    NAV_GAP_FLOOR_M,
    TOUCHDOWN_DYNAMICS_COLUMNS,
    batch_table,
    fly_for_rows,
    grid_stride,
    nav_height_gap,
    records_the_grid,
    result_schema,
)
from surefoot.campaign.runner import run_campaign
from surefoot.campaign.store import CampaignStore
from surefoot.cli import main
from surefoot.config.loader import apply_overrides, load_scenario_dict
from surefoot.config.schema import Scenario
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import N_COLUMNS, TEL_ALTITUDE, TEL_NAV_HEIGHT, TEL_T

EKF = ["fsw.nav.source=ekf"]
SHORT_DESCENT = Path(__file__).parents[1] / "hunt" / "short-descent.yaml"


def short_descent(overrides: list[str] | None = None) -> Scenario:
    data = yaml.safe_load(SHORT_DESCENT.read_text())
    apply_overrides(data, overrides or [])
    return load_scenario_dict(data)


def _telemetry(t: list[float], h_true: list[float], h_nav: list[float]) -> np.ndarray:
    tel = np.zeros((len(t), N_COLUMNS))
    tel[:, TEL_T] = t
    tel[:, TEL_ALTITUDE] = h_true
    tel[:, TEL_NAV_HEIGHT] = h_nav
    return tel


def test_gap_on_made_up_telemetry() -> None:
    dt = 0.05
    assert grid_stride(dt) == 20
    # 10 Hz rows: only whole seconds count; the off-grid 0.5 s row (gap 900 m) does not
    tel = _telemetry(
        [0.0, 0.5, 1.0, 2.0, 2.35],
        [1000.0, 900.0, 100.0, 20.0, 0.0],
        [1010.0, 0.0, 130.0, 25.0, 3.0],
    )
    gap_m, rel = nav_height_gap(tel, dt, contact=False)
    assert gap_m == 30.0 and rel == pytest.approx(0.3)  # 30 m at a true 100 m
    # the contact row (2.35 s) counts: 3 m at 0 m true height is 3 / floor
    gap_m, rel = nav_height_gap(tel[[0, 2, 4]], dt, contact=True)
    assert gap_m == 30.0 and rel == pytest.approx(0.3)
    low = _telemetry([0.0, 1.0], [10.0, 0.0], [10.0, 40.0])
    assert nav_height_gap(low, dt, contact=True) == (40.0, pytest.approx(40.0 / NAV_GAP_FLOOR_M))
    # ideal navigation records no height estimate
    none = _telemetry([0.0, 1.0], [10.0, 5.0], [math.nan, math.nan])
    assert all(math.isnan(x) for x in nav_height_gap(none, dt, contact=True))


def test_grid_inside_the_scenario_rate() -> None:
    s = short_descent()
    assert records_the_grid(s)  # 10 Hz at dt 0.05: every 2 steps, the grid every 20
    assert not records_the_grid(short_descent(["sim.telemetry_rate_hz=3"]))  # every 7 steps
    assert not records_the_grid(short_descent(["sim.telemetry_rate_hz=0"]))


def test_flown_gap_is_the_full_telemetry_on_the_grid_and_changes_no_flight(
    warm_kernel: None,
) -> None:
    scenarios = [short_descent([*EKF, f"seed={k}"]) for k in range(3)]
    rows = batch_table(fly_for_rows(scenarios), [0, 1, 2], np.zeros((3, 0)), []).to_pydict()
    plain = simulate(scenarios, telemetry=False)
    full = simulate(scenarios, telemetry=True)
    for i, s in enumerate(scenarios):
        assert rows["outcome"][i] == plain.summary(i)["outcome"]
        assert rows["flight_time_s"][i] == plain.summary(i)["flight_time_s"]
        tel = full.telemetry[i]
        assert rows["nav_height_gap_max_m"][i] == nav_height_gap(tel, s.sim.dt_s, True)[0]
        # every 10 Hz sample: at least the grid's maximum, and the same order of size
        every = np.nanmax(np.abs(tel[:, TEL_NAV_HEIGHT] - tel[:, TEL_ALTITUDE]))
        assert rows["nav_height_gap_max_m"][i] <= every < 2.0 * rows["nav_height_gap_max_m"][i]
        assert 0.0 < rows["nav_height_gap_max_rel"][i] < 1.0  # the filter kept its height
    ideal = batch_table(fly_for_rows([short_descent()]), [0], np.zeros((1, 0)), []).to_pylist()
    assert ideal[0]["nav_height_gap_max_m"] is None  # null: no height estimate


def test_rows_refuse_a_flight_without_telemetry(warm_kernel: None) -> None:
    with pytest.raises(ValueError, match="fly_for_rows"):
        batch_table(simulate(short_descent(), telemetry=False), [0], np.zeros((1, 0)), [])


OLDER = "t_low_gate_s"  # the last column before the height gap was added


def test_new_columns_come_last() -> None:
    names = result_schema([]).names
    new = names[names.index(OLDER) + 1 :]
    assert new[: len(NAV_GAP_COLUMNS)] == list(NAV_GAP_COLUMNS)
    assert new[len(NAV_GAP_COLUMNS) :] == [c for c, _ in TOUCHDOWN_DYNAMICS_COLUMNS]


def _drop_new_columns(root: Path) -> None:
    """Rewrite the folder's parts as a surefoot before the height gap wrote them."""
    for part in CampaignStore.open(root).part_files():
        t = pq.read_table(part)
        old = t.select(t.schema.names[: t.schema.names.index(OLDER) + 1])
        pq.write_table(old, part, write_page_checksum=True)


def test_rerun_of_an_older_folder_compares_its_own_columns(
    warm_kernel: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    scenario = short_descent(EKF)
    out = tmp_path / "old"
    run_campaign(scenario, 3, out, workers=1)
    new = rerun(out, 1, telemetry=False)
    assert new.identical and set(NAV_GAP_COLUMNS) <= set(new.compared)
    _drop_new_columns(out)
    old = rerun(out, 1, telemetry=False)
    assert old.identical and not set(NAV_GAP_COLUMNS) & set(old.compared)
    assert old.compared[-1] == OLDER
    # the campaign's report reads it too, with the columns it holds
    assert load_campaign(out).table.num_rows == 3
    assert old.row["nav_height_gap_max_m"] == new.row["nav_height_gap_max_m"] > 0.0
    assert main(["campaign", "rerun", str(out), "1", "--out", str(tmp_path / "r")]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "identical" in text and "predates nav_height_gap_max_m" in text
    # extending it names the reason in one line instead of calling it corrupted
    capsys.readouterr()
    assert main(["campaign", str(SHORT_DESCENT), "--runs", "4", "--workers", "1",
                 "--out", str(out), *[a for o in EKF for a in ("--set", o)]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "written by an older surefoot (no " in err[0], err


def test_rerun_at_an_off_grid_telemetry_rate_flies_the_row_on_the_grid(
    warm_kernel: None, tmp_path: Path
) -> None:
    out = tmp_path / "c"
    run_campaign(short_descent([*EKF, "sim.telemetry_rate_hz=3"]), 2, out, workers=1)
    r = rerun(out, 0, telemetry=True)
    assert r.identical and math.isfinite(r.row["nav_height_gap_max_rel"])
    # the run's own telemetry kept its 3 Hz rate (every 7 steps)
    t = r.result.telemetry[0][:3, TEL_T]
    assert np.allclose(np.diff(t), 0.35)
