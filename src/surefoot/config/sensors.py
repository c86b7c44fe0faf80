"""Sensor section of a scenario: models, rates, noise, mounting and scheduled faults.

Units at this edge follow the datasheets the figures come from (degrees,
arcseconds, deg/h, m/s/sqrt(h), ppm); the parameter builders in
``surefoot.sensors`` convert everything to SI. Mounting vectors are in the
lander body frame (thrust along +z); sensor positions are lever arms from the
centre of mass, m.

Every sensor takes a list of scheduled ``faults`` (:class:`FaultConfig`),
each active over a time window or a true-altitude window. A fault's
``channel`` picks one output of the sensor (omitted: all of them):

============== =============================================================
sensor         channels
============== =============================================================
imu            0-2 accelerometer x, y, z; 3-5 gyro x, y, z (body axes)
star_tracker   0-1 about the two cross-boresight axes, 2 about the boresight
rangefinder    beam index (0 .. len(beams_body) - 1)
doppler_lidar  0-2 line-of-sight velocity of beams 0-2, 3-5 range of beams 0-2
trn_camera     0 east, 1 north
============== =============================================================

Fault kinds (``value`` in the unit of the channel it hits: m/s^2 or deg/s for
the IMU, deg for the star tracker, m or m/s for ranges and velocities):

- ``disabled``: no output (valid flags 0).
- ``dropout``: each sample lost with ``probability``.
- ``stuck``: the output freezes at ``value``, or at the last good output when
  ``value`` is omitted, and is still flagged valid.
- ``spike``: with ``probability`` per sample, ``value`` is added.
- ``bias``: ``value`` is added to every sample.
- ``scale``: the true quantity is multiplied by ``1 + value``.
- ``noise``: the white-noise sigma is multiplied by ``value``.
- ``delayed_acquisition`` (rangefinder, Doppler lidar): no valid return until
  the true range first drops below ``value`` m (Resilience: ~1 km instead of
  ~3 km); once acquired the beam stays acquired.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from surefoot.config.base import OpenFloat, StrictModel
from surefoot.config.hda import HazardLidarConfig

Vec3 = tuple[float, float, float]

# Per-axis IMU errors, bounded where a sensor stops being an IMU: a fixed
# accelerometer bias up to 10 m/s^2 (about 1 g, the bound of its turn-on and
# instability sigmas), a gyro bias up to 1e5 deg/h (28 deg/s, the same bound
# as its sigmas), a scale-factor error up to 1e5 ppm (10 %), a misalignment up
# to 100 mrad (5.7 deg). Faults (``faults``) model larger failures.
_AccelBias = Annotated[float, Field(ge=-10.0, le=10.0)]
_GyroBias = Annotated[float, Field(ge=-1e5, le=1e5)]
_ScalePpm = Annotated[float, Field(ge=-1e5, le=1e5)]
_MisalignMrad = Annotated[float, Field(ge=-100.0, le=100.0)]
AccelBias3 = tuple[_AccelBias, _AccelBias, _AccelBias]
GyroBias3 = tuple[_GyroBias, _GyroBias, _GyroBias]
ScalePpm3 = tuple[_ScalePpm, _ScalePpm, _ScalePpm]
MisalignMrad3 = tuple[_MisalignMrad, _MisalignMrad, _MisalignMrad]

FaultKind = Literal[
    "disabled",
    "dropout",
    "stuck",
    "spike",
    "bias",
    "scale",
    "noise",
    "delayed_acquisition",
]

# kinds that remove a measurement rather than change its value
_REMOVAL_KINDS = ("disabled", "dropout", "delayed_acquisition")
_VALUE_REQUIRED = ("spike", "bias", "scale", "noise", "delayed_acquisition")
_NO_VALUE = ("disabled", "dropout")


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


def _unit_vec(v: Vec3, label: str) -> Vec3:
    n = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    if not math.isfinite(n) or n < 1e-9:
        raise ValueError(f"{label}: must be a non-zero direction (got {v})")
    return v


class IdealNavConfig(_Strict):
    """Ideal navigation sensor: truth plus white noise (1-sigma), in the site ENU frame."""

    position_noise_m: float = Field(1.0, ge=0.0, le=1000.0)
    velocity_noise_m_s: float = Field(0.02, ge=0.0, le=100.0)
    attitude_noise_deg: float = Field(0.05, ge=0.0, le=30.0)
    rate_noise_deg_s: float = Field(0.01, ge=0.0, le=30.0)


class FaultConfig(_Strict):
    """One scheduled fault of one sensor (see the module docstring for kinds and channels).

    Active while ``time_s[0] <= t < time_s[1]`` (s since scenario start) or while
    ``altitude_m[0] <= h <= altitude_m[1]`` with ``h`` the true altitude above
    the terrain below the lander; with neither window the fault lasts the whole
    flight.
    """

    _infinite_ok = ("time_s", "altitude_m")

    kind: FaultKind
    channel: int | None = Field(None, ge=0, le=5)
    time_s: tuple[OpenFloat, OpenFloat] | None = None
    altitude_m: tuple[OpenFloat, OpenFloat] | None = None
    value: float | None = None
    probability: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check(self) -> FaultConfig:
        if self.time_s is not None and self.altitude_m is not None:
            raise ValueError("give either time_s or altitude_m as the window, not both")
        for label, w in (("time_s", self.time_s), ("altitude_m", self.altitude_m)):
            if w is not None and (math.isnan(w[0]) or math.isnan(w[1]) or w[0] > w[1]):
                raise ValueError(f"{label}: must be [start, end] with start <= end (got {w})")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"value: must be a finite number (got {self.value})")
        if self.kind in _VALUE_REQUIRED and self.value is None:
            raise ValueError(f"value: required for a '{self.kind}' fault")
        if self.kind in _NO_VALUE and self.value is not None:
            raise ValueError(f"value: not used by a '{self.kind}' fault; remove it")
        if self.kind == "noise" and self.value is not None and self.value < 0.0:
            raise ValueError(f"value: a noise multiplier must be >= 0 (got {self.value})")
        if self.kind == "delayed_acquisition" and self.value is not None and self.value <= 0.0:
            raise ValueError(f"value: acquisition range must be > 0 m (got {self.value})")
        return self


def _check_faults(
    faults: tuple[FaultConfig, ...],
    allowed: tuple[str, ...],
    n_channels: int,
    channel_help: str,
    removal_channels: int | None = None,
    value_needs_channel: bool = False,
) -> None:
    """Raise ``ValueError`` naming ``faults.<i>.<field>`` for a fault this sensor cannot have."""
    for i, f in enumerate(faults):
        if f.kind not in allowed:
            raise ValueError(
                f"faults.{i}.kind: '{f.kind}' is not a fault of this sensor "
                f"(allowed: {', '.join(allowed)})"
            )
        n = removal_channels if (f.kind in _REMOVAL_KINDS and removal_channels) else n_channels
        if f.channel is not None and f.channel >= n:
            span = "0" if n == 1 else f"0..{n - 1}"
            raise ValueError(
                f"faults.{i}.channel: must be {span} ({channel_help}) or omitted for all "
                f"(got {f.channel})"
            )
        if (
            value_needs_channel
            and f.channel is None
            and f.kind in ("spike", "bias", "stuck")
            and f.value is not None
        ):
            raise ValueError(
                f"faults.{i}.channel: required for a '{f.kind}' fault with a value "
                f"({channel_help} have different units)"
            )


class AccelerometerConfig(_Strict):
    """Accelerometer triad (body axes). Defaults: tactical grade, order-of-magnitude
    datasheet figures (approximate).

    Output per sample: ``(I + diag(scale)) C_mis f + b + w`` with ``f`` the true
    specific force, ``C_mis`` a small rotation by ``misalignment_mrad``, bias
    ``b`` = fixed + turn-on (drawn once per run) + first-order Gauss-Markov
    (bias instability) + random walk, and white noise ``w`` (velocity random walk).
    """

    bias_m_s2: AccelBias3 = (0.0, 0.0, 0.0)
    turn_on_bias_sigma_m_s2: float = Field(1.0e-3, ge=0.0, le=10.0)
    bias_instability_m_s2: float = Field(2.0e-4, ge=0.0, le=10.0)
    bias_correlation_time_s: float = Field(300.0, gt=0.0)
    bias_random_walk_m_s2_per_sqrt_s: float = Field(0.0, ge=0.0, le=1.0)
    velocity_random_walk_m_s_per_sqrt_h: float = Field(0.03, ge=0.0, le=100.0)
    scale_factor_ppm: ScalePpm3 = (0.0, 0.0, 0.0)
    misalignment_mrad: MisalignMrad3 = (0.0, 0.0, 0.0)
    range_m_s2: float = Field(200.0, gt=0.0, le=1e4)


class GyroConfig(_Strict):
    """Gyro triad (body axes); same error model as :class:`AccelerometerConfig`.
    Angle random walk in deg/sqrt(h), biases in deg/h."""

    bias_deg_h: GyroBias3 = (0.0, 0.0, 0.0)
    turn_on_bias_sigma_deg_h: float = Field(1.0, ge=0.0, le=1e5)
    bias_instability_deg_h: float = Field(0.3, ge=0.0, le=1e5)
    bias_correlation_time_s: float = Field(300.0, gt=0.0)
    rate_random_walk_deg_h_per_sqrt_h: float = Field(0.0, ge=0.0, le=1e5)
    angle_random_walk_deg_per_sqrt_h: float = Field(0.07, ge=0.0, le=1e3)
    scale_factor_ppm: ScalePpm3 = (0.0, 0.0, 0.0)
    misalignment_mrad: MisalignMrad3 = (0.0, 0.0, 0.0)
    range_deg_s: float = Field(400.0, gt=0.0, le=1e5)


class ImuConfig(_Strict):
    """Inertial measurement unit at the centre of mass, sampled at ``rate_hz`` (a
    multiple of the simulation rate) and integrated into velocity and angle
    increments over each flight-software cycle."""

    rate_hz: int = Field(100, ge=1, le=4000)
    accelerometer: AccelerometerConfig = AccelerometerConfig()
    gyro: GyroConfig = GyroConfig()
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)
    faults: tuple[FaultConfig, ...] = Field((), max_length=8)

    @model_validator(mode="after")
    def _faults(self) -> ImuConfig:
        _check_faults(
            self.faults,
            ("disabled", "dropout", "stuck", "spike", "bias", "scale", "noise"),
            6,
            "0-2 accelerometer, 3-5 gyro",
            value_needs_channel=True,
        )
        return self


class StarTrackerConfig(_Strict):
    """Star tracker: attitude ``q_body_to_mci`` with small-angle noise (1-sigma)
    across and about its boresight; lost above ``max_body_rate_deg_s``."""

    rate_hz: int = Field(5, ge=1, le=100)
    boresight_body: Vec3 = (0.0, -0.5, 0.8660254037844386)
    cross_boresight_noise_arcsec: float = Field(10.0, ge=0.0, le=36000.0)
    about_boresight_noise_arcsec: float = Field(60.0, ge=0.0, le=36000.0)
    max_body_rate_deg_s: float = Field(3.0, gt=0.0)
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)
    faults: tuple[FaultConfig, ...] = Field((), max_length=8)

    @field_validator("boresight_body")
    @classmethod
    def _dir(cls, v: Vec3) -> Vec3:
        return _unit_vec(v, "boresight_body")

    @model_validator(mode="after")
    def _faults(self) -> StarTrackerConfig:
        _check_faults(
            self.faults,
            ("disabled", "dropout", "stuck", "spike", "bias", "noise"),
            3,
            "0-1 cross-boresight axes, 2 boresight",
        )
        for i, f in enumerate(self.faults):
            if f.kind == "stuck" and f.value is not None:
                raise ValueError(
                    f"faults.{i}.value: a stuck star tracker holds its last attitude; remove it"
                )
        return self


class RangefinderConfig(_Strict):
    """Laser rangefinder: up to four beams fixed in the body frame from one unit.

    Slant range to the true terrain along each beam; no return beyond
    ``max_range_m`` or below ``min_range_m``; 1-sigma noise
    ``noise_floor_m + noise_fraction * range``. ``enabled: false`` is a unit
    that never delivers (IM-1's inhibited rangefinders).
    """

    enabled: bool = True
    rate_hz: int = Field(10, ge=1, le=1000)
    position_body_m: Vec3 = (0.0, 0.0, -0.5)
    beams_body: tuple[Vec3, ...] = Field(((0.0, 0.0, -1.0),), min_length=1, max_length=4)
    max_range_m: float = Field(10_000.0, gt=0.0, le=200_000.0)
    min_range_m: float = Field(1.0, ge=0.0)
    noise_floor_m: float = Field(0.3, ge=0.0)
    noise_fraction: float = Field(5.0e-4, ge=0.0, le=0.5)
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)
    faults: tuple[FaultConfig, ...] = Field((), max_length=8)

    @field_validator("beams_body")
    @classmethod
    def _dirs(cls, v: tuple[Vec3, ...]) -> tuple[Vec3, ...]:
        for i, d in enumerate(v):
            _unit_vec(d, f"beams_body.{i}")
        return v

    @model_validator(mode="after")
    def _check(self) -> RangefinderConfig:
        if self.min_range_m >= self.max_range_m:
            raise ValueError("min_range_m: must be below max_range_m")
        _check_faults(
            self.faults,
            (
                "disabled",
                "dropout",
                "stuck",
                "spike",
                "bias",
                "scale",
                "noise",
                "delayed_acquisition",
            ),
            len(self.beams_body),
            "beams",
        )
        return self


class DopplerLidarConfig(_Strict):
    """Navigation Doppler lidar (NASA NDL-like): three beams on a cone.

    Beam ``k`` (0, 1, 2) leans ``cant_deg`` off ``boresight_body`` at azimuth
    ``azimuth_deg + 120 k``, measured from the projection ``x_s`` of body +x on
    the plane normal to the boresight (body +y if the boresight is within
    ~25 deg of x) towards ``x_s x boresight``; for the default boresight (body
    -z) from body +x towards body +y, so the default beams are the flight
    software's default ``fsw.nav.doppler.beams_body``. Each beam gives the lander's
    velocity relative to the surface along the beam and the slant range,
    valid inside ``[min_range_m, max_range_m]`` and below
    ``max_los_speed_m_s``.
    """

    enabled: bool = True
    rate_hz: int = Field(10, ge=1, le=1000)
    position_body_m: Vec3 = (0.0, 0.3, -0.5)
    boresight_body: Vec3 = (0.0, 0.0, -1.0)
    cant_deg: float = Field(22.5, ge=0.0, lt=90.0)
    azimuth_deg: float = Field(0.0, ge=-360.0, le=360.0)
    max_range_m: float = Field(7_000.0, gt=0.0, le=100_000.0)
    min_range_m: float = Field(0.5, ge=0.0)
    velocity_noise_m_s: float = Field(0.02, ge=0.0)
    range_noise_floor_m: float = Field(1.0, ge=0.0)
    range_noise_fraction: float = Field(3.0e-4, ge=0.0, le=0.5)
    max_los_speed_m_s: float = Field(200.0, ge=0.1, le=10_000.0)
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)
    faults: tuple[FaultConfig, ...] = Field((), max_length=8)

    @field_validator("boresight_body")
    @classmethod
    def _dir(cls, v: Vec3) -> Vec3:
        return _unit_vec(v, "boresight_body")

    @model_validator(mode="after")
    def _check(self) -> DopplerLidarConfig:
        if self.min_range_m >= self.max_range_m:
            raise ValueError("min_range_m: must be below max_range_m")
        _check_faults(
            self.faults,
            (
                "disabled",
                "dropout",
                "stuck",
                "spike",
                "bias",
                "scale",
                "noise",
                "delayed_acquisition",
            ),
            6,
            "0-2 beam velocities, 3-5 beam ranges",
            removal_channels=3,
            value_needs_channel=True,
        )
        return self


class TrnCameraConfig(_Strict):
    """Terrain-relative navigation camera: horizontal position fixes in the site
    map frame, only between ``min_altitude_m`` and ``max_altitude_m`` above the
    terrain, with the boresight within ``max_off_nadir_deg`` of straight down
    and the body rate below ``max_body_rate_deg_s``. 1-sigma per axis
    ``sigma_floor_m + sigma_per_altitude * altitude``."""

    enabled: bool = True
    rate_hz: int = Field(1, ge=1, le=100)
    boresight_body: Vec3 = (0.0, 0.0, -1.0)
    max_off_nadir_deg: float = Field(45.0, gt=0.0, le=90.0)
    min_altitude_m: float = Field(500.0, ge=0.0)
    max_altitude_m: float = Field(20_000.0, gt=0.0)
    sigma_floor_m: float = Field(5.0, ge=0.0)
    sigma_per_altitude: float = Field(1.0e-3, ge=0.0, le=1.0)
    max_body_rate_deg_s: float = Field(5.0, gt=0.0)
    dropout_probability: float = Field(0.0, ge=0.0, le=1.0)
    faults: tuple[FaultConfig, ...] = Field((), max_length=8)

    @field_validator("boresight_body")
    @classmethod
    def _dir(cls, v: Vec3) -> Vec3:
        return _unit_vec(v, "boresight_body")

    @model_validator(mode="after")
    def _check(self) -> TrnCameraConfig:
        if self.min_altitude_m >= self.max_altitude_m:
            raise ValueError("min_altitude_m: must be below max_altitude_m")
        _check_faults(
            self.faults,
            ("disabled", "dropout", "stuck", "spike", "bias", "noise"),
            2,
            "0 east, 1 north",
        )
        return self


class SensorsConfig(_Strict):
    ideal_nav: IdealNavConfig = IdealNavConfig()
    imu: ImuConfig = ImuConfig()
    star_tracker: StarTrackerConfig = StarTrackerConfig()
    rangefinder: RangefinderConfig = RangefinderConfig()
    doppler_lidar: DopplerLidarConfig = DopplerLidarConfig()
    trn_camera: TrnCameraConfig = TrnCameraConfig()
    hazard_lidar: HazardLidarConfig = HazardLidarConfig()


def imu_rate_error(sensors: SensorsConfig, dt_s: float) -> str | None:
    """One-line message when the IMU rate is not a whole multiple of 1/dt_s, else None."""
    n = sensors.imu.rate_hz * dt_s
    if abs(n - round(n)) > 1e-6 or round(n) < 1:
        return (
            "sensors.imu.rate_hz: must be a whole multiple of the simulation rate "
            f"1/sim.dt_s = {1.0 / dt_s:g} Hz (got {sensors.imu.rate_hz})"
        )
    return None


def sensor_rate_error(sensors: SensorsConfig, dt_s: float) -> str | None:
    """One-line message for a sensor rate the simulation step cannot serve, else None.

    The IMU is sampled ``rate_hz * dt_s`` times per simulation step, so that
    must be a whole number; every other sensor samples on simulation steps, so
    ``1 / (rate_hz * dt_s)`` must be a whole number.
    """
    err = imu_rate_error(sensors, dt_s)
    if err:
        return err
    for label, rate in (
        ("star_tracker", sensors.star_tracker.rate_hz),
        ("rangefinder", sensors.rangefinder.rate_hz),
        ("doppler_lidar", sensors.doppler_lidar.rate_hz),
        ("trn_camera", sensors.trn_camera.rate_hz),
    ):
        ratio = 1.0 / (rate * dt_s)
        if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
            return (
                f"sensors.{label}.rate_hz: must divide the simulation rate "
                f"1/sim.dt_s = {1.0 / dt_s:g} Hz (got {rate})"
            )
    return None
