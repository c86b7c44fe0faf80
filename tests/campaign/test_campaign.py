"""Campaigns end to end: identical tables with 1 or 2 workers, Dask, after a kill and
resume and after a worker death; rerun equals its row; report; bad input exits 2."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from surefoot.campaign.replay import rerun
from surefoot.campaign.report import compute_stats, load_campaign
from surefoot.campaign.runner import CampaignFailed, run_campaign
from surefoot.campaign.worker import BatchOutput, BatchTask, run_batch
from surefoot.cli import main
from surefoot.config.dispersions import numeric_field
from surefoot.config.loader import load_scenario
from surefoot.config.schema import Scenario
from surefoot.sim.batch_fields import check_batchable, is_batch_shared

from .conftest import REFERENCE_RUNS, SCENARIO

pytestmark = pytest.mark.usefixtures("warm_kernel")


def same_rows(table: pa.Table, reference: pa.Table) -> None:
    """Every column equal, row by row (NaN equals NaN), for the runs ``table`` holds."""
    idx = table.column("run_index").to_pylist()
    ref = reference.filter(pa.compute.is_in(reference["run_index"], pa.array(idx)))
    assert table.schema.equals(ref.schema)
    assert table.num_rows == ref.num_rows == len(set(idx))
    assert table.equals(ref), "tables differ"


def cli(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


# --- determinism ------------------------------------------------------------------


def test_two_workers_give_the_same_table(reference, tmp_path: Path) -> None:
    _, ref = reference
    out = tmp_path / "c"
    r = run_campaign(load_scenario(SCENARIO), REFERENCE_RUNS, out, workers=2, batch_size=2)
    assert r.done == REFERENCE_RUNS and r.backend.startswith("2 local")
    same_rows(load_campaign(out).table, ref)
    assert len(list((out / "results").glob("part-*.parquet"))) == 12


def test_dask_local_cluster_gives_the_same_table(reference, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    _, ref = reference
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        out = tmp_path / "c"
        r = run_campaign(load_scenario(SCENARIO), 10, out, dask=client, batch_size=3)
    assert r.done == 10 and "Dask" in r.backend
    same_rows(load_campaign(out).table, ref)


def test_kill_and_resume_loses_and_repeats_nothing(reference, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    _, ref = reference
    out = tmp_path / "c"
    argv = ["campaign", SCENARIO, "--runs", str(REFERENCE_RUNS), "--workers", "1",
            "--batch-size", "2", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "surefoot", *argv], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any((out / "results").glob("part-*.parquet")):
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and its workers
        proc.wait()
    stored = load_campaign(out).table
    assert 0 < stored.num_rows < REFERENCE_RUNS, "the kill came too late to test a resume"
    same_rows(stored, ref)

    rc, text, _ = cli(argv, capsys)
    assert rc == 0 and f"resuming: {stored.num_rows} runs already stored" in text
    same_rows(load_campaign(out).table, ref)
    assert load_campaign(out).table.num_rows == REFERENCE_RUNS
    assert not list(out.rglob("*.tmp"))
    rc, text, _ = cli(argv, capsys)  # a third start has nothing to fly
    assert rc == 0 and "all 24 runs are stored" in text


def _die_once(marker: str, task: BatchTask) -> BatchOutput:
    """Kill the worker process the first time run 5 is in its batch."""
    if 5 in task.run_index and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(3)
    return run_batch(task)


def test_a_dead_worker_is_replaced_and_its_batch_retried(reference, tmp_path: Path) -> None:
    _, ref = reference
    out = tmp_path / "c"
    batch_fn = functools.partial(_die_once, str(tmp_path / "died"))
    r = run_campaign(load_scenario(SCENARIO), 12, out, workers=2, batch_size=2,
                     batch_fn=batch_fn)
    assert (tmp_path / "died").exists()
    assert r.done == 12 and r.retries >= 1
    same_rows(load_campaign(out).table, ref)


def _fails_on_run_3(task: BatchTask) -> BatchOutput:
    if 3 in task.run_index:
        raise RuntimeError("simulated failure")
    return run_batch(task)


def test_a_batch_that_keeps_failing_stops_the_campaign_and_keeps_the_rest(
    reference, tmp_path: Path
) -> None:
    _, ref = reference
    out = tmp_path / "c"
    with pytest.raises(CampaignFailed, match=r"runs 2\.\.3 failed 3 times"):
        run_campaign(load_scenario(SCENARIO), 8, out, workers=1, batch_size=2,
                     batch_fn=_fails_on_run_3)
    stored = load_campaign(out).table
    assert 3 not in stored.column("run_index").to_pylist()
    same_rows(stored, ref)
    # the next start flies what is missing
    r = run_campaign(load_scenario(SCENARIO), 8, out, workers=1, batch_size=2)
    assert r.flown == 8 - stored.num_rows
    same_rows(load_campaign(out).table, ref)


def test_grouped_batches_and_a_failure_driver(tmp_path: Path) -> None:
    """Dispersing batch-shared fields (terrain seed, touchdown limit) splits batches;
    the limit that decides hard landings comes out as the top failure driver."""
    base = load_scenario(SCENARIO)
    data = base.model_dump(mode="json", exclude_defaults=True)
    data["dispersions"] = {"fields": {
        "touchdown.max_vertical_speed_m_s": {"dist": "uniform", "low": 1.48, "high": 1.53},
        "terrain.seed": {"dist": "choice", "values": [0, 1]},
        # a nuisance input; small, because the flight software flies the design
        # Isp, so the truth's Isp now moves the touchdown speed a little
        "vehicle.engine.isp_s": {"dist": "normal", "sigma": 0.05},
    }}
    s = Scenario.model_validate(data)
    a = run_campaign(s, 16, tmp_path / "a", workers=2, batch_size=16)
    b = run_campaign(s, 16, tmp_path / "b", workers=1, batch_size=1)
    assert a.batches == 16 and b.batches == 16  # every run has its own limit
    ta = load_campaign(tmp_path / "a").table
    same_rows(ta, load_campaign(tmp_path / "b").table)
    outcomes = set(ta.column("outcome").to_pylist())
    assert outcomes == {"safe", "hard"}
    reasons = [x for x in ta.column("failure_reason").to_pylist() if x]
    assert all(x.startswith("vertical speed") for x in reasons)
    st = compute_stats(load_campaign(tmp_path / "a"), n_perm=500)
    assert st.failure_drivers[0].input == "touchdown.max_vertical_speed_m_s"
    assert st.failure_drivers[0].r < 0  # lower limits fail more
    assert set(ta.column("terrain.seed").to_pylist()) == {0, 1}
    r = rerun(tmp_path / "a", 9)
    assert r.identical, r.mismatches


def test_batch_grouping_covers_what_the_simulator_shares() -> None:
    """Every numeric field the simulator requires a batch to share is in BATCH_SHARED_FIELDS."""
    s = load_scenario(SCENARIO)
    data = s.model_dump(mode="json")
    missing = []
    for path in _numeric_paths(Scenario, ""):
        f = numeric_field(path)
        node, parts = data, path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.get(p)
            if node is None:
                break
        if node is None:
            continue
        last = parts[-1]
        v = node[int(last)] if isinstance(node, list) else node.get(last)
        if v is None:
            continue
        new = v + 1 if f.integer else v * 1.001 + 1e-3
        if not f.contains(new):
            new = v - 1 if f.integer else v * 0.999 - 1e-3
        d2 = json.loads(json.dumps(data))
        n2 = d2
        for p in parts[:-1]:
            n2 = n2[int(p)] if isinstance(n2, list) else n2[p]
        if isinstance(n2, list):
            n2[int(last)] = new
        else:
            n2[last] = new
        try:
            s2 = Scenario.model_validate(d2)
        except ValueError:
            continue
        try:
            check_batchable([s, s2])
        except ValueError:
            if not is_batch_shared(path):
                missing.append(path)
    assert not missing


def _numeric_paths(model: type, prefix: str) -> list[str]:
    import typing

    from pydantic import BaseModel

    out = []
    for name, info in model.model_fields.items():
        if prefix == "" and name in ("seed", "dispersions"):
            continue
        tp = info.annotation
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) is not tuple and len(args) == 1:
            tp = args[0]
        path = f"{prefix}{name}"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            out += _numeric_paths(tp, path + ".")
        elif typing.get_origin(tp) is tuple:
            out += [f"{path}.{k}" for k, a in enumerate(typing.get_args(tp))
                    if a in (int, float)]
        elif tp in (int, float):
            out.append(path)
    return out


# --- rerun and report ----------------------------------------------------------------


def test_rerun_equals_the_stored_row(reference, tmp_path: Path,
                                     capsys: pytest.CaptureFixture) -> None:
    root, ref = reference
    out = tmp_path / "run7"
    rc, text, _ = cli(["campaign", "rerun", str(root), "7", "--out", str(out)], capsys)
    assert rc == 0 and "identical" in text
    for name in ("telemetry.parquet", "summary.json", "scenario.yaml", "descent.png"):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text())
    row = ref.filter(pa.compute.equal(ref["run_index"], 7)).to_pylist()[0]
    assert summary["seed"] == row["seed"]
    assert summary["touchdown_vertical_speed_m_s"] == row["touchdown_vertical_speed_m_s"]
    # the run's scenario file flies the same landing with 'surefoot run'
    flown = load_scenario(str(out / "scenario.yaml"))
    assert flown.initial.altitude_m == row["initial.altitude_m"]
    assert flown.vehicle.engine.misalignment_deg[1] == row["vehicle.engine.misalignment_deg.1"]


def test_report_page_opens_offline(reference, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    root, ref = reference
    page = tmp_path / "r.html"
    rc, text, _ = cli(["campaign", "report", str(root), "--out", str(page)], capsys)
    assert rc == 0 and "Clopper-Pearson" in text
    html = page.read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "src='http" not in html and "href=" not in html and "<script" not in html
    k = sum(ref.column("success").to_pylist())
    assert f"P(safe) = {k}/{REFERENCE_RUNS}" in html


def test_report_links_the_worst_runs_to_their_3d_view(reference, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    import shutil

    src, _ = reference
    root = tmp_path / "campaign"
    shutil.copytree(src, root)
    page = tmp_path / "r.html"
    rc, text, _ = cli(["campaign", "report", str(root), "--out", str(page), "--views", "1"],
                      capsys)
    assert rc == 0 and "re-flying run" in text and "differently" not in text
    html = page.read_text()
    links = [part.split("'")[0] for part in html.split("href='")[1:]]
    assert len(links) == 1 and links[0].endswith("/view.html")
    view = (page.parent / links[0]).resolve()
    assert view.is_file() and view.stat().st_size > 100_000
    assert "three" in view.read_text()[:2_000_000].lower()
    # a second report links the same view without flying again
    rc, text, _ = cli(["campaign", "report", str(root), "--out", str(page)], capsys)
    assert rc == 0 and "re-flying" not in text and page.read_text().count("href='") == 1


def test_cli_dask_local(reference, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, ref = reference
    out = tmp_path / "c"
    rc, text, _ = cli(["campaign", SCENARIO, "--runs", "3", "--dask", "local", "--workers",
                       "1", "--out", str(out)], capsys)
    assert rc == 0 and "Dask LocalCluster on 127.0.0.1" in text
    same_rows(load_campaign(out).table, ref)


def test_dask_local_listens_on_loopback_only_and_refuses_strangers() -> None:
    """The scheduler and every worker of ``--dask local`` bind 127.0.0.1 with mutual
    TLS; a client holding its own certificate (another process of the machine)
    is refused at the handshake."""
    from distributed import Client
    from distributed.security import Security

    from surefoot.campaign.backends import DaskBackend

    backend = DaskBackend("local", workers=1)
    try:
        info = backend.client.scheduler_info()
        addresses = [info["address"], *info["workers"]]
        assert len(addresses) == 2
        for address in addresses:
            assert address.startswith("tls://127.0.0.1:"), address
        assert backend.description.startswith("Dask LocalCluster on 127.0.0.1 with TLS")
        with pytest.raises((OSError, TimeoutError)):
            Client(info["address"], timeout="3s", set_as_default=False,
                   security=Security.temporary())
    finally:
        backend.close()


# --- bad input: one line, exit status 2 ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([SCENARIO], "--runs: required"),
        ([SCENARIO, "--runs", "0"], "--runs: must be >= 1"),
        ([SCENARIO, "--runs", "ten"], "--runs: must be an integer"),
        ([SCENARIO, "--runs", "5", "--workers", "0"], "--workers: must be >= 1"),
        ([SCENARIO, "--runs", "5", "--batch-size", "0"], "--batch-size: must be >= 1"),
        ([SCENARIO, "--runs", "5", "--seed", "-3"], "--seed: must be >= 0"),
        (["no-such-scenario", "--runs", "5"], "not a built-in scenario"),
        ([SCENARIO, "--runs", "5", "--set", "dispersions.fields.initial.altitud_m.dist=normal"],
         "altitud_m"),
        ([SCENARIO, "--runs", "5", "--set",
          "dispersions.fields.initial.uprange_km={dist: normal, sigma: 900}"],
         "dispersions.fields.initial.uprange_km: normal(mean 850"),
        ([SCENARIO, "extra", "--runs", "5"], "expected one scenario"),
        (["report"], "usage: surefoot campaign report"),
        (["rerun", "x"], "usage: surefoot campaign rerun"),
        (["report", "x", "--views", "-1"], "--views: must be >= 0"),
        (["report", "x", "--views", "21"], "--views: at most 20"),
        (["rerun", "x", "1", "--views", "2"], "--views: not an option"),
        (
            [SCENARIO, "--runs", "5", "--workers", "1", "--views", "abc"],
            "--views: an option of 'surefoot campaign report' only",
        ),
        (
            [SCENARIO, "--runs", "5", "--workers", "1", "--views", "-7"],
            "--views: an option of 'surefoot campaign report' only",
        ),
        (["rerun", "x", "-1"], "RUN_INDEX: must be >= 0"),
        ([SCENARIO, "--runs", "2", "--dask", "tcp://127.0.0.1:9", "--workers", "2"],
         "--workers: the cluster"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    rc, _, err = cli(["campaign", *args, "--out", str(tmp_path / "c")]
                     if args[0] not in ("report", "rerun") else ["campaign", *args], capsys)
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_a_different_campaign_is_refused(reference, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    root, _ = reference
    copy = tmp_path / "c"
    shutil.copytree(root, copy)
    for extra, what in ((["--seed", "5"], "campaign_seed differs"),
                        (["--set", "vehicle.dry_mass_kg=345"], "vehicle.dry_mass_kg differs")):
        rc, _, err = cli(["campaign", SCENARIO, "--runs", "30", "--out", str(copy), *extra],
                         capsys)
        assert rc == 2 and "holds a different campaign" in err and what in err
        assert len(err.strip().splitlines()) == 1


def test_corrupted_folders_are_one_line_and_exit_2(reference, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    root, _ = reference
    # a truncated part file
    bad = tmp_path / "truncated"
    shutil.copytree(root, bad)
    part = sorted((bad / "results").glob("part-*.parquet"))[1]
    part.write_bytes(part.read_bytes()[:100])
    for argv in (["campaign", "report", str(bad)],
                 ["campaign", "rerun", str(bad), "3"],
                 ["campaign", SCENARIO, "--runs", str(REFERENCE_RUNS), "--out", str(bad)]):
        rc, _, err = cli(argv, capsys)
        assert rc == 2 and part.name in err and "corrupted" in err, err
        assert len(err.strip().splitlines()) == 1
    # a part with other columns, a duplicated part, a broken or missing manifest
    cases = {
        "columns": lambda d: pq.write_table(pa.table({"run_index": [0]}),
                                            d / "results" / "part-x.parquet"),
        "duplicate": lambda d: shutil.copy(
            sorted((d / "results").glob("part-*.parquet"))[0], d / "results" / "part-y.parquet"),
        "manifest": lambda d: (d / "campaign.json").write_text("{not json"),
        "no-manifest": lambda d: (d / "campaign.json").unlink(),
    }
    for name, damage in cases.items():
        d = tmp_path / name
        shutil.copytree(root, d)
        damage(d)
        rc, _, err = cli(["campaign", "report", str(d)], capsys)
        assert rc == 2 and "corrupted" in err, (name, err)
        assert len(err.strip().splitlines()) == 1
    rc, _, err = cli(["campaign", "report", str(tmp_path / "nothing")], capsys)
    assert rc == 2 and "no such campaign folder" in err
    rc, _, err = cli(["campaign", "rerun", str(root), str(REFERENCE_RUNS)], capsys)
    assert rc == 2 and "RUN_INDEX: must be in 0..23" in err


def test_tables_hold_every_input_and_the_outcome(reference) -> None:
    _, ref = reference
    names = ref.column_names
    scen = load_scenario(SCENARIO)
    for p in scen.dispersions.paths:
        assert p in names
    assert ref.column("run_index").to_pylist() == list(range(REFERENCE_RUNS))
    for c in ("seed", "outcome", "success", "failure_reason", "propellant_margin_kg",
              "distance_from_target_m", "end", "final_phase", "t_low_gate_s"):
        assert c in names
    alt = np.array(ref.column("initial.altitude_m").to_pylist())
    assert alt.std() > 10.0  # dispersed
    # moderate dispersions: the current guidance lands them
    assert set(ref.column("outcome").to_pylist()) == {"safe"}


def test_an_invalid_run_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "c"
    spec = "dispersions.fields.touchdown.max_vertical_speed_m_s"
    bad = [f"{spec}.dist=uniform", f"{spec}.low=5.0", f"{spec}.high=7.0"]
    argv = ["campaign", SCENARIO, "--runs", "2", "--workers", "1", "--out", str(out)]
    rc, _, err = cli([*argv, *[a for x in bad for a in ("--set", x)]], capsys)
    assert rc == 2 and "draws an invalid scenario" in err and "crash_vertical" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (out / "campaign.json").exists() and not (out / "results").exists()
    good = [f"{spec}.dist=uniform", f"{spec}.low=1.9", f"{spec}.high=2.1"]
    rc, text, _ = cli([*argv, *[a for x in good for a in ("--set", x)]], capsys)
    assert rc == 0 and "done: 2/2 runs stored" in text


def test_pool_workers_lock_the_shared_cache_while_saving() -> None:
    """Two workers compiling on an empty cache must not lose each other's index
    entries (the race tests/sim/test_compile_parallel.py shows without the lock)."""
    import signal

    from numba.core import caching

    from surefoot.campaign.worker import init_worker

    before = signal.getsignal(signal.SIGINT)
    try:
        init_worker()
        assert getattr(caching.IndexDataCacheFile.save, "_surefoot_locked", False)
    finally:
        signal.signal(signal.SIGINT, before)
