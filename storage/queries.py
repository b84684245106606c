"""Read-side queries behind the CLI's listing commands."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from storage.sources import ignore_patterns_of


class DocumentNotFound(LookupError):
    """No document with that id or URL."""


class VersionNotFound(LookupError):
    """The document lacks the versions asked for."""


def find_document(db: sqlite_utils.Database, doc: str | int) -> dict[str, Any]:
    """A document by id or by URL."""
    text = str(doc).strip()
    if text.isdigit():
        rows = list(db.query("SELECT * FROM documents WHERE id = ?", [int(text)]))
    else:
        rows = list(db.query("SELECT * FROM documents WHERE url = ?", [text]))
    if not rows:
        raise DocumentNotFound(
            f"No document {text!r}: give a document id or its exact URL (see `readouts flags`)"
        )
    return rows[0]


def version_pair(
    db: sqlite_utils.Database, document_id: int, before: int | None, after: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two versions to compare; defaults: the latest and the one before it."""
    versions = {
        row["version"]: row
        for row in db.query(
            "SELECT id, document_id, version, seen_at, title, text, published_at, content_hash"
            " FROM versions"
            " WHERE document_id = ? ORDER BY version",
            [document_id],
        )
    }
    if len(versions) < 2 and (before is None or after is None):
        raise VersionNotFound(f"Document {document_id} has only one version: nothing to compare")
    after = after or max(versions)
    if before is None and after == 1:
        raise VersionNotFound(
            f"Document {document_id}: version 1 is its first, nothing before it to compare with"
            " (give --from)"
        )
    before = before or after - 1
    for number in (before, after):
        if number not in versions:
            raise VersionNotFound(
                f"Document {document_id} has no version {number} (it has 1 to {max(versions)})"
            )
    return versions[before], versions[after]


def stored_change(
    db: sqlite_utils.Database, from_version_id: int, to_version_id: int
) -> dict[str, Any] | None:
    """The ``changes`` row the flag job stored for this pair of versions, if there is one."""
    rows = list(
        db.query(
            "SELECT * FROM changes WHERE from_version_id = ? AND to_version_id = ?",
            [from_version_id, to_version_id],
        )
    )
    return rows[0] if rows else None


def source_ignore_patterns(db: sqlite_utils.Database, source: str) -> list[str]:
    """A source's ``ignore_patterns`` as last synced from the sources file."""
    row = db.execute("SELECT config FROM sources WHERE name = ?", [source]).fetchone()
    return ignore_patterns_of(row[0]) if row else []


def list_flags(
    db: sqlite_utils.Database,
    *,
    since: str | None = None,
    kind: str | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    where, params = [], []
    if since:
        where.append("f.created_at >= ?")
        params.append(since)
    if kind:
        where.append("f.kind = ?")
        params.append(kind)
    if source:
        where.append("f.source = ?")
        params.append(source)
    sql = (
        "SELECT f.id, f.created_at, f.kind, f.source, f.document_id, f.version_id,"
        " f.related_document_id, f.summary, d.url FROM flags f"
        " LEFT JOIN documents d ON d.id = f.document_id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return list(db.query(sql + " ORDER BY f.id", params))


def running_runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Runs not finished yet (a process that died leaves one until the next command closes it)."""
    return list(
        db.query(
            "SELECT id, source, mode, started_at, pid FROM runs WHERE finished_at IS NULL"
            " ORDER BY id"
        )
    )


def citations_of(db: sqlite_utils.Database, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The citations of a readout (who cites it) or of an article (what it cites), each with
    the text of the readout version it was matched against."""
    column = "readout_id" if document["kind"] == "readout" else "article_id"
    return list(
        db.query(
            "SELECT c.id, c.article_id, a.title AS article_title, a.url AS article_url,"
            " c.readout_id, r.title AS readout_title, r.url AS readout_url, c.method, c.linked,"
            " c.status, c.matched_chars, c.spans, c.article_version_id, c.readout_version_id,"
            " rv.version AS readout_version, rv.text AS readout_text,"
            " (SELECT max(version) FROM versions WHERE document_id = c.readout_id)"
            "   AS latest_readout_version,"
            " c.created_at, c.updated_at"
            " FROM citations c JOIN documents a ON a.id = c.article_id"
            " JOIN documents r ON r.id = c.readout_id"
            " LEFT JOIN versions rv ON rv.id = c.readout_version_id"
            f" WHERE c.{column} = ? ORDER BY a.published_at, c.id",
            [document["id"]],
        )
    )


def sources_not_prefixed(db: sqlite_utils.Database, prefix: str) -> list[str]:
    """The sources with documents whose names do not start with ``prefix``."""
    return [
        row["source"]
        for row in db.query(
            "SELECT DISTINCT source FROM documents WHERE substr(source, 1, ?) != ?",
            [len(prefix), prefix],
        )
    ]
