"""Scenario values that look valid to a lax parser but are not: blank names, true or
false for a number, seeds past the 64-bit range.

Each is given as ``--set`` and in a scenario file, and must be refused with one
line naming the field.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from surefoot.config.fields import _unwrap_optional
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.config.schema import Scenario

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


def _number_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of every int and float field and of every number in a fixed-length
    tuple (``vehicle.inertia_dry_kg_m2.2``), the dispersions left out."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        if name == "dispersions":
            continue
        tp, _ = _unwrap_optional(info.annotation)
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            out += _number_paths(tp, f"{prefix}{name}.")
        elif tp in (int, float):
            out.append(prefix + name)
        elif typing.get_origin(tp) is tuple:
            args = typing.get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                continue
            for k, a in enumerate(args):
                if typing.get_origin(a) is typing.Annotated:
                    a = typing.get_args(a)[0]
                if a in (int, float):
                    out.append(f"{prefix}{name}.{k}")
    return out


NOMINAL = Scenario().model_dump()


def _nominal(path: str) -> typing.Any:
    node: typing.Any = NOMINAL
    for part in path.split("."):
        node = node[part] if isinstance(node, dict) else None
    return node


# a vector element is set with the vector it sits in (unset optional vectors left out)
NUMBER_PATHS = [
    p
    for p in _number_paths(Scenario)
    if not p.rpartition(".")[2].isdigit() or _nominal(p.rpartition(".")[0]) is not None
]


def _with_bool(path: str, flag: bool) -> tuple[str, typing.Any]:
    """The field to set and its value: ``flag`` in place of the number at ``path``."""
    head, _, last = path.rpartition(".")
    if last.isdigit():
        vec = list(_nominal(head))
        vec[int(last)] = flag
        return head, vec
    return path, flag


def test_the_walk_reaches_int_float_and_vector_fields() -> None:
    """The property test below sees the whole schema, not a shrunk part of it."""
    assert len(NUMBER_PATHS) > 300
    for p in (
        "seed",
        "terrain.seed",
        "vehicle.dry_mass_kg",
        "initial.altitude_m",
        "vehicle.inertia_dry_kg_m2.2",
        "sensors.star_tracker.boresight_body.0",
    ):
        assert p in NUMBER_PATHS, p


@settings(max_examples=120, deadline=None)
@given(path=st.sampled_from(NUMBER_PATHS), flag=st.booleans())
def test_true_or_false_for_a_number_is_refused_in_one_line(path: str, flag: bool) -> None:
    """``--set seed=true`` once flew seed 1 and ``vehicle.dry_mass_kg=true`` a 1 kg
    lander: true/false for any int or float field (or a vector element) is refused
    with one line naming the field."""
    field, value = _with_bool(path, flag)
    with pytest.raises(ConfigError) as exc:
        load_scenario("default", [f"{field}={json.dumps(value)}"])
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"{field}: must be a number, not true or false")


def test_true_in_a_scenario_file_is_refused_and_bool_fields_keep_bools(tmp_path: Path) -> None:
    """``seed: true`` in a file is refused; a real bool field still takes true."""
    f = tmp_path / "s.yaml"
    f.write_text("seed: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^seed: must be a number"):
        load_scenario(str(f))
    f.write_text("vehicle: {dry_mass_kg: false}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^vehicle.dry_mass_kg: must be a number"):
        load_scenario(str(f))
    s = load_scenario("default", ["fsw.guidance.convex.enabled=true"])
    assert s.fsw.guidance.convex.enabled is True


@given(st.integers(min_value=2**63, max_value=10**40))
def test_a_terrain_seed_past_2_63_is_refused_like_the_scenario_seed(seed: int) -> None:
    """``terrain.seed`` has the bound of ``seed``: 0 <= seed < 2**63, one line naming it."""
    for field in ("seed", "terrain.seed"):
        with pytest.raises(ConfigError) as exc:
            load_scenario("default", [f"{field}={seed}"])
        assert str(exc.value).startswith(f"{field}: Input should be less than {2**63}")
    assert load_scenario("default", [f"terrain.seed={2**63 - 1}"]).terrain.seed == 2**63 - 1


@settings(max_examples=40, deadline=None)
@given(
    st.tuples(*[st.floats(0.2, 5.0)] * 3),
    st.floats(50.0, 5000.0),
)
def test_principal_moments_of_a_real_box_load_and_impossible_ones_do_not(
    dims: tuple[float, float, float], mass: float
) -> None:
    """Principal moments of inertia obey the triangle inequality (each at most the sum
    of the other two; Goldstein, Classical Mechanics, sec. 5.4): a solid box's
    ``I_x = m (b^2 + c^2) / 12`` (and cyclic) loads, and the same moments with one
    raised past the sum of the other two are refused in one line."""
    a, b, c = dims
    moments = [mass * (b * b + c * c) / 12, mass * (a * a + c * c) / 12,
               mass * (a * a + b * b) / 12]
    load_scenario("default", [f"vehicle.inertia_dry_kg_m2={json.dumps(moments)}"])
    bad = [moments[0], moments[1], 1.01 * (moments[0] + moments[1])]
    with pytest.raises(ConfigError) as exc:
        load_scenario("default", [f"vehicle.inertia_dry_kg_m2={json.dumps(bad)}"])
    assert "inertia_dry_kg_m2" in str(exc.value) and "\n" not in str(exc.value)
