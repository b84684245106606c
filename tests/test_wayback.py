"""Backfills from the Wayback Machine: a mock CDX endpoint and raw captures on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Readouts, query
from news_site import NewsSite, article

import storage
from readouts.demo.server import LoggedRequest, Resource, SiteServer
from storage.runs import ARCHIVE_READ, last_walk_cut_short

CAPTURES = ["20230105120000", "20230210080000", "20230301000000"]
EXPECTED_CDX = {
    "matchType": ["prefix"],
    "output": ["json"],
    "filter": ["statuscode:200"],
    "collapse": ["digest"],
    "from": ["20230101"],
    "to": ["20231231"],
}


class MockWayback:
    """CDX answers listing three captures of /news/1 (the last two identical) and one of the
    listing page; each capture replayed raw under /web/<timestamp>id_/<url>."""

    def __init__(self, archive: SiteServer, site: SiteServer):
        self.archive, self.site = archive, site
        self.queries: list[dict] = []
        item, listing = site.url("/news/1"), site.url("/news")
        bodies = [
            article(1, date(2023, 1, 5), "First wording."),
            article(1, date(2023, 1, 5), "Second wording, after an edit."),
            article(1, date(2023, 1, 5), "Second wording, after an edit."),
        ]
        self.rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest"]]
        for timestamp, body in zip(CAPTURES, bodies):
            self.rows.append(["k", timestamp, item, "text/html", "200", str(hash(body))])
            archive.set(f"/web/{timestamp}id_/{item}", body)
        self.rows.append(["k", "20230102000000", listing, "text/html", "200", "x"])
        archive.set("/cdx/search/cdx", self.cdx)

    def cdx(self, request: LoggedRequest) -> Resource:
        params = parse_qs(urlsplit(request.path).query)
        self.queries.append(params)
        if any(params.get(key) != value for key, value in EXPECTED_CDX.items()):
            return Resource("bad query", status=400, conditional=False)
        prefix = params["url"][0]
        rows = [self.rows[0]] + [r for r in self.rows[1:] if prefix in r[2].lower()]
        return Resource(json.dumps(rows), content_type="application/json", conditional=False)


@pytest.fixture
def wayback(server):
    with SiteServer() as archive:
        yield MockWayback(archive, server)


def sources_file(tmp_path, site: NewsSite, wayback: MockWayback):
    settings = f'[settings]\nwayback_url = "{wayback.archive.base_url}"\n'
    return site.sources(tmp_path / "s.toml", settings=settings)


def history(db_path):
    return query(
        db_path,
        "SELECT v.version, v.seen_at, v.origin, v.text FROM versions v"
        " JOIN documents d ON d.id = v.document_id WHERE d.url LIKE '%/news/1' ORDER BY v.version",
    )


def test_archive_captures_become_dated_versions_before_the_crawled_one(
    tmp_path, db_path, server, wayback
):
    site = NewsSite(server, 1)
    readouts = Readouts(db_path, sources_file(tmp_path, site, wayback))
    assert readouts("crawl", "news").returncode == 0
    for _ in range(2):  # the second archive run finds nothing new
        result = readouts(
            "crawl", "news", "--since", "2023-01-01", "--until", "2023-12-31", "--from-archive"
        )
        assert result.returncode == 0, result.stdout + result.stderr
    versions = history(db_path)
    assert [(v["version"], v["seen_at"], v["origin"]) for v in versions] == [
        (1, "2023-01-05T12:00:00+00:00", "archive"),
        (2, "2023-02-10T08:00:00+00:00", "archive"),
        (3, versions[2]["seen_at"], "crawl"),
    ]
    assert "First wording." in versions[0]["text"]
    assert "Second wording" in versions[1]["text"]
    assert wayback.queries[0]["url"] == [f"127.0.0.1:{server.port}/"]
    replayed = wayback.archive.requests_for(f"/web/{CAPTURES[0]}id_/{server.url('/news/1')}")
    assert len(replayed) == 2  # once per archive run
    assert wayback.archive.requests_for(f"/web/20230102000000id_/{server.url('/news')}") == []
    assert query(db_path, "SELECT count(*) AS n FROM documents") == [{"n": 1}]
    assert query(db_path, "SELECT status FROM documents") == [{"status": "live"}]


def test_a_backfill_the_site_refuses_falls_back_to_the_archive(tmp_path, db_path, server, wayback):
    site = NewsSite(server, 1)
    for path in ("/robots.txt", "/news", "/news/1"):
        server.set(path, Resource("Forbidden", status=403, conditional=False))
    readouts = Readouts(db_path, sources_file(tmp_path, site, wayback))
    result = readouts("crawl", "news", "--since", "2023-01-01", "--until", "2023-12-31")
    assert result.returncode == 1, result.stdout + result.stderr  # the refused run had errors
    runs = query(db_path, "SELECT outcome, message FROM runs ORDER BY id")
    assert runs[0]["outcome"] == "errors"
    assert runs[1] == {
        "outcome": "ok",
        "message": "Wayback Machine captures: the site refused 2 of 2 fetches",
    }
    assert [v["origin"] for v in history(db_path)] == ["archive", "archive"]


def test_a_read_of_the_archive_neither_fills_nor_cuts_short_a_walk_of_the_site(
    tmp_path, db_path, server, wayback
):
    site = NewsSite(server, 1)
    readouts = Readouts(db_path, sources_file(tmp_path, site, wayback))
    year = ("--since", "2023-01-01", "--until", "2023-12-31")
    assert readouts("crawl", "news", "--max-pages", "1").returncode == 0  # run 1: cut short
    assert readouts("crawl", "news", *year, "--max-pages", "1").returncode == 0  # run 2
    assert readouts("crawl", "news", *year, "--from-archive").returncode == 0  # run 3
    owed = readouts("verify", "--json")

    gaps = json.loads(owed.stdout)["crawl_gaps"]
    assert [(gap["kind"], gap["run_id"]) for gap in gaps] == [("walk", 1), ("backfill", 2)]
    # An archive read in monitor mode (no dates) does not end the catch-up the walk owes either.
    db = storage.open_database(db_path)
    try:
        archive_read = storage.start_run(db, "news", "monitor")
        storage.finish_run(db, archive_read, message=f"{ARCHIVE_READ} (--from-archive)")
        assert last_walk_cut_short(db, "news", archive_read + 1)
    finally:
        db.close()
