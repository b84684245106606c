"""Reported citations: articles that report a readout in their own words."""

from __future__ import annotations

import json

import pytest
from conftest import query

from readouts.demo import content

DEMO = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]


def reported(db_path):
    return query(
        db_path,
        "SELECT c.*, a.url AS article_url, r.title AS readout_title, v.text AS article_text"
        " FROM citations c JOIN documents a ON a.id = c.article_id"
        " JOIN documents r ON r.id = c.readout_id JOIN versions v ON v.id = c.article_version_id"
        " WHERE c.method = 'reported'",
    )


@pytest.mark.embeddings
def test_agency_report_in_other_words_is_a_reported_citation_of_the_right_readout(
    readouts, db_path, server
):
    result = readouts("crawl", *DEMO)
    assert result.returncode == 0, result.stderr
    rows = reported(db_path)
    assert [(r["article_url"], r["readout_title"]) for r in rows] == [
        (server.url(content.AGENCY_REPORT_PATH), content.KREMLIN_CALL["title"])
    ]
    citation = rows[0]
    assert 0.5 <= citation["confidence"] < 1
    spans = json.loads(citation["spans"])
    assert len(spans) >= 2
    for span in spans:
        start, end = span["article"]
        assert citation["article_text"][start:end] == span["text"]
        assert "football" not in span["text"]
    flags = query(
        db_path,
        "SELECT summary FROM flags WHERE kind = 'new_citation' AND document_id = ?",
        [citation["article_id"]],
    )
    assert len(flags) == 1 and flags[0]["summary"].startswith("Reported in other words")


@pytest.mark.embeddings
def test_an_article_that_quotes_a_readout_is_not_also_reported(readouts, db_path, server):
    assert readouts("crawl", *DEMO).returncode == 0
    quoting = server.url(content.COMMENTARY_PATH)
    assert [r for r in reported(db_path) if r["article_url"] == quoting] == []
    methods = query(
        db_path,
        "SELECT c.method FROM citations c JOIN documents a ON a.id = c.article_id WHERE a.url = ?",
        [quoting],
    )
    assert methods == [{"method": "quote"}]


def test_without_the_model_reported_citations_are_off_and_say_so(readouts, db_path):
    result = readouts("crawl", *DEMO)
    assert result.returncode == 0, result.stderr
    assert reported(db_path) == []
    assert "Reported citations are off" in result.stderr
    assert "wait for them" in result.stderr
