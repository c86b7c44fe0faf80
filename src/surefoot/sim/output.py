"""Writing a flown run to a folder: telemetry (Parquet), summary (JSON), scenario
(YAML) and the terrain patch around touchdown (NumPy), each written atomically."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import yaml

from surefoot.sim.runner import BatchResult
from surefoot.sim.telemetry import to_table

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


def run_summary(result: BatchResult, i: int = 0) -> dict[str, Any]:
    """What ``summary.json`` holds for lander ``i``: its touchdown summary and events.

    Non-finite floats stay NaN here; the JSON file writes them as ``null``.
    """
    summary: dict[str, Any] = dict(result.summary(i))
    summary["events"] = list(result.events[i]) if result.events else []
    return summary


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
        table = to_table(result.telemetry[i])
        atomic_write(paths["telemetry"],
                     lambda p: pq.write_table(table, p, write_page_checksum=True))
    else:
        paths.pop("telemetry")
    atomic_write(
        paths["summary"], lambda p: p.write_text(json.dumps(_json_clean(summary), indent=2))
    )
    scen = result.scenarios[i].model_dump(mode="json")
    atomic_write(paths["scenario"], lambda p: p.write_text(yaml.safe_dump(scen, sort_keys=False)))

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
    return paths
