"""Side-by-side replay of a mission: naive, robust and robust with the recommended sensors.

Table: outcome, failure class and touchdown figures of each setting, and where each
estimated its height to be zero (true altitude then). Figure: true and
estimated height against time for both, with rangefinder rejections, the
sensor declared failed, re-acceptances, height re-initialisations,
untrusted-height reactions and phase changes marked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from surefoot.fsw.nav.layout import (
    EV_HEIGHT_REINIT,
    EV_LRF_FAILED,
    EV_LRF_REACQUIRED,
    EV_LRF_REJECT,
)
from surefoot.sim.telemetry import INDEX

MODES = ("naive", "robust")
"""The settings every replay flies; ``robust-recommended`` joins them when the
scenario has a ``NAME-recommended`` variant."""


def zero_height_crossing(tel: np.ndarray) -> tuple[float, float]:
    """Time (s) when the estimated height first reached zero and the true altitude (m) then;
    NaN when it never did."""
    h = tel[:, INDEX["nav_height"]]
    k = np.nonzero(h <= 0.0)[0]
    if k.size == 0:
        return float("nan"), float("nan")
    return float(tel[k[0], 0]), float(tel[k[0], INDEX["altitude"]])


def print_comparison(name: str, summaries: dict[str, dict], tels: dict[str, np.ndarray],
                     console: Console) -> None:
    """Comparison table of the settings flown (the keys of ``summaries``, in order)."""
    modes = list(summaries)
    table = Table(title=f"replay {name}: {', '.join(modes)}")
    table.add_column("")
    for m in modes:
        table.add_column(m, justify="right")
    rows = [
        ("outcome", "outcome", "{}"),
        ("failure class", "failure_class", "{}"),
        ("vertical speed (m/s)", "touchdown_vertical_speed_m_s", "{:.2f}"),
        ("horizontal speed (m/s)", "touchdown_horizontal_speed_m_s", "{:.2f}"),
        ("tilt (deg)", "touchdown_tilt_deg", "{:.1f}"),
        ("distance from target (m)", "distance_from_target_m", "{:.0f}"),
        ("propellant left (kg)", "propellant_left_kg", "{:.1f}"),
        ("flight time (s)", "flight_time_s", "{:.1f}"),
        ("nav 1-sigma horizontal velocity (m/s)", "nav_horizontal_velocity_sigma_m_s", "{:.2f}"),
        ("nav 1-sigma horizontal position (m)", "nav_horizontal_position_sigma_m", "{:.0f}"),
        ("height untrusted (s)", "nav_height_untrusted_s", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        table.add_row(label, *[fmt.format(summaries[m][key]) if summaries[m][key] != "" else "-"
                               for m in modes])
    cross = {m: zero_height_crossing(tels[m]) for m in modes}
    table.add_row("estimated height 0 at (s)", *[f"{cross[m][0]:.1f}" for m in modes])
    table.add_row("true altitude then (m)", *[f"{cross[m][1]:.0f}" for m in modes])
    for label, bit in (("rangefinder rejections (cycles)", EV_LRF_REJECT),
                       ("height re-initialisations", EV_HEIGHT_REINIT)):
        table.add_row(label, *[str(int(np.count_nonzero(
            tels[m][:, INDEX["nav_events"]].astype(np.int64) & bit))) for m in modes])
    console.print(table)


def replay_figure(name: str, tels: dict[str, np.ndarray], path: Path) -> Path:
    """Write :func:`replay_plot` to ``path`` (PNG); returns the path."""
    fig = replay_plot(name, tels)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def replay_plot(name: str, tels: dict[str, np.ndarray]) -> Figure:
    """True and estimated height against time for each setting (the keys of
    ``tels``), events marked (a figure outside pyplot's registry)."""
    modes = list(tels)
    fig = Figure(figsize=(10, 2.6 * len(modes) + 2.3))
    axes = fig.subplots(len(modes), 1, sharex=True, squeeze=False)[:, 0]
    for ax, m in zip(axes, modes, strict=True):
        tel = tels[m]
        t = tel[:, 0]
        ev = tel[:, INDEX["nav_events"]].astype(np.int64)
        ax.plot(t, tel[:, INDEX["altitude"]] / 1e3, color="k", lw=1.5, label="true altitude")
        ax.plot(t, tel[:, INDEX["nav_height"]] / 1e3, color="tab:blue", lw=1.2, ls="--",
                label="estimated height")
        marks = (
            (EV_LRF_REJECT, "tab:orange", "|", "rangefinder rejected"),
            (EV_LRF_FAILED, "tab:red", "X", "rangefinder declared failed"),
            (EV_LRF_REACQUIRED, "tab:green", "^", "re-accepted"),
            (EV_HEIGHT_REINIT, "tab:purple", "D", "height re-initialised"),
        )
        for bit, color, marker, label in marks:
            k = np.nonzero(ev & bit)[0]
            if k.size:
                ax.scatter(t[k], tel[k, INDEX["nav_height"]] / 1e3, color=color, marker=marker,
                           s=30, zorder=3, label=label)
        untrusted = tel[:, INDEX["nav_height_trusted"]] < 0.5
        if np.any(untrusted):
            ax.fill_between(t, 0, 1, where=untrusted, transform=ax.get_xaxis_transform(),
                            color="tab:red", alpha=0.08, label="height untrusted")
        phase = tel[:, INDEX["phase"]]
        for k in np.nonzero(np.diff(phase) != 0)[0]:
            ax.axvline(t[k + 1], color="grey", lw=0.8, ls=":")
        ax.set_ylabel("height (km)")
        ax.set_title(m)
        ax.axhline(0.0, color="grey", lw=0.5)
        ax.legend(loc="upper right", fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time since powered-descent initiation (s); dotted: phase changes")
    fig.suptitle(f"{name}: true altitude and navigation's height estimate")
    fig.tight_layout()
    return fig
