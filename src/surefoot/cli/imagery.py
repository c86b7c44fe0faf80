"""``surefoot imagery [render] RUN_DIR`` and ``surefoot imagery detect BEFORE AFTER``.

``render`` turns a flown run into synthetic before/after orbital images of
its touchdown site and a detection report; ``detect`` finds the changed
area between any two co-registered (or slightly misregistered) images.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from surefoot.cli.safety import check_output_dir, check_output_file, term
from surefoot.config.loader import ConfigError

_DESCRIPTION = """\
Orbital imagery of a landing site.

  surefoot imagery [render] RUN_DIR [options]
      Synthetic before/after images of a flown run's touchdown site (the
      crater, dark zone and bright halo of a crash, or the blast zone and
      lander of a soft landing), then the change detection on them. Writes
      before.png, after.png (16-bit), their 8-bit display previews
      (before_preview.png, after_preview.png), detection.json and overview.png to --out
      (default RUN_DIR/imagery) and prints a table.

  surefoot imagery detect BEFORE AFTER [--pixel-scale M] [--target-px X Y]
      Find the changed area between two PNG or GeoTIFF images of the same
      size, taken under similar lighting; a shift of a few pixels between
      them is measured and removed.

Rendered images are SYNTHETIC (a terrain model and a camera model, not
observations) and say so in their metadata.
"""


# the pixel sizes a file's georeference may give (surefoot.analysis.imagery.io)
MIN_PIXEL_M = 1e-6
MAX_PIXEL_M = 1e6
# a change seeded above this many standard deviations is no threshold at all
MAX_THRESHOLD = 1000.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``imagery`` with its ``render`` and ``detect`` subcommands."""
    p = subparsers.add_parser(
        "imagery",
        help="synthetic orbital images of a touchdown site; find a landing site in two images",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=_usage(p))
    sub = p.add_subparsers(dest="imagery_command", metavar="{render,detect}", parser_class=type(p))

    r = sub.add_parser(
        "render",
        help="before/after images of a run's touchdown site and the detection report",
        description="Synthetic before/after orbital images of a flown run's touchdown site "
        "(RUN_DIR holds summary.json and terrain_site.npz), the change detection on them, "
        "and a comparison with the true touchdown point. The images are SYNTHETIC.",
    )
    r.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="folder of a flown run")
    r.add_argument("--out", type=Path, default=None, help="output folder (RUN_DIR/imagery)")
    r.add_argument(
        "--sun-elevation",
        type=float,
        default=30.0,
        metavar="DEG",
        help="Sun elevation above the horizon, 0-90 deg (30)",
    )
    r.add_argument(
        "--sun-azimuth",
        type=float,
        default=90.0,
        metavar="DEG",
        help="Sun azimuth clockwise from north (90: Sun in the east)",
    )
    r.add_argument(
        "--emission",
        type=float,
        default=0.0,
        metavar="DEG",
        help="camera angle from the vertical, 0-70 deg (0)",
    )
    r.add_argument(
        "--pixel-scale",
        type=float,
        default=1.0,
        metavar="M",
        help="pixel size in metres, LRO NAC-like 0.5-1.5 (1.0)",
    )
    r.add_argument(
        "--size",
        type=float,
        default=600.0,
        metavar="M",
        help="side of the image footprint around touchdown, m (600)",
    )
    r.add_argument(
        "--pointing-error",
        type=float,
        default=2.0,
        metavar="PX",
        help="1-sigma pointing error of the after image, pixels (2)",
    )
    r.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of albedo, noise and pointing (0)"
    )
    r.add_argument("--geotiff", action="store_true", help="also write GeoTIFF copies")
    r.add_argument("--no-figure", action="store_true", help="skip overview.png")
    r.set_defaults(func=render_command)

    d = sub.add_parser(
        "detect",
        help="find the changed area between two images (PNG or GeoTIFF)",
        description="Find what changed between BEFORE and AFTER (PNG or GeoTIFF, same size, "
        "similar lighting). The pixel scale is read from surefoot or GeoTIFF georeferencing, "
        "or given with --pixel-scale; a shift of a few pixels is measured and removed. "
        "Positions are reported in metres east and north (from the georeference, or from the "
        "south-west pixel) and in image pixels (column from the left, row from the top).",
    )
    d.add_argument("before", metavar="BEFORE", type=Path, help="image before the landing")
    d.add_argument("after", metavar="AFTER", type=Path, help="image after the landing")
    d.add_argument(
        "--pixel-scale",
        type=float,
        default=None,
        metavar="M",
        help="pixel size in metres (required when the files carry none)",
    )
    target = d.add_mutually_exclusive_group()
    target.add_argument(
        "--target-px",
        type=float,
        nargs=2,
        metavar=("X", "Y"),
        help="planned target in BEFORE's pixels: column from the left, row from the top",
    )
    target.add_argument(
        "--target-m",
        type=float,
        nargs=2,
        metavar=("E", "N"),
        help="planned target in metres east and north (default: 0 0 for a "
        "georeferenced image, else the image centre)",
    )
    d.add_argument(
        "--threshold",
        type=float,
        default=5.0,
        metavar="K",
        help="z-score that seeds a change, > 3 (5)",
    )
    d.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="also write the report as JSON"
    )
    d.set_defaults(func=detect_command)


def _usage(parser: argparse.ArgumentParser):  # noqa: ANN202
    def show(args: argparse.Namespace) -> int:
        del args
        print(
            f"surefoot: error: {parser.prog}: a subcommand is required (render or detect; "
            f"see '{parser.prog} --help')",
            file=sys.stderr,
        )
        return 2

    return show


