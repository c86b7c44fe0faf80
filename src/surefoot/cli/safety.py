"""What the command line does to user text and user paths before using them.

- :func:`term` makes a user-controlled string safe to print with rich: control
  characters (ANSI/OSC escapes) replaced, markup such as ``[/]`` or
  ``[link=...]`` escaped.
- :func:`folder_name` turns a scenario name into one safe folder name.
- :func:`check_output_dir` and :func:`check_output_file` refuse, in one line,
  an output path that cannot be written: a NUL, a name over 255 bytes, an
  existing file where a folder is wanted (or a device such as /dev/null), a
  path under a file, a folder that is not writable, a figure format
  matplotlib cannot write.
- :func:`preflight` refuses a vehicle that cannot hold its own weight and
  prints one warning line each for a poor thrust-to-weight
  (:mod:`surefoot.config.thrust`).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from surefoot.config.base import ConfigError, safe_text
from surefoot.config.guidance_gates import check_gates
from surefoot.config.thrust import check_thrust

if TYPE_CHECKING:
    from surefoot.config.schema import Scenario

NAME_MAX_BYTES = 255
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff",
                   ".webp")


def term(text: object) -> str:
    """``text`` for ``rich`` output: one printable line with markup escaped."""
    return escape(safe_text(text))


def folder_name(name: str, fallback: str = "scenario") -> str:
    """A single, safe folder name for ``name`` (no separators, no leading dot)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or fallback
    return cleaned[:100]


def _check_text(path: Path, flag: str) -> str:
    text = os.fspath(path)
    if "\x00" in text:
        raise ConfigError(f"{flag}: the path contains a NUL character")
    if not text.strip():
        raise ConfigError(f"{flag}: empty path")
    for part in Path(text).parts:
        if len(os.fsencode(part)) > NAME_MAX_BYTES:
            raise ConfigError(
                f"{flag}: a path component is longer than {NAME_MAX_BYTES} bytes "
                f"('{safe_text(part, 40)}')"
            )
    return text


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (20,):  # ENOTDIR: a component is a file
            return None
        raise ConfigError(
            f"'{safe_text(path)}': cannot be used ({(exc.strerror or str(exc)).lower()})"
        ) from None


def _check_parent(path: Path, flag: str) -> None:
    """The nearest existing ancestor of ``path`` must be a writable folder."""
    anc = Path(os.path.abspath(path)).parent
    while True:
        st = _stat(anc)
        if st is not None:
            break
        if anc.parent == anc:
            return
        anc = anc.parent
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{flag} '{safe_text(path)}': '{safe_text(anc)}' is a file, not a folder")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} '{safe_text(path)}': folder '{safe_text(anc)}' is not writable")


def check_output_dir(path: Path, flag: str = "--out") -> Path:
    """``path`` if it is (or can become) a writable folder, else :class:`ConfigError`."""
    _check_text(path, flag)
    path = Path(path)
    st = _stat(path)
    if st is not None:
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{flag} '{safe_text(path)}': exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{flag} '{safe_text(path)}': folder is not writable")
        return path
    _check_parent(path, flag)
    return path


def check_output_file(
    path: Path, flag: str = "--out", suffixes: tuple[str, ...] | None = None
) -> Path:
    """``path`` if a regular file can be written there, else :class:`ConfigError`.

    ``suffixes``: the allowed file name endings (e.g. figure formats).
    """
    _check_text(path, flag)
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ConfigError(
            f"{flag} '{safe_text(path)}': unsupported file type "
            f"'{safe_text(path.suffix) or '(none)'}' (use {', '.join(suffixes)})"
        )
    st = _stat(path)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{flag} '{safe_text(path)}': is a folder, not a file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{flag} '{safe_text(path)}': not a regular file")
    _check_parent(path, flag)
    return path


def check_flyable(scenario: Scenario) -> None:
    """What flying checks on the way in, without flying: the plug-in (``fsw.plugin``)
    imports and a DEM (``terrain.source: file``) loads and covers the landing
    (:class:`ConfigError`, one line). The terrain built stays cached for the flight."""
    from surefoot.sim.runner import plugin_factories, terrain_for

    plugin_factories([scenario], None)
    if scenario.terrain.source == "file":
        terrain_for(scenario)


def preflight(scenario: Scenario, show: bool = True) -> list[str]:
    """Refuse an absurd thrust-to-weight, a braking time or a propellant load the
    vehicle cannot fly (:class:`ConfigError`); with ``show``, print
    one line on stderr for each poor one. Call it after every other check of the
    input (or print the returned warnings with :func:`warn` once the rest is
    checked), so a refused command prints its one error line and nothing else."""
    warnings = check_thrust(scenario) + check_gates(scenario)
    if show:
        warn(warnings)
    return warnings


def warn(warnings: list[str]) -> None:
    """Each warning as one ``surefoot: warning:`` line on stderr."""
    for warning in warnings:
        print(f"surefoot: warning: {safe_text(warning, 400)}", file=sys.stderr)
