"""Synthetic terrain generator: size-frequency laws, crater shapes, levels, seeds.

References checked here:
- crater counts: cumulative law N(>D) = K (D / 1 km)^-b per km^2 (the form of
  the Neukum production function fits and equilibrium counts), truncated to
  [D_min, D_max]; diameters sampled by inverting the truncated power-law CDF
  (Clauset, Shalizi and Newman 2009, SIAM Review 51, appendix D);
- fresh simple crater shape: depth below rim crest 0.196 D and rim height
  0.036 D (Pike 1977); ejecta thickness as (r / R)^-3 (McGetchin, Settle and
  Head 1973);
- boulder counts: cumulative power law per m^2 (Shoemaker and Morris 1969).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import stats

from surefoot.config.terrain import (
    BoulderPopulation,
    CraterPopulation,
    LargeCrater,
    TerrainConfig,
)
from surefoot.world.terrain.boulders import boulder_field, boulder_law, sample_boulders
from surefoot.world.terrain.craters import (
    CRATER_DTYPE,
    crater_field,
    crater_law,
    expected_crater_count,
    large_crater_height,
    sample_craters,
    simple_crater_height,
    stamp_crater_table,
)
from surefoot.world.terrain.grid import TerrainGrids
from surefoot.world.terrain.synthetic import (
    MAX_COARSE_NODES,
    TerrainBuild,
    build_terrain,
    generate_terrain,
    track_box,
)

SITE = {"site_lat_rad": math.radians(46.7), "site_lon_rad": math.radians(44.4)}
R_MOON = 1_737_400.0


def _build(cfg: TerrainConfig, az_deg: float = 90.0, uprange_m: float = 770e3) -> TerrainBuild:
    return generate_terrain(
        cfg, **SITE, radius_ref_m=R_MOON, approach_azimuth_rad=math.radians(az_deg),
        uprange_length_m=uprange_m,
    )


@pytest.fixture(scope="module")
def default_build() -> TerrainBuild:
    return _build(TerrainConfig())


def _poisson_ok(n: int, mu: float, tail: float = 1e-4) -> bool:
    return stats.poisson.ppf(tail, mu) <= n <= stats.poisson.ppf(1.0 - tail, mu)


# --- size-frequency laws ---------------------------------------------------------------


def test_crater_diameters_follow_truncated_power_law() -> None:
    """KS test of sampled diameters against the truncated power-law CDF (Clauset et al. 2009)."""
    pop = CraterPopulation(min_diameter_m=5.0, max_diameter_m=5000.0, exponent=2.0)
    rng = np.random.default_rng(12)
    table = sample_craters(pop, (0.0, 20_000.0, 0.0, 20_000.0), rng)
    assert table.dtype == CRATER_DTYPE
    assert table.shape[0] > 50_000
    law = crater_law(pop)
    res = stats.kstest(table["diameter_m"], law.cdf)
    assert res.pvalue > 1e-3, res
    # A wrong slope is rejected: the test has power.
    wrong = stats.kstest(
        table["diameter_m"], lambda d: crater_law(pop.model_copy(update={"exponent": 2.1})).cdf(d)
    )
    assert wrong.pvalue < 1e-6


def test_crater_counts_follow_cumulative_law() -> None:
    """Counts above several diameters inside Poisson bounds of N(>D) = K (D/1km)^-b A."""
    pop = CraterPopulation(density_per_km2_above_1km=0.02, exponent=2.0, min_diameter_m=5.0)
    box = (-3000.0, 3000.0, -2000.0, 2000.0)
    area_m2 = 6000.0 * 4000.0
    table = crater_field(pop, box, np.random.SeedSequence(5).spawn(1)[0], d_lo_m=5.0)
    x, y, d = table["x_m"], table["y_m"], table["diameter_m"]
    inside = (x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])
    for d_above in (5.0, 10.0, 20.0, 50.0, 100.0, 300.0):
        mu = expected_crater_count(pop, area_m2, d_lo_m=d_above)
        # K ((D/1 km)^-b - (D_max/1 km)^-b) A, by hand (A = 24 km^2, D_max = 5 km)
        assert mu == pytest.approx(0.02 * ((d_above / 1000.0) ** -2.0 - 5.0**-2.0) * 24.0)
        n = int(np.count_nonzero(inside & (d >= d_above)))
        assert _poisson_ok(n, mu), (d_above, n, mu)
    res = stats.kstest(d[inside], crater_law(pop).cdf)
    assert res.pvalue > 1e-3


def test_crater_law_with_other_slope() -> None:
    """The sampler honours the configured exponent (b = 3), not only the default."""
    pop = CraterPopulation(
        density_per_km2_above_1km=1e-3, exponent=3.0, min_diameter_m=20.0, max_diameter_m=2000.0
    )
    rng = np.random.default_rng(3)
    box = (0.0, 10_000.0, 0.0, 10_000.0)
    table = sample_craters(pop, box, rng)
    mu = expected_crater_count(pop, 1e8)
    assert _poisson_ok(table.shape[0], mu)
    assert stats.kstest(table["diameter_m"], crater_law(pop).cdf).pvalue > 1e-3


def test_boulder_counts_follow_cumulative_law() -> None:
    """Boulders: N(>D) = K (D/1m)^-b per m^2 (Shoemaker and Morris 1969 form), KS and Poisson."""
    pop = BoulderPopulation(density_per_m2_above_1m=2e-3, exponent=2.5, min_diameter_m=0.3)
    box = (-400.0, 400.0, -300.0, 300.0)
    area = 800.0 * 600.0
    table = boulder_field(pop, box, np.random.SeedSequence(9).spawn(2)[1])
    d = table["diameter_m"]
    assert np.all((table["x_m"] >= box[0]) & (table["x_m"] <= box[1]))
    assert np.all((table["y_m"] >= box[2]) & (table["y_m"] <= box[3]))
    law = boulder_law(pop)
    for d_above in (0.3, 0.5, 1.0, 2.0, 3.0):
        mu = law.density_between(d_above, pop.max_diameter_m) * area
        assert _poisson_ok(int(np.count_nonzero(d >= d_above)), mu), d_above
    assert stats.kstest(d, law.cdf).pvalue > 1e-3
    np.testing.assert_allclose(table["height_m"], pop.height_to_diameter * d)
    one = sample_boulders(pop, box, np.random.default_rng(1))
    assert _poisson_ok(one.shape[0], law.density_between(0.3, 4.0) * area)


def test_field_is_the_same_whatever_box_is_asked() -> None:
    """Tiled streams: the craters of a small box are exactly those of a big box that reach it."""
    pop = CraterPopulation()
    ss = np.random.SeedSequence(21).spawn(1)[0]
    small = crater_field(pop, (-500.0, 500.0, -500.0, 500.0), ss, d_lo_m=5.0)
    big = crater_field(pop, (-4000.0, 3000.0, -2000.0, 6000.0), ss, d_lo_m=5.0)
    assert small.shape[0] > 100
    assert set(small.tolist()) <= set(big.tolist())


# --- crater shapes ---------------------------------------------------------------------


def test_fresh_crater_matches_pike_ratios() -> None:
    """Stamped on a plain and measured from the grid: depth 0.196 D, rim 0.036 D (Pike 1977),
    ejecta thinning as (r/R)^-3 (McGetchin et al. 1973)."""
    pop = CraterPopulation(min_freshness=1.0)
    d_m = 200.0
    base = 150.0
    dx = 0.5
    n = 2201  # 1100 m square, crater centred on a node, rim crest ring through nodes
    h = np.full((n, n), base)
    x0 = -550.0
    table = np.zeros(1, dtype=CRATER_DTYPE)
    table["diameter_m"] = d_m
    table["depth_m"] = pop.depth_to_diameter * d_m
    table["rim_height_m"] = pop.rim_height_to_diameter * d_m
    stamp_crater_table(h, x0, x0, dx, table, pop.ejecta_extent_radii)
    grids = TerrainGrids.from_levels([(x0, x0, dx, h)], 0.1, 0.2, R_MOON)
    floor = float(grids.height(0.0, 0.0))
    rim_crest = float(h.max())
    assert floor == pytest.approx(float(h.min()))
    assert (rim_crest - floor) / d_m == pytest.approx(0.196, rel=5e-3)
    assert (rim_crest - base) / d_m == pytest.approx(0.036, rel=5e-3)
    # Radial profile: the rim crest ring at r = D/2, ejecta (r/R)^-3 (tapered to 0 at e R).
    radius = d_m / 2
    e = pop.ejecta_extent_radii
    r = np.linspace(1.1, 4.5, 30) * radius
    ang = np.linspace(0.0, 2.0 * np.pi, 30)
    meas = grids.height(r * np.cos(ang), r * np.sin(ang)) - base
    want = 0.036 * d_m * ((radius / r) ** 3 - e**-3) / (1.0 - e**-3)
    np.testing.assert_allclose(meas, want, atol=2e-3)
    assert float(grids.height(e * radius * 1.01, 0.0)) == base
    # Interior paraboloid
    r_in = np.linspace(0.0, 0.95, 20) * radius
    meas_in = grids.height(r_in, 0.0 * r_in) - base
    want_in = 0.036 * d_m - 0.196 * d_m * (1.0 - (r_in / radius) ** 2)
    np.testing.assert_allclose(meas_in, want_in, atol=2e-3)


def test_generated_craters_use_pike_ratios_and_freshness() -> None:
    """The tables of a build carry Pike depths scaled by a freshness in [min_freshness, 1]."""
    cfg = TerrainConfig(craters=CraterPopulation(min_freshness=0.4))
    b = _build(cfg, uprange_m=50e3)
    c = b.craters
    f_depth = c["depth_m"] / (0.196 * c["diameter_m"])
    f_rim = c["rim_height_m"] / (0.036 * c["diameter_m"])
    np.testing.assert_allclose(f_depth, f_rim)
    assert f_depth.min() >= 0.4 - 1e-12 and f_depth.max() <= 1.0 + 1e-12
    assert stats.kstest((f_depth - 0.4) / 0.6, "uniform").pvalue > 1e-3
    fresh = _build(TerrainConfig(craters=CraterPopulation(min_freshness=1.0)), uprange_m=50e3)
    np.testing.assert_allclose(
        fresh.craters["depth_m"], 0.196 * fresh.craters["diameter_m"], rtol=1e-12
    )


def test_crater_on_built_fine_level_has_pike_shape() -> None:
    """A fresh crater placed by the generator shows Pike's depth in the fine level it lands on."""
    cfg = TerrainConfig(
        craters=CraterPopulation(density_per_km2_above_1km=1e-3, min_freshness=1.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=0.0),
    )
    b = _build(cfg, uprange_m=20e3)
    x0, y0, dx, h = b.grids.level(2)
    c = b.craters
    # Largest crater whose rim lies inside the fine level's interior, alone in its stamp.
    ok = []
    for row in c:
        r = 0.5 * row["diameter_m"]
        if row["diameter_m"] < 20 or abs(row["x_m"]) + r > 700 or abs(row["y_m"]) + r > 700:
            continue
        # No other bowl within the measured patch (ejecta of neighbours are cm-scale).
        dist = np.hypot(c["x_m"] - row["x_m"], c["y_m"] - row["y_m"])
        overlap = dist < 0.6 * row["diameter_m"] + 0.75 * c["diameter_m"]
        if np.count_nonzero(overlap) == 1:
            ok.append(row)
    assert ok, "no isolated crater on the fine level for this seed"
    row = max(ok, key=lambda r: r["diameter_m"])
    d_m = row["diameter_m"]
    i = int(round((row["x_m"] - x0) / dx))
    j = int(round((row["y_m"] - y0) / dx))
    k = int(math.ceil(0.6 * d_m / dx))
    patch = h[j - k : j + k + 1, i - k : i + k + 1]
    depth = patch.max() - patch.min()
    assert depth == pytest.approx(0.196 * d_m, rel=0.03)


