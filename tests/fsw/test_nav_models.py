"""Measurement models of the navigation filter against geometry and finite differences.

References: the slant range of a beam at a known incidence over a plane
(``h / cos``); every sensitivity row ``h`` against central differences of the
prediction under the same error-state perturbation (first-order Taylor); the
navigation output row against an independent MCI -> site ENU conversion.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.config.navigation import NavConfig
from surefoot.fsw.interfaces import N_NAV, NAV_Q, NAV_R, NAV_V
from surefoot.fsw.nav import layout
from surefoot.fsw.nav.ekf import inject
from surefoot.fsw.nav.layout import N_ERR, X_W
from surefoot.fsw.nav.measurement_models import (
    doppler_velocity_model,
    range_model,
    star_innovation,
    trn_model,
)
from surefoot.fsw.nav.monitor import nav_output
from surefoot.fsw.nav.onboard_map import beam_range, surface_geometry
from surefoot.fsw.nav.params import nav_init
from surefoot.math.frames import map_to_mcmf
from surefoot.math.height_grid import altitude_above_terrain, raycast
from surefoot.math.quaternion import quat_conj, quat_mul, quat_rotate

from .nav_helpers import Site, grid_from_function, rotvec_quat, shortest_arc

SITE = Site()
SLOPE = (0.12, -0.05)
GRID = grid_from_function(lambda x, y: 500.0 + SLOPE[0] * x + SLOPE[1] * y, 20_000.0, 100.0)
FLAT = grid_from_function(lambda x, y: 0.0 * x + 250.0, 20_000.0, 200.0)


def _state(t: float, r_enu, v_enu, tilt_deg: float = 20.0):  # noqa: ANN001, ANN202
    p = SITE.params(NavConfig(source="ekf"))
    r, v = SITE.enu_to_mci(t, np.asarray(r_enu, float), np.asarray(v_enu, float))
    up = SITE.up_mci(t)
    q_up = rotvec_quat(shortest_arc(np.array([0.0, 0.0, 1.0]), up))
    q = quat_mul(rotvec_quat(np.radians(tilt_deg) * np.array([0.6, 0.8, 0.0])), q_up)
    x, _, _ = nav_init(p, t, r, v, q)
    x[X_W : X_W + 3] = [0.01, -0.02, 0.03]
    return x, p


def _fd_check(fn, x: np.ndarray, h: np.ndarray, rel: float = 1e-4, att: float = 1e-5) -> None:  # noqa: ANN001
    # ray casts bisect to 1e-5 m: perturb the attitude enough to move the hit by metres
    scales = np.array([1.0] * 3 + [0.01] * 3 + [att] * 3 + [1e-3] * 3 + [1e-5] * 3)
    for i in range(N_ERR):
        e = np.zeros(N_ERR)
        e[i] = scales[i]
        xp = x.copy()
        inject(xp, e.copy())
        xm = x.copy()
        inject(xm, -e)
        num = (fn(xp) - fn(xm)) / (2.0 * scales[i])
        assert num == pytest.approx(h[i], rel=rel, abs=1e-6 * max(1.0, np.abs(h).max())), i


def test_range_over_flat_terrain_is_height_over_cosine() -> None:
    """A beam 30 deg off the local vertical from 1500 m over flat terrain reads
    1500 / cos(30 deg) (to the curvature of the sphere: < 0.5 m)."""
    t = 10.0
    x, p = _state(t, [100.0, -300.0, 1750.0], [0.0, 0.0, 0.0], tilt_deg=0.0)
    c = p[3:12].reshape(3, 3)
    beam = np.array([np.sin(np.radians(30.0)), 0.0, -np.cos(np.radians(30.0))])
    h = np.zeros(N_ERR)
    rho, k_up, k_ter, relief, _, _, ok = range_model(
        x, beam, np.zeros(3), 10_000.0, SITE.omega * t, c, SITE.radius, *FLAT, 200.0, h
    )
    assert ok
    assert rho == pytest.approx(1500.0 / np.cos(np.radians(30.0)), abs=0.5)
    assert k_up == pytest.approx(1.0 / np.cos(np.radians(30.0)), rel=1e-3)
    assert k_ter == pytest.approx(1.0 / np.cos(np.radians(30.0)), rel=1e-3)
    assert relief == pytest.approx(0.0, abs=1e-9)


def test_range_sensitivity_matches_finite_differences() -> None:
    t = 37.0
    x, p = _state(t, [1200.0, -800.0, 2600.0], [40.0, -5.0, -30.0])
    c = p[3:12].reshape(3, 3)
    beam = np.array([0.2, -0.3, -0.93])
    beam /= np.linalg.norm(beam)
    lever = np.array([0.4, -0.2, -0.6])
    th = SITE.omega * t

    def fn(xx: np.ndarray) -> float:
        hh = np.zeros(N_ERR)
        return range_model(xx, beam, lever, 20_000.0, th, c, SITE.radius, *GRID, 100.0, hh)[0]

    h = np.zeros(N_ERR)
    rho, _, _, relief, _, _, ok = range_model(
        x, beam, lever, 20_000.0, th, c, SITE.radius, *GRID, 100.0, h
    )
    assert ok and rho > 0.0
    assert relief < 1e-6  # a plane has no relief
    _fd_check(fn, x, h, rel=1e-3, att=1e-3)


def test_doppler_sensitivity_matches_finite_differences() -> None:
    t = 5.0
    x, p = _state(t, [300.0, 200.0, 4000.0], [60.0, 10.0, -40.0])
    beam = np.array([0.38, 0.0, -0.92])
    beam /= np.linalg.norm(beam)
    lever = np.array([0.0, 0.3, -0.5])

    def fn(xx: np.ndarray) -> float:
        return doppler_velocity_model(xx, beam, lever, SITE.omega, np.zeros(N_ERR))

    h = np.zeros(N_ERR)
    fn(x)
    vlos = doppler_velocity_model(x, beam, lever, SITE.omega, h)
    # geometry: velocity relative to the surface along the beam, plus the lever-arm term
    r_enu_v = SITE.mci_to_enu(t, x[1:4], x[4:7])[1]
    d_enu = SITE.c @ np.array(quat_rotate(x[7:11], beam))  # theta-rotation is negligible here
    assert vlos == pytest.approx(d_enu @ r_enu_v, abs=0.05)
    _fd_check(fn, x, h)


def test_trn_sensitivity_matches_finite_differences() -> None:
    t = 100.0
    x, p = _state(t, [-5000.0, 2500.0, 3000.0], [50.0, 0.0, -20.0])
    c = p[3:12].reshape(3, 3)
    th = SITE.omega * t
    xm, ym, h = trn_model(x, th, c, SITE.radius)
    # azimuthal equidistant: arc length on the reference sphere, about ENU * R / (R + h)
    k = SITE.radius / np.sqrt(5000.0**2 + 2500.0**2 + (SITE.radius + 3000.0) ** 2)
    assert xm == pytest.approx(-5000.0 * k, abs=0.05) and ym == pytest.approx(2500.0 * k, abs=0.05)
    for j in range(2):
        _fd_check(lambda xx, j=j: trn_model(xx, th, c, SITE.radius)[j], x, h[j], rel=1e-3)


def test_star_innovation_is_the_injected_error() -> None:
    x, _ = _state(0.0, [0.0, 0.0, 2000.0], [0.0, 0.0, 0.0])
    e = np.zeros(N_ERR)
    e[6:9] = [2e-4, -1e-4, 3e-4]
    xt = x.copy()
    inject(xt, e.copy())
    nu = star_innovation(x, xt[7:11])
    assert nu == pytest.approx(e[6:9], abs=1e-10)
    assert star_innovation(x, -xt[7:11]) == pytest.approx(e[6:9], abs=1e-10)
    assert np.allclose(quat_mul(xt[7:11], quat_conj(xt[7:11]))[1:], 0.0)


def test_surface_geometry_of_a_step_reports_relief() -> None:
    """Half a 3 km step lies between the samples straddling the cliff."""
    step = grid_from_function(lambda x, y: np.where(x < 0.0, 3000.0, 0.0), 10_000.0, 50.0)
    _, relief, _ = surface_geometry(*step, SITE.c, SITE.radius, 10.0, 0.0, 300.0)
    assert relief == pytest.approx(1500.0, rel=0.05)
    _, relief_far, _ = surface_geometry(*step, SITE.c, SITE.radius, 2000.0, 0.0, 300.0)
    assert relief_far == pytest.approx(0.0, abs=1e-9)


def test_output_row_is_site_enu_relative_to_the_surface() -> None:
    t = 250.0
    r_enu = np.array([-1500.0, 700.0, 2200.0])
    v_enu = np.array([35.0, -4.0, -18.0])
    x, p = _state(t, r_enu, v_enu)
    out = np.zeros(N_NAV)
    nav_output(x, p, out)
    assert out[NAV_R : NAV_R + 3] == pytest.approx(r_enu, abs=1e-6)
    assert out[NAV_V : NAV_V + 3] == pytest.approx(v_enu, abs=1e-9)
    # body z in ENU from the output quaternion equals the MCI body z mapped to ENU
    z_mci = quat_rotate(x[7:11], np.array([0.0, 0.0, 1.0]))
    from surefoot.math.frames import rot_mci_to_mcmf

    z_enu = SITE.c @ rot_mci_to_mcmf(z_mci, SITE.omega * t)
    assert quat_rotate(out[NAV_Q : NAV_Q + 4], np.array([0.0, 0.0, 1.0])) == pytest.approx(
        z_enu, abs=1e-12
    )


@pytest.mark.parametrize("prefix,total", [("X_", "N_X"), ("B_", "N_B"), ("P_", "N_P")])
def test_row_layouts_tile_their_rows(prefix: str, total: str) -> None:
    """Every field of a row (``# n:`` marks an n-wide field) is disjoint and the
    fields fill the row exactly."""
    fields = []
    for line in inspect.getsource(layout).splitlines():
        m = re.match(rf"^({prefix}[A-Z0-9_]+) = (\d+)(.*)$", line)
        if m:
            size = re.match(r"\s*#\s*(\d+):", m.group(3))
            fields.append((int(m.group(2)), int(size.group(1)) if size else 1, m.group(1)))
    fields.sort()
    nxt = 0
    for start, size, name in fields:
        assert start == nxt, name
        nxt = start + size
    assert nxt == getattr(layout, total)


def _small_step_march(
    o: np.ndarray, d: np.ndarray, max_range: float, grid: tuple[np.ndarray, ...]
) -> float:
    """Reference ray cast: steps of 0.3 x the clearance (at least 5 cm), then bisection to
    1e-5 m; slow and plain (the truth sensors' ray cast before the beam march)."""
    def f(s: float) -> float:
        return altitude_above_terrain(o + s * d, SITE.c, SITE.radius, *grid)

    s, fs = 0.0, f(0.0)
    if fs <= 0.0:
        return 0.0
    while s < max_range:
        s_next = min(s + max(0.3 * fs, 0.05), max_range)
        f_next = f(s_next)
        if f_next <= 0.0:
            lo, hi = s, s_next
            while hi - lo >= 1e-5:
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if f(mid) > 0.0 else (lo, mid)
            return 0.5 * (lo + hi)
        s, fs = s_next, f_next
    return -1.0


@pytest.mark.parametrize("terrain", ["flat", "slope", "step", "bumps"])
def test_beam_range_agrees_with_a_small_step_march(terrain: str) -> None:
    """The shared beam march (``math.height_grid.raycast``, the navigation's
    ``beam_range``) equals a plain small-step march with bisection to 1 mm for beams
    from nadir to 40 deg over flat, sloped, cliffed and bumpy maps."""
    grids = {
        "flat": FLAT,
        "slope": GRID,
        "step": grid_from_function(lambda x, y: np.where(x < 150.0, 3000.0, 0.0), 10_000.0, 50.0),
        "bumps": grid_from_function(
            lambda x, y: 300.0 * np.sin(x / 700.0) * np.cos(y / 500.0), 10_000.0, 25.0
        ),
    }
    grid = grids[terrain]
    rng = np.random.default_rng(7)
    for _ in range(40):
        xy = rng.uniform(-3000.0, 3000.0, 2)
        o = map_to_mcmf(xy[0], xy[1], rng.uniform(3100.0, 6000.0), SITE.c, SITE.radius)
        up = o / np.linalg.norm(o)
        tilt = np.radians(rng.uniform(0.0, 40.0))
        az = rng.uniform(0.0, 2.0 * np.pi)
        e1 = np.cross(up, [0.0, 0.0, 1.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(up, e1)
        d = -np.cos(tilt) * up + np.sin(tilt) * (np.cos(az) * e1 + np.sin(az) * e2)
        ref = _small_step_march(o, d, 20_000.0, grid)
        got = beam_range(o, d, 20_000.0, SITE.c, SITE.radius, *grid)
        assert got == pytest.approx(ref, abs=1e-3)
        assert raycast(o, d, 20_000.0, SITE.c, SITE.radius, *grid) == got


@settings(max_examples=60, deadline=None)
@given(
    nu1=st.floats(0.0, 5000.0),
    hurst=st.floats(0.05, 1.0),
    d_m=st.floats(1.0, 200_000.0),
    ang=st.floats(0.0, 2.0 * np.pi),
)
def test_unmodelled_relief_is_the_self_affine_rms_deviation(
    nu1: float, hurst: float, d_m: float, ang: float
) -> None:
    """nu(d) = nu_1km (d / 1 km)^H (Rosenburg et al. 2011, the RMS height deviation
    of self-affine topography over a baseline d): the same in every direction,
    nu_1km at 1 km, and doubling the baseline multiplies it by 2^H."""
    from surefoot.fsw.nav.layout import P_MAP_HURST, P_MAP_NU1
    from surefoot.fsw.nav.range_beams import unmodelled_relief

    p = np.zeros(layout.N_P)
    p[P_MAP_NU1] = nu1
    p[P_MAP_HURST] = hurst
    x, y = d_m * np.cos(ang), d_m * np.sin(ang)
    nu = unmodelled_relief(p, x, y)
    assert nu == pytest.approx(nu1 * (d_m / 1000.0) ** hurst, rel=1e-12, abs=1e-12)
    assert unmodelled_relief(p, 2.0 * x, 2.0 * y) == pytest.approx(2.0**hurst * nu, rel=1e-12)
    assert unmodelled_relief(p, 1000.0 * np.cos(ang), 1000.0 * np.sin(ang)) == pytest.approx(
        nu1, rel=1e-12
    )
