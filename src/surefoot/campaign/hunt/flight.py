"""A hunt's margins from flown landings: runs flown on the campaign machinery, stored as rows.

:class:`FlownProblem` is the :class:`~surefoot.campaign.hunt.problem.Problem`
of a scenario with dispersions. Each batch of points the algorithm asks for
becomes campaign batches (:class:`surefoot.campaign.worker.BatchTask`) flown
by :func:`surefoot.campaign.runner.execute_campaign` on a local pool or a
Dask cluster and written as Parquet part files of the hunt folder, one row
per run as in a campaign. Rows already in the folder (a hunt that was
killed) are read back instead of flown, after checking that they hold
the inputs the hunt asks for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from surefoot.campaign.backends import Backend
from surefoot.campaign.hunt.margin import safety_margins, soft_min_margin
from surefoot.campaign.hunt.space import Points, points_at, prior_points
from surefoot.campaign.rows import result_schema
from surefoot.campaign.runner import CampaignProgress, PreparedCampaign, execute_campaign
from surefoot.campaign.sampling import base_dict, run_scenario
from surefoot.campaign.store import CampaignError, CampaignStore, batch_id_for
from surefoot.campaign.worker import BatchTask
from surefoot.config.base import ConfigError
from surefoot.config.dispersions import ResolvedDispersions
from surefoot.config.schema import Scenario
from surefoot.sim.batch_fields import is_batch_shared

MAX_BATCH_SIZE = 50


@dataclass
class FlightTally:
    """Runs of a hunt: stored before this start, flown by it, and failures among all."""

    stored: int = 0
    flown: int = 0
    failures: int = 0
    elapsed_s: float = 0.0


@dataclass
class FlownProblem:
    """Margins of landings of ``scenario`` at points of its dispersions' standard-normal space.

    Parameters
    ----------
    scenario : Scenario
        With its ``dispersions``.
    resolved : ResolvedDispersions
    store : CampaignStore
        The hunt folder, opened with :meth:`CampaignStore.create_or_resume` and committed.
    hunt_seed : int
        Keys the prior draws and every run's seed.
    backend : Backend
        Where batches fly (not closed here).
    on_batch : callable, optional
        Called with the tally after each stored batch (progress).
    nav_height_limit : float, optional
        The margin's navigation height-gap term (see :func:`safety_margins`).
    """

    scenario: Scenario
    resolved: ResolvedDispersions
    store: CampaignStore
    hunt_seed: int
    backend: Backend
    on_batch: Callable[[FlightTally], None] | None = None
    nav_height_limit: float | None = None
    tally: FlightTally = field(default_factory=FlightTally)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dimension = len(self.resolved.paths)
        # the scenario as plain data without dispersions: what every run starts from
        self.base = base_dict(self.scenario)
        self._schema = result_schema(self.resolved.fields)
        self._prior: dict[int, Points] = {}
        table = self.store.read_table(self._schema)
        for row in table.to_pylist():
            self.rows[int(row["run_index"])] = row
        self.tally.stored = len(self.rows)

    # -- Problem ---------------------------------------------------------------------

    def prior_normals(self, run_index: np.ndarray) -> np.ndarray:
        """The campaign draws of these runs, in standard-normal coordinates."""
        pts = prior_points(self.resolved, self.hunt_seed, run_index)
        for k, i in enumerate(np.asarray(run_index).tolist()):
            self._prior[int(i)] = Points(
                pts.z[k : k + 1], pts.values[k : k + 1], pts.seed[k : k + 1]
            )
        return pts.z

    def margins(self, run_index: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Fly (or read back) the runs at ``z`` and return their margins (NaN: invalid input)."""
        idx = np.asarray(run_index, dtype=np.int64).reshape(-1)
        pts = points_at(self.resolved, self.hunt_seed, idx, z)
        values = pts.values.copy()
        for k, i in enumerate(idx.tolist()):
            prior = self._prior.get(i)
            if prior is not None and np.array_equal(prior.z[0], pts.z[k]):
                values[k] = prior.values[0]  # exactly the campaign's draw
        valid = np.ones(idx.size, dtype=bool)
        paths = list(self.resolved.paths)
        integer = [f.integer for f in self.resolved.fields]
        for k in range(idx.size):
            try:
                run_scenario(self.base, paths, integer, values[k], int(pts.seed[k]), int(idx[k]))
            except ConfigError:
                if int(idx[k]) in self._prior:
                    raise  # a campaign would refuse this draw too
                valid[k] = False
        todo = [k for k in range(idx.size) if valid[k] and int(idx[k]) not in self.rows]
        for k in range(idx.size):
            if valid[k] and int(idx[k]) in self.rows:
                self._check_stored(int(idx[k]), values[k], int(pts.seed[k]))
        if todo:
            self._fly(idx[todo], values[todo], pts.seed[todo])
        out = np.full(idx.size, math.nan)
        ok = np.flatnonzero(valid)
        if ok.size:
            rows = [self.rows[int(idx[k])] for k in ok]
            cols = {name: [r[name] for r in rows] for name in self._schema.names}
            out[ok] = safety_margins(cols, self.base, self.nav_height_limit).margin
        return out

    def soft_margins(self, run_index: np.ndarray) -> np.ndarray:
        """Soft-minimum margins (:func:`soft_min_margin`) of stored runs; NaN if not stored."""
        idx = np.asarray(run_index, dtype=np.int64).reshape(-1)
        out = np.full(idx.size, math.nan)
        ok = [k for k in range(idx.size) if int(idx[k]) in self.rows]
        if ok:
            rows = [self.rows[int(idx[k])] for k in ok]
            cols = {name: [r[name] for r in rows] for name in self._schema.names}
            out[ok] = soft_min_margin(safety_margins(cols, self.base, self.nav_height_limit))
        return out

    # -- flying ----------------------------------------------------------------------

    def _check_stored(self, run: int, values: np.ndarray, seed: int) -> None:
        row = self.rows[run]
        same = int(row["seed"]) == seed and all(
            float(row[p]) == float(v) for p, v in zip(self.resolved.paths, values, strict=True)
        )
        if not same:
            raise CampaignError(
                f"{self.store.root}: stored run {run} holds other inputs than this hunt asks "
                "for (the surefoot source changed since it started?); use another --out"
            )

    def _fly(self, idx: np.ndarray, values: np.ndarray, seeds: np.ndarray) -> None:
        shared = [k for k, f in enumerate(self.resolved.fields) if is_batch_shared(f.path)]
        groups: dict[tuple, list[int]] = {}
        for k in range(idx.size):
            groups.setdefault(tuple(values[k, shared].tolist()), []).append(k)
        size = max(1, min(MAX_BATCH_SIZE, math.ceil(idx.size / (2 * self.backend.slots))))
        batches = []
        for members in groups.values():
            for j in range(0, len(members), size):
                sel = np.array(members[j : j + size])
                batches.append(
                    BatchTask(
                        batch_id=batch_id_for(idx[sel]),
                        base=self.base,
                        fields=self.resolved.fields,
                        run_index=tuple(int(i) for i in idx[sel]),
                        seed=tuple(int(s) for s in seeds[sel]),
                        values=values[sel],
                    )
                )
        prepared = PreparedCampaign(
            store=self.store,
            scenario=self.scenario,
            resolved=self.resolved,
            campaign_seed=self.hunt_seed,
            target=self.store.runs,
            batches=batches,
            done_before=len(self.rows),
            success_before=0,
        )
        flown_before = self.tally.flown

        def stored(p: CampaignProgress) -> None:
            self.tally.flown = flown_before + p.flown
            if self.on_batch is not None:
                self.on_batch(self.tally)

        result = execute_campaign(prepared, self.backend, progress=stored)
        self.tally.elapsed_s += result.elapsed_s
        for task in batches:
            table = self.store.read_part(task.batch_id, self._schema)
            for row in table.to_pylist():
                self.rows[int(row["run_index"])] = row

    def table(self) -> pa.Table:
        """Every stored row of the hunt, by run index."""
        return self.store.read_table(self._schema)
