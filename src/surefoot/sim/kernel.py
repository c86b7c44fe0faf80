"""The compiled batch step: sensors -> flight software -> dynamics -> contact.

:func:`run_segment` advances every lander of a batch by up to ``n_steps``
fixed steps. The loop over landers is the outer (parallel) loop, so each
lander's arithmetic is the same whether it runs alone or among thousands,
and its noise is keyed by its own seed and the global step index.
"""

from __future__ import annotations

from types import FunctionType

import numpy as np
from numba import njit, prange

from surefoot.fsw.executive import (
    fsw_step,
)
from surefoot.fsw.interfaces import NAV_ALT_SIGMA, NAV_ALT_TRUSTED, NAV_R, NAV_V
from surefoot.fsw.layout import (
    FP_MAX_THRUST,
    FS_ACMD,
    FS_NAV_FLAGS,
    FS_PHASE,
    FS_REQUEST,
    FS_TGO,
    FS_THRUST_CMD,
)
from surefoot.fsw.nav.layout import B_ALT_EST, B_EVENTS
from surefoot.fsw.nav.measurements import (
    DOPPLER_BEAMS,
    MAX_LRF_BEAMS,
    N_DOPPLER,
    N_IMU,
    N_LRF,
    N_STAR,
    N_TRN,
)
from surefoot.fsw.nav.nav_step import nav_step, nav_work
from surefoot.math.frames import rot_mci_to_mcmf_xyz
from surefoot.math.height_grid import altitude_above_terrain_xyz
from surefoot.sensors.doppler_lidar import (
    N_DOPPLER_PARAMS,
    N_DOPPLER_STATE,
    doppler_lidar_measure_into,
)
from surefoot.sensors.faults import N_EF
from surefoot.sensors.ideal_nav import ideal_nav_measure
from surefoot.sensors.imu import (
    N_IMU_PARAMS,
    N_IMU_STATE,
    imu_reset_row,
    imu_step_into,
    imu_truth_inputs_into,
)
from surefoot.sensors.rangefinder import N_LRF_PARAMS, N_LRF_STATE, rangefinder_measure_into
from surefoot.sensors.star_tracker import N_STAR_PARAMS, N_STAR_STATE, star_tracker_measure_into
from surefoot.sensors.trn_camera import N_TRN_PARAMS, N_TRN_STATE, trn_camera_measure
from surefoot.sim.kernel_state import (
    PLUGIN_ANSWERED,
    PLUGIN_SENSE,
    PLUGIN_WAITING,
    Clock,
    FlightSoftwareRows,
    NavigationRows,
    Recorder,
    SensorRows,
    TerrainRows,
    TruthRows,
)
from surefoot.sim.sensor_suite import (
    SM_DOP,
    SM_IMU,
    SM_LRF,
    SM_STAR,
    SM_TRN,
    SP_DOP,
    SP_IMU,
    SP_LRF,
    SP_STAR,
    SP_TRN,
    SS_DOP,
    SS_IMU,
    SS_LRF,
    SS_STAR,
    SS_TRN,
)
from surefoot.sim.telemetry import (
    TEL_ACMD,
    TEL_ALTITUDE,
    TEL_GUIDANCE_REACTIONS,
    TEL_MASS,
    TEL_NAV_EVENTS,
    TEL_NAV_HEIGHT,
    TEL_NAV_HEIGHT_SIGMA,
    TEL_NAV_HEIGHT_TRUSTED,
    TEL_NAV_R,
    TEL_NAV_V,
    TEL_OMEGA,
    TEL_PHASE,
    TEL_PROPELLANT,
    TEL_Q,
    TEL_R_ENU,
    TEL_T,
    TEL_TGO,
    TEL_THROTTLE,
    TEL_THRUST,
    TEL_THRUST_CMD,
    TEL_TILT,
    TEL_TORQUE,
    TEL_V_ENU,
)
from surefoot.sim.telemetry_nav import record_navigation
from surefoot.world.contact import check_contact, touchdown_metrics
from surefoot.world.site_frame import SITE_C, SITE_OMEGA, SITE_RADIUS, truth_enu
from surefoot.world.terrain.grid import altitude_above_terrain
from surefoot.world.vehicle import (
    N_STATE,
    P_CPU_STOLEN,
    P_EF_ACTIVE,
    P_EVENTS_ARMED,
    S_MPROP,
    S_THRUST,
    S_TORQUE,
    S_W,
    delivered_thrust,
    mass_properties,
    rk4_step_into,
    vehicle_events,
)

DONE_RUNNING = 0
DONE_CONTACT = 1
DONE_TIMEOUT = 2

