"""Plots a GNC engineer reads after a filtered landing: navigation error against the
filter's own 3-sigma, NEES and NIS against chi-square bounds, sensor residuals with
their rejections, attitude error and body rates.

Every bound drawn here is the filter's own: the per-axis 1-sigma columns the
simulator records from the filter's covariance (``nav_sigma_*``, site ENU axes,
:mod:`surefoot.sim.telemetry_nav`); errors are truth minus estimate, the
filter's convention. Figures are :class:`matplotlib.figure.Figure` objects
outside pyplot (no backend, nothing to close).

Reference for the consistency bounds: Bar-Shalom, Li and Kirubarajan,
*Estimation with Applications to Tracking and Navigation* (2001), sec. 5.4:
for a consistent filter the NEES of an n-dimensional state is chi-square with
n degrees of freedom, and each NIS chi-square with the measurement's dimension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats import chi2

from surefoot.analysis.descent_report import envelope
from surefoot.analysis.run_folder import RunFolder
from surefoot.fsw.nav.layout import (
    EV_DOPR_REJECT,
    EV_DOPV_REJECT,
    EV_LRF_REJECT,
    EV_STAR_REJECT,
    EV_TRN_REJECT,
)
from surefoot.math.quaternion import quat_conj_rows, quat_mul_rows

AXES_ENU = ("east", "north", "up")
NEES_DOF = 6
# (column, label, degrees of freedom, rejection event bit)
NIS_SENSORS = (
    ("nav_nis_lrf", "laser rangefinder (per beam)", 1, EV_LRF_REJECT),
    ("nav_nis_doppler_range", "Doppler lidar range (per beam)", 1, EV_DOPR_REJECT),
    ("nav_nis_doppler_velocity", "Doppler lidar velocity", 3, EV_DOPV_REJECT),
    ("nav_nis_trn", "TRN camera fix", 2, EV_TRN_REJECT),
    ("nav_nis_star", "star tracker", 3, EV_STAR_REJECT),
)
CONFIDENCE = 0.95  # two-sided band of the chi-square bounds
SIGMA_LABEL = "+-3 sigma (filter)"


def is_filtered(run: RunFolder) -> bool:
    """True when the run flew the navigation filter and recorded its covariance."""
    return run.has("nav_sigma_r_east") and bool(np.any(np.isfinite(run.col("nav_sigma_r_east"))))


def chi_square_band(dof: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided ``confidence`` interval of a chi-square variable with ``dof`` dof."""
    a = (1.0 - confidence) / 2.0
    return float(chi2.ppf(a, dof)), float(chi2.ppf(1.0 - a, dof))


def _figure(rows: int, cols: int, title: str, height: float) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(14, height))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.06, top=0.92, wspace=0.22, hspace=0.3)
    fig.suptitle(title)
    return fig, axes


def _title(run: RunFolder) -> str:
    s = run.summary
    return f"{s.get('scenario', run.scenario.name)} seed {s.get('seed', run.scenario.seed)}"


def _error_with_bounds(
    ax: Axes, t: np.ndarray, err: np.ndarray, sigma: np.ndarray, unit: str
) -> None:
    """Error line and the +-3 sigma lines, each thinned by :func:`envelope`."""
    ax.plot(*envelope(t, err), lw=0.8, color="C0", label="truth - estimate")
    te, up = envelope(t, 3.0 * sigma)
    ax.plot(te, up, color="C3", lw=0.8, label=SIGMA_LABEL, gid="plus_3_sigma")
    ax.plot(te, -up, color="C3", lw=0.8, gid="minus_3_sigma")
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)
    # the bound, not the error's worst transient, sets the scale
    finite = np.isfinite(sigma)
    if np.any(finite):
        lim = 1.5 * max(
            np.nanpercentile(3.0 * sigma[finite], 98),
            np.nanpercentile(np.abs(err[np.isfinite(err)]), 98)
            if np.any(np.isfinite(err))
            else 0.0,
        )
        if lim > 0:
            ax.set_ylim(-lim, lim)
            # the bound shrinks by orders of magnitude once ranges and fixes arrive: a
            # symmetric log axis, linear inside the smallest bound, keeps both ends readable
            small = float(np.nanmin(3.0 * sigma[finite]))
            if 0.0 < small < lim / 20.0:
                ax.set_yscale("symlog", linthresh=small)


def navigation_error_plot(run: RunFolder) -> Figure:
    """Position and velocity error per site-ENU axis with the filter's +-3 sigma."""
    t = run.col("t")
    fig, axes = _figure(
        3, 2, f"{_title(run)}: navigation error and the filter's 3-sigma (site ENU axes)", 9.0
    )
    for k, ax_name in enumerate(AXES_ENU):
        err_r = run.col(f"r_{ax_name}") - run.col(f"nav_r_{ax_name}")
        err_v = run.col(f"v_{ax_name}") - run.col(f"nav_v_{ax_name}")
        _error_with_bounds(axes[k, 0], t, err_r, run.col(f"nav_sigma_r_{ax_name}"), "m")
        _error_with_bounds(axes[k, 1], t, err_v, run.col(f"nav_sigma_v_{ax_name}"), "m/s")
        axes[k, 0].set_title(f"position error, {ax_name}", fontsize=10)
        axes[k, 1].set_title(f"velocity error (surface-relative), {ax_name}", fontsize=10)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    return fig


