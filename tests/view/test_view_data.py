"""What the view draws: the flattened-Moon frame, the event log, the page and its CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surefoot.cli import main
from surefoot.view.data import flatten, view_data
from surefoot.view.page import render_page

R = 1_737_400.0


@given(st.floats(0.0, 1_500e3), st.floats(0.0, 2 * math.pi), st.floats(0.0, 20e3))
def test_an_upright_lander_anywhere_is_upright_over_its_own_ground(
    s_m: float, az: float, h_m: float
) -> None:
    """Reference: on a sphere, the point at great-circle distance s and azimuth az from
    the site has central angle s / R; its local up is the site up turned by it."""
    a = s_m / R
    up = np.array([math.sin(a) * math.sin(az), math.sin(a) * math.cos(az), math.cos(a)])
    r_enu = ((R + h_m) * up - np.array([0.0, 0.0, R]))[None, :]
    # body z along the local up: the turn by `a` about (site up x horizontal direction)
    k = np.array([-math.cos(az), math.sin(az), 0.0])
    q = np.concatenate(([math.cos(a / 2)], math.sin(a / 2) * k))[None, :]
    pos, q_local = flatten(r_enu, q, R)
    np.testing.assert_allclose(
        pos[0], [s_m * math.sin(az), s_m * math.cos(az), h_m], atol=1e-6 * max(1.0, s_m)
    )
    np.testing.assert_allclose(q_local[0], [1.0, 0.0, 0.0, 0.0], atol=1e-9)


def test_view_data_of_the_default_landing(default_run: object) -> None:
    d = view_data(default_run)
    s = d["series"]
    n = len(s["t"])
    assert 1000 < n <= 3001 and all(len(v) == n for v in s.values())
    assert s["t"][-1] == pytest.approx(default_run.col("t")[-1], abs=1e-3)
    # ideal navigation: the estimate is the truth plus its noise
    assert abs(s["altitude_est"][-1] - s["altitude"][-1]) < 5.0
    assert [p["name"] for p in d["phases"]] == ["braking", "approach", "terminal"]
    assert d["events"][-1]["text"] == "outcome: safe"
    assert d["terrain"]["nx"] <= 201 and len(d["terrain"]["h"]) == d["terrain"]["nx"] ** 2
    json.dumps(d, allow_nan=False)  # strict JSON: NaN went to null


def test_page_escapes_the_data_and_keeps_one_script_per_role(default_run: object) -> None:
    d = view_data(default_run)
    d["scenario"] = "</script><script>alert(1)</script>"
    html = render_page(d)
    assert html.count("<script") == 4  # three.js, the shared scene, the data, the page code
    assert "<script>alert(1)" not in html


@given(st.text(max_size=8))
def test_bad_port_is_one_line_exit_2(text: str) -> None:
    try:
        if 0 <= int(text) <= 65535:
            return  # a valid port: not this test's business
    except ValueError:
        pass
    with pytest.raises(SystemExit) as e:
        main(["view", ".", "--port", text])
    assert e.value.code == 2


def test_bad_run_dir_and_export_name_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", str(tmp_path / "missing")]) == 2
    assert main(["view", str(tmp_path), "--export", str(tmp_path / "view.png")]) == 2
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("surefoot: error: ") for line in err)
    assert "not a folder" in err[0] and ".html" in err[1] and "is missing" in err[2]


NO_CONTACT_NULLS = (
    "touchdown_vertical_speed_m_s",
    "touchdown_horizontal_speed_m_s",
    "touchdown_tilt_deg",
    "distance_from_target_m",
)


def test_a_run_that_never_touched_down_views_with_null_not_nan(
    default_run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``no_contact`` run's summary holds null for what touchdown would have measured
    (and a null seed): the view data and the page's JSON carry null, strict JSON, and
    ``surefoot view --export`` writes the page instead of a traceback."""
    import shutil

    from surefoot.analysis.run_folder import read_run_folder

    run_dir = tmp_path / "no-contact"
    shutil.copytree(default_run_dir, run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary.update({k: None for k in (*NO_CONTACT_NULLS, "touchdown_east_m", "touchdown_north_m")})
    summary.update(outcome="no_contact", seed=None, failure_reason="no touchdown")
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")

    d = view_data(read_run_folder(run_dir))
    text = json.dumps(d, allow_nan=False)  # raises on NaN
    back = json.loads(text)
    assert all(back["summary"][k] is None for k in NO_CONTACT_NULLS)
    assert back["summary"]["flight_time_s"] == summary["flight_time_s"]
    assert back["seed"] == 0 and back["touchdown"] is None
    assert '"distance_from_target_m":null' in render_page(d)

    page = tmp_path / "view.html"
    assert main(["view", str(run_dir), "--export", str(page)]) == 0
    assert page.is_file() and "Traceback" not in capsys.readouterr().err
