"""Bring-your-own flight software: the example plug-in lands, in a batch and a campaign."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import surefoot
from surefoot import load_scenario
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import INDEX

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pd_lander.yaml"
PLUGIN_FILE = ROOT / "examples" / "pd_lander.py"


def test_example_lands_safely_and_its_scenario_records_the_plugin(tmp_path: Path) -> None:
    landing = surefoot.run(EXAMPLE, out=tmp_path / "run", figures=False)
    s = landing.summary
    assert s["outcome"] == "safe", s
    assert s["flight_software"] == "pd_lander.py:PdLander"
    assert s["distance_from_target_m"] < 30.0
    assert landing.scenario.fsw.plugin == f"{PLUGIN_FILE}:PdLander"
    # scenario.yaml flies the same landing again, plug-in included
    again = surefoot.run(tmp_path / "run" / "scenario.yaml")
    assert again.summary["flight_software"] == "pd_lander.py:PdLander"
    np.testing.assert_array_equal(again.result.telemetry[0], landing.result.telemetry[0])
    # the plug-in's thrust commands are what the telemetry records as commanded
    tel = landing.result.telemetry[0]
    assert np.all(tel[:, INDEX["thrust_cmd"]] <= landing.scenario.fsw.vehicle.max_thrust_n)
    assert landing.summary["onboard_mass_estimate_kg"] < 340.0 + 150.0


def test_a_batch_of_plugin_landers_equals_single_runs_bit_for_bit() -> None:
    scenarios = [load_scenario(EXAMPLE, seed=k, initial__crossrange_km=0.05 * k) for k in range(3)]
    batch = simulate(scenarios)
    for k, s in enumerate(scenarios):
        single = simulate(s)
        np.testing.assert_array_equal(single.final_state[0], batch.final_state[k])
        assert single.telemetry is not None and batch.telemetry is not None
        np.testing.assert_array_equal(single.telemetry[0], batch.telemetry[k])
    assert len({float(batch.touchdown[k, 1]) for k in range(3)}) == 3


def test_plugin_and_builtin_landers_share_a_batch_unchanged() -> None:
    plugin = load_scenario(EXAMPLE, seed=1)
    builtin = load_scenario(EXAMPLE, seed=1, fsw__plugin=None)
    batch = simulate([builtin, plugin])
    assert batch.flight_software == ["built-in", "pd_lander.py:PdLander"]
    for k, s in enumerate((builtin, plugin)):
        single = simulate(s)
        np.testing.assert_array_equal(single.telemetry[0], batch.telemetry[k])


def test_example_campaign_of_three_runs_is_safe(tmp_path: Path) -> None:
    """The 20-run figure is in docs/plugins.md; three runs keep the suite short."""
    campaign = surefoot.run_campaign(EXAMPLE, runs=3, out=tmp_path / "c", workers=1)
    table = campaign.table
    assert table.num_rows == 3
    assert table.column("outcome").to_pylist() == ["safe"] * 3
