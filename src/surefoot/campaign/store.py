"""The campaign folder: a manifest and a Parquet dataset written batch by batch.

Layout::

    DIR/campaign.json          manifest: format, the campaign definition, run count,
                               provenance (surefoot version, code revision, libraries)
    DIR/results/part-*.parquet one file per finished batch, one row per run

Every file is written to a hidden temporary name in the same folder and
renamed into place (``os.replace``), so a campaign killed at any moment
leaves either a whole part file or none; leftover temporaries are removed
on the next start. A resumed campaign flies exactly the runs no part file
holds. A lock file keeps two processes from writing one folder at once.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import ValidationError

from surefoot.campaign.limits import MAX_RUNS
from surefoot.config.base import format_validation_error, read_text_file, safe_text
from surefoot.config.loader import ConfigError
from surefoot.sim.output import atomic_write

FORMAT = "surefoot-campaign/1"
MANIFEST = "campaign.json"
RESULTS = "results"
LOCK = ".lock"


class CampaignError(ConfigError):
    """Bad campaign input or a corrupted campaign folder (one line, exit status 2)."""


# the largest campaign a manifest may describe (the --runs limit)
MAX_MANIFEST_RUNS = MAX_RUNS


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_manifest(manifest: Any, path: Path) -> None:
    """Raise CampaignError naming the first damaged field of a manifest."""
    where = safe_text(path)
    keys = ("format", "scenario", "campaign_seed", "runs", "inputs")
    if not isinstance(manifest, dict) or any(k not in manifest for k in keys):
        raise CampaignError(f"{where}: corrupted (missing {', '.join(keys)})")
    if manifest["format"] != FORMAT:
        raise CampaignError(
            f"{where}: format {safe_text(repr(manifest['format']), 40)} is not {FORMAT!r}"
        )
    runs = manifest["runs"]
    if not _is_int(runs) or not 0 <= runs <= MAX_MANIFEST_RUNS:
        raise CampaignError(
            f"{where}: corrupted (runs must be an integer 0..{MAX_MANIFEST_RUNS})"
        )
    seed = manifest["campaign_seed"]
    if not _is_int(seed) or not 0 <= seed < 2**63:
        raise CampaignError(f"{where}: corrupted (campaign_seed must be an integer 0..2**63-1)")
    scen = manifest["scenario"]
    if not isinstance(scen, dict) or not isinstance(scen.get("name", ""), str):
        raise CampaignError(f"{where}: corrupted (scenario must be a mapping with a text name)")
    inputs = manifest["inputs"]
    if not isinstance(inputs, list) or not all(
        isinstance(d, dict) and isinstance(d.get("path"), str)
        and isinstance(d.get("integer"), bool)
        for d in inputs
    ):
        raise CampaignError(
            f"{where}: corrupted (inputs must be a list of {{path: text, integer: bool}})"
        )
    from surefoot.config.schema import TouchdownLimits

    try:
        TouchdownLimits.model_validate(scen.get("touchdown", {}))
    except ValidationError as exc:
        raise CampaignError(
            f"{where}: corrupted ({format_validation_error(exc, 'scenario.touchdown')})"
        ) from None


def definition_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """What makes two campaigns the same: the scenario (with dispersions) and the seed
    (and, for a failure hunt, its ``hunt`` settings: a hunt is never a campaign)."""
    out = {"scenario": manifest["scenario"], "campaign_seed": manifest["campaign_seed"]}
    if "hunt" in manifest:
        out["hunt"] = manifest["hunt"]
    return out


def _first_leaf(v: Any, where: str) -> str:
    while isinstance(v, dict) and v:
        k = next(iter(v))
        where, v = f"{where}.{k}", v[k]
    return where


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return _first_leaf(a[k] if k in a else b[k], f"{where}{k}")
            d = _first_difference(a[k], b[k], f"{where}{k}.")
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_difference(x, y, f"{where}{k}.")
            if d is not None:
                return d
        return None
    return None if a == b else where.rstrip(".") or "(top level)"


def _provenance_history(old: dict[str, Any], current: Any) -> list[Any]:
    """The provenance blocks of earlier starts that differ from ``current``, oldest
    first: the rows of a resumed campaign may come from each of them."""
    earlier = old.get("provenance_history")
    history = list(earlier) if isinstance(earlier, list) else []
    if "provenance" in old:
        history.append(old["provenance"])
    out: list[Any] = []
    for p in history:
        if p != current and p not in out:
            out.append(p)
    return out


class CampaignStore:
    """A campaign folder on disk.

    Use :meth:`create_or_resume` to fly runs into it and :meth:`open` to read it.
    """

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = Path(root)
        self.manifest = manifest
        self.previous_manifest: dict[str, Any] | None = None
        self._lock_fd: int | None = None

    @property
    def results_dir(self) -> Path:
        """Folder of the Parquet part files."""
        return self.root / RESULTS

    @property
    def runs(self) -> int:
        """Runs requested so far (the largest ``--runs`` of any start)."""
        return int(self.manifest["runs"])

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, root: Path) -> CampaignStore:
        """Open an existing campaign folder for reading.

        Raises
        ------
        CampaignError
            Not a campaign folder, or a manifest that is not one.
        """
        root = Path(root)
        if not root.is_dir():
            raise CampaignError(f"{root}: no such campaign folder")
        path = root / MANIFEST
        if not path.exists():
            if (root / RESULTS).exists():
                raise CampaignError(f"{root}: corrupted campaign folder ({MANIFEST} is missing)")
            raise CampaignError(f"{root}: not a campaign folder (no {MANIFEST})")
        try:
            text = read_text_file(path, "campaign manifest")
        except ConfigError as exc:
            raise CampaignError(f"{safe_text(path)}: corrupted ({exc})") from None
        try:
            manifest = json.loads(text)
        except (json.JSONDecodeError, ValueError, RecursionError):
            raise CampaignError(f"{safe_text(path)}: corrupted (not readable JSON)") from None
        _check_manifest(manifest, path)
        return cls(root, manifest)

    @classmethod
    def create_or_resume(cls, root: Path, manifest: dict[str, Any]) -> CampaignStore:
        """Start a campaign in ``root``, or resume the same campaign there.

        The folder is locked until :meth:`close`. ``manifest['runs']`` may grow
        on resume (the campaign extends); the definition must not change.
        Nothing is written until :meth:`commit`, so a campaign whose runs turn
        out invalid leaves no trace that would block the corrected one.

        Raises
        ------
        CampaignError
            The folder holds a different campaign, is corrupted, or is in use.
        """
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise CampaignError(f"{root}: exists and is not a folder")
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, manifest)
        store._lock()
        try:
            if (root / MANIFEST).exists() or (root / RESULTS).exists():
                old = cls.open(root).manifest
                diff = _first_difference(definition_of(old), definition_of(manifest))
                if diff is not None:
                    raise CampaignError(
                        f"{root}: holds a different campaign ({diff} differs); "
                        "use another --out or remove the folder"
                    )
                merged = dict(old)
                merged["runs"] = max(int(old["runs"]), int(manifest["runs"]))
                for k in ("surefoot_version", "code_fingerprint"):
                    if k in manifest:
                        merged[k] = manifest[k]
                if "provenance" in manifest:
                    merged["provenance"] = manifest["provenance"]
                    history = _provenance_history(old, manifest["provenance"])
                    merged.pop("provenance_history", None)
                    if history:
                        merged["provenance_history"] = history
                store.manifest = merged
                store.previous_manifest = old
            else:
                store.previous_manifest = None
        except BaseException:
            store.close()
            raise
        return store

    def commit(self) -> None:
        """Write the manifest and make the results folder (before the first part)."""
        self.results_dir.mkdir(exist_ok=True)
        self._remove_temporaries()
        self.write_manifest()

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise CampaignError(
                f"{self.root}: another campaign process is writing this folder"
            ) from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _remove_temporaries(self) -> None:
        for folder in (self.root, self.results_dir):
            for p in folder.glob(".*.tmp") if folder.is_dir() else ():
                p.unlink(missing_ok=True)

    def write_manifest(self) -> None:
        """Write the manifest atomically."""
        text = json.dumps(self.manifest, indent=1, sort_keys=False)
        atomic_write(self.root / MANIFEST, lambda p: p.write_text(text))

    # -- parts --------------------------------------------------------------------

    def part_files(self) -> list[Path]:
        """The finished part files, sorted by name."""
        if not self.results_dir.is_dir():
            return []
        return sorted(p for p in self.results_dir.glob("part-*.parquet") if p.is_file())

    def scan(self, schema: pa.Schema) -> tuple[np.ndarray, np.ndarray]:
        """Run indices and success flags of every stored run, checking each part.

        Raises
        ------
        CampaignError
            A part that is not readable Parquet, has other columns than
            ``schema``, or repeats a run; a run index outside the campaign.
        """
        idx_parts, ok_parts = [], []
        owner: dict[int, str] = {}
        for path in self.part_files():
            t = self._read_part(path, schema, columns=["run_index", "success"])
            idx = t.column("run_index").to_numpy()
            for i in idx.tolist():
                if i in owner:
                    raise CampaignError(
                        f"{self.root}: corrupted results: run {i} is in both {owner[i]} and "
                        f"{path.name}"
                    )
                if not 0 <= i < self.runs:
                    raise CampaignError(
                        f"{path}: corrupted (run {i} outside the campaign's {self.runs} runs)"
                    )
                owner[i] = path.name
            idx_parts.append(idx)
            ok_parts.append(t.column("success").to_numpy(zero_copy_only=False))
        if not idx_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return np.concatenate(idx_parts), np.concatenate(ok_parts).astype(bool)

    def _read_part(
        self, path: Path, schema: pa.Schema, columns: list[str] | None = None
    ) -> pa.Table:
        hint = "delete it and resume the campaign to fly its runs again"
        try:
            file_schema = pq.read_schema(path)
            if not file_schema.remove_metadata().equals(schema.remove_metadata()):
                raise CampaignError(_columns_differ(path, file_schema, schema, hint))
            # page CRCs (written by write_part) catch bit flips inside data pages
            return pq.read_table(path, columns=columns, schema=schema if columns is None else None,
                                 page_checksum_verification=True)
        except CampaignError:
            raise
        except (pa.ArrowException, OSError, ValueError):
            raise CampaignError(
                f"{path}: corrupted (not a readable Parquet file); {hint}"
            ) from None

    def read_table(self, schema: pa.Schema) -> pa.Table:
        """Every stored row, sorted by run index (checked as in :meth:`scan`)."""
        self.scan(schema)
        tables = [self._read_part(p, schema) for p in self.part_files()]
        if not tables:
            return schema.empty_table()
        t = pa.concat_tables(tables)
        return t.take(pc.sort_indices(t, sort_keys=[("run_index", "ascending")]))

    def read_part(self, batch_id: str, schema: pa.Schema) -> pa.Table:
        """The rows of one stored batch (its columns checked against ``schema``)."""
        return self._read_part(self.results_dir / f"part-{batch_id}.parquet", schema)

    def write_part(self, batch_id: str, table: pa.Table) -> Path:
        """Write one finished batch as a part file, atomically."""
        path = self.results_dir / f"part-{batch_id}.parquet"
        atomic_write(path, lambda p: pq.write_table(table, p, write_page_checksum=True))
        return path


def _columns_differ(path: Path, found: pa.Schema, expected: pa.Schema, hint: str) -> str:
    """One line on a part whose columns are not the campaign's.

    A part that lacks only columns added since (the rest the same) was written
    by an older surefoot: it can be re-flown and reported, not extended.
    """
    missing = [n for n in expected.names if n not in found.names]
    same_rest = all(
        n in expected.names and found.field(n).type == expected.field(n).type
        for n in found.names
    )
    if missing and same_rest:
        shown = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
        return (
            f"{path}: written by an older surefoot (no {shown}); 'campaign rerun' and "
            "'campaign report' read it, but to fly more runs start a new --out folder"
        )
    return f"{path}: corrupted (columns differ from the campaign's); {hint}"


def batch_id_for(run_index: np.ndarray | list[int]) -> str:
    """A file-name-safe id of a set of runs: first run and a digest of all."""
    idx = np.asarray(run_index, dtype=np.int64)
    digest = hashlib.sha1(idx.tobytes()).hexdigest()[:10]
    return f"{int(idx.min()):09d}-{digest}"
