"""Scenario schema: every field validated, with units in the names.

A scenario fixes the truth (Moon, terrain, vehicle, initial state), the
sensor models, the flight software's configuration (its own Moon constants
and target, which may differ from truth) and the simulation settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from surefoot.config.base import StrictModel
from surefoot.config.convex_guidance import ConvexGuidanceConfig
from surefoot.config.dispersions import DispersionsConfig, register_schema_root
from surefoot.config.guidance_gates import derive_gates
from surefoot.config.hda import HdaConfig
from surefoot.config.navigation import NavConfig
from surefoot.config.sensors import (  # noqa: F401
    IdealNavConfig,
    SensorsConfig,
    imu_rate_error,
    sensor_rate_error,
)
from surefoot.config.terrain import TerrainConfig
from surefoot.config.vehicle_events import (
    MAX_ENGINE_FAULTS,
    ComputerConfig,
    EgressConfig,
    EngineFaultConfig,
    RoverConfig,
)

Vec3 = tuple[float, float, float]

# the largest simulation step per actuator time constant (RK4 on a first-order lag)
MAX_DT_PER_LAG = 2.5

# one telemetry row per 1000 s at least (a slower rate is a typo for 0)
MIN_TELEMETRY_RATE_HZ = 1e-3

# physical ranges of vector elements (each element of the tuple)
BodyRate = Annotated[float, Field(ge=-360.0, le=360.0)]  # deg/s
Offset = Annotated[float, Field(ge=-1e6, le=1e6)]  # m
Speed = Annotated[float, Field(ge=-1e4, le=1e4)]  # m/s
Accel = Annotated[float, Field(ge=-100.0, le=100.0)]  # m/s^2
Tilt = Annotated[float, Field(ge=-45.0, le=45.0)]  # deg
BodyVec3 = tuple[
    Annotated[float, Field(ge=-100.0, le=100.0)],
    Annotated[float, Field(ge=-100.0, le=100.0)],
    Annotated[float, Field(ge=-100.0, le=100.0)],
]  # m, a point on the vehicle in the body frame
Torque = Annotated[float, Field(gt=0.0, le=1e7)]  # N m
Inertia = Annotated[float, Field(ge=1e-3, le=1e9)]  # kg m^2, principal moment
InertiaAdded = Annotated[float, Field(ge=0.0, le=1e9)]  # kg m^2


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


class MoonConfig(_Strict):
    """Truth Moon. J2 and its reference radius from the GRAIL gravity model
    GRGM1200A (Goossens et al. 2016): normalised C20 = -9.0881e-5, so
    J2 = -sqrt(5) C20 = 2.0322e-4 at R = 1738.0 km."""

    # > 0 down to 1e-30: physics tests fly in a gravity-free world
    gm_m3_s2: float = Field(4.9028e12, gt=0.0, le=1e15)
    radius_m: float = Field(1_737_400.0, ge=1e5, le=1e8)
    j2: float = Field(2.0322e-4, ge=0.0, le=1e-2)
    j2_reference_radius_m: float = Field(1_738_000.0, ge=1e5, le=1e8)
    rotation_rate_rad_s: float = Field(2.6617e-6, ge=0.0, le=1e-4)


class SiteConfig(_Strict):
    """Landing target, selenographic latitude/longitude (deg)."""

    lat_deg: float = Field(0.0, ge=-90.0, le=90.0)
    lon_deg: float = Field(0.0, ge=-180.0, le=360.0)


class InitialStateConfig(_Strict):
    """Powered-descent initiation, relative to the target site.

    The lander starts ``uprange_km`` back along the ground track (a great
    circle through the site flying at ``approach_azimuth_deg`` from north)
    and ``crossrange_km`` to its right, at ``altitude_m`` above the reference
    sphere plus the site's terrain height, with inertial speed ``speed_m_s``
    along the track and the given flight-path angle.
    """

    uprange_km: float = Field(700.0, ge=0.0, le=3000.0)
    crossrange_km: float = Field(0.0, ge=-200.0, le=200.0)
    altitude_m: float = Field(15_000.0, ge=0.0, le=200_000.0)
    speed_m_s: float = Field(1690.0, ge=0.0, le=3000.0)
    flight_path_angle_deg: float = Field(0.0, ge=-30.0, le=30.0)
    approach_azimuth_deg: float = Field(90.0, ge=0.0, lt=360.0)
    attitude_error_deg: float = Field(0.0, ge=0.0, le=30.0)
    body_rate_deg_s: tuple[BodyRate, BodyRate, BodyRate] = (0.0, 0.0, 0.0)
    estimate_error_enu_m: tuple[Offset, Offset, Offset] = Field(
        (0.0, 0.0, 0.0),
        description="error of the initial state estimate handed to the navigation filter "
        "(estimate minus truth, site ENU, m), on top of a random draw",
    )
    estimate_error_track_m: tuple[Offset, Offset, Offset] = Field(
        (0.0, 0.0, 0.0),
        description="further error of the initial position estimate in the start's track "
        "axes (along track, right of track, local up; m), added to estimate_error_enu_m: "
        "it turns with the approach, so a ground-track search keeps its meaning",
    )
    estimate_error_velocity_enu_m_s: tuple[Speed, Speed, Speed] = (0.0, 0.0, 0.0)
    estimate_error_scale: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="the random part of the initial estimate error is drawn from the "
        "fsw.nav.init sigmas times this scale (0: none)",
    )


class EngineConfig(_Strict):
    """Main engine (or engine cluster) along body +z; thrust pushes the lander along +z_body."""

    max_thrust_n: float = Field(1600.0, gt=0.0, le=1e6)
    min_throttle: float = Field(0.25, ge=0.0, le=1.0)
    isp_s: float = Field(300.0, gt=0.0, le=1000.0)
    isp_at_min_throttle_s: float | None = Field(
        None,
        gt=0.0,
        le=1000.0,
        description="Isp at min_throttle, s; linear in the throttle up to isp_s at full "
        "thrust (surefoot.math.engine_isp); omitted: isp_s at every throttle",
    )
    time_constant_s: float = Field(0.1, ge=0.0, le=5.0)
    misalignment_deg: tuple[Tilt, Tilt] = (0.0, 0.0)
    position_body_m: BodyVec3 = (0.0, 0.0, -0.6)
    cutoff_after_contact_s: float = Field(
        0.0,
        ge=0.0,
        le=5.0,
        description="touchdown dynamics: time from the first footpad contact until the "
        "engine's thrust ends (touchdown sense, command and valve latency, the thrust "
        "tail-off as its impulse-equivalent time), s; the thrust and the attitude "
        "thrusters' torque stay as they were at contact for that long. 0: off at contact",
    )
    faults: tuple[EngineFaultConfig, ...] = Field(
        (),
        max_length=MAX_ENGINE_FAULTS,
        description="truth engine faults the flight software is not told of "
        "(surefoot.config.vehicle_events)",
    )


class AttitudeActuatorConfig(_Strict):
    """Attitude thrusters modelled as a torque actuator with per-axis limits (body frame)."""

    max_torque_n_m: tuple[Torque, Torque, Torque] = (60.0, 60.0, 30.0)
    time_constant_s: float = Field(0.05, ge=0.0, le=2.0)


class LegConfig(_Strict):
    """Landing legs: ``count`` footpads on a circle of ``radius_m`` around body z,
    ``height_m`` below the body origin. ``body_clearance_m`` is the height of the
    lowest structure (engine bell) above the footpad plane; terrain under the
    body rising higher than that above the resting plane strikes the lander."""

    count: int = Field(4, ge=3, le=8)
    radius_m: float = Field(1.4, gt=0.0, le=10.0)
    height_m: float = Field(1.2, gt=0.0, le=10.0)
    body_clearance_m: float = Field(0.5, gt=0.0, le=10.0)
    # touchdown dynamics (surefoot.world.landing_gear), used when sim.touchdown_dynamics is on:
    # an elastic strut in series with a crushable core, Coulomb friction at the footpad
    spring_n_m: float = Field(
        2.0e5, ge=1e3, le=1e8, description="axial stiffness of each leg strut, N/m"
    )
    damping_n_s_m: float = Field(
        3000.0, ge=0.0, le=1e6, description="axial damping across each leg, N s/m"
    )
    crush_force_n: float = Field(
        4000.0, gt=0.0, le=1e7, description="force at which a leg's crushable core yields, N"
    )
    stroke_m: float = Field(
        0.15, gt=0.0, le=2.0, description="crushable stroke of each leg, m"
    )
    structural_load_n: float = Field(
        12000.0, gt=0.0, le=1e8,
        description="leg load that breaks the structure once the stroke is used up, N",
    )
    friction_coefficient: float = Field(
        0.5, ge=0.0, le=2.0, description="Coulomb friction coefficient footpad / regolith"
    )

    @model_validator(mode="after")
    def _clearance_within_leg(self) -> LegConfig:
        if self.body_clearance_m > self.height_m:
            raise ValueError("body_clearance_m must be <= height_m (structure above the footpads)")
        return self

    @model_validator(mode="after")
    def _crush_below_structure(self) -> LegConfig:
        if self.structural_load_n < self.crush_force_n:
            raise ValueError(
                "structural_load_n must be >= crush_force_n (the core crushes before a leg breaks)"
            )
        return self


class VehicleConfig(_Strict):
    """HAKUTO-R-class lander by default (figures approximate, missions.md)."""

    dry_mass_kg: float = Field(340.0, ge=1.0, le=1e6)
    propellant_kg: float = Field(660.0, ge=0.0, le=1e7)
    inertia_dry_kg_m2: tuple[Inertia, Inertia, Inertia] = (300.0, 300.0, 350.0)
    inertia_propellant_full_kg_m2: tuple[InertiaAdded, InertiaAdded, InertiaAdded] = (
        250.0, 250.0, 300.0
    )
    com_dry_body_m: BodyVec3 = (0.0, 0.0, 0.0)
    com_propellant_body_m: BodyVec3 = (0.0, 0.0, 0.1)
    engine: EngineConfig = EngineConfig()
    attitude: AttitudeActuatorConfig = AttitudeActuatorConfig()
    legs: LegConfig = LegConfig()
    propellant_reserve_kg: float = Field(0.0, ge=0.0, le=1e7)
    body_points_body_m: tuple[BodyVec3, ...] = Field(
        (),
        max_length=8,
        description="points of the body that can touch the ground once the lander tips "
        "(nose corners, nozzle exit), body frame from the body origin, m; with any, the "
        "touchdown dynamics follow a tip-over until the lander rests (docs/touchdown.md)",
    )
    computer: ComputerConfig | None = Field(
        None,
        description="the flight computer's hardware events: processor time taken from the "
        "flight software (surefoot.config.vehicle_events)",
    )
    rover: RoverConfig | None = Field(
        None, description="a rover released in flight (surefoot.config.vehicle_events)"
    )
    egress: EgressConfig | None = Field(
        None,
        description="judge a rover's egress (ramp or deployer) after touchdown and add it "
        "to the summary (surefoot.config.vehicle_events)",
    )

    @model_validator(mode="after")
    def _masses(self) -> VehicleConfig:
        for name in ("inertia_dry_kg_m2", "inertia_propellant_full_kg_m2"):
            moments = getattr(self, name)
            for k in range(3):
                # principal moments of a real body: none above the sum of the other two
                # (equality for a flat plate)
                others = sum(moments) - moments[k]
                if moments[k] > others * (1.0 + 1e-9):
                    raise ValueError(
                        f"{name}: moment {k} ({moments[k]:g}) is above the sum of the other "
                        f"two ({others:g}); no body has those principal moments"
                    )
        if self.propellant_reserve_kg > self.propellant_kg:
            raise ValueError("propellant_reserve_kg must be <= propellant_kg")
        if self.rover is not None and self.rover.mass_kg >= self.dry_mass_kg:
            raise ValueError(
                f"rover.mass_kg: must be below dry_mass_kg ({self.dry_mass_kg:g} kg), "
                f"the rover is part of it (got {self.rover.mass_kg:g})"
            )
        return self


class TouchdownLimits(_Strict):
    """Contact classification. Safe limits default to Chandrayaan-3's
    specification (<= 2 m/s vertical, <= 0.5 m/s horizontal, slope <= 12 deg)."""

    max_vertical_speed_m_s: float = Field(2.0, gt=0.0, le=1000.0)
    max_horizontal_speed_m_s: float = Field(0.5, gt=0.0, le=1000.0)
    max_slope_deg: float = Field(12.0, gt=0.0, le=90.0)
    max_tilt_deg: float = Field(10.0, gt=0.0, le=90.0)
    max_angular_rate_deg_s: float = Field(5.0, gt=0.0, le=3600.0)
    crash_vertical_speed_m_s: float = Field(6.0, gt=0.0, le=1000.0)
    crash_horizontal_speed_m_s: float = Field(4.0, gt=0.0, le=1000.0)

    @model_validator(mode="after")
    def _order(self) -> TouchdownLimits:
        if self.crash_vertical_speed_m_s < self.max_vertical_speed_m_s:
            raise ValueError("crash_vertical_speed_m_s must be >= max_vertical_speed_m_s")
        if self.crash_horizontal_speed_m_s < self.max_horizontal_speed_m_s:
            raise ValueError("crash_horizontal_speed_m_s must be >= max_horizontal_speed_m_s")
        return self


class GateConfig(_Strict):
    """A guidance target in the approach frame at the site: downrange (along the
    approach azimuth, negative = before the target), crossrange (right), up."""

    position_m: tuple[Offset, Offset, Offset]
    velocity_m_s: tuple[Speed, Speed, Speed]
    acceleration_m_s2: tuple[Accel, Accel, Accel] = (0.0, 0.0, 0.0)
    jerk_downrange_m_s3: float = Field(0.0, ge=-100.0, le=100.0)


class GuidanceConfig(_Strict):
    """Apollo-style polynomial guidance (Klumpp 1974): braking to high gate,
    approach to low gate, then vertical descent at a constant rate.

    ``gates: derived`` sizes the gates, the approach time-to-go and the
    terminal rate from the vehicle's design values when the scenario loads
    (:mod:`surefoot.config.guidance_gates`); fields the scenario sets keep
    their values."""

    gates: Literal["set", "derived"] = Field(
        "set",
        description="set: the gate fields as given (defaults suit a 1 t lander); derived: "
        "sized from fsw.vehicle (thrust-to-weight, propellant, Isp) and the initiation speed",
    )
    high_gate: GateConfig = GateConfig(
        position_m=(-2500.0, 0.0, 2000.0),
        velocity_m_s=(25.0, 0.0, -20.0),
        acceleration_m_s2=(-0.3, 0.0, 0.0),
    )
    low_gate: GateConfig = GateConfig(
        position_m=(0.0, 0.0, 60.0),
        velocity_m_s=(0.0, 0.0, -2.0),
        acceleration_m_s2=(0.0, 0.0, 0.0),
    )
    braking_tgo_s: float = Field(0.0, ge=0.0, le=5000.0)
    approach_tgo_s: float = Field(140.0, gt=0.0, le=2000.0)
    min_tgo_s: float = Field(5.0, gt=0.0, le=100.0)
    terminal_descent_rate_m_s: float = Field(1.5, gt=0.0, le=10.0)
    terminal_velocity_gain_1_s: float = Field(0.5, gt=0.0, le=10.0)
    max_tilt_deg: float = Field(89.0, gt=0.0, le=90.0)
    untrusted_max_descent_rate_m_s: float = Field(
        10.0,
        gt=0.0,
        le=1000.0,
        description="while navigation reports the height untrusted (expected ranges missing), "
        "never descend faster than this",
    )
    rate_hz: int = Field(10, ge=1, le=100)
    convex: ConvexGuidanceConfig = ConvexGuidanceConfig()


class ControlConfig(_Strict):
    """Quaternion-feedback attitude control (natural frequency, damping ratio)."""

    attitude_bandwidth_rad_s: float = Field(1.5, gt=0.0, le=50.0)
    attitude_damping: float = Field(0.9, gt=0.0, le=5.0)
    max_slew_rate_deg_s: float = Field(6.0, gt=0.0, le=90.0)
    rate_hz: int = Field(10, ge=1, le=200)


class ExecutiveConfig(_Strict):
    """How the flight software's executive meets a cycle it cannot finish in time.

    Each control cycle the software needs ``duty_fraction`` of the processor;
    what the processor does not give it (``vehicle.computer.overloads`` take
    time away) piles up as a backlog of late work, and what it gives beyond
    the need works the backlog off. When the backlog reaches ``backlog_limit_s``
    the executive restarts (Apollo's 1202/1201 alarms: no free core sets or
    vector accumulator areas): the backlog is dropped, and guidance keeps its
    last command for ``restart_hold_s`` while the attitude and throttle loops
    run on (they ran on interrupts in the Apollo guidance computer).
    """

    duty_fraction: float = Field(
        0.85, gt=0.0, le=1.0, description="share of the processor one control cycle needs"
    )
    backlog_limit_s: float = Field(
        2.0, gt=0.0, le=100.0, description="late work the executive queues before it restarts, s"
    )
    restart_hold_s: float = Field(
        2.0,
        ge=0.0,
        le=100.0,
        description="guidance holds its last command this long after a restart, s",
    )


class FswMoonConfig(_Strict):
    """The flight software's own Moon model (may differ from truth). Navigation
    propagates with point mass plus ``j2`` (GRAIL GRGM1200A by default, as the
    truth; 0 for a point mass); guidance uses the point mass."""

    gm_m3_s2: float = Field(4.9028e12, ge=1e9, le=1e15)
    radius_m: float = Field(1_737_400.0, ge=1e5, le=1e8)
    rotation_rate_rad_s: float = Field(2.6617e-6, ge=0.0, le=1e-4)
    j2: float = Field(2.0322e-4, ge=0.0, le=1e-2)
    j2_reference_radius_m: float = Field(1_738_000.0, ge=1e5, le=1e8)


class FswVehicleConfig(_Strict):
    """The flight software's own description of the vehicle: design values.

    The flight software is built with these, never with the (dispersed) truth
    vehicle; what it must know about the real vehicle it estimates in flight
    (propellant from commanded thrust and the design Isp at that throttle). Left out of a
    scenario, it is filled from the scenario's nominal ``vehicle`` when the
    scenario loads, before any dispersion is drawn, so a campaign that
    disperses ``vehicle.*`` leaves it unchanged.
    """

    dry_mass_kg: float = Field(ge=1.0, le=1e6)
    propellant_kg: float = Field(ge=0.0, le=1e7)
    max_thrust_n: float = Field(gt=0.0, le=1e6)
    min_throttle: float = Field(ge=0.0, le=1.0)
    isp_s: float = Field(gt=0.0, le=1000.0)
    isp_at_min_throttle_s: float | None = Field(
        None, gt=0.0, le=1000.0, description="Isp at min_throttle, s (None: isp_s throughout)"
    )
    inertia_dry_kg_m2: tuple[Inertia, Inertia, Inertia]
    inertia_propellant_full_kg_m2: tuple[InertiaAdded, InertiaAdded, InertiaAdded]
    max_torque_n_m: tuple[Torque, Torque, Torque]

    @classmethod
    def design_of(cls, vehicle: VehicleConfig) -> FswVehicleConfig:
        """The design values of a (nominal) truth vehicle description."""
        return cls(
            dry_mass_kg=vehicle.dry_mass_kg,
            propellant_kg=vehicle.propellant_kg,
            max_thrust_n=vehicle.engine.max_thrust_n,
            min_throttle=vehicle.engine.min_throttle,
            isp_s=vehicle.engine.isp_s,
            isp_at_min_throttle_s=vehicle.engine.isp_at_min_throttle_s,
            inertia_dry_kg_m2=vehicle.inertia_dry_kg_m2,
            inertia_propellant_full_kg_m2=vehicle.inertia_propellant_full_kg_m2,
            max_torque_n_m=vehicle.attitude.max_torque_n_m,
        )


class FswConfig(_Strict):
    moon: FswMoonConfig = FswMoonConfig()
    vehicle: FswVehicleConfig | None = Field(
        None, description="design values on board; None = the scenario's nominal vehicle"
    )
    nav: NavConfig = NavConfig()
    target_height_m: float | None = Field(
        None,
        ge=-20_000.0,
        le=30_000.0,
        description="onboard map height of the target (m above the sphere); None = truth",
    )
    guidance: GuidanceConfig = GuidanceConfig()
    control: ControlConfig = ControlConfig()
    executive: ExecutiveConfig = ExecutiveConfig()
    hda: HdaConfig = HdaConfig()
    plugin: str | None = Field(
        None,
        max_length=1000,
        description="your own flight software instead of the built-in one: "
        "'package.module:Name' or 'path/to/file.py:Name' (docs/plugins.md)",
    )

    @field_validator("plugin")
    @classmethod
    def _plugin(cls, v: str | None) -> str | None:
        if v is None:
            return v
        target, sep, name = v.strip().rpartition(":")
        if not sep or not target or not name:
            raise ValueError("expected 'package.module:Name' or 'path/to/file.py:Name'")
        if target.endswith(".py"):
            # a file: absolute, so a campaign worker or a replay finds it again
            target = str(Path(target).expanduser().resolve())
        return f"{target}:{name}"


class SimConfig(_Strict):
    dt_s: float = Field(0.05, ge=1e-4, le=1.0)
    max_time_s: float = Field(2500.0, gt=0.0, le=20_000.0)
    telemetry_rate_hz: float = Field(10.0, ge=0.0, le=1000.0)
    touchdown_dynamics: bool = Field(
        False,
        description="after first contact, simulate the legs (crush, springs, friction) until "
        "the lander settles, tips or breaks a leg, and add the outcome to the summary",
    )
    touchdown_max_time_s: float = Field(
        30.0, gt=0.0, le=600.0, description="longest post-contact simulation, s"
    )

    @field_validator("telemetry_rate_hz")
    @classmethod
    def _telemetry_rate(cls, v: float) -> float:
        if 0.0 < v < MIN_TELEMETRY_RATE_HZ:
            raise ValueError(f"must be 0 (no telemetry) or >= {MIN_TELEMETRY_RATE_HZ:g} Hz")
        return v


class Scenario(_Strict):
    """A complete landing scenario."""

    name: str = "custom"
    description: str = ""
    sources: str = Field("", description="which public figures the scenario uses")
    seed: int = Field(0, ge=0, lt=2**63)
    moon: MoonConfig = MoonConfig()
    site: SiteConfig = SiteConfig()
    initial: InitialStateConfig = InitialStateConfig()
    vehicle: VehicleConfig = VehicleConfig()
    touchdown: TouchdownLimits = TouchdownLimits()
    terrain: TerrainConfig = TerrainConfig()
    sensors: SensorsConfig = SensorsConfig()
    fsw: FswConfig = FswConfig()
    sim: SimConfig = SimConfig()
    dispersions: DispersionsConfig = DispersionsConfig()

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        # the run's title and, made safe by cli.safety.folder_name, its output folder
        if not v.strip():
            raise ValueError("must not be empty or blank (a short name such as 'my-landing')")
        return v

    @model_validator(mode="after")
    def _design_values_on_board(self) -> Scenario:
        # frozen models: fill the flight software's vehicle once, from the nominal vehicle
        if self.fsw.vehicle is None:
            fsw = self.fsw.model_copy(update={"vehicle": FswVehicleConfig.design_of(self.vehicle)})
            object.__setattr__(self, "fsw", fsw)
        return self

    @model_validator(mode="after")
    def _derived_gates(self) -> Scenario:
        # once, at load: a dumped scenario (a dispersed run, scenario.yaml) lists
        # every field, so validating it again derives nothing and the gates stay
        g = self.fsw.guidance
        if g.gates != "derived":
            return self
        fill = {k: v for k, v in derive_gates(self).items() if k not in g.model_fields_set}
        if fill:
            data = g.model_dump()
            data.update(fill)
            guidance = GuidanceConfig.model_validate(data)
            object.__setattr__(self, "fsw", self.fsw.model_copy(update={"guidance": guidance}))
        return self

    @model_validator(mode="after")
    def _rates(self) -> Scenario:
        for label, rate in (
            ("fsw.guidance.rate_hz", self.fsw.guidance.rate_hz),
            ("fsw.control.rate_hz", self.fsw.control.rate_hz),
        ):
            ratio = 1.0 / (rate * self.sim.dt_s)
            if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
                raise ValueError(f"{label}: must divide the simulation rate 1/sim.dt_s")
        ratio = self.fsw.control.rate_hz / self.fsw.guidance.rate_hz
        if abs(ratio - round(ratio)) > 1e-9 or ratio < 1:
            raise ValueError("fsw.guidance.rate_hz must divide fsw.control.rate_hz")
        # the IMU is sampled whatever the navigation source; every sensor for
        # the filter or a plug-in
        senses = self.fsw.nav.source == "ekf" or self.fsw.plugin is not None
        err = (sensor_rate_error if senses else imu_rate_error)(self.sensors, self.sim.dt_s)
        if err:
            raise ValueError(err)
        # an actuator lag integrated by RK4 is stable for dt / tau < 2.78
        for label, tau in (
            ("vehicle.engine.time_constant_s", self.vehicle.engine.time_constant_s),
            ("vehicle.attitude.time_constant_s", self.vehicle.attitude.time_constant_s),
        ):
            if tau > 0.0 and self.sim.dt_s > MAX_DT_PER_LAG * tau:
                raise ValueError(
                    f"sim.dt_s: must be <= {MAX_DT_PER_LAG:g} x {label} = "
                    f"{MAX_DT_PER_LAG * tau:g} s to integrate the actuator lag "
                    f"(got {self.sim.dt_s:g})"
                )
        return self


register_schema_root(Scenario)
