"""Sensor section of a scenario: models, rates, noise and scheduled faults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdealNavConfig(_Strict):
    """Ideal navigation sensor: truth plus white noise (1-sigma), in the site ENU frame."""

    position_noise_m: float = Field(1.0, ge=0.0)
    velocity_noise_m_s: float = Field(0.02, ge=0.0)
    attitude_noise_deg: float = Field(0.05, ge=0.0)
    rate_noise_deg_s: float = Field(0.01, ge=0.0)


class SensorsConfig(_Strict):
    ideal_nav: IdealNavConfig = IdealNavConfig()
