"""Writing a flown run to a folder: telemetry (Parquet), summary (JSON), scenario
(YAML) and the terrain patch around touchdown (NumPy), each written atomically.

The summary and the telemetry file carry the run's provenance
(:func:`surefoot.sim.provenance.provenance`); the telemetry file's schema
metadata also names the scenario and seed and holds the resolved scenario as
YAML, so the file alone says which inputs and which code made it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from surefoot.config.schema import Scenario
from surefoot.sim.provenance import provenance
from surefoot.sim.runner import BatchResult
from surefoot.sim.telemetry import TEL_R_ENU, to_table
from surefoot.world.terrain.dem_file import DemFootprint

SITE_PATCH_HALF_WIDTH_M = 400.0
SITE_PATCH_SPACING_M = 1.0


def _file_mode() -> int:
    """Permissions of a new file under the current umask (mkstemp makes them 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file in its folder, then rename it into place.

    A reader never sees a half-written file, and the file gets the permissions
    of any new file under the user's umask.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, _file_mode())
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _json_clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def ground_track_map_m(r_enu_m: np.ndarray, radius_ref_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Site map ``(x_east_m, y_north_m)`` under positions ``r_enu_m`` (N, 3), site ENU
    with up as height above the reference sphere (telemetry ``r_east, r_north, r_up``):
    azimuthal-equidistant, as :func:`surefoot.math.frames.mcmf_to_map`."""
    e, n = r_enu_m[:, 0], r_enu_m[:, 1]
    u = r_enu_m[:, 2] + radius_ref_m
    s = np.hypot(e, n)
    k = radius_ref_m * np.divide(np.arctan2(s, u), s, out=np.zeros_like(s), where=s > 1e-9)
    return k * e, k * n


def dem_summary(
    dem: DemFootprint, r_enu_m: np.ndarray | None, radius_ref_m: float
) -> dict[str, Any]:
    """Which DEM area the landing crossed: the DEM's extent in the site map frame (m),
    how it was placed, and the length of the ground track (from the first telemetry
    row to the last) over the DEM and over the synthetic terrain around it.

    A segment of the track counts as over the DEM when its midpoint lies within
    the DEM's nodes (its taper band, where it blends into the synthetic terrain,
    included). Track figures are NaN without telemetry.
    """
    x0, x1, y0, y1 = dem.bounds_m
    out: dict[str, Any] = {
        "dem_placement": dem.placement,
        "dem_east_min_m": float(x0),
        "dem_east_max_m": float(x1),
        "dem_north_min_m": float(y0),
        "dem_north_max_m": float(y1),
        "dem_pixel_m": float(dem.pixel_m),
        "dem_taper_m": float(dem.taper_m),
    }
    nan = float("nan")
    total = over = nan
    if r_enu_m is not None and r_enu_m.shape[0] >= 2:
        x, y = ground_track_map_m(r_enu_m, radius_ref_m)
        seg = np.hypot(np.diff(x), np.diff(y))
        xm, ym = 0.5 * (x[1:] + x[:-1]), 0.5 * (y[1:] + y[:-1])
        on = (xm >= x0) & (xm <= x1) & (ym >= y0) & (ym <= y1)
        total, over = float(seg.sum()), float(seg[on].sum())
    out["ground_track_m"] = total
    out["ground_track_over_dem_m"] = over
    out["ground_track_over_synthetic_m"] = total - over
    out["ground_track_over_dem_fraction"] = over / total if total > 0.0 else nan
    return out


def run_summary(result: BatchResult, i: int = 0) -> dict[str, Any]:
    """What ``summary.json`` holds for lander ``i``: its touchdown summary, events
    and ``provenance`` (:func:`surefoot.sim.provenance.provenance`); with a DEM file,
    which DEM area the landing crossed (:func:`dem_summary`).

    Non-finite floats stay NaN here; the JSON file writes them as ``null``.
    """
    summary: dict[str, Any] = dict(result.summary(i))
    if result.terrain.dem is not None:
        tel = None
        if result.telemetry is not None:
            tel = result.telemetry[i][:, TEL_R_ENU : TEL_R_ENU + 3]
        summary.update(
            dem_summary(result.terrain.dem, tel, result.scenarios[i].moon.radius_m)
        )
    summary["events"] = list(result.events[i]) if result.events else []
    summary["provenance"] = provenance()
    return summary


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML (``scenario.yaml`` of a run folder; it flies the
    same landing again)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def telemetry_table(result: BatchResult, i: int = 0) -> pa.Table:
    """Lander ``i``'s telemetry as written to ``telemetry.parquet``.

    The columns and their field metadata (unit, description) are those of
    :func:`surefoot.sim.telemetry.to_table`; the schema metadata adds
    ``scenario`` (name), ``seed``, ``scenario_yaml`` (the resolved scenario)
    and ``provenance`` (JSON) to ``producer`` and ``frame``.
    """
    if result.telemetry is None:
        raise ValueError("no telemetry recorded (sim.telemetry_rate_hz is 0)")
    table = to_table(result.telemetry[i])
    scenario = result.scenarios[i]
    meta = dict(table.schema.metadata or {})
    meta.update({
        b"scenario": scenario.name.encode(),
        b"seed": str(scenario.seed).encode(),
        b"scenario_yaml": scenario_yaml(scenario).encode(),
        b"provenance": json.dumps(provenance()).encode(),
    })
    return table.replace_schema_metadata(meta)


def write_run(result: BatchResult, out_dir: Path, i: int = 0) -> dict[str, Path]:
    """Write lander ``i`` of a result into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    paths = {
        "telemetry": out_dir / "telemetry.parquet",
        "summary": out_dir / "summary.json",
        "scenario": out_dir / "scenario.yaml",
        "terrain_site": out_dir / "terrain_site.npz",
    }
    summary = run_summary(result, i)
    if result.telemetry is not None:
        table = telemetry_table(result, i)
        atomic_write(paths["telemetry"],
                     lambda p: pq.write_table(table, p, write_page_checksum=True))
    else:
        paths.pop("telemetry")
    atomic_write(
        paths["summary"], lambda p: p.write_text(json.dumps(_json_clean(summary), indent=2))
    )
    text = scenario_yaml(result.scenarios[i])
    atomic_write(paths["scenario"], lambda p: p.write_text(text))

    # terrain around the touchdown point (or the target when there was none)
    cx = summary["touchdown_east_m"]
    cy = summary["touchdown_north_m"]
    cx = 0.0 if not math.isfinite(cx) else round(cx)
    cy = 0.0 if not math.isfinite(cy) else round(cy)
    n = int(2 * SITE_PATCH_HALF_WIDTH_M / SITE_PATCH_SPACING_M) + 1
    x0 = cx - SITE_PATCH_HALF_WIDTH_M
    y0 = cy - SITE_PATCH_HALF_WIDTH_M
    h = result.terrain.sample_grid(x0, y0, SITE_PATCH_SPACING_M, n, n)

    def _save(p: Path) -> None:
        # uncompressed: zlib took a quarter of a second of every run to save 6 % of 5 MB
        with open(p, "wb") as f:
            np.savez(f, height_m=h, x0_m=x0, y0_m=y0, dx_m=SITE_PATCH_SPACING_M)

    atomic_write(paths["terrain_site"], _save)

    looks = result.hda_looks[i] if result.hda_looks else []
    if looks:
        paths["hazard_looks"] = out_dir / "hazard_looks.json"
        text_looks = json.dumps(hazard_looks_json(looks), indent=1)
        atomic_write(paths["hazard_looks"], lambda p: p.write_text(text_looks))
    return paths


def hazard_looks_json(looks: list) -> list[dict]:
    """The hazard looks of a run as written to ``hazard_looks.json`` (site ENU, m): when
    each look was taken, where the sensor was (the flight software's estimate), the
    target before and after it, and what it decided."""
    def num(v: float) -> float | None:
        return float(v) if math.isfinite(float(v)) else None

    return [
        {
            "look": int(lk.look),
            "t_s": num(lk.t_s),
            "sensor_enu_m": [num(v) for v in lk.sensor_enu_m[:3]],
            "target_before_enu_m": [num(v) for v in lk.target_before_enu_m[:3]],
            "target_after_enu_m": [num(v) for v in lk.target_after_enu_m[:3]],
            "event": str(lk.event),
        }
        for lk in looks
    ]