def test_large_crater_profile_under_the_track() -> None:
    """Atlas-like complex crater for the HAKUTO-R replay: rim 1000 m above the plain, floor
    2000 m below it, i.e. about 3 km from rim crest to floor under the ground track."""
    lc = LargeCrater(center_east_m=-30_000.0, diameter_m=87_000.0, depth_m=2000.0,
                     rim_height_m=1000.0)
    cfg = TerrainConfig(
        base_height_m=-500.0, large_crater=lc,
        craters=CraterPopulation(density_per_km2_above_1km=0.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=0.0),
    )
    g = _build(cfg, uprange_m=200e3).grids
    x = np.arange(-150_000.0, 0.0, 50.0)
    prof = g.height(x, 0.0 * x)
    assert prof.max() == pytest.approx(-500.0 + 1000.0, abs=1.0)
    assert prof.min() == pytest.approx(-500.0 - 2000.0, abs=1e-6)
    assert prof.max() - prof.min() == pytest.approx(3000.0, abs=1.0)
    # Flat floor, rim crest at R, ejecta outside falling off as (R/r)^3.
    assert float(g.height(-30_000.0, 0.0)) == pytest.approx(-2500.0)
    assert float(g.height(-30_000.0 - 43_500.0, 0.0)) == pytest.approx(500.0, abs=1e-6)
    e = lc.ejecta_extent_radii
    r = 65_300.0  # on a coarse node: no interpolation error
    want = 1000.0 * ((43_500.0 / r) ** 3 - e**-3) / (1 - e**-3)
    assert float(g.height(-30_000.0 - r, 0.0)) + 500.0 == pytest.approx(want, abs=1e-6)
    # Monotone wall from floor to crest (terraces are benches, never reversals).
    wall = -30_000.0 - np.linspace(0.6, 1.0, 400) * 43_500.0
    assert np.all(np.diff(g.height(wall, 0.0 * wall)) >= -1e-9)
    # Kernel directly: no terraces gives a smooth wall with the same ends.
    assert large_crater_height(0.0, 10.0, 6.0, 2.0, 1.0, 0, 3.0) == -2.0
    assert large_crater_height(10.0, 10.0, 6.0, 2.0, 1.0, 0, 3.0) == pytest.approx(1.0)
    assert large_crater_height(30.0, 10.0, 6.0, 2.0, 1.0, 0, 3.0) == 0.0


