"""Compile the flight kernels on two cores: a helper process fills the cache ahead.

Numba compiles the batch step on one core: typing the kernel compiles every
jitted function it calls, depth first, one after the other. Each of those
functions is an ``@njit(cache=True)`` dispatcher with its own entry in the
on-disk cache, and when Numba types a call to one of them it first asks the
cache (``Dispatcher.compile`` calls ``self._cache.load_overload(sig, ...)``
before compiling, numba/core/dispatcher.py). So a second process that compiles
the same functions with the same argument types into the same cache folder
saves the main process every function it has finished by the time the main
process reaches it: the main process loads it (and skips its whole call tree).

The argument types come from :data:`MANIFEST` (``compile_manifest.json``,
shipped with the package): for each kernel kind, the functions the kernel
compiled and their signatures, in the order the main process starts them,
recorded from a compile on an empty cache (``python -m
surefoot.sim.compile_parallel --record``). The helper works through that list
from its end, so the two processes meet in the middle. A stale manifest costs
time only: a signature the kernel no longer asks for compiles for nothing,
one it lacks compiles in the main process, an entry that no longer resolves
is skipped (``tests/sim/test_compile_parallel.py`` says when to record again).

Two processes saving into one cache folder: Numba writes each index and data
file atomically (a temporary file and ``os.replace``), but ``save`` reads the
index, adds a key and writes it back, so two processes saving two signatures
of one function at once could lose an index entry or, worse, both number
their data file 1 and leave an index entry pointing at the other signature's
code. :func:`install_save_lock` serialises saves across processes with an
``flock`` on a file in the folder (released by the kernel if a process dies).

The helper is only an accelerator: on one core, without ``flock`` (Windows),
when it cannot start, or with ``SUREFOOT_COMPILE_HELPER=0`` the main process
compiles everything as before. It exits when the main process's block ends
(terminated), when the main process dies (its stdin closes), or when its list
is done. The main process tells it (a line on its stdin) each compile it
starts, and the helper skips those. ``SUREFOOT_COMPILE_HELPER_LOG=FILE``
appends the helper's progress (seconds, function) to FILE.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).with_name("compile_manifest.json")
ENV_SWITCH = "SUREFOOT_COMPILE_HELPER"
# the scenario whose first landing each kernel kind is recorded from
RECORD_SCENARIOS = {"ideal": "default", "sensed": "hakuto-r-m1"}
_KERNELS = (
    "run_segment_serial",
    "run_segment_parallel",
    "run_segment_serial_ideal",
    "run_segment_parallel_ideal",
)


def kind_name(sensed: bool) -> str:
    return "sensed" if sensed else "ideal"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def helper_wanted() -> bool:
    """Whether a helper process may start: a second core, a system with ``flock``
    (for :func:`install_save_lock`), and not switched off."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        import fcntl  # noqa: F401 - POSIX only
    except ImportError:
        return False
    return usable_cores() >= 2


# --- the manifest -------------------------------------------------------------------


def _encode_sig(args: tuple) -> str:
    # Numba's own serializer (cloudpickle), as for its cache index keys: some
    # argument types refer to classes made at run time (function templates)
    from numba.core.serialize import dumps

    return base64.b64encode(zlib.compress(dumps(tuple(args)), 9)).decode("ascii")


def _decode_sig(text: str) -> tuple:
    return tuple(pickle.loads(zlib.decompress(base64.b64decode(text))))


