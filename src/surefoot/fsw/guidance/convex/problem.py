"""The 3-DOF powered-descent problem and its solution, in SI units and the problem's frame.

The problem frame ("lf", landing frame) is any Cartesian frame fixed to the surface in
which gravity is constant; "up" is ``-g / |g|``. The lunar examples use East-North-Up
with the target at the origin; the Mars example of Acikmese & Ploen (2007) uses x up.
Positions are metres, velocities m/s, thrust N, mass kg, time s since the start of the
manoeuvre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from surefoot.config.arguments import check_integer, check_real

if TYPE_CHECKING:  # the schema is only needed for type hints (fsw may import config)
    from surefoot.config.guidance_problem import GuidanceProblemConfig

G0_M_S2 = 9.80665
"""Standard gravity used to turn a specific impulse into a mass-flow coefficient (m/s^2)."""

Objective = Literal["min_fuel", "min_landing_error", "two_stage"]
Status = Literal["optimal", "inaccurate", "infeasible", "error"]


def _vec3(x: object, name: str) -> NDArray[np.float64]:
    try:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):  # a string, a dict, a ragged list
        a = np.full(0, np.nan)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected 3 finite numbers, got {x!r}")
    a.setflags(write=False)
    return a


_FINITE = ("wet_mass_kg", "dry_mass_kg", "thrust_min_n", "thrust_max_n", "alpha_s_m")
"""Scalar fields that must be finite; the others take ``inf`` (or pi) for "no limit"."""
_UNBOUNDED = (
    "glide_slope_rad",
    "max_tilt_rad",
    "max_speed_m_s",
    "vertical_rate_rad_s",
    "slew_rate_rad_s",
    "thrust_axis_tol_rad",
    "turn_rate_rad_s",
)


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields explicitly
class DescentProblem:
    """Parameters of one minimum-fuel / minimum-landing-error powered descent.

    Parameters
    ----------
    g_lf : ndarray, shape (3,)
        Constant gravitational acceleration in the problem frame (m/s^2).
    wet_mass_kg, dry_mass_kg : float
        Mass at the start of the manoeuvre and the lowest allowed final mass (kg).
    thrust_min_n, thrust_max_n : float
        Bounds on the net thrust magnitude, rho_1 and rho_2 of the papers (N).
    alpha_s_m : float
        Mass-flow coefficient, ``mdot = -alpha * |T|`` (s/m); ``1 / (Isp * g0)``.
    r0_lf, v0_lf : ndarray, shape (3,)
        Initial position (m) and velocity (m/s) in the problem frame.
    r_target_lf, v_target_lf : ndarray, shape (3,)
        Target position (m) and touchdown velocity (m/s) in the problem frame.
    glide_slope_rad : float
        Minimum elevation of the trajectory seen from the landing point, above the
        horizontal (rad); 0 disables the glide-slope cone.
    max_tilt_rad : float
        Largest angle between the thrust vector and "up" (rad); pi disables the limit.
    max_speed_m_s : float
        Largest speed along the trajectory (m/s); ``inf`` disables it.
    vertical_rate_rad_s : float
        Rate at which the thrust must be able to come back to vertical (rad/s): at
        time-to-go ``tau`` its tilt is at most ``min(max_tilt, rate * tau)``, so the
        final thrust is vertical and a vehicle slewing at least this fast can follow;
        ``inf`` disables it. A convex (per-node) pointing cone, lossless like the
        constant one (Acikmese, Carson and Blackmore 2013).
    n_nodes : int
        Number of discretisation nodes (time steps + 1).
    thrust_axis0_lf : ndarray, shape (3,), optional
        Direction the vehicle thrusts along at the start (unit vector after
        normalisation, problem frame); ``None`` leaves the first thrust direction free.
    slew_rate_rad_s : float
        Rate at which the planned thrust direction may turn away from
        ``thrust_axis0_lf`` (rad/s): at time ``t`` the thrust is within
        ``thrust_axis_tol_rad + rate * t`` of it, so the first plan starts from the
        attitude the vehicle has and asks for no faster slew than it can fly. A
        per-node cone ``u_k . e0 >= cos(theta_k) sigma_k`` (second-order, like the
        pointing cone about "up"); it is imposed while ``theta_k < 90 deg`` and
        ``inf`` disables it.
    thrust_axis_tol_rad : float
        Half-angle of that cone at ``t = 0`` (rad): attitude-estimate and tracking
        error allowed at the start.
    turn_rate_rad_s : float
        Largest rate at which the planned thrust direction may turn between any two
        successive nodes (rad/s): ``angle(u_k, u_{k+1}) <= rate dt``, the thrust
        magnitude left free. Imposed as two second-order cones per node interval about
        a reference direction (:mod:`~surefoot.fsw.guidance.convex.rate_cone`, which
        proves what they guarantee) and checked on the solution; ``inf`` disables it.
    turn_reference_t_s, turn_reference_lf : ndarray, shapes (M,) and (M, 3), optional
        Reference directions of the rate cones (problem frame, normalised here) at
        increasing times since the start of this problem (s), interpolated to the
        middle of each node interval and held beyond the table: a re-plan passes the
        previous plan's thrust directions. ``None``: the solver references the same
        problem solved without the rate bound (which it solves first in any case, and
        keeps when it already turns slowly enough).
    """

    g_lf: NDArray[np.float64]
    wet_mass_kg: float
    dry_mass_kg: float
    thrust_min_n: float
    thrust_max_n: float
    alpha_s_m: float
    r0_lf: NDArray[np.float64]
    v0_lf: NDArray[np.float64]
    r_target_lf: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    v_target_lf: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    glide_slope_rad: float = 0.0
    max_tilt_rad: float = math.pi
    max_speed_m_s: float = math.inf
    n_nodes: int = 50
    vertical_rate_rad_s: float = math.inf
    thrust_axis0_lf: NDArray[np.float64] | None = None
    slew_rate_rad_s: float = math.inf
    thrust_axis_tol_rad: float = math.radians(2.0)
    turn_rate_rad_s: float = math.inf
    turn_reference_t_s: NDArray[np.float64] | None = None
    turn_reference_lf: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        for name in _FINITE:
            check_real(getattr(self, name), name, finite=True)
        for name in _UNBOUNDED:
            check_real(getattr(self, name), name, finite=False)
        check_integer(self.n_nodes, "n_nodes", 3, 2000)
        for name in ("g_lf", "r0_lf", "v0_lf", "r_target_lf", "v_target_lf"):
            object.__setattr__(self, name, _vec3(getattr(self, name), name))
        if self.thrust_axis0_lf is not None:
            e0 = _vec3(self.thrust_axis0_lf, "thrust_axis0_lf")
            n = float(np.linalg.norm(e0))
            if not n > 0.0:
                raise ValueError("thrust_axis0_lf: must be a non-zero direction")
            e0 = e0 / n
            e0.setflags(write=False)
            object.__setattr__(self, "thrust_axis0_lf", e0)
        if not self.turn_rate_rad_s > 0.0:
            raise ValueError("turn_rate_rad_s: must be > 0")
        self._check_turn_reference()
        if not self.slew_rate_rad_s > 0.0:
            raise ValueError("slew_rate_rad_s: must be > 0")
        if not 0.0 <= self.thrust_axis_tol_rad < 0.5 * math.pi:
            raise ValueError("thrust_axis_tol_rad: must be in [0, pi/2)")
        if not np.linalg.norm(self.g_lf) > 0.0:
            raise ValueError("g_lf: gravity must be non-zero (it defines 'up')")
        if not 0.0 < self.dry_mass_kg < self.wet_mass_kg:
            raise ValueError("masses: need 0 < dry_mass_kg < wet_mass_kg")
        if not 0.0 <= self.thrust_min_n < self.thrust_max_n:
            raise ValueError("thrust: need 0 <= thrust_min_n < thrust_max_n")
        if not self.alpha_s_m > 0.0:
            raise ValueError("alpha_s_m: must be > 0")
        if not 0.0 <= self.glide_slope_rad < 0.5 * math.pi:
            raise ValueError("glide_slope_rad: must be in [0, pi/2)")
        if not 0.0 < self.max_tilt_rad <= math.pi:
            raise ValueError("max_tilt_rad: must be in (0, pi]")
        if not self.max_speed_m_s > 0.0:
            raise ValueError("max_speed_m_s: must be > 0")
        if not self.vertical_rate_rad_s > 0.0:
            raise ValueError("vertical_rate_rad_s: must be > 0")
        if not 3 <= int(self.n_nodes) <= 2000:
            raise ValueError("n_nodes: must be in [3, 2000]")

    def _check_turn_reference(self) -> None:
        t, d = self.turn_reference_t_s, self.turn_reference_lf
        if t is None and d is None:
            return
        if t is None or d is None:
            raise ValueError("turn_reference_t_s, turn_reference_lf: give both or neither")
        try:
            t = np.array(t, dtype=np.float64).reshape(-1)
            d = np.array(d, dtype=np.float64)
        except (TypeError, ValueError):  # a string, a dict, a ragged list
            raise ValueError(
                "turn_reference_t_s, turn_reference_lf: expected M times and (M, 3) directions"
            ) from None
        if d.shape != (t.size, 3) or t.size < 1:
            raise ValueError("turn_reference_lf: expected shape (M, 3) matching the M times")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(d))):
            raise ValueError("turn_reference: times and directions must be finite")
        if np.any(np.diff(t) <= 0.0):
            raise ValueError("turn_reference_t_s: times must increase")
        n = np.linalg.norm(d, axis=1)
        if not np.all(n > 0.0):
            raise ValueError("turn_reference_lf: every direction must be non-zero")
        d = d / n[:, None]
        t.setflags(write=False)
        d.setflags(write=False)
        object.__setattr__(self, "turn_reference_t_s", t)
        object.__setattr__(self, "turn_reference_lf", d)

    # ------------------------------------------------------------------ derived
    @property
    def up_lf(self) -> NDArray[np.float64]:
        """Unit vector opposite to gravity in the problem frame."""
        return -self.g_lf / np.linalg.norm(self.g_lf)

    @property
    def horizontal_basis_lf(self) -> NDArray[np.float64]:
        """Two orthonormal horizontal unit vectors as the rows of a (2, 3) matrix."""
        up = self.up_lf
        seed = np.eye(3)[int(np.argmin(np.abs(up)))]
        e1 = np.cross(up, seed)
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(up, e1)
        return np.vstack([e1, e2])

    @property
    def slew_limited(self) -> bool:
        """True when the first thrust direction is tied to ``thrust_axis0_lf``."""
        return self.thrust_axis0_lf is not None and math.isfinite(self.slew_rate_rad_s)

    @property
    def turn_limited(self) -> bool:
        """True when successive thrust directions are rate-limited (``turn_rate_rad_s``)."""
        return math.isfinite(self.turn_rate_rad_s)

    def slew_half_angles(self, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Largest angle (rad) between the thrust and ``thrust_axis0_lf`` at times ``t_s``."""
        return self.thrust_axis_tol_rad + self.slew_rate_rad_s * np.asarray(t_s, dtype=float)

    @property
    def propellant_kg(self) -> float:
        """Usable propellant (kg)."""
        return self.wet_mass_kg - self.dry_mass_kg

    def with_state(
        self,
        r0_lf: NDArray[np.float64],
        v0_lf: NDArray[np.float64],
        mass_kg: float | None = None,
        thrust_axis0_lf: NDArray[np.float64] | None = None,
    ) -> DescentProblem:
        """The same problem from a new state (for in-flight re-solves); ``self`` is unchanged.

        ``thrust_axis0_lf`` replaces the starting thrust direction when given.
        """
        return replace(
            self,
            r0_lf=np.asarray(r0_lf, dtype=np.float64),
            v0_lf=np.asarray(v0_lf, dtype=np.float64),
            wet_mass_kg=self.wet_mass_kg if mass_kg is None else float(mass_kg),
            thrust_axis0_lf=self.thrust_axis0_lf
            if thrust_axis0_lf is None
            else np.asarray(thrust_axis0_lf, dtype=np.float64),
        )

    def tf_bracket(self) -> tuple[float, float]:
        """Bracket ``(t_min, t_max)`` (s) containing every feasible time of flight.

        ``t_max`` is the time to burn all usable propellant at the lowest thrust
        (Acikmese & Ploen 2007, sec. IV): the engine cannot fire less than ``rho_1``.
        ``t_min`` is the larger of (a) the shortest time in which the largest
        acceleration ``rho_2 / m_dry`` can change the velocity from ``v0`` to ``v_target``
        against gravity, ``|v_t - v0 - g t| <= (rho_2 / m_dry) t``, and (b) the
        straight-line distance to the target at the maximum speed.
        """
        fuel = self.propellant_kg
        rho_low = self.thrust_min_n
        if rho_low <= 0.0:
            # Without a lower thrust bound, bound the burn by hovering at dry mass.
            rho_low = float(np.linalg.norm(self.g_lf)) * self.dry_mass_kg
        t_max = fuel / (self.alpha_s_m * rho_low)

        a_max = self.thrust_max_n / self.dry_mass_kg
        dv = self.v_target_lf - self.v0_lf
        g = self.g_lf
        # (|g|^2 - a^2) t^2 - 2 (dv.g) t + |dv|^2 <= 0
        qa = float(g @ g) - a_max**2
        qb = -2.0 * float(dv @ g)
        qc = float(dv @ dv)
        t_vel = 0.0
        if qa < 0.0:
            disc = qb * qb - 4.0 * qa * qc
            t_vel = max(0.0, (-qb - math.sqrt(max(disc, 0.0))) / (2.0 * qa))
        t_dist = 0.0
        if math.isfinite(self.max_speed_m_s):
            t_dist = float(np.linalg.norm(self.r_target_lf - self.r0_lf)) / self.max_speed_m_s
        t_min = max(t_vel, t_dist, 1e-3)
        return t_min, max(t_max, 1.01 * t_min)

    # ------------------------------------------------------------------ config
    @classmethod
    def from_config(cls, cfg: GuidanceProblemConfig) -> DescentProblem:
        """Build from a validated problem file (degrees to radians, Isp to alpha)."""
        veh = cfg.vehicle
        if veh.mass_flow_coefficient_s_per_m is not None:
            alpha = veh.mass_flow_coefficient_s_per_m
        else:
            assert veh.isp_s is not None  # the schema guarantees one of the two
            alpha = 1.0 / (veh.isp_s * G0_M_S2)
        con = cfg.constraints
        return cls(
            g_lf=np.asarray(cfg.gravity_m_s2, dtype=np.float64),
            wet_mass_kg=veh.wet_mass_kg,
            dry_mass_kg=veh.dry_mass_kg,
            thrust_min_n=veh.min_thrust_n,
            thrust_max_n=veh.max_thrust_n,
            alpha_s_m=alpha,
            r0_lf=np.asarray(cfg.initial.position_m, dtype=np.float64),
            v0_lf=np.asarray(cfg.initial.velocity_m_s, dtype=np.float64),
            r_target_lf=np.asarray(cfg.target.position_m, dtype=np.float64),
            v_target_lf=np.asarray(cfg.target.velocity_m_s, dtype=np.float64),
            glide_slope_rad=math.radians(con.glide_slope_deg),
            max_tilt_rad=math.radians(con.max_tilt_deg),
            max_speed_m_s=math.inf if con.max_speed_m_s is None else con.max_speed_m_s,
            n_nodes=cfg.solver.nodes,
        )


