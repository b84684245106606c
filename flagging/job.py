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
from flagging.changes import REVERTED, record_changes
from flagging.changes import WATERMARK as CHANGES_WATERMARK
from flagging.counterparts import counterparts_step
from flagging.flags import insert_flag, make_flag
from flagging.reported import reported_step
from flagging.state import get_state, set_state
from storage.database import write_transaction

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
    raised = []
    while True:
        with write_transaction(db):
            watermark = get_state(db, "flags.last_version_id")
            # Only versions the changes step has handled: their change row is there to read.
            rows = list(
                db.query(
                    """
                SELECT v.id, v.document_id, v.version, v.title, d.source, d.kind,
                       c.kinds, c.summary AS change_summary, c.from_version
                FROM versions v JOIN documents d ON d.id = v.document_id
                LEFT JOIN changes c ON c.to_version_id = v.id
                WHERE v.id > ? AND v.id <= ? ORDER BY v.id LIMIT ?
                """,
                    [watermark, get_state(db, CHANGES_WATERMARK), BATCH],
                )
            )
            if not rows:
                return raised
            for row in rows:
                if row["kind"] == "readout":
                    flag = _version_flag(row)
                    if flag and insert_flag(db, flag):
                        raised.append(flag)
            set_state(db, "flags.last_version_id", rows[-1]["id"])


def _version_flag(row: dict[str, Any]) -> dict[str, Any] | None:
    title = row["title"]
    if row["version"] == 1:
        return make_flag(
            "new_readout", row["source"], row["document_id"], row["id"], f"New readout: {title}"
        )
    if not row["kinds"] or not json.loads(row["kinds"]):
        return None  # no change row, or nothing left once the source's noise rules apply
    verb = "Reverted" if REVERTED in json.loads(row["kinds"]) else "Edited"
    summary = (
        f"{verb} (v{row['from_version']} → v{row['version']}): {title} — {row['change_summary']}"
    )
    return make_flag("edited_readout", row["source"], row["document_id"], row["id"], summary)


def _flag_status_events(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    raised = []
    with write_transaction(db):
        watermark = get_state(db, "flags.last_status_event_id")
        rows = list(
            db.query(
                """
            SELECT e.id, e.document_id, e.new_status, e.http_status, e.at, e.note, d.source, d.kind,
                   d.title, d.url,
                   (SELECT id FROM versions WHERE document_id = d.id
                    ORDER BY version DESC LIMIT 1) AS version_id
            FROM status_events e JOIN documents d ON d.id = e.document_id
            WHERE e.id > ? ORDER BY e.id
            """,
                [watermark],
            )
        )
        for row in rows:
            if row["kind"] != "readout":
                continue
            if row["new_status"] == "removed":
                why = (
                    f"Withdrawn by the publisher ({row['note']})"
                    if row["note"]
                    else f"Removed (HTTP {row['http_status']} twice)"
                )
                flag = make_flag(
                    "removed_readout",
                    row["source"],
                    row["document_id"],
                    row["version_id"],
                    f"{why}: {row['title']}",
                    key=f"removed_readout:event:{row['id']}",
                )
            else:
                flag = make_flag(
                    "restored_readout",
                    row["source"],
                    row["document_id"],
                    row["version_id"],
                    f"Restored: {row['title']}",
                    key=f"restored_readout:event:{row['id']}",
                )
            if insert_flag(db, flag):
                raised.append(flag)
        if rows:
            set_state(db, "flags.last_status_event_id", rows[-1]["id"])
    return raised


# Each step handles what was stored since its own watermark and returns the flags it raised.
# Steps run in this order after every crawl.
STEPS: list[Callable[[sqlite_utils.Database], list[dict[str, Any]]]] = [
    record_changes,
    _flag_versions,
    _flag_status_events,
    *citations.STEPS,
    counterparts_step,
    reported_step,
]
