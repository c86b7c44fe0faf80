"""The landing summary table names the hardware events of the flight: an engine fault
and the executive's restarts under a computer overload."""

from __future__ import annotations

import math

from rich.console import Console

from surefoot.analysis.descent_report import summary_table


def _text(summary: dict) -> str:
    console = Console(width=160, record=True)
    console.print(summary_table(summary))
    return console.export_text()


BASE = {"scenario": "x", "seed": 0, "outcome": "safe"}


def test_restarts_and_their_times_are_listed() -> None:
    text = _text({**BASE, "executive_restarts": 5,
                  "executive_restart_times_s": [317.0, 357.1, 552.9, 572.9, 592.9],
                  "guidance_cycles_held": 100})
    assert "executive restarts" in text
    assert "5 (at 317, 357, 553, 573, 593 s; 100 guidance cycles held)" in text


def test_many_restarts_are_cut_short_and_none_is_zero() -> None:
    text = _text({**BASE, "executive_restarts": 264,
                  "executive_restart_times_s": [float(t) for t in range(16)],
                  "guidance_cycles_held": 5280})
    assert "264 (at 0, 1, 2, 3, 4, ... s; 5280 guidance cycles held)" in text
    none = _text({**BASE, "executive_restarts": 0, "executive_restart_times_s": [],
                  "guidance_cycles_held": 0})
    line = next(ln for ln in none.splitlines() if "executive restarts" in ln)
    assert line.replace("│", " ").split()[-1] == "0"


def test_rows_appear_only_with_their_events() -> None:
    plain = _text(BASE)
    assert "executive restarts" not in plain and "engine fault" not in plain
    assert "engine fault from" in _text({**BASE, "engine_fault_first_s": 1465.65})
    assert "engine fault from" not in _text({**BASE, "engine_fault_first_s": math.nan})
