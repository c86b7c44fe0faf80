"""JSON Schema of the scenario and guidance-problem files, for editors and other tools.

:func:`json_schema` builds the schema from the pydantic models
(:class:`surefoot.config.schema.Scenario`,
:class:`surefoot.config.guidance_problem.GuidanceProblemConfig`): every
section forbids unknown keys (``additionalProperties: false``), ranges become
``minimum``/``maximum``, and each field's description carries its unit, read
from the unit suffix of its name (``_kg``, ``_m_s``, ``_deg``, ...). The
package ships the result beside the built-in scenarios
(:data:`SHIPPED_SCHEMAS`); ``surefoot schema`` writes it. The schema checks
keys, types and ranges; checks across fields (a dry mass below the wet mass,
rates that divide the step) stay with the loader (``surefoot run FILE --check``).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from surefoot.config.guidance_problem import GuidanceProblemConfig
from surefoot.config.schema import Scenario

Kind = Literal["scenario", "problem"]

KINDS: dict[str, type[BaseModel]] = {"scenario": Scenario, "problem": GuidanceProblemConfig}

# file names of the schemas shipped in surefoot/config (package data)
SHIPPED_SCHEMAS: dict[str, str] = {
    "scenario": "scenario.schema.json",
    "problem": "guidance-problem.schema.json",
}

_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# unit suffixes of field names, longest first where one ends another; None where
# the name alone does not say the unit unambiguously (no unit is then claimed)
_UNITS: tuple[tuple[str, str | None], ...] = (
    ("_m_s2_per_sqrt_s", "m/s^2/sqrt(s)"),
    ("_deg_h_per_sqrt_h", "deg/h/sqrt(h)"),
    ("_m_s_per_sqrt_h", "m/s/sqrt(h)"),
    ("_deg_per_sqrt_h", "deg/sqrt(h)"),
    ("_sqrt_s", None),
    ("_sqrt_h", None),
    ("_deg_h", "deg/h"),
    ("_arcsec", "arcsec"),
    ("_mrad", "mrad"),
    ("_ppm", "ppm"),
    ("_m3_s2", "m^3/s^2"),
    ("_kg_m2", "kg m^2"),
    ("_s_per_m", "s/m"),
    ("_m_s3", "m/s^3"),
    ("_m_s2", "m/s^2"),
    ("_m_s", "m/s"),
    ("_rad_s", "rad/s"),
    ("_deg_s", "deg/s"),
    ("_n_m", "N m"),
    ("_1_s", "1/s"),
    ("_km", "km"),
    ("_kg", "kg"),
    ("_deg", "deg"),
    ("_rad", "rad"),
    ("_hz", "Hz"),
    ("_m", "m"),
    ("_s", "s"),
    ("_n", "N"),
)


def unit_of(name: str) -> str | None:
    """The unit a field name ends with (``'max_thrust_n'`` -> ``'N'``), or None."""
    for suffix, unit in _UNITS:
        if name.endswith(suffix) and len(name) > len(suffix):
            return unit  # None for a suffix whose unit is ambiguous
    return None


class _Generator(GenerateJsonSchema):
    # field titles would only repeat the key in title case ("Isp S"); the
    # description and the unit say more
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _add_units(node: Any) -> None:
    """Append ``unit: ...`` to the description of every property named with a unit."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in props.items():
                unit = unit_of(name)
                if unit is not None and isinstance(prop, dict):
                    desc = prop.get("description", "").rstrip()
                    note = f"unit: {unit}"
                    prop["description"] = f"{desc} ({note})" if desc else note
        for value in node.values():
            _add_units(value)
    elif isinstance(node, list):
        for value in node:
            _add_units(value)


def _nested_dispersion_sections(schema: dict[str, Any]) -> None:
    """Let ``dispersions.fields`` hold nested sections, as the loader accepts
    (``initial: {altitude_m: {dist: normal, sigma: 100}}``)."""
    defs = schema["$defs"]
    fields = defs["DispersionsConfig"]["properties"]["fields"]
    defs["FieldDispersion"] = fields["additionalProperties"]
    either = {"anyOf": [{"$ref": "#/$defs/FieldDispersion"},
                        {"$ref": "#/$defs/DispersionSection"}]}
    defs["DispersionSection"] = {
        "description": "a section of dotted paths (nested keys read as 'a.b')",
        "type": "object",
        "minProperties": 1,
        "not": {"required": ["dist"]},
        "additionalProperties": either,
    }
    fields["additionalProperties"] = either
    schema["$defs"] = dict(sorted(defs.items()))


def json_schema(kind: Kind = "scenario") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario or a guidance problem file."""
    model = KINDS[kind]
    body = model.model_json_schema(mode="validation", schema_generator=_Generator)
    if kind == "scenario":
        _nested_dispersion_sections(body)
    _add_units(body)
    return {"$schema": _DIALECT, **body}


def json_schema_text(kind: Kind = "scenario") -> str:
    """:func:`json_schema` as the text ``surefoot schema`` writes (stable key order)."""
    return json.dumps(json_schema(kind), indent=2, allow_nan=False) + "\n"


def shipped_schema_path(kind: Kind = "scenario") -> Path:
    """The schema file shipped in the package for ``kind``."""
    return Path(str(resources.files("surefoot.config") / SHIPPED_SCHEMAS[kind]))
