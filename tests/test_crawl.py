"""End-to-end crawls of the fixture site through Scrapy, checked in the SQLite archive."""

from __future__ import annotations

from conftest import Readouts, query
from news_site import NewsSite

from readouts.demo import content
from readouts.demo.server import Resource
from storage.runs import ERROR_OUTCOMES

ALL = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]
CHROME = [
    "Latest news",
    "Views:",
    "Page generated",
    "minutes ago",
    "adsbygoogle",
    "@media",
    "cheap watches",
    "Share:",
    "Home |",
]


def crawl(readouts, *args, expect=0):
    result = readouts("crawl", *ALL, *args)
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def versions(db_path):
    return query(
        db_path,
        "SELECT d.url, v.version, v.title, v.text FROM versions v "
        "JOIN documents d ON d.id = v.document_id ORDER BY v.id",
    )


def flags(db_path, kind=None):
    rows = query(db_path, "SELECT * FROM flags ORDER BY id")
    return [row for row in rows if kind is None or row["kind"] == kind]


def test_first_crawl_stores_every_item_page_once(readouts, db_path, server):
    result = crawl(readouts)
    stored = versions(db_path)
    assert sorted(row["url"] for row in stored) == sorted(
        server.url(p)
        for p in [
            content.KREMLIN_CALL_PATH,
            content.SECOND_READOUT_PATH,
            content.WHITEHOUSE_CALL_PATH,
            content.COMMENTARY_PATH,
            content.AGENCY_REPORT_PATH,
        ]
    )
    # the commentary article quotes the Kremlin readout: one new_citation; the Kremlin's and
    # the White House's readouts of the 21 Nov 2017 call are counterparts
    assert [f["kind"] for f in flags(db_path)] == ["new_readout"] * 3 + [
        "new_citation",
        "counterpart_found",
    ]
    assert "5 new flags" in result.stdout
    runs = query(db_path, "SELECT * FROM runs ORDER BY id")
    assert [(r["source"], r["mode"], r["outcome"]) for r in runs] == [
        (name, "monitor", "ok") for name in ALL
    ]


def test_stored_text_has_no_page_chrome_ads_or_css(readouts, db_path):
    crawl(readouts)
    for row in versions(db_path):
        for chrome in CHROME:
            assert chrome not in row["text"], (row["url"], chrome)
    kremlin = next(r for r in versions(db_path) if r["url"].endswith(content.KREMLIN_CALL_PATH))
    assert kremlin["title"] == content.KREMLIN_CALL["title"]
    assert "Astana format" in kremlin["text"]
    assert "businesslike and substantive" in kremlin["text"]


def test_publication_date_comes_from_page_metadata(readouts, db_path, server):
    crawl(readouts)
    row = query(
        db_path,
        "SELECT published_at FROM documents WHERE url = ?",
        [server.url(content.KREMLIN_CALL_PATH)],
    )[0]
    assert row["published_at"] == "2017-11-21T20:30:00+03:00"


def test_second_crawl_of_unchanged_site_adds_no_version_and_no_flag(readouts, db_path):
    crawl(readouts)
    before = (len(versions(db_path)), len(flags(db_path)))
    result = crawl(readouts, "--recheck")
    assert (len(versions(db_path)), len(flags(db_path))) == before
    assert "0 new flags" in result.stdout
    outcomes = query(
        db_path,
        "SELECT outcome, count(*) AS n FROM fetches WHERE run_id > 3 "
        "AND outcome IS NOT NULL GROUP BY outcome",
    )
    assert {r["outcome"]: r["n"] for r in outcomes} == {"unchanged": 5}


def test_cosmetic_and_chrome_changes_add_no_version(readouts, db_path, demo_site, server):
    crawl(readouts)
    cosmetic = dict(content.WHITEHOUSE_CALL)
    cosmetic["paragraphs"] = [
        p.replace(" the ", " the\u00a0").replace("’", "'").replace(" and ", "  and\n ")
        for p in cosmetic["paragraphs"]
    ]
    demo_site.replace(content.WHITEHOUSE_CALL_PATH, cosmetic)
    crawl(readouts, "--recheck")
    urls = [r["url"] for r in versions(db_path)]
    assert urls.count(server.url(content.WHITEHOUSE_CALL_PATH)) == 1
    assert flags(db_path, "edited_readout") == []


def test_real_edit_adds_one_version_one_flag_and_a_readable_diff(
    readouts, db_path, demo_site, server
):
    crawl(readouts)
    demo_site.replace(content.KREMLIN_CALL_PATH, content.KREMLIN_CALL_EDITED)
    crawl(readouts, "--recheck")
    crawl(readouts, "--recheck")
    url = server.url(content.KREMLIN_CALL_PATH)
    assert [r["version"] for r in versions(db_path) if r["url"] == url] == [1, 2]
    edited = flags(db_path, "edited_readout")
    assert len(edited) == 1
    assert "text edited" in edited[0]["summary"]
    diff = readouts("diff", url)
    assert diff.returncode == 0, diff.stderr
    assert "[-substantive-]{+constructive+}" in diff.stdout
    assert (
        "[- It was noted in this context that the statement received a positive response in the Middle East.-]"
        in diff.stdout.replace("\u00a0", " ")
    )


def test_new_item_is_found_by_a_monitor_run(readouts, db_path, demo_site, server):
    from readouts.demo.site import Page

    crawl(readouts)
    demo_site.add(Page(content.LATER_READOUT_PATH, "kremlin", content.LATER_READOUT))
    result = crawl(readouts)
    new = flags(db_path, "new_readout")
    assert new[-1]["summary"] == f"New readout: {content.LATER_READOUT['title']}"
    assert "1 new flag\n" in result.stdout


