"""Reported citations: commentary that reports a readout's content in its own words.

News agencies rarely quote the official English text: they report it ("the Kremlin press
service said the presidents …"), often translated from the other-language original, which no
verbatim matcher finds. This step compares sentence embeddings, but only on candidates found
cheaply first — readouts published in the fortnight before the article that name at least two
of the people the article names — never all against all. Verbatim citations win: a readout the
article already quotes is not matched again. Without the embedding model the step is off and
says so; articles wait until it is installed.

Crawl order does not matter: each matched article's date and names are kept
(``reported_articles``), and when readouts are profiled after the articles that may report
them (the reverse of the candidate rules: published from a day before the readout to a
fortnight after, naming two of its people — an indexed range query), those articles are matched
again in full, exactly as if they had come second.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlite_utils

from analysis import embeddings, topics
from analysis.events import name_key, surnames, utc_instant, utc_text
from flagging.batches import run_in_batches
from flagging.citations import ARTICLE_WATERMARK
from flagging.counterparts import WATERMARK as PROFILES_WATERMARK
from flagging.counterparts import source_principals
from storage.citations import REPORTED
from storage.counterparts import stored_profile
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag
from storage.job_state import get_state
from storage.reported import (
    articles_naming,
    remember_article,
    reported_candidates,
    save_reported_citation,
    verbatim_citation_spans,
)
from storage.timeutil import utc_now
from storage.versions import (
    commentary_versions_waiting,
    latest_commentary_versions_after,
    readout_versions_after,
)

logger = logging.getLogger(__name__)

WATERMARK = "reported.last_version_id"
READOUT_WATERMARK = "reported.last_readout_version_id"  # readouts whose reporters were matched
WINDOW_BEFORE = timedelta(days=14)  # an article reports a readout published at most this early
WINDOW_AFTER = timedelta(days=1)  # … or a day after (time zones, late-posted readouts)
MAX_CANDIDATES = 20
SENTENCE_THRESHOLD = 0.72  # cosine of two sentences saying the same thing in other words
STRONG_SENTENCE = 0.85  # one sentence this close is enough on its own
MIN_SENTENCES = 2
BATCH = 100


def reported_step(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    # Readouts first: an article new in this run is matched once, below, with them all.
    return _rematch_for_new_readouts(db) + _match_new_articles(db)


def _match_new_articles(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    waiting = commentary_versions_waiting(db, get_state(db, WATERMARK))
    if not waiting:
        return []  # before loading the model: a run with no new article pays nothing for it
    if not embeddings.available():
        logger.warning(
            "Reported citations are off (%s); %d article version(s) wait for them",
            embeddings.unavailable_reason(),
            waiting,
        )
        return []
    principals = functools.cache(source_principals)  # counted once, when first needed

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raised = []
        for row in rows:
            named, when = _names_and_instant(row)
            remember_article(
                db, row["document_id"], row["id"], when and utc_text(when), sorted(named)
            )
            raised += match_reports(db, row, principals(db))
        return raised

    return run_in_batches(db, WATERMARK, _matched_articles_after, handle, batch=BATCH)


def _rematch_for_new_readouts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Match again the stored articles that may report the readouts profiled since the last run
    (``reporting_articles``). Without the model the readouts wait, but only when there is such
    an article: the model is not loaded for a readout no stored article may report."""
    principals = functools.cache(source_principals)

    def articles(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return reporting_articles(db, {row["document_id"] for row in rows}, principals(db))

    def fetch(db: sqlite_utils.Database, after: int, limit: int) -> list[dict[str, Any]]:
        profiled = get_state(db, PROFILES_WATERMARK)  # later versions: not profiled yet
        rows = [row for row in readout_versions_after(db, after, limit) if row["id"] <= profiled]
        if rows and (waiting := articles(db, rows)) and not embeddings.available():
            logger.warning(
                "Reported citations are off (%s); %d stored article(s) wait to be matched with"
                " new readouts",
                embeddings.unavailable_reason(),
                len(waiting),
            )
            return []
        return rows

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            flag for row in articles(db, rows) for flag in match_reports(db, row, principals(db))
        ]

    return run_in_batches(db, READOUT_WATERMARK, fetch, handle, batch=BATCH)


def _matched_articles_after(db: sqlite_utils.Database, after: int, limit: int) -> list[dict]:
    """Latest article versions the citation step has matched already: their verbatim quotes are
    known, so a quoted passage is never taken for a report (a flag job running beside another
    may reach this step before that one's citation step has matched them)."""
    matched = get_state(db, ARTICLE_WATERMARK)
    return [
        row for row in latest_commentary_versions_after(db, after, limit) if row["id"] <= matched
    ]


