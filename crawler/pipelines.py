"""The one pipeline: hands each fetch result to ``storage`` and records its outcome.

When the archive cannot be written (disk full, lock held too long) the crawl stops at once:
fetching pages that cannot be stored only loads the site. Items that arrive meanwhile (already
in flight) are counted as not stored; see ``stop_crawl``.
"""

from __future__ import annotations

import logging

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

import storage
import storage.timeutil
from crawler import items
from storage.runs import ERROR_OUTCOMES
from storage.schema import ARCHIVE

logger = logging.getLogger(__name__)

ARCHIVE_ERROR = "readouts/archive_error"  # stats key: the ArchiveError that stopped the crawl
NOT_STORED = "readouts/not_stored"  # stats key: fetched items the archive could not take


def stop_crawl(crawler: Crawler, error: storage.ArchiveError, url: str) -> None:
    """The archive refused a write: remember why, log one line, close the spider (once)."""
    stats = crawler.stats
    if stats.get_value(ARCHIVE_ERROR) is not None:
        return
    stats.set_value(ARCHIVE_ERROR, error)
    logger.error("not stored %s: %s; stopping the crawl", url, error.reason)
    if crawler.engine is not None and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="archive_error"))


class ArchivePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings["READOUTS_DB"]
        self.run_id = crawler.settings.getint("READOUTS_RUN_ID") or None
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = storage.open_database(self.db_path, upgrade=False)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.db.close()

    def process_item(self, item: items.FetchResult, spider: Spider | None = None):
        stats = self.crawler.stats
        if stats.get_value(ARCHIVE_ERROR) is None:
            try:
                # The page, its document's state and the fetch's outcome commit together.
                with storage.write_transaction(self.db):
                    return self._record(item)
            except storage.ArchiveError as error:
                stop_crawl(self.crawler, error, item.url)
        stats.inc_value(NOT_STORED)
        return item

    def _record(self, item: items.FetchResult):
        stats = self.crawler.stats
        fetch = {"outcome": item.outcome}
        if item.outcome == items.PAGE:
            fetch.update(self._store_page(item))
        elif item.outcome == items.NOT_MODIFIED:
            fetch["document_id"] = storage.mark_not_modified(self.db, item.url, self.run_id)
        elif item.outcome == items.SAME_PAGE:
            # Counted and logged as any unchanged re-check; the page is not parsed nor stored
            # again (``reprocess`` re-extracts stored pages after an extraction change).
            fetch = {"outcome": "unchanged", "page_hash": item.page_hash}
            fetch["document_id"] = storage.mark_same_page(
                self.db,
                item.url,
                self.run_id,
                item.seen_at,
                etag=item.etag,
                last_modified=item.last_modified,
            )
        elif item.outcome == items.GONE:
            fetch["document_id"] = storage.mark_gone(
                self.db, item.url, self.run_id, item.http_status or 404
            )
            if item.error:  # gone in effect (a redirect home, a "not found" page): say why
                fetch["error"] = item.error
        elif item.outcome in ERROR_OUTCOMES:
            fetch["error"] = item.error
            if item.body is not None:
                fetch["page_hash"] = storage.save_page(
                    self.db, item.body, item.content_type, storage.timeutil.utc_now(), item.source
                )
            logger.error("%s %s: %s", item.outcome.replace("_", " "), item.url, item.error)
        stats.inc_value(f"readouts/{fetch['outcome']}")
        if fetch["outcome"] in ERROR_OUTCOMES:
            stats.inc_value("readouts/errors")
        if item.fetch_id:
            storage.update_fetch(self.db, item.fetch_id, **fetch)
        else:
            storage.log_fetch(
                self.db,
                self.run_id,
                item.url,
                status=item.http_status,
                error=fetch.get("error"),
                outcome=fetch["outcome"],
            )
        return item

    def _store_page(self, item: items.FetchResult) -> dict:
        seen_at = item.seen_at or storage.timeutil.utc_now()
        page_hash = storage.save_page(
            self.db, item.body or b"", item.content_type, seen_at, item.source
        )
        item.seen_at = seen_at
        snapshot = item.snapshot(
            page_hash, getattr(self.crawler.spider.source, "ignore_patterns", [])
        )
        try:
            if item.origin == ARCHIVE:
                result = storage.save_archived_version(self.db, snapshot, self.run_id)
            elif item.withdrawn:
                result = storage.mark_withdrawn(self.db, snapshot, self.run_id, item.withdrawn)
            else:
                result = storage.save_version(self.db, snapshot, self.run_id)
        except storage.EmptyVersionError as error:
            logger.error("parse error %s: %s", item.url, error)
            return {"outcome": items.PARSE_ERROR, "error": str(error), "page_hash": page_hash}
        if result.changed:
            self.crawler.stats.inc_value("readouts/versions_stored")
            outcome = "new" if result.version == 1 else "changed"
        else:
            outcome = "unchanged"
        return {"outcome": outcome, "page_hash": page_hash, "document_id": result.document_id}
