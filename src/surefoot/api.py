"""The Python API: load a scenario, fly it, fly a campaign, replay a mission.

Everything here is also reachable as ``surefoot.<name>`` (loaded on first use,
so ``import surefoot`` stays light)::

    import surefoot

    landing = surefoot.run("default", seed=3)
    landing.summary["outcome"]          # 'safe'
    landing.telemetry                   # pyarrow.Table, one row per recorded step
    landing.save("out/default")         # the files of `surefoot run`

The command line is a shell over these: ``surefoot run``, ``surefoot replay``
and ``surefoot campaign rerun`` call them and only parse arguments and print;
``surefoot campaign`` and :func:`run_campaign` fly through the same
:mod:`surefoot.campaign.runner`.

Why one module of ~650 lines: it is the public surface, read top to bottom as the
reference of ``surefoot.<name>`` (docs/api.md points here), and nearly all of it is
thin: each function loads a scenario, checks its arguments and hands over to
:mod:`surefoot.sim`, :mod:`surefoot.campaign` or :mod:`surefoot.analysis`. About 250
of the lines are docstrings; the checks themselves live in
:mod:`surefoot.config.arguments`.

Overrides
---------
Every function that loads a scenario takes keyword overrides of scenario
fields, the API form of the command line's ``--set dotted.field=value``.
A keyword names the field's dotted path with ``__`` for each dot (the
convention of scikit-learn's ``set_params``)::

    surefoot.run("hazard-field", fsw__hda__enabled=False)   # --set fsw.hda.enabled=false

Dotted keys work too when spread from a mapping,
``surefoot.run("default", **{"fsw.nav.rejection": "robust"})``. Values are
Python values (not YAML text) and are validated by the scenario schema; a bad
field or value raises :class:`surefoot.config.loader.ConfigError` with a
one-line message naming the field.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surefoot.config.arguments import check_integer
from surefoot.config.base import safe_text
from surefoot.config.loader import (
    ConfigError,
    builtin_scenarios,
    load_scenario_dict,
    read_scenario_file,
    set_field,
)
from surefoot.config.schema import Scenario

if TYPE_CHECKING:
    import pyarrow as pa
    from matplotlib.figure import Figure

    from surefoot.campaign.report import CampaignStats
    from surefoot.campaign.runner import CampaignProgress, CampaignResult
    from surefoot.sim.runner import BatchResult

__all__ = [
    "Campaign",
    "Landing",
    "Replay",
    "load_scenario",
    "replay",
    "run",
    "run_campaign",
]

ScenarioLike = str | Path | Scenario | None


def _override_path(key: str) -> list[str]:
    parts = key.replace("__", ".").split(".")
    if not key or any(not p for p in parts):
        raise ConfigError(
            f"override {key!r}: expected a field path such as fsw__nav__rejection "
            "or 'fsw.nav.rejection'"
        )
    return parts


def _plain(value: Any) -> Any:
    """NumPy scalars and paths as the plain values the schema validates."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def _integer(value: Any, name: str, least: int, most: int | None = None) -> int:
    """:func:`~surefoot.config.arguments.check_integer` as a one-line
    :class:`ConfigError` naming ``name`` (a float, a string, a bool, out of range)."""
    try:
        return check_integer(value, name, least, most)
    except (TypeError, ValueError) as exc:
        raise ConfigError(safe_text(str(exc), 200)) from None


def _path(value: Any, name: str) -> Path:
    """``value`` as a Path; a one-line :class:`ConfigError` naming ``name`` when it is
    not a str or path-like (``Path(5)`` says only 'expected str, bytes or os.PathLike')."""
    if not isinstance(value, str | os.PathLike):
        raise ConfigError(f"{name}: expected a folder or file path, got {type(value).__name__}")
    return Path(value)


def _flag(value: Any, name: str) -> bool:
    """``value`` as a bool (NumPy's too); 'no' or None is not silently true or false."""
    value = _plain(value)
    if not isinstance(value, bool):
        raise ConfigError(f"{name}: expected True or False, got {type(value).__name__}")
    return value


