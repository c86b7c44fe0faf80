"""Every third-party package that surefoot's own code imports is declared in pyproject.toml.

A fresh ``pip install .`` installs the declared dependencies (and what they
need); a module that imports a package only present by accident (installed as
another package's dependency, or by the test tools) fails for the first user
who reaches it. The imports are read from the sources (every ``import`` and
``from ... import`` at any depth, also inside functions), mapped to their
distributions with ``importlib.metadata.packages_distributions`` and compared
with ``[project] dependencies``.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_level_names(src: Path) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                names.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return names


def test_every_third_party_import_of_the_package_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(d) for d in project["dependencies"]]
    declared = {canonicalize_name(r.name) for r in requirements}
    # an extra that names a package (dask[distributed]) declares that package
    declared |= {canonicalize_name(e) for r in requirements for e in r.extras}
    dists = packages_distributions()
    undeclared = {}
    for top, files in _imported_top_level_names(ROOT / "src" / "surefoot").items():
        if top in sys.stdlib_module_names or top == "surefoot" or top == "__future__":
            continue
        owners = {canonicalize_name(d) for d in dists.get(top, [])}
        assert owners, f"'{top}' (imported by {sorted(files)[0]}) is not installed at all"
        if not owners & declared:
            undeclared[top] = (sorted(owners), sorted(files)[:3])
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
