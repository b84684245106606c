"""Captures imported from WARC/WACZ/ARC files: which records are in, and what they became.

One row per imported record, written in the same transaction as the raw page and the version
it produced: a record with a row is wholly stored, so a second import of the file, or the
rest of a killed one, skips it. The payload digest lets a later ``revisit`` record (same
payload, another date) find the page it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.archive import save_archived_version
from storage.database import write_transaction
from storage.documents import SaveResult, Snapshot
from storage.pages import load_page, save_page
from storage.timeutil import utc_now


@dataclass(frozen=True)
class CaptureRecord:
    """Where a capture came from: its record's id, file and offset, URL, date and digest."""

    key: str
    file: str
    offset: int
    url: str
    captured_at: str
    payload_digest: str | None


def is_imported(db: sqlite_utils.Database, key: str) -> bool:
    return (
        db.execute("SELECT 1 FROM imported_records WHERE record_key = ?", [key]).fetchone()
        is not None
    )


def revisited_page(
    db: sqlite_utils.Database, payload_digest: str | None
) -> tuple[bytes, str | None] | None:
    """Body and content type of an imported capture with this payload digest, if any."""
    if not payload_digest:
        return None
    row = db.execute(
        "SELECT p.hash, p.content_type FROM imported_records r JOIN pages p ON p.hash = r.page_hash"
        " WHERE r.payload_digest = ? LIMIT 1",
        [payload_digest],
    ).fetchone()
    return (load_page(db, row[0]), row[1]) if row else None


def store_capture(
    db: sqlite_utils.Database,
    record: CaptureRecord,
    snapshot: Snapshot,
    body: bytes,
    content_type: str | None,
) -> SaveResult | None:
    """Store the raw page, place the capture in its document's history and mark the record
    imported, all or nothing; None when another import stored the record meanwhile."""
    with write_transaction(db):
        if is_imported(db, record.key):
            return None
        snapshot.page_hash = save_page(db, body, content_type, record.captured_at)
        result = save_archived_version(db, snapshot, None)
        db.execute(
            "INSERT INTO imported_records (record_key, file, offset, url, captured_at,"
            " payload_digest, page_hash, document_id, version_id, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.key,
                record.file,
                record.offset,
                record.url,
                record.captured_at,
                record.payload_digest,
                snapshot.page_hash,
                result.document_id,
                result.version_id,
                utc_now(),
            ],
        )
    return result
