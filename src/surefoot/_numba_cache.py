"""Keep Numba's on-disk cache consistent with the source, and keep it.

Numba invalidates a cached kernel only when its own file changes, not when a
function it calls in another module does, so a stale kernel could survive
an edit or an upgrade. Before Numba is imported, point its cache at a folder
keyed by a fingerprint of the source files that compiled code can reach.

Only the layers below ``campaign`` are fingerprinted (``sim``, ``sensors``,
``world``, ``fsw``, ``math``, ``config`` and this package's top level): the
import-linter layers contract forbids them to import ``campaign``,
``analysis`` or ``cli``, so an edit up there cannot change a kernel and
does not throw the compiled kernels away; nor do the two ``sim`` modules that
only drive the compile (``compile_notice``, ``compile_parallel``). The fingerprint hashes file
contents, not modification times, so a checkout that rewrites files
unchanged keeps the folder (Numba still checks each file's own stamp).

Folders of other versions (other checkouts, earlier edits) are pruned only
when nobody has used them for ``STALE_DAYS``: the folder in use is touched
on every start, so a process never deletes a cache that another checkout on
the same machine is using. Removing folders by count instead made two
checkouts evict each other's kernels, and every run recompiled (minutes).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from types import FunctionType

# packages whose code is never imported by compiled code (layers contract)
_NOT_COMPILED = ("campaign", "analysis", "cli")
# modules below campaign that only drive the compile (no jitted code in them):
# editing them must not throw the compiled kernels away
_NOT_COMPILED_FILES = ("sim/compile_notice.py", "sim/compile_parallel.py")
STALE_DAYS = 3.0
KEEP_AT_LEAST = 4


def cache_root() -> Path:
    """Parent of the per-fingerprint folders: ``$XDG_CACHE_HOME/surefoot/numba``."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "surefoot" / "numba"


def fingerprint(root: Path | None = None) -> str:
    """16 hex digits of a hash of the package sources that compiled code can import."""
    root = Path(__file__).parent if root is None else root
    h = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in _NOT_COMPILED or rel.as_posix() in _NOT_COMPILED_FILES:
            continue
        h.update(rel.as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


# set with NUMBA_CACHE_DIR once the folder is keyed, so that child processes
# (campaign workers) inherit the folder instead of keying it a second time
_KEYED = "SUREFOOT_NUMBA_CACHE_KEYED"


def configure() -> None:
    """Point ``NUMBA_CACHE_DIR`` at the folder of this source's fingerprint.

    Under :func:`cache_root`, or under ``NUMBA_CACHE_DIR`` when the user set
    one (a folder chosen by hand is keyed the same way: without it an edit to
    a module that a kernel calls left the stale kernel in use, seen here).
    Only folders under :func:`cache_root` are pruned.
    """
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user is not None and os.environ.get(_KEYED) == user:
        return  # keyed already, by this process or its parent
    base = Path(user) if user is not None else cache_root()
    try:
        target = base / fingerprint()
        target.mkdir(parents=True, exist_ok=True)
        os.utime(target)  # in use: not stale for anyone's pruning
        if user is None:
            prune(base, keep=target)
    except OSError:
        return  # read-only home: Numba falls back to its default location
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    os.environ[_KEYED] = str(target)


def prune(
    base: Path,
    keep: Path,
    stale_days: float = STALE_DAYS,
    keep_at_least: int = KEEP_AT_LEAST,
    now: float | None = None,
) -> list[Path]:
    """Remove cache folders unused for ``stale_days``, except the ``keep_at_least``
    most recently used ones and ``keep``. Returns the folders removed."""
    now = time.time() if now is None else now
    dirs = sorted((d for d in base.iterdir() if d.is_dir() and d != keep),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    removed = []
    for d in dirs[max(keep_at_least - 1, 0) :]:
        if now - d.stat().st_mtime < stale_days * 86400.0:
            continue
        for f in sorted(d.rglob("*"), reverse=True):
            try:
                f.unlink() if f.is_file() else f.rmdir()
            except OSError:
                pass
        try:
            d.rmdir()
            removed.append(d)
        except OSError:
            pass
    return removed


def renamed(func: FunctionType, name: str) -> FunctionType:
    """The same body under another name, to compile one function twice.

    Numba names its on-disk cache file after the function's qualified name and
    line, so two compilations of one Python function with different flags
    (serial and parallel) share a cache entry and one silently replaces the
    other (numba#6845). A renamed copy gets a cache file of its own.
    """
    code = func.__code__.replace(co_name=name, co_qualname=name)
    clone = FunctionType(code, func.__globals__, name, func.__defaults__, func.__closure__)
    clone.__qualname__ = name
    clone.__doc__ = func.__doc__
    return clone
