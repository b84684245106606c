"""What every readout-monitor spider shares: modes, re-checks, outcomes, loud failures.

A site spider supplies two things: ``discover()`` (requests for listing pages or feeds, whose
callbacks yield ``self.item_request(url)`` for item pages) and ``parse_item(response)`` (a dict
with at least ``title`` and ``text``). Everything else — conditional re-checks of known items,
404/410 handling, access walls, retries, parse errors, date ranges, Wayback captures — happens
here, identically for all sites.

Modes: ``monitor`` (listings until known items, plus re-checks of recent items), ``recheck``
(every known item too), ``backfill`` (listings over a date range, known items skipped, so a
killed backfill started again carries on) and ``archive`` (captures of the source's item URLs
from a Wayback CDX endpoint, each parsed by ``parse_item`` and dated by its capture time).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from analysis.dates import iso_day
from crawler import items, parsing, wayback
from crawler.effective_status import (
    access_wall,
    not_found_page,
    redirect_removal,
    same_page,
    wall_redirect,
)
from crawler.encoding import BadEncoding, decode_page
from crawler.middlewares import describe_exception
from crawler.noise import without_dropped
from storage.pages import page_hash
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
REPLACEMENT_CHARACTER = "\ufffd"


class ParseError(Exception):
    """A page the spider expected to parse yielded no title or no text."""


class ItemGone(Exception):
    """A 200 answer that says the item no longer exists (an API's empty result for it)."""


@dataclass
class Extracted:
    """What parsing one item page gave (picklable: it may come back from a worker process)."""

    outcome: str  # items.PAGE, items.PARSE_ERROR, items.GONE or items.FAILED (an access wall)
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # what failed, or what says the page is gone ("not found" title)
    bug: str | None = None  # the traceback of a spider that failed, for the crawl's log


class ReadoutSpider(scrapy.Spider):
    """Base class; subclasses set ``name`` and implement ``discover`` and ``parse_item``."""

    def __init__(
        self,
        source: Any,
        mode: str = "monitor",
        since: date | None = None,
        until: date | None = None,
        known: dict[str, dict[str, Any]] | None = None,
        catch_up: bool = False,
        wayback_url: str = wayback.DEFAULT_URL,
        **kwargs: Any,
    ):
        super().__init__(name=kwargs.pop("name", None), **kwargs)
        self.source = source
        self.mode = mode
        self.since = since
        self.until = until
        self.known = known or {}
        # The last monitor walk was cut short (killed, or fetches failed): what it missed lies
        # below items it stored, so this one pages on past known items, up to ``monitor_pages``.
        self.catch_up = catch_up
        self.wayback_url = wayback_url
        self.queued: set[str] = set()
        self.listing_urls: set[str] = set(getattr(source, "start_urls", None) or [])

    # -- what subclasses provide -------------------------------------------------------------

    def discover(self) -> Iterable[scrapy.Request]:
        """Requests for listing pages or feeds that lead to item pages."""
        raise NotImplementedError

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        """Fields of one item page: ``title``, ``text``, optionally ``published_at``,
        ``language``, ``metadata``, ``withdrawn`` (the publisher's withdrawal notice). Raise
        ``ParseError`` when the page is not what was expected."""
        raise NotImplementedError

    def fetch_url(self, url: str) -> str:
        """Where to fetch the document at ``url`` (a site with an API overrides this)."""
        return url

    def archive_prefixes(self) -> list[str]:
        """URL prefixes whose Wayback captures may be item pages (default: the whole host)."""
        return [wayback.host_prefix(self.site_url)]

    def is_item_url(self, url: str) -> bool:
        """Whether a URL found in the archive is an item page of this source."""
        return True

    # -- start --------------------------------------------------------------------------------

    async def start(self):
        if self.mode == "archive":
            for request in self.archive_requests():
                yield request
            return
        for request in self.recheck_requests():
            yield request
        for request in self.discover():
            yield request

    def recheck_requests(self) -> Iterator[scrapy.Request]:
        """Known items due for a re-check: all of them with ``--recheck``, else the recent ones."""
        if self.mode == "backfill":
            return
        horizon = (datetime.now(timezone.utc) - timedelta(days=self.source.recheck_days)).date()
        for url, doc in self.known.items():
            day = iso_day(doc.get("published_at") or doc.get("first_seen"))
            if self.mode == "recheck" or day is None or day >= horizon:
                yield self.item_request(url, recheck=True)

    # -- helpers for subclasses ---------------------------------------------------------------

    @property
    def document_kind(self) -> str:
        return self.source.kind

    @property
    def site_url(self) -> str:
        return self.source.base_url or self.source.start_urls[0]

    def wants(self, url: str) -> bool:
        """Whether an item link found on a listing should be fetched in this run."""
        return url not in self.known and url not in self.queued

    def item_request(self, url: str, *, recheck: bool = False, **meta: Any) -> scrapy.Request:
        """A request for the document at ``url``, fetched from ``self.fetch_url(url)`` (an API
        endpoint serving the same item, for sites that have one)."""
        self.queued.add(url)
        headers = {}
        known = self.known.get(url)
        if recheck and known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            self.fetch_url(url),
            callback=self._on_item,
            errback=self._on_failure,
            headers=headers,
            meta=self._meta(document_url=url, role="item", **meta),
            # The spider tracks what it queued itself. Scrapy's duplicate filter would silently
            # drop a redirect to an address already fetched (two items redirecting to one page,
            # a redirect loop), leaving no outcome for the item in the fetch log.
            dont_filter=True,
        )

    def listing_request(self, url: str, callback, **meta: Any) -> scrapy.Request:
        self.listing_urls.add(url)
        return scrapy.Request(
            url,
            callback=self._on_listing,
            errback=self._on_failure,
            meta=self._meta(
                document_url=url, role="listing", listing_callback=callback.__name__, **meta
            ),
        )

    def is_listing_url(self, url: str) -> bool:
        """Whether a URL is one of the source's listing pages (a redirect there is a removal)."""
        return any(same_page(url, listing) for listing in self.listing_urls)

    def in_range(self, published_at: str | None) -> bool:
        """Whether a date (ISO, possibly with time) falls in the backfill range; unknown → True."""
        if not published_at or (self.since is None and self.until is None):
            return True
        day = iso_day(published_at)
        if day is None:
            return True
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def note_date(self, published_at: str | None) -> None:
        """Record progress of a backfill: the oldest date reached so far."""
        if published_at:
            reached = self.crawler.stats.get_value("readouts/date_reached")
            if reached is None or published_at[:10] < reached:
                self.crawler.stats.set_value("readouts/date_reached", published_at[:10])

    # -- the Wayback Machine -------------------------------------------------------------------

    def archive_requests(self) -> Iterator[scrapy.Request]:
        for prefix in self.archive_prefixes():
            yield self._cdx_request(prefix)

    def _cdx_request(self, prefix: str, resume_key: str | None = None) -> scrapy.Request:
        url = wayback.cdx_url(self.wayback_url, prefix, self.since, self.until, resume_key)
        return scrapy.Request(
            url,
            callback=self._on_listing,
            errback=self._on_failure,
            meta=self._meta(
                document_url=url, role="listing", listing_callback="_on_cdx", cdx_prefix=prefix
            ),
        )

    def _on_cdx(self, response: TextResponse):
        try:
            captures, resume_key = wayback.parse_cdx(response.text)
        except wayback.CdxError as error:
            yield self._result(
                response, items.PARSE_ERROR, kind="listing", body=True, error=str(error)
            )
            return
        for capture in captures:
            url = wayback.same_site_url(capture.original, self.site_url)
            if not self.is_item_url(url):
                continue
            yield scrapy.Request(
                wayback.capture_url(self.wayback_url, capture),
                callback=self._on_item,
                errback=self._on_failure,
                meta=self._meta(
                    document_url=url,
                    role="item",
                    origin="archive",
                    seen_at=capture.seen_at,
                ),
            )
        if resume_key:
            yield self._cdx_request(response.meta["cdx_prefix"], resume_key)

    # -- callbacks ----------------------------------------------------------------------------

    def _meta(self, **meta: Any) -> dict[str, Any]:
        meta["handle_httpstatus_all"] = True
        return meta

    def _on_listing(self, response: Response):
        if response.status != 200:
            yield self._result(
                response,
                items.FAILED,
                kind="listing",
                error=f"HTTP {response.status} on a listing page",
            )
            return
        callback = getattr(self, response.meta["listing_callback"])
        yield from callback(response)

    async def _on_item(self, response: Response):
        status = response.status
        if response.meta.get("origin") == "archive" and not 200 <= status < 300:
            # The archive failing to replay a capture says nothing about the page itself.
            yield self._result(response, items.FAILED, error=f"HTTP {status} from the archive")
        elif status == 304:
            yield self._result(response, items.NOT_MODIFIED)
        elif status in GONE_STATUSES:
            yield self._result(response, items.GONE)
        elif status in REDIRECT_STATUSES and response.headers.get(b"Location"):
            yield self._redirected(response)
        elif 200 <= status < 300:
            unchanged = self._same_page(response)
            if unchanged:
                yield self._result(response, items.SAME_PAGE, page_hash=unchanged)
            else:
                yield await self._parsed(response)
        else:
            error = response.meta.get("gave_up") or f"HTTP {status}"
            yield self._result(response, items.FAILED, error=error)

    def _redirected(self, response: Response) -> items.FetchResult | scrapy.Request:
        """Follow an item's redirect, unless it leads to a captcha (a failure), to the home page or
        to a listing (gone).

        Item requests handle every status themselves (``handle_httpstatus_all``), so Scrapy's
        redirect middleware leaves their redirects to this method.
        """
        target = response.urljoin(_header(response.headers, b"Location")).split("#", 1)[0]
        redirects = [*response.meta.get("redirect_urls", []), response.url]
        if len(redirects) > MAX_REDIRECTS:
            return self._result(response, items.FAILED, error="too many redirects")
        wall = wall_redirect(target)
        if wall:
            return self._result(response, items.FAILED, error=wall)
        reason = redirect_removal(target, self.is_listing_url)
        if reason:
            return self._result(response, items.GONE, http_status=404, error=reason)
        meta = {
            key: response.meta[key]
            for key in ("document_url", "role", "fetch_id", "fetch_status")
            if key in response.meta
        }
        return scrapy.Request(
            target,
            callback=self._on_item,
            errback=self._on_failure,
            meta=self._meta(redirect_urls=redirects, **meta),
            dont_filter=True,
        )

    def _same_page(self, response: Response) -> str | None:
        """The hash of the body when it is the very page the document was last parsed from
        (parsing it again could only give the same fields); else None."""
        known = self.known.get(response.meta.get("document_url", response.url))
        if not known or not known.get("page_hash") or response.meta.get("origin") == "archive":
            return None
        digest = page_hash(response.body)
        return digest if digest == known["page_hash"] else None

    async def _parsed(self, response: Response) -> items.FetchResult:
        if not isinstance(response, TextResponse):
            return self._result(
                response,
                items.PARSE_ERROR,
                body=True,
                error=f"not a text page ({_content_type(response) or 'no type'})",
            )
        extracted = await parsing.extract(self, response)
        if extracted.bug:  # a parser bug must be as loud as a changed page
            logger.error("%s spider failed on %s\n%s", self.name, response.url, extracted.bug)
        if extracted.outcome == items.FAILED:  # an access wall: the document is not shown now
            return self._result(response, items.FAILED, error=extracted.error)
        if extracted.outcome == items.GONE and extracted.error:  # a "not found" page
            return self._result(response, items.GONE, http_status=404, error=extracted.error)
        if extracted.outcome == items.GONE:
            return self._result(response, items.GONE)
        if extracted.outcome == items.PARSE_ERROR:
            return self._result(response, items.PARSE_ERROR, body=True, error=extracted.error)
        fields = extracted.fields
        if response.meta.get("redirect_urls"):  # the document moved: say where it lives now
            fields["metadata"] = {**(fields.get("metadata") or {}), "redirected_to": response.url}
        self.note_date(fields.get("published_at"))
        # A backfill's range is of publication dates; an archive run's, of capture dates.
        archived = response.meta.get("origin") == "archive"
        in_range = archived or self.in_range(fields.get("published_at"))
        outcome = items.PAGE if in_range else items.OUT_OF_RANGE
        return self._result(response, outcome, body=True, **fields)

    def extract(self, response: TextResponse) -> Extracted:
        """Parse an item page (in this process or a worker's, see ``crawler.parsing``): its
        fields, or why there are none. Access walls (a transient failure) and "not found"
        pages are told here too: the crawl process itself never builds a page's HTML tree."""
        wall = access_wall(response)
        if wall:
            return Extracted(items.FAILED, error=wall)
        reason = not_found_page(response)
        if reason:
            return Extracted(items.GONE, error=reason)
        try:
            fields = self.parse_item(
                without_dropped(_decoded(response), self.source.drop_selectors)
            )
            missing = [name for name in ("title", "text") if not (fields.get(name) or "").strip()]
            if missing:
                raise ParseError(f"no {' and no '.join(missing)} found")
            if any(REPLACEMENT_CHARACTER in (fields.get(name) or "") for name in ("title", "text")):
                raise ParseError(
                    "U+FFFD replacement characters in the text: its encoding is broken"
                )
        except (ParseError, BadEncoding) as error:
            return Extracted(items.PARSE_ERROR, error=f"{self.name} spider: {error}")
        except ItemGone:
            return Extracted(items.GONE)
        except Exception as error:
            return Extracted(
                items.PARSE_ERROR,
                error=f"{self.name} spider: {describe_exception(error)}",
                bug=traceback.format_exc(),
            )
        return Extracted(items.PAGE, fields)

    def _on_failure(self, failure: Failure):
        request = failure.request
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            outcome, error = items.ROBOTS, "forbidden by robots.txt"
        else:
            outcome, error = items.FAILED, describe_exception(failure.value)
        yield items.FetchResult(
            source=self.source.name,
            url=request.meta.get("document_url", request.url),
            kind="listing" if request.meta.get("role") == "listing" else self.document_kind,
            outcome=outcome,
            fetch_id=request.meta.get("fetch_id"),
            error=error,
        )

    def _result(
        self,
        response: Response,
        outcome: str,
        *,
        kind: str | None = None,
        body: bool = False,
        http_status: int | None = None,
        **fields: Any,
    ) -> items.FetchResult:
        headers = response.headers
        return items.FetchResult(
            source=self.source.name,
            url=response.meta.get("document_url", response.url),
            kind=kind or self.document_kind,
            outcome=outcome,
            fetch_id=response.meta.get("fetch_id"),
            http_status=http_status or response.status,
            body=response.body if body else None,
            content_type=_content_type(response),
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            origin=response.meta.get("origin", "crawl"),
            seen_at=response.meta.get("seen_at") or utc_now(),
            **fields,
        )


def _decoded(response: TextResponse) -> TextResponse:
    """The response with its body re-encoded as UTF-8 from the encoding it is really in."""
    if not response.body:
        return response
    text, _ = decode_page(response.body, _content_type(response))
    return response.replace(body=text.encode("utf-8"), encoding="utf-8")


def _content_type(response: Response) -> str | None:
    return _header(response.headers, b"Content-Type")


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
