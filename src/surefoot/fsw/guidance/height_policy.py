"""What guidance may do while the height is (or was) not trusted.

HAKUTO-R M1 hovered on a wrong height until its tanks ran dry; Resilience
trusted its height too long; IM-1-like runs whose estimate was kilometres
low climbed while believing they descended. :func:`height_policy` bounds the
vertical command from the stopping distance and the propellant budget;
:func:`retimed_approach_tgo` re-times the approach when the height comes
back higher than the profile. Both read the flight software's own design
values and estimates (``fp``/``fs`` rows), never truth.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from surefoot.fsw.layout import (
    FP_APPROACH_TGO,
    FP_DRY_MASS,
    FP_GM,
    FP_HG,
    FP_ISP,
    FP_LG,
    FP_MAX_THRUST,
    FP_TERM_GAIN,
    FP_TERM_RATE,
    FP_UNTRUSTED_VMAX,
    FS_MPROP,
    FS_TGO,
    G0_M_S2,
    RX_ALT_UNTRUSTED,
    RX_COMMIT,
    RX_REJOIN,
)

# untrusted height: wait for the ranges while the propellant exceeds this many
# times the cost of committing now; once committed, descend at no less than
# this many times the least rate the propellant allows
UNTRUSTED_BUDGET_FACTOR = 1.5
UNTRUSTED_COMMIT_MARGIN = 1.2
# the terminal descent from the low gate, costed at hover flow: this many
# times the time the low gate's height takes at the terminal rate
TERMINAL_TIME_FACTOR = 1.5


@njit(cache=True)
def height_policy(
    fs: np.ndarray,
    fp: np.ndarray,
    rg: np.ndarray,
    vg: np.ndarray,
    rn: float,
    a_g: np.ndarray,
    flags: int,
    alt_trusted: float,
    alt_sigma: float,
) -> tuple[np.ndarray, int]:
    """Bound the vertical command when the height is (or was) not trusted.

    The lander must always be able to stop above the lowest height the
    estimate allows (estimate - 3 sigma) with half of its thrust margin over
    gravity: the descent rate is capped there (``RX_ALT_UNTRUSTED``).

    While the height is untrusted the lander waits for the ranges, descending
    at no more than the configured rate and never climbing, as long as its
    propellant budget allows. Two rates decide: ``v_need``, the least mean
    descent rate that reaches the ground from the highest height the estimate
    allows (estimate + 3 sigma) before the estimated propellant, less what
    nulling the present speed costs, is spent hovering (``m g / (Isp g0)``);
    and the stopping-distance rate. Waiting is allowed while the propellant
    exceeds ``UNTRUSTED_BUDGET_FACTOR`` times the cost of committing now at the
    stopping-distance rate. Otherwise the lander commits (``RX_COMMIT``): it
    descends at no less than ``UNTRUSTED_COMMIT_MARGIN * v_need`` (and a
    quarter of the stopping-distance rate), the cap rising to that floor when
    the two conflict, because running dry is certain loss (HAKUTO-R M1
    hovered until its tanks were dry; IM-1-like runs whose estimate was
    kilometres low climbed while believing they descended). After trust
    returns the stopping-distance cap stays (``RX_REJOIN``), so the guidance
    profile is rejoined at a rate the lander can stop from.
    """
    ag2, flags = height_policy_xyz(
        fs, fp, rg[2], vg[0], vg[1], vg[2], rn, a_g[2], flags, alt_trusted, alt_sigma
    )
    a_g[2] = ag2
    return a_g, flags


@njit(cache=True)
def height_policy_xyz(
    fs: np.ndarray,
    fp: np.ndarray,
    h: float,
    vg0: float,
    vg1: float,
    vg2: float,
    rn: float,
    ag2: float,
    flags: int,
    alt_trusted: float,
    alt_sigma: float,
) -> tuple[float, int]:
    """:func:`height_policy` on scalars (no array allocated or viewed).

    ``h``: height above the target's sphere (m, ``rg[2]``); ``vg0, vg1, vg2``:
    guidance-coordinate velocity (m/s); ``ag2``: the vertical command (m/s^2).
    Returns the bounded vertical command and the flags.
    """
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    g_loc = fp[FP_GM] / (rn * rn)
    a_brake = 0.5 * max(fp[FP_MAX_THRUST] / m_est - g_loc, 0.0)
    h_low = max(h - 3.0 * alt_sigma, 0.0)
    v_stop = np.sqrt(2.0 * a_brake * h_low) + fp[FP_TERM_RATE]
    kv = fp[FP_TERM_GAIN]
    v_cap = v_stop
    v_floor = -np.inf  # least descent rate (negative: a climb rate allowed)
    if alt_trusted < 0.5:
        flags |= RX_REJOIN
        ve = fp[FP_ISP] * G0_M_S2
        mdot_hover = m_est * g_loc / ve
        prop = max(fs[FS_MPROP], 0.0)
        h_high = max(h + 3.0 * alt_sigma, 0.0)
        speed = np.sqrt(vg0 * vg0 + vg1 * vg1 + vg2 * vg2)
        brake = m_est * (1.0 - np.exp(-(speed + v_stop) / ve))
        v_need = h_high * mdot_hover / max(prop - brake, 1e-3 * m_est)
        commit_cost = mdot_hover * h_high / v_stop + brake
        if v_stop >= v_need and prop > UNTRUSTED_BUDGET_FACTOR * commit_cost:
            v_cap = min(v_stop, fp[FP_UNTRUSTED_VMAX])
            v_floor = 0.0
        else:
            v_floor = max(UNTRUSTED_COMMIT_MARGIN * v_need, 0.25 * v_stop)
            v_cap = max(v_stop, v_floor)
            flags |= RX_COMMIT
        if vg2 > -v_floor:
            ag2 = min(ag2, kv * (-v_floor - vg2))
    if vg2 < -v_cap:
        ag2 = max(ag2, kv * (-v_cap - vg2))
        flags |= RX_ALT_UNTRUSTED
    return ag2, flags


@njit(cache=True)
def retimed_approach_tgo(fs: np.ndarray, fp: np.ndarray, rg: np.ndarray, vg: np.ndarray,
                          rn: float) -> float:
    """Approach time-to-go after the height is trusted again (s).

    The approach clock ran while the height was wrong; when navigation finds
    the lander higher than the profile (IM-1-like runs: 2-3 km), keeping the
    old time-to-go asks the quartic for a dive it cannot brake from with
    attitude authority to spare. The approach is re-timed to descend the
    height left above the low gate at the designed approach's mean rate
    ``(h_HG - h_LG) / tgo_approach``, but no longer than the propellant
    allows: descending near hover costs ``m g / (Isp g0)`` per second, after
    what nulling the present speed and the terminal descent from the low
    gate cost, with ``UNTRUSTED_COMMIT_MARGIN``. Never shorter than now.
    """
    return retimed_approach_tgo_xyz(fs, fp, rg[2], vg[0], vg[1], vg[2], rn)


@njit(cache=True)
def retimed_approach_tgo_xyz(
    fs: np.ndarray, fp: np.ndarray, h: float, vg0: float, vg1: float, vg2: float, rn: float
) -> float:
    """:func:`retimed_approach_tgo` on scalars: height above the target's sphere
    ``h`` (m), guidance-coordinate velocity (m/s), distance from the Moon's centre
    ``rn`` (m); time-to-go (s)."""
    tgo_now = fs[FS_TGO]
    h_left = h - fp[FP_LG + 2]
    v_nominal = (fp[FP_HG + 2] - fp[FP_LG + 2]) / fp[FP_APPROACH_TGO]
    if h_left <= 0.0 or v_nominal <= 0.0:
        return tgo_now
    m_est = fp[FP_DRY_MASS] + max(fs[FS_MPROP], 0.0)
    ve = fp[FP_ISP] * G0_M_S2
    mdot_hover = m_est * (fp[FP_GM] / (rn * rn)) / ve
    speed = np.sqrt(vg0 * vg0 + vg1 * vg1 + vg2 * vg2)
    brake = m_est * (1.0 - np.exp(-speed / ve))
    t_terminal = TERMINAL_TIME_FACTOR * fp[FP_LG + 2] / fp[FP_TERM_RATE]
    spare = max(fs[FS_MPROP], 0.0) - brake - mdot_hover * t_terminal
    tgo_budget = spare / (UNTRUSTED_COMMIT_MARGIN * mdot_hover)
    return max(tgo_now, min(h_left / v_nominal, tgo_budget))
