"""Hostile numbers in a scenario: one clear line or a finite flight, never NaN flown.

Hypothesis picks a numeric field of the scenario schema (every float field and
every element of a float vector) and a hostile value for it (NaN, +-inf,
1e308, 1e-300, negative, zero, and arbitrary floats) given as ``--set``.
Loading must either refuse it with one line naming the field, or accept a
value that is finite and inside the field's declared range; an accepted
scenario must set up without raising and with finite arrays, and (for the
fields that shape the flight) fly a short segment with finite truth.
"""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from surefoot.config.base import MAX_MAGNITUDE
from surefoot.config.fields import _unwrap_optional, numeric_field
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.config.schema import Scenario


def _float_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, info in model.model_fields.items():
        if name == "dispersions":
            continue
        tp, _ = _unwrap_optional(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            out += _float_paths(tp, f"{prefix}{name}.")
        elif tp is float:
            out.append(prefix + name)
        elif typing.get_origin(tp) is tuple:
            args = typing.get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                continue  # lists of sub-models (faults, looks): covered by their own tests
            for k, a in enumerate(args):
                if typing.get_origin(a) is typing.Annotated:
                    a = typing.get_args(a)[0]
                if a is float:
                    out.append(f"{prefix}{name}.{k}")
    return out


FLOAT_PATHS = _float_paths(Scenario)

# fields that shape the truth flight and the flight software's model of it
FLIGHT_PATHS = [
    p for p in FLOAT_PATHS
    if p.split(".")[0] in ("moon", "vehicle", "initial", "sim")
    or p.startswith(("fsw.moon.", "fsw.target_height_m", "sensors.ideal_nav.", "fsw.control."))
]

HOSTILE = st.one_of(
    st.sampled_from([
        math.nan, math.inf, -math.inf, 1e308, -1e308, 1e300, 1e-300, -1e-300, 0.0, -0.0,
        -1.0, 1e15, 2e15, -1e15, 1e-9, 5e-324,
    ]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _yaml_float(v: float) -> str:
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    return repr(v)


def _set_element(path: str, value: float) -> list[str]:
    """``--set`` text for a field or a vector element (the whole vector is given)."""
    head, _, last = path.rpartition(".")
    if last.isdigit():
        nominal = Scenario().model_dump()
        node = nominal
        for p in head.split("."):
            node = node[p]
        vec = [_yaml_float(x) for x in node]
        vec[int(last)] = _yaml_float(value)
        return [f"{head}=[{', '.join(vec)}]"]
    return [f"{path}={_yaml_float(value)}"]


def _value_at(s: Scenario, path: str) -> float | None:
    node: typing.Any = s
    for p in path.split("."):
        node = node[int(p)] if p.isdigit() else getattr(node, p)
    return node


def _load_or_reason(path: str, value: float) -> tuple[Scenario | None, str]:
    try:
        return load_scenario("default", _set_element(path, value)), ""
    except ConfigError as exc:
        return None, str(exc)


def _check_refusal(path: str, msg: str) -> None:
    assert "\n" not in msg and msg.strip() == msg and msg, repr(msg)
    names = [p for p in path.split(".") if not p.isdigit()]
    assert any(n in msg for n in names), f"{path}: message does not name the field: {msg}"


def _check_accepted(s: Scenario, path: str) -> None:
    v = _value_at(s, path)
    if v is None:
        return
    assert math.isfinite(v) and abs(v) <= MAX_MAGNITUDE, (path, v)
    assert bool(numeric_field(path).contains(v)), (path, v)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FLOAT_PATHS), value=HOSTILE)
def test_hostile_number_is_refused_in_one_line_or_set_up_finite(path: str, value: float) -> None:
    from surefoot.sim.setup import initial_state

    s, msg = _load_or_reason(path, value)
    if s is None:
        _check_refusal(path, msg)
        event("refused in one line")
        return
    event("accepted")
    _check_accepted(s, path)
    x0 = initial_state(s, 0.0 if s.fsw.target_height_m is None else s.fsw.target_height_m)
    assert np.all(np.isfinite(x0)), (path, value)


def test_every_float_field_is_reached() -> None:
    # the walk above must see the whole schema (a renamed section would silently shrink it)
    assert len(FLOAT_PATHS) > 300
    for p in ("vehicle.dry_mass_kg", "vehicle.inertia_dry_kg_m2.2", "moon.gm_m3_s2",
              "fsw.target_height_m", "sensors.ideal_nav.position_noise_m", "sim.dt_s",
              "sensors.star_tracker.boresight_body.0"):
        assert p in FLOAT_PATHS


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("vehicle.dry_mass_kg=.inf", "vehicle.dry_mass_kg"),
        ("vehicle.dry_mass_kg=1e308", "vehicle.dry_mass_kg"),
        ("moon.gm_m3_s2=.nan", "moon.gm_m3_s2"),
        ("vehicle.inertia_dry_kg_m2=[300, .nan, 350]", "vehicle.inertia_dry_kg_m2.1"),
        ("vehicle.inertia_dry_kg_m2=[0, 0, 0]", "vehicle.inertia_dry_kg_m2.0"),
        ("vehicle.com_dry_body_m=[0, 0, .inf]", "vehicle.com_dry_body_m.2"),
        ("vehicle.engine.misalignment_deg=[.nan, 0]", "vehicle.engine.misalignment_deg.0"),
        ("vehicle.engine.position_body_m=[1e300, 0, 0]", "vehicle.engine.position_body_m.0"),
        ("initial.body_rate_deg_s=[0, 0, .inf]", "initial.body_rate_deg_s.2"),
        ("fsw.target_height_m=.nan", "fsw.target_height_m"),
        ("sensors.ideal_nav.position_noise_m=.inf", "sensors.ideal_nav.position_noise_m"),
        ("sensors.ideal_nav.velocity_noise_m_s=1e14", "sensors.ideal_nav.velocity_noise_m_s"),
        ("sensors.star_tracker.boresight_body=[1e308, 0, 0]", "boresight_body"),
        ("sim.dt_s=1e-300", "sim.dt_s"),
        ("sim.dt_s=.nan", "sim.dt_s"),
        ("sim.telemetry_rate_hz=1e-300", "sim.telemetry_rate_hz"),
        # absurd but finite (a CLI fuzz, 2026-12-06): each flew or passed --check before
        ("sensors.imu.accelerometer.bias_m_s2=[1e14, 0, 0]", "accelerometer.bias_m_s2.0"),
        ("sensors.imu.gyro.bias_deg_h=[0, 1e14, 0]", "gyro.bias_deg_h.1"),
        ("sensors.imu.accelerometer.scale_factor_ppm=[-1e14, 0, 0]", "scale_factor_ppm.0"),
        ("sensors.imu.gyro.misalignment_mrad=[0, 0, 1e14]", "gyro.misalignment_mrad.2"),
        ("fsw.nav.map.resolution_m=1e-20", "fsw.nav.map.resolution_m"),
        ("fsw.nav.map.height_bias_m=1e14", "fsw.nav.map.height_bias_m"),
        ("fsw.hda.distance_scale_m=1e-25", "fsw.hda.distance_scale_m"),
        ("sensors.doppler_lidar.max_los_speed_m_s=1e-29", "max_los_speed_m_s"),
        ("terrain.craters.max_diameter_m=1e14", "terrain.craters.max_diameter_m"),
        ("terrain.dem_pixel_m=1e-20", "terrain.dem_pixel_m"),
        ("vehicle.inertia_dry_kg_m2=[1e-3, 1e9, 1e-3]", "inertia_dry_kg_m2"),
    ],
)
def test_regressions_of_issue_15(override: str, needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_scenario("default", [override])
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_coarse_step_against_actuator_lag_is_refused() -> None:
    # dt 1 s with 1 Hz rates passed the schema and flew NaN (RK4 on a 0.1 s engine lag)
    with pytest.raises(ConfigError, match="sim.dt_s"):
        load_scenario("default", ["sim.dt_s=1.0", "fsw.guidance.rate_hz=1",
                                  "fsw.control.rate_hz=1", "sensors.imu.rate_hz=1"])


def test_imu_rate_is_checked_with_ideal_navigation() -> None:
    # was a ValueError out of the IMU set-up, after the schema had accepted it
    with pytest.raises(ConfigError, match="sensors.imu.rate_hz"):
        load_scenario("default", ["sim.dt_s=0.001", "sensors.imu.rate_hz=100"])


_TRUTH = ("r_east", "r_north", "r_up", "v_east", "v_north", "v_up", "q_body_to_enu_w",
          "omega_body_x", "mass", "propellant", "thrust")


def _fly_short(s: Scenario, seconds: float) -> None:
    from surefoot.sim.runner import simulate
    from surefoot.sim.telemetry import INDEX

    s = s.model_copy(update={"sim": s.sim.model_copy(update={"max_time_s": seconds})})
    r = simulate(s)
    if r.telemetry is not None:
        tel = r.telemetry[0]
        cols = [INDEX[c] for c in _TRUTH]
        assert np.all(np.isfinite(tel[:, cols])), "truth went non-finite"
    summary = r.summary(0)
    for k in ("touchdown_mass_kg", "propellant_used_kg", "flight_time_s"):
        assert math.isfinite(summary[k]), k


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FLIGHT_PATHS), value=HOSTILE)
def test_accepted_hostile_number_flies_finite(path: str, value: float) -> None:
    s, msg = _load_or_reason(path, value)
    if s is None:
        _check_refusal(path, msg)
        event("refused in one line")
        return
    event("accepted")
    _fly_short(s, 20.0)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FLIGHT_PATHS), value=HOSTILE)
def test_accepted_hostile_number_lands_finite_slow(path: str, value: float) -> None:
    s, msg = _load_or_reason(path, value)
    if s is None:
        _check_refusal(path, msg)
        event("refused in one line")
        return
    event("accepted")
    _fly_short(s, s.sim.max_time_s)
