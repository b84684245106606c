"""The flag job: turn what storage recorded into things a user should look at.

It is incremental (watermarks in ``job_state``: the last version and status event it handled)
and idempotent (each flag has a unique ``key``), so it can run after every crawl, from two
processes at once, or again after a crash, and still raise each flag exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import sqlite_utils

from flagging import citations
from flagging.batches import run_in_batches
from flagging.changes import REVERTED, recompute_rewritten_histories, record_changes
from flagging.changes import WATERMARK as CHANGES_WATERMARK
from flagging.counterparts import counterparts_step
from flagging.reported import reported_step
from storage.documents import status_events_after
from storage.flags import insert_flag, make_flag, update_flag_summary
from storage.job_state import get_state
from storage.schema import ARCHIVE, REPROCESS
from storage.versions import flag_rows, flag_rows_after

logger = logging.getLogger(__name__)

BATCH = 500


def run_flag_job(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Raise the flags for everything stored since the last run; return the new flags."""
    raised = []
    for step in STEPS:
        raised += step(db)
    if raised:
        logger.info("Flag job raised %d flag(s)", len(raised))
    return raised


def _flag_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """``new_readout`` and ``edited_readout`` flags, from versions whose change is recorded."""

    def fetch(db: sqlite_utils.Database, after: int, limit: int) -> list[dict[str, Any]]:
        # Only versions the changes step has handled: their change row is there to read.
        rows = flag_rows_after(db, after, get_state(db, CHANGES_WATERMARK), limit)
        for index, row in enumerate(rows):
            if row["rewritten_from"] is not None and row["version"] >= row["rewritten_from"]:
                return rows[:index]  # its change row is being recomputed: flagged next run
        return rows

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raised = []
        announced: set[int] = set()
        for row in rows:
            if row["kind"] != "readout":
                continue
            row["announced"] = row["announced"] or row["document_id"] in announced
            flag = _version_flag(row)
            if flag and insert_flag(db, flag):
                raised.append(flag)
                if flag["kind"] == "new_readout":
                    announced.add(row["document_id"])
        return raised

    return run_in_batches(db, "flags.last_version_id", fetch, handle, batch=BATCH)


def _version_flag(row: dict[str, Any]) -> dict[str, Any] | None:
    """The flag a version raises, if any.

    A document's first flag is ``new_readout``; later versions raise ``edited_readout`` when
    their change row lists a change. A version from the web archive raises a flag only if it
    is the document's latest: a backfill of old captures shows history, not news. A
    re-extraction (``readouts reprocess``) is our reading improving, never the publisher's edit.
    """
    if row["origin"] == REPROCESS:
        return None
    archived = row["origin"] == ARCHIVE
    if archived and row["version"] != row["latest"]:
        return None
    if not row["announced"]:
        where = f" (web archive capture of {row['seen_at'][:10]})" if archived else ""
        summary = f"New readout{where}: {row['title']}"
        return make_flag("new_readout", row["source"], row["document_id"], row["id"], summary)
    if not row["kinds"] or not json.loads(row["kinds"]):
        return None  # no change row, or nothing left once the source's noise rules apply
    return make_flag(
        "edited_readout", row["source"], row["document_id"], row["id"], _edit_summary(row)
    )


def _edit_summary(row: dict[str, Any]) -> str:
    verb = "Reverted" if REVERTED in json.loads(row["kinds"]) else "Edited"
    capture = f", web archive capture of {row['seen_at'][:10]}" if row["origin"] == ARCHIVE else ""
    return (
        f"{verb} (v{row['from_version']} → v{row['version']}{capture}): {row['title']}"
        f" — {row['change_summary']}"
    )


def _refresh_rewritten_histories(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Recompute the change rows of histories reordered by archive captures; an
    ``edited_readout`` flag already raised on one of those versions gets the new summary (its
    version numbers and its change are those of the new order), in the same transaction as the
    new rows. Raises no flag."""

    def refresh_summaries(db: sqlite_utils.Database, version_ids: list[int]) -> None:
        for row in flag_rows(db, version_ids):
            if row["kinds"] and json.loads(row["kinds"]):
                update_flag_summary(db, f"edited_readout:version:{row['id']}", _edit_summary(row))

    recompute_rewritten_histories(db, refresh_summaries)
    return []


STATUS_WATERMARK = "flags.last_status_event_id"


def _flag_status_events(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """``removed_readout`` and ``restored_readout`` flags, one per status event."""

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raised = []
        for row in rows:
            if row["kind"] == "readout" and insert_flag(db, flag := _status_flag(row)):
                raised.append(flag)
        return raised

    return run_in_batches(db, STATUS_WATERMARK, status_events_after, handle, batch=BATCH)


def _status_flag(row: dict[str, Any]) -> dict[str, Any]:
    if row["new_status"] == "removed":
        why = (
            f"Withdrawn by the publisher ({row['note']})"
            if row["note"]
            else f"Removed (HTTP {row['http_status']} twice)"
        )
        return make_flag(
            "removed_readout",
            row["source"],
            row["document_id"],
            row["version_id"],
            f"{why}: {row['title']}",
            key=f"removed_readout:event:{row['id']}",
        )
    return make_flag(
        "restored_readout",
        row["source"],
        row["document_id"],
        row["version_id"],
        f"Restored: {row['title']}",
        key=f"restored_readout:event:{row['id']}",
    )


# Each step handles what was stored since its own watermark and returns the flags it raised.
# Steps run in this order after every crawl.
STEPS: list[Callable[[sqlite_utils.Database], list[dict[str, Any]]]] = [
    record_changes,
    _refresh_rewritten_histories,
    _flag_versions,
    _flag_status_events,
    *citations.STEPS,
    counterparts_step,
    reported_step,
]
