"""Counterpart links between readouts, and the user's verdict on each.

Detection may run again and again (new versions, rebuilt profiles); a link a user confirmed or
rejected keeps that verdict: detection only refreshes its confidence and evidence.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.schema import COUNTERPART_STATUSES
from storage.timeutil import utc_now


def save_event_profile(db: sqlite_utils.Database, row: dict[str, Any]) -> dict[str, Any] | None:
    """Store a document's profile (one per document: its latest readout version's); return the
    one it replaces, if any."""
    with write_transaction(db):
        old = stored_profile(db, row["document_id"])
        db.execute(
            "INSERT INTO event_profiles (document_id, version_id, source, participants, kinds,"
            " published_utc, event_day, announcement) VALUES (:document_id, :version_id, :source,"
            " :participants, :kinds, :published_utc, :event_day, :announcement)"
            " ON CONFLICT(document_id) DO UPDATE SET version_id = excluded.version_id,"
            " source = excluded.source, participants = excluded.participants,"
            " kinds = excluded.kinds, published_utc = excluded.published_utc,"
            " event_day = excluded.event_day, announcement = excluded.announcement",
            row,
        )
    return old


def stored_profile(db: sqlite_utils.Database, document_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM event_profiles WHERE document_id = ?", [document_id]))
    return rows[0] if rows else None


def profile_participants(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(source, participants JSON) of every stored profile."""
    return db.execute("SELECT source, participants FROM event_profiles").fetchall()


def profiles_of_sources(db: sqlite_utils.Database, sources: list[str]) -> list[dict[str, Any]]:
    """The stored profiles of these sources' readouts, with the profiled version's title."""
    marks = ", ".join("?" for _ in sources)
    return list(
        db.query(
            f"SELECT p.*, v.title FROM event_profiles p JOIN versions v ON v.id = p.version_id"
            f" WHERE p.source IN ({marks}) ORDER BY p.document_id",
            sources,
        )
    )


def profiles_between(
    db: sqlite_utils.Database, start: str, end: str, not_source: str
) -> list[dict[str, Any]]:
    """Profiles published between ``start`` and ``end`` (UTC text) by other sources."""
    return list(
        db.query(
            "SELECT * FROM event_profiles WHERE published_utc BETWEEN ? AND ? AND source != ?",
            [start, end, not_source],
        )
    )


def save_counterpart(
    db: sqlite_utils.Database,
    a_id: int,
    b_id: int,
    confidence: float,
    evidence: dict[str, Any],
    topics: dict[str, Any] | None,
) -> tuple[int, bool]:
    """Insert or refresh the link between two readouts; returns (id, created)."""
    a_id, b_id = sorted((a_id, b_id))
    now = utc_now()
    with write_transaction(db):
        row = db.execute(
            "SELECT id FROM counterparts WHERE readout_a_id = ? AND readout_b_id = ?", [a_id, b_id]
        ).fetchone()
        values = {
            "confidence": confidence,
            "evidence": json.dumps(evidence),
            "topics": json.dumps(topics) if topics is not None else None,
            "updated_at": now,
        }
        if row:
            db["counterparts"].update(row[0], values)
            return row[0], False
        cursor = db.execute(
            "INSERT INTO counterparts (readout_a_id, readout_b_id, confidence, evidence, topics,"
            " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'suggested', ?, ?)",
            [a_id, b_id, confidence, values["evidence"], values["topics"], now, now],
        )
        return cursor.lastrowid, True


def drop_stale_suggestions(db: sqlite_utils.Database, document_id: int, kept: set[int]) -> int:
    """Delete the links of a readout no user has decided on, but those to the readouts in
    ``kept``; return how many went. (Their ``counterpart_found`` flags stay, as the record that
    the link was once found.)"""
    return db.execute(
        "DELETE FROM counterparts WHERE status = 'suggested'"
        " AND (readout_a_id = :doc OR readout_b_id = :doc)"
        " AND CASE WHEN readout_a_id = :doc THEN readout_b_id ELSE readout_a_id END"
        " NOT IN (SELECT value FROM json_each(:kept))",
        {"doc": document_id, "kept": json.dumps(sorted(kept))},
    ).rowcount


def set_counterpart_status(db: sqlite_utils.Database, a_id: int, b_id: int, status: str) -> int:
    """Record a user's verdict on a link (creating the link if detection missed it)."""
    if status not in COUNTERPART_STATUSES:
        raise ValueError(f"status must be one of {', '.join(COUNTERPART_STATUSES)}")
    a_id, b_id = sorted((a_id, b_id))
    now = utc_now()
    with write_transaction(db):
        db.execute(
            "INSERT INTO counterparts (readout_a_id, readout_b_id, confidence, evidence, status,"
            " decided_at, created_at, updated_at) VALUES (?, ?, 1.0, ?, ?, ?, ?, ?)"
            " ON CONFLICT(readout_a_id, readout_b_id) DO UPDATE SET status = excluded.status,"
            " decided_at = excluded.decided_at, updated_at = excluded.updated_at",
            [a_id, b_id, json.dumps({"by": "user"}), status, now, now, now],
        )
        row = db.execute(
            "SELECT id FROM counterparts WHERE readout_a_id = ? AND readout_b_id = ?", [a_id, b_id]
        ).fetchone()
    return row[0]


def counterparts_of(db: sqlite_utils.Database, document_id: int) -> list[dict[str, Any]]:
    """Links of a readout, best first, with the other readout's title, source and URL."""
    return list(
        db.query(
            """
            SELECT c.*, d.id AS other_id, d.title AS other_title, d.source AS other_source,
                   d.url AS other_url, d.published_at AS other_published_at
            FROM counterparts c
            JOIN documents d ON d.id = CASE WHEN c.readout_a_id = :doc THEN c.readout_b_id
                                            ELSE c.readout_a_id END
            WHERE c.readout_a_id = :doc OR c.readout_b_id = :doc
            ORDER BY c.status = 'rejected', c.confidence DESC
            """,
            {"doc": document_id},
        )
    )