# True in the kernels that sample sensors; each compiled copy sees its own value
# (:func:`_variant`)
_WITH_SENSORS = True

# rows of the fault-effect scratch the sensors share (allocated once per lander
# and kernel call): the star tracker's 3 axes, the rangefinder's beams, the
# Doppler lidar's velocity and range channels
SENSOR_EF_ROWS = max(3, MAX_LRF_BEAMS, 2 * DOPPLER_BEAMS)


@njit(cache=True)
def _record(
    row: np.ndarray,
    x: np.ndarray,
    t: float,
    site: np.ndarray,
    c_enu_mcmf: np.ndarray,
    meta: np.ndarray,
    offsets: np.ndarray,
    heights: np.ndarray,
    vp: np.ndarray,
    fs: np.ndarray,
    fp: np.ndarray,
    nav: np.ndarray,
    bk: np.ndarray,
    ekf: bool,
    kx: np.ndarray,
    kcov: np.ndarray,
) -> None:
    """One telemetry row (columns ``sim/telemetry.py`` ``COLUMNS``, indices ``TEL_*``)."""
    r_enu, v_enu, q, r_mcmf = truth_enu(x, t, site)
    m, _, _ = mass_properties(x[S_MPROP], vp)
    row[TEL_T] = t
    for k in range(3):
        row[TEL_R_ENU + k] = r_enu[k]
        row[TEL_V_ENU + k] = v_enu[k]
    row[TEL_ALTITUDE] = altitude_above_terrain(
        r_mcmf, c_enu_mcmf, site[SITE_RADIUS], meta, offsets, heights
    )
    for k in range(4):
        row[TEL_Q + k] = q[k]
    # body z in ENU: third column of the DCM of q
    cz = 1.0 - 2.0 * (q[1] * q[1] + q[2] * q[2])
    row[TEL_TILT] = np.degrees(np.arccos(min(max(cz, -1.0), 1.0)))
    for k in range(3):
        row[TEL_OMEGA + k] = np.degrees(x[S_W + k])
    thrust = x[S_THRUST] if x[S_MPROP] > 0.0 else 0.0
    if vp[P_EF_ACTIVE] != 0.0:
        thrust = delivered_thrust(x, vp)
    row[TEL_THRUST] = thrust
    row[TEL_THRUST_CMD] = fs[FS_THRUST_CMD]
    row[TEL_THROTTLE] = thrust / fp[FP_MAX_THRUST]
    row[TEL_MASS] = m
    row[TEL_PROPELLANT] = x[S_MPROP]
    row[TEL_PHASE] = fs[FS_PHASE]
    row[TEL_TGO] = fs[FS_TGO]
    for k in range(3):
        row[TEL_NAV_R + k] = nav[NAV_R + k]
        row[TEL_NAV_V + k] = nav[NAV_V + k]
        row[TEL_ACMD + k] = fs[FS_ACMD + k]
        row[TEL_TORQUE + k] = x[S_TORQUE + k]
    row[TEL_NAV_HEIGHT] = bk[B_ALT_EST] if ekf else np.nan
    row[TEL_NAV_HEIGHT_SIGMA] = nav[NAV_ALT_SIGMA]
    row[TEL_NAV_HEIGHT_TRUSTED] = nav[NAV_ALT_TRUSTED]
    row[TEL_NAV_EVENTS] = bk[B_EVENTS] if ekf else 0.0
    row[TEL_GUIDANCE_REACTIONS] = fs[FS_NAV_FLAGS]
    record_navigation(row, x, t, site, nav, kx, kcov, bk, ekf)