def test_simple_crater_kernel_is_continuous() -> None:
    """The profile is continuous at the rim and at the ejecta extent."""
    r = 10.0
    for rr, eps in ((r, 1e-9), (5.0 * r, 1e-7)):
        a = simple_crater_height((rr - eps) ** 2, r, 3.92, 0.72, 5.0)
        b = simple_crater_height((rr + eps) ** 2, r, 3.92, 0.72, 5.0)
        assert abs(a - b) < 1e-6


# --- levels ----------------------------------------------------------------------------


def test_levels_cover_track_and_site(default_build: TerrainBuild) -> None:
    b = default_build
    coarse, medium, fine = b.levels
    assert [s.name for s in b.levels] == ["coarse", "medium", "fine"]
    assert (coarse.dx_m, medium.dx_m, fine.dx_m) == (100.0, 10.0, 1.0)
    tb = track_box(math.radians(90.0), 770e3, 15_000.0)
    cb = coarse.bounds
    tol = 1e-6
    assert cb[0] <= tb[0] + tol and cb[1] >= tb[1] - tol
    assert cb[2] <= tb[2] + tol and cb[3] >= tb[3] - tol
    assert medium.bounds == (-8000.0, 8000.0, -8000.0, 8000.0)
    assert fine.bounds == (-800.0, 800.0, -800.0, 800.0)
    assert b.grids.n_levels == 3
    np.testing.assert_array_equal(b.grids.meta[:, 2], [100.0, 10.0, 1.0])
    assert b.grids.site_lat_rad == SITE["site_lat_rad"]


