"""Commands: ``run|scenarios|warmup|schema|export|guidance|imagery|campaign|hunt|replay|plot|view``.

- ``run`` (:mod:`surefoot.cli.run`): fly one landing, write its telemetry,
  summary, scenario and figures;
- ``scenarios`` (:mod:`surefoot.cli.run`): list the built-in scenarios;
- ``warmup`` (:mod:`surefoot.cli.run`): compile the flight kernels into the cache;
- ``schema`` (:mod:`surefoot.cli.schema`): the JSON Schema of scenario and problem files;
- ``export`` (:mod:`surefoot.cli.export`): a run's trajectory as CCSDS OEM or CSV;
- ``guidance solve`` (:mod:`surefoot.cli.guidance`): a fuel-optimal convex descent;
- ``imagery [render]`` / ``imagery detect`` (:mod:`surefoot.cli.imagery`):
  synthetic orbital images of a run's site, and change detection;
- ``campaign`` / ``campaign report`` / ``campaign rerun``
  (:mod:`surefoot.cli.campaign`): Monte Carlo campaigns;
- ``hunt`` / ``hunt rerun`` (:mod:`surefoot.cli.hunt`): failure hunting (subset
  simulation, cross-entropy search);
- ``replay`` (:mod:`surefoot.cli.replay`): a mission with naive and robust rejection
  (and the recommended sensors, where the mission has a variant with them);
- ``plot`` (:mod:`surefoot.cli.plot`): navigation error, filter consistency,
  attitude and rates of a flown run;
- ``view`` (:mod:`surefoot.cli.view`): a run in the browser (3-D and strip charts),
  served locally or exported as one offline HTML file.

``run``, ``replay`` and ``campaign rerun`` are shells over the Python API
(:mod:`surefoot.api`). Every subcommand module offers ``register(subparsers)``;
handlers return an exit status. Bad user input (``ConfigError``) prints one
line and exits 2.
"""

from __future__ import annotations

import argparse
import sys

from surefoot import __version__
from surefoot.config.base import one_line, safe_text
from surefoot.config.loader import ConfigError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no traceback
        print(f"surefoot: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from surefoot.cli import (
        campaign,
        export,
        guidance,
        hunt,
        imagery,
        plot,
        replay,
        run,
        schema,
        view,
    )

    parser = _Parser(prog="surefoot", description="Autonomous lunar landing toolkit.")
    parser.add_argument("--version", action="version", version=f"surefoot {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run.register(sub)
    schema.register(sub)
    export.register(sub)
    guidance.register(sub)
    imagery.register(sub)
    campaign.register(sub)
    hunt.register(sub)
    replay.register(sub)
    plot.register(sub)
    view.register(sub)

    return parser


_IMAGERY_SUBCOMMANDS = {"render", "detect", "-h", "--help"}


def _expand_shorthands(argv: list[str]) -> list[str]:
    """``surefoot imagery RUN_DIR ...`` is ``surefoot imagery render RUN_DIR ...``."""
    if len(argv) >= 2 and argv[0] == "imagery" and argv[1] not in _IMAGERY_SUBCOMMANDS:
        if not argv[1].startswith("-"):
            return [argv[0], "render", *argv[1:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_expand_shorthands(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "func", None):
        print(
            "surefoot: error: a command is required (run, scenarios, schema, export, guidance, "
            "imagery, campaign, hunt, replay, plot, view; see 'surefoot --help')",
            file=sys.stderr,
        )
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"surefoot: error: {safe_text(one_line(str(exc)), 500)}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output or input path the system refuses: still one line
        where = f"'{safe_text(exc.filename)}': " if exc.filename else ""
        why = (exc.strerror or str(exc) or type(exc).__name__).lower()
        print(f"surefoot: error: {where}{safe_text(one_line(why))}", file=sys.stderr)
        return 2
