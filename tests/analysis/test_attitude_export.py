"""``surefoot export --format aem|czml``: the attitude transform against the simulator's
own inertial attitude, the strict AEM reader, CZML contents, one-line errors."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import surefoot
from surefoot.analysis.attitude_ephemeris import (
    enu_to_moon_centred_attitude,
    read_aem,
    read_run_attitude,
)
from surefoot.analysis.ephemeris import read_run_states
from surefoot.cli import main
from surefoot.math.quaternion import quat_mul_rows
from surefoot.world.site_frame import site_params, truth_enu
from surefoot.world.vehicle import N_STATE, S_Q, S_R, S_V


def _aligned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b`` with the sign that matches ``a`` (q and -q are the same rotation)."""
    return b * np.sign(np.sum(a * b, axis=-1, keepdims=True))


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``q ⊗ v ⊗ q*`` row by row (scalar first)."""
    vq = np.column_stack([np.zeros(len(q)), np.broadcast_to(v, (len(q), 3))])
    conj = q * np.array([1.0, -1.0, -1.0, -1.0])
    return quat_mul_rows(quat_mul_rows(q, vq), conj)[:, 1:]


@pytest.fixture(scope="module")
def landing_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, surefoot.Landing]:
    out = tmp_path_factory.mktemp("default_run_att")
    landing = surefoot.run("default", out=out, figures=False)
    return out, landing


def test_transform_inverts_the_simulators_truth_to_enu_attitude() -> None:
    rng = np.random.default_rng(11)
    lat, lon, radius, omega = -0.7, 2.2, 1_737_400.0, 2.6617e-6
    site = site_params(lat, lon, radius, omega)
    x = np.zeros(N_STATE)
    x[S_R : S_R + 3] = [1_000_000.0, 1_000_000.0, 900_000.0]
    x[S_V : S_V + 3] = [10.0, -20.0, 5.0]
    for t in (0.0, 400.0, 9_000.0):
        q = rng.normal(size=4)
        x[S_Q : S_Q + 4] = q / np.linalg.norm(q)
        _, _, q_enu, _ = truth_enu(x, t, site)
        got = enu_to_moon_centred_attitude(np.array([t]), q_enu[None], lat, lon, omega, "mci")
        want = x[S_Q : S_Q + 4][None]
        np.testing.assert_allclose(_aligned(got, want), got, rtol=0, atol=1e-12)
        assert got[0, 0] >= 0.0


def test_aem_of_the_default_landing_round_trips_and_matches_the_truth(
    landing_dir: tuple[Path, surefoot.Landing], tmp_path: Path
) -> None:
    run, landing = landing_dir
    out = tmp_path / "default.aem"
    assert main(["export", str(run), "--format", "aem", "--out", str(out)]) == 0
    aem = read_aem(out.read_text(encoding="utf-8"))
    assert aem.meta["REF_FRAME_A"] == "MCI"
    assert aem.meta["REF_FRAME_B"] == "SC_BODY_1"
    assert aem.meta["ATTITUDE_DIR"] == "A2B"
    assert aem.meta["QUATERNION_TYPE"] == "LAST"
    att = read_run_attitude(run, "mci")
    assert len(aem.epochs) == len(att.t_s) > 100
    np.testing.assert_allclose(aem.q, att.q_body_to_frame, rtol=0, atol=1e-11)
    # independent of the transform: the simulator's own inertial attitude at the end
    x = landing.result.final_state[landing.index]
    t_end = float(landing.result.flight_time_s[landing.index])
    k = int(np.argmin(np.abs(att.t_s - t_end)))
    assert abs(att.t_s[k] - t_end) < 1e-9
    q_truth = x[S_Q : S_Q + 4][None]
    np.testing.assert_allclose(_aligned(aem.q[k : k + 1], q_truth), aem.q[k : k + 1], atol=1e-9)


def test_moon_fixed_attitude_gives_the_tilt_from_local_vertical(
    landing_dir: tuple[Path, surefoot.Landing],
) -> None:
    """Body z (thrust axis) against the radial direction is the telemetry's tilt."""
    import pyarrow.parquet as pq

    run, _ = landing_dir
    att = read_run_attitude(run, "mcmf")
    states = read_run_states(run, "mcmf")
    body_z = _rotate(att.q_body_to_frame, np.array([0.0, 0.0, 1.0]))
    up = states.r_m / np.linalg.norm(states.r_m, axis=1)[:, None]
    tilt = np.degrees(np.arccos(np.clip(np.sum(body_z * up, axis=1), -1.0, 1.0)))
    tab = pq.read_table(run / "telemetry.parquet")
    t_all = tab.column("t_s").to_numpy()
    tel_tilt = tab.column("tilt_deg").to_numpy()
    keep = np.concatenate([[True], np.diff(t_all) > 0.0])
    # the telemetry's tilt is from the site's up; near the site (last 60 s) the two agree
    late = att.t_s > att.t_s[-1] - 60.0
    np.testing.assert_allclose(tilt[late], tel_tilt[keep][late], atol=0.05)


