"""The campaign report: statistics as tables and figures in one HTML page.

The page is self-contained (inline style, figures as base64 PNG), so it
opens offline and can be mailed or archived with the results.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from surefoot.campaign.rows import result_schema, stored_schema  # noqa: E402
from surefoot.campaign.stats import (  # noqa: E402
    PERCENTILE_COLUMNS,
    PERCENTILES,
    CampaignStats,
    Driver,
    campaign_stats,
)
from surefoot.campaign.store import CampaignStore, atomic_write  # noqa: E402
from surefoot.config.dispersions import NumericField  # noqa: E402
from surefoot.sim.setup import SEED_DRAW_COLUMNS  # noqa: E402

OUTCOME_COLOURS = {
    "safe": "#2a9d4a",
    "hard": "#e0a800",
    "tipped": "#d9480f",
    "crashed": "#b00020",
    "no_contact": "#6a1b9a",
}


@dataclass
class CampaignData:
    """A stored campaign read back: its manifest, result table and input fields."""

    store: CampaignStore
    table: pa.Table
    fields: tuple[NumericField, ...]

    @property
    def inputs(self) -> list[str]:
        """Dispersed input columns, then what each run's seed drew (estimate error, IMU biases)."""
        drawn = [c for c in SEED_DRAW_COLUMNS if c in self.table.column_names]
        return [f.path for f in self.fields] + drawn

    def columns(self) -> dict[str, np.ndarray]:
        """The table as NumPy columns (strings as object arrays)."""
        out = {}
        for name in self.table.column_names:
            col = self.table.column(name)
            if pa.types.is_string(col.type):
                out[name] = np.array(col.to_pylist(), dtype=object)
            else:
                out[name] = col.to_numpy(zero_copy_only=False)
        return out


def fields_of(manifest: dict[str, Any]) -> tuple[NumericField, ...]:
    """The dispersed fields recorded in a manifest."""
    from surefoot.campaign.store import CampaignError

    try:
        return tuple(
            NumericField(path=str(d["path"]), integer=bool(d["integer"]))
            for d in manifest["inputs"]
        )
    except (KeyError, TypeError):
        raise CampaignError("campaign.json: corrupted (inputs)") from None


def load_campaign(root: Path) -> CampaignData:
    """Open a campaign folder and read every stored row (checked for corruption)."""
    store = CampaignStore.open(Path(root))
    fields = fields_of(store.manifest)
    # a folder written before the newest columns is read with the columns it holds
    table = store.read_table(stored_schema(store.part_files(), result_schema(fields)))
    return CampaignData(store=store, table=table, fields=fields)


def compute_stats(data: CampaignData, n_perm: int = 2000) -> CampaignStats:
    """Statistics of a stored campaign."""
    limits = data.store.manifest["scenario"].get("touchdown", {})
    from surefoot.config.schema import TouchdownLimits

    lim = TouchdownLimits.model_validate(limits).model_dump()
    return campaign_stats(data.columns(), data.inputs, lim, data.store.runs, n_perm=n_perm)


# --- figures ---------------------------------------------------------------------


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _outcome_colours(outcome: np.ndarray) -> list[str]:
    return [OUTCOME_COLOURS.get(o, "#444444") for o in outcome]


