"""President of Russia: en.kremlin.ru (English) and kremlin.ru (Russian), news and transcripts.

Selectors follow the markup documented in SITES.md (gathered from published scrapers and the
site's microformats: ``h-entry``, ``p-name``, ``dt-published``…). The English and Russian pages
of one event carry the same numeric id, so both get the translation key ``kremlin:<id>``.
Times on the site are Moscow time; ``published_at`` keeps them with their +03:00 offset.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from analysis.dates import iso_day
from crawler.spiders import markup
from crawler.spiders.base import ParseError
from crawler.spiders.listing import Entry, ListingSpider

SECTIONS = ("news", "transcripts")
ITEM_PATH = re.compile(r"/events/president/(?:news|transcripts)/(\d+)/?$")

# Listing page
ENTRY = "div.hentry.h-entry.hentry_event"
ENTRY_LINK = "h3.hentry__title a[rel=bookmark]::attr(href)"
ENTRY_DATE = "time.published::attr(datetime)"
# Item page
ARTICLE = "article.read__in"
TITLE = "h1.entry-title"
DATE = "time.read__published::attr(datetime)"
TIME_OF_DAY = "div.read__time"
PLACE = "div.read__place"
LEAD = "div.read__lead"
BODY = "div.entry-content.read__internal_content"
BOTTOM_META = ".read__bottommeta"  # tags and people: metadata, never body text
TAG_LINKS = ".read__bottommeta .read__tagscol a"
MATERIAL_LINK = "#material_link"


class KremlinSpider(ListingSpider):
    name = "kremlin"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = self.source.base_url.rstrip("/")
        host = urlsplit(self.base).hostname or ""
        self.language = self.source.language or ("en" if host.startswith("en.") else "ru")

    def listings(self):
        return SECTIONS

    def page_url(self, listing: str, page: int) -> str:
        path = f"/events/president/{listing}"
        return self.base + (path if page == 1 else f"{path}/page/{page}")

    def is_item_url(self, url: str) -> bool:
        """Readout pages only: an archive's or a WARC file's listing pages are not items."""
        return bool(ITEM_PATH.search(urlsplit(url).path))

    def entries(self, response: TextResponse) -> list[Entry]:
        found = []
        for entry in response.css(ENTRY):
            href = entry.css(ENTRY_LINK).get()
            if href:
                found.append(Entry(response.urljoin(href.strip()), entry.css(ENTRY_DATE).get()))
        return found

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        article = response.css(ARTICLE) or response
        title = markup.inline_text(article.css(TITLE)[:1] or None)
        body_element = markup.element_of(article.css(BODY)[:1] or None)
        if not title or body_element is None:
            raise ParseError(f"no {'title' if not title else 'body'} ({TITLE}, {BODY})")
        lead = markup.block_text(markup.element_of(article.css(LEAD)[:1] or None))
        body = markup.block_text(body_element, drop=BOTTOM_META)
        if not body and not lead:
            raise ParseError(f"no text in {BODY}")
        tags, people = [], []
        for link in article.css(TAG_LINKS):
            name = markup.inline_text(link)
            href = link.attrib.get("href", "")
            (people if "/catalog/persons/" in href else tags).append(name)
        item_id = ITEM_PATH.search(urlsplit(response.url).path)
        return {
            "title": title,
            "text": "\n".join(part for part in (lead, body) if part),
            "published_at": moscow_time(
                article.css(DATE).get(), markup.inline_text(article.css(TIME_OF_DAY)[:1] or None)
            ),
            "language": self.language,
            "translation_key": f"kremlin:{item_id.group(1)}" if item_id else None,
            "metadata": markup.compact(
                {
                    "place": markup.inline_text(article.css(PLACE)[:1] or None),
                    "lead": lead,
                    "tags": [tag for tag in tags if tag],
                    "people": [person for person in people if person],
                    "canonical_url": markup.inline_text(response.css(MATERIAL_LINK)[:1] or None),
                    "links": markup.links(body_element, response.url),
                }
            ),
        }


def moscow_time(day: str | None, time_of_day: str | None) -> str | None:
    """``2026-08-12`` and ``16:30`` → ``2026-08-12T16:30:00+03:00``; the date alone without a time."""
    if not day:
        return None
    published = iso_day(day)
    if published is None:
        return None
    clock = re.search(r"\b(\d{1,2}):(\d{2})\b", time_of_day or "")
    if not clock:
        return published.isoformat()
    moment = datetime.combine(
        published, time(int(clock.group(1)), int(clock.group(2))), tzinfo=markup.MOSCOW
    )
    return moment.isoformat()
