"""What every readout-monitor spider shares: modes, re-checks, outcomes, loud failures.

A site spider supplies two things: ``discover()`` (requests for listing pages or feeds, whose
callbacks yield ``self.item_request(url)`` for item pages) and ``parse_item(response)`` (a dict
with at least ``title`` and ``text``). Everything else — conditional re-checks of known items,
404/410 handling, retries, parse errors, date ranges — happens here, identically for all sites.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler import items
from crawler.encoding import BadEncoding, decode_page
from crawler.middlewares import describe_exception
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Every status reaches the callbacks (which sort 304, 404/410 and errors) except redirects:
# ``handle_httpstatus_all`` would also stop RedirectMiddleware from following them.
HANDLED_STATUSES = [status for status in range(100, 600) if status not in REDIRECT_STATUSES]
REPLACEMENT_CHARACTER = "\ufffd"


class ParseError(Exception):
    """A page the spider expected to parse yielded no title or no text."""


class ReadoutSpider(scrapy.Spider):
    """Base class; subclasses set ``name`` and implement ``discover`` and ``parse_item``."""

    def __init__(
        self,
        source: Any,
        mode: str = "monitor",
        since: date | None = None,
        until: date | None = None,
        known: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=kwargs.pop("name", None), **kwargs)
        self.source = source
        self.mode = mode
        self.since = since
        self.until = until
        self.known = known or {}
        self.queued: set[str] = set()

    # -- what subclasses provide -------------------------------------------------------------

    def discover(self) -> Iterable[scrapy.Request]:
        """Requests for listing pages or feeds that lead to item pages."""
        raise NotImplementedError

    def parse_item(self, response: TextResponse) -> dict[str, Any]:
        """Fields of one item page: ``title``, ``text``, optionally ``published_at``,
        ``language``, ``metadata``. Raise ``ParseError`` when the page is not what was expected."""
        raise NotImplementedError

    # -- start --------------------------------------------------------------------------------

    async def start(self):
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
            if self.mode == "recheck" or _is_recent(
                doc.get("published_at") or doc.get("first_seen"), horizon
            ):
                yield self.item_request(url, recheck=True)

    # -- helpers for subclasses ---------------------------------------------------------------

    @property
    def document_kind(self) -> str:
        return self.source.kind

    def wants(self, url: str) -> bool:
        """Whether an item link found on a listing should be fetched in this run."""
        return url not in self.known and url not in self.queued

    def item_request(self, url: str, *, recheck: bool = False, **meta: Any) -> scrapy.Request:
        self.queued.add(url)
        headers = {}
        known = self.known.get(url)
        if recheck and known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            url,
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
        return scrapy.Request(
            url,
            callback=self._on_listing,
            errback=self._on_failure,
            meta=self._meta(
                document_url=url, role="listing", listing_callback=callback.__name__, **meta
            ),
        )

    def in_range(self, published_at: str | None) -> bool:
        """Whether a date (ISO, possibly with time) falls in the backfill range; unknown → True."""
        if not published_at or (self.since is None and self.until is None):
            return True
        day = date.fromisoformat(published_at[:10])
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def note_date(self, published_at: str | None) -> None:
        """Record progress of a backfill: the oldest date reached so far."""
        if published_at:
            reached = self.crawler.stats.get_value("readouts/date_reached")
            if reached is None or published_at[:10] < reached:
                self.crawler.stats.set_value("readouts/date_reached", published_at[:10])

    # -- callbacks ----------------------------------------------------------------------------

    def _meta(self, **meta: Any) -> dict[str, Any]:
        meta["handle_httpstatus_list"] = HANDLED_STATUSES
        if self.source.proxy:
            meta["proxy"] = self.source.proxy
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

    def _on_item(self, response: Response):
        status = response.status
        if status == 304:
            yield self._result(response, items.NOT_MODIFIED)
        elif status in GONE_STATUSES:
            yield self._result(response, items.GONE)
        elif 200 <= status < 300:
            yield self._parsed(response)
        else:
            yield self._result(response, items.FAILED, error=f"HTTP {status}")

    def _parsed(self, response: Response) -> items.FetchResult:
        if not isinstance(response, TextResponse):
            return self._result(
                response,
                items.PARSE_ERROR,
                body=True,
                error=f"not a text page ({_content_type(response) or 'no type'})",
            )
        try:
            fields = self.parse_item(_decoded(response))
            missing = [name for name in ("title", "text") if not (fields.get(name) or "").strip()]
            if missing:
                raise ParseError(f"no {' and no '.join(missing)} found")
            if any(REPLACEMENT_CHARACTER in (fields.get(name) or "") for name in ("title", "text")):
                raise ParseError(
                    "U+FFFD replacement characters in the text: its encoding is broken"
                )
        except (ParseError, BadEncoding) as error:
            return self._result(
                response, items.PARSE_ERROR, body=True, error=f"{self.name} spider: {error}"
            )
        self.note_date(fields.get("published_at"))
        outcome = items.PAGE if self.in_range(fields.get("published_at")) else items.OUT_OF_RANGE
        return self._result(response, outcome, body=True, **fields)

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
        **fields: Any,
    ) -> items.FetchResult:
        headers = response.headers
        return items.FetchResult(
            source=self.source.name,
            url=response.meta.get("document_url", response.url),
            kind=kind or self.document_kind,
            outcome=outcome,
            fetch_id=response.meta.get("fetch_id"),
            http_status=response.status,
            body=response.body if body else None,
            content_type=_content_type(response),
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            seen_at=utc_now(),
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


def _is_recent(published_at: str | None, horizon: date) -> bool:
    if not published_at:
        return True
    try:
        return date.fromisoformat(published_at[:10]) >= horizon
    except ValueError:
        return True
