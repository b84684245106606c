"""Downloader middleware that writes every HTTP request to the fetch log.

It sits next to the downloader (priority 950), so it sees each attempt, including those the
retry and redirect middlewares repeat; the pipeline later records what came of the last one.
"""

from __future__ import annotations

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

import storage


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


def describe_exception(exception: BaseException) -> str:
    message = str(exception).strip()
    name = type(exception).__name__
    message = _EXPLANATIONS.get(message or name, message)
    return f"{name}: {message}" if message else name
