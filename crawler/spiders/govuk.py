"""GOV.UK: the Prime Minister's Office readouts ("PM call with …", "PM meeting with …").

Discovery goes through the Search API (``/api/search.json``), newest first, filtered to the
organisation and then to titles matching ``title_pattern``; each item is then read from the
Content API (``/api/content/<base_path>``), which gives the text as HTML plus what the page does
not show plainly: ``first_published_at``, ``public_updated_at`` and the publisher's own
``change_history``. Documents are stored under their public URL (``base_url`` + base_path).

The Search API answers 422 to any parameter it does not know, so only documented ones are sent.
A ``withdrawn_notice`` makes the document ``removed`` at once, with the notice as explanation.
Wayback captures are of the HTML page, not the API: ``parse_item`` reads both.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import TextResponse

from analysis.dates import iso_datetime
from crawler import items
from crawler.extraction import clean_line, fragment_text
from crawler.spiders.base import ParseError, ReadoutSpider

ORGANISATION = "prime-ministers-office-10-downing-street"
TITLE_PATTERN = r"^PM (call|meeting) with\b"
SEARCH_PAGE_SIZE = 100
SEARCH_FIELDS = ("title", "link", "public_timestamp")
NEWS_PREFIX = "/government/news/pm-"  # where the PM's readouts live, for the archive
ARCHIVE_ITEM = re.compile(r"/government/news/pm-(call|meeting)-with-")


class GovukSpider(ReadoutSpider):
    name = "govuk"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = self.source.base_url.rstrip("/")
        self.organisation = self.source.organisation or ORGANISATION
        self.title_pattern = re.compile(self.source.title_pattern or TITLE_PATTERN)

    # -- discovery: the Search API --------------------------------------------------------------

    def discover(self):
        yield self._search_request(start=0, depth=1)

    def _search_request(self, start: int, depth: int):
        params = [
            ("filter_organisations", self.organisation),
            ("order", "-public_timestamp"),
            ("count", str(SEARCH_PAGE_SIZE)),
            ("start", str(start)),
        ]
        params += [("fields", name) for name in SEARCH_FIELDS]
        if self.since or self.until:
            bounds = []
            if self.since:
                bounds.append(f"from:{self.since.isoformat()}")
            if self.until:
                bounds.append(f"to:{self.until.isoformat()}")
            params.append(("filter_public_timestamp", ",".join(bounds)))
        url = f"{self.base}/api/search.json?{urlencode(params)}"
        return self.listing_request(url, self.parse_search, start=start, listing_depth=depth)

    def parse_search(self, response: TextResponse):
        try:
            data = json.loads(response.text)
            results = data["results"]
        except (ValueError, KeyError, TypeError) as error:
            yield self._result(
                response,
                items.PARSE_ERROR,
                kind="listing",
                body=True,
                error=f"govuk spider: not a Search API answer ({error})",
            )
            return
        reached_known = False
        for result in results:
            link, title = result.get("link") or "", result.get("title") or ""
            if not link.startswith("/") or not self.title_pattern.search(title):
                continue
            url = self.base + link
            self.note_date(result.get("public_timestamp"))
            if url in self.known:
                reached_known = True
            elif self.wants(url):
                yield self.item_request(url)
        start = response.meta["start"] + len(results)
        depth = response.meta["listing_depth"]
        if not results or start >= data.get("total", 0):
            return
        settled = reached_known and not self.catch_up
        if self.mode != "backfill" and (settled or depth >= self.source.monitor_pages):
            return
        yield self._search_request(start, depth + 1)

    # -- items: the Content API (or an archived HTML page) ------------------------------------

    def fetch_url(self, url: str) -> str:
        return f"{self.base}/api/content{urlsplit(url).path}"

    def archive_prefixes(self) -> list[str]:
        return [urlsplit(self.base).netloc + NEWS_PREFIX]

    def is_item_url(self, url: str) -> bool:
        # With the default title pattern, the slug says it: /government/news/pm-call-with-…
        return bool(self.source.title_pattern or ARCHIVE_ITEM.search(url))

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        if response.text.lstrip().startswith("{"):
            return self._parse_content_item(response)
        return self._parse_page(response)

    def _parse_content_item(self, response: TextResponse) -> dict[str, Any]:
        try:
            data = json.loads(response.text)
        except ValueError as error:
            raise ParseError(f"not a Content API answer: {error}") from None
        details = data.get("details") or {}
        links = data.get("links") or {}
        metadata = {
            "content_id": data.get("content_id"),
            "document_type": data.get("document_type"),
            "description": data.get("description"),
            "public_updated_at": data.get("public_updated_at"),
            "change_history": details.get("change_history") or [],
            "people": _linked(links, "people"),
            "organisations": _linked(links, "organisations"),
            "world_locations": _linked(links, "world_locations"),
        }
        return {
            "title": clean_line(data.get("title")),
            "text": fragment_text(_body_html(details.get("body"))),
            "published_at": iso_datetime(data.get("first_published_at")),
            "language": data.get("locale") or self.source.language,
            "metadata": {key: value for key, value in metadata.items() if value},
            "withdrawn": _withdrawal_note(data.get("withdrawn_notice")),
        }

    def _parse_page(self, response: TextResponse) -> dict[str, Any]:
        """The public HTML page, as the Wayback Machine captured it (GOV.UK's publishing
        components: ``govuk:`` meta tags, the title heading, the ``govspeak`` body)."""
        title = response.css("h1.gem-c-title__text::text, main h1::text").get()
        body = response.css("div.govspeak").get()
        published = response.css('meta[name="govuk:first-published-at"]::attr(content)').get()
        updated = response.css('meta[name="govuk:public-updated-at"]::attr(content)').get()
        return {
            "title": clean_line(title),
            "text": fragment_text(body),
            "published_at": iso_datetime(published),
            "language": response.css("html::attr(lang)").get() or self.source.language,
            "metadata": {"public_updated_at": updated} if updated else {},
        }


def _body_html(body: Any) -> str | None:
    """``details.body`` is HTML, or in some schemas a list of ``{content_type, content}``."""
    if isinstance(body, list):
        for part in body:
            if isinstance(part, dict) and part.get("content_type") == "text/html":
                return part.get("content")
        return None
    return body if isinstance(body, str) else None


def _linked(links: dict[str, Any], name: str) -> list[dict[str, str]]:
    return [
        {"title": link.get("title"), "base_path": link.get("base_path")}
        for link in links.get(name) or []
        if isinstance(link, dict)
    ]


def _withdrawal_note(notice: Any) -> str | None:
    """The publisher's explanation of a withdrawal, with its date; None when not withdrawn."""
    if not isinstance(notice, dict) or not (
        notice.get("explanation") or notice.get("withdrawn_at")
    ):
        return None
    explanation = fragment_text(notice.get("explanation")).replace("\n", " ") or "no explanation"
    when = notice.get("withdrawn_at")
    return f"{explanation} (withdrawn {when})" if when else explanation
