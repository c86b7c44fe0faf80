"""Dispersions: validation that names the field, and keyed per-run draws.

References: distribution moments and CDFs from scipy.stats (normal,
truncnorm); Kolmogorov-Smirnov for the shapes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats as sps

from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.loader import ConfigError, load_scenario


def scenario_with(tmp_path: Path, dispersions: dict, **extra: dict):
    data = {"name": "t", "dispersions": dispersions, **extra}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(str(path))


def resolved(tmp_path: Path, dispersions: dict, **extra: dict):
    return resolve_dispersions(scenario_with(tmp_path, dispersions, **extra))


def test_builtin_dispersed_scenario_resolves() -> None:
    s = load_scenario("default-dispersed")
    r = resolve_dispersions(s)
    assert "initial.altitude_m" in r.paths and "vehicle.engine.isp_s" in r.paths
    assert len(r.paths) == len(set(r.paths)) >= 10


def test_numeric_field_lookup() -> None:
    f = numeric_field("initial.altitude_m")
    assert (f.ge, f.le, f.integer) == (0.0, 200_000.0, False)
    assert numeric_field("terrain.seed").integer
    assert numeric_field("vehicle.engine.misalignment_deg[1]").path == (
        "vehicle.engine.misalignment_deg.1"
    )
    assert numeric_field("fsw.target_height_m").optional


@pytest.mark.parametrize(
    ("dispersions", "message"),
    [
        ({"fields": {"initial.altitud_m": {"dist": "normal", "sigma": 1}}}, "altitud_m"),
        ({"fields": {"vehicle.nope.x": {"dist": "normal", "sigma": 1}}}, "no field 'nope'"),
        ({"fields": {"name": {"dist": "normal", "sigma": 1}}}, "not a numeric field"),
        ({"fields": {"terrain.source": {"dist": "normal", "sigma": 1}}}, "not a numeric field"),
        ({"fields": {"seed": {"dist": "normal", "sigma": 1}}}, "'seed' cannot be dispersed"),
        ({"fields": {"sim.dt_s.x": {"dist": "normal", "sigma": 1}}}, "is a value"),
        ({"fields": {"vehicle.engine.misalignment_deg.2": {"dist": "normal", "sigma": 1}}},
         "tuple of 2"),
        ({"fields": {"initial.altitude_m": {"dist": "normal", "sigma": -1}}},
         "initial.altitude_m.normal.sigma"),
        ({"fields": {"initial.altitude_m": {"dist": "gauss", "sigma": 1}}}, "gauss"),
        ({"fields": {"initial.altitude_m": {"dist": "uniform", "low": 3, "high": 1}}},
         "low (3.0) must be smaller than high"),
        ({"fields": {"initial.altitude_m": {"dist": "uniform", "low": -5, "high": 1}}},
         "outside the field's range"),
        ({"fields": {"initial.altitude_m": {"dist": "truncnormal", "sigma": 1}}},
         "needs low and/or high"),
        ({"fields": {"initial.altitude_m": {"dist": "choice", "values": [1, 2],
                                            "weights": [1]}}}, "weights has 1 entries"),
        ({"fields": {"initial.altitude_m": {"dist": "choice", "values": [1, 2],
                                            "weights": [0, 0]}}}, "all be zero"),
        ({"fields": {"terrain.seed": {"dist": "normal", "sigma": 1}}}, "integer field"),
        ({"fields": {"terrain.seed": {"dist": "choice", "values": [1.5]}}}, "not an integer"),
        ({"fields": {"initial.altitude_m": {"dist": "normal", "sigma": 1}},
          "correlated": [{"fields": {"initial.altitude_m": {"sigma": 1},
                                     "initial.speed_m_s": {"sigma": 1}},
                          "correlation": [[1, 0], [0, 1]]}]}, "already dispersed"),
        ({"correlated": [{"fields": {"initial.altitude_m": {"sigma": 1},
                                     "initial.speed_m_s": {"sigma": 1}},
                          "correlation": [[1, 0.5], [0.4, 1]]}]}, "symmetric"),
        ({"correlated": [{"fields": {"initial.altitude_m": {"sigma": 1},
                                     "initial.speed_m_s": {"sigma": 1},
                                     "initial.crossrange_km": {"sigma": 1}},
                          "correlation": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]}]},
         "positive semi-definite"),
        ({"correlated": [{"fields": {"initial.altitude_m": {"sigma": 1},
                                     "initial.speed_m_s": {"sigma": 1}},
                          "correlation": [[1, 0], [0, 1], [0, 0]]}]}, "2 x 2"),
    ],
)
def test_schema_errors_name_the_field(tmp_path: Path, dispersions: dict, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        scenario_with(tmp_path, dispersions)
    text = str(exc.value)
    assert message in text
    assert text.startswith("dispersions") and "\n" not in text


@pytest.mark.parametrize(
    ("dispersions", "message"),
    [
        # a normal that reaches below altitude 0 within 6 sigma
        ({"fields": {"initial.altitude_m": {"dist": "normal", "sigma": 5000}}},
         "dispersions.fields.initial.altitude_m: normal(mean 15000"),
        # nothing to take a mean from
        ({"fields": {"fsw.target_height_m": {"dist": "normal", "sigma": 1}}}, "give a mean"),
        # the truncation interval holds no probability
        ({"fields": {"initial.altitude_m": {"dist": "truncnormal", "sigma": 1,
                                            "low": 16000}}}, "impossible to draw from"),
        ({"fields": {"initial.attitude_error_deg": {"dist": "uniform", "half_width": 2}}},
         "nominal - half_width"),
        ({"fields": {"initial.attitude_error_deg": {"dist": "truncnormal", "sigma": 1,
                                                    "high": 3}}}, "give low"),
    ],
)
def test_resolution_errors_name_the_field(tmp_path: Path, dispersions: dict, message: str
                                          ) -> None:
    s = scenario_with(tmp_path, dispersions)
    with pytest.raises(ConfigError) as exc:
        resolve_dispersions(s)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_draws_depend_only_on_campaign_seed_and_run_index(tmp_path: Path) -> None:
    r = resolve_dispersions(load_scenario("default-dispersed"))
    all_runs = draw_runs(r, 11, range(40))
    some = draw_runs(r, 11, [31, 2, 17])
    np.testing.assert_array_equal(some.values, all_runs.values[[31, 2, 17]])
    np.testing.assert_array_equal(some.seed, all_runs.seed[[31, 2, 17]])
    other = draw_runs(r, 12, range(40))
    assert not np.any(other.values == all_runs.values)
    assert len(set(all_runs.seed.tolist())) == 40
    assert np.all(all_runs.seed >= 0)


def test_adding_a_dispersion_keeps_the_other_draws(tmp_path: Path) -> None:
    one = {"fields": {"vehicle.dry_mass_kg": {"dist": "normal", "sigma": 2}}}
    two = {"fields": {"initial.speed_m_s": {"dist": "normal", "sigma": 1},
                      "vehicle.dry_mass_kg": {"dist": "normal", "sigma": 2}}}
    a = draw_runs(resolved(tmp_path, one), 3, range(20))
    b = draw_runs(resolved(tmp_path, two), 3, range(20))
    np.testing.assert_array_equal(a.values[:, 0], b.values[:, 1])
    np.testing.assert_array_equal(a.seed, b.seed)


def test_distributions_against_scipy(tmp_path: Path) -> None:
    disp = {
        "fields": {
            "initial.altitude_m": {"dist": "normal", "sigma": 100.0},
            "vehicle.dry_mass_kg": {"dist": "truncnormal", "sigma": 5.0, "mean": 338.0,
                                    "low": 335.0, "high": 350.0},
            "vehicle.engine.isp_s": {"dist": "uniform", "half_width": 5.0},
            "terrain.seed": {"dist": "uniform", "low": 2, "high": 4},
            "vehicle.engine.max_thrust_n": {"dist": "choice", "values": [1500, 1600, 1700],
                                            "weights": [1, 2, 1]},
        },
        "correlated": [{"fields": {"initial.speed_m_s": {"sigma": 2.0},
                                   "initial.flight_path_angle_deg": {"sigma": 0.1}},
                        "correlation": [[1.0, -0.7], [-0.7, 1.0]]}],
    }
    r = resolved(tmp_path, disp)
    d = draw_runs(r, 5, range(4000))
    col = {p: d.values[:, k] for k, p in enumerate(d.paths)}
    assert sps.kstest(col["initial.altitude_m"], sps.norm(15000.0, 100.0).cdf).pvalue > 1e-3
    tn = sps.truncnorm((335.0 - 338.0) / 5.0, (350.0 - 338.0) / 5.0, loc=338.0, scale=5.0)
    m = col["vehicle.dry_mass_kg"]
    assert m.min() >= 335.0 and m.max() <= 350.0
    assert sps.kstest(m, tn.cdf).pvalue > 1e-3
    assert sps.kstest(col["vehicle.engine.isp_s"], sps.uniform(295.0, 10.0).cdf).pvalue > 1e-3
    seeds, counts = np.unique(col["terrain.seed"], return_counts=True)
    assert seeds.tolist() == [2, 3, 4] and counts.min() > 1200
    thrust, counts = np.unique(col["vehicle.engine.max_thrust_n"], return_counts=True)
    assert thrust.tolist() == [1500, 1600, 1700]
    assert abs(counts[1] / 4000 - 0.5) < 0.03
    v, g = col["initial.speed_m_s"], col["initial.flight_path_angle_deg"]
    assert abs(np.corrcoef(v, g)[0, 1] + 0.7) < 0.03
    assert abs(v.std() - 2.0) < 0.1 and abs(v.mean() - 1690.0) < 0.1


def test_fully_correlated_group_is_drawn(tmp_path: Path) -> None:
    disp = {"correlated": [{"fields": {"initial.speed_m_s": {"sigma": 2.0},
                                       "vehicle.dry_mass_kg": {"sigma": 1.0}},
                            "correlation": [[1.0, 1.0], [1.0, 1.0]]}]}
    d = draw_runs(resolved(tmp_path, disp), 0, range(50))
    np.testing.assert_allclose((d.values[:, 0] - 1690.0) / 2.0, d.values[:, 1] - 340.0,
                               atol=1e-9)


def test_run_scenario_applies_values_and_seed(tmp_path: Path) -> None:
    s = scenario_with(tmp_path, {"fields": {
        "vehicle.engine.misalignment_deg.1": {"dist": "normal", "mean": 0.0, "sigma": 0.1},
        "terrain.seed": {"dist": "choice", "values": [7, 8]}}})
    r = resolve_dispersions(s)
    d = draw_runs(r, 0, [4])
    run = run_scenario(base_dict(s), list(r.paths), [f.integer for f in r.fields],
                       d.values[0], int(d.seed[0]))
    col = {p: d.values[0, k] for k, p in enumerate(d.paths)}
    assert d.paths == ("vehicle.engine.misalignment_deg.1", "terrain.seed")
    assert run.vehicle.engine.misalignment_deg == (0.0, col["vehicle.engine.misalignment_deg.1"])
    assert run.terrain.seed == int(col["terrain.seed"]) and isinstance(run.terrain.seed, int)
    assert run.seed == d.seed[0]
    assert not run.dispersions.fields  # a run's scenario is a plain scenario


def test_nested_sections_read_as_dotted_paths(tmp_path: Path) -> None:
    s = scenario_with(tmp_path, {"fields": {
        "initial": {"altitude_m": {"dist": "normal", "sigma": 10.0}},
        "vehicle.engine": {"isp_s": {"dist": "normal", "sigma": 1.0}}}})
    assert list(s.dispersions.fields) == ["initial.altitude_m", "vehicle.engine.isp_s"]
    s2 = load_scenario("default", ["dispersions.fields.initial.speed_m_s.dist=normal",
                                   "dispersions.fields.initial.speed_m_s.sigma=2"])
    assert list(s2.dispersions.fields) == ["initial.speed_m_s"]
    with pytest.raises(ConfigError, match="listed twice"):
        scenario_with(tmp_path, {"fields": {
            "initial": {"altitude_m": {"dist": "normal", "sigma": 10.0}},
            "initial.altitude_m": {"dist": "normal", "sigma": 10.0}}})


def test_fault_timing_in_a_list_is_dispersible(tmp_path: Path) -> None:
    faults = {"rangefinder": {"faults": [{"kind": "dropout", "time_s": [100.0, 200.0]}]}}
    start, end = "sensors.rangefinder.faults.0.time_s.0", "sensors.rangefinder.faults.0.time_s.1"
    s = scenario_with(tmp_path, {"correlated": [{
        "fields": {start: {"sigma": 10.0}, end: {"sigma": 10.0}},
        "correlation": [[1.0, 1.0], [1.0, 1.0]]}]}, sensors=faults)
    r = resolve_dispersions(s)
    d = draw_runs(r, 0, range(5))
    for k in range(5):
        run = run_scenario(base_dict(s), list(r.paths), [False, False], d.values[k],
                           int(d.seed[k]))
        t0, t1 = run.sensors.rangefinder.faults[0].time_s
        assert t1 - t0 == pytest.approx(100.0) and t0 != 100.0  # the window moves whole
    for path, message in (("sensors.rangefinder.faults.1.time_s.0", "has no"),
                          ("sensors.rangefinder.faults.0.altitude_m.0", "has no")):
        s = scenario_with(tmp_path, {"fields": {path: {"dist": "uniform", "low": 1, "high": 2}}},
                          sensors=faults)
        with pytest.raises(ConfigError, match=message):
            resolve_dispersions(s)
    with pytest.raises(ConfigError, match="is a list"):
        scenario_with(tmp_path, {"fields": {"sensors.rangefinder.faults.x": {
            "dist": "uniform", "low": 1, "high": 2}}}, sensors=faults)
