"""Run crawls: one Scrapy crawler per source, all in one reactor, each recorded as a run.

Twisted's reactor cannot be restarted, so this runs at most once per process; the CLI calls it
once per ``readouts crawl`` and the daemon starts a ``readouts crawl`` child process per run.

A backfill the site refuses (most of its fetches answered 401/403/407/429/451 or no connection)
is followed, in the same reactor, by a run over the Wayback Machine's captures of the source.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

import storage
from crawler import parsing, wayback
from crawler.page_limit import HELD_BACK
from crawler.pipelines import ARCHIVE_ERROR, NOT_STORED
from crawler.spiders import spider_class
from storage.runs import (
    ARCHIVE_READ,
    PAGE_LIMIT_STOP,
    close_abandoned_runs,
    fetch_results,
    last_walk_cut_short,
    run_counts,
)

# What a site that will not serve us answers (or does not: no connection at all).
REFUSAL_STATUSES = {401, 403, 407, 429, 451}
REFUSAL_ERRORS = re.compile(
    r"ConnectionRefused|TCPTimedOut|TimeoutError|DNSLookupError|ResponseNeverReceived|ConnectionLost"
)
MIN_FETCHES_TO_JUDGE = 2  # robots.txt and the first listing, both refused, say it

logger = logging.getLogger(__name__)


@dataclass
class CrawlOptions:
    since: date | None = None
    until: date | None = None
    max_pages: int | None = None
    recheck: bool = False
    from_archive: bool = False

    @property
    def mode(self) -> str:
        if self.since or self.until or self.from_archive:
            return "backfill"
        return "recheck" if self.recheck else "monitor"


def base_settings(contact: str | None = None, user_agent: str | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if user_agent:
        settings.set("USER_AGENT", user_agent, priority="project")
    if contact:
        settings.set(
            "USER_AGENT", f"{settings['USER_AGENT']} contact: {contact}", priority="project"
        )
        if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", contact):
            # RFC 9110's From: the e-mail address of the human responsible for the robot.
            headers = dict(settings.getdict("DEFAULT_REQUEST_HEADERS"))
            headers["From"] = contact
            settings.set("DEFAULT_REQUEST_HEADERS", headers, priority="project")
    if sys.stderr.isatty():
        settings.set("LOG_LEVEL", "WARNING", priority="project")
    return settings


def quiet_scrapy_startup_logs() -> None:
    """Scrapy logs its versions, settings and component lists at INFO on every crawl."""
    for name in ("scrapy.utils.log", "scrapy.middleware", "scrapy.addons", "scrapy.crawler"):
        logging.getLogger(name).setLevel(logging.WARNING)


def source_settings(
    base: Settings, source: Any, db_path: str, run_id: int, options: CrawlOptions
) -> Settings:
    """Per-source politeness and limits on top of the project settings."""
    settings = base.copy()
    settings.setdict(
        {
            "READOUTS_DB": db_path,
            "READOUTS_RUN_ID": run_id,
            "DOWNLOAD_DELAY": source.delay,
            "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
            "DOWNLOAD_TIMEOUT": source.timeout,
            "RETRY_TIMES": source.retries,
            "ROBOTSTXT_OBEY": source.obey_robots,
            "READOUTS_PROXY": source.proxy,
            "READOUTS_MAX_RETRY_AFTER": source.max_retry_after,
        },
        priority="spider",
    )
    if not source.obey_robots:
        logger.warning("Source %r opts out of robots.txt", source.name)
    headers = dict(settings.getdict("DEFAULT_REQUEST_HEADERS"))
    if source.browser_headers:
        settings.set(
            "USER_AGENT",
            f"{settings['BROWSER_USER_AGENT']} {settings['USER_AGENT']}",
            priority="spider",
        )
        language = source.language or "en"
        headers["Accept"] = settings["BROWSER_ACCEPT"]
        headers["Accept-Language"] = f"{language},en;q=0.8" if language != "en" else "en,*;q=0.5"
    headers.update(source.headers)
    settings.set("DEFAULT_REQUEST_HEADERS", headers, priority="spider")
    if options.max_pages:
        settings.set("READOUTS_MAX_PAGES", options.max_pages, priority="spider")
    return settings


def crawl_sources(
    db_path: str,
    sources: list[Any],
    options: CrawlOptions,
    contact: str | None = None,
    user_agent: str | None = None,
    wayback_url: str = wayback.DEFAULT_URL,
) -> list[dict]:
    """Crawl each source once; return the finished ``runs`` rows."""
    db = storage.open_database(db_path)
    close_abandoned_runs(db)
    # Before the reactor and its threads: the parsing workers are forked from this process.
    parsing.start(parsing.default_workers())
    base = base_settings(contact, user_agent)
    # Crawlers built with their own settings expect the reactor to be installed already.
    install_reactor(base["TWISTED_REACTOR"], base["ASYNCIO_EVENT_LOOP"])
    quiet_scrapy_startup_logs()
    crawls = _Crawls(CrawlerProcess(base), base, db, db_path, options, wayback_url)
    for source in sources:
        if options.from_archive:
            crawls.start(source, "archive", f"{ARCHIVE_READ} (--from-archive)")
        elif options.mode == "backfill":
            crawls.start(source, "backfill").addCallback(crawls.fall_back_if_refused, source)
        else:
            crawls.start(source, options.mode)
    try:
        crawls.process.start()
    finally:
        parsing.stop()
    try:
        runs = crawls.finish()
    finally:
        db.close()
    return runs


class _Crawls:
    """The crawls of one ``readouts crawl``: each a run, all in one reactor."""

    def __init__(self, process, base, db, db_path: str, options: CrawlOptions, wayback_url: str):
        self.process = process
        self.base = base
        self.db = db
        self.db_path = db_path
        self.options = options
        self.wayback_url = wayback_url
        self.started: list[tuple[int, Crawler, str | None]] = []

    def start(self, source: Any, spider_mode: str, message: str | None = None):
        """Start one crawl; return its Deferred (fired with the run id when it ends)."""
        options = self.options
        run_id = storage.start_run(
            self.db,
            source.name,
            options.mode,
            since=options.since.isoformat() if options.since else None,
            until=options.until.isoformat() if options.until else None,
        )
        crawler = Crawler(
            spider_class(source),
            source_settings(self.base, source, self.db_path, run_id, options),
        )
        self.started.append((run_id, crawler, message))
        deferred = self.process.crawl(
            crawler,
            source=source,
            mode=spider_mode,
            since=options.since,
            until=options.until,
            known=storage.known_documents(self.db, source.name),
            catch_up=last_walk_cut_short(self.db, source.name, run_id),
            wayback_url=self.wayback_url,
        )
        return deferred.addCallback(lambda _: run_id)

    def fall_back_if_refused(self, run_id: int, source: Any) -> None:
        refused = refusal(fetch_results(self.db, run_id))
        if refused:
            logger.warning(
                "%s refused the backfill (%s): reading the Wayback Machine's captures instead",
                source.name,
                refused,
            )
            self.start(source, "archive", f"{ARCHIVE_READ}: the site {refused}")

    def finish(self) -> list[dict]:
        """Record every run; then raise the ``ArchiveError`` that stopped a crawl, if one did.

        A run stopped because the archive refused a write is ``failed``, with the reason and
        the count of fetched pages not stored. If even that cannot be written (the disk is
        still full) the run stays open and the next start closes it as ``interrupted``.
        """
        runs = []
        stopped_by = None
        not_stored = 0
        unrecorded = []
        for run_id, crawler, message in self.started:
            stats = crawler.stats
            reason = stats.get_value("finish_reason") if stats else None
            archive_error = stats.get_value(ARCHIVE_ERROR) if stats else None
            outcome = None
            if archive_error is not None:
                stopped_by = stopped_by or archive_error
                not_stored += stats.get_value(NOT_STORED, 0)
                full = isinstance(archive_error, storage.ArchiveFull)
                outcome = "failed" if full else "interrupted"
                cause = "the disk holding the archive is full" if full else "the archive was locked"
                message = (
                    f"stopped: {cause}; {stats.get_value(NOT_STORED, 0)} fetched page(s) not stored"
                )
            elif reason == "shutdown":
                outcome, message = "interrupted", "stopped by a signal"
            elif reason is None:
                outcome, message = "failed", "the crawler did not start (see the log)"
            elif stats.get_value(HELD_BACK):
                limited = (
                    f"{PAGE_LIMIT_STOP} {self.options.max_pages}:"
                    f" {stats.get_value(HELD_BACK)} more page(s) found, not fetched"
                )
                if (
                    self.options.mode == "backfill"
                    and not run_counts(self.db, run_id)["versions_stored"]
                ):
                    # Each run walks the listings from the newest page again: a limit spent on
                    # the listings in front of the first item not stored yet never gets further.
                    limited += (
                        "; nothing stored: the listings before the items not stored yet take"
                        " more pages than that, raise --max-pages"
                    )
                message = f"{message}; {limited}" if message else limited
            try:
                runs.append(storage.finish_run(self.db, run_id, outcome=outcome, message=message))
            except storage.ArchiveError as error:
                stopped_by = stopped_by or error
                unrecorded.append(run_id)
        if isinstance(stopped_by, storage.ArchiveFull):
            detail = f"{not_stored} fetched page(s) not stored"
            if unrecorded:
                detail += (
                    f"; run {', '.join(map(str, unrecorded))} could not be recorded and will"
                    " show as interrupted after the next start"
                )
            raise storage.ArchiveFull(self.db_path, detail)
        if stopped_by is not None:
            raise stopped_by
        return runs


def refusal(fetches: list[tuple[int | None, str | None]]) -> str | None:
    """How the site refused a run, when more than half of its fetches (at least
    ``MIN_FETCHES_TO_JUDGE``) were refusals; else None. ``fetches``: (HTTP status, error)."""
    refused = [
        (status, error)
        for status, error in fetches
        if status in REFUSAL_STATUSES or (status is None and error and REFUSAL_ERRORS.search(error))
    ]
    if len(fetches) < MIN_FETCHES_TO_JUDGE or len(refused) * 2 <= len(fetches):
        return None
    return f"refused {len(refused)} of {len(fetches)} fetches"
