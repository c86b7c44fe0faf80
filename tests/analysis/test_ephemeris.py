"""``surefoot export``: CCSDS OEM / CSV of a run's trajectory, the frame transform,
the strict OEM reader, and one-line errors with exit 2."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import surefoot
from surefoot.analysis.ephemeris import (
    enu_to_moon_centred,
    format_epoch,
    parse_epoch,
    read_oem,
    read_run_states,
)
from surefoot.cli import main
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.math.frames import rot_mci_to_mcmf
from surefoot.sim.output import scenario_yaml
from surefoot.sim.telemetry import N_COLUMNS, TEL_R_ENU, TEL_T, TEL_V_ENU, to_table
from surefoot.world.site_frame import site_params, truth_enu
from surefoot.world.vehicle import N_STATE, S_Q, S_R, S_V

MM_KM = 1e-6  # 1 mm in km; 1 mm/s in km/s


@pytest.fixture(scope="module")
def landing_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, surefoot.Landing]:
    out = tmp_path_factory.mktemp("default_run")
    landing = surefoot.run("default", out=out, figures=False)
    return out, landing


@pytest.fixture()
def small_run(tmp_path: Path) -> Path:
    """A run folder of three hand-made rows (no flight): scenario.yaml + telemetry."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "scenario.yaml").write_text(scenario_yaml(load_scenario("default")), encoding="utf-8")
    rows = np.zeros((3, N_COLUMNS))
    rows[:, TEL_T] = [0.0, 0.5, 1.0]
    rows[:, TEL_R_ENU : TEL_R_ENU + 3] = [
        [-1000.0, 20.0, 2000.0], [-990.0, 20.0, 1990.0], [-980.0, 20.0, 1980.0]
    ]
    rows[:, TEL_V_ENU : TEL_V_ENU + 3] = [20.0, 0.0, -20.0]
    pq.write_table(to_table(rows), run / "telemetry.parquet", write_page_checksum=True)
    return run


def test_oem_of_the_default_landing_round_trips(
    landing_dir: tuple[Path, surefoot.Landing], tmp_path: Path
) -> None:
    run, landing = landing_dir
    out = tmp_path / "default.oem"
    assert main(["export", str(run), "--out", str(out)]) == 0
    oem = read_oem(out.read_text(encoding="utf-8"))
    assert oem.header["CCSDS_OEM_VERS"] == "2.0"
    assert oem.meta["CENTER_NAME"] == "MOON"
    assert oem.meta["REF_FRAME"] == "MCI"
    assert oem.meta["REF_FRAME_EPOCH"] == "2000-01-01T12:00:00.000000"
    assert oem.meta["TIME_SYSTEM"] == "TDB"
    assert any("epoch convention" in c for c in oem.comments)

    states = read_run_states(run, "mci")
    t0 = parse_epoch("2000-01-01T12:00:00")
    assert oem.epochs == [format_epoch(t0, float(t)) for t in states.t_s]
    assert len(oem.epochs) > 100
    np.testing.assert_allclose(oem.r_km, states.r_m / 1e3, rtol=0, atol=MM_KM)
    np.testing.assert_allclose(oem.v_km_s, states.v_m_s / 1e3, rtol=0, atol=MM_KM)

    # independent of the transform: the simulator's own inertial state at the end
    x = landing.result.final_state[landing.index]
    t_end = float(landing.result.flight_time_s[landing.index])
    k = int(np.argmin(np.abs(states.t_s - t_end)))
    assert abs(states.t_s[k] - t_end) < 1e-9
    np.testing.assert_allclose(oem.r_km[k], x[S_R : S_R + 3] / 1e3, rtol=0, atol=MM_KM)
    np.testing.assert_allclose(oem.v_km_s[k], x[S_V : S_V + 3] / 1e3, rtol=0, atol=MM_KM)


