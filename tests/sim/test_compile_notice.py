"""A run that must compile the flight kernels says so; a warm cache is found again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from surefoot.config import load_scenario
from surefoot.sim import compile_notice as cn
from surefoot.sim.runner import simulate


def _cached_in_fresh_process(env: dict[str, str]) -> str:
    code = ("from surefoot.sim.compile_notice import kernels_cached; "
            "print(kernels_cached(sensed=False))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=300, check=True)
    return p.stdout.strip()


def test_a_flown_kernel_is_found_by_the_next_process(tmp_path: Path) -> None:
    simulate(load_scenario("default", ["initial.altitude_m=3000", "initial.uprange_km=20"]),
             telemetry=False)
    env = dict(os.environ)
    # the folder this process compiled into (set by surefoot._numba_cache)
    env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    assert _cached_in_fresh_process(env) == "True"
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "empty")
    assert _cached_in_fresh_process(env) == "False"


def test_notice_only_when_compiling(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("SUREFOOT_COMPILE_HELPER", "0")  # one process: its own estimate
    (tmp_path / "surefoot" / "numba").mkdir(parents=True)
    console = Console(record=True, width=200)

    monkeypatch.setattr(cn, "kernels_cached", lambda parallel=False, sensed=True: True)
    with cn.compile_notice(console=console) as compiling:
        assert compiling is False
    assert console.export_text() == ""

    monkeypatch.setattr(cn, "kernels_cached", lambda parallel=False, sensed=True: False)
    with cn.compile_notice(console=console) as compiling:
        assert compiling is True
    text = console.export_text()
    assert "compiling flight kernels once" in text
    assert f"about {cn.DEFAULT_COMPILE_S:.0f} s" in text
    # the next notice quotes what this machine measured
    assert cn.expected_compile_s() < 5.0


def test_a_terminal_sees_the_seconds_of_the_compile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a terminal a spinner counts the seconds under the notice; a log gets the line only."""
    import time

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "surefoot" / "numba").mkdir(parents=True)
    monkeypatch.setattr(cn, "kernels_cached", lambda parallel=False, sensed=True: False)
    tty = Console(record=True, width=200, force_terminal=True)
    with cn.compile_notice(console=tty):
        time.sleep(1.3)  # the spinner updates once a second
    assert "compiling: 1 s of about" in tty.export_text()
    log = Console(record=True, width=200, force_terminal=False)
    with cn.compile_notice(console=log):
        time.sleep(1.3)
    text = log.export_text()
    assert "compiling flight kernels once" in text
    assert "s of about" not in text


def test_an_ideal_navigation_landing_compiles_no_sensor_or_filter_code() -> None:
    """The kernel without sensors prunes the sensed path before typing: a fresh process
    that flies the default landing (ideal navigation) never types the filter step."""
    code = (
        "from surefoot.config import load_scenario\n"
        "from surefoot.sim.runner import simulate\n"
        "from surefoot.fsw.nav.nav_step import nav_step\n"
        "from surefoot.sensors.imu import imu_step_into\n"
        "from surefoot.sim import kernel\n"
        "simulate(load_scenario('default', ['initial.altitude_m=3000', "
        "'initial.uprange_km=20']), telemetry=False)\n"
        "print(len(kernel.run_segment_serial_ideal.signatures), len(nav_step.signatures), "
        "len(imu_step_into.signatures), len(kernel.run_segment_serial.signatures))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=600, check=True)
    assert p.stdout.split() == ["1", "0", "0", "0"]


def test_both_kernels_fly_an_ideal_lander_bit_for_bit() -> None:
    """An ideal-navigation lander flies the same in the kernel without sensors (alone)
    as in the kernel with them (beside a filter lander)."""
    import numpy as np

    short = ["initial.altitude_m=3000", "initial.uprange_km=20"]
    ideal = load_scenario("default", short)
    ekf = load_scenario("default", [*short, "fsw.nav.source=ekf"])
    alone = simulate(ideal)
    mixed = simulate([ideal, ekf])
    def text(summary: dict) -> str:  # NaN-safe comparison of two summaries
        return json.dumps(summary | {"wall_time_s": 0}, sort_keys=True, default=str)

    assert text(alone.summary(0)) == text(mixed.summary(0))
    assert np.array_equal(alone.telemetry[0], mixed.telemetry[0], equal_nan=True)
