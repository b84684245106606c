"""Versions as the flag job's steps read them, batch by batch past their watermarks.

Each ``…_after(db, after, limit)`` returns up to ``limit`` rows with ids above ``after``, oldest
first, each with an ``id`` (``flagging.batches.run_in_batches`` moves the watermark to the
last one's).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

Row = dict[str, Any]


def latest_version_id(document: str) -> str:
    """SQL for the id of the latest version of ``document`` (an SQL expression): the highest
    version number, not the highest id, since an archive or news-scan capture older than the
    versions stored takes its place before them with a later id."""
    return f"(SELECT id FROM versions WHERE document_id = {document} ORDER BY version DESC LIMIT 1)"


def versions_after(db: sqlite_utils.Database, after: int, limit: int) -> list[Row]:
    """Every version (readout or commentary), with its source."""
    return list(
        db.query(
            "SELECT v.id, v.document_id, v.version, v.title, v.text, v.published_at,"
            " v.content_hash, d.source FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE v.id > ? ORDER BY v.id LIMIT ?",
            [after, limit],
        )
    )


def history_from(
    db: sqlite_utils.Database, document_id: int, from_version: int, source: str
) -> list[Row]:
    """A document's versions from ``from_version`` on, as ``versions_after`` returns them."""
    return list(
        db.query(
            "SELECT id, document_id, version, title, text, published_at, content_hash,"
            " ? AS source FROM versions WHERE document_id = ? AND version >= ? ORDER BY version",
            [source, document_id, from_version],
        )
    )


def version_number(db: sqlite_utils.Database, document_id: int, version: int) -> Row | None:
    rows = list(
        db.query(
            "SELECT id, version, title, text, published_at FROM versions"
            " WHERE document_id = ? AND version = ?",
            [document_id, version],
        )
    )
    return rows[0] if rows else None


def last_version_with_hash(
    db: sqlite_utils.Database, document_id: int, before_version: int, content_hash: str
) -> Row | None:
    """The latest version before ``before_version`` with that content: a revert's target."""
    rows = list(
        db.query(
            "SELECT id, version, title, text, published_at FROM versions"
            " WHERE document_id = ? AND version < ? AND content_hash = ?"
            " ORDER BY version DESC LIMIT 1",
            [document_id, before_version, content_hash],
        )
    )
    return rows[0] if rows else None


# A version as the flag job flags it: its change row (if any), whether it is the document's
# latest, whether the document was already announced, and any pending history rewrite.
_FLAG_ROWS = """
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


def flag_rows_after(db: sqlite_utils.Database, after: int, until: int, limit: int) -> list[Row]:
    """Versions above ``after`` and at most ``until`` (the last one whose change is recorded)."""
    return list(
        db.query(
            _FLAG_ROWS + " WHERE v.id > ? AND v.id <= ? ORDER BY v.id LIMIT ?",
            [after, until, limit],
        )  # fmt: skip
    )


def flag_rows(db: sqlite_utils.Database, version_ids: list[int]) -> list[Row]:
    return list(
        db.query(_FLAG_ROWS + f" WHERE v.id IN ({', '.join('?' * len(version_ids))})", version_ids)
    )


def readout_versions_after(db: sqlite_utils.Database, after: int, limit: int) -> list[Row]:
    """Readout versions (their ids: the counterparts step profiles each document's current
    version, ``current_readout_versions``)."""
    return list(
        db.query(
            "SELECT v.id, v.document_id FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE v.id > ? AND d.kind = 'readout' ORDER BY v.id LIMIT ?",
            [after, limit],
        )
    )


def current_readout_versions(db: sqlite_utils.Database, document_ids: list[int]) -> list[Row]:
    """The current version of each of these documents (what the counterparts step profiles)."""
    return list(
        db.query(
            "SELECT v.id AS version_id, v.document_id, v.title, v.text, v.published_at, d.source"
            f" FROM documents d JOIN versions v ON v.id = {latest_version_id('d.id')}"
            " WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id",
            [json.dumps(document_ids)],
        )
    )


def commentary_versions_waiting(db: sqlite_utils.Database, after: int) -> int:
    return db.execute(
        "SELECT count(*) FROM versions v JOIN documents d ON d.id = v.document_id"
        " WHERE d.kind = 'commentary' AND v.id > ?",
        [after],
    ).fetchone()[0]


def latest_commentary_versions_after(
    db: sqlite_utils.Database, after: int, limit: int
) -> list[Row]:
    """Article versions that are their document's latest (an older one is superseded)."""
    return list(
        db.query(
            f"""
            SELECT v.id, v.document_id, v.text, v.title, v.seen_at, d.published_at, d.source
            FROM versions v JOIN documents d ON d.id = v.document_id
            WHERE v.id > ? AND d.kind = 'commentary'
              AND v.id = {latest_version_id("v.document_id")}
            ORDER BY v.id LIMIT ?
            """,
            [after, limit],
        )
    )


def version_title(db: sqlite_utils.Database, version_id: int) -> str | None:
    row = db.execute("SELECT title FROM versions WHERE id = ?", [version_id]).fetchone()
    return row[0] if row else None


def version_texts(db: sqlite_utils.Database, version_ids: list[int]) -> dict[int, str]:
    return dict(
        db.execute(
            f"SELECT id, text FROM versions WHERE id IN ({', '.join('?' * len(version_ids))})",
            version_ids,
        ).fetchall()
    )
