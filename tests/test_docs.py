"""The documentation in the repository: its examples run, its paths and links exist.

- every ``python`` block of ``docs/api.md`` runs, in order, in a fresh folder;
- README and ``docs/`` link only to files inside the repository, and every
  source path they name exists (so a file moved without its docs fails here);
- every built-in scenario validates and cites only files that ship;
- ``cli/__init__``'s docstring names every subcommand.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import surefoot.cli
from surefoot.cli import build_parser
from surefoot.config.loader import builtin_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]


def python_blocks(text: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_docs_exist() -> None:
    names = {p.name for p in DOCS}
    assert {"architecture.md", "api.md", "missions.md", "plugins.md"} <= names


def test_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks((ROOT / "docs" / "api.md").read_text())
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_api"}
    out = io.StringIO()
    for k, code in enumerate(blocks):
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"docs/api.md block {k}", "exec"), namespace)  # noqa: S102
            except Exception as exc:  # name the block that failed
                raise AssertionError(f"docs/api.md block {k} failed: {exc!r}\n{code}") from exc
    text = out.getvalue()
    assert "safe" in text and "panels" in text and "P(safe)" in text
    # the error message quoted in the page is the one printed
    assert "vehicle.dry_mass_kg: Input should be greater than or equal to 1 (got -5.0)" in text
    assert (tmp_path / "out" / "seed-3" / "descent.png").exists()
    assert (tmp_path / "out" / "replay-im-1" / "replay.png").exists()
    assert (tmp_path / "out" / "campaign" / "report.html").exists()


def test_plugin_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/plugins.md's python blocks, from a folder laid out as the repository root."""
    import shutil

    blocks = python_blocks((ROOT / "docs" / "plugins.md").read_text())
    assert len(blocks) >= 3
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_plugins"}
    out = io.StringIO()
    for k, code in enumerate(blocks):
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"docs/plugins.md block {k}", "exec"), namespace)  # noqa: S102
            except Exception as exc:
                raise AssertionError(f"docs/plugins.md block {k} failed: {exc!r}\n{code}") from exc
    text = out.getvalue()
    assert "safe pd_lander.py:PdLander" in text
    assert "no_contact docs_plugins:Hover" in text


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
_SRC_PATH = re.compile(r"`([\w./-]+/[\w.-]+\.(?:py|yaml|toml|md))`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_and_paths_stay_inside_the_repository(page: Path) -> None:
    text = page.read_text()
    for target in _LINK.findall(text):
        if target.startswith(("http:", "https:", "mailto:")):
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside: {target}"
        assert resolved.exists(), f"{page.name} links to a missing file: {target}"
    for path in _SRC_PATH.findall(text):
        if "<" in path or "*" in path:
            continue
        candidates = [ROOT / path, ROOT / "src" / path, ROOT / "src" / "surefoot" / path]
        assert any(c.exists() for c in candidates), f"{page.name} names a missing file: {path}"
    assert "../" not in re.sub(r"```.*?```", "", text, flags=re.S), page.name


def test_builtin_scenarios_validate_and_cite_only_files_in_the_repository() -> None:
    scenarios = builtin_scenarios()
    assert "default" in scenarios
    for name, path in scenarios.items():
        s = load_scenario(name)
        assert s.name == name
        text = path.read_text()
        assert "shared/" not in text, name
        for cited in re.findall(r"[\w/.-]+\.md\b", text):
            assert (ROOT / cited).exists(), f"{name} cites {cited}, which is not in the repository"


def test_cli_docstring_lists_every_subcommand() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    doc = surefoot.cli.__doc__ or ""
    first_line = doc.splitlines()[0]
    for command in sub.choices:
        assert f"``{command}" in doc and command in first_line, command
