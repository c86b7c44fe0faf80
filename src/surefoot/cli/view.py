"""``surefoot view RUN_DIR``: a run in the browser, served locally or exported to one
self-contained HTML file (``--export view.html``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from surefoot.cli.safety import check_output_file, term
from surefoot.config.loader import ConfigError

HTML_SUFFIXES = (".html", ".htm")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer 0..65535 (got {text[:40]!r})"
        ) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535 (got {port})")
    return port


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "view",
        help="a run in the browser: 3-D lander over its terrain, strip charts, events",
    )
    p.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR",
        help="a run folder written by 'surefoot run' (or a replay setting's folder)",
    )
    p.add_argument(
        "--export",
        type=Path,
        default=None,
        metavar="FILE",
        help="write one self-contained HTML file (opens offline) instead of serving",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=8018,
        help="local port to serve on (default 8018; 0: any free port)",
    )
    p.set_defaults(func=view_command)


def view_command(args: argparse.Namespace) -> int:
    from surefoot.analysis.run_folder import read_run_folder
    from surefoot.sim.output import atomic_write
    from surefoot.view.page import run_page
    from surefoot.view.server import make_server

    out = None
    if args.export is not None:
        out = check_output_file(args.export, "--export", HTML_SUFFIXES)
    page = run_page(read_run_folder(args.run_dir))
    if out is not None:
        atomic_write(out, lambda p: p.write_text(page, encoding="utf-8"))
        size = out.stat().st_size
        print(f"view ({size / 1e6:.1f} MB, opens offline): {term(out)}")
        return 0
    try:
        server = make_server(page, "127.0.0.1", args.port)
    except OSError as exc:
        raise ConfigError(
            f"--port {args.port}: cannot listen on it ({exc.strerror or exc})"
        ) from None
    host, port = server.server_address[:2]
    print(
        f"surefoot view of {term(args.run_dir)} at http://{host}:{port}/ (Ctrl-C stops)", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")  # Ctrl-C is the way to stop: no traceback
    finally:
        server.server_close()
    return 0
