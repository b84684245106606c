"""A re-check that fetches the very bytes a document was last parsed from skips parsing
(``ReadoutSpider._same_page``), even on a site that sends no ETag nor Last-Modified."""

from __future__ import annotations

import hashlib

from conftest import Readouts, query

import storage
from readouts.demo.server import Resource
from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

PAGES = 6
DROP_LEAD = {"drop_selectors": ["article p:first-of-type"]}  # a rule added after the first crawl


def serve(server, path: str, html: str) -> None:
    server.set(path, Resource(html, conditional=False))  # no validators: every re-check is a 200


def item_fetches(db_path, run_id: int) -> dict[str, dict]:
    rows = query(
        db_path,
        "SELECT url, status, outcome, page_hash FROM fetches WHERE run_id = ? AND url LIKE ?",
        [run_id, "%/news/_%"],
    )
    return {row["url"]: row for row in rows if "/page/" not in row["url"]}


def documents(db_path) -> dict[str, dict]:
    rows = query(db_path, "SELECT url, last_seen, page_hash FROM documents")
    return {row["url"]: row for row in rows}


def versions(db_path) -> list[dict]:
    return query(
        db_path,
        "SELECT d.url, v.version, v.origin, v.text, v.page_hash FROM versions v"
        " JOIN documents d ON d.id = v.document_id ORDER BY d.url, v.version",
    )


def last_run(db_path) -> int:
    return query(db_path, "SELECT max(id) AS id FROM runs")[0]["id"]


def test_unchanged_page_is_not_parsed_until_reprocess_and_chrome_edits_are(
    tmp_path, db_path, server
):
    for path, html in site_pages(PAGES).items():
        serve(server, path, html)
    first = tmp_path / "first.toml"
    first.write_text(sources_toml(server.base_url), encoding="utf-8")
    assert Readouts(db_path, first)("crawl", "site").returncode == 0
    db = storage.open_database(db_path)
    with db.conn:  # back-dated: both crawls can end within one second of last_seen's clock
        db.execute("UPDATE documents SET last_seen = '2020-01-01T00:00:00+00:00'")
    db.close()
    crawled, before = versions(db_path), documents(db_path)
    pages = query(db_path, "SELECT count(*) AS n FROM pages")
    assert len(crawled) == PAGES

    # The new rule would change every text: a version would show that a page was parsed.
    changed = tmp_path / "changed.toml"
    changed.write_text(sources_toml(server.base_url, **DROP_LEAD), encoding="utf-8")
    readouts = Readouts(db_path, changed)
    recheck = readouts("crawl", "site", "--recheck")
    assert recheck.returncode == 0, recheck.stderr
    assert versions(db_path) == crawled
    assert query(db_path, "SELECT count(*) AS n FROM pages") == pages  # no new raw page
    fetches = item_fetches(db_path, last_run(db_path))
    after = documents(db_path)
    assert len(fetches) == PAGES
    for url, fetch in fetches.items():
        assert (fetch["status"], fetch["outcome"]) == (200, "unchanged")
        assert fetch["page_hash"] == after[url]["page_hash"] == before[url]["page_hash"]
        assert after[url]["last_seen"] > before[url]["last_seen"]
    for number in range(1, PAGES + 1):  # fetched in full: nothing to make the request conditional
        again = server.requests_for(item_path(number))[-1]
        assert not {"If-None-Match", "If-Modified-Since"} & set(again.headers)

    reprocess = readouts("reprocess", "site")
    assert reprocess.returncode == 0, reprocess.stderr
    assert f"{PAGES} re-extracted" in reprocess.stdout
    reextracted = [row for row in versions(db_path) if row["origin"] == "reprocess"]
    assert len(reextracted) == PAGES
    for row in reextracted:
        number = int(row["url"].rsplit("/", 1)[1])
        assert make_readout(number).paragraphs[0] not in row["text"]

    # Only the page's chrome changes (a longer site menu): parsed again, the same text.
    menu = render_readout(make_readout(2), menu_links=3)
    serve(server, item_path(2), menu)
    settled = versions(db_path)
    recheck = readouts("crawl", "site", "--recheck")
    assert recheck.returncode == 0, recheck.stderr
    assert versions(db_path) == settled
    fetches = item_fetches(db_path, last_run(db_path))
    new_hash = hashlib.sha256(menu.encode("utf-8")).hexdigest()
    assert fetches[server.url(item_path(2))]["page_hash"] == new_hash
    assert documents(db_path)[server.url(item_path(2))]["page_hash"] == new_hash
    assert query(db_path, "SELECT hash FROM pages WHERE hash = ?", [new_hash])  # stored
    assert {fetch["outcome"] for fetch in fetches.values()} == {"unchanged"}
