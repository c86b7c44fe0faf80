"""Bad arguments to the convex-guidance API are refused by name, before any conic solve.

``DescentProblem``, ``SearchSettings``, ``SolverSettings``, ``SOCPCache`` and the
solve functions are public (``surefoot.fsw.guidance.convex``): a wrong type, NaN
or an infinity where no "no limit" is meant must raise a ``TypeError`` or
``ValueError`` whose message starts with the argument's name, not cvxpy's
"Parameter value must be real", a comparison's ``TypeError`` or a silent
"infeasible" answer from a meaningless setting.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surefoot.fsw.guidance.convex import (
    DescentProblem,
    SearchSettings,
    SOCPCache,
    SolverSettings,
    solve,
    solve_free_time,
    solve_gfold,
    solve_min_fuel,
    solve_min_landing_error,
)

BASE: dict[str, object] = dict(
    g_lf=[0.0, 0.0, -1.625],
    wet_mass_kg=1050.0,
    dry_mass_kg=850.0,
    thrust_min_n=1320.0,
    thrust_max_n=4400.0,
    alpha_s_m=1.0 / (320.0 * 9.80665),
    r0_lf=[-1600.0, 150.0, 1800.0],
    v0_lf=[45.0, 0.0, -25.0],
    n_nodes=12,
)

FINITE_FIELDS = ("wet_mass_kg", "dry_mass_kg", "thrust_min_n", "thrust_max_n", "alpha_s_m")
NOT_A_NUMBER = st.one_of(
    st.text(max_size=4),
    st.none(),
    st.booleans(),
    st.lists(st.floats(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def _problem(**kw: object) -> DescentProblem:
    return DescentProblem(**{**BASE, **kw})  # type: ignore[arg-type]


def _named(exc: pytest.ExceptionInfo[BaseException], name: str) -> None:
    assert str(exc.value).startswith(f"{name}: "), str(exc.value)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(FINITE_FIELDS),
    value=st.one_of(st.sampled_from([math.inf, -math.inf]), NOT_A_NUMBER),
)
def test_problem_refuses_an_infinite_or_non_numeric_mass_thrust_or_flow(
    name: str, value: object
) -> None:
    """Masses, thrust bounds and the mass-flow coefficient must be finite real
    numbers: ``inf`` used to pass the ``0 < dry < wet`` checks and fail later in
    cvxpy, and a string or None raised a bare comparison ``TypeError``."""
    with pytest.raises((TypeError, ValueError)) as exc:
        _problem(**{name: value})
    _named(exc, name)


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), NOT_A_NUMBER))
def test_problem_refuses_a_node_count_that_is_not_an_integer(value: object) -> None:
    """``n_nodes`` is an integer: '12' and 20.5 were accepted (and 20.5 solved on 20
    nodes), NaN and inf raised int()'s own errors."""
    with pytest.raises((TypeError, ValueError)) as exc:
        _problem(n_nodes=value)
    _named(exc, "n_nodes")


@pytest.mark.parametrize("name", ["g_lf", "r0_lf", "v0_lf", "r_target_lf", "thrust_axis0_lf"])
@pytest.mark.parametrize("value", ["abc", {"x": 1}, [1.0, "x", 3.0], [[1.0], [2.0, 3.0]]])
def test_problem_refuses_a_vector_that_is_not_numbers(name: str, value: object) -> None:
    """A string, dict or ragged list as a 3-vector names the field ('could not
    convert string to float' named nothing)."""
    with pytest.raises(ValueError, match=rf"^{name}: expected 3 finite numbers"):
        _problem(**{name: value})


def test_problem_still_takes_numpy_scalars_and_no_limit_infinities() -> None:
    """What was valid stays valid: NumPy scalars and 0-d arrays as numbers, a NumPy
    integer node count, and ``inf`` for the limits that document it as 'off'."""
    p = _problem(
        wet_mass_kg=np.float64(1050.0),
        dry_mass_kg=np.array(850.0),
        thrust_max_n=np.float32(4400.0),
        n_nodes=np.int64(12),
        max_speed_m_s=math.inf,
        vertical_rate_rad_s=math.inf,
        slew_rate_rad_s=math.inf,
        turn_rate_rad_s=math.inf,
    )
    assert p.n_nodes == 12 and p.propellant_kg == pytest.approx(200.0)


