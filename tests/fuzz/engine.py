"""Generated hostile inputs of every kind, each run through the real command line.

:func:`generate` makes cases of seven kinds from a seeded random stream:

- ``scenario``: scenario files (mutated built-ins: hostile or perturbed
  numbers, wrong types, missing and unknown keys; damaged text: truncation,
  stray bytes, other encodings, tabs, deep nesting, aliases, huge integers,
  YAML tags; random bytes), run with ``run FILE --check`` or flown briefly;
- ``set``: ``--set`` overrides of real and mangled field paths with hostile
  values, and hostile ``--seed``;
- ``problem``: guidance problem files (mutated built-ins, damaged text) and
  hostile ``--nodes`` / ``--tf``, solved with ``guidance solve --json``;
- ``image``: PNG and TIFF pairs for ``imagery detect`` (8/16-bit, float,
  colour, GeoTIFF tags and surefoot metadata with hostile values, NaN pixels,
  truncation, bit flips, headers declaring huge sizes, random bytes) with
  hostile ``--pixel-scale``, ``--target-px``, ``--threshold``;
- ``campaign``: damaged copies of a real campaign folder (manifest fields,
  JSON text, part files truncated, flipped, duplicated, renamed, removed,
  junk files) for ``campaign report``, ``campaign rerun`` and resuming;
- ``output``: hostile output paths for ``run --out``, ``campaign report
  --out``, ``imagery detect --out`` and ``guidance solve --plot``;
- ``flags``: hostile campaign and imagery flags.

:func:`run_case` runs one case in this process (``main(argv)`` with its
output captured and an alarm as the time limit) or in a subprocess with a
timeout, and classifies it: ``exit2`` (exactly one stderr line starting with
``surefoot: error:``), ``exit0`` / ``exit1`` with sane output (finite
numbers in every JSON and summary written, the accepted input finite and in
range when loaded again), or a failure: ``traceback``, ``hang``,
``multiline`` (an error that is not one line, or stray stderr text),
``nonfinite`` (a non-finite or out-of-range value accepted or written) or
``unexpected`` (an exit status the command does not document).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import random
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
import traceback
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

KINDS = ("scenario", "set", "problem", "image", "campaign", "output", "flags")
FAILURES = ("traceback", "hang", "multiline", "nonfinite", "unexpected")
SUREFOOT = [sys.executable, "-c", "import sys; from surefoot.cli import main; sys.exit(main())"]
BIG_INT = "9" * 5000
BIG = "__BIG_INT__"  # placeholder in dumped YAML for BIG_INT (too long for repr)


@dataclass
class Case:
    """One generated input: the command line, what it may do, where it writes."""

    kind: str
    argv: list[str]
    label: str
    flies: bool = False  # may fly a landing or a campaign (longer time limit)
    subprocess: bool = False  # must run in a child (a FIFO, a device, a sample)
    outputs: list[Path] = field(default_factory=list)  # JSON / summary files to check
    json_stdout: bool = False  # stdout is one JSON object when the exit is 0 or 1
    allowed_exits: tuple[int, ...] = (0, 2)
    reload: Any = None  # callable giving the accepted input again, to check its numbers


@dataclass
class Result:
    case: Case
    outcome: str  # exit0, exit1, exit2 or a failure of FAILURES
    detail: str = ""
    seconds: float = 0.0


# --- hostile values ----------------------------------------------------------------

HOSTILE_OBJECTS: list[Any] = [
    math.nan, math.inf, -math.inf, 1e308, -1e308, 1e300, 1e-300, -1e-300, 5e-324, 0.0, -0.0,
    -1.0, 1e15, 2e15, 1e16, -1, 0, 2**63, 2**64, -(2**63), BIG, True, False, None, "", "x",
    "[/]", "\x1b]8;;http://x\x07hi\x1b[31m", "1e3", "nan", "../../x", [], {}, [1, 2, 3],
    [math.nan, 0.0, 0.0], [1e308, 1e308, 1e308], [0.0] * 7, {"a": 1}, "a" * 5000,
]
HOSTILE_TEXTS = [
    ".nan", ".NaN", ".inf", "-.inf", "1e308", "-1e308", "1e-300", "5e-324", "0", "-0.0",
    "-1", "1e15", "1e16", BIG_INT, "0x1F", "0o17", "1_000", "+.5", "~", "null", "true", "[]",
    "{}", "[1, 2]", "[.nan, 0, 0]", "{a: 1}", "&a [*a]", "!!python/name:os.system",
    "!!binary aGk=", "2001-12-14", "'[/]'", "\"\\e[31mred\"", "[" * 200, "a: b: c", "=",
    "- 1", "'" + "x" * 3000 + "'", "1e999", "-1e999", "NaN", "inf", "Infinity",
]


def _perturb(rng: random.Random, v: Any) -> Any:
    """A plausible but maybe out-of-range neighbour of ``v`` (keeps the type)."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return int(v * rng.choice([0, -1, 2, 3, 10, 0.5])) + rng.choice([0, 1, -1])
    if isinstance(v, float):
        return v * rng.choice([0.0, -1.0, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3, 1e-3, 1e6])
    return v


