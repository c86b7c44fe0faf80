"""What a person reads after a landing: the summary table and the descent figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from surefoot.sim.telemetry import INDEX
from surefoot.world.terrain import TerrainGrids

OUTCOME_STYLE = {
    "safe": "bold green",
    "hard": "bold yellow",
    "tipped": "bold red",
    "crashed": "bold red",
    "no_contact": "bold red",
}


def _fmt(v: Any, unit: str = "", digits: int = 2) -> str:
    if isinstance(v, float):
        return "-" if not math.isfinite(v) else f"{v:,.{digits}f} {unit}".strip()
    return f"{v} {unit}".strip()


def summary_table(summary: dict[str, Any], limits: dict[str, float] | None = None) -> Table:
    """Rich table of one landing's outcome and touchdown figures."""
    t = Table(
        title=f"surefoot landing: {summary['scenario']} (seed {summary['seed']})",
        show_header=True,
        header_style="bold",
    )
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_column("limit", justify="right")
    lim = limits or {}
    out = summary["outcome"]
    t.add_row("outcome", f"[{OUTCOME_STYLE.get(out, 'bold')}]{out}[/]", "")
    rows = [
        (
            "vertical touchdown speed",
            "touchdown_vertical_speed_m_s",
            "m/s",
            "max_vertical_speed_m_s",
        ),
        (
            "horizontal touchdown speed",
            "touchdown_horizontal_speed_m_s",
            "m/s",
            "max_horizontal_speed_m_s",
        ),
        ("tilt at touchdown", "touchdown_tilt_deg", "deg", "max_tilt_deg"),
        ("local slope", "touchdown_slope_deg", "deg", "max_slope_deg"),
        ("angular rate", "touchdown_rate_deg_s", "deg/s", "max_angular_rate_deg_s"),
        ("distance from target", "distance_from_target_m", "m", None),
        ("propellant used", "propellant_used_kg", "kg", None),
        ("propellant left", "propellant_left_kg", "kg", None),
        ("flight time", "flight_time_s", "s", None),
        ("wall time", "wall_time_s", "s", None),
    ]
    if summary.get("hda_looks", 0):
        i = rows.index(("distance from target", "distance_from_target_m", "m", None))
        rows[i + 1 : i + 1] = [
            ("distance from chosen site", "distance_from_final_target_m", "m", None),
            ("hazard divert", "hda_divert_total_m", "m", None),
        ]
    for label, key, unit, lkey in rows:
        limit = _fmt(lim[lkey], unit, 1) if lkey and lkey in lim else ""
        t.add_row(label, _fmt(summary.get(key, float("nan")), unit), limit)
    if summary.get("hda_looks", 0):
        t.add_row("hazard looks", f"{summary['hda_looks']} ({summary['hda_no_site']} no site)", "")
    return t


def print_summary(
    summary: dict[str, Any], limits: dict[str, float] | None = None, console: Console | None = None
) -> None:
    (console or Console()).print(summary_table(summary, limits))


def descent_figure(
    telemetry: np.ndarray, terrain: TerrainGrids, summary: dict[str, Any], path: Path
) -> Path:
    """Write :func:`descent_plot` to ``path`` (PNG); returns the path."""
    fig = descent_plot(telemetry, terrain, summary)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path


