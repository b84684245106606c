"""The reported step without PyTorch: a deterministic stand-in encoder, injected in-process, on an
archive crawled from the demo site by the real crawler.

The stand-in (feature-hashed word unigrams and bigrams) is no paraphrase model: it checks the
step's mechanics — which readouts are candidates, what is stored, which flag is raised, that a
verbatim citation wins and that a second run adds nothing — not the model's judgement, which
``test_reported.py`` and ``bench/reported_eval.py`` check with the real one.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from conftest import crawl_each_demo_order, query

import storage
from analysis import embeddings
from flagging import reported
from flagging.job import run_flag_job
from flagging.verify import verify
from readouts.demo import content
from readouts.demo.site import Page
from storage.database import write_transaction
from storage.job_state import set_state
from storage.reported import save_reported_citation
from storage.versions import latest_commentary_versions_after

DEMO = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]
NOTE = "(Written for the readout-monitor demo test; no real event.)"

# Readouts of the same leaders the agency report names, each left out of its candidates for
# one reason. The agency report was published 2017-11-21T19:05Z.
TOO_EARLY_PATH = "/events/president/news/56100"  # 18 days before: outside the fortnight
TOO_EARLY = {
    "title": "Telephone conversation with US President Donald Trump",
    "published_at": "2017-11-03T18:00:00+03:00",
    "place": "Moscow",
    "paragraphs": [
        f"Vladimir Putin had a telephone conversation with Donald Trump. {NOTE}",
        "The two leaders exchanged views on the Syrian settlement and on counter-terrorism.",
    ],
}
TOO_LATE_PATH = "/events/president/news/56165"  # 40 hours after: past the day allowed
TOO_LATE = {
    **TOO_EARLY,
    "published_at": "2017-11-23T14:00:00+03:00",
}
# Names Putin only: a candidate only once Trump counts as the White House's own leader.
UNNAMED_LEADER_PATH = "/briefings-statements/readout-call-with-president-putin-of-russia/"
UNNAMED_LEADER = {
    "title": "Readout of the President's call with President Vladimir Putin of Russia",
    "published_at": "2017-11-20T18:00:00-05:00",
    "paragraphs": [
        f"The President spoke today with President Vladimir Putin of Russia. {NOTE}",
        "They talked about ending the war in Syria.",
    ],
}
# Quotes the Kremlin readout verbatim and reports more of it in the agency's words: the verbatim
# citation wins, the readout is not matched again.
QUOTING_REPORT_PATH = "/2017/11/21/kremlin-putin-briefed-trump-on-assad-talks/"
QUOTING_REPORT = {
    "title": "Kremlin: Putin briefed Trump on his talks with Assad",
    "published_at": "2017-11-21T21:00:00+00:00",
    "author": "Demo Agency",
    "paragraphs": [
        "The Kremlin said that “Vladimir Putin informed Donald Trump of the main results of his"
        " meeting with President of Syria Bashar al-Assad on November 20”. (A demo test page.)",
        *content.AGENCY_REPORT["paragraphs"][1:4],
    ],
}

# A bag of words scores a sentence reported in other words about 0.5 against its original and
# an unrelated sentence about 0.3; the real model's thresholds are on another scale.
STANDIN_SENTENCE_THRESHOLD = 0.45
STANDIN_STRONG_SENTENCE = 0.7

REPORTED_VALUES = ("method", "matched_chars", "spans", "status", "confidence", "updated_at")


class HashingEncoder:
    """Unit-length signed feature hashes of a sentence's lower-cased word unigrams and bigrams:
    the same text always gives the same vector, shared words and word pairs raise the cosine."""

    def __init__(self, dimensions: int = 4096):
        self.dimensions = dimensions
        self.calls = 0

    def encode(self, sentences: list[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.zeros((len(sentences), self.dimensions))
        for row, sentence in enumerate(sentences):
            words = re.findall(r"\w+", sentence.lower())
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                vectors[row, value % self.dimensions] += 1 if value >> 63 else -1
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
        return vectors


@pytest.fixture
def encoder(monkeypatch) -> HashingEncoder:
    """The stand-in, in place of the model for this process only."""
    standin = HashingEncoder()
    monkeypatch.setattr(embeddings, "encode", standin.encode)
    monkeypatch.setattr(embeddings, "unavailable_reason", lambda: None)
    monkeypatch.setattr(embeddings, "available", lambda: True)
    monkeypatch.setattr(reported, "SENTENCE_THRESHOLD", STANDIN_SENTENCE_THRESHOLD)
    monkeypatch.setattr(reported, "STRONG_SENTENCE", STANDIN_STRONG_SENTENCE)
    return standin


@pytest.fixture
def crawled(readouts, demo_site, db_path):
    """The demo site and the pages above, crawled by the real crawler in a child
    process without the model: its reported step is off and the articles wait."""
    demo_site.add(Page(TOO_EARLY_PATH, "kremlin", TOO_EARLY))
    demo_site.add(Page(TOO_LATE_PATH, "kremlin", TOO_LATE))
    demo_site.add(Page(UNNAMED_LEADER_PATH, "whitehouse", UNNAMED_LEADER))
    demo_site.add(Page(QUOTING_REPORT_PATH, "commentary", QUOTING_REPORT))
    result = readouts("crawl", *DEMO)
    assert result.returncode == 0, result.stderr
    assert "Reported citations are off" in result.stderr
    return db_path


def paths(db_path, server) -> dict[int, str]:
    """Document id -> the path it was crawled from."""
    rows = query(db_path, "SELECT id, url FROM documents")
    return {row["id"]: row["url"].removeprefix(server.base_url) for row in rows}


def article(db, by_id: dict[int, str], path: str) -> dict:
    """The version row of the article at ``path``, as the reported step gets it."""
    rows = latest_commentary_versions_after(db, 0, 100)
    return next(row for row in rows if by_id[row["document_id"]] == path)


def test_candidates_are_readouts_of_the_fortnight_before_that_name_two_of_the_articles_people(
    crawled, db, server
):
    by_id = paths(crawled, server)

    def candidates(path, principals):
        found = reported.candidate_readouts(db, article(db, by_id, path), principals)
        return [by_id[c["document_id"]] for c in found]

    # Both readout sources, nearest first; not the articles (one names the same leaders), not
    # the readouts outside the window, not the one that names only one of the article's people.
    report = content.AGENCY_REPORT_PATH
    assert candidates(report, {}) == [content.KREMLIN_CALL_PATH, content.WHITEHOUSE_CALL_PATH]
    # A source's own leader counts as named in each of its readouts.
    assert candidates(report, {"demo-whitehouse": {"trump"}}) == [
        content.KREMLIN_CALL_PATH,
        content.WHITEHOUSE_CALL_PATH,
        UNNAMED_LEADER_PATH,
    ]
    # A readout the article quotes verbatim is no candidate.
    assert content.KREMLIN_CALL_PATH not in candidates(QUOTING_REPORT_PATH, {})
    assert content.KREMLIN_CALL_PATH in candidates(content.AGENCY_REPORT_PATH, {})


def test_a_report_in_other_words_is_a_reported_citation_with_true_spans_and_one_flag(
    crawled, encoder, server
):
    db = storage.open_database(crawled)
    try:
        raised = run_flag_job(db)
    finally:
        db.close()
    assert encoder.calls  # the stand-in did the encoding
    rows = query(
        crawled,
        "SELECT c.*, a.url AS article_url, r.url AS readout_url, v.text AS article_text,"
        " rv.text AS readout_text FROM citations c JOIN documents a ON a.id = c.article_id"
        " JOIN documents r ON r.id = c.readout_id JOIN versions v ON v.id = c.article_version_id"
        " JOIN versions rv ON rv.id = c.readout_version_id WHERE c.method = 'reported'",
    )
    assert [(r["article_url"], r["readout_url"]) for r in rows] == [
        (server.url(content.AGENCY_REPORT_PATH), server.url(content.KREMLIN_CALL_PATH))
    ]
    citation = rows[0]
    spans = json.loads(citation["spans"])
    assert len(spans) >= 2
    for span in spans:
        start, end = span["article"]
        assert citation["article_text"][start:end] == span["text"]
        assert "football" not in span["text"]
        assert span["similarity"] >= STANDIN_SENTENCE_THRESHOLD
        r_start, r_end = span["readout"]
        assert citation["readout_text"][r_start:r_end].strip()
    assert citation["matched_chars"] == sum(s["article"][1] - s["article"][0] for s in spans)
    mean = sum(s["similarity"] for s in spans) / len(spans)
    assert citation["confidence"] == round(min(0.99, mean * min(1.0, 0.5 + 0.25 * len(spans))), 2)

    flags = query(
        crawled,
        "SELECT kind, summary, related_document_id FROM flags WHERE kind = 'new_citation'"
        " AND document_id = ?",
        [citation["article_id"]],
    )
    assert flags == [
        {
            "kind": "new_citation",
            "summary": f"Reported in other words ({citation['confidence']:.0%}, {len(spans)}"
            f" sentences): {content.AGENCY_REPORT['title']} reports"
            f" {content.KREMLIN_CALL['title']}",
            "related_document_id": citation["readout_id"],
        }
    ]
    assert [f["summary"] for f in raised if f["kind"] == "new_citation"] == [flags[0]["summary"]]

    # The articles that quote the readout keep their verbatim citation and nothing else, though
    # one of them also reports the readout in the agency's words.
    for path in (content.COMMENTARY_PATH, QUOTING_REPORT_PATH):
        methods = query(
            crawled,
            "SELECT c.method, r.url FROM citations c JOIN documents a ON a.id = c.article_id"
            " JOIN documents r ON r.id = c.readout_id WHERE a.url = ?",
            [server.url(path)],
        )
        assert methods == [{"method": "quote", "url": server.url(content.KREMLIN_CALL_PATH)}]
    # … also when a verbatim citation is stored after the step picked its candidates.
    quote = query(crawled, "SELECT * FROM citations WHERE method = 'quote' ORDER BY id")[0]
    db = storage.open_database(crawled)
    try:
        with write_transaction(db):
            stored = save_reported_citation(
                db,
                quote["article_id"],
                quote["readout_id"],
                {
                    **{key: citation[key] for key in REPORTED_VALUES},
                    "article_version_id": quote["article_version_id"],
                    "readout_version_id": quote["readout_version_id"],
                },
            )
    finally:
        db.close()
    assert not stored
    assert query(crawled, "SELECT * FROM citations WHERE id = ?", [quote["id"]]) == [quote]


def test_a_second_run_of_the_reported_step_adds_nothing(crawled, encoder):
    db = storage.open_database(crawled)
    try:
        run_flag_job(db)
        citations = query(crawled, "SELECT * FROM citations ORDER BY id")
        flags = query(crawled, "SELECT * FROM flags ORDER BY id")
        calls = encoder.calls
        assert reported.reported_step(db) == []
        assert encoder.calls == calls  # nothing waits: no article is encoded again
        # Even from the start (watermark reset) it finds the same and stores nothing new.
        with write_transaction(db):
            set_state(db, reported.WATERMARK, 0)
        assert reported.reported_step(db) == []
        assert encoder.calls > calls
    finally:
        db.close()
    # Refreshed (``updated_at``), nothing else.
    again = query(crawled, "SELECT * FROM citations ORDER BY id")
    assert [{**row, "updated_at": None} for row in again] == [
        {**row, "updated_at": None} for row in citations
    ]
    assert query(crawled, "SELECT * FROM flags ORDER BY id") == flags


def test_an_article_stored_before_the_readout_it_reports_gets_the_same_citation_and_flag(
    tmp_path, demo_sources, server, encoder
):
    """Each crawl runs in a child process without the model (its reported step waits), then the
    flag job runs here with the stand-in: whichever comes first, the article or the readouts, the
    reported citations and their flags are the same, and ``verify`` finds nothing missing."""
    archives = {}
    for name, readouts in crawl_each_demo_order(tmp_path, demo_sources):
        db = storage.open_database(readouts.db_path)
        try:
            run_flag_job(db)
            assert verify(db) == []
        finally:
            db.close()
        archives[name] = _reported_by_url(readouts.db_path, server)  # after the last crawl
    citations, flags = archives["commentary-first"]
    assert archives["readouts-first"] == (citations, flags)
    report, kremlin = content.AGENCY_REPORT_PATH, content.KREMLIN_CALL_PATH
    assert [c[:2] for c in citations] == [(report, kremlin)]
    assert [f[1:] for f in flags] == [(report, kremlin)]


def _reported_by_url(db_path, server) -> tuple[list[tuple], list[tuple]]:
    """Reported citations (with their spans and confidence) and their flags, named by paths."""
    by_id = paths(db_path, server)
    citations = sorted(
        (by_id[row["article_id"]], by_id[row["readout_id"]], row["confidence"], row["spans"])
        for row in query(db_path, "SELECT * FROM citations WHERE method = 'reported'")
    )
    flags = sorted(
        (row["summary"], by_id[row["document_id"]], by_id[row["related_document_id"]])
        for row in query(
            db_path,
            "SELECT * FROM flags WHERE kind = 'new_citation' AND summary LIKE 'Reported%'",
        )
    )
    return citations, flags