def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    out: list[tuple] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append(path + (k,))
            out += _leaves(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append(path + (i,))
            out += _leaves(v, path + (i,))
    return out


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def _mutate_mapping(rng: random.Random, data: dict, n: int, gentle: bool = False) -> dict:
    """``n`` structural or value mutations of a raw YAML mapping; ``gentle``: only
    numbers scaled by 0.5 to 2 (often valid, so cross-field checks and flights run)."""
    data = copy.deepcopy(data)
    if gentle:
        numbers = [p for p in _leaves(data) if isinstance(_get(data, p), float)]
        for path in rng.sample(numbers, min(n, len(numbers))):
            parent = _get(data, path[:-1])
            parent[path[-1]] *= rng.uniform(0.5, 2.0)
        return data
    for _ in range(n):
        paths = _leaves(data)
        if not paths:
            data["x"] = rng.choice(HOSTILE_OBJECTS)
            continue
        path = rng.choice(paths)
        parent = _get(data, path[:-1])
        key = path[-1]
        op = rng.random()
        if op < 0.45:
            parent[key] = _perturb(rng, parent[key])
        elif op < 0.8:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE_OBJECTS))
        elif op < 0.88 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.94 and isinstance(parent, dict):
            parent[rng.choice(["extra", "Seed", "dt", key + "_x", "\u00e9t\u00e9"])] = 1.0
        else:
            parent[key] = [parent[key]] if rng.random() < 0.5 else {"value": parent[key]}
    return data


def _dump(data: Any) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096)
    return text.replace(f"'{BIG}'", BIG_INT).replace(BIG, BIG_INT)


_SNIPPETS = [
    "a: " + "[" * 300 + "]" * 300 + "\n",
    "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,"
    "*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "description: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
    f"seed: {BIG_INT}\n",
    "seed: !!python/object/apply:os.system ['true']\n",
    "? [1, 2]\n: x\n",
    "<<: {name: merged}\n",
    "---\nname: a\n---\nname: b\n",
    "name: x\nname: y\n",
    "vehicle: !!binary aGVsbG8=\n",
    "sim: {dt_s: 2001-12-14}\n",
    "\t- x\n",
    "%YAML 9.9\n---\nname: x\n",
    "name: '" + "\u202e" * 50 + "'\n",
    "description: " + "x" * 20000 + "\n",
]


def _damage_text(rng: random.Random, text: str) -> bytes:
    """Text-level damage: truncation, stray bytes, encodings, tabs, snippets."""
    op = rng.randrange(10)
    raw = text.encode("utf-8")
    if op == 0:
        return raw[: rng.randrange(len(raw) + 1)]
    if op == 1:
        b = bytearray(raw)
        for _ in range(rng.randint(1, 5)):
            b.insert(rng.randrange(len(b) + 1), rng.randrange(256))
        return bytes(b)
    if op == 2:
        return text.encode(rng.choice(["utf-16", "utf-32", "utf-16-be"]))
    if op == 3:
        return ("name: caf\u00e9 \u00e7a\n" + text).encode("latin-1", "replace")
    if op == 4:
        return b"\xef\xbb\xbf" + raw
    if op == 5:
        return text.replace("  ", "\t").encode()
    if op == 6:
        lines = text.splitlines(keepends=True)
        i = rng.randrange(len(lines) + 1)
        return "".join(lines[:i] + [rng.choice(_SNIPPETS)] + lines[i:]).encode()
    if op == 7:
        return rng.choice(_SNIPPETS).encode()
    if op == 8:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    return (text + rng.choice(_SNIPPETS)).encode()


# --- the cases -------------------------------------------------------------------------


