"""Fly a batch of landers: build the terrain, the arrays, and run the compiled step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from surefoot.config.schema import Scenario
from surefoot.fsw.hda.inflight import LookOutcome, hda_summary
from surefoot.fsw.layout import (
    FS_MPROP,
)
from surefoot.fsw.nav.layout import (
    B_ALT_SIGMA,
    B_N_DOPR_ACC,
    B_N_DOPR_REJ,
    B_N_DOPV_ACC,
    B_N_DOPV_REJ,
    B_N_LRF_ACC,
    B_N_LRF_REJ,
    B_N_REINIT_H,
    B_N_REINIT_OTHER,
    B_N_TRN_ACC,
    B_N_TRN_REJ,
    B_RH_SIGMA,
    B_T_DOP_FAILED,
    B_T_LRF_FAILED,
    B_T_UNTRUSTED_FIRST,
    B_T_UNTRUSTED_LAST,
    B_UNTRUSTED_S,
    B_VH_SIGMA,
    B_VZ_SIGMA,
    NEVER,
)
from surefoot.fsw.plugin import PluginError, PluginFactory
from surefoot.sim.event_summary import (
    egress_summary,
    engine_fault_summary,
    executive_summary,
    rover_summary,
)
from surefoot.sim.external_fsw import PluginLanders, factory_name, load_plugin
from surefoot.sim.failure import failure_class, failure_reason
from surefoot.sim.kernel import (
    DONE_CONTACT,
    DONE_RUNNING,
    segment_kernel,
)
from surefoot.sim.kernel_state import PLUGIN_WAITING, kernel_state
from surefoot.sim.services import convex_summary, serve_requests
from surefoot.sim.setup import NAV_MODE_EKF, BatchArrays, batch_arrays
from surefoot.sim.telemetry import N_COLUMNS
from surefoot.sim.touchdown_stage import body_contact_summary, gear_summary, post_contact
from surefoot.world.contact import (
    TD_EAST,
    TD_MPROP,
    TD_NORTH,
    TD_OFF_SUPPORT,
    TD_RATE_DEG_S,
    TD_SLOPE_DEG,
    TD_T,
    TD_TILT_DEG,
    TD_UNDERBODY_RISE_M,
    TD_V_HORIZ,
    TD_V_VERT,
    classify_touchdown,
)
from surefoot.world.terrain import TerrainGrids
from surefoot.world.vehicle import P_DRY_MASS, S_MPROP

SEGMENT_STEPS = 400
_TERRAIN_CACHE: dict[str, TerrainGrids] = {}


def terrain_for(s: Scenario) -> TerrainGrids:
    """The truth terrain of a scenario, built once per process and cached."""
    from surefoot.world.terrain.synthetic import build_terrain

    key = "|".join(
        [
            s.terrain.model_dump_json(),
            s.site.model_dump_json(),
            str(s.moon.radius_m),
            str(s.initial.approach_azimuth_deg),
            str(s.initial.uprange_km),
        ]
    )
    if key not in _TERRAIN_CACHE:
        if len(_TERRAIN_CACHE) > 4:
            _TERRAIN_CACHE.clear()
        _TERRAIN_CACHE[key] = build_terrain(
            s.terrain,
            site_lat_rad=np.radians(s.site.lat_deg),
            site_lon_rad=np.radians(s.site.lon_deg),
            radius_ref_m=s.moon.radius_m,
            approach_azimuth_rad=np.radians(s.initial.approach_azimuth_deg),
            uprange_length_m=s.initial.uprange_km * 1e3 + 50e3,
        )
    return _TERRAIN_CACHE[key]


@dataclass
class BatchResult:
    """Outcome of one batch. Row ``i`` of every array belongs to ``scenarios[i]``."""

    scenarios: list[Scenario]
    outcome: np.ndarray
    touchdown: np.ndarray
    done: np.ndarray
    final_state: np.ndarray
    fsw_state: np.ndarray
    nav_state: np.ndarray
    """Navigation filter bookkeeping rows at the end (``surefoot.fsw.nav.layout.B_*``)."""
    flight_time_s: np.ndarray
    wall_time_s: float
    target_height_m: float
    terrain: TerrainGrids
    telemetry: list[np.ndarray] | None = field(default=None, repr=False)
    events: list[list[str]] = field(default_factory=list)
    hda_looks: list[list[LookOutcome]] = field(default_factory=list, repr=False)
    flight_software: list[str] = field(default_factory=list)
    """Per lander, ``"built-in"`` or the plug-in (``module:Name``) that flew it."""
    gear: np.ndarray | None = field(default=None, repr=False)
    """(N, N_OUT) landing-gear rows (``sim.touchdown_dynamics``), else None."""
    vehicle_rows: np.ndarray | None = field(default=None, repr=False)
    """(N, N_PARAMS) truth vehicle rows at the end, with their hardware events
    (``world/vehicle.py``: engine faults started, rover released)."""
    site: np.ndarray | None = field(default=None, repr=False)
    """Site frame row (``world/site_frame.py``)."""

    def summary(self, i: int = 0) -> dict[str, Any]:
        """Touchdown summary of lander ``i`` (SI units, site frame)."""
        s = self.scenarios[i]
        td = self.touchdown[i]
        prop_left = float(self.final_state[i, S_MPROP])
        contact = self.done[i] == DONE_CONTACT
        hda = hda_summary(self.fsw_state[i])
        out: dict[str, Any] = {
            "scenario": s.name,
            "seed": int(s.seed),
            "flight_software": self.flight_software[i] if self.flight_software else "built-in",
            "outcome": str(self.outcome[i]),
            "touchdown_vertical_speed_m_s": float(td[TD_V_VERT]) if contact else float("nan"),
            "touchdown_horizontal_speed_m_s": float(td[TD_V_HORIZ]) if contact else float("nan"),
            "touchdown_tilt_deg": float(td[TD_TILT_DEG]) if contact else float("nan"),
            "touchdown_slope_deg": float(td[TD_SLOPE_DEG]) if contact else float("nan"),
            "touchdown_rate_deg_s": float(td[TD_RATE_DEG_S]) if contact else float("nan"),
            "underbody_clearance_m": float(
                s.vehicle.legs.body_clearance_m - td[TD_UNDERBODY_RISE_M]
            )
            if contact
            else float("nan"),
            "off_support": bool(contact and td[TD_OFF_SUPPORT] > 0.5),
            "touchdown_east_m": float(td[TD_EAST]) if contact else float("nan"),
            "touchdown_north_m": float(td[TD_NORTH]) if contact else float("nan"),
            "distance_from_target_m": float(np.hypot(td[TD_EAST], td[TD_NORTH]))
            if contact
            else float("nan"),
            "impact_angle_deg": float(np.degrees(np.arctan2(td[TD_V_VERT], td[TD_V_HORIZ])))
            if contact
            else float("nan"),
            "touchdown_mass_kg": float(
                self._dry_mass_kg(i) + (td[TD_MPROP] if contact else prop_left)
            ),
            "onboard_mass_estimate_kg": float(
                s.fsw.vehicle.dry_mass_kg + max(float(self.fsw_state[i, FS_MPROP]), 0.0)
            )
            if s.fsw.vehicle is not None
            else float("nan"),
            "propellant_used_kg": float(s.vehicle.propellant_kg - prop_left),
            "propellant_left_kg": prop_left,
            "flight_time_s": float(self.flight_time_s[i]),
            "wall_time_s": float(self.wall_time_s),
            **convex_summary(self.fsw_state[i]),
            **hda,
            "distance_from_final_target_m": float(
                np.hypot(
                    td[TD_EAST] - hda["final_target_east_m"],
                    td[TD_NORTH] - hda["final_target_north_m"],
                )
            )
            if contact
            else float("nan"),
            **nav_summary(self.nav_state[i], s),
        }
        if self.gear is not None:
            out.update(gear_summary(self.gear[i]))
            if s.vehicle.body_points_body_m:
                out.update(body_contact_summary(self.gear[i]))
        if self.vehicle_rows is not None and s.vehicle.engine.faults:
            out.update(engine_fault_summary(self.vehicle_rows[i], s))
        if s.vehicle.computer is not None:
            out.update(executive_summary(self.fsw_state[i]))
        if self.vehicle_rows is not None and self.site is not None and s.vehicle.rover:
            out.update(rover_summary(self.vehicle_rows[i], s, self.site, self.terrain))
        out.update(egress_summary(out, s, self.terrain))
        out["failure_reason"] = failure_reason(out, s)
        out["failure_class"] = failure_class(out, s)
        return out

    def _dry_mass_kg(self, i: int) -> float:
        """Lander ``i``'s dry mass at the end (kg): less a rover it released."""
        if self.vehicle_rows is None:
            return self.scenarios[i].vehicle.dry_mass_kg
        return float(self.vehicle_rows[i, P_DRY_MASS])


