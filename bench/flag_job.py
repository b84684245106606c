"""Benchmark (4): the flag job's time on an archive of many new versions.

The archive is generated directly through ``storage.save_version`` (no crawl): readout-like
documents, a share of which get a second, edited version (the flag job diffs those). Then
``run_flag_job`` runs once over all of it, as after a large backfill.

Then, as a daily monitor run after it, ``--daily`` more versions (new readouts and edits of
stored ones, half each) are stored and the job runs again.

Usage: python bench/flag_job.py [--versions 100000] [--edited 0.1] [--daily 50]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import storage
from flagging.job import STEPS, run_flag_job
from readouts.demo.sitegen import make_readout

BATCH = 2000


def build_archive(db, versions: int, edited: float) -> int:
    """Store ``versions`` versions; return how many of them are edits of an earlier one."""
    documents = round(versions / (1 + edited))
    edits = versions - documents
    snapshots = []
    for number in range(1, documents + 1):
        snapshots.append((number, make_readout(number)))
    for number in range(1, edits + 1):
        snapshots.append((number, make_readout(number).edited(1)))
    _store(db, snapshots)
    return edits


def add_daily(db, documents: int, versions: int) -> None:
    """A day's crawl after the backfill: new readouts and new editions of stored ones."""
    new = [
        (number, make_readout(number))
        for number in range(documents + 1, documents + 1 + versions // 2)
    ]
    edits = [
        (number, make_readout(number).edited(2)) for number in range(1, versions - len(new) + 1)
    ]
    _store(db, new + edits)


def _store(db, snapshots: list) -> None:
    for start in range(0, len(snapshots), BATCH):
        with storage.write_transaction(db):
            for number, readout in snapshots[start : start + BATCH]:
                storage.save_version(
                    db,
                    storage.Snapshot(
                        source="bench",
                        url=f"http://bench.example/news/{number}",
                        kind="readout",
                        title=readout.title,
                        text=readout.text,
                        published_at=readout.published,
                        seen_at="2025-01-01T00:00:00Z",
                    ),
                    run_id=None,
                )


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--edited", type=float, default=0.1, help="share of documents edited")
    parser.add_argument("--daily", type=int, default=50, help="versions of the run after")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = storage.open_database(Path(tmp) / "archive.db")
        started = time.perf_counter()
        edits = build_archive(db, args.versions, args.edited)
        build = time.perf_counter() - started
        cpu_before = os.times()
        started = time.perf_counter()
        flags, step_seconds = [], {}
        for step in STEPS:  # what run_flag_job does, each step timed
            step_started = time.perf_counter()
            flags += step(db)
            step_seconds[step.__name__] = time.perf_counter() - step_started
        elapsed = time.perf_counter() - started
        cpu_after = os.times()
        stored = db.execute("SELECT count(*) FROM versions").fetchone()[0]
        add_daily(db, round(args.versions / (1 + args.edited)), args.daily)
        started = time.perf_counter()
        daily_flags = run_flag_job(db)
        daily = time.perf_counter() - started
        db.close()
    cpu = cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system
    print(f"Flag job over {stored:,} new versions ({edits:,} of them edits), one run")
    print(f"  archive built in {build:.1f} s through storage.save_version")
    print(
        f"  flag job: {elapsed:.1f} s wall, {cpu:.1f} s CPU, {len(flags):,} flags,"
        f" {stored / elapsed:,.0f} versions/s"
    )
    slowest = sorted(step_seconds.items(), key=lambda item: -item[1])
    print("  steps: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))
    kinds = Counter(flag["kind"] for flag in flags)
    print("  flags: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items())))
    print(
        f"Then a daily run over {args.daily} new versions: {daily:.2f} s, {len(daily_flags)} flags"
    )
    print(
        f"Reproduce: python bench/flag_job.py --versions {args.versions} --edited {args.edited}"
        f" --daily {args.daily}"
    )
    return {"versions": stored, "edits": edits, "flag_job_s": elapsed, "flag_job_cpu_s": cpu,
            "flags": len(flags), "daily_s": daily}  # fmt: skip


if __name__ == "__main__":
    main()
