"""Access and politeness: identity, robots.txt, proxies, browser-like headers, Retry-After,
conditional requests. Real crawls through the CLI against sites on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from conftest import Readouts, query
from forward_proxy import ForwardProxy
from news_site import NewsSite

from readouts.demo.server import Resource, SiteServer

SETTINGS = '[settings]\ncontact = "archivist@example.org"\n'


def crawl(tmp_path, db_path, sources, *args, expect=0):
    result = Readouts(db_path, sources)("crawl", *args)
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def test_requests_name_the_project_and_the_contact(tmp_path, db_path, server):
    site = NewsSite(server, 2)
    crawl(tmp_path, db_path, site.sources(tmp_path / "s.toml", settings=SETTINGS), "news")
    for request in server.requests:
        agent = request.headers["User-Agent"]
        assert agent.startswith("readout-monitor/") and "archivist@example.org" in agent
        assert request.headers["From"] == "archivist@example.org"


def test_browser_headers_look_like_a_browser_and_still_say_who_asks(tmp_path, db_path, server):
    site = NewsSite(server, 2)
    sources = site.sources(
        tmp_path / "s.toml", settings=SETTINGS, browser_headers=True, language="ru"
    )
    crawl(tmp_path, db_path, sources, "news")
    item = server.requests_for("/news/1")[0].headers
    assert item["User-Agent"].startswith("Mozilla/5.0 ")
    assert "Firefox/" in item["User-Agent"] and "readout-monitor/" in item["User-Agent"]
    assert item["Accept"].startswith("text/html")
    assert item["Accept-Language"] == "ru,en;q=0.8"
    assert item["From"] == "archivist@example.org"


def test_robots_txt_is_obeyed_unless_the_source_opts_out(tmp_path, server):
    site = NewsSite(server, 2)
    server.set(
        "/robots.txt", Resource("User-agent: *\nDisallow: /news/2\n", content_type="text/plain")
    )
    obeying = tmp_path / "obey.db"
    result = crawl(tmp_path, obeying, site.sources(tmp_path / "a.toml"), "news", expect=1)
    assert server.requests_for("/news/2") == []
    assert query(obeying, "SELECT outcome FROM fetches WHERE url LIKE '%/news/2'") == [
        {"outcome": "robots"}
    ]
    assert "forbidden by robots.txt" in result.stderr
    sources = site.sources(tmp_path / "b.toml", obey_robots=False)
    result = crawl(tmp_path, tmp_path / "rude.db", sources, "news")
    assert len(server.requests_for("/news/2")) == 1
    assert "opts out of robots.txt" in result.stderr


def test_every_request_of_a_source_goes_through_its_proxy(tmp_path, db_path, server):
    site = NewsSite(server, 3)
    with ForwardProxy() as proxy:
        sources = site.sources(tmp_path / "s.toml", proxy=proxy.url)
        crawl(tmp_path, db_path, sources, "news")
    paths = [url.removeprefix(server.base_url) for url in proxy.forwarded]
    assert sorted(paths) == ["/news", "/news/1", "/news/2", "/news/3", "/robots.txt"]
    assert sorted(r.path for r in server.requests) == sorted(paths)
    assert query(db_path, "SELECT count(*) AS n FROM versions") == [{"n": 3}]


def test_retry_after_is_honoured_in_seconds_and_as_an_http_date(tmp_path, db_path, server):
    site = NewsSite(server, 3)
    page = {n: server.routes[f"/news/{n}"] for n in (1, 2)}
    site.sequence(
        "/news/1", Resource("slow down", status=429, headers={"Retry-After": "1"}), page[1]
    )
    answered = []

    def busy_once(request):
        if answered:
            return page[2]
        answered.append(request)
        # HTTP dates have whole seconds: two seconds from now is a wait of one to two seconds.
        soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
        return Resource("busy", status=503, headers={"Retry-After": soon})

    site.respond("/news/2", busy_once)
    crawl(tmp_path, db_path, site.sources(tmp_path / "s.toml", max_retry_after=60), "news")
    first, second = server.requests_for("/news/1")
    assert second.at - first.at >= 0.95  # waited as asked (Scrapy alone retries at once)
    first, second = server.requests_for("/news/2")
    assert second.at - first.at >= 0.9
    assert query(db_path, "SELECT count(*) AS n FROM versions") == [{"n": 3}]
    retried = query(db_path, "SELECT status FROM fetches WHERE outcome = 'retried' ORDER BY id")
    assert sorted(r["status"] for r in retried) == [429, 503]


def test_a_retry_after_beyond_the_cap_is_a_failed_fetch_and_nothing_is_removed(
    tmp_path, db_path, server
):
    site = NewsSite(server, 2)
    sources = site.sources(tmp_path / "s.toml", max_retry_after=5)
    crawl(tmp_path, db_path, sources, "news")
    server.set(
        "/news/1", Resource("come back tomorrow", status=429, headers={"Retry-After": "86400"})
    )
    result = crawl(tmp_path, db_path, sources, "news", "--recheck", expect=1)
    assert len(server.requests_for("/news/1")) == 2  # one crawl each: no retry
    failed = query(db_path, "SELECT status, error FROM fetches WHERE outcome = 'failed'")
    assert failed == [
        {
            "status": 429,
            "error": "HTTP 429, Retry-After 86400 s: longer than the 5 s this source waits"
            " (max_retry_after)",
        }
    ]
    assert "errors" in result.stdout
    assert query(db_path, "SELECT DISTINCT status FROM documents") == [{"status": "live"}]
    assert query(db_path, "SELECT count(*) AS n FROM status_events") == [{"n": 0}]


def test_recheck_sends_if_modified_since_and_counts_304_as_not_modified(tmp_path, db_path):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"
    with SiteServer() as server:
        site = NewsSite(server, 1)
        body = server.routes["/news/1"].body

        def last_modified_only(request):
            if request.headers.get("If-Modified-Since") == stamp:
                return Resource(b"", status=304, conditional=False)
            return Resource(body, headers={"Last-Modified": stamp}, conditional=False)

        site.respond("/news/1", last_modified_only)
        sources = site.sources(tmp_path / "s.toml")
        crawl(tmp_path, db_path, sources, "news")
        result = crawl(tmp_path, db_path, sources, "news", "--recheck")
        first, second = server.requests_for("/news/1")
    assert "If-Modified-Since" not in first.headers and "If-None-Match" not in second.headers
    assert second.headers["If-Modified-Since"] == stamp
    assert query(db_path, "SELECT outcome FROM fetches WHERE url LIKE '%/news/1' ORDER BY id") == [
        {"outcome": "new"},
        {"outcome": "not_modified"},
    ]
    assert "1 not modified" in result.stdout
