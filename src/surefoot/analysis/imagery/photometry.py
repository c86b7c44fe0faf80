"""Photometric functions of lunar regolith: radiance factor I/F from the local geometry.

All functions are vectorised over NumPy arrays and return the radiance
factor ``I/F = pi * r``, with ``r`` the bidirectional reflectance (1/sr):
``I`` is the radiance leaving the surface and ``pi F`` the solar irradiance
on a surface normal to the Sun. Geometry is given per surface facet:

- ``mu0 = cos(i)``: cosine of the incidence angle, between the facet normal
  and the direction to the Sun;
- ``mu = cos(e)``: cosine of the emission angle, between the facet normal and
  the direction to the camera;
- ``g``: phase angle (rad) between the directions to the Sun and to the camera,
  0 for a camera looking along the sunlight (backscatter).

Two models are offered:

- :func:`lommel_seeliger` (single scattering by an isotropic medium; Hapke
  2012, "Theory of Reflectance and Emittance Spectroscopy", 2nd ed., with an
  isotropic phase function), the usual first approximation for dark
  regolith;
- :func:`hapke`: the Hapke (1981, JGR 86, 3039) model as given in Hapke (2012)
  ch. 8 and 9, with the double Henyey-Greenstein single-particle phase
  function, the shadow-hiding opposition effect and the Hapke (2002, Icarus
  157, 523) approximation of the H-functions for isotropic multiple
  scattering. Macroscopic roughness is not modelled by a correction factor:
  the renderer resolves relief explicitly down to the pixel scale.

Each model reduces to Lommel-Seeliger when ``w -> 0``, ``B0 = 0`` and an
isotropic phase function, which the tests use as a cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ArrayLike = np.ndarray | float


def lommel_seeliger(mu0: ArrayLike, mu: ArrayLike, w: ArrayLike) -> np.ndarray:
    """Lommel-Seeliger radiance factor ``I/F = (w / 4) mu0 / (mu0 + mu)``.

    Parameters
    ----------
    mu0 : array_like
        Cosine of the incidence angle (dimensionless); facets with ``mu0 <= 0``
        face away from the Sun and return 0.
    mu : array_like
        Cosine of the emission angle (dimensionless); ``mu <= 0`` returns 0.
    w : array_like
        Single-scattering albedo, in [0, 1].

    Returns
    -------
    numpy.ndarray
        Radiance factor I/F (dimensionless), broadcast shape of the inputs.
    """
    mu0 = np.asarray(mu0, dtype=float)
    mu = np.asarray(mu, dtype=float)
    lit = (mu0 > 0.0) & (mu > 0.0)
    m0 = np.where(lit, mu0, 1.0)
    m = np.where(lit, mu, 1.0)
    return np.where(lit, 0.25 * np.asarray(w, dtype=float) * m0 / (m0 + m), 0.0)


def henyey_greenstein2(g: ArrayLike, b: float, c: float) -> np.ndarray:
    """Double-lobed Henyey-Greenstein single-particle phase function (Hapke 2012, ch. 6).

    ``p(g) = (1 + c)/2 (1 - b^2) / (1 - 2 b cos g + b^2)^(3/2)
    + (1 - c)/2 (1 - b^2) / (1 + 2 b cos g + b^2)^(3/2)``; ``c > 0`` favours
    backscatter (the first lobe peaks at ``g = 0``). Normalised so that its
    mean over the sphere is 1.

    Parameters
    ----------
    g : array_like
        Phase angle (rad).
    b : float
        Lobe width parameter, in [0, 1).
    c : float
        Backscatter fraction parameter, in [-1, 1].

    Returns
    -------
    numpy.ndarray
        Phase function value (dimensionless).
    """
    cg = np.cos(np.asarray(g, dtype=float))
    one_b2 = 1.0 - b * b
    back = one_b2 / (1.0 - 2.0 * b * cg + b * b) ** 1.5
    fwd = one_b2 / (1.0 + 2.0 * b * cg + b * b) ** 1.5
    return 0.5 * (1.0 + c) * back + 0.5 * (1.0 - c) * fwd


def hapke_h(x: ArrayLike, w: ArrayLike) -> np.ndarray:
    """Ambartsumian-Chandrasekhar H-function for isotropic scatterers (Hapke 2002 approximation).

    ``H(x) ~ 1 / (1 - w x [r0 + (1 - 2 r0 x)/2 ln((1 + x)/x)])`` with
    ``r0 = (1 - gamma)/(1 + gamma)``, ``gamma = sqrt(1 - w)``; accurate to
    about 1 % over all ``x`` and ``w``.

    Parameters
    ----------
    x : array_like
        Cosine of incidence or emission angle, in [0, 1].
    w : array_like
        Single-scattering albedo, in [0, 1].

    Returns
    -------
    numpy.ndarray
        H(x) (dimensionless); 1 for ``x <= 0``.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    gamma = np.sqrt(np.clip(1.0 - w, 0.0, 1.0))
    r0 = (1.0 - gamma) / (1.0 + gamma)
    xs = np.where(x > 0.0, x, 1.0)
    log_term = np.log((1.0 + xs) / xs)
    h = 1.0 / (1.0 - w * xs * (r0 + 0.5 * (1.0 - 2.0 * r0 * xs) * log_term))
    return np.where(x > 0.0, h, 1.0)


