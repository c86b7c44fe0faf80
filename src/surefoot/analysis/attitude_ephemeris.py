"""A flown run's attitude as a CCSDS Attitude Ephemeris Message (AEM 1.0, KVN), and a
strict reader of the AEM files written here.

Telemetry holds the truth attitude as ``q_body_to_enu`` (scalar first,
Hamilton product, ``v_enu = q ⊗ v_body ⊗ q*``). Both Moon-centred frames of
:mod:`surefoot.analysis.ephemeris` are rebuilt from it exactly:

    q_body_to_mcmf = q_enu_to_mcmf ⊗ q_body_to_enu
    q_body_to_mci  = Rz(+omega t) ⊗ q_body_to_mcmf

with ``q_enu_to_mcmf`` fixed by the site latitude and longitude and
``Rz(a) = [cos(a/2), 0, 0, sin(a/2)]`` the Moon's rotation since t = 0.

The AEM quaternion is written with ``ATTITUDE_DIR = A2B``, ``REF_FRAME_A`` the
Moon-centred frame and ``REF_FRAME_B = SC_BODY_1``: the rotation that carries
frame A's axes onto the body axes, which is ``q_body_to_A`` above
(``v_A = q ⊗ v_body ⊗ q*``), written scalar last (``QUATERNION_TYPE = LAST``)
with a non-negative scalar part. A COMMENT in the file says the same.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from surefoot.analysis.ephemeris import (
    REF_FRAME_NAME,
    TIME_SYSTEM,
    check_kvn_epochs,
    check_kvn_header,
    column,
    format_epoch,
    kvn_keyword,
    load_run,
    parse_ccsds_epoch,
)
from surefoot.config.base import safe_text
from surefoot.config.loader import ConfigError
from surefoot.math.frames import enu_basis_mcmf
from surefoot.math.quaternion import dcm_to_quat, quat_mul_rows

_Q_COLS = ("q_body_to_enu_w", "q_body_to_enu_x", "q_body_to_enu_y", "q_body_to_enu_z")


@dataclass(frozen=True)
class RunAttitude:
    """A run's truth attitude: ``q_body_to_frame`` (n, 4), scalar first, w >= 0."""

    name: str
    seed: int
    frame: str
    t_s: np.ndarray
    q_body_to_frame: np.ndarray


@dataclass(frozen=True)
class Aem:
    """What :func:`read_aem` finds; ``q`` (n, 4) scalar first as in :class:`RunAttitude`."""

    header: dict[str, str]
    meta: dict[str, str]
    comments: list[str]
    epochs: list[str]
    q: np.ndarray


def enu_to_moon_centred_attitude(
    t_s: np.ndarray,
    q_body_to_enu: np.ndarray,
    lat_rad: float,
    lon_rad: float,
    omega_rad_s: float,
    frame: str = "mci",
) -> np.ndarray:
    """``q_body_to_frame`` (n, 4) from ``q_body_to_enu`` (n, 4), both scalar first, w >= 0."""
    if frame not in REF_FRAME_NAME:
        raise ConfigError(f"--frame '{safe_text(frame, 20)}': use one of mci, mcmf")
    q = np.asarray(q_body_to_enu, dtype=float)
    # rows of enu_basis_mcmf are E, N, U in MCMF: its transpose maps ENU components to MCMF
    q_enu_to_mcmf = dcm_to_quat(np.ascontiguousarray(enu_basis_mcmf(lat_rad, lon_rad).T))
    out = quat_mul_rows(q_enu_to_mcmf, q)
    if frame == "mci":
        half = 0.5 * omega_rad_s * np.asarray(t_s, dtype=float)
        rz = np.stack([np.cos(half), np.zeros_like(half), np.zeros_like(half), np.sin(half)],
                      axis=1)
        out = quat_mul_rows(rz, out)
    out /= np.linalg.norm(out, axis=1)[:, None]
    out[out[:, 0] < 0.0] *= -1.0
    return out


def read_run_attitude(run_dir: str | Path, frame: str = "mci") -> RunAttitude:
    """The truth attitude of the run folder ``run_dir`` in ``frame``; ConfigError on bad input."""
    run = load_run(run_dir)
    q = np.stack([column(run, n) for n in _Q_COLS], axis=1)
    norm = np.linalg.norm(q, axis=1)
    if not (np.all(np.isfinite(q)) and np.all(np.abs(norm - 1.0) < 1e-6)):
        raise ConfigError(
            f"'{safe_text(run.tel_path)}': columns 'q_body_to_enu_*' are not unit quaternions"
        )
    sc = run.scenario
    out = enu_to_moon_centred_attitude(
        run.t_s, q, math.radians(sc.site.lat_deg), math.radians(sc.site.lon_deg),
        sc.moon.rotation_rate_rad_s, frame,
    )
    return RunAttitude(name=sc.name, seed=run.seed, frame=frame, t_s=run.t_s, q_body_to_frame=out)


