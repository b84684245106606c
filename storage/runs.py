"""Crawl runs and the fetch log: every HTTP request made, and what came of it."""

from __future__ import annotations

import os
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.timeutil import utc_now

RUN_MODES = ("monitor", "backfill", "recheck")
RUN_OUTCOMES = ("ok", "errors", "failed", "interrupted")
# Fetch outcomes that make a run end with "errors" (and `readouts crawl` exit 1).
ERROR_OUTCOMES = ("failed", "parse_error", "robots")


def failed_fetches_query(run_id: int) -> str:
    """The query a user can paste into ``sqlite3`` or Datasette to see a run's failed fetches."""
    outcomes = ", ".join(f"'{outcome}'" for outcome in ERROR_OUTCOMES)
    return f"SELECT * FROM fetches WHERE run_id = {int(run_id)} AND outcome IN ({outcomes})"


def start_run(
    db: sqlite_utils.Database,
    source: str,
    mode: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> int:
    """Record the start of a run and return its id."""
    if mode not in RUN_MODES:
        raise ValueError(f"Unknown run mode {mode!r}; expected one of {', '.join(RUN_MODES)}")
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO runs (source, mode, started_at, since, until, pid) VALUES (?, ?, ?, ?, ?, ?)",
            [source, mode, utc_now(), since, until, os.getpid()],
        )
        return cursor.lastrowid