class Generator:
    """Seeded generator of cases; files go under ``root``."""

    def __init__(self, root: Path, seed: int, max_flights: int) -> None:
        from surefoot.config.guidance_problem import builtin_guidance_problems
        from surefoot.config.loader import builtin_scenarios

        self.root = Path(root)
        self.rng = random.Random(seed)
        self.max_flights = max_flights
        self.flights = 0
        self.n = 0
        self.scenarios = {
            k: yaml.safe_load(p.read_text()) or {} for k, p in builtin_scenarios().items()
        }
        self.problems = {
            k: yaml.safe_load(p.read_text()) for k, p in builtin_guidance_problems().items()
        }
        self._paths = self._scenario_paths()
        self.run_template: Path | None = None

    def _dir(self) -> Path:
        self.n += 1
        d = self.root / f"c{self.n:05d}"
        d.mkdir(parents=True)
        return d

    def _fly(self, share: float) -> bool:
        if self.flights < self.max_flights and self.rng.random() < share:
            self.flights += 1
            return True
        return False

    def _scenario_paths(self) -> list[str]:
        from surefoot.config.schema import Scenario

        out: list[str] = []

        def walk(d: Any, prefix: str) -> None:
            if isinstance(d, dict):
                for k, v in d.items():
                    walk(v, f"{prefix}{k}.")
            elif isinstance(d, list | tuple) and d and not isinstance(d[0], dict):
                out.append(prefix[:-1])
                for i in range(len(d)):
                    out.append(f"{prefix}{i}")
            else:
                out.append(prefix[:-1])

        walk(Scenario().model_dump(mode="json"), "")
        return out

    # scenario files
    def scenario(self) -> Case:
        rng = self.rng
        d = self._dir()
        name = rng.choice(sorted(self.scenarios))
        data = _mutate_mapping(rng, self.scenarios[name], rng.choice([1, 1, 2, 3, 6]),
                               gentle=rng.random() < 0.3)
        text = _dump(data)
        r = rng.random()
        raw = text.encode() if r < 0.55 else _damage_text(rng, text)
        f = d / rng.choice(["s.yaml", "s.yml", "scenario"])
        f.write_bytes(raw)
        out = d / "out"
        if self._fly(0.06):
            argv = ["run", str(f), "--out", str(out), "--no-figure",
                    "--set", f"sim.max_time_s={rng.choice([2, 5, 20, 60])}"]
            return Case("scenario", argv, f"flown {name}", flies=True,
                        outputs=[out / "summary.json"],
                        reload=lambda: _load_scenario(str(f), argv[-1:]))
        return Case("scenario", ["run", str(f), "--check", "--out", str(out)],
                    f"mutated {name}", reload=lambda: _load_scenario(str(f), []))

    # --set overrides
    def set_(self) -> Case:
        rng = self.rng
        d = self._dir()
        base = rng.choice(sorted(self.scenarios))
        sets = []
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            if rng.random() < 0.85:
                key = rng.choice(self._paths)
            else:
                key = rng.choice(["", "a..b", ".x", "x.", "vehicle", "moon.gm_m3_s2.x",
                                  "n" * 300, "vehicle.dry_mass_kg.0", "fsw.vehicle.isp",
                                  "\x1b[31m", "dispersions.fields.x.dist", "[/]"])
            if rng.random() < 0.5:
                value = rng.choice(HOSTILE_TEXTS)
            else:
                value = repr(_perturb(rng, rng.choice([1.0, 0.05, 10.0, 1600.0, 3, 340.0])))
            sets.append(f"{key}={value}" if rng.random() > 0.03 else key)
        argv = ["run", base]
        for s in sets:
            argv += ["--set", s]
        if rng.random() < 0.1:
            argv += ["--seed", rng.choice(["-1", "2", str(2**63), str(2**64), "x", "1e3",
                                           BIG_INT])]
        out = d / "out"
        if self._fly(0.05):
            argv += ["--out", str(out), "--no-figure", "--set",
                     f"sim.max_time_s={rng.choice([2, 10, 40])}"]
            return Case("set", argv, f"flown {base}", flies=True, outputs=[out / "summary.json"],
                        reload=lambda: _load_scenario(base, _sets_of(argv)))
        argv += ["--check", "--out", str(out)]
        return Case("set", argv, f"--set on {base}",
                    reload=lambda: _load_scenario(base, _sets_of(argv)))

    # guidance problem files
    def problem(self) -> Case:
        rng = self.rng
        d = self._dir()
        name = rng.choice(sorted(self.problems))
        data = _mutate_mapping(rng, self.problems[name], rng.choice([1, 1, 2, 4]),
                               gentle=rng.random() < 0.3)
        sol = data.get("solver") if isinstance(data, dict) else None
        if isinstance(sol, dict):  # keep most solves short on a shared machine
            if isinstance(sol.get("nodes"), int) and sol["nodes"] > 60 and rng.random() < 0.8:
                sol["nodes"] = 30
            if isinstance(sol.get("grid_points"), int) and sol["grid_points"] > 24:
                sol["grid_points"] = 12
        text = _dump(data)
        raw = text.encode() if rng.random() < 0.65 else _damage_text(rng, text)
        f = d / "p.yaml"
        f.write_bytes(raw)
        argv = ["guidance", "solve", str(f), "--json"]
        if rng.random() < 0.25:
            flag = rng.choice(["--nodes", "--tf", "--objective"])
            val = {"--nodes": rng.choice(["0", "4", "5", "501", "-3", "x", BIG_INT, "10"]),
                   "--tf": rng.choice(["nan", "inf", "-1", "0", "1e-300", "1e308", "0.1", "40",
                                       "1e5"]),
                   "--objective": rng.choice(["min_fuel", "x", ""])}[flag]
            argv += [flag, val]
        return Case("guidance", argv, f"problem from {name}", flies=True, json_stdout=True,
                    allowed_exits=(0, 1, 2), reload=lambda: _load_problem(f, argv))

    # a flown run's folder for ``imagery render``
    def run_folder(self, template: Path) -> Case:
        rng = self.rng
        d = self._dir()
        run = d / "run"
        run.mkdir()
        summary = json.loads((template / "summary.json").read_text())
        shutil.copy(template / "terrain_site.npz", run / "terrain_site.npz")
        note = []
        op = rng.randrange(4)
        if op in (0, 3):
            keys = ["outcome", "touchdown_east_m", "touchdown_north_m", "scenario",
                    "touchdown_vertical_speed_m_s", "impact_angle_deg", "touchdown_mass_kg"]
            for k in rng.sample(keys, rng.randint(1, 3)):
                summary[k] = copy.deepcopy(rng.choice(HOSTILE_OBJECTS + ["crashed", "safe"]))
            note.append("summary fields")
        text = json.dumps(summary, allow_nan=True).replace(f'"{BIG}"', BIG_INT)
        (run / "summary.json").write_bytes(
            _damage_text(rng, text) if rng.random() < 0.15 else text.encode())
        if op in (1, 3):
            with np.load(template / "terrain_site.npz") as z:
                arrays = {k: z[k] for k in z.files}
            key = rng.choice(sorted(arrays))
            arrays[key] = rng.choice([
                np.array(math.nan), np.array(-1.0), np.array(0.0), np.array(1e308),
                np.zeros((0, 0)), np.ones((1, 1)), np.full((801, 801), math.nan),
                np.array(["x"]), np.ones((3, 3, 3)), np.array(math.inf), np.ones(5),
            ])
            if rng.random() < 0.2:
                del arrays[key]
            np.savez(run / "terrain_site.npz", **arrays)
            note.append(f"npz {key}")
        if op == 2:
            f = run / "terrain_site.npz"
            raw = bytearray(f.read_bytes())
            if rng.random() < 0.5:
                raw = raw[: rng.randrange(len(raw))]
            else:
                for _ in range(rng.randint(1, 6)):
                    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
            f.write_bytes(bytes(raw))
            note.append("npz bytes")
        out = d / "img"
        argv = ["imagery", "render", str(run), "--out", str(out), "--no-figure",
                "--size", rng.choice(["60", "100", "150"])]
        if rng.random() < 0.2:
            argv += ["--geotiff"]
        if rng.random() < 0.2:
            argv += [rng.choice(["--sun-elevation", "--emission", "--pointing-error"]),
                     rng.choice(["0", "45", "89", "90", "nan", "-1", "1e308", "70.1"])]
        return Case("image", argv, "render: " + ", ".join(note), flies=True,
                    outputs=[out / "detection.json"])

    # images
    def image(self) -> Case:
        rng = self.rng
        if self.run_template is not None and rng.random() < 0.2:
            return self.run_folder(self.run_template)
        d = self._dir()
        n = rng.choice([32, 32, 48, 64, 16, 15, 1])
        shape = (n, n) if rng.random() < 0.9 else (n, rng.choice([n + 1, 2 * n]))
        kind = rng.choice(["png8", "png16", "pngrgb", "pngpal", "tif8", "tif16", "tiff32",
                           "tifrgb", "geotiff"])
        meta = None
        if rng.random() < 0.2:
            meta = {"synthetic": True, "pixel_m": 1.0, "x0_m": -10.0, "y0_m": 5.0}
        elif rng.random() < 0.3:
            meta = {"pixel_m": rng.choice([1.0, 0.5, 0.0, -1.0, math.nan, math.inf, 1e308,
                                           "x", None, [1], 1e-7]),
                    "x0_m": rng.choice([0.0, math.nan, 1e12, -5.0, "y"]),
                    "y0_m": rng.choice([0.0, -math.inf, 3.0]),
                    "meta": rng.choice([{}, {"synthetic": True}, [],
                                        {"value_per_count": rng.choice(
                                            [1.0, 0.0, math.nan, "z", 1e13, -2.0]),
                                         "value_offset": rng.choice([0.0, math.inf, 5.0])}])}
        base_img = np.random.default_rng(rng.randrange(2**32)).normal(100, 10, shape)
        after = base_img.copy()
        if n >= 16:
            after[n // 3: n // 3 + 4, n // 2: n // 2 + 4] += 80
        if kind == "tiff32" and rng.random() < 0.3:
            after[0, 0] = rng.choice([math.nan, math.inf, -math.inf, 1e308])
        files = []
        for label, arr in (("before", base_img), ("after", after)):
            raw = _encode_image(rng, kind, arr, meta)
            if rng.random() < 0.2:
                raw = _damage_image(rng, raw)
            f = d / f"{label}.{rng.choice(['png', 'tif', 'tiff', 'dat'])}"
            f.write_bytes(raw)
            files.append(f)
        if rng.random() < 0.03:
            files[rng.randrange(2)] = rng.choice([d, d / "missing.png", Path("/dev/zero")])
        argv = ["imagery", "detect", str(files[0]), str(files[1])]
        if rng.random() < 0.7:  # most cases valid, so the detection itself runs
            argv += ["--pixel-scale", rng.choice(["1", "0.5", "2", "1", "0.5", "2", "0", "-1",
                                                  "nan", "inf", "1e-300", "1e308", "x"])]
        if rng.random() < 0.2:
            argv += ["--target-px", rng.choice(["5", "nan", "1e308", "-3"]),
                     rng.choice(["5", "inf", "0"])]
        elif rng.random() < 0.1:
            argv += ["--target-m", rng.choice(["0", "nan", "1e10"]), "0"]
        if rng.random() < 0.15:
            argv += ["--threshold", rng.choice(["3", "3.1", "nan", "1e308", "-5", "50"])]
        outputs = []
        if rng.random() < 0.5:
            out = d / "det.json"
            argv += ["--out", str(out)]
            outputs.append(out)
        return Case("image", argv, kind, outputs=outputs,
                    subprocess="/dev/zero" in argv)

    # campaign folders
    def campaign(self, template: Path) -> Case:
        rng = self.rng
        d = self._dir()
        root = d / "camp"
        shutil.copytree(template, root)
        manifest_path = root / "campaign.json"
        ops = rng.sample(range(10), rng.choice([1, 1, 2, 3]))
        note = []
        for op in ops:
            parts = sorted(p for p in (root / "results").glob("part-*.parquet") if p.is_file())
            if op in (0, 1, 2):  # a manifest field
                try:
                    m = json.loads(manifest_path.read_bytes())
                except (ValueError, OSError):  # already damaged as text or removed
                    continue
                m = _mutate_mapping(rng, m, rng.choice([1, 2]))
                text = json.dumps(m, allow_nan=True).replace(f'"{BIG}"', BIG_INT)
                manifest_path.write_text(text)
                note.append("manifest field")
            elif op == 3 and manifest_path.is_file():  # manifest text
                text = manifest_path.read_bytes().decode("utf-8", "replace")
                manifest_path.write_bytes(_damage_text(rng, text))
                note.append("manifest text")
            elif op == 4 and parts:  # truncate a part
                p = rng.choice(parts)
                raw = p.read_bytes()
                p.write_bytes(raw[: rng.randrange(len(raw))])
                note.append("part truncated")
            elif op == 5 and parts:  # flip bytes in a part
                p = rng.choice(parts)
                raw = bytearray(p.read_bytes())
                for _ in range(rng.randint(1, 4)):
                    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
                p.write_bytes(bytes(raw))
                note.append("part bit flip")
            elif op == 6 and parts:  # duplicate a part under another name
                p = rng.choice(parts)
                shutil.copy(p, p.with_name("part-999999999-copy.parquet"))
                note.append("part duplicated")
            elif op == 7 and parts:  # remove a part (the campaign resumes it)
                rng.choice(parts).unlink(missing_ok=True)
                note.append("part removed")
            elif op == 8:  # junk: a folder, a temporary, a non-Parquet part, a FIFO
                junk = rng.choice(["folder", "tmp", "text", "manifest-dir"])
                if junk == "folder":
                    (root / "results" / "part-000000000-dir.parquet").mkdir()
                elif junk == "tmp":
                    (root / "results" / ".part-x.tmp").write_bytes(b"x")
                elif junk == "text":
                    (root / "results" / "part-000000001-txt.parquet").write_text("hello")
                elif manifest_path.is_file():
                    manifest_path.unlink()
                    manifest_path.mkdir()
                note.append(f"junk {junk}")
            else:  # a report summary file damaged (a previous report.html)
                (root / "report.html").write_bytes(bytes(rng.randrange(256) for _ in range(64)))
                note.append("old report")
        what = rng.random()
        if what < 0.8 or not self._fly(1.0):
            argv = ["campaign", "report", str(root)]
            outputs: list[Path] = []
            label = "report"
        elif rng.random() < 0.5:
            argv = ["campaign", "rerun", str(root), rng.choice(["0", "1", "3", "-1", "99", "x"]),
                    "--no-figure", "--out", str(d / "rerun")]
            outputs = [d / "rerun" / "summary.json"]
            label = "rerun"
        else:
            argv = ["campaign", TEMPLATE_SCENARIO, "--out", str(root), "--workers", "1",
                    *TEMPLATE_SETS]
            if rng.random() < 0.5:
                argv += ["--runs", str(rng.choice([TEMPLATE_RUNS, TEMPLATE_RUNS + 1]))]
            outputs = []
            label = "resume"
        return Case("campaign", argv, f"{label}: {', '.join(note)}", flies=label != "report",
                    outputs=outputs, allowed_exits=(0, 1, 2) if label == "rerun" else (0, 2))

    # output paths
    def output(self, template: Path, image: Path) -> Case:
        rng = self.rng
        d = self._dir()
        existing = d / "file.txt"
        existing.write_text("keep")
        ro = d / "ro"
        ro.mkdir()
        os.chmod(ro, 0o555)
        link = d / "link"
        link.symlink_to(rng.choice([existing, d / "dangling", d]))
        target = rng.choice([
            existing, existing / "sub", d, d / "new", d / "a" / "b" / "c", Path("/dev/null"),
            Path("/dev/zero"), d / "a\x00b", d / ("n" * 300), d / ("\u00e9" * 130), link,
            ro / "x", d / "trailing/", Path(""), Path("."), d / "x\ny", d / "[/]",
            d / "\x1b[31mred", Path("/proc/version"), Path("/nonexistent-root-dir/x/y"), d / " ",
        ])
        which = rng.choice(["run", "report", "detect", "plot"])
        text = str(target) + ("/" if str(target).endswith("trailing") else "")
        if which == "run":
            argv = ["run", "default", "--check", "--out", text]
            return Case("output", argv, f"run --out {target.name!r}")
        if which == "report":
            root = d / "camp"
            shutil.copytree(template, root)
            suffix = rng.choice([".html", ".htm", "", ".HTML", ".json"])
            return Case("output", ["campaign", "report", str(root), "--out", text + suffix],
                        f"report --out {target.name!r}{suffix}")
        if which == "detect":
            suffix = rng.choice([".json", "", ".JSON"])
            out = Path(text + suffix) if text else Path("")
            return Case("output", ["imagery", "detect", str(image), str(image), "--pixel-scale",
                                   "1", "--out", text + suffix],
                        f"detect --out {target.name!r}{suffix}",
                        outputs=[out] if text and out.suffix == ".json" else [])
        suffix = rng.choice([".png", ".svg", ".pdf", ".xyz", ""])
        return Case("output", ["guidance", "solve", "lunar_high_gate", "--json", "--plot",
                               text + suffix], f"--plot {target.name!r}{suffix}", flies=True,
                    json_stdout=True, allowed_exits=(0, 1, 2))

    # flags
    def flags(self) -> Case:
        rng = self.rng
        d = self._dir()
        if rng.random() < 0.7:
            argv = ["campaign", rng.choice(["default-dispersed", "default", "nope",
                                            str(d / "missing.yaml")]), "--out", str(d / "c")]
            for flag, values in (
                ("--runs", ["0", "-1", "x", "1e3", str(10**12), BIG_INT, "", " 2"]),
                ("--workers", ["0", "-2", "5000", "x"]),
                ("--batch-size", ["0", "-1", "x", str(2**70)]),
                ("--seed", ["-1", str(2**63), "x", ""]),
                ("--dask", ["", "ucx://1.2.3.4:1", "tls://a:1", "host", "a:0", "a:70000",
                            "tcp://[::1", "\x1b[31m:1"]),
            ):
                if rng.random() < 0.5:
                    argv += [flag, rng.choice(values)]
            if "--runs" not in argv:
                argv += ["--runs", rng.choice(["0", "-5", "x"])]
            return Case("flags", argv, "campaign flags")
        argv = ["imagery", "render", str(d / rng.choice(["missing", ""]))]
        for flag in ("--sun-elevation", "--emission", "--pixel-scale", "--size",
                     "--pointing-error", "--seed"):
            if rng.random() < 0.4:
                argv += [flag, rng.choice(["nan", "inf", "-1", "0", "1e308", "x", "95"])]
        return Case("flags", argv, "imagery render flags")


TEMPLATE_SCENARIO = "default-dispersed"
TEMPLATE_SETS = ["--set", "sim.max_time_s=30"]
TEMPLATE_RUNS = 6


def make_template_campaign(root: Path) -> Path:
    """A small real campaign folder (6 short runs in 3 parts) to damage."""
    from surefoot.cli import main

    out = root / "template"
    argv = ["campaign", TEMPLATE_SCENARIO, "--runs", str(TEMPLATE_RUNS), "--workers", "1",
            "--batch-size", "2", "--out", str(out), *TEMPLATE_SETS]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = main(argv)
    assert rc == 0, f"template campaign failed ({rc})"
    return out


def make_template_run(root: Path) -> Path:
    """A flown run's folder (summary and site terrain) to damage for ``imagery render``."""
    from surefoot.cli import main

    out = root / "template-run"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["run", "default", "--out", str(out), "--no-figure"])
    assert rc == 0, f"template run failed ({rc})"
    return out


