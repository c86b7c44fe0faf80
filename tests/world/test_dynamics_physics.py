"""Physics checks of the truth dynamics against conservation laws and analytic results."""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config.schema import MoonConfig, VehicleConfig
from surefoot.math.quaternion import quat_rotate
from surefoot.world.moon import G0_M_S2, gravity_potential, moon_params
from surefoot.world.vehicle import (
    C_THRUST,
    N_CMD,
    N_STATE,
    P_I_DRY,
    S_MPROP,
    S_Q,
    S_R,
    S_THRUST,
    S_V,
    S_W,
    mass_properties,
    propagate,
    vehicle_params,
)

MOON = MoonConfig()


def _state(r, v, m_prop=100.0, q=(1.0, 0.0, 0.0, 0.0), w=(0.0, 0.0, 0.0)) -> np.ndarray:
    x = np.zeros((1, N_STATE))
    x[0, S_R : S_R + 3] = r
    x[0, S_V : S_V + 3] = v
    x[0, S_Q : S_Q + 4] = q
    x[0, S_W : S_W + 3] = w
    x[0, S_MPROP] = m_prop
    return x


def _vehicle(**kw) -> np.ndarray:
    return vehicle_params(VehicleConfig(**kw))[None, :]


@pytest.mark.parametrize("j2", [0.0, MOON.j2])
def test_kepler_orbit_conserves_energy_and_angular_momentum(j2: float) -> None:
    """Unpowered 100 km x 15 km orbit over one revolution (Vallado, ch. 2): specific
    energy (with the J2 potential when on) and the z angular momentum drift < 1e-9
    relative; the point-mass orbit closes on itself."""
    moon = moon_params(MoonConfig(j2=j2))
    mu = MOON.gm_m3_s2
    rp = MOON.radius_m + 15e3
    ra = MOON.radius_m + 100e3
    a = 0.5 * (rp + ra)
    vp = np.sqrt(mu * (2 / rp - 1 / a))
    incl = np.radians(30.0)
    x = _state([rp, 0, 0], [0, vp * np.cos(incl), vp * np.sin(incl)])
    period = 2 * np.pi * np.sqrt(a**3 / mu)
    dt = period / 8000
    cmd = np.zeros((1, N_CMD))
    p = _vehicle()

    def invariants(s: np.ndarray) -> tuple[float, float, float]:
        r, v = s[0, S_R : S_R + 3], s[0, S_V : S_V + 3]
        e = 0.5 * v @ v + gravity_potential(r, moon)
        h = np.cross(r, v)
        return e, h[2], np.linalg.norm(h)

    e0, hz0, h0 = invariants(x)
    x0 = x.copy()
    propagate(x, cmd, p, moon, dt, 8000)
    e1, hz1, h1 = invariants(x)
    assert abs(e1 - e0) / abs(e0) < 1e-9
    assert abs(hz1 - hz0) / abs(hz0) < 1e-9
    if j2 == 0.0:
        assert abs(h1 - h0) / h0 < 1e-9
        closure = np.linalg.norm(x[0, S_R : S_R + 3] - x0[0, S_R : S_R + 3])
        assert closure < 1.0, f"orbit does not close: {closure:.3f} m"


def test_torque_free_tumbling_body_conserves_momentum_and_energy() -> None:
    """Euler's equations without torque (Goldstein, Classical Mechanics, 5.6): inertial
    angular momentum and rotational energy are invariants of an asymmetric tumbler."""
    moon = moon_params(MoonConfig(gm_m3_s2=1e-30, j2=0.0))
    p = _vehicle(inertia_dry_kg_m2=(300.0, 420.0, 610.0), propellant_kg=0.0)
    x = _state([MOON.radius_m + 1e5, 0, 0], [0, 0, 0], m_prop=0.0, w=(0.3, 0.02, -0.25))
    cmd = np.zeros((1, N_CMD))
    inertia = p[0, P_I_DRY : P_I_DRY + 3]

    def invariants(s: np.ndarray) -> tuple[np.ndarray, float]:
        w = s[0, S_W : S_W + 3]
        h_body = inertia * w
        return quat_rotate(s[0, S_Q : S_Q + 4], h_body), 0.5 * float(w @ (inertia * w))

    h0, t0 = invariants(x)
    propagate(x, cmd, p, moon, 0.01, 20_000)  # 200 s, many tumbles
    h1, t1 = invariants(x)
    assert np.linalg.norm(h1 - h0) / np.linalg.norm(h0) < 1e-8
    assert abs(t1 - t0) / t0 < 1e-8


