"""Engine faults in the truth vehicle, against physics.

- A shut-down engine leaves the lander in free fall: along the vertical in
  inverse-square gravity, ``v^2 / 2 - GM / r`` is conserved, and the height
  follows ``h0 + v0 t - g t^2 / 2`` to the gravity gradient's share
  (Newton; ``g`` changes by ``2 h / R`` over a fall of ``h``).
- A thrust loss to a fraction ``f`` scales the thrust acceleration by ``f``
  (Newton's second law: the acceleration less gravity is ``f T / m``), and a
  thrust line moved by ``d`` adds the torque ``d x T`` (the moment of a force).
- The flight software is not told: its parameters are those of the healthy
  vehicle, whatever the fault.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from surefoot.config.loader import load_scenario
from surefoot.config.schema import MoonConfig, VehicleConfig
from surefoot.sim.output import run_summary
from surefoot.sim.runner import simulate, terrain_for
from surefoot.sim.setup import batch_arrays
from surefoot.sim.telemetry import TEL_R_ENU, TEL_T, TEL_THRUST, TEL_V_ENU
from surefoot.world.moon import moon_params
from surefoot.world.vehicle import (
    C_THRUST,
    N_CMD,
    N_STATE,
    P_EF_ACTIVE,
    P_EVENTS_ARMED,
    S_MPROP,
    S_Q,
    S_R,
    S_THRUST,
    S_V,
    S_W,
    derivative,
    mass_properties,
    vehicle_events,
    vehicle_params,
)

MOON = MoonConfig(j2=0.0, rotation_rate_rad_s=0.0)


def _hover_state(thrust_n: float) -> np.ndarray:
    x = np.zeros(N_STATE)
    x[S_R] = MOON.radius_m + 1000.0
    x[S_Q] = 1.0
    x[S_MPROP] = 300.0
    x[S_THRUST] = thrust_n
    return x


def _derivative(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    cmd = np.zeros(N_CMD)
    cmd[C_THRUST] = x[S_THRUST]
    out = np.zeros(N_STATE)
    derivative(x, cmd, p, moon_params(MOON), out)
    return out


def _faulted(fault: dict, altitude_m: float = 10.0, t: float = 1.0) -> np.ndarray:
    """A vehicle row with ``fault``, after the kernel's event update at ``t``, ``altitude_m``."""
    cfg = VehicleConfig.model_validate({"engine": {"faults": [fault]}})
    p = vehicle_params(cfg)
    vehicle_events(p, _hover_state(0.0), t, altitude_m)
    return p


def test_no_fault_leaves_the_event_block_off() -> None:
    p = vehicle_params(VehicleConfig())
    assert p[P_EVENTS_ARMED] == 0.0 and p[P_EF_ACTIVE] == 0.0


@pytest.mark.parametrize("fraction", [0.0, 0.55, 1.0, 1.3])
def test_thrust_scale_scales_the_thrust_acceleration(fraction: float) -> None:
    """Acceleration less gravity is ``f T / m`` (Newton's second law), the flow unchanged."""
    thrust = 1200.0
    healthy = vehicle_params(VehicleConfig())
    faulty = _faulted(
        {"kind": "thrust_scale", "start_altitude_m": 50.0, "thrust_fraction": fraction}
    )
    assert faulty[P_EF_ACTIVE] == 1.0
    x = _hover_state(thrust)
    d0 = _derivative(healthy, x)
    d1 = _derivative(faulty, x)
    m, _, _ = mass_properties(x[S_MPROP], healthy)
    g = -MOON.gm_m3_s2 / x[S_R] ** 2
    # body z along MCI x (identity attitude, thrust along +z_body -> MCI z)
    a_thrust_0 = d0[S_V + 2]
    a_thrust_1 = d1[S_V + 2]
    assert a_thrust_0 == pytest.approx(thrust / m, rel=1e-12)
    assert a_thrust_1 == pytest.approx(fraction * thrust / m, rel=1e-12, abs=1e-12)
    assert d1[S_V] == pytest.approx(g, rel=1e-12)
    assert d1[S_MPROP] == d0[S_MPROP]  # the propellant flow follows the throttle


