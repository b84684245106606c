"""Downloader middlewares: the fetch log, per-source proxies, and Retry-After.

``FetchLogMiddleware`` sits next to the downloader (priority 950), so it sees each attempt,
including those the retry and redirect middlewares repeat; the pipeline later records what came
of the last one.
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import datetime, timezone

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import task

import storage
from crawler.pipelines import ARCHIVE_ERROR, stop_crawl

logger = logging.getLogger(__name__)


class FetchLogMiddleware:
    def __init__(self, crawler: Crawler):
        self.db = storage.open_database(crawler.settings["READOUTS_DB"], upgrade=False)
        self.run_id = crawler.settings.getint("READOUTS_RUN_ID")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self, spider: Spider) -> None:
        self.db.close()

    def process_response(self, request: Request, response: Response) -> Response:
        self._log(request, status=response.status, size=len(response.body))
        request.meta["fetch_status"] = response.status
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._log(request, status=None, error=describe_exception(exception))
        request.meta["fetch_status"] = None

    def _log(self, request: Request, **fetch) -> None:
        """Log the attempt; a refused write stops the crawl (the pipeline counts the item)."""
        if self.crawler.stats.get_value(ARCHIVE_ERROR) is not None:
            request.meta.pop("fetch_id", None)
            return
        try:
            self._close_previous_attempt(request)
            request.meta["fetch_id"] = storage.log_fetch(self.db, self.run_id, request.url, **fetch)
        except storage.ArchiveError as error:
            request.meta.pop("fetch_id", None)
            stop_crawl(self.crawler, error, request.url)

    def _close_previous_attempt(self, request: Request) -> None:
        # Retries and redirects copy the request's meta: a fetch_id there is the previous attempt.
        previous = request.meta.get("fetch_id")
        if previous:
            status = request.meta.get("fetch_status") or 0
            outcome = "redirected" if 300 <= status < 400 else "retried"
            storage.update_fetch(self.db, previous, outcome=outcome)


# Scrapy reports these failures without a message a user could act on.
_EXPLANATIONS = {
    "ResponseDataLossError": "the connection closed before the whole body arrived"
    " (a truncated body, or a garbled chunked one)",
    "DownloadCancelledError": "download cancelled: the body grew past the size limit"
    " (DOWNLOAD_MAXSIZE), or the crawl was stopping",
    "max redirections reached": "too many redirects (a redirect loop?)",
}


def describe_exception(exception: BaseException) -> str:
    message = str(exception).strip()
    name = type(exception).__name__
    message = _EXPLANATIONS.get(message or name, message)
    return f"{name}: {message}" if message else name


class SourceProxyMiddleware:
    """Send every request of a source through its ``proxy``, robots.txt included.

    Setting the proxy in each spider request would miss the requests Scrapy makes itself
    (robots.txt), which would then reach the site from our own address.
    """

    def __init__(self, proxy: str | None):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceProxyMiddleware:
        return cls(crawler.settings.get("READOUTS_PROXY"))

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class RetryAfterMiddleware:
    """Honour ``Retry-After`` on 429 and 503, which Scrapy's RetryMiddleware ignores.

    The site asked us to come back later: the request is retried after the wait it gave
    (seconds or an HTTP date), and every other request to that host waits too. A wait longer
    than ``READOUTS_MAX_RETRY_AFTER`` seconds, or a site still refusing after ``RETRY_TIMES``
    waits, makes the request a failed fetch: never a removal. Without the header, Scrapy's
    own retries apply.
    """

    STATUSES = (429, 503)

    def __init__(self, max_wait: float, max_times: int):
        self.max_wait = max_wait
        self.max_times = max_times
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        return cls(settings.getfloat("READOUTS_MAX_RETRY_AFTER"), settings.getint("RETRY_TIMES"))

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until.get(urlparse_cached(request).netloc, 0) - time.monotonic()
        if wait > 0:
            from twisted.internet import reactor  # the one crawler.run installed

            await deferred_to_future(task.deferLater(reactor, wait, lambda: None))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.STATUSES:
            return response
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        times = request.meta.get("retry_after_times", 0)
        give_up = None
        if wait > self.max_wait:
            give_up = (
                f"HTTP {response.status}, Retry-After {wait:.0f} s: longer than the"
                f" {self.max_wait:g} s this source waits (max_retry_after)"
            )
        elif times >= self.max_times:
            give_up = f"HTTP {response.status} again after waiting as asked {times} time(s)"
        if give_up:
            request.meta["dont_retry"] = True
            request.meta["gave_up"] = give_up
            return response
        host = urlparse_cached(request).netloc
        until = time.monotonic() + wait
        self.paused_until[host] = max(self.paused_until.get(host, 0), until)
        logger.info(
            "%s answered %s with Retry-After %.0f s: pausing the host", host, response.status, wait
        )
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry


def parse_retry_after(value: bytes | None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())
