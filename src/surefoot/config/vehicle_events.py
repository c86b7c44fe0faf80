"""Truth-side hardware events of the vehicle: engine faults, a rover released in flight and
processor time taken from the flight computer.

Both live under ``vehicle`` (what the lander is), never under ``fsw``: the
flight software is not told of them and sees them only through its sensors.

Engine faults (``vehicle.engine.faults``, at most ``MAX_ENGINE_FAULTS``) start at
``start_time_s`` (s since scenario start) or at the first step the true
altitude (centre of mass above the terrain below the lander, m, as the
sensor faults' altitude windows) is at or below ``start_altitude_m``, and last
``duration_s`` (default: to the end of the flight, however the lander climbs
afterwards):

- ``thrust_scale``: the engine delivers ``thrust_fraction`` times the thrust it
  is throttled to, along a thrust line moved by ``thrust_offset_body_m`` (body
  frame, m) from ``vehicle.engine.position_body_m``; the shifted line adds the
  torque ``offset x thrust``. One of two engines losing its nozzle (SLIM: about
  55 % of the cluster's thrust, its line moved towards the healthy engine) is
  ``thrust_fraction < 1`` with an offset; an engine stronger than the flight
  software's design value (Chandrayaan-2) is ``thrust_fraction > 1``. The
  propellant flow follows the throttle, unchanged: the fault changes the force
  the propellant buys (the effective Isp times ``thrust_fraction``).
- ``shutdown``: no thrust and no propellant flow (Beresheet: an IMU reset shut
  the main engine down); with a finite ``duration_s`` the engine relights
  after it, through its time constant.

Faults active together multiply their fractions and add their offsets.

The rover (``vehicle.rover``, SLIM's LEV-1) is released when the lander's true
altitude first falls to ``release_altitude_m``: the lander loses its mass
(its centre of mass and inertia are kept: a rover of a few kg on a
lander of hundreds), and the rover falls freely from the footpad plane
(``altitude - vehicle.legs.height_m`` above the ground) with the lander's
velocity; it lands safely when its speed at impact is at most
``max_impact_speed_m_s``.

Computer overloads (``vehicle.computer.overloads``, at most ``MAX_OVERLOADS``)
take ``stolen_fraction`` of the flight computer's processor time from the
flight software while they last (Apollo 11: the rendezvous radar's spurious
angle-counter interrupts), starting as the engine faults do. What the flight
software does with less time is its own executive's business
(``fsw.executive``, :mod:`surefoot.fsw.executive`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from surefoot.config.base import StrictModel

MAX_ENGINE_FAULTS = 4
MAX_OVERLOADS = 4

# a thrust line moved by more than this is a typo (m)
MAX_THRUST_OFFSET_M = 10.0

OffsetElement = Annotated[float, Field(ge=-MAX_THRUST_OFFSET_M, le=MAX_THRUST_OFFSET_M)]


class EventWindow(StrictModel):
    """When a truth-side event acts: from a time or an altitude, for a while (module
    docstring); exactly one of the two starts."""

    start_time_s: float | None = Field(
        None, ge=0.0, le=20_000.0, description="start, s since scenario start"
    )
    start_altitude_m: float | None = Field(
        None,
        ge=0.0,
        le=200_000.0,
        description="start at the first step the true altitude is at or below this, m",
    )
    duration_s: float | None = Field(
        None, gt=0.0, le=20_000.0, description="how long it lasts, s (omitted: to the end)"
    )

    @model_validator(mode="after")
    def _one_start(self) -> EventWindow:
        if (self.start_time_s is None) == (self.start_altitude_m is None):
            raise ValueError("give exactly one of start_time_s or start_altitude_m")
        return self


class EngineFaultConfig(EventWindow):
    """One scheduled fault of the main engine (module docstring for kinds and triggers)."""

    kind: Literal["thrust_scale", "shutdown"]
    thrust_fraction: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description="delivered over throttled thrust while active (thrust_scale only)",
    )
    thrust_offset_body_m: tuple[OffsetElement, OffsetElement, OffsetElement] = Field(
        (0.0, 0.0, 0.0),
        description="shift of the thrust line from vehicle.engine.position_body_m, body frame, m "
        "(thrust_scale only)",
    )

    @model_validator(mode="after")
    def _check(self) -> EngineFaultConfig:
        if self.kind == "thrust_scale" and self.thrust_fraction is None:
            raise ValueError("thrust_fraction: required for a 'thrust_scale' fault (0 to 2)")
        if self.kind == "shutdown":
            if self.thrust_fraction is not None:
                raise ValueError("thrust_fraction: not used by a 'shutdown' fault; remove it")
            if any(v != 0.0 for v in self.thrust_offset_body_m):
                raise ValueError("thrust_offset_body_m: not used by a 'shutdown' fault; remove it")
        return self


class RoverConfig(StrictModel):
    """A small rover released in flight (module docstring): SLIM's LEV-1 at about 5 m."""

    mass_kg: float = Field(gt=0.0, le=1e5, description="rover mass, kg")
    release_altitude_m: float = Field(
        gt=0.0, le=10_000.0, description="released when the true altitude falls to this, m"
    )
    max_impact_speed_m_s: float = Field(
        gt=0.0, le=1000.0, description="the rover survives an impact at up to this speed, m/s"
    )


class EgressConfig(StrictModel):
    """Limits of a rover's way off the lander after touchdown (a ramp or a deployer).

    Judged on the ground around the landing point (a plane fitted to the truth
    terrain within ``radius_m``: its slope, and the largest height of the
    ground above or below it), the lander's tilt at rest and its underbody
    clearance."""

    radius_m: float = Field(3.0, gt=0.0, le=50.0, description="ground judged around the lander, m")
    max_tilt_deg: float = Field(15.0, gt=0.0, le=90.0, description="lander tilt at rest, deg")
    max_slope_deg: float = Field(15.0, gt=0.0, le=90.0, description="ground slope, deg")
    max_roughness_m: float = Field(
        0.2, gt=0.0, le=10.0, description="ground above or below the fitted plane, m"
    )
    min_clearance_m: float = Field(
        0.2, ge=0.0, le=10.0, description="underbody clearance the deployer needs, m"
    )


class OverloadConfig(EventWindow):
    """Processor time taken from the flight software for a while (module docstring)."""

    stolen_fraction: float = Field(
        gt=0.0,
        lt=1.0,
        description="share of the processor's time taken from the flight software while active",
    )


class ComputerConfig(StrictModel):
    """The flight computer's hardware events (module docstring)."""

    overloads: tuple[OverloadConfig, ...] = Field(
        (),
        max_length=MAX_OVERLOADS,
        description="windows in which hardware takes processor time from the flight software",
    )
