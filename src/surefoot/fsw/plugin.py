"""Bring your own flight software: the messages it receives and the commands it returns.

A plug-in is a Python class or function named by a scenario's ``fsw.plugin``
(``"package.module:Name"`` or ``"path/to/file.py:Name"``) or handed to
``surefoot.run(..., fsw=Name)``. The simulator calls it once per landing with
the flight software's :class:`Design` (never the truth), and the object it
returns once per flight-software cycle (``fsw.control.rate_hz``) with a
:class:`SensorFrame`; it answers a :class:`Command`::

    class MyLander:
        def __init__(self, design: Design) -> None: ...
        def step(self, frame: SensorFrame) -> Command: ...

(or a plain function ``frame -> Command`` returned by a factory). Everything
it is handed is a copy: frozen dataclasses of floats and read-only arrays,
built from the measurement rows the sensors deliver (``fsw/nav/measurements.py``)
and from the scenario's ``fsw`` section. This module imports only ``config``,
``math`` and ``fsw`` (an import-linter contract in ``pyproject.toml``), so a
plug-in that imports it cannot reach the truth either. docs/plugins.md is the
guide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from surefoot.config.base import ConfigError
from surefoot.config.schema import FswConfig, FswVehicleConfig
from surefoot.fsw.control.attitude import shortest_arc_error, steering_torque
from surefoot.fsw.interfaces import (
    NAV_ALT_SIGMA,
    NAV_ALT_TRUSTED,
    NAV_Q,
    NAV_R,
    NAV_T,
    NAV_V,
    NAV_VALID,
    NAV_W,
)
from surefoot.fsw.nav.measurements import (
    DOP_RANGE,
    DOP_T,
    DOP_VALID,
    DOP_VLOS,
    DOPPLER_BEAMS,
    IMU_DT,
    IMU_DTHETA,
    IMU_DV,
    IMU_T,
    IMU_VALID,
    LRF_RANGE,
    LRF_T,
    LRF_VALID,
    MAX_LRF_BEAMS,
    STAR_Q,
    STAR_T,
    STAR_VALID,
    TRN_SIGMA,
    TRN_T,
    TRN_VALID,
    TRN_X,
    TRN_Y,
)
from surefoot.math.frames import enu_basis_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_mul, quat_rotate, quat_rotate_inv


class PluginError(ConfigError):
    """A plug-in that cannot be loaded or that answered something unusable (one line)."""


def _frozen(values: object, dtype: type = float) -> np.ndarray:
    """A read-only copy: the plug-in can keep it, never write through it."""
    a = np.array(values, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class ImuIncrement:
    """Velocity and angle increments over the last cycle, body axes.

    ``dv_body`` (m/s) is the integral of specific force (no gravity),
    ``dtheta_body`` (rad) of the inertial body rate, over ``dt`` seconds.
    """

    t: float
    dv_body: np.ndarray
    dtheta_body: np.ndarray
    dt: float
    valid: bool


@dataclass(frozen=True)
class StarTrackerAttitude:
    """Measured attitude, body to Moon-centred inertial (scalar first).

    :meth:`Design.q_body_to_enu` turns it into the site frame.
    """

    t: float
    q_body_to_mci: np.ndarray
    valid: bool


@dataclass(frozen=True)
class RangefinderRanges:
    """Slant ranges (m) along the beams of ``design.fsw.nav.rangefinder.beams_body``."""

    t: float
    range_m: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class DopplerBeams:
    """Velocity along each beam (m/s, positive away from the lander) and range (m).

    Beams are ``design.fsw.nav.doppler.beams_body``.
    """

    t: float
    v_los_m_s: np.ndarray
    range_m: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class TrnFix:
    """Terrain-relative navigation: horizontal position in the site frame (m)."""

    t: float
    east_m: float
    north_m: float
    sigma_m: float
    valid: bool


@dataclass(frozen=True)
class NavigationSolution:
    """The built-in navigation's solution, site ENU (``fsw.nav.source``: the ideal
    navigation sensor or the built-in filter), for a plug-in that flies only guidance."""

    t: float
    r_enu: np.ndarray
    v_enu: np.ndarray
    q_body_to_enu: np.ndarray
    omega_body: np.ndarray
    valid: bool
    height_trusted: bool
    height_sigma_m: float


@dataclass(frozen=True)
class SensorFrame:
    """What the sensors delivered for one flight-software cycle.

    ``t`` is the cycle's time (s since powered-descent initiation), ``cycle``
    its count from 0. A sensor with nothing new in the cycle says so with its
    ``valid`` flags.
    """

    t: float
    cycle: int
    imu: ImuIncrement
    star_tracker: StarTrackerAttitude
    rangefinder: RangefinderRanges
    doppler: DopplerBeams
    trn: TrnFix
    navigation: NavigationSolution


@dataclass(frozen=True)
class Design:
    """What the flight software knows before it flies: design values, never truth.

    ``fsw`` is the scenario's ``fsw`` section: ``fsw.vehicle`` (masses,
    thrust, Isp, inertia, torque limits as designed), ``fsw.moon``, the
    sensors as mounted (``fsw.nav``), gates and limits (``fsw.guidance``).
    The target is the origin of the site ENU frame, ``target_height_m`` above
    the reference sphere on the onboard map.
    """

    fsw: FswConfig
    dt_s: float
    """Flight-software cycle, s (1 / ``fsw.control.rate_hz``)."""
    site_lat_rad: float
    site_lon_rad: float
    approach_azimuth_rad: float
    target_height_m: float

    @property
    def vehicle(self) -> FswVehicleConfig:
        assert self.fsw.vehicle is not None  # filled when the scenario loads
        return self.fsw.vehicle

    def q_body_to_enu(self, q_body_to_mci: np.ndarray, t: float) -> np.ndarray:
        """Attitude in the site frame from an inertial one, with the design Moon's rotation."""
        c = enu_basis_mcmf(self.site_lat_rad, self.site_lon_rad)  # rows E, N, U in MCMF
        theta = self.fsw.moon.rotation_rate_rad_s * t
        ct, st = math.cos(theta), math.sin(theta)
        rot_mcmf_to_mci = np.array([[ct, -st, 0.0], [st, ct, 0.0], [0.0, 0.0, 1.0]])
        q_enu_to_mci = dcm_to_quat(rot_mcmf_to_mci @ c.T)
        q_mci_to_enu = q_enu_to_mci * np.array([1.0, -1.0, -1.0, -1.0])
        return quat_mul(q_mci_to_enu, np.asarray(q_body_to_mci, dtype=float))

    def gravity_m_s2(self, height_m: float) -> float:
        """Design gravity (point mass) at a height above the target, m/s^2."""
        r = self.fsw.moon.radius_m + self.target_height_m + height_m
        return self.fsw.moon.gm_m3_s2 / (r * r)


