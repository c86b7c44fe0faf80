"""What a landing leaves on the ground: impact craters, disturbed regolith, plume blast zones.

Crater size: pi-group scaling (Holsapple 1993, Annu. Rev. Earth Planet. Sci.
21, 333; Housen and Holsapple 2011, Icarus 211, 856). With the impactor mass
``m``, radius ``a`` (a sphere of its bulk density ``delta``), the normal
impact speed ``U``, the target density ``rho``, effective strength ``Y`` and
gravity ``g``::

    pi_2 = g a / U**2        pi_3 = Y / (rho U**2)        pi_V = rho V / m
    pi_V = K1 [pi_2 (rho/delta)**((6 nu - 2 - mu)/(3 mu))
               + (K2 pi_3 (rho/delta)**((6 nu - 2)/(3 mu)))**((2 + mu)/2)]**(-3 mu/(2 + mu))

``V`` is the apparent crater volume below the pre-impact surface; the radius
there is ``R = K_R V**(1/3)`` and the rim radius ``1.3 R``. The constants for
dry sand are Holsapple's: ``K1 = 0.132`` with this ``pi_2`` (the same fit
reads ``0.24`` with the ``3.22 g a / U**2`` of Schmidt and Housen 1987),
``mu = 0.41``; ``nu = 0.4`` and ``K_R = H1 / K1**(1/3)`` with ``H1 = 0.59``
make the radius equal the sand fit of Housen and Holsapple (2011, Table 3),
``R (rho/m)**(1/3) = H1 (rho/delta)**((2 + mu - 6 nu)/(3 (2 + mu))) pi_2**(-mu/(2 + mu))``.
Oblique impacts use the vertical speed ``U sin(theta)`` (the usual
approximation, e.g. Chapman and McKinnon 1986); below about 15-20 deg real
craters become elongated (Gault and Wedekind 1978), which is not modelled.

The laws were fitted to hypervelocity (km/s) impacts of compact projectiles;
a lander arriving at tens of m/s is a large, hollow, slow impactor carrying
propellant, so its crater is extrapolated. The tests and the report say how
far such predictions are from the Resilience crater.

Shape: a fresh simple crater, a parabolic bowl ``0.196 D`` deep below a rim
``0.036 D`` high (Pike 1977) and an ejecta blanket thinning as ``(r/R)**-3``
(McGetchin, Settle and Head 1973), stamped by the truth terrain generator's
:func:`surefoot.world.terrain.craters.stamp_craters`.

Reflectance: new impact sites seen by the Lunar Reconnaissance Orbiter show a
low-reflectance zone of disturbed regolith around the crater and a fainter
high-reflectance halo beyond (the Resilience and HAKUTO-R Mission 1 sites;
Speyerer et al. 2016, Nature 538, 215, for natural craters). Soft landings
leave a diffuse high-reflectance blast zone where the plume swept the surface
(Clegg et al. 2014, Icarus 227, 176, for the Apollo sites). The zone sizes and
contrasts here are adjustable round numbers of the right order, not fits.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from surefoot.config.base import MAX_MAGNITUDE
from surefoot.config.schema import MoonConfig
from surefoot.world.terrain.craters import stamp_craters

_MOON = MoonConfig()
LUNAR_GRAVITY_M_S2 = _MOON.gm_m3_s2 / _MOON.radius_m**2
"""Surface gravity of the truth Moon's defaults (m/s^2), about 1.62."""

OUTCOMES = ("safe", "hard", "tipped", "crashed", "no_contact")

PIKE_DEPTH_TO_DIAMETER = 0.196
"""Rim-crest-to-floor depth over rim diameter of fresh simple lunar craters (Pike 1977)."""
PIKE_RIM_TO_DIAMETER = 0.036
"""Rim height over rim diameter of fresh simple lunar craters (Pike 1977)."""
EJECTA_EXTENT_RADII = 5.0
"""Outer edge of the ejecta blanket, in crater radii."""