def test_moon_fixed_export_is_the_inertial_one_rotated(
    landing_dir: tuple[Path, surefoot.Landing], tmp_path: Path
) -> None:
    run, landing = landing_dir
    out = tmp_path / "fixed.oem"
    assert main(["export", str(run), "--frame", "mcmf", "--out", str(out),
                 "--epoch", "2030-02-03T04:05:06.5"]) == 0
    oem = read_oem(out.read_text(encoding="utf-8"))
    assert oem.meta["REF_FRAME"] == "MOON_ME"
    assert "REF_FRAME_EPOCH" not in oem.meta
    assert oem.meta["START_TIME"] == "2030-02-03T04:05:06.500000"
    mci = read_run_states(run, "mci")
    omega = landing.scenario.moon.rotation_rate_rad_s
    for k in (0, len(mci.t_s) // 2, len(mci.t_s) - 1):
        r = rot_mci_to_mcmf(mci.r_m[k], omega * mci.t_s[k]) / 1e3
        np.testing.assert_allclose(oem.r_km[k], r, rtol=0, atol=MM_KM)


def test_csv_has_unit_named_columns(
    landing_dir: tuple[Path, surefoot.Landing], tmp_path: Path
) -> None:
    run, _ = landing_dir
    out = tmp_path / "traj.csv"
    assert main(["export", str(run), "--format", "csv", "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["t_s", "x_mci_m", "y_mci_m", "z_mci_m",
                       "vx_mci_m_s", "vy_mci_m_s", "vz_mci_m_s"]
    states = read_run_states(run, "mci")
    got = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(got[:, 0], states.t_s)
    np.testing.assert_array_equal(got[:, 1:4], states.r_m)
    np.testing.assert_array_equal(got[:, 4:7], states.v_m_s)


def test_a_lander_resting_at_the_site_circles_the_spin_axis() -> None:
    lat, lon = math.radians(-30.0), math.radians(40.0)
    radius, omega, h = 1_737_400.0, 2.6617e-6, 12.0
    t = np.array([0.0, 3600.0, 86_400.0])
    r_enu = np.tile([0.0, 0.0, h], (3, 1))
    r, v = enu_to_moon_centred(t, r_enu, np.zeros((3, 3)), lat, lon, radius, omega)
    rho = (radius + h) * math.cos(lat)
    np.testing.assert_allclose(np.hypot(r[:, 0], r[:, 1]), rho, rtol=1e-13)
    np.testing.assert_allclose(r[:, 2], (radius + h) * math.sin(lat), rtol=1e-13)
    # the longitude advances at the rotation rate, from the site longitude at t = 0
    ang = np.unwrap(np.arctan2(r[:, 1], r[:, 0]))
    np.testing.assert_allclose(ang, lon + omega * t, atol=1e-12)
    # moving on the circle: speed omega * rho, tangent to it, no vertical speed
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), omega * rho, rtol=1e-12)
    np.testing.assert_allclose(np.einsum("ij,ij->i", r, v), 0.0, atol=1e-6)
    np.testing.assert_allclose(v[:, 2], 0.0, atol=1e-12)
    fixed, v_fixed = enu_to_moon_centred(t, r_enu, np.zeros((3, 3)), lat, lon, radius, omega,
                                         "mcmf")
    np.testing.assert_allclose(fixed, np.tile(fixed[0], (3, 1)), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(v_fixed, 0.0)


def test_transform_inverts_the_simulators_truth_to_enu() -> None:
    rng = np.random.default_rng(7)
    lat, lon, radius, omega = 0.4, -1.1, 1_737_400.0, 2.6617e-6
    site = site_params(lat, lon, radius, omega)
    x = np.zeros(N_STATE)
    x[S_Q] = 1.0
    for t in (0.0, 250.0, 700.0):
        x[S_R : S_R + 3] = rng.normal(size=3) * 1e6 + 1_750_000.0 * np.array([0.3, 0.4, 0.5])
        x[S_V : S_V + 3] = rng.normal(size=3) * 1e3
        r_enu, v_enu, _, _ = truth_enu(x, t, site)
        r, v = enu_to_moon_centred(np.array([t]), r_enu[None], v_enu[None], lat, lon, radius,
                                   omega)
        np.testing.assert_allclose(r[0], x[S_R : S_R + 3], rtol=0, atol=1e-6)
        np.testing.assert_allclose(v[0], x[S_V : S_V + 3], rtol=0, atol=1e-9)


def test_small_run_exports_to_standard_output(
    small_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(small_run)]) == 0
    oem = read_oem(capsys.readouterr().out)
    assert oem.meta["OBJECT_NAME"] == "default"
    assert oem.epochs[-1] == "2000-01-01T12:00:01.000000"
    assert oem.meta["STOP_TIME"] == oem.epochs[-1]
    assert np.all(np.abs(np.linalg.norm(oem.r_km, axis=1) - 1739.4) < 5.0)


