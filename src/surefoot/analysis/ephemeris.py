"""A flown run's trajectory as a CCSDS Orbit Ephemeris Message (OEM 2.0, KVN) or CSV,
and a strict reader of the OEM files written here.

Frames (:mod:`surefoot.math.frames`): telemetry holds the truth state in the
site's ENU frame, which is an exact function of the simulator's Moon-centred
states, so both Moon-centred frames are rebuilt to float precision:

- ``mci`` (default): the simulator's Moon-centred inertial frame, aligned with
  the Moon-fixed frame at scenario time t = 0 (the epoch). No registered CCSDS
  frame name matches it, so ``REF_FRAME = MCI`` with ``REF_FRAME_EPOCH`` set to
  that epoch and a COMMENT that defines it.
- ``mcmf``: the simulator's Moon-fixed frame (z along the spin axis, x at the
  prime meridian, uniform rotation), written as ``REF_FRAME = MOON_ME``, the
  registered frame that the site latitude and longitude are given in; a COMMENT
  says it is the simulator's model of that frame.

Epoch convention: a scenario has no calendar date, so scenario time t = 0 is
mapped to ``epoch`` (default 2000-01-01T12:00:00 TDB) and a state at time t is
dated ``epoch + t``, to the microsecond. The convention is written in a COMMENT.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from surefoot.analysis.run_folder import read_telemetry_columns
from surefoot.config.base import safe_text
from surefoot.config.loader import ConfigError, load_scenario
from surefoot.math.frames import enu_basis_mcmf

DEFAULT_EPOCH = "2000-01-01T12:00:00"
TIME_SYSTEM = "TDB"
FRAMES = ("mci", "mcmf")
REF_FRAME_NAME = {"mci": "MCI", "mcmf": "MOON_ME"}
_R_COLS = ("r_east", "r_north", "r_up")
_V_COLS = ("v_east", "v_north", "v_up")


@dataclass(frozen=True)
class RunStates:
    """A run's truth trajectory in one Moon-centred frame.

    ``t_s`` (n,) seconds since scenario start; ``r_m`` and ``v_m_s`` (n, 3) in
    metres and m/s in ``frame`` (``mci`` or ``mcmf``).
    """

    name: str
    seed: int
    frame: str
    t_s: np.ndarray
    r_m: np.ndarray
    v_m_s: np.ndarray


@dataclass(frozen=True)
class Oem:
    """What :func:`read_oem` finds: header and metadata keywords, comments, states.

    ``epochs`` are the epoch strings as written; ``r_km`` and ``v_km_s`` (n, 3).
    """

    header: dict[str, str]
    meta: dict[str, str]
    comments: list[str]
    epochs: list[str]
    r_km: np.ndarray
    v_km_s: np.ndarray


def parse_epoch(text: str, flag: str = "--epoch") -> datetime:
    """An ISO 8601 time without zone (``YYYY-MM-DDThh:mm:ss[.ffffff]``), else ConfigError."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?", text.strip())
    if m is None:
        raise ConfigError(
            f"{flag} '{safe_text(text, 60)}': not a time of the form YYYY-MM-DDThh:mm:ss[.ffffff]"
        )
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ConfigError(f"{flag} '{safe_text(text, 60)}': {exc}") from None


def format_epoch(t0: datetime, t_s: float) -> str:
    """``t0 + t_s`` as an OEM epoch string, to the microsecond (ConfigError past year 9999)."""
    try:
        when = t0 + timedelta(microseconds=round(t_s * 1e6))
    except OverflowError:
        raise ConfigError(
            f"--epoch {t0.strftime('%Y-%m-%dT%H:%M:%S')}: epoch + {t_s:g} s is past year 9999"
        ) from None
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")


