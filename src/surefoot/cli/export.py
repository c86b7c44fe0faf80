"""``surefoot export RUN_DIR [--format oem|csv] [--frame mci|mcmf] [--epoch TIME] [--out FILE]``:
a run's truth trajectory as a CCSDS OEM 2.0 (KVN) or a CSV file
(:mod:`surefoot.analysis.ephemeris` has the frames and the epoch convention)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surefoot.analysis.ephemeris import (
    DEFAULT_EPOCH,
    FRAMES,
    csv_text,
    oem_text,
    parse_epoch,
    read_run_states,
)
from surefoot.cli.safety import check_output_file
from surefoot.sim.output import atomic_write

_SUFFIXES = {"oem": (".oem", ".txt", ".kvn"), "csv": (".csv",)}


def register(sub: Any) -> None:
    """Add the ``export`` command."""
    p = sub.add_parser(
        "export",
        help="write a run's trajectory as a CCSDS OEM or CSV file",
        description="Write the truth trajectory of a run folder (from 'surefoot run') as a "
        "CCSDS Orbit Ephemeris Message (OEM 2.0, KVN; km and km/s) or as CSV (m, m/s), "
        "in the simulator's Moon-centred inertial frame (mci) or Moon-fixed frame (mcmf).",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder")
    p.add_argument("--format", choices=["oem", "csv"], default="oem",
                   help="file format (default: oem)")
    p.add_argument("--frame", choices=list(FRAMES), default="mci",
                   help="mci: Moon-centred inertial, equal to Moon-fixed at t = 0 (default); "
                   "mcmf: Moon-fixed (REF_FRAME MOON_ME)")
    p.add_argument("--epoch", default=DEFAULT_EPOCH, metavar="TIME",
                   help=f"calendar time (TDB) of scenario t = 0, YYYY-MM-DDThh:mm:ss "
                   f"(default: {DEFAULT_EPOCH})")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write to FILE instead of standard output (.oem/.txt/.kvn, or .csv)")
    p.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    epoch = parse_epoch(args.epoch, "--epoch")
    out = None
    if args.out is not None:
        out = check_output_file(args.out, "--out", _SUFFIXES[args.format])
    states = read_run_states(args.run_dir, args.frame)
    text = oem_text(states, epoch) if args.format == "oem" else csv_text(states)
    if out is None:
        sys.stdout.write(text)
        return 0
    atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"{args.format} ({len(states.t_s)} states, frame {args.frame}): {out}")
    return 0
