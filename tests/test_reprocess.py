"""``readouts reprocess``: an extraction rule changes after a crawl; the archive is re-derived
from its raw pages, without fetching, as re-extractions that are never edits."""

from __future__ import annotations

import json
import random
import sys

import pytest
from conftest import Readouts, query
from killharness import archive_problems, run_and_kill

from readouts.demo.sitegen import item_path, make_readout, site_pages, sources_toml

PAGES = 12
DROP_LEAD = {"drop_selectors": ["article p:first-of-type"]}  # the new rule: no lead paragraph


@pytest.fixture
def crawled(tmp_path, db_path, server):
    """A site crawled with the first rules; returns the CLI with the new rules in its sources."""
    for path, html in site_pages(PAGES).items():
        server.set(path, html)
    first = tmp_path / "first.toml"
    first.write_text(sources_toml(server.base_url), encoding="utf-8")
    crawl = Readouts(db_path, first)("crawl", "site")
    assert crawl.returncode == 0, crawl.stderr
    changed = tmp_path / "changed.toml"
    changed.write_text(sources_toml(server.base_url, **DROP_LEAD), encoding="utf-8")
    return Readouts(db_path, changed)


def versions(db_path):
    return query(
        db_path,
        "SELECT d.url, v.id, v.version, v.origin, v.text, v.page_hash, v.metadata FROM versions v"
        " JOIN documents d ON d.id = v.document_id ORDER BY d.url, v.version",
    )


def test_dry_run_says_what_would_change_and_stores_nothing(crawled, server):
    before = versions(crawled.db_path)
    result = crawled("reprocess", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"{PAGES} page(s) parsed again, {PAGES} would change" in result.stdout
    assert f"text changed — {server.url(item_path(1))}" in result.stdout
    later = crawled("reprocess", "--dry-run", "--since", "2999-01-01")
    assert "0 page(s) parsed again, 0 would change" in later.stdout
    assert versions(crawled.db_path) == before


def test_reprocess_records_reextractions_that_are_never_flagged_as_edits(crawled, server):
    fetched = len(server.requests)
    result = crawled("reprocess", "site")
    assert result.returncode == 0, result.stderr
    assert len(server.requests) == fetched  # nothing fetched
    assert f"{PAGES} re-extracted" in result.stdout
    rows = versions(crawled.db_path)
    for number in range(1, PAGES + 1):
        url = server.url(item_path(number))
        crawl, again = [row for row in rows if row["url"] == url]
        lead = make_readout(number).paragraphs[0]
        assert (crawl["origin"], again["origin"]) == ("crawl", "reprocess")
        assert lead in crawl["text"] and lead not in again["text"]
        assert again["page_hash"] == crawl["page_hash"]  # the same raw page, read again
        assert f'"reextraction_of": {crawl["id"]}' in again["metadata"]
    kinds = query(crawled.db_path, "SELECT DISTINCT kind FROM flags")
    assert kinds == [{"kind": "new_readout"}]
    changes = query(
        crawled.db_path,
        "SELECT count(*) AS n FROM changes c JOIN versions v ON v.id = c.to_version_id"
        " WHERE v.origin = 'reprocess'",
    )
    assert changes == [{"n": PAGES}]  # the change step saw them: Datasette shows what changed
    url = server.url(item_path(1))
    shown = crawled("serve", "--get", f"/archive/document_history.json?document={url}&_shape=array")
    assert shown.returncode == 0, shown.stderr
    events = [row["event"] for row in json.loads(shown.stdout) if row["version"]]
    assert events == ["first archived", "re-extraction (same page)"]


def test_reextractions_are_not_exported_as_captures(crawled, tmp_path):
    """A re-extraction re-reads a page captured earlier: the export holds that capture once,
    not a reconstructed response dated when the page was re-read."""
    assert crawled("reprocess").returncode == 0
    result = crawled("export", str(tmp_path / "out.warc.gz"))
    assert result.returncode == 0, result.stderr
    assert "0 reconstructed" in result.stdout


def test_second_run_and_next_crawl_change_nothing(crawled):
    assert crawled("reprocess").returncode == 0
    before = versions(crawled.db_path)
    again = crawled("reprocess")
    assert again.returncode == 0, again.stderr
    assert f"{PAGES} page(s) parsed again, 0 re-extracted" in again.stdout
    # The live pages, read with today's rules, say what the re-extractions say: no false edit.
    recheck = crawled("crawl", "site", "--recheck")
    assert recheck.returncode == 0, recheck.stderr
    assert versions(crawled.db_path) == before
    assert query(crawled.db_path, "SELECT * FROM flags WHERE kind = 'edited_readout'") == []


def test_reprocess_of_an_unknown_source_is_a_usage_error(crawled):
    result = crawled("reprocess", "nope")
    assert result.returncode == 2
    assert "no source named nope" in result.stderr


def test_killed_reprocess_keeps_the_archive_sound_and_carries_on(crawled):
    command = [sys.executable, "-m", "readouts", "--db", str(crawled.db_path)]
    command += ["--sources", str(crawled.sources_path), "reprocess"]

    def started() -> bool:
        return bool(query(crawled.db_path, "SELECT 1 FROM versions WHERE origin = 'reprocess'"))

    kill = run_and_kill(command, rng=random.Random(16), max_delay=0.05, ready=started)
    assert archive_problems(crawled.db_path) == []
    finish = run_and_kill(command, rng=random.Random(0), max_delay=600)
    assert not finish.killed and finish.returncode == 0, (kill, finish)
    rows = versions(crawled.db_path)
    assert sum(row["origin"] == "reprocess" for row in rows) == PAGES
    assert query(crawled.db_path, "SELECT * FROM flags WHERE kind = 'edited_readout'") == []
