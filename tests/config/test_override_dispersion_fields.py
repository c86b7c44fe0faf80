"""``--set`` reaches a dispersion field a scenario already lists: its name has dots
(``initial.crossrange_km``), so the override's path takes as many parts as the key
has, and replaces or edits that field instead of adding a second one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.config.loader import ConfigError, load_scenario


def test_a_listed_field_is_replaced_whole() -> None:
    s = load_scenario("hakuto-r-m1", [
        "dispersions.fields.initial.crossrange_km={dist: uniform, low: -30.0, high: 30.0}",
    ])
    spec = s.dispersions.fields["initial.crossrange_km"]
    assert (spec.dist, spec.low, spec.high) == ("uniform", -30.0, 30.0)
    assert len(s.dispersions.fields) == len(load_scenario("hakuto-r-m1").dispersions.fields)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.01, 50.0))
def test_one_setting_of_a_listed_field_is_edited(sigma: float) -> None:
    s = load_scenario("hakuto-r-m1", [f"dispersions.fields.initial.crossrange_km.sigma={sigma!r}"])
    spec = s.dispersions.fields["initial.crossrange_km"]
    assert spec.dist == "normal" and spec.sigma == sigma


def test_a_new_field_and_ordinary_fields_still_work() -> None:
    s = load_scenario("hakuto-r-m1", [
        "dispersions.fields.initial.approach_azimuth_deg={dist: uniform, low: 0.0, high: 359.9}",
        "initial.altitude_m=14000",
    ])
    assert s.dispersions.fields["initial.approach_azimuth_deg"].high == 359.9
    assert s.initial.altitude_m == 14000.0


def test_a_bad_edit_of_a_listed_field_is_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        load_scenario("hakuto-r-m1", ["dispersions.fields.initial.crossrange_km.sigma=-1"])
    assert "initial.crossrange_km" in str(err.value) and "\n" not in str(err.value)
