"""Re-extraction: a document's current version derived again from its raw page by today's code.

When a spider's selectors or the text extractor improve, the page each document's current
version came from is parsed again (``readouts reprocess``). Where today's title, date or text
differ from that version (as the change rule sees them: the source's noise rules applied), a
new version is appended with origin ``reprocess``: the same page, read better, not an edit by
the publisher, so the flag job never flags it as one. Its change row shows what the new reading
changed, and the next crawl compares the live page against it instead of raising a false edit.

Only the current version is re-derived: re-reading older pages into the middle of the history
would interleave two generations of extraction, and every step between them would look like
an edit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.documents import SaveResult, Snapshot
from storage.normalize import content_hash
from storage.pages import load_page
from storage.schema import REPROCESS
from storage.timeutil import utc_now

BATCH = 200


def current_pages(
    db: sqlite_utils.Database, sources: list[str], since: str | None = None
) -> Iterator[dict[str, Any]]:
    """Each document's latest version that has a raw page, with the page, in id order, read in
    batches so that writes can happen between them. ``since``: versions seen on or after it."""
    after = 0
    # Versions appended while this runs (its own re-extractions, a crawl's) are not this pass's.
    last = db.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]
    marks = ", ".join("?" * len(sources))
    while True:
        rows = list(
            db.query(
                "SELECT v.id AS version_id, v.document_id, v.version, v.title, v.text,"
                " v.published_at, v.metadata, v.page_hash, d.url, d.source, d.kind,"
                " p.content_type FROM versions v JOIN documents d ON d.id = v.document_id"
                " JOIN pages p ON p.hash = v.page_hash"
                f" WHERE d.source IN ({marks}) AND v.id > ? AND v.id <= ? AND v.seen_at >= ?"
                " AND v.version = (SELECT max(version) FROM versions WHERE document_id = d.id)"
                " ORDER BY v.id LIMIT ?",
                [*sources, after, last, since or "", BATCH],
            )
        )
        if not rows:
            return
        for row in rows:
            row["body"] = load_page(db, row["page_hash"])
            row["metadata"] = json.loads(row["metadata"]) if row["metadata"] else {}
            yield row
        after = rows[-1]["version_id"]


def differs(current: dict[str, Any], snapshot: Snapshot) -> bool:
    """Whether the re-extraction says something else than the version (same noise rules)."""
    before = content_hash(
        current["title"], current["published_at"], current["text"], snapshot.ignore_patterns
    )
    return before != snapshot.content_hash


def save_reextraction(
    db: sqlite_utils.Database, snapshot: Snapshot, of_version_id: int
) -> SaveResult | None:
    """Append the re-extraction of version ``of_version_id`` to its document, unless that
    version is no longer the latest (a crawl stored a newer one meanwhile) or says the same."""
    with write_transaction(db):
        document_id, version, title, published_at, text = db.execute(
            "SELECT v.document_id, v.version, v.title, v.published_at, v.text FROM versions v"
            " WHERE v.id = ?",
            [of_version_id],
        ).fetchone()
        latest = db.execute(
            "SELECT max(version) FROM versions WHERE document_id = ?", [document_id]
        ).fetchone()[0]
        current = {"title": title, "published_at": published_at, "text": text}
        if latest != version or not differs(current, snapshot):
            return None
        metadata = {**(snapshot.metadata or {}), "reextraction_of": of_version_id}
        version_id = db.execute(
            "INSERT INTO versions (document_id, version, seen_at, title, text, published_at,"
            " content_hash, page_hash, run_id, origin, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            [
                document_id,
                version + 1,
                snapshot.seen_at or utc_now(),
                snapshot.title,
                snapshot.text,
                snapshot.published_at,
                snapshot.content_hash,
                snapshot.page_hash,
                REPROCESS,
                json.dumps(metadata, ensure_ascii=False),
            ],
        ).lastrowid
        db.execute(
            "UPDATE documents SET title = ?, published_at = ? WHERE id = ?",
            [snapshot.title, snapshot.published_at, document_id],
        )
    return SaveResult(document_id, version_id, version + 1, False)
