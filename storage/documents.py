"""Documents and their versions: what is new, what changed, what disappeared.

The rules users rely on live here:
- a version is stored only when the normalized title, date or text changed;
- 404/410 on two consecutive observations marks a document ``removed`` (one status event); the
  second must come from a run that started after the first was recorded, so two overlapping
  runs (the daemon's and a manual ``--recheck``) that each meet one transient 404 seconds apart
  do not remove a live readout;
- a removed document that answers again is ``live`` again (another status event);
- a document its publisher withdraws (with a notice saying so) is ``removed`` at once, the
  notice kept as the status event's note;
- transient failures never reach this module: the crawler does not report them as observations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.normalize import content_hash
from storage.timeutil import utc_now
from storage.versions import latest_version_id

REMOVAL_THRESHOLD = 2  # consecutive 404/410 observations before a document counts as removed


class EmptyVersionError(ValueError):
    """A snapshot without a title or main text: never stored as a version."""


@dataclass
class Snapshot:
    """What one successful fetch of a document page says."""

    source: str
    url: str
    kind: str
    title: str
    text: str
    published_at: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    seen_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    page_hash: str | None = None
    origin: str = "crawl"
    translation_key: str | None = None  # shared by the language versions of one text
    ignore_patterns: list[str] = field(default_factory=list)  # the source's noise rules

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.published_at, self.text, self.ignore_patterns)


@dataclass
class SaveResult:
    document_id: int
    version_id: int | None
    version: int | None
    created: bool  # the document was new

    @property
    def changed(self) -> bool:
        return self.version_id is not None


def save_version(
    db: sqlite_utils.Database,
    snapshot: Snapshot,
    run_id: int | None,
    *,
    restore_removed: bool = True,
) -> SaveResult:
    """Record a successful fetch; store a new version only if the content changed.

    A removed document that answers again becomes ``live`` unless ``restore_removed`` is false
    (a withdrawn page still answers, but is not back)."""
    if not (snapshot.title or "").strip() or not (snapshot.text or "").strip():
        raise EmptyVersionError(f"Refusing to store an empty version of {snapshot.url}")
    seen_at = snapshot.seen_at or utc_now()
    digest = snapshot.content_hash
    with write_transaction(db):
        row = db.execute(
            "SELECT id, status FROM documents WHERE url = ?", [snapshot.url]
        ).fetchone()
        created = row is None
        if created:
            document_id = db.execute(
                "INSERT INTO documents (source, url, kind, status, first_seen) VALUES (?, ?, ?, 'live', ?)",
                [snapshot.source, snapshot.url, snapshot.kind, seen_at],
            ).lastrowid
        else:
            document_id, status = row
            if status == "removed" and restore_removed:
                _set_status(db, document_id, "live", run_id, seen_at, http_status=200)
        latest = db.execute(
            "SELECT version, content_hash FROM versions WHERE document_id = ?"
            " ORDER BY version DESC LIMIT 1",
            [document_id],
        ).fetchone()
        version_id = version = None
        if latest is None or latest[1] != digest:
            version = 1 if latest is None else latest[0] + 1
            version_id = db.execute(
                "INSERT INTO versions (document_id, version, seen_at, title, text, published_at,"
                " content_hash, page_hash, run_id, origin, metadata)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    document_id,
                    version,
                    seen_at,
                    snapshot.title,
                    snapshot.text,
                    snapshot.published_at,
                    digest,
                    snapshot.page_hash,
                    run_id,
                    snapshot.origin,
                    json.dumps(snapshot.metadata, ensure_ascii=False)
                    if snapshot.metadata
                    else None,
                ],
            ).lastrowid
            db.execute(
                "UPDATE documents SET title = ?, published_at = ?, language = ? WHERE id = ?",
                [snapshot.title, snapshot.published_at, snapshot.language, document_id],
            )
        db.execute(
            "UPDATE documents SET last_seen = ?, etag = ?, last_modified = ?, missing_count = 0,"
            " missing_run_id = NULL, missing_runs_until = NULL, last_http_status = 200,"
            " translation_key = coalesce(?, translation_key),"
            " page_hash = coalesce(?, page_hash) WHERE id = ?",
            [
                seen_at,
                snapshot.etag,
                snapshot.last_modified,
                snapshot.translation_key,
                snapshot.page_hash,
                document_id,
            ],
        )
    return SaveResult(document_id, version_id, version, created)


def mark_withdrawn(
    db: sqlite_utils.Database, snapshot: Snapshot, run_id: int | None, note: str
) -> SaveResult:
    """The page still answers but its publisher withdrew it: keep what it says (a version, if
    changed) and mark the document ``removed`` once, with the publisher's ``note``."""
    with write_transaction(db):
        result = save_version(db, snapshot, run_id, restore_removed=False)
        status = db.execute(
            "SELECT status FROM documents WHERE id = ?", [result.document_id]
        ).fetchone()[0]
        if status != "removed":
            _set_status(
                db,
                result.document_id,
                "removed",
                run_id,
                snapshot.seen_at or utc_now(),
                http_status=200,
                note=note,
            )
    return result


def mark_not_modified(
    db: sqlite_utils.Database, url: str, run_id: int | None, seen_at: str | None = None
) -> int | None:
    """A conditional re-check answered 304: the document is there and unchanged."""
    return _mark_unchanged(db, url, run_id, seen_at or utc_now(), 304)


