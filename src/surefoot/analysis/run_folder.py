"""Reading a run folder written by ``surefoot run`` (or a replay's per-setting folder).

A folder holds ``telemetry.parquet``, ``summary.json``, ``scenario.yaml`` and
``terrain_site.npz`` (:mod:`surefoot.sim.output`). Bad input (a missing
folder or file, a damaged file) is a one-line :class:`ConfigError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from surefoot.config.base import safe_text
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.config.schema import Scenario
from surefoot.sim.telemetry import table_columns


@dataclass(frozen=True)
class SiteTerrain:
    """The terrain patch around touchdown: heights ``(ny, nx)`` in m on a grid of
    spacing ``dx_m`` whose node (0, 0) is at site ENU ``(x0_m, y0_m)``."""

    height_m: np.ndarray
    x0_m: float
    y0_m: float
    dx_m: float


@dataclass(frozen=True)
class RunFolder:
    """One run: telemetry columns by name (``(n,)`` float arrays, units in
    :data:`surefoot.sim.telemetry.COLUMNS`), the summary and the scenario flown."""

    path: Path
    columns: dict[str, np.ndarray]
    summary: dict[str, Any]
    scenario: Scenario

    def col(self, name: str) -> np.ndarray:
        """Column ``name``; ConfigError naming it when the file predates it."""
        if name not in self.columns:
            raise ConfigError(
                f"'{safe_text(self.path / 'telemetry.parquet')}': telemetry column '{name}' "
                "is missing (written by an older surefoot: fly the run again)"
            )
        return self.columns[name]

    def has(self, name: str) -> bool:
        return name in self.columns

    def hazard_looks(self) -> list[dict[str, Any]]:
        """``hazard_looks.json`` of the folder (site ENU, m), or [] when no look was taken;
        ConfigError (one line) when the file is not a list of looks."""
        p = self.path / "hazard_looks.json"
        if not p.is_file():
            return []
        try:
            looks = json.loads(p.read_text(encoding="utf-8"))
            ok = isinstance(looks, list) and all(
                isinstance(lk, dict)
                and isinstance(lk.get("t_s"), (int, float))
                and not isinstance(lk.get("t_s"), bool)
                and math.isfinite(lk["t_s"])
                and all(
                    isinstance(lk.get(k), list) and len(lk[k]) == 3
                    and all(isinstance(v, (int, float)) and math.isfinite(v) for v in lk[k])
                    for k in ("sensor_enu_m", "target_before_enu_m", "target_after_enu_m")
                )
                for lk in looks
            )
        except (ValueError, OSError):
            ok = False
        if not ok:
            raise ConfigError(f"'{safe_text(p)}': not a list of hazard looks")
        return looks

    def vectors(self, *names: str) -> np.ndarray:
        """``(n, len(names))`` stack of columns."""
        return np.stack([self.col(n) for n in names], axis=1)

    def site_terrain(self) -> SiteTerrain:
        """``terrain_site.npz`` of the folder."""
        p = self.path / "terrain_site.npz"
        if not p.is_file():
            raise ConfigError(f"RUN_DIR '{safe_text(self.path)}': 'terrain_site.npz' is missing")
        try:
            with np.load(p, allow_pickle=False) as z:
                h = np.asarray(z["height_m"], dtype=float)
                x0, y0, dx = float(z["x0_m"]), float(z["y0_m"]), float(z["dx_m"])
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"'{safe_text(p)}': not a readable terrain patch ({safe_text(exc, 120)})"
            ) from None
        if h.ndim != 2 or min(h.shape) < 2 or not np.all(np.isfinite(h)) or not dx > 0:
            raise ConfigError(f"'{safe_text(p)}': height_m must be a finite 2-D grid, dx_m > 0")
        return SiteTerrain(h, x0, y0, dx)


def read_telemetry_columns(tel_path: Path) -> dict[str, np.ndarray]:
    """The columns of a ``telemetry.parquet`` by quantity name (the file's names carry
    units), page checksums verified; ConfigError (one line) for a damaged file."""
    try:
        tab = pq.read_table(tel_path, page_checksum_verification=True)
    except Exception as exc:  # a damaged file: pyarrow raises several types
        raise ConfigError(
            f"'{safe_text(tel_path)}': not a readable telemetry file ({safe_text(exc, 120)})"
        ) from None
    return table_columns(tab)


def read_run_folder(run_dir: str | Path) -> RunFolder:
    """Read ``run_dir``; ConfigError (one line) when it is not a readable run folder."""
    run = Path(run_dir)
    if not run.is_dir():
        raise ConfigError(f"RUN_DIR '{safe_text(run)}': not a folder")
    tel_path = run / "telemetry.parquet"
    for name in ("telemetry.parquet", "summary.json", "scenario.yaml"):
        if not (run / name).is_file():
            raise ConfigError(f"RUN_DIR '{safe_text(run)}': '{name}' is missing")
    scenario = load_scenario(str(run / "scenario.yaml"))
    cols = read_telemetry_columns(tel_path)
    if "t" not in cols or len(cols["t"]) == 0:
        raise ConfigError(f"'{safe_text(tel_path)}': telemetry has no rows")
    try:
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    except (ValueError, OSError):
        raise ConfigError(f"'{safe_text(run / 'summary.json')}': not a readable summary") from None
    if not isinstance(summary, dict):
        raise ConfigError(f"'{safe_text(run / 'summary.json')}': not a JSON object")
    # the file writes NaN as null
    summary = {k: (float("nan") if v is None else v) for k, v in summary.items()}
    return RunFolder(run, cols, summary, scenario)
