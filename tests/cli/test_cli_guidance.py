"""``surefoot guidance solve``: output, JSON, plot, and one-line errors on bad input."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from surefoot.cli import guidance
from surefoot.config.guidance_problem import builtin_guidance_problems, load_guidance_problem
from surefoot.config.loader import ConfigError

SMALL = """\
name: small_lunar
gravity_m_s2: [0.0, 0.0, -1.625]
vehicle:
  wet_mass_kg: 1050.0
  dry_mass_kg: 850.0
  max_thrust_n: 4400.0
  min_thrust_n: 1320.0
  isp_s: 320.0
initial:
  position_m: [-800.0, 0.0, 1000.0]
  velocity_m_s: [30.0, 0.0, -20.0]
constraints:
  glide_slope_deg: 10.0
  max_tilt_deg: 45.0
solver:
  nodes: 20
  objective: min_fuel
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="surefoot")
    guidance.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(SMALL)
    return path


def test_text_output(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["guidance", "solve", str(small)]) == 0
    out = capsys.readouterr().out
    for key in ("propellant used", "time of flight", "landing error", "solve time", "status"):
        assert key in out
    assert "optimal" in out


def test_json_output_and_plot(small: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "traj.png"
    assert run(["guidance", "solve", str(small), "--json", "--plot", str(png)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "optimal"
    assert data["problem"] == "small_lunar"
    assert 0.0 < data["propellant_kg"] < 200.0
    assert data["time_of_flight_s"] > 0.0
    assert data["landing_error_m"] < 1e-3
    assert data["solve_time_s"] > 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_infeasible_fixed_time_exits_1(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["guidance", "solve", str(small), "--tf", "5", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "infeasible"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a: [1, 2\n", "not valid YAML at line"),
        (SMALL + "colour: red\n", "colour: unknown key"),
        (SMALL.replace("dry_mass_kg: 850.0", "dry_mass_kg: 1850.0"),
         "vehicle: Value error, dry_mass_kg must be less than wet_mass_kg"),
        (SMALL.replace("nodes: 20", "nodes: 2"), "solver.nodes: Input should be greater"),
        (SMALL.replace("glide_slope_deg: 10.0", "glide_slope_deg: 95.0"),
         "constraints.glide_slope_deg"),
        (SMALL.replace("[0.0, 0.0, -1.625]", "[0.0, 0.0, 0.0]"), "gravity_m_s2"),
        (SMALL.replace("[0.0, 0.0, -1.625]", "[0.0, -1.625]"), "gravity_m_s2"),
        (SMALL.replace("isp_s: 320.0", "isp_s: 320.0\n  mass_flow_coefficient_s_per_m: 3e-4"),
         "exactly one of isp_s"),
        ("- 1\n- 2\n", "top level must be a mapping"),
    ],
)
def test_bad_input_is_one_line_config_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as err:
        run(["guidance", "solve", str(path)])
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_override(small: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        run(["guidance", "solve", "no/such/problem.yaml"])
    with pytest.raises(ConfigError, match="solver.nodes"):
        run(["guidance", "solve", str(small), "--nodes", "1"])


def test_builtin_examples_validate() -> None:
    names = builtin_guidance_problems()
    assert {"mars_acikmese_ploen_2007", "lunar_high_gate"} <= set(names)
    for name in names:
        cfg = load_guidance_problem(name)
        assert cfg.name == name


_TOP_LEVEL = all(importlib.util.find_spec(f"surefoot.cli.{m}") for m in ("run", "imagery"))


@pytest.mark.skipif(not _TOP_LEVEL, reason="surefoot.cli run/imagery not written yet")
def test_top_level_main(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from surefoot.cli import main

    assert main(["guidance", "solve", str(small), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL + "colour: red\n")
    assert main(["guidance", "solve", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "colour: unknown key" in err[0]