def descent_plot(telemetry: np.ndarray, terrain: TerrainGrids, summary: dict[str, Any]) -> Figure:
    """Figure with altitude, speeds, throttle, mass and attitude against time, the
    ground-track profile over the terrain and the final approach in plan view.

    A :class:`matplotlib.figure.Figure` outside pyplot's figure registry (no
    backend needed, nothing to close); a notebook displays it as it is.
    """
    tel = telemetry
    t = tel[:, INDEX["t"]]
    col = lambda name: tel[:, INDEX[name]]  # noqa: E731
    v_h = np.hypot(col("v_east"), col("v_north"))
    fig = Figure(figsize=(15, 10), layout="constrained")
    gs = fig.add_gridspec(3, 3)
    title = (
        f"{summary['scenario']} seed {summary['seed']}: {summary['outcome']}, "
        f"touchdown {_fmt(summary['touchdown_vertical_speed_m_s'], 'm/s')} vertical, "
        f"{_fmt(summary['touchdown_horizontal_speed_m_s'], 'm/s')} horizontal, "
        f"{_fmt(summary['distance_from_target_m'], 'm', 1)} from target"
    )
    fig.suptitle(title)

    ax = fig.add_subplot(gs[0, 0])
    ax.plot(t, col("altitude") / 1e3, label="above terrain")
    ax.set_ylabel("altitude (km)")
    ax.set_xlabel("time (s)")
    ax.grid(alpha=0.3)
    for ph, name in ((1, "approach"), (2, "terminal")):
        k = np.argmax(col("phase") >= ph)
        if col("phase")[k] >= ph:
            ax.axvline(t[k], color="grey", ls="--", lw=0.8)
            ax.text(t[k], ax.get_ylim()[1] * 0.9, name, rotation=90, va="top", fontsize=8)

    ax = fig.add_subplot(gs[0, 1])
    ax.plot(t, v_h, label="horizontal")
    ax.plot(t, -col("v_up"), label="descent rate (site up)")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("speed relative to surface (m/s)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[0, 2])
    ax.plot(t, col("throttle") * 100, label="delivered")
    ax.plot(
        t,
        col("thrust_cmd") / max(col("thrust").max(), 1e-9) * col("throttle").max() * 100,
        lw=0.6,
        alpha=0.6,
        label="commanded",
    )
    ax.set_ylabel("throttle (% of max thrust)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[1, 0])
    ax.plot(t, col("mass"), label="total")
    ax.plot(t, col("propellant"), label="propellant")
    ax.set_ylabel("mass (kg)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[1, 1])
    ax.plot(t, col("tilt"), label="thrust axis from site vertical")
    ax.set_ylabel("tilt (deg)")
    ax.set_xlabel("time (s)")
    ax2 = ax.twinx()
    ax2.plot(
        t,
        np.linalg.norm(
            tel[:, [INDEX["omega_body_x"], INDEX["omega_body_y"], INDEX["omega_body_z"]]], axis=1
        ),
        color="C3",
        lw=0.7,
    )
    ax2.set_ylabel("body rate (deg/s)", color="C3")
    ax.grid(alpha=0.3)

    # ground-track profile: distance from target along the track vs height
    ax = fig.add_subplot(gs[1, 2])
    x = col("r_east")
    y = col("r_north")
    dist = -np.hypot(x, y) / 1e3
    h_terr = terrain.height(x, y)
    h_lander = h_terr + col("altitude")
    ax.fill_between(dist, h_terr.min() - 200, h_terr, color="0.6", label="terrain under track")
    ax.plot(dist, h_lander, color="C0", label="lander")
    ax.set_xlabel("distance to target (km)")
    ax.set_ylabel("height above mean sphere (m)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    # plan views: medium and fine levels with the track
    for j, (lev, label) in enumerate(
        ((max(terrain.n_levels - 2, 0), "approach"), (terrain.n_levels - 1, "touchdown area"))
    ):
        ax = fig.add_subplot(gs[2, j])
        x0, y0, dx, h = terrain.level(lev)
        ny, nx = h.shape
        ext = [x0, x0 + dx * (nx - 1), y0, y0 + dx * (ny - 1)]
        im = ax.imshow(h, origin="lower", extent=ext, cmap="gray")
        sel = (x >= ext[0]) & (x <= ext[1]) & (y >= ext[2]) & (y <= ext[3])
        ax.plot(x[sel], y[sel], color="C1", lw=1.2, label="ground track")
        ax.plot(0, 0, "c+", ms=12, mew=2, label="target")
        te, tn = summary["touchdown_east_m"], summary["touchdown_north_m"]
        if math.isfinite(te):
            ax.plot(te, tn, "rx", ms=10, mew=2, label="touchdown")
        ax.set_title(f"{label} ({dx:g} m grid)")
        ax.set_xlabel("east (m)")
        ax.set_ylabel("north (m)")
        ax.legend(fontsize=7, loc="upper right")
        fig.colorbar(im, ax=ax, label="height (m)", shrink=0.8)

    ax = fig.add_subplot(gs[2, 2])
    last = t >= t[-1] - 120.0
    ax.plot(t[last], col("altitude")[last], label="altitude")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("altitude (m), last 2 min")
    ax2 = ax.twinx()
    ax2.plot(t[last], col("v_up")[last], color="C2", label="vertical speed")
    ax2.plot(t[last], v_h[last], color="C3", label="horizontal speed")
    ax2.set_ylabel("speed (m/s)")
    ax2.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    return fig
