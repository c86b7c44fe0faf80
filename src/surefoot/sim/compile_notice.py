"""Say so when a run is about to compile the flight kernels.

A fresh install (or an edit below ``campaign``, see ``surefoot._numba_cache``)
compiles the batch step before the first landing: a minute or more behind a
line that otherwise says only "flying ...". :func:`kernels_cached` asks
Numba's on-disk index whether the step kernel of this source and this CPU is
there; :func:`compile_notice` prints one line to stderr when it is not, starts
a helper process that compiles the kernel's callees on the second core
(``surefoot.sim.compile_parallel``), and records how long the compile took so
the next notice can say it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from surefoot import _numba_cache

# Measured on the 2-core development machine (all kernels of one landing, quiet
# machine); used until this machine has measured its own. One process (one
# core, or the helper off) and two (surefoot.sim.compile_parallel): there the
# main process of a first `surefoot run default` used 19-21 s of CPU (whole
# process, figure included) against 34-36 s alone, and of a first hakuto-r-m1
# after it 28-31 s against 46-47 s (README, benchmarks/bench_startup.py --cold).
DEFAULT_COMPILE_S = 70.0
DEFAULT_IDEAL_COMPILE_S = 35.0
DEFAULT_COMPILE_2PROC_S = 45.0
DEFAULT_IDEAL_COMPILE_2PROC_S = 20.0


def _kernel(parallel: bool, sensed: bool):  # noqa: ANN202
    from surefoot.sim.kernel import segment_kernel

    return segment_kernel(parallel, sensed)


def needs_sensors(scenario: object) -> bool:
    """Whether a scenario's landing needs the step kernel that samples sensors:
    filter navigation or a plug-in flight software (``sim.kernel.segment_kernel``)."""
    fsw = getattr(scenario, "fsw", None)
    if fsw is None:
        return True
    return fsw.nav.source == "ekf" or fsw.plugin is not None


def kernels_cached(parallel: bool = False, sensed: bool = True) -> bool:
    """True if the batch step (serial or parallel; with or without sensors) will
    load from Numba's disk cache.

    Reads the kernel's cache index the way Numba does (version, source stamp)
    and looks for an entry compiled from this bytecode for this CPU. When
    Numba's internals cannot be read, says True: no notice beats a wrong one.
    """
    disp = _kernel(parallel, sensed)
    if disp.signatures:  # already compiled or loaded in this process
        return True
    try:
        index = disp._cache._cache_file._load_index()
        magic = disp.targetctx.codegen().magic_tuple()
        code = hashlib.sha256(disp.py_func.__code__.co_code).hexdigest()
        return any(key[1] == magic and key[2][0] == code for key in index)
    except Exception:  # noqa: BLE001 - private Numba API: fail quiet
        return True


def _times_path() -> Path:
    return _numba_cache.cache_root() / "compile_seconds.json"


def _kind(parallel: bool, sensed: bool, helper: bool = False) -> str:
    return (
        ("parallel" if parallel else "serial")
        + ("" if sensed else "_ideal")
        + ("_2proc" if helper else "")
    )


def expected_compile_s(parallel: bool = False, sensed: bool = True, helper: bool = False) -> float:
    """Seconds the last compile of this kind took on this machine (or the default);
    ``helper``: with the helper process compiling beside it."""
    try:
        data = json.loads(_times_path().read_text())
        return float(data[_kind(parallel, sensed, helper)])
    except (OSError, ValueError, KeyError, TypeError):
        if helper:
            return DEFAULT_COMPILE_2PROC_S if sensed else DEFAULT_IDEAL_COMPILE_2PROC_S
        return DEFAULT_COMPILE_S if sensed else DEFAULT_IDEAL_COMPILE_S


def _record(parallel: bool, sensed: bool, seconds: float, helper: bool = False) -> None:
    path = _times_path()
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
        data[_kind(parallel, sensed, helper)] = round(seconds, 1)
        tmp = path.with_suffix(f".{time.monotonic_ns()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except (OSError, ValueError):
        pass  # an estimate only


@contextlib.contextmanager
def compile_notice(
    parallel: bool = False,
    sensed: bool = True,
    console: Console | None = None,
    record: bool = True,
    spinner: bool = True,
    helper: bool | None = None,
) -> Iterator[bool]:
    """Around the first landing of a process: announce a compile if one is coming.

    Yields whether the kernels had to be compiled. With ``record`` the elapsed
    time of the block is kept as the next estimate, so keep such a block to
    the run whose first call compiles (a landing flies in about a second).
    ``sensed`` names the kernel the run needs (:func:`needs_sensors` of its scenario).
    With ``spinner`` a terminal also sees the seconds spent so far (pass False
    around a block that shows its own live display, such as a progress bar).
    With ``helper`` (default: ``record``, a block where this process compiles)
    a second process compiles the kernel's callees meanwhile
    (:func:`surefoot.sim.compile_parallel.compile_helper`; it ends with the block).
    """
    if kernels_cached(parallel, sensed):
        yield False
        return
    from surefoot.sim.compile_parallel import compile_helper, helper_wanted

    helper = record if helper is None else helper
    console = console or Console(stderr=True)
    two = helper and helper_wanted()
    est = expected_compile_s(parallel, sensed, two)
    console.print(
        f"compiling flight kernels once (about {est:.0f} s; cached for later runs) ...",
        style="yellow",
        highlight=False,
    )
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        two = stack.enter_context(compile_helper(sensed)) if two else False
        if spinner:
            stack.enter_context(_elapsed_spinner(console, t0, est))
        yield True
    if record:
        _record(parallel, sensed, time.perf_counter() - t0, two)


@contextlib.contextmanager
def _elapsed_spinner(console: Console, t0: float, est: float) -> Iterator[None]:
    """On a terminal, a spinner with the seconds spent so far under the notice line
    (erased when the block ends); elsewhere (a log, a pipe) nothing more."""
    if not console.is_terminal:
        yield
        return

    def text() -> str:
        return f"compiling: {time.perf_counter() - t0:.0f} s of about {est:.0f} s"

    stop = threading.Event()
    with console.status(text(), spinner="dots") as status:

        def tick() -> None:  # LLVM runs outside the GIL, so this keeps ticking
            while not stop.wait(1.0):
                status.update(text())

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