def test_czml_carries_the_moon_fixed_path_and_attitude(
    landing_dir: tuple[Path, surefoot.Landing], tmp_path: Path
) -> None:
    run, _ = landing_dir
    out = tmp_path / "landing.czml"
    assert main(["export", str(run), "--format", "czml", "--out", str(out),
                 "--epoch", "2026-03-02T08:00:00"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    lander = doc[1]
    assert lander["position"]["referenceFrame"] == "FIXED"
    assert lander["position"]["epoch"] == "2026-03-02T08:00:00.000000Z"
    pos = np.array(lander["position"]["cartesian"]).reshape(-1, 4)
    states = read_run_states(run, "mcmf")
    np.testing.assert_allclose(pos[:, 0], states.t_s - states.t_s[0], atol=1e-9)
    np.testing.assert_allclose(pos[:, 1:], states.r_m, rtol=0, atol=1e-6)
    quat = np.array(lander["orientation"]["unitQuaternion"]).reshape(-1, 5)
    att = read_run_attitude(run, "mcmf")
    np.testing.assert_allclose(quat[:, [4, 1, 2, 3]], att.q_body_to_frame, atol=1e-12)
    start, stop = (datetime.fromisoformat(s.rstrip("Z"))
                   for s in lander["availability"].split("/"))
    assert start == datetime(2026, 3, 2, 8, 0, 0)
    assert math.isclose((stop - start).total_seconds(), states.t_s[-1] - states.t_s[0],
                        abs_tol=1e-6)


def test_czml_in_the_inertial_frame_is_refused_in_one_line(
    landing_dir: tuple[Path, surefoot.Landing], capsys: pytest.CaptureFixture[str]
) -> None:
    run, _ = landing_dir
    assert main(["export", str(run), "--format", "czml", "--frame", "mci"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--frame" in err


def _aem(meta_extra: str = "", data: str | None = None, qtype: str = "LAST") -> str:
    data = data if data is not None else (
        "2000-01-01T12:00:00 0.0 0.0 0.0 1.0\n2000-01-01T12:00:01 0.6 0.0 0.0 0.8\n"
    )
    return (
        "CCSDS_AEM_VERS = 1.0\nCREATION_DATE = 2026-01-01T00:00:00\nORIGINATOR = X\n"
        "META_START\nOBJECT_NAME = a\nOBJECT_ID = b\nCENTER_NAME = MOON\nREF_FRAME_A = MCI\n"
        f"REF_FRAME_B = SC_BODY_1\nATTITUDE_DIR = A2B\n{meta_extra}TIME_SYSTEM = TDB\n"
        "START_TIME = 2000-01-01T12:00:00\nSTOP_TIME = 2000-01-01T12:00:01\n"
        f"ATTITUDE_TYPE = QUATERNION\nQUATERNION_TYPE = {qtype}\nMETA_STOP\n"
        f"DATA_START\n{data}DATA_STOP\n"
    )


def test_reader_accepts_a_minimal_file_and_rejects_broken_ones() -> None:
    aem = read_aem(_aem())
    np.testing.assert_array_equal(aem.q[1], [0.8, 0.6, 0.0, 0.0])
    np.testing.assert_array_equal(read_aem(_aem(qtype="FIRST")).q[1], [0.6, 0.0, 0.0, 0.8])
    with pytest.raises(ValueError, match="not a unit quaternion"):
        read_aem(_aem(data="2000-01-01T12:00:00 0.0 0.0 0.0 2.0\n"))
    with pytest.raises(ValueError, match="5 fields"):
        read_aem(_aem(data="2000-01-01T12:00:00 0.0 0.0 1.0\n"))
    with pytest.raises(ValueError, match="QUATERNION_TYPE"):
        read_aem(_aem(qtype="MIDDLE"))
    with pytest.raises(ValueError, match="given twice"):
        read_aem(_aem("CENTER_NAME = MOON\n"))
    with pytest.raises(ValueError, match="DATA_START"):
        read_aem(_aem().replace("DATA_START\n", ""))
    with pytest.raises(ValueError, match="do not increase"):
        read_aem(_aem(data="2000-01-01T12:00:01 0 0 0 1\n2000-01-01T12:00:00 0 0 0 1\n"))
    with pytest.raises(ValueError, match="CCSDS_AEM_VERS"):
        read_aem(_aem().replace("CCSDS_AEM_VERS = 1.0", "CCSDS_AEM_VERS = 3.0"))
