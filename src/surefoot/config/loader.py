"""Loading scenarios from YAML with validation errors that name the field."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from surefoot.config.base import (
    ConfigError,
    format_validation_error,
    parse_yaml,
    read_text_file,
    safe_text,
    why,
)
from surefoot.config.schema import Scenario

__all__ = ["ConfigError", "format_validation_error"]

DEFAULT_SCENARIO = "default"


def builtin_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios shipped with the package."""
    root = resources.files("surefoot.config") / "scenarios"
    out = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5]] = Path(str(entry))
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    text = read_text_file(path, "scenario file")
    data = parse_yaml(text, f"scenario file '{safe_text(path)}'")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"scenario file '{safe_text(path)}': top level must be a mapping of fields"
        )
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """``'vehicle.dry_mass_kg=350'`` -> (['vehicle', 'dry_mass_kg'], 350)."""
    if "=" not in text:
        raise ConfigError(f"--set '{safe_text(text)}': expected dotted.field=value")
    key, _, raw = text.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ConfigError(f"--set '{safe_text(text)}': expected dotted.field=value")
    try:
        value = parse_yaml(raw, f"--set '{safe_text(text)}'") if raw.strip() else None
    except ConfigError:
        value = raw
    return parts, value


def set_field(data: dict[str, Any], parts: list[str], value: Any, where: str) -> None:
    """Set the field at path ``parts`` of a raw scenario mapping (validated afterwards).

    Missing sections are created; ``where`` names the override in the error
    raised when a part of the path is a value rather than a section.
    """
    node = data
    i = 0
    while True:
        # a key written with dots (a dispersion field: 'initial.altitude_m') takes as
        # many parts of the path as it has; the longest such key wins
        for j in range(len(parts), i + 1, -1):
            key = ".".join(parts[i:j])
            if key in node:
                break
        else:
            j, key = i + 1, parts[i]
        if j == len(parts):
            node[key] = value
            return
        child = node.get(key)
        if child is None:
            child = {}
            node[key] = child
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: '{key}' is a value, not a section")
        node = child
        i = j


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set ``dotted.field=value`` texts (values parsed as YAML) in a raw scenario mapping."""
    for text in overrides:
        parts, value = parse_override(text)
        set_field(data, parts, value, f"--set '{safe_text(text)}'")
    return data


def resolve_scenario_path(name_or_file: str | None) -> Path:
    """A built-in scenario name or a path to a YAML file."""
    if name_or_file is None:
        name_or_file = DEFAULT_SCENARIO
    builtins = builtin_scenarios()
    if name_or_file in builtins:
        return builtins[name_or_file]
    path = Path(name_or_file)
    try:
        exists = path.exists()
    except (OSError, ValueError) as exc:  # a NUL, a name too long for the file system
        raise ConfigError(
            f"scenario file '{safe_text(path)}': not a usable path ({why(exc)})"
        ) from None
    if path.suffix in (".yaml", ".yml") or exists:
        if not exists:
            raise ConfigError(f"scenario file '{safe_text(path)}': does not exist")
        return path
    names = ", ".join(builtins)
    raise ConfigError(
        f"scenario '{safe_text(name_or_file)}': not a built-in scenario ({names}) nor a file"
    )


def load_scenario_dict(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, model=Scenario)) from None


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
