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
from flagging.changes import REVERTED, recompute_rewritten_histories, record_changes
from flagging.changes import WATERMARK as CHANGES_WATERMARK
from flagging.counterparts import counterparts_step
from flagging.reported import reported_step
from storage.archive import ARCHIVE
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag
from storage.job_state import get_state, set_state
from storage.reextraction import REPROCESS

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


# A version as the flag job sees it: its change row (if any), whether it is the document's
# latest, whether the document was already announced, and any pending history rewrite.
_VERSION_ROWS = """
    SELECT v.id, v.document_id, v.version, v.title, v.origin, v.seen_at, d.source, d.kind,
           c.kinds, c.summary AS change_summary, c.from_version,
           (SELECT max(version) FROM versions WHERE document_id = v.document_id) AS latest,
           EXISTS (SELECT 1 FROM flags f WHERE f.document_id = v.document_id
                   AND f.kind = 'new_readout') AS announced,
           h.from_version AS rewritten_from
    FROM versions v JOIN documents d ON d.id = v.document_id
    LEFT JOIN changes c ON c.to_version_id = v.id
    LEFT JOIN history_rewrites h ON h.document_id = v.document_id
"""


def _flag_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """``new_readout`` and ``edited_readout`` flags, from versions whose change is recorded."""
    raised = []
    while True:
        with write_transaction(db):
            watermark = get_state(db, "flags.last_version_id")
            # Only versions the changes step has handled: their change row is there to read.
            rows = list(
                db.query(
                    _VERSION_ROWS + " WHERE v.id > ? AND v.id <= ? ORDER BY v.id LIMIT ?",
                    [watermark, get_state(db, CHANGES_WATERMARK), BATCH],
                )
            )
            if not rows:
                return raised
            announced: set[int] = set()
            handled = watermark
            for row in rows:
                if row["rewritten_from"] is not None and row["version"] >= row["rewritten_from"]:
                    break  # its change row is being recomputed: flag it on the next run
                if row["kind"] == "readout":
                    row["announced"] = row["announced"] or row["document_id"] in announced
                    flag = _version_flag(row)
                    if flag and insert_flag(db, flag):
                        raised.append(flag)
                        if flag["kind"] == "new_readout":
                            announced.add(row["document_id"])
                handled = row["id"]
            set_state(db, "flags.last_version_id", handled)
            if handled != rows[-1]["id"]:
                return raised


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
    version numbers and its change are those of the new order). Raises no flag."""
    recomputed = recompute_rewritten_histories(db)
    if not recomputed:
        return []
    with write_transaction(db):
        for row in db.query(
            _VERSION_ROWS + f" WHERE v.id IN ({', '.join('?' * len(recomputed))})", recomputed
        ):
            if row["kinds"] and json.loads(row["kinds"]):
                db.execute(
                    "UPDATE flags SET summary = ? WHERE key = ?",
                    [_edit_summary(row), f"edited_readout:version:{row['id']}"],
                )
    return []


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
    _refresh_rewritten_histories,
    _flag_versions,
    _flag_status_events,
    *citations.STEPS,
    counterparts_step,
    reported_step,
]
