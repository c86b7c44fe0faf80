"""`surefoot run`, `surefoot scenarios`, `--version` and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from surefoot.cli import main
from surefoot.config.loader import builtin_scenarios


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "surefoot", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--set", "vehicle.dry_mass_kg=-5"], "vehicle.dry_mass_kg"),
        (["run", "--set", "vehicle.bogus=1"], "vehicle.bogus: unknown key"),
        (["run", "--set", "initial.altitude_m=high"], "initial.altitude_m"),
        (["run", "--set", "sim.dt_s=0.07"], "must divide"),
        (["run", "no-such-scenario"], "no-such-scenario"),
        (["run", "missing.yaml"], "does not exist"),
        (["run", "--set", "novalue"], "dotted.field=value"),
        (["run", "--seed", "-1"], "seed"),
        (["run", "--seed", "abc"], "invalid int"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    p = _cli(*args)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    err_lines = p.stderr.strip().splitlines()
    assert len(err_lines) == 1, p.stderr
    assert err_lines[0].startswith("surefoot: error") and needle in err_lines[0]


def test_bad_yaml_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("site: [unclosed\n")
    p = _cli("run", str(f))
    assert p.returncode == 2 and "not valid YAML" in p.stderr and "Traceback" not in p.stderr
    f.write_text("site:\n  lat_deg: 95\n")
    p = _cli("run", str(f))
    assert p.returncode == 2 and "site.lat_deg" in p.stderr


def test_version_and_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "surefoot" in capsys.readouterr().out
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(builtin_scenarios()) and "default" in names


def test_run_writes_telemetry_summary_and_figure(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--out", str(tmp_path), "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "outcome" in out and "safe" in out
    for name in ("telemetry.parquet", "summary.json", "descent.png", "scenario.yaml",
                 "terrain_site.npz"):
        assert (tmp_path / name).stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["outcome"] == "safe" and summary["seed"] == 2
    # written atomically, yet with the permissions of any new file under the umask
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "summary.json").stat().st_mode & 0o777 == 0o666 & ~mask
    # the written scenario replays the same landing
    assert main(["run", str(tmp_path / "scenario.yaml"), "--out", str(tmp_path / "again"),
                 "--no-figure"]) == 0
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    for key in ("touchdown_vertical_speed_m_s", "touchdown_east_m", "propellant_left_kg"):
        assert again[key] == summary[key]


def test_warmup_leaves_the_step_kernel_in_the_cache(capsys: pytest.CaptureFixture[str]) -> None:
    from surefoot.sim.compile_notice import kernels_cached

    assert main(["warmup"]) == 0
    assert "flight kernels ready" in capsys.readouterr().out
    code = ("from surefoot.sim.compile_notice import kernels_cached; "
            "print(kernels_cached(sensed=False), kernels_cached(sensed=True))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, check=True)
    assert p.stdout.split() == ["True", "True"]
    assert kernels_cached(sensed=False) and kernels_cached(sensed=True)
