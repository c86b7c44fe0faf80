"""Closed-loop landings: the default scenario, batch determinism, outputs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from surefoot.config import load_scenario
from surefoot.sim.kernel import DONE_CONTACT
from surefoot.sim.output import write_run
from surefoot.sim.runner import simulate
from surefoot.sim.telemetry import COLUMNS, INDEX


def test_default_scenario_lands_safely_for_seeds_0_to_9() -> None:
    scenarios = [load_scenario("default", seed=s) for s in range(10)]
    result = simulate(scenarios, telemetry=False)
    limits = scenarios[0].touchdown
    for i in range(10):
        s = result.summary(i)
        assert s["outcome"] == "safe", s
        assert s["touchdown_vertical_speed_m_s"] <= limits.max_vertical_speed_m_s
        assert s["touchdown_horizontal_speed_m_s"] <= limits.max_horizontal_speed_m_s
        assert s["distance_from_target_m"] < 50.0
        assert s["propellant_left_kg"] > 0.0


def _dispersed(k: int):
    rng = np.random.default_rng(1000 + k)
    overrides = [
        f"vehicle.engine.max_thrust_n={1600 * (1 + 0.02 * rng.standard_normal()):.6f}",
        f"vehicle.engine.isp_s={300 * (1 + 0.01 * rng.standard_normal()):.6f}",
        f"vehicle.propellant_kg={660 + 5 * rng.standard_normal():.6f}",
        f"initial.altitude_m={15000 + 300 * rng.standard_normal():.6f}",
        f"initial.speed_m_s={1690 + 2 * rng.standard_normal():.6f}",
        f"initial.attitude_error_deg={abs(2 * rng.standard_normal()):.6f}",
        f"vehicle.engine.misalignment_deg=[{0.2 * rng.standard_normal():.6f}, "
        f"{0.2 * rng.standard_normal():.6f}]",
    ]
    return load_scenario("default", overrides, seed=k)


def test_batch_of_16_equals_16_single_runs_bit_for_bit() -> None:
    """docs/architecture.md: a run's result depends only on its scenario and seed, not its batch."""
    scenarios = [_dispersed(k) for k in range(16)]
    batch = simulate(scenarios, telemetry=True)
    assert np.all(batch.done == DONE_CONTACT)
    for k, s in enumerate(scenarios):
        single = simulate(s, telemetry=True)
        np.testing.assert_array_equal(single.touchdown[0], batch.touchdown[k])
        np.testing.assert_array_equal(single.final_state[0], batch.final_state[k])
        assert single.telemetry is not None and batch.telemetry is not None
        np.testing.assert_array_equal(single.telemetry[0], batch.telemetry[k])
    # and the dispersions did make the runs differ
    assert len({float(batch.touchdown[k, 1]) for k in range(16)}) == 16


def test_same_seed_replays_and_other_seed_differs() -> None:
    a = simulate(load_scenario("default", seed=3), telemetry=False)
    b = simulate(load_scenario("default", seed=3), telemetry=False)
    c = simulate(load_scenario("default", seed=4), telemetry=False)
    np.testing.assert_array_equal(a.final_state, b.final_state)
    assert not np.array_equal(a.final_state, c.final_state)


def test_engine_off_means_free_fall_crash(tmp_path) -> None:
    """With no thrust and sub-orbital speed the lander falls and crashes (at orbital speed
    it would stay in orbit: no contact)."""
    s = load_scenario(
        "default",
        ["vehicle.engine.max_thrust_n=1e-6", "initial.speed_m_s=1000", "sim.max_time_s=3000"],
    )
    r = simulate(s, telemetry=False)
    assert r.outcome[0] == "crashed"


def test_run_outputs_have_units_and_one_row_per_record(tmp_path) -> None:
    s = load_scenario("default")
    r = simulate(s)
    paths = write_run(r, tmp_path)
    table = pq.read_table(paths["telemetry"])
    # the unit is in the name (one convention) and in the field metadata
    assert table.column_names[:8] == ["t_s", "r_east_m", "r_north_m", "r_up_m", "v_east_m_s",
                                      "v_north_m_s", "v_up_m_s", "altitude_m"]
    for (name, unit, _), field in zip(COLUMNS, table.schema, strict=True):
        assert field.name == (name if unit == "1" else f"{name}_" + unit.replace("/", "_")
                              .replace("^", "").replace(" ", ""))
        assert field.metadata[b"unit"].decode() == unit
        assert field.metadata[b"name"].decode() == name
    assert table.schema.field("omega_body_x_deg_s").type == pa.float64()
    assert table.schema.field("nav_events").type == pa.uint32()
    assert table.schema.field("nav_height_trusted").type == pa.bool_()
    assert pa.types.is_dictionary(table.schema.field("phase").type)
    assert set(table.column("phase").to_pylist()) == {"braking", "approach", "terminal"}
    t = table.column("t_s").to_numpy()
    assert np.allclose(np.diff(t)[:-1], 0.1)  # 10 Hz recording, last row at contact
    assert table.num_rows == len(r.telemetry[0])
    alt = table.column("altitude_m").to_numpy()
    assert alt[0] == pytest.approx(15000.0, abs=50.0)
    assert alt[-1] < 3.0
    site = np.load(paths["terrain_site"])
    assert site["height_m"].shape == (801, 801)
    assert float(site["dx_m"]) == 1.0
    assert INDEX["phase"] > 0


def test_pandas_reads_the_units_in_the_names_and_the_types_of_codes(tmp_path) -> None:
    """What a flight-dynamics engineer sees with ``pandas.read_parquet``: units in the
    column names, a categorical phase, a nullable boolean and integer event bits."""
    import pandas as pd

    paths = write_run(simulate(load_scenario("default")), tmp_path)
    df = pd.read_parquet(paths["telemetry"])
    for col in ("t_s", "altitude_m", "omega_body_x_deg_s", "thrust_N", "acmd_up_m_s2"):
        assert col in df.columns
    assert isinstance(df["phase"].dtype, pd.CategoricalDtype)
    assert list(df["phase"].cat.categories) == ["braking", "approach", "terminal"]
    assert df["phase"].iloc[0] == "braking" and df["phase"].iloc[-1] == "terminal"
    assert df["nav_events"].dtype == np.uint32