@dataclass(frozen=True)
class Command:
    """The plug-in's answer for one cycle.

    ``thrust_n``: main-engine thrust (N; the engine delivers between 0 and
    its maximum). Attitude, one of:

    - ``torque_body_n_m`` (3, N m, body axes), or
    - ``thrust_direction_enu`` (3, the wanted thrust axis in the site frame)
      with the plug-in's own attitude estimate ``q_body_to_enu`` (4, scalar
      first) and ``omega_body_rad_s`` (3): the built-in steering law
      (``fsw/control/attitude.py``, gains ``fsw.control``) turns them into a
      torque, as it does for the built-in guidance.
    """

    thrust_n: float
    thrust_direction_enu: tuple[float, float, float] | np.ndarray | None = None
    q_body_to_enu: tuple[float, float, float, float] | np.ndarray | None = None
    omega_body_rad_s: tuple[float, float, float] | np.ndarray | None = None
    torque_body_n_m: tuple[float, float, float] | np.ndarray | None = None


@runtime_checkable
class FlightSoftware(Protocol):
    """A plug-in flight software: one call per cycle."""

    def step(self, frame: SensorFrame) -> Command: ...


PluginFactory = Callable[[Design], "FlightSoftware | Callable[[SensorFrame], Command]"]


def sensor_frame(
    t: float,
    cycle: int,
    imu_row: np.ndarray,
    star_row: np.ndarray,
    lrf_row: np.ndarray,
    dop_row: np.ndarray,
    trn_row: np.ndarray,
    nav_row: np.ndarray,
    n_lrf_beams: int,
) -> SensorFrame:
    """One frame from the measurement rows (layouts in ``fsw/nav/measurements.py``), copied."""
    n = min(max(n_lrf_beams, 1), MAX_LRF_BEAMS)
    return SensorFrame(
        t=float(t),
        cycle=int(cycle),
        imu=ImuIncrement(
            t=float(imu_row[IMU_T]),
            dv_body=_frozen(imu_row[IMU_DV : IMU_DV + 3]),
            dtheta_body=_frozen(imu_row[IMU_DTHETA : IMU_DTHETA + 3]),
            dt=float(imu_row[IMU_DT]),
            valid=bool(imu_row[IMU_VALID] > 0.5),
        ),
        star_tracker=StarTrackerAttitude(
            t=float(star_row[STAR_T]),
            q_body_to_mci=_frozen(star_row[STAR_Q : STAR_Q + 4]),
            valid=bool(star_row[STAR_VALID] > 0.5),
        ),
        rangefinder=RangefinderRanges(
            t=float(lrf_row[LRF_T]),
            range_m=_frozen(lrf_row[LRF_RANGE : LRF_RANGE + n]),
            valid=_frozen(lrf_row[LRF_VALID : LRF_VALID + n] > 0.5, bool),
        ),
        doppler=DopplerBeams(
            t=float(dop_row[DOP_T]),
            v_los_m_s=_frozen(dop_row[DOP_VLOS : DOP_VLOS + DOPPLER_BEAMS]),
            range_m=_frozen(dop_row[DOP_RANGE : DOP_RANGE + DOPPLER_BEAMS]),
            valid=_frozen(dop_row[DOP_VALID : DOP_VALID + DOPPLER_BEAMS] > 0.5, bool),
        ),
        trn=TrnFix(
            t=float(trn_row[TRN_T]),
            east_m=float(trn_row[TRN_X]),
            north_m=float(trn_row[TRN_Y]),
            sigma_m=float(trn_row[TRN_SIGMA]),
            valid=bool(trn_row[TRN_VALID] > 0.5),
        ),
        navigation=NavigationSolution(
            t=float(nav_row[NAV_T]),
            r_enu=_frozen(nav_row[NAV_R : NAV_R + 3]),
            v_enu=_frozen(nav_row[NAV_V : NAV_V + 3]),
            q_body_to_enu=_frozen(nav_row[NAV_Q : NAV_Q + 4]),
            omega_body=_frozen(nav_row[NAV_W : NAV_W + 3]),
            valid=bool(nav_row[NAV_VALID] > 0.5),
            height_trusted=bool(nav_row[NAV_ALT_TRUSTED] > 0.5),
            height_sigma_m=float(nav_row[NAV_ALT_SIGMA]),
        ),
    )


