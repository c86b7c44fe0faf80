"""A hunt on flown landings: deterministic whatever the workers, resumable after a kill,
each run re-flown bit for bit from its stored row, bad input one line with exit 2.

Scenario: ``tests/hunt/short-descent.yaml`` (ideal navigation, a ~95 s descent).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surefoot.campaign.hunt.driver import SUMMARY, HuntSettings, run_hunt
from surefoot.campaign.hunt.margin import safety_margins
from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign
from surefoot.campaign.runner import run_campaign
from surefoot.campaign.store import CampaignError
from surefoot.cli import main

from .conftest import SHORT_DESCENT, short_descent

SETTINGS = HuntSettings(method="subset", budget=200, level_size=50, seed=3)


def _table(root: Path) -> pa.Table:
    return load_campaign(root).table


@pytest.fixture(scope="session")
def reference(warm_kernel: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A subset hunt flown on one local worker."""
    out = tmp_path_factory.mktemp("hunt") / "one-worker"
    run_hunt(short_descent(), SETTINGS, out, workers=1)
    return out


def test_two_workers_give_the_same_hunt(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "two"
    o = run_hunt(short_descent(), SETTINGS, out, workers=2)
    assert _table(out).equals(_table(reference))
    ref = json.loads((reference / SUMMARY).read_text())
    got = json.loads((out / SUMMARY).read_text())
    got["worst_cases"] = [{**c, "command": ""} for c in got["worst_cases"]]
    ref["worst_cases"] = [{**c, "command": ""} for c in ref["worst_cases"]]
    assert got == ref
    est = o.summary["estimate"]
    assert est["complete"] and o.summary["runs"] <= SETTINGS.budget
    lo, hi = est["interval_95"]
    assert 0.0 < lo < est["probability"] < hi


def test_level_zero_is_the_campaign(reference: Path, tmp_path: Path) -> None:
    """The first level of a hunt with seed S is runs 0..N-1 of a campaign with seed S."""
    out = tmp_path / "campaign"
    run_campaign(short_descent(), SETTINGS.level_size, out, campaign_seed=SETTINGS.seed, workers=1)
    hunt = _table(reference).slice(0, SETTINGS.level_size)
    assert _table(out).equals(hunt)


def test_summary_levels_and_worst_cases_match_the_rows(reference: Path) -> None:
    summary = json.loads((reference / SUMMARY).read_text())
    table = _table(reference)
    cols = table.to_pydict()
    m = safety_margins(cols, short_descent().model_dump(mode="json"))
    margin = dict(zip(cols["run_index"], m.margin.tolist(), strict=True))
    for lv in summary["estimate"]["levels"]:
        assert [margin[i] for i in lv["run_index"]] == lv["margins"]
    worst = summary["worst_cases"]
    assert worst[0]["margin"] == min(margin.values()) < 0.0
    assert summary["failures_found"] == sum(v < 0 for v in margin.values())
    assert worst[0]["command"] == f"surefoot campaign rerun {reference} {worst[0]['run_index']}"


def test_rerun_reproduces_a_hunted_failure_bit_for_bit(reference: Path) -> None:
    summary = json.loads((reference / SUMMARY).read_text())
    worst = summary["worst_cases"][0]
    assert worst["run_index"] >= SETTINGS.level_size  # found by the search, not the prior
    r = rerun(reference, worst["run_index"], telemetry=False)
    assert r.identical and r.row["outcome"] == worst["outcome"] != "safe"


def test_a_run_not_yet_flown_cannot_be_rerun(reference: Path) -> None:
    with pytest.raises(CampaignError, match="not stored"):
        rerun(reference, SETTINGS.budget - 1, telemetry=False)


def test_kill_and_resume_gives_the_same_hunt(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "killed"
    argv = [
        "hunt",
        str(SHORT_DESCENT),
        "--budget",
        str(SETTINGS.budget),
        "--level-size",
        str(SETTINGS.level_size),
        "--seed",
        str(SETTINGS.seed),
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "surefoot", *argv],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    try:
        # kill it inside the first conditional level (level 0 is 1-2 part files)
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "results").glob("part-*.parquet"))) >= 4:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and its workers
        proc.wait()
    stored = _table(out)
    total = _table(reference).num_rows
    assert SETTINGS.level_size <= stored.num_rows < total, "the kill came too late"
    assert stored.equals(_table(reference).slice(0, stored.num_rows))
    assert not (out / SUMMARY).exists()

    rc = main(argv)
    text = capsys.readouterr().out
    assert rc == 0 and "resuming" in text and f"{stored.num_rows} read back" in text
    assert _table(out).equals(_table(reference))
    assert (
        json.loads((out / SUMMARY).read_text())["estimate"]
        == json.loads((reference / SUMMARY).read_text())["estimate"]
    )