def make_template_image(root: Path) -> Path:
    from PIL import Image

    f = root / "template.png"
    arr = np.random.default_rng(0).normal(120, 10, (32, 32)).clip(0, 255).astype(np.uint8)
    Image.fromarray(arr).save(f)
    return f


def _encode_image(rng: random.Random, kind: str, arr: np.ndarray, meta: dict | None) -> bytes:
    import tifffile
    from PIL import Image, PngImagePlugin

    buf = io.BytesIO()
    text = json.dumps(meta, allow_nan=True) if meta is not None else None
    if kind.startswith("png"):
        info = PngImagePlugin.PngInfo()
        if text is not None:
            info.add_text("surefoot", text)
        if kind == "png8":
            im = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
        elif kind == "png16":
            im = Image.fromarray((arr * 100).clip(0, 65535).astype(np.uint16))
        elif kind == "pngrgb":
            a = arr.clip(0, 255).astype(np.uint8)
            im = Image.fromarray(np.stack([a, a, a], -1))
        else:
            im = Image.fromarray(arr.clip(0, 255).astype(np.uint8)).convert("P")
        im.save(buf, format="PNG", pnginfo=info)
        return buf.getvalue()
    extratags = []
    if kind == "geotiff":
        p = rng.choice([1.0, 0.5, 0.0, -1.0, math.nan, math.inf, 1e308])
        q = p if rng.random() < 0.8 else 2.0
        extratags = [(33550, "d", 3, (p, q, 0.0), True),
                     (33922, "d", 6, (0.0, 0.0, 0.0, rng.choice([0.0, math.nan, 1e308]),
                                      rng.choice([10.0, -math.inf]), 0.0), True)]
        if rng.random() < 0.3:
            extratags.append((34735, "H", 8, (1, 1, 0, 1, 1025, 0, 1, rng.choice([1, 2])),
                              True))
    if kind == "tif8":
        data = arr.clip(0, 255).astype(np.uint8)
    elif kind == "tif16":
        data = (arr * 100).clip(0, 65535).astype(np.uint16)
    elif kind == "tifrgb":
        a = arr.clip(0, 255).astype(np.uint8)
        data = np.stack([a, a, a], -1)
    elif kind == "tiff32":
        with np.errstate(over="ignore"):  # 1e308 becomes inf in float32: hostile too
            data = arr.astype(np.float32) if rng.random() < 0.5 else arr.astype(np.float64)
    else:
        data = arr.clip(0, 65535).astype(np.uint16)
    kwargs: dict[str, Any] = {}
    if rng.random() < 0.3:
        kwargs["compression"] = "zlib"
    if rng.random() < 0.1 and data.ndim == 2:
        data = np.stack([data, data])  # two pages / a 3-D stack
    tifffile.imwrite(buf, data, description=text, extratags=extratags,
                     byteorder=rng.choice(["<", ">"]), **kwargs)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _damage_image(rng: random.Random, raw: bytes) -> bytes:
    op = rng.randrange(6)
    b = bytearray(raw)
    if op == 0:
        return bytes(b[: rng.randrange(len(b))])
    if op == 1:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if op == 2 and raw.startswith(b"\x89PNG"):  # a header declaring a huge image
        w, h = rng.choice([(100_000, 100_000), (2**31 - 1, 1), (0, 0), (7000, 7000), (1, 2**30)])
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + bytes(b[33:])
    if op == 2:  # TIFF: overwrite the width and length tags
        import tifffile

        with tifffile.TiffFile(io.BytesIO(raw)) as t:
            tags = t.pages[0].tags
            offsets = [tags[k].valueoffset for k in ("ImageWidth", "ImageLength") if k in tags]
            big = t.byteorder == ">"
        for off in offsets:
            size = rng.choice([200_000, 0, 65535])
            b[off: off + 2] = size.to_bytes(4, "big" if big else "little")[-2:] if big \
                else size.to_bytes(4, "little")[:2]
        return bytes(b)
    if op == 3:
        return b""
    if op == 4:
        return bytes(b[:8]) + bytes(rng.randrange(256) for _ in range(200))
    return bytes(b) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 1000)))


