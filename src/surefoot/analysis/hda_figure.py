"""Figure of a landing's hazard looks: the scan over the terrain, the safety maps,
the chosen sites and the divert path.

One row per look: the TRUE terrain around the target (hillshade) with the
lidar's mapped cells and the ground track; the flight software's probability
of safe with the old and new targets; its slope and rock-relief maps. The maps
are the flight software's (built from the lidar and its own pose estimate);
only the hillshade and the ground track are truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LightSource
from matplotlib.figure import Figure

from surefoot.fsw.hda.inflight import LookOutcome
from surefoot.sim.telemetry import INDEX
from surefoot.world.terrain.grid import TerrainGrids


def _extent(east: np.ndarray, north: np.ndarray) -> list[float]:
    d = float(east[1] - east[0]) if east.size > 1 else 1.0
    return [east[0] - d / 2, east[-1] + d / 2, north[0] - d / 2, north[-1] + d / 2]


def _marks(ax: Axes, look: LookOutcome, final_en: tuple[float, float] | None) -> None:
    b, a = look.target_before_enu_m, look.target_after_enu_m
    ax.plot(b[0], b[1], "x", color="white", ms=9, mew=2, label="target before")
    ax.plot(b[0], b[1], "x", color="black", ms=7, mew=1)
    ax.plot(a[0], a[1], "o", mfc="none", mec="lime", ms=11, mew=2, label="chosen site")
    if final_en is not None:
        ax.plot(*final_en, "*", color="magenta", ms=11, label="touchdown")


def hda_figure(
    looks: list[LookOutcome],
    terrain: TerrainGrids,
    telemetry: np.ndarray | None,
    summary: dict[str, Any],
    path: Path,
) -> Path | None:
    """Write :func:`hda_plot` to ``path`` (PNG); None when the landing took no look."""
    fig = hda_plot(looks, terrain, telemetry, summary)
    if fig is None:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path


def hda_plot(
    looks: list[LookOutcome],
    terrain: TerrainGrids,
    telemetry: np.ndarray | None,
    summary: dict[str, Any],
) -> Figure | None:
    """The figure (outside pyplot's registry); None when the landing took no look."""
    looks = [lk for lk in looks if lk.result.elevation is not None]
    if not looks:
        return None
    fig = Figure(figsize=(16, 5.2 * len(looks)), layout="constrained")
    axes = fig.subplots(len(looks), 3, squeeze=False)
    td = None
    if np.isfinite(summary.get("touchdown_east_m", np.nan)):
        td = (summary["touchdown_east_m"], summary["touchdown_north_m"])
    for row, look in zip(axes, looks, strict=True):
        res = look.result
        em = res.elevation
        east, north = em.east_m, em.north_m
        ext = _extent(east, north)
        # 1: true terrain, the cells the scan observed, the ground track
        ax = row[0]
        d = max(float(em.cell_m), 0.25)
        nx = int((ext[1] - ext[0]) / d) + 1
        ny = int((ext[3] - ext[2]) / d) + 1
        h = terrain.sample_grid(ext[0], ext[2], d, nx, ny)
        shade = LightSource(azdeg=90.0, altdeg=25.0).hillshade(h, dx=d, dy=d)
        ax.imshow(shade, origin="lower", extent=ext, cmap="gray")
        seen = np.where(em.observed, 1.0, np.nan)
        ax.imshow(seen, origin="lower", extent=_extent(east, north), cmap="autumn", alpha=0.25)
        if telemetry is not None:
            te, tn = telemetry[:, INDEX["r_east"]], telemetry[:, INDEX["r_north"]]
            near = (te > ext[0]) & (te < ext[1]) & (tn > ext[2]) & (tn < ext[3])
            ax.plot(te[near], tn[near], "-", color="cyan", lw=1.2, label="ground track (truth)")
        _marks(ax, look, td)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_title(f"look {look.look} at t = {look.t_s:.0f} s: true terrain, scanned cells")
        ax.set_xlabel("east (m)")
        ax.set_ylabel("north (m)")
        ax.legend(loc="upper right", fontsize=7)
        # 2: probability of safe
        ax = row[1]
        p = res.safety.p_safe if res.safety is not None else np.full(em.height_m.shape, np.nan)
        im = ax.imshow(p, origin="lower", extent=ext, cmap="RdYlGn", vmin=0.0, vmax=1.0)
        fig.colorbar(im, ax=ax, shrink=0.8, label="probability of safe")
        if res.safety is not None:
            ax.contour(east, north, res.safety.safe.astype(float), levels=[0.5], colors="k",
                       linewidths=0.5)
        _marks(ax, look, td)
        verdict = (f"site {res.divert_m:.1f} m away, margin {res.margin_m:.1f} m"
                   if res.found else f"no safe site: {res.reason}")
        ax.set_title(f"safety map (flight software)\n{verdict}", fontsize=9)
        ax.set_xlabel("east (m)")
        # 3: rock relief above the footprint plane
        ax = row[2]
        relief = res.footprint.relief_m if res.footprint is not None else p * np.nan
        im = ax.imshow(relief, origin="lower", extent=ext, cmap="magma", vmin=0.0,
                       vmax=max(0.6, float(np.nanpercentile(relief, 99)) if np.isfinite(
                           relief).any() else 0.6))
        fig.colorbar(im, ax=ax, shrink=0.8, label="relief above the footprint plane (m)")
        _marks(ax, look, td)
        ax.set_title("rocks: relief over the lander footprint")
        ax.set_xlabel("east (m)")
    fig.suptitle(
        f"{summary['scenario']} seed {summary['seed']}: hazard detection and avoidance, "
        f"{summary['outcome']}, {summary.get('distance_from_final_target_m', np.nan):.1f} m "
        "from the chosen site"
    )
    return fig
