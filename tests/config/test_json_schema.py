"""The JSON Schema of scenario and guidance-problem files (``surefoot schema``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from surefoot.cli import main
from surefoot.config.guidance_problem import builtin_guidance_problems, guidance_problem_from_dict
from surefoot.config.json_schema import (
    SHIPPED_SCHEMAS,
    json_schema,
    json_schema_text,
    shipped_schema_path,
    unit_of,
)
from surefoot.config.loader import ConfigError, builtin_scenarios, load_scenario_dict


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(kind)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("kind", ["scenario", "problem"])
def test_shipped_schema_is_what_the_command_writes_now(kind: str, tmp_path: Path) -> None:
    shipped = shipped_schema_path(kind)  # type: ignore[arg-type]
    assert shipped.name == SHIPPED_SCHEMAS[kind]
    out = tmp_path / "schema.json"
    assert main(["schema", "--kind", kind, "--out", str(out)]) == 0
    assert out.read_text() == json_schema_text(kind)  # type: ignore[arg-type]
    assert shipped.read_text() == out.read_text(), (
        f"{shipped} is stale: regenerate it with "
        f"'surefoot schema --kind {kind} --out {shipped}'"
    )


def test_schema_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema("scenario")


def test_schema_refuses_an_output_that_is_not_json(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path / "schema.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0] and ".json" in err[0]


@pytest.mark.parametrize(("name", "path"), sorted(builtin_scenarios().items()))
def test_every_builtin_scenario_validates_and_names_the_shipped_schema(name: str,
                                                                       path: Path) -> None:
    errors = [e.message for e in _validator("scenario").iter_errors(_yaml(path))]
    assert errors == [], name
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../scenario.schema.json"
    assert (path.parent / "../scenario.schema.json").resolve() == shipped_schema_path("scenario")


@pytest.mark.parametrize(("name", "path"), sorted(builtin_guidance_problems().items()))
def test_every_builtin_problem_validates_and_names_the_shipped_schema(name: str,
                                                                      path: Path) -> None:
    errors = [e.message for e in _validator("problem").iter_errors(_yaml(path))]
    assert errors == [], name
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../guidance-problem.schema.json"
    assert (path.parent / "../guidance-problem.schema.json").resolve() == shipped_schema_path(
        "problem"
    )


@pytest.mark.parametrize(
    ("where", "key"),
    [((), "vehicel"), (("vehicle",), "dry_mass"), (("vehicle", "engine"), "isp"),
     (("sensors", "rangefinder"), "rate_hzz"), (("fsw", "control"), "rate")],
)
def test_a_misspelt_key_is_rejected_as_the_loader_rejects_it(where: tuple[str, ...],
                                                             key: str) -> None:
    data = _yaml(builtin_scenarios()["default"])
    node = data
    for part in where:
        node = node.setdefault(part, {})
    node[key] = 1.0
    errors = list(_validator("scenario").iter_errors(data))
    assert errors, f"{where} {key} passed the schema"
    assert any(key in e.message and "not allowed" in e.message for e in errors), [
        e.message for e in errors
    ]
    with pytest.raises(ConfigError, match="unknown key"):
        load_scenario_dict(data)


def test_a_misspelt_key_in_a_problem_is_rejected() -> None:
    data = _yaml(builtin_guidance_problems()["lunar_high_gate"])
    data["vehicle"]["wet_mass"] = 1000.0
    assert not _validator("problem").is_valid(data)
    with pytest.raises(ConfigError, match="unknown key"):
        guidance_problem_from_dict(data)


def test_ranges_and_tuple_lengths_are_in_the_schema() -> None:
    v = _validator("scenario")
    assert not v.is_valid({"vehicle": {"dry_mass_kg": 0.5}})  # ge=1.0
    assert not v.is_valid({"vehicle": {"engine": {"misalignment_deg": [0.0, 0.0, 0.0]}}})
    assert not v.is_valid({"seed": -1})
    assert not v.is_valid({"fsw": {"nav": {"source": "psychic"}}})
    assert v.is_valid({"vehicle": {"dry_mass_kg": 350.0}})


def test_nested_dispersion_sections_are_accepted_as_the_loader_accepts_them() -> None:
    flat = {"dispersions": {"fields": {"initial.altitude_m": {"dist": "normal", "sigma": 10.0}}}}
    nested = {"dispersions": {"fields": {"initial": {"altitude_m": {"dist": "normal",
                                                                     "sigma": 10.0}}}}}
    v = _validator("scenario")
    for data in (flat, nested):
        assert v.is_valid(data), list(v.iter_errors(data))
        load_scenario_dict(copy.deepcopy(data))
    bad = {"dispersions": {"fields": {"initial.altitude_m": {"dist": "normal", "sigmaa": 1.0}}}}
    assert not v.is_valid(bad)
    with pytest.raises(ConfigError):
        load_scenario_dict(bad)


def _objects(node: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            out.append(node)
        for value in node.values():
            out.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_objects(value))
    return out


@pytest.mark.parametrize("kind", ["scenario", "problem"])
def test_every_section_forbids_unknown_keys(kind: str) -> None:
    sections = _objects(json_schema(kind))  # type: ignore[arg-type]
    assert len(sections) > (40 if kind == "scenario" else 5)
    assert all(s.get("additionalProperties") is False for s in sections)


def test_descriptions_carry_units_and_field_docs() -> None:
    defs = json_schema("scenario")["$defs"]
    engine = defs["EngineConfig"]["properties"]
    assert engine["max_thrust_n"]["description"] == "unit: N"
    assert engine["min_throttle"].get("description") is None
    assert "title" not in engine["isp_s"]
    est = defs["InitialStateConfig"]["properties"]["estimate_error_enu_m"]["description"]
    assert est.startswith("error of the initial state estimate") and est.endswith("(unit: m)")
    assert defs["EngineConfig"]["description"].startswith("Main engine")


@pytest.mark.parametrize(
    ("name", "unit"),
    [("gm_m3_s2", "m^3/s^2"), ("max_torque_n_m", "N m"), ("speed_m_s", "m/s"),
     ("acceleration_m_s2", "m/s^2"), ("body_rate_deg_s", "deg/s"), ("uprange_km", "km"),
     ("rate_hz", "Hz"), ("isp_s", "s"), ("max_thrust_n", "N"), ("inertia_dry_kg_m2", "kg m^2"),
     ("bias_deg_h", "deg/h"), ("gyro_arw_deg_sqrt_h", None), ("count", None), ("j2", None)],
)
def test_unit_of_a_field_name(name: str, unit: str | None) -> None:
    assert unit_of(name) == unit
