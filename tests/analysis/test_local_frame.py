"""Local-vertical quantities of the descent figure, against spherical geometry.

Reference: on a sphere of radius R, the point at great-circle distance s from
the site lies at central angle s / R; its local vertical leans from the site's
by that angle (the site-frame vertical speed of a radial fall v is v cos(s/R)).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from surefoot.analysis.local_frame import (
    height_above_sphere_m,
    local_horizontal_speed,
    radial_rate,
    surface_distance_to_target_m,
    tilt_from_local_vertical_deg,
)

R = 1_737_400.0


def _quat_about_east(angle_rad: float) -> np.ndarray:
    """Scalar-first quaternion of a rotation by ``angle_rad`` about the east axis."""
    return np.array([[math.cos(angle_rad / 2), math.sin(angle_rad / 2), 0.0, 0.0]])


def _uprange_point(s_m: float, h_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Site-ENU position (origin on the sphere below the target) of a point ``s_m``
    south of the target along the surface at height ``h_m``, and its local up."""
    a = s_m / R
    up = np.array([0.0, -math.sin(a), math.cos(a)])
    r_c = (R + h_m) * up
    return (r_c - np.array([0.0, 0.0, R]))[None, :], up


def test_radial_fall_850_km_uprange_is_a_pure_descent() -> None:
    r, up = _uprange_point(850e3, 12e3)
    v = (-20.0 * up)[None, :]
    assert math.isclose(radial_rate(r, v, R)[0], -20.0, rel_tol=1e-12)
    assert local_horizontal_speed(r, v, R)[0] < 1e-9
    # the site frame would call it a slower fall: v cos(s / R)
    assert math.isclose(v[0, 2], -20.0 * math.cos(850e3 / R), rel_tol=1e-12)


def test_horizontal_braking_850_km_uprange_has_no_descent_rate() -> None:
    r, up = _uprange_point(850e3, 15e3)
    along = np.array([0.0, math.cos(850e3 / R), math.sin(850e3 / R)])  # northward, level
    v = (1600.0 * along)[None, :]
    assert abs(radial_rate(r, v, R)[0]) < 1e-9
    assert math.isclose(local_horizontal_speed(r, v, R)[0], 1600.0, rel_tol=1e-12)
    assert v[0, 2] > 700.0  # what the site frame reads as a climb of ~750 m/s


def test_thrust_axis_along_local_vertical_has_zero_tilt() -> None:
    s = 850e3
    r, _ = _uprange_point(s, 10e3)
    # local up is the site up turned by s / R about east (towards -north)
    q = _quat_about_east(s / R)
    assert tilt_from_local_vertical_deg(r, q, R)[0] < 1e-6
    # pitched 90 deg from it (braking thrust): 90 deg
    q90 = _quat_about_east(s / R + math.pi / 2)
    assert math.isclose(tilt_from_local_vertical_deg(r, q90, R)[0], 90.0, abs_tol=1e-6)


@given(st.floats(0.0, 2_000e3), st.floats(0.0, 30e3))
def test_surface_distance_and_height_invert_the_construction(s_m: float, h_m: float) -> None:
    r, _ = _uprange_point(s_m, h_m)
    assert math.isclose(surface_distance_to_target_m(r, R)[0], s_m, abs_tol=1e-6)
    assert math.isclose(height_above_sphere_m(r, R)[0], h_m, abs_tol=1e-6)