@pytest.mark.parametrize("tf_s", [math.nan, math.inf, "30", None])
def test_fixed_time_solves_refuse_a_time_of_flight_that_is_not_a_number(tf_s: object) -> None:
    """``tf_s`` NaN or inf used to reach cvxpy ('Parameter value must be real'), a
    string a division ``TypeError``; None is only 'searched' for solve_gfold/solve."""
    p = _problem()
    for call in (solve_min_fuel, solve_min_landing_error):
        with pytest.raises((TypeError, ValueError)) as exc:
            call(p, tf_s)  # type: ignore[arg-type]
        _named(exc, "tf_s")
    if tf_s is not None:
        with pytest.raises((TypeError, ValueError)) as exc:
            solve_gfold(p, tf_s=tf_s)  # type: ignore[arg-type]
        _named(exc, "tf_s")
        with pytest.raises((TypeError, ValueError)) as exc:
            solve(p, "min_fuel", tf_s)  # type: ignore[arg-type]
        _named(exc, "tf_s")


def test_solves_refuse_a_problem_or_search_of_the_wrong_type() -> None:
    """A dict as the problem raised AttributeError from inside the search; a dict as
    ``search`` (empty, so falsy) was silently replaced by the defaults."""
    for call in (solve_gfold, solve_free_time, solve):
        with pytest.raises(TypeError, match=r"^problem: expected a DescentProblem"):
            call(dict(BASE))  # type: ignore[arg-type]
    p = _problem()
    with pytest.raises(TypeError, match=r"^search: expected a SearchSettings"):
        solve_gfold(p, search={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^search: expected a SearchSettings"):
        solve_free_time(p, None, {"n_grid": 3})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_grid", 0),
        ("n_grid", 2.5),
        ("tf_tol_s", math.nan),
        ("tf_tol_s", 0.0),
        ("tf_tol_s", -1.0),
        ("miss_margin_m", math.nan),
        ("defect_tol", -1.0),
        ("tf_guess_s", math.nan),
        ("tf_guess_s", -3.0),
        ("tf_guess_s", math.inf),
        ("value_tol", math.nan),
        ("coarse_nodes", 1),
        ("coarse_nodes", 12.0),
    ],
)
def test_search_settings_refuse_meaningless_values(name: str, value: object) -> None:
    """NaN ``tf_tol_s`` reached cvxpy as NaN parameters, ``coarse_nodes=1`` failed as
    'n_nodes: must be in [3, 2000]', and NaN/negative tolerances or guesses were
    used silently; each now names its field."""
    with pytest.raises((TypeError, ValueError)) as exc:
        SearchSettings(**{name: value})  # type: ignore[arg-type]
    _named(exc, name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tol", math.nan),
        ("tol", -1.0),
        ("tol", 0.0),
        ("max_iter", 0),
        ("max_iter", -1),
        ("max_iter", 2.5),
        ("time_limit_s", math.nan),
        ("time_limit_s", 0.0),
        ("turn_passes", 0),
    ],
)
def test_solver_settings_refuse_meaningless_values(name: str, value: object) -> None:
    """A NaN or negative tolerance gave 'inaccurate' answers silently, ``max_iter=-1``
    an OverflowError from Clarabel, a NaN time limit was ignored."""
    with pytest.raises((TypeError, ValueError)) as exc:
        SolverSettings(**{name: value})  # type: ignore[arg-type]
    _named(exc, name)


@pytest.mark.parametrize("max_size", [-1, "x", 2.5])
def test_cache_refuses_a_size_that_is_not_a_count(max_size: object) -> None:
    """``SOCPCache(max_size=-1)`` failed at the first solve with KeyError('dictionary
    is empty'); 0 (keep nothing) stays valid."""
    with pytest.raises((TypeError, ValueError)) as exc:
        SOCPCache(max_size=max_size)  # type: ignore[arg-type]
    _named(exc, "max_size")
    assert SOCPCache(max_size=0).max_size == 0


@pytest.mark.parametrize("tf", [0.0, 1e-300, 1e-9, -5.0])
@pytest.mark.parametrize("solver", [solve_min_fuel, solve_min_landing_error])
def test_no_time_of_flight_is_infeasible_not_an_error(tf: float, solver: object) -> None:
    """A fixed time of flight of zero (or below a millisecond) has no plan, as a negative
    one has none: "infeasible", never a ZeroDivisionError (an in-flight re-plan solves
    in the time its plan has left, which can reach zero, and falls back to a search
    only on a status)."""
    s = solver(DescentProblem(**BASE), tf)  # type: ignore[operator]
    assert s.status == "infeasible" and not s.ok
