"""The crawl ``readouts crawl`` makes, minus the archive: same spider, same extraction, same
settings, but no pipeline and no fetch log. The baseline the full pipeline is compared with.

Usage: python bench/noop_crawl.py SOURCES_FILE SOURCE_NAME
"""

from __future__ import annotations

import sys

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.reactor import install_reactor

from crawler import parsing
from crawler.run import CrawlOptions, base_settings, quiet_scrapy_startup_logs, source_settings
from crawler.spiders import spider_class
from scheduler.sources import load_sources


def main(sources_path: str, name: str) -> None:
    source = load_sources(sources_path).select([name])[0]
    parsing.start(parsing.default_workers())  # parsed as ``readouts crawl`` parses
    base = base_settings()
    install_reactor(base["TWISTED_REACTOR"], base["ASYNCIO_EVENT_LOOP"])
    quiet_scrapy_startup_logs()
    settings = source_settings(base, source, ":memory:", 0, CrawlOptions())
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set(
        "DOWNLOADER_MIDDLEWARES", {"crawler.middlewares.FetchLogMiddleware": None}, "cmdline"
    )
    process = CrawlerProcess(base)
    crawler = Crawler(spider_class(source), settings)
    process.crawl(crawler, source=source, mode="monitor", known={})
    try:
        process.start()
    finally:
        parsing.stop()
    print(crawler.stats.get_value("item_scraped_count", 0), "items")


if __name__ == "__main__":
    main(*sys.argv[1:3])
