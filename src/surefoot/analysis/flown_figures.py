"""What a real mission flew, beside what its replay simulated.

Public figures only (docs/missions.md names them and their sources); a
replay scenario whose mission has figures here gets a "flown vs simulated"
table from ``surefoot replay``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class FlownFigure:
    """One flown figure: its label, the summary key it compares with, the value and unit."""

    label: str
    summary_key: str
    value: float
    unit: str


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
}


def flown_deviation(name: str, summary: dict[str, Any]) -> dict[str, float]:
    """Relative deviation (simulated / flown - 1) of each flown figure of mission ``name``
    ({} when it has none)."""
    return {
        f.summary_key: float(summary[f.summary_key]) / f.value - 1.0 for f in FLOWN.get(name, ())
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
            sim = float(summary[f.summary_key])
            cells.append(f"{sim:,.0f} ({sim / f.value - 1.0:+.1%})")
        table.add_row(f"{f.label} ({f.unit})", f"{f.value:,.0f}", *cells)
    console.print(table)
