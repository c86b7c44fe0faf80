"""``surefoot schema [--kind scenario|problem] [--out FILE]``: the JSON Schema of the
scenario (or guidance problem) files, for editors that check and complete YAML
(docs/scenarios.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surefoot.cli.safety import check_output_file
from surefoot.config.json_schema import json_schema_text


def register(sub: Any) -> None:
    """Add the ``schema`` command."""
    p = sub.add_parser(
        "schema",
        help="write the JSON Schema of scenario (or guidance problem) files",
        description="Write the JSON Schema (draft 2020-12) of scenario files, or with "
        "--kind problem of guidance problem files, to standard output or --out FILE.",
    )
    p.add_argument("--kind", choices=["scenario", "problem"], default="scenario",
                   help="which files the schema describes (default: scenario)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write the schema to FILE (.json) instead of standard output")
    p.set_defaults(func=schema_command)


def schema_command(args: argparse.Namespace) -> int:
    text = json_schema_text(args.kind)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = check_output_file(args.out, "--out", (".json",))
    out.write_text(text, encoding="utf-8")
    print(f"{args.kind} schema: {out}")
    return 0
