"""The Numba cache folder: keyed by the sources compiled code can reach, never evicted
while another checkout uses it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from surefoot import _numba_cache


def _tree(root: Path) -> None:
    for rel in ("__init__.py", "sim/kernel.py", "fsw/nav/ekf.py", "cli/run.py",
                "analysis/fig.py", "campaign/runner.py", "sim/compile_parallel.py",
                "sim/compile_notice.py"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"# {rel}\n")


def test_fingerprint_follows_compiled_layers_only(tmp_path: Path) -> None:
    _tree(tmp_path)
    base = _numba_cache.fingerprint(tmp_path)
    for rel in ("cli/run.py", "analysis/fig.py", "campaign/runner.py",
                "sim/compile_parallel.py", "sim/compile_notice.py"):
        (tmp_path / rel).write_text("# edited\n")
    assert _numba_cache.fingerprint(tmp_path) == base
    (tmp_path / "fsw/nav/ekf.py").write_text("# edited\n")
    assert _numba_cache.fingerprint(tmp_path) != base


def test_fingerprint_is_content_not_mtime(tmp_path: Path) -> None:
    _tree(tmp_path)
    base = _numba_cache.fingerprint(tmp_path)
    later = time.time() + 3600
    os.utime(tmp_path / "sim/kernel.py", (later, later))
    assert _numba_cache.fingerprint(tmp_path) == base


def test_prune_keeps_folders_in_recent_use(tmp_path: Path) -> None:
    now = time.time()
    ages_days = {"a": 0.0, "b": 0.1, "c": 0.2, "d": 0.5, "e": 1.0, "f": 2.0, "g": 5.0, "h": 9.0}
    for name, age in ages_days.items():
        d = tmp_path / name
        (d / "sub").mkdir(parents=True)
        (d / "sub" / "k.nbi").write_bytes(b"x")
        t = now - age * 86400.0
        os.utime(d, (t, t))
    removed = _numba_cache.prune(tmp_path, keep=tmp_path / "a", stale_days=3.0,
                                 keep_at_least=4, now=now)
    # eight folders, more than keep_at_least, but only the unused ones go
    assert sorted(p.name for p in removed) == ["g", "h"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d", "e", "f"]


def test_prune_keeps_the_most_recent_even_if_stale(tmp_path: Path) -> None:
    now = time.time()
    for k, name in enumerate("abcdef"):
        (tmp_path / name).mkdir()
        t = now - (10 + k) * 86400.0
        os.utime(tmp_path / name, (t, t))
    _numba_cache.prune(tmp_path, keep=tmp_path / "f", stale_days=3.0, keep_at_least=4, now=now)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "f"]


def test_a_cache_folder_chosen_by_hand_is_keyed_by_the_source_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NUMBA_CACHE_DIR set by the user gets the same per-source folder (Numba alone
    would keep a kernel whose callee in another module changed); a child process
    that inherits the keyed folder keeps it instead of keying it twice."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv(_numba_cache._KEYED, raising=False)
    _numba_cache.configure()
    keyed = tmp_path / "mine" / _numba_cache.fingerprint()
    assert os.environ["NUMBA_CACHE_DIR"] == str(keyed)
    assert keyed.is_dir()
    _numba_cache.configure()  # what a worker process does on import
    assert os.environ["NUMBA_CACHE_DIR"] == str(keyed)
    # a new folder chosen by hand in a child is keyed again
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "other"))
    _numba_cache.configure()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "other" / _numba_cache.fingerprint())