def match_reports(
    db: sqlite_utils.Database, article: dict[str, Any], principals: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """Store the readouts ``article`` (a version row) reports in other words; return flags."""
    candidates = candidate_readouts(db, article, principals)
    if not candidates:
        return []
    text = article["text"] or ""
    quoted = _quoted_ranges(db, article["document_id"])
    spans = [
        (s, e)
        for s, e in topics.sentence_spans(text)
        if not any(s < qe and qs < e for qs, qe in quoted)
    ]
    if not spans:
        return []
    people = set().union(*(c["people"] for c in candidates))
    article_vectors = embeddings.encode(
        [topics.mask_people(" ".join(text[s:e].split()), people) for s, e in spans]
    )
    best = np.full(len(spans), -1.0)
    owner: list[tuple[int, tuple[int, int]] | None] = [None] * len(spans)
    for index, candidate in enumerate(candidates):
        readout_spans = topics.sentence_spans(candidate["text"])
        if not readout_spans:
            continue
        vectors = embeddings.encode(
            [
                topics.mask_people(" ".join(candidate["text"][s:e].split()), people)
                for s, e in readout_spans
            ]
        )
        similarity = article_vectors @ vectors.T
        for i, j in enumerate(similarity.argmax(axis=1)):
            if similarity[i, j] > best[i]:  # each sentence goes to the readout it fits best
                best[i] = similarity[i, j]
                owner[i] = (index, readout_spans[j])
    matched: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i, (start, end) in enumerate(spans):
        if owner[i] is not None and best[i] >= SENTENCE_THRESHOLD:
            index, (r_start, r_end) = owner[i]
            matched[index].append(
                {
                    "article": [start, end],
                    "readout": [r_start, r_end],
                    "text": text[start:end],
                    "similarity": round(float(best[i]), 3),
                    "status": "current",
                }
            )
    raised = []
    for index, found in matched.items():
        strongest = max(span["similarity"] for span in found)
        if len(found) < MIN_SENTENCES and strongest < STRONG_SENTENCE:
            continue
        raised += _save(db, article, candidates[index], found)
    return raised


def candidate_readouts(
    db: sqlite_utils.Database, article: dict[str, Any], principals: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """Readouts published shortly before the article that name two of the people it names."""
    named, when = _names_and_instant(article)
    if len(named) < 2 or when is None:
        return []
    rows = reported_candidates(
        db, utc_text(when - WINDOW_BEFORE), utc_text(when + WINDOW_AFTER), article["document_id"]
    )
    candidates = []
    for row in rows:
        people = _people(row, principals)
        if len(people & named) >= 2:
            distance = abs((datetime.fromisoformat(row["published_utc"]) - when).total_seconds())
            candidates.append({**row, "people": people, "distance": distance})
    candidates.sort(key=lambda c: c["distance"])
    return candidates[:MAX_CANDIDATES]


def reporting_articles(
    db: sqlite_utils.Database, readout_ids: set[int], principals: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """The stored articles whose candidates these readouts are (``candidate_readouts`` the other
    way round: published from a day before a readout to a fortnight after, naming two of its
    people), each once, as the reported step matched them."""
    found = {}
    for readout_id in sorted(readout_ids):
        profile = stored_profile(db, readout_id)
        if profile is None or profile["announcement"] or profile["published_utc"] is None:
            continue
        people = _people(profile, principals)
        published = datetime.fromisoformat(profile["published_utc"])
        start, end = utc_text(published - WINDOW_AFTER), utc_text(published + WINDOW_BEFORE)
        for row in articles_naming(db, start, end, sorted(people)):
            found[row["document_id"]] = row
    return [found[article_id] for article_id in sorted(found)]


def _names_and_instant(article: dict[str, Any]) -> tuple[set[str], datetime | None]:
    """Whom an article (a version row) names, and when it was published (else first seen)."""
    text = article["text"] or ""
    named = {name_key(name) for name in surnames(text, context=text)}
    return named, utc_instant(article["published_at"]) or utc_instant(article["seen_at"])


def _people(profile: dict[str, Any], principals: dict[str, set[str]]) -> set[str]:
    """Whom a readout names: its participants and its source's own leaders."""
    return set(json.loads(profile["participants"])) | principals.get(profile["source"], set())


def _save(
    db: sqlite_utils.Database,
    article: dict[str, Any],
    readout: dict[str, Any],
    spans: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    similarity = sum(span["similarity"] for span in spans) / len(spans)
    confidence = round(min(0.99, similarity * min(1.0, 0.5 + 0.25 * len(spans))), 2)
    now = utc_now()
    values = {
        "method": REPORTED,
        "matched_chars": sum(s["article"][1] - s["article"][0] for s in spans),
        "spans": json.dumps(spans, ensure_ascii=False),
        "status": "current",
        "article_version_id": article["id"],
        "readout_version_id": readout["version_id"],
        "confidence": confidence,
        "updated_at": now,
    }
    with write_transaction(db):
        if not save_reported_citation(db, article["document_id"], readout["document_id"], values):
            return []
        flag = make_flag(
            "new_citation",
            article["source"],
            article["document_id"],
            article["id"],
            f"Reported in other words ({confidence:.0%}, {len(spans)} sentences): "
            f"{article['title']} reports {readout['title']}",
            related_document_id=readout["document_id"],
            key=f"new_citation:article:{article['document_id']}:readout:{readout['document_id']}",
        )
        return [flag] if insert_flag(db, flag) else []


def _quoted_ranges(db: sqlite_utils.Database, article_id: int) -> list[tuple[int, int]]:
    return [
        tuple(span["article"])
        for spans in verbatim_citation_spans(db, article_id)
        for span in json.loads(spans or "[]")
    ]
