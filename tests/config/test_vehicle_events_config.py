"""Engine-fault and rover settings: values inside the declared ranges load, values outside
are refused with one line naming the field (hypothesis picks both)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from surefoot.config.base import MIN_MAGNITUDE
from surefoot.config.loader import ConfigError, load_scenario

FAULT = "vehicle.engine.faults"


def _fault(**fields: object) -> str:
    body = ", ".join(
        f"{k}: {v!r}" if not isinstance(v, str) else f"{k}: {v}" for k, v in fields.items()
    )
    return f"{FAULT}=[{{{body}}}]"


def _inside(value: float, lo: float, hi: float, lo_open: bool = False) -> bool:
    return (
        math.isfinite(value)
        and (value > lo if lo_open else value >= lo)
        and value <= hi
        and (value == 0.0 or abs(value) >= MIN_MAGNITUDE)
    )


def _refused(overrides: list[str], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_scenario("default", overrides)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(field), msg


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_thrust_fraction(value: float) -> None:
    o = [_fault(kind="thrust_scale", start_altitude_m=50.0, thrust_fraction=value)]
    if _inside(value, 0.0, 2.0):
        s = load_scenario("default", o)
        assert s.vehicle.engine.faults[0].thrust_fraction == value
    else:
        _refused(o, f"{FAULT}.0.thrust_fraction:")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["start_time_s", "start_altitude_m"]), st.floats(width=64))
def test_start(field: str, value: float) -> None:
    hi = 20_000.0 if field == "start_time_s" else 200_000.0
    if math.isnan(value) or math.isinf(value):
        o = [
            f"{FAULT}=[{{kind: shutdown, {field}: .nan}}]"
            if math.isnan(value)
            else f"{FAULT}=[{{kind: shutdown, {field}: {'.inf' if value > 0 else '-.inf'}}}]"
        ]
    else:
        o = [_fault(kind="shutdown", **{field: value})]
    if _inside(value, 0.0, hi):
        assert getattr(load_scenario("default", o).vehicle.engine.faults[0], field) == value
    else:
        _refused(o, f"{FAULT}.0.{field}:")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2), st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_thrust_offset(k: int, value: float) -> None:
    offset = [0.0, 0.0, 0.0]
    offset[k] = value
    o = [
        _fault(
            kind="thrust_scale", start_time_s=1.0, thrust_fraction=0.5, thrust_offset_body_m=offset
        )
    ]
    if _inside(value, -10.0, 10.0):
        assert load_scenario("default", o).vehicle.engine.faults[0].thrust_offset_body_m[k] == value
    else:
        _refused(o, f"{FAULT}.0.thrust_offset_body_m")


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ("{kind: shutdown}", f"{FAULT}.0:"),
        ("{kind: shutdown, start_time_s: 1.0, start_altitude_m: 5.0}", f"{FAULT}.0:"),
        ("{kind: thrust_scale, start_time_s: 1.0}", f"{FAULT}.0:"),
        ("{kind: shutdown, start_time_s: 1.0, thrust_fraction: 0.5}", f"{FAULT}.0:"),
        ("{kind: shutdown, start_time_s: 1.0, thrust_offset_body_m: [0.1, 0, 0]}", f"{FAULT}.0:"),
        ("{kind: explode, start_time_s: 1.0}", f"{FAULT}.0.kind:"),
        ("{kind: shutdown, start_time_s: 1.0, duration_s: 0.0}", f"{FAULT}.0.duration_s:"),
        ("{kind: shutdown, start_time_s: 1.0, thrust_n: 3}", f"{FAULT}.0.thrust_n:"),
    ],
)
def test_inconsistent_faults_are_one_line(fault: str, field: str) -> None:
    _refused([f"{FAULT}=[{fault}]"], field)


def test_at_most_four_faults() -> None:
    one = "{kind: shutdown, start_time_s: 1.0}"
    _refused([f"{FAULT}=[{', '.join([one] * 5)}]"], f"{FAULT}:")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["mass_kg", "release_altitude_m", "max_impact_speed_m_s"]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
@example("mass_kg", 340.0)  # the whole dry mass
def test_rover(field: str, value: float) -> None:
    rover = {"mass_kg": 2.0, "release_altitude_m": 5.0, "max_impact_speed_m_s": 5.0}
    rover[field] = value
    body = ", ".join(f"{k}: {v!r}" for k, v in rover.items())
    o = [f"vehicle.rover={{{body}}}"]
    hi = {"mass_kg": 340.0, "release_altitude_m": 10_000.0, "max_impact_speed_m_s": 1000.0}[field]
    ok = _inside(value, 0.0, hi, lo_open=True) and not (field == "mass_kg" and value >= 340.0)
    if ok:
        assert getattr(load_scenario("default", o).vehicle.rover, field) == value
    elif field == "mass_kg" and 340.0 <= value <= 1e5:
        # inside its own range but not below the dry mass: a check across two fields,
        # reported on the vehicle section and naming the rover's field
        _refused(o, "vehicle: ")
        with pytest.raises(ConfigError, match=r"rover\.mass_kg: must be below dry_mass_kg"):
            load_scenario("default", o)
    else:
        _refused(o, f"vehicle.rover.{field}:")
