"""Item pages parsed in worker processes, so a crawl keeps every core busy.

The reactor thread fetches, logs and stores; the CPU-heavy part of an item page (decoding,
a source's ``drop_selectors``, the spider's ``parse_item``: lxml, trafilatura) runs in one of
``workers`` processes. A worker builds each source's spider once and parses a response rebuilt
from what the crawler received (class, URL, status, headers, body, and the request meta that
``parse_item`` may read), through ``ReadoutSpider.extract``: the one path in-process parsing
takes too, so both give the same fields and the same errors.

The pool is forked once per crawl process, before the reactor starts any thread (forking a
threaded process can copy a held lock), so its workers begin with every module imported. Pages
waiting for a worker are bounded by Scrapy's scraper slot: past ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``
bytes of responses in callbacks (5 MB by default) the engine stops downloading.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy import Request
from scrapy.http import Response

logger = logging.getLogger(__name__)

WORKERS_VARIABLE = "READOUTS_PARSE_WORKERS"
# Request meta a spider's ``parse_item`` may read (plain values; the rest stays in the crawler).
META_KEYS = ("document_url", "role", "origin", "seen_at", "redirect_urls")

_pool: ProcessPoolExecutor | None = None
_spiders: dict[str, Any] = {}  # in a worker: source name → its spider


def default_workers() -> int:
    """``READOUTS_PARSE_WORKERS`` if set (0 or 1: parse in the crawl process), else the
    cores this process may use."""
    configured = os.environ.get(WORKERS_VARIABLE)
    if configured is not None:
        try:
            return int(configured)
        except ValueError:
            logger.warning("%s=%r is not a number: using every core", WORKERS_VARIABLE, configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def start(workers: int) -> None:
    """Fork ``workers`` parsing processes; with fewer than 2 (one core), pages are parsed in
    the crawl process. Call before the reactor runs."""
    global _pool
    if _pool is not None or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return
    # Objects made so far (the imports) are left out of garbage collection: a collection in a
    # worker would write to every page holding one and copy the parent's memory it shares
    # (15 MB a worker on the 1,000-page benchmark).
    gc.freeze()
    _pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with,
        initargs=(os.getpid(),),
    )
    # A fork pool launches all its workers at the first submission: make that happen now.
    list(_pool.map(_ready, range(workers)))


def stop() -> None:
    """Let the workers finish and exit (the end of the crawl process)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
        gc.unfreeze()


async def extract(spider: Any, response: Response) -> Any:
    """``spider.extract(response)``, in a worker when there is a pool."""
    if _pool is None:
        return spider.extract(response)
    request = response.request
    task = _pool.submit(
        _extract_in_worker,
        spider.source,
        type(response),
        response.url,
        request.url if request is not None else response.url,
        response.status,
        {name: list(values) for name, values in response.headers.items()},
        response.body,
        {key: response.meta[key] for key in META_KEYS if key in response.meta},
    )
    try:
        return await asyncio.wrap_future(task)
    except BrokenProcessPool:
        logger.error("a parsing process died: parsing %s in the crawl process", response.url)
        return spider.extract(response)
    except Exception:  # the worker's own machinery failed: the page must still be parsed
        logger.exception(
            "parsing %s in a worker failed: parsing it in the crawl process", response.url
        )
        return spider.extract(response)


def _ready(_: int) -> bool:
    return True


def _die_with(parent: int) -> None:
    """A worker ends when its crawl process does, even one killed with SIGKILL (a forked worker
    holds the parent's pipes and would wait on its queue, and hold the crawl's output, forever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _extract_in_worker(
    source: Any,
    response_class: type[Response],
    url: str,
    request_url: str,
    status: int,
    headers: dict[bytes, list[bytes]],
    body: bytes,
    meta: dict[str, Any],
) -> Any:
    from crawler.spiders import spider_class

    spider = _spiders.get(source.name)
    if spider is None or spider.source != source:
        spider = _spiders[source.name] = spider_class(source)(source=source)
    response = response_class(
        url=url,
        status=status,
        headers=headers,
        body=body,
        request=Request(request_url, meta=meta),
    )
    return spider.extract(response)
