"""Progress of a crawl: a live line on a terminal, plain log lines otherwise.

Counts come from the crawler's stats, which the pipeline keeps up to date.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat(
            "READOUTS_PROGRESS_INTERVAL", 1.0 if sys.stderr.isatty() else 30.0
        )
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.report, spider)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def line(self, spider: Spider) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        parts = [
            f"{spider.source.name}: {pages} pages",
            f"{stats.get_value('readouts/versions_stored', 0)} versions stored",
            f"{stats.get_value('readouts/errors', 0)} errors",
            f"{pages / elapsed * 60:.0f} pages/min",
        ]
        reached = stats.get_value("readouts/date_reached")
        if reached:
            parts.append(f"reached {reached}")
        return ", ".join(parts)

    def report(self, spider: Spider) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line(spider))
            sys.stderr.flush()
        else:
            logger.info("%s", self.line(spider))