def aem_text(
    att: RunAttitude, epoch: datetime, originator: str = "SUREFOOT",
    created: datetime | None = None,
) -> str:
    """The AEM 1.0 KVN text of ``att``, scenario t = 0 at ``epoch``."""
    created = created or datetime.now(UTC)
    t0_text = format_epoch(epoch, 0.0)
    frame_a = REF_FRAME_NAME[att.frame]
    object_name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", att.name) or "custom"
    lines = [
        "CCSDS_AEM_VERS = 1.0",
        "COMMENT surefoot truth attitude of one simulated landing",
        f"CREATION_DATE = {created.strftime('%Y-%m-%dT%H:%M:%S')}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"COMMENT epoch convention: scenario time t = 0 s is {t0_text} {TIME_SYSTEM}; "
        "an attitude at t is dated epoch + t",
        f"COMMENT quaternion (q1 q2 q3 qc, Hamilton product): v_{frame_a} = q * v_body * "
        "conj(q); it carries REF_FRAME_A's axes onto the body axes (body z is the engine's "
        "thrust axis, up at touchdown)",
    ]
    if att.frame == "mci":
        lines.append(
            "COMMENT REF_FRAME_A MCI: the simulator's Moon-centred inertial frame, equal to its "
            f"Moon-fixed frame (z spin axis, x prime meridian) at {t0_text} {TIME_SYSTEM}"
        )
    else:
        lines.append(
            "COMMENT REF_FRAME_A MOON_ME: the simulator's Moon-fixed frame (spherical Moon, "
            "uniform rotation about z)"
        )
    lines += [
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = SUREFOOT-{object_name}-SEED-{att.seed}",
        "CENTER_NAME = MOON",
        f"REF_FRAME_A = {frame_a}",
        "REF_FRAME_B = SC_BODY_1",
        "ATTITUDE_DIR = A2B",
        f"TIME_SYSTEM = {TIME_SYSTEM}",
        f"START_TIME = {format_epoch(epoch, float(att.t_s[0]))}",
        f"STOP_TIME = {format_epoch(epoch, float(att.t_s[-1]))}",
        "ATTITUDE_TYPE = QUATERNION",
        "QUATERNION_TYPE = LAST",
        "META_STOP",
        "",
        "DATA_START",
    ]
    for t, q in zip(att.t_s, att.q_body_to_frame, strict=True):
        lines.append(
            f"{format_epoch(epoch, float(t))} {q[1]:.12f} {q[2]:.12f} {q[3]:.12f} {q[0]:.12f}"
        )
    lines.append("DATA_STOP")
    return "\n".join(lines) + "\n"


_HEADER_KEYS = ("CCSDS_AEM_VERS", "CREATION_DATE", "ORIGINATOR")
_META_REQUIRED = ("OBJECT_NAME", "OBJECT_ID", "REF_FRAME_A", "REF_FRAME_B", "ATTITUDE_DIR",
                  "TIME_SYSTEM", "START_TIME", "STOP_TIME", "ATTITUDE_TYPE")
_META_OPTIONAL = ("CENTER_NAME", "USEABLE_START_TIME", "USEABLE_STOP_TIME", "QUATERNION_TYPE",
                  "INTERPOLATION_METHOD", "INTERPOLATION_DEGREE")


def read_aem(text: str) -> Aem:
    """Parse a single-segment AEM 1.0 KVN text of quaternions, strictly.

    Raises ValueError naming the line on any keyword, order or number it does
    not accept: header keywords (CCSDS_AEM_VERS first), META_START .. META_STOP
    with every required keyword once, ``ATTITUDE_TYPE = QUATERNION`` with a
    QUATERNION_TYPE of FIRST or LAST, then DATA_START, one line per epoch (5
    fields, unit quaternion to 1e-6), epochs increasing inside START_TIME ..
    STOP_TIME, and DATA_STOP.
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
            if stage in ("data", "done") and epochs:
                raise ValueError(f"{where}: COMMENT between attitude lines")
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
            if meta["ATTITUDE_TYPE"] != "QUATERNION":
                raise ValueError(f"{where}: ATTITUDE_TYPE must be QUATERNION")
            if meta.get("QUATERNION_TYPE") not in ("FIRST", "LAST"):
                raise ValueError(f"{where}: QUATERNION_TYPE must be FIRST or LAST")
            if meta["ATTITUDE_DIR"] not in ("A2B", "B2A"):
                raise ValueError(f"{where}: ATTITUDE_DIR must be A2B or B2A")
            stage = "between"
            continue
        if line == "DATA_START":
            if stage != "between":
                raise ValueError(f"{where}: DATA_START out of place")
            stage = "data"
            continue
        if line == "DATA_STOP":
            if stage != "data":
                raise ValueError(f"{where}: DATA_STOP without DATA_START")
            stage = "done"
            continue
        if stage == "header":
            kvn_keyword(line, where, header, _HEADER_KEYS, stage, _HEADER_KEYS[0])
            continue
        if stage == "meta":
            kvn_keyword(line, where, meta, _META_REQUIRED + _META_OPTIONAL, stage)
            continue
        if stage != "data":
            raise ValueError(f"{where}: an attitude line outside DATA_START .. DATA_STOP")
        fields = line.split()
        if len(fields) != 5:
            raise ValueError(f"{where}: a quaternion line has 5 fields (epoch and 4 components)")
        parse_ccsds_epoch(fields[0], where)
        try:
            vals = [float(x) for x in fields[1:]]
        except ValueError:
            raise ValueError(f"{where}: a quaternion component is not a number") from None
        if not all(math.isfinite(v) for v in vals) or abs(math.hypot(*vals) - 1.0) > 1e-6:
            raise ValueError(f"{where}: not a unit quaternion")
        rows.append(vals if meta["QUATERNION_TYPE"] == "FIRST" else [vals[3], *vals[:3]])
        epochs.append(fields[0])
    check_kvn_header(header, _HEADER_KEYS, "1.0")
    if stage != "done" or not epochs:
        raise ValueError("no data: a metadata block and DATA_START .. DATA_STOP are required")
    check_kvn_epochs(epochs, meta, "attitude")
    return Aem(header=header, meta=meta, comments=comments, epochs=epochs, q=np.array(rows))