def figure_outcomes(stats: CampaignStats) -> str:
    """Bar chart of outcome classes (base64 PNG)."""
    fig, ax = plt.subplots(figsize=(6, 2.6))
    names = list(stats.outcome_counts)
    counts = [stats.outcome_counts[k] for k in names]
    ax.bar(names, counts, color=[OUTCOME_COLOURS[k] for k in names])
    for i, c in enumerate(counts):
        ax.text(i, c, str(c), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("runs")
    ax.set_title("outcomes")
    ax.margins(y=0.15)
    return _png(fig)


def figure_histograms(cols: dict[str, np.ndarray], limits: dict) -> str:
    """Histograms of touchdown speeds, landing error and propellant margin (base64 PNG)."""
    panels = (
        ("touchdown_vertical_speed_m_s", "vertical touchdown speed (m/s)",
         limits.get("max_vertical_speed_m_s")),
        ("touchdown_horizontal_speed_m_s", "horizontal touchdown speed (m/s)",
         limits.get("max_horizontal_speed_m_s")),
        ("distance_from_target_m", "landing error (m)", None),
        ("propellant_margin_kg", "propellant margin (kg)", 0.0),
    )
    fig, axes = plt.subplots(2, 2, figsize=(9, 5.5))
    for ax, (col, label, limit) in zip(axes.flat, panels, strict=True):
        v = np.asarray(cols[col], dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            ax.hist(v, bins=min(50, max(5, int(np.sqrt(v.size)) + 1)), color="#4c72b0")
        if limit is not None:
            ax.axvline(limit, color="#b00020", lw=1.2, ls="--", label="limit")
            ax.legend(fontsize=8)
        ax.set_xlabel(label)
        ax.set_ylabel("runs")
    fig.tight_layout()
    return _png(fig)


def figure_footprint(cols: dict[str, np.ndarray]) -> str:
    """Touchdown points around the target, coloured by outcome (base64 PNG)."""
    fig, ax = plt.subplots(figsize=(5, 5))
    e = np.asarray(cols["touchdown_east_m"], dtype=float)
    n = np.asarray(cols["touchdown_north_m"], dtype=float)
    ax.scatter(e, n, s=8, c=_outcome_colours(cols["outcome"]), alpha=0.7, lw=0)
    ax.plot(0, 0, marker="+", color="k", ms=12)
    ax.set_xlabel("east of target (m)")
    ax.set_ylabel("north of target (m)")
    ax.set_title("touchdown points")
    ax.set_aspect("equal", adjustable="datalim")
    return _png(fig)


def figure_drivers(cols: dict[str, np.ndarray], stats: CampaignStats) -> str | None:
    """Top drivers against the outcome (failures) and against landing error and margin."""
    panels: list[tuple[str, str]] = []
    for d in stats.failure_drivers[:3]:
        if math.isfinite(d.r):
            panels.append((d.input, "failure"))
    for metric in ("distance_from_target_m", "propellant_margin_kg"):
        ranked = stats.metric_drivers.get(metric, [])
        if ranked and math.isfinite(ranked[0].r):
            panels.append((ranked[0].input, metric))
    if not panels:
        return None
    ncol = min(3, len(panels))
    nrow = -(-len(panels) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.2 * nrow), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    colours = _outcome_colours(cols["outcome"])
    rng = np.random.default_rng(0)
    for ax, (name, target) in zip(axes.flat, panels, strict=False):
        x = np.asarray(cols[name], dtype=float)
        if target == "failure":
            y = (~np.asarray(cols["success"], dtype=bool)).astype(float)
            y = y + rng.uniform(-0.15, 0.15, y.size)
            ax.set_yticks([0, 1], ["safe", "not safe"])
            ax.set_title("failure vs input", fontsize=9)
        else:
            y = np.asarray(cols[target], dtype=float)
            label = {c: f"{lab} ({u})" for c, lab, u in PERCENTILE_COLUMNS}.get(target, target)
            ax.set_ylabel(label)
            ax.set_title(f"top driver of {label.split(' (')[0]}", fontsize=9)
        ax.scatter(x, y, s=7, c=colours, alpha=0.7, lw=0)
        ax.set_xlabel(name, fontsize=8)
    fig.tight_layout()
    return _png(fig)


# --- HTML --------------------------------------------------------------------------


def _fmt(v: Any, digits: int = 3) -> str:
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            return "-"
        return f"{v:.{digits}g}" if abs(v) < 1e5 else f"{v:.4e}"
    return html.escape(str(v))


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], last_html: Sequence[str] | None = None
) -> str:
    """An HTML table of escaped cells; ``last_html`` adds one cell of ready HTML per row."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    extra = [f"<td>{x}</td>" for x in last_html] if last_html is not None else [""] * len(rows)
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in row) + x + "</tr>"
        for row, x in zip(rows, extra, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _drivers_table(drivers: Sequence[Driver], with_means: bool) -> str:
    headers = ["input", "r", "permutation p"]
    if with_means:
        headers += ["mean (not safe)", "mean (safe)"]
    rows = []
    for d in drivers:
        row: list[Any] = [d.input, d.r, d.p_value]
        if with_means:
            row += [d.mean_failed, d.mean_safe]
        rows.append(row)
    return _table(headers, rows)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1000px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.big{font-size:1.3em}.note{color:#555;font-size:0.85em}img{max-width:100%}
"""


