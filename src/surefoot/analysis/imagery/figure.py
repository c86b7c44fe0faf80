"""Overview figure of a before/after pair and what the detector found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from surefoot.analysis.imagery.detect import Detection
from surefoot.analysis.imagery.io import GeoImage


def _extent(img: GeoImage) -> tuple[float, float, float, float]:
    p = img.pixel_m or 1.0
    ny, nx = img.shape
    return (
        img.x0_m - 0.5 * p,
        img.x0_m + (nx - 0.5) * p,
        img.y0_m - 0.5 * p,
        img.y0_m + (ny - 0.5) * p,
    )


def _stretch(data: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(data, [0.5, 99.5])
    return float(lo), float(hi if hi > lo else lo + 1.0)


def overview_figure(
    before: GeoImage,
    after: GeoImage,
    detection: Detection,
    path: str | Path,
    *,
    title: str = "",
    truth_east_north_m: tuple[float, float] | None = None,
) -> Path:
    """Save a three-panel PNG: before, after, and the z-score map with the sites.

    Axes are the site map frame (m east, m north of the target). The
    detected centres are drawn with their 2-sigma ellipses; the target (0, 0)
    and, when given, the true touchdown point are marked where in view.

    Parameters
    ----------
    before, after : GeoImage
        The image pair (row 0 south), as given to the detector.
    detection : Detection
        Result of :func:`~.detect.detect_change` on the pair.
    path : str or Path
        Output PNG.
    title : str
        Figure title; "SYNTHETIC" is added when the images are synthetic.
    truth_east_north_m : (float, float), optional
        True touchdown point (m).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    synthetic = bool(before.meta.get("synthetic") or after.meta.get("synthetic"))
    fig = Figure(figsize=(15, 5.8))
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    ext = _extent(before)
    for ax, img, label in ((axes[0], before, "before"), (axes[1], after, "after")):
        lo, hi = _stretch(img.data)
        ax.imshow(img.data, origin="lower", cmap="gray", vmin=lo, vmax=hi, extent=_extent(img))
        ax.set_title(label)
    z = np.nan_to_num(detection.z_map)
    im = axes[2].imshow(z, origin="lower", cmap="RdBu_r", vmin=-8, vmax=8, extent=ext)
    if detection.site_map.any():
        axes[2].contour(
            detection.site_map > 0,
            levels=[0.5],
            colors="k",
            linewidths=0.8,
            extent=ext,
            origin="lower",
        )
    axes[2].set_title("change (z-score of log after/before)")
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
    x_lo, x_hi, y_lo, y_hi = ext
    for ax in axes:
        if x_lo <= detection.target_east_m <= x_hi and y_lo <= detection.target_north_m <= y_hi:
            ax.plot(detection.target_east_m, detection.target_north_m, "y*", ms=12, label="target")
        if truth_east_north_m is not None:
            ax.plot(*truth_east_north_m, "gx", ms=10, mew=2, label="true touchdown")
        for k, site in enumerate(detection.sites):
            ax.add_patch(
                Ellipse(
                    (site.center_east_m, site.center_north_m),
                    max(4.0 * site.sigma_east_m, 1.0),
                    max(4.0 * site.sigma_north_m, 1.0),
                    fill=False,
                    color="m",
                    lw=1.2,
                )
            )
            ax.plot(
                site.center_east_m,
                site.center_north_m,
                "m+",
                ms=10,
                label="detected (2-sigma)" if k == 0 else None,
            )
        ax.set_xlabel("east of target (m)")
    axes[0].set_ylabel("north of target (m)")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(loc="lower left", fontsize=8)
    heading = title or "orbital images of the landing site"
    if synthetic:
        heading = f"SYNTHETIC {heading} (rendered from a terrain model, not observed)"
    fig.suptitle(heading)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
