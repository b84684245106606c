"""Downloader middleware that writes every HTTP request to the fetch log.

It sits next to the downloader (priority 950), so it sees each attempt, including those the
retry and redirect middlewares repeat; the pipeline later records what came of the last one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

import storage

# A server asking for a longer pause than this is not retried in this run: the page stays
# failed until the next run, instead of holding the crawl.
MAX_RETRY_AFTER = 60.0


class FetchLogMiddleware:
    def __init__(self, db_path: str, run_id: int | None):
        self.db = storage.open_database(db_path, upgrade=False)
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        middleware = cls(
            crawler.settings["READOUTS_DB"], crawler.settings.getint("READOUTS_RUN_ID")
        )
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self, spider: Spider) -> None:
        self.db.close()

    def process_response(self, request: Request, response: Response) -> Response:
        self._close_previous_attempt(request)
        request.meta["fetch_id"] = storage.log_fetch(
            self.db, self.run_id, request.url, status=response.status, size=len(response.body)
        )
        request.meta["fetch_status"] = response.status
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._close_previous_attempt(request)
        request.meta["fetch_id"] = storage.log_fetch(
            self.db, self.run_id, request.url, status=None, error=describe_exception(exception)
        )
        request.meta["fetch_status"] = None

    def _close_previous_attempt(self, request: Request) -> None:
        # Retries and redirects copy the request's meta: a fetch_id there is the previous attempt.
        previous = request.meta.get("fetch_id")
        if previous:
            status = request.meta.get("fetch_status") or 0
            outcome = "redirected" if 300 <= status < 400 else "retried"
            storage.update_fetch(self.db, previous, outcome=outcome)


# What the exceptions Scrapy raises without a message mean for a fetch.
_EXPLANATIONS = {
    "ResponseDataLossError": "the connection closed before the whole body arrived"
    " (a truncated body, or a garbled chunked one)",
    "DownloadCancelledError": "download cancelled: the body grew past the size limit"
    " (DOWNLOAD_MAXSIZE), or the crawl was stopping",
    "max redirections reached": "too many redirects (a redirect loop?)",
}


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, except that a 429 or 503 with ``Retry-After`` waits that long first.

    Scrapy retries at once whatever the header says (scrapy/scrapy#3849): three requests in
    0.02 s to a server that asked for a pause.
    """

    async def process_response(self, request: Request, response: Response, spider=None):
        wait = retry_after(response) if response.status in (429, 503) else None
        if wait is not None and not request.meta.get("dont_retry", False):
            if wait > MAX_RETRY_AFTER:
                return response
            await asyncio.sleep(wait)
        return super().process_response(request, response)


def retry_after(response: Response) -> float | None:
    """Seconds the ``Retry-After`` header asks to wait (delta-seconds or an HTTP date)."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def describe_exception(exception: BaseException) -> str:
    message = str(exception).strip()
    name = type(exception).__name__
    message = _EXPLANATIONS.get(message or name, message)
    return f"{name}: {message}" if message else name
