"""From a flown run to before/after orbital images of its touchdown site and a detection report.

:func:`image_run` reads a run folder (``summary.json`` and
``terrain_site.npz``, see :mod:`.synthetic` for the contract), applies the
mark the landing leaves (:mod:`.scars`) at the true touchdown point, renders
a before and an after image (:mod:`.render`) with independent noise and a
random pointing error in the after image, runs the detector
(:mod:`.detect`) and compares what it finds with the truth.

The images are synthetic: the terrain is the simulator's truth model, the
albedo variation is a random field (the truth terrain has heights only),
and the camera is a model. Every output says so.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surefoot.analysis.imagery.detect import Detection, DetectionSettings, detect_change
from surefoot.analysis.imagery.figure import overview_figure
from surefoot.analysis.imagery.io import (
    GeoImage,
    ImageryInputError,
    display_stretch,
    write_geotiff,
    write_png,
    write_preview_png,
)
from surefoot.analysis.imagery.render import Camera, ImageGrid, render_image
from surefoot.analysis.imagery.scars import LandingMark, Touchdown, landing_mark
from surefoot.analysis.imagery.synthetic import albedo_field
from surefoot.config.base import ConfigError, read_text_file, safe_text

SYNTHETIC_NOTE = (
    "SYNTHETIC images: rendered by surefoot from the run's truth terrain with a random "
    "albedo field and a camera model; not observations."
)

# images of more than this many pixels a side would need gigabytes of memory
MAX_IMAGE_SIDE_PX = 6000
# a run's terrain patch is 801 x 801 float64 (5 MB)
MAX_NPZ_BYTES = 256 * 1024 * 1024
# what a site terrain patch can hold: grid spacing (m), heights and origin (m) of
# the site map frame (lunar relief stays within 20 km of the reference)
MIN_DX_M = 1e-3
MAX_DX_M = 1e4
MAX_HEIGHT_M = 1e6
MAX_ORIGIN_M = 1e9


@dataclass(frozen=True)
class ImagingOptions:
    """How the orbiter images the site.

    Attributes
    ----------
    sun_elevation_deg, sun_azimuth_deg : float
        Sun elevation (0-90 deg) and azimuth from north (deg); the same for
        both images, as in a temporal pair chosen for change detection.
    emission_deg, emission_azimuth_deg : float
        Camera angle from the vertical (0-70 deg) and its azimuth (deg).
    pixel_m : float
        Pixel size (m), 0.05-10.
    size_m : float
        Side of the square image footprint centred on the touchdown point
        (m), clipped to the terrain patch.
    pointing_error_px : float
        1-sigma error (pixels, per axis) of where the after image really
        looks, which the detector must correct.
    seed : int
        Seed of the albedo field, the noise and the pointing error.
    camera : Camera
        Optics and detector.
    """

    sun_elevation_deg: float = 30.0
    sun_azimuth_deg: float = 90.0
    emission_deg: float = 0.0
    emission_azimuth_deg: float = 0.0
    pixel_m: float = 1.0
    size_m: float = 600.0
    pointing_error_px: float = 2.0
    seed: int = 0
    camera: Camera = field(default_factory=Camera)

    def check(self) -> None:
        """Raise ImageryInputError naming the first option out of range."""
        if not 0.0 < self.sun_elevation_deg <= 90.0:
            raise ImageryInputError(
                f"--sun-elevation: must be in (0, 90] degrees (got {self.sun_elevation_deg})"
            )
        if not (math.isfinite(self.sun_azimuth_deg) and -360.0 <= self.sun_azimuth_deg <= 360.0):
            raise ImageryInputError(
                f"--sun-azimuth: must be in [-360, 360] degrees (got {self.sun_azimuth_deg})"
            )
        if not 0.0 <= self.emission_deg <= 70.0:
            raise ImageryInputError(
                f"--emission: must be in [0, 70] degrees (got {self.emission_deg})"
            )
        if not 0.05 <= self.pixel_m <= 10.0:
            raise ImageryInputError(
                f"--pixel-scale: must be a positive number of metres, 0.05 to 10 "
                f"(got {self.pixel_m})"
            )
        if not 10.0 <= self.size_m <= 5000.0:
            raise ImageryInputError(f"--size: must be 10 to 5000 m (got {self.size_m})")
        side_px = self.size_m / self.pixel_m
        if side_px > MAX_IMAGE_SIDE_PX:
            raise ImageryInputError(
                f"--size / --pixel-scale: {side_px:.0f} pixels a side, more than the "
                f"{MAX_IMAGE_SIDE_PX} allowed (use a larger --pixel-scale or a smaller --size)"
            )
        if not 0.0 <= self.pointing_error_px <= 50.0:
            raise ImageryInputError(
                f"--pointing-error: must be 0 to 50 pixels (got {self.pointing_error_px})"
            )
        if not 0 <= self.seed < 2**63:  # the bound of a scenario's seed
            raise ImageryInputError(
                f"--seed: must be >= 0 and < 2**63 (got {safe_text(self.seed, 40)})"
            )


@dataclass
class RunTerrain:
    """The truth height patch of a run (row 0 south, site map frame, m)."""

    height_m: np.ndarray
    x0_m: float
    y0_m: float
    dx_m: float

    def contains(self, east_m: float, north_m: float) -> bool:
        """True when the point lies inside the patch."""
        ny, nx = self.height_m.shape
        return (
            self.x0_m <= east_m <= self.x0_m + (nx - 1) * self.dx_m
            and self.y0_m <= north_m <= self.y0_m + (ny - 1) * self.dx_m
        )


def read_run(run_dir: str | Path) -> tuple[Touchdown, RunTerrain]:
    """Read and check a run folder's ``summary.json`` and ``terrain_site.npz``.

    Raises
    ------
    ImageryInputError
        Naming the file and field at fault.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ImageryInputError(f"RUN_DIR: '{run_dir}' is not a directory")
    summary_path = run_dir / "summary.json"
    if not summary_path.exists():
        raise ImageryInputError(f"RUN_DIR: '{safe_text(summary_path)}' is missing")
    try:
        summary = json.loads(read_text_file(summary_path, "RUN_DIR:", max_bytes=1 << 20))
    except ConfigError as exc:
        raise ImageryInputError(str(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise ImageryInputError(
            f"RUN_DIR: '{safe_text(summary_path)}' is not valid JSON ({safe_text(exc, 100)})"
        ) from None
    if not isinstance(summary, dict):
        raise ImageryInputError(f"RUN_DIR: '{safe_text(summary_path)}' is not a JSON object")
    try:
        touchdown = Touchdown.from_summary(summary)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ImageryInputError(f"RUN_DIR: {exc}") from None
    npz_path = run_dir / "terrain_site.npz"
    where = f"RUN_DIR: '{safe_text(npz_path)}'"
    if npz_path.exists() and npz_path.stat().st_size > MAX_NPZ_BYTES:
        raise ImageryInputError(f"{where} is larger than {MAX_NPZ_BYTES} bytes")
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            missing = [k for k in ("height_m", "x0_m", "y0_m", "dx_m") if k not in npz.files]
            if missing:
                raise ImageryInputError(f"{where} lacks {', '.join(missing)}")
            height = np.asarray(npz["height_m"], dtype=float)
            x0, y0, dx = (
                float(np.asarray(npz[k]).reshape(-1)[0]) for k in ("x0_m", "y0_m", "dx_m")
            )
    except FileNotFoundError:
        raise ImageryInputError(f"{where} is missing") from None
    except (
        OSError, ValueError, zipfile.BadZipFile, IndexError, EOFError, KeyError, TypeError,
        zlib.error, struct.error, MemoryError, NotImplementedError, OverflowError,
    ) as exc:
        raise ImageryInputError(
            f"{where} is not a readable .npz ({safe_text(' '.join(str(exc).split()), 100)})"
        ) from None
    if (height.ndim != 2 or min(height.shape) < 16 or not np.all(np.isfinite(height))
            or float(np.abs(height).max()) > MAX_HEIGHT_M):
        raise ImageryInputError(
            f"{where}: height_m must be a 2-D array of at least 16 x 16 finite heights "
            f"within {MAX_HEIGHT_M:g} m"
        )
    if not (MIN_DX_M <= dx <= MAX_DX_M and max(abs(x0), abs(y0)) <= MAX_ORIGIN_M):
        raise ImageryInputError(
            f"{where}: dx_m must be {MIN_DX_M:g} to {MAX_DX_M:g} m and x0_m, y0_m finite "
            f"within {MAX_ORIGIN_M:g} m"
        )
    terrain = RunTerrain(height, x0, y0, dx)
    if touchdown.outcome != "no_contact" and not terrain.contains(
        touchdown.east_m, touchdown.north_m
    ):
        raise ImageryInputError(
            f"{where}: the touchdown point ({touchdown.east_m:.1f} E, {touchdown.north_m:.1f} N)"
            " is outside the terrain patch"
        )
    return touchdown, terrain


@dataclass
class SiteImagery:
    """Result of :func:`image_run`: images, mark, detection, report and written files."""

    touchdown: Touchdown
    mark: LandingMark
    before: GeoImage
    after: GeoImage
    detection: Detection
    report: dict[str, Any]
    paths: dict[str, Path]


def image_run(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    options: ImagingOptions | None = None,
    *,
    settings: DetectionSettings | None = None,
    geotiff: bool = False,
    figure: bool = True,
) -> SiteImagery:
    """Before/after images of a run's touchdown site, the detection, and the report.

    Parameters
    ----------
    run_dir : str or Path
        Run folder with ``summary.json`` and ``terrain_site.npz``.
    out_dir : str or Path, optional
        Output folder (default ``RUN_DIR/imagery``); receives ``before.png``,
        ``after.png`` (16-bit, georeferenced), their 8-bit display previews
        ``before_preview.png`` and ``after_preview.png``, ``detection.json`` and
        ``overview.png`` (and ``.tif`` copies with ``geotiff``).
    options : ImagingOptions, optional
        Lighting, camera, footprint and seed.
    settings : DetectionSettings, optional
        Detector tuning.
    geotiff : bool
        Also write GeoTIFFs.
    figure : bool
        Write the overview figure.

    Returns
    -------
    SiteImagery
    """
    opt = options if options is not None else ImagingOptions()
    opt.check()
    touchdown, terrain = read_run(run_dir)
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "imagery"
    try:
        mark = landing_mark(touchdown)
    except ValueError as exc:
        raise ImageryInputError(f"RUN_DIR: {exc}") from None
    shape = terrain.height_m.shape
    albedo = albedo_field(shape, terrain.dx_m, seed=opt.seed)
    h_after, alb_after = mark.apply(
        terrain.height_m, albedo, terrain.dx_m, terrain.x0_m, terrain.y0_m
    )
    centre = (
        (touchdown.east_m, touchdown.north_m)
        if mark.kind != "none"
        else (
            terrain.x0_m + 0.5 * (shape[1] - 1) * terrain.dx_m,
            terrain.y0_m + 0.5 * (shape[0] - 1) * terrain.dx_m,
        )
    )
    try:
        grid = ImageGrid.covering(
            shape, terrain.dx_m, terrain.x0_m, terrain.y0_m, opt.pixel_m, centre, opt.size_m
        )
    except ValueError as exc:
        raise ImageryInputError(f"--size/--pixel-scale: {exc}") from None
    pointing = np.random.default_rng([opt.seed, 13]).normal(0.0, opt.pointing_error_px, 2)
    pointing_m = (float(pointing[0] * opt.pixel_m), float(pointing[1] * opt.pixel_m))
    common = {
        "x0_m": terrain.x0_m,
        "y0_m": terrain.y0_m,
        "sun_elevation_deg": opt.sun_elevation_deg,
        "sun_azimuth_deg": opt.sun_azimuth_deg % 360.0,
        "emission_deg": opt.emission_deg,
        "emission_azimuth_deg": opt.emission_azimuth_deg % 360.0,
        "grid": grid,
        "camera": opt.camera,
    }
    before = render_image(
        terrain.height_m,
        terrain.dx_m,
        albedo_factor=albedo,
        rng=np.random.default_rng([opt.seed, 11]),
        **common,
    )
    after = render_image(
        h_after,
        terrain.dx_m,
        albedo_factor=alb_after,
        rng=np.random.default_rng([opt.seed, 12]),
        pointing_offset_m=pointing_m,
        **common,
    )
    for img, label in ((before, "before"), (after, "after")):
        img.meta.update({"image": label, "run": str(run_dir), "note": SYNTHETIC_NOTE})
    detection = detect_change(
        before.data,
        after.data,
        grid.pixel_m,
        x0_m=grid.x0_m,
        y0_m=grid.y0_m,
        settings=settings,
    )
    report = _report(touchdown, mark, opt, pointing_m, grid, detection)

    out.mkdir(parents=True, exist_ok=True)
    paths = {"before": write_png(out / "before.png", before)}
    paths["after"] = write_png(out / "after.png", after)
    stretch = display_stretch([before, after])
    paths["before_preview"] = write_preview_png(out / "before_preview.png", before, stretch)
    paths["after_preview"] = write_preview_png(out / "after_preview.png", after, stretch)
    if geotiff:
        paths["before_tif"] = write_geotiff(out / "before.tif", before)
        paths["after_tif"] = write_geotiff(out / "after.tif", after)
    paths["report"] = out / "detection.json"
    paths["report"].write_text(json.dumps(report, indent=2) + "\n")
    if figure:
        truth = (touchdown.east_m, touchdown.north_m) if mark.kind != "none" else None
        paths["figure"] = overview_figure(
            before,
            after,
            detection,
            out / "overview.png",
            title=f"orbital images of the touchdown site, {touchdown.scenario or 'run'} "
            f"({touchdown.outcome})",
            truth_east_north_m=truth,
        )
    return SiteImagery(touchdown, mark, before, after, detection, report, paths)


def _report(
    touchdown: Touchdown,
    mark: LandingMark,
    opt: ImagingOptions,
    pointing_m: tuple[float, float],
    grid: ImageGrid,
    detection: Detection,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "synthetic": True,
        "note": SYNTHETIC_NOTE,
        "run": asdict(touchdown),
        "imaging": {
            **{k: v for k, v in asdict(opt).items() if k != "camera"},
            "camera": asdict(opt.camera),
            "footprint": asdict(grid),
            "after_pointing_offset_true_m": list(pointing_m),
        },
        "mark": mark.to_dict(),
        "detection": detection.to_dict(),
    }
    if mark.kind != "none" and detection.sites:
        site = detection.sites[0]
        de = site.center_east_m - touchdown.east_m
        dn = site.center_north_m - touchdown.north_m
        err = math.hypot(de, dn)
        sig = math.hypot(site.sigma_east_m, site.sigma_north_m)
        report["truth_check"] = {
            "centre_error_east_m": de,
            "centre_error_north_m": dn,
            "centre_error_m": err,
            "centre_error_px": err / opt.pixel_m,
            "centre_sigma_m": sig,
        }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A short plain-text table of a report from :func:`image_run` or a detect-only report."""
    lines = []
    if report.get("synthetic"):
        lines.append("SYNTHETIC images (rendered from a terrain model, not observed)")
    run = report.get("run")
    if run:
        lines.append(
            f"run           {run.get('scenario') or '-'}: {run['outcome']} at "
            f"{run['east_m']:.1f} m E, {run['north_m']:.1f} m N of target, "
            f"{math.hypot(run['vertical_speed_m_s'], run['horizontal_speed_m_s']):.1f} m/s"
        )
    mark = report.get("mark")
    if mark and mark.get("crater"):
        c = mark["crater"]
        lines.append(
            f"crater        predicted {c['rim_diameter_m']:.1f} m rim diameter, "
            f"{c['depth_m']:.1f} m deep ({c['regime']} regime, pi-group scaling)"
        )
    elif mark and mark["kind"] == "landed":
        lines.append(f"blast zone    radius {mark['blast_zone']['radius_m']:.0f} m, lander body")
    det = report["detection"]
    reg = det["registration"]
    lines.append(
        f"registration  after shifted {reg['shift_east_px']:+.2f} px E, "
        f"{reg['shift_north_px']:+.2f} px N (1-sigma {reg['sigma_east_px']:.2f}, "
        f"{reg['sigma_north_px']:.2f} px), corrected"
    )
    if not det["found"]:
        lines.append("detection     no change found")
    for k, s in enumerate(det["sites"], start=1):
        lines.append(
            f"site {k:<8} centre {s['center_east_m']:.1f} +- {s['sigma_east_m']:.1f} m E, "
            f"{s['center_north_m']:.1f} +- {s['sigma_north_m']:.1f} m N; "
            f"{s['equivalent_diameter_m']:.0f} m across; "
            f"darker x{s['dark_ratio']:.2f} over {s['dark_area_m2']:.0f} m2, "
            f"brighter x{s['bright_ratio']:.2f} over {s['bright_area_m2']:.0f} m2"
        )
        lines.append(
            f"  offset      {s['offset_range_m']:.1f} +- {s['offset_sigma_m']:.1f} m from target, "
            f"bearing {s['offset_bearing_deg']:.0f} deg"
        )
    check = report.get("truth_check")
    if check:
        lines.append(
            f"truth check   detected centre {check['centre_error_m']:.2f} m "
            f"({check['centre_error_px']:.2f} px) from the true touchdown point"
        )
    return "\n".join(lines)