def read_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest as stored (empty kinds when it is missing or unreadable)."""
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and isinstance(data.get("kinds"), dict):
            return data
    except (OSError, ValueError):
        pass
    return {"kinds": {}}


def resolve(func: str) -> Any:
    """The dispatcher named ``module:qualname`` (None when it does not resolve)."""
    module, _, qualname = func.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError):
        return None
    return obj if hasattr(obj, "compile") and hasattr(obj, "py_func") else None


def _params(py_func: Any) -> list[str]:
    """The parameter names of a function (what a manifest test compares)."""
    import inspect

    try:
        return list(inspect.signature(py_func).parameters)
    except (TypeError, ValueError):
        return []


def compile_key(func: str, args: tuple) -> str:
    """How the two processes name one compile: ``module:qualname`` and the types."""
    return f"{func}\t{tuple(args)}"


def helper_plan(kind: str, path: Path = MANIFEST) -> list[tuple[Any, tuple, str]]:
    """(dispatcher, argument types, :func:`compile_key`) in the order the helper
    compiles them: the manifest's compile order reversed, kernels left out (the
    main process compiles those), entries that no longer resolve or unpickle
    skipped."""
    entries = read_manifest(path)["kinds"].get(kind, [])
    plan = []
    for e in reversed(entries):
        if e.get("func", "").rpartition(":")[2] in _KERNELS:
            continue
        disp = resolve(e.get("func", ""))
        if disp is None:
            continue
        try:
            sig = _decode_sig(e["sig"])
        except Exception:  # noqa: BLE001 - a stale type (renamed class, other Numba)
            continue
        plan.append((disp, sig, compile_key(e["func"], sig)))
    return plan


def reachable(disp: Any) -> dict[str, Any]:
    """Dispatchers a jitted function can call, read from its bytecode (global names
    it loads, nested code included) and followed down: ``module:qualname`` ->
    dispatcher. A static over-estimate (a branch the compile prunes still counts),
    cheap enough for a test that the manifest still names everything."""
    from numba.core.registry import CPUDispatcher

    found: dict[str, Any] = {}
    todo = [disp]
    while todo:
        d = todo.pop()
        py = d.py_func
        codes = [py.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
            for name in code.co_names:
                obj = py.__globals__.get(name)
                if isinstance(obj, CPUDispatcher):
                    key = f"{obj.py_func.__module__}:{obj.py_func.__qualname__}"
                    if key not in found:
                        found[key] = obj
                        todo.append(obj)
    return found


# --- the cache lock ---------------------------------------------------------------


def install_save_lock() -> None:
    """Make Numba's cache ``save`` (read index, add key, write index, write data)
    exclusive across processes sharing a cache folder (module docstring)."""
    from numba.core import caching

    cls = caching.IndexDataCacheFile
    if getattr(cls.save, "_surefoot_locked", False):
        return
    original = cls.save

    def save(self, key, data):  # noqa: ANN001, ANN202 - Numba's signature
        with _folder_lock(self._cache_path):
            return original(self, key, data)

    save._surefoot_locked = True  # type: ignore[attr-defined]
    cls.save = save


@contextlib.contextmanager
def _folder_lock(folder: str) -> Iterator[None]:
    import fcntl

    try:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(os.path.join(folder, ".surefoot-save.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield  # an unwritable folder: Numba's own save fails quietly there too
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# --- the main process's side ----------------------------------------------------------


@contextlib.contextmanager
def compile_helper(sensed: bool) -> Iterator[bool]:
    """Around a block that compiles a kernel: a helper process compiles the
    kernel's callees from the other end of the manifest. Yields whether one runs.
    The helper is terminated (and reaped) when the block ends, however it ends."""
    proc = _start_helper(kind_name(sensed)) if helper_wanted() else None
    if proc is None:
        yield False
        return
    install_save_lock()
    from numba.core import event

    tell = _tell_helper(proc)
    event.register("numba:compile", tell)
    try:
        yield True
    finally:
        event.unregister("numba:compile", tell)
        _stop(proc)


def _tell_helper(proc: subprocess.Popen) -> Any:
    """A Numba event listener that tells the helper (a line on its stdin) each
    compile this process starts, so that the helper does not compile it too:
    once they meet, every function left on the helper's list is one this
    process is already working on or has done."""
    from numba.core import event

    class TellHelper(event.Listener):
        def on_start(self, ev: Any) -> None:
            if proc.stdin is None:
                return
            py = ev.data["dispatcher"].py_func
            line = compile_key(f"{py.__module__}:{py.__qualname__}", ev.data["args"])
            try:
                proc.stdin.write(line.encode() + b"\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the helper has gone: nothing to tell

        def on_end(self, ev: Any) -> None:
            pass

    return TellHelper()


def _start_helper(kind: str) -> subprocess.Popen | None:
    if not read_manifest()["kinds"].get(kind):
        return None
    env = dict(os.environ)  # NUMBA_CACHE_DIR (keyed) and the keyed marker pass on
    log = os.environ.get("SUREFOOT_COMPILE_HELPER_LOG")
    try:
        err = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "surefoot.sim.compile_parallel", "--helper", kind],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                close_fds=True,
            )
        finally:
            if log:
                err.close()
    except OSError:
        return None  # no helper: the main process compiles it all


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        proc.terminate()
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()
    finally:
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()


# --- the helper process -------------------------------------------------------------


def _listen_to_parent(started: set[str]) -> None:
    """Collect the compiles the parent has started (one :func:`compile_key` a line
    on stdin) and exit as soon as stdin closes (the parent died or ended us)."""

    def watch() -> None:
        with contextlib.suppress(Exception):
            for line in sys.stdin.buffer:
                started.add(line.decode().rstrip("\n"))
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def helper_main(kind: str) -> int:
    # Not niced: the two processes share the work, so on a loaded machine a
    # starved helper only leaves more of it to the main process (measured: a
    # helper at nice 5 among 3 busy processes did half its share).
    started: set[str] = set()
    _listen_to_parent(started)
    from surefoot import _numba_cache

    _numba_cache.configure()
    install_save_lock()
    log = os.environ.get("SUREFOOT_COMPILE_HELPER_LOG")
    t0 = time.perf_counter()
    for disp, sig, key in helper_plan(kind):
        if tuple(sig) in disp.overloads or key in started:
            continue  # compiled (or loaded) as a callee of an earlier entry, or the
            # main process has started it
        try:
            disp.compile(sig)
        except Exception:  # noqa: BLE001 - a stale entry: the main process compiles it
            continue
        if log:
            print(
                f"{time.perf_counter() - t0:7.2f} {disp.py_func.__qualname__}",
                file=sys.stderr,
                flush=True,
            )
    # leave without interpreter shutdown: the thread blocked reading stdin would
    # make it abort ("could not acquire lock for <stdin>")
    sys.stderr.flush()
    os._exit(0)


# --- recording the manifest -----------------------------------------------------------


def record_compiles(scenario_name: str) -> list[dict[str, Any]]:
    """Fly a scenario's first landing in this process (empty cache expected) and
    return every dispatcher compile, in start order, with its argument types,
    depth in the call tree, and inclusive and exclusive seconds."""
    from numba.core import event

    from surefoot.config import load_scenario
    from surefoot.sim.runner import simulate

    entries: list[dict[str, Any]] = []
    stack: list[tuple[dict[str, Any], float]] = []

    class Recorder(event.Listener):
        def on_start(self, ev: Any) -> None:
            disp = ev.data["dispatcher"]
            py = disp.py_func
            e = {
                "func": f"{py.__module__}:{py.__qualname__}",
                "params": _params(py),
                "text": str(tuple(ev.data["args"])),
                "sig": _encode_sig(tuple(ev.data["args"])),
                "depth": len(stack),
                "children_s": 0.0,
            }
            entries.append(e)
            stack.append((e, time.perf_counter()))

        def on_end(self, ev: Any) -> None:
            e, t0 = stack.pop()
            inclusive = time.perf_counter() - t0
            e["inclusive_s"] = round(inclusive, 3)
            e["exclusive_s"] = round(inclusive - e.pop("children_s"), 3)
            if stack:
                stack[-1][0]["children_s"] += inclusive

    with event.install_listener("numba:compile", Recorder()):
        simulate(load_scenario(scenario_name), telemetry=False)
    return entries


def _shippable(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries a helper can compile: module-level dispatchers (Numba's own
    overload implementations are closures or plain functions that do not
    resolve to a dispatcher by name), each signature once."""
    seen = set()
    out = []
    for e in entries:
        key = (e["func"], e["sig"])
        if "<locals>" in e["func"] or key in seen or resolve(e["func"]) is None:
            continue
        seen.add(key)
        out.append(e)
    return out


