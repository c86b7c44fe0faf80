"""In-flight convex guidance section of the flight software's configuration.

``fsw.guidance.convex``: when enabled, the flight software replaces the
polynomial approach (high gate to low gate) by a fuel-optimal trajectory from
lossless convexification (G-FOLD, Blackmore, Acikmese and Scharf 2010),
solved from its own navigation estimate, re-solved at a fixed period and on
a re-target, and tracked by a proportional-derivative controller around the
planned thrust acceleration. The terminal vertical descent below the low gate
stays as it is. Angles in degrees at this edge.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from surefoot.config.base import StrictModel

MAX_INFLIGHT_NODES = 40
"""Largest node count that fits the flight-software trajectory table."""


class ConvexGuidanceConfig(StrictModel):
    """Fuel-optimal convex guidance flown in the loop (off by default)."""

    enabled: bool = False
    start: Literal["high_gate", "altitude"] = Field(
        "high_gate",
        description="first solve when braking reaches the high gate, or in braking once the "
        "estimated height above the target falls below start_altitude_m",
    )
    start_altitude_m: float = Field(3000.0, gt=0.0, le=20_000.0)
    objective: Literal["two_stage", "min_fuel"] = Field(
        "two_stage",
        description="two_stage (G-FOLD: closest reachable point, then minimum fuel) or "
        "min_fuel (land at the low gate or fail)",
    )
    nodes: int = Field(30, ge=5, le=MAX_INFLIGHT_NODES)
    resolve_period_s: float = Field(
        10.0, ge=0.0, le=1000.0, description="re-solve period (s); 0 = solve once"
    )
    min_resolve_tgo_s: float = Field(
        15.0, gt=0.0, le=1000.0, description="no periodic re-solve with less time to go (s)"
    )
    glide_slope_deg: float = Field(
        5.0, ge=0.0, lt=90.0, description="minimum elevation seen from the low gate; 0 = off"
    )
    max_tilt_deg: float = Field(
        45.0, gt=0.0, le=90.0, description="thrust-pointing limit from the vertical"
    )
    vertical_rate_deg_s: float | None = Field(
        2.0,
        gt=0.0,
        le=90.0,
        description="the plan's thrust tilt at time-to-go tau is at most rate x tau, so it ends "
        "vertical at the low gate at a pace the attitude control can follow; None = off",
    )
    slew_rate_fraction: float | None = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="every plan starts from the thrust axis the lander has (its attitude "
        "estimate) and turns its thrust away from it no faster than this share of "
        "fsw.control.max_slew_rate_deg_s (the attitude loop's lag is covered by "
        "thrust_axis_tolerance_deg). None = the plan's first thrust direction is free",
    )
    turn_rate_fraction: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="bound the rate at which every plan's thrust direction turns between any "
        "two successive nodes to this share of fsw.control.max_slew_rate_deg_s (convex cones "
        "about the previous plan's directions, the throttle left free); None = off (only the "
        "start is slew-limited, by slew_rate_fraction)",
    )
    rate_feedforward: bool = Field(
        True,
        description="feed the rate at which the plan's thrust direction turns forward into "
        "the attitude steering, so the lander follows a planned slew without the lag of the "
        "proportional attitude loop (about 7 deg at 6 deg/s with the default gains)",
    )
    thrust_axis_tolerance_deg: float = Field(
        3.0,
        ge=0.0,
        lt=90.0,
        description="cone about the current thrust axis that the plan's first thrust must "
        "lie in (attitude error and tracking lag); it widens at the slew rate",
    )
    keep_recoverable_plan: bool = Field(
        True,
        description="a periodic re-solve with no plan in the remaining time within the "
        "thrust cap, but one at full thrust, keeps the current plan when the tracking "
        "controller's correction fits in the thrust margin (it flies the plan with that "
        "margin) instead of searching a longer time of flight",
    )
    max_thrust_fraction: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="share of the maximum thrust the plan may use; the "
        "rest is margin for the tracking controller",
    )
    min_thrust_margin: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="the plan's lowest thrust is (min_throttle + this) x maximum thrust",
    )
    reserve_propellant_kg: float = Field(
        25.0, ge=0.0, le=1e5, description="propellant the plan must leave for the terminal descent"
    )
    tracking_bandwidth_rad_s: float = Field(0.25, gt=0.0, le=10.0)
    tracking_damping: float = Field(1.0, gt=0.0, le=5.0)
    max_conic_solves: int = Field(
        80,
        ge=1,
        le=10_000,
        description="compute budget of one guidance request, in conic solves; a request that "
        "needs more falls back to polynomial guidance (deterministic, unlike a wall-time cap)",
    )
    time_budget_s: float | None = Field(
        None,
        gt=0.0,
        le=1000.0,
        description="optional wall-time budget of one request (s); a run that uses it depends "
        "on the machine and no longer replays bit for bit",
    )
