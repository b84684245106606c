"""Run crawls: one Scrapy crawler per source, all in one reactor, each recorded as a run.

Twisted's reactor cannot be restarted, so this runs at most once per process; the CLI calls it
once per ``readouts crawl`` and the daemon starts a ``readouts crawl`` child process per run.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

import storage
from crawler.spiders import spider_class
from storage.runs import close_abandoned_runs

logger = logging.getLogger(__name__)


@dataclass
class CrawlOptions:
    since: date | None = None
    until: date | None = None
    max_pages: int | None = None
    recheck: bool = False

    @property
    def mode(self) -> str:
        if self.since or self.until:
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
        },
        priority="spider",
    )
    if not source.obey_robots:
        logger.warning("Source %r opts out of robots.txt", source.name)
    if source.headers:
        headers = dict(settings.getdict("DEFAULT_REQUEST_HEADERS"))
        headers.update(source.headers)
        settings.set("DEFAULT_REQUEST_HEADERS", headers, priority="spider")
    if options.max_pages:
        settings.set("CLOSESPIDER_PAGECOUNT", options.max_pages, priority="spider")
    return settings


def crawl_sources(
    db_path: str,
    sources: list[Any],
    options: CrawlOptions,
    contact: str | None = None,
    user_agent: str | None = None,
) -> list[dict]:
    """Crawl each source once; return the finished ``runs`` rows."""
    db = storage.open_database(db_path)
    close_abandoned_runs(db)
    base = base_settings(contact, user_agent)
    # Crawlers built with their own settings expect the reactor to be installed already.
    install_reactor(base["TWISTED_REACTOR"], base["ASYNCIO_EVENT_LOOP"])
    quiet_scrapy_startup_logs()
    process = CrawlerProcess(base)
    started: list[tuple[int, Crawler]] = []
    for source in sources:
        run_id = storage.start_run(
            db,
            source.name,
            options.mode,
            since=options.since.isoformat() if options.since else None,
            until=options.until.isoformat() if options.until else None,
        )
        crawler = Crawler(
            spider_class(source.spider), source_settings(base, source, db_path, run_id, options)
        )
        process.crawl(
            crawler,
            source=source,
            mode=options.mode,
            since=options.since,
            until=options.until,
            known=storage.known_documents(db, source.name),
        )
        started.append((run_id, crawler))
    process.start()
    runs = []
    for run_id, crawler in started:
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        outcome, message = None, None
        if reason == "shutdown":
            outcome, message = "interrupted", "stopped by a signal"
        elif reason is None:
            outcome, message = "failed", "the crawler did not start (see the log)"
        runs.append(storage.finish_run(db, run_id, outcome=outcome, message=message))
    db.close()
    return runs
