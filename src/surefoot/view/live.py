"""A landing played out on the mission clock as mission control would see it.

The landing is flown first (a few seconds: the simulator runs hundreds of times
faster than real time); the session then releases it on a mission clock that
starts when the page first asks. Two views of the same moment:

- *what the lander believes now*: its own navigation state at the current
  mission time (the simulator can show it; the ground never can);
- *what the ground sees now*: the frames that have reached the ground by then
  (:mod:`surefoot.view.downlink`: downlink rate, light time, loss of signal),
  the newest being at least one light time old.

The truth at the current mission time is given beside them. Quantities are
those of :mod:`surefoot.view.data` (flattened-Moon positions, local vertical).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from surefoot.analysis.local_frame import local_horizontal_speed, radial_rate
from surefoot.analysis.run_folder import RunFolder
from surefoot.fsw.interfaces import PHASE_NAMES
from surefoot.view.data import event_log, flatten, view_data
from surefoot.view.downlink import Downlink, schedule


def _f(v: float, digits: int = 3) -> float | None:
    v = float(v)
    return round(v, digits) if np.isfinite(v) else None


class LiveSession:
    """The frames and states of one flown run on a mission clock.

    ``speed``: mission seconds per wall second; ``clock``: a wall clock in
    seconds (``time.monotonic`` by default; tests pass their own).
    """

    def __init__(
        self,
        run: RunFolder,
        link: Downlink,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (np.isfinite(speed) and 0.01 <= speed <= 1000.0):
            raise ValueError(f"speed must be 0.01..1000 (got {speed})")
        self.link = link
        self.speed = speed
        self._clock = clock
        self._start: float | None = None
        self._lock = threading.Lock()
        radius = run.scenario.moon.radius_m
        self.t = run.col("t")
        r = run.vectors("r_east", "r_north", "r_up")
        v = run.vectors("v_east", "v_north", "v_up")
        q = run.vectors("q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")
        nav_r = run.vectors("nav_r_east", "nav_r_north", "nav_r_up")
        nav_v = run.vectors("nav_v_east", "nav_v_north", "nav_v_up")
        q_nav = q
        if run.has("nav_q_body_to_enu_w"):
            q_nav = run.vectors(
                "nav_q_body_to_enu_w",
                "nav_q_body_to_enu_x",
                "nav_q_body_to_enu_y",
                "nav_q_body_to_enu_z",
            )
        self.static = view_data(run, max_samples=2)  # terrain, target, names: no series
        self.static.pop("series")
        alt = run.col("altitude")
        d = self.static
        series = view_data(run, max_samples=len(alt))["series"]  # every row, for the states
        self._truth = {
            "pos": flatten(r, q, radius),
            "altitude": alt,
            "descent_rate": -radial_rate(r, v, radius),
            "speed_h": local_horizontal_speed(r, v, radius),
        }
        alt_est = np.array([np.nan if a is None else a for a in series["altitude_est"]])
        nav_pos, q_nav_local = flatten(nav_r, q_nav, radius)
        nav_pos[:, 2] = self._truth["pos"][0][:, 2] + (alt_est - alt)
        self._belief = {
            "pos": (nav_pos, q_nav_local),
            "altitude": alt_est,
            "descent_rate": -radial_rate(nav_r, nav_v, radius),
            "speed_h": local_horizontal_speed(nav_r, nav_v, radius),
        }
        self._throttle = 100.0 * run.col("throttle")
        self._propellant = run.col("propellant")
        self._phase = run.col("phase").astype(int)
        self.frames = schedule(self.t, link)
        # each event rides on the first frame sent at or after it (lost with it in LOS)
        events = [e for e in event_log(run) if e["kind"] != "end"]
        ev_t = np.array([e["t"] for e in events])
        send = self.frames.t_sent_s
        prev = np.concatenate(([-np.inf], send[:-1]))
        self._frame_events = [
            [events[k] for k in np.flatnonzero((ev_t > a) & (ev_t <= b))]
            for a, b in zip(prev, send, strict=True)
        ]
        d["live"] = {
            "light_time_s": link.light_time_s,
            "rate_hz": link.rate_hz,
            "los_s": [list(w) for w in link.los_s],
            "speed": speed,
            "t_end_s": float(self.t[-1]),
            "t_last_received_s": float(self.frames.t_received_s[-1])
            if self.frames.row.size
            else None,
        }

    def mission_time(self) -> float:
        """Mission seconds now: 0 until the clock starts (first call of :meth:`poll`)."""
        with self._lock:
            if self._start is None:
                return float(self.t[0])
            return float(self.t[0]) + (self._clock() - self._start) * self.speed

    def _state(self, which: dict[str, Any], k: int) -> dict[str, Any]:
        pos, q = which["pos"]
        return {
            "t": _f(self.t[k]),
            "e": _f(pos[k, 0], 2),
            "n": _f(pos[k, 1], 2),
            "u": _f(pos[k, 2], 2),
            "q": [_f(x, 5) for x in q[k]],
            "altitude": _f(which["altitude"][k], 2),
            "descent_rate": _f(which["descent_rate"][k]),
            "speed_h": _f(which["speed_h"][k]),
            "throttle": _f(self._throttle[k], 1),
            "propellant": _f(self._propellant[k], 1),
            "phase": PHASE_NAMES[self._phase[k]] if 0 <= self._phase[k] < 3 else "?",
        }

    def poll(self, after: int = -1) -> dict[str, Any]:
        """Frames received since frame ``after`` (their index), and the states now."""
        with self._lock:
            if self._start is None:
                self._start = self._clock()
        now = self.mission_time()
        received = int(np.searchsorted(self.frames.t_received_s, now, side="right"))
        first = max(after + 1, 0)
        frames = []
        for j in range(first, received):
            k = int(self.frames.row[j])
            frames.append(
                {
                    "seq": j,
                    "t_sent": _f(self.frames.t_sent_s[j]),
                    "t_received": _f(self.frames.t_received_s[j]),
                    "state": self._state(self._belief, k),
                    "events": self._frame_events[j],
                }
            )
        k_now = min(int(np.searchsorted(self.t, now, side="right")) - 1, self.t.size - 1)
        k_now = max(k_now, 0)
        return {
            "now": _f(now),
            "ended": bool(now >= self.t[-1] + self.link.light_time_s),
            # the ground hears nothing while frames sent one light time ago were lost
            "los": bool(self.link.in_los(np.array([now - self.link.light_time_s]))[0]),
            "believes": self._state(self._belief, k_now),
            "truth": self._state(self._truth, k_now),
            "frames": frames,
        }
