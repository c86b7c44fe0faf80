"""Kill a campaign at random moments, resume it, and check that nothing is lost,
repeated or changed.

A reference campaign is flown once without interruption. Then the same
campaign is started in a fresh folder and killed with SIGKILL (the command,
its forkserver and its workers: the whole process group) at a random moment
between 0 and ``--span`` times the reference's wall time (with
``--after-part``: within two batches' time after the start's first new part
file, so the kills fall while results are being written); the command is
started again (it resumes) and killed again, until ``--kills`` kills in all.
Each campaign is then run to completion and its table compared with the
reference, row by row, every column. Printed: kills, campaigns, kills that
left a part file behind, rows lost, repeated and changed, leftover
temporaries.

    PYTHONPATH=src python benchmarks/bench_kill_resume.py --kills 40
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

SUREFOOT = [sys.executable, "-c", "import sys; from surefoot.cli import main; sys.exit(main())"]


def _argv(out: Path, runs: int, batch: int) -> list[str]:
    return [*SUREFOOT, "campaign", "default-dispersed", "--runs", str(runs), "--workers", "1",
            "--batch-size", str(batch), "--out", str(out)]


def _table(out: Path) -> pa.Table:
    from surefoot.campaign.report import load_campaign

    t = load_campaign(out).table
    return t.take(pc.sort_indices(t, sort_keys=[("run_index", "ascending")]))


def _parts(out: Path) -> int:
    return len(list((out / "results").glob("part-*.parquet"))) if out.exists() else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=40, help="SIGKILLs in all (40)")
    ap.add_argument("--runs", type=int, default=12, help="runs per campaign (12)")
    ap.add_argument("--batch-size", type=int, default=2, help="runs per batch (2)")
    ap.add_argument("--kills-per-campaign", type=int, default=4, help="(4)")
    ap.add_argument("--span", type=float, default=1.0,
                    help="kill moments uniform in [0, span x reference wall time] (1.0)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the kill moments (0)")
    ap.add_argument("--after-part", action="store_true",
                    help="kill each start at a random moment within two batches' time after "
                         "its first new part file (while parts are being written)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    root = Path(tempfile.mkdtemp(prefix="surefoot-kill-"))
    try:
        ref_dir = root / "reference"
        t0 = time.perf_counter()
        subprocess.run(_argv(ref_dir, args.runs, args.batch_size), env=env, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        reference = _table(ref_dir)
        assert reference.num_rows == args.runs
        print(f"reference: {args.runs} runs in {wall:.1f} s (batches of {args.batch_size})")

        kills = campaigns = kills_with_parts = 0
        lost = repeated = changed = leftovers = 0
        while kills < args.kills:
            campaigns += 1
            out = root / f"c{campaigns:03d}"
            for _ in range(min(args.kills_per_campaign, args.kills - kills)):
                before = _parts(out)
                proc = subprocess.Popen(_argv(out, args.runs, args.batch_size), env=env,
                                        start_new_session=True, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                if args.after_part:  # kill while batches are being written
                    deadline = time.monotonic() + 10 * wall
                    while (proc.poll() is None and _parts(out) == before
                           and time.monotonic() < deadline):
                        time.sleep(0.005)
                    time.sleep(rng.uniform(0.0, 2.0 * wall / args.runs * args.batch_size))
                else:
                    time.sleep(rng.uniform(0.0, args.span * wall))
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    kills += 1
                    kills_with_parts += _parts(out) > before
                proc.wait()
            done = subprocess.run(_argv(out, args.runs, args.batch_size), env=env,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                print(f"campaign {campaigns}: resume exited {done.returncode}: "
                      f"{done.stderr.strip()[-300:]}")
                changed += 1
                continue
            table = _table(out)
            idx = table.column("run_index").to_pylist()
            lost += len(set(range(args.runs)) - set(idx))
            repeated += len(idx) - len(set(idx))
            if not table.equals(reference):
                changed += sum(
                    1 for i in range(min(table.num_rows, reference.num_rows))
                    if table.slice(i, 1).to_pylist() != reference.slice(i, 1).to_pylist()
                ) or 1
            leftovers += len(list(out.rglob("*.tmp")))
        print(f"kills: {kills} SIGKILLs of the campaign's process group at random moments "
              f"over {campaigns} campaigns ({kills_with_parts} after at least one new part "
              "file)")
        print(f"after resuming: runs lost {lost}, repeated {repeated}, changed {changed}, "
              f"temporary files left {leftovers}")
        return 0 if lost == repeated == changed == leftovers == 0 else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