def shadow_hiding(g: ArrayLike, b0: float, h: float) -> np.ndarray:
    """Shadow-hiding opposition surge ``B(g) = B0 / (1 + tan(g/2) / h)`` (Hapke 2012, ch. 9).

    Parameters
    ----------
    g : array_like
        Phase angle (rad), in [0, pi).
    b0 : float
        Amplitude of the surge (dimensionless, >= 0).
    h : float
        Angular width parameter (dimensionless, > 0).

    Returns
    -------
    numpy.ndarray
        B(g) (dimensionless).
    """
    return b0 / (1.0 + np.tan(0.5 * np.asarray(g, dtype=float)) / h)


def hapke(
    mu0: ArrayLike,
    mu: ArrayLike,
    g: ArrayLike,
    w: ArrayLike,
    b: float = 0.25,
    c: float = 0.25,
    b0: float = 1.0,
    h: float = 0.06,
) -> np.ndarray:
    """Hapke radiance factor without macroscopic roughness (Hapke 1981; Hapke 2012 form).

    ``I/F = (w/4) mu0/(mu0 + mu) [(1 + B(g)) p(g) + H(mu0) H(mu) - 1]``.

    Parameters
    ----------
    mu0, mu : array_like
        Cosines of incidence and emission (dimensionless); facets with either
        ``<= 0`` return 0.
    g : array_like
        Phase angle (rad).
    w : array_like
        Single-scattering albedo, in [0, 1).
    b, c : float
        Double Henyey-Greenstein parameters, see :func:`henyey_greenstein2`.
    b0, h : float
        Shadow-hiding opposition effect, see :func:`shadow_hiding`.

    Returns
    -------
    numpy.ndarray
        Radiance factor I/F (dimensionless).
    """
    mu0 = np.asarray(mu0, dtype=float)
    mu = np.asarray(mu, dtype=float)
    lit = (mu0 > 0.0) & (mu > 0.0)
    m0 = np.where(lit, mu0, 1.0)
    m = np.where(lit, mu, 1.0)
    w = np.asarray(w, dtype=float)
    single = (1.0 + shadow_hiding(g, b0, h)) * henyey_greenstein2(g, b, c)
    multiple = hapke_h(m0, w) * hapke_h(m, w) - 1.0
    return np.where(lit, 0.25 * w * m0 / (m0 + m) * (single + multiple), 0.0)


@dataclass(frozen=True)
class LommelSeeliger:
    """Lommel-Seeliger model with a uniform single-scattering albedo ``w``.

    ``albedo_factor`` arguments scale ``w`` pixel by pixel (albedo variation,
    scars). The default ``w`` gives I/F near 0.04 at 45 deg incidence and
    nadir view, as the default :class:`Hapke` model does, typical of mare at
    visible wavelengths.
    """

    w: float = 0.39

    def i_over_f(
        self, mu0: ArrayLike, mu: ArrayLike, g: ArrayLike, albedo_factor: ArrayLike = 1.0
    ) -> np.ndarray:
        """Radiance factor for the facet geometry; see :func:`lommel_seeliger`.

        ``g`` (rad) is accepted for a common interface and not used.
        """
        del g
        return lommel_seeliger(mu0, mu, np.clip(self.w * np.asarray(albedo_factor), 0.0, 1.0))


@dataclass(frozen=True)
class Hapke:
    """Hapke model parameters (see :func:`hapke`).

    Defaults are illustrative values for dark mare regolith at visible
    wavelengths (I/F about 0.04 at 45 deg incidence, nadir view), of the
    order of the resolved lunar maps of Sato et al. (2014, JGR Planets 119,
    1775); fit your own for quantitative photometry. ``albedo_factor``
    arguments scale ``w`` pixel by pixel, clipped below 1.
    """

    w: float = 0.25
    b: float = 0.25
    c: float = 0.25
    b0: float = 1.0
    h: float = 0.06

    def i_over_f(
        self, mu0: ArrayLike, mu: ArrayLike, g: ArrayLike, albedo_factor: ArrayLike = 1.0
    ) -> np.ndarray:
        """Radiance factor for the facet geometry; see :func:`hapke`."""
        w = np.clip(self.w * np.asarray(albedo_factor, dtype=float), 0.0, 0.999)
        return hapke(mu0, mu, g, w, self.b, self.c, self.b0, self.h)


PhotometricModel = LommelSeeliger | Hapke