def _vector(value: object, size: int, field: str, who: str, t: float) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        a = np.full(0, np.nan)
    if a.shape != (size,) or not np.all(np.isfinite(a)):
        raise PluginError(
            f"fsw.plugin: {who} returned Command.{field} = {value!r} at t = {t:.2f} s; "
            f"expected {size} finite numbers"
        )
    return a


def command_to_actuators(
    command: object, design: Design, fill: float, who: str, t: float
) -> tuple[float, np.ndarray]:
    """Thrust (N) and body torque (N m) from a plug-in's :class:`Command`.

    ``fill`` is the flight software's own propellant fraction (for the
    design inertia of the steering law); ``who`` names the plug-in in errors.
    Raises :class:`PluginError` (one line) for anything but finite numbers.
    """
    if not isinstance(command, Command):
        raise PluginError(
            f"fsw.plugin: {who} returned {type(command).__name__} at t = {t:.2f} s; "
            "expected a surefoot.fsw.plugin.Command"
        )
    thrust = _vector(command.thrust_n, 1, "thrust_n", who, t)[0]
    if command.torque_body_n_m is not None:
        return float(thrust), _vector(command.torque_body_n_m, 3, "torque_body_n_m", who, t)
    if command.thrust_direction_enu is None or command.q_body_to_enu is None \
            or command.omega_body_rad_s is None:
        raise PluginError(
            f"fsw.plugin: {who} returned a Command at t = {t:.2f} s without an attitude "
            "command; give torque_body_n_m, or thrust_direction_enu with q_body_to_enu "
            "and omega_body_rad_s"
        )
    direction = _vector(command.thrust_direction_enu, 3, "thrust_direction_enu", who, t)
    q = _vector(command.q_body_to_enu, 4, "q_body_to_enu", who, t)
    w = _vector(command.omega_body_rad_s, 3, "omega_body_rad_s", who, t)
    n_dir, n_q = float(np.linalg.norm(direction)), float(np.linalg.norm(q))
    if n_dir <= 0.0 or n_q <= 0.0:
        zero = "thrust_direction_enu" if n_dir <= 0.0 else "q_body_to_enu"
        raise PluginError(f"fsw.plugin: {who} returned a zero Command.{zero} at t = {t:.2f} s")
    q = q / n_q
    ez = np.array([0.0, 0.0, 1.0])
    q_err = shortest_arc_error(ez, quat_rotate_inv(q, direction / n_dir))
    v = design.vehicle
    inertia = np.array(v.inertia_dry_kg_m2) + fill * np.array(v.inertia_propellant_full_kg_m2)
    c = design.fsw.control
    torque = steering_torque(
        q_err,
        w,
        inertia,
        c.attitude_bandwidth_rad_s,
        c.attitude_damping,
        math.radians(c.max_slew_rate_deg_s),
        np.array(v.max_torque_n_m, dtype=float),
    )
    return float(thrust), torque


def thrust_axis_enu(q_body_to_enu: np.ndarray) -> np.ndarray:
    """The engine's thrust axis (body +z) in the site frame."""
    return quat_rotate(np.asarray(q_body_to_enu, dtype=float), np.array([0.0, 0.0, 1.0]))
