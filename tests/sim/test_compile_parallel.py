"""The two-process compile: the manifest still names what the kernels call, the
helper process never outlives its block, every fallback still compiles in one
process, and two processes saving into one Numba cache folder keep it whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from surefoot.sim import compile_parallel as cp

RECORD_AGAIN = "record it again: python -m surefoot.sim.compile_parallel --record"


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody has reaped yet (it runs no more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


# --- the manifest --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ideal", "sensed"])
def test_manifest_entries_name_functions_with_the_recorded_parameters(kind: str) -> None:
    """A renamed, removed or re-parameterised function makes the manifest stale:
    every entry must resolve to a dispatcher whose parameters are the recorded
    ones, with a signature of that many types that still unpickles."""
    entries = cp.read_manifest()["kinds"][kind]
    assert entries, f"no {kind} entries; {RECORD_AGAIN}"
    stale = []
    for e in entries:
        disp = cp.resolve(e["func"])
        if disp is None:
            stale.append(f"{e['func']}: not found")
            continue
        if cp._params(disp.py_func) != e["params"]:
            stale.append(f"{e['func']}: parameters {e['params']} -> {cp._params(disp.py_func)}")
            continue
        try:
            sig = cp._decode_sig(e["sig"])
        except Exception as exc:  # noqa: BLE001
            stale.append(f"{e['func']}: signature does not load ({exc})")
            continue
        if len(sig) != len(e["params"]):
            stale.append(f"{e['func']}: {len(sig)} argument types for {len(e['params'])}")
        # the helper names an entry as the main process names its compiles
        if str(sig) != e["text"]:
            stale.append(f"{e['func']}: types {e['text']} load as {sig}")
    assert not stale, f"stale compile manifest; {RECORD_AGAIN}:\n" + "\n".join(stale)


def test_manifest_covers_every_function_the_kernel_can_call() -> None:
    """What the sensed kernel can reach (read from bytecode; functions inlined
    at the IR level are never compiled on their own) is in the manifest: a new
    callee would otherwise compile in the main process only."""
    from surefoot.sim.kernel import run_segment_serial

    reach = cp.reachable(run_segment_serial)
    compiled_alone = {k for k, d in reach.items() if d.targetoptions.get("inline") != "always"}
    kinds = cp.read_manifest()["kinds"]
    named = {e["func"] for entries in kinds.values() for e in entries}
    missing = sorted(compiled_alone - named)
    assert not missing, f"callees missing from the compile manifest; {RECORD_AGAIN}: {missing}"


def test_helper_plan_runs_backwards_and_skips_kernels_and_stale_entries(tmp_path: Path) -> None:
    from numba import types

    good = cp._encode_sig((types.float64, types.float64))
    data = {
        "kinds": {
            "ideal": [
                {"func": "surefoot.sim.kernel:run_segment_serial_ideal", "params": [], "sig": good},
                {"func": "surefoot.math.random_stream:hash_key", "params": [], "sig": good},
                {"func": "surefoot.math.nowhere:gone", "params": [], "sig": good},
                {
                    "func": "surefoot.math.random_stream:uniform",
                    "params": [],
                    "sig": "bm90IGEgcGlja2xl",
                },
                {"func": "surefoot.world.contact:check_contact", "params": [], "sig": good},
            ]
        }
    }
    path = tmp_path / "manifest.json"
    cp.write_manifest(data, path)
    plan = cp.helper_plan("ideal", path)
    assert [d.py_func.__name__ for d, _, _ in plan] == ["check_contact", "hash_key"]
    assert plan[0][1] == (types.float64, types.float64)
    assert plan[0][2] == "surefoot.world.contact:check_contact\t(float64, float64)"
    assert cp.helper_plan("sensed", path) == []
    assert cp.helper_plan("ideal", tmp_path / "missing.json") == []


def test_the_main_process_tells_the_helper_each_compile_it_starts() -> None:
    """The line the main process writes for a compile is the key under which the
    helper's plan holds that compile, so the helper skips it."""
    import io
    from types import SimpleNamespace

    from numba import njit
    from numba.core import event

    @njit
    def scaled(x, k):  # noqa: ANN001, ANN202
        return x * k

    proc = SimpleNamespace(stdin=io.BytesIO())
    tell = cp._tell_helper(proc)
    event.register("numba:compile", tell)
    try:
        scaled(2.0, 3)
    finally:
        event.unregister("numba:compile", tell)
    func = f"{scaled.py_func.__module__}:{scaled.py_func.__qualname__}"
    sig = cp._decode_sig(cp._encode_sig(scaled.signatures[0]))
    assert proc.stdin.getvalue().decode().splitlines() == [cp.compile_key(func, sig)]


