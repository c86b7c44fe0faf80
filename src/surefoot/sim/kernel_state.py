"""The compiled step's arguments, grouped by owner: truth, sensors, navigation, flight software.

Each group is a NamedTuple of the batch's arrays (leading lander axis) and
scalars. The tuples hold the same array objects as
:class:`surefoot.sim.setup.BatchArrays`, never copies, so the step's writes
land in the batch. Inside the kernel, every field is read into a local by
attribute access before the parallel loop over landers: with
``parallel=True`` (Numba 0.68), writes inside ``prange`` to an array reached
through a NamedTuple field, or bound by unpacking the tuple
(``tel, n_rows = recorder``), were silently lost; ``tel = recorder.tel``
keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

# plugin_phase values (sim/external_fsw.py answers between kernel calls)
PLUGIN_SENSE = 0  # next cycle: sense, then wait for the plug-in
PLUGIN_WAITING = 1  # sensed; the plug-in has not answered yet
PLUGIN_ANSWERED = 2  # commands written; resume the cycle after its sensing

if TYPE_CHECKING:
    from surefoot.sim.setup import BatchArrays
    from surefoot.world.terrain import TerrainGrids


class TruthRows(NamedTuple):
    """The true vehicle and where it is: only the sensors and dynamics read these."""

    x: np.ndarray
    """(N, N_STATE) truth state (``world/vehicle.py`` ``S_*``)."""
    vp: np.ndarray
    """(N, N_PARAMS) truth vehicle parameters (``P_*``)."""
    moon: np.ndarray
    """Truth Moon row (``world/moon.py``)."""
    site: np.ndarray
    """Site frame row (``world/site_frame.py`` ``SITE_*``)."""
    feet_body: np.ndarray
    """(legs, 3) footpad positions, body frame, m."""
    done: np.ndarray
    """(N,) int: ``DONE_*`` of each lander."""
    td: np.ndarray
    """(N, N_TD) touchdown records (``world/contact.py`` ``TD_*``)."""
    steps: np.ndarray
    """(N,) int: each lander's next step index."""


class TerrainRows(NamedTuple):
    """A nested height grid as the compiled queries read it (truth terrain or onboard map)."""

    meta: np.ndarray
    offsets: np.ndarray
    heights: np.ndarray


class SensorRows(NamedTuple):
    """The landing sensors of every lander, and the seeds that key their noise."""

    suite_p: np.ndarray
    """(N, N_SUITE_P) parameters (``sim/sensor_suite.py`` ``SP_*``)."""
    suite_s: np.ndarray
    """(N, N_SUITE_S) states (``SS_*``)."""
    suite_m: np.ndarray
    """(N, N_SUITE_M) newest measurement rows (``SM_*``; layouts in ``fsw/nav/measurements.py``)."""
    imu_sub: np.ndarray
    """(N,) int: IMU samples per simulation step."""
    ideal_nav_p: np.ndarray
    """(N, N_IDEAL_NAV) ideal-navigation sensor parameters."""
    seeds: np.ndarray
    """(N,) int: run seeds."""


class NavigationRows(NamedTuple):
    """The built-in navigation filter (``fsw/nav/layout.py``)."""

    nav_mode: np.ndarray
    """(N,) int: ``NAV_MODE_IDEAL`` or ``NAV_MODE_EKF``."""
    kx: np.ndarray
    kcov: np.ndarray
    kbk: np.ndarray
    kp: np.ndarray


class FlightSoftwareRows(NamedTuple):
    """Flight-software rows (``fsw/layout.py``, ``fsw/interfaces.py``)."""

    fs: np.ndarray
    fp: np.ndarray
    cmd: np.ndarray
    nav: np.ndarray
    external: np.ndarray
    """(N,) int: 1 where a plug-in (``fsw.plugin``) flies the lander, 0 built-in."""
    plugin_phase: np.ndarray
    """(N,) int: ``PLUGIN_*``, where a plug-in lander is in its cycle."""


class Clock(NamedTuple):
    """Step counts and rates of one kernel call."""

    n_steps: int
    """Steps to advance at most in this call."""
    max_steps: int
    """Time limit, steps."""
    dt: float
    """Integration step, s."""
    ctrl_every: int
    """Steps per flight-software cycle."""
    rec_every: int
    """Steps per telemetry row (0: none)."""


class Recorder(NamedTuple):
    """Telemetry rows of this call: ``tel[i, :n_rows[i]]`` (``sim/telemetry.py``)."""

    tel: np.ndarray
    n_rows: np.ndarray


class KernelState(NamedTuple):
    """Everything one kernel call reads and writes, in argument order."""

    truth: TruthRows
    terrain: TerrainRows
    sensors: SensorRows
    navigation: NavigationRows
    onboard_map: TerrainRows
    fsw: FlightSoftwareRows
    clock: Clock
    recorder: Recorder


def terrain_rows(grids: TerrainGrids) -> TerrainRows:
    return TerrainRows(grids.meta, grids.offsets, grids.heights)


def kernel_state(
    b: BatchArrays, terrain: TerrainGrids, n_steps: int, tel: np.ndarray, n_rows: np.ndarray
) -> KernelState:
    """The kernel's arguments for batch ``b`` (views of its arrays, no copies)."""
    return KernelState(
        truth=TruthRows(b.x, b.vp, b.moon, b.site, b.feet_body, b.done, b.td, b.steps),
        terrain=terrain_rows(terrain),
        sensors=SensorRows(b.suite_p, b.suite_s, b.suite_m, b.imu_sub, b.nav_p, b.seeds),
        navigation=NavigationRows(b.nav_mode, b.kx, b.kcov, b.kbk, b.kp),
        onboard_map=terrain_rows(b.onboard_map),
        fsw=FlightSoftwareRows(b.fs, b.fp, b.cmd, b.nav, b.external, b.plugin_phase),
        clock=Clock(int(n_steps), int(b.max_steps), float(b.dt), int(b.ctrl_every),
                    int(b.rec_every)),
        recorder=Recorder(tel, n_rows),
    )
