"""The generic spider: any site, configured entirely from the sources file.

It follows listing pages whose absolute URL matches ``follow_pattern``, fetches item pages
matching ``item_pattern`` and extracts title, date and main text with trafilatura.
In monitor mode it stops paging once a listing page holds nothing new (or after
``monitor_pages`` listing pages; all of them when the last monitor walk was cut short); a
backfill pages on until the listings end.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import TextResponse

from analysis.urls import without_tracking
from crawler.extraction import extract_article
from crawler.spiders.base import ReadoutSpider


class GenericSpider(ReadoutSpider):
    name = "generic"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.item_pattern = re.compile(self.source.item_pattern)
        self.follow_pattern = re.compile(self.source.follow_pattern or r"(?!)")
        self.listings_seen: set[str] = set()

    def discover(self):
        for url in self.source.start_urls:
            yield self.listing_request(url, self.parse_listing, listing_depth=1)

    def is_listing_url(self, url: str) -> bool:
        if self.item_pattern.search(url):
            return False
        return super().is_listing_url(url) or bool(self.follow_pattern.search(url))

    def parse_listing(self, response: TextResponse):
        found_new = False
        listings = []
        for url in self._links(response):
            if self.item_pattern.search(url):
                if self.wants(url):
                    found_new = True
                    yield self.item_request(url)
            elif self.follow_pattern.search(url) and url not in self.listings_seen:
                listings.append(url)
        depth = response.meta.get("listing_depth", 1)
        settled = not found_new and not self.catch_up
        if self.mode != "backfill" and (settled or depth >= self.source.monitor_pages):
            return
        for url in listings:
            self.listings_seen.add(url)
            yield self.listing_request(url, self.parse_listing, listing_depth=depth + 1)

    def is_item_url(self, url: str) -> bool:
        return bool(self.item_pattern.search(url))

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        extracted = extract_article(
            response.text, response.url, content_selector=self.source.content_selector
        )
        return {
            "title": extracted.title,
            "text": extracted.text,
            "published_at": extracted.published_at,
            "language": extracted.language or self.source.language,
        }

    @staticmethod
    def _links(response: TextResponse) -> list[str]:
        links = []
        for href in response.css("a::attr(href)").getall():
            url = without_tracking(response.urljoin(href.strip()).split("#", 1)[0])
            if url.startswith(("http://", "https://")) and url not in links:
                links.append(url)
        return links
