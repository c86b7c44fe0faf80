"""Synthetic orbital images of a height patch: photometry, cast shadows, camera noise.

Conventions
-----------
Arrays are ``(ny, nx)`` with row 0 at the **southern** edge, like the terrain
grids: node ``(j, i)`` lies at ``x = x0_m + i * dx_m`` east and
``y = y0_m + j * dx_m`` north of the landing target (site map frame, m).
Azimuths are degrees clockwise from north (90 = east). The Sun direction,
from the ground towards the Sun, is ``(cos El sin Az, cos El cos Az, sin El)``
in east-north-up; the camera direction likewise from the emission angle
(from the vertical) and the azimuth of the camera seen from the ground.

What is modelled
----------------
- The image is orthorectified (map-projected), north up: pixel ``(j, i)`` is
  the ground at its map position, seen at the camera's emission angle. A
  point hidden from the camera by nearer terrain shows the radiance of the
  terrain that hides it, as in an orthorectified product.
- Radiance factor I/F from a photometric model (:mod:`.photometry`) with the
  local incidence and emission of each facet (normal from the height
  gradient), times a per-pixel albedo factor.
- Cast shadows by ray marching towards the Sun through the bilinear height
  field, with anti-aliased edges (:func:`sunlit_fraction`); shadows are
  black (no light scattered from nearby slopes). Terrain outside the patch
  casts no shadow into it.
- Pixel integration (supersampling), a Gaussian point-spread function, shot
  noise (Poisson), read noise (Gaussian) and quantisation to ``bits``-bit
  counts (:class:`Camera`).

The images are synthetic: they come from a model of the terrain, not from a
spacecraft, and every image carries ``"synthetic": true`` in its metadata.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from scipy import ndimage

from surefoot.analysis.imagery.io import GeoImage, check_count, check_number
from surefoot.analysis.imagery.photometry import Hapke, PhotometricModel


def unit_vector_enu(elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """East-north-up unit vector at an elevation above the horizon and an azimuth (deg).

    Parameters
    ----------
    elevation_deg : float
        Elevation above the local horizontal (deg).
    azimuth_deg : float
        Azimuth clockwise from north (deg).

    Returns
    -------
    numpy.ndarray
        Shape (3,), components east, north, up.
    """
    el = math.radians(elevation_deg)
    az = math.radians(azimuth_deg)
    return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])


@njit(cache=True, inline="always")
def _bilinear(h: np.ndarray, fy: float, fx: float) -> float:
    ny, nx = h.shape
    i = min(int(fx), nx - 2)
    j = min(int(fy), ny - 2)
    tx = fx - i
    ty = fy - j
    return (1.0 - ty) * ((1.0 - tx) * h[j, i] + tx * h[j, i + 1]) + ty * (
        (1.0 - tx) * h[j + 1, i] + tx * h[j + 1, i + 1]
    )


@njit(cache=True, parallel=True)
def _first_hit(
    h: np.ndarray,
    dir_e: float,
    dir_n: float,
    rise: float,
    j0: int,
    i0: int,
    ny_out: int,
    nx_out: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """March from nodes ``(j0 + jo, i0 + io)`` towards a direction; where a ray first goes under.

    ``(dir_e, dir_n)`` is the horizontal unit direction and ``rise`` the
    ray's rise (m) per node of horizontal travel. Steps are half a node.
    Returns a hit flag and the fractional (row, column) in ``h`` of the
    first point found under the terrain (-1 where the ray escapes over the
    highest node or leaves the grid), each of shape (ny_out, nx_out).
    """
    ny, nx = h.shape
    hmax = h.max()
    step = 0.5
    hit = np.zeros((ny_out, nx_out), dtype=np.bool_)
    hit_fy = np.full((ny_out, nx_out), -1.0)
    hit_fx = np.full((ny_out, nx_out), -1.0)
    for jo in prange(ny_out):
        for io in range(nx_out):
            fy = float(j0 + jo)
            fx = float(i0 + io)
            z = h[j0 + jo, i0 + io]
            while True:
                fx += step * dir_e
                fy += step * dir_n
                z += step * rise
                if z > hmax or fx < 0.0 or fy < 0.0 or fx > nx - 1.0 or fy > ny - 1.0:
                    break
                if _bilinear(h, fy, fx) > z:
                    hit[jo, io] = True
                    hit_fy[jo, io] = fy
                    hit_fx[jo, io] = fx
                    break
    return hit, hit_fy, hit_fx


@njit(cache=True, parallel=True)
def _horizon_margin(
    h: np.ndarray,
    dir_e: float,
    dir_n: float,
    rise: float,
    j0: int,
    i0: int,
    stride: int,
    ny_out: int,
    nx_out: int,
) -> np.ndarray:
    """Slope margin of rays towards a direction from every ``stride``-th node of a window.

    For node ``(j0 + stride jo, i0 + stride io)`` of ``h``: the ray's rise
    per node (``rise``, m) minus the steepest rise per node seen along the
    direction. Positive where a ray rising at ``rise`` clears the terrain
    (lit), negative where it does not (shadow). The march (half-node steps
    through all of ``h``) stops where a ray rising 5 % less steeply has
    passed the highest node or the ray leaves the grid, so values near zero
    are exact and the rest only keep their sign.
    """
    ny, nx = h.shape
    hmax = h.max()
    step = 0.5
    rise_stop = 0.95 * rise
    out = np.empty((ny_out, nx_out))
    for jo in prange(ny_out):
        for io in range(nx_out):
            j = j0 + stride * jo
            i = i0 + stride * io
            z0 = h[j, i]
            fx = float(i)
            fy = float(j)
            t = 0.0
            best = -1.0e30
            while True:
                fx += step * dir_e
                fy += step * dir_n
                t += step
                if z0 + t * rise_stop > hmax or fx < 0.0 or fy < 0.0:
                    break
                if fx > nx - 1.0 or fy > ny - 1.0:
                    break
                slope = (_bilinear(h, fy, fx) - z0) / t
                if slope > best:
                    best = slope
            out[jo, io] = rise - best
    return out


def sunlit_fraction(
    height_m: np.ndarray,
    spacing_m: float,
    sun_elevation_deg: float,
    sun_azimuth_deg: float,
    window: tuple[int, int, int, int] | None = None,
    stride: int = 1,
) -> np.ndarray:
    """Fraction of each sample cell outside cast shadows, with anti-aliased shadow edges.

    The shadow terminator is where the horizon margin (the rise of a ray to
    the Sun minus the steepest terrain rise seen towards it) crosses zero;
    dividing the margin by its gradient gives the signed distance (in
    samples) of each sample to the terminator, and the lit fraction of the
    cell is ``clip(0.5 + distance, 0, 1)``. Unlike a binary test this varies
    smoothly when the sampling grid moves by a fraction of a sample, which
    matters when two renderings are compared. The margin is a continuous
    field, so it is marched on every ``stride``-th sample only and
    interpolated bilinearly in between.

    Parameters
    ----------
    height_m : numpy.ndarray
        Heights (m), shape (ny, nx), row 0 south; rays march through all of it.
    spacing_m : float
        Sample spacing (m).
    sun_elevation_deg, sun_azimuth_deg : float
        Sun elevation (deg, > 0) and azimuth from north (deg).
    window : (int, int, int, int), optional
        ``(j0, i0, ny_out, nx_out)``: the samples to return; default all.
    stride : int
        Samples between marched nodes (>= 1).

    Returns
    -------
    numpy.ndarray
        Lit fraction in [0, 1], shape (ny_out, nx_out).
    """
    h = np.ascontiguousarray(height_m, dtype=float)
    j0, i0, ny_out, nx_out = window if window is not None else (0, 0, *h.shape)
    if sun_elevation_deg >= 90.0:
        return np.ones((ny_out, nx_out))
    az = math.radians(sun_azimuth_deg)
    rise = spacing_m * math.tan(math.radians(sun_elevation_deg))
    stride = max(int(stride), 1)
    # Coarse nodes covering the window, one more where the grid allows.
    nyc = min((ny_out - 1) // stride + 2, (h.shape[0] - 1 - j0) // stride + 1)
    nxc = min((nx_out - 1) // stride + 2, (h.shape[1] - 1 - i0) // stride + 1)
    margin = _horizon_margin(h, math.sin(az), math.cos(az), rise, j0, i0, stride, nyc, nxc)
    margin = np.clip(margin, -rise, rise)
    if stride > 1:
        rows, cols = np.mgrid[0:ny_out, 0:nx_out] / stride
        margin = ndimage.map_coordinates(margin, [rows, cols], order=1, mode="nearest")
    else:
        margin = margin[:ny_out, :nx_out]
    g_row, g_col = np.gradient(margin)
    grad = np.hypot(g_row, g_col)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(grad > 0.0, margin / grad, np.sign(margin) * np.inf)
    return np.clip(0.5 + dist, 0.0, 1.0)


MAX_IMAGE_SIDE_PX = 16_384
"""Largest image side (pixels): a 16k x 16k float image is 2 GiB."""


@dataclass(frozen=True)
class ImageGrid:
    """Pixel centres of an image in the site map frame.

    Pixel ``(j, i)`` is centred at ``(x0_m + i * pixel_m, y0_m + j * pixel_m)``
    (east, north; m); row 0 is the southern edge.
    """

    x0_m: float
    y0_m: float
    pixel_m: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        check_number(self.x0_m, "x0_m", -1e8, 1e8)
        check_number(self.y0_m, "y0_m", -1e8, 1e8)
        check_number(self.pixel_m, "pixel_m", 0.0, 1e5, lo_open=True)
        check_count(self.nx, "nx", 2, MAX_IMAGE_SIDE_PX)
        check_count(self.ny, "ny", 2, MAX_IMAGE_SIDE_PX)

    @classmethod
    def covering(
        cls,
        shape: tuple[int, int],
        dx_m: float,
        x0_m: float,
        y0_m: float,
        pixel_m: float,
        center_m: tuple[float, float] | None = None,
        size_m: float | None = None,
    ) -> ImageGrid:
        """The grid at ``pixel_m`` inside a height patch, optionally a square window.

        Parameters
        ----------
        shape : (int, int)
            Height patch shape (ny, nx).
        dx_m, x0_m, y0_m : float
            Height patch node spacing and south-west node (m, site map frame).
        pixel_m : float
            Image pixel size (m).
        center_m : (float, float), optional
            Window centre (east, north; m); default the patch centre.
        size_m : float, optional
            Window side (m); default the whole patch. Clipped to the patch.
        """
        ny_h, nx_h = shape
        x_lo, x_hi = x0_m, x0_m + (nx_h - 1) * dx_m
        y_lo, y_hi = y0_m, y0_m + (ny_h - 1) * dx_m
        if center_m is not None and size_m is not None:
            half = 0.5 * size_m
            x_lo, x_hi = max(x_lo, center_m[0] - half), min(x_hi, center_m[0] + half)
            y_lo, y_hi = max(y_lo, center_m[1] - half), min(y_hi, center_m[1] + half)
        # Pixel footprints stay inside the patch.
        nx = int(math.floor((x_hi - x_lo) / pixel_m + 1e-9))
        ny = int(math.floor((y_hi - y_lo) / pixel_m + 1e-9))
        if nx < 2 or ny < 2:
            raise ValueError("image window: under two pixels; enlarge it or use finer pixels")
        return cls(x_lo + 0.5 * pixel_m, y_lo + 0.5 * pixel_m, pixel_m, nx, ny)


@dataclass(frozen=True)
class Camera:
    """Optics and detector: point-spread function, noise and quantisation.

    The expected signal is ``full_well_e * I/F / if_full_scale`` electrons:
    ``if_full_scale`` is the radiance factor that fills the well for the
    exposure used. Counts are ``round(electrons / gain)`` clipped to
    ``[0, 2**bits - 1]`` with ``gain = full_well_e / (2**bits - 1)``.
    Defaults are illustrative of a 12-bit pushbroom camera imaging mare at
    moderate Sun (signal-to-noise ratio about 80 at I/F = 0.04), not the
    calibration of any real instrument.

    Attributes
    ----------
    psf_sigma_px : float
        Standard deviation of the Gaussian point-spread function (pixels).
    full_well_e : float
        Electrons at full scale.
    if_full_scale : float
        Radiance factor I/F giving full scale.
    read_noise_e : float
        Read noise (electrons, 1 sigma).
    bits : int
        Quantisation depth (1 to 16).
    """

    psf_sigma_px: float = 0.5
    full_well_e: float = 40_000.0
    if_full_scale: float = 0.25
    read_noise_e: float = 30.0
    bits: int = 12

    def __post_init__(self) -> None:
        check_number(self.psf_sigma_px, "psf_sigma_px", 0.0, 100.0)
        check_number(self.full_well_e, "full_well_e", 0.0, 1e9, lo_open=True)
        check_number(self.if_full_scale, "if_full_scale", 0.0, 10.0, lo_open=True)
        check_number(self.read_noise_e, "read_noise_e", 0.0, 1e6)
        check_count(self.bits, "bits", 1, 16)

    @property
    def gain_e_per_count(self) -> float:
        """Electrons per count."""
        return self.full_well_e / (2**self.bits - 1)

    @property
    def if_per_count(self) -> float:
        """Radiance factor I/F per count (calibration of the output)."""
        return self.if_full_scale / (2**self.bits - 1)

    def expose(self, i_over_f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Counts recorded for a noise-free radiance-factor image.

        Parameters
        ----------
        i_over_f : numpy.ndarray
            Pixel-integrated I/F, shape (ny, nx).
        rng : numpy.random.Generator
            Noise source.

        Returns
        -------
        numpy.ndarray
            Counts, uint16, same shape.
        """
        img = np.asarray(i_over_f, dtype=float)
        if self.psf_sigma_px > 0.0:
            img = ndimage.gaussian_filter(img, self.psf_sigma_px, mode="nearest")
        electrons = self.full_well_e * np.clip(img, 0.0, None) / self.if_full_scale
        electrons = rng.poisson(electrons).astype(float)
        electrons += rng.normal(0.0, self.read_noise_e, size=electrons.shape)
        counts = np.round(electrons / self.gain_e_per_count)
        return np.clip(counts, 0, 2**self.bits - 1).astype(np.uint16)


