"""Navigation section of the flight software's configuration (``fsw.nav``).

Everything here is what the *flight software believes*: its IMU error model,
the mounting of its sensors, the accuracy of its onboard map. The truth
sensors (``sensors`` section) may differ, which is how a scenario makes the
flight software wrong. Angles in degrees at this edge, SI elsewhere; body
axes have thrust along +z, so a nadir-looking beam of an upright lander is
``(0, 0, -1)``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from surefoot.config.base import StrictModel

Vec3 = tuple[float, float, float]


class _Strict(StrictModel):
    """Strict, frozen, finite (surefoot.config.base)."""


def _unit_beams(beams: tuple[Vec3, ...], label: str) -> tuple[Vec3, ...]:
    for k, b in enumerate(beams):
        if math.sqrt(b[0] ** 2 + b[1] ** 2 + b[2] ** 2) < 1e-6:
            raise ValueError(f"{label}[{k}]: a beam direction must not be zero")
    return beams


class NavInitConfig(_Strict):
    """1-sigma of the initial estimate (per axis) handed to the filter at start."""

    position_m: float = Field(200.0, gt=0.0, le=1e6)
    velocity_m_s: float = Field(0.5, gt=0.0, le=1e4)
    attitude_deg: float = Field(0.1, gt=0.0, le=180.0)
    accel_bias_m_s2: float = Field(1e-3, gt=0.0, le=1.0)
    gyro_bias_deg_h: float = Field(1.0, gt=0.0, le=1e4)


class NavImuConfig(_Strict):
    """IMU error model as the flight software believes it (process noise).

    ``accel_vrw_m_s_sqrt_s``: velocity random walk (white accelerometer noise
    density); ``gyro_arw_deg_sqrt_h``: angle random walk; the bias random walks
    model bias instability (a Gauss-Markov bias of sigma ``s`` and correlation
    time ``tau`` is covered by ``sqrt(2 s^2 / tau)``); defaults sit a little above
    the ``sensors.imu`` defaults. Scale factors enter as white noise proportional to
    the measured increments; ``unmodelled_accel_m_s2`` covers the point-mass
    gravity and other force-model errors as a Gauss-Markov-like acceleration
    with the given correlation time.
    """

    accel_vrw_m_s_sqrt_s: float = Field(6e-4, ge=0.0, le=1.0)
    gyro_arw_deg_sqrt_h: float = Field(0.08, ge=0.0, le=100.0)
    accel_bias_rw_m_s2_sqrt_s: float = Field(2e-5, ge=0.0, le=1.0)
    gyro_bias_rw_deg_h_sqrt_s: float = Field(0.03, ge=0.0, le=100.0)
    accel_scale_factor_ppm: float = Field(300.0, ge=0.0, le=1e5)
    gyro_scale_factor_ppm: float = Field(300.0, ge=0.0, le=1e5)
    unmodelled_accel_m_s2: float = Field(5e-4, ge=0.0, le=1.0)
    unmodelled_accel_time_s: float = Field(60.0, gt=0.0, le=1e5)


class NavStarTrackerConfig(_Strict):
    """Star tracker as the flight software believes it: boresight in body axes and
    1-sigma attitude noise across and about the boresight."""

    boresight_body: Vec3 = (0.0, -0.5, 0.8660254037844386)
    cross_boresight_sigma_arcsec: float = Field(12.0, gt=0.0, le=36000.0)
    about_boresight_sigma_arcsec: float = Field(70.0, gt=0.0, le=36000.0)

    @field_validator("boresight_body")
    @classmethod
    def _dir(cls, v: Vec3) -> Vec3:
        return _unit_beams((v,), "fsw.nav.star_tracker.boresight_body")[0]


class NavRangefinderConfig(_Strict):
    """Laser rangefinder as the flight software believes it is mounted.

    ``beams_body``: 1 to 4 beam directions in body axes (normalised on use);
    noise 1-sigma ``sigma_m + sigma_fraction * range``. ``fitted: false``
    tells the flight software the lander carries none (a fitted but disabled
    unit, as on IM-1, is a sensor fault: its rows are simply never valid).
    """

    fitted: bool = True
    beams_body: tuple[Vec3, ...] = ((0.0, 0.0, -1.0),)
    position_body_m: Vec3 = (0.0, 0.0, -0.5)
    sigma_m: float = Field(1.0, gt=0.0, le=1e4)
    sigma_fraction: float = Field(0.002, ge=0.0, le=0.5)
    max_range_m: float = Field(20_000.0, gt=0.0, le=1e6)

    @field_validator("beams_body")
    @classmethod
    def _beams(cls, v: tuple[Vec3, ...]) -> tuple[Vec3, ...]:
        if not 1 <= len(v) <= 4:
            raise ValueError("fsw.nav.rangefinder.beams_body: between 1 and 4 beams")
        return _unit_beams(v, "fsw.nav.rangefinder.beams_body")


def _doppler_default_beams() -> tuple[Vec3, Vec3, Vec3]:
    c = math.radians(22.5)
    out = []
    for az in (0.0, 120.0, 240.0):
        a = math.radians(az)
        out.append((math.sin(c) * math.cos(a), math.sin(c) * math.sin(a), -math.cos(c)))
    return tuple(out)  # type: ignore[return-value]


class NavDopplerConfig(_Strict):
    """Doppler lidar (three beams) as the flight software believes it is mounted.

    Line-of-sight velocity noise ``velocity_sigma_m_s + velocity_sigma_fraction *
    |v_los|``; range noise ``range_sigma_m + range_sigma_fraction * range``.
    ``fitted: false`` tells the flight software not to expect it at all.
    """

    fitted: bool = True
    beams_body: tuple[Vec3, Vec3, Vec3] = Field(default_factory=_doppler_default_beams)
    position_body_m: Vec3 = (0.0, 0.3, -0.5)
    velocity_sigma_m_s: float = Field(0.02, gt=0.0, le=100.0)
    velocity_sigma_fraction: float = Field(0.001, ge=0.0, le=0.5)
    range_sigma_m: float = Field(2.0, gt=0.0, le=1e4)
    range_sigma_fraction: float = Field(0.002, ge=0.0, le=0.5)
    max_range_m: float = Field(10_000.0, gt=0.0, le=1e6)

    @field_validator("beams_body")
    @classmethod
    def _beams(cls, v: tuple[Vec3, Vec3, Vec3]) -> tuple[Vec3, Vec3, Vec3]:
        return _unit_beams(v, "fsw.nav.doppler.beams_body")  # type: ignore[return-value]


class NavTrnConfig(_Strict):
    """Terrain-relative navigation fixes: the reported sigma times ``sigma_scale``,
    at least ``min_sigma_m``."""

    sigma_scale: float = Field(1.0, gt=0.0, le=100.0)
    min_sigma_m: float = Field(1.0, gt=0.0, le=1e5)


class NavGatingConfig(_Strict):
    """Innovation gates and the handling of rejected measurements.

    Every measurement passes a chi-square test at ``gate_probability``.
    ``naive`` (HAKUTO-R M1): a range reading that jumps by more than
    ``naive_range_jump_m`` from the sensor's previous accepted reading marks
    the sensor failed for good. ``robust``: after ``rejection_limit``
    consecutive rejected cycles a sensor is re-tested against the widened gate
    (``widened_gate_probability``) and, if the other sensors (or the sensor
    itself, steadily over the streak) agree, the channel is re-initialised
    with the ``reinit_*`` sigmas. Range beams disagreeing with the median of
    three or more beams by more than ``cross_check_tolerance_m +
    cross_check_tolerance_fraction * range`` are excluded for the cycle.
    """

    gate_probability: float = Field(0.9999, gt=0.5, lt=1.0)
    widened_gate_probability: float = Field(1.0 - 1e-9, gt=0.5, lt=1.0)
    naive_range_jump_m: float = Field(1000.0, gt=0.0)
    rejection_limit: int = Field(10, ge=1, le=100_000)
    reinit_height_sigma_m: float = Field(30.0, gt=0.0)
    reinit_vertical_velocity_sigma_m_s: float = Field(2.0, ge=0.0)
    reinit_horizontal_sigma_m: float = Field(50.0, gt=0.0)
    reinit_velocity_sigma_m_s: float = Field(1.0, gt=0.0)
    reinit_attitude_deg: float = Field(0.1, gt=0.0)
    cross_check_tolerance_m: float = Field(50.0, gt=0.0)
    cross_check_tolerance_fraction: float = Field(0.03, ge=0.0, le=1.0)
    relief_sigma_scale: float = Field(2.0, ge=0.0, le=10.0)
    relief_max_offset_m: float = Field(3000.0, gt=0.0)
    max_measurement_age_s: float = Field(0.5, gt=0.0)

    @model_validator(mode="after")
    def _order(self) -> NavGatingConfig:
        if self.widened_gate_probability <= self.gate_probability:
            raise ValueError(
                "fsw.nav.gating.widened_gate_probability must be greater than gate_probability"
            )
        return self


class NavMonitorConfig(_Strict):
    """Expected-measurement monitor (robust only): Resilience's range came too late.

    Below ``range_expected_below_m`` of estimated altitude, a range (rangefinder
    or Doppler) must be accepted at least every ``range_timeout_s``; otherwise
    the altitude is reported untrusted. Likewise Doppler velocity below
    ``velocity_expected_below_m`` (when a Doppler lidar is fitted). The
    altitude is also untrusted when its 1-sigma exceeds ``trusted_sigma_m +
    trusted_sigma_fraction * altitude``.
    """

    range_expected_below_m: float = Field(3000.0, ge=0.0)
    range_timeout_s: float = Field(5.0, gt=0.0)
    velocity_expected_below_m: float = Field(3000.0, ge=0.0)
    velocity_timeout_s: float = Field(5.0, gt=0.0)
    trusted_sigma_m: float = Field(20.0, gt=0.0)
    trusted_sigma_fraction: float = Field(0.1, ge=0.0)


class OnboardMapConfig(_Strict):
    """The lander's onboard terrain map, a degraded copy of the truth.

    The simulator builds it from the truth grids: each level resampled to at
    least ``resolution_m`` spacing, features shifted by ``horizontal_offset_m``
    (east, north), heights offset by ``height_bias_m`` plus white noise of
    ``height_noise_m`` per node. The flight software only knows
    ``height_sigma_m``, the 1-sigma accuracy it assumes for its map.

    ``unmodelled_relief_1km_m`` and ``unmodelled_relief_hurst`` say how far
    the real ground may depart from a map that does not hold its relief (a
    flat reference holds none): 1-sigma ``nu(d) = nu_1km (d / 1 km) ** H`` at
    a beam's hit point ``d`` from the site, the RMS height deviation of
    self-affine lunar topography (Rosenburg et al. 2011, JGR 116 E02001:
    Hurst exponents of about 0.7 in the maria to 0.95 in the highlands).
    Robust rejection adds ``nu(d)^2`` to the map variance of each range, so
    a range taken 60 km out over unknown terrain moves the height above the
    site level as little as it deserves; naive rejection ignores it, as
    flown. 0 (the default) for a map that holds the relief.
    """

    model: Literal["degraded", "flat"] = Field(
        "degraded",
        description="degraded: a resampled copy of the truth; flat: one plane at the "
        "target's true height (a lander that equates range with height above the site "
        "level, as HAKUTO-R M1's approach terrain was never modelled)",
    )
    # spacing from 0.1 m (a lidar-made map) to 10 km; offsets and bias within the
    # Moon's relief and a map's reach (100 km)
    resolution_m: float = Field(30.0, ge=0.1, le=10_000.0)
    horizontal_offset_m: tuple[
        Annotated[float, Field(ge=-1e5, le=1e5)], Annotated[float, Field(ge=-1e5, le=1e5)]
    ] = (0.0, 0.0)
    height_bias_m: float = Field(0.0, ge=-20_000.0, le=20_000.0)
    height_noise_m: float = Field(0.0, ge=0.0)
    height_sigma_m: float = Field(10.0, gt=0.0)
    unmodelled_relief_1km_m: float = Field(0.0, ge=0.0, le=5000.0)
    unmodelled_relief_hurst: float = Field(0.9, gt=0.0, le=1.0)


class NavConfig(_Strict):
    """Where the flight software's state estimate comes from, and its filter.

    ``source``: ``ideal`` (the ideal-navigation sensor: truth plus white noise)
    or ``ekf`` (the error-state Kalman filter of ``surefoot.fsw.nav``).
    ``rejection``: ``naive`` (what flew on HAKUTO-R M1) or ``robust``.
    """

    source: Literal["ideal", "ekf"] = "ideal"
    rejection: Literal["naive", "robust"] = "robust"
    init: NavInitConfig = NavInitConfig()
    imu: NavImuConfig = NavImuConfig()
    star_tracker: NavStarTrackerConfig = NavStarTrackerConfig()
    rangefinder: NavRangefinderConfig = NavRangefinderConfig()
    doppler: NavDopplerConfig = NavDopplerConfig()
    trn: NavTrnConfig = NavTrnConfig()
    gating: NavGatingConfig = NavGatingConfig()
    monitor: NavMonitorConfig = NavMonitorConfig()
    map: OnboardMapConfig = OnboardMapConfig()
