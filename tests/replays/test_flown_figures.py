"""Flown figures beside a replay (``surefoot.analysis.flown_figures``) and replays whose
recommended variant cannot share a batch with the flown settings."""

from __future__ import annotations

import math

import pytest

from surefoot.analysis.flown_figures import FLOWN, FlownFigure, flown_deviation
from surefoot.api import replay
from surefoot.config.loader import load_scenario
from surefoot.sim.batch_fields import batch_groups


def test_a_value_deviates_by_its_ratio_and_a_range_only_outside_it() -> None:
    point = FlownFigure("x", "k", 2.0, "m")
    assert point.deviation(3.0) == pytest.approx(0.5)
    span = FlownFigure("x", "k", 250.0, "m", high=400.0)
    assert span.deviation(300.0) == 0.0
    assert span.deviation(200.0) == pytest.approx(200.0 / 250.0 - 1.0)
    assert span.deviation(500.0) == pytest.approx(500.0 / 400.0 - 1.0)
    assert span.flown_text() == "250-400"
    assert FlownFigure("x", "k", 0.0, "m", high=7000.0).flown_text() == "under 7,000"


def test_every_flown_figure_names_a_replay_and_a_finite_value() -> None:
    for name, figures in FLOWN.items():
        assert load_scenario(name).fsw.nav.source == "ekf", name
        for f in figures:
            assert math.isfinite(f.value) and (f.high is None or f.high > f.value)


def test_deviation_skips_what_the_summary_does_not_hold() -> None:
    # the zero-height altitude comes from the telemetry, not the summary
    dev = flown_deviation("hakuto-r-m1", {"touchdown_vertical_speed_m_s": 127.0,
                                          "distance_from_target_m": 3000.0})
    assert dev == {"touchdown_vertical_speed_m_s": 0.0, "distance_from_target_m": 0.0}


def test_batch_groups_keep_order_and_split_on_shared_fields() -> None:
    a = load_scenario("hakuto-r-m1")
    b = load_scenario("hakuto-r-m1", ["fsw.nav.rejection=robust"])
    c = load_scenario("hakuto-r-m1-recommended")  # another onboard map
    assert batch_groups([a, b, c]) == [[0, 1], [2]]
    assert batch_groups([c, a, b]) == [[0], [1, 2]]


def test_hakuto_replay_flies_its_recommended_variant_beside_the_flown_settings() -> None:
    # the recommended variant matches against another onboard map (fsw.nav.map), a
    # field one batch shares: the replay flies it in a batch of its own
    r = replay("hakuto-r-m1")
    assert list(r.summaries) == ["naive", "robust", "robust-recommended"]
    assert r.summaries["naive"]["outcome"] == "crashed"
    assert r.summaries["robust-recommended"]["outcome"] == "safe"


def test_fly_batches_apart_what_cannot_share_and_keeps_the_order() -> None:
    from surefoot.api import fly

    c = load_scenario("hakuto-r-m1-recommended")
    a = load_scenario("hakuto-r-m1", ["fsw.nav.rejection=robust"])
    landings = fly([c, a])
    assert [lnd.scenario.name for lnd in landings] == ["hakuto-r-m1-recommended", "hakuto-r-m1"]
    assert landings[0].result is not landings[1].result  # two batches
    assert landings[0].summary["scenario"] == "hakuto-r-m1-recommended"