def test_removal_is_flagged_after_two_404s_and_restoration_when_it_returns(
    readouts, db_path, demo_site, server
):
    crawl(readouts)
    url = server.url(content.SECOND_READOUT_PATH)
    demo_site.remove(content.SECOND_READOUT_PATH)
    crawl(readouts, "--recheck")
    status = query(db_path, "SELECT status FROM documents WHERE url = ?", [url])[0]["status"]
    assert status == "live"
    assert flags(db_path, "removed_readout") == []
    crawl(readouts, "--recheck")
    assert (
        query(db_path, "SELECT status FROM documents WHERE url = ?", [url])[0]["status"]
        == "removed"
    )
    assert len(flags(db_path, "removed_readout")) == 1
    crawl(readouts, "--recheck")
    assert len(flags(db_path, "removed_readout")) == 1, "raised once only"
    from readouts.demo.site import Page

    demo_site.add(Page(content.SECOND_READOUT_PATH, "kremlin", content.SECOND_READOUT))
    crawl(readouts, "--recheck")
    assert (
        query(db_path, "SELECT status FROM documents WHERE url = ?", [url])[0]["status"] == "live"
    )
    assert len(flags(db_path, "restored_readout")) == 1
    assert flags(db_path, "edited_readout") == []


def test_server_errors_never_change_status_and_make_exit_status_1(readouts, db_path, server):
    crawl(readouts)
    for _ in range(2):
        server.set(content.KREMLIN_CALL_PATH, Resource("<h1>Service unavailable</h1>", status=503))
        server.set(content.WHITEHOUSE_CALL_PATH, Resource("slow down", status=429))
        result = crawl(readouts, "--recheck", expect=1)
    assert "errors" in result.stdout
    assert query(db_path, "SELECT DISTINCT status FROM documents") == [{"status": "live"}]
    assert [f["kind"] for f in flags(db_path)] == ["new_readout"] * 3 + [
        "new_citation",
        "counterpart_found",
    ]
    failed = query(db_path, "SELECT url, status, error FROM fetches WHERE outcome = 'failed'")
    assert {(r["status"], r["error"]) for r in failed} == {(503, "HTTP 503"), (429, "HTTP 429")}
    retried = query(db_path, "SELECT count(*) AS n FROM fetches WHERE outcome = 'retried'")
    assert retried[0]["n"] > 0


def test_page_without_text_is_a_parse_error_never_an_empty_version(readouts, db_path, server):
    crawl(readouts)
    server.set(
        content.KREMLIN_CALL_PATH,
        "<html><head><title>Oops</title></head><body><div id='app'></div></body></html>",
    )
    result = crawl(readouts, "--recheck", expect=1)
    errors = query(db_path, "SELECT error FROM fetches WHERE outcome = 'parse_error'")
    assert len(errors) == 1 and "no text" in errors[0]["error"]
    assert "parse error" in result.stderr
    url = server.url(content.KREMLIN_CALL_PATH)
    assert [r["version"] for r in versions(db_path) if r["url"] == url] == [1]


def test_recheck_sends_conditional_requests_and_counts_304_as_unchanged(readouts, db_path, server):
    static = (
        "<html lang='en'><head><title>Static readout</title></head><body><article>"
        "<h1>Static readout</h1><p>"
        + "The leaders spoke about trade and energy. " * 8
        + "</p></article></body></html>"
    )
    path = "/events/president/news/99999"
    server.set(path, static)
    server.set("/events/president/news", f'<html><body><a href="{path}">Static</a></body></html>')
    readouts("crawl", "demo-kremlin")
    result = readouts("crawl", "demo-kremlin", "--recheck")
    assert result.returncode == 0, result.stderr
    second = server.requests_for(path)[-1]
    assert second.headers.get("If-None-Match")
    assert query(
        db_path,
        "SELECT outcome FROM fetches WHERE url = ? ORDER BY id DESC LIMIT 1",
        [server.url(path)],
    ) == [{"outcome": "not_modified"}]
    assert "1 not modified" in result.stdout


def test_max_pages_asks_for_exactly_that_many_pages_with_more_requests_in_flight(
    tmp_path, db_path, server
):
    """Eight requests at a time to a 40-item site, three pages asked for: three fetched (plus
    robots.txt), in a monitor run and in a re-check; the rest are neither made nor failures."""
    news = Readouts(db_path, NewsSite(server, 40).sources(tmp_path / "news.toml", concurrency=8))
    for mode in ([], ["--recheck"]):
        asked_before = len(server.requests)
        result = news("crawl", "news", *mode, "--max-pages", "3")
        assert result.returncode == 0, result.stdout + result.stderr
        asked = [r.path for r in server.requests[asked_before:] if r.path != "/robots.txt"]
        assert len(asked) == 3, asked
        run = query(db_path, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
        assert run["outcome"] == "ok"
        assert run["message"].startswith("stopped at --max-pages 3: ")
        assert run["message"] in result.stdout
        fetches = query(db_path, "SELECT url, outcome FROM fetches WHERE run_id = ?", [run["id"]])
        pages = [f for f in fetches if not f["url"].endswith("/robots.txt")]
        assert sorted(f["url"] for f in pages) == sorted(server.url(path) for path in asked)
        assert not [f for f in pages if f["outcome"] in ERROR_OUTCOMES], pages


def test_every_fetch_is_in_the_fetch_log(readouts, db_path, server):
    crawl(readouts)
    logged = {r["url"] for r in query(db_path, "SELECT url FROM fetches")}
    requested = {server.url(r.path) for r in server.requests}
    assert requested == logged
