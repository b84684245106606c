"""The news scan: WARC files in, the articles citing readouts out, on Dask distributed.

Work is split by file and by byte range (``scan.records.split_ranges``); each range is a Dask
task run by ``scan.worker.scan_range`` against one read-only snapshot of the citation index,
broadcast once to every worker. Results come back to this process, the one writer, which
stores each range's citing articles and its ``done`` mark in one transaction, in the order of
the ranges (so the archive is the same whatever the number of workers or the order they
finish in), then runs the flag job: citations and their flags are computed by the same steps
as for crawled articles. A file already scanned (same digest) is skipped; a killed scan
resumes at its first range not done.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from flagging import run_flag_job
from scan.records import file_digest, is_url, split_ranges
from scan.worker import RangeResult, RangeTask, scan_range
from storage import scans

logger = logging.getLogger(__name__)

RANGE_BYTES = 64 * 1024 * 1024  # about 2,000 news pages of a CC-NEWS file per task


class ScanInputError(ValueError):
    """A path that names no WARC file."""


class SchedulerUnreachable(OSError):
    """The Dask scheduler given cannot be reached."""


@dataclass
class ScanSummary:
    files: int = 0
    files_skipped: int = 0
    ranges: int = 0
    records: int = 0
    html_records: int = 0
    candidates: int = 0
    citing_articles: int = 0
    versions_stored: int = 0
    flags: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    setup_seconds: float = 0.0  # planning, the index snapshot, starting and feeding the cluster
    workers: int = 0
    errors: list[str] = field(default_factory=list)

    def scanning_rate(self) -> float | None:
        """Records a second once the cluster runs: what a long scan settles at."""
        return _rate(self.records, self.seconds - self.setup_seconds)

    def as_json(self) -> dict[str, Any]:
        flags: dict[str, int] = {}
        for flag in self.flags:
            flags[flag["kind"]] = flags.get(flag["kind"], 0) + 1
        return {
            "files": self.files,
            "files_skipped": self.files_skipped,
            "ranges": self.ranges,
            "records": self.records,
            "html_records": self.html_records,
            "candidates": self.candidates,
            "citing_articles": self.citing_articles,
            "versions_stored": self.versions_stored,
            "flags": flags,
            "workers": self.workers,
            "seconds": round(self.seconds, 1),
            "setup_seconds": round(self.setup_seconds, 1),
            "records_per_second": round(self.records / self.seconds, 1) if self.seconds else None,
            "records_per_second_scanning": self.scanning_rate(),
            "errors": self.errors,
        }


def _rate(records: int, seconds: float) -> float | None:
    return round(records / seconds, 1) if seconds > 0 else None


def expand_paths(paths: list[str]) -> list[str]:
    """Paths, globs and URLs, in the order given; each file once. A path that names nothing,
    a glob that matches nothing and a directory are the caller's mistakes: ``ScanInputError``."""
    found: list[str] = []
    for path in paths:
        literal = is_url(path) or os.path.exists(path)  # a name holding "[" may be a file's
        matches = [path] if literal else sorted(glob.glob(path))
        if not matches:
            raise ScanInputError(
                f"{path}: no such file" if path == glob.escape(path) else f"{path}: no file matches"
            )
        for match in matches:
            if os.path.isdir(match):
                raise ScanInputError(
                    f"{match} is a directory: name its files ('{match}/*.warc.gz')"
                )
            if match not in found:
                found.append(match)
    return found


def plan(
    db: sqlite_utils.Database,
    paths: list[str],
    *,
    since: str | None,
    until: str | None,
    source: str | None,
    range_bytes: int = RANGE_BYTES,
    summary: ScanSummary,
) -> list[RangeTask]:
    """The ranges still to scan, file by file in the order given."""
    tasks = []
    for path in expand_paths(paths):
        digest = file_digest(path)
        state = scans.file_state(db, digest)
        if state and state["finished_at"]:
            summary.files_skipped += 1
            logger.info("%s was scanned already (same content): skipped", path)
            continue
        ranges = split_ranges(path, range_bytes)
        size = -1 if is_url(path) else ranges[-1][1]
        scans.start_file(db, digest, path, size, len(ranges))
        done = scans.ranges_done(db, digest)
        summary.files += 1
        tasks += [
            RangeTask(path, digest, start, end, since, until, source)
            for start, end in ranges
            if start not in done
        ]
    return tasks


def run_scan(
    db: sqlite_utils.Database,
    paths: list[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    range_bytes: int = RANGE_BYTES,
    progress: Callable[[ScanSummary, int], None] | None = None,
) -> ScanSummary:
    """Scan ``paths`` on a Dask cluster (a ``LocalCluster`` unless ``scheduler`` is given)."""
    from dask.distributed import Client, LocalCluster, as_completed

    summary = ScanSummary()
    started = time.perf_counter()
    tasks = plan(
        db, paths, since=since, until=until, source=source, range_bytes=range_bytes,
        summary=summary,
    )  # fmt: skip
    summary.ranges = len(tasks)
    if tasks:
        snapshot = scans.index_snapshot(db)
        cluster = None
        if scheduler:
            try:
                client = Client(scheduler)
            except OSError as error:
                raise SchedulerUnreachable(f"cannot reach the Dask scheduler: {error}") from None
            except ValueError as error:  # "missing port number", "unknown address scheme"
                raise SchedulerUnreachable(
                    f"not a Dask scheduler address (tcp://host:port): {error}"
                ) from None
        else:
            cluster = LocalCluster(
                n_workers=workers or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                host="127.0.0.1",
            )
            client = Client(cluster)
        try:
            summary.workers = len(client.scheduler_info()["workers"])
            shared = client.scatter(snapshot, broadcast=True)
            summary.setup_seconds = time.perf_counter() - started
            futures = {
                client.submit(scan_range, task, shared, pure=False, key=f"scan-{n}"): n
                for n, task in enumerate(tasks)
            }
            waiting: dict[int, RangeResult] = {}
            next_to_store = 0
            for future in as_completed(futures):
                n = futures[future]
                waiting[n] = future.result()
                while next_to_store in waiting:
                    _store(db, waiting.pop(next_to_store), summary)
                    next_to_store += 1
                    if progress:
                        progress(summary, len(tasks))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    summary.flags = run_flag_job(db)
    summary.seconds = time.perf_counter() - started
    return summary


def _store(db: sqlite_utils.Database, result: RangeResult, summary: ScanSummary) -> None:
    """A range's articles and counts; a range read only up to a damaged record (``error``)
    keeps what was read before it and is not done, so neither is its file."""
    task, counts = result.task, result.counts
    if result.error:
        summary.errors.append(result.error)
    summary.records += counts["records"]
    summary.html_records += counts["html"]
    summary.candidates += counts["candidates"]
    summary.citing_articles += counts["citing"]
    # A dated scan leaves the other dates to read; a damaged range, the records after the damage.
    whole = not (task.since or task.until or result.error)
    summary.versions_stored += scans.save_range(
        db, task.digest, task.path, task.start, task.end, counts, result.articles, mark_done=whole
    )
