"""Hazard looks travel from the flight to the view: the run folder keeps them
(``hazard_looks.json``), the view's data carries them, and the page draws them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import surefoot
from surefoot.analysis.run_folder import read_run_folder
from surefoot.config.loader import ConfigError
from surefoot.view.data import view_data


@pytest.fixture(scope="module")
def hazard_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, surefoot.Landing]:
    out = tmp_path_factory.mktemp("hazard_run")
    return out, surefoot.run("hazard-field", out=out, figures=False)


def test_the_looks_reach_the_view_with_the_site_they_chose(
    hazard_run: tuple[Path, surefoot.Landing],
) -> None:
    out, landing = hazard_run
    looks = landing.result.hda_looks[landing.index]
    assert looks, "hazard-field takes at least one look"
    stored = json.loads((out / "hazard_looks.json").read_text())
    assert len(stored) == len(looks)
    data = view_data(read_run_folder(out))
    assert len(data["looks"]) == len(looks)
    last = data["looks"][-1]
    # the last look's choice is where the run aimed in the end
    s = landing.summary
    assert last["after"] == pytest.approx([s["final_target_east_m"], s["final_target_north_m"]],
                                          abs=0.01)
    assert last["sensor"][2] > 10.0  # looked from above the ground
    assert last["t"] <= s["flight_time_s"]


_WHOLE_LOOK = '"sensor_enu_m": [0, 0, 100], "target_before_enu_m": [0, 0, 0], ' \
    '"target_after_enu_m": [0, 0, 0]'


@pytest.mark.parametrize(
    "text",
    [
        '[{"t_s": 1.0, "sensor_enu_m": [1, 2]}]',
        # a look at a time that is not a number would reach the page as NaN
        f'[{{"t_s": NaN, {_WHOLE_LOOK}}}]',
        f'[{{"t_s": true, {_WHOLE_LOOK}}}]',
    ],
)
def test_a_damaged_looks_file_is_one_line(hazard_run: tuple[Path, surefoot.Landing],
                                          tmp_path: Path, text: str) -> None:
    import shutil

    out, _ = hazard_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    (copy / "hazard_looks.json").write_text(text)
    with pytest.raises(ConfigError, match="hazard_looks.json") as err:
        read_run_folder(copy).hazard_looks()
    assert "\n" not in str(err.value)


def test_the_page_draws_the_looks(browser: object, hazard_run: tuple[Path, surefoot.Landing],
                                  tmp_path: Path) -> None:
    from surefoot.cli import main

    out, _ = hazard_run
    page_file = tmp_path / "view.html"
    assert main(["view", str(out), "--export", str(page_file)]) == 0
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_function("window.surefootView && window.surefootView.ready", timeout=30_000)
    assert errors == []
    assert page.evaluate("window.surefootView.data.looks.length") >= 1
    page.close()
