"""Campaign statistics against scipy on known samples.

References: scipy.stats.binomtest(...).proportion_ci(method="exact")
(Clopper-Pearson), scipy.stats.pointbiserialr, scipy.stats.spearmanr,
scipy.stats.permutation_test, numpy.percentile.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from surefoot.campaign.stats import (
    campaign_stats,
    clopper_pearson,
    correlations,
    percentiles,
    permutation_pvalues,
    spearman,
)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (7, 10), (1, 1), (995, 1000),
                                      (9_990, 10_000), (3, 50_000)])
@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_clopper_pearson_matches_scipy(k: int, n: int, confidence: float) -> None:
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    lo, hi = clopper_pearson(k, n, confidence)
    assert lo == pytest.approx(ci.low, abs=1e-12)
    assert hi == pytest.approx(ci.high, abs=1e-12)


def test_clopper_pearson_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        clopper_pearson(3, 2)


def test_point_biserial_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0.8).astype(float)
    r = correlations(x, y)
    for k in range(3):
        assert r[k] == pytest.approx(sps.pointbiserialr(y, x[:, k]).statistic, abs=1e-12)


def test_constant_input_has_no_correlation() -> None:
    x = np.column_stack([np.ones(20), np.arange(20.0)])
    y = (np.arange(20) > 10).astype(float)
    r, p = permutation_pvalues(x, y, n_perm=200)
    assert np.isnan(r[0]) and np.isnan(p[0]) and np.isfinite(r[1])


def test_permutation_pvalue_matches_scipy_permutation_test() -> None:
    rng = np.random.default_rng(2)
    n = 120
    x = rng.normal(size=(n, 2))
    y = (0.25 * x[:, 0] + rng.normal(size=n) > 0.5).astype(float)
    r, p = permutation_pvalues(x, y, n_perm=4000, seed=3)
    for k in range(2):
        ref = sps.permutation_test(
            (x[:, k], y), lambda a, b: np.corrcoef(a, b)[0, 1], permutation_type="pairings",
            n_resamples=4000, alternative="two-sided", random_state=4,
        )
        assert r[k] == pytest.approx(ref.statistic, abs=1e-12)
        # two Monte Carlo estimates of the same p-value: binomial spread ~ 0.008 at p ~ 0.1
        assert p[k] == pytest.approx(ref.pvalue, abs=0.03)


def test_strong_driver_gets_the_smallest_p_value() -> None:
    x = np.linspace(0.0, 1.0, 200)
    y = (x > 0.7).astype(float)
    r, p = permutation_pvalues(x[:, None], y, n_perm=999)
    assert r[0] > 0.7 and p[0] == pytest.approx(1.0 / 1000.0)


def test_spearman_matches_scipy() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(80, 2))
    y = np.exp(x[:, 1]) + 0.1 * rng.normal(size=80)
    y[3] = np.nan  # left out
    r, _ = spearman(x, y, n_perm=100)
    keep = np.isfinite(y)
    for k in range(2):
        assert r[k] == pytest.approx(sps.spearmanr(x[keep, k], y[keep]).statistic, abs=1e-12)


def test_percentiles_match_numpy_and_skip_nan() -> None:
    v = np.array([3.0, np.nan, 1.0, 2.0, 10.0, np.inf])
    p = percentiles(v, (5.0, 50.0, 95.0))
    finite = np.array([3.0, 1.0, 2.0, 10.0])
    assert p["n"] == 4
    assert p["p50"] == np.percentile(finite, 50.0) and p["p95"] == np.percentile(finite, 95.0)
    assert p["max"] == 10.0 and p["min"] == 1.0
    assert np.isnan(percentiles(np.array([np.nan]))["p50"])


def _columns(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    drive = rng.uniform(0.0, 1.0, n)
    noise = rng.normal(size=n)
    vv = 1.5 + 1.0 * drive + 0.05 * rng.normal(size=n)
    outcome = np.where(vv > 2.0, "hard", "safe").astype(object)
    outcome[0] = "no_contact"
    vv[0] = np.nan
    cols = {
        "run_index": np.arange(n), "seed": np.arange(n) + 100,
        "in.drive": drive, "in.noise": noise,
        "outcome": outcome, "success": outcome == "safe",
        "failure_reason": np.where(outcome == "safe", "", "x").astype(object),
        "touchdown_vertical_speed_m_s": vv,
        "touchdown_horizontal_speed_m_s": np.full(n, 0.1),
        "touchdown_tilt_deg": np.full(n, 1.0), "touchdown_slope_deg": np.full(n, 1.0),
        "touchdown_rate_deg_s": np.full(n, 1.0),
        "distance_from_target_m": np.exp(noise), "propellant_margin_kg": 50.0 - 10.0 * drive,
        "flight_time_s": np.full(n, 1400.0),
    }
    return cols


def test_campaign_stats_ranks_the_driver_and_orders_the_worst_runs() -> None:
    rng = np.random.default_rng(6)
    cols = _columns(400, rng)
    limits = {"max_vertical_speed_m_s": 2.0, "max_horizontal_speed_m_s": 0.5,
              "max_tilt_deg": 10.0, "max_slope_deg": 12.0, "max_angular_rate_deg_s": 5.0}
    st = campaign_stats(cols, ["in.drive", "in.noise"], limits, 500, n_perm=500)
    k = int(cols["success"].sum())
    assert st.n == 400 and st.successes == k and st.runs_requested == 500
    ci = sps.binomtest(k, 400).proportion_ci(method="exact")
    assert st.success_ci == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert st.failure_drivers[0].input == "in.drive"
    assert st.failure_drivers[0].p_value < 0.01 and st.failure_drivers[0].r > 0.5
    assert st.failure_drivers[0].mean_failed > st.failure_drivers[0].mean_safe
    assert st.worst[0]["run_index"] == 0  # no contact is worst
    hard = st.worst[1:]
    assert all(w["outcome"] == "hard" for w in hard)
    vv = [w["touchdown_vertical_speed_m_s"] for w in hard]
    assert vv == sorted(vv, reverse=True)
    assert st.metric_drivers["propellant_margin_kg"][0].input == "in.drive"
    assert st.metric_drivers["distance_from_target_m"][0].input == "in.noise"
    assert st.percentiles["touchdown_vertical_speed_m_s"]["n"] == 399


def test_all_safe_campaign_has_no_failure_ranking() -> None:
    rng = np.random.default_rng(7)
    cols = _columns(50, rng)
    cols["outcome"][:] = "safe"
    cols["success"][:] = True
    st = campaign_stats(cols, ["in.drive"], {"max_vertical_speed_m_s": 9.0,
                                             "max_horizontal_speed_m_s": 1.0,
                                             "max_tilt_deg": 10.0, "max_slope_deg": 12.0,
                                             "max_angular_rate_deg_s": 5.0}, 50, n_perm=100)
    assert st.failure_drivers == [] and st.success_ci[1] == 1.0