def _run_segment(
    truth: TruthRows,
    terrain: TerrainRows,
    sensors: SensorRows,
    navigation: NavigationRows,
    onboard_map: TerrainRows,
    fsw: FlightSoftwareRows,
    clock: Clock,
    recorder: Recorder,
) -> None:
    """Advance every running lander by at most ``clock.n_steps`` steps from its own step.

    Arrays with a leading lander axis are updated in place: truth state and
    touchdown records, ``done`` flags and step counters (``truth``), sensor
    states and measurement rows (``sensors``), the navigation filter
    (``navigation``), flight-software state, commands and navigation rows
    (``fsw``). A lander whose flight software raised a service request
    (``fs[i, FS_REQUEST] != 0``) stops after the step it is in, so the
    simulator can answer between two steps. A lander flown by a plug-in
    (``fsw.external[i] == 1``) stops at each flight-software cycle after
    sensing (``PLUGIN_WAITING``) and resumes that cycle once the simulator
    has written its commands (``PLUGIN_ANSWERED``). When ``clock.rec_every > 0``
    telemetry rows are written to ``recorder.tel[i, :recorder.n_rows[i]]``
    (reset per call). The arguments are :class:`surefoot.sim.kernel_state.KernelState`.
    """
    # Every field into a local before the parallel loop, by attribute: with
    # parallel=True, writes inside prange to an array reached through a
    # NamedTuple (a field, or a local bound by unpacking the tuple) were
    # silently lost; a local bound by attribute access keeps them (Numba 0.68).
    x = truth.x
    vp = truth.vp
    moon = truth.moon
    site = truth.site
    feet_body = truth.feet_body
    done = truth.done
    td = truth.td
    steps = truth.steps
    meta = terrain.meta
    offsets = terrain.offsets
    heights = terrain.heights
    suite_p = sensors.suite_p
    suite_s = sensors.suite_s
    suite_m = sensors.suite_m
    imu_sub = sensors.imu_sub
    nav_p = sensors.ideal_nav_p
    seeds = sensors.seeds
    nav_mode = navigation.nav_mode
    kx = navigation.kx
    kcov = navigation.kcov
    kbk = navigation.kbk
    kp = navigation.kp
    fs = fsw.fs
    fp = fsw.fp
    cmd = fsw.cmd
    nav = fsw.nav
    external = fsw.external
    plugin_phase = fsw.plugin_phase
    n_steps = clock.n_steps
    max_steps = clock.max_steps
    dt = clock.dt
    ctrl_every = clock.ctrl_every
    rec_every = clock.rec_every
    tel = recorder.tel
    n_rows = recorder.n_rows
    map_meta = onboard_map.meta
    map_offsets = onboard_map.offsets
    map_heights = onboard_map.heights
    capacity = tel.shape[1]
    c_enu_mcmf = site[SITE_C : SITE_C + 9].reshape(3, 3)
    radius = site[SITE_RADIUS]
    omega = site[SITE_OMEGA]
    reach = 0.0
    for k in range(feet_body.shape[0]):
        reach = max(reach, np.sqrt(np.sum(feet_body[k] ** 2)))
    reach += 5.0
    for i in prange(x.shape[0]):
        n_rows[i] = 0
        if done[i] != DONE_RUNNING:
            continue
        rows = 0  # telemetry rows of this lander in this call
        # the RK4 stages and trial state, each its own array (a row of one
        # array would cost a reference count each time it is taken)
        k1 = np.empty(N_STATE)
        k2 = np.empty(N_STATE)
        k3 = np.empty(N_STATE)
        k4 = np.empty(N_STATE)
        xt = np.empty(N_STATE)
        # scratch of the IMU sampling, allocated once per lander and call: the
        # step loop itself allocates nothing (an allocation costs about as much
        # as a scalar Kalman update, and this loop runs 10^4-10^5 times a landing)
        f0 = np.empty(3)
        w0 = np.empty(3)
        f1 = np.empty(3)
        w1 = np.empty(3)
        imu_eff = np.empty((6, N_EF))
        imu_var = np.empty(6)
        sensor_eff = np.empty((SENSOR_EF_ROWS, N_EF))
        nav_w = nav_work()  # the filter's scratch, the same way
        xi = x[i]
        ekf = nav_mode[i] == 1
        p_i = suite_p[i]
        s_i = suite_s[i]
        m_i = suite_m[i]
        imu_p = p_i[SP_IMU : SP_IMU + N_IMU_PARAMS]
        imu_s = s_i[SS_IMU : SS_IMU + N_IMU_STATE]
        imu_row = m_i[SM_IMU : SM_IMU + N_IMU]
        star_row = m_i[SM_STAR : SM_STAR + N_STAR]
        lrf_row = m_i[SM_LRF : SM_LRF + N_LRF]
        dop_row = m_i[SM_DOP : SM_DOP + N_DOPPLER]
        trn_row = m_i[SM_TRN : SM_TRN + N_TRN]
        # every per-lander view bound once, not per step (each view of an array
        # costs a reference count in and out)
        star_p = p_i[SP_STAR : SP_STAR + N_STAR_PARAMS]
        star_s = s_i[SS_STAR : SS_STAR + N_STAR_STATE]
        lrf_p = p_i[SP_LRF : SP_LRF + N_LRF_PARAMS]
        lrf_s = s_i[SS_LRF : SS_LRF + N_LRF_STATE]
        dop_p = p_i[SP_DOP : SP_DOP + N_DOPPLER_PARAMS]
        dop_s = s_i[SS_DOP : SS_DOP + N_DOPPLER_STATE]
        trn_p = p_i[SP_TRN : SP_TRN + N_TRN_PARAMS]
        trn_s = s_i[SS_TRN : SS_TRN + N_TRN_STATE]
        vp_i = vp[i]
        cmd_i = cmd[i]
        nav_i = nav[i]
        fs_i = fs[i]
        fp_i = fp[i]
        kx_i = kx[i]
        kcov_i = kcov[i]
        kbk_i = kbk[i]
        kp_i = kp[i]
        nav_p_i = nav_p[i]
        seed_i = seeds[i]
        # a plug-in flight software (fsw.plugin) gets every sensor, whatever
        # fsw.nav.source; the built-in one senses only for its filter
        plugin = external[i] == 1
        sense = ekf or plugin
        n_sub = imu_sub[i]
        alt_true = 1e9
        for _ in range(n_steps):
            step = steps[i]
            t = step * dt
            if step >= max_steps:
                done[i] = DONE_TIMEOUT
                break
            if step % ctrl_every == 0:
                if _WITH_SENSORS:
                    if plugin and plugin_phase[i] == PLUGIN_ANSWERED:
                        # the plug-in answered this cycle's frame (sim/external_fsw.py):
                        # act on its commands; the IMU accumulates the next cycle
                        plugin_phase[i] = PLUGIN_SENSE
                        rx, ry, rz = rot_mci_to_mcmf_xyz(xi[0], xi[1], xi[2], omega * t)
                        alt_true = altitude_above_terrain_xyz(
                            rx, ry, rz, c_enu_mcmf, radius, meta, offsets, heights
                        )
                        imu_reset_row(imu_row, t)
                    else:
                        if sense:
                            rx, ry, rz = rot_mci_to_mcmf_xyz(xi[0], xi[1], xi[2], omega * t)
                            alt_true = altitude_above_terrain_xyz(
                                rx, ry, rz, c_enu_mcmf, radius, meta, offsets, heights
                            )
                            star_tracker_measure_into(
                                xi,
                                t,
                                alt_true,
                                star_p,
                                star_s,
                                seed_i,
                                step,
                                star_row,
                                sensor_eff,
                            )
                            rangefinder_measure_into(
                                xi,
                                t,
                                alt_true,
                                site,
                                meta,
                                offsets,
                                heights,
                                lrf_p,
                                lrf_s,
                                seed_i,
                                step,
                                lrf_row,
                                sensor_eff,
                            )
                            doppler_lidar_measure_into(
                                xi,
                                t,
                                alt_true,
                                site,
                                meta,
                                offsets,
                                heights,
                                dop_p,
                                dop_s,
                                seed_i,
                                step,
                                dop_row,
                                sensor_eff,
                            )
                            trn_camera_measure(
                                xi,
                                t,
                                alt_true,
                                site,
                                trn_p,
                                trn_s,
                                seed_i,
                                step,
                                trn_row,
                            )
                        if ekf:
                            nav_step(
                                t,
                                kx_i,
                                kcov_i,
                                kbk_i,
                                kp_i,
                                imu_row,
                                star_row,
                                lrf_row,
                                dop_row,
                                trn_row,
                                map_meta,
                                map_offsets,
                                map_heights,
                                nav_i,
                                nav_w,
                            )
                            if not plugin:
                                imu_reset_row(imu_row, t)
                        else:
                            ideal_nav_measure(xi, t, site, nav_p_i, seed_i, step, nav_i)
                        if plugin:
                            # stop before any actuator acts: the simulator hands the
                            # plug-in this cycle's measurements and resumes here
                            plugin_phase[i] = PLUGIN_WAITING
                            break
                        fsw_step(nav_i, fs_i, fp_i, cmd_i, 1.0 - vp_i[P_CPU_STOLEN])
                else:
                    # compiled without sensors: every lander flies ideal navigation
                    ideal_nav_measure(xi, t, site, nav_p_i, seed_i, step, nav_i)
                    fsw_step(nav_i, fs_i, fp_i, cmd_i, 1.0 - vp_i[P_CPU_STOLEN])
            if rec_every > 0 and step % rec_every == 0 and rows < capacity:
                _record(
                    tel[i, rows],
                    xi,
                    t,
                    site,
                    c_enu_mcmf,
                    meta,
                    offsets,
                    heights,
                    vp_i,
                    fs_i,
                    fp_i,
                    nav_i,
                    kbk_i,
                    ekf,
                    kx[i],
                    kcov[i],
                )
                rows += 1
            # (explicit element loops, no array expressions: inside the parallel
            # loop over landers Numba turns those into nested parfors whose size
            # checks failed at run time for arrays bound in a branch)
            if _WITH_SENSORS and sense:
                imu_truth_inputs_into(xi, vp_i, f0, w0)
            rk4_step_into(xi, cmd_i, vp_i, moon, dt, k1, k2, k3, k4, xt)
            if _WITH_SENSORS and sense:
                # the IMU samples of the step, the truth inputs interpolated linearly
                imu_truth_inputs_into(xi, vp_i, f1, w1)
                imu_step_into(
                    f0,
                    w0,
                    f1,
                    w1,
                    t,
                    n_sub,
                    alt_true,
                    imu_p,
                    imu_s,
                    seed_i,
                    step,
                    imu_row,
                    imu_eff,
                    imu_var,
                )
            steps[i] = step + 1
            t_next = (step + 1) * dt
            theta = omega * t_next
            # cheap test first: the CoM must be within leg reach of the ground
            # (scalars and an inlined look-up: this runs every step)
            rx, ry, rz = rot_mci_to_mcmf_xyz(xi[0], xi[1], xi[2], theta)
            alt = altitude_above_terrain_xyz(rx, ry, rz, c_enu_mcmf, radius, meta, offsets, heights)
            foot_min = 1.0
            if alt <= reach:
                foot_min = check_contact(
                    xi, theta, feet_body, c_enu_mcmf, radius, meta, offsets, heights
                )
            if foot_min <= 0.0:
                touchdown_metrics(
                    xi,
                    t_next,
                    omega,
                    feet_body,
                    c_enu_mcmf,
                    radius,
                    meta,
                    offsets,
                    heights,
                    foot_min,
                    td[i],
                )
                done[i] = DONE_CONTACT
                if rec_every > 0 and rows < capacity:
                    _record(
                        tel[i, rows],
                        xi,
                        t_next,
                        site,
                        c_enu_mcmf,
                        meta,
                        offsets,
                        heights,
                        vp_i,
                        fs_i,
                        fp_i,
                        nav_i,
                        kbk_i,
                        ekf,
                        kx[i],
                        kcov[i],
                    )
                    rows += 1
                break
            if vp_i[P_EVENTS_ARMED] != 0.0:
                # engine faults and a rover release (truth hardware; the flight
                # software is not told and sees them only through its sensors)
                vehicle_events(vp_i, xi, t_next, alt)
            if fs_i[FS_REQUEST] != 0.0:
                break
        n_rows[i] = rows


