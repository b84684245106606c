"""Listing walks miss nothing: a monitor walk cut short is made good by the next one (what it
did not store lies below items it did store, so the next run pages on past them), and one
pinned older entry on a listing page does not end a backfill."""

from __future__ import annotations

import json
from datetime import date

from conftest import Readouts, query

from crawler.spiders.kremlin import KremlinSpider
from crawler.spiders.listing import Entry
from readouts.demo.server import Resource, SiteServer


def _item(number: int) -> str:
    return (
        f"<html lang='en'><head><title>Readout {number}</title></head><body><article>"
        f"<h1>Readout {number}</h1><p>The leaders spoke about trade route {number} and agreed"
        f" to meet again on the {number}th.</p></article></body></html>"
    )


def _listing(numbers, next_page: str | None) -> str:
    links = "".join(f'<li><a href="/news/{n}">Readout {n}</a></li>' for n in numbers)
    more = f'<a href="{next_page}">Older</a>' if next_page else ""
    return f"<html><body><ul>{links}</ul>{more}</body></html>"


def _site_with_a_failing_second_page(site: SiteServer, tmp_path) -> Readouts:
    site.set("/news", _listing(range(10, 5, -1), "/news/page/2"))
    for number in range(1, 11):
        site.set(f"/news/{number}", _item(number))
    site.set("/news/page/2", Resource("down", status=500))
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.site]\nkind = "readout"\nspider = "generic"\n'
        f'start_urls = ["{site.url("/news")}"]\nitem_pattern = "/news/\\\\d+$"\n'
        f'follow_pattern = "/news/page/\\\\d+$"\ndelay = 0\n',
        encoding="utf-8",
    )
    return Readouts(tmp_path / "archive.db", sources)


def _stored_numbers(tmp_path) -> list[int]:
    stored = query(tmp_path / "archive.db", "SELECT url FROM documents")
    return sorted(int(row["url"].rsplit("/", 1)[1]) for row in stored)


def test_a_run_stopped_by_max_pages_leaves_the_catch_up_owed(tmp_path):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        assert readouts("crawl", "site").returncode == 1
        site.set("/news/page/2", _listing(range(5, 0, -1), None))
        assert readouts("crawl", "site", "--max-pages", "1").returncode == 0  # page 1 only
        assert _stored_numbers(tmp_path) == list(range(6, 11))
        assert readouts("crawl", "site").returncode == 0
    assert _stored_numbers(tmp_path) == list(range(1, 11))


def test_items_below_a_listing_page_that_failed_are_fetched_by_the_next_monitor_run(tmp_path):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        assert readouts("crawl", "site").returncode == 1  # page 2 failed: the walk was cut short
        site.set("/news/page/2", _listing(range(5, 0, -1), None))
        caught_up = readouts("crawl", "site")
        walked_to_page_2 = len(site.requests_for("/news/page/2"))
        calm = readouts("crawl", "site")

    assert caught_up.returncode == 0, caught_up.stderr
    assert _stored_numbers(tmp_path) == list(range(1, 11))
    assert calm.returncode == 0
    # Once a walk ended well, monitor runs stop again at the first page of known items.
    assert len(site.requests_for("/news/page/2")) == walked_to_page_2


def test_one_pinned_older_entry_does_not_end_a_backfill():
    spider = KremlinSpider.__new__(KremlinSpider)  # turn_page reads only the mode and range
    spider.mode, spider.since = "backfill", date(2026, 1, 15)
    newest = [Entry(f"/news/{n}", f"2026-03-{n:02d}") for n in range(20, 10, -1)]
    pinned = [Entry("/news/pinned", "2026-01-05"), *newest]
    assert spider.turn_page(pinned, 1)
    past = [Entry(f"/news/{n}", f"2026-01-{n:02d}") for n in range(14, 4, -1)]
    assert not spider.turn_page([Entry("/news/pinned-new", "2026-03-01"), *past], 7)


