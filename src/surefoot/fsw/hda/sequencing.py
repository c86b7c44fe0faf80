"""When the flight software asks for a hazard scan, and its bookkeeping block.

The executive's guidance cycle calls :func:`scan_due` with the estimated
height above the current target. Scans ("looks") are taken in order, each
once, when the height first falls to that look's height; the answer arrives
from the between-step service one simulation step later
(:func:`surefoot.fsw.hda.inflight.answer_scan`), which clears the pending
flag, counts the look and may move the target.

Layout of the flight-software state block ``fs[FS_HDA : FS_HDA + N_FS_HDA]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.config.hda import MAX_LOOKS

HD_DONE = 0  # looks answered
HD_PENDING = 1  # 1.0 while a scan request waits for its answer
HD_N_DIVERTS = 2  # looks that moved the target
HD_N_NO_SITE = 3  # looks that found no safe site (the target stays)
HD_LAST_P_SAFE = 4  # probability of safe of the last chosen site
HD_LAST_MARGIN = 5  # its distance to the nearest hazard, m
HD_DIVERT_TOTAL = 6  # sum of the divert distances, m
HD_LOOK_T = 7  # MAX_LOOKS: flight-software time of each look, s (0: not taken)
N_HD = HD_LOOK_T + MAX_LOOKS


@njit(cache=True)
def scan_due(hd: np.ndarray, heights_m: np.ndarray, n_looks: int, h_m: float) -> bool:
    """True when the next look is due at estimated height ``h_m`` above the target.

    Marks the request pending; the caller raises the request bit.
    """
    return scan_due_at(hd, 0, heights_m, 0, n_looks, h_m)


@njit(cache=True)
def scan_due_at(
    hd: np.ndarray, o_hd: int, heights_m: np.ndarray, o_heights: int, n_looks: int, h_m: float
) -> bool:
    """:func:`scan_due` on the blocks starting at ``hd[o_hd]`` (bookkeeping) and
    ``heights_m[o_heights]`` (look heights, m), without array views: the flight
    software's state and configuration rows with ``FS_HDA`` and ``FP_HDA_H``."""
    k = int(hd[o_hd + HD_DONE])
    if hd[o_hd + HD_PENDING] != 0.0 or k >= n_looks:
        return False
    if h_m > heights_m[o_heights + k]:
        return False
    hd[o_hd + HD_PENDING] = 1.0
    return True