def _event_times(run: RunFolder, bit: int) -> np.ndarray:
    ev = run.col("nav_events").astype(np.int64)
    return run.col("t")[(ev & bit) != 0]


def consistency_plot(run: RunFolder) -> Figure:
    """NEES of position and velocity and each sensor's NIS, against chi-square bounds,
    with the rejected measurements marked."""
    t = run.col("t")
    fig, axes = _figure(
        3,
        2,
        f"{_title(run)}: filter consistency (NEES, NIS; {CONFIDENCE:.0%} chi-square bounds)",
        9.0,
    )
    ax = axes[0, 0]
    nees = run.col("nav_nees_rv")
    ok = np.isfinite(nees) & (nees > 0)
    if np.any(ok):
        ax.plot(*envelope(t[ok], nees[ok]), lw=0.7, color="C0", label="NEES (position, velocity)")
    lo, hi = chi_square_band(NEES_DOF)
    ax.axhline(lo, color="C3", ls="--", lw=0.8, label=f"chi-square {NEES_DOF} dof band")
    ax.axhline(hi, color="C3", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_title("NEES, 6 dof (needs truth: simulation only)", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    for j, (name, label, dof, bit) in enumerate(NIS_SENSORS, start=1):
        ax = axes.flat[j]
        nis = run.col(name)
        ok = np.isfinite(nis) & (nis > 0)
        ax.set_title(f"NIS, {label}", fontsize=10)
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if not np.any(ok):
            ax.text(
                0.5,
                0.5,
                "no measurement",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="0.4",
            )
            continue
        ax.plot(t[ok], nis[ok], ".", ms=1.5, color="C0", label="NIS")
        lo, hi = chi_square_band(dof)
        ax.axhline(hi, color="C3", ls="--", lw=0.8, label=f"chi-square {dof} dof, {CONFIDENCE:.0%}")
        rej = _event_times(run, bit)
        if rej.size:
            ax.plot(
                rej,
                np.full(rej.size, np.nanmax(nis[ok]) * 1.5),
                "|",
                color="C1",
                ms=6,
                label=f"rejected ({rej.size} cycles)",
            )
        ax.legend(fontsize=7, loc="upper right")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    return fig


def attitude_error_deg(q_true: np.ndarray, q_est: np.ndarray) -> np.ndarray:
    """``(n, 3)`` small rotation (deg, about the ENU axes) taking the estimated attitude
    to the true one: q_true = dq * q_est, the filter's error convention."""
    dq = quat_mul_rows(q_true, quat_conj_rows(q_est))
    dq *= np.where(dq[:, :1] < 0.0, -1.0, 1.0)
    return np.degrees(2.0 * dq[:, 1:])


def attitude_plot(run: RunFolder) -> Figure:
    """Attitude error per ENU axis with the filter's +-3 sigma (filtered runs), tilt
    and body rates."""
    t = run.col("t")
    fig, axes = _figure(3, 2, f"{_title(run)}: attitude and rates", 9.0)
    q_true = run.vectors("q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")
    filtered = is_filtered(run)
    if filtered:
        q_est = run.vectors(
            "nav_q_body_to_enu_w",
            "nav_q_body_to_enu_x",
            "nav_q_body_to_enu_y",
            "nav_q_body_to_enu_z",
        )
        err = attitude_error_deg(q_true, q_est)
    for k, ax_name in enumerate(AXES_ENU):
        ax = axes[k, 0]
        if filtered:
            _error_with_bounds(ax, t, err[:, k], run.col(f"nav_sigma_att_{ax_name}"), "deg")
        else:
            ax.text(
                0.5,
                0.5,
                "ideal navigation: no filter",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="0.4",
            )
        ax.set_title(f"attitude error about {ax_name}", fontsize=10)
    axes[0, 0].legend(fontsize=8, loc="upper right") if filtered else None
    for k, name in enumerate(("x", "y", "z")):
        ax = axes[k, 1]
        ax.plot(*envelope(t, run.col(f"omega_body_{name}")), lw=0.7, color=f"C{k}")
        ax.set_title(f"body rate about body {name} (truth)", fontsize=10)
        ax.set_ylabel("deg/s")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    return fig


def write_navigation_figures(run: RunFolder, out_dir: Path) -> dict[str, Path]:
    """Write ``nav_error.png``, ``nav_consistency.png`` (filtered runs) and
    ``attitude.png`` into ``out_dir``; label to path of each file written."""
    from surefoot.sim.output import atomic_write

    figures = {"attitude figure": ("attitude.png", attitude_plot)}
    if is_filtered(run):
        figures = {
            "navigation figure": ("nav_error.png", navigation_error_plot),
            "consistency figure": ("nav_consistency.png", consistency_plot),
            **figures,
        }
    paths: dict[str, Path] = {}
    for label, (name, make) in figures.items():
        fig = make(run)
        path = Path(out_dir) / name
        atomic_write(
            path,
            lambda p, f=fig: f.savefig(p, format="png", dpi=80, pil_kwargs={"compress_level": 1}),
        )
        paths[label] = path
    return paths
