"""Re-fly one run of a stored campaign (or failure hunt) alone, with telemetry, and check it
against its row.

The check compares every column the folder stores: a folder written before a
column was added (its part files hold a prefix of today's columns, such as
one without the navigation's height gap) is compared on its own columns, and
the re-flown row still carries the new ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from surefoot.campaign.rows import (
    batch_table,
    fly_for_rows,
    records_the_grid,
    result_schema,
    stored_schema,
)
from surefoot.campaign.sampling import base_dict, draw_runs, run_scenario
from surefoot.campaign.store import CampaignError, CampaignStore
from surefoot.config.dispersions import resolve_dispersions
from surefoot.config.loader import format_validation_error
from surefoot.config.schema import Scenario
from surefoot.sim.runner import BatchResult, simulate


@dataclass
class RerunResult:
    """A re-flown run.

    Attributes
    ----------
    run_index : int
    scenario : Scenario
        The run's own scenario (dispersed values and run seed applied).
    result : BatchResult
        The flight, with telemetry.
    row : dict
        The result row of this flight.
    stored : dict or None
        The campaign's stored row (None when the run has not been flown yet).
    mismatches : list of str
        Stored columns whose values differ from the stored row (empty: identical).
    compared : list of str
        The columns compared: those the folder stores.
    """

    run_index: int
    scenario: Scenario
    result: BatchResult
    row: dict[str, Any]
    stored: dict[str, Any] | None
    mismatches: list[str]
    compared: list[str]

    @property
    def identical(self) -> bool:
        """The flight reproduces its stored row exactly."""
        return self.stored is not None and not self.mismatches


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def campaign_scenario(store: CampaignStore) -> Scenario:
    """The campaign's scenario (with dispersions) from its manifest."""
    try:
        return Scenario.model_validate(store.manifest["scenario"])
    except ValidationError as exc:
        raise CampaignError(
            f"{store.root}/campaign.json: its scenario is not valid for this surefoot "
            f"({format_validation_error(exc, model=Scenario)})"
        ) from None


@dataclass(frozen=True)
class RerunPlan:
    """A run of a stored campaign checked and ready to re-fly (nothing flown yet).

    Attributes
    ----------
    run_index : int
    scenario : Scenario
        The run's own scenario (dispersed values and run seed applied).
    values : numpy.ndarray
        ``(1, n_inputs)`` dispersed values of the run.
    stored : dict or None
        The campaign's stored row (None when the run has not been flown yet).
    schema : pyarrow.Schema
        The columns the folder stores.
    fields : list
        The dispersed fields (:class:`surefoot.config.fields.NumericField`).
    """

    run_index: int
    scenario: Scenario
    values: np.ndarray
    stored: dict[str, Any] | None
    schema: Any
    fields: list[Any]


def plan_rerun(root: Path, run_index: int) -> RerunPlan:
    """Check the campaign folder ``root`` and ``run_index`` and build the run's scenario,
    without flying (so a caller can refuse bad input before announcing a flight).

    Raises
    ------
    CampaignError
        Not a campaign folder, a corrupted one, or a run index outside the campaign.
    """
    store = CampaignStore.open(Path(root))
    if not 0 <= run_index < store.runs:
        raise CampaignError(
            f"RUN_INDEX: must be in 0..{store.runs - 1} for this campaign (got {run_index})"
        )
    scenario = campaign_scenario(store)
    resolved = resolve_dispersions(scenario)
    recorded = [d.get("path") for d in store.manifest["inputs"]]
    if list(resolved.paths) != recorded:
        raise CampaignError(f"{store.root}/campaign.json: corrupted (inputs do not match)")
    schema = stored_schema(store.part_files(), result_schema(resolved.fields))
    table = store.read_table(schema)
    idx = table.column("run_index").to_pylist()
    stored = table.slice(idx.index(run_index), 1).to_pylist()[0] if run_index in idx else None

    draws = draw_runs(resolved, int(store.manifest["campaign_seed"]), [run_index])
    values = draws.values
    if "hunt" in store.manifest:
        # a failure hunt put its runs where its search went: the row holds the inputs
        # (its run seed is the campaign's, drawn above)
        if stored is None:
            raise CampaignError(
                f"RUN_INDEX: run {run_index} of this hunt is not stored (a hunt's inputs "
                "are known only once it has flown them)"
            )
        values = np.array([[stored[p] for p in resolved.paths]], dtype=np.float64)
    s = run_scenario(
        base_dict(scenario),
        list(resolved.paths),
        [f.integer for f in resolved.fields],
        values[0],
        int(draws.seed[0]),
        run_index,
    )
    return RerunPlan(run_index, s, values, stored, schema, list(resolved.fields))


def fly_rerun(plan: RerunPlan, *, telemetry: bool = True) -> RerunResult:
    """Fly a :func:`plan_rerun` run alone and compare its row with the stored one."""
    s, stored, schema = plan.scenario, plan.stored, plan.schema
    if telemetry:
        result = simulate([s], telemetry=True)
        # the row's figures come from a 1 s grid: the run's own telemetry holds it
        # unless its rate does not divide it, then the row needs a flight of its own
        for_row = result if records_the_grid(s) else fly_for_rows([s])
    else:
        result = for_row = fly_for_rows([s])
    row = batch_table(for_row, [plan.run_index], plan.values, plan.fields).to_pylist()[0]
    mismatches = [] if stored is None else [c for c in schema.names if not _same(row[c], stored[c])]
    return RerunResult(plan.run_index, s, result, row, stored, mismatches, list(schema.names))


def rerun(root: Path, run_index: int, *, telemetry: bool = True) -> RerunResult:
    """Re-fly run ``run_index`` of the campaign in ``root`` alone.

    Raises
    ------
    CampaignError
        Not a campaign folder, a corrupted one, or a run index outside the campaign.
    """
    return fly_rerun(plan_rerun(root, run_index), telemetry=telemetry)
