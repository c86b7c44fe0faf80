"""Hostile ``surefoot hunt`` arguments and options through the real command line.

The cases are judged by the shared fuzz engine (:mod:`tests/fuzz/engine.py`,
:func:`judge`): every case here holds at least one invalid value or
combination, so each must end with exit status 2 and one line
``surefoot: error: ...`` naming what is wrong: never a traceback, a hang, a
multi-line error, escape characters, or a hunt that flies.

    PYTHONPATH=src python -m pytest tests/hunt -m slow -k fuzz   # 600 cases
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fuzz.engine import BIG_INT, Case, figures, run_all
from surefoot.campaign.hunt.driver import HuntSettings, run_hunt

from .conftest import SHORT_DESCENT, short_descent

ESC = "\x1b[31mred\x07"

# values each option refuses, whatever the other options (a valid hunt flies)
BAD = {
    "--budget": ["0", "-1", "x", "1e3", BIG_INT, "", "1.5", " ", "+-3"],
    "--seed": ["-1", str(2**63), "x", "", "1e3", BIG_INT, ESC],
    "--workers": ["0", "-2", "5000", "x", "", "2.0"],
    "--method": ["", "CMAES", "bo", "cross_entropy", "subset ", ESC, "cma-es", "nan"],
    "--generation-size": ["1", "0", "x", "-4", BIG_INT, "1e2"],
    "--level-size": ["0", "15", "-10", "x", BIG_INT],
    "--nav-height-limit": ["0", "-1", "nan", "inf", "-inf", "x", "1e9", "", "-0", ESC],
    "--dask": ["", "host", "a:0", "a:70000", "tcp://[::1", ESC + ":1"],
    "--set": [
        "nope.field=1",
        "dispersions={}",
        "sim.dt_s=nan",
        "=",
        "vehicle.dry_mass_kg=-5",
        "dispersions.fields.initial.attitude_error_deg={dist: uniform, low: 5, high: 1}",
    ],
}
# a valid hunt of each method, which every case spoils
VALID = {
    "subset": {"--budget": "40", "--level-size": "20"},
    "cross-entropy": {"--budget": "40", "--generation-size": "10"},
    "cmaes": {"--budget": "40", "--generation-size": "10"},
}


@pytest.fixture(scope="module")
def finished_hunt(warm_kernel: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fuzz-hunt") / "h"
    run_hunt(
        short_descent(),
        HuntSettings(method="cross-entropy", budget=4, generation_size=2, seed=0),
        out,
        workers=1,
    )
    return out


def _option_case(rng: random.Random, d: Path) -> Case:
    method = rng.choice(sorted(VALID))
    opts = {"--method": method, **VALID[method], "--out": str(d / "never")}
    spoiled = rng.sample(sorted(BAD), k=rng.choice([1, 1, 2, 3]))
    for flag in spoiled:
        opts[flag] = rng.choice(BAD[flag])
    if "--dask" in opts and "--workers" in opts and rng.random() < 0.5:
        del opts["--workers"]
    target = str(SHORT_DESCENT) if rng.random() < 0.9 else rng.choice(["nope", str(d / "x.yaml")])
    argv = ["hunt", target]
    for flag, value in opts.items():
        # both spellings argparse takes; '--flag=value' keeps a value that starts with '-'
        argv += (
            [f"{flag}={value}"] if rng.random() < 0.5 or value.startswith("-") else [flag, value]
        )
    return Case("flags", argv, "hunt options: " + ", ".join(spoiled))


def _mode_case(rng: random.Random, d: Path, hunt: Path) -> Case:
    h = str(hunt)
    forms = [
        ["hunt", "report", h, "--budget", "5"],
        ["hunt", "report", h, "--method", "cmaes"],
        ["hunt", "report", h, "--nav-height-limit", "0.5"],
        ["hunt", "report", h, "--out", str(d / "page.txt")],
        ["hunt", "report", str(d / "missing")],
        ["hunt", "report"],
        ["hunt", "report", h, h],
        ["hunt", "rerun"],
        ["hunt", "rerun", h],
        ["hunt", "rerun", h, rng.choice(["x", "-1", "1.5", "", BIG_INT, ESC])],
        ["hunt", "rerun", h, "99999"],
        ["hunt", "rerun", h, "1", "--seed", "3"],
        ["hunt", "rerun", h, "1", "--generation-size", "10"],
        ["hunt", "rerun", str(d / "missing"), "0"],
        ["hunt", str(SHORT_DESCENT), str(SHORT_DESCENT), "--budget", "40"],
        ["hunt", str(SHORT_DESCENT), "--budget", "40", "--no-figure"],
        ["hunt", str(SHORT_DESCENT), "--method", "subset", "--generation-size", "10"],
        ["hunt", str(SHORT_DESCENT), "--method", "cmaes", "--level-size", "20"],
        [
            "hunt",
            str(SHORT_DESCENT),
            "--method",
            "cmaes",
            "--budget",
            "40",
            "--generation-size",
            "3",
        ],
        ["hunt", str(SHORT_DESCENT), "--level-size", "20"],  # no --budget for a new hunt
        ["hunt", str(SHORT_DESCENT), "--budget", "5", "--method", "cmaes"],  # < generation
        ["hunt", str(SHORT_DESCENT), "--budget", "40", "--out", h],  # another hunt's folder
    ]
    argv = rng.choice(forms)
    return Case("flags", argv, "hunt " + " ".join(a for a in argv[1:3] if len(a) < 30))


def _cases(root: Path, hunt: Path, n: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        d = root / f"c{k}"
        d.mkdir()
        out.append(_option_case(rng, d) if rng.random() < 0.7 else _mode_case(rng, d, hunt))
    return out


def _fuzz(root: Path, hunt: Path, n: int, seed: int, capsys: pytest.CaptureFixture) -> None:
    results = run_all(_cases(root, hunt, n, seed), timeout_s=60.0)
    with capsys.disabled():
        print("\n" + figures(results))
    wrong = [r for r in results if r.outcome != "exit2"]
    assert not wrong, "\n".join(f"{r.outcome}: {r.case.argv} {r.detail[-300:]}" for r in wrong)
    for r in results:
        assert not (Path(r.case.argv[-1]).parent / "never" / "results").exists()


def test_hostile_hunt_options_fast(
    finished_hunt: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _fuzz(tmp_path, finished_hunt, 120, seed=17, capsys=capsys)


@pytest.mark.slow
def test_hostile_hunt_options_all(
    finished_hunt: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _fuzz(tmp_path, finished_hunt, 600, seed=1717, capsys=capsys)