def test_diagonal_track_coarsens_spacing() -> None:
    """A diagonal track's bounding box is capped near MAX_COARSE_NODES nodes; spacing stays a
    multiple of the medium spacing."""
    cfg = TerrainConfig(
        craters=CraterPopulation(density_per_km2_above_1km=0.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=0.0),
    )
    b = _build(cfg, az_deg=45.0, uprange_m=800e3)
    coarse = b.levels[0]
    assert coarse.nx * coarse.ny <= MAX_COARSE_NODES
    assert coarse.nx * coarse.ny > 0.7 * MAX_COARSE_NODES
    assert coarse.dx_m > 100.0
    assert coarse.dx_m % 10.0 == 0.0
    tb = track_box(math.radians(45.0), 800e3, 15_000.0)
    cb = coarse.bounds
    tol = 1e-6
    assert cb[0] <= tb[0] + tol and cb[1] >= tb[1] - tol
    assert cb[2] <= tb[2] + tol and cb[3] >= tb[3] - tol


def _border_jump(g: TerrainGrids, half_width_m: float) -> float:
    """Largest height change across the four sides of a centred square level border."""
    s = np.linspace(-half_width_m, half_width_m, 4001)
    eps = 1e-6
    jumps = []
    for sign in (-1.0, 1.0):
        edge = sign * half_width_m
        inside = edge - sign * eps
        outside = edge + sign * eps
        jumps.append(g.height(np.full_like(s, inside), s) - g.height(np.full_like(s, outside), s))
        jumps.append(g.height(s, np.full_like(s, inside)) - g.height(s, np.full_like(s, outside)))
    return float(np.max(np.abs(np.concatenate(jumps))))


