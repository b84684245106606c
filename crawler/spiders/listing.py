"""Spiders that walk numbered HTML listing pages, newest first (Kremlin, MFA, White House archives).

The walk is the same everywhere: take the entries of a page (item URL, and the date the
listing shows when it shows one); fetch the new ones; then decide whether to turn the page.

- Monitor: turn pages until one holds an item already archived, at most ``monitor_pages``
  (all ``monitor_pages`` when the last monitor walk was cut short: ``catch_up``).
- Backfill: entries the listing dates outside ``--since/--until`` are skipped without being
  fetched; paging stops once most of a page's dated entries are before ``since``. Items already archived are
  not fetched again, so a backfill started again carries on where the last one stopped.

A page is turned only when it links to the next one, so the walk ends with the listing.
A first page without a single entry means the markup changed: a loud parse error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import scrapy
from scrapy.http import TextResponse

from crawler import items
from crawler.spiders.base import ReadoutSpider


@dataclass(frozen=True)
class Entry:
    url: str
    published_at: str | None = None  # ISO date (and time) the listing shows, if any
    title: str | None = None  # the title the listing shows, if any


class ListingSpider(ReadoutSpider):
    """Subclasses implement ``listings``, ``page_url``, ``entries`` and ``parse_item``."""

    def listings(self) -> Iterable[str]:
        """The listing sections to walk (a key ``page_url`` understands)."""
        raise NotImplementedError

    def page_url(self, listing: str, page: int) -> str:
        """Absolute URL of page ``page`` (1 = newest) of a listing."""
        raise NotImplementedError

    def entries(self, response: TextResponse) -> list[Entry]:
        """The items a listing page shows, newest first."""
        raise NotImplementedError

    def site_path(self, url: str) -> str:
        """The path of ``url`` below ``base_url`` (which may itself have a path, as in tests)."""
        path = urlsplit(url).path
        prefix = urlsplit(self.source.base_url).path.rstrip("/")
        return path[len(prefix) :] if prefix and path.startswith(prefix + "/") else path

    def discover(self) -> Iterator[scrapy.Request]:
        for listing in self.listings():
            yield self.listing_request(
                self.page_url(listing, 1), self.parse_listing, listing=listing, page=1
            )

    def parse_listing(self, response: TextResponse):
        listing, page = response.meta["listing"], response.meta["page"]
        entries = self.entries(response)
        if not entries:
            if page == 1:
                yield self._result(
                    response,
                    items.PARSE_ERROR,
                    kind="listing",
                    body=True,
                    error=f"{self.name} spider: no items found on the listing page",
                )
            return
        yield from self.take(entries)
        next_url = self.page_url(listing, page + 1)
        if self.turn_page(entries, page) and _links_to(response, next_url):
            yield self.listing_request(next_url, self.parse_listing, listing=listing, page=page + 1)

    def take(self, entries: list[Entry]) -> Iterator[scrapy.Request]:
        """Requests for the entries this run wants: new, in the date range, of a wanted kind."""
        for entry in entries:
            self.note_date(entry.published_at)
            if entry.title is not None and not self.wants_title(entry.title):
                continue
            if self.in_range(entry.published_at) and self.wants(entry.url):
                yield self.item_request(entry.url)

    def wants_title(self, title: str) -> bool:
        """Whether an entry is of a kind this source archives (all, unless a spider narrows it)."""
        return True

    def turn_page(self, entries: list[Entry], page: int) -> bool:
        """Whether the listing page after this one is worth fetching."""
        if self.mode == "backfill":
            # Past ``since`` once most of the page is: one pinned or bumped older entry on top
            # of the newest ones does not end the walk.
            dates = sorted(entry.published_at[:10] for entry in entries if entry.published_at)
            return not (self.since and dates and dates[len(dates) // 2] < self.since.isoformat())
        reached_known = any(entry.url in self.known for entry in entries)
        return (self.catch_up or not reached_known) and page < self.source.monitor_pages


def _links_to(response: TextResponse, url: str) -> bool:
    return any(
        response.urljoin(href.strip()) == url for href in response.css("a::attr(href)").getall()
    )
