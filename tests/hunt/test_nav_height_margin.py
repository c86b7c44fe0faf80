"""The margin's navigation height-gap term (``--nav-height-limit``): by hand, and in a hunt.

References: the term's definition ``(limit - gap) / limit`` on hand-made rows;
the stored rows of a flown hunt (``tests/hunt/short-descent.yaml`` with the
navigation filter) for the hunt's own margins, failure count and re-flights.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.campaign.hunt.driver import SUMMARY, HuntSettings
from surefoot.campaign.hunt.margin import (
    NAV_HEIGHT_TERM,
    NO_CONTACT_MARGIN,
    safety_margins,
    soft_min_margin,
)
from surefoot.campaign.replay import rerun
from surefoot.campaign.report import load_campaign
from surefoot.campaign.store import CampaignError
from surefoot.cli import main
from surefoot.config.loader import load_scenario

from .conftest import SHORT_DESCENT, short_descent

SCEN = load_scenario("default").model_dump(mode="json")


def _rows(gap: list[float], outcome: list[str] | None = None) -> dict[str, list]:
    n = len(gap)
    outcome = outcome or ["safe"] * n
    landed = [o != "no_contact" for o in outcome]
    return {
        "outcome": outcome,
        "touchdown_vertical_speed_m_s": [1.5 if k else math.nan for k in landed],
        "touchdown_horizontal_speed_m_s": [0.0 if k else math.nan for k in landed],
        "touchdown_tilt_deg": [0.0 if k else math.nan for k in landed],
        "touchdown_slope_deg": [0.0 if k else math.nan for k in landed],
        "touchdown_rate_deg_s": [0.0 if k else math.nan for k in landed],
        "underbody_clearance_m": [0.5 if k else math.nan for k in landed],
        "propellant_left_kg": [SCEN["vehicle"]["propellant_kg"]] * n,
        "nav_height_gap_max_rel": gap,
    }


def test_the_term_by_hand() -> None:
    # the vertical speed (1.5 m/s against the default's limit) sets the margin without it
    cols = _rows([0.1, 0.4, 0.9, math.nan, 2.0], ["safe"] * 4 + ["no_contact"])
    plain = safety_margins(cols, SCEN)
    m = safety_margins(cols, SCEN, nav_height_limit=0.5)
    base = float(plain.margin[0])
    assert 0.2 < base < 0.8 and list(plain.limiting[:4]) == ["vertical_speed"] * 4
    assert m.terms[NAV_HEIGHT_TERM][:3] == pytest.approx([0.8, 0.2, -0.8])
    assert m.margin == pytest.approx([base, 0.2, -0.8, base, -3.0])
    assert list(m.limiting) == [
        "vertical_speed",
        NAV_HEIGHT_TERM,
        NAV_HEIGHT_TERM,
        "vertical_speed",  # no filter: no term
        NAV_HEIGHT_TERM,  # a height lost by 4 limits is below the no-touchdown -1
    ]
    # no touchdown and a height kept: the no-touchdown margin
    kept = safety_margins(_rows([0.1], ["no_contact"]), SCEN, 0.5)
    assert kept.margin[0] == pytest.approx(NO_CONTACT_MARGIN)
    with pytest.raises(ValueError, match="nav height limit: must be > 0"):
        safety_margins(cols, SCEN, nav_height_limit=0.0)


@settings(max_examples=60, deadline=None)
@given(
    gap=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=6),
    limit=st.floats(0.01, 10.0),
    tilt=st.floats(0.0, 6.0),
)
def test_term_lowers_the_margin_and_the_soft_minimum_stays_below(
    gap: list[float], limit: float, tilt: float
) -> None:
    cols = _rows(gap)
    cols["touchdown_tilt_deg"] = [tilt] * len(gap)
    plain = safety_margins(cols, SCEN).margin
    m = safety_margins(cols, SCEN, nav_height_limit=limit)
    expected = np.minimum(plain, (limit - np.array(gap)) / limit)
    assert m.margin == pytest.approx(expected)
    assert np.all(soft_min_margin(m) <= m.margin + 1e-12)
    # the sign says: failed landing, or a height lost beyond the limit
    assert np.array_equal(m.margin < 0, (plain < 0) | (np.array(gap) > limit))


def test_a_hunt_with_the_height_term(
    warm_kernel: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A tight limit (0.05: the filter's height 5% off) on the filter's short descent:
    the hunt's margins are the rows' margins with the term, its failures count the
    lost heights, and the worst case re-flies bit for bit."""
    out = tmp_path / "h"
    argv = [
        "hunt",
        str(SHORT_DESCENT),
        "--set",
        "fsw.nav.source=ekf",
        "--method",
        "cross-entropy",
        "--budget",
        "20",
        "--generation-size",
        "10",
        "--nav-height-limit",
        "0.05",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())
    s = json.loads((out / SUMMARY).read_text())
    assert s["settings"]["nav_height_limit"] == 0.05
    cols = load_campaign(out).table.to_pydict()
    scen = short_descent(["fsw.nav.source=ekf"]).model_dump(mode="json")
    m = safety_margins(cols, scen, 0.05)
    margin = dict(zip(cols["run_index"], m.margin.tolist(), strict=True))
    for g in s["search"]["generations"]:
        assert [margin[i] for i in g["run_index"]] == g["margins"]
    lost = int(np.count_nonzero(np.array(cols["nav_height_gap_max_rel"]) > 0.05))
    assert lost > 0 and s["failures_found"] >= lost
    assert f"{s['failed_landings']} failed landings" in text
    # the lost heights rank among the worst cases (which term limits the very worst
    # run depends on the noise draws: a tip-over or the height)
    lost_height = [w for w in s["worst_cases"] if w["limiting"] == NAV_HEIGHT_TERM]
    assert lost_height and lost_height[0]["margin"] < 0.0
    worst = s["worst_cases"][0]
    assert worst["margin"] <= lost_height[0]["margin"]
    assert rerun(out, worst["run_index"], telemetry=False).identical
    # the limit is part of the hunt: another limit in the same folder is refused
    argv[argv.index("0.05")] = "0.1"
    assert main(argv) == 2
    assert "nav_height_limit differs" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "x", "1e9"])
def test_bad_limits_are_one_line(value: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["hunt", str(SHORT_DESCENT), "--budget", "100", "--nav-height-limit", value]
    rc = main([*argv, "--out", str(tmp_path / "never")])
    err = capsys.readouterr().err
    assert rc == 2 and "--nav-height-limit" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "never").exists()


def test_the_settings_check_names_the_option() -> None:
    with pytest.raises(CampaignError, match="--nav-height-limit"):
        HuntSettings(budget=200, nav_height_limit=-1.0).check()