def _variant(func: FunctionType, name: str, with_sensors: bool) -> FunctionType:
    """The same body under another name, compiled with or without the sensed path.

    Numba names its on-disk cache file after the function's qualified name and
    line, so two compilations of one Python function with different flags
    share a cache entry and one silently replaces the other (numba#6845): a
    process could load the serial kernel where it asked for the parallel one.
    A renamed copy gets a cache file of its own. ``with_sensors`` is the
    module constant ``_WITH_SENSORS`` seen by this copy (its own globals):
    Numba prunes the branches it rules out before typing, so a copy without
    sensors never types, compiles or links the sensor models, the filter or
    the plug-in hand-over.
    """
    code = func.__code__.replace(co_name=name, co_qualname=name)
    scope = dict(func.__globals__)
    scope["_WITH_SENSORS"] = with_sensors
    clone = FunctionType(code, scope, name, func.__defaults__, func.__closure__)
    clone.__qualname__ = name
    clone.__doc__ = func.__doc__
    return clone


# One body, four compilations. The parallel ones spread landers over the
# cores for batches; the serial ones avoid thread start-up and barrier costs
# for a single landing. The "ideal" ones fly only landers with ideal
# navigation and no plug-in (no sensor is sampled for those anyway) and
# compile in a fraction of the time: a first `surefoot run` of the default
# scenario needs nothing else. Every copy gives bit-identical per-lander
# results; :func:`segment_kernel` picks one.
run_segment_serial = njit(cache=True)(_variant(_run_segment, "run_segment_serial", True))
run_segment_parallel = njit(cache=True, parallel=True)(
    _variant(_run_segment, "run_segment_parallel", True)
)
run_segment_serial_ideal = njit(cache=True)(
    _variant(_run_segment, "run_segment_serial_ideal", False)
)
run_segment_parallel_ideal = njit(cache=True, parallel=True)(
    _variant(_run_segment, "run_segment_parallel_ideal", False)
)


def segment_kernel(parallel: bool, sensed: bool):  # noqa: ANN201 - a Numba dispatcher
    """The compiled step for a batch: ``sensed`` when any lander samples sensors
    (filter navigation or a plug-in flight software)."""
    if sensed:
        return run_segment_parallel if parallel else run_segment_serial
    return run_segment_parallel_ideal if parallel else run_segment_serial_ideal