def _sample_heights(h: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cubic-spline heights at fractional (row, col), exact for planes.

    The best-fitting plane is removed before the spline and added back, so
    that a tilted plane is reproduced exactly and the spline's edge handling
    acts only on the relief.
    """
    ny, nx = h.shape
    jj, ii = np.mgrid[0:ny, 0:nx]
    design = np.column_stack([np.ones(h.size), ii.ravel(), jj.ravel()])
    coef, *_ = np.linalg.lstsq(design, h.ravel(), rcond=None)
    relief = h - (coef[0] + coef[1] * ii + coef[2] * jj)
    out = ndimage.map_coordinates(relief, [rows, cols], order=3, mode="nearest")
    return out + coef[0] + coef[1] * cols + coef[2] * rows


def render_reflectance(
    height_m: np.ndarray,
    dx_m: float,
    *,
    x0_m: float = 0.0,
    y0_m: float = 0.0,
    sun_elevation_deg: float,
    sun_azimuth_deg: float,
    emission_deg: float = 0.0,
    emission_azimuth_deg: float = 0.0,
    albedo_factor: np.ndarray | float = 1.0,
    model: PhotometricModel | None = None,
    grid: ImageGrid | None = None,
    pixel_m: float | None = None,
    supersample: int = 2,
    pointing_offset_m: tuple[float, float] = (0.0, 0.0),
    shadows: bool = True,
    max_margin_m: float = 250.0,
) -> GeoImage:
    """Noise-free, pixel-integrated radiance factor image of a height patch.

    Parameters
    ----------
    height_m : numpy.ndarray
        Heights (m), shape (ny, nx), row 0 south.
    dx_m : float
        Node spacing (m).
    x0_m, y0_m : float
        East and north of node (0, 0) (m, site map frame).
    sun_elevation_deg, sun_azimuth_deg : float
        Sun elevation above the horizon (0-90 deg) and azimuth from north (deg).
    emission_deg, emission_azimuth_deg : float
        Camera angle from the vertical (0-70 deg) and azimuth of the camera
        as seen from the ground (deg).
    albedo_factor : numpy.ndarray or float
        Multiplier of the model's single-scattering albedo, scalar or the
        height patch's shape.
    model : PhotometricModel, optional
        Photometric model; default :class:`~.photometry.Hapke`.
    grid : ImageGrid, optional
        Image pixels; default the whole patch at ``pixel_m``.
    pixel_m : float, optional
        Pixel size (m) when ``grid`` is not given; default ``dx_m``.
    supersample : int
        Samples per pixel side, averaged (pixel integration).
    pointing_offset_m : (float, float)
        The image really shows the ground displaced by (east, north) metres
        from where its georeference says (pointing or ephemeris error).
    shadows : bool
        Cast shadows on (default) or off.
    max_margin_m : float
        Largest margin (m) rendered around the footprint so that terrain
        outside it casts shadows into it (the margin needed is the patch's
        relief over the tangent of the Sun elevation); beyond the patch its
        edge heights are repeated.

    Returns
    -------
    GeoImage
        I/F (float64), georeferenced by ``grid``, metadata with the geometry
        and ``synthetic: true``.
    """
    h = np.asarray(height_m, dtype=float)
    if h.ndim != 2 or min(h.shape) < 2:
        raise ValueError("height_m: must be a 2-D array of at least 2 x 2 nodes")
    if not dx_m > 0.0:
        raise ValueError("dx_m: must be positive")
    if not 0.0 < sun_elevation_deg <= 90.0:
        raise ValueError("sun_elevation_deg: must be in (0, 90]")
    if not 0.0 <= emission_deg <= 70.0:
        raise ValueError("emission_deg: must be in [0, 70]")
    if supersample < 1:
        raise ValueError("supersample: must be at least 1")
    model = model if model is not None else Hapke()
    if grid is None:
        grid = ImageGrid.covering(h.shape, dx_m, x0_m, y0_m, pixel_m or dx_m)
    ss = int(supersample)
    step = grid.pixel_m / ss
    offs = (np.arange(ss) + 0.5) * step - 0.5 * grid.pixel_m
    # Terrain beyond the footprint, towards the Sun and towards the camera, casts
    # shadows into it and hides ground: sample a margin on those sides.
    sun = unit_vector_enu(sun_elevation_deg, sun_azimuth_deg)
    cam = unit_vector_enu(90.0 - emission_deg, emission_azimuth_deg)
    relief = float(h.max() - h.min())
    reach_sun = relief / math.tan(math.radians(sun_elevation_deg)) if shadows else 0.0
    reach_cam = relief * math.tan(math.radians(emission_deg))
    pads = []  # west, east, south, north, in pixels
    for axis, sign in ((0, -1.0), (0, 1.0), (1, -1.0), (1, 1.0)):
        reach = sum(
            r * max(0.0, sign * d[axis]) / max(math.hypot(d[0], d[1]), 1e-12)
            for r, d in ((reach_sun, sun), (reach_cam, cam))
        )
        pads.append(int(math.ceil(min(reach, max_margin_m) / grid.pixel_m)) + 1)
    pad_w, pad_e, pad_s, pad_n = pads
    pix_x = np.arange(-pad_w, grid.nx + pad_e)[:, None]
    pix_y = np.arange(-pad_s, grid.ny + pad_n)[:, None]
    xs = grid.x0_m + pointing_offset_m[0] + (pix_x * grid.pixel_m + offs)
    ys = grid.y0_m + pointing_offset_m[1] + (pix_y * grid.pixel_m + offs)
    fx = (xs.ravel() - x0_m) / dx_m
    fy = (ys.ravel() - y0_m) / dx_m
    hs = _sample_heights(h, *np.meshgrid(fy, fx, indexing="ij"))
    # The footprint's samples inside the padded grid.
    j0, i0 = pad_s * ss, pad_w * ss
    ny_f, nx_f = grid.ny * ss, grid.nx * ss
    crop = (slice(j0, j0 + ny_f), slice(i0, i0 + nx_f))
    rows, cols = np.meshgrid(fy[crop[0]], fx[crop[1]], indexing="ij")
    albedo = np.asarray(albedo_factor, dtype=float)
    if albedo.ndim == 2:
        if albedo.shape != h.shape:
            raise ValueError("albedo_factor: must be a scalar or have the height patch's shape")
        albedo = ndimage.map_coordinates(albedo, [rows, cols], order=1, mode="nearest")

    dh_dn, dh_de = (g[crop] for g in np.gradient(hs, step))
    norm = np.sqrt(1.0 + dh_de**2 + dh_dn**2)
    mu0 = (-dh_de * sun[0] - dh_dn * sun[1] + sun[2]) / norm
    mu = (-dh_de * cam[0] - dh_dn * cam[1] + cam[2]) / norm
    phase = math.acos(float(np.clip(sun @ cam, -1.0, 1.0)))
    radiance = model.i_over_f(mu0, mu, phase, albedo)
    if shadows:
        radiance = radiance * sunlit_fraction(
            hs, step, sun_elevation_deg, sun_azimuth_deg, (j0, i0, ny_f, nx_f), stride=ss
        )
    if emission_deg > 0.0:
        az = math.radians(emission_azimuth_deg)
        rise = step / math.tan(math.radians(emission_deg))
        hidden, hy, hx = _first_hit(hs, math.sin(az), math.cos(az), rise, j0, i0, ny_f, nx_f)
        if hidden.any():
            seen = ndimage.map_coordinates(
                radiance, [hy[hidden] - j0, hx[hidden] - i0], order=1, mode="nearest"
            )
            radiance = radiance.copy()
            radiance[hidden] = seen
    i_over_f = radiance.reshape(grid.ny, ss, grid.nx, ss).mean(axis=(1, 3))
    meta = {
        "synthetic": True,
        "quantity": "I/F",
        "sun_elevation_deg": sun_elevation_deg,
        "sun_azimuth_deg": sun_azimuth_deg,
        "emission_deg": emission_deg,
        "emission_azimuth_deg": emission_azimuth_deg,
        "phase_deg": math.degrees(phase),
        "photometric_model": repr(model),
    }
    return GeoImage(i_over_f, grid.pixel_m, grid.x0_m, grid.y0_m, meta)


def render_image(
    height_m: np.ndarray,
    dx_m: float,
    *,
    camera: Camera | None = None,
    rng: np.random.Generator | int | None = None,
    **kwargs: object,
) -> GeoImage:
    """Render and expose: a synthetic image in counts, as a camera would return it.

    Parameters
    ----------
    height_m, dx_m
        See :func:`render_reflectance`.
    camera : Camera, optional
        Optics and detector; default :class:`Camera`.
    rng : numpy.random.Generator or int, optional
        Noise source or seed.
    **kwargs
        Passed to :func:`render_reflectance`.

    Returns
    -------
    GeoImage
        uint16 counts; ``meta["if_per_count"]`` converts them to I/F.
    """
    camera = camera if camera is not None else Camera()
    rng = np.random.default_rng(rng)
    ref = render_reflectance(height_m, dx_m, **kwargs)  # type: ignore[arg-type]
    counts = camera.expose(ref.data, rng)
    meta = {**ref.meta, "quantity": "counts", "if_per_count": camera.if_per_count}
    meta["camera"] = {
        "psf_sigma_px": camera.psf_sigma_px,
        "full_well_e": camera.full_well_e,
        "if_full_scale": camera.if_full_scale,
        "read_noise_e": camera.read_noise_e,
        "bits": camera.bits,
    }
    return GeoImage(counts, ref.pixel_m, ref.x0_m, ref.y0_m, meta)