def _load_scenario(name: str, sets: list[str]) -> Any:
    from surefoot.config.loader import load_scenario

    return load_scenario(name, sets)


def _sets_of(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--set"]


def _load_problem(path: Path, argv: list[str]) -> Any:
    from surefoot.config.guidance_problem import load_guidance_problem

    return load_guidance_problem(path)


def generate(root: Path, counts: dict[str, int], seed: int = 0,
             max_flights: int = 40, subprocess_every: int = 0) -> list[Case]:
    """Cases of every kind, ``counts[kind]`` of each, interleaved; every
    ``subprocess_every``-th case (0: none) also runs in a child."""
    gen = Generator(root, seed, max_flights)
    template = make_template_campaign(root) if counts.get("campaign") or counts.get("output") \
        else None
    image = make_template_image(root)
    if counts.get("image"):
        gen.run_template = make_template_run(root)
    makers = {
        "scenario": gen.scenario, "set": gen.set_, "problem": gen.problem, "image": gen.image,
        "campaign": lambda: gen.campaign(template), "output": lambda: gen.output(template, image),
        "flags": gen.flags,
    }
    order = [k for k in KINDS for _ in range(counts.get(k, 0))]
    gen.rng.shuffle(order)
    cases = []
    for i, kind in enumerate(order):
        c = makers[kind]()
        c.kind = kind
        if subprocess_every and i % subprocess_every == subprocess_every - 1:
            c.subprocess = True
        cases.append(c)
    cases += _special_files(root)
    return cases


def _special_files(root: Path) -> list[Case]:
    """FIFOs and devices as inputs: run in a child, where a hang is killed."""
    fifo = root / "fifo.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    return [
        Case("scenario", ["run", str(fifo), "--check"], "fifo", subprocess=True),
        Case("scenario", ["run", "/dev/zero", "--check"], "/dev/zero", subprocess=True),
        Case("problem", ["guidance", "solve", str(fifo)], "fifo", subprocess=True),
        Case("image", ["imagery", "detect", str(fifo), str(fifo)], "fifo", subprocess=True),
        Case("campaign", ["campaign", "report", str(root)], "not a campaign", subprocess=True),
    ]