@dataclass(frozen=True)
class TargetMaterial:
    """Pi-group scaling constants of a target material (see the module docstring).

    Attributes
    ----------
    name : str
        Label for reports.
    k1, mu, nu, k2 : float
        Scaling constants (dimensionless), ``k1`` with ``pi_2 = g a / U**2``.
    strength_pa : float
        Effective strength ``Y`` (Pa).
    density_kg_m3 : float
        Bulk density ``rho`` (kg/m^3).
    k_r : float
        Apparent radius over ``V**(1/3)``.
    rim_factor : float
        Rim radius over apparent radius.
    """

    name: str
    k1: float
    mu: float
    nu: float
    k2: float
    strength_pa: float
    density_kg_m3: float
    k_r: float
    rim_factor: float = 1.3


_H1_SAND = 0.59  # Housen and Holsapple (2011), Table 3, sand
_K1_SAND = 0.132  # Holsapple (1993) dry sand, pi_2 = g a / U^2

DRY_SAND = TargetMaterial(
    name="dry sand (Holsapple 1993; Housen and Holsapple 2011)",
    k1=_K1_SAND,
    mu=0.41,
    nu=0.4,
    k2=1.0,
    strength_pa=0.0,
    density_kg_m3=1700.0,
    k_r=_H1_SAND / _K1_SAND ** (1.0 / 3.0),
)
"""Cohesionless dry sand, the laboratory analogue of regolith."""

LUNAR_REGOLITH = TargetMaterial(
    name="lunar regolith (dry-sand scaling, 1 kPa cohesion, 1500 kg/m^3)",
    k1=_K1_SAND,
    mu=0.41,
    nu=0.4,
    k2=1.0,
    strength_pa=1.0e3,
    density_kg_m3=1500.0,
    k_r=_H1_SAND / _K1_SAND ** (1.0 / 3.0),
)
"""Dry-sand scaling with the near-surface density (about 1.5 g/cm^3) and the
cohesion (0.1 to 1 kPa, upper value taken) of the Lunar Sourcebook (Carrier,
Olhoeft and Mendell 1991, ch. 9)."""


@dataclass(frozen=True)
class CraterSize:
    """A predicted crater and the dimensionless groups behind it.

    Lengths in metres, volume in m^3; ``regime`` is ``"gravity"`` or
    ``"strength"`` whichever term of the scaling law dominates.
    """

    volume_m3: float
    apparent_radius_m: float
    rim_diameter_m: float
    depth_m: float
    rim_height_m: float
    pi_2: float
    pi_3: float
    pi_v: float
    regime: str
    normal_speed_m_s: float
    impactor_radius_m: float
    material: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def crater_size(
    mass_kg: float,
    speed_m_s: float,
    impact_angle_deg: float = 90.0,
    *,
    impactor_density_kg_m3: float = 3000.0,
    gravity_m_s2: float = LUNAR_GRAVITY_M_S2,
    material: TargetMaterial = LUNAR_REGOLITH,
) -> CraterSize:
    """Crater of an impact by pi-group scaling (Holsapple 1993; see the module docstring).

    Parameters
    ----------
    mass_kg : float
        Impactor mass (kg), > 0.
    speed_m_s : float
        Impact speed (m/s), > 0.
    impact_angle_deg : float
        Angle of the trajectory from the horizontal (deg), in (0, 90].
    impactor_density_kg_m3 : float
        Bulk density of the impactor (kg/m^3); a lander is mostly empty
        volume (about 100-300 kg/m^3), a rock about 3000.
    gravity_m_s2 : float
        Surface gravity (m/s^2).
    material : TargetMaterial
        Target constants.

    Returns
    -------
    CraterSize
        Volume, radii, depth (rim crest to floor) and the groups.
    """
    for name, value in (
        ("mass_kg", mass_kg),
        ("speed_m_s", speed_m_s),
        ("impact_angle_deg", impact_angle_deg),
        ("impactor_density_kg_m3", impactor_density_kg_m3),
        ("gravity_m_s2", gravity_m_s2),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"{name}: must be finite (got {value})")
    if not mass_kg > 0.0:
        raise ValueError("mass_kg: must be positive")
    if not speed_m_s > 0.0:
        raise ValueError("speed_m_s: must be positive")
    if not 0.0 < impact_angle_deg <= 90.0:
        raise ValueError("impact_angle_deg: must be in (0, 90]")
    if not impactor_density_kg_m3 > 0.0:
        raise ValueError("impactor_density_kg_m3: must be positive")
    if not gravity_m_s2 > 0.0:
        raise ValueError("gravity_m_s2: must be positive")
    mu, nu, rho = material.mu, material.nu, material.density_kg_m3
    u = speed_m_s * math.sin(math.radians(impact_angle_deg))
    a = (3.0 * mass_kg / (4.0 * math.pi * impactor_density_kg_m3)) ** (1.0 / 3.0)
    ratio = rho / impactor_density_kg_m3
    pi_2 = gravity_m_s2 * a / u**2
    pi_3 = material.strength_pa / (rho * u**2)
    grav = pi_2 * ratio ** ((6.0 * nu - 2.0 - mu) / (3.0 * mu))
    stren = (material.k2 * pi_3 * ratio ** ((6.0 * nu - 2.0) / (3.0 * mu))) ** (0.5 * (2.0 + mu))
    pi_v = material.k1 * (grav + stren) ** (-3.0 * mu / (2.0 + mu))
    volume = pi_v * mass_kg / rho
    radius = material.k_r * volume ** (1.0 / 3.0)
    rim_d = 2.0 * material.rim_factor * radius
    return CraterSize(
        volume_m3=volume,
        apparent_radius_m=radius,
        rim_diameter_m=rim_d,
        depth_m=PIKE_DEPTH_TO_DIAMETER * rim_d,
        rim_height_m=PIKE_RIM_TO_DIAMETER * rim_d,
        pi_2=pi_2,
        pi_3=pi_3,
        pi_v=pi_v,
        regime="gravity" if grav >= stren else "strength",
        normal_speed_m_s=u,
        impactor_radius_m=a,
        material=material.name,
    )


