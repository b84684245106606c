"""WordPress sites: commentary blogs (theduran.com and its like), and the base of the official
WordPress sites (State Department, the current White House).

Discovery prefers the REST API (``/wp-json/wp/v2/posts``: links, dates, titles, ``after``/``before``
for backfills), then the RSS feed (``/feed/``), then HTML listings (``/page/N/``).
When the API answers, every item — new ones and re-checks — is fetched from it
(``posts?slug=<slug>``: ``title.rendered``, ``date_gmt``, ``content.rendered``), so all versions of a
document come from one representation; an empty answer for a slug means the post is gone.
Without the API, items are the HTML pages, read with the theme selectors below.
Dates are stored in UTC (``date_gmt``), whichever representation they came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import feedparser
import scrapy
from scrapy.http import JsonResponse, Response, TextResponse
from twisted.python.failure import Failure

from analysis.dates import utc_iso
from crawler import items
from crawler.extraction import clean_line
from crawler.spiders import markup
from crawler.spiders.base import ItemGone, ParseError
from crawler.spiders.listing import Entry, ListingSpider

API_FIELDS = "id,slug,link,date_gmt,modified_gmt,title,content,categories,tags"
LISTING_FIELDS = "id,slug,link,date_gmt,title"


class WordPressSpider(ListingSpider):
    name = "wordpress"

    api_collection = "posts"  # /wp-json/wp/v2/<collection>
    per_page = 20
    listing_path = "/"  # HTML listing; older pages at <listing_path>page/N/
    # HTML selectors, tried in order: theduran.com's theme first, then common WordPress markup.
    title_selectors = ("h1.entry-title", "h1.post-title", "article h1")
    date_selectors = (
        "span.entry-byline > time.entry-date::attr(datetime)",
        "time.entry-date::attr(datetime)",
        "meta[property='article:published_time']::attr(content)",
    )
    author_selectors = ("span.entry-author a", "a[rel=author]")
    body_selectors = ("div[itemprop=articleBody]", "div.entry-content")
    listing_link_selectors = (
        "h2.entry-title a::attr(href)",
        "h1.entry-title a::attr(href)",
        "article a[rel=bookmark]::attr(href)",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = self.source.base_url.rstrip("/")
        self.api = f"{self.base}/wp-json/wp/v2/{self.api_collection}"
        self.access: str | None = None  # "api" or "html", known after the first discovery step

    # -- discovery: API, then feed, then HTML listings ------------------------------------------

    def discover(self) -> Iterator[scrapy.Request]:
        yield self._probe(self.api_page_url(1), self.parse_api_page, page=1)

    def recheck_requests(self) -> Iterator[scrapy.Request]:
        return iter(())  # sent by _access_known, once the first API answer says how to fetch items

    def _access_known(self, access: str) -> Iterator[scrapy.Request]:
        self.access = access
        yield from super().recheck_requests()

    def api_page_url(self, page: int) -> str:
        query = {"per_page": self.per_page, "page": page, "_fields": LISTING_FIELDS}
        if self.since:
            query["after"] = f"{self.since.isoformat()}T00:00:00"
        if self.until:
            query["before"] = f"{self.until.isoformat()}T23:59:59"
        return f"{self.api}?{urlencode(query)}"

    def parse_api_page(self, response: Response):
        page = response.meta["page"]
        posts = _json_list(response)
        if posts is None:
            if page == 1:  # no usable API: feed, then HTML
                yield from self._access_known("html")
                yield self._probe(f"{self.base}/feed/", self.parse_feed, page=1)
            else:
                yield self._result(
                    response, items.PARSE_ERROR, kind="listing", body=True, error="not a JSON list"
                )
            return
        if page == 1:
            yield from self._access_known("api")
        entries = [
            _api_entry(post) for post in posts if isinstance(post, dict) and post.get("link")
        ]
        yield from self.take(entries)
        total_pages = int(response.headers.get(b"X-WP-TotalPages", b"0") or 0)
        more = len(posts) >= self.per_page and (not total_pages or page < total_pages)
        if entries and more and self.turn_page(entries, page):
            yield self.listing_request(
                self.api_page_url(page + 1), self.parse_api_page, page=page + 1
            )

    def parse_feed(self, response: Response):
        entries = _feed_entries(response) if response.status == 200 else []
        if not entries:  # no feed either: HTML listings, whose failures are loud
            yield from super().discover()
            return
        yield from self.take(entries)
        page = response.meta["page"]
        if self.mode == "backfill" and self.turn_page(entries, page):
            url = f"{self.base}/feed/?paged={page + 1}"
            yield self._probe(url, self.parse_feed_page, page=page + 1)

    def parse_feed_page(self, response: Response):
        """Older feed pages in a backfill: the feed simply ends (404 or no items)."""
        if response.status == 200 and _feed_entries(response):
            yield from self.parse_feed(response)

    def _probe(self, url: str, callback, **meta: Any) -> scrapy.Request:
        """A discovery request whose failure means "try the next way", not an error."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self._probe_failed,
            meta=self._meta(document_url=url, role="listing", probe=callback.__name__, **meta),
        )

    def _probe_failed(self, failure: Failure):
        request = failure.request
        if request.meta["probe"] == "parse_api_page":
            yield from self._access_known("html")
            yield self._probe(f"{self.base}/feed/", self.parse_feed, page=1)
        elif request.meta["page"] == 1:
            yield from super().discover()

    # -- HTML listings (the last resort) ---------------------------------------------------------

    def listings(self):
        return (self.listing_path,)

    def page_url(self, listing: str, page: int) -> str:
        return self.base + (listing if page == 1 else f"{listing}page/{page}/")

    def entries(self, response: TextResponse) -> list[Entry]:
        for selector in self.listing_link_selectors:
            hrefs = response.css(selector).getall()
            if hrefs:
                return [Entry(response.urljoin(href.strip())) for href in dict.fromkeys(hrefs)]
        return []

    # -- items --------------------------------------------------------------------------------

    def fetch_url(self, url: str) -> str:
        """Through the API when it answered: every version of a post then comes from one place."""
        if self.access == "api":
            return self.api_item_url(url) or url
        return url

    def api_item_url(self, url: str) -> str | None:
        slug = urlsplit(url).path.rstrip("/").rpartition("/")[2]
        if not slug:
            return None
        return f"{self.api}?{urlencode({'slug': slug, '_fields': API_FIELDS}, quote_via=quote)}"

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        if isinstance(response, JsonResponse):
            return self.parse_api_item(response)
        return self.parse_html_item(response)

    def parse_api_item(self, response: JsonResponse) -> dict[str, Any]:
        posts = _json_list(response)
        if posts is None:
            raise ParseError("the API answer is not a list of posts")
        if not posts:
            raise ItemGone(response.url)
        post = posts[0]
        body = markup.fragment(_rendered(post.get("content")))
        text = markup.block_text(body)
        return {
            "title": _plain(_rendered(post.get("title"))),
            "text": text,
            "published_at": utc_iso(post.get("date_gmt")),
            "language": self.source.language,
            "metadata": markup.compact(
                {
                    "wordpress_id": post.get("id"),
                    "modified_at": utc_iso(post.get("modified_gmt")),
                    "categories": post.get("categories"),
                    "tags": post.get("tags"),
                    "links": markup.links(body, response.meta.get("document_url", response.url)),
                }
            ),
        }

    def parse_html_item(self, response: TextResponse) -> dict[str, Any]:
        title = markup.inline_text(_first(response, self.title_selectors))
        body_selector = _first(response, self.body_selectors)
        if not title or body_selector is None:
            raise ParseError(
                "no title" if not title else f"no body ({', '.join(self.body_selectors)})"
            )
        body = markup.element_of(body_selector)
        text = markup.block_text(body)
        date = next((value for s in self.date_selectors if (value := response.css(s).get())), None)
        return {
            "title": title,
            "text": text,
            "published_at": utc_iso(date),
            "language": self.source.language,
            "metadata": markup.compact(
                {
                    "author": markup.inline_text(_first(response, self.author_selectors)),
                    "links": markup.links(body, response.url),
                }
            ),
        }


def _first(response: TextResponse, selectors: tuple[str, ...]):
    for selector in selectors:
        found = response.css(selector)
        if found:
            return found[0]
    return None


def _json_list(response: Response) -> list | None:
    if response.status != 200 or not isinstance(response, TextResponse):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def _rendered(field: Any) -> str:
    return field.get("rendered", "") if isinstance(field, dict) else str(field or "")


def _plain(html: str) -> str:
    return clean_line(markup.fragment(html).text_content()) or ""


def _api_entry(post: dict) -> Entry:
    return Entry(
        post["link"],
        utc_iso(post.get("date_gmt")),
        _plain(_rendered(post.get("title"))),
    )


def _feed_entries(response: Response) -> list[Entry]:
    """The items of an RSS or Atom feed, through feedparser; none when the body is no feed."""
    if not isinstance(response, TextResponse):
        return []
    entries = []
    for entry in feedparser.parse(response.body).entries:
        link = (entry.get("link") or "").strip()
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*stamp[:6], tzinfo=timezone.utc).isoformat() if stamp else None
        entries.append(Entry(link, utc_iso(published), clean_line(entry.get("title") or "")))
    return entries
