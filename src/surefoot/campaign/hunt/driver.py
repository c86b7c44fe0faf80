"""Run a failure hunt on a scenario: folder, workers, algorithm, worst cases, summary file.

A hunt folder is a campaign folder (``campaign.json`` with a ``hunt`` block
that is part of its definition, Parquet part files of result rows, one per
flown batch) plus ``hunt.json``, the summary written when the hunt ends.
Run ``i`` of a hunt with seed ``S`` has the run seed of run ``i`` of a
campaign with seed ``S``; its dispersed inputs are where the algorithm put
it, and its row holds them, so ``surefoot campaign rerun DIR i`` re-flies it
bit for bit. A killed hunt resumes by replaying the algorithm from its
seed: the runs already stored are read back, the rest are flown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surefoot.campaign.backends import Backend, make_backend
from surefoot.campaign.hunt import cmaes, cross_entropy, subset
from surefoot.campaign.hunt.flight import FlightTally, FlownProblem
from surefoot.campaign.hunt.margin import safety_margins
from surefoot.campaign.runner import manifest_for
from surefoot.campaign.store import CampaignError, CampaignStore
from surefoot.config.dispersions import ResolvedDispersions, resolve_dispersions
from surefoot.config.schema import Scenario
from surefoot.sim.output import atomic_write

METHODS = ("subset", "cross-entropy", "cmaes")
# runs per generation when none is given: the cross-entropy fit needs a large elite,
# CMA-ES learns from many small generations
DEFAULT_GENERATION_SIZE = {"cross-entropy": 100, "cmaes": 20}
SUMMARY = "hunt.json"
WORST_CASES = 10
MAX_BUDGET = 10_000_000
# a relative height gap beyond this is a lost filter whatever the limit
MAX_NAV_HEIGHT_LIMIT = 100.0


@dataclass(frozen=True)
class HuntSettings:
    """What a hunt does (all but ``budget`` define the hunt: a folder holds one).

    Attributes
    ----------
    method : str
        ``'subset'`` (probability of failure), ``'cross-entropy'`` or ``'cmaes'``
        (worst cases).
    budget : int
        Most runs to fly.
    seed : int
        Keys the prior draws, every run seed and the algorithm's proposals.
    level_size : int
        Subset simulation: samples per level.
    p0 : float
        Subset simulation: level probability.
    generation_size : int or None
        Cross-entropy and CMA-ES: runs per generation (None: the method's
        :data:`DEFAULT_GENERATION_SIZE`).
    elite_fraction : float
        Cross-entropy: fraction of a generation that refits the density.
    smoothing : float
        Cross-entropy: weight of the refit in the update.
    nav_height_limit : float or None
        Add the navigation height-gap term to the margin with this limit
        (:func:`surefoot.campaign.hunt.margin.safety_margins`); None: touchdown
        limits and propellant only.
    """

    method: str = "subset"
    budget: int = 1000
    seed: int = 0
    level_size: int = 200
    p0: float = 0.1
    generation_size: int | None = None
    elite_fraction: float = 0.1
    smoothing: float = 0.7
    nav_height_limit: float | None = None

    def __post_init__(self) -> None:
        if self.generation_size is None:
            size = DEFAULT_GENERATION_SIZE.get(
                self.method, DEFAULT_GENERATION_SIZE["cross-entropy"]
            )
            object.__setattr__(self, "generation_size", size)

    def definition(self) -> dict[str, Any]:
        """The settings that make two hunts the same (stored in the manifest)."""
        # the margin's height term only when asked for: older hunt folders stay the same
        margin = (
            {} if self.nav_height_limit is None else {"nav_height_limit": self.nav_height_limit}
        )
        if self.method == "subset":
            return {"method": self.method, "level_size": self.level_size, "p0": self.p0, **margin}
        if self.method == "cmaes":
            return {"method": self.method, "generation_size": self.generation_size, **margin}
        return {
            "method": self.method,
            "generation_size": self.generation_size,
            "elite_fraction": self.elite_fraction,
            "smoothing": self.smoothing,
            **margin,
        }

    def check(self) -> None:
        """Raise :class:`CampaignError` (one line naming the option) on a bad setting."""
        if self.method not in METHODS:
            raise CampaignError(
                f"--method: must be one of {', '.join(METHODS)} (got {self.method!r})"
            )
        if not 1 <= self.budget <= MAX_BUDGET:
            raise CampaignError(f"--budget: must be 1..{MAX_BUDGET} (got {self.budget})")
        if not 0 <= self.seed < 2**63:
            raise CampaignError(f"--seed: must be >= 0 and < 2**63 (got {self.seed})")
        limit = self.nav_height_limit
        if limit is not None and not (math.isfinite(limit) and 0.0 < limit <= MAX_NAV_HEIGHT_LIMIT):
            raise CampaignError(
                f"--nav-height-limit: must be a number in (0, {MAX_NAV_HEIGHT_LIMIT:g}] "
                f"(got {limit})"
            )
        try:
            if self.method == "subset":
                subset.check_settings(self.level_size, self.p0)
                first = self.level_size
                what = "--level-size"
            elif self.method == "cmaes":
                cmaes.check_settings(self.generation_size)
                first = self.generation_size
                what = "--generation-size"
            else:
                cross_entropy.check_settings(
                    self.generation_size, self.elite_fraction, self.smoothing
                )
                first = self.generation_size
                what = "--generation-size"
        except ValueError as exc:
            raise CampaignError(f"--{str(exc).replace(' ', '-', 1)}") from None
        if self.budget < first:
            raise CampaignError(f"--budget: must be >= {what} ({first}) (got {self.budget})")


@dataclass
class HuntProgress:
    """Progress of a hunt: runs known (stored or flown), where the algorithm stands."""

    budget: int
    runs: int
    flown: int
    stage: str


@dataclass
class HuntOutcome:
    """What a hunt found (the content of ``hunt.json``)."""

    root: Path
    summary: dict[str, Any]
    tally: FlightTally


def _worst_cases(problem: FlownProblem, root: Path, k: int) -> tuple[list[dict], int]:
    table = problem.table()
    if table.num_rows == 0:
        return [], 0
    cols = table.to_pydict()
    m = safety_margins(cols, problem.base, problem.nav_height_limit)
    order = np.argsort(m.margin, kind="stable")[:k]
    out = []
    for j in order.tolist():
        run = int(cols["run_index"][j])
        out.append(
            {
                "run_index": run,
                "margin": float(m.margin[j]),
                "limiting": str(m.limiting[j]),
                "outcome": cols["outcome"][j],
                "failure_reason": cols["failure_reason"][j],
                "inputs": {p: cols[p][j] for p in problem.resolved.paths},
                "seed": int(cols["seed"][j]),
                "command": f"surefoot campaign rerun {root} {run}",
            }
        )
    return out, int(np.count_nonzero(m.margin < 0.0))


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _subset_summary(r: subset.SubsetResult, s: HuntSettings) -> dict[str, Any]:
    p = r.probability
    cov = r.cov
    # plain Monte Carlo runs for the same coefficient of variation: (1 - p) / (p cov^2)
    mc_equal = (1.0 - p) / (p * cov * cov) if p > 0 and cov > 0 else None
    return {
        "complete": r.complete,
        "probability": p,
        "interval_95": [_finite(r.interval[0]), _finite(r.interval[1])],
        "interval_method": "log-normal, Au & Beck (2001) cov summed over levels",
        "cov": _finite(cov),
        "event": "margin < 0" if r.complete else f"margin <= {r.last_threshold:.6g}",
        "runs": r.runs,
        "plain_monte_carlo_runs_for_same_cov": _finite(mc_equal) if mc_equal else None,
        "plain_monte_carlo_runs_to_see_one_failure": _finite(3.0 / p) if p > 0 else None,
        "levels": [
            {
                "threshold": _finite(lv.threshold),
                "conditional_p": lv.conditional_p,
                "gamma": lv.gamma,
                "acceptance": _finite(lv.acceptance),
                "margins": [float(x) for x in lv.margin],
                "run_index": [int(x) for x in lv.run_index],
            }
            for lv in r.levels
        ],
    }


def _search_summary(r: cross_entropy.SearchResult) -> dict[str, Any]:
    return {
        "runs": r.runs,
        "worst_run": r.worst_run,
        "worst_margin": _finite(r.worst_margin),
        "failures": r.failures,
        "generations": [
            {
                "elite_margin": _finite(g.elite_margin),
                "mu": [float(x) for x in g.mu],
                "sigma": [float(x) for x in g.sigma],
                "margins": [_finite(float(x)) for x in g.margin],
                "run_index": [int(x) for x in g.run_index],
            }
            for g in r.generations
        ],
    }


def open_hunt(
    scenario: Scenario, settings: HuntSettings, out_dir: Path
) -> tuple[CampaignStore, ResolvedDispersions]:
    """Check the settings, resolve the dispersions, open (or resume) and lock the hunt folder."""
    settings.check()
    resolved = resolve_dispersions(scenario)
    if not resolved.fields:
        raise CampaignError(
            "dispersions: a hunt needs at least one dispersed field (the scenario has none)"
        )
    if scenario.fsw.plugin is not None:
        from surefoot.sim.external_fsw import load_plugin

        load_plugin(scenario.fsw.plugin)
    manifest = manifest_for(scenario, settings.seed, settings.budget, resolved)
    manifest["hunt"] = settings.definition()
    store = CampaignStore.create_or_resume(Path(out_dir), manifest)
    try:
        store.commit()
    except BaseException:
        store.close()
        raise
    return store, resolved


def execute_hunt(
    scenario: Scenario,
    settings: HuntSettings,
    store: CampaignStore,
    resolved: ResolvedDispersions,
    backend: Backend,
    *,
    progress: Callable[[HuntProgress], None] | None = None,
) -> HuntOutcome:
    """Run the hunt's algorithm on ``backend`` and write ``hunt.json``."""
    stage = ["level 0" if settings.method == "subset" else "generation 0"]

    def report(t: FlightTally) -> None:
        if progress is not None:
            progress(HuntProgress(settings.budget, t.stored + t.flown, t.flown, stage[0]))

    problem = FlownProblem(
        scenario,
        resolved,
        store,
        settings.seed,
        backend,
        on_batch=report,
        nav_height_limit=settings.nav_height_limit,
    )

    summary: dict[str, Any] = {
        "format": "surefoot-hunt/1",
        "scenario": scenario.name,
        "settings": asdict(settings),
        "inputs": list(resolved.paths),
    }
    if settings.method == "subset":

        def on_level(p: subset.SubsetProgress) -> None:
            b = "" if math.isnan(p.threshold) else f", margin <= {p.threshold:.3g}"
            stage[0] = f"level {p.level}{b}"
            report(problem.tally)

        r = subset.subset_simulation(
            problem,
            budget=settings.budget,
            level_size=settings.level_size,
            p0=settings.p0,
            seed=settings.seed,
            progress=on_level,
        )
        summary["estimate"] = _subset_summary(r, settings)
        runs = r.runs
    else:

        def on_gen(p: cross_entropy.SearchProgress) -> None:
            stage[0] = f"generation {p.generation + 1}, worst margin {p.worst_margin:.3g}"
            report(problem.tally)

        if settings.method == "cmaes":
            c = cmaes.cmaes_search(
                problem,
                budget=settings.budget,
                generation_size=settings.generation_size,
                seed=settings.seed,
                rank_by=problem.soft_margins,
                progress=on_gen,
            )
        else:
            c = cross_entropy.cross_entropy_search(
                problem,
                budget=settings.budget,
                generation_size=settings.generation_size,
                elite_fraction=settings.elite_fraction,
                smoothing=settings.smoothing,
                seed=settings.seed,
                rank_by=problem.soft_margins,
                progress=on_gen,
            )
        summary["search"] = _search_summary(c)
        runs = c.runs
    worst, failures = _worst_cases(problem, store.root, WORST_CASES)
    if settings.nav_height_limit is not None:
        # the margin counts lost heights too: say how many of its failures are landings
        table = problem.table()
        summary["failed_landings"] = int(
            sum(o != "safe" for o in table.column("outcome").to_pylist())
        )
    summary["runs"] = runs
    summary["failures_found"] = failures
    summary["worst_cases"] = worst
    text = json.dumps(summary, indent=1, allow_nan=False)
    atomic_write(store.root / SUMMARY, lambda p: p.write_text(text))
    return HuntOutcome(store.root, summary, problem.tally)


def run_hunt(
    scenario: Scenario,
    settings: HuntSettings,
    out_dir: Path,
    *,
    workers: int | None = None,
    dask: Any = None,
    progress: Callable[[HuntProgress], None] | None = None,
) -> HuntOutcome:
    """Run (or resume) a hunt from start to end (see :func:`execute_hunt`)."""
    if workers is not None and workers < 1:
        raise CampaignError(f"--workers: must be >= 1 (got {workers})")
    store, resolved = open_hunt(scenario, settings, out_dir)
    try:
        backend = make_backend(workers, dask)
        try:
            out = execute_hunt(scenario, settings, store, resolved, backend, progress=progress)
        except BaseException:
            backend.close(abort=True)
            raise
        backend.close()
        return out
    finally:
        store.close()
