"""Provenance: which code made a result, in summary.json, campaign.json and the
telemetry file's metadata; resuming a campaign is not disturbed by it."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

import surefoot
from surefoot.campaign.runner import run_campaign
from surefoot.campaign.store import CampaignStore
from surefoot.cli import main
from surefoot.config.loader import load_scenario, load_scenario_dict
from surefoot.sim import provenance as prov_mod
from surefoot.sim.provenance import KEY_DEPENDENCIES, code_revision, provenance

from .conftest import SCENARIO

# a short descent (as `surefoot warmup` flies): seconds, not a full landing
SHORT = ["initial.altitude_m=3000", "initial.uprange_km=20"]


def test_provenance_names_version_python_and_libraries() -> None:
    p = provenance()
    assert p["surefoot_version"] == surefoot.__version__
    assert set(p["dependencies"]) == set(KEY_DEPENDENCIES)
    for name in ("numpy", "pyarrow", "pydantic", "scipy", "numba"):
        assert p["dependencies"][name] == metadata.version(name)
    assert p["python"].count(".") == 2
    assert len(p["code_fingerprint"]) == 16
    json.dumps(p, allow_nan=False)  # JSON-ready
    p["dependencies"]["numpy"] = "changed"
    assert provenance()["dependencies"]["numpy"] != "changed"  # a fresh copy each call


def test_code_revision_is_the_checkout_head_or_none() -> None:
    package = Path(surefoot.__file__).resolve().parent
    git = shutil.which("git")
    tracked = git is not None and subprocess.run(
        [git, "-C", str(package), "ls-files", "--error-unmatch", "__init__.py"],
        capture_output=True, check=False,
    ).returncode == 0
    rev, modified = code_revision()
    if tracked:
        head = subprocess.run([git, "-C", str(package), "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert rev == head and isinstance(modified, bool)
    else:
        assert rev is None and modified is None


def test_no_revision_outside_a_checkout_or_without_git(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "__init__.py").write_text("")
    monkeypatch.setattr(prov_mod, "_PACKAGE_DIR", tmp_path)  # not in any git work tree
    assert code_revision() == (None, None)
    monkeypatch.undo()
    monkeypatch.setattr(prov_mod.shutil, "which", lambda _name: None)
    assert code_revision() == (None, None)


def test_run_outputs_carry_provenance_and_the_scenario(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    argv = ["run", "--seed", "4", "--out", str(tmp_path), "--no-figure"]
    for s in SHORT:
        argv += ["--set", s]
    assert main(argv) == 0
    capsys.readouterr()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["provenance"] == provenance()

    meta = pq.read_metadata(tmp_path / "telemetry.parquet").metadata
    assert meta[b"producer"] == b"surefoot"  # what the file said before stays
    assert meta[b"scenario"] == b"default"
    assert meta[b"seed"] == b"4"
    assert json.loads(meta[b"provenance"]) == summary["provenance"]
    text = meta[b"scenario_yaml"].decode()
    assert text == (tmp_path / "scenario.yaml").read_text()
    resolved = load_scenario_dict(yaml.safe_load(text))
    assert resolved == load_scenario(None, SHORT, seed=4)
    # the units of the columns are still there
    schema = pq.read_schema(tmp_path / "telemetry.parquet")
    assert schema.field("t_s").metadata[b"unit"] == b"s"


def test_campaign_manifest_provenance_and_resume(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO, SHORT)
    out = tmp_path / "c"
    r = run_campaign(scenario, 2, out, workers=1, batch_size=2)
    assert r.done == 2
    manifest = json.loads((out / "campaign.json").read_text())
    assert manifest["provenance"] == provenance()
    assert "provenance_history" not in manifest

    # the same campaign with the same code resumes (provenance is not the definition)
    r = run_campaign(scenario, 3, out, workers=1, batch_size=2)
    assert r.done == 3 and r.flown == 1
    manifest = json.loads((out / "campaign.json").read_text())
    assert manifest["provenance"] == provenance() and "provenance_history" not in manifest

    # started by other code: it resumes, and the manifest keeps both
    older = {**provenance(), "code_revision": "0" * 40, "surefoot_version": "0.0.1"}
    manifest["provenance"] = older
    (out / "campaign.json").write_text(json.dumps(manifest))
    r = run_campaign(scenario, 4, out, workers=1, batch_size=2)
    assert r.done == 4 and r.flown == 1
    manifest = json.loads((out / "campaign.json").read_text())
    assert manifest["provenance"] == provenance()
    assert manifest["provenance_history"] == [older]
    r = run_campaign(scenario, 4, out, workers=1, batch_size=2)  # nothing left to fly
    assert r.flown == 0
    stored = CampaignStore.open(out).manifest
    assert stored["provenance_history"] == [older] and stored["runs"] == 4
