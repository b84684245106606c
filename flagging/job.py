"""The flag job: turn what storage recorded into things a user should look at.

It is incremental (watermarks in ``job_state``: the last version and status event it handled)
and idempotent (each flag has a unique ``key``), so it can run after every crawl, from two
processes at once, or again after a crash, and still raise each flag exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlite_utils

from flagging.counterparts import counterparts_step
from flagging.diff import diff_stats, word_diff
from flagging.flags import get_state, insert_flag, make_flag, set_state
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
    raised = []
    while True:
        with write_transaction(db):
            watermark = get_state(db, "flags.last_version_id")
            rows = list(
                db.query(
                    """
                SELECT v.id, v.document_id, v.version, v.title, v.text, v.published_at,
                       d.source, d.kind
                FROM versions v JOIN documents d ON d.id = v.document_id
                WHERE v.id > ? ORDER BY v.id LIMIT ?
                """,
                    [watermark, BATCH],
                )
            )
            if not rows:
                return raised
            for row in rows:
                if row["kind"] == "readout":
                    flag = _version_flag(db, row)
                    if flag and insert_flag(db, flag):
                        raised.append(flag)
            set_state(db, "flags.last_version_id", rows[-1]["id"])


def _version_flag(db: sqlite_utils.Database, row: dict[str, Any]) -> dict[str, Any] | None:
    title = row["title"]
    if row["version"] == 1:
        return make_flag(
            "new_readout", row["source"], row["document_id"], row["id"], f"New readout: {title}"
        )
    previous = db.execute(
        "SELECT title, text, published_at FROM versions WHERE document_id = ? AND version = ?",
        [row["document_id"], row["version"] - 1],
    ).fetchone()
    if previous is None:
        return None
    return make_flag(
        "edited_readout", row["source"], row["document_id"], row["id"], edit_summary(previous, row)
    )


def edit_summary(previous: tuple[str, str, str], row: dict[str, Any]) -> str:
    """One line saying what changed between two versions."""
    old_title, old_text, old_date = previous
    parts = []
    if (old_text or "") != (row["text"] or ""):
        stats = diff_stats(word_diff(old_text or "", row["text"] or ""))
        parts.append(
            f"text edited: {stats.words_added} word(s) added, {stats.words_removed} removed "
            f"({stats.share_changed:.0%} of the text)"
        )
    if old_title != row["title"]:
        parts.append(f"title changed from {old_title!r}")
    if old_date != row["published_at"]:
        parts.append(f"date changed from {old_date} to {row['published_at']}")
    what = "; ".join(parts) or "typography changed"
    return f"Edited (v{row['version'] - 1} → v{row['version']}): {row['title']} — {what}"


def _flag_status_events(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    raised = []
    with write_transaction(db):
        watermark = get_state(db, "flags.last_status_event_id")
        rows = list(
            db.query(
                """
            SELECT e.id, e.document_id, e.new_status, e.http_status, e.at, d.source, d.kind,
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
                flag = make_flag(
                    "removed_readout",
                    row["source"],
                    row["document_id"],
                    row["version_id"],
                    f"Removed (HTTP {row['http_status']} twice): {row['title']}",
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
    _flag_versions,
    _flag_status_events,
    counterparts_step,
]
