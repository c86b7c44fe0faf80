"""What the ground receives of a landing: frames at the downlink rate, late by the
Earth-Moon light time, none while the signal is lost.

The lander sends one frame every ``1 / rate_hz`` seconds of flight time (the
telemetry row at or after each send time). A frame sent inside a loss-of-signal
window is never received (no store-and-forward, as in the last minutes of
HAKUTO-R M1 and Resilience, whose final frames never arrived); any other frame
arrives ``light_time_s`` later. Times are seconds of mission time since
scenario start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# mean Earth-Moon distance 384,400 km over the speed of light, one way
EARTH_MOON_LIGHT_TIME_S = 384_400e3 / 299_792_458.0


@dataclass(frozen=True)
class Downlink:
    """A downlink: ``rate_hz`` frames per second, ``light_time_s`` one way, and
    loss-of-signal windows ``los_s`` as (start, end) pairs of mission time."""

    rate_hz: float = 2.0
    light_time_s: float = EARTH_MOON_LIGHT_TIME_S
    los_s: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if not (np.isfinite(self.rate_hz) and 0.01 <= self.rate_hz <= 100.0):
            raise ValueError(f"downlink rate must be 0.01..100 Hz (got {self.rate_hz})")
        if not (np.isfinite(self.light_time_s) and 0.0 <= self.light_time_s <= 100.0):
            raise ValueError(f"light time must be 0..100 s (got {self.light_time_s})")
        for a, b in self.los_s:
            if not (np.isfinite(a) and np.isfinite(b) and 0.0 <= a < b):
                raise ValueError(
                    f"loss of signal must be START:END with 0 <= START < END (got {a}:{b})"
                )

    def in_los(self, t_s: np.ndarray) -> np.ndarray:
        """``(n,)`` True where the signal is lost at send time ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        lost = np.zeros(t.shape, dtype=bool)
        for a, b in self.los_s:
            lost |= (t >= a) & (t < b)
        return lost


@dataclass(frozen=True)
class Frames:
    """The frames the ground receives: telemetry row, send and receive time (s)."""

    row: np.ndarray
    t_sent_s: np.ndarray
    t_received_s: np.ndarray


def schedule(t_s: np.ndarray, link: Downlink) -> Frames:
    """The received frames of a run whose telemetry rows are at times ``t_s``
    (increasing), in order of reception."""
    t = np.asarray(t_s, dtype=float)
    if t.size == 0:
        empty = np.zeros(0)
        return Frames(np.zeros(0, dtype=np.int64), empty, empty)
    period = 1.0 / link.rate_hz
    sends = np.arange(t[0], t[-1] + 1e-9, period)
    rows = np.minimum(np.searchsorted(t, sends - 1e-9), t.size - 1)
    rows = np.unique(rows)  # telemetry slower than the downlink: one frame per row
    t_sent = t[rows]
    keep = ~link.in_los(t_sent)
    rows, t_sent = rows[keep], t_sent[keep]
    return Frames(rows.astype(np.int64), t_sent, t_sent + link.light_time_s)


def parse_los(text: str) -> tuple[float, float]:
    """``'START:END'`` (mission seconds) as a pair; ValueError naming the form."""
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f"expected START:END in seconds (got {text[:40]!r})")
    try:
        a, b = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"expected START:END in seconds (got {text[:40]!r})") from None
    if not (np.isfinite(a) and np.isfinite(b) and 0.0 <= a < b):
        raise ValueError(f"expected 0 <= START < END (got {text[:40]!r})")
    return a, b