# --- running and judging -------------------------------------------------------------


class _Timeout(BaseException):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def run_case(case: Case, timeout_s: float) -> Result:
    """Run ``case`` (in this process unless ``case.subprocess``) and judge it."""
    t0 = time.perf_counter()
    if case.subprocess:
        res = _run_child(case, timeout_s)
    else:
        res = _run_here(case, timeout_s)
    res.seconds = time.perf_counter() - t0
    return res


def _run_here(case: Case, timeout_s: float) -> Result:
    from surefoot.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    shown: list[warnings.WarningMessage] = []
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as shown:
            # every warning recorded: pytest (or an earlier case) would hide the ones a
            # real process prints on stderr
            warnings.simplefilter("always")
            try:
                rc = main(list(case.argv))
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except _Timeout:
        return Result(case, "hang", f"over {timeout_s:g} s")
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a finding
        tb = traceback.format_exception(exc)
        return Result(case, "traceback", "".join(tb[-3:]).strip()[-600:])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    printed = [w for w in shown if not issubclass(w.category, _HIDDEN_BY_DEFAULT)]
    text = "".join(f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n"
                   for w in printed)
    return judge(case, int(rc), out.getvalue(), text + err.getvalue())


# warning categories Python's default filters do not print outside __main__
_HIDDEN_BY_DEFAULT = (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                      ResourceWarning)


