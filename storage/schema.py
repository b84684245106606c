"""The one place that defines the database schema.

The schema is a list of migrations; ``PRAGMA user_version`` records how many have been
applied, so an archive made by an older release is upgraded in place by any command.
Every migration runs in its own ``BEGIN IMMEDIATE`` transaction and must be idempotent
(``if_not_exists``), so two processes starting at once cannot apply one twice.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]

DOCUMENT_KINDS = ("readout", "commentary")
DOCUMENT_STATUSES = ("live", "removed")
FLAG_KINDS = (
    "new_readout",
    "edited_readout",
    "removed_readout",
    "restored_readout",
    "new_citation",
    "quote_drift",
    "counterpart_found",
)
COUNTERPART_STATUSES = ("suggested", "confirmed", "rejected")


def _create_core_tables(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "name": str,
            "kind": str,
            "spider": str,
            "base_url": str,
            "schedule": str,
            "config": str,
            "updated_at": str,
        },
        pk="name",
        if_not_exists=True,
    )
    db["runs"].create(
        {
            "id": int,
            "source": str,
            "mode": str,
            "started_at": str,
            "finished_at": str,
            "outcome": str,
            "since": str,
            "until": str,
            "pid": int,
            "pages_fetched": int,
            "versions_stored": int,
            "new_documents": int,
            "unchanged": int,
            "not_modified": int,
            "gone": int,
            "errors": int,
            "parse_errors": int,
            "message": str,
        },
        pk="id",
        if_not_exists=True,
        defaults={
            "pages_fetched": 0,
            "versions_stored": 0,
            "new_documents": 0,
            "unchanged": 0,
            "not_modified": 0,
            "gone": 0,
            "errors": 0,
            "parse_errors": 0,
        },
    )
    db["pages"].create(
        {
            "hash": str,
            "content_type": str,
            "size": int,
            "compression": str,
            "body": bytes,
            "first_seen": str,
        },
        pk="hash",
        if_not_exists=True,
    )
    db["documents"].create(
        {
            "id": int,
            "source": str,
            "url": str,
            "kind": str,
            "title": str,
            "published_at": str,
            "language": str,
            "status": str,
            "first_seen": str,
            "last_seen": str,
            "removed_at": str,
            "etag": str,
            "last_modified": str,
            "missing_count": int,
            "missing_run_id": int,
            "last_http_status": int,
        },
        pk="id",
        if_not_exists=True,
        not_null={"url", "source", "kind", "status"},
        defaults={"status": "live", "missing_count": 0},
    )
    db["versions"].create(
        {
            "id": int,
            "document_id": int,
            "version": int,
            "seen_at": str,
            "title": str,
            "text": str,
            "published_at": str,
            "content_hash": str,
            "page_hash": str,
            "run_id": int,
            "origin": str,
            "metadata": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"document_id", "version", "content_hash"},
        defaults={"origin": "crawl"},
        foreign_keys=[("document_id", "documents", "id"), ("page_hash", "pages", "hash")],
    )
    db["fetches"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "fetched_at": str,
            "status": int,
            "bytes": int,
            "error": str,
            "outcome": str,
            "page_hash": str,
            "document_id": int,
        },
        pk="id",
        if_not_exists=True,
    )
    db["status_events"].create(
        {
            "id": int,
            "document_id": int,
            "run_id": int,
            "at": str,
            "old_status": str,
            "new_status": str,
            "http_status": int,
        },
        pk="id",
        if_not_exists=True,
        foreign_keys=[("document_id", "documents", "id")],
    )
    db["flags"].create(
        {
            "id": int,
            "created_at": str,
            "kind": str,
            "source": str,
            "document_id": int,
            "version_id": int,
            "related_document_id": int,
            "summary": str,
            "key": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"kind", "key"},
    )
    db["citations"].create(
        {
            "id": int,
            "article_id": int,
            "readout_id": int,
            "method": str,
            "matched_chars": int,
            "spans": str,
            "status": str,
            "article_version_id": int,
            "readout_version_id": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        if_not_exists=True,
        defaults={"status": "current"},
    )
    db["job_state"].create({"name": str, "value": str}, pk="name", if_not_exists=True)

    for table, columns, unique in [
        ("documents", ["url"], True),
        ("documents", ["source", "published_at"], False),
        ("versions", ["document_id", "version"], True),
        ("versions", ["run_id"], False),
        ("fetches", ["run_id"], False),
        ("fetches", ["url"], False),
        ("status_events", ["document_id"], False),
        ("flags", ["key"], True),
        ("flags", ["created_at"], False),
        ("flags", ["document_id"], False),
        ("citations", ["article_id", "readout_id"], True),
        ("citations", ["readout_id"], False),
        ("runs", ["source", "started_at"], False),
    ]:
        db[table].create_index(columns, unique=unique, if_not_exists=True)


def _create_counterparts(db: sqlite_utils.Database) -> None:
    """Readouts of one event by two sources, and what each reported (issue: counterparts)."""
    db["event_profiles"].create(
        {
            "document_id": int,
            "version_id": int,
            "source": str,
            "participants": str,
            "kinds": str,
            "published_utc": str,
            "event_day": str,
            "announcement": int,
        },
        pk="document_id",
        if_not_exists=True,
    )
    db["counterparts"].create(
        {
            "id": int,
            "readout_a_id": int,
            "readout_b_id": int,
            "confidence": float,
            "evidence": str,
            "topics": str,
            "status": str,
            "decided_at": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"readout_a_id", "readout_b_id", "status"},
        defaults={"status": "suggested"},
    )
    db["event_profiles"].create_index(["published_utc"], if_not_exists=True)
    db["counterparts"].create_index(
        ["readout_a_id", "readout_b_id"], unique=True, if_not_exists=True
    )
    db["counterparts"].create_index(["readout_b_id"], if_not_exists=True)


MIGRATIONS: list[Migration] = [
    _create_core_tables,
    _create_counterparts,
]

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def ensure_schema(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database has not seen yet; return the schema version."""
    if schema_version(db) >= SCHEMA_VERSION:
        return SCHEMA_VERSION
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(db)  # another process may have upgraded meanwhile
        for migration in MIGRATIONS[current:]:
            migration(db)
        db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")
    return SCHEMA_VERSION
