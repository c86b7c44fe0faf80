"""Where a campaign's batches fly: local worker processes or a Dask cluster.

A :class:`Backend` wraps a ``concurrent.futures`` executor that can be rebuilt
after a worker dies (:class:`LocalBackend`: a process pool started with
forkserver, each worker initialised once; :class:`DaskBackend`: a scheduler
address, ``'local'`` for a LocalCluster on the loopback interface with
mutual TLS on temporary credentials, or a connected Client).
:func:`make_backend` picks one from the command-line options.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from typing import Any

from surefoot.campaign.store import CampaignError
from surefoot.campaign.worker import init_worker

# the LocalCluster of ``--dask local`` listens on the loopback interface only: no
# other machine can reach its scheduler or workers
LOCAL_HOST = "127.0.0.1"


def local_security() -> Any:
    """Temporary mutual-TLS credentials for the LocalCluster of ``--dask local``.

    The scheduler, its workers and the campaign's client share one throw-away
    certificate made in this process; a connection without it (another user's
    process on the same machine, with no certificate or its own) fails the
    TLS handshake, so nobody else can submit work to the cluster.
    """
    from distributed.security import Security

    return Security.temporary()


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Backend:
    """A concurrent.futures executor that can be rebuilt after a worker dies."""

    slots: int = 1
    description: str = ""

    def executor(self) -> cf.Executor:
        raise NotImplementedError

    def rebuild(self) -> None:
        """Replace a broken executor."""

    def close(self, abort: bool = False) -> None:
        """Stop the workers; ``abort``: now, abandoning running batches."""


class LocalBackend(Backend):
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise CampaignError(f"--workers: must be >= 1 (got {workers})")
        self.slots = workers
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self.ctx = mp.get_context(method)
        if method == "forkserver":
            self.ctx.set_forkserver_preload(["surefoot.campaign.worker"])
        self.description = f"{workers} local worker process{'es' if workers > 1 else ''}"
        self._pool: cf.ProcessPoolExecutor | None = None

    def executor(self) -> cf.Executor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.slots, mp_context=self.ctx, initializer=init_worker
            )
        return self._pool

    def rebuild(self) -> None:
        self.close(abort=True)

    def close(self, abort: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not abort:
            pool.shutdown(wait=True)
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # do not wait for abandoned batches
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


class DaskBackend(Backend):
    """A Dask distributed cluster: a scheduler address, ``'local'`` or a ``Client``."""

    def __init__(self, target: Any, workers: int | None = None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self._own_client = False
        self._cluster = None
        if isinstance(target, Client):
            self.client = target
        elif target == "local":
            n = workers or default_workers()
            security = local_security()
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host=LOCAL_HOST,
                protocol="tls://",
                security=security,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self._cluster, set_as_default=False)
            self._own_client = True
        else:
            try:
                self.client = Client(str(target), timeout="10s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise CampaignError(
                    f"--dask: cannot connect to a Dask scheduler at '{target}' ({exc})"
                ) from None
            self._own_client = True
        nthreads = self.client.nthreads()
        if not nthreads:
            self.client.wait_for_workers(1, timeout=60)
            nthreads = self.client.nthreads()
        self.slots = max(1, sum(nthreads.values()))
        where = "cluster"
        if self._cluster is not None:
            tls = self._cluster.scheduler_address.startswith("tls://")
            where = f"LocalCluster on {LOCAL_HOST}{' with TLS' if tls else ''}"
        self.description = f"Dask {where}, {len(nthreads)} workers, {self.slots} threads"
        self._executor = self.client.get_executor(pure=False)

    def executor(self) -> cf.Executor:
        return self._executor

    def close(self, abort: bool = False) -> None:
        if self._own_client:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()


def make_backend(workers: int | None = None, dask: Any = None) -> Backend:
    """Local process pool (default) or Dask (``dask``: address, ``'local'`` or a Client)."""
    if dask is not None:
        return DaskBackend(dask, workers)
    return LocalBackend(workers or default_workers())