def test_propellant_for_delta_v_matches_rocket_equation() -> None:
    """Tsiolkovsky: dv = Isp g0 ln(m0 / m1) for a constant-thrust burn in free space."""
    moon = moon_params(MoonConfig(gm_m3_s2=1e-30, j2=0.0))
    p = _vehicle(engine={"time_constant_s": 0.0, "max_thrust_n": 1600.0, "isp_s": 300.0},
                 com_propellant_body_m=(0.0, 0.0, 0.0))
    x = _state([MOON.radius_m + 1e6, 0, 0], [0, 0, 0], m_prop=660.0)
    cmd = np.zeros((1, N_CMD))
    cmd[0, C_THRUST] = 1600.0
    m0, _, _ = mass_properties(660.0, p[0])
    propagate(x, cmd, p, moon, 0.05, 4000)  # 200 s burn
    m1, _, _ = mass_properties(x[0, S_MPROP], p[0])
    dv = np.linalg.norm(x[0, S_V : S_V + 3])
    expected = 300.0 * G0_M_S2 * np.log(m0 / m1)
    assert abs(dv - expected) / expected < 1e-9
    # mass flow is thrust / (Isp g0)
    assert abs((m0 - m1) - 1600.0 * 200.0 / (300.0 * G0_M_S2)) < 1e-6
    assert x[0, S_THRUST] == pytest.approx(1600.0)


def test_thrust_stops_when_propellant_runs_out() -> None:
    moon = moon_params(MoonConfig(gm_m3_s2=1e-30, j2=0.0))
    p = _vehicle(engine={"time_constant_s": 0.0})
    x = _state([MOON.radius_m + 1e6, 0, 0], [0, 0, 0], m_prop=5.0)
    cmd = np.zeros((1, N_CMD))
    cmd[0, C_THRUST] = 1600.0
    propagate(x, cmd, p, moon, 0.05, 400)  # 20 s; propellant lasts ~9 s
    v1 = x[0, S_V : S_V + 3].copy()
    propagate(x, cmd, p, moon, 0.05, 100)
    assert x[0, S_MPROP] == 0.0
    np.testing.assert_allclose(x[0, S_V : S_V + 3], v1, atol=1e-12)


def test_free_fall_from_5_km_ends_at_sqrt_2gh() -> None:
    """A drop from 5 km reaches the surface at sqrt(2 g h) within 0.5 % (energy: the
    exact point-mass value is sqrt(2 g h R / (R + h)), 0.14 % lower)."""
    moon = moon_params(MoonConfig(j2=0.0))
    radius = MOON.radius_m
    h = 5000.0
    x = _state([radius + h, 0, 0], [0, 0, 0], m_prop=0.0)
    cmd = np.zeros((1, N_CMD))
    p = _vehicle()
    dt = 0.01
    prev = x.copy()
    while np.linalg.norm(x[0, S_R : S_R + 3]) > radius:
        prev[:] = x
        propagate(x, cmd, p, moon, dt, 1)
    r0 = np.linalg.norm(prev[0, S_R : S_R + 3])
    r1 = np.linalg.norm(x[0, S_R : S_R + 3])
    frac = (r0 - radius) / (r0 - r1)
    v = (1 - frac) * np.linalg.norm(prev[0, S_V : S_V + 3]) + frac * np.linalg.norm(
        x[0, S_V : S_V + 3]
    )
    g = MOON.gm_m3_s2 / radius**2
    assert abs(v - np.sqrt(2 * g * h)) / np.sqrt(2 * g * h) < 0.005
    exact = np.sqrt(2 * MOON.gm_m3_s2 * (1 / radius - 1 / (radius + h)))
    assert abs(v - exact) / exact < 1e-6