def record_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """Record every kind in a fresh process on an empty cache of its own, write
    the manifest. Minutes: run by hand after an edit that changes what the
    kernels call (the manifest test says when)."""
    import tempfile

    import numba

    kinds = {}
    for kind, name in RECORD_SCENARIOS.items():
        with tempfile.TemporaryDirectory(prefix="surefoot-record-") as tmp:
            env = dict(os.environ)
            env["NUMBA_CACHE_DIR"] = tmp
            env.pop("SUREFOOT_NUMBA_CACHE_KEYED", None)
            env[ENV_SWITCH] = "0"
            code = (
                "import json, sys; from surefoot.sim.compile_parallel import record_compiles; "
                f"json.dump(record_compiles({name!r}), sys.stdout)"
            )
            p = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            )
            kinds[kind] = _shippable(json.loads(p.stdout))
    data = {
        "numba": numba.__version__,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "recorded_from": RECORD_SCENARIOS,
        "kinds": kinds,
    }
    write_manifest(data, path)
    return data


def write_manifest(data: dict[str, Any], path: Path = MANIFEST) -> None:
    """JSON, one compile to a line (a re-recording reads as a diff of functions)."""
    head = {k: v for k, v in data.items() if k != "kinds"}
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    lines.append(' "kinds": {')
    kinds = list(data["kinds"].items())
    for i, (kind, entries) in enumerate(kinds):
        lines.append(f"  {json.dumps(kind)}: [")
        lines += [
            f"   {json.dumps(e)}" + ("," if j < len(entries) - 1 else "")
            for j, e in enumerate(entries)
        ]
        lines.append("  ]" + ("," if i < len(kinds) - 1 else ""))
    lines += [" }", "}"]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "--helper" and argv[1] in RECORD_SCENARIOS:
        return helper_main(argv[1])
    if argv == ["--record"]:
        data = record_manifest()
        for kind, entries in data["kinds"].items():
            total = sum(e["exclusive_s"] for e in entries)
            print(f"{kind}: {len(entries)} compiles, {total:.1f} s exclusive")
        return 0
    print(
        "usage: python -m surefoot.sim.compile_parallel --record | --helper ideal|sensed",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
