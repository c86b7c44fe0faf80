"""A flown run as CZML (the JSON scene format of CesiumJS): the lander's path and
attitude over time.

Positions are in the simulator's Moon-fixed frame (metres, ``MOON_ME`` model of
:mod:`surefoot.analysis.ephemeris`) and written with ``referenceFrame: FIXED``,
which a Cesium viewer interprets in the fixed frame of its globe: load the file
in a viewer whose globe is the Moon (``Cesium.Ellipsoid.MOON``, radius
1,737.4 km, the simulator's reference sphere). The orientation is the
``unitQuaternion`` ``[x, y, z, w]`` that rotates body vectors into that frame
(``q_body_to_mcmf`` of :mod:`surefoot.analysis.attitude_ephemeris`).

Time: scenario t = 0 is written at ``epoch`` (the same convention as the OEM
export, default 2000-01-01T12:00:00) with a ``Z`` suffix because CZML dates
are UTC; the difference between TDB and UTC (about a minute) is not applied (a scenario has no
calendar date of its own).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from surefoot.analysis.attitude_ephemeris import RunAttitude
from surefoot.analysis.ephemeris import RunStates, format_epoch

PATH_RGBA = [255, 170, 0, 255]


def _iso(epoch: datetime, t_s: float) -> str:
    return format_epoch(epoch, t_s) + "Z"


def czml_packets(states: RunStates, att: RunAttitude, epoch: datetime) -> list[dict[str, Any]]:
    """The CZML document of one run: a document packet and one lander packet.

    ``states`` and ``att`` must be in the Moon-fixed frame (``mcmf``) on the
    same times.
    """
    if states.frame != "mcmf" or att.frame != "mcmf":
        raise ValueError("CZML positions and orientation are written in the Moon-fixed frame")
    if not np.array_equal(states.t_s, att.t_s):
        raise ValueError("states and attitude must share their times")
    t = states.t_s - states.t_s[0]
    start, stop = _iso(epoch, float(states.t_s[0])), _iso(epoch, float(states.t_s[-1]))
    interval = f"{start}/{stop}"
    cartesian = np.column_stack([t, states.r_m]).ravel()
    q = att.q_body_to_frame
    quat = np.column_stack([t, q[:, 1], q[:, 2], q[:, 3], q[:, 0]]).ravel()
    return [
        {
            "id": "document",
            "name": f"surefoot {states.name} seed {states.seed}",
            "version": "1.0",
            "clock": {"interval": interval, "currentTime": start, "multiplier": 10,
                      "range": "CLAMPED", "step": "SYSTEM_CLOCK_MULTIPLIER"},
        },
        {
            "id": "lander",
            "name": states.name,
            "description": (
                f"surefoot truth trajectory, scenario {states.name}, seed {states.seed}; "
                "Moon-fixed frame, body z is the thrust axis"
            ),
            "availability": interval,
            "position": {
                "epoch": start,
                "referenceFrame": "FIXED",
                "interpolationAlgorithm": "LAGRANGE",
                "interpolationDegree": 3,
                "cartesian": [float(x) for x in cartesian],
            },
            "orientation": {
                "epoch": start,
                "interpolationAlgorithm": "LINEAR",
                "unitQuaternion": [float(x) for x in quat],
            },
            "point": {"pixelSize": 8, "color": {"rgba": PATH_RGBA}},
            "path": {
                "material": {"solidColor": {"color": {"rgba": PATH_RGBA}}},
                "width": 2,
                "leadTime": 0,
                "trailTime": float(t[-1]) + 1.0,
                "resolution": 1,
            },
        },
    ]


def czml_text(states: RunStates, att: RunAttitude, epoch: datetime) -> str:
    """:func:`czml_packets` as JSON text."""
    return json.dumps(czml_packets(states, att, epoch), separators=(",", ":")) + "\n"