def nav_summary(bk: np.ndarray, s: Scenario) -> dict[str, Any]:
    """The navigation's story of a landing, from the filter's bookkeeping row at the end.

    Sigmas are the filter's own 1-sigma at the end (per horizontal axis;
    for ideal navigation, the noise it adds to the truth); counts are
    measurements (beams) accepted and rejected, re-initialisations and the
    sensors the naive logic declared failed (with when, NaN: never); the
    height-untrusted time (robust monitor) with its first start and last end.
    Zeros and NaN times for ideal navigation (no filter).
    """
    nan = float("nan")
    ekf = s.fsw.nav.source == "ekf"
    ideal = s.sensors.ideal_nav

    def when(k: int) -> float:
        return float(bk[k]) if ekf and bk[k] > NEVER else nan

    return {
        "nav_height_sigma_m": float(bk[B_ALT_SIGMA]) if ekf else ideal.position_noise_m,
        "nav_horizontal_position_sigma_m": float(bk[B_RH_SIGMA])
        if ekf
        else ideal.position_noise_m,
        "nav_horizontal_velocity_sigma_m_s": float(bk[B_VH_SIGMA])
        if ekf
        else ideal.velocity_noise_m_s,
        "nav_vertical_velocity_sigma_m_s": float(bk[B_VZ_SIGMA])
        if ekf
        else ideal.velocity_noise_m_s,
        "nav_rangefinder_accepted": int(bk[B_N_LRF_ACC]),
        "nav_rangefinder_rejected": int(bk[B_N_LRF_REJ]),
        "nav_doppler_ranges_accepted": int(bk[B_N_DOPR_ACC]),
        "nav_doppler_ranges_rejected": int(bk[B_N_DOPR_REJ]),
        "nav_doppler_velocities_accepted": int(bk[B_N_DOPV_ACC]),
        "nav_doppler_velocities_rejected": int(bk[B_N_DOPV_REJ]),
        "nav_trn_accepted": int(bk[B_N_TRN_ACC]),
        "nav_trn_rejected": int(bk[B_N_TRN_REJ]),
        "nav_height_reinitialisations": int(bk[B_N_REINIT_H]),
        "nav_other_reinitialisations": int(bk[B_N_REINIT_OTHER]),
        "nav_rangefinder_declared_failed_at_s": when(B_T_LRF_FAILED),
        "nav_doppler_declared_failed_at_s": when(B_T_DOP_FAILED),
        "nav_height_untrusted_s": float(bk[B_UNTRUSTED_S]) if ekf else 0.0,
        "nav_height_untrusted_first_s": when(B_T_UNTRUSTED_FIRST),
        "nav_height_untrusted_last_s": when(B_T_UNTRUSTED_LAST),
    }


