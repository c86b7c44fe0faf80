"""What a person reads after a landing: the summary table and the descent figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table

from surefoot.analysis.local_frame import (
    height_above_sphere_m,
    local_horizontal_speed,
    radial_rate,
    surface_distance_to_target_m,
    tilt_from_local_vertical_deg,
)
from surefoot.sim.telemetry import INDEX
from surefoot.world.terrain import TerrainGrids

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not for the summary
    from matplotlib.figure import Figure

# A panel of the descent figure is ~400 px wide: more points than a few per pixel
# column, or image nodes than pixels, only cost drawing time.
LINE_BUCKETS = 800
IMAGE_MAX_PX = 400
# the terrain profile shows the last this many km of the ground track
PROFILE_KM = 20.0

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
    if "dem_placement" in summary:
        for label, value in dem_rows(summary):
            t.add_row(label, value, "")
    first_fault = summary.get("engine_fault_first_s", float("nan"))
    if isinstance(first_fault, float) and math.isfinite(first_fault):
        t.add_row("engine fault from", _fmt(first_fault, "s"), "")
    if "executive_restarts" in summary:
        t.add_row("executive restarts", _restarts(summary), "")
    return t


def _restarts(summary: dict[str, Any]) -> str:
    """Restarts of the executive (computer overloads), when, and guidance held."""
    n = int(summary["executive_restarts"])
    if n == 0:
        return "0"
    times = ", ".join(f"{t:,.0f}" for t in summary["executive_restart_times_s"][:5])
    more = ", ..." if n > 5 else ""
    held = int(summary["guidance_cycles_held"])
    return f"{n} (at {times}{more} s; {held} guidance cycles held)"


def dem_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary's DEM lines (``surefoot.sim.output.dem_summary``): its extent in
    the site frame, how it was placed, and the ground track over it."""
    km = 1e-3
    extent = (
        f"E {summary['dem_east_min_m'] * km:,.2f} to {summary['dem_east_max_m'] * km:,.2f} km, "
        f"N {summary['dem_north_min_m'] * km:,.2f} to {summary['dem_north_max_m'] * km:,.2f} km"
    )
    over = summary.get("ground_track_over_dem_m", float("nan"))
    frac = summary.get("ground_track_over_dem_fraction", float("nan"))
    rest = summary.get("ground_track_over_synthetic_m", float("nan"))
    track = (
        "-"
        if not math.isfinite(over)
        else f"{over * km:,.2f} km ({100.0 * frac:.0f} %), synthetic {rest * km:,.2f} km"
    )
    return [
        ("DEM extent (site frame)", extent),
        ("DEM placed", str(summary["dem_placement"])),
        ("ground track over DEM", track),
    ]


def print_summary(
    summary: dict[str, Any], limits: dict[str, float] | None = None, console: Console | None = None
) -> None:
    (console or Console()).print(summary_table(summary, limits))


