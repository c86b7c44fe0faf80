"""Photometric functions: closed forms, limits and normalisation.

References: Hapke (2012) "Theory of Reflectance and Emittance Spectroscopy",
2nd ed. (Lommel-Seeliger, double Henyey-Greenstein, H-functions); Hapke
(2002, Icarus 157, 523) for the H-function approximation; Chandrasekhar
(1960) "Radiative Transfer", table of H(mu) for conservative isotropic
scattering, H(1) = 2.9078.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from surefoot.analysis.imagery.photometry import (
    Hapke,
    LommelSeeliger,
    hapke,
    hapke_h,
    henyey_greenstein2,
    lommel_seeliger,
)


def test_lommel_seeliger_closed_form() -> None:
    # i = 60 deg, e = 0: I/F = (w/4) * 0.5 / 1.5.
    assert lommel_seeliger(0.5, 1.0, 0.4) == pytest.approx(0.1 * 0.5 / 1.5, rel=1e-12)
    # Facets turned away from the Sun or the camera are dark.
    assert lommel_seeliger(-0.1, 1.0, 0.4) == 0.0
    assert lommel_seeliger(0.5, 0.0, 0.4) == 0.0


@pytest.mark.parametrize("b,c", [(0.0, 0.0), (0.25, 0.25), (0.4, -0.3), (0.6, 0.8)])
def test_double_henyey_greenstein_is_normalised(b: float, c: float) -> None:
    # Mean over the sphere: (1/2) * integral of p(g) sin(g) dg over [0, pi] = 1.
    mean, _ = quad(lambda g: 0.5 * henyey_greenstein2(g, b, c) * math.sin(g), 0.0, math.pi)
    assert mean == pytest.approx(1.0, abs=1e-7)


def test_h_function_against_chandrasekhar() -> None:
    # Conservative isotropic scattering: H(1) = 2.9078 (Chandrasekhar 1960); the
    # Hapke (2002) approximation is good to about 1 %.
    assert hapke_h(1.0, 1.0) == pytest.approx(2.9078, rel=0.015)
    # No scattering, no multiple scattering: H = 1.
    assert hapke_h(np.array([0.1, 0.5, 1.0]), 0.0) == pytest.approx(1.0)


def test_hapke_reduces_to_lommel_seeliger() -> None:
    mu0 = np.array([0.2, 0.5, 0.9])
    mu = np.array([1.0, 0.7, 0.3])
    w = 1e-4
    ratio = hapke(mu0, mu, 0.7, w, b=0.0, c=0.0, b0=0.0, h=0.06) / lommel_seeliger(mu0, mu, w)
    assert ratio == pytest.approx(1.0, abs=1e-3)


def test_default_models_give_mare_like_brightness() -> None:
    mu0 = math.cos(math.radians(45.0))
    g = math.radians(45.0)
    for model in (Hapke(), LommelSeeliger()):
        assert 0.03 < float(model.i_over_f(mu0, 1.0, g)) < 0.05


def test_opposition_surge_brightens_backscatter() -> None:
    mu = 0.9
    near = hapke(mu, mu, math.radians(1.0), 0.25)
    far = hapke(mu, mu, math.radians(20.0), 0.25)
    assert near > far
