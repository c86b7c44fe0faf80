"""Validated configuration: the scenario schema, YAML loading and built-in scenarios."""

from surefoot.config.loader import (
    ConfigError,
    builtin_scenarios,
    load_scenario,
)
from surefoot.config.schema import Scenario

__all__ = ["ConfigError", "Scenario", "builtin_scenarios", "load_scenario"]
