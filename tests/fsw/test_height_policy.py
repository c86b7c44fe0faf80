"""The untrusted-height policy: wait while the propellant allows, never climb, then commit.

HAKUTO-R M1 hovered on a wrong height until its tanks ran dry; an IM-1-like
run whose height estimate was kilometres low climbed while it believed it
descended. The policy (``fsw.guidance.height_policy.height_policy``) bounds the vertical
command from the propellant budget; these tests check its rules against the
physics they come from: hovering costs ``m g / (Isp g0)`` (rocket equation at
thrust = weight), stopping from ``v`` within ``h`` takes ``v^2 / (2 h)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from surefoot.config.loader import load_scenario
from surefoot.fsw.executive import fsw_params
from surefoot.fsw.guidance.height_policy import (
    TERMINAL_TIME_FACTOR,
    UNTRUSTED_BUDGET_FACTOR,
    UNTRUSTED_COMMIT_MARGIN,
    height_policy,
    retimed_approach_tgo,
)
from surefoot.fsw.guidance.phases import guidance_cycle
from surefoot.fsw.interfaces import PHASE_TERMINAL
from surefoot.fsw.layout import (
    FP_APPROACH_TGO,
    FP_DRY_MASS,
    FP_GM,
    FP_HG,
    FP_ISP,
    FP_LG,
    FP_MAX_THRUST,
    FP_RADIUS,
    FP_TERM_GAIN,
    FP_TERM_RATE,
    FP_UNTRUSTED_VMAX,
    FS_ACMD,
    FS_INIT,
    FS_MPROP,
    FS_NAV_FLAGS,
    FS_PHASE,
    FS_TGO,
    G0_M_S2,
    N_FS,
    RX_ALT_UNTRUSTED,
    RX_COMMIT,
    RX_RECOVERY,
    RX_REJOIN,
)


@pytest.fixture(scope="module")
def fp() -> np.ndarray:
    s = load_scenario("im-1")
    return fsw_params(s.fsw, site_lat_rad=0.3, approach_azimuth_rad=1.5, target_height_m=0.0,
                      dt_control_s=0.1)


def _policy(fp: np.ndarray, prop: float, h: float, sigma: float, v_up: float, a_up: float,
            trusted: bool = False, flags: int = 0) -> tuple[float, int]:
    fs = np.zeros(N_FS)
    fs[FS_MPROP] = prop
    rn = fp[FP_RADIUS] + h
    a_g = np.array([0.0, 0.0, a_up])
    vg = np.array([0.0, 0.0, v_up])
    rg = np.array([0.0, 0.0, h])
    out, flags = height_policy(fs, fp, rg, vg, rn, a_g, flags, 1.0 if trusted else 0.0, sigma)
    return float(out[2]), int(flags)


def _v_need(fp: np.ndarray, prop: float, h: float, sigma: float, v_up: float) -> float:
    m = 340.0 + prop
    g = fp[FP_GM] / (fp[FP_RADIUS] + h) ** 2
    ve = fp[FP_ISP] * G0_M_S2
    a_brake = 0.5 * (fp[FP_MAX_THRUST] / m - g)
    v_stop = np.sqrt(2 * a_brake * max(h - 3 * sigma, 0.0)) + fp[FP_TERM_RATE]
    brake = m * (1 - np.exp(-(abs(v_up) + v_stop) / ve))
    return (h + 3 * sigma) * (m * g / ve) / (prop - brake)


def test_with_propellant_to_spare_it_waits_at_the_configured_rate_and_never_climbs(
    fp: np.ndarray,
) -> None:
    kv = fp[FP_TERM_GAIN]
    vmax = fp[FP_UNTRUSTED_VMAX]
    # descending faster than the configured rate: braked back to it
    a, flags = _policy(fp, prop=500.0, h=5000.0, sigma=100.0, v_up=-30.0, a_up=-1.0)
    assert a == pytest.approx(kv * (-vmax + 30.0))
    assert flags & RX_ALT_UNTRUSTED and flags & RX_REJOIN and not flags & RX_COMMIT
    # climbing: pushed back down to a hover, whatever guidance asked
    a, flags = _policy(fp, prop=500.0, h=5000.0, sigma=100.0, v_up=2.0, a_up=0.5)
    assert a == pytest.approx(-kv * 2.0)
    assert not flags & RX_COMMIT


def test_when_the_budget_is_spent_it_commits_to_the_rate_the_propellant_needs(
    fp: np.ndarray,
) -> None:
    """Little propellant, 3 sigma reaching the ground (no safe stopping rate): the floor is
    the margin times the least rate that reaches the ground before the tanks run dry."""
    prop, h, sigma = 60.0, 4000.0, 1400.0
    a, flags = _policy(fp, prop=prop, h=h, sigma=sigma, v_up=-1.0, a_up=0.0)
    assert flags & RX_COMMIT
    floor = UNTRUSTED_COMMIT_MARGIN * _v_need(fp, prop, h, sigma, -1.0)
    assert floor > fp[FP_TERM_RATE] + 5.0  # far above a terminal rate: it goes down
    assert a == pytest.approx(fp[FP_TERM_GAIN] * (-floor + 1.0))
    # the floor gets the lander down with propellant left: time x hover flow < propellant
    m = 340.0 + prop
    g = fp[FP_GM] / (fp[FP_RADIUS] + h) ** 2
    assert (h + 3 * sigma) / floor * m * g / (fp[FP_ISP] * G0_M_S2) < prop


def test_budget_boundary_follows_the_commit_cost(fp: np.ndarray) -> None:
    """Just above 1.5x the cost of committing it waits; just below it commits."""
    h, sigma, v_up = 3000.0, 50.0, -5.0

    def cost(prop: float) -> float:
        m = 340.0 + prop
        g = fp[FP_GM] / (fp[FP_RADIUS] + h) ** 2
        ve = fp[FP_ISP] * G0_M_S2
        v_stop = np.sqrt((fp[FP_MAX_THRUST] / m - g) * (h - 3 * sigma)) + fp[FP_TERM_RATE]
        brake = m * (1 - np.exp(-(abs(v_up) + v_stop) / ve))
        return m * g / ve * (h + 3 * sigma) / v_stop + brake

    props = np.linspace(5.0, 200.0, 400)
    ratio = np.array([p / cost(p) for p in props])
    k = int(np.argmax(ratio > UNTRUSTED_BUDGET_FACTOR))
    _, above = _policy(fp, prop=props[k + 1], h=h, sigma=sigma, v_up=v_up, a_up=0.0)
    _, below = _policy(fp, prop=props[k - 2], h=h, sigma=sigma, v_up=v_up, a_up=0.0)
    assert not above & RX_COMMIT
    assert below & RX_COMMIT


def test_after_trust_returns_the_descent_stays_within_stopping_distance(fp: np.ndarray) -> None:
    h, sigma, prop = 1000.0, 10.0, 200.0
    m = 340.0 + prop
    g = fp[FP_GM] / (fp[FP_RADIUS] + h) ** 2
    v_stop = np.sqrt((fp[FP_MAX_THRUST] / m - g) * (h - 3 * sigma)) + fp[FP_TERM_RATE]
    a, flags = _policy(fp, prop=prop, h=h, sigma=sigma, v_up=-(v_stop + 20.0), a_up=-2.0,
                       trusted=True, flags=RX_REJOIN)
    assert a == pytest.approx(fp[FP_TERM_GAIN] * 20.0)
    # within the stopping distance: guidance's command is left alone
    a, _ = _policy(fp, prop=prop, h=h, sigma=sigma, v_up=-(v_stop - 5.0), a_up=-0.3,
                   trusted=True, flags=RX_REJOIN)
    assert a == -0.3


def _retime(fp: np.ndarray, prop: float, h: float, v_up: float, tgo: float) -> float:
    fs = np.zeros(N_FS)
    fs[FS_MPROP] = prop
    fs[FS_TGO] = tgo
    rn = fp[FP_RADIUS] + h
    return float(retimed_approach_tgo(fs, fp, np.array([0.0, 0.0, h]),
                                       np.array([0.0, 0.0, v_up]), rn))


def test_trust_returning_high_in_the_approach_re_times_it_at_the_designed_mean_rate(
    fp: np.ndarray,
) -> None:
    """IM-1 dispersed runs 243 and 1663: the height came back 2 km higher than
    believed with 100 s of approach left; re-timed, the quartic descends the
    height left at the designed approach's mean rate (2,000 m -> 60 m in 140 s)."""
    v_nominal = (fp[FP_HG + 2] - fp[FP_LG + 2]) / fp[FP_APPROACH_TGO]
    h = 3000.0
    assert _retime(fp, prop=600.0, h=h, v_up=-30.0, tgo=99.0) == pytest.approx(
        (h - fp[FP_LG + 2]) / v_nominal)
    # never shorter than the clock it had: a lander found low keeps its time-to-go
    assert _retime(fp, prop=600.0, h=300.0, v_up=-10.0, tgo=99.0) == 99.0
    assert _retime(fp, prop=600.0, h=10.0, v_up=-1.0, tgo=3.0) == 3.0