def test_levels_are_continuous_at_borders(default_build: TerrainBuild) -> None:
    """A finer level equals the coarser level's bilinear interpolation on its border (no jump),
    while its interior carries features the coarser level cannot hold."""
    g = default_build.grids
    assert _border_jump(g, 8000.0) < 1e-4
    assert _border_jump(g, 800.0) < 1e-4
    # Away from the border the finer levels do differ from the coarser ones (detail added).
    x0, y0, dx, h_med = g.level(1)
    xs = np.arange(-700.0, 700.0, 10.0)
    xx, yy = np.meshgrid(xs, xs)
    coarse_only = TerrainGrids.from_levels([g.level(0)], 0.0, 0.0, R_MOON)
    med_only = TerrainGrids.from_levels([g.level(0), g.level(1)], 0.0, 0.0, R_MOON)
    assert np.max(np.abs(med_only.height(xx, yy) - coarse_only.height(xx, yy))) > 1.0
    assert np.max(np.abs(g.height(xx, yy) - med_only.height(xx, yy))) > 0.1


def test_levels_continuous_with_diagonal_track_and_large_crater() -> None:
    """Continuity also holds with a coarsened (260 m) coarse level and a large crater's wall
    crossing the medium border."""
    cfg = TerrainConfig(large_crater=LargeCrater(center_east_m=-40_000.0, diameter_m=87_000.0))
    g = _build(cfg, az_deg=45.0, uprange_m=800e3).grids
    assert _border_jump(g, 8000.0) < 1e-4
    assert _border_jump(g, 800.0) < 1e-4


