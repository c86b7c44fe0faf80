"""Monte Carlo campaigns: dispersions, runners, result store, statistics.

A campaign flies ``N`` runs of one scenario whose ``dispersions`` section
says which fields vary. Run ``i`` gets its inputs and its run seed from
random streams keyed by (campaign seed, ``i``) only
(:mod:`surefoot.campaign.sampling`), so its result never depends on the
batch or the worker that flew it. Runs fly in batches on a local process
pool or a Dask cluster (:mod:`surefoot.campaign.runner`); each finished batch
becomes one Parquet file of result rows (:mod:`surefoot.campaign.rows`,
:mod:`surefoot.campaign.store`), so a killed campaign resumes where it
stopped. :mod:`surefoot.campaign.stats` and :mod:`surefoot.campaign.report`
turn the rows into the numbers and the HTML page a review board reads;
:mod:`surefoot.campaign.replay` re-flies one run with telemetry.

Main entry points (imported lazily so that worker processes stay light)::

    run_campaign(scenario, runs, out_dir, workers=..., dask=...)
    load_campaign(out_dir) -> CampaignData;  compute_stats(data);  write_report(...)
    rerun(out_dir, run_index) -> RerunResult
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run_campaign": "surefoot.campaign.runner",
    "prepare_campaign": "surefoot.campaign.runner",
    "execute_campaign": "surefoot.campaign.runner",
    "make_backend": "surefoot.campaign.backends",
    "CampaignProgress": "surefoot.campaign.runner",
    "CampaignResult": "surefoot.campaign.runner",
    "CampaignFailed": "surefoot.campaign.runner",
    "CampaignError": "surefoot.campaign.store",
    "CampaignStore": "surefoot.campaign.store",
    "draw_runs": "surefoot.campaign.sampling",
    "load_campaign": "surefoot.campaign.report",
    "compute_stats": "surefoot.campaign.report",
    "write_report": "surefoot.campaign.report",
    "clopper_pearson": "surefoot.campaign.stats",
    "rerun": "surefoot.campaign.replay",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'surefoot.campaign' has no attribute {name!r}")