def load_scenario(scenario: ScenarioLike = None, **overrides: Any) -> Scenario:
    """A validated scenario, with overrides applied.

    Parameters
    ----------
    scenario : str, Path, Scenario or None
        A built-in scenario name (``surefoot scenarios`` lists them), a YAML
        file, or a :class:`~surefoot.config.schema.Scenario` to override; None
        is ``'default'``.
    **overrides
        Scenario fields by dotted path, ``__`` for the dot (module docstring):
        ``seed=3``, ``fsw__nav__rejection="robust"``.

    Returns
    -------
    Scenario
        Immutable; the input scenario is never changed. Overriding a loaded
        :class:`Scenario` changes what it says, but its ``fsw.vehicle`` (the
        flight software's design values, filled from the nominal ``vehicle``
        when it was first loaded) stays, as in a campaign that disperses the
        truth; to change the design too, override ``fsw__vehicle__...`` or load
        by name or file.

    Raises
    ------
    ConfigError
        Unknown scenario or file, unknown field, or a value out of range; the
        one-line message names the field.
    """
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        data = scenario.model_dump(mode="json")
    elif scenario is not None and not isinstance(scenario, str | os.PathLike):
        raise ConfigError(
            "scenario: expected a built-in scenario name, a YAML file path or a Scenario, "
            f"got {type(scenario).__name__}"
        )
    else:
        data = read_scenario_file(None if scenario is None else str(scenario))
    for key, value in overrides.items():
        set_field(data, _override_path(key), _plain(value), f"override {key!r}")
    return load_scenario_dict(data)


def _figure_text(text: object) -> str:
    """User text for a figure title: one printable line, ``$`` not read as mathtext."""
    return safe_text(text).replace("$", r"\$")