@pytest.mark.parametrize(
    ("make", "argv_extra", "field"),
    [
        ("missing", [], "RUN_DIR"),
        ("damaged", [], "telemetry.parquet"),
        ("no_column", [], "'r_north'"),
        ("ok", ["--epoch", "2000-13-01T00:00:00"], "--epoch"),
        ("ok", ["--epoch", "tomorrow"], "--epoch"),
        ("ok", ["--epoch", "9999-12-31T23:59:59.9"], "--epoch"),
        ("ok", ["--out", "FILE_AS_FOLDER/x.oem"], "--out"),
        ("ok", ["--out", "x.png"], "--out"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    make: str, argv_extra: list[str], field: str,
) -> None:
    run = small_run
    if make == "missing":
        run = tmp_path / "nowhere"
    elif make == "damaged":
        (run / "telemetry.parquet").write_bytes(b"PAR1 not really")
    elif make == "no_column":
        tab = pq.read_table(run / "telemetry.parquet").drop_columns(["r_north_m"])
        pq.write_table(tab, run / "telemetry.parquet")
    (tmp_path / "FILE_AS_FOLDER").write_text("a file", encoding="utf-8")
    argv = [a.replace("FILE_AS_FOLDER", str(tmp_path / "FILE_AS_FOLDER"))
            .replace("x.png", str(tmp_path / "x.png")) for a in argv_extra]
    assert main(["export", str(run), *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert field in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


def test_a_bit_flip_in_the_telemetry_is_caught(
    small_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 500
    rows = np.zeros((n, N_COLUMNS))
    rows[:, TEL_T] = np.arange(n) * 0.1
    r_east = np.random.default_rng(3).random(n) * 1e4  # incompressible: stored as it is
    rows[:, TEL_R_ENU] = r_east
    path = small_run / "telemetry.parquet"
    pq.write_table(to_table(rows), path, write_page_checksum=True)
    assert main(["export", str(small_run)]) == 0
    capsys.readouterr()
    raw = bytearray(path.read_bytes())
    pos = raw.find(r_east[250:251].tobytes())
    assert pos > 0
    raw[pos] ^= 0x01
    path.write_bytes(bytes(raw))
    assert main(["export", str(small_run)]) == 2
    err = capsys.readouterr().err
    assert "telemetry.parquet" in err and len(err.strip().splitlines()) == 1


def test_a_read_only_out_folder_is_refused(
    small_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os

    from surefoot.cli import safety

    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        if Path(os.fspath(path)).resolve() == ro.resolve() and mode & os.W_OK:
            return False
        return real(path, mode, **kw)

    monkeypatch.setattr(safety.os, "access", access)
    assert main(["export", str(small_run), "--out", str(ro / "a.oem")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not writable" in err
    assert not (ro / "a.oem").exists()


def test_parse_epoch_is_utc_free_iso() -> None:
    assert parse_epoch("2024-02-29T23:59:59.25") == datetime(2024, 2, 29, 23, 59, 59, 250000,
                                                            tzinfo=UTC)
    with pytest.raises(ConfigError, match="--epoch"):
        parse_epoch("2023-02-29T00:00:00")


def _oem(meta_extra: str = "", data: str | None = None) -> str:
    data = data if data is not None else (
        "2000-01-01T12:00:00.000000 1.0 2.0 3.0 0.1 0.2 0.3\n"
        "2000-01-01T12:00:01.000000 1.1 2.0 3.0 0.1 0.2 0.3\n"
    )
    return (
        "CCSDS_OEM_VERS = 2.0\nCREATION_DATE = 2026-01-01T00:00:00\nORIGINATOR = X\n"
        "META_START\nOBJECT_NAME = a\nOBJECT_ID = b\nCENTER_NAME = MOON\nREF_FRAME = MCI\n"
        f"{meta_extra}TIME_SYSTEM = TDB\nSTART_TIME = 2000-01-01T12:00:00\n"
        "STOP_TIME = 2000-01-01T12:00:01\nMETA_STOP\n" + data
    )


def test_reader_accepts_a_minimal_file_and_rejects_broken_ones() -> None:
    oem = read_oem(_oem())
    np.testing.assert_array_equal(oem.r_km[1], [1.1, 2.0, 3.0])
    with pytest.raises(ValueError, match="FRAME_NAME"):
        read_oem(_oem("FRAME_NAME = X\n"))
    with pytest.raises(ValueError, match="given twice"):
        read_oem(_oem("CENTER_NAME = MOON\n"))
    with pytest.raises(ValueError, match="7 fields"):
        read_oem(_oem(data="2000-01-01T12:00:00 1.0 2.0 3.0 0.1 0.2\n"))
    with pytest.raises(ValueError, match="do not increase"):
        read_oem(_oem(data="2000-01-01T12:00:01 1 2 3 0 0 0\n2000-01-01T12:00:00 1 2 3 0 0 0\n"))
    with pytest.raises(ValueError, match="outside"):
        read_oem(_oem(data="2000-01-01T12:00:02 1 2 3 0 0 0\n"))
    with pytest.raises(ValueError, match="lacks REF_FRAME"):
        read_oem(_oem().replace("REF_FRAME = MCI\n", ""))
    with pytest.raises(ValueError, match="CCSDS_OEM_VERS"):
        read_oem(_oem().replace("CCSDS_OEM_VERS = 2.0", "CCSDS_OEM_VERS = 1.0"))
