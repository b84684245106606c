"""``--max-pages N``: a crawl asks for at most N pages of its source, then ends as usual.

Scrapy's ``CLOSESPIDER_PAGECOUNT`` closes the spider once N responses have arrived and lets
every request already queued or in flight finish: asked for 3 pages, a crawl fetched 13. This
spider middleware counts the page requests as the spider makes them and holds back the ones
past the limit before they reach the scheduler: they are never sent, so never logged as
fetches, and the crawl ends once the pages it did ask for are done.

A page is a listing or item page (an API page, a Wayback capture), counted once: its retries
and the redirects it leads to are part of it. robots.txt, which Scrapy fetches on its own, is
not a page of the source.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

HELD_BACK = "readouts/pages_held_back"  # stats key: page requests past the limit, not made


class PageLimit(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler, limit: int):
        super().__init__(crawler)
        self.limit = limit
        self.asked = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageLimit:
        limit = crawler.settings.getint("READOUTS_MAX_PAGES")
        if not limit:
            raise NotConfigured
        return cls(crawler, limit)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if request.meta.get("redirect_urls"):  # the spider following a page's redirect
            return request
        if self.asked < self.limit:
            self.asked += 1
            return request
        self.crawler.stats.inc_value(HELD_BACK)
        return None
