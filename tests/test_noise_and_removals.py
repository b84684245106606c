"""A source's noise rules, and removals judged by what a reader gets rather than the status code."""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import Readouts, query
from scrapy.http import HtmlResponse

from crawler.effective_status import not_found_page
from readouts.demo.server import Resource, SiteServer
from readouts.demo.sitegen import sources_toml

TEXT = "The ministers discussed grain exports and the safety of shipping in the Black Sea. " * 6


def article(title: str, body: str, extra: str = "") -> str:
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1><p>{body}</p>{extra}</article></body></html>"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Crawl 1: every page live. Then the pages change as described; crawls 2 and 3 re-check."""
    tmp = tmp_path_factory.mktemp("noise")
    views = itertools.count(1234)
    with SiteServer() as server:
        pages = {
            "/news/1": article("Counter", TEXT, "<p class='views'>Views: {views}</p>"),
            "/news/2": article("Home-bound", TEXT),
            "/news/3": article("Listing-bound", TEXT),
            "/news/4": article("Soft gone", TEXT),
            "/news/5": article("Moving", TEXT),
            "/news/6": article("Ad box", TEXT, "<div class='promo'>Subscribe now</div>"),
        }
        for path, html in pages.items():
            server.set(path, Resource(lambda h=html: h.replace("{views}", f"{next(views):,}")))
        links = "".join(f'<a href="{path}">x</a>' for path in pages)
        server.set("/news", f"<html><body>{links}</body></html>")
        sources = tmp / "sources.toml"
        sources.write_text(
            f'[sources.site]\nkind = "readout"\nspider = "generic"\n'
            f'start_urls = ["{server.url("/news")}"]\nitem_pattern = "/news/\\\\d+$"\n'
            f'follow_pattern = "/news/page/\\\\d+$"\ndelay = 0\n'
            f'ignore_patterns = ["^Views: [\\\\d,]+$"]\ndrop_selectors = [".promo"]\n',
            encoding="utf-8",
        )
        readouts = Readouts(tmp / "archive.db", sources)
        crawls = [readouts("crawl", "site")]

        def moved(location):
            return Resource("", status=301, headers={"Location": location}, conditional=False)

        server.set("/news/2", moved("/"))
        server.set("/news/3", moved(server.url("/news")))
        server.set("/news/4", article("Страница не найдена", "Запрошенная страница не найдена."))
        server.set("/news/5", moved("/news/55"))
        server.set("/news/55", article("Moving", TEXT))
        server.set("/news/6", article("Ad box", TEXT, "<div class='promo'>Sale: 50% off</div>"))
        crawls.append(readouts("crawl", "site", "--recheck"))
        # A real edit of the counter page: the edit is stored, the counter stays out of the diff.
        edited = article(
            "Counter", TEXT + " They agreed to meet in Istanbul.", "<p>Views: {views}</p>"
        )
        server.set("/news/1", Resource(lambda: edited.replace("{views}", f"{next(views):,}")))
        crawls.append(readouts("crawl", "site", "--recheck"))
        for result in crawls:
            assert result.returncode == 0, result.stdout + result.stderr
        yield readouts, server


def document(readouts, server, path):
    return query(readouts.db_path, "SELECT * FROM documents WHERE url = ?", [server.url(path)])[0]


def versions(readouts, server, path):
    return query(
        readouts.db_path,
        "SELECT v.* FROM versions v JOIN documents d ON d.id = v.document_id WHERE d.url = ?"
        " ORDER BY v.version",
        [server.url(path)],
    )


def test_text_matching_ignore_patterns_makes_no_version_but_is_kept(site):
    readouts, server = site
    stored = versions(readouts, server, "/news/1")
    assert len(stored) == 2  # the first crawl, then the real edit only
    assert re.search(r"^Views: 1,2\d\d$", stored[0]["text"], re.MULTILINE)


def test_real_edit_next_to_an_ignored_counter_diffs_without_it(site):
    readouts, server = site
    doc = document(readouts, server, "/news/1")
    result = readouts("diff", str(doc["id"]))
    assert "{+ They agreed to meet in Istanbul.+}" in result.stdout, result.stdout
    assert "Views" not in result.stdout


def test_dropped_selector_content_never_reaches_the_text(site):
    readouts, server = site
    stored = versions(readouts, server, "/news/6")
    assert len(stored) == 1 and "Subscribe" not in stored[0]["text"]


@pytest.mark.parametrize("path", ["/news/2", "/news/3", "/news/4"])
def test_redirect_home_or_to_listing_or_not_found_page_counts_as_gone(site, path):
    readouts, server = site
    doc = document(readouts, server, path)
    assert doc["status"] == "removed"
    flags = query(
        readouts.db_path,
        "SELECT summary FROM flags WHERE kind = 'removed_readout' AND document_id = ?",
        [doc["id"]],
    )
    assert len(flags) == 1
    errors = query(
        readouts.db_path,
        "SELECT error FROM fetches WHERE document_id = ? AND outcome = 'gone'",
        [doc["id"]],
    )
    assert len(errors) == 2 and all(
        ("home page" in e["error"]) or ("listing" in e["error"]) or ("not found" in e["error"])
        for e in errors
    )


def test_redirect_to_another_item_is_a_move_not_a_removal(site):
    readouts, server = site
    doc = document(readouts, server, "/news/5")
    assert doc["status"] == "live"
    assert len(versions(readouts, server, "/news/5")) == 1
    hops = query(
        readouts.db_path,
        "SELECT url, status, outcome FROM fetches WHERE url IN (?, ?) ORDER BY id",
        [server.url("/news/5"), server.url("/news/55")],
    )
    assert {"url": server.url("/news/5"), "status": 301, "outcome": "redirected"} in hops
    assert {"url": server.url("/news/55"), "status": 200, "outcome": "unchanged"} in hops
    assert (
        query(readouts.db_path, "SELECT id FROM documents WHERE url = ?", [server.url("/news/55")])
        == []
    )


@pytest.mark.parametrize(
    "title, gone",
    [
        ("404 - Page not found", True),
        ("Error 404 | President of Russia", True),
        ("President of Russia | 404 - not here", True),
        ("Страница не найдена", True),
        ("Телефонный разговор № 404: Встреча по ситуации", False),
        ("Readout of the call on Resolution 404 – the Security Council", False),
    ],
)
def test_a_not_found_page_is_told_by_its_title_not_by_any_404_in_it(title, gone):
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    response = HtmlResponse("http://127.0.0.1/news/1", body=page.encode(), encoding="utf-8")
    assert (not_found_page(response) is not None) == gone


def test_links_to_one_page_with_and_without_tracking_parameters_make_one_document(tmp_path):
    with SiteServer() as server:
        server.set("/news/1", article("Call with the Prime Minister", TEXT))
        server.set("/news/2", article("Meeting with the Governor", TEXT))
        server.set(
            "/news/",
            "<html><body><a href='/news/1'>x</a> <a href='/news/1?utm_source=tw&utm_medium=x'>x</a>"
            " <a href='/news/2?fbclid=AbC'>x</a> <a href='/news/2?ref=home'>x</a></body></html>",
        )
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(server.base_url), encoding="utf-8")
        readouts = Readouts(tmp_path / "archive.db", sources)
        assert readouts("crawl", "site").returncode == 0
        urls = [
            row["url"] for row in query(readouts.db_path, "SELECT url FROM documents ORDER BY url")
        ]
        assert urls == [server.url("/news/1"), server.url("/news/2")]
        flags = query(readouts.db_path, "SELECT kind FROM flags")
        assert [row["kind"] for row in flags] == ["new_readout", "new_readout"]
