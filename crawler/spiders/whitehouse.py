"""The White House: the current site and the archived sites of 2021–2025, 2017–2021, 2009–2017.

Two spiders behind one ``spider = "whitehouse"``: the era is the source's ``variant``
(``current``, ``2021-2025``, ``2017-2021``, ``2009-2017``), or else follows from the host of
``base_url``, and ``spider_for`` picks the spider. The current site is WordPress:
``WhiteHouseSpider`` crawls it like any WordPress site (REST API, then feed, then the
``/briefings-statements/`` listing). ``WhiteHouseArchiveSpider`` walks an archive's HTML
listings, with each era's listings and selectors kept below; where item URLs carry the date (``/YYYY/MM/DD/``), a
backfill skips items outside its range without fetching them.

Selectors' origin: 2009–2017 from the saved pages in ``real-pages/whitehouse/`` (the title is the
``h1`` of ``.pane-node-title``: ``#press_article_heading`` holds only "The White House");
the others from the sites' markup as last published, not checked against saved pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from analysis.dates import day_in_format, iso_datetime
from crawler.spiders import markup
from crawler.spiders.base import ParseError
from crawler.spiders.listing import Entry, ListingSpider
from crawler.spiders.wordpress import WordPressSpider, _first


@dataclass(frozen=True)
class Era:
    listings: tuple[str, ...]
    page_query: str  # how page N of a listing is addressed: "page/{n}/" or "?page={n0}" (0-based)
    item_path: re.Pattern  # item URL paths; groups y, m, d when the URL carries the date
    title: tuple[str, ...]
    date: tuple[str, ...]  # selectors of an ISO date attribute, or of a "December 23, 2016" text
    body: tuple[str, ...]


ARCHIVES = {
    "2021-2025": Era(
        listings=("/briefing-room/statements-releases/", "/briefing-room/speeches-remarks/"),
        page_query="page/{n}/",
        item_path=re.compile(
            r"^/briefing-room/(?:statements-releases|speeches-remarks)/"
            r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/[^/]+/?$"
        ),
        title=("h1.page-title", "h1"),
        date=(
            "time.posted-on::attr(datetime)",
            "meta[property='article:published_time']::attr(content)",
        ),
        body=("section.body-content", "div.entry-content"),
    ),
    "2017-2021": Era(
        listings=("/briefings-statements/",),
        page_query="page/{n}/",
        item_path=re.compile(r"^/briefings-statements/(?!page/)[a-z0-9-]+/?$"),
        title=("h1.page-header__title", "h1"),
        date=("p.meta__date time::attr(datetime)", "article time::attr(datetime)"),
        body=("div.page-content__content", "div.editor", "div.entry-content"),
    ),
    "2009-2017": Era(
        listings=("/briefing-room/statements-and-releases", "/briefing-room/speeches-and-remarks"),
        page_query="?page={n0}",
        item_path=re.compile(r"^/the-press-office/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/[^/]+/?$"),
        title=(".pane-node-title h1", "h1"),
        date=("#press_article_date_created",),
        body=("div.field-name-field-forall-body",),
    ),
}
_HOSTS = {
    "bidenwhitehouse.archives.gov": "2021-2025",
    "trumpwhitehouse.archives.gov": "2017-2021",
    "obamawhitehouse.archives.gov": "2009-2017",
}


def era_of(source: Any) -> str:
    """The source's era: its ``variant``, else the one its ``base_url`` host belongs to."""
    host = urlsplit(source.base_url or "").hostname or ""
    return source.variant or _HOSTS.get(host, "current")


def spider_for(source: Any) -> type:
    """The current site and the archives are different sites: each has its own spider."""
    return WhiteHouseSpider if era_of(source) == "current" else WhiteHouseArchiveSpider


class WhiteHouseSpider(WordPressSpider):
    """whitehouse.gov as it is now: a WordPress site."""

    name = "whitehouse"
    listing_path = "/briefings-statements/"
    title_selectors = ("h1.wp-block-whitehouse-topper__headline", "h1.entry-title", "h1")
    body_selectors = ("div.entry-content", "main .wp-block-post-content")
    date_selectors = (
        "time::attr(datetime)",
        "meta[property='article:published_time']::attr(content)",
    )


class WhiteHouseArchiveSpider(ListingSpider):
    """One archived White House site, walked through its HTML listings (the sources file still
    says ``spider = "whitehouse"``: ``spider_for`` chooses this class by the source's era)."""

    name = "whitehouse-archive"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = self.source.base_url.rstrip("/")
        self.era_name = era_of(self.source)
        self.era = ARCHIVES[self.era_name]

    def listings(self):
        return self.era.listings

    def page_url(self, listing: str, page: int) -> str:
        query = "" if page == 1 else self.era.page_query.format(n=page, n0=page - 1)
        return self.base + listing + query

    def entries(self, response: TextResponse) -> list[Entry]:
        found: dict[str, Entry] = {}
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            match = self.era.item_path.match(self.site_path(url))
            if match and url not in found:
                found[url] = Entry(url, _url_date(match))
        return list(found.values())

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        title = markup.inline_text(_first(response, self.era.title))
        body_selector = _first(response, self.era.body)
        if not title or body_selector is None:
            raise ParseError(
                f"no {'title' if not title else 'body'} on a {self.era_name} White House page"
            )
        body = markup.element_of(body_selector)
        text = markup.block_text(body)
        match = self.era.item_path.match(self.site_path(response.url))
        return {
            "title": title,
            "text": text,
            "published_at": self._page_date(response) or (_url_date(match) if match else None),
            "language": "en",
            "metadata": markup.compact(
                {"era": self.era_name, "links": markup.links(body, response.url)}
            ),
        }

    def _page_date(self, response: TextResponse) -> str | None:
        for selector in self.era.date:
            found = response.css(selector)
            if not found:
                continue
            value = found[0].get() if "::attr(" in selector else markup.inline_text(found[0])
            parsed = iso_datetime(value) or day_in_format(value, "%B %d, %Y")
            if parsed:
                return parsed
        return None


def _url_date(match: re.Match) -> str | None:
    if "y" not in match.re.groupindex:
        return None
    return f"{match['y']}-{match['m']}-{match['d']}"