def test_the_re_timed_approach_fits_the_propellant(fp: np.ndarray) -> None:
    """With little propellant the longer approach is bounded by what descending near
    hover costs (m g / (Isp g0) per second, rocket equation at thrust = weight) after
    nulling the speed and the terminal descent, with the commit margin."""
    prop, h, v_up = 70.0, 5400.0, -36.0
    tgo = _retime(fp, prop=prop, h=h, v_up=v_up, tgo=99.0)
    m = 340.0 + prop
    ve = fp[FP_ISP] * G0_M_S2
    mdot = m * fp[FP_GM] / (fp[FP_RADIUS] + h) ** 2 / ve
    brake = m * (1 - np.exp(-abs(v_up) / ve))
    terminal = mdot * TERMINAL_TIME_FACTOR * fp[FP_LG + 2] / fp[FP_TERM_RATE]
    assert tgo == pytest.approx((prop - brake - terminal) / (UNTRUSTED_COMMIT_MARGIN * mdot))
    assert 99.0 < tgo < (h - fp[FP_LG + 2]) / 13.0
    # what the approach then costs at hover flow leaves the margin for the rest
    assert tgo * mdot * UNTRUSTED_COMMIT_MARGIN + brake + terminal == pytest.approx(prop)


def _terminal_up_command(fp: np.ndarray, flags: int, h: float, v_h: float, v_up: float,
                         prop: float) -> float:
    fs = np.zeros(N_FS)
    fs[FS_INIT] = 1.0
    fs[FS_PHASE] = PHASE_TERMINAL
    fs[FS_MPROP] = prop
    fs[FS_NAV_FLAGS] = float(flags)
    guidance_cycle(fs, fp, np.array([0.0, 0.0, h]), np.array([v_h, 0.0, v_up]), 0.0, 1.0, 10.0)
    return float(fs[FS_ACMD + 2])