def smooth_disc(r_m: np.ndarray, radius_m: float, edge_m: float) -> np.ndarray:
    """1 inside ``radius_m``, 0 outside, with a raised-cosine edge ``edge_m`` wide (m)."""
    r = np.asarray(r_m, dtype=float)
    if edge_m <= 0.0:
        return (r <= radius_m).astype(float)
    t = np.clip((r - (radius_m - 0.5 * edge_m)) / edge_m, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(math.pi * t))


@dataclass(frozen=True)
class ImpactZones:
    """Reflectance of an impact site, multiplying the albedo; radii in crater rim radii.

    A low-reflectance zone (crater and disturbed regolith) out to
    ``dark_radius_rims`` and a high-reflectance halo out to
    ``halo_radius_rims``, each with a soft edge ``edge_fraction`` of its
    radius wide.
    """

    dark_factor: float = 0.80
    dark_radius_rims: float = 4.0
    halo_factor: float = 1.08
    halo_radius_rims: float = 10.0
    edge_fraction: float = 0.3


@dataclass(frozen=True)
class BlastZone:
    """Brightening by the descent plume of a soft landing (albedo multiplier, radii in m)."""

    factor: float = 1.10
    radius_m: float = 50.0
    edge_m: float = 30.0


@dataclass(frozen=True)
class LanderBody:
    """The lander seen from orbit: a box with bevelled edges and a bright surface.

    ``tipped_height_m`` replaces ``height_m`` after an ``"tipped"`` outcome.
    """

    width_m: float = 2.6
    height_m: float = 2.3
    tipped_height_m: float = 1.4
    albedo_factor: float = 2.0
    bevel_m: float = 0.4


