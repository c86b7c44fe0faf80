"""``surefoot export RUN_DIR [--format oem|aem|czml|csv] [--frame mci|mcmf] [--epoch TIME]
[--out FILE]``: a run's truth trajectory as a CCSDS OEM 2.0 (KVN), its attitude as a
CCSDS AEM 1.0 (KVN), both as CZML for CesiumJS, or the trajectory as CSV
(:mod:`surefoot.analysis.ephemeris` has the frames and the epoch convention)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surefoot.analysis.attitude_ephemeris import aem_text, read_run_attitude
from surefoot.analysis.czml import czml_text
from surefoot.analysis.ephemeris import (
    DEFAULT_EPOCH,
    FRAMES,
    csv_text,
    oem_text,
    parse_epoch,
    read_run_states,
)
from surefoot.cli.safety import check_output_file
from surefoot.config.loader import ConfigError
from surefoot.sim.output import atomic_write

_SUFFIXES = {
    "oem": (".oem", ".txt", ".kvn"),
    "aem": (".aem", ".txt", ".kvn"),
    "czml": (".czml", ".json"),
    "csv": (".csv",),
}


def register(sub: Any) -> None:
    """Add the ``export`` command."""
    p = sub.add_parser(
        "export",
        help="write a run's trajectory or attitude as CCSDS OEM/AEM, CZML or CSV",
        description="Write the truth trajectory of a run folder (from 'surefoot run') as a "
        "CCSDS Orbit Ephemeris Message (OEM 2.0, KVN; km and km/s) or as CSV (m, m/s), its "
        "attitude as a CCSDS Attitude Ephemeris Message (AEM 1.0, KVN; quaternions), in the "
        "simulator's Moon-centred inertial frame (mci) or Moon-fixed frame (mcmf), or both "
        "as CZML for CesiumJS (Moon-fixed, for a viewer whose globe is the Moon).",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder")
    p.add_argument("--format", choices=list(_SUFFIXES), default="oem",
                   help="oem: trajectory; aem: attitude; czml: both, for CesiumJS; csv: "
                   "trajectory (default: oem)")
    p.add_argument("--frame", choices=list(FRAMES), default=None,
                   help="mci: Moon-centred inertial, equal to Moon-fixed at t = 0 (default; "
                   "not for czml); mcmf: Moon-fixed (REF_FRAME MOON_ME; czml always)")
    p.add_argument("--epoch", default=DEFAULT_EPOCH, metavar="TIME",
                   help=f"calendar time (TDB) of scenario t = 0, YYYY-MM-DDThh:mm:ss "
                   f"(default: {DEFAULT_EPOCH})")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write to FILE instead of standard output (.oem/.aem/.txt/.kvn, "
                   ".czml/.json, or .csv)")
    p.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    epoch = parse_epoch(args.epoch, "--epoch")
    out = None
    if args.out is not None:
        out = check_output_file(args.out, "--out", _SUFFIXES[args.format])
    frame = args.frame or ("mcmf" if args.format == "czml" else "mci")
    if args.format == "czml" and frame != "mcmf":
        raise ConfigError("--frame: czml is written in the Moon-fixed frame; use mcmf or omit it")
    if args.format == "aem":
        att = read_run_attitude(args.run_dir, frame)
        n, text = len(att.t_s), aem_text(att, epoch)
    elif args.format == "czml":
        states = read_run_states(args.run_dir, frame)
        n, text = len(states.t_s), czml_text(states, read_run_attitude(args.run_dir, frame), epoch)
    else:
        states = read_run_states(args.run_dir, frame)
        n = len(states.t_s)
        text = oem_text(states, epoch) if args.format == "oem" else csv_text(states)
    if out is None:
        sys.stdout.write(text)
        return 0
    atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"{args.format} ({n} states, frame {frame}): {out}")
    return 0
