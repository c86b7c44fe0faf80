"""A misspelt key: one line, exit status 2, naming the closest allowed keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from surefoot.cli import main
from surefoot.config.loader import builtin_scenarios


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("vehicle.dry_mass=350", "vehicle.dry_mass: unknown key (did you mean 'dry_mass_kg'?)"),
        ("vehicel.dry_mass_kg=350", "vehicel: unknown key (did you mean 'vehicle'?)"),
        ("vehicle.engine.isp=310", "vehicle.engine.isp: unknown key (did you mean 'isp_s'?)"),
        ("fsw.guidance.rate=5", "fsw.guidance.rate: unknown key (did you mean 'rate_hz'"),
        ("sim.dt=0.05", "sim.dt: unknown key (did you mean 'dt_s'?)"),
        # nothing close: the allowed keys of the section
        ("site.zzz=1", "site.zzz: unknown key (allowed: lat_deg, lon_deg)"),
        ("dispersions.fields.initial.altitude_m={dist: normal, sigmaa: 5}",
         "unknown key (did you mean 'sigma'?)"),
        # a dispersed path names a field of the scenario
        ("dispersions.fields.vehicle.dry_mass={dist: normal, sigma: 1}",
         "'vehicle' has no field 'dry_mass' (did you mean 'dry_mass_kg'?)"),
    ],
)
def test_set_with_a_misspelt_key(capsys: pytest.CaptureFixture[str], override: str,
                                 expected: str) -> None:
    line = _error(capsys, "run", "--check", "--set", override)
    assert line.startswith("surefoot: error: ")
    assert expected in line, line


def test_run_file_with_a_misspelt_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = builtin_scenarios()["default"].read_text()
    assert "\nvehicle:\n" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("\nvehicle:\n", "\nvehicle:\n  dry_mass: 350.0\n", 1))
    line = _error(capsys, "run", str(bad), "--out", str(tmp_path / "out"))
    assert line == (
        "surefoot: error: vehicle.dry_mass: unknown key (did you mean 'dry_mass_kg'?)"
    )
    assert not (tmp_path / "out").exists()


def test_a_misspelt_required_key_is_named_rather_than_the_missing_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fsw:\n  vehicle:\n    dry_mass: 300\n")
    line = _error(capsys, "run", str(bad), "--check")
    assert "fsw.vehicle.dry_mass: unknown key (did you mean 'dry_mass_kg'?)" in line


def test_guidance_problem_with_a_misspelt_key(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "gravity_m_s2: [0, 0, -1.62]\n"
        "vehicle: {wet_mass_kg: 1000, dry_mass_kg: 600, max_thrust_n: 4000, isp: 300}\n"
        "initial: {position_m: [0, 0, 1000]}\n"
    )
    line = _error(capsys, "guidance", "solve", str(bad))
    assert "vehicle.isp: unknown key (did you mean 'isp_s'?)" in line, line