def test_a_recovery_low_and_fast_descends_no_faster_than_the_horizontal_speed_can_be_nulled(
    fp: np.ndarray,
) -> None:
    """Resilience dispersed runs 43 and 287: re-anchored at ~700 m with 150 m/s of
    horizontal speed. Nulling v_h with lateral acceleration a_side takes v_h / a_side,
    so the height above the low gate may be descended at no more than
    excess a_side / v_h (a_side: three quarters of the engine's lateral
    acceleration while holding weight, sqrt(a_max^2 - g^2))."""
    h, v_h, v_up, prop = 700.0, 150.0, -20.0, 180.0
    m = fp[FP_DRY_MASS] + prop
    rn = fp[FP_RADIUS] + h
    g = fp[FP_GM] / rn**2
    a_max = fp[FP_MAX_THRUST] / m
    a_side = 0.75 * np.sqrt(a_max**2 - g**2)
    excess = h - fp[FP_LG + 2]
    v_des = max(fp[FP_TERM_RATE], excess * a_side / v_h)
    v_profile = fp[FP_TERM_RATE] + np.sqrt(2 * 0.25 * (a_max - g) * excess)
    assert v_des < v_profile < -v_up + 15.0  # the bound binds; the plain profile would not
    centripetal = v_h**2 / rn
    kv = fp[FP_TERM_GAIN]
    recovery = _terminal_up_command(fp, RX_RECOVERY | RX_REJOIN, h, v_h, v_up, prop)
    assert recovery == pytest.approx(kv * (-v_des - v_up) - centripetal, rel=1e-3)
    assert recovery > 0.0  # it brakes the descent
    plain = _terminal_up_command(fp, RX_REJOIN, h, v_h, v_up, prop)
    assert plain == pytest.approx(kv * (-v_profile - v_up) - centripetal, rel=1e-3)
    # slow horizontally: the plain profile again
    slow = _terminal_up_command(fp, RX_RECOVERY | RX_REJOIN, h, 1.0, v_up, prop)
    assert slow == pytest.approx(kv * (-v_profile - v_up) - 1.0 / rn, rel=1e-3)