def render_html(
    data: CampaignData, stats: CampaignStats, views: dict[int, str] | None = None
) -> str:
    """The report page as a string; ``views`` maps a run index to the address (relative to
    the report) of that run's 3-D view page, linked from the worst-runs table."""
    views = views or {}
    m = data.store.manifest
    cols = data.columns()
    limits = data.store.manifest["scenario"].get("touchdown", {})
    from surefoot.config.schema import TouchdownLimits

    limits = TouchdownLimits.model_validate(limits).model_dump()
    name = m["scenario"].get("name", "")
    lo, hi = stats.success_ci
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>surefoot campaign: {html.escape(name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Monte Carlo campaign: {html.escape(name)}</h1>",
        f"<p class='note'>{stats.n} of {stats.runs_requested} runs stored; campaign seed "
        f"{html.escape(str(m['campaign_seed']))}; {len(data.inputs)} dispersed inputs; surefoot "
        f"{html.escape(str(m.get('surefoot_version', '?')))}, source "
        f"{html.escape(str(m.get('code_fingerprint', '?')))}; folder "
        f"{html.escape(str(data.store.root))}</p>",
        "<h2>Success probability</h2>",
    ]
    if stats.n:
        parts.append(
            f"<p class='big'>P(safe) = {stats.successes}/{stats.n} = "
            f"{stats.success_probability:.4f}; {stats.confidence:.0%} Clopper-Pearson interval "
            f"[{lo:.4f}, {hi:.4f}]</p>"
        )
    parts.append(_table(["outcome", "runs"], list(stats.outcome_counts.items())))
    if "failure_class" in cols:
        classes = [str(c) for c in cols["failure_class"] if c]
        if classes:
            counts = [
                [c, classes.count(c)]
                for c in ("logic", "sensor-limited", "hardware", "touchdown")
            ]
            parts.append(_table(["failure class", "runs"], counts))
            parts.append(
                "<p class='note'>logic: the flight software crashed, ran out of propellant or "
                "hovered a lander it could have landed; sensor-limited: the filter's own "
                "covariance shows the sensors flown could not observe what touchdown needed "
                "(3-sigma horizontal velocity above the limit, or 3-sigma horizontal position "
                "above the miss distance); hardware: an engine fault of the vehicle had "
                "started; touchdown: none of these.</p>"
            )
    parts.append(f"<img alt='outcomes' src='data:image/png;base64,{figure_outcomes(stats)}'>")

    parts.append("<h2>Touchdown figures</h2>")
    qs = [f"p{q:g}" for q in PERCENTILES]
    rows = []
    for col, label, unit in PERCENTILE_COLUMNS:
        p = stats.percentiles[col]
        rows.append([f"{label} ({unit})", int(p["n"]), p["min"], *[p[q] for q in qs], p["max"]])
    parts.append(_table(["quantity", "runs", "min", *qs, "max"], rows))
    parts.append("<p class='note'>Percentiles over the runs with a finite value (speeds, tilt "
                 "and landing error: runs that touched down).</p>")
    parts.append(f"<img alt='histograms' src='data:image/png;base64,"
                 f"{figure_histograms(cols, limits)}'>")
    parts.append(f"<img alt='footprint' src='data:image/png;base64,{figure_footprint(cols)}'>")

    parts.append("<h2>What drives failures</h2>")
    if stats.failure_drivers:
        parts.append(_drivers_table(stats.failure_drivers, with_means=True))
    elif not data.inputs:
        parts.append("<p>No dispersed inputs.</p>")
    else:
        parts.append("<p>No ranking: it needs at least one safe and one failed run.</p>")
    parts.append(
        "<p class='note'>Point-biserial correlation r between each input and the failure "
        "indicator (1 = not safe), ranked by |r|; positive r: larger values fail more. "
        f"p-value: two-sided permutation test ({stats.n_perm} shuffles of the outcome labels, "
        "fixed seed). Correlation is not causation; with many inputs expect some small "
        "p-values by chance.</p>"
    )
    for metric, ranked in stats.metric_drivers.items():
        parts.append(f"<h3>Drivers of {html.escape(metric)} (Spearman rank correlation)</h3>")
        parts.append(_drivers_table(ranked[:6], with_means=False))
    fig = figure_drivers(cols, stats)
    if fig is not None:
        parts.append(f"<img alt='drivers' src='data:image/png;base64,{fig}'>")

    parts.append("<h2>Worst runs</h2>")
    rows = [
        [
            int(r["run_index"]), int(r["seed"]), r["outcome"], r.get("failure_class") or "-",
            r["failure_reason"] or "-",
            r["touchdown_vertical_speed_m_s"], r["touchdown_horizontal_speed_m_s"],
            r["touchdown_tilt_deg"], r["distance_from_target_m"], r["propellant_margin_kg"],
        ]
        for r in stats.worst
    ]
    headers = ["run", "seed", "outcome", "class", "reason", "v vert (m/s)", "v horiz (m/s)",
               "tilt (deg)", "error (m)", "margin (kg)"]
    links = None
    if views:
        links = [
            (f"<a href='{html.escape(views[int(r['run_index'])], quote=True)}'>3-D view</a>"
             if int(r["run_index"]) in views else "-")
            for r in stats.worst
        ]
        headers.append("view")
    table = _table(headers, rows, links)
    parts.append(table)
    parts.append(
        "<p class='note'>Ordered by outcome class, then by the largest ratio of a touchdown "
        "figure to its safe limit. Re-fly one with telemetry: "
        f"<code>surefoot campaign rerun {html.escape(str(data.store.root))} RUN</code>.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    data: CampaignData, stats: CampaignStats, out: Path, views: dict[int, str] | None = None
) -> Path:
    """Write the HTML report atomically; returns its path."""
    text = render_html(data, stats, views)
    out = Path(out)
    atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))
    return out