def envelope(x: np.ndarray, y: np.ndarray, buckets: int = LINE_BUCKETS
             ) -> tuple[np.ndarray, np.ndarray]:
    """Points of the curve ``(x, y)`` that keep its drawn shape: the first, the last,
    and the lowest and highest point of each of ``buckets`` consecutive slices, in
    order. A line through them covers the same pixels as the full curve at a width
    of ``buckets`` pixel columns or fewer (spikes included, unlike a plain stride)."""
    n = y.shape[0]
    if n <= 2 * buckets + 2:
        return x, y
    k = -(-n // buckets)
    m = n // k * k
    blocks = y[:m].reshape(-1, k)
    base = np.arange(0, m, k)
    idx = np.concatenate(
        ([0], base + np.argmin(blocks, axis=1), base + np.argmax(blocks, axis=1),
         np.arange(m, n), [n - 1])
    )
    idx = np.unique(idx)
    return x[idx], y[idx]


def _thin_image(h: np.ndarray, max_px: int = IMAGE_MAX_PX) -> tuple[np.ndarray, int]:
    """Every ``s``-th node of a height grid so that neither side exceeds ``max_px``."""
    s = max(1, -(-max(h.shape) // max_px))
    return h[::s, ::s], s


DEFAULT_MOON_RADIUS_M = 1_737_400.0  # the reference sphere of the default scenario


def descent_figure(
    telemetry: np.ndarray,
    terrain: TerrainGrids,
    summary: dict[str, Any],
    path: Path,
    moon_radius_m: float = DEFAULT_MOON_RADIUS_M,
) -> Path:
    """Write :func:`descent_plot` to ``path`` (PNG); returns the path."""
    fig = descent_plot(telemetry, terrain, summary, moon_radius_m)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 1: a third of level 6's encoding time for a slightly larger file
    fig.savefig(path, dpi=90, pil_kwargs={"compress_level": 1})
    return path


def _plain_ticks(ax: Any, log_y: bool = False) -> None:
    """Few ticks, no minor ticks, and plain-number labels: tick artists and mathtext
    labels (matplotlib's default on log axes) were most of the figure's drawing time."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(5))


def _vectors(tel: np.ndarray, *names: str) -> np.ndarray:
    return tel[:, [INDEX[n] for n in names]]


def descent_plot(
    telemetry: np.ndarray,
    terrain: TerrainGrids,
    summary: dict[str, Any],
    moon_radius_m: float = DEFAULT_MOON_RADIUS_M,
) -> Figure:
    """Figure with altitude, speeds, throttle, mass and attitude against time, the
    terrain profile under the ground track and the final approach in plan view.

    Speeds and tilt are taken about the lander's own local vertical (the radial
    from the Moon's centre, sphere of ``moon_radius_m``), not the site frame's,
    which leans by the angle travelled (:mod:`surefoot.analysis.local_frame`).
    A :class:`matplotlib.figure.Figure` outside pyplot's figure registry (no
    backend needed, nothing to close); a notebook displays it as it is.
    """
    tel = telemetry
    t = tel[:, INDEX["t"]]
    col = lambda name: tel[:, INDEX[name]]  # noqa: E731
    r_enu = _vectors(tel, "r_east", "r_north", "r_up")
    v_enu = _vectors(tel, "v_east", "v_north", "v_up")
    q = _vectors(tel, "q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")
    v_radial = radial_rate(r_enu, v_enu, moon_radius_m)
    v_h = local_horizontal_speed(r_enu, v_enu, moon_radius_m)
    tilt = tilt_from_local_vertical_deg(r_enu, q, moon_radius_m)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def plot(ax, xs, ys, *args, **kwargs):  # noqa: ANN001, ANN202
        return ax.plot(*envelope(xs, ys), *args, **kwargs)

    # a fixed layout: a constrained-layout pass measures every tick label twice
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 10))
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(3, 3, left=0.05, right=0.95, bottom=0.055, top=0.93,
                          wspace=0.42, hspace=0.33)
    title = (
        f"{summary['scenario']} seed {summary['seed']}: {summary['outcome']}, "
        f"touchdown {_fmt(summary['touchdown_vertical_speed_m_s'], 'm/s')} vertical, "
        f"{_fmt(summary['touchdown_horizontal_speed_m_s'], 'm/s')} horizontal, "
        f"{_fmt(summary['distance_from_target_m'], 'm', 1)} from target"
    )
    fig.suptitle(title)

    ax = fig.add_subplot(gs[0, 0])
    plot(ax, t, col("altitude") / 1e3, label="above terrain")
    ax.set_ylabel("altitude above terrain (km)")
    ax.set_xlabel("time (s)")
    ax.grid(alpha=0.3)
    for ph, name in ((1, "approach"), (2, "terminal")):
        k = np.argmax(col("phase") >= ph)
        if col("phase")[k] >= ph:
            ax.axvline(t[k], color="grey", ls="--", lw=0.8)
            ax.text(t[k], ax.get_ylim()[1] * 0.9, name, rotation=90, va="top", fontsize=8)

    ax = fig.add_subplot(gs[0, 1])
    plot(ax, t, v_h, label="horizontal (local)")
    plot(ax, t, -v_radial, label="descent rate (radial)")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("speed relative to surface (m/s)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[0, 2])
    plot(ax, t, col("throttle") * 100, label="delivered")
    plot(
        ax,
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
    plot(ax, t, col("mass"), label="total")
    plot(ax, t, col("propellant"), label="propellant")
    ax.set_ylabel("mass (kg)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[1, 1])
    plot(ax, t, tilt, label="thrust axis from local vertical")
    ax.set_ylabel("tilt from local vertical (deg)")
    ax.set_xlabel("time (s)")
    ax2 = ax.twinx()
    plot(
        ax2,
        t,
        np.linalg.norm(_vectors(tel, "omega_body_x", "omega_body_y", "omega_body_z"), axis=1),
        color="C3",
        lw=0.7,
    )
    ax2.set_ylabel("body rate (deg/s)", color="C3")
    ax.grid(alpha=0.3)

    # terrain under the last PROFILE_KM of the ground track at its own scale
    # (metres), the lander's altitude above it on a log axis: one shared axis,
    # or the whole 850 km track, would flatten the terrain into a band
    ax = fig.add_subplot(gs[1, 2])
    dist_all = surface_distance_to_target_m(r_enu, moon_radius_m)
    near = dist_all <= PROFILE_KM * 1e3
    if near.sum() < 2:
        near = np.ones_like(near)
    dist_km = -dist_all[near] / 1e3
    h_terr = (height_above_sphere_m(r_enu, moon_radius_m) - col("altitude"))[near]
    dx_env, h_env = envelope(dist_km, h_terr)
    lo, hi = float(h_terr.min()), float(h_terr.max())
    pad = max(0.1 * (hi - lo), 5.0)
    ax.fill_between(dx_env, h_env, lo - pad, color="0.6", label="terrain under track")
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("distance to target along the surface (km)")
    ax.set_ylabel("terrain height under the track (m)")
    ax2 = ax.twinx()
    plot(ax2, dist_km, np.maximum(col("altitude")[near], 0.1), color="C0", lw=1.0)
    ax2.set_yscale("log")
    ax2.set_ylabel("lander altitude above terrain (m)", color="C0")
    ax.grid(alpha=0.3)

    # plan views: medium and fine levels with the track
    x = col("r_east")
    y = col("r_north")
    for j, (lev, label) in enumerate(
        ((max(terrain.n_levels - 2, 0), "approach"), (terrain.n_levels - 1, "touchdown area"))
    ):
        ax = fig.add_subplot(gs[2, j])
        x0, y0, dx, h = terrain.level(lev)
        h, stride = _thin_image(h)
        ny, nx = h.shape
        ext = [x0, x0 + dx * stride * (nx - 1), y0, y0 + dx * stride * (ny - 1)]
        ax.imshow(h, origin="lower", extent=ext, cmap="gray", interpolation="nearest")
        sel = (x >= ext[0]) & (x <= ext[1]) & (y >= ext[2]) & (y <= ext[3])
        every = max(1, int(sel.sum()) // 2000)  # a smooth path: a stride keeps its shape
        ax.plot(x[sel][::every], y[sel][::every], color="C1", lw=1.2, label="ground track")
        ax.plot(0, 0, "c+", ms=12, mew=2, label="target")
        te, tn = summary["touchdown_east_m"], summary["touchdown_north_m"]
        if math.isfinite(te):
            ax.plot(te, tn, "rx", ms=10, mew=2, label="touchdown")
        # the height range in the title rather than a colorbar: an axes less to draw
        ax.set_title(f"{label} ({dx:g} m grid, grey {h.min():,.0f} to {h.max():,.0f} m)",
                     fontsize=10)
        ax.set_xlabel("east (m)")
        ax.set_ylabel("north (m)")
        ax.legend(fontsize=7, loc="upper right")

    ax = fig.add_subplot(gs[2, 2])
    last = t >= t[-1] - 120.0
    plot(ax, t[last], col("altitude")[last], label="altitude")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("altitude (m), last 2 min")
    ax2 = ax.twinx()
    plot(ax2, t[last], v_radial[last], color="C2", label="radial speed")
    plot(ax2, t[last], v_h[last], color="C3", label="horizontal speed")
    ax2.set_ylabel("speed (m/s)")
    ax2.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    for ax in fig.axes:
        _plain_ticks(ax, log_y=ax.get_yscale() != "linear")
    return fig
