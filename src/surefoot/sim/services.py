"""Between-step services: work the flight software asks for that does not fit a compiled step.

A lander's flight software raises a request bit in ``fs[i, FS_REQUEST]``
(``surefoot.fsw.layout.REQ_*``); the kernel stops that lander after its
current step, and :func:`serve_requests` hands every pending request to the
handler registered for its bit (a convex guidance solve, a hazard scan). A
handler answers by writing into the lander's flight-software state row and
clears its bit. Each lander waits exactly one simulation step for an answer,
whatever else is in its batch, so batch and single runs stay identical.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from surefoot.fsw.guidance.convex.table import CV_N_CONIC, CV_N_FAIL, CV_N_OK
from surefoot.fsw.hda.inflight import answer_scan, lidar_pointing_body
from surefoot.fsw.layout import (
    FS_CONVEX,
    FS_REQUEST,
    N_FS_CONVEX,
    REQ_CONVEX_SOLVE,
    REQ_HAZARD_SCAN,
)
from surefoot.math.quaternion import dcm_to_quat
from surefoot.sensors import hazard_lidar

if TYPE_CHECKING:
    from surefoot.config.schema import Scenario
    from surefoot.fsw.guidance.convex.socp import SOCPCache
    from surefoot.sim.setup import BatchArrays
    from surefoot.world.terrain import TerrainGrids

Handler = Callable[["BatchArrays", "TerrainGrids", "list[Scenario]", np.ndarray], None]


@functools.cache
def _convex_cache() -> SOCPCache:
    """Compiled guidance problems, shared by every lander this process flies (each
    solve factorises afresh, so sharing changes speed only, never a result). Built
    on the first solve: the solver imports cvxpy, seconds a landing without convex
    guidance should not pay."""
    from surefoot.fsw.guidance.convex.socp import SOCPCache

    return SOCPCache(max_size=8)


def serve_convex(
    b: BatchArrays, terrain: TerrainGrids, scenarios: list[Scenario], idx: np.ndarray
) -> None:
    """Convex guidance solves, from each lander's flight-software rows only."""
    from surefoot.fsw.guidance.convex.inflight import answer_request

    del terrain  # flight software: the truth is not an input
    for i in idx:
        cfg = scenarios[i].fsw.guidance.convex
        out = answer_request(b.nav[i], b.fs[i], b.fp[i], cfg, _convex_cache())
        b.events[i].append(out.event)
        b.fs[i, FS_REQUEST] = float(int(b.fs[i, FS_REQUEST]) & ~REQ_CONVEX_SOLVE)


def convex_summary(fs_row: np.ndarray) -> dict[str, int]:
    """Convex-guidance counters of one lander's final flight-software state."""
    cv = fs_row[FS_CONVEX : FS_CONVEX + N_FS_CONVEX]
    return {
        "convex_plans": int(cv[CV_N_OK]),
        "convex_failures": int(cv[CV_N_FAIL]),
        "convex_conic_solves": int(cv[CV_N_CONIC]),
    }


def serve_hazard_scan(
    b: BatchArrays, terrain: TerrainGrids, scenarios: list[Scenario], idx: np.ndarray
) -> None:
    """Hazard looks: the flight software points its lidar, the TRUE terrain is
    scanned from the TRUE pose, the flight software maps it with its estimate."""
    for i in idx:
        s = scenarios[i]
        lidar = s.sensors.hazard_lidar
        cfg = s.fsw.hda
        c_body_sensor = lidar_pointing_body(b.nav[i], b.fs[i], b.fp[i], lidar, cfg.pointing)
        params = dataclasses.replace(
            hazard_lidar.HazardLidarParams.from_config(lidar),
            q_sensor_to_body=tuple(float(v) for v in dcm_to_quat(c_body_sensor)),
        )
        step = int(b.steps[i])
        r_sensor, q_sensor = hazard_lidar.sensor_pose_enu(b.x[i], step * b.dt, b.site, params)
        if lidar.enabled:
            scan = hazard_lidar.scan(terrain, r_sensor, q_sensor, params, int(b.seeds[i]), step)
            points, valid = scan.points_sensor, scan.valid
        else:  # a failed or missing lidar returns nothing
            points, valid = np.full((1, 3), np.nan), np.zeros(1, dtype=bool)
        out = answer_scan(points, valid, c_body_sensor, b.nav[i], b.fs[i], b.fp[i], lidar, cfg)
        b.events[i].append(out.event)
        b.hda_looks[i].append(out)
        b.fs[i, FS_REQUEST] = float(int(b.fs[i, FS_REQUEST]) & ~REQ_HAZARD_SCAN)


# request bit -> handler(batch, terrain, scenarios, lander indices)
HANDLERS: dict[int, Handler] = {
    REQ_CONVEX_SOLVE: serve_convex,
    REQ_HAZARD_SCAN: serve_hazard_scan,
}


def serve_requests(b: BatchArrays, terrain: TerrainGrids, scenarios: list[Scenario]) -> None:
    """Answer every pending request of the running landers of batch ``b``."""
    from surefoot.sim.kernel import DONE_RUNNING

    req = b.fs[:, FS_REQUEST].astype(np.int64)
    req[b.done != DONE_RUNNING] = 0
    if not np.any(req):
        return
    for bit, handler in HANDLERS.items():
        idx = np.nonzero(req & bit)[0]
        if idx.size:
            handler(b, terrain, scenarios, idx)
    left = b.fs[:, FS_REQUEST].astype(np.int64)
    left[b.done != DONE_RUNNING] = 0
    if np.any(left):
        i = int(np.nonzero(left)[0][0])
        raise RuntimeError(
            f"lander {i}: flight-software request bits {int(left[i]):#x} have no service"
        )