def run_counts(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    """Counts of a run, taken from the fetch log and the versions it stored."""
    fetch_counts = db.execute(
        """
        SELECT
          count(status),
          sum(outcome IN ('parse_error', 'failed', 'robots')),
          sum(outcome = 'parse_error'),
          sum(outcome = 'unchanged'),
          sum(outcome = 'not_modified'),
          sum(outcome = 'gone')
        FROM fetches WHERE run_id = ?
        """,
        [run_id],
    ).fetchone()
    version_counts = db.execute(
        "SELECT count(*), sum(version = 1) FROM versions WHERE run_id = ?", [run_id]
    ).fetchone()
    names = ["pages_fetched", "errors", "parse_errors", "unchanged", "not_modified", "gone"]
    counts = {name: value or 0 for name, value in zip(names, fetch_counts)}
    counts["versions_stored"] = version_counts[0] or 0
    counts["new_documents"] = version_counts[1] or 0
    return counts


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    outcome: str | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """Close a run with its counts; the outcome is ``errors`` when any fetch failed."""
    counts = run_counts(db, run_id)
    if outcome is None:
        outcome = "errors" if counts["errors"] else "ok"
    if outcome not in RUN_OUTCOMES:
        raise ValueError(f"Unknown run outcome {outcome!r}")
    with write_transaction(db):
        db["runs"].update(
            run_id, {**counts, "outcome": outcome, "finished_at": utc_now(), "message": message}
        )
    return db["runs"].get(run_id)


def close_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Mark runs whose process died without finishing them as ``interrupted``."""
    abandoned = [
        row["id"]
        for row in db.query("SELECT id, pid FROM runs WHERE finished_at IS NULL")
        if row["pid"] != os.getpid() and not process_alive(row["pid"])
    ]
    for run_id in abandoned:
        finish_run(db, run_id, outcome="interrupted", message="the process running it ended")
    return len(abandoned)


# How a run stopped by ``--max-pages`` starts its message: it left pages it found unfetched.
PAGE_LIMIT_STOP = "stopped at --max-pages"
# How a run that read the Wayback Machine's captures starts its message: it walked none of the
# site's listings, so it neither cuts a walk short nor completes one.
ARCHIVE_READ = "Wayback Machine captures"


def last_walk_cut_short(db: sqlite_utils.Database, source: str, before_run: int) -> bool:
    """Whether the last finished monitor or re-check run of ``source`` (before run
    ``before_run``) ended short of its walk: killed, failed, with fetches that failed, or
    stopped by ``--max-pages``. What it did not store is still on the listings, below items it
    did store."""
    row = db.execute(
        "SELECT outcome, message FROM runs WHERE source = ? AND mode IN ('monitor', 'recheck')"
        " AND id < ? AND finished_at IS NOT NULL AND coalesce(message, '') NOT LIKE ? || '%'"
        " ORDER BY id DESC LIMIT 1",
        [source, before_run, ARCHIVE_READ],
    ).fetchone()
    return row is not None and (row[0] != "ok" or (row[1] or "").startswith(PAGE_LIMIT_STOP))


# Pages whose latest answer was a failure (a retry is not a page's last word; a redirect is an
# answer): what ``verify`` lists as owed, and Datasette's ``failed_pages`` query. Optional: source.
FAILED_PAGES = f"""
SELECT r.source, f.url, f.run_id, f.fetched_at, f.status, f.error, f.outcome, f.document_id
FROM fetches f JOIN runs r ON r.id = f.run_id
WHERE f.id IN (SELECT max(id) FROM fetches WHERE coalesce(outcome, '') != 'retried' GROUP BY url)
  AND f.outcome IN ({", ".join(f"'{outcome}'" for outcome in ERROR_OUTCOMES)})
  AND (:source = '' OR r.source = :source)
ORDER BY r.source, f.id
"""


def crawl_gaps(db: sqlite_utils.Database, sources: list[str] | None = None) -> list[dict[str, Any]]:
    """What the crawls still owe the archive (of ``sources`` only, when given).

    Walks cut short (killed, failed, stopped at ``--max-pages``) that no later run filled: a
    source's last monitor or re-check run (the next of either walks past known items again);
    its last re-check (only a re-check fetches known items again); a backfill range's last run,
    unless a later complete backfill covered the range. Reads of the Wayback Machine's captures
    count for none of these. Then the pages whose latest answer was a failure (how a run ends
    with "errors"). Not faults of the archive."""
    columns = ["id", "source", "mode", "since", "until", "outcome", "message", "finished_at", "pid"]
    runs = [
        dict(zip(columns, row))
        for row in db.execute(
            f"SELECT {', '.join(columns)} FROM runs WHERE coalesce(message, '') NOT LIKE ? || '%'"
            " ORDER BY id",
            [ARCHIVE_READ],
        ).fetchall()
    ]
    for run in runs:
        running = run["finished_at"] is None and process_alive(run["pid"])
        if run["finished_at"] is None and not running:
            run["outcome"], run["message"] = "interrupted", "the process running it ended"
        run["short"] = not running and _cut_short(run)  # a run going on now fills the gaps
    gaps: list[dict[str, Any]] = []
    latest: dict[tuple, dict[str, Any]] = {}
    for run in runs:
        if run["mode"] == "backfill":
            latest[(run["source"], "backfill", run["since"], run["until"])] = run
        else:
            latest[(run["source"], "walk")] = run
            if run["mode"] == "recheck":
                latest[(run["source"], "recheck")] = run
    for key, run in sorted(latest.items(), key=lambda item: item[1]["id"]):
        kind = key[1]
        if not run["short"] or (kind == "recheck" and latest[(run["source"], "walk")] is run):
            continue  # filled, or already listed as the source's last walk
        if kind == "backfill" and any(
            later["id"] > run["id"] and _covers(later, run)
            for later in runs
            if later["source"] == run["source"] and later["mode"] == "backfill"
        ):
            continue
        gaps.append(
            {
                "source": run["source"],
                "kind": kind,
                "run_id": run["id"],
                "mode": run["mode"],
                "since": run["since"],
                "until": run["until"],
                "outcome": run["outcome"],
                "message": run["message"],
            }
        )
    cursor = db.execute(FAILED_PAGES, {"source": ""})
    columns = [column[0] for column in cursor.description]
    for row in cursor.fetchall():
        gaps.append({"kind": "page", **dict(zip(columns, row))})
    return [gap for gap in gaps if sources is None or gap["source"] in sources]


def _cut_short(run: dict[str, Any]) -> bool:
    """Whether a run ended short of its walk (``last_walk_cut_short``'s rule, for one run;
    "errors" alone is not: its failed pages are listed one by one)."""
    stopped = (run["message"] or "").startswith(PAGE_LIMIT_STOP)
    return stopped or run["outcome"] not in ("ok", "errors")


def _covers(later: dict[str, Any], run: dict[str, Any]) -> bool:
    """Whether a backfill run ended complete over a range holding ``run``'s."""
    return (
        not _cut_short(later)
        and (
            later["since"] is None or (run["since"] is not None and later["since"] <= run["since"])
        )
        and (
            later["until"] is None or (run["until"] is not None and later["until"] >= run["until"])
        )
    )


def runs_of(db: sqlite_utils.Database, pid: int, since: str) -> list[dict[str, Any]]:
    """Every run started by process ``pid`` since ``since``."""
    return list(
        db.query("SELECT * FROM runs WHERE pid = ? AND started_at >= ? ORDER BY id", [pid, since])
    )


def fail_run(db: sqlite_utils.Database, run_id: int, message: str) -> dict[str, Any]:
    """Record a run as ``failed``, finished or not (a run stopped because it took too long)."""
    row = db["runs"].get(run_id)
    if row["finished_at"] is None:
        return finish_run(db, run_id, outcome="failed", message=message)
    with write_transaction(db):
        db["runs"].update(run_id, {"outcome": "failed", "message": message})
    return db["runs"].get(run_id)


def last_attempts(db: sqlite_utils.Database) -> dict[str, str]:
    """Source → start of its last scheduled-style run (monitor or recheck), not interrupted.

    This decides when a source is next due: a failed run counts (a broken site is not retried
    in a loop), an interrupted one does not (it was stopped by a signal: run it again).
    """
    return {
        row[0]: row[1]
        for row in db.execute(
            "SELECT source, max(started_at) FROM runs WHERE mode != 'backfill'"
            " AND (outcome IS NULL OR outcome != 'interrupted') GROUP BY source"
        )
    }


def process_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a running process. A zombie (killed, not yet reaped: an orphan whose
    new parent does not reap, as in some containers) is not: it will never finish its run."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False  # no /proc (not Linux), or the process just went away


def log_fetch(
    db: sqlite_utils.Database,
    run_id: int | None,
    url: str,
    *,
    status: int | None,
    size: int | None = None,
    error: str | None = None,
    outcome: str | None = None,
) -> int:
    """Append one HTTP request to the fetch log and return its id."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO fetches (run_id, url, fetched_at, status, bytes, error, outcome)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [run_id, url, utc_now(), status, size, error, outcome],
        )
        return cursor.lastrowid


# What a fetch's outcome may set. Plain SQL, not sqlite-utils' ``Table.update``: that reads the
# table's schema on every call, five statements a page on the crawl's hottest path.
FETCH_OUTCOME_COLUMNS = frozenset({"outcome", "error", "page_hash", "document_id"})


def update_fetch(db: sqlite_utils.Database, fetch_id: int, **fields: Any) -> None:
    """Record what came of a fetch (outcome, error, stored page, document)."""
    unknown = fields.keys() - FETCH_OUTCOME_COLUMNS
    if unknown:
        raise ValueError(f"not a fetch outcome column: {', '.join(sorted(unknown))}")
    if not fields:
        return
    assignments = ", ".join(f"{column} = ?" for column in fields)
    with write_transaction(db):
        db.execute(f"UPDATE fetches SET {assignments} WHERE id = ?", [*fields.values(), fetch_id])


def fetch_results(db: sqlite_utils.Database, run_id: int) -> list[tuple[int | None, str | None]]:
    """(HTTP status, error) of every request a run made, retried attempts included."""
    return [
        tuple(row)
        for row in db.execute("SELECT status, error FROM fetches WHERE run_id = ?", [run_id])
    ]
