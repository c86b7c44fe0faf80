"""Design values on board: dispersing the truth vehicle moves no flight-software parameter.

The project's one rule holds by value as well as by import: the flight
software is built from its own description of the vehicle (``fsw.vehicle``,
filled from the nominal ``vehicle`` when the scenario loads), never from the
dispersed truth. A campaign disperses the truth; these tests disperse every
numeric truth-vehicle field and check that the flight software's parameter
rows (guidance/control ``fsw_params``, navigation ``nav_params``) stay
bit-for-bit those of the nominal scenario while the truth vehicle's own row
(``vehicle_params``, what the dynamics fly) does move.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surefoot.campaign.sampling import base_dict, draw_runs, run_dict, run_scenario
from surefoot.config.dispersions import numeric_field, resolve_dispersions
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.config.schema import FswVehicleConfig, Scenario
from surefoot.fsw.executive import (
    fsw_params,
)
from surefoot.fsw.layout import (
    FP_DRY_MASS,
    FP_ISP,
    FP_MAX_THRUST,
    FP_PROP0,
)
from surefoot.fsw.nav.params import nav_params
from surefoot.world.vehicle import vehicle_params

# every numeric truth-vehicle field the flight software could be tempted to read
# (legs are shared by a batch and checked by the contact tests)
TRUTH_PATHS = (
    "vehicle.dry_mass_kg",
    "vehicle.propellant_kg",
    "vehicle.inertia_dry_kg_m2.0",
    "vehicle.inertia_dry_kg_m2.1",
    "vehicle.inertia_dry_kg_m2.2",
    "vehicle.inertia_propellant_full_kg_m2.0",
    "vehicle.inertia_propellant_full_kg_m2.2",
    "vehicle.com_propellant_body_m.2",
    "vehicle.engine.max_thrust_n",
    "vehicle.engine.min_throttle",
    "vehicle.engine.isp_s",
    "vehicle.engine.time_constant_s",
    "vehicle.engine.misalignment_deg.0",
    "vehicle.attitude.max_torque_n_m.0",
    "vehicle.attitude.max_torque_n_m.2",
    "vehicle.propellant_reserve_kg",
)


def _rows(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.radians(s.site.lat_deg), np.radians(s.site.lon_deg)
    fp = fsw_params(
        s.fsw,
        site_lat_rad=lat,
        approach_azimuth_rad=np.radians(s.initial.approach_azimuth_deg),
        target_height_m=0.0,
        dt_control_s=0.1,
    )
    kp = nav_params(s.fsw, site_lat_rad=lat, site_lon_rad=lon, dt_s=0.1)
    return fp, kp


@pytest.fixture(scope="module")
def nominal() -> Scenario:
    return load_scenario("hakuto-r-m1")


def test_loading_fills_design_values_from_the_nominal_vehicle(nominal: Scenario) -> None:
    assert nominal.fsw.vehicle == FswVehicleConfig.design_of(nominal.vehicle)
    fp, _ = _rows(nominal)
    assert fp[FP_DRY_MASS] == nominal.vehicle.dry_mass_kg
    assert fp[FP_PROP0] == nominal.vehicle.propellant_kg
    assert fp[FP_MAX_THRUST] == nominal.vehicle.engine.max_thrust_n
    assert fp[FP_ISP] == nominal.vehicle.engine.isp_s


def test_given_design_values_are_kept() -> None:
    s = load_scenario("default", overrides=["fsw.vehicle.dry_mass_kg=355", "fsw.vehicle.isp_s=290",
                                            "fsw.vehicle.propellant_kg=650",
                                            "fsw.vehicle.max_thrust_n=1500",
                                            "fsw.vehicle.min_throttle=0.3",
                                            "fsw.vehicle.inertia_dry_kg_m2=[1, 2, 3]",
                                            "fsw.vehicle.inertia_propellant_full_kg_m2=[1, 2, 3]",
                                            "fsw.vehicle.max_torque_n_m=[1, 2, 3]"])
    assert s.fsw.vehicle is not None
    assert s.fsw.vehicle.dry_mass_kg == 355.0 and s.vehicle.dry_mass_kg == 340.0
    fp, _ = _rows(s)
    assert fp[FP_DRY_MASS] == 355.0 and fp[FP_ISP] == 290.0


def test_partial_design_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="fsw.vehicle"):
        load_scenario("default", overrides=["fsw.vehicle.dry_mass_kg=355"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(factors=st.lists(st.floats(0.7, 1.4), min_size=len(TRUTH_PATHS), max_size=len(TRUTH_PATHS)))
def test_dispersed_truth_vehicle_moves_no_flight_software_parameter(
    nominal: Scenario, factors: list[float]
) -> None:
    base = base_dict(nominal)
    fields = [numeric_field(p) for p in TRUTH_PATHS]
    # the moments of one inertia tensor move together (a body scaled, still a body: the
    # principal moments keep the triangle inequality the schema checks)
    first = {p.rsplit(".", 1)[0]: i for i, p in reversed(list(enumerate(TRUTH_PATHS)))}
    factors = [
        factors[first[p.rsplit(".", 1)[0]]] if ".inertia_" in p else k
        for p, k in zip(TRUTH_PATHS, factors, strict=True)
    ]
    values = []
    for path, f, k in zip(TRUTH_PATHS, fields, factors, strict=True):
        node = base
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        v = float(node) * k if float(node) != 0.0 else k - 1.0
        values.append(v if bool(f.contains(v)) else float(node))
    s = Scenario.model_validate(
        run_dict(base, TRUTH_PATHS, [f.integer for f in fields], values, nominal.seed)
    )
    fp0, kp0 = _rows(nominal)
    fp, kp = _rows(s)
    np.testing.assert_array_equal(fp, fp0)
    np.testing.assert_array_equal(kp, kp0)
    assert s.fsw == nominal.fsw
    # the truth did move (otherwise this test could not fail); the dynamics fly it
    np.testing.assert_array_equal(
        vehicle_params(s.vehicle)[:2], [s.vehicle.dry_mass_kg, s.vehicle.propellant_kg]
    )
    if any(abs(k - 1.0) > 1e-3 for k in factors):
        assert s.vehicle != nominal.vehicle


def test_campaign_runs_share_the_flight_software_of_the_nominal_scenario() -> None:
    s0 = load_scenario("default-dispersed")
    resolved = resolve_dispersions(s0)
    draws = draw_runs(resolved, campaign_seed=7, run_indices=np.arange(16))
    base = base_dict(s0)
    fp0, kp0 = _rows(s0)
    masses = set()
    for r in range(16):
        integer = [numeric_field(p).integer for p in draws.paths]
        s = run_scenario(base, draws.paths, integer, draws.values[r], int(draws.seed[r]), r)
        masses.add(s.vehicle.dry_mass_kg)
        fp, kp = _rows(s)
        np.testing.assert_array_equal(fp, fp0)
        np.testing.assert_array_equal(kp, kp0)
    assert len(masses) == 16
