"""Schema and loader of a powered-descent guidance problem file (PROBLEM.yaml).

The problem is planet-agnostic: gravity is a 3-vector in the problem's own frame, so
the Mars examples of Acikmese & Ploen (2007) and Blackmore et al. (2010) run with
their published x-up frame as they stand. Units are in the field names; angles are
degrees here and radians inside the flight software.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from surefoot.config.base import (
    ConfigError,
    StrictModel,
    format_validation_error,
    parse_yaml,
    read_text_file,
    safe_text,
    why,
)

Finite = Annotated[float, Field(allow_inf_nan=False)]
Vec3 = tuple[Finite, Finite, Finite]
# positions within 10,000 km and speeds below 100 km/s of the problem frame's origin
_Pos = Annotated[float, Field(ge=-1e7, le=1e7)]
_Vel = Annotated[float, Field(ge=-1e5, le=1e5)]
PositionVec = tuple[_Pos, _Pos, _Pos]
VelocityVec = tuple[_Vel, _Vel, _Vel]


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


class GuidanceVehicle(_Strict):
    """Vehicle: masses, thrust bounds (net, along the thrust vector) and propellant use.

    Give exactly one of ``isp_s`` (then ``alpha = 1 / (isp_s * 9.80665)``) or
    ``mass_flow_coefficient_s_per_m`` (alpha itself, ``mdot = -alpha |T|``; use it for
    canted engines, where alpha is ``1 / (Isp g0 cos(cant))``).
    """

    wet_mass_kg: float = Field(gt=0.0, le=1e7)
    dry_mass_kg: float = Field(gt=0.0, le=1e7)
    max_thrust_n: float = Field(gt=0.0, le=1e9)
    min_thrust_n: float = Field(0.0, ge=0.0, le=1e9)
    isp_s: float | None = Field(None, gt=0.0, le=10_000.0)
    mass_flow_coefficient_s_per_m: float | None = Field(None, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> GuidanceVehicle:
        if self.dry_mass_kg >= self.wet_mass_kg:
            raise ValueError("dry_mass_kg must be less than wet_mass_kg")
        if self.min_thrust_n >= self.max_thrust_n:
            raise ValueError("min_thrust_n must be less than max_thrust_n")
        if (self.isp_s is None) == (self.mass_flow_coefficient_s_per_m is None):
            raise ValueError("give exactly one of isp_s or mass_flow_coefficient_s_per_m")
        return self


class GuidanceState(_Strict):
    """Initial position (m) and velocity (m/s) in the problem frame."""

    position_m: PositionVec
    velocity_m_s: VelocityVec = (0.0, 0.0, 0.0)


class GuidanceTarget(_Strict):
    """Target position (m) and touchdown velocity (m/s) in the problem frame."""

    position_m: PositionVec = (0.0, 0.0, 0.0)
    velocity_m_s: VelocityVec = (0.0, 0.0, 0.0)


class GuidanceConstraints(_Strict):
    """Path constraints.

    ``glide_slope_deg``: least elevation of the vehicle seen from the landing point,
    above the horizontal (0 = no cone). ``max_tilt_deg``: largest angle of the thrust
    from "up" (180 = no limit). ``max_speed_m_s``: speed bound (omit for none).
    """

    glide_slope_deg: float = Field(0.0, ge=0.0, lt=90.0)
    max_tilt_deg: float = Field(180.0, gt=0.0, le=180.0)
    max_speed_m_s: float | None = Field(None, gt=0.0, le=10_000.0)


class GuidanceSolver(_Strict):
    """Discretisation, objective and the free-final-time search.

    ``objective``: ``min_fuel`` (land at the target), ``min_landing_error`` (land as
    close as possible) or ``two_stage`` (G-FOLD: closest reachable point, then least
    fuel). ``time_of_flight_s`` fixes the time of flight; omitted, it is searched.
    """

    nodes: int = Field(50, ge=5, le=500)
    objective: Literal["min_fuel", "min_landing_error", "two_stage"] = "two_stage"
    time_of_flight_s: float | None = Field(None, ge=0.1, le=100_000.0)
    grid_points: int = Field(12, ge=3, le=200)
    tf_tolerance_s: float = Field(0.05, gt=0.0, le=100.0)


class GuidanceProblemConfig(_Strict):
    """A complete guidance problem file."""

    name: str = ""
    description: str = ""
    frame: str = Field("", description="free text: what the axes of the problem frame are")
    gravity_m_s2: Vec3
    vehicle: GuidanceVehicle
    initial: GuidanceState
    target: GuidanceTarget = GuidanceTarget()
    constraints: GuidanceConstraints = GuidanceConstraints()
    solver: GuidanceSolver = GuidanceSolver()

    @field_validator("gravity_m_s2")
    @classmethod
    def _gravity_nonzero(cls, g: Vec3) -> Vec3:
        norm = math.sqrt(sum(x * x for x in g))
        if not 1e-6 <= norm <= 1000.0:
            raise ValueError("gravity magnitude must be between 1e-6 and 1000 m/s^2")
        return g


# ---------------------------------------------------------------------- loading
def builtin_guidance_problems() -> dict[str, Path]:
    """Names and paths of the example problems shipped with the package."""
    root = resources.files("surefoot.config") / "guidance_problems"
    out: dict[str, Path] = {}
    if not root.is_dir():
        return out
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5]] = Path(str(entry))
    return out


def resolve_guidance_problem(name_or_file: str) -> Path:
    """A built-in example name or a path to a YAML file; :class:`ConfigError` if neither."""
    path = Path(name_or_file)
    try:
        exists = path.exists()
    except (OSError, ValueError) as exc:  # a NUL, a name too long for the file system
        raise ConfigError(
            f"problem file '{safe_text(path)}': not a usable path ({why(exc)})"
        ) from None
    if exists:
        if not path.is_file():
            raise ConfigError(f"problem file '{safe_text(path)}': is not a file")
        return path
    builtins = builtin_guidance_problems()
    if name_or_file in builtins:
        return builtins[name_or_file]
    names = ", ".join(builtins) or "none"
    raise ConfigError(
        f"problem file '{safe_text(name_or_file)}': does not exist "
        f"(nor a built-in example: {names})"
    )


def guidance_problem_from_dict(data: dict[str, Any]) -> GuidanceProblemConfig:
    """Validate a raw mapping; :class:`ConfigError` names the first bad field."""
    try:
        return GuidanceProblemConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, model=GuidanceProblemConfig)) from None


def load_guidance_problem(name_or_file: str | Path) -> GuidanceProblemConfig:
    """Read and validate a problem file (or a built-in example by name).

    Raises
    ------
    ConfigError
        One line naming the file or field and what is allowed.
    """
    path = resolve_guidance_problem(str(name_or_file))
    text = read_text_file(path, "problem file")
    data = parse_yaml(text, f"problem file '{safe_text(path)}'")
    if not isinstance(data, dict):
        raise ConfigError(
            f"problem file '{safe_text(path)}': top level must be a mapping of fields"
        )
    return guidance_problem_from_dict(data)


__all__ = [
    "GuidanceConstraints",
    "GuidanceProblemConfig",
    "GuidanceSolver",
    "GuidanceState",
    "GuidanceTarget",
    "GuidanceVehicle",
    "builtin_guidance_problems",
    "guidance_problem_from_dict",
    "load_guidance_problem",
    "resolve_guidance_problem",
]
