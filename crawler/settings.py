"""Scrapy settings for readout-monitor.

Polite by default: robots.txt obeyed, one request at a time per site with a delay, an
identifying User-Agent. Per-source values (delay, concurrency, timeout, proxy, headers)
come from the sources file and override these for that source's crawl only.
"""

from importlib.metadata import version

BOT_NAME = "readout-monitor"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Crawl responsibly by identifying yourself; `[settings] contact` in sources.toml is appended.
USER_AGENT = f"readout-monitor/{version('readout-monitor')} (+https://github.com/readout-monitor/readout-monitor)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
DOWNLOAD_TIMEOUT = 30
# Items (and requests) of one response handled at once. Scrapy starts this many worker tasks
# for every response, whatever it yields: at its default of 100 that was a third of the CPU of
# an unchanged re-check. Our callbacks yield one item or a page of links; storing is serial.
CONCURRENT_ITEMS = 4

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
    # Before Scrapy's RetryMiddleware (550) sees a 429/503, so Retry-After is honoured.
    "crawler.middlewares.RetryAfterMiddleware": 560,
    # Before Scrapy's HttpProxyMiddleware (750), for every request including robots.txt.
    "crawler.middlewares.SourceProxyMiddleware": 740,
    # Closest to the network: sees every attempt, including the ones retried later.
    "crawler.middlewares.FetchLogMiddleware": 950,
    # Just outside the fetch log (its fetch_id is set) and before HttpCompressionMiddleware
    # (590) decodes the body: keeps each exchange as transferred, for WARC export.
    "crawler.capture.CaptureMiddleware": 940,
}
SPIDER_MIDDLEWARES = {
    # Closest to the engine: counts the requests that leave the spider (--max-pages).
    "crawler.page_limit.PageLimit": 10,
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

# A browser's own words, for sources with `browser_headers = true`; the project's User-Agent is
# appended to it, so the site still sees who is asking.
BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Set per crawl by crawler.run
READOUTS_DB = None
READOUTS_RUN_ID = None
READOUTS_PROXY = None
READOUTS_MAX_PAGES = None
READOUTS_MAX_RETRY_AFTER = 300
