"""A flown default landing and a headless Chromium for the web-view tests.

The browser is the system's Chromium (Debian package ``chromium``, which
``make test`` installs as root), driven by Playwright with its executable path:
nothing is downloaded at test time. Without it the browser tests are skipped
with the reason; with it, a browser that fails to start is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from surefoot.analysis.run_folder import RunFolder, read_run_folder
from surefoot.api import run
from surefoot.config.loader import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # WebGL on the CPU (SwiftShader): the machines have no GPU
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="session")
def default_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default-run")
    run(load_scenario("default")).save(out, figures=False)
    return out


@pytest.fixture(scope="session")
def default_run(default_run_dir: Path) -> RunFolder:
    return read_run_folder(default_run_dir)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.skip(
            f"{CHROMIUM} is not installed (Debian: apt-get install chromium; "
            "'make test' installs it when run as root)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