def test_another_hunt_in_the_folder_is_refused(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rc = main(
        [
            "hunt",
            str(SHORT_DESCENT),
            "--budget",
            "200",
            "--level-size",
            "100",
            "--seed",
            str(SETTINGS.seed),
            "--out",
            str(reference),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "hunt.level_size differs" in err and len(err.strip().splitlines()) == 1
    rc = main(
        [
            "campaign",
            str(SHORT_DESCENT),
            "--runs",
            "10",
            "--seed",
            str(SETTINGS.seed),
            "--out",
            str(reference),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "holds a different campaign (hunt" in err


# --- bad input -----------------------------------------------------------------------


def _not_an_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


bad_values = {
    "--budget": st.one_of(st.integers(max_value=0).map(str), st.text().filter(_not_an_int)),
    "--seed": st.one_of(
        st.integers(max_value=-1).map(str),
        st.text().filter(_not_an_int),
        st.integers(min_value=2**63, max_value=2**70).map(str),
    ),
    "--level-size": st.one_of(
        st.integers(min_value=-5, max_value=10**6).filter(lambda n: n < 1 or n % 10).map(str),
        st.text().filter(_not_an_int),
    ),
    "--workers": st.one_of(st.integers(max_value=0).map(str), st.text().filter(_not_an_int)),
    "--method": st.text().filter(lambda t: t not in ("subset", "cross-entropy", "cmaes")),
}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flag_value=st.sampled_from(sorted(bad_values)).flatmap(
        lambda f: st.tuples(st.just(f), bad_values[f])
    )
)
def test_bad_arguments_are_one_line_and_exit_2(
    flag_value: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    flag, value = flag_value
    if "\x00" in value:
        value = value.replace("\x00", "")
        if not value:
            value = "x"
    args = {"--budget": "400", "--level-size": "200", "--method": "subset"}
    args[flag] = value
    argv = ["hunt", str(SHORT_DESCENT), "--out", str(tmp_path / "never")]
    for k, v in args.items():
        argv += [f"{k}={v}"]
    rc = main(argv)
    _, err = capsys.readouterr()
    assert rc == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("surefoot: error: "), err
    assert flag in lines[0], (flag, err)
    assert "Traceback" not in err
    assert not (tmp_path / "never" / "results").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--level-size", "200"], "--budget: required"),
        (["--budget", "100", "--level-size", "200"], "--budget: must be >= --level-size"),
        (
            ["--budget", "100", "--method", "cross-entropy", "--level-size", "100"],
            "--level-size: an option of --method subset",
        ),
        (
            ["--budget", "100", "--generation-size", "50"],
            "--generation-size: an option of --method cross-entropy",
        ),
        (
            ["--budget", "100", "--method", "cross-entropy", "--generation-size", "1"],
            "--generation-size",
        ),
        (
            ["--budget", "100", "--method", "cmaes", "--generation-size", "3"],
            "--generation-size: must be >= 4 for CMA-ES",
        ),
        (
            ["--budget", "100", "--method", "cmaes", "--level-size", "100"],
            "--level-size: an option of --method subset",
        ),
        (["--budget", "100", "--no-figure"], "--no-figure"),
        (["--budget", "300", "--set", "dispersions={}"], "at least one dispersed field"),
    ],
)
def test_bad_combinations_are_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rc = main(["hunt", str(SHORT_DESCENT), "--out", str(tmp_path / "h"), *argv])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err


# --- report and the cross-entropy command -------------------------------------------


def _offline(page: str) -> None:
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_report_page_opens_offline(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "r.html"
    rc = main(["hunt", "report", str(reference), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "P(failure) =" in text and str(out) in text
    page = out.read_text()
    _offline(page)
    summary = json.loads((reference / SUMMARY).read_text())
    assert page.count("data:image/png;base64,") == 2  # convergence, failure region
    assert f"surefoot campaign rerun {reference} {summary['worst_cases'][0]['run_index']}" in page
    assert "plain Monte Carlo, same precision" in page


def test_cross_entropy_command_and_report(
    warm_kernel: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "ce"
    argv = [
        "hunt",
        str(SHORT_DESCENT),
        "--method",
        "cross-entropy",
        "--budget",
        "100",
        "--generation-size",
        "50",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "worst margin" in text and "cross-entropy, 2 generations" in text
    summary = json.loads((out / SUMMARY).read_text())
    gens = summary["search"]["generations"]
    assert [len(g["run_index"]) for g in gens] == [50, 50]
    assert gens[1]["mu"] != [0.0] * 5  # the density moved after generation 0
    table = _table(out)
    assert table.num_rows == 100
    # generation 0 is the campaign's own draws
    camp = tmp_path / "camp"
    run_campaign(short_descent(), 50, camp, workers=1)
    assert _table(camp).equals(table.slice(0, 50))
    assert main(["hunt", "report", str(out)]) == 0
    _offline((out / "report.html").read_text())


def test_report_of_an_unfinished_hunt_or_a_campaign_is_one_line(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    camp = tmp_path / "camp"
    run_campaign(short_descent(), 4, camp, workers=1)
    assert main(["hunt", "report", str(camp)]) == 2
    assert "not a hunt folder" in capsys.readouterr().err
    import shutil

    half = tmp_path / "half"
    shutil.copytree(reference, half)
    (half / SUMMARY).unlink()
    assert main(["hunt", "report", str(half)]) == 2
    assert "has not finished" in capsys.readouterr().err
    (half / SUMMARY).write_text("{not json")
    assert main(["hunt", "report", str(half)]) == 2
    err = capsys.readouterr().err
    assert "corrupted" in err and len(err.strip().splitlines()) == 1


def test_a_dask_local_cluster_gives_the_same_hunt(warm_kernel: None, tmp_path: Path) -> None:
    settings = HuntSettings(method="cross-entropy", budget=60, generation_size=30, seed=2)
    run_hunt(short_descent(), settings, tmp_path / "pool", workers=1)
    run_hunt(short_descent(), settings, tmp_path / "dask", workers=2, dask="local")
    assert _table(tmp_path / "dask").equals(_table(tmp_path / "pool"))