# --- fallbacks: one process compiles everything ---------------------------------------


def test_no_helper_on_one_core_or_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr(cp, "_start_helper", lambda kind: started.append(kind))
    monkeypatch.setattr(cp, "usable_cores", lambda: 1)
    with cp.compile_helper(sensed=False) as two:
        assert two is False
    monkeypatch.setattr(cp, "usable_cores", lambda: 2)
    monkeypatch.setenv(cp.ENV_SWITCH, "0")
    with cp.compile_helper(sensed=False) as two:
        assert two is False
    assert started == []


def test_a_helper_that_cannot_start_leaves_the_block_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("fork refused")

    monkeypatch.setattr(cp, "usable_cores", lambda: 2)
    monkeypatch.delenv(cp.ENV_SWITCH, raising=False)
    monkeypatch.setattr(cp.subprocess, "Popen", refuse)
    ran = False
    with cp.compile_helper(sensed=True) as two:
        ran = True
    assert ran and two is False


def test_compile_notice_still_announces_without_a_helper(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One core: the notice quotes the one-process estimate and records under it."""
    from rich.console import Console

    from surefoot.sim import compile_notice as cn

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "surefoot" / "numba").mkdir(parents=True)
    monkeypatch.setattr(cn, "kernels_cached", lambda parallel=False, sensed=True: False)
    monkeypatch.setattr(cp, "usable_cores", lambda: 1)
    console = Console(record=True, width=200)
    with cn.compile_notice(sensed=False, console=console) as compiling:
        assert compiling is True
    assert f"about {cn.DEFAULT_IDEAL_COMPILE_S:.0f} s" in console.export_text()
    assert cn.expected_compile_s(sensed=False, helper=False) < 5.0  # measured, one process
    assert cn.expected_compile_s(sensed=False, helper=True) == cn.DEFAULT_IDEAL_COMPILE_2PROC_S


# --- the helper never outlives its block ------------------------------------------------


def _helper_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")  # an empty cache: it has work to do
    env.pop("SUREFOOT_NUMBA_CACHE_KEYED", None)
    return env


def test_the_helper_ends_with_its_block_on_an_exception(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in _helper_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(cp, "usable_cores", lambda: 2)
    monkeypatch.delenv(cp.ENV_SWITCH, raising=False)
    procs: list[subprocess.Popen] = []
    start = cp._start_helper
    monkeypatch.setattr(cp, "_start_helper", lambda kind: procs.append(start(kind)) or procs[-1])
    with pytest.raises(RuntimeError, match="boom"), cp.compile_helper(sensed=False) as two:
        assert two is True
        time.sleep(0.5)
        assert procs[0].poll() is None  # compiling
        raise RuntimeError("boom")
    assert procs[0].returncode is not None  # terminated and reaped


def test_the_helper_exits_when_its_parent_dies(tmp_path: Path) -> None:
    """SIGKILL of the main process (no finally runs): the helper sees its stdin
    close and exits."""
    code = textwrap.dedent(
        """
        import sys, time
        from surefoot.sim import compile_parallel as cp
        p = cp._start_helper("ideal")
        print(p.pid, flush=True)
        time.sleep(600)
        """
    )
    env = _helper_env(tmp_path)
    env[cp.ENV_SWITCH] = "1"
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        helper = int(parent.stdout.readline())
        time.sleep(1.0)
        assert not _gone(helper)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 30.0
        while not _gone(helper) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(helper), "the helper outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


# --- two processes, one cache folder -----------------------------------------------------

_MODULE = """
from numba import njit


@njit(cache=True)
def twice_plus_one(x):
    return 2 * x + 1
"""

_WRITER = """
import os, sys, time
from pathlib import Path
import numpy as np
from numba.core import caching
from surefoot.sim import compile_parallel as cp
import shared_fn

if sys.argv[1] == "locked":
    cp.install_save_lock()
original = caching.IndexDataCacheFile._save_index

def slow_save_index(self, overloads):
    time.sleep(0.15)  # widen Numba's read-index / write-index window
    return original(self, overloads)

caching.IndexDataCacheFile._save_index = slow_save_index
# start together: each says it is ready, then waits for the other
ready = Path(sys.argv[3])
(ready / sys.argv[1]).with_suffix("." + str(os.getpid())).touch()
while len(list(ready.iterdir())) < 2:
    time.sleep(0.01)
for name in sys.argv[2].split(","):
    shared_fn.twice_plus_one(getattr(np, name)(3))
"""

_CHECKER = """
import json
import numpy as np
import shared_fn

f = shared_fn.twice_plus_one
out = {}
for name in %r:
    v = f(getattr(np, name)(3))
    out[name] = [float(v), type(v).__name__]
print(json.dumps({"results": out, "misses": sum(f.stats.cache_misses.values())}))
"""

_TYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
]


def _two_writers(tmp_path: Path, mode: str) -> dict:
    mod = tmp_path / "mod"
    mod.mkdir()
    (mod / "shared_fn.py").write_text(_MODULE)
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")
    env["SUREFOOT_NUMBA_CACHE_KEYED"] = str(tmp_path / "cache")  # use the folder as is
    env["PYTHONPATH"] = os.pathsep.join([str(mod), env.get("PYTHONPATH", "")])
    halves = [",".join(_TYPES[0::2]), ",".join(_TYPES[1::2])]
    ready = tmp_path / "ready"
    ready.mkdir()
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, mode, h, str(ready)], env=env)
        for h in halves
    ]
    for w in writers:
        assert w.wait(timeout=300) == 0
    p = subprocess.run(
        [sys.executable, "-c", _CHECKER % (_TYPES,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if p.returncode != 0:
        return {"failed": p.stderr[-2000:]}
    return json.loads(p.stdout)


def test_two_processes_saving_into_one_cache_folder_lose_nothing(tmp_path: Path) -> None:
    """Two processes each compile half of ten signatures of one cached function
    at once (Numba's index read-modify-write slowed to make the race likely):
    with the lock a third process loads all ten from the cache, each right."""
    out = _two_writers(tmp_path, "locked")
    assert "failed" not in out, out
    for name, (value, _) in out["results"].items():
        assert value == 7.0, name
    assert out["misses"] == 0, "an index entry was lost between the two writers"


def test_without_the_lock_the_race_is_real(tmp_path: Path) -> None:
    """The same two writers without the lock leave a damaged cache (index entries
    lost, or an entry pointing at the other signature's code): the test above can
    fail, and the lock is what keeps it passing."""
    out = _two_writers(tmp_path, "unlocked")
    damaged = (
        "failed" in out
        or out["misses"] > 0
        or any(value != 7.0 for value, _ in out["results"].values())
    )
    assert damaged


# --- the manifest against a real compile (minutes) -----------------------------------------


@pytest.mark.slow
def test_manifest_matches_a_compile_from_an_empty_cache(tmp_path: Path) -> None:
    """Record the ideal kernel's compiles afresh and compare with the shipped
    manifest: the same functions with the same argument types."""
    env = _helper_env(tmp_path)
    env[cp.ENV_SWITCH] = "0"
    code = (
        "import json, sys; from surefoot.sim.compile_parallel import record_compiles, "
        "_shippable; json.dump(_shippable(record_compiles('default')), sys.stdout)"
    )
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=True,
    )
    fresh = {(e["func"], e["text"]) for e in json.loads(p.stdout)}
    shipped = {(e["func"], e["text"]) for e in cp.read_manifest()["kinds"]["ideal"]}
    assert fresh == shipped, (
        f"{RECORD_AGAIN}; new: {sorted(fresh - shipped)[:5]}, gone: {sorted(shipped - fresh)[:5]}"
    )
