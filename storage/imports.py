"""Captures imported from WARC/WACZ/ARC files: which records are in, and what they became.

One row per imported record, written in the same transaction as the raw page and the version
it produced (or, for a 404/410 or 304 answer, the observation it counted): a record with a row
is wholly stored, so a second import of the file, or the rest of a killed one, skips it. The
payload digest lets a later ``revisit`` record (same payload, another date) find the page it
refers to. The record's exchange (request and response as the file holds them) is kept as a
capture in the same transaction, when the importer gives one (``exchange``: the keyword
arguments of ``storage.captures.save_capture``), so an export writes it again.

A capture also counts towards its document's status, through the crawl's own rules
(``storage.documents``: removed after two 404/410 observations, back when it answers again),
but only when it is no older than what the archive already knows of that status (the
document's last answer, its removal): records are replayed in file order, which is capture
order in our export and in a crawler's WARC. An older capture is history: it may add a version,
never change a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage import captures
from storage.archive import save_archived_version
from storage.database import write_transaction
from storage.documents import SaveResult, Snapshot, mark_answered, mark_gone
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


def revisited_payload(db: sqlite_utils.Database, payload_digest: str | None) -> bytes | None:
    """The body as transferred of the exchange an imported record with this payload digest
    kept, if any: what a ``revisit`` record of it refers to."""
    row = db.execute(
        "SELECT c.payload_digest FROM imported_records r JOIN captures c ON c.id = r.capture_id"
        " WHERE r.payload_digest = ? LIMIT 1",
        [payload_digest],
    ).fetchone()
    return captures.load_payload(db, row[0]) if row else None


def store_capture(
    db: sqlite_utils.Database,
    record: CaptureRecord,
    snapshot: Snapshot,
    body: bytes,
    content_type: str | None,
    exchange: dict[str, Any] | None = None,
) -> SaveResult | None:
    """Store the exchange and the raw page, place the capture in its document's history and
    mark the record imported, all or nothing; None when another import stored the record
    meanwhile."""
    with write_transaction(db):
        if is_imported(db, record.key):
            return None
        capture_id = captures.kept_capture(db, **exchange) if exchange else None
        snapshot.page_hash = save_page(db, body, content_type, record.captured_at)
        result = save_archived_version(db, snapshot, None)
        if _is_current(db, result.document_id, record.captured_at):
            mark_answered(db, snapshot.url, record.captured_at)
        _mark_imported(
            db, record, snapshot.page_hash, result.document_id, result.version_id, capture_id
        )
    return result


def store_observation(
    db: sqlite_utils.Database,
    record: CaptureRecord,
    http_status: int,
    *,
    gone: bool,
    exchange: dict[str, Any] | None = None,
) -> int | None:
    """Count a capture that holds no page for the document at ``record.url``: it was ``gone`` (404,
    410, a "not found" page), or answered 304 (there, unchanged). Its document's id, or None
    when the archive has no such document (nothing to count: the record is left for a later
    import) or another import stored the record meanwhile."""
    with write_transaction(db):
        row = db.execute("SELECT id FROM documents WHERE url = ?", [record.url]).fetchone()
        if row is None or is_imported(db, record.key):
            return None
        capture_id = captures.kept_capture(db, **exchange) if exchange else None
        if _is_current(db, row[0], record.captured_at):
            if gone:
                mark_gone(db, record.url, None, http_status, record.captured_at)
            else:
                mark_answered(db, record.url, record.captured_at, http_status)
        _mark_imported(db, record, None, row[0], None, capture_id)
    return row[0]


def _is_current(db: sqlite_utils.Database, document_id: int, captured_at: str) -> bool:
    """Whether a capture is no older than the document's last answer and its removal."""
    latest = db.execute(
        "SELECT max(coalesce(last_seen, ''), coalesce(removed_at, '')) FROM documents WHERE id = ?",
        [document_id],
    ).fetchone()[0]
    return captured_at >= latest


def _mark_imported(
    db: sqlite_utils.Database,
    record: CaptureRecord,
    page_hash: str | None,
    document_id: int,
    version_id: int | None,
    capture_id: int | None,
) -> None:
    db.execute(
        "INSERT INTO imported_records (record_key, file, offset, url, captured_at,"
        " payload_digest, page_hash, document_id, version_id, imported_at, capture_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.key,
            record.file,
            record.offset,
            record.url,
            record.captured_at,
            record.payload_digest,
            page_hash,
            document_id,
            version_id,
            utc_now(),
            capture_id,
        ],
    )
