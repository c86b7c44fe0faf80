"""Run a campaign: draw the runs, split them into batches, fly them on workers, store rows.

Batches go to a local process pool (``forkserver`` start method where the
platform has it, else ``spawn``; each worker imports the simulator once and
loads its compiled kernels from Numba's disk cache) or to a Dask distributed
cluster. Each finished batch is written at once as one Parquet part file;
a batch whose worker dies (or raises) is flown again, up to
``max_attempts`` times, while every other result is kept.

Runs that must share one batch of the simulator (the fields of
:data:`surefoot.sim.batch_fields.BATCH_SHARED_FIELDS`) are grouped by the dispersed
values of those fields; the grouping only decides speed, never results.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from surefoot.campaign.backends import Backend, default_workers, make_backend
from surefoot.campaign.rows import result_schema
from surefoot.campaign.sampling import RunScenarios, base_dict, draw_runs
from surefoot.campaign.store import FORMAT, CampaignError, CampaignStore, batch_id_for
from surefoot.campaign.worker import BatchOutput, BatchTask, run_batch
from surefoot.config.base import ConfigError
from surefoot.config.dispersions import NumericField, ResolvedDispersions, resolve_dispersions
from surefoot.config.schema import Scenario
from surefoot.sim.batch_fields import is_batch_shared
from surefoot.sim.provenance import provenance

MAX_BATCH_SIZE = 50
MAX_ATTEMPTS = 3

class CampaignFailed(RuntimeError):
    """A batch kept failing after its retries (the results stored so far are kept)."""


@dataclass
class CampaignProgress:
    """State of a running campaign, passed to the progress callback after each batch.

    Attributes
    ----------
    target : int
        Runs this command completes (indices ``0 .. target-1``).
    done : int
        Runs stored, including those of earlier starts.
    success : int
        Stored runs whose outcome is safe.
    flown : int
        Runs flown by this start.
    elapsed_s : float
        Wall time since this start began flying.
    retries : int
        Batches flown again after a failure.
    """

    target: int
    done: int
    success: int
    flown: int
    elapsed_s: float
    retries: int = 0

    @property
    def rate(self) -> float:
        """Landings per second of this start."""
        return self.flown / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class PreparedCampaign:
    """A campaign ready to fly: folder opened and locked, pending runs drawn and validated."""

    store: CampaignStore
    scenario: Scenario
    resolved: ResolvedDispersions
    campaign_seed: int
    target: int
    batches: list[BatchTask]
    done_before: int
    success_before: int
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        """Runs still to fly."""
        return sum(b.size for b in self.batches)


def manifest_for(scenario: Scenario, campaign_seed: int, runs: int,
                 resolved: ResolvedDispersions) -> dict[str, Any]:
    """The manifest of a campaign (definition, run count, inputs, provenance).

    Only the definition (:func:`surefoot.campaign.store.definition_of`) decides
    whether a folder holds the same campaign; ``provenance`` records the code
    of the latest start (and ``provenance_history`` the earlier ones that
    differ from it, see :meth:`CampaignStore.create_or_resume`).
    """
    prov = provenance()
    return {
        "format": FORMAT,
        # the definition: what the scenario sets (defaults left out, so that a
        # field added to the schema later does not make it another campaign)
        "scenario": scenario.model_dump(mode="json", exclude_defaults=True),
        "scenario_full": scenario.model_dump(mode="json"),
        "campaign_seed": int(campaign_seed),
        "runs": int(runs),
        "inputs": [{"path": f.path, "integer": f.integer} for f in resolved.fields],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "surefoot_version": prov["surefoot_version"],
        "code_fingerprint": prov["code_fingerprint"],
        "provenance": prov,
    }


def resolve(scenario: Scenario) -> ResolvedDispersions:
    """Resolve a scenario's dispersions (a :class:`ConfigError` names the bad field)."""
    return resolve_dispersions(scenario)


def _shared_columns(fields: tuple[NumericField, ...]) -> list[int]:
    return [k for k, f in enumerate(fields) if is_batch_shared(f.path)]


