"""The one place that defines the database schema.

The schema is a list of migrations; ``PRAGMA user_version`` records how many have been
applied, so an archive made by an older release is upgraded in place by any command.
Every migration runs in its own ``BEGIN IMMEDIATE`` transaction and must be idempotent
(``if_not_exists``), so two processes starting at once cannot apply one twice.
"""

from __future__ import annotations

import json
import re
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
# Where a version came from (``versions.origin``): a live fetch, a web-archive capture (the
# Wayback Machine or an imported WARC), a re-extraction of a stored page, the news scan.
CRAWL, ARCHIVE, REPROCESS, SCAN = "crawl", "archive", "reprocess", "scan"


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


def _add_translation_keys(db: sqlite_utils.Database) -> None:
    """Link the language versions of one text (the Kremlin's English and Russian pages).

    Documents that share a ``translation_key`` (e.g. ``kremlin:56155``) are translations of each
    other; the ``translations`` view lists each pair once, readable in Datasette.
    """
    if "translation_key" not in db["documents"].columns_dict:
        db["documents"].add_column("translation_key", str)
    db["documents"].create_index(["translation_key"], if_not_exists=True)
    db.create_view(
        "translations",
        """SELECT a.translation_key, a.id AS document_id, a.language, a.url, a.title,
       b.id AS translation_id, b.language AS translation_language, b.url AS translation_url,
       b.title AS translation_title
FROM documents a JOIN documents b
  ON b.translation_key = a.translation_key AND b.id > a.id
WHERE a.translation_key IS NOT NULL""",
        ignore=True,
    )


def _add_status_event_note(db: sqlite_utils.Database) -> None:
    """Why a status changed when the publisher said so (e.g. a GOV.UK withdrawal notice)."""
    if "note" not in db["status_events"].columns_dict:
        db["status_events"].add_column("note", str)


def _create_version_sightings(db: sqlite_utils.Database) -> None:
    """Later observations of a version whose ``seen_at`` an archive capture moved earlier, so a
    capture landing in between can split it again (see storage/archive.py)."""
    db["version_sightings"].create(
        {
            "id": int,
            "version_id": int,
            "seen_at": str,
            "origin": str,
            "page_hash": str,
            "run_id": int,
        },
        pk="id",
        if_not_exists=True,
        not_null={"version_id", "seen_at"},
        foreign_keys=[("version_id", "versions", "id")],
    )
    db["version_sightings"].create_index(["version_id"], if_not_exists=True)


def _add_full_text_search(db: sqlite_utils.Database) -> None:
    """Full-text indexes for Datasette's search box and the search canned query.

    External-content FTS5 tables (the text is not stored twice, only the index), kept in sync
    by triggers so every writer — crawler, backfill, daemon — updates them in its own
    transaction. Porter stemming lets "sanction" find "sanctions"; it leaves non-English words
    as they are. Existing rows are indexed when the migration runs.
    """
    for table, columns in (("versions", ["title", "text"]), ("documents", ["title"])):
        db[table].enable_fts(columns, create_triggers=True, tokenize="porter", replace=True)


def _create_changes_table(db: sqlite_utils.Database) -> None:
    """One row per consecutive pair of versions: what changed, classified, with its word diff."""
    db["changes"].create(
        {
            "id": int,
            "document_id": int,
            "from_version_id": int,
            "to_version_id": int,
            "from_version": int,
            "to_version": int,
            "created_at": str,
            "words_added": int,
            "words_removed": int,
            "sentences_changed": int,
            "share_changed": float,
            "title_changed": int,
            "date_changed": int,
            "kinds": str,
            "reverted_to_version_id": int,
            "summary": str,
            "diff": str,
            "diff_timed_out": int,
        },
        pk="id",
        if_not_exists=True,
        not_null={"document_id", "from_version_id", "to_version_id"},
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("from_version_id", "versions", "id"),
            ("to_version_id", "versions", "id"),
            ("reverted_to_version_id", "versions", "id"),
        ],
    )
    db["changes"].create_index(["to_version_id"], unique=True, if_not_exists=True)
    db["changes"].create_index(["document_id", "to_version"], if_not_exists=True)


