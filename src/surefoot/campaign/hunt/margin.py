"""A continuous safety margin per run, from a campaign row: how far a landing was from failing.

Each touchdown limit the outcome classifier
(:func:`surefoot.world.contact.classify_touchdown`) applies becomes a
normalised distance, a fraction of the limit (dimensionless): ``0`` on the
limit, ``1`` at zero load, negative beyond it.

=====================  ==========================================================
``vertical_speed``     ``(max_vertical_speed - v_vert) / max_vertical_speed``
``horizontal_speed``   ``(max_horizontal_speed - v_horiz) / max_horizontal_speed``
``slope``              ``(max_slope - slope) / max_slope``
``tilt``               ``(max_tilt - tilt) / max_tilt``
``angular_rate``       ``(max_angular_rate - rate) / max_angular_rate``
``clearance``          ``underbody_clearance / body_clearance`` (terrain striking
                       the lowest structure)
``tip_over``           ``(tip_angle - (tilt + slope)) / tip_angle``, the static
                       tip-over angle ``atan(leg radius / CoM height)``
``dynamic_tip``        ``(g lift - v_horiz^2 / 2) / (g lift_0)``: the energy
                       criterion of the classifier (lift of the CoM over the
                       downhill footpad on the slope, ``lift_0`` on level ground)
``propellant``         ``propellant_left / loaded propellant`` (empty tanks)
=====================  ==========================================================

The margin of a run is the smallest of these; it is ``>= 0`` exactly when
the classifier calls the landing safe (the comparisons are the classifier's
own, term for term). Two failures have no continuous figure in a row:

- no touchdown (``no_contact``): margin :data:`NO_CONTACT_MARGIN`;
- a tip-over because no footpad triangle is under the centre of mass (the
  row does not carry that flag): the margin is capped at
  :data:`UNSEEN_FAILURE_MARGIN`, so that its sign still says failure.

A hunt may add one term that is not a touchdown limit (``nav_height_limit``):

=====================  ==========================================================
``nav_height``         ``(limit - gap) / limit``, ``gap`` the run's largest
                       ``|h_nav - h_true| / max(h_true, 50 m)`` over the flight
                       (row column ``nav_height_gap_max_rel``, see
                       :mod:`surefoot.campaign.rows`); no term without a
                       navigation filter (an empty gap)
=====================  ==========================================================

With it a negative margin means "failed, or the navigation lost its height
by more than the limit", so a search is drawn toward navigation failures
before they become crashes; the sign no longer equals the classifier's.

The crash limits are not separate terms: a crash speed is beyond the safe
speed limit (the schema orders them), so the speed terms are already
negative. Limits, leg geometry, centre of mass and the Moon's surface
gravity are read per row: from the row's own column when the campaign
disperses that field, else from the scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from surefoot.config.dispersions import nominal_value

# the margin of a run that never touched down: one whole limit past failing
NO_CONTACT_MARGIN = -1.0
# a failure the row's continuous figures cannot see (a footprint over no support)
UNSEEN_FAILURE_MARGIN = -1e-3

MARGIN_TERMS = (
    "vertical_speed",
    "horizontal_speed",
    "slope",
    "tilt",
    "angular_rate",
    "clearance",
    "tip_over",
    "dynamic_tip",
    "propellant",
)

# the row columns the margin reads
ROW_COLUMNS = (
    "outcome",
    "touchdown_vertical_speed_m_s",
    "touchdown_horizontal_speed_m_s",
    "touchdown_tilt_deg",
    "touchdown_slope_deg",
    "touchdown_rate_deg_s",
    "underbody_clearance_m",
    "propellant_left_kg",
)


NAV_HEIGHT_TERM = "nav_height"
NAV_HEIGHT_COLUMN = "nav_height_gap_max_rel"
# the --nav-height-limit of a hunt that does not give one: the navigated height off
# by half the true height (or by 25 m below 50 m); a navigation filter that keeps its
# height stays below ~0.2 on the short test descent
DEFAULT_NAV_HEIGHT_LIMIT = 0.5


@dataclass(frozen=True)
class Margins:
    """Safety margins of ``n`` runs.

    Attributes
    ----------
    margin : ndarray, shape (n,)
        The run's margin (dimensionless, negative: failure).
    terms : dict of str to ndarray, shape (n,)
        Each term of :data:`MARGIN_TERMS` (NaN when the run did not touch down),
        and ``nav_height`` when asked for (NaN without a filter).
    limiting : ndarray of str, shape (n,)
        The term that sets the margin, ``'no_contact'`` or ``'unseen'``.
    """

    margin: np.ndarray
    terms: dict[str, np.ndarray]
    limiting: np.ndarray


def _param(columns: Mapping[str, Any], scenario: dict[str, Any], path: str, n: int) -> np.ndarray:
    """Per-row value of a scenario field: its dispersed column, else the scenario's value."""
    if path in columns:
        return np.asarray(columns[path], dtype=np.float64)
    value = nominal_value(scenario, path)
    if value is None:
        raise ValueError(f"the scenario has no value at {path!r}")
    return np.full(n, float(value))


