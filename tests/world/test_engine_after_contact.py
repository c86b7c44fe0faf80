"""The engine after first contact (``vehicle.engine.cutoff_after_contact_s``): the
post-contact stage holds the thrust and the attitude thrusters' torque acting at
contact for the cut-off time.

Checked against physics: in free flight a held force gives the constant
acceleration ``F/m - g`` and does the work ``F dz`` (Newton), a held torque about a
principal axis spins the body up at ``tau / I`` and puts ``(tau t)^2 / (2 I)`` into
it; through a touchdown the energy balance closes with the engine's work added
(initial energy + work = absorbed + elastic + final, to 1 %); the held force and
torque are those the flight dynamics apply (``surefoot.world.vehicle.derivative``);
a zero cut-off is the stage without actuators, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config.schema import MoonConfig, VehicleConfig
from surefoot.world.contact import footpad_positions_body
from surefoot.world.landing_gear import (
    A_FORCE,
    A_TORQUE,
    GEAR_UNSETTLED,
    N_ACT,
    N_OUT,
    O_E0_J,
    O_E_CRUSH_J,
    O_E_DAMP_J,
    O_E_ELASTIC_J,
    O_E_ENGINE_J,
    O_E_FRIC_J,
    O_E_KIN_J,
    O_E_POT_J,
    O_OUTCOME,
    O_T_END_S,
    Y_P,
    Y_V,
    Y_W,
    gear_params,
    seat_on_ground,
    settle,
    settle_with_actuators,
)
from surefoot.world.moon import gravity_mci, moon_params
from surefoot.world.touchdown_from_truth import actuators_at_contact
from surefoot.world.vehicle import (
    N_CMD,
    N_STATE,
    P_EF_ACTIVE,
    P_EF_FRACTION,
    P_EF_OFFSET,
    S_MPROP,
    S_Q,
    S_R,
    S_THRUST,
    S_TORQUE,
    S_V,
    S_W,
    derivative,
    mass_properties,
    vehicle_params,
)

from .gear_cases import G_MOON, INERTIA, LEGS, MASS_KG, plane, state


def _stage(
    y0: np.ndarray, act: np.ndarray, until_s: float, max_time_s: float, seat: bool
) -> tuple[np.ndarray, np.ndarray]:
    terrain = plane()
    f = footpad_positions_body(LEGS)
    y = y0.copy()
    if seat:
        seat_on_ground(y, f, terrain.meta, terrain.offsets, terrain.heights)
    out = np.zeros(N_OUT)
    yf = settle_with_actuators(
        y,
        MASS_KG,
        INERTIA,
        f,
        gear_params(LEGS, LEGS.height_m),
        G_MOON,
        terrain.meta,
        terrain.offsets,
        terrain.heights,
        max_time_s,
        out,
        act,
        until_s,
    )
    return out, yf


def _act(force_z: float = 0.0, torque_y: float = 0.0) -> np.ndarray:
    a = np.zeros(N_ACT)
    a[A_FORCE + 2] = force_z
    a[A_TORQUE + 1] = torque_y
    return a


@pytest.mark.parametrize("thrust_to_weight", [0.5, 1.5])
def test_held_thrust_in_free_flight_is_newtons_constant_acceleration(
    thrust_to_weight: float,
) -> None:
    """10 m up (no contact), upright: thrust F along +z for 0.3 s, then coasting."""
    force = thrust_to_weight * MASS_KG * G_MOON
    cut = 0.3
    out, y = _stage(state(), _act(force_z=force), cut, 0.5, seat=False)
    assert out[O_OUTCOME] == GEAR_UNSETTLED  # never touched
    t = out[O_T_END_S]
    a = force / MASS_KG - G_MOON
    # the step that holds the cut integrates part of it: one step (<= 1 ms) of thrust
    assert y[Y_V + 2] == pytest.approx(force / MASS_KG * cut - G_MOON * t, abs=2e-3)
    z = 10.0 + 0.5 * a * cut**2 + a * cut * (t - cut) - 0.5 * G_MOON * (t - cut) ** 2
    assert y[Y_P + 2] == pytest.approx(z, abs=2e-4)
    # the work of the thrust is F times the rise while it acts
    assert out[O_E_ENGINE_J] == pytest.approx(force * 0.5 * a * cut**2, rel=1e-2)
    # no contact, nothing absorbed: initial + work = final kinetic + potential (the
    # step holding the cut integrates the work and the motion alike only to O(dt))
    assert out[O_E0_J] + out[O_E_ENGINE_J] == pytest.approx(
        out[O_E_KIN_J] + out[O_E_POT_J], abs=1e-3
    )


def test_held_torque_spins_the_body_up_about_a_principal_axis() -> None:
    """A torque about body y (a principal axis) for 0.3 s: omega = tau t / I, and the
    work is the rotational energy (tau t)^2 / (2 I)."""
    tau = 120.0
    cut = 0.3
    out, y = _stage(state(), _act(torque_y=tau), cut, 0.5, seat=False)
    omega = tau * cut / INERTIA[1]
    assert y[Y_W + 1] == pytest.approx(omega, rel=5e-3)
    assert abs(y[Y_W]) < 1e-12 and abs(y[Y_W + 2]) < 1e-12
    assert out[O_E_ENGINE_J] == pytest.approx(0.5 * INERTIA[1] * omega**2, rel=1e-2)


@pytest.mark.parametrize(("v_m_s", "cut_s"), [(1.5, 0.2), (3.0, 0.5), (3.0, 2.0)])
def test_energy_balance_with_the_engine_held_through_touchdown(v_m_s: float, cut_s: float) -> None:
    """Drop at ``v_m_s`` with 0.8 of the weight in thrust and a pitching torque held for
    ``cut_s``: the lander takes the work of the engine and torque (O_E_ENGINE_J) on
    top of its initial energy; that sum is what the legs absorb plus what is left."""
    act = _act(force_z=0.8 * MASS_KG * G_MOON, torque_y=40.0)
    out, _ = _stage(state(v=(0.5, 0.0, -v_m_s)), act, cut_s, 20.0, seat=True)
    absorbed = out[O_E_CRUSH_J] + out[O_E_DAMP_J] + out[O_E_FRIC_J]
    final = out[O_E_ELASTIC_J] + out[O_E_KIN_J] + out[O_E_POT_J]
    assert out[O_E_ENGINE_J] != 0.0
    assert abs(out[O_E0_J] + out[O_E_ENGINE_J] - absorbed - final) < 0.01 * out[O_E0_J]


def test_a_zero_cutoff_is_the_stage_without_actuators() -> None:
    """``settle`` (engine off at contact) and a held thrust cut at 0 s are the same
    flight, bit for bit."""
    y0 = state(tilt_axis=np.array([0.0, 1.0, 0.0]), tilt_deg=10.0, v=(1.0, 0.0, -2.0))
    terrain = plane(5.0)
    f = footpad_positions_body(LEGS)
    seat_on_ground(y0, f, terrain.meta, terrain.offsets, terrain.heights)
    gp = gear_params(LEGS, LEGS.height_m)
    args = (y0, MASS_KG, INERTIA, f, gp, G_MOON, terrain.meta, terrain.offsets, terrain.heights)
    a, b = np.zeros(N_OUT), np.zeros(N_OUT)
    ya = settle(*args, 30.0, a)
    yb = settle_with_actuators(*args, 30.0, b, _act(800.0, 50.0), 0.0)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert b[O_E_ENGINE_J] == 0.0


@pytest.mark.parametrize("fault", [False, True])
def test_the_held_actuators_are_the_flight_dynamics_force_and_torque(fault: bool) -> None:
    """The force and torque held after contact are those the flight dynamics apply at
    contact: ``m (dv/dt - g)`` and, at zero body rate, ``I dw/dt`` (body = MCI here);
    with a thrust fault (55 %, the line 0.2 m off axis) as the ``slim`` replay has."""
    p = vehicle_params(VehicleConfig())
    if fault:
        p[P_EF_ACTIVE] = 1.0
        p[P_EF_FRACTION] = 0.55
        p[P_EF_OFFSET : P_EF_OFFSET + 3] = (-0.2, 0.05, 0.0)
    x = np.zeros(N_STATE)
    x[S_R] = 1_737_400.0 + 2.0
    x[S_Q] = 1.0
    x[S_MPROP] = 120.0
    x[S_THRUST] = 900.0
    x[S_TORQUE : S_TORQUE + 3] = (3.0, -40.0, 1.5)
    moon = moon_params(MoonConfig())
    d = np.zeros(N_STATE)
    derivative(x, np.zeros(N_CMD), p, moon, d)
    m, com, inertia = mass_properties(x[S_MPROP], p)
    act = actuators_at_contact(x, p, com)
    force = m * (d[S_V : S_V + 3] - gravity_mci(x[S_R : S_R + 3], moon))
    assert act[A_FORCE : A_FORCE + 3] == pytest.approx(force, abs=1e-6)
    assert act[A_TORQUE : A_TORQUE + 3] == pytest.approx(inertia * d[S_W : S_W + 3], abs=1e-6)
    assert act[A_FORCE + 2] == pytest.approx(900.0 * (0.55 if fault else 1.0), rel=1e-3)
