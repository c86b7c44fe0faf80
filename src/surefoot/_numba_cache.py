"""Keep Numba's on-disk cache consistent with the source.

Numba invalidates a cached kernel only when its own file changes, not when a
function it calls in another module does, so a stale kernel could survive
an edit or an upgrade. Before Numba is imported, point its cache at a folder
keyed by a fingerprint of every source file of the package.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def configure() -> None:
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    root = Path(__file__).parent
    h = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "surefoot" / "numba"
    target = base / h.hexdigest()[:16]
    try:
        target.mkdir(parents=True, exist_ok=True)
        _prune(base, keep=target)
    except OSError:
        return  # read-only home: Numba falls back to its default location
    os.environ["NUMBA_CACHE_DIR"] = str(target)


def _prune(base: Path, keep: Path, max_dirs: int = 4) -> None:
    """Remove the oldest cache folders beyond ``max_dirs``."""
    dirs = sorted((d for d in base.iterdir() if d.is_dir() and d != keep),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[max_dirs - 1 :]:
        for f in sorted(d.rglob("*"), reverse=True):
            try:
                f.unlink() if f.is_file() else f.rmdir()
            except OSError:
                pass
        try:
            d.rmdir()
        except OSError:
            pass