def test_thrust_line_offset_adds_offset_cross_thrust() -> None:
    """The torque of a force through a point moved by ``d``: ``d x F`` (body frame)."""
    thrust = 1000.0
    fraction = 0.55
    offset = np.array([0.3, -0.1, 0.05])
    healthy = vehicle_params(VehicleConfig())
    faulty = _faulted(
        {
            "kind": "thrust_scale",
            "start_time_s": 0.5,
            "thrust_fraction": fraction,
            "thrust_offset_body_m": offset.tolist(),
        }
    )
    x = _hover_state(thrust)
    d0 = _derivative(healthy, x)
    d1 = _derivative(faulty, x)
    _, _, inertia = mass_properties(x[S_MPROP], faulty)
    torque_0 = inertia * d0[S_W : S_W + 3]
    torque_1 = inertia * d1[S_W : S_W + 3]
    f_body = np.array([0.0, 0.0, fraction * thrust])
    # the healthy engine's line (through the CoM axis) gives no torque; the scaled thrust
    # on the healthy line gives fraction x that; the offset adds d x F
    np.testing.assert_allclose(torque_1 - fraction * torque_0, np.cross(offset, f_body), atol=1e-9)


def test_shutdown_cuts_thrust_and_flow() -> None:
    p = _faulted({"kind": "shutdown", "start_altitude_m": 14_000.0}, altitude_m=13_999.0)
    d = _derivative(p, _hover_state(1500.0))
    assert d[S_V + 2] == 0.0 and d[S_MPROP] == 0.0
    assert np.all(d[S_W : S_W + 3] == 0.0)


def test_a_fault_starts_at_its_trigger_and_ends_after_its_duration() -> None:
    cfg = VehicleConfig.model_validate(
        {"engine": {"faults": [{"kind": "shutdown", "start_time_s": 10.0, "duration_s": 5.0}]}}
    )
    p = vehicle_params(cfg)
    x = _hover_state(0.0)
    active = []
    for t in (9.9, 10.0, 12.0, 14.99, 15.0, 20.0):
        vehicle_events(p, x, t, 1e4)
        active.append(p[P_EF_ACTIVE])
    assert active == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]


def test_an_altitude_fault_holds_when_the_lander_climbs_back() -> None:
    p = _faulted(
        {"kind": "thrust_scale", "start_altitude_m": 50.0, "thrust_fraction": 0.5}, altitude_m=49.0
    )
    vehicle_events(p, _hover_state(0.0), 2.0, 80.0)
    assert p[P_EF_ACTIVE] == 1.0


def _fall_scenario(extra: list[str]):  # noqa: ANN202
    return load_scenario(
        "default",
        [
            "moon.j2=0.0",
            "moon.rotation_rate_rad_s=0.0",
            "initial.uprange_km=0.0",
            "initial.speed_m_s=0.0",
            "initial.altitude_m=2000.0",
            "sim.max_time_s=60.0",
            *extra,
        ],
    )


def test_shutdown_in_flight_is_free_fall() -> None:
    """Flown through the kernel: from the first row after the cut the lander falls
    freely. Vertical fall in point-mass gravity conserves ``v^2 / 2 - GM / r``
    (to 1e-9 of GM / r); the height follows ``h0 + v0 t - g t^2 / 2`` with
    ``g = GM / r0^2`` to the gradient term ``g t^2 h / R`` at most."""
    s = _fall_scenario(["vehicle.engine.faults=[{kind: shutdown, start_time_s: 0.0}]"])
    r = simulate(s)
    tel = r.telemetry[0]
    thrust = tel[:, TEL_THRUST]
    assert np.all(thrust[1:] == 0.0)  # the cut acts from the first step on
    t = tel[1:, TEL_T]
    h = tel[1:, TEL_R_ENU + 2]
    vz = tel[1:, TEL_V_ENU + 2]
    radius = r.terrain.radius_ref_m
    gm = s.moon.gm_m3_s2
    rr = radius + h
    energy = 0.5 * vz**2 - gm / rr
    assert np.max(np.abs(energy - energy[0])) < 1e-9 * gm / rr[0]
    g0 = gm / rr[0] ** 2
    dt = t - t[0]
    h_analytic = h[0] + vz[0] * dt - 0.5 * g0 * dt**2
    bound = g0 * dt**2 * (h[0] - h) / radius + 1e-6
    assert np.all(np.abs(h - h_analytic) <= bound)
    assert r.summary(0)["outcome"] == "crashed"
    assert r.summary(0)["engine_fault_first_s"] == pytest.approx(s.sim.dt_s)


