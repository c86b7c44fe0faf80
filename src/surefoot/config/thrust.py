"""Thrust against weight: what a vehicle's engine can do at the masses it flies.

A scenario's numbers can each be inside their ranges and still describe a
lander that cannot land: thrust given in kN instead of N, a dry mass in
grams, or a real but poor design. :func:`check_thrust` tells these apart.

The weights are lunar weights at the reference radius,
``g = moon.gm_m3_s2 / moon.radius_m**2`` (1.62 m/s^2 for the Moon). Masses:

- ignition mass ``m0 = dry + propellant``;
- lightest mass ``m_min = dry + reserve``: the lander never burns below it;
- terminal mass ``m_t``: the most the lander can weigh once it has shed its
  initial speed. Whatever the trajectory, the descent needs at least
  ``dv = speed - rotation_rate * radius`` (the initial inertial speed less
  the most the Moon's rotation can give), so by the rocket equation
  ``m_t = max(m_min, m0 * exp(-dv / (isp * g0)))``; gravity losses only make
  the real terminal mass lower.

Why not the thrust-to-weight ratio at ignition: powered descent starts at
orbital speed, where the centripetal term ``v^2 / r`` (1.63 m/s^2 at
1690 m/s and 15 km) carries the weight, so a ratio below 1 at ignition is
normal (the built-in HAKUTO-R-class lander has 1600 N for 1,000 kg, 0.98).
Thrust must exceed weight once the horizontal speed is gone: in the terminal
descent, at ``m_t``. For a lander that starts slow (a hover or a drop test)
``m_t`` is the ignition mass.

- Error (absurd: almost surely a unit slip, no landing can be soft): the
  maximum thrust is below the weight at the lightest mass; the lander cannot
  hold even its empty self and falls whatever it does.
- Warning (poor, the run goes on):

  - the maximum thrust is below ``HOVER_MARGIN`` (1.1) times the weight at
    the terminal mass. The terminal descent needs thrust beyond hover to stop
    a descent rate and to tilt for the last lateral corrections: at 25 deg
    of tilt the vertical part of the thrust is cos(25 deg) = 0.91 of it, so
    1.1 x weight keeps hover while tilting that far; a few percent of thrust
    dispersion (campaigns disperse about 2 %) eat the rest of a smaller margin;
  - the minimum throttle's thrust exceeds the weight at the lightest mass:
    near empty the engine cannot throttle down to hover, so the lander climbs
    whenever it tries to hold a height (and must land before it gets that
    light, or cut the engine above the ground).

The check reads the truth vehicle and the truth Moon (what the lander is),
not the flight software's design values. The command line applies it to
the nominal scenario before flying (``surefoot run``, ``surefoot campaign``);
the schema does not, so a physics experiment such as an engine out (thrust
near zero) can still be flown through the Python API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surefoot.config.base import ConfigError

if TYPE_CHECKING:
    from surefoot.config.schema import Scenario

# standard gravity of the rocket equation (Isp in seconds), m/s^2
G0_M_S2 = 9.80665
# maximum thrust at the terminal mass over lunar weight below which a warning is given
HOVER_MARGIN = 1.1


@dataclass(frozen=True)
class ThrustFigures:
    """Masses (kg), lunar gravity (m/s^2) and thrusts (N) of a scenario's vehicle."""

    gravity_m_s2: float
    ignition_mass_kg: float
    terminal_mass_kg: float
    lightest_mass_kg: float
    max_thrust_n: float
    min_thrust_n: float

    def ratio(self, thrust_n: float, mass_kg: float) -> float:
        """``thrust_n`` over the lunar weight of ``mass_kg`` (inf without gravity)."""
        weight = mass_kg * self.gravity_m_s2
        return thrust_n / weight if weight > 0.0 else math.inf


def thrust_figures(scenario: Scenario) -> ThrustFigures:
    """The masses and thrusts :func:`check_thrust` judges (module docstring)."""
    moon, vehicle, engine = scenario.moon, scenario.vehicle, scenario.vehicle.engine
    g = moon.gm_m3_s2 / moon.radius_m**2
    m0 = vehicle.dry_mass_kg + vehicle.propellant_kg
    m_min = vehicle.dry_mass_kg + vehicle.propellant_reserve_kg
    dv = max(0.0, scenario.initial.speed_m_s - moon.rotation_rate_rad_s * moon.radius_m)
    m_t = max(m_min, m0 * math.exp(-dv / (engine.isp_s * G0_M_S2)))
    return ThrustFigures(
        gravity_m_s2=g,
        ignition_mass_kg=m0,
        terminal_mass_kg=m_t,
        lightest_mass_kg=m_min,
        max_thrust_n=engine.max_thrust_n,
        min_thrust_n=engine.min_throttle * engine.max_thrust_n,
    )


def check_thrust(scenario: Scenario) -> list[str]:
    """One-line warnings about the vehicle's thrust against its weight.

    Raises :class:`ConfigError` when the maximum thrust cannot hold even the
    lightest lander (see the module docstring for the thresholds and why).
    """
    f = thrust_figures(scenario)
    lightest = f.ratio(f.max_thrust_n, f.lightest_mass_kg)
    if lightest < 1.0:
        raise ConfigError(
            f"vehicle.engine.max_thrust_n: {f.max_thrust_n:g} N cannot hold the lander even "
            f"at its lightest ({f.lightest_mass_kg:g} kg weighs "
            f"{f.lightest_mass_kg * f.gravity_m_s2:.4g} N on the Moon, thrust-to-weight "
            f"{lightest:.3g}); check the units (N, kg)"
        )
    warnings = []
    terminal = f.ratio(f.max_thrust_n, f.terminal_mass_kg)
    if terminal < HOVER_MARGIN:
        warnings.append(
            f"vehicle.engine.max_thrust_n: thrust-to-weight {terminal:.3g} in the terminal "
            f"descent (at most {f.terminal_mass_kg:.4g} kg after shedding the initial speed), "
            f"below {HOVER_MARGIN:g}: little margin to stop the descent or to tilt"
        )
    low = f.ratio(f.min_thrust_n, f.lightest_mass_kg)
    if low > 1.0:
        warnings.append(
            f"vehicle.engine.min_throttle: the minimum thrust {f.min_thrust_n:.4g} N exceeds the "
            f"weight near empty ({f.lightest_mass_kg:g} kg: "
            f"{f.lightest_mass_kg * f.gravity_m_s2:.4g} N); the lander cannot hover below "
            f"{f.min_thrust_n / f.gravity_m_s2:.4g} kg"
        )
    return warnings
