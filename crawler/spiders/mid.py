"""Ministry of Foreign Affairs of Russia, mid.ru: news, in Russian (``/ru/``) or English (``/en/``).

The language is the source's ``language`` (default ``ru``). Listing ``/<lang>/foreign_policy/news/``
paged with ``?PAGEN_1=N`` (Bitrix); items ``/<lang>/foreign_policy/news/<id>/``; body in
``div.text.article-content`` or ``div.announce__text``; dates ``DD.MM.YYYY`` (SITES.md). The listing's
entry markup is not documented, so entries are found by their URL and dated by the nearest
``DD.MM.YYYY`` around the link. The English and Russian pages of one item have different ids:
they are not linked as translations.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import TextResponse

from analysis.dates import day_in_format
from crawler.spiders import markup
from crawler.spiders.base import ParseError
from crawler.spiders.listing import Entry, ListingSpider

DATE = re.compile(r"\b(\d{2})\.(\d{2})\.(\d{4})\b")
TITLE = ("h1.title", "h1")
BODY = ("div.text.article-content", "div.announce__text")
DATE_PLACES = (".date", ".announce__date", "time", ".article-header", ".text-sm")


class MidSpider(ListingSpider):
    name = "mid"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = self.source.base_url.rstrip("/")
        self.language = self.source.language or "ru"
        self.item_path = re.compile(rf"^/{self.language}/foreign_policy/news/(\d+)/?$")

    def listings(self):
        return (f"/{self.language}/foreign_policy/news/",)

    def page_url(self, listing: str, page: int) -> str:
        return self.base + listing + ("" if page == 1 else f"?PAGEN_1={page}")

    def entries(self, response: TextResponse) -> list[Entry]:
        found: dict[str, Entry] = {}
        for link in response.css("a[href]"):
            url = response.urljoin(link.attrib["href"].strip()).split("#", 1)[0]
            if url in found or not self.item_path.match(self.site_path(url)):
                continue
            # The date shown with the entry: in the link's nearest ancestor that has one.
            nearby = link.xpath("ancestor-or-self::*[position() <= 4]")[::-1]
            day = next(
                (d for node in nearby if (d := _date(" ".join(node.css("::text").getall())))), None
            )
            found[url] = Entry(url, day)
        return list(found.values())

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        title = next(
            (t for s in TITLE if (t := markup.inline_text(response.css(s)[:1] or None))), ""
        )
        body_selector = next((found[0] for s in BODY if (found := response.css(s))), None)
        if not title or body_selector is None:
            raise ParseError(f"no {'title' if not title else 'body'} ({', '.join(BODY)})")
        body = markup.element_of(body_selector)
        text = markup.block_text(body)
        day = next(
            (
                d
                for s in DATE_PLACES
                for node in response.css(s)
                if (d := _date(markup.inline_text(node)))
            ),
            None,
        )
        return {
            "title": title,
            "text": text,
            "published_at": day,
            "language": self.language,
            "metadata": markup.compact({"links": markup.links(body, response.url)}),
        }


def _date(text: str) -> str | None:
    """The first DD.MM.YYYY in a text, as an ISO date."""
    match = DATE.search(text or "")
    return day_in_format(match[0], "%d.%m.%Y") if match else None
