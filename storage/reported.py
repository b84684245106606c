"""Storage side of reported citations (``flagging.reported``): candidates and their rows."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

VERBATIM_METHODS = ("link", "quote", "republication")


def reported_candidates(
    db: sqlite_utils.Database, start: str, end: str, article_id: int
) -> list[dict[str, Any]]:
    """Readouts (not announcements) published between ``start`` and ``end`` that the article
    does not already cite verbatim, with their profile, text and title."""
    return list(
        db.query(
            """
            SELECT p.document_id, p.version_id, p.source, p.participants, p.published_utc,
                   v.text, d.title
            FROM event_profiles p
            JOIN versions v ON v.id = p.version_id JOIN documents d ON d.id = p.document_id
            WHERE p.published_utc BETWEEN ? AND ? AND p.announcement = 0
              AND p.document_id NOT IN (SELECT readout_id FROM citations
                                        WHERE article_id = ? AND method IN (?, ?, ?))
            """,
            [start, end, article_id, *VERBATIM_METHODS],
        )
    )


def save_reported_citation(
    db: sqlite_utils.Database, article_id: int, readout_id: int, values: dict[str, Any]
) -> bool:
    """Insert a ``reported`` citation, or refresh it; return whether it is new. A verbatim
    citation of the same pair wins and is left alone. Call inside a write transaction."""
    row = db.execute(
        "SELECT id, method FROM citations WHERE article_id = ? AND readout_id = ?",
        [article_id, readout_id],
    ).fetchone()
    if row and row[1] in VERBATIM_METHODS:
        return False
    if row:
        db["citations"].update(row[0], values)
        return False
    db["citations"].insert(
        {
            **values,
            "article_id": article_id,
            "readout_id": readout_id,
            "created_at": values["updated_at"],
        }
    )
    return True


def verbatim_citation_spans(db: sqlite_utils.Database, article_id: int) -> list[str | None]:
    """The ``spans`` JSON of the article's citations other than ``reported`` ones."""
    return [
        spans
        for (spans,) in db.execute(
            "SELECT spans FROM citations WHERE article_id = ? AND method != 'reported'",
            [article_id],
        ).fetchall()
    ]


def remember_article(
    db: sqlite_utils.Database,
    article_id: int,
    version_id: int,
    published_utc: str | None,
    names: list[str],
) -> None:
    """Keep when the article (as of ``version_id``) was published and whom it names, so a readout
    stored after it finds it (``articles_naming``); forget it when it cannot report any readout
    (no date, or fewer than two names). Call inside a write transaction."""
    if published_utc is None or len(names) < 2:
        db.execute("DELETE FROM reported_articles WHERE document_id = ?", [article_id])
        return
    db.execute(
        "INSERT INTO reported_articles (document_id, version_id, published_utc, names)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(document_id) DO UPDATE SET"
        " version_id = excluded.version_id, published_utc = excluded.published_utc,"
        " names = excluded.names",
        [article_id, version_id, published_utc, json.dumps(names, ensure_ascii=False)],
    )


def articles_naming(
    db: sqlite_utils.Database, start: str, end: str, people: list[str]
) -> list[dict[str, Any]]:
    """Articles the reported step has matched, published between ``start`` and ``end`` (UTC
    text, the indexed ``published_utc``), that name two of ``people``: their matched versions,
    as ``storage.versions.latest_commentary_versions_after`` returns them."""
    return list(
        db.query(
            """
            SELECT v.id, v.document_id, v.text, v.title, v.seen_at, d.published_at, d.source
            FROM reported_articles a
            JOIN versions v ON v.id = a.version_id JOIN documents d ON d.id = a.document_id
            WHERE a.published_utc BETWEEN ? AND ?
              AND (SELECT count(*) FROM json_each(a.names)
                   WHERE value IN (SELECT value FROM json_each(?))) >= 2
            ORDER BY a.document_id
            """,
            [start, end, json.dumps(people)],
        )
    )
