"""The safety margin agrees with the outcome classifier: negative exactly when a landing fails.

References: the classifier itself (:func:`surefoot.world.contact.classify_touchdown`)
on random touchdown states, and flown rows of every outcome.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.campaign.hunt.margin import (
    MARGIN_TERMS,
    NO_CONTACT_MARGIN,
    UNSEEN_FAILURE_MARGIN,
    safety_margins,
)
from surefoot.campaign.rows import batch_table, fly_for_rows
from surefoot.config.loader import load_scenario
from surefoot.world.contact import (
    N_TD,
    TD_CONTACT,
    TD_OFF_SUPPORT,
    TD_RATE_DEG_S,
    TD_SLOPE_DEG,
    TD_TILT_DEG,
    TD_UNDERBODY_RISE_M,
    TD_V_HORIZ,
    TD_V_VERT,
    classify_touchdown,
)

from .conftest import short_descent


def _columns(
    td: np.ndarray, outcome: np.ndarray, body_clearance: float, prop_left: np.ndarray
) -> dict:
    """What a row holds of a touchdown (as ``BatchResult.summary`` computes it)."""
    contact = td[:, TD_CONTACT] > 0.5

    def c(k: int) -> list[float]:
        return [float(v) if ok else math.nan for v, ok in zip(td[:, k], contact, strict=True)]

    return {
        "outcome": list(outcome),
        "touchdown_vertical_speed_m_s": c(TD_V_VERT),
        "touchdown_horizontal_speed_m_s": c(TD_V_HORIZ),
        "touchdown_tilt_deg": c(TD_TILT_DEG),
        "touchdown_slope_deg": c(TD_SLOPE_DEG),
        "touchdown_rate_deg_s": c(TD_RATE_DEG_S),
        "underbody_clearance_m": [
            float(body_clearance - r) if ok else math.nan
            for r, ok in zip(td[:, TD_UNDERBODY_RISE_M], contact, strict=True)
        ],
        "propellant_left_kg": list(prop_left),
    }


touchdowns = st.lists(
    st.tuples(
        st.sampled_from([0.0, 1.0, 1.0, 1.0]),  # contact
        st.floats(0.0, 8.0),
        st.floats(0.0, 5.0),  # vertical, horizontal speed (m/s)
        st.floats(0.0, 40.0),
        st.floats(0.0, 30.0),  # tilt, slope (deg)
        st.floats(0.0, 10.0),
        st.floats(-0.5, 2.0),  # rate (deg/s), underbody rise (m)
        st.sampled_from([0.0, 0.0, 0.0, 1.0]),  # off support
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(touchdowns, st.sampled_from([2.0, 0.5, 10.0]))
def test_sign_agrees_with_the_classifier_on_random_touchdowns(
    rows: list, limit_scale: float
) -> None:
    s = load_scenario("default", [f"touchdown.max_tilt_deg={4.0 * limit_scale}"])
    td = np.zeros((len(rows), N_TD))
    for i, (c, vv, vh, tilt, slope, rate, rise, off) in enumerate(rows):
        td[
            i,
            [
                TD_CONTACT,
                TD_V_VERT,
                TD_V_HORIZ,
                TD_TILT_DEG,
                TD_SLOPE_DEG,
                TD_RATE_DEG_S,
                TD_UNDERBODY_RISE_M,
                TD_OFF_SUPPORT,
            ],
        ] = c, vv, vh, tilt, slope, rate, rise, off
    legs = s.vehicle.legs
    com_h = legs.height_m + s.vehicle.com_dry_body_m[2]
    g = s.moon.gm_m3_s2 / s.moon.radius_m**2
    outcome = classify_touchdown(td, s.touchdown, legs, com_h, g)
    m = safety_margins(
        _columns(td, outcome, legs.body_clearance_m, np.full(len(rows), 50.0)),
        s.model_dump(mode="json"),
    )
    assert np.array_equal(m.margin >= 0.0, outcome == "safe")
    assert np.all(m.margin[outcome == "no_contact"] == NO_CONTACT_MARGIN)
    seen = (outcome != "safe") & (outcome != "no_contact") & (m.limiting != "unseen")
    # a failure the row can see is below zero by a term, not by the cap
    assert np.all(m.margin[seen] < 0.0)
    unseen = m.limiting == "unseen"
    assert np.all(td[unseen, TD_OFF_SUPPORT] > 0.5)
    assert np.all(m.margin[unseen] == UNSEEN_FAILURE_MARGIN)


def test_terms_are_fractions_of_their_limits() -> None:
    """Hand values: half the vertical limit is a margin of 0.5, on the limit 0, twice it -1."""
    s = load_scenario("default")
    lim = s.touchdown
    cols = {
        "outcome": ["safe", "safe", "hard"],
        "touchdown_vertical_speed_m_s": [
            0.5 * lim.max_vertical_speed_m_s,
            lim.max_vertical_speed_m_s,
            2.0 * lim.max_vertical_speed_m_s,
        ],
        "touchdown_horizontal_speed_m_s": [0.0, 0.0, 0.0],
        "touchdown_tilt_deg": [0.0, 0.0, 0.0],
        "touchdown_slope_deg": [0.0, 0.0, 0.0],
        "touchdown_rate_deg_s": [0.0, 0.0, 0.0],
        "underbody_clearance_m": [s.vehicle.legs.body_clearance_m] * 3,
        "propellant_left_kg": [s.vehicle.propellant_kg] * 3,
    }
    m = safety_margins(cols, s.model_dump(mode="json"))
    np.testing.assert_allclose(m.margin, [0.5, 0.0, -1.0])
    assert list(m.limiting) == ["vertical_speed"] * 3
    assert set(m.terms) == set(MARGIN_TERMS)
    np.testing.assert_allclose(m.terms["tilt"], 1.0)
    np.testing.assert_allclose(m.terms["clearance"], 1.0)


def test_a_dispersed_limit_is_read_from_its_column() -> None:
    s = load_scenario("default")
    cols = {
        "outcome": ["safe"],
        "touchdown_vertical_speed_m_s": [1.5],
        "touchdown_horizontal_speed_m_s": [0.0],
        "touchdown_tilt_deg": [0.0],
        "touchdown_slope_deg": [0.0],
        "touchdown_rate_deg_s": [0.0],
        "underbody_clearance_m": [0.5],
        "propellant_left_kg": [s.vehicle.propellant_kg],
        "touchdown.max_vertical_speed_m_s": [3.0],
    }
    assert safety_margins(cols, s.model_dump(mode="json")).margin[0] == pytest.approx(0.5)


def test_sign_agrees_with_success_on_flown_rows(warm_kernel: None) -> None:
    """Flown landings of every outcome: safe, hard, tipped, crashed, no touchdown."""
    # measured outcomes: safe, safe, hard, crashed, tipped, hard
    misalignments = [(0.0, 0.0), (3.0, 0.0), (0.0, -3.5), (-4.25, 0.0), (4.5, 0.0), (0.0, 4.25)]
    scenarios = [
        short_descent([f"vehicle.engine.misalignment_deg=[{a},{b}]"]) for a, b in misalignments
    ]
    result = fly_for_rows(scenarios)
    table = batch_table(result, list(range(len(scenarios))), np.zeros((len(scenarios), 0)), [])
    # no touchdown within 20 s (a batch of its own: the clock is shared in a batch)
    late = fly_for_rows([short_descent(["sim.max_time_s=20"])])
    table = pa.concat_tables([table, batch_table(late, [len(scenarios)], np.zeros((1, 0)), [])])
    cols = table.to_pydict()
    m = safety_margins(cols, scenarios[0].model_dump(mode="json"))
    assert {"safe", "hard", "tipped", "crashed", "no_contact"} <= set(cols["outcome"])
    assert np.array_equal(m.margin >= 0.0, np.array(cols["success"]))
    # the margin falls as the misalignment grows on the safe side (tilt sets it)
    assert m.margin[0] > m.margin[1] > 0.0


def test_soft_minimum_bounds_the_margin_and_moves_with_every_term() -> None:
    """``min - tau log 9 <= soft <= min`` (9 terms); where the vertical speed sets the
    margin, a growing tilt still lowers the soft minimum (it guides the search)."""
    from surefoot.campaign.hunt.margin import SOFT_MIN_TAU, soft_min_margin

    s = load_scenario("default")
    tilts = [0.0, 1.5, 3.0, 4.5]
    cols = {
        "outcome": ["safe"] * 4 + ["no_contact"],
        "touchdown_vertical_speed_m_s": [1.0] * 4 + [math.nan],
        "touchdown_horizontal_speed_m_s": [0.0] * 4 + [math.nan],
        "touchdown_tilt_deg": tilts + [math.nan],
        "touchdown_slope_deg": [0.0] * 4 + [math.nan],
        "touchdown_rate_deg_s": [0.0] * 4 + [math.nan],
        "underbody_clearance_m": [0.5] * 4 + [math.nan],
        "propellant_left_kg": [s.vehicle.propellant_kg] * 5,
    }
    m = safety_margins(cols, s.model_dump(mode="json"))
    soft = soft_min_margin(m)
    assert np.all(m.margin[:4] == 0.5)  # flat: the vertical speed sets it
    assert np.all(np.diff(soft[:4]) < 0.0)  # the soft minimum falls with the tilt
    assert np.all(soft <= m.margin)
    assert np.all(soft[:4] >= m.margin[:4] - SOFT_MIN_TAU * math.log(len(MARGIN_TERMS)))
    assert soft[4] == NO_CONTACT_MARGIN
