"""A plug-in flight software cannot import or receive truth, and bad plug-ins fail in one line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

import surefoot
from surefoot.cli import main
from surefoot.config.base import ConfigError
from surefoot.config.schema import FswConfig
from surefoot.fsw.plugin import Command, Design, SensorFrame
from surefoot.sim import runner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pd_lander.yaml"
sys.path.insert(0, str(ROOT / "examples"))
from pd_lander import PdLander  # noqa: E402

TRUTH_PACKAGES = ("surefoot.world", "surefoot.sensors", "surefoot.sim", "surefoot.campaign")


class Spy:
    """Flies the example and keeps every argument the simulator hands it."""

    received: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Spy.received.append((args, kwargs))
        self.inner = PdLander(*args, **kwargs)

    def step(self, *args: Any, **kwargs: Any) -> Command:
        Spy.received.append((args, kwargs))
        return self.inner.step(*args, **kwargs)


def _leaves(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every value reachable from ``obj`` through dataclass fields, tuples and models."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = []
        for f in dataclasses.fields(obj):
            out += _leaves(getattr(obj, f.name), f"{path}.{f.name}")
        return out
    if isinstance(obj, BaseModel):
        out = []
        for name in type(obj).model_fields:
            out += _leaves(getattr(obj, name), f"{path}.{name}")
        return out
    if isinstance(obj, tuple | list):
        out = []
        for k, v in enumerate(obj):
            out += _leaves(v, f"{path}[{k}]")
        return out
    return [(path, obj)]


def test_a_plugin_receives_copies_of_measurements_and_design_values_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[Any] = []
    original = runner.batch_arrays

    def keep(*args: Any, **kwargs: Any) -> Any:
        b = original(*args, **kwargs)
        batches.append(b)
        return b

    monkeypatch.setattr(runner, "batch_arrays", keep)
    Spy.received = []
    # the truth vehicle dispersed after loading: the design must not move
    s = surefoot.load_scenario(EXAMPLE)
    s = surefoot.load_scenario(s, vehicle__dry_mass_kg=347.0, vehicle__engine__isp_s=296.0)
    landing = surefoot.run(s, fsw=Spy)
    assert landing.summary["outcome"] == "safe"
    (b,) = batches
    sim_arrays = [v for v in vars(b).values() if isinstance(v, np.ndarray)]
    sim_arrays += [b.onboard_map.meta, b.onboard_map.offsets, b.onboard_map.heights]
    sim_arrays += [landing.result.terrain.heights]

    (init_args, init_kwargs), *steps = Spy.received
    assert not init_kwargs and len(init_args) == 1
    design = init_args[0]
    assert type(design) is Design
    assert type(design.fsw) is FswConfig
    assert design.fsw.model_dump(exclude={"plugin"}) == s.fsw.model_dump(exclude={"plugin"})
    assert design.vehicle.dry_mass_kg == 340.0 and design.vehicle.isp_s == 300.0
    assert len(steps) > 1000
    allowed = (bool, int, float, str, type(None), np.ndarray)
    for args, kwargs in steps:
        assert not kwargs and len(args) == 1 and type(args[0]) is SensorFrame
    for path, leaf in _leaves(design) + [x for a, _ in steps for x in _leaves(a[0], "frame")]:
        assert isinstance(leaf, allowed), (path, type(leaf))
        if isinstance(leaf, np.ndarray):
            assert not leaf.flags.writeable, path
            assert leaf.base is None, path  # its own memory, a copy
            for a in sim_arrays:
                assert not np.shares_memory(leaf, a), path
    frame = steps[-1][0][0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.t = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        frame.imu.dv_body[0] = 1.0


def test_the_plugin_interface_and_the_example_import_no_truth_module() -> None:
    code = textwrap.dedent(
        f"""
        import importlib.util, sys
        path = {str(ROOT / "examples" / "pd_lander.py")!r}
        spec = importlib.util.spec_from_file_location("pd_lander", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        import surefoot.fsw.plugin
        bad = sorted(m for m in sys.modules if m.startswith({TRUTH_PACKAGES!r}))
        print(",".join(bad))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == ""


def _write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("no_such_module_xyz:Lander", "does not import (ModuleNotFoundError"),
        ("{examples}/pd_lander.py:Nope", "has no attribute 'Nope'"),
        ("{examples}/missing.py:Lander", "no such file"),
        ("{tmp}/mine.py:NoStep", "without a step(frame) method"),
        ("{tmp}/mine.py:NanThrust", "Command.thrust_n = nan"),
        ("{tmp}/mine.py:NoAttitude", "without an attitude command"),
        ("{tmp}/mine.py:Raises", "raised ZeroDivisionError"),
        ("nocolon", "fsw.plugin"),
    ],
)
def test_a_bad_plugin_is_one_line_naming_the_field_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], plugin: str, message: str
) -> None:
    _write(
        tmp_path,
        """
        from surefoot.fsw.plugin import Command

        class NoStep:
            def __init__(self, design):
                pass

        class NanThrust:
            def __init__(self, design):
                pass
            def step(self, frame):
                return Command(thrust_n=float("nan"), torque_body_n_m=(0.0, 0.0, 0.0))

        class NoAttitude:
            def __init__(self, design):
                pass
            def step(self, frame):
                return Command(thrust_n=100.0)

        def Raises(design):
            return lambda frame: 1 / 0
        """,
    )
    value = plugin.format(examples=ROOT / "examples", tmp=tmp_path)
    code = main(["run", str(EXAMPLE), "--set", f"fsw.plugin={value}", "--no-figure",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "fsw.plugin" in err and message in err, err


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("no_such_module_xyz:Lander", "does not import (ModuleNotFoundError"),
        ("{examples}/pd_lander.py:Nope", "has no attribute 'Nope'"),
        ("{examples}/missing.py:Lander", "no such file"),
    ],
)
def test_check_refuses_a_plugin_that_does_not_load_as_run_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], plugin: str, message: str
) -> None:
    """``run --check`` once said "valid" for a plug-in that ``run`` then refused: it
    loads the plug-in too (without flying), one line naming ``fsw.plugin``, exit 2."""
    value = plugin.format(examples=ROOT / "examples")
    argv = ["run", str(EXAMPLE), "--check", "--set", f"fsw.plugin={value}"]
    code = main([*argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("surefoot: error: fsw.plugin") and message in err, err


def test_check_accepts_the_example_plugin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check loads a good plug-in without refusing it (and without flying)."""
    assert main(["run", str(EXAMPLE), "--check", "--out", str(tmp_path / "out")]) == 0
    assert "valid" in capsys.readouterr().out and not (tmp_path / "out").exists()


def test_api_rejects_an_unnamed_plugin_for_a_campaign(tmp_path: Path) -> None:
    def factory(design: Design) -> PdLander:
        return PdLander(design)

    with pytest.raises(ConfigError, match="^fsw: a campaign"):
        surefoot.run_campaign(EXAMPLE, runs=1, out=tmp_path / "c", fsw=factory)