def render_command(args: argparse.Namespace) -> int:
    """Handler of ``surefoot imagery render``; bad input raises ConfigError."""
    from surefoot.analysis.imagery.io import ImageryInputError
    from surefoot.analysis.imagery.site import ImagingOptions, format_report, image_run

    options = ImagingOptions(
        sun_elevation_deg=args.sun_elevation,
        sun_azimuth_deg=args.sun_azimuth,
        emission_deg=args.emission,
        pixel_m=args.pixel_scale,
        size_m=args.size,
        pointing_error_px=args.pointing_error,
        seed=args.seed,
    )
    check_output_dir(args.out if args.out is not None else Path(args.run_dir) / "imagery",
                     "--out")
    try:
        result = image_run(
            args.run_dir, args.out, options, geotiff=args.geotiff, figure=not args.no_figure
        )
    except ImageryInputError as exc:
        raise ConfigError(str(exc)) from None
    print(format_report(result.report))
    for label, path in result.paths.items():
        print(f"{label:>14}: {path}")
    return 0


def detect_command(args: argparse.Namespace) -> int:
    """Handler of ``surefoot imagery detect``; bad input raises ConfigError."""
    from surefoot.analysis.imagery.detect import DetectionSettings, detect_change
    from surefoot.analysis.imagery.io import ImageFormatError, read_image
    from surefoot.analysis.imagery.site import format_report

    if args.pixel_scale is not None and not (
        math.isfinite(args.pixel_scale) and MIN_PIXEL_M <= args.pixel_scale <= MAX_PIXEL_M
    ):
        raise ConfigError(
            f"--pixel-scale: must be {MIN_PIXEL_M:g} to {MAX_PIXEL_M:g} metres per pixel "
            f"(got {args.pixel_scale:g})"
        )
    if not (math.isfinite(args.threshold) and 3.0 < args.threshold <= MAX_THRESHOLD):
        raise ConfigError(
            f"--threshold: must be a z-score above 3, at most {MAX_THRESHOLD:g} "
            f"(got {args.threshold:g})"
        )
    for flag, pair in (("--target-px", args.target_px), ("--target-m", args.target_m)):
        if pair is not None and not all(math.isfinite(v) and abs(v) <= 1e9 for v in pair):
            raise ConfigError(f"{flag}: must be two finite numbers of magnitude <= 1e9 (got "
                              f"{pair[0]:g} {pair[1]:g})")
    if args.out is not None:
        check_output_file(args.out, "--out", (".json",))
    images = {}
    for label, path in (("BEFORE", args.before), ("AFTER", args.after)):
        try:
            images[label] = read_image(path)
        except ImageFormatError as exc:
            raise ConfigError(f"{label}: {exc}") from None
    before, after = images["BEFORE"], images["AFTER"]
    if before.shape != after.shape:
        raise ConfigError(
            f"AFTER: image is {after.shape[1]} x {after.shape[0]} px but BEFORE is "
            f"{before.shape[1]} x {before.shape[0]} px; the two must have the same size"
        )
    if min(before.shape) < 16:
        raise ConfigError("BEFORE: images must be at least 16 x 16 pixels")
    pixel_m = args.pixel_scale if args.pixel_scale is not None else before.pixel_m
    if pixel_m is None:
        raise ConfigError(
            "--pixel-scale: required, the images carry no pixel scale "
            "(a positive number of metres per pixel)"
        )
    georef = before.pixel_m is not None
    ny, nx = before.shape
    if args.target_px is not None:
        target = (
            before.x0_m + args.target_px[0] * pixel_m,
            before.y0_m + (ny - 1 - args.target_px[1]) * pixel_m,
        )
        target_note = f"pixel ({args.target_px[0]:g}, {args.target_px[1]:g})"
    elif args.target_m is not None:
        target = (args.target_m[0], args.target_m[1])
        target_note = "given in metres"
    elif georef:
        target = (0.0, 0.0)
        target_note = "origin of the georeference (0, 0)"
    else:
        target = (before.x0_m + 0.5 * (nx - 1) * pixel_m, before.y0_m + 0.5 * (ny - 1) * pixel_m)
        target_note = "image centre (no target given)"
    settings = DetectionSettings(k_seed=args.threshold)
    try:
        det = detect_change(
            before.data,
            after.data,
            pixel_m,
            x0_m=before.x0_m,
            y0_m=before.y0_m,
            target_east_m=target[0],
            target_north_m=target[1],
            settings=settings,
        )
    except ValueError as exc:
        raise ConfigError(f"BEFORE/AFTER: {exc}") from None
    synthetic = bool(before.meta.get("synthetic") or after.meta.get("synthetic"))
    report = {
        "synthetic": synthetic,
        "before": str(args.before),
        "after": str(args.after),
        "target": {"east_m": target[0], "north_m": target[1], "from": target_note},
        "detection": det.to_dict(),
    }
    print(format_report(report))
    print(f"target: {target_note}; positions in metres east/north of the image frame")
    if args.out is not None:
        from surefoot.sim.output import atomic_write

        text = json.dumps(_json_safe(report), indent=2, allow_nan=False) + "\n"
        # through a new file renamed into place: a symlink planted at --out is
        # replaced, never followed
        atomic_write(args.out, lambda p: p.write_text(text))
        print(f"report: {term(args.out)}")
    return 0


def _json_safe(value: object) -> object:
    """``value`` with every non-finite float as None (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
