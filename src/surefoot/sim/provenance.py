"""Which code made a result: the ``provenance`` block of run and campaign outputs.

``summary.json``, ``campaign.json`` and the file-level metadata of
``telemetry.parquet`` carry :func:`provenance`: the surefoot version, the git
revision when the package runs from a git checkout (else null), whether that
checkout had uncommitted changes, a digest of the package's source files,
the Python version and platform, and the versions of the libraries that
shape the numbers. Library versions are read from the installed package
metadata, so nothing is imported to learn them. The block is computed once
per process: it describes the code that process loaded.
"""

from __future__ import annotations

import copy
import hashlib
import os
import platform
import shutil
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

# the libraries whose versions a result records (distribution names)
KEY_DEPENDENCIES = (
    "numpy", "numba", "scipy", "pyarrow", "pydantic", "cvxpy", "clarabel", "pyyaml",
)

# seconds a git query may take before the revision is reported unknown
GIT_TIMEOUT_S = 5.0

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def code_fingerprint() -> str:
    """Digest of the package's source files (results of different code may differ)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE_DIR)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        p = subprocess.run(
            [git, "-C", str(_PACKAGE_DIR), *args], capture_output=True, text=True,
            timeout=GIT_TIMEOUT_S, env=env, check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def code_revision() -> tuple[str | None, bool | None]:
    """The git commit the package runs from and whether its files differ from it.

    ``(None, None)`` unless the package's own files are tracked by a git
    checkout (an installed copy inside some other repository, a virtual
    environment within a checkout say, does not count).
    """
    if _git("ls-files", "--error-unmatch", "__init__.py") is None:
        return None, None
    rev = _git("rev-parse", "HEAD")
    if rev is None or len(rev) < 40:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return rev, None if status is None else status != ""


def dependency_versions() -> dict[str, str | None]:
    """Installed version of each of :data:`KEY_DEPENDENCIES` (None when absent)."""
    out: dict[str, str | None] = {}
    for name in KEY_DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def _provenance() -> dict[str, Any]:
    from surefoot import __version__

    revision, modified = code_revision()
    return {
        "surefoot_version": __version__,
        "code_revision": revision,
        "code_modified": modified,
        "code_fingerprint": code_fingerprint(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": dependency_versions(),
    }


def provenance() -> dict[str, Any]:
    """The provenance block (a fresh copy; JSON-ready).

    Keys: ``surefoot_version``; ``code_revision`` (git commit or None);
    ``code_modified`` (uncommitted changes to the package's files, None
    without a checkout); ``code_fingerprint`` (digest of the package's
    sources); ``python``; ``platform``; ``dependencies`` (name to version,
    None when not installed).
    """
    return copy.deepcopy(_provenance())
