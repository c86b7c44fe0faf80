"""What a worker process (local pool or Dask) runs: one batch of runs, rows back.

Kept light on imports so that a worker's start-up is the import of the
simulator and the first load of its compiled kernels from Numba's disk cache.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from surefoot.campaign.rows import batch_table, fly_for_rows
from surefoot.campaign.sampling import RunScenarios
from surefoot.config.dispersions import NumericField


@dataclass(frozen=True)
class BatchTask:
    """A batch to fly: everything a worker needs, nothing it must look up.

    Attributes
    ----------
    batch_id : str
        Unique within the campaign (names the result file).
    base : dict
        The campaign's scenario as plain data, without dispersions.
    fields : tuple of NumericField
        The dispersed fields, in column order.
    run_index : tuple of int
    seed : tuple of int
        Each run's ``Scenario.seed``.
    values : ndarray, shape (n, F)
        Each run's dispersed inputs.
    numba_threads : int
        Threads of the compiled kernel inside the worker (1: the campaign
        parallelises over processes instead).
    """

    batch_id: str
    base: dict[str, Any]
    fields: tuple[NumericField, ...]
    run_index: tuple[int, ...]
    seed: tuple[int, ...]
    values: np.ndarray
    numba_threads: int = 1

    @property
    def size(self) -> int:
        """Number of runs in the batch."""
        return len(self.run_index)


class BatchOutput(NamedTuple):
    """What a worker sends back for one batch.

    Attributes
    ----------
    batch_id : str
    table : pyarrow.Table
        One row per run, in the batch's order (schema :func:`rows.result_schema`).
    wall_s : float
        Wall time of the batch in the worker (for rates; never stored in the rows).
    cpu_s : float
        CPU time of the worker process for the batch.
    pid : int
        Worker process id.
    """

    batch_id: str
    table: pa.Table
    wall_s: float
    cpu_s: float
    pid: int


def init_worker() -> None:
    """Pool initialiser: Ctrl-C is the parent's business (it stops the pool); and
    workers that compile into one empty Numba cache at once save into it one at a
    time (``sim.compile_parallel.install_save_lock``; where ``flock`` exists)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import fcntl  # noqa: F401 - POSIX only
    except ImportError:
        return
    from surefoot.sim.compile_parallel import install_save_lock

    install_save_lock()


def run_batch(task: BatchTask) -> BatchOutput:
    """Fly one batch (telemetry only on the rows' 1 s grid) and return its rows."""
    import numba

    if numba.get_num_threads() != task.numba_threads:
        numba.set_num_threads(min(task.numba_threads, numba.config.NUMBA_NUM_THREADS))
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    run_scenario = RunScenarios(
        task.base, [f.path for f in task.fields], [f.integer for f in task.fields]
    )
    scenarios = [
        run_scenario(task.values[k], task.seed[k], task.run_index[k]) for k in range(task.size)
    ]
    result = fly_for_rows(scenarios)
    table = batch_table(result, task.run_index, task.values, task.fields)
    return BatchOutput(
        task.batch_id,
        table,
        time.perf_counter() - t_wall,
        time.process_time() - t_cpu,
        os.getpid(),
    )