def simulate(
    scenarios: Scenario | list[Scenario],
    *,
    terrain: TerrainGrids | None = None,
    telemetry: bool = True,
    fsw: PluginFactory | None = None,
) -> BatchResult:
    """Fly one lander or a batch to touchdown (or the time limit).

    All scenarios of a batch share terrain, site, Moon and simulation
    settings (see :func:`surefoot.sim.batch_fields.check_batchable`); vehicle,
    initial state, sensors, flight software and seed may differ per lander.
    A lander whose scenario names a plug-in (``fsw.plugin``), or every
    lander when ``fsw`` (a plug-in factory, ``surefoot.fsw.plugin``) is
    given, is flown by that plug-in instead of the built-in flight software.
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    t_wall = time.perf_counter()
    factories = plugin_factories(scenarios, fsw)
    if terrain is None:
        terrain = terrain_for(scenarios[0])
    b = batch_arrays(scenarios, terrain)
    plugins = PluginLanders(b, scenarios, factories)
    if not telemetry:
        b.rec_every = 0
    tel_rows: list[list[np.ndarray]] = [[] for _ in scenarios]
    seg_rows = SEGMENT_STEPS // b.rec_every + 2 if b.rec_every > 0 else 1
    tel = np.zeros((len(scenarios), seg_rows, N_COLUMNS))
    n_rows = np.zeros(len(scenarios), dtype=np.int64)
    while np.any(b.done == DONE_RUNNING):
        _run(b, terrain, SEGMENT_STEPS, tel, n_rows)
        if b.rec_every > 0:
            for i in range(len(scenarios)):
                if n_rows[i] > 0:
                    tel_rows[i].append(tel[i, : n_rows[i]].copy())
        waiting = np.nonzero((b.plugin_phase == PLUGIN_WAITING) & (b.done == DONE_RUNNING))[0]
        if waiting.size:
            plugins.serve(b, waiting)
        serve_requests(b, terrain, scenarios)
    s0 = scenarios[0]
    legs = s0.vehicle.legs
    com_h = legs.height_m + s0.vehicle.com_dry_body_m[2]
    g_surface = s0.moon.gm_m3_s2 / s0.moon.radius_m**2
    outcome = classify_touchdown(b.td, s0.touchdown, legs, com_h, g_surface)
    flight_time = np.where(b.done == DONE_CONTACT, b.td[:, TD_T], b.max_steps * b.dt)
    gear = (
        post_contact(b.x, b.td, b.done == DONE_CONTACT, b.vp, b.feet_body, s0, terrain)
        if s0.sim.touchdown_dynamics
        else None
    )
    wall = time.perf_counter() - t_wall
    return BatchResult(
        scenarios=list(scenarios),
        outcome=outcome,
        touchdown=b.td.copy(),
        done=b.done.copy(),
        final_state=b.x.copy(),
        fsw_state=b.fs.copy(),
        nav_state=b.kbk.copy(),
        flight_time_s=flight_time,
        wall_time_s=wall,
        target_height_m=b.target_height_m,
        terrain=terrain,
        telemetry=[np.concatenate(r) if r else np.zeros((0, N_COLUMNS)) for r in tel_rows]
        if b.rec_every > 0
        else None,
        events=[list(e) for e in b.events],
        hda_looks=[list(h) for h in b.hda_looks],
        flight_software=[plugins.names.get(i, "built-in") for i in range(len(scenarios))],
        gear=gear,
        vehicle_rows=b.vp.copy(),
        site=b.site.copy(),
    )


def plugin_factories(
    scenarios: list[Scenario], fsw: PluginFactory | None
) -> list[tuple[PluginFactory, str] | None]:
    """Per lander, the plug-in factory that flies it and its name (None: built-in)."""
    if fsw is not None:
        if not callable(fsw):
            raise PluginError(
                f"fsw: expected a class or function that takes the Design, got "
                f"{type(fsw).__name__}"
            )
        return [(fsw, factory_name(fsw)) for _ in scenarios]
    loaded: dict[str, PluginFactory] = {}
    out: list[tuple[PluginFactory, str] | None] = []
    for s in scenarios:
        spec = s.fsw.plugin
        if spec is None:
            out.append(None)
            continue
        if spec not in loaded:
            loaded[spec] = load_plugin(spec)
        out.append((loaded[spec], spec.rpartition("/")[2]))  # file name, not the folder
    return out


def _run(
    b: BatchArrays,
    terrain: TerrainGrids,
    n_steps: int,
    tel: np.ndarray,
    n_rows: np.ndarray,
) -> None:
    n_running = int(np.count_nonzero(b.done == DONE_RUNNING))
    # plug-in landers stop at every flight-software cycle: too short a call
    # to pay for the threads
    parallel = (n_running >= 4 * numba.get_num_threads() and numba.get_num_threads() > 1
                and not np.any(b.external))
    sensed = bool(np.any(b.nav_mode == NAV_MODE_EKF) or np.any(b.external))
    segment_kernel(parallel, sensed)(*kernel_state(b, terrain, n_steps, tel, n_rows))