def prepare_campaign(
    scenario: Scenario,
    runs: int,
    out_dir: Path,
    *,
    campaign_seed: int | None = None,
    batch_size: int | None = None,
    slots: int = 1,
) -> PreparedCampaign:
    """Open (or create) the campaign folder and build the batches still to fly.

    Parameters
    ----------
    scenario : Scenario
        The campaign's scenario, with its ``dispersions``.
    runs : int
        Runs ``0 .. runs-1`` are to be complete when the campaign ends.
    out_dir : Path
        Campaign folder (created, or resumed when it holds the same campaign).
    campaign_seed : int, optional
        Keys every run's draws; default ``scenario.seed``.
    batch_size : int, optional
        Runs per batch; default ``min(50, ceil(pending / (4 slots)))``.
    slots : int
        Batches that run at once (for the default batch size).

    Raises
    ------
    ConfigError
        Bad arguments or dispersions, a folder holding another campaign, a
        corrupted folder (all one line, exit status 2 in the CLI).
    """
    if runs < 1:
        raise CampaignError(f"--runs: must be >= 1 (got {runs})")
    if batch_size is not None and batch_size < 1:
        raise CampaignError(f"--batch-size: must be >= 1 (got {batch_size})")
    seed = scenario.seed if campaign_seed is None else campaign_seed
    if not 0 <= seed < 2**63:
        raise CampaignError(f"--seed: must be >= 0 and < 2**63 (got {seed})")
    resolved = resolve(scenario)
    if scenario.fsw.plugin is not None:
        # a plug-in that does not load fails here, in one line, before any worker starts
        from surefoot.sim.external_fsw import load_plugin

        load_plugin(scenario.fsw.plugin)
    store = CampaignStore.create_or_resume(
        Path(out_dir), manifest_for(scenario, seed, runs, resolved)
    )
    try:
        notes = []
        old = store.previous_manifest
        if old is not None and old.get("code_fingerprint") != store.manifest["code_fingerprint"]:
            notes.append(
                "the surefoot source changed since this campaign started; "
                "its stored rows may come from other code"
            )
        schema = result_schema(resolved.fields)
        done_idx, done_ok = store.scan(schema)
        in_target = done_idx < runs
        done_set = set(done_idx.tolist())
        pending = np.array([i for i in range(runs) if i not in done_set], dtype=np.int64)
        draws = draw_runs(resolved, seed, pending)
        base = base_dict(scenario)
        paths = list(resolved.paths)
        integer = [f.integer for f in resolved.fields]
        run_scenario = RunScenarios(base, paths, integer)
        for k in range(pending.size):  # every run valid before any flies
            run_scenario(draws.values[k], draws.seed[k], int(pending[k]))
        store.commit()
        shared = _shared_columns(resolved.fields)
        groups: dict[tuple, list[int]] = {}
        for k in range(pending.size):
            groups.setdefault(tuple(draws.values[k, shared].tolist()), []).append(k)
        if batch_size is None:
            batch_size = max(1, min(MAX_BATCH_SIZE, math.ceil(pending.size / (4 * max(slots, 1)))))
        batches = []
        for rows in groups.values():
            for j in range(0, len(rows), batch_size):
                sel = np.array(rows[j : j + batch_size])
                idx = pending[sel]
                batches.append(
                    BatchTask(
                        batch_id=batch_id_for(idx),
                        base=base,
                        fields=resolved.fields,
                        run_index=tuple(int(i) for i in idx),
                        seed=tuple(int(s) for s in draws.seed[sel]),
                        values=draws.values[sel],
                    )
                )
        return PreparedCampaign(
            store=store,
            scenario=scenario,
            resolved=resolved,
            campaign_seed=seed,
            target=runs,
            batches=batches,
            done_before=int(np.count_nonzero(in_target)),
            success_before=int(np.count_nonzero(done_ok[in_target])),
            notes=notes,
        )
    except BaseException:
        store.close()
        raise


# --- flying ----------------------------------------------------------------------


@dataclass
class CampaignResult:
    """What a campaign start did."""

    root: Path
    target: int
    done: int
    success: int
    flown: int
    elapsed_s: float
    batches: int
    retries: int
    backend: str
    worker_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        """Landings per second of this start."""
        return self.flown / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def cpus_used(self) -> float:
        """Average number of CPUs the workers' batches got (CPU time over wall time)."""
        return self.worker_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0