@dataclass(frozen=True)
class Touchdown:
    """The end of a flight as a run's ``summary.json`` reports it.

    Position in the site map frame (m east, m north of the target); speeds
    in m/s; mass in kg; ``impact_angle_deg`` from the horizontal. Without
    contact (``"no_contact"``) missing or null values default to the target
    and zero speed.
    """

    outcome: str
    east_m: float
    north_m: float
    vertical_speed_m_s: float = 0.0
    horizontal_speed_m_s: float = 0.0
    mass_kg: float = 0.0
    impact_angle_deg: float = 90.0
    scenario: str = ""

    @property
    def speed_m_s(self) -> float:
        """Total speed at contact (m/s)."""
        return math.hypot(self.vertical_speed_m_s, self.horizontal_speed_m_s)

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> Touchdown:
        """Build from a run summary, checking every field; ValueError names the bad one."""
        if not isinstance(summary, dict):
            raise ValueError("summary.json: top level must be an object")
        outcome = summary.get("outcome")
        if outcome not in OUTCOMES:
            raise ValueError(f"summary.json outcome: must be one of {', '.join(OUTCOMES)}")

        def num(key: str, default: float | None = None, lo: float = -math.inf) -> float:
            value = summary.get(key)
            if value is None:  # absent, or null as a run writes NaN
                value = default
            if value is None:
                raise ValueError(f"summary.json {key}: missing; a number is needed")
            try:
                out = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"summary.json {key}: must be a number (got {value!r})") from None
            if not math.isfinite(out) or out < lo or abs(out) > MAX_MAGNITUDE:
                bound = f" >= {lo:g}" if math.isfinite(lo) else ""
                raise ValueError(f"summary.json {key}: must be a finite number{bound} of "
                                 f"magnitude <= {MAX_MAGNITUDE:g} (got {value!r:.40})")
            return out

        contact = outcome != "no_contact"
        vz = abs(num("touchdown_vertical_speed_m_s", None if contact else 0.0))
        vh = num("touchdown_horizontal_speed_m_s", None if contact else 0.0, lo=0.0)
        default_angle = math.degrees(math.atan2(vz, vh)) if (vz or vh) else 90.0
        angle = num("impact_angle_deg", default_angle)
        if contact and not 0.0 < angle <= 90.0:
            raise ValueError("summary.json impact_angle_deg: must be in (0, 90]")
        return cls(
            outcome=str(outcome),
            east_m=num("touchdown_east_m", None if contact else 0.0),
            north_m=num("touchdown_north_m", None if contact else 0.0),
            vertical_speed_m_s=vz,
            horizontal_speed_m_s=vh,
            mass_kg=num("touchdown_mass_kg", None if outcome == "crashed" else 0.0, lo=0.0),
            impact_angle_deg=angle,
            scenario=str(summary.get("scenario", "")),
        )


