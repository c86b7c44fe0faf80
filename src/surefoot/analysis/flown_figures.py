"""What a real mission flew, beside what its replay simulated.

Public figures only (docs/missions.md names them and their sources); a
replay scenario whose mission has figures here gets a "flown vs simulated"
table from ``surefoot replay``. A figure is a value or, where the sources
give one, a range; a simulated value inside a range deviates by nothing,
outside it by its distance to the nearer end. ``ZERO_HEIGHT_ALTITUDE`` is
not a summary field: the replay reads it from the telemetry (the true
altitude when the estimated height first reached zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

ZERO_HEIGHT_ALTITUDE = "true_altitude_at_estimated_zero_m"


@dataclass(frozen=True)
class FlownFigure:
    """One flown figure: its label, the summary key it compares with, the value (or the
    low end of a range, ``high`` its top) and the unit."""

    label: str
    summary_key: str
    value: float
    unit: str
    high: float | None = None

    def deviation(self, simulated: float) -> float:
        """Relative deviation of a simulated value: ``simulated / value - 1``; for a
        range 0 inside it, else against the nearer end."""
        if self.high is None:
            return simulated / self.value - 1.0
        if simulated < self.value:
            return simulated / self.value - 1.0
        if simulated > self.high:
            return simulated / self.high - 1.0
        return 0.0

    def flown_text(self) -> str:
        if self.high is None:
            return _number(self.value)
        if self.value == 0.0:
            return f"under {_number(self.high)}"
        return f"{_number(self.value)}-{_number(self.high)}"


def _number(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 10.0 else f"{x:,.0f}"


FLOWN: dict[str, tuple[FlownFigure, ...]] = {
    # Apollo 11: powered descent 102:33:05 to contact 102:45:40 ground elapsed
    # time; 18,184 lb (8,248 kg) of descent propellant loaded, about 770 lb
    # (349 kg) left at touchdown by post-flight analysis; five program alarms
    # (1202, 1202, 1201, 1202, 1202), each an executive restart
    "apollo-11": (
        FlownFigure("burn time", "flight_time_s", 756.0, "s"),
        FlownFigure("program alarms", "executive_restarts", 5.0, "restarts"),
        FlownFigure("descent propellant used", "propellant_used_kg", 7899.0, "kg"),
        FlownFigure("descent propellant left", "propellant_left_kg", 349.0, "kg"),
    ),
    # HAKUTO-R M1: estimated height zero with about 5 km of true altitude left; a
    # free fall from there ends near 127 m/s; impact under 7 km from the target
    "hakuto-r-m1": (
        FlownFigure("true altitude at estimated height 0", ZERO_HEIGHT_ALTITUDE, 5000.0, "m"),
        FlownFigure("impact speed, vertical", "touchdown_vertical_speed_m_s", 127.0, "m/s"),
        FlownFigure("impact from target", "distance_from_target_m", 0.0, "m", high=7000.0),
    ),
    # Resilience: 42-66 m/s reported near the end; impact about 282 m south and
    # 236 m east of the target (368 m)
    "resilience-m2": (
        FlownFigure("final speed, vertical", "touchdown_vertical_speed_m_s", 42.0, "m/s", 66.0),
        FlownFigure("impact from target", "distance_from_target_m", 368.0, "m"),
    ),
    # IM-1: touchdown about 2.7 m/s vertical and 0.9 m/s lateral
    "im-1": (
        FlownFigure("touchdown speed, vertical", "touchdown_vertical_speed_m_s", 2.7, "m/s"),
        FlownFigure("touchdown speed, lateral", "touchdown_horizontal_speed_m_s", 0.9, "m/s"),
    ),
    # IM-2: ended on its side 250-400 m from the target
    "im-2": (FlownFigure("rest from target", "distance_from_target_m", 250.0, "m", 400.0),),
    # SLIM: touched down at about 1.4 m/s vertical, about 55 m east of the target
    "slim": (
        FlownFigure("touchdown speed, vertical", "touchdown_vertical_speed_m_s", 1.4, "m/s"),
        FlownFigure("touchdown east of target", "touchdown_east_m", 55.0, "m"),
    ),
}


def flown_deviation(name: str, summary: dict[str, Any]) -> dict[str, float]:
    """Relative deviation (simulated / flown - 1) of each flown figure of mission ``name``
    ({} when it has none)."""
    return {
        f.summary_key: f.deviation(float(summary[f.summary_key]))
        for f in FLOWN.get(name, ())
        if f.summary_key in summary
    }


def print_flown(name: str, summaries: dict[str, dict[str, Any]], console: Console) -> None:
    """Flown figures of mission ``name`` beside each setting's simulated ones (nothing
    when the mission has no flown figures)."""
    figures = FLOWN.get(name)
    if not figures:
        return
    table = Table(title=f"{name}: flown vs simulated")
    table.add_column("")
    table.add_column("flown", justify="right")
    for mode in summaries:
        table.add_column(mode, justify="right")
    for f in figures:
        cells = []
        for summary in summaries.values():
            sim = float(summary.get(f.summary_key, float("nan")))
            if math.isfinite(sim):
                cells.append(f"{_number(sim)} ({f.deviation(sim):+.1%})")
            else:
                cells.append("-")
        table.add_row(f"{f.label} ({f.unit})", f.flown_text(), *cells)
    console.print(table)
