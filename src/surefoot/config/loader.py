"""Loading scenarios from YAML with validation errors that name the field."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from surefoot.config.schema import Scenario

DEFAULT_SCENARIO = "default"


class ConfigError(ValueError):
    """Bad user input. The message is one line naming the field and what is allowed."""


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line for the first error of a pydantic ValidationError."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p != "__root__")
    path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check spelling; see the built-in scenarios for the allowed keys)"
    got = first.get("input")
    got_txt = (
        ""
        if first["type"] in ("extra_forbidden", "missing") or isinstance(got, dict)
        else f" (got {got!r})"
    )
    return f"{path or 'scenario'}: {msg}{got_txt}"


def builtin_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios shipped with the package."""
    root = resources.files("surefoot.config") / "scenarios"
    out = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5]] = Path(str(entry))
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"scenario file '{path}': cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"scenario file '{path}': not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"scenario file '{path}': top level must be a mapping of fields")
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """``'vehicle.dry_mass_kg=350'`` -> (['vehicle', 'dry_mass_kg'], 350)."""
    if "=" not in text:
        raise ConfigError(f"--set '{text}': expected dotted.field=value")
    key, _, raw = text.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ConfigError(f"--set '{text}': expected dotted.field=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return parts, value


def set_field(data: dict[str, Any], parts: list[str], value: Any, where: str) -> None:
    """Set the field at path ``parts`` of a raw scenario mapping (validated afterwards).

    Missing sections are created; ``where`` names the override in the error
    raised when a part of the path is a value rather than a section.
    """
    node = data
    for p in parts[:-1]:
        child = node.get(p)
        if child is None:
            child = {}
            node[p] = child
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: '{p}' is a value, not a section")
        node = child
    node[parts[-1]] = value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set ``dotted.field=value`` texts (values parsed as YAML) in a raw scenario mapping."""
    for text in overrides:
        parts, value = parse_override(text)
        set_field(data, parts, value, f"--set '{text}'")
    return data


def resolve_scenario_path(name_or_file: str | None) -> Path:
    """A built-in scenario name or a path to a YAML file."""
    if name_or_file is None:
        name_or_file = DEFAULT_SCENARIO
    builtins = builtin_scenarios()
    if name_or_file in builtins:
        return builtins[name_or_file]
    path = Path(name_or_file)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise ConfigError(f"scenario file '{path}': does not exist")
        return path
    names = ", ".join(builtins)
    raise ConfigError(f"scenario '{name_or_file}': not a built-in scenario ({names}) nor a file")


def load_scenario_dict(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def read_scenario_file(name_or_file: str | None = None) -> dict[str, Any]:
    """The raw mapping of a built-in scenario or a YAML file (not validated yet)."""
    return _read_yaml(resolve_scenario_path(name_or_file))


def load_scenario(
    name_or_file: str | None = None,
    overrides: list[str] | None = None,
    seed: int | None = None,
) -> Scenario:
    """Load, override and validate a scenario. Raises :class:`ConfigError` on bad input."""
    data = read_scenario_file(name_or_file)
    apply_overrides(data, overrides or [])
    if seed is not None:
        data["seed"] = seed
    return load_scenario_dict(data)
