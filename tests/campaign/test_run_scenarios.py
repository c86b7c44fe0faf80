"""RunScenarios (a run's scenario validating only what the run changes) against the full
validation of run_scenario: equal scenarios, or the same one-line error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from surefoot.campaign.sampling import RunScenarios, base_dict, draw_runs, run_scenario
from surefoot.config.dispersions import resolve_dispersions
from surefoot.config.fields import numeric_field
from surefoot.config.loader import ConfigError, load_scenario

SCENARIOS_DIR = Path(__file__).parents[2] / "src" / "surefoot" / "config" / "scenarios"
DISPERSED = sorted(
    p.stem for p in SCENARIOS_DIR.glob("*.yaml") if load_scenario(p.stem).dispersions.fields
)


def _same(a, b) -> bool:
    return a == b and a.model_dump_json() == b.model_dump_json()


@pytest.mark.parametrize("name", DISPERSED)
def test_every_dispersed_scenario_builds_the_runs_run_scenario_builds(name: str) -> None:
    s = load_scenario(name)
    r = resolve_dispersions(s)
    d = draw_runs(r, 3, range(12))
    base, integer = base_dict(s), [f.integer for f in r.fields]
    fast = RunScenarios(base, r.paths, integer)
    for k in range(12):
        full = run_scenario(base, r.paths, integer, d.values[k], int(d.seed[k]), k)
        assert _same(fast(d.values[k], int(d.seed[k]), k), full)


def test_untouched_sections_are_shared_and_touched_ones_are_not() -> None:
    s = load_scenario("hakuto-r-m1")
    r = resolve_dispersions(s)
    d = draw_runs(r, 0, range(2))
    fast = RunScenarios(base_dict(s), r.paths, [f.integer for f in r.fields])
    a, b = (fast(d.values[k], int(d.seed[k]), k) for k in range(2))
    assert a.sensors is b.sensors and a.terrain is b.terrain  # frozen, not dispersed
    assert a.vehicle.engine is not b.vehicle.engine  # dispersed isp_s, max_thrust_n
    assert a.vehicle.engine.isp_s != b.vehicle.engine.isp_s
    assert a.vehicle.legs is b.vehicle.legs  # untouched part of a touched section


# paths in every section, with the nominal of the default scenario scaled by a factor
# that is sometimes out of range (negative, zero, absurd): both ways must then fail alike
PATHS = (
    "initial.altitude_m",
    "initial.crossrange_km",
    "initial.attitude_error_deg",
    "vehicle.dry_mass_kg",
    "vehicle.engine.isp_s",
    "vehicle.engine.misalignment_deg.0",
    "vehicle.legs.count",
    "vehicle.engine.time_constant_s",
    "touchdown.max_tilt_deg",
    "terrain.seed",
    "terrain.fine_spacing_m",
    "sensors.imu.rate_hz",
    "sensors.rangefinder.noise_floor_m",
    "fsw.nav.init.position_m",
    "fsw.guidance.rate_hz",
    "fsw.guidance.approach_tgo_s",
    "fsw.control.rate_hz",
    "fsw.vehicle.isp_s",
    "fsw.nav.map.resolution_m",
    "sim.dt_s",
    "moon.radius_m",
    "site.lat_deg",
)
FACTORS = (1.0, 0.5, 0.99, 1.3, 2.0, 0.0, -1.0, 1e20)


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(FACTORS)),
        min_size=1,
        max_size=6,
        unique_by=lambda p: p[0],
    ),
    seed=st.integers(0, 2**63 - 1),
)
def test_any_dispersed_subset_validates_as_the_full_way(picks, seed) -> None:
    s = load_scenario("default")
    base = base_dict(s)
    paths = [p for p, _ in picks]
    integer = [numeric_field(p).integer for p in paths]
    values = []
    for p, factor in picks:
        node = base
        for part in p.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        v = float(node) * factor if node else factor
        values.append(round(v) if numeric_field(p).integer and abs(v) < 2**62 else v)
    try:
        full = run_scenario(base, paths, integer, values, seed, 7)
    except ConfigError as exc:
        event("invalid run")
        with pytest.raises(ConfigError) as fast_exc:
            RunScenarios(base, paths, integer)(values, seed, 7)
        assert str(fast_exc.value) == str(exc)
        return
    event("valid run")
    assert _same(RunScenarios(base, paths, integer)(values, seed, 7), full)
