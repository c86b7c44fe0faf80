"""Scenario values that look valid to a lax parser but are not: blank names.

Each is given both as ``--set`` and in a scenario file, and must be refused with
one line naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surefoot.config.loader import ConfigError, load_scenario

BLANKS = st.text(alphabet=" \t", max_size=6)


@given(BLANKS)
def test_a_blank_scenario_name_is_refused_in_one_line(name: str) -> None:
    """An empty or all-blank ``name`` (which titles the run and names its output
    folder) is refused from ``--set``."""
    with pytest.raises(ConfigError) as exc:
        load_scenario("default", [f"name={json.dumps(name)}"])
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("name:") and "blank" in msg


def test_a_blank_name_in_a_scenario_file_is_refused(tmp_path: Path) -> None:
    """``name: ""`` in a YAML file is refused too; a real name still loads."""
    f = tmp_path / "s.yaml"
    f.write_text('name: ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="^name: .*blank"):
        load_scenario(str(f))
    f.write_text("name: ok\n", encoding="utf-8")
    assert load_scenario(str(f)).name == "ok"