def test_boulders_only_on_fine_level() -> None:
    """Boulders raise the fine level only, by their half-ellipsoid height at the centre."""
    cfg = TerrainConfig(
        base_height_m=250.0, craters=CraterPopulation(density_per_km2_above_1km=0.0),
        boulders=BoulderPopulation(density_per_m2_above_1m=2e-3, max_diameter_m=6.0),
    )
    b = _build(cfg, uprange_m=30e3)
    _, _, _, h_c = b.grids.level(0)
    _, _, _, h_m = b.grids.level(1)
    x0, y0, dx, h_f = b.grids.level(2)
    np.testing.assert_allclose(h_c, 250.0, atol=1e-9)
    np.testing.assert_allclose(h_m, 250.0, atol=1e-9)
    assert h_f.min() == pytest.approx(250.0)
    bt = b.boulders
    assert bt.shape[0] > 1000
    inner = b.levels[2].interior
    assert np.all((bt["x_m"] >= inner[0]) & (bt["x_m"] <= inner[1]))
    assert np.all((bt["y_m"] >= inner[2]) & (bt["y_m"] <= inner[3]))
    # A big boulder: the node nearest its centre rises by at least H sqrt(1 - (2 r/D)^2).
    big = bt[np.argmax(bt["diameter_m"])]
    i = int(round((big["x_m"] - x0) / dx))
    j = int(round((big["y_m"] - y0) / dx))
    r = math.hypot(x0 + i * dx - big["x_m"], y0 + j * dx - big["y_m"])
    lower = big["height_m"] * math.sqrt(1.0 - (2.0 * r / big["diameter_m"]) ** 2)
    assert h_f[j, i] - 250.0 >= lower - 1e-9
    assert h_f.max() - 250.0 <= 2.0 * bt["height_m"].max()


# --- seeds -----------------------------------------------------------------------------


def test_same_seed_same_terrain_other_seed_other_terrain(default_build: TerrainBuild) -> None:
    again = _build(TerrainConfig())
    np.testing.assert_array_equal(again.grids.heights, default_build.grids.heights)
    np.testing.assert_array_equal(again.craters, default_build.craters)
    np.testing.assert_array_equal(again.boulders, default_build.boulders)
    other = _build(TerrainConfig(seed=1))
    assert other.grids.heights.shape == default_build.grids.heights.shape
    for k in range(3):
        assert not np.array_equal(other.grids.level(k)[3], default_build.grids.level(k)[3])
    assert not np.array_equal(other.boulders, default_build.boulders)


def test_site_terrain_does_not_depend_on_the_track(default_build: TerrainBuild) -> None:
    """Features come from per-tile streams: the fine level's interior is the same for another
    track length and azimuth (only the blend bands see the coarse level)."""
    other = _build(TerrainConfig(), az_deg=30.0, uprange_m=400e3)
    _, _, _, a = default_build.grids.level(2)
    _, _, _, b = other.grids.level(2)
    t = int(default_build.levels[2].taper_m) + 1
    np.testing.assert_array_equal(a[t:-t, t:-t], b[t:-t, t:-t])
    np.testing.assert_array_equal(default_build.boulders, other.boulders)


def test_build_terrain_returns_grids() -> None:
    cfg = TerrainConfig(fine_half_width_m=100.0, medium_half_width_m=1000.0)
    g = build_terrain(
        cfg, site_lat_rad=0.3, site_lon_rad=-1.0, radius_ref_m=R_MOON,
        approach_azimuth_rad=math.pi, uprange_length_m=10_000.0,
    )
    assert isinstance(g, TerrainGrids)
    assert g.n_levels == 3
    assert g.site_lon_rad == -1.0
    assert np.all(np.isfinite(g.heights))


@pytest.mark.slow
def test_default_build_is_fast() -> None:
    """After compilation the default build (800 km x 30 km at 100 m, 16 km at 10 m,
    1.6 km at 1 m) takes well under a second."""
    _build(TerrainConfig())
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        _build(TerrainConfig(), uprange_m=785e3)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.5, best


def test_config_checks_level_nesting() -> None:
    """Levels must nest: fine finer than medium, medium no coarser than coarse, fine box inside."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="fine_half_width_m"):
        TerrainConfig(fine_half_width_m=900.0, medium_half_width_m=800.0)
    with pytest.raises(ValidationError, match="spacings"):
        TerrainConfig(fine_spacing_m=10.0, medium_spacing_m=10.0)
    with pytest.raises(ValidationError, match="min_freshness"):
        TerrainConfig(craters={"min_freshness": 0.0})