def _run_child(case: Case, timeout_s: float) -> Result:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    try:
        proc = subprocess.run(SUREFOOT + case.argv, capture_output=True, timeout=timeout_s,
                              env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Result(case, "hang", f"child over {timeout_s:g} s")
    err = proc.stderr.decode("utf-8", "replace")
    if "Traceback (most recent call last)" in err:
        return Result(case, "traceback", err.strip()[-600:])
    return judge(case, proc.returncode, proc.stdout.decode("utf-8", "replace"), err)


def _strict_json(text: str) -> Any:
    def bad(token: str) -> None:
        raise ValueError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=bad)


def _finite_numbers(value: Any, where: str) -> str | None:
    """The path of the first non-finite or absurd number in ``value``, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) and abs(value) <= 1e15 else f"{where}={value!r}"
    if isinstance(value, int):
        return None if abs(value) < 2**64 else f"{where}=<huge int>"
    if isinstance(value, dict):
        for k, v in value.items():
            bad = _finite_numbers(v, f"{where}.{k}")
            if bad:
                return bad
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            bad = _finite_numbers(v, f"{where}.{i}")
            if bad:
                return bad
    return None


def judge(case: Case, rc: int, out: str, err: str) -> Result:
    """Classify a finished case (module docstring)."""
    lines = err.splitlines()
    warnings = [ln for ln in lines if ln.startswith("surefoot: warning: ")]
    other = [ln for ln in lines if not ln.startswith("surefoot: warning: ")]
    if rc == 2:
        if len(lines) != 1 or not lines[0].startswith("surefoot: error: "):
            return Result(case, "multiline", err[-600:])
        if "\x1b" in err or "\x07" in err:
            return Result(case, "multiline", "escape characters in the error: " + repr(err))
        return Result(case, "exit2", lines[0])
    if rc not in case.allowed_exits:
        return Result(case, "unexpected", f"exit {rc}: {err[-400:]}")
    if rc == 1:  # a documented failure: one line at most besides warnings
        other = [ln for ln in other if not ln.startswith("surefoot: no trajectory to plot")]
        if len(other) > 1 or (other and not other[0].startswith("surefoot: error: ")):
            return Result(case, "multiline", err[-600:])
    elif other:
        return Result(case, "multiline", "stray stderr on exit 0: " + err[-400:])
    if "\x1b" in out:
        return Result(case, "multiline", "escape characters on stdout")
    # sane output: finite numbers everywhere, the accepted input finite and in range
    if case.json_stdout:
        try:
            bad = _finite_numbers(_strict_json(out.strip().splitlines()[-1]), "stdout")
        except (ValueError, IndexError) as exc:
            return Result(case, "nonfinite", f"stdout JSON: {exc}: {out[-200:]!r}")
        if bad:
            return Result(case, "nonfinite", bad)
    if rc == 0:
        for path in case.outputs:
            try:
                bad = _finite_numbers(_strict_json(Path(path).read_text()), path.name)
            except (OSError, ValueError) as exc:
                return Result(case, "nonfinite", f"{path.name}: {exc}")
            if bad:
                return Result(case, "nonfinite", bad)
        if case.reload is not None:
            try:
                model = case.reload()
            except Exception as exc:  # noqa: BLE001
                return Result(case, "unexpected", f"accepted by the CLI, refused on reload: {exc}")
            bad = _finite_numbers(model.model_dump(), "input")
            if bad:
                return Result(case, "nonfinite", bad)
    return Result(case, f"exit{rc}", (warnings[0] if warnings else ""))


def figures(results: list[Result]) -> str:
    """The printed figures: inputs per kind, outcomes, failures."""
    by_kind = Counter(r.case.kind for r in results)
    outcome = Counter(r.outcome for r in results)
    flown = sum(1 for r in results if r.case.flies and r.outcome in ("exit0", "exit1"))
    lines = [
        f"fuzz: {len(results)} generated inputs through the command line "
        f"({sum(r.case.subprocess for r in results)} in a child process), "
        f"{sum(r.seconds for r in results):.0f} s",
        "inputs per kind: " + ", ".join(f"{k} {by_kind[k]}" for k in KINDS if by_kind[k]),
        f"exit 0: {outcome['exit0']}   exit 1 (documented: infeasible or failed solve, "
        f"rerun differs): {outcome['exit1']}   exit 2 one line: {outcome['exit2']}   "
        f"(flown or solved and sane: {flown})",
        "per kind (exit 0 / 1 / 2): " + ", ".join(
            f"{k} {sum(1 for r in results if r.case.kind == k and r.outcome == 'exit0')}/"
            f"{sum(1 for r in results if r.case.kind == k and r.outcome == 'exit1')}/"
            f"{sum(1 for r in results if r.case.kind == k and r.outcome == 'exit2')}"
            for k in KINDS if by_kind[k]),
        f"exit 0 with a one-line thrust-to-weight or other warning: "
        f"{sum(1 for r in results if r.outcome == 'exit0' and r.detail)}",
        f"tracebacks: {outcome['traceback']}   hangs: {outcome['hang']}   "
        f"multi-line errors: {outcome['multiline']}   non-finite acceptances: "
        f"{outcome['nonfinite']}   unexpected exits: {outcome['unexpected']}",
    ]
    bad = [r for r in results if r.outcome in FAILURES]
    for r in bad[:30]:
        lines.append(f"  FAIL {r.outcome} [{r.case.kind}: {r.case.label}] "
                     f"{' '.join(repr(a) if ' ' in a else a for a in r.case.argv)[:300]}")
        lines.append("       " + r.detail.replace("\n", "\n       ")[-600:])
    return "\n".join(lines)


def run_all(cases: list[Case], timeout_s: float = 60.0, flight_timeout_s: float = 240.0,
            progress: Any = None) -> list[Result]:
    results = []
    for i, case in enumerate(cases):
        results.append(run_case(case, flight_timeout_s if case.flies else timeout_s))
        if progress is not None:
            progress(i, results[-1])
    return results


def restore_permissions(root: Path) -> None:
    """Make read-only folders made by the cases removable again."""
    for dirpath, dirnames, _ in os.walk(root):
        for dn in dirnames:
            p = Path(dirpath) / dn
            with contextlib.suppress(OSError):
                if not p.is_symlink():
                    os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR | stat.S_IXUSR)
