"""Between-step services: work the flight software asks for that does not fit a compiled step.

A lander's flight software raises a request bit in ``fs[i, FS_REQUEST]``
(``surefoot.fsw.executive.REQ_*``); the kernel stops that lander after its
current step, and :func:`serve_requests` hands every pending request to the
handler registered for its bit (a convex guidance solve, a hazard scan). A
handler answers by writing into the lander's flight-software state row and
clears its bit. Each lander waits exactly one simulation step for an answer,
whatever else is in its batch, so batch and single runs stay identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from surefoot.fsw.executive import FS_REQUEST

if TYPE_CHECKING:
    from surefoot.config.schema import Scenario
    from surefoot.sim.setup import BatchArrays
    from surefoot.world.terrain import TerrainGrids

Handler = Callable[["BatchArrays", "TerrainGrids", "list[Scenario]", np.ndarray], None]

# request bit -> handler(batch, terrain, scenarios, lander indices); filled by the
# modules that provide each service
HANDLERS: dict[int, Handler] = {}


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
