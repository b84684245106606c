"""One article reachable at several URLs is one document: links that differ by a trailing slash
or ``index.html`` are fetched once, and a page's ``rel=canonical`` (on its site, an item page)
files it under that address, without splitting a document stored before it declared one."""

from __future__ import annotations

from pathlib import Path

from conftest import Readouts, query
from test_warc import records

from readouts.demo.server import SiteServer

TEXT = "The ministers discussed grain exports and the safety of shipping in the Black Sea. " * 6
ITEM = r"/news/\\d+(/|/index\\.html|/amp/|\\?print=1)?$"


def article(title: str, canonical: str | None = None, text: str = TEXT) -> str:
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    return (
        f"<html lang='en'><head><title>{title}</title>{link}</head><body><nav><a href='/'>Home</a>"
        f"</nav><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    )


def listing(*paths: str) -> str:
    return "<html><body>" + "".join(f"<a href='{path}'>x</a> " for path in paths) + "</body></html>"


def crawler(tmp_path: Path, server: SiteServer) -> Readouts:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.site]\nkind = "readout"\nspider = "generic"\n'
        f'start_urls = ["{server.url("/news")}"]\nitem_pattern = "{ITEM}"\ndelay = 0\n',
        encoding="utf-8",
    )
    return Readouts(tmp_path / "archive.db", sources)


def crawl(readouts: Readouts, *args: str) -> None:
    result = readouts("crawl", "site", *args)
    assert result.returncode == 0, result.stdout + result.stderr


def documents(readouts: Readouts) -> dict[str, dict]:
    """URL → document, with its number of versions."""
    rows = query(
        readouts.db_path,
        "SELECT d.*, (SELECT count(*) FROM versions WHERE document_id = d.id) AS versions"
        " FROM documents d",
    )
    return {row["url"]: row for row in rows}


def flags(readouts: Readouts) -> list[tuple[str, str]]:
    rows = query(
        readouts.db_path,
        "SELECT f.kind, d.url FROM flags f JOIN documents d ON d.id = f.document_id ORDER BY f.id",
    )
    return [(row["kind"], row["url"]) for row in rows]


def last_fetches(readouts: Readouts) -> dict[str, dict]:
    """URL → the last run's fetch of it."""
    run_id = query(readouts.db_path, "SELECT max(id) AS id FROM runs")[0]["id"]
    rows = query(readouts.db_path, "SELECT * FROM fetches WHERE run_id = ?", [run_id])
    return {row["url"]: row for row in rows}


def test_links_differing_by_a_trailing_slash_or_index_html_fetch_the_page_once(tmp_path):
    with SiteServer() as server:
        forms = ["/news/1", "/news/1/", "/news/1/index.html"]
        for path in forms:
            server.set(path, article("Call with the Prime Minister"))
        server.set("/news", listing(*forms))
        readouts = crawler(tmp_path, server)
        crawl(readouts)
        assert sum(len(server.requests_for(path)) for path in forms) == 1
        assert list(documents(readouts)) == [server.url("/news/1")]
        # The site switches to another form of its links: nothing new.
        server.set("/news", listing("/news/1/"))
        crawl(readouts)
        assert list(documents(readouts)) == [server.url("/news/1")]
        assert flags(readouts) == [("new_readout", server.url("/news/1"))]


