"""Statistics of a campaign that a review board can check.

- Success probability with the Clopper-Pearson ("exact") interval: the
  bounds are quantiles of beta distributions, ``Beta(a/2; k, n-k+1)`` and
  ``Beta(1-a/2; k+1, n-k)`` (Clopper and Pearson 1934), conservative at any n.
- Percentiles of touchdown figures over the runs that touched down (linear
  interpolation between order statistics, NumPy's default).
- Sensitivity of failure to each dispersed input: the point-biserial
  correlation ``r`` between the input and the failure indicator (Pearson's r
  with a 0/1 variable; positive: larger values fail more), ranked by ``|r|``,
  with a two-sided permutation p-value (failure labels shuffled
  ``n_perm`` times with a fixed seed, ``p = (1 + #{|r_perm| >= |r|}) / (1 + n_perm)``),
  which needs no normality of the input.
- Drivers of continuous figures (landing error, propellant margin):
  Spearman rank correlation with the same permutation p-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

OUTCOME_SEVERITY = {"safe": 0, "hard": 1, "tipped": 2, "crashed": 3, "no_contact": 3}
PERCENTILES = (1.0, 5.0, 50.0, 95.0, 99.0)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided confidence interval of a binomial proportion.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``n >= 1``.
    confidence : float
        Coverage, e.g. 0.95.

    Returns
    -------
    (low, high) : tuple of float
    """
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1 (got k={k}, n={n})")
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2.0, k, n - k + 1))
    high = 1.0 if k == n else float(sps.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return low, high


def percentiles(values: np.ndarray, qs: Sequence[float] = PERCENTILES) -> dict[str, float]:
    """Count, mean, given percentiles and max of the finite values (NaN when none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    out: dict[str, float] = {"n": float(v.size)}
    if v.size == 0:
        out.update({f"p{q:g}": float("nan") for q in qs})
        out["mean"] = out["max"] = out["min"] = float("nan")
        return out
    out["min"] = float(v.min())
    for q, p in zip(qs, np.percentile(v, qs), strict=True):
        out[f"p{q:g}"] = float(p)
    out["max"] = float(v.max())
    out["mean"] = float(v.mean())
    return out


def _standardise(x: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit norm (NaN for constant columns)."""
    xc = x - x.mean(axis=0)
    norm = np.sqrt((xc * xc).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, xc / np.where(norm > 0, norm, 1.0), np.nan)


def correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each column of ``x`` (n, F) with ``y`` (n,); NaN if either is constant."""
    xs = _standardise(np.asarray(x, dtype=float).reshape(len(y), -1))
    ys = _standardise(np.asarray(y, dtype=float).reshape(-1, 1))[:, 0]
    return xs.T @ ys


def permutation_pvalues(
    x: np.ndarray, y: np.ndarray, n_perm: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of each column of ``x`` with ``y`` and its two-sided permutation p-value.

    Parameters
    ----------
    x : ndarray, shape (n, F)
    y : ndarray, shape (n,)
    n_perm : int
        Shuffles of ``y``.
    seed : int
        Seed of the shuffles (the report is reproducible).

    Returns
    -------
    r, p : ndarray, shape (F,)
        NaN where a column or ``y`` is constant.
    """
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    xs = _standardise(x)
    ys = _standardise(np.asarray(y, dtype=float).reshape(-1, 1))[:, 0]
    r = xs.T @ ys
    rng = np.random.default_rng(seed)
    exceed = np.zeros(x.shape[1])
    xs0 = np.nan_to_num(xs)
    ys0 = np.nan_to_num(ys)
    block = max(1, min(n_perm, 2_000_000 // max(len(y), 1)))
    done = 0
    while done < n_perm:
        m = min(block, n_perm - done)
        shuffled = rng.permuted(np.broadcast_to(ys0, (m, len(y))), axis=1)
        rp = shuffled @ xs0  # (m, F)
        exceed += (np.abs(rp) >= np.abs(r) - 1e-12).sum(axis=0)
        done += m
    p = (1.0 + exceed) / (1.0 + n_perm)
    p[~np.isfinite(r)] = np.nan
    return r, p


def spearman(x: np.ndarray, y: np.ndarray, n_perm: int = 2000, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rank correlation of each column of ``x`` with ``y``, permutation p-values.

    Rows where ``y`` is not finite are left out.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    keep = np.isfinite(y)
    if keep.sum() < 3:
        nan = np.full(x.shape[1], np.nan)
        return nan, nan.copy()
    rx = np.column_stack([sps.rankdata(c) for c in x[keep].T]) if x.shape[1] else x[keep]
    return permutation_pvalues(rx, sps.rankdata(y[keep]), n_perm, seed)


@dataclass
class Driver:
    """One dispersed input's association with an outcome."""

    input: str
    r: float
    p_value: float
    mean_failed: float = float("nan")
    mean_safe: float = float("nan")


def rank_drivers(names: Sequence[str], r: np.ndarray, p: np.ndarray,
                 x: np.ndarray | None = None, failed: np.ndarray | None = None) -> list[Driver]:
    """Drivers sorted by ``|r|``, largest first (undefined ones last)."""
    out = []
    for k, name in enumerate(names):
        d = Driver(name, float(r[k]), float(p[k]))
        if x is not None and failed is not None:
            col = x[:, k]
            if failed.any():
                d.mean_failed = float(col[failed].mean())
            if (~failed).any():
                d.mean_safe = float(col[~failed].mean())
        out.append(d)
    return sorted(out, key=lambda d: -abs(d.r) if np.isfinite(d.r) else np.inf)


@dataclass
class CampaignStats:
    """Everything the report shows, computed from the result table."""

    runs_requested: int
    n: int
    successes: int
    confidence: float
    success_ci: tuple[float, float]
    outcome_counts: dict[str, int]
    percentiles: dict[str, dict[str, float]]
    worst: list[dict]
    failure_drivers: list[Driver]
    metric_drivers: dict[str, list[Driver]] = field(default_factory=dict)
    n_perm: int = 2000

    @property
    def success_probability(self) -> float:
        """Observed fraction of safe landings."""
        return self.successes / self.n if self.n else float("nan")


PERCENTILE_COLUMNS = (
    ("touchdown_vertical_speed_m_s", "vertical touchdown speed", "m/s"),
    ("touchdown_horizontal_speed_m_s", "horizontal touchdown speed", "m/s"),
    ("distance_from_target_m", "landing error", "m"),
    ("propellant_margin_kg", "propellant margin", "kg"),
    ("touchdown_tilt_deg", "tilt at touchdown", "deg"),
    ("touchdown_rate_deg_s", "angular rate at touchdown", "deg/s"),
    ("flight_time_s", "flight time", "s"),
)


def severity(row: dict, limits: dict) -> tuple[int, float]:
    """Sort key of a run, worse is larger: outcome class, then the worst limit ratio.

    A limit that the campaign disperses (a ``touchdown.*`` input column) is
    taken from the run's own row.
    """
    rank = OUTCOME_SEVERITY.get(row["outcome"], 3)
    if row["outcome"] == "no_contact":
        return rank, float("inf")
    limits = {k: row.get(f"touchdown.{k}", v) for k, v in limits.items()}
    ratios = [
        row["touchdown_vertical_speed_m_s"] / limits["max_vertical_speed_m_s"],
        row["touchdown_horizontal_speed_m_s"] / limits["max_horizontal_speed_m_s"],
        row["touchdown_tilt_deg"] / limits["max_tilt_deg"],
        row["touchdown_slope_deg"] / limits["max_slope_deg"],
        row["touchdown_rate_deg_s"] / limits["max_angular_rate_deg_s"],
    ]
    finite = [r for r in ratios if np.isfinite(r)]
    return rank, max(finite) if finite else float("inf")


def campaign_stats(
    columns: dict[str, np.ndarray],
    inputs: Sequence[str],
    limits: dict,
    runs_requested: int,
    *,
    confidence: float = 0.95,
    n_worst: int = 10,
    n_perm: int = 2000,
    seed: int = 0,
) -> CampaignStats:
    """Compute the report's statistics from the result columns.

    Parameters
    ----------
    columns : dict of str to ndarray
        The result table as NumPy columns (see :func:`rows.result_schema`).
    inputs : sequence of str
        Dispersed input columns.
    limits : dict
        The campaign's touchdown limits (``Scenario.touchdown`` as a dict).
    runs_requested : int
    """
    outcome = np.asarray(columns["outcome"], dtype=object)
    n = int(outcome.size)
    ok = np.asarray(columns["success"], dtype=bool)
    k = int(ok.sum())
    counts = {o: int(np.count_nonzero(outcome == o)) for o in OUTCOME_SEVERITY}
    ci = clopper_pearson(k, n, confidence) if n else (float("nan"), float("nan"))
    pct = {c: percentiles(columns[c]) for c, _, _ in PERCENTILE_COLUMNS}

    names = list(columns)
    rows = [{c: columns[c][i] for c in names} for i in range(n)]
    order = sorted(range(n), key=lambda i: severity(rows[i], limits), reverse=True)
    worst = [rows[i] for i in order[:n_worst]]

    x = (np.column_stack([np.asarray(columns[c], dtype=float) for c in inputs])
         if inputs else np.zeros((n, 0)))
    failed = ~ok
    drivers: list[Driver] = []
    if inputs and 0 < k < n:
        r, p = permutation_pvalues(x, failed.astype(float), n_perm, seed)
        drivers = rank_drivers(inputs, r, p, x, failed)
    metric_drivers = {}
    if inputs and n >= 3:
        for col in ("distance_from_target_m", "propellant_margin_kg",
                    "touchdown_vertical_speed_m_s"):
            r, p = spearman(x, np.asarray(columns[col], dtype=float), n_perm, seed)
            metric_drivers[col] = rank_drivers(inputs, r, p)
    return CampaignStats(
        runs_requested=runs_requested,
        n=n,
        successes=k,
        confidence=confidence,
        success_ci=ci,
        outcome_counts=counts,
        percentiles=pct,
        worst=worst,
        failure_drivers=drivers,
        metric_drivers=metric_drivers,
        n_perm=n_perm,
    )
