"""The ``citations`` rows: one per (article, readout), with spans into both texts.

``spans`` is JSON: ``[{"article": [start, end], "readout": [start, end], "text": …,
"status": "current"|"drifted"}, …]``, character offsets into ``versions.text`` of the article
version and of the readout version named in the row (the version the article quoted). A
citation is ``drifted`` when one of its spans quotes words the readout's latest version no
longer contains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analysis.citations.detect import CURRENT, DRIFTED, Citation
from storage.timeutil import utc_now
from storage.versions import latest_version_id

# A citation found by the reported step (``flagging.reported``): an article sentence that says in
# its own words what the readout says; its spans pair sentences, not quoted words.
REPORTED = "reported"


@dataclass
class Saved:
    """What saving a citation changed, for the flag step."""

    citation_id: int
    citation: Citation
    created: bool
    became_drifted: bool


def save_article_citations(
    db: Any, article_id: int, article_version_id: int, citations: list[Citation]
) -> list[Saved]:
    """Replace the article's citations with ``citations`` (from its latest version)."""
    now = utc_now()
    existing = {
        row[0]: (row[1], row[2], row[3])
        for row in db.execute(
            "SELECT readout_id, id, status, method FROM citations WHERE article_id = ?",
            [article_id],
        ).fetchall()
    }
    saved = []
    for citation in citations:
        values = [
            citation.method,
            citation.matched_chars,
            json.dumps([span.as_json() for span in citation.spans], ensure_ascii=False),
            citation.status,
            article_version_id,
            citation.readout_version_id,
            int(citation.linked),
            now,
        ]
        if citation.readout_id in existing:
            citation_id, old_status, _ = existing.pop(citation.readout_id)
            db.execute(
                "UPDATE citations SET method = ?, matched_chars = ?, spans = ?, status = ?,"
                " article_version_id = ?, readout_version_id = ?, linked = ?, updated_at = ?"
                " WHERE id = ?",
                [*values, citation_id],
            )
            created = False
        else:
            citation_id = db.execute(
                "INSERT INTO citations (method, matched_chars, spans, status, article_version_id,"
                " readout_version_id, linked, updated_at, created_at, article_id, readout_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, now, article_id, citation.readout_id],
            ).lastrowid
            old_status, created = CURRENT, True
        became = citation.status == DRIFTED and (created or old_status != DRIFTED)
        saved.append(Saved(citation_id, citation, created, became))
    for (
        citation_id,
        _,
        method,
    ) in existing.values():  # no longer quoted (verbatim) by the new version
        if method != REPORTED:  # reported citations are the reported step's to keep or drop
            db.execute("DELETE FROM citations WHERE id = ?", [citation_id])
    return saved


def citations_of_readout(db: Any, readout_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT c.*, av.text AS article_text, rv.text AS quoted_text"
        " FROM citations c"
        " LEFT JOIN versions av ON av.id = c.article_version_id"
        " LEFT JOIN versions rv ON rv.id = c.readout_version_id"
        " WHERE c.readout_id = ? ORDER BY c.id",
        [readout_id],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def set_span_statuses(db: Any, citation_id: int, spans: list[dict], drifted: list[bool]) -> str:
    """Store new span statuses; return the citation's status."""
    for span, lost in zip(spans, drifted):
        span["status"] = DRIFTED if lost else CURRENT
    status = DRIFTED if any(drifted) else CURRENT
    db.execute(
        "UPDATE citations SET spans = ?, status = ?, updated_at = ? WHERE id = ?",
        [json.dumps(spans, ensure_ascii=False), status, utc_now(), citation_id],
    )
    return status


_ARTICLE_VERSION = (
    "SELECT v.id, v.document_id, v.text, v.metadata, v.page_hash, d.url, d.title, d.source"
    " FROM versions v JOIN documents d ON d.id = v.document_id"
)


def _dicts(cursor) -> list[dict[str, Any]]:
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def article_versions_after(db: Any, after: int, limit: int) -> list[dict[str, Any]]:
    """Commentary versions past version id ``after``, oldest first, each with ``latest``: whether
    it is its article's latest version."""
    return _dicts(
        db.execute(
            "SELECT v.id, v.document_id, v.text, v.metadata, v.page_hash, d.url, d.title,"
            f" d.source, v.id = {latest_version_id('v.document_id')}"
            " AS latest FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'commentary' AND v.id > ? ORDER BY v.id LIMIT ?",
            [after, limit],
        )
    )


def latest_article_versions(db: Any, article_ids: set[int], upto: int) -> list[dict[str, Any]]:
    """The latest version of each of those articles, when it is at or below version id ``upto``
    (a later one is the article step's to match)."""
    return _dicts(
        db.execute(
            _ARTICLE_VERSION + " WHERE v.document_id IN (SELECT value FROM json_each(?))"
            f" AND v.id = {latest_version_id('v.document_id')}"
            " AND v.id <= ? ORDER BY v.document_id",
            [json.dumps(sorted(article_ids)), upto],
        )
    )


def readout_versions(db: Any, readout_id: int) -> list[tuple[int, str]]:
    """A readout's versions, oldest first, as (version id, text)."""
    return [
        (row[0], row[1] or "")
        for row in db.execute(
            "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version", [readout_id]
        ).fetchall()
    ]


def readout_versions_after(db: Any, after: int, limit: int) -> list[dict[str, Any]]:
    """Readout versions past version id ``after`` (``id``, ``document_id``), oldest first."""
    return _dicts(
        db.execute(
            "SELECT v.id, v.document_id FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'readout' AND v.id > ? ORDER BY v.id LIMIT ?",
            [after, limit],
        )
    )


def document(db: Any, document_id: int) -> dict[str, Any] | None:
    """A document's ``url``, ``title`` and ``source``."""
    rows = _dicts(
        db.execute("SELECT url, title, source FROM documents WHERE id = ?", [document_id])
    )
    return rows[0] if rows else None