def _add_daemon_and_notifications(db: sqlite_utils.Database) -> None:
    """The daemon's heartbeat, and the delivery of each flag to each notification channel."""
    db["daemon"].create(
        {
            "id": int,
            "pid": int,
            "host": str,
            "started_at": str,
            "heartbeat_at": str,
            "tick": float,  # seconds between heartbeats: a heartbeat older than a few is stale
            "state": str,  # running | stopping | stopped
            "stopped_at": str,
            "sources": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["notifications"].create(
        {
            "id": int,
            "flag_id": int,
            "channel": str,
            "created_at": str,
            "status": str,  # pending | delivered | failed (gave up) | channel_removed
            "attempts": int,
            "last_attempt_at": str,
            "next_attempt_at": str,
            "last_error": str,
            "delivered_at": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"flag_id", "channel", "status"},
        defaults={"status": "pending", "attempts": 0},
        foreign_keys=[("flag_id", "flags", "id")],
    )
    db["notifications"].create_index(["flag_id", "channel"], unique=True, if_not_exists=True)
    db["notifications"].create_index(["status", "next_attempt_at"], if_not_exists=True)


def _add_citation_index(db: sqlite_utils.Database) -> None:
    """The citation index (derived data, rebuildable from ``versions``) and ``citations.linked``."""
    # WITHOUT ROWID: the primary key is the whole row, so the index costs one B-tree, not two.
    db.execute(
        "CREATE TABLE IF NOT EXISTS citation_ngrams (hash INTEGER NOT NULL,"
        " readout_id INTEGER NOT NULL, PRIMARY KEY (hash, readout_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS citation_url_keys (key TEXT NOT NULL,"
        " readout_id INTEGER NOT NULL, PRIMARY KEY (key, readout_id)) WITHOUT ROWID"
    )
    db["citation_indexed_versions"].create(
        {"version_id": int, "readout_id": int, "indexed_at": str},
        pk="version_id",
        if_not_exists=True,
    )
    if "linked" not in db["citations"].columns_dict:
        db["citations"].add_column("linked", int, not_null_default=0)
    db["citations"].create_index(["status"], if_not_exists=True)


def _add_article_citation_index(db: sqlite_utils.Database) -> None:
    """The articles' n-grams and link keys, so that a readout indexed after the articles that
    quote it finds them (derived data). The articles stored so far are matched once more by the
    next flag job, which fills them in (their citations come out the same; no flag is raised
    twice)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS citation_article_ngrams (hash INTEGER NOT NULL,"
        " article_id INTEGER NOT NULL, PRIMARY KEY (hash, article_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS citation_article_links (key TEXT NOT NULL,"
        " article_id INTEGER NOT NULL, PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    # Matching counts the readouts indexed (boilerplate is relative to the archive's size).
    db["citation_indexed_versions"].create_index(["readout_id"], if_not_exists=True)
    if not db.execute("SELECT count(*) FROM citation_article_ngrams").fetchone()[0]:
        db.execute("DELETE FROM job_state WHERE name = 'citations.last_article_version_id'")
    # The index step now keeps a watermark: it starts past the versions older releases indexed.
    db.execute(
        "INSERT OR IGNORE INTO job_state (name, value)"
        " SELECT 'citations.last_indexed_version_id', CAST(max(version_id) AS TEXT)"
        " FROM citation_indexed_versions HAVING count(*) > 0"
    )


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


def _add_citation_confidence(db: sqlite_utils.Database) -> None:
    """How sure a ``reported`` citation (an article reporting a readout in its own words) is."""
    if "confidence" not in db["citations"].columns_dict:
        db["citations"].add_column("confidence", float)


def _add_history_rewrites(db: sqlite_utils.Database) -> None:
    """Documents whose version history an archive capture reordered (``storage.archive``).

    Their change rows from ``from_version`` on were deleted with the reordering; the flag job
    recomputes them and removes the row, unless ``generation`` moved on meanwhile (another
    capture reordered the history again while it computed).
    """
    db["history_rewrites"].create(
        {"document_id": int, "from_version": int, "generation": int, "rewritten_at": str},
        pk="document_id",
        if_not_exists=True,
        not_null={"from_version", "generation"},
        foreign_keys=[("document_id", "documents", "id")],
    )


def _redact_source_secrets(db: sqlite_utils.Database) -> None:
    """Proxy credentials and header values that older releases copied into ``sources.config``."""
    # Imported here: storage.sources imports storage.database, which imports this module.
    from storage.sources import redact_stored_configs

    if db["sources"].exists():
        redact_stored_configs(db)


def _create_scan_tables(db: sqlite_utils.Database) -> None:
    """The news scan's progress per WARC file and byte range, and where each article it
    stored was found (file, record offset, record digest, capture date)."""
    db["scan_files"].create(
        {
            "digest": str,
            "path": str,
            "size": int,
            "ranges": int,
            "records": int,
            "html_records": int,
            "citing": int,
            "started_at": str,
            "finished_at": str,
        },
        pk="digest",
        if_not_exists=True,
        defaults={"records": 0, "html_records": 0, "citing": 0},
    )
    db["scan_ranges"].create(
        {
            "file_digest": str,
            "start": int,
            "end": int,
            "records": int,
            "html_records": int,
            "citing": int,
            "done_at": str,
        },
        pk=("file_digest", "start"),
        if_not_exists=True,
        not_null={"file_digest", "start", "end"},
        foreign_keys=[("file_digest", "scan_files", "digest")],
    )
    db["scan_captures"].create(
        {
            "id": int,
            "document_id": int,
            "version_id": int,
            "warc_file": str,
            "file_digest": str,
            "record_offset": int,
            "record_id": str,
            "record_digest": str,
            "captured_at": str,
            "scanned_at": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"document_id", "warc_file", "record_offset"},
        foreign_keys=[("document_id", "documents", "id"), ("version_id", "versions", "id")],
    )
    db["scan_captures"].create_index(
        ["file_digest", "record_offset"], unique=True, if_not_exists=True
    )


def _create_captures(db: sqlite_utils.Database) -> None:
    """Every HTTP exchange as made (``storage.captures``), and the bodies as transferred, each
    distinct payload once."""
    db["capture_payloads"].create(
        {"digest": str, "size": int, "compression": str, "body": bytes},
        pk="digest",
        if_not_exists=True,
    )
    db["captures"].create(
        {
            "id": int,
            "url": str,
            "captured_at": str,
            "run_id": int,
            "fetch_id": int,
            "method": str,
            "request_target": str,
            "request_headers": str,
            "protocol": str,
            "status": int,
            "reason": str,
            "response_headers": str,
            "payload_digest": str,
        },
        pk="id",
        if_not_exists=True,
        not_null={"url", "captured_at", "payload_digest"},
        foreign_keys=[("payload_digest", "capture_payloads", "digest")],
    )
    for columns in (["url", "captured_at"], ["fetch_id"], ["captured_at"]):
        db["captures"].create_index(columns, if_not_exists=True)


def _add_missing_runs_until(db: sqlite_utils.Database) -> None:
    """The newest run when a document's last counted 404/410 was recorded: only a run started
    after it (a higher id) counts the next one (``storage.documents.mark_gone``)."""
    if "missing_runs_until" not in db["documents"].columns_dict:
        db["documents"].add_column("missing_runs_until", int)


def _add_imported_records(db: sqlite_utils.Database) -> None:
    """Records of WARC/WACZ/ARC files brought in by ``readouts import`` (``storage.imports``)."""
    db["imported_records"].create(
        {
            "record_key": str,
            "file": str,
            "offset": int,
            "url": str,
            "captured_at": str,
            "payload_digest": str,
            "page_hash": str,
            "document_id": int,
            "version_id": int,
            "imported_at": str,
        },
        pk="record_key",
        if_not_exists=True,
        foreign_keys=[("document_id", "documents", "id"), ("page_hash", "pages", "hash")],
    )
    db["imported_records"].create_index(["payload_digest"], if_not_exists=True)


def _add_document_page_hash(db: sqlite_utils.Database) -> None:
    """The raw page a document's current state was parsed from: a re-check that fetches the
    same bytes again skips parsing (``storage.documents.mark_same_page``). Existing documents
    take their latest version's page."""
    if "page_hash" not in db["documents"].columns_dict:
        db["documents"].add_column("page_hash", str)
        db.execute(
            "UPDATE documents SET page_hash = (SELECT page_hash FROM versions v"
            " WHERE v.document_id = documents.id ORDER BY version DESC LIMIT 1)"
        )


def _add_compression_dictionaries(db: sqlite_utils.Database) -> None:
    """zstd dictionaries trained per source (``storage.bodies``), and raw pages that are the
    very bytes of a capture payload, stored once there (``pages.payload_digest``)."""
    db["compression_dictionaries"].create(
        {
            "digest": str,
            "source": str,
            "created_at": str,
            "samples": int,
            "dictionary": bytes,
        },
        pk="digest",
        if_not_exists=True,
    )
    db["compression_dictionaries"].create_index(["source", "created_at"], if_not_exists=True)
    if "payload_digest" not in db["pages"].columns_dict:
        db["pages"].add_column("payload_digest", str)


def _share_capture_headers(db: sqlite_utils.Database) -> None:
    """Each distinct header list of the captures stored once (``capture_headers``: its JSON
    text as before, and a 64-bit digest of it to look it up by), ``captures`` pointing at one
    for the request and one for the response. No query finds a capture by its ``fetch_id``
    (each filters or orders by time, or by URL and time): that index goes."""
    db["capture_headers"].create(
        {"id": int, "digest": int, "headers": str},
        pk="id",
        if_not_exists=True,
        not_null={"digest", "headers"},
    )
    db["capture_headers"].create_index(["digest"], if_not_exists=True)
    if "request_headers" in db["captures"].columns_dict:
        _copy_captures_sharing_headers(db)
    db.execute("DROP INDEX IF EXISTS idx_captures_fetch_id")


def _copy_captures_sharing_headers(db: sqlite_utils.Database) -> None:
    """Existing captures into a new ``captures`` table (same ids, same indexes) that points at
    ``capture_headers``, where each distinct list is stored, in order of first use."""
    # Imported here: storage.captures imports storage.database, which imports this module.
    from storage.captures import headers_digest

    db.conn.create_function("headers_digest", 1, headers_digest, deterministic=True)
    db.execute(
        "INSERT INTO capture_headers (digest, headers) SELECT headers_digest(headers), headers"
        " FROM (SELECT request_headers AS headers, id FROM captures"
        " UNION ALL SELECT response_headers, id FROM captures)"
        " WHERE headers IS NOT NULL GROUP BY headers ORDER BY min(id)"
    )
    db["captures_shared"].create(
        {
            "id": int,
            "url": str,
            "captured_at": str,
            "run_id": int,
            "fetch_id": int,
            "method": str,
            "request_target": str,
            "request_headers_id": int,
            "protocol": str,
            "status": int,
            "reason": str,
            "response_headers_id": int,
            "payload_digest": str,
        },
        pk="id",
        not_null={"url", "captured_at", "payload_digest"},
        foreign_keys=[
            ("request_headers_id", "capture_headers", "id"),
            ("response_headers_id", "capture_headers", "id"),
            ("payload_digest", "capture_payloads", "digest"),
        ],
    )
    header_set = (
        "(SELECT h.id FROM capture_headers h WHERE h.digest = headers_digest(c.{0})"
        " AND h.headers = c.{0})"
    )
    db.execute(
        "INSERT INTO captures_shared SELECT c.id, c.url, c.captured_at, c.run_id, c.fetch_id,"
        f" c.method, c.request_target, {header_set.format('request_headers')}, c.protocol,"
        f" c.status, c.reason, {header_set.format('response_headers')}, c.payload_digest"
        " FROM captures c ORDER BY c.id"
    )
    db.execute("DROP TABLE captures")
    db.execute("ALTER TABLE captures_shared RENAME TO captures")
    for columns in (["url", "captured_at"], ["captured_at"]):
        db["captures"].create_index(columns, if_not_exists=True)


def _reindex_only_changed_text(db: sqlite_utils.Database) -> None:
    """The full-text triggers re-index a row only when an indexed column changes: every re-check
    updates its document's ``last_seen`` (and storing a version sets its unchanged title), and
    re-indexing the title each time grew ``documents_fts`` and cost time for nothing. Same names
    and statements as sqlite-utils' triggers, narrowed with ``UPDATE OF`` and ``WHEN``."""
    for table, columns in (("versions", ["title", "text"]), ("documents", ["title"])):
        names = ", ".join(f'"{column}"' for column in columns)
        old = ", ".join(f'old."{column}"' for column in columns)
        new = ", ".join(f'new."{column}"' for column in columns)
        changed = " OR ".join(f'old."{column}" IS NOT new."{column}"' for column in columns)
        db.execute(f'DROP TRIGGER IF EXISTS "{table}_au"')
        db.execute(
            f'CREATE TRIGGER "{table}_au" AFTER UPDATE OF {names} ON "{table}"'
            f" WHEN {changed} BEGIN\n"
            f'  INSERT INTO "{table}_fts" ("{table}_fts", rowid, {names})'
            f" VALUES('delete', old.rowid, {old});\n"
            f'  INSERT INTO "{table}_fts" (rowid, {names}) VALUES (new.rowid, {new});\n'
            "END"
        )


def _narrow_citation_hashes(db: sqlite_utils.Database) -> None:
    """The index's n-gram hashes cut from 63 to 31 bits (``analysis.citations.ngrams``), which
    SQLite stores in 4 bytes instead of 8: each n-gram table is copied with ``hash >> 32`` (two
    n-grams that now share a value share its rows), in key order, and replaces the old one. A
    table whose largest hash is below 2**31 holds 31-bit hashes already (a table of 63-bit
    hashes all that small: one chance in 2**32 per row)."""
    for table, owner in (
        ("citation_ngrams", "readout_id"),
        ("citation_article_ngrams", "article_id"),
    ):
        if not db[table].exists():  # packed since (``_pack_citation_postings``)
            continue
        largest = db.execute(f"SELECT max(hash) FROM {table}").fetchone()[0]
        if largest is None or largest < 1 << 31:
            continue
        db.execute(
            f"CREATE TABLE {table}_31 (hash INTEGER NOT NULL, {owner} INTEGER NOT NULL,"
            f" PRIMARY KEY (hash, {owner})) WITHOUT ROWID"
        )
        # The old key order is the new one but where two n-grams merged: near-sorted inserts.
        db.execute(f"INSERT OR IGNORE INTO {table}_31 SELECT hash >> 32, {owner} FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_31 RENAME TO {table}")


def _fold_yo_in_the_citation_index(db: sqlite_utils.Database) -> None:
    """Citation matching reads ё as е and keeps a decomposed letter's combining marks in its word
    (``analysis.citations.text``): the n-grams of such words hash otherwise than they were
    indexed. An archive holding such texts gets its citation index cleared and the citation
    steps' watermarks set back, so the next flag job rebuilds the index and matches every
    article again, as ``readouts citations --rebuild-index`` does: the same citations, plus those
    the spelling hid, each flagged once. Other archives are left as they are."""
    marks = f"[ёЁ{chr(0x300)}-{chr(0x36F)}]"
    if not db.execute(
        "SELECT 1 FROM versions WHERE text GLOB ? LIMIT 1", [f"*{marks}*"]
    ).fetchone():
        return
    for table in (  # the index's tables
        "citation_ngrams",
        "citation_indexed_versions",
        "citation_url_keys",
        "citation_article_ngrams",
        "citation_article_links",
        "citation_postings",  # ``citation_ngrams`` packed (``_pack_citation_postings``)
    ):
        if db[table].exists():
            db.execute(f"DELETE FROM {table}")
    db.execute(
        "UPDATE job_state SET value = '0' WHERE name IN ('citations.last_indexed_version_id',"
        " 'citations.last_article_version_id', 'citations.last_readout_version_id')"
    )


def _number_citations_once(db: sqlite_utils.Database) -> None:
    """``citations.id`` becomes ``AUTOINCREMENT``. A ``quote_drift`` flag names its citation by
    id (its key), and SQLite gave the id of a deleted citation (the largest) to the next one:
    that citation's own drift then found its key taken and went unflagged. The table is copied
    with the same columns, rows and indexes, and no id a flag names is given again."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'citations'").fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return
    numbered = re.sub(
        r'^CREATE TABLE (?:IF NOT EXISTS )?"citations"', 'CREATE TABLE "citations_numbered"', sql
    ).replace('"id" INTEGER PRIMARY KEY', '"id" INTEGER PRIMARY KEY AUTOINCREMENT', 1)
    indexes = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'citations'"
            " AND sql IS NOT NULL"
        )
    ]
    db.execute(numbered)
    db.execute("INSERT INTO citations_numbered SELECT * FROM citations")
    db.execute("DROP TABLE citations")
    db.execute("ALTER TABLE citations_numbered RENAME TO citations")
    for index in indexes:
        db.execute(index)
    named = db.execute(
        "SELECT max(CAST(substr(key, 22, instr(substr(key, 22), ':') - 1) AS INTEGER))"
        " FROM flags WHERE key LIKE 'quote\\_drift:citation:%' ESCAPE '\\'"
    ).fetchone()[0]
    # The copy left a row for the table's largest id (renamed with it): raise it if need be.
    db.execute("DELETE FROM sqlite_sequence WHERE name = 'citations'")
    db.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'citations', max(?, coalesce(max(id), 0))"
        " FROM citations",
        [named or 0],
    )


def _rename_secret_channel_labels(db: sqlite_utils.Database) -> None:
    """Channels without a ``name`` were named by their URL as apprise masks it, which keeps a
    webhook's secret path or an ntfy topic: they get names without it."""
    # Imported here: storage.notifications imports storage.database, which imports this module.
    from storage.notifications import rename_url_labels

    rename_url_labels(db)


def _add_reported_articles(db: sqlite_utils.Database) -> None:
    """When each article the reported step matched was published (UTC) and whom it names, so a
    readout stored after the articles that report it finds them (derived data). The articles
    stored so far are matched once more by the next flag job, which fills it in (their
    citations come out the same; no flag is raised twice)."""
    db["reported_articles"].create(
        {"document_id": int, "version_id": int, "published_utc": str, "names": str},
        pk="document_id",
        if_not_exists=True,
        not_null={"version_id", "published_utc", "names"},
    )
    db["reported_articles"].create_index(["published_utc"], if_not_exists=True)
    if not db.execute("SELECT count(*) FROM reported_articles").fetchone()[0]:
        db.execute("DELETE FROM job_state WHERE name = 'reported.last_version_id'")
    # Those articles are matched with every readout profiled so far: the step that matches
    # articles again for new readouts starts past them.
    db.execute(
        "INSERT OR IGNORE INTO job_state (name, value) SELECT 'reported.last_readout_version_id',"
        " value FROM job_state WHERE name = 'counterparts.last_version_id'"
    )


def _name_the_version_a_status_event_saw(db: sqlite_utils.Database) -> None:
    """``status_events.version_id``: the version live when the document went away or came back,
    which its ``removed_readout`` / ``restored_readout`` flag names (it named the latest version
    when the flag job ran: a version stored after the event, if the job ran late). Older events
    keep NULL and their flags the old choice."""
    if "version_id" not in db["status_events"].columns_dict:
        db["status_events"].add_column("version_id", int)


def _remember_ignore_patterns(db: sqlite_utils.Database) -> None:
    """``source_ignore_patterns``: every ``ignore_patterns`` list each source has had, so that
    ``verify`` hashes a version as storage did, under the list of its day (after a change of
    list, every version stored before it looked edited). Seeded with today's lists."""
    db["source_ignore_patterns"].create(
        {"source": str, "patterns": str, "first_synced": str},
        pk=("source", "patterns"),
        if_not_exists=True,
        not_null={"first_synced"},
    )
    for name, config, synced in db.execute(
        "SELECT name, config, updated_at FROM sources"
    ).fetchall():
        patterns = json.loads(config or "{}").get("ignore_patterns") or []
        if patterns:
            db.execute(
                "INSERT OR IGNORE INTO source_ignore_patterns (source, patterns, first_synced)"
                " VALUES (?, ?, ?)",
                [name, json.dumps(patterns), synced or ""],
            )


def _pack_citation_postings(db: sqlite_utils.Database) -> None:
    """The citation index's (n-gram hash, readout) pairs move from a row each
    (``citation_ngrams``: some 13.6 bytes a pair) to rows packing a bucket of hashes each
    (``citation_postings``: 4 to 6 bytes a pair; format in ``storage.citation_postings``). The
    old table is read in key order and dropped."""
    from storage import citation_postings  # numpy, loaded only here

    citation_postings.create_table(db)
    if db["citation_ngrams"].exists():
        shift = citation_postings.shift_for(db["citation_ngrams"].count)
        rows = db.conn.execute("SELECT hash, readout_id FROM citation_ngrams ORDER BY 1, 2")
        db.conn.executemany(
            f"INSERT INTO {citation_postings.TABLE} (bucket, postings) VALUES (?, ?)",
            citation_postings.packed_stream(rows, shift),
        )
        citation_postings.set_shift(db, shift)
        db.execute("DROP TABLE citation_ngrams")


def _keep_unchanged_text_once(db: sqlite_utils.Database) -> None:
    """A change's word diff held a second copy of every unchanged stretch of the older text
    (most of its bytes); it now holds each stretch's length, read back from that version."""
    from analysis.diff import stored_diff

    last = 0
    while rows := db.execute(
        "SELECT id, diff FROM changes WHERE id > ? AND diff IS NOT NULL ORDER BY id LIMIT 1000",
        [last],
    ).fetchall():
        last = rows[-1][0]
        compacted = []
        for change_id, diff in rows:
            try:
                ops = json.loads(diff)
            except (ValueError, RecursionError):
                continue  # unreadable: readers compute this diff anew
            if isinstance(ops, list) and all(
                isinstance(op, list) and len(op) == 2 and isinstance(op[1], str) for op in ops
            ):
                compacted.append((stored_diff(ops), change_id))
        db.conn.executemany("UPDATE changes SET diff = ? WHERE id = ?", compacted)


def _keep_exchange_values_with_captures(db: sqlite_utils.Database) -> None:
    """A capture keeps the header values of its own exchange (``storage.captures.PER_EXCHANGE``:
    validators, lengths, dates) in ``header_values``, so its lists can be shared. Lists stored
    before keep their values, and read as they did."""
    if "header_values" not in db["captures"].columns_dict:
        db["captures"].add_column("header_values", str)


def _keep_imported_exchanges(db: sqlite_utils.Database) -> None:
    """An imported record's exchange is kept as a capture (``storage.imports``), which
    ``imported_records.capture_id`` names; records imported before have none."""
    if "capture_id" not in db["imported_records"].columns_dict:
        db["imported_records"].add_column("capture_id", int, fk="captures", fk_col="id")
    db["imported_records"].create_index(["version_id"], if_not_exists=True)


def _keep_the_request_line_version(db: sqlite_utils.Database) -> None:
    """The HTTP version of a capture's request line when it is not its response's (a request
    sent as HTTP/1.1, answered in HTTP/1.0); empty when they agree, as they did for every
    capture stored before."""
    if "request_protocol" not in db["captures"].columns_dict:
        db["captures"].add_column("request_protocol", str)


MIGRATIONS: list[Migration] = [
    _create_core_tables,
    _add_translation_keys,
    _add_status_event_note,
    _create_version_sightings,
    _add_full_text_search,
    _create_changes_table,
    _add_daemon_and_notifications,
    _add_citation_index,
    _create_counterparts,
    _add_citation_confidence,
    _add_history_rewrites,
    _redact_source_secrets,
    _create_scan_tables,
    _create_captures,
    _add_missing_runs_until,
    _add_imported_records,
    _add_document_page_hash,
    _add_compression_dictionaries,
    _add_article_citation_index,
    _share_capture_headers,
    _narrow_citation_hashes,
    _reindex_only_changed_text,
    _fold_yo_in_the_citation_index,
    _number_citations_once,
    _rename_secret_channel_labels,
    _add_reported_articles,
    _name_the_version_a_status_event_saw,
    _remember_ignore_patterns,
    _pack_citation_postings,
    _keep_unchanged_text_once,
    _keep_exchange_values_with_captures,
    _keep_imported_exchanges,
    _keep_the_request_line_version,
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
