"""``surefoot imagery render|detect``: outputs of a run folder, and one-line errors with exit 2.

The run folders are built here with :func:`write_demo_run` (the run
directory contract of the simulator); the truth is its touchdown point.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from surefoot.analysis.imagery.io import GeoImage, write_png
from surefoot.analysis.imagery.synthetic import write_demo_run
from surefoot.cli import _Parser
from surefoot.cli import imagery as cli_imagery
from surefoot.config.loader import ConfigError


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Parse and run like ``surefoot.cli.main`` does (one line and 2 on ConfigError)."""
    parser = _Parser(prog="surefoot")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    cli_imagery.register(sub)
    try:
        args = parser.parse_args(argv)
        try:
            code = int(args.func(args) or 0)
        except ConfigError as exc:
            print(f"surefoot: error: {exc}", file=__import__("sys").stderr)
            code = 2
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def crash_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_run(
        tmp_path_factory.mktemp("crash"),
        touchdown_east_m=236.0,
        touchdown_north_m=-282.0,
        size_m=200.0,
        seed=2,
    )


def test_render_writes_images_and_a_report_that_finds_the_site(
    crash_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "img"
    code, stdout, _ = _run(
        ["imagery", "render", str(crash_run), "--out", str(out), "--size", "200", "--geotiff"],
        capsys,
    )
    assert code == 0
    assert "SYNTHETIC" in stdout
    for name in ("before.png", "after.png", "before.tif", "after.tif", "overview.png"):
        assert (out / name).is_file(), name
    # the 16-bit science images fill a sliver of their range (a viewer shows black);
    # the 8-bit previews use the full grey scale with one stretch for both
    from PIL import Image

    with Image.open(out / "before.png") as im:
        assert im.mode.startswith("I") and np.asarray(im).max() < 65535 * 0.1
    grey = {}
    for label in ("before", "after"):
        with Image.open(out / f"{label}_preview.png") as im:
            assert im.mode == "L"
            grey[label] = np.asarray(im)
            meta = json.loads(im.text["surefoot"])["meta"]
        assert meta["preview"] is True
        assert 40 < grey[label].mean() < 215
        assert np.percentile(grey[label], 99) - np.percentile(grey[label], 1) > 100
    with Image.open(out / "before_preview.png") as a, Image.open(out / "after_preview.png") as b:
        assert json.loads(a.text["surefoot"])["meta"]["stretch"] == json.loads(
            b.text["surefoot"])["meta"]["stretch"]
    report = json.loads((out / "detection.json").read_text())
    assert report["synthetic"] is True
    assert report["mark"]["kind"] == "impact"
    assert report["detection"]["n_sites"] == 1
    assert report["truth_check"]["centre_error_px"] < 1.0
    site = report["detection"]["sites"][0]
    assert site["offset_range_m"] == pytest.approx(np.hypot(236.0, -282.0), abs=1.5)

    # The written pair goes through ``detect`` as any two images would.
    code, stdout, _ = _run(
        [
            "imagery",
            "detect",
            str(out / "before.png"),
            str(out / "after.tif"),
            "--out",
            str(tmp_path / "d.json"),
        ],
        capsys,
    )
    assert code == 0
    det = json.loads((tmp_path / "d.json").read_text())
    assert det["detection"]["n_sites"] == 1
    assert det["detection"]["sites"][0]["center_east_m"] == pytest.approx(236.0, abs=1.0)
    assert det["detection"]["sites"][0]["center_north_m"] == pytest.approx(-282.0, abs=1.0)


def test_render_without_contact_finds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_demo_run(tmp_path / "run", outcome="no_contact", size_m=120.0)
    code, stdout, _ = _run(["imagery", "render", str(run), "--size", "120", "--no-figure"], capsys)
    assert code == 0
    assert "no change found" in stdout
    report = json.loads((run / "imagery" / "detection.json").read_text())
    assert report["detection"]["found"] is False


def test_detect_with_pixel_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    base = 1000.0 + 50.0 * rng.standard_normal((64, 64))
    after = base.copy()
    after[20:30, 40:50] *= 0.6  # rows from the south: file rows 34-43 from the top
    write_png(tmp_path / "b.png", GeoImage(base.astype(np.uint16), None))
    write_png(tmp_path / "a.png", GeoImage(after.astype(np.uint16), None))
    code, stdout, _ = _run(
        [
            "imagery",
            "detect",
            str(tmp_path / "b.png"),
            str(tmp_path / "a.png"),
            "--pixel-scale",
            "0.5",
            "--target-px",
            "44.5",
            "38.5",
            "--out",
            str(tmp_path / "r.json"),
        ],
        capsys,
    )
    assert code == 0
    site = json.loads((tmp_path / "r.json").read_text())["detection"]["sites"][0]
    assert site["center_col_px"] == pytest.approx(44.5, abs=0.5)
    assert site["center_row_px"] == pytest.approx(38.5, abs=0.5)
    assert site["offset_range_m"] < 0.5


def _bad_inputs(tmp: Path) -> list[tuple[list[str], str]]:
    small = write_png(tmp / "s.png", GeoImage(np.ones((40, 50), np.uint16), None))
    wide = write_png(tmp / "w.png", GeoImage(np.ones((40, 51), np.uint16), None))
    (tmp / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n corrupt")
    (tmp / "rundir").mkdir()
    (tmp / "rundir" / "summary.json").write_text("{not json")
    return [
        (
            ["imagery", "detect", str(tmp / "none.png"), str(small), "--pixel-scale", "1"],
            "BEFORE: ",
        ),
        (["imagery", "detect", str(small), str(wide), "--pixel-scale", "1"], "same size"),
        (["imagery", "detect", str(small), str(small), "--pixel-scale", "0"], "--pixel-scale"),
        (["imagery", "detect", str(small), str(small), "--pixel-scale", "-2"], "--pixel-scale"),
        (["imagery", "detect", str(small), str(small)], "--pixel-scale: required"),
        (
            ["imagery", "detect", str(tmp / "junk.png"), str(small), "--pixel-scale", "1"],
            "not a readable PNG",
        ),
        (["imagery", "render", str(tmp / "nowhere")], "RUN_DIR"),
        (["imagery", "render", str(tmp / "rundir")], "not valid JSON"),
        (["imagery", "render", str(tmp / "rundir"), "--pixel-scale", "0"], "--pixel-scale"),
        (["imagery", "render", str(tmp / "rundir"), "--seed", "-1"], "--seed"),
        (["imagery", "render", str(tmp / "rundir"), "--seed", str(2**63)], "--seed"),
        (["imagery", "render", str(tmp / "rundir"), "--seed", "9" * 23], "--seed"),
        (["imagery", "render", str(tmp / "rundir"), "--sun-azimuth", "1e308"], "--sun-azimuth"),
    ]


def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, needle in _bad_inputs(tmp_path):
        code, _, err = _run(argv, capsys)
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert len(lines) == 1, (argv, err)
        assert lines[0].startswith("surefoot: error: ") and needle in lines[0], (argv, err)


def test_missing_terrain_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_demo_run(tmp_path / "run", size_m=40.0)
    (run / "terrain_site.npz").unlink()
    code, _, err = _run(["imagery", "render", str(run)], capsys)
    assert code == 2 and "terrain_site.npz" in err and len(err.strip().splitlines()) == 1


def test_main_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through ``surefoot.cli.main``, as the installed ``surefoot`` command runs."""
    from surefoot import cli

    assert cli.main(["imagery", "detect", str(tmp_path / "x.png"), str(tmp_path / "y.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("surefoot: error: BEFORE")


def test_imagery_run_dir_shorthand_is_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``surefoot imagery RUN_DIR`` (the issue's form) renders and detects like ``render``."""
    from surefoot import cli

    run = write_demo_run(tmp_path / "run", touchdown_east_m=10.0, size_m=120.0, seed=1)
    assert cli.main(["imagery", str(run), "--size", "120", "--no-figure"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    report = json.loads((run / "imagery" / "detection.json").read_text())
    assert report["detection"]["n_sites"] == 1
    assert cli.main(["imagery", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RUN_DIR" in err[0]
