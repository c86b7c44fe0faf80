"""Mission-control mode: what the ground receives, when, and what it is shown.

Reference: the one-way Earth-Moon light time is the mean distance, 384,400 km,
over c = 299,792,458 m/s, 1.282 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surefoot.cli import main
from surefoot.view.downlink import EARTH_MOON_LIGHT_TIME_S, Downlink, parse_los, schedule
from surefoot.view.live import LiveSession
from surefoot.view.page import render_page
from surefoot.view.server import serve_in_thread


def test_earth_moon_light_time() -> None:
    assert EARTH_MOON_LIGHT_TIME_S == pytest.approx(1.2822, abs=1e-4)


@given(
    st.floats(0.1, 20.0),
    st.floats(0.0, 5.0),
    st.lists(st.tuples(st.floats(0.0, 300.0), st.floats(0.1, 60.0)), max_size=3),
)
def test_frames_are_late_by_the_light_time_spaced_by_the_rate_and_absent_in_los(
    rate: float, light: float, windows: list[tuple[float, float]]
) -> None:
    t = np.arange(0.0, 300.0, 0.1)
    los = tuple((a, a + w) for a, w in windows)
    f = schedule(t, Downlink(rate, light, los))
    np.testing.assert_allclose(f.t_received_s - f.t_sent_s, light, atol=1e-9)
    assert np.all(np.diff(f.t_sent_s) >= 1.0 / rate - 0.1 - 1e-9)  # rows are 0.1 s apart
    for a, b in los:
        assert not np.any((f.t_sent_s >= a) & (f.t_sent_s < b))
    if not los:  # nothing lost: one frame per period, or per row when the rows are rarer
        expected = min(math.floor(t[-1] * rate + 1e-9) + 1, t.size)
        assert abs(f.row.size - expected) <= 1


@pytest.mark.parametrize("text", ["5", "a:b", "10:5", "-1:3", "1:2:3", "nan:4"])
def test_bad_los_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="START"):
        parse_los(text)


def test_session_releases_frames_on_the_mission_clock(default_run: object) -> None:
    wall = [100.0]
    link = Downlink(2.0, EARTH_MOON_LIGHT_TIME_S, ((600.0, 660.0),))
    s = LiveSession(default_run, link, speed=10.0, clock=lambda: wall[0])
    first = s.poll()
    assert first["now"] == 0.0 and first["frames"] == []  # nothing has arrived yet
    wall[0] += 0.2  # 2 mission seconds later: frames sent at 0, 0.5 (received 1.28, 1.78)
    reply = s.poll()
    assert [f["t_sent"] for f in reply["frames"]] == [0.0, 0.5]
    assert all(
        f["t_received"] - f["t_sent"] == pytest.approx(1.2822, abs=1e-3) for f in reply["frames"]
    )
    wall[0] += 64.0  # mission time 642: inside the window seen from the ground
    reply = s.poll(after=1)
    assert reply["los"] is True
    sent = [f["t_sent"] for f in reply["frames"]]
    assert sent[0] == 1.0 and max(sent) < 600.0  # nothing sent in the window arrives
    assert reply["believes"]["t"] == reply["truth"]["t"] == pytest.approx(642.0, abs=0.15)
    # ideal navigation believes nearly the truth; the ground's newest frame is 42 s old
    assert abs(reply["believes"]["altitude"] - reply["truth"]["altitude"]) < 5.0


def test_live_page_streams_and_reports_the_light_time(browser: object, default_run: object) -> None:
    link = Downlink(5.0, EARTH_MOON_LIGHT_TIME_S, ((30.0, 45.0),))
    session = LiveSession(default_run, link, speed=20.0)
    url, stop = serve_in_thread(render_page(session.static, "live.html"), live=session)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function(
            "window.surefootLive && window.surefootLive.received.length > 20", timeout=30_000
        )
        assert errors == []
        link_text = page.locator("#link").inner_text()
        assert "light time 1.28 s one way" in link_text
        frames = page.evaluate("window.surefootLive.received.map(f => [f.t_sent, f.t_received])")
        assert all(r - s == pytest.approx(1.2822, abs=1e-3) for s, r in frames)
        # the ground's newest frame is at least one light time older than the mission now
        reply = page.evaluate("window.surefootLive.lastReply")
        assert reply["now"] - frames[-1][0] >= 1.2822 - 1e-3
        # through the loss of signal: the banner shows, no frame sent inside the window
        page.wait_for_function("window.surefootLive.lastReply.now > 50", timeout=30_000)
        sent = page.evaluate("window.surefootLive.received.map(f => f.t_sent)")
        assert not any(30.0 <= s < 45.0 for s in sent) and max(sent) > 45.0
        table = page.locator("#compare").inner_text()
        assert "lander believes now" in page.locator("thead").inner_text() and "altitude" in table
        png = page.locator("#scene").screenshot()
        assert len(png) > 5_000
        page.close()
    finally:
        stop()


def test_live_cli_refuses_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["view", "--live", "default", "--los", "9:3"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["view", "--live", "default", "--speed", "inf"])
    assert e.value.code == 2
    assert main(["view", "--live", "default", "--export", "x.html"]) == 2
    err = capsys.readouterr().err
    assert "give RUN_DIR or --live" in err and "START < END" in err and "--export" in err