def execute_campaign(
    prepared: PreparedCampaign,
    backend: Backend,
    *,
    progress: Callable[[CampaignProgress], None] | None = None,
    batch_fn: Callable[[BatchTask], BatchOutput] = run_batch,
    max_attempts: int = MAX_ATTEMPTS,
) -> CampaignResult:
    """Fly the prepared batches on ``backend``, writing each as it finishes.

    Parameters
    ----------
    prepared : PreparedCampaign
    backend : Backend (:mod:`surefoot.campaign.backends`)
        Not closed here.
    progress : callable, optional
        Called with a :class:`CampaignProgress` after each stored batch.
    batch_fn : callable
        Flies one :class:`BatchTask` (a module-level function, so workers can
        import it); :func:`surefoot.campaign.worker.run_batch` by default.
    max_attempts : int
        Flights of one batch before the campaign stops with :class:`CampaignFailed`.

    Raises
    ------
    CampaignFailed
        A batch failed ``max_attempts`` times; all other stored results stay.
    """
    store = prepared.store
    schema = result_schema(prepared.resolved.fields)
    queue = deque(prepared.batches)
    inflight: dict[cf.Future, BatchTask] = {}
    attempts: Counter[str] = Counter()
    done, success, flown, retries = prepared.done_before, prepared.success_before, 0, 0
    cpu_s = 0.0
    cap = 2 * backend.slots
    t0 = time.perf_counter()

    def failed(task: BatchTask, exc: BaseException) -> None:
        nonlocal retries
        if isinstance(exc, ConfigError):
            raise exc  # bad input (a plug-in's unusable command) fails the same way again
        attempts[task.batch_id] += 1
        if attempts[task.batch_id] >= max_attempts:
            runs = f"{task.run_index[0]}..{task.run_index[-1]}" if task.size > 1 else task.run_index
            raise CampaignFailed(
                f"the batch of runs {runs} failed {attempts[task.batch_id]} times "
                f"({type(exc).__name__}: {exc}); stored results are kept, rerun to resume"
            ) from exc
        retries += 1
        queue.appendleft(task)

    def store_result(task: BatchTask, out: BatchOutput) -> None:
        nonlocal done, success, flown, cpu_s
        table = out.table
        if (
            not table.schema.equals(schema)
            or table.column("run_index").to_pylist() != list(task.run_index)
        ):
            raise ValueError("worker returned rows that do not match its batch")
        store.write_part(task.batch_id, table)
        n_ok = int(np.count_nonzero(table.column("success").to_numpy(zero_copy_only=False)))
        done += task.size
        success += n_ok
        flown += task.size
        cpu_s += out.cpu_s
        if progress is not None:
            progress(
                CampaignProgress(
                    prepared.target, done, success, flown, time.perf_counter() - t0, retries
                )
            )

    while queue or inflight:
        executor = backend.executor()
        broken = False
        while queue and len(inflight) < cap:
            task = queue.popleft()
            try:
                inflight[executor.submit(batch_fn, task)] = task
            except BrokenProcessPool:
                # a worker died between two waits: the pool refuses new work
                queue.appendleft(task)
                broken = True
                break
        finished, _ = cf.wait(list(inflight), timeout=1.0, return_when=cf.FIRST_COMPLETED)
        for fut in finished:
            task = inflight.pop(fut)
            try:
                out = fut.result()
                store_result(task, out)
            except BrokenProcessPool as exc:
                broken = True
                failed(task, exc)
            except CampaignFailed:
                raise
            except Exception as exc:  # a worker error: fly the batch again
                failed(task, exc)
        if broken:
            # every batch of the broken pool fails with it; keep finished ones
            rest, _ = cf.wait(list(inflight), timeout=60.0)
            for fut in rest:
                task = inflight.pop(fut)
                try:
                    store_result(task, fut.result())
                except Exception as exc:
                    failed(task, exc)
            for task in inflight.values():  # pragma: no cover - pool hung
                failed(task, RuntimeError("worker pool stopped"))
            inflight.clear()
            backend.rebuild()
    return CampaignResult(
        root=store.root,
        target=prepared.target,
        done=done,
        success=success,
        flown=flown,
        elapsed_s=time.perf_counter() - t0,
        batches=len(prepared.batches),
        retries=retries,
        backend=backend.description,
        worker_cpu_s=cpu_s,
    )


def run_campaign(
    scenario: Scenario,
    runs: int,
    out_dir: Path,
    *,
    campaign_seed: int | None = None,
    workers: int | None = None,
    dask: Any = None,
    batch_size: int | None = None,
    progress: Callable[[CampaignProgress], None] | None = None,
    batch_fn: Callable[[BatchTask], BatchOutput] = run_batch,
    max_attempts: int = MAX_ATTEMPTS,
) -> CampaignResult:
    """Run (or resume) a campaign from start to end.

    Parameters
    ----------
    scenario : Scenario
        With its ``dispersions``.
    runs : int
        Number of runs (indices ``0 .. runs-1``).
    out_dir : Path
        Campaign folder; rerunning with the same arguments resumes.
    campaign_seed : int, optional
        Default ``scenario.seed``.
    workers : int, optional
        Local worker processes (default: the CPUs available), or the number
        of workers of a ``dask='local'`` cluster.
    dask : str or distributed.Client, optional
        Scheduler address, ``'local'`` for a LocalCluster, or a connected Client.
    batch_size : int, optional
        Runs per batch (default: up to 50, at least 4 batches per worker).
    progress, batch_fn, max_attempts
        See :func:`execute_campaign`.

    Returns
    -------
    CampaignResult
    """
    if workers is not None and workers < 1:
        raise CampaignError(f"--workers: must be >= 1 (got {workers})")
    slots = workers or default_workers()
    prepared = prepare_campaign(
        scenario, runs, out_dir, campaign_seed=campaign_seed, batch_size=batch_size, slots=slots
    )
    try:
        if not prepared.batches:
            return CampaignResult(
                prepared.store.root, runs, prepared.done_before, prepared.success_before,
                0, 0.0, 0, 0, "nothing to fly",
            )
        backend = make_backend(workers, dask)
        try:
            result = execute_campaign(
                prepared, backend, progress=progress, batch_fn=batch_fn, max_attempts=max_attempts
            )
        except BaseException:
            backend.close(abort=True)
            raise
        backend.close()
        return result
    finally:
        prepared.store.close()
