"""The flag job's citation steps: index new readout versions, match new articles, re-check
the citations of edited readouts.

- ``index_readouts``: every readout version not yet in the index is added (one query each).
- ``match_articles``: each article version stored since the last run is looked up in the
  index and aligned with its candidate readouts; ``citations`` rows are written and a
  ``new_citation`` flag is raised for each newly cited readout.
- ``recheck_drift``: when a readout gets a new version, every article citing it is re-checked;
  a quoted passage the latest version no longer contains turns the span and the citation
  ``drifted`` and raises one ``quote_drift`` flag (keyed by citation and readout version).

``rebuild`` clears the index and replays all three from the stored versions.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlite_utils

from analysis.citations.detect import DRIFTED, Citation, detect, drifted_spans
from analysis.citations.links import article_links
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import words_of
from storage import citation_index as index
from storage.citation_index import linked_readouts
from storage.citations import (
    citations_of_readout,
    save_article_citations,
    set_span_statuses,
)
from storage.database import write_transaction

# ``flagging.job`` imports this module to list its steps: import the module, not its names,
# and look them up at call time.
from storage.flags import insert_flag, make_flag
from storage.job_state import get_state, set_state
from storage.pages import load_page

logger = logging.getLogger(__name__)

BATCH = 100
# Readout versions indexed per transaction: their n-grams land all over the index's B-tree, and a
# page dirtied by many of them is written once per commit (a quarter fewer seconds at 1,000 than
# at 100 after a large backfill; the write lock is held for a second or two).
INDEX_BATCH = 1000
ARTICLE_WATERMARK = "citations.last_article_version_id"
DRIFT_WATERMARK = "citations.last_readout_version_id"


def index_readouts(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    after = 0
    while True:
        with write_transaction(db):
            rows = index.unindexed_readout_versions(db, INDEX_BATCH, after)
            for row in rows:
                index.index_version(
                    db, row["document_id"], row["id"], row["text"] or "", row["url"], params
                )
        if len(rows) < INDEX_BATCH:
            return []
        after = rows[-1]["id"]


def match_articles(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    raised: list[dict[str, Any]] = []
    while True:
        with write_transaction(db):
            watermark = get_state(db, ARTICLE_WATERMARK)
            rows = list(
                db.query(
                    "SELECT v.id, v.document_id, v.text, v.metadata, v.page_hash, d.url, d.title,"
                    " d.source FROM versions v JOIN documents d ON d.id = v.document_id"
                    " WHERE d.kind = 'commentary' AND v.id > ? ORDER BY v.id LIMIT ?",
                    [watermark, BATCH],
                )
            )
            if not rows:
                return raised
            latest = {row["document_id"]: row for row in rows}  # later versions supersede
            for row in latest.values():
                if _is_latest(db, row):
                    raised += _match_article(db, row, params)
            set_state(db, ARTICLE_WATERMARK, rows[-1]["id"])


def recheck_drift(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    raised: list[dict[str, Any]] = []
    with write_transaction(db):
        watermark = get_state(db, DRIFT_WATERMARK)
        rows = db.execute(
            "SELECT v.id, v.document_id FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'readout' AND v.id > ? ORDER BY v.id",
            [watermark],
        ).fetchall()
        for readout_id in sorted({row[1] for row in rows}):
            raised += _recheck_readout(db, readout_id, params)
        if rows:
            set_state(db, DRIFT_WATERMARK, rows[-1][0])
    return raised


def rebuild(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    """Recreate the index from the stored versions and match every article again."""
    with write_transaction(db):
        index.clear(db)
        set_state(db, ARTICLE_WATERMARK, 0)
        set_state(db, DRIFT_WATERMARK, 0)
    return index_readouts(db, params) + match_articles(db, params) + recheck_drift(db, params)


STEPS = [index_readouts, match_articles, recheck_drift]


def _is_latest(db: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    newest = db.execute(
        "SELECT max(id) FROM versions WHERE document_id = ?", [row["document_id"]]
    ).fetchone()[0]
    return newest == row["id"]


def _versions_of(db: sqlite_utils.Database):
    def versions_of(readout_id: int) -> list[tuple[int | None, str]]:
        return [
            (row[0], row[1] or "")
            for row in db.execute(
                "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version",
                [readout_id],
            ).fetchall()
        ]

    return versions_of


def find_citations(
    db: sqlite_utils.Database, row: dict[str, Any], params: Params = DEFAULT
) -> list[Citation]:
    """The citations an article version makes by today's index, without storing them (``row``:
    the version's ``document_id``, ``text``, ``metadata``, ``page_hash`` and the document's
    ``url``). ``readouts verify`` compares them with the stored rows."""
    article = words_of(row["text"] or "")
    page = None
    if row["page_hash"] and not _has_links(row["metadata"]):
        try:
            page = load_page(db, row["page_hash"])
        except KeyError:
            logger.warning("Raw page of %s is missing: its links are not checked", row["url"])
    linked = linked_readouts(db, article_links(row["metadata"], page, row["url"]))
    linked.discard(row["document_id"])
    candidates = index.lookup(db, article, params)
    return detect(article, candidates, _versions_of(db), linked, params)


def _match_article(
    db: sqlite_utils.Database, row: dict[str, Any], params: Params
) -> list[dict[str, Any]]:
    found = find_citations(db, row, params)
    saved = save_article_citations(db, row["document_id"], row["id"], found)
    raised = []
    for item in saved:
        if item.created:
            raised += _raise(db, _new_citation_flag(db, row, item.citation))
        if item.became_drifted:
            lost = [span.text for span in item.citation.spans if span.status == DRIFTED]
            raised += _raise(
                db,
                _drift_flag(
                    db,
                    row,
                    item.citation_id,
                    item.citation.readout_id,
                    item.citation.latest_version_id,
                    lost,
                ),
            )
    return raised


def _has_links(metadata: str | None) -> bool:
    try:
        return isinstance(json.loads(metadata or "{}").get("links"), list)
    except (ValueError, AttributeError):
        return False


def _recheck_readout(
    db: sqlite_utils.Database, readout_id: int, params: Params
) -> list[dict[str, Any]]:
    latest = db.execute(
        "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version DESC LIMIT 1",
        [readout_id],
    ).fetchone()
    raised = []
    for row in citations_of_readout(db, readout_id):
        spans = json.loads(row["spans"] or "[]")
        if not spans or row["quoted_text"] is None:
            continue
        drifted = drifted_spans(row["article_text"], spans, row["quoted_text"], latest[1], params)
        old_status = row["status"]
        status = set_span_statuses(db, row["id"], spans, drifted)
        if status == DRIFTED and old_status != DRIFTED:
            article = db.execute(
                "SELECT url, title, source FROM documents WHERE id = ?", [row["article_id"]]
            ).fetchone()
            article_row = {
                "document_id": row["article_id"],
                "id": row["article_version_id"],
                "url": article[0],
                "title": article[1],
                "source": article[2],
            }
            lost = [span["text"] for span, gone in zip(spans, drifted) if gone]
            raised += _raise(
                db, _drift_flag(db, article_row, row["id"], readout_id, latest[0], lost)
            )
    return raised


def _raise(db: sqlite_utils.Database, flag: dict[str, Any]) -> list[dict[str, Any]]:
    return [flag] if insert_flag(db, flag) else []


def _readout_title(db: sqlite_utils.Database, readout_id: int) -> str:
    row = db.execute("SELECT title FROM documents WHERE id = ?", [readout_id]).fetchone()
    return row[0] if row else f"document {readout_id}"


def _new_citation_flag(
    db: sqlite_utils.Database, article: dict[str, Any], citation: Citation
) -> dict[str, Any]:
    how = {
        "link": "links to",
        "quote": f"quotes ({len(citation.spans)} passage(s), {citation.matched_chars} chars)",
        "republication": "republishes",
    }[citation.method]
    return make_flag(
        "new_citation",
        article["source"],
        article["document_id"],
        article["id"],
        f"{article['title']} {how} {_readout_title(db, citation.readout_id)}",
        related_document_id=citation.readout_id,
        key=f"new_citation:article:{article['document_id']}:readout:{citation.readout_id}",
    )


def _drift_flag(
    db: sqlite_utils.Database,
    article: dict[str, Any],
    citation_id: int,
    readout_id: int,
    readout_version_id: int | None,
    lost: list[str],
) -> dict[str, Any]:
    quoted = "; ".join(f"“{_short(text)}”" for text in lost)
    return make_flag(
        "quote_drift",
        article["source"],
        article["document_id"],
        article["id"],
        f"{article['title']} quotes words that {_readout_title(db, readout_id)}"
        f" no longer says: {quoted}",
        related_document_id=readout_id,
        key=f"quote_drift:citation:{citation_id}:readout_version:{readout_version_id}",
    )


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
