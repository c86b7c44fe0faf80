"""The hunt report: the estimate beside plain Monte Carlo, convergence, failure region,
worst cases, in one offline HTML page (inline style, figures as base64 PNG).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import ks_2samp

from surefoot.campaign.hunt.driver import SUMMARY
from surefoot.campaign.hunt.margin import safety_margins
from surefoot.campaign.replay import campaign_scenario
from surefoot.campaign.report import _STYLE, _fmt, _png, _table, load_campaign, plt
from surefoot.campaign.sampling import base_dict
from surefoot.campaign.store import CampaignError, atomic_write
from surefoot.config.base import read_text_file, safe_text


@dataclass
class HuntData:
    """A finished hunt read back: summary, manifest, every stored run with its margin."""

    root: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    columns: dict[str, np.ndarray]
    margin: np.ndarray
    inputs: list[str]


def load_hunt(root: Path) -> HuntData:
    """Read a hunt folder (one-line :class:`CampaignError` when it is not a finished hunt)."""
    root = Path(root)
    data = load_campaign(root)
    manifest = data.store.manifest
    if "hunt" not in manifest:
        raise CampaignError(
            f"{safe_text(root)}: a campaign, not a hunt folder (see 'surefoot campaign report')"
        )
    path = root / SUMMARY
    if not path.exists():
        raise CampaignError(
            f"{safe_text(root)}: the hunt has not finished ({SUMMARY} is missing); "
            "rerun its command to resume it"
        )
    try:
        summary = json.loads(read_text_file(path, "hunt summary"))
        if not isinstance(summary, dict) or "worst_cases" not in summary:
            raise ValueError
    except (ValueError, RecursionError):
        raise CampaignError(f"{safe_text(path)}: corrupted (not a hunt summary)") from None
    cols = data.columns()
    scen = base_dict(campaign_scenario(data.store))
    try:
        limit = manifest["hunt"].get("nav_height_limit")
        margin = safety_margins(cols, scen, limit).margin
    except (KeyError, ValueError) as exc:
        raise CampaignError(f"{safe_text(root)}: corrupted ({safe_text(exc, 80)})") from None
    return HuntData(root, summary, manifest, cols, margin, [f.path for f in data.fields])


def influential_inputs(data: HuntData, k: int = 2) -> list[tuple[str, float]]:
    """Inputs ranked by how far their values near failure stray from the prior.

    Kolmogorov-Smirnov distance between an input's values in the runs nearest
    failure (the failed runs, or the lowest tenth of the margins when fewer
    than ten failed) and in the hunt's first level or generation (the
    campaign's own draws). A symmetric driver (failure at either extreme)
    ranks as high as a one-sided one, unlike a correlation.
    """
    settings = data.summary.get("settings", {})
    first = (
        settings.get("level_size")
        if "estimate" in data.summary
        else settings.get("generation_size")
    )
    run = np.asarray(data.columns["run_index"])
    prior = run < int(first or 0)
    order = np.argsort(data.margin, kind="stable")
    failed = data.margin < 0.0
    tail = (
        failed
        if np.count_nonzero(failed) >= 10
        else np.isin(np.arange(run.size), order[: max(2, run.size // 10)])
    )
    if np.count_nonzero(prior) < 2 or np.count_nonzero(tail) < 2:
        return []
    out = []
    for name in data.inputs:
        x = np.asarray(data.columns[name], dtype=float)
        if np.ptp(x) == 0.0:
            continue
        out.append((name, float(ks_2samp(x[tail], x[prior]).statistic)))
    out.sort(key=lambda t: -t[1])
    return out[:k]


def figure_convergence(data: HuntData) -> str:
    """Subset: the estimated P(margin <= b) against b, level by level; a search
    (cross-entropy, CMA-ES): the elite's margin and the worst margin by generation (base64 PNG)."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    est = data.summary.get("estimate")
    if est is not None:
        p_before = 1.0
        for j, lv in enumerate(est["levels"]):
            g = np.sort(np.asarray(lv["margins"], dtype=float))
            n = g.size
            prob = p_before * np.arange(1, n + 1) / n
            b = lv["threshold"]
            last = j == len(est["levels"]) - 1
            keep = np.ones(n, dtype=bool) if last or b is None else g <= b
            ax.step(g[keep], prob[keep], where="post", label=f"level {j}")
            p_before *= lv["conditional_p"]
        ax.axvline(0.0, color="#b00020", lw=1, ls="--", label="failure (margin 0)")
        top = max(float(np.max(lv["margins"])) for lv in est["levels"])
        ax.set_xlim(-1.0, max(top, 0.1) * 1.05)
        ax.set_yscale("log")
        ax.set_xlabel("margin b (fraction of the limit; below -1 not shown)")
        ax.set_ylabel("P(margin <= b)")
        ax.set_title("subset simulation: the margin's lower tail, level by level")
    else:
        gens = data.summary["search"]["generations"]
        elite = [np.nan if g["elite_margin"] is None else g["elite_margin"] for g in gens]
        worst = np.minimum.accumulate(
            [min((m for m in g["margins"] if m is not None), default=np.nan) for g in gens]
        )
        ax.plot(elite, "o-", label="elite's largest score (soft minimum)")
        ax.plot(worst, "s-", label="worst margin so far")
        ax.axhline(0.0, color="#b00020", lw=1, ls="--", label="failure (margin 0)")
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_xlabel("generation")
        ax.set_ylabel("margin")
        method = data.summary.get("settings", {}).get("method", "cross-entropy")
        ax.set_title(f"{method} search toward the worst margin")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def failure_boundary(x: np.ndarray, y: np.ndarray, failed: np.ndarray):
    """A quadratic logistic fit of failure on two inputs: ``P(fail | x, y)`` as a function,
    or None when one class is missing or the fit fails.

    The features are scaled to unit spread; the fit maximises the Bernoulli
    likelihood with a small ridge (1e-3) so a separable sample still has a
    finite boundary.
    """
    if failed.all() or not failed.any():
        return None
    mx, sx = float(np.mean(x)), float(np.std(x)) or 1.0
    my, sy = float(np.mean(y)), float(np.std(y)) or 1.0

    def features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        u, v = (a - mx) / sx, (b - my) / sy
        return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)

    f = features(x, y)
    t = failed.astype(float)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = f @ w
        p = expit(z)
        nll = float(np.sum(np.logaddexp(0.0, z) - t * z)) + 1e-3 * float(w @ w)
        return nll, f.T @ (p - t) + 2e-3 * w

    res = minimize(loss, np.zeros(6), jac=True, method="L-BFGS-B")
    if not np.all(np.isfinite(res.x)):
        return None
    return lambda a, b: expit(features(a, b) @ res.x)