@dataclass
class Landing:
    """One flown landing.

    Attributes
    ----------
    scenario : Scenario
        What was flown (overrides and seed applied).
    result : BatchResult
        The simulator's raw result (arrays of the batch, terrain, events);
        this landing is row ``index``.
    index : int
        Row of this landing in ``result``.
    """

    scenario: Scenario
    result: BatchResult = field(repr=False)
    index: int = 0
    _summary: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _telemetry: pa.Table | None = field(default=None, init=False, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """Outcome and touchdown figures, as in ``summary.json`` (SI units, site
        ENU frame; keys name their units). Non-finite values are NaN here and
        ``null`` in the file."""
        if self._summary is None:
            from surefoot.sim.output import run_summary

            self._summary = run_summary(self.result, self.index)
        return dict(self._summary)

    @property
    def outcome(self) -> str:
        """``'safe'``, ``'hard'``, ``'tipped'``, ``'crashed'`` or ``'no_contact'``."""
        return str(self.summary["outcome"])

    @property
    def events(self) -> list[str]:
        """The flight software's logged events (guidance solves, hazard looks)."""
        return list(self.summary["events"])

    @property
    def telemetry(self) -> pa.Table:
        """One row per recorded step, the columns of ``telemetry.parquet`` with
        their unit and description in the schema's field metadata
        (:data:`surefoot.sim.telemetry.COLUMNS`) and, as in the file, the
        scenario, seed, resolved scenario YAML and provenance in the schema
        metadata (:func:`surefoot.sim.output.telemetry_table`). ``.to_pandas()``
        gives a DataFrame when pandas is installed.

        Raises
        ------
        ValueError
            The scenario records no telemetry (``sim.telemetry_rate_hz: 0``).
        """
        if self._telemetry is None:
            self._telemetry_rows()  # raises when none was recorded
            from surefoot.sim.output import telemetry_table

            self._telemetry = telemetry_table(self.result, self.index)
        return self._telemetry

    def _figure_summary(self) -> dict[str, Any]:
        return {**self.summary, "scenario": _figure_text(self.summary.get("scenario", ""))}

    def _telemetry_rows(self) -> Any:
        if self.result.telemetry is None:
            raise ValueError(
                f"{self.scenario.name}: no telemetry recorded (sim.telemetry_rate_hz is 0)"
            )
        return self.result.telemetry[self.index]

    def figure(self) -> Figure:
        """The descent figure (``descent.png`` of ``surefoot run``): altitude,
        speeds, throttle, mass, attitude, ground-track profile and plan views."""
        from surefoot.analysis.descent_report import descent_plot

        return descent_plot(self._telemetry_rows(), self.result.terrain, self._figure_summary(),
                            self.scenario.moon.radius_m)

    def hazard_figure(self) -> Figure | None:
        """The hazard-avoidance figure (``hazard.png``); None when no look was taken."""
        from surefoot.analysis.hda_figure import hda_plot

        looks = self.result.hda_looks[self.index] if self.result.hda_looks else []
        return hda_plot(looks, self.result.terrain, self._telemetry_rows(),
                        self._figure_summary())

    def save(self, out: str | Path, *, figures: bool = True) -> dict[str, Path]:
        """Write the landing into folder ``out``, as ``surefoot run`` does.

        Files: ``telemetry.parquet``, ``summary.json``, ``scenario.yaml`` (which
        flies the same landing again), ``terrain_site.npz``, and with
        ``figures`` ``descent.png``, (after hazard looks) ``hazard.png`` and
        (navigation filter) ``nav_error.png``, ``nav_consistency.png`` and
        ``attitude.png`` (:mod:`surefoot.analysis.nav_plots`).
        Each file is written atomically.

        Returns
        -------
        dict
            Label to path of every file written.
        """
        from surefoot.sim.output import write_run

        out = _path(out, "out")
        figures = _flag(figures, "figures")
        paths = write_run(self.result, out, self.index)
        if figures and self.result.telemetry is not None:
            from surefoot.analysis.descent_report import descent_figure
            from surefoot.analysis.hda_figure import hda_figure

            paths["figure"] = descent_figure(
                self._telemetry_rows(), self.result.terrain, self._figure_summary(),
                out / "descent.png", self.scenario.moon.radius_m,
            )
            looks = self.result.hda_looks[self.index] if self.result.hda_looks else []
            hda_png = hda_figure(looks, self.result.terrain, self._telemetry_rows(),
                                 self._figure_summary(), out / "hazard.png")
            if hda_png is not None:
                paths["hazard figure"] = hda_png
            if self.scenario.fsw.nav.source == "ekf":
                from surefoot.analysis.nav_plots import write_navigation_figures
                from surefoot.analysis.run_folder import read_run_folder

                paths.update(write_navigation_figures(read_run_folder(out), out))
        return paths


def fly(scenarios: Scenario | list[Scenario], *, fsw: Any = None) -> list[Landing]:
    """Fly validated scenarios in one batch of the simulator; one :class:`Landing` each.

    Scenarios that share terrain, site, Moon, simulation settings and the other
    batch-shared fields (:data:`surefoot.sim.batch_fields.BATCH_SHARED_FIELDS`) fly
    in one batch; others (a variant with another onboard map or other legs) in a
    batch of their own (:func:`surefoot.sim.batch_fields.batch_groups`). Each
    lander's result is the same as if it flew alone, and the landings come in the
    given order. ``fsw``: a plug-in factory that flies every lander
    (docs/plugins.md); default each scenario's ``fsw.plugin`` or the built-in
    flight software.
    """
    from surefoot.sim.batch_fields import batch_groups
    from surefoot.sim.runner import simulate

    batch = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    placed: dict[int, Landing] = {}
    for group in batch_groups(batch):
        result = simulate([batch[k] for k in group], fsw=fsw)
        placed.update({k: Landing(batch[k], result, i) for i, k in enumerate(group)})
    return [placed[k] for k in range(len(batch))]


def _plugin(fsw: Any, overrides: dict[str, Any], *, in_process: bool) -> Any:
    """Put a plug-in given as ``fsw=`` into the overrides as ``fsw.plugin`` when it
    can be named (``'module:Name'``, or a class or function importable by that
    name); return the object itself when it can only fly in this process."""
    if fsw is None:
        return None
    if isinstance(fsw, str | Path):
        overrides["fsw__plugin"] = str(fsw)
        return None
    from surefoot.sim.external_fsw import importable_spec

    spec = importable_spec(fsw)
    if spec is not None:
        overrides["fsw__plugin"] = spec
        return None
    if not callable(fsw):
        raise ConfigError(
            f"fsw: expected a class or function that takes the Design, or 'module:Name' "
            f"(got {type(fsw).__name__})"
        )
    if not in_process:
        raise ConfigError(
            "fsw: a campaign flies in worker processes, which must import the plug-in; "
            "define it in a module or file and pass 'module:Name' or 'file.py:Name'"
        )
    return fsw


def run(
    scenario: ScenarioLike = None,
    *,
    seed: int | None = None,
    out: str | Path | None = None,
    figures: bool = True,
    fsw: Any = None,
    **overrides: Any,
) -> Landing:
    """Fly one landing.

    Parameters
    ----------
    scenario : str, Path, Scenario or None
        As in :func:`load_scenario`; None is ``'default'``.
    seed : int, optional
        Run seed (noise, initial attitude error, estimate errors); default the
        scenario's.
    out : str or Path, optional
        When given, the landing is also written there (:meth:`Landing.save`).
    figures : bool
        With ``out``: also write the PNG figures.
    fsw : class, function or str, optional
        Your own flight software (docs/plugins.md): a factory called with the
        :class:`surefoot.fsw.plugin.Design`, or ``'module:Name'`` /
        ``'file.py:Name'``. One importable by name is recorded as
        ``fsw.plugin`` in the landing's scenario (so ``scenario.yaml`` flies
        it again); one defined in a notebook or script flies but is not recorded.
    **overrides
        Scenario fields, ``fsw__nav__rejection="robust"`` (module docstring).

    Returns
    -------
    Landing
    """
    # checked before the flight, which a bad folder argument would otherwise waste
    if out is not None:
        out = _path(out, "out")
    figures = _flag(figures, "figures")
    if seed is not None:
        overrides["seed"] = seed
    obj = _plugin(fsw, overrides, in_process=True)
    s = load_scenario(scenario, **overrides)
    landing = fly(s, fsw=obj)[0]
    if out is not None:
        landing.save(out, figures=figures)
    return landing


# --- replays -----------------------------------------------------------------


@dataclass
class Replay:
    """One mission flown with naive and with robust measurement rejection (and
    robust with the recommended sensors, where the mission has a
    ``NAME-recommended`` scenario).

    Attributes
    ----------
    name : str
        The scenario's name.
    landings : dict
        ``'naive'``, ``'robust'`` (and ``'robust-recommended'``) to their :class:`Landing`.
    """

    name: str
    landings: dict[str, Landing]

    @property
    def summaries(self) -> dict[str, dict[str, Any]]:
        """Mode to that landing's summary."""
        return {m: lnd.summary for m, lnd in self.landings.items()}

    def telemetry_rows(self) -> dict[str, Any]:
        """Mode to that landing's raw telemetry array (``surefoot.sim.telemetry.INDEX``)."""
        return {m: lnd._telemetry_rows() for m, lnd in self.landings.items()}

    def figure(self) -> Figure:
        """True altitude and the filter's height estimate against time, both modes,
        with rangefinder rejections and re-initialisations marked."""
        from surefoot.analysis.replay_report import replay_plot

        return replay_plot(_figure_text(self.name), self.telemetry_rows())

    def save(self, out: str | Path) -> dict[str, Path]:
        """Write ``replay.png`` and each landing's run files (no figures) under
        ``out/naive/``, ``out/robust/`` (and ``out/robust-recommended/``);
        returns label to path."""
        from surefoot.analysis.replay_report import replay_figure

        out = _path(out, "out")
        paths = {"figure": replay_figure(_figure_text(self.name), self.telemetry_rows(),
                                         out / "replay.png")}
        for mode, landing in self.landings.items():
            paths[f"{mode} summary"] = landing.save(out / mode, figures=False)["summary"]
        return paths


def check_replayable(base: Scenario) -> None:
    """ConfigError unless ``base`` navigates with the filter (a replay compares its
    rejection logics, which need it)."""
    if base.fsw.nav.source != "ekf":
        raise ConfigError(
            f"{safe_text(base.name)}: fsw.nav.source must be 'ekf' for a replay "
            "(rejection logic needs the navigation filter)"
        )


def replay(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    out: str | Path | None = None,
    **overrides: Any,
) -> Replay:
    """Fly a mission replay with naive and with robust rejection, in one batch.

    When a built-in ``NAME-recommended`` scenario exists (the same mission
    with the smallest sensor change that makes touchdown observable), it is
    flown too, with robust rejection, as ``'robust-recommended'``.

    Parameters
    ----------
    scenario : str, Path or Scenario
        ``'hakuto-r-m1'``, ``'resilience-m2'``, ``'im-1'``, ``'apollo-11'``, or any scenario
        navigating with the filter (``fsw.nav.source: ekf``).
    seed : int, optional
        Run seed of both landings.
    out : str or Path, optional
        When given, :meth:`Replay.save` writes there.
    **overrides
        Scenario fields (module docstring); ``fsw.nav.rejection`` is set by
        the replay.

    Raises
    ------
    ConfigError
        The scenario does not navigate with the filter (rejection logic needs it).
    """
    from surefoot.analysis.replay_report import MODES

    if out is not None:
        out = _path(out, "out")
    if seed is not None:
        overrides["seed"] = seed
    base = load_scenario(scenario, **overrides)
    check_replayable(base)
    scenarios = [load_scenario(base, fsw__nav__rejection=m) for m in MODES]
    modes = list(MODES)
    recommended = f"{base.name}-recommended"
    if recommended in builtin_scenarios():
        over = {k: v for k, v in overrides.items() if k != "name"}
        scenarios.append(load_scenario(recommended, **over, fsw__nav__rejection="robust"))
        modes.append("robust-recommended")
    # the recommended variant may carry another onboard map: fly() batches it apart
    landings = fly(scenarios)
    r = Replay(base.name, dict(zip(modes, landings, strict=True)))
    if out is not None:
        r.save(out)
    return r


# --- campaigns ----------------------------------------------------------------


@dataclass
class Campaign:
    """A campaign folder: its stored result rows, statistics, report and reruns.

    Attributes
    ----------
    root : Path
        The campaign folder (``campaign.json`` and ``results/*.parquet``).
    flown : CampaignResult or None
        What the :func:`run_campaign` call that returned this object flew
        (runs, rate, retries); None for a folder opened as ``Campaign(root)``.
    """

    root: Path
    flown: CampaignResult | None = None

    def __post_init__(self) -> None:
        self.root = _path(self.root, "root")

    @property
    def table(self) -> pa.Table:
        """One row per stored run: inputs drawn, outcome, touchdown figures
        (:func:`surefoot.campaign.rows.result_schema`), ordered by run index."""
        from surefoot.campaign.report import load_campaign

        return load_campaign(self.root).table

    def stats(self) -> CampaignStats:
        """Success probability with its Clopper-Pearson interval, percentiles,
        failure drivers and worst runs."""
        from surefoot.campaign.report import compute_stats, load_campaign

        return compute_stats(load_campaign(self.root))

    def report(self, path: str | Path | None = None) -> Path:
        """Write the HTML report (default ``root/report.html``); returns its path."""
        from surefoot.campaign.report import compute_stats, load_campaign, write_report

        data = load_campaign(self.root)
        out = _path(path, "path") if path is not None else self.root / "report.html"
        return write_report(data, compute_stats(data), out)

    def rerun(self, run_index: int) -> Landing:
        """Re-fly run ``run_index`` alone, with telemetry.

        :func:`surefoot.campaign.replay.rerun` also compares the flight with
        the stored row.
        """
        from surefoot.campaign.replay import rerun

        r = rerun(self.root, _integer(run_index, "run_index", 0))
        return Landing(r.scenario, r.result, 0)


def run_campaign(
    scenario: ScenarioLike,
    *,
    runs: int,
    out: str | Path | None = None,
    seed: int | None = None,
    workers: int | None = None,
    dask: Any = None,
    batch_size: int | None = None,
    progress: Callable[[CampaignProgress], None] | None = None,
    fsw: Any = None,
    **overrides: Any,
) -> Campaign:
    """Fly (or resume) a Monte Carlo campaign of a scenario with ``dispersions``.

    Parameters
    ----------
    scenario : str, Path or Scenario
        As in :func:`load_scenario`.
    runs : int
        Runs ``0 .. runs-1`` are stored when the call returns.
    out : str or Path, optional
        Campaign folder; default ``out/campaign-<scenario name>``. Calling
        again with the same arguments resumes (only missing runs fly).
    seed : int, optional
        Campaign seed (keys every run's draws); default the scenario's seed.
    workers : int, optional
        Local worker processes (default: the CPUs available), or the workers
        of a ``dask='local'`` cluster.
    dask : str or distributed.Client, optional
        A scheduler address, ``'local'`` for a LocalCluster, or a Client.
    batch_size : int, optional
        Runs per batch (default: up to 50).
    progress : callable, optional
        Called with a :class:`surefoot.campaign.runner.CampaignProgress` after
        each stored batch.
    fsw : class, function or str, optional
        Your own flight software (docs/plugins.md), importable by name
        (``'module:Name'``, ``'file.py:Name'``, or a class defined in a
        module): the workers import it. Recorded as ``fsw.plugin``.
    **overrides
        Scenario fields (module docstring), applied before the dispersions.

    Returns
    -------
    Campaign
    """
    from surefoot.campaign.limits import MAX_RUNS, MAX_WORKERS
    from surefoot.campaign.runner import run_campaign as _run_campaign

    # checked here, before the scenario loads or a folder opens: the runner's
    # messages name the command line's flags, and a run count it would take
    # (10**12) allocates its bookkeeping before anything flies
    runs = _integer(runs, "runs", 1, MAX_RUNS)
    if workers is not None:
        workers = _integer(workers, "workers", 1, MAX_WORKERS)
    if batch_size is not None:
        batch_size = _integer(batch_size, "batch_size", 1)
    if seed is not None:
        seed = _integer(seed, "seed", 0, 2**63 - 1)
    if out is not None:
        out = _path(out, "out")
    if progress is not None and not callable(progress):
        raise ConfigError(
            f"progress: expected a function of CampaignProgress, got {type(progress).__name__}"
        )
    _plugin(fsw, overrides, in_process=False)
    s = load_scenario(scenario, **overrides)
    root = out if out is not None else Path("out") / f"campaign-{s.name}"
    result = _run_campaign(
        s, runs, root, campaign_seed=seed, workers=workers, dask=dask,
        batch_size=batch_size, progress=progress,
    )
    return Campaign(root, result)
