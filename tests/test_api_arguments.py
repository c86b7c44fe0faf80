"""Bad arguments to the Python API are refused in one line naming the argument.

The command line checks its flags (``tests/cli``); these are the API's own
arguments, which bypass that parsing: each must be refused before a scenario
flies or a campaign folder is made, never with an error from deep inside (a
``TypeError`` from a comparison, a ``RuntimeError`` from multiprocessing) nor
after allocating for an absurd run count.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surefoot
from surefoot.campaign.limits import MAX_RUNS, MAX_WORKERS
from surefoot.config.loader import ConfigError

NOT_AN_INTEGER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


def _refused(call, name: str, tmp: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        call()
    msg = str(exc.value)
    assert msg.startswith(f"{name}: ") and "\n" not in msg, msg
    assert not tmp.exists(), "the campaign folder was made before the argument was checked"


@settings(max_examples=40, deadline=None)
@given(
    runs=st.one_of(
        NOT_AN_INTEGER,
        st.integers(max_value=0),
        st.integers(min_value=MAX_RUNS + 1, max_value=10**30),
    )
)
def test_run_campaign_refuses_a_bad_run_count_before_anything_flies(
    tmp_path_factory: pytest.TempPathFactory, runs: object
) -> None:
    """``runs`` that is not an integer from 1 to MAX_RUNS (a float, a string, a
    bool, None, 0, 10**12) is a ConfigError starting 'runs:', and no folder is made
    (10**12 used to allocate the campaign's bookkeeping until memory ran out)."""
    out = tmp_path_factory.mktemp("c") / "campaign"
    _refused(lambda: surefoot.run_campaign("default-dispersed", runs=runs, out=out), "runs", out)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("workers", 0),
        ("workers", 2.5),
        ("workers", "2"),
        ("workers", True),
        ("workers", MAX_WORKERS + 1),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("batch_size", "10"),
        ("seed", -1),
        ("seed", 2.5),
        ("seed", math.nan),
        ("seed", "x"),
        ("seed", 2**63),
        ("progress", 5),
        ("progress", "print"),
    ],
)
def test_run_campaign_refuses_bad_keyword_arguments(
    tmp_path: Path, argument: str, value: object
) -> None:
    """``workers``, ``batch_size``, ``seed`` and ``progress`` of the wrong type or out
    of range are refused by name before the campaign starts (a non-callable
    ``progress`` used to fly the batch three times and fail it as a worker error)."""
    out = tmp_path / "campaign"
    _refused(
        lambda: surefoot.run_campaign("default-dispersed", runs=1, out=out, **{argument: value}),
        argument,
        out,
    )


@pytest.mark.parametrize("run_index", [0.5, "3", None, True, math.nan, -1])
def test_campaign_rerun_refuses_an_index_that_is_not_a_run(
    tmp_path: Path, run_index: object
) -> None:
    """``Campaign.rerun`` takes a run index, a non-negative integer: 0.5 used to fly
    run 0, and a string or None raised a TypeError from a comparison."""
    with pytest.raises(ConfigError, match=r"^run_index: "):
        surefoot.Campaign(tmp_path).rerun(run_index)  # type: ignore[arg-type]


@pytest.mark.parametrize("scenario", [{"name": "default"}, 3, ["default"], b"default", 4.5])
def test_load_scenario_refuses_what_is_not_a_name_path_or_scenario(scenario: object) -> None:
    """A dict, number, list or bytes as ``scenario`` is a ConfigError naming the
    argument and what it takes, not 'not a built-in scenario' for its repr."""
    with pytest.raises(ConfigError, match=r"^scenario: expected a built-in scenario name"):
        surefoot.load_scenario(scenario)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^scenario: expected"):
        surefoot.run(scenario, figures=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: surefoot.run("default", out=5), "out"),
        (lambda: surefoot.run("default", out=["x"]), "out"),
        (lambda: surefoot.run("default", out="x", figures="no"), "figures"),
        (lambda: surefoot.run("default", out="x", figures=None), "figures"),
        (lambda: surefoot.replay("im-1", out=3.0), "out"),
        (lambda: surefoot.run_campaign("default-dispersed", runs=1, out=7), "out"),
        (lambda: surefoot.Campaign(5), "root"),  # type: ignore[arg-type]
        (lambda: surefoot.Campaign(None), "root"),  # type: ignore[arg-type]
    ],
)
def test_folder_and_figure_arguments_are_refused_before_flying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call, name: str
) -> None:
    """``out`` (and a Campaign's ``root``) must be a path and ``figures`` a bool,
    checked before anything flies: ``out=5`` raised pathlib's TypeError after the
    flight, and ``figures='no'`` (a true string) wrote the figures."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        call()
    assert str(exc.value).startswith(f"{name}: "), str(exc.value)
    assert not any(tmp_path.iterdir()), "something was written before the check"
