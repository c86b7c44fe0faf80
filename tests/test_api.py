"""The Python API (issue 13): ``surefoot.load_scenario``, ``run``, ``replay``, ``run_campaign``.

The API and the command line share their code paths, so the API's files
must be the command line's files, and ``import surefoot`` must stay light.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib.figure import Figure

import surefoot
from surefoot.cli import main
from surefoot.config.loader import ConfigError
from surefoot.config.loader import load_scenario as load_with_set
from surefoot.sim.telemetry import COLUMNS


def _python(code: str) -> str:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_import_is_light_and_the_api_loads_on_first_use() -> None:
    out = _python(
        "import sys, surefoot\n"
        "heavy = ('numba', 'cvxpy', 'surefoot.sim', 'surefoot.api', 'matplotlib')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "s = surefoot.load_scenario('default')\n"
        "print([m for m in ('numba', 'cvxpy') if m in sys.modules], s.name)\n"
    )
    assert out.splitlines() == ["[]", "[] default"]
    assert set(surefoot.__all__) >= {"load_scenario", "run", "run_campaign", "replay"}
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        surefoot.nope  # noqa: B018


def test_the_one_liner_of_the_issue_prints_safe() -> None:
    out = _python("import surefoot; print(surefoot.run('default').summary['outcome'])")
    assert out.strip().splitlines()[-1] == "safe"


def test_overrides_keyword_dotted_and_cli_forms_agree() -> None:
    by_keyword = surefoot.load_scenario("hakuto-r-m1", fsw__nav__rejection="robust",
                                        vehicle__dry_mass_kg=350, seed=4)
    by_dots = surefoot.load_scenario(
        "hakuto-r-m1", **{"fsw.nav.rejection": "robust", "vehicle.dry_mass_kg": 350, "seed": 4}
    )
    by_cli = load_with_set("hakuto-r-m1", ["fsw.nav.rejection=robust",
                                          "vehicle.dry_mass_kg=350"], 4)
    assert by_keyword == by_dots == by_cli
    assert by_keyword.fsw.nav.rejection == "robust" and by_keyword.seed == 4
    # numpy scalars are plain values; a scenario object is overridden, never changed
    again = surefoot.load_scenario(by_keyword, vehicle__dry_mass_kg=np.float64(360.0),
                                   seed=np.int64(5))
    assert again.vehicle.dry_mass_kg == 360.0 and again.seed == 5
    assert by_keyword.vehicle.dry_mass_kg == 350.0 and by_keyword.seed == 4
    assert surefoot.load_scenario(by_keyword) is by_keyword


@pytest.mark.parametrize(
    ("scenario", "overrides", "needle"),
    [
        ("default", {"fsw__nav__bogus": 1}, "fsw.nav.bogus: unknown key"),
        ("default", {"vehicle__dry_mass_kg": -5.0}, "vehicle.dry_mass_kg"),
        ("default", {"seed__x": 1}, "'seed' is a value, not a section"),
        ("default", {"fsw..nav": 1}, "expected a field path"),
        ("no-such-scenario", {}, "no-such-scenario"),
        ("missing.yaml", {}, "does not exist"),
    ],
)
def test_bad_input_raises_one_line_config_error(scenario: str, overrides: dict,
                                                needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        surefoot.load_scenario(scenario, **overrides)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


@pytest.fixture(scope="module")
def landing() -> surefoot.Landing:
    return surefoot.run("default", seed=2)


def test_run_gives_summary_telemetry_and_figure(landing: surefoot.Landing) -> None:
    s = landing.summary
    assert s["outcome"] == landing.outcome == "safe" and s["seed"] == 2
    assert s["scenario"] == "default" and isinstance(s["events"], list)
    assert landing.scenario.seed == 2
    s["outcome"] = "changed"  # a copy: the landing's summary stays
    assert landing.summary["outcome"] == "safe"

    tel = landing.telemetry
    assert isinstance(tel, pa.Table) and tel.num_rows > 100
    assert [f.metadata[b"name"].decode() for f in tel.schema] == [n for n, _, _ in COLUMNS]
    assert tel.schema.field("altitude_m").metadata[b"unit"] == b"m"
    t = tel.column("t_s").to_numpy()
    assert np.all(np.diff(t) > 0)
    assert abs(t[-1] - s["flight_time_s"]) < 1.0
    assert tel.column("altitude_m").to_numpy()[-1] < 5.0  # on the ground at the end

    fig = landing.figure()
    assert isinstance(fig, Figure) and len(fig.axes) >= 9
    assert landing.hazard_figure() is None  # the default scenario takes no hazard look


def test_telemetry_converts_to_pandas(landing: surefoot.Landing) -> None:
    import pandas as pd  # a test dependency: the done-when of the units-in-names work

    df = landing.telemetry.to_pandas()
    assert list(df.columns)[:2] == ["t_s", "r_east_m"] and len(df) == landing.telemetry.num_rows
    assert isinstance(df["phase"].dtype, pd.CategoricalDtype)


def test_save_writes_the_files_of_surefoot_run(landing: surefoot.Landing,
                                               tmp_path: Path) -> None:
    paths = landing.save(tmp_path / "api")
    for name in ("telemetry.parquet", "summary.json", "scenario.yaml", "terrain_site.npz",
                 "descent.png"):
        assert (tmp_path / "api" / name).stat().st_size > 0
    assert paths["summary"] == tmp_path / "api" / "summary.json"
    stored = json.loads((tmp_path / "api" / "summary.json").read_text())
    mine = landing.summary
    assert stored.keys() == mine.keys()
    for k, v in mine.items():
        if isinstance(v, float) and not math.isfinite(v):
            assert stored[k] is None, k
        else:
            assert stored[k] == v, k
    written = pq.read_table(tmp_path / "api" / "telemetry.parquet")
    assert written.schema.equals(landing.telemetry.schema, check_metadata=True)
    from surefoot.sim.telemetry import table_columns

    mine_cols = table_columns(landing.telemetry)
    for name, values in table_columns(written).items():  # NaN where a column does not apply
        np.testing.assert_array_equal(values, mine_cols[name])

    # the command line flies the same landing and writes the same summary
    assert main(["run", "--seed", "2", "--out", str(tmp_path / "cli"), "--no-figure"]) == 0
    cli = json.loads((tmp_path / "cli" / "summary.json").read_text())
    cli.pop("wall_time_s")
    stored.pop("wall_time_s")
    assert cli == stored
    assert not (tmp_path / "cli" / "descent.png").exists()


def test_run_with_out_and_an_override(tmp_path: Path) -> None:
    lnd = surefoot.run("default", seed=2, out=tmp_path, figures=False,
                       sim__telemetry_rate_hz=0)
    assert lnd.outcome == "safe"
    assert (tmp_path / "summary.json").exists() and not (tmp_path / "descent.png").exists()
    assert not (tmp_path / "telemetry.parquet").exists()  # none recorded
    with pytest.raises(ValueError, match="no telemetry recorded"):
        lnd.telemetry  # noqa: B018


def test_replay_flies_naive_and_robust_and_refuses_ideal_navigation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fsw.nav.source must be 'ekf'"):
        surefoot.replay("default")
    r = surefoot.replay("im-1", out=tmp_path)
    assert list(r.landings) == ["naive", "robust"]
    assert [lnd.scenario.fsw.nav.rejection for lnd in r.landings.values()] == ["naive", "robust"]
    assert all(s["outcome"] == "safe" for s in r.summaries.values())
    assert (tmp_path / "replay.png").stat().st_size > 10_000
    for mode in ("naive", "robust"):
        stored = json.loads((tmp_path / mode / "summary.json").read_text())
        assert stored["outcome"] == "safe"
        assert stored["touchdown_east_m"] == r.summaries[mode]["touchdown_east_m"]
    assert isinstance(r.figure(), Figure)


def test_run_campaign_stores_reports_resumes_and_reruns(tmp_path: Path) -> None:
    seen = []
    c = surefoot.run_campaign("default-dispersed", runs=4, out=tmp_path / "c", workers=1,
                              batch_size=2, progress=seen.append)
    assert c.flown is not None and c.flown.done == 4 and c.flown.flown == 4
    assert [p.done for p in seen] == [2, 4]
    table = c.table
    assert table.column("run_index").to_pylist() == [0, 1, 2, 3]
    stats = c.stats()
    assert stats.n == 4 and 0.0 <= stats.success_probability <= 1.0
    assert c.report().stat().st_size > 1000

    again = surefoot.run_campaign("default-dispersed", runs=4, out=tmp_path / "c", workers=1)
    assert again.flown is not None and again.flown.flown == 0 and again.flown.done == 4

    row = table.slice(3, 1).to_pylist()[0]
    lnd = surefoot.Campaign(tmp_path / "c").rerun(3)
    assert lnd.scenario.seed == row["seed"]
    assert lnd.outcome == row["outcome"]
    assert lnd.summary["touchdown_vertical_speed_m_s"] == row["touchdown_vertical_speed_m_s"]


def test_hazard_looks_give_the_hazard_figure(tmp_path: Path) -> None:
    lnd = surefoot.run("hazard-field", out=tmp_path)
    assert any("hazard look" in e for e in lnd.events)
    fig = lnd.hazard_figure()
    assert isinstance(fig, Figure) and len(fig.axes) >= 6  # a row of three maps per look
    assert (tmp_path / "hazard.png").stat().st_size > 10_000
    assert (tmp_path / "descent.png").stat().st_size > 10_000
