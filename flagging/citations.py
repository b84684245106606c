"""The flag job's citation steps: index new readout versions, match new articles, re-check
the citations of edited readouts. Each goes through ``run_in_batches``: a batch's citation rows,
its flags and its watermark commit together.

- ``index_readouts``: readout versions not yet in the index are added, a batch at a time. The
  articles already stored that share one of the new rare n-grams, or link to a new readout
  URL, are matched again: an article crawled before the readout it quotes gets its citations
  and ``new_citation`` flags exactly as if it had come second.
- ``match_articles``: each article version stored since the last run is looked up in the
  index and aligned with its candidate readouts; ``citations`` rows are written and a
  ``new_citation`` flag is raised for each newly cited readout. The article's n-grams and
  link keys are kept for the reverse lookup above.
- ``recheck_drift``: when a readout gets a new version, every article citing it is re-checked;
  a quoted passage the latest version no longer contains turns the span and the citation
  ``drifted`` and raises one ``quote_drift`` flag (keyed by citation and readout version).

``rebuild`` clears the index and replays all three from the stored versions.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import sqlite_utils

from analysis.citations.detect import DRIFTED, Citation, detect, drifted_spans
from analysis.citations.links import article_links, url_key
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import Words, words_of
from flagging.batches import run_in_batches
from storage import citation_index as index
from storage import citations as rows_of
from storage.database import page_cache, write_transaction
from storage.flags import insert_flag, make_flag
from storage.job_state import get_state, set_state
from storage.pages import load_page

logger = logging.getLogger(__name__)

BATCH = 100
# Readout versions indexed per transaction: their n-grams land all over the index's B-tree, and a
# page dirtied by many of them is written once per commit. Only a backfill fills a batch: then
# the write lock is held 4–5 s per batch (crawls wait, well within the busy timeout), and
# 100,000 versions are indexed 7 % faster than in batches of 2,000.
INDEX_BATCH = 5000
# The index's pages a backfill's batches keep in memory (the whole index of 100,000 readouts).
INDEX_CACHE_MIB = 256
INDEX_WATERMARK = "citations.last_indexed_version_id"
ARTICLE_WATERMARK = "citations.last_article_version_id"
DRIFT_WATERMARK = "citations.last_readout_version_id"


def index_readouts(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        added = index.index_versions(db, rows, params)
        citing = index.articles_citing(db, added, params)
        if not citing:
            return []
        new_ngrams: dict[int, list[int]] = {}
        for hash_, readout_id in added.pairs:
            new_ngrams.setdefault(readout_id, []).append(hash_)
        matched = get_state(db, ARTICLE_WATERMARK)  # later versions: the article step's
        raised = []
        archive = index.readout_count(db)
        for row in rows_of.latest_article_versions(db, set(citing), matched):
            readouts = citing[row["document_id"]]
            if not readouts or _quotes_any(db, row, readouts, new_ngrams, params):
                raised += _match_article(db, row, archive, params)
        return raised

    with page_cache(db, INDEX_CACHE_MIB):
        return run_in_batches(
            db, INDEX_WATERMARK, index.readout_versions_after, handle, batch=INDEX_BATCH
        )


def match_articles(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raised = []
        archive = index.readout_count(db)
        for row in rows:
            if row["latest"]:  # an earlier version is superseded
                raised += _match_article(db, row, archive, params)
        return raised

    return run_in_batches(
        db, ARTICLE_WATERMARK, rows_of.article_versions_after, handle, batch=BATCH
    )


def recheck_drift(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raised = []
        for readout_id in sorted({row["document_id"] for row in rows}):
            raised += _recheck_readout(db, readout_id, params)
        return raised

    return run_in_batches(
        db, DRIFT_WATERMARK, rows_of.readout_versions_after, handle, batch=INDEX_BATCH
    )


def rebuild(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[dict[str, Any]]:
    """Recreate the index from the stored versions and match every article again."""
    with write_transaction(db):
        clear_index(db)
    return index_readouts(db, params) + match_articles(db, params) + recheck_drift(db, params)


def clear_index(db: sqlite_utils.Database) -> None:
    """Empty the index and set the steps back to the first version, so that the next run
    indexes every readout and matches every article again (the caller's transaction)."""
    index.clear(db)
    for watermark in (INDEX_WATERMARK, ARTICLE_WATERMARK, DRIFT_WATERMARK):
        set_state(db, watermark, 0)


STEPS = [index_readouts, match_articles, recheck_drift]


def find_citations(
    db: sqlite_utils.Database, row: dict[str, Any], params: Params = DEFAULT
) -> list[Citation]:
    """The citations an article version makes by today's index, without storing anything
    (``row``: the version's ``document_id``, ``text``, ``metadata``, ``page_hash`` and the
    document's ``url``). ``readouts verify`` compares them with the stored rows."""
    article, links = _words_and_links(db, row)
    return _detect(db, row, article, links, index.readout_count(db), params)


def _match_article(
    db: sqlite_utils.Database, row: dict[str, Any], archive: int, params: Params
) -> list[dict[str, Any]]:
    """Match one article version against the index (``archive``: the readouts it holds) and
    keep its n-grams and links, so a readout stored later finds it."""
    article, links = _words_and_links(db, row)
    index.index_article(db, row["document_id"], article, [url_key(link) for link in links], params)
    found = _detect(db, row, article, links, archive, params)
    saved = rows_of.save_article_citations(db, row["document_id"], row["id"], found)
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


def _quotes_any(
    db: sqlite_utils.Database,
    row: dict[str, Any],
    readouts: set[int],
    new_ngrams: dict[int, list[int]],
    params: Params,
) -> bool:
    """Whether a stored article quotes one of these new readouts, aligned with them alone: most
    articles sharing two rare n-grams with a readout share them by chance, and this costs a
    fraction of matching the article against all its candidates."""
    article = words_of(row["text"] or "")
    hashes = article.ngram_hashes(params.index_n)
    candidates = {}
    for readout_id in readouts:
        seeds = np.flatnonzero(np.isin(hashes, new_ngrams[readout_id]))
        if len(seeds):
            candidates[readout_id] = seeds
    versions_of = lambda readout_id: rows_of.readout_versions(db, readout_id)  # noqa: E731
    return bool(detect(article, candidates, versions_of, set(), params))


def _has_links(metadata: str | None) -> bool:
    try:
        return isinstance(json.loads(metadata or "{}").get("links"), list)
    except (ValueError, AttributeError):
        return False


def _recheck_readout(
    db: sqlite_utils.Database, readout_id: int, params: Params
) -> list[dict[str, Any]]:
    latest = rows_of.readout_versions(db, readout_id)[-1]
    raised = []
    for row in rows_of.citations_of_readout(db, readout_id):
        spans = json.loads(row["spans"] or "[]")
        if not spans or row["quoted_text"] is None:
            continue
        drifted = drifted_spans(row["article_text"], spans, row["quoted_text"], latest[1], params)
        old_status = row["status"]
        status = rows_of.set_span_statuses(db, row["id"], spans, drifted)
        if status == DRIFTED and old_status != DRIFTED:
            article_row = {
                **rows_of.document(db, row["article_id"]),
                "document_id": row["article_id"],
                "id": row["article_version_id"],
            }
            lost = [span["text"] for span, gone in zip(spans, drifted) if gone]
            raised += _raise(
                db, _drift_flag(db, article_row, row["id"], readout_id, latest[0], lost)
            )
    return raised


def _raise(db: sqlite_utils.Database, flag: dict[str, Any]) -> list[dict[str, Any]]:
    return [flag] if insert_flag(db, flag) else []


def _readout_title(db: sqlite_utils.Database, readout_id: int) -> str:
    row = rows_of.document(db, readout_id)
    return row["title"] if row else f"document {readout_id}"


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


def _words_and_links(db: sqlite_utils.Database, row: dict[str, Any]) -> tuple[Words, list[str]]:
    article = words_of(row["text"] or "")
    page = None
    if row["page_hash"] and not _has_links(row["metadata"]):
        try:
            page = load_page(db, row["page_hash"])
        except KeyError:
            logger.warning("Raw page of %s is missing: its links are not checked", row["url"])
    return article, article_links(row["metadata"], page, row["url"])


def _detect(
    db: sqlite_utils.Database,
    row: dict[str, Any],
    article: Words,
    links: list[str],
    archive: int,
    params: Params,
) -> list[Citation]:
    linked = index.linked_readouts(db, links)
    linked.discard(row["document_id"])
    candidates = index.lookup(db, article, params, archive)
    return detect(
        article,
        candidates,
        lambda readout_id: rows_of.readout_versions(db, readout_id),
        linked,
        params,
    )
