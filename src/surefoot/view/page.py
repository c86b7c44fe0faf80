"""One self-contained HTML page of a run: the template, three.js and the run's data
inlined, so the file opens offline and from anywhere (no network, no server)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from surefoot.view.data import view_data

_PLACEHOLDERS = (
    "__TITLE__",
    "__THREE_LICENSE__",
    "__THREE_JS__",
    "__SCENE_JS__",
    "__RUN_DATA__",
    "__RUNS__",
)


def _asset(*parts: str) -> str:
    return resources.files("surefoot.view").joinpath(*parts).read_text(encoding="utf-8")


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _script_json(data: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early: every '<' escaped."""
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def render_page(
    data: dict[str, Any], template: str = "page.html", *, embedded: bool = False
) -> str:
    """The page for :func:`surefoot.view.data.view_data` output ``data`` (``page.html``),
    or, with ``template="live.html"``, the live page of a
    :class:`surefoot.view.live.LiveSession` (``data``: its ``static`` part).
    ``embedded``: a page inside :func:`render_compare_page`, driven by the page
    around it (each keeps its own three.js: typed arrays of one frame are not
    those of another, so a library shared across frames refuses them)."""
    three = _asset("vendor", "three.min.js")
    scene = _asset("scene.js")
    for name, text in (("vendor/three.min.js", three), ("scene.js", scene)):
        if "</script" in text.lower():
            raise ValueError(f"{name} contains '</script': cannot inline it")
    values = {
        "__TITLE__": _html_text(f"{data['scenario']} seed {data['seed']}"),
        "__THREE_LICENSE__": _asset("vendor", "three.LICENSE").replace("--", "- -"),
        "__THREE_JS__": three,
        "__SCENE_JS__": scene,
        "__RUN_DATA__": _script_json(data),
        "__RUNS__": _script_json(data),
    }
    # one pass over the template: a placeholder inside inserted text stays as it is
    out = []
    rest = _asset(template)
    while True:
        hits = [(rest.find(k), k) for k in _PLACEHOLDERS if rest.find(k) >= 0]
        if not hits:
            out.append(rest)
            break
        pos, key = min(hits)
        out.append(rest[:pos])
        out.append(values[key])
        rest = rest[pos + len(key) :]
    html = "".join(out)
    return html.replace("<body>", '<body class="embedded">', 1) if embedded else html


def render_compare_page(title: str, runs: list[tuple[str, dict[str, Any]]]) -> str:
    """Several runs side by side on one time axis: ``runs`` is (label,
    :func:`surefoot.view.data.view_data`) pairs; each run is its own page inside
    the comparison, which holds the clock and the controls."""
    items = [
        {
            "label": label,
            "t0": data["series"]["t"][0],
            "t1": data["series"]["t"][-1],
            "html": render_page(data, embedded=True),
        }
        for label, data in runs
    ]
    first = runs[0][1]
    return render_page(
        {"scenario": title, "seed": first["seed"], "title": title, "runs": items},
        "compare.html",
    )


def run_page(run: Any) -> str:
    """The page of a :class:`surefoot.analysis.run_folder.RunFolder`."""
    return render_page(view_data(run))