def test_verify_lists_what_the_crawls_still_owe_until_a_run_fills_it(tmp_path):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        assert readouts("crawl", "site").returncode == 1
        failed_page = readouts("verify")
        site.set("/news/page/2", _listing(range(5, 0, -1), None))
        assert readouts("crawl", "site", "--max-pages", "1").returncode == 0
        stopped_walk = readouts("verify", "--json")
        in_datasette = readouts("serve", "--get", "/archive/failed_pages.json?_shape=array")
        assert readouts("crawl", "site").returncode == 0
        filled = readouts("verify", "--json")

    # What the crawls owe is listed after the archive's own checks; it is no archive fault.
    assert failed_page.returncode == 0, failed_page.stderr
    assert failed_page.stdout.splitlines()[1:] == [
        "Still to crawl:",
        f"- site: 1 page whose last fetch failed: {site.url('/news/page/2')} (HTTP 500, run 1);"
        " a crawl that reaches them fetches them again (known pages: --recheck)",
    ]
    gaps = json.loads(stopped_walk.stdout)["crawl_gaps"]
    assert [(gap["kind"], gap["run_id"], gap["outcome"]) for gap in gaps] == [
        ("walk", 2, "ok"),  # stopped at --max-pages: listing pages found and not fetched
        ("page", 1, "failed"),  # page 2 is not fetched again before the walk gets there
    ]
    assert gaps[0]["message"].startswith("stopped at --max-pages 1:")
    assert in_datasette.returncode == 0, in_datasette.stderr
    assert json.loads(in_datasette.stdout) == [
        {key: value for key, value in gaps[1].items() if key not in ("kind", "configured")}
    ]
    assert json.loads(filled.stdout) == {"ok": True, "findings": [], "crawl_gaps": []}


def _owed(readouts: Readouts) -> list[tuple]:
    result = readouts("verify", "--json")
    assert result.returncode == 0, result.stderr
    return [(gap["kind"], gap["run_id"]) for gap in json.loads(result.stdout)["crawl_gaps"]]


def test_a_failed_page_that_now_redirects_is_owed_no_more(tmp_path):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        site.set("/news/page/2", _listing(range(5, 0, -1), None))
        site.set("/news/7", Resource("down", status=500))
        assert readouts("crawl", "site").returncode == 1
        owed = _owed(readouts)
        site.set("/news/7", Resource("", status=301, headers={"Location": site.url("/news/77")}))
        site.set("/news/77", _item(7))
        assert readouts("crawl", "site").returncode == 0
        after = _owed(readouts)
    assert owed == [("page", 1)]
    assert after == []


def test_a_recheck_cut_short_stays_owed_until_a_recheck_ends_and_a_wider_backfill_covers_a_range(
    tmp_path,
):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        site.set("/news/page/2", _listing(range(5, 0, -1), None))
        assert readouts("crawl", "site").returncode == 0  # run 1
        assert readouts("crawl", "site", "--recheck", "--max-pages", "3").returncode == 0  # 2
        assert readouts("crawl", "site").returncode == 0  # 3: a monitor run re-checks nothing
        recheck_owed = _owed(readouts)
        assert readouts("crawl", "site", "--recheck").returncode == 0  # 4
        rechecked = _owed(readouts)
        since = ("--since", "2000-01-01", "--until", "2100-01-01")
        assert readouts("crawl", "site", *since, "--max-pages", "1").returncode == 0  # 5
        backfill_owed = _owed(readouts)
        assert readouts("crawl", "site", "--since", "1999-01-01").returncode == 0  # 6: wider
        covered = _owed(readouts)
    assert recheck_owed == [("recheck", 2)]
    assert rechecked == []
    assert backfill_owed == [("backfill", 5)]
    assert covered == []


def test_what_a_source_taken_out_of_the_sources_file_owes_is_marked_so(tmp_path):
    with SiteServer() as site:
        readouts = _site_with_a_failing_second_page(site, tmp_path)
        assert readouts("crawl", "site").returncode == 1
        readouts.sources_path.write_text(
            readouts.sources_path.read_text().replace("[sources.site]", "[sources.renamed]"),
            encoding="utf-8",
        )
        renamed = readouts("verify")
        gaps = json.loads(readouts("verify", "--json").stdout)["crawl_gaps"]
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stdout.splitlines()[2].startswith(
        "- site (not in the sources file): 1 page whose last fetch failed:"
    )
    assert [(gap["source"], gap["configured"]) for gap in gaps] == [("site", False)]