def figure_region(data: HuntData, pair: list[tuple[str, float]]) -> str | None:
    """Runs in the two most influential inputs, safe and failed, with the line where a
    quadratic logistic fit of failure on those two inputs gives 50 % (base64 PNG)."""
    if len(pair) < 2:
        return None
    (a, _), (b, _) = pair
    x = np.asarray(data.columns[a], dtype=float)
    y = np.asarray(data.columns[b], dtype=float)
    m = data.margin
    fail = m < 0.0
    fig, ax = plt.subplots(figsize=(6, 5))
    sc = ax.scatter(
        x[~fail],
        y[~fail],
        c=np.clip(m[~fail], 0.0, 1.0),
        cmap="viridis",
        s=9,
        label="safe (colour: margin)",
    )
    ax.scatter(x[fail], y[fail], c="#b00020", marker="x", s=22, label="failed")
    fit = failure_boundary(x, y, fail)
    if fit is not None:
        gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), 120), np.linspace(y.min(), y.max(), 120))
        ax.contour(gx, gy, fit(gx, gy), levels=[0.5], colors="k", linewidths=1.2)
        ax.plot([], [], "k-", lw=1.2, label="P(fail) = 0.5 (quadratic logistic fit)")
    fig.colorbar(sc, ax=ax, label="margin (safe runs)")
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.set_title("failure region in the two most influential inputs")
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def render_html(data: HuntData) -> str:
    """The report page as a string."""
    s = data.summary
    name = html.escape(str(s.get("scenario", "")))
    settings = s.get("settings", {})
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>surefoot hunt: {name}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Failure hunt: {name}</h1>",
        f"<p class='note'>method {html.escape(str(settings.get('method')))}; seed "
        f"{html.escape(str(settings.get('seed')))}; {s['runs']} runs of a budget of "
        f"{html.escape(str(settings.get('budget')))}; {len(data.inputs)} dispersed inputs; "
        f"surefoot {html.escape(str(data.manifest.get('surefoot_version', '?')))}; folder "
        f"{html.escape(str(data.root))}</p>",
    ]
    est = s.get("estimate")
    if est is not None:
        lo, hi = est["interval_95"]
        what = "P(failure)" if est["complete"] else f"P({html.escape(est['event'])})"
        parts.append("<h2>Probability of failure</h2>")
        parts.append(
            f"<p class='big'>{what} = {_fmt(est['probability'])}, 95% interval "
            f"[{_fmt(lo)}, {_fmt(hi)}]</p>"
        )
        if not est["complete"]:
            parts.append(
                "<p>The budget ran out before the levels reached failure: this is "
                "the probability of the lowest margin reached, an upper bound on "
                "P(failure).</p>"
            )
        p = est["probability"]
        rows = [
            ["subset simulation (this hunt)", s["runs"], est["cov"]],
            [
                "plain Monte Carlo, same precision",
                est["plain_monte_carlo_runs_for_same_cov"],
                est["cov"],
            ],
            [
                "plain Monte Carlo, to see one failure on average",
                1.0 / p if p > 0 else math.nan,
                math.nan,
            ],
            [
                "plain Monte Carlo, 95% sure to see one failure",
                est["plain_monte_carlo_runs_to_see_one_failure"],
                math.nan,
            ],
        ]
        parts.append(_table(["", "runs", "coefficient of variation"], rows))
        parts.append(
            "<p class='note'>Interval: log-normal, with the coefficient of variation of "
            "Au &amp; Beck (2001) summed over levels (their bound for correlated levels). "
            "Plain Monte Carlo needs (1 - P) / (P cov<sup>2</sup>) runs for the same "
            "coefficient of variation and about 3 / P runs to see one failure with 95% "
            "probability.</p>"
        )
        lv_rows = [
            [
                j,
                len(lv["margins"]),
                lv["threshold"],
                lv["conditional_p"],
                lv["gamma"],
                lv["acceptance"],
            ]
            for j, lv in enumerate(est["levels"])
        ]
        parts.append(
            _table(["level", "samples", "threshold b", "P(level)", "gamma", "acceptance"], lv_rows)
        )
    search = s.get("search")
    if search is not None:
        parts.append("<h2>Worst margin found</h2>")
        parts.append(
            f"<p class='big'>worst margin {_fmt(search['worst_margin'])} at run "
            f"{search['worst_run']}; {s['failures_found']} failing runs in {s['runs']}</p>"
        )
    parts.append("<h2>Convergence</h2>")
    parts.append(f"<img alt='convergence' src='data:image/png;base64,{figure_convergence(data)}'>")
    pair = influential_inputs(data)
    parts.append("<h2>Failure region</h2>")
    if pair:
        parts.append(_table(["input", "KS distance near failure vs prior"], pair))
    fig = figure_region(data, pair)
    if fig is not None:
        parts.append(f"<img alt='failure region' src='data:image/png;base64,{fig}'>")
    parts.append(
        "<p class='note'>Every stored run of the hunt; a hunt samples where failure "
        "is, not the prior, so densities here are not probabilities.</p>"
    )
    parts.append("<h2>Worst cases</h2>")
    rows = []
    for c in s["worst_cases"]:
        inputs = "; ".join(f"{k} = {_fmt(v, 5)}" for k, v in c["inputs"].items())
        rows.append(
            [
                c["run_index"],
                c["margin"],
                c["limiting"],
                c["outcome"],
                c["failure_reason"] or "-",
                inputs,
                c["command"],
            ]
        )
    parts.append(
        _table(
            ["run", "margin", "limit", "outcome", "reason", "inputs", "re-fly bit for bit"], rows
        )
    )
    parts.append(
        "<p class='note'>Margin: the smallest normalised distance to a touchdown "
        "limit (fraction of the limit; negative: past it).</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(data: HuntData, out: Path) -> Path:
    """Write the HTML report atomically; returns its path."""
    text = render_html(data)
    out = Path(out)
    atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))
    return out