@dataclass(frozen=True, eq=False)
class Solution:
    """A discretised powered-descent trajectory, tabulated on the nodes.

    Between nodes the thrust acceleration is linear in time (first-order hold) and
    position and velocity follow from it exactly; :meth:`sample` evaluates that.

    Attributes
    ----------
    status : {"optimal", "inaccurate", "infeasible", "error"}
        Outcome; the arrays are empty unless status is "optimal" or "inaccurate".
    objective : str
        Which problem was solved ("min_fuel", "min_landing_error" or "two_stage").
    t_s : ndarray, shape (N,)
        Node times (s since the start of the manoeuvre).
    r_lf, v_lf : ndarray, shape (N, 3)
        Position (m) and velocity (m/s) in the problem frame.
    accel_thrust_lf : ndarray, shape (N, 3)
        Thrust acceleration ``T / m`` (m/s^2) in the problem frame.
    thrust_n_lf : ndarray, shape (N, 3)
        Thrust (N) in the problem frame.
    mass_kg : ndarray, shape (N,)
        Mass (kg).
    gamma_n : ndarray, shape (N,)
        Thrust-magnitude slack Gamma (N); equal to ``|thrust|`` when the
        convexification is lossless.
    g_lf : ndarray, shape (3,)
        Gravity used (m/s^2), kept so :meth:`sample` needs nothing else.
    tf_s : float
        Time of flight (s).
    propellant_kg : float
        Propellant used (kg).
    landing_error_m : float
        Distance from the final position to the target (m).
    solve_time_s : float
        Wall time of all solver calls that produced this solution (s).
    n_solves : int
        Number of conic solves (the free-final-time search makes several).
    residual : float
        For an "infeasible" answer of the free-final-time search, its certificate: the
        smallest terminal defect of the relaxed problem found over the searched times of
        flight (m for position, m/s for velocity, combined as a Euclidean norm); NaN
        otherwise.
    turn_excess_rad : float
        For a problem with a turn-rate bound, the a-posteriori check of it: the largest
        angle between successive thrust vectors minus ``turn_rate_rad_s * dt`` (rad;
        negative: every interval turns less). NaN without the bound.
    """

    status: Status
    objective: str
    t_s: NDArray[np.float64]
    r_lf: NDArray[np.float64]
    v_lf: NDArray[np.float64]
    accel_thrust_lf: NDArray[np.float64]
    thrust_n_lf: NDArray[np.float64]
    mass_kg: NDArray[np.float64]
    gamma_n: NDArray[np.float64]
    g_lf: NDArray[np.float64]
    tf_s: float
    propellant_kg: float
    landing_error_m: float
    solve_time_s: float
    n_solves: int = 1
    residual: float = math.nan
    turn_excess_rad: float = math.nan

    @property
    def ok(self) -> bool:
        """True when the arrays hold a usable trajectory."""
        return self.status in ("optimal", "inaccurate")

    @classmethod
    def failed(
        cls,
        status: Status,
        objective: str,
        g_lf: NDArray[np.float64],
        solve_time_s: float,
        n_solves: int = 1,
        tf_s: float = math.nan,
        residual: float = math.nan,
    ) -> Solution:
        """A solution with no trajectory (infeasible or solver error)."""
        e1 = np.zeros(0)
        e3 = np.zeros((0, 3))
        return cls(
            status,
            objective,
            e1,
            e3,
            e3,
            e3,
            e3,
            e1,
            e1,
            np.asarray(g_lf, float),
            tf_s,
            math.nan,
            math.nan,
            solve_time_s,
            n_solves,
            residual,
        )

    def replace(self, **changes: object) -> Solution:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def sample(
        self, t_s: float | NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Reference position, velocity and thrust acceleration at times ``t_s``.

        Parameters
        ----------
        t_s : float or ndarray, shape (M,)
            Times (s since the start); clipped to ``[0, tf_s]``.

        Returns
        -------
        r_lf, v_lf, accel_thrust_lf : ndarray, shape (M, 3)
            Position (m), velocity (m/s), thrust acceleration (m/s^2) in the problem frame,
            exact for the first-order-hold thrust of the discretisation.
        """
        if not self.ok:
            raise ValueError(f"no trajectory to sample (status {self.status})")
        t = np.clip(np.atleast_1d(np.asarray(t_s, dtype=np.float64)), self.t_s[0], self.t_s[-1])
        k = np.clip(np.searchsorted(self.t_s, t, side="right") - 1, 0, self.t_s.size - 2)
        h = self.t_s[k + 1] - self.t_s[k]
        tau = (t - self.t_s[k])[:, None]
        u0 = self.accel_thrust_lf[k]
        du = (self.accel_thrust_lf[k + 1] - u0) / h[:, None]
        acc = u0 + du * tau
        g = self.g_lf[None, :]
        v = self.v_lf[k] + (u0 + g) * tau + 0.5 * du * tau**2
        r = self.r_lf[k] + self.v_lf[k] * tau + 0.5 * (u0 + g) * tau**2 + du * tau**3 / 6.0
        return r, v, acc
