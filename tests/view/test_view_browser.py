"""The exported view in a real browser: it loads offline, the timeline scrubs, the
3-D canvas draws, and the served page is the same page."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from surefoot.cli import main
from surefoot.view.server import serve_in_thread

BACKGROUND = (2, 3, 10)  # the scene's clear colour, 0x02030a


def _canvas_pixels(page: object) -> np.ndarray:
    png = page.locator("#scene").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _not_background(px: np.ndarray) -> float:
    return float(np.mean(np.abs(px - np.array(BACKGROUND)).sum(axis=2) > 12))


@pytest.fixture(scope="module")
def exported(default_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("view") / "view.html"
    assert main(["view", str(default_run_dir), "--export", str(out)]) == 0
    return out


def _open(browser: object, url: str) -> tuple[object, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("window.surefootView && window.surefootView.ready", timeout=30_000)
    return page, requests, errors


def test_export_is_one_offline_file_under_10_mb(exported: Path) -> None:
    size = exported.stat().st_size
    assert 200_000 < size < 10_000_000
    text = exported.read_text(encoding="utf-8")
    assert "src=" not in text.split("<script", 1)[1].split(">", 1)[0]
    assert "http://" not in text.replace("http://www.w3.org", "")  # no URL to fetch


def test_exported_page_draws_scrubs_and_asks_for_nothing(browser: object, exported: Path) -> None:
    page, requests, errors = _open(browser, exported.as_uri())
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    view = "window.surefootView"
    t_end = page.evaluate(f"{view}.data.series.t.at(-1)")
    # the page opens near touchdown: terrain, target and lander in view
    near_touchdown = _canvas_pixels(page)
    assert _not_background(near_touchdown) > 0.3
    # scrub the timeline to 30 % by the slider, as a user drags it
    page.locator("#scrub").fill("300")
    t = page.evaluate(f"{view}.time")
    assert t == pytest.approx(0.3 * t_end, rel=0.01)
    assert page.locator("#clock").inner_text().startswith(f"{t:.1f}")
    braking = _canvas_pixels(page)
    assert _not_background(braking) > 0.002  # the lander and its plume over the dark sky
    assert np.abs(braking - near_touchdown).sum() > 0
    pos = page.evaluate(f"{view}.landerPosition()")
    assert pos[1] > 10_000  # three.js y is up: braking high above the surface
    # clicking a strip chart moves the cursor there too
    chart = page.locator(".chart canvas").first
    box = chart.bounding_box()
    chart.click(position={"x": box["width"] * 0.9, "y": box["height"] / 2})
    assert page.evaluate(f"{view}.time") == pytest.approx(0.9 * t_end, rel=0.02)
    # play advances time; pause holds it
    page.locator("#speed").select_option("100")
    page.locator("#scrub").fill("0")
    page.locator("#play").click()
    page.wait_for_function(f"{view}.time > 5", timeout=10_000)
    page.locator("#play").click()
    held = page.evaluate(f"{view}.time")
    page.wait_for_timeout(300)
    assert page.evaluate(f"{view}.time") == held
    # the event log lists the phase changes
    log = page.locator("#log").inner_text()
    assert "phase: approach" in log and "outcome: safe" in log
    page.close()


def test_served_page_is_the_exported_page(
    browser: object, default_run: object, exported: Path
) -> None:
    from surefoot.view.page import run_page

    html = run_page(default_run)
    assert html == exported.read_text(encoding="utf-8")
    url, stop = serve_in_thread(html)
    try:
        page, requests, errors = _open(browser, url)
        assert errors == []
        assert [u for u in requests if u != url] == []
        assert _not_background(_canvas_pixels(page)) > 0.3
        page.close()
    finally:
        stop()


def test_a_replay_folder_opens_side_by_side_on_one_time_axis(
    browser: object, default_run_dir: Path, tmp_path: Path
) -> None:
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in ("robust", "naive"):  # the page orders them as a replay does
        (replay / name).symlink_to(default_run_dir, target_is_directory=True)
    out = tmp_path / "compare.html"
    assert main(["view", str(replay), "--export", str(out)]) == 0
    assert out.stat().st_size < 10_000_000
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_function("window.surefootCompare && window.surefootCompare.ready", timeout=60_000)
    assert errors == []
    assert page.locator("#runs h2").all_inner_texts() == ["naive", "robust"]
    page.locator("#scrub").fill("250")
    t = page.evaluate("window.surefootCompare.time")
    page.wait_for_function(
        f"window.surefootCompare.childTimes().every(c => c === {t})", timeout=10_000
    )
    # a click on a chart inside one run moves every run there
    inner = page.frame_locator("iframe").first
    chart = inner.locator(".chart canvas").first
    box = chart.bounding_box()
    chart.click(position={"x": box["width"] * 0.8, "y": box["height"] / 2})
    page.wait_for_function(
        "Math.abs(window.surefootCompare.time - 0.8 * window.surefootCompare.T1) < 30",
        timeout=10_000,
    )
    t = page.evaluate("window.surefootCompare.time")
    page.wait_for_function(
        f"window.surefootCompare.childTimes().every(c => c === {t})", timeout=10_000
    )
    page.close()