@dataclass(frozen=True)
class LandingMark:
    """The mark a touchdown leaves, ready to apply to a height patch and its albedo.

    ``kind`` is ``"impact"`` (crater, dark zone, bright halo), ``"landed"``
    (blast zone and the lander) or ``"none"``. Centre in the site map frame (m).
    """

    kind: str
    east_m: float
    north_m: float
    crater: CraterSize | None = None
    zones: ImpactZones = ImpactZones()
    blast: BlastZone = BlastZone()
    lander: LanderBody = LanderBody()
    tipped: bool = False

    def apply(
        self, height_m: np.ndarray, albedo_factor: np.ndarray, dx_m: float, x0_m: float, y0_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Height and albedo factor after the landing (new arrays; inputs untouched).

        Parameters
        ----------
        height_m, albedo_factor : numpy.ndarray
            Before the landing, shape (ny, nx), row 0 south.
        dx_m, x0_m, y0_m : float
            Node spacing and south-west node (m, site map frame).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Height (m) and albedo factor after.
        """
        h = np.array(height_m, dtype=float)
        alb = np.array(albedo_factor, dtype=float)
        ny, nx = h.shape
        de = x0_m + np.arange(nx) * dx_m - self.east_m
        dn = y0_m + np.arange(ny) * dx_m - self.north_m
        r = np.hypot(de[None, :], dn[:, None])
        if self.kind == "impact" and self.crater is not None:
            rim_r = 0.5 * self.crater.rim_diameter_m
            stamp_craters(
                h,
                x0_m,
                y0_m,
                dx_m,
                np.array([self.east_m]),
                np.array([self.north_m]),
                np.array([self.crater.rim_diameter_m]),
                np.array([self.crater.depth_m]),
                np.array([self.crater.rim_height_m]),
                EJECTA_EXTENT_RADII,
            )
            z = self.zones
            r_dark = z.dark_radius_rims * rim_r
            r_halo = z.halo_radius_rims * rim_r
            dark = smooth_disc(r, r_dark, z.edge_fraction * r_dark)
            halo = smooth_disc(r, r_halo, z.edge_fraction * r_halo) - dark
            alb *= 1.0 + (z.dark_factor - 1.0) * dark + (z.halo_factor - 1.0) * np.clip(halo, 0, 1)
        elif self.kind == "landed":
            alb *= 1.0 + (self.blast.factor - 1.0) * smooth_disc(
                r, self.blast.radius_m, self.blast.edge_m
            )
            body = self.lander
            top = body.tipped_height_m if self.tipped else body.height_m
            half = 0.5 * body.width_m
            # Bevelled box: full height inside, linear ramps of width ``bevel_m`` at the sides.
            edge = np.maximum(np.abs(de)[None, :], np.abs(dn)[:, None])
            frac = np.clip((half - edge) / max(body.bevel_m, 1e-9) + 0.5, 0.0, 1.0)
            h += top * frac
            alb = np.where(frac > 0.5, alb * body.albedo_factor, alb)
        return h, alb

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        out: dict[str, Any] = {"kind": self.kind, "east_m": self.east_m, "north_m": self.north_m}
        if self.kind == "impact" and self.crater is not None:
            out["crater"] = self.crater.to_dict()
            out["zones"] = asdict(self.zones)
        elif self.kind == "landed":
            out["blast_zone"] = asdict(self.blast)
            out["lander"] = asdict(self.lander)
            out["tipped"] = self.tipped
        return out


LANDER_BULK_DENSITY_KG_M3 = 150.0
"""Bulk density of a 1-tonne-class lander as an impactor: about 1000 kg in a
2.3 m tall, 2.6 m wide envelope (docs/missions.md, HAKUTO-R) is of order 100-200
kg/m^3; the crater radius varies only as ``delta**0.06`` with it."""


def landing_mark(
    touchdown: Touchdown,
    *,
    material: TargetMaterial = LUNAR_REGOLITH,
    impactor_density_kg_m3: float = LANDER_BULK_DENSITY_KG_M3,
    zones: ImpactZones | None = None,
    blast: BlastZone | None = None,
    lander: LanderBody | None = None,
) -> LandingMark:
    """The mark a touchdown leaves, from its outcome.

    ``"crashed"``: a crater by :func:`crater_size` with impact zones.
    ``"safe"``, ``"hard"``, ``"tipped"``: a blast zone and the lander (on its
    side after ``"tipped"``). ``"no_contact"``: nothing.

    Parameters
    ----------
    touchdown : Touchdown
        Where and how the flight ended.
    material : TargetMaterial
        Target constants for the crater.
    impactor_density_kg_m3 : float
        Lander bulk density as an impactor (kg/m^3).
    zones, blast, lander : optional
        Override the default reflectance zones, blast zone and lander body.

    Returns
    -------
    LandingMark
    """
    zones = zones or ImpactZones()
    blast = blast or BlastZone()
    lander = lander or LanderBody()
    common = {"zones": zones, "blast": blast, "lander": lander}
    if touchdown.outcome == "crashed":
        if not touchdown.mass_kg > 0.0 or not touchdown.speed_m_s > 0.0:
            raise ValueError("summary.json: a crash needs touchdown_mass_kg and a speed above 0")
        crater = crater_size(
            touchdown.mass_kg,
            touchdown.speed_m_s,
            touchdown.impact_angle_deg,
            impactor_density_kg_m3=impactor_density_kg_m3,
            material=material,
        )
        return LandingMark("impact", touchdown.east_m, touchdown.north_m, crater, **common)
    if touchdown.outcome in ("safe", "hard", "tipped"):
        return LandingMark(
            "landed",
            touchdown.east_m,
            touchdown.north_m,
            tipped=touchdown.outcome == "tipped",
            **common,
        )
    return LandingMark("none", touchdown.east_m, touchdown.north_m, **common)
