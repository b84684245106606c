"""Keep every HTTP exchange the crawler makes, so it can be exported as WARC records.

A downloader middleware at priority 940: just outside ``FetchLogMiddleware`` (950), so the
attempt's ``fetch_id`` is known, and inside HttpCompressionMiddleware (590), so the body is
still as transferred (a gzip answer stays gzip). Retries and redirects each pass here, as
they did on the wire. Scrapy keeps no reason phrase nor the raw header bytes: the status line
takes the standard phrase of its code, and headers keep Scrapy's spelling of their names.
"""

from __future__ import annotations

from http import HTTPStatus

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

import storage
from storage import captures
from storage.sources import SECRET
from storage.timeutil import utc_now

# Request headers whose values are secrets: stored (and exported) masked, as the sources table
# stores them. A source's own ``headers`` are added to these.
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie"}


# Scrapy's HTTP/1.1 download handler (Twisted's client) sends every request as HTTP/1.1, whatever
# version the server answers in.
REQUEST_PROTOCOL = "HTTP/1.1"


class CaptureMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db = storage.open_database(crawler.settings["READOUTS_DB"], upgrade=False)
        self.run_id = crawler.settings.getint("READOUTS_RUN_ID") or None
        self.secret_headers = SECRET_HEADERS

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        configured = getattr(getattr(spider, "source", None), "headers", None) or {}
        self.secret_headers = SECRET_HEADERS | {name.lower() for name in configured}

    def spider_closed(self, spider: Spider) -> None:
        self.db.close()

    def process_response(self, request: Request, response: Response) -> Response:
        parsed = urlparse_cached(request)
        target = parsed.path or "/"
        if parsed.query:
            target += "?" + parsed.query
        sent = [
            (name, SECRET if name.lower() in self.secret_headers else value)
            for name, value in _header_pairs(request.headers)
        ]
        if not any(name.lower() == "host" for name, _ in sent):
            sent.insert(0, ("Host", parsed.netloc))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        captured_at = utc_now()
        # The version parsed from this answer is dated by its capture (the spider reads
        # ``seen_at``), unless another stage dated it (a Wayback capture).
        if request.meta.get("seen_at") in (None, request.meta.get("captured_at")):
            request.meta["seen_at"] = request.meta["captured_at"] = captured_at
        captures.save_capture(
            self.db,
            url=request.url,
            captured_at=captured_at,
            method=request.method,
            request_target=target,
            request_headers=sent,
            protocol=response.protocol or "HTTP/1.1",
            request_protocol=REQUEST_PROTOCOL,
            status=response.status,
            reason=reason,
            response_headers=_header_pairs(response.headers),
            body=response.body,
            run_id=self.run_id,
            fetch_id=request.meta.get("fetch_id"),
            # A site's pages share their chrome: compressed with a dictionary of that source's.
            source=getattr(getattr(self.crawler.spider, "source", None), "name", None),
        )
        return response


def _header_pairs(headers) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) text pairs, one per value, bytes read as Latin-1."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
