"""Which scenario fields the landers of one simulator batch must share.

Kept free of compiled code so that the campaign can group its runs by these
fields without importing the simulator.
"""

from __future__ import annotations

from surefoot.config.schema import Scenario

# Scenario fields every lander of one batch must share: one terrain, one site
# and Moon, one clock, one ground track (the terrain's extent), one set of legs,
# body contact points and engine cut-off after contact (the post-contact stage),
# one onboard map, and what the touchdown classification reads from the batch's
# first scenario (limits, dry centre of mass). The one list:
# check_batchable tests it and the campaign groups its runs by it.
BATCH_SHARED_FIELDS: tuple[str, ...] = (
    "terrain",
    "site",
    "moon",
    "sim",
    "initial.uprange_km",
    "initial.approach_azimuth_deg",
    "vehicle.legs",
    "vehicle.body_points_body_m",
    "vehicle.com_dry_body_m",
    "vehicle.engine.cutoff_after_contact_s",
    "fsw.control.rate_hz",
    "fsw.nav.map",
    "touchdown",
)


def is_batch_shared(path: str) -> bool:
    """True if the dotted field ``path`` is, or lies inside, a :data:`BATCH_SHARED_FIELDS` entry."""
    return any(path == p or path.startswith(p + ".") for p in BATCH_SHARED_FIELDS)


def _field_value(s: Scenario, path: str) -> str:
    node: object = s
    for part in path.split("."):
        node = getattr(node, part)
    dump = getattr(node, "model_dump_json", None)
    return dump() if dump is not None else repr(node)


def batch_groups(scenarios: list[Scenario]) -> list[list[int]]:
    """Indices of ``scenarios`` grouped into batches that share every
    :data:`BATCH_SHARED_FIELDS` entry, each group in the given order and the groups
    in the order of their first member."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for k, s in enumerate(scenarios):
        key = tuple(_field_value(s, path) for path in BATCH_SHARED_FIELDS)
        groups.setdefault(key, []).append(k)
    return list(groups.values())


def check_batchable(scenarios: list[Scenario]) -> None:
    """Raise ValueError unless the scenarios share every :data:`BATCH_SHARED_FIELDS` entry."""
    if not scenarios:
        raise ValueError("a batch needs at least one scenario")
    first = scenarios[0]
    for path in BATCH_SHARED_FIELDS:
        value = _field_value(first, path)
        for k, s in enumerate(scenarios[1:], start=1):
            if _field_value(s, path) != value:
                raise ValueError(
                    f"scenario {k} differs from scenario 0 in {path}; runs that differ in "
                    f"any of {', '.join(BATCH_SHARED_FIELDS)} must go in separate batches"
                )