def test_flight_software_is_not_told() -> None:
    """The fault is truth: the flight software's parameter rows are those of the healthy
    vehicle (DESIGN.md, the rule by value)."""
    healthy = load_scenario("default")
    faulty = load_scenario(
        "default",
        [
            "vehicle.engine.faults=[{kind: thrust_scale, start_altitude_m: 50.0, "
            "thrust_fraction: 0.55, thrust_offset_body_m: [0.2, 0.0, 0.0]}]"
        ],
    )
    terrain = terrain_for(healthy)
    b0 = batch_arrays([healthy], terrain)
    b1 = batch_arrays([faulty], terrain)
    assert healthy.fsw == faulty.fsw
    np.testing.assert_array_equal(b0.fp, b1.fp)
    np.testing.assert_array_equal(b0.kp, b1.kp)


def test_a_fault_that_never_starts_changes_nothing() -> None:
    """Armed but never due: the flight is bit for bit the flight without it."""
    base = load_scenario("default")
    armed = load_scenario(
        "default", ["vehicle.engine.faults=[{kind: shutdown, start_time_s: 19000.0}]"]
    )
    t0 = simulate(base).telemetry[0]
    r1 = simulate(armed)
    np.testing.assert_array_equal(t0, r1.telemetry[0])
    # a fault that never started has no start time, and summary.json stays plain JSON
    summary = run_summary(r1, 0)
    assert summary["engine_faults"] == [{"kind": "shutdown", "started_at_s": None}]
    finite = {k: v for k, v in summary.items() if not (isinstance(v, float) and math.isnan(v))}
    json.dumps(finite, allow_nan=False)  # summary.json writes top-level NaN as null


def test_thrust_loss_in_flight_drops_the_thrust_to_the_fraction() -> None:
    """Below the trigger altitude the delivered thrust is the fraction of the throttle."""
    s = load_scenario(
        "default",
        [
            "vehicle.engine.faults=[{kind: thrust_scale, start_altitude_m: 60.0, "
            "thrust_fraction: 0.55}]"
        ],
    )
    r = simulate(s)
    summ = r.summary(0)
    assert math.isfinite(summ["engine_fault_first_s"])
    tel = r.telemetry[0]
    after = tel[:, TEL_T] > summ["engine_fault_first_s"] + 0.5
    assert np.all(tel[after, TEL_THRUST] <= 0.55 * s.vehicle.engine.max_thrust_n + 1e-9)


def test_the_accelerometers_feel_the_delivered_thrust() -> None:
    """The IMU's true specific force is the delivered thrust over the mass: the flight
    software learns of a thrust loss only through it."""
    from surefoot.sensors.imu import imu_truth_inputs

    healthy = vehicle_params(VehicleConfig())
    faulty = _faulted({"kind": "thrust_scale", "start_altitude_m": 50.0, "thrust_fraction": 0.55})
    x = _hover_state(1000.0)
    f0, _ = imu_truth_inputs(x, healthy)
    f1, _ = imu_truth_inputs(x, faulty)
    np.testing.assert_allclose(f1, 0.55 * f0, rtol=1e-12)
    cut = _faulted({"kind": "shutdown", "start_time_s": 0.0})
    f2, _ = imu_truth_inputs(x, cut)
    assert np.all(f2 == 0.0)
