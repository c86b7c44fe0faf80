"""Landing-gear settings: every value inside the declared range loads, every value
outside it is refused with one line naming the field (hypothesis picks both)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from surefoot.config.base import MIN_MAGNITUDE
from surefoot.config.loader import ConfigError, load_scenario

# field: (lowest allowed, highest allowed, lowest excluded)
GEAR_FIELDS = {
    "spring_n_m": (1e3, 1e8, False),
    "damping_n_s_m": (0.0, 1e6, False),
    "crush_force_n": (0.0, 1e7, True),
    "stroke_m": (0.0, 2.0, True),
    "structural_load_n": (0.0, 1e8, True),
    "friction_coefficient": (0.0, 2.0, False),
}


def _load(path: str, value: float):  # noqa: ANN202
    # structural_load_n must stay >= crush_force_n: move the partner out of the way
    extra = {
        "crush_force_n": [f"vehicle.legs.structural_load_n={1e8!r}"],
        "structural_load_n": [f"vehicle.legs.crush_force_n={MIN_MAGNITUDE!r}"],
    }.get(path, [])
    return load_scenario("default", [f"vehicle.legs.{path}={value!r}", *extra])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(GEAR_FIELDS)), st.floats(allow_nan=True, allow_infinity=True))
@example("structural_load_n", 1.1434602692976506e-26)  # below the partner's old 1e-9 crush force
def test_gear_field_in_range_loads_out_of_range_is_one_line(path: str, value: float) -> None:
    lo, hi, lo_open = GEAR_FIELDS[path]
    inside = (
        math.isfinite(value)
        and (value > lo if lo_open else value >= lo)
        and value <= hi
        and (value == 0.0 or abs(value) >= MIN_MAGNITUDE)  # tiny magnitudes are typos
    )
    if inside:
        s = _load(path, value)
        assert getattr(s.vehicle.legs, path) == value
    else:
        with pytest.raises(ConfigError) as err:
            _load(path, value)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(f"vehicle.legs.{path}:"), msg


@settings(max_examples=30, deadline=None)
@given(st.floats(1.0, 1e7), st.floats(1.0, 1e7))
def test_structural_load_below_the_crush_force_is_refused(crush: float, structural: float) -> None:
    overrides = [
        f"vehicle.legs.crush_force_n={crush!r}",
        f"vehicle.legs.structural_load_n={structural!r}",
    ]
    if structural >= crush:
        assert load_scenario("default", overrides).vehicle.legs.structural_load_n == structural
    else:
        with pytest.raises(ConfigError, match=r"^vehicle\.legs: .*structural_load_n must be >= "):
            load_scenario("default", overrides)


@given(st.text(min_size=1, max_size=8))
@settings(max_examples=30, deadline=None)
def test_touchdown_dynamics_switch_takes_booleans_only(text: str) -> None:
    t = text.strip().lower()
    known = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
    if t in known or "\n" in text or ":" in text or "#" in text or "=" in text:
        return  # YAML booleans and text that is not a plain value are not this test's subject
    try:
        s = load_scenario("default", [f"sim.touchdown_dynamics={text}"])
    except ConfigError as err:
        assert "\n" not in str(err) and str(err).startswith("sim.touchdown_dynamics:")
    else:
        assert isinstance(s.sim.touchdown_dynamics, bool)
