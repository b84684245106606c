"""Scrapy settings for readout-monitor.

Polite by default: robots.txt obeyed, one request at a time per site with a delay, an
identifying User-Agent. Per-source values (delay, concurrency, timeout, proxy, headers)
come from the sources file and override these for that source's crawl only.
"""

from readouts import __version__

BOT_NAME = "readout-monitor"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Crawl responsibly by identifying yourself; `[settings] contact` in sources.toml is appended.
USER_AGENT = f"readout-monitor/{__version__} (+https://github.com/readout-monitor/readout-monitor)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
DOWNLOAD_TIMEOUT = 30

# A readout page is a few hundred KB at most; anything far larger (or a decompression bomb)
# is cut off and logged as a failed fetch.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports from a monitor
REDIRECT_MAX_TIMES = 5

DOWNLOADER_MIDDLEWARES = {
    # Closest to the network: sees every attempt, including the ones retried later.
    "crawler.middlewares.FetchLogMiddleware": 950,
    # Scrapy's retries, but waiting as long as a 429/503's Retry-After asks.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.progress.Progress": 500,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Set per crawl by crawler.run
READOUTS_DB = None
READOUTS_RUN_ID = None