def enu_to_moon_centred(
    t_s: np.ndarray,
    r_enu_m: np.ndarray,
    v_enu_m_s: np.ndarray,
    lat_rad: float,
    lon_rad: float,
    radius_ref_m: float,
    omega_rad_s: float,
    frame: str = "mci",
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (m) and velocities (m/s) in the Moon-centred ``frame`` from site ENU.

    ``r_enu_m`` (n, 3) has its origin on the reference sphere below the site;
    ``v_enu_m_s`` (n, 3) is relative to the rotating surface. The inverse of
    :func:`surefoot.world.site_frame.truth_enu`: MCMF first, then (``mci``)
    ``r_mci = Rz(omega t) r_mcmf`` and ``v_mci = Rz(omega t) v_rel + omega x r_mci``.
    """
    if frame not in FRAMES:
        raise ConfigError(f"--frame '{safe_text(frame, 20)}': use one of {', '.join(FRAMES)}")
    c_enu_mcmf = enu_basis_mcmf(lat_rad, lon_rad)
    r_site = np.asarray(r_enu_m, dtype=float) + np.array([0.0, 0.0, radius_ref_m])
    r_mcmf = r_site @ c_enu_mcmf
    v_rel_mcmf = np.asarray(v_enu_m_s, dtype=float) @ c_enu_mcmf
    if frame == "mcmf":
        return r_mcmf, v_rel_mcmf
    theta = omega_rad_s * np.asarray(t_s, dtype=float)
    c, s = np.cos(theta), np.sin(theta)

    def rot(a: np.ndarray) -> np.ndarray:
        return np.stack([c * a[:, 0] - s * a[:, 1], s * a[:, 0] + c * a[:, 1], a[:, 2]], axis=1)

    r_mci = rot(r_mcmf)
    v_mci = rot(v_rel_mcmf)
    v_mci[:, 0] -= omega_rad_s * r_mci[:, 1]
    v_mci[:, 1] += omega_rad_s * r_mci[:, 0]
    return r_mci, v_mci


def _column(table: dict[str, np.ndarray], name: str, path: Path) -> np.ndarray:
    for key in (name, f"{name}_m_s" if name.startswith("v_") else f"{name}_m", f"{name}_s"):
        if key in table:
            return table[key]
    raise ConfigError(f"'{safe_text(path)}': telemetry column '{name}' is missing")


@dataclass(frozen=True)
class LoadedRun:
    """A run folder's scenario, seed and telemetry columns (float64, by file column name),
    rows with a repeated time dropped (the first is kept)."""

    scenario: Any
    seed: int
    tel_path: Path
    columns: dict[str, np.ndarray]
    t_s: np.ndarray


def load_run(run_dir: str | Path) -> LoadedRun:
    """Read the run folder ``run_dir`` (``scenario.yaml``, ``telemetry.parquet``, optional
    ``summary.json``); ConfigError naming the file on bad input."""
    run = Path(run_dir)
    if not run.is_dir():
        raise ConfigError(f"RUN_DIR '{safe_text(run)}': not a folder")
    tel_path = run / "telemetry.parquet"
    scen_path = run / "scenario.yaml"
    for p in (tel_path, scen_path):
        if not p.is_file():
            raise ConfigError(f"RUN_DIR '{safe_text(run)}': '{p.name}' is missing")
    scenario = load_scenario(str(scen_path))
    cols = read_telemetry_columns(tel_path)
    t = _column(cols, "t", tel_path)
    if len(t) == 0:
        raise ConfigError(f"'{safe_text(tel_path)}': telemetry has no rows")
    if not np.all(np.isfinite(t)):
        raise ConfigError(f"'{safe_text(tel_path)}': column 't' is not finite")
    # epochs must increase: keep the first row of a repeated time
    keep = np.concatenate([[True], np.diff(t) > 0.0])
    if not np.all(np.diff(t[keep]) > 0.0):
        raise ConfigError(f"'{safe_text(tel_path)}': column 't' does not increase")
    cols = {n: c[keep] for n, c in cols.items()}
    seed = scenario.seed
    summary = run / "summary.json"
    if summary.is_file():
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
            seed = int(data.get("seed", seed)) if isinstance(data, dict) else seed
        except (ValueError, TypeError, OSError):
            raise ConfigError(f"'{safe_text(summary)}': not a readable summary") from None
    return LoadedRun(scenario=scenario, seed=seed, tel_path=tel_path, columns=cols, t_s=t[keep])


def column(run: LoadedRun, name: str) -> np.ndarray:
    """Telemetry column ``name`` (with or without its unit suffix), else ConfigError."""
    return _column(run.columns, name, run.tel_path)


def read_run_states(run_dir: str | Path, frame: str = "mci") -> RunStates:
    """The truth states of the run folder ``run_dir`` in ``frame``; ConfigError on bad input."""
    run = load_run(run_dir)
    r_enu = np.stack([column(run, n) for n in _R_COLS], axis=1)
    v_enu = np.stack([column(run, n) for n in _V_COLS], axis=1)
    if not (np.all(np.isfinite(r_enu)) and np.all(np.isfinite(v_enu))):
        raise ConfigError(f"'{safe_text(run.tel_path)}': column 'r_*' or 'v_*' is not finite")
    sc = run.scenario
    r, v = enu_to_moon_centred(
        run.t_s, r_enu, v_enu,
        math.radians(sc.site.lat_deg), math.radians(sc.site.lon_deg),
        sc.moon.radius_m, sc.moon.rotation_rate_rad_s, frame,
    )
    return RunStates(name=sc.name, seed=run.seed, frame=frame, t_s=run.t_s, r_m=r, v_m_s=v)


def oem_text(
    states: RunStates, epoch: datetime, originator: str = "SUREFOOT",
    created: datetime | None = None,
) -> str:
    """The OEM 2.0 KVN text of ``states`` (km, km/s), scenario t = 0 at ``epoch``."""
    created = created or datetime.now(UTC)
    t0_text = format_epoch(epoch, 0.0)
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        "COMMENT surefoot truth trajectory of one simulated landing",
        f"CREATION_DATE = {created.strftime('%Y-%m-%dT%H:%M:%S')}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"COMMENT epoch convention: scenario time t = 0 s is {t0_text} {TIME_SYSTEM}; "
        "a state at t is dated epoch + t",
    ]
    if states.frame == "mci":
        lines.append(
            "COMMENT REF_FRAME MCI: the simulator's Moon-centred inertial frame, equal to its "
            "Moon-fixed frame (z spin axis, x prime meridian) at REF_FRAME_EPOCH"
        )
    else:
        lines.append(
            "COMMENT REF_FRAME MOON_ME: the simulator's Moon-fixed frame (spherical Moon, "
            "uniform rotation about z), in which the site latitude and longitude are given"
        )
    object_name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", states.name) or "custom"
    lines += [
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = SUREFOOT-{object_name}-SEED-{states.seed}",
        "CENTER_NAME = MOON",
        f"REF_FRAME = {REF_FRAME_NAME[states.frame]}",
    ]
    if states.frame == "mci":
        lines.append(f"REF_FRAME_EPOCH = {t0_text}")
    lines += [
        f"TIME_SYSTEM = {TIME_SYSTEM}",
        f"START_TIME = {format_epoch(epoch, float(states.t_s[0]))}",
        f"STOP_TIME = {format_epoch(epoch, float(states.t_s[-1]))}",
        "META_STOP",
        "",
    ]
    r_km = states.r_m / 1e3
    v_km_s = states.v_m_s / 1e3
    for k, t in enumerate(states.t_s):
        r, v = r_km[k], v_km_s[k]
        lines.append(
            f"{format_epoch(epoch, float(t))} {r[0]:.9f} {r[1]:.9f} {r[2]:.9f} "
            f"{v[0]:.12f} {v[1]:.12f} {v[2]:.12f}"
        )
    return "\n".join(lines) + "\n"


def csv_text(states: RunStates) -> str:
    """The states as CSV with unit-named columns (SI, frame in the names)."""
    f = states.frame
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["t_s", f"x_{f}_m", f"y_{f}_m", f"z_{f}_m",
                f"vx_{f}_m_s", f"vy_{f}_m_s", f"vz_{f}_m_s"])
    for k, t in enumerate(states.t_s):
        w.writerow([repr(float(t)), *(repr(float(x)) for x in states.r_m[k]),
                    *(repr(float(x)) for x in states.v_m_s[k])])
    return buf.getvalue()


_HEADER_KEYS = ("CCSDS_OEM_VERS", "CREATION_DATE", "ORIGINATOR")
_META_REQUIRED = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM",
                  "START_TIME", "STOP_TIME")
_META_OPTIONAL = ("REF_FRAME_EPOCH", "USEABLE_START_TIME", "USEABLE_STOP_TIME",
                  "INTERPOLATION", "INTERPOLATION_DEGREE")
_EPOCH_RE = re.compile(r"\d{4}-(\d{2}-\d{2}|\d{3})T\d{2}:\d{2}:\d{2}(\.\d+)?Z?")


def parse_ccsds_epoch(text: str, where: str) -> datetime:
    """A CCSDS calendar epoch (``YYYY-MM-DDThh:mm:ss[.f]``) as a datetime, else ValueError."""
    if not _EPOCH_RE.fullmatch(text):
        raise ValueError(f"{where}: '{text}' is not a CCSDS epoch")
    base, _, frac = text.rstrip("Z").partition(".")
    try:
        when = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ValueError(f"{where}: '{text}' is not a calendar epoch") from None
    return when + timedelta(microseconds=round(float(f"0.{frac or 0}") * 1e6))


def kvn_keyword(
    line: str, where: str, target: dict[str, str], allowed: tuple[str, ...], section: str,
    first_key: str | None = None,
) -> None:
    """Store one ``KEY = value`` line of a CCSDS KVN header or metadata block in
    ``target``; ValueError naming the line for an unknown or repeated keyword, or
    (``first_key``) a block that does not start with it."""
    key, eq, value = line.partition("=")
    key, value = key.strip(), value.strip()
    if not eq or key not in allowed:
        raise ValueError(f"{where}: '{key}' is not a {section} keyword")
    if key in target:
        raise ValueError(f"{where}: '{key}' given twice")
    if first_key is not None and not target and key != first_key:
        raise ValueError(f"{where}: the file must start with {first_key}")
    target[key] = value


def check_kvn_header(header: dict[str, str], keys: tuple[str, ...], version: str) -> None:
    """The header holds every keyword of ``keys``, the first of them equal to ``version``."""
    if header.get(keys[0]) != version:
        raise ValueError(f"{keys[0]} must be {version}")
    for k in keys:
        if k not in header:
            raise ValueError(f"header lacks {k}")


def check_kvn_epochs(epochs: list[str], meta: dict[str, str], what: str) -> None:
    """Epochs increase and lie inside the metadata's START_TIME .. STOP_TIME."""
    times = [parse_ccsds_epoch(e, "epoch") for e in epochs]
    if any(b <= a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError(f"{what} epochs do not increase")
    start = parse_ccsds_epoch(meta["START_TIME"], "START_TIME")
    stop = parse_ccsds_epoch(meta["STOP_TIME"], "STOP_TIME")
    if times[0] < start or times[-1] > stop:
        raise ValueError(f"a {what} epoch lies outside START_TIME .. STOP_TIME")


def read_oem(text: str) -> Oem:
    """Parse a single-segment OEM 2.0 KVN text (no covariance), strictly.

    Raises ValueError naming the line on any keyword, order or number it does not
    accept: header keywords first, then META_START .. META_STOP with every required
    keyword once, then one state line per epoch (7 fields), epochs increasing and
    inside START_TIME .. STOP_TIME.
    """
    header: dict[str, str] = {}
    meta: dict[str, str] = {}
    comments: list[str] = []
    epochs: list[str] = []
    rows: list[list[float]] = []
    stage = "header"
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"line {n}"
        if not line:
            continue
        if line.startswith("COMMENT"):
            if stage == "data" and epochs:
                raise ValueError(f"{where}: COMMENT between state lines")
            comments.append(line[len("COMMENT"):].strip())
            continue
        if line == "META_START":
            if stage != "header" or not header:
                raise ValueError(f"{where}: META_START out of place")
            stage = "meta"
            continue
        if line == "META_STOP":
            if stage != "meta":
                raise ValueError(f"{where}: META_STOP without META_START")
            missing = [k for k in _META_REQUIRED if k not in meta]
            if missing:
                raise ValueError(f"{where}: metadata lacks {', '.join(missing)}")
            stage = "data"
            continue
        if stage == "header":
            kvn_keyword(line, where, header, _HEADER_KEYS, stage, _HEADER_KEYS[0])
            continue
        if stage == "meta":
            kvn_keyword(line, where, meta, _META_REQUIRED + _META_OPTIONAL, stage)
            continue
        fields = line.split()
        if len(fields) != 7:
            raise ValueError(f"{where}: a state line has 7 fields (epoch, x y z, vx vy vz)")
        parse_ccsds_epoch(fields[0], where)
        try:
            rows.append([float(x) for x in fields[1:]])
        except ValueError:
            raise ValueError(f"{where}: a state value is not a number") from None
        epochs.append(fields[0])
    check_kvn_header(header, _HEADER_KEYS, "2.0")
    if stage != "data" or not epochs:
        raise ValueError("no data: a metadata block followed by state lines is required")
    check_kvn_epochs(epochs, meta, "state")
    arr = np.array(rows)
    if not np.all(np.isfinite(arr)):
        raise ValueError("a state value is not finite")
    return Oem(header=header, meta=meta, comments=comments, epochs=epochs,
               r_km=arr[:, :3], v_km_s=arr[:, 3:])