def safety_margins(
    columns: Mapping[str, Any],
    scenario: dict[str, Any],
    nav_height_limit: float | None = None,
) -> Margins:
    """The safety margin of each row.

    Parameters
    ----------
    columns : mapping of str to array-like, each of length n
        Result columns (:func:`surefoot.campaign.rows.result_schema`): at least
        :data:`ROW_COLUMNS`, and any dispersed field the margin reads (a
        ``pyarrow.Table.to_pydict()`` or a dict of arrays).
    scenario : dict
        The campaign's scenario as plain data (``Scenario.model_dump(mode='json')``).
    nav_height_limit : float, optional
        Add the ``nav_height`` term with this limit on the relative height gap
        (column ``nav_height_gap_max_rel``, > 0); it applies to every run with a
        navigation filter, landed or not.

    Returns
    -------
    Margins
    """
    outcome = np.asarray(columns["outcome"], dtype=object)
    n = outcome.size

    def col(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=np.float64)

    def par(path: str) -> np.ndarray:
        return _param(columns, scenario, path, n)

    vv = col("touchdown_vertical_speed_m_s")
    vh = col("touchdown_horizontal_speed_m_s")
    tilt = col("touchdown_tilt_deg")
    slope = col("touchdown_slope_deg")
    rate = col("touchdown_rate_deg_s")
    clearance = col("underbody_clearance_m")
    prop_left = col("propellant_left_kg")

    radius = par("vehicle.legs.radius_m")
    com_h = par("vehicle.legs.height_m") + par("vehicle.com_dry_body_m.2")
    g = par("moon.gm_m3_s2") / par("moon.radius_m") ** 2
    # the classifier's expressions, in its order of operations (same rounding)
    tip_angle = np.degrees(np.arctan2(radius, com_h))
    lever = np.hypot(radius, com_h)
    lift = lever - com_h * np.cos(np.radians(slope)) - radius * np.sin(np.radians(slope))
    lift0 = lever - com_h

    def frac(limit: np.ndarray, value: np.ndarray) -> np.ndarray:
        return (limit - value) / limit

    loaded = par("vehicle.propellant_kg")
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = {
            "vertical_speed": frac(par("touchdown.max_vertical_speed_m_s"), vv),
            "horizontal_speed": frac(par("touchdown.max_horizontal_speed_m_s"), vh),
            "slope": frac(par("touchdown.max_slope_deg"), slope),
            "tilt": frac(par("touchdown.max_tilt_deg"), tilt),
            "angular_rate": frac(par("touchdown.max_angular_rate_deg_s"), rate),
            "clearance": clearance / par("vehicle.legs.body_clearance_m"),
            "tip_over": frac(tip_angle, tilt + slope),
            "dynamic_tip": (g * np.maximum(lift, 0.0) - 0.5 * vh**2) / (g * lift0),
            "propellant": np.where(
                loaded > 0.0,
                prop_left / np.where(loaded > 0, loaded, 1.0),
                np.where(prop_left > 0.0, 1.0, 0.0),
            ),
        }
    stack = np.stack([terms[k] for k in MARGIN_TERMS], axis=1)
    contact = outcome != "no_contact"
    margin = np.full(n, NO_CONTACT_MARGIN)
    limiting = np.full(n, "no_contact", dtype=object)
    if np.any(contact):
        sub = stack[contact]
        # a NaN figure on a touchdown (never expected) counts as past its limit
        sub = np.where(np.isnan(sub), -np.inf, sub)
        k = np.argmin(sub, axis=1)
        margin[contact] = sub[np.arange(sub.shape[0]), k]
        limiting[contact] = np.asarray(MARGIN_TERMS, dtype=object)[k]
    unseen = contact & (outcome != "safe") & (margin >= 0.0)
    margin[unseen] = UNSEEN_FAILURE_MARGIN
    limiting[unseen] = "unseen"
    for name in MARGIN_TERMS:
        terms[name] = np.where(contact, terms[name], np.nan)
    if nav_height_limit is not None:
        if not nav_height_limit > 0.0:
            raise ValueError(f"nav height limit: must be > 0 (got {nav_height_limit})")
        gap = col(NAV_HEIGHT_COLUMN)
        nav = (nav_height_limit - gap) / nav_height_limit
        terms[NAV_HEIGHT_TERM] = nav
        lower = np.isfinite(nav) & (nav < margin)
        margin[lower] = nav[lower]
        limiting[lower] = NAV_HEIGHT_TERM
    return Margins(margin=margin, terms=terms, limiting=limiting)


# temperature of the soft minimum (fractions of a limit): terms within ~0.25 of the
# smallest still count
SOFT_MIN_TAU = 0.25


def soft_min_margin(m: Margins, tau: float = SOFT_MIN_TAU) -> np.ndarray:
    """A smooth lower bound of the margin that every term moves: ``-tau log sum exp(-m_i/tau)``.

    The hard minimum is flat wherever one term (say the vertical speed a
    guidance law always lands at) sets it, so a search ranked by it cannot
    tell a landing whose tilt grows toward its limit from one that is far
    from it. The soft minimum is at most the margin (``<= min_i m_i``, within
    ``tau log 9`` of it) and falls as any term falls. Runs without a
    touchdown, or with a failure the terms cannot see, keep their margin.

    Parameters
    ----------
    m : Margins
    tau : float
        Temperature, in fractions of a limit.

    Returns
    -------
    ndarray, shape (n,)
    """
    touchdown = np.stack([m.terms[k] for k in MARGIN_TERMS], axis=1)
    landed = np.any(np.isfinite(touchdown), axis=1)
    names = [*MARGIN_TERMS, *([NAV_HEIGHT_TERM] if NAV_HEIGHT_TERM in m.terms else [])]
    stack = np.stack([m.terms[k] for k in names], axis=1)
    finite = np.where(np.isfinite(stack), stack, np.inf)
    low = np.min(finite, axis=1)
    out = m.margin.copy()
    ok = np.isfinite(low) & landed & (m.limiting != "no_contact") & (m.limiting != "unseen")
    if np.any(ok):
        shifted = np.exp(-(finite[ok] - low[ok, None]) / tau)
        out[ok] = low[ok] - tau * np.log(np.sum(shifted, axis=1))
    return out
