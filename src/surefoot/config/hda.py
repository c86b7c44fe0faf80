"""Hazard detection and avoidance settings: the truth lidar and the flight software's HDA.

Two sections of the scenario:

- :class:`HazardLidarConfig` (``sensors.hazard_lidar``): the scanning
  hazard-detection lidar as built (truth side). Angles in degrees and
  milliradians at this edge; ``surefoot.sensors.hazard_lidar`` converts to SI.
- :class:`HdaConfig` (``fsw.hda``): what the flight software believes about
  its lidar's noise and its own attitude knowledge, the lander's footprint and
  limits, and the weights of the landing-site cost. ``surefoot.fsw.hda``
  converts to SI.

Defaults follow the ALHAT hazard-detection goals (Johnson et al., "Analysis of
On-Board Hazard Detection and Avoidance for Safe Lunar Landing", IEEE
Aerospace Conf. 2008): hazards of 30 cm and slopes of about 5 deg detected at
the lander's scale, from a scan at a few hundred metres of slant range.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from surefoot.config.base import StrictModel

Vec3 = tuple[float, float, float]

MAX_LOOKS = 4
"""Most hazard scans one landing may take (the flight-software table holds this many)."""


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


def _nonzero(v: Vec3, label: str) -> Vec3:
    n = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    if not math.isfinite(n) or n < 1e-9:
        raise ValueError(f"{label}: must be a non-zero direction (got {v})")
    return v


class HazardLidarConfig(_Strict):
    """Scanning hazard-detection lidar (truth model), mounting in the lander body frame.

    The sensor frame has +z along ``boresight_body`` and +x along the part of
    ``scan_x_body`` perpendicular to it. A ``raster`` pattern is ``rows`` x
    ``cols`` beams at equal angles over ``fov_x_deg`` x ``fov_y_deg`` (full
    angles); a ``rosette`` pattern is ``beams`` samples of a Risley-prism
    rosette with ``petals`` petals filling the circle of diameter ``fov_x_deg``.
    """

    enabled: bool = True
    position_body_m: Vec3 = (0.0, 0.0, -1.0)
    boresight_body: Vec3 = (0.0, 0.0, -1.0)
    scan_x_body: Vec3 = (1.0, 0.0, 0.0)
    pattern: Literal["raster", "rosette"] = "raster"
    rows: int = Field(128, ge=1, le=2048)
    cols: int = Field(128, ge=1, le=2048)
    beams: int = Field(16384, ge=1, le=4_000_000)
    petals: int = Field(13, ge=3, le=999)
    fov_x_deg: float = Field(8.0, gt=0.0, le=90.0)
    fov_y_deg: float = Field(8.0, gt=0.0, le=90.0)
    max_range_m: float = Field(1500.0, gt=0.0, le=20_000.0)
    min_range_m: float = Field(1.0, ge=0.0, le=1000.0)
    noise_floor_m: float = Field(0.02, ge=0.0, le=10.0)
    noise_fraction: float = Field(0.0, ge=0.0, le=0.1)
    beam_divergence_mrad: float = Field(0.5, ge=0.0, le=50.0)
    subrays: int = Field(7, ge=1, le=64)
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("boresight_body", "scan_x_body")
    @classmethod
    def _directions(cls, v: Vec3, info) -> Vec3:  # noqa: ANN001
        return _nonzero(v, info.field_name)

    @model_validator(mode="after")
    def _check(self) -> HazardLidarConfig:
        if self.min_range_m >= self.max_range_m:
            raise ValueError(
                f"min_range_m ({self.min_range_m}) must be below max_range_m ({self.max_range_m})"
            )
        b = self.boresight_body
        x = self.scan_x_body
        nb = math.sqrt(sum(c * c for c in b))
        nx = math.sqrt(sum(c * c for c in x))
        cos = abs(sum(p * q for p, q in zip(b, x, strict=True))) / (nb * nx)
        if cos > 0.999:
            raise ValueError("scan_x_body: must not be parallel to boresight_body")
        return self


class HdaLookConfig(_Strict):
    """One hazard scan: taken when the estimated height above the target falls to
    ``height_m``; the site it picks may be at most ``max_divert_m`` from the
    current target."""

    height_m: float = Field(gt=5.0, le=5000.0)
    max_divert_m: float = Field(gt=0.0, le=10_000.0)


class HdaConfig(_Strict):
    """Flight software hazard detection and site selection (``fsw.hda``).

    Lander geometry and limits: a footprint disk of ``footprint_radius_m``
    (the leg span radius) must have a fitted plane within ``tilt_limit_deg``,
    no relief above the plane higher than ``leg_clearance_m`` (rocks) and none
    below it deeper than ``max_step_m`` (holes and steps). The noise belief
    (``range_noise_*``, ``attitude_sigma_deg``) turns estimates into
    probabilities. A site is safe when that probability reaches
    ``safe_probability`` with at least ``min_coverage`` of the footprint
    observed, and it is chosen only ``min_margin_m`` or more away from any
    unsafe or unobserved cell.
    """

    enabled: bool = Field(False, description="fly hazard detection and avoidance")
    looks: tuple[HdaLookConfig, ...] = Field(
        (
            HdaLookConfig(height_m=200.0, max_divert_m=60.0),
            HdaLookConfig(height_m=60.0, max_divert_m=8.0),
        ),
        description="the scans, highest first: a first look in the approach that may divert "
        "far, then a second look from the low gate that only corrects the site",
    )
    pointing: Literal["target", "body"] = Field(
        "target",
        description="target: the lidar is gimballed at the estimated target (ALHAT); "
        "body: it looks along its fixed boresight",
    )
    cell_m: float = Field(0.25, ge=0.02, le=5.0)
    footprint_radius_m: float = Field(2.0, gt=0.0, le=20.0)
    leg_clearance_m: float = Field(0.30, gt=0.0, le=5.0)
    max_step_m: float = Field(0.30, gt=0.0, le=5.0)
    tilt_limit_deg: float = Field(10.0, gt=0.0, le=45.0)
    range_noise_floor_m: float = Field(0.02, ge=0.0, le=10.0)
    range_noise_fraction: float = Field(0.0, ge=0.0, le=0.1)
    attitude_sigma_deg: float = Field(0.05, ge=0.0, le=10.0)
    min_coverage: float = Field(0.9, gt=0.0, le=1.0)
    safe_probability: float = Field(0.95, gt=0.5, lt=1.0)
    min_margin_m: float = Field(1.0, ge=0.0, le=100.0)
    margin_goal_m: float = Field(3.0, ge=0.0, le=100.0)
    max_divert_m: float = Field(100.0, gt=0.0, le=10_000.0)
    max_divert_accel_m_s2: float = Field(1.0, gt=0.0, le=20.0)
    weight_safety: float = Field(1.0, ge=0.0)
    weight_margin: float = Field(1.0, ge=0.0)
    weight_distance: float = Field(1.0, ge=0.0)
    weight_propellant: float = Field(1.0, ge=0.0)
    distance_scale_m: float = Field(20.0, ge=0.01, le=100_000.0)
    propellant_scale_kg: float = Field(5.0, ge=1e-3, le=1e6)

    @model_validator(mode="after")
    def _check(self) -> HdaConfig:
        if len(self.looks) > MAX_LOOKS:
            raise ValueError(f"looks: at most {MAX_LOOKS} scans (got {len(self.looks)})")
        heights = [look.height_m for look in self.looks]
        if any(b >= a for a, b in zip(heights, heights[1:], strict=False)):
            raise ValueError(f"looks: heights must decrease from one scan to the next ({heights})")
        if self.footprint_radius_m < 2.0 * self.cell_m:
            raise ValueError(
                f"footprint_radius_m ({self.footprint_radius_m}) must be at least two cells "
                f"(cell_m = {self.cell_m})"
            )
        return self