def mark_same_page(
    db: sqlite_utils.Database,
    url: str,
    run_id: int | None,
    seen_at: str | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> int | None:
    """A re-check answered 200 with the very bytes the document's state was parsed from
    (``documents.page_hash``): unchanged, like a 304, without parsing the page again. Its
    validators are kept, for the next conditional request."""
    return _mark_unchanged(
        db, url, run_id, seen_at or utc_now(), 200, etag=etag, last_modified=last_modified
    )


def mark_answered(
    db: sqlite_utils.Database, url: str, seen_at: str, http_status: int = 200
) -> int | None:
    """A capture made elsewhere (an imported WARC record) shows the document answering at
    ``seen_at`` (200, or 304): as for a re-check, a document removed after 404s is back, and its
    404 count starts again. Its validators stay ours: that exchange was not."""
    return _mark_unchanged(db, url, None, seen_at, http_status)


def _mark_unchanged(
    db: sqlite_utils.Database,
    url: str,
    run_id: int | None,
    seen_at: str,
    http_status: int,
    **validators: str | None,
) -> int | None:
    with write_transaction(db):
        row = db.execute("SELECT id, status FROM documents WHERE url = ?", [url]).fetchone()
        if row is None:
            return None
        document_id, status = row
        # Unchanged since it was withdrawn: still withdrawn. Unchanged since a 404: it is back.
        if status == "removed" and not _withdrawn(db, document_id):
            _set_status(db, document_id, "live", run_id, seen_at, http_status=http_status)
        db.execute(
            "UPDATE documents SET last_seen = ?, missing_count = 0, missing_run_id = NULL,"
            " missing_runs_until = NULL, last_http_status = ? WHERE id = ?",
            [seen_at, http_status, document_id],
        )
        if validators:  # a 304, or a capture from elsewhere, keeps the validators we hold
            db.execute(
                "UPDATE documents SET etag = ?, last_modified = ? WHERE id = ?",
                [validators.get("etag"), validators.get("last_modified"), document_id],
            )
    return document_id


def mark_gone(
    db: sqlite_utils.Database,
    url: str,
    run_id: int | None,
    http_status: int,
    seen_at: str | None = None,
) -> int | None:
    """A known document answered 404/410 (or its equivalent).

    The observation counts towards removal only if its run started after the last counted one
    was recorded: run ids grow in start order, so that is a run id above the newest run that
    existed then (``missing_runs_until``), whatever the clocks' resolution. A sequential run
    always qualifies; the same run, or one that overlapped, does not. An observation outside
    any run (``run_id`` None) always counts.
    """
    seen_at = seen_at or utc_now()
    with write_transaction(db):
        row = db.execute(
            "SELECT id, status, missing_count, missing_runs_until FROM documents WHERE url = ?",
            [url],
        ).fetchone()
        if row is None:
            return None
        document_id, status, missing_count, runs_until = row
        counts = run_id is None or not missing_count or run_id > (runs_until or 0)
        if not counts:
            db.execute(
                "UPDATE documents SET last_http_status = ? WHERE id = ?", [http_status, document_id]
            )
            return document_id
        missing_count = (missing_count or 0) + 1
        newest_run = max(db.execute("SELECT max(id) FROM runs").fetchone()[0] or 0, run_id or 0)
        db.execute(
            "UPDATE documents SET missing_count = ?, missing_run_id = ?, missing_runs_until = ?,"
            " last_http_status = ? WHERE id = ?",
            [missing_count, run_id, newest_run, http_status, document_id],
        )
        if status != "removed" and missing_count >= REMOVAL_THRESHOLD:
            _set_status(db, document_id, "removed", run_id, seen_at, http_status=http_status)
    return document_id


def _withdrawn(db: sqlite_utils.Database, document_id: int) -> bool:
    """Whether the document's last status change was its publisher's withdrawal."""
    row = db.execute(
        "SELECT note FROM status_events WHERE document_id = ? ORDER BY id DESC LIMIT 1",
        [document_id],
    ).fetchone()
    return bool(row and row[0])


def _set_status(
    db: sqlite_utils.Database,
    document_id: int,
    new_status: str,
    run_id: int | None,
    at: str,
    *,
    http_status: int | None,
    note: str | None = None,
) -> None:
    old_status = db.execute("SELECT status FROM documents WHERE id = ?", [document_id]).fetchone()[
        0
    ]
    db.execute(
        "UPDATE documents SET status = ?, removed_at = ? WHERE id = ?",
        [new_status, at if new_status == "removed" else None, document_id],
    )
    db.execute(
        "INSERT INTO status_events (document_id, run_id, at, old_status, new_status, http_status,"
        f" note, version_id) VALUES (?, ?, ?, ?, ?, ?, ?, {latest_version_id('?')})",
        [document_id, run_id, at, old_status, new_status, http_status, note, document_id],
    )


def known_documents(db: sqlite_utils.Database, source: str) -> dict[str, dict[str, Any]]:
    """URL → what a re-check needs (validators for conditional requests, date, status, and the
    hash of the raw page its state was parsed from)."""
    return {
        row["url"]: row
        for row in db.query(
            "SELECT url, etag, last_modified, published_at, first_seen, status, page_hash"
            " FROM documents"
            " WHERE source = ?",
            [source],
        )
    }


def status_events_after(db: sqlite_utils.Database, after: int, limit: int) -> list[dict[str, Any]]:
    """Status events above id ``after``, with their document and the version live at the event
    (the latest version, for events stored before they named it)."""
    return list(
        db.query(
            f"""
            SELECT e.id, e.document_id, e.new_status, e.http_status, e.at, e.note, d.source,
                   d.kind, d.title, d.url,
                   coalesce(e.version_id, {latest_version_id("d.id")}) AS version_id
            FROM status_events e JOIN documents d ON d.id = e.document_id
            WHERE e.id > ? ORDER BY e.id LIMIT ?
            """,
            [after, limit],
        )
    )
