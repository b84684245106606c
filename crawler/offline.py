"""Parsing pages without fetching them: a stored or archived response through a spider's own code.

``readouts import`` (captures in WARC/WACZ files) and ``readouts reprocess`` (raw pages already
in the archive) both need what a live fetch would have produced from a page they already hold.
Rather than a second copy of the parsing rules, a Scrapy response is built from the page (URL,
status, headers, body, the response class Scrapy's downloader would pick) and handed to the
spider's item callback, so encoding repair, ``drop_selectors``, "not found" pages, parse errors
and the site's ``parse_item`` all apply exactly as in a crawl. No reactor, no network: the
spider is created on a crawler that is never started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler import items, wayback
from crawler.spiders import spider_class

# The downloader decodes these before a spider sees the body; a page held offline is decoded.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class HeldPage:
    """A response already at hand: ``url`` is the document it belongs to, ``redirected_to``
    the address that served it when the document's URL redirected there, ``fetched_from``
    the address the spider reads the document from (an API's) when not its URL."""

    url: str
    body: bytes
    headers: list[tuple[str, str]]
    status: int = 200
    origin: str = "archive"
    seen_at: str | None = None
    redirected_to: str | None = None
    fetched_from: str | None = None


class OfflineParser:
    """One source's spider, ready to parse held pages; create once per source and reuse."""

    def __init__(self, source: Any):
        self.source = source
        cls = spider_class(source)
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        crawler = Crawler(cls, settings)
        # Spiders record progress in the crawler's stats; nothing else of the crawler is used.
        crawler.stats = MemoryStatsCollector(crawler)
        self.spider = cls.from_crawler(crawler, source=source, mode="archive")

    def is_item_url(self, url: str) -> bool:
        return self.spider.is_item_url(url)

    def parse(self, page: HeldPage) -> items.FetchResult:
        """What the spider makes of the page: ``PAGE`` with title and text, or ``GONE`` /
        ``PARSE_ERROR`` / ``FAILED`` with the reason, as for a live fetch."""
        fetched_url = page.redirected_to or page.fetched_from or page.url
        meta: dict[str, Any] = {
            "document_url": page.url,
            "role": "item",
            "origin": page.origin,
            "seen_at": page.seen_at,
            "handle_httpstatus_all": True,
        }
        if page.redirected_to:
            meta["redirect_urls"] = [page.url]
        headers = Headers(
            [(name, value) for name, value in page.headers if name.lower() not in _TRANSFER_HEADERS]
        )
        cls = responsetypes.from_args(headers=headers, url=fetched_url, body=page.body)
        response = cls(
            url=fetched_url,
            status=page.status,
            headers=headers,
            body=page.body,
            request=scrapy.Request(fetched_url, meta=meta),
        )
        results = _drain(self.spider._on_item(response))
        return _only_result(results, page.url, self.source.name, self.spider.document_kind)


def _drain(results: AsyncIterator[Any]) -> list[Any]:
    """Everything the item callback yields. It is asynchronous (a live crawl may hand the parse
    to a worker process); offline, with no worker pool, it parses in this process."""

    async def collect() -> list[Any]:
        return [result async for result in results]

    return asyncio.run(collect())


def _only_result(results: Iterable[Any], url: str, source: str, kind: str) -> items.FetchResult:
    """The callback's fetch result; a request it asks for (a redirect) cannot be followed offline."""
    for result in results:
        if isinstance(result, items.FetchResult):
            return result
    return items.FetchResult(
        source=source,
        url=url,
        kind=kind,
        outcome=items.FAILED,
        error="the page asks for another fetch (a redirect), which is not made offline",
    )


def source_for_url(url: str, parsers: dict[str, OfflineParser]) -> tuple[str, str] | None:
    """The source whose site ``url`` is on and whose spider takes it for an item page, with the
    URL in the form that source uses (its scheme, no default port); None when none does.

    Sources sharing a host (``/en`` and ``/ru`` of one site) are told apart by the longest of
    their ``base_url``/``start_urls`` paths that the URL's path starts with."""
    best: tuple[int, str, str] | None = None
    for name, parser in parsers.items():
        sites = [parser.source.base_url, *(parser.source.start_urls or [])]
        for site in filter(None, sites):
            local = wayback.same_site_url(url, site)
            if local == url and not _same_host(url, site):
                continue
            prefix = urlsplit(site).path.rstrip("/")
            path = urlsplit(local).path
            if not (path == prefix or path.startswith(prefix + "/")):
                prefix = ""
            if (best is None or len(prefix) > best[0]) and parser.is_item_url(local):
                best = (len(prefix), name, local)
    return (best[1], best[2]) if best else None


def _same_host(url: str, site: str) -> bool:
    return wayback.host_prefix(url).lower() == wayback.host_prefix(site).lower()