def test_print_and_amp_pages_are_filed_under_their_canonical_address_and_rechecked_there(
    tmp_path,
):
    with SiteServer() as server:
        one, two = server.url("/news/1"), server.url("/news/2")
        server.set("/news/1?print=1", article("Call with the Prime Minister", one))
        server.set("/news/1", article("Call with the Prime Minister", one))
        server.set("/news/2/amp/", article("Meeting with the Governor", "/news/2"))
        server.set("/news/2", article("Meeting with the Governor", "/news/2"))
        server.set("/news", listing("/news/1?print=1", "/news/2/amp/"))
        readouts = crawler(tmp_path, server)
        crawl(readouts)
        docs = documents(readouts)
        assert list(docs) == [one, two]
        fetched = last_fetches(readouts)  # the fetch log keeps the address that was fetched
        assert fetched[server.url("/news/1?print=1")]["document_id"] == docs[one]["id"]
        assert fetched[server.url("/news/2/amp/")]["document_id"] == docs[two]["id"]

        # The listing now links the canonical addresses: known pages, fetched only as
        # re-checks of recent items, no "new" readout.
        server.set("/news", listing("/news/1", "/news/2"))
        crawl(readouts)
        assert len(server.requests_for("/news/1")) == len(server.requests_for("/news/2")) == 1
        assert sorted(flags(readouts)) == [("new_readout", one), ("new_readout", two)]

        # Re-checks fetch the canonical address; the second is conditional (its ETag kept).
        crawl(readouts, "--recheck")
        crawl(readouts, "--recheck")
        assert "If-None-Match" in server.requests_for("/news/1")[-1].headers
        outcomes = {url: fetch["outcome"] for url, fetch in last_fetches(readouts).items()}
        assert {url: outcomes[url] for url in outcomes if "/news/" in url} == {
            one: "not_modified",
            two: "not_modified",
        }

        # An edit is a version of the one document; a removal takes two 404s, as anywhere.
        server.set("/news/1", article("Call with the Prime Minister", one, TEXT + "They agreed."))
        crawl(readouts, "--recheck")
        server.remove("/news/2")
        crawl(readouts, "--recheck")
        crawl(readouts, "--recheck")
        docs = documents(readouts)
        assert (docs[one]["versions"], docs[two]["status"]) == (2, "removed")
        assert flags(readouts)[2:] == [("edited_readout", one), ("removed_readout", two)]

        # The export holds the print page's exchange, under its document.
        warc = tmp_path / "one.warc.gz"
        exported = readouts("export", str(warc), "--document", str(docs[one]["id"]))
        assert exported.returncode == 0, exported.stderr
        print_page = [
            record["warc"]
            for record in records(warc)
            if record["type"] == "response"
            and record["warc"]["WARC-Target-URI"] == server.url("/news/1?print=1")
        ]
        assert [headers.get("WARC-Readouts-Document-URI") for headers in print_page] == [one]


def test_a_document_stored_before_its_page_declared_a_canonical_keeps_its_history(tmp_path):
    with SiteServer() as server:
        amp = server.url("/news/1/amp/")
        server.set("/news/1/amp/", article("Call with the Prime Minister"))
        server.set("/news", listing("/news/1/amp/"))
        readouts = crawler(tmp_path, server)
        crawl(readouts)

        # The page now names its canonical address, and says more: a version of the document.
        edited = TEXT + "They agreed to meet again."
        server.set("/news/1/amp/", article("Call with the Prime Minister", "/news/1", edited))
        server.set("/news/1", article("Call with the Prime Minister", "/news/1", edited))
        crawl(readouts, "--recheck")
        # The listing links the canonical address; then the page names another page (ignored).
        server.set("/news", listing("/news/1"))
        crawl(readouts)
        assert not server.requests_for("/news/1")
        server.set("/news/1/amp/", article("Call with the Prime Minister", "/news/11", edited))
        crawl(readouts, "--recheck")

        docs = documents(readouts)
        assert list(docs) == [amp]
        assert docs[amp]["versions"] == 2
        assert flags(readouts) == [("new_readout", amp), ("edited_readout", amp)]
        addresses = query(readouts.db_path, "SELECT url FROM document_urls ORDER BY url")
        assert [row["url"] for row in addresses] == [server.url("/news/1")]


def test_a_canonical_to_the_home_page_a_listing_another_host_another_article_or_no_item_is_ignored(
    tmp_path,
):
    with SiteServer() as server:
        canonicals = {
            "/news/1": "/",
            "/news/2": server.url("/"),
            "/news/3": "/news",
            "/news/4": "http://other.example/news/4",
            "/news/5": "/about",
            "/news/6": "/news/1",  # one article declared the canonical of another
        }
        for number, (path, canonical) in enumerate(canonicals.items(), 1):
            server.set(path, article(f"Readout number {number}", canonical))
        server.set("/news", listing(*canonicals))
        readouts = crawler(tmp_path, server)
        crawl(readouts)
        urls = sorted(server.url(path) for path in canonicals)
        assert sorted(documents(readouts)) == urls
        assert sorted(url for kind, url in flags(readouts) if kind == "new_readout") == urls
        assert not query(readouts.db_path, "SELECT * FROM document_urls")
