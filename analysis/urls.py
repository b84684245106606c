"""What in a URL does not identify a page: the query parameters links carry for analytics.

An article linked as ``/news/1?utm_source=tw`` from one page and ``/news/1`` from another is one
page: the crawler files it once, and citation links meet the readout's URL whatever they carry.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|yclid$|ref$|ref_src$)")


def tracking(name: str) -> bool:
    return bool(TRACKING.match(name.lower()))


def without_tracking(url: str) -> str:
    """``url`` without its tracking parameters (the other parameters kept, in their order)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not tracking(k)]
    if len(kept) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return url  # nothing to drop: the URL as written
    return urlunsplit(parts._replace(query=urlencode(kept)))


INDEX_PAGE = re.compile(r"/index\.(?:html?|php)$", re.IGNORECASE)


def page_key(url: str) -> str:
    """What two URLs of one page share: the host's case, a trailing slash and a directory's
    ``index.html`` aside (``/news/1``, ``/news/1/`` and ``/news/1/index.html`` are one page; a
    server's dupefilter does not know it)."""
    parts = urlsplit(url)
    path = INDEX_PAGE.sub("/", parts.path).rstrip("/")
    return f"{parts.scheme}://{parts.netloc.lower()}{path}?{parts.query}"


# Path segments that make another form of a page, not another page: /news/1/amp, /print/news/1.
_FORM_SEGMENT = re.compile(r"^(?:amp|print|printable)$", re.IGNORECASE)


def same_page_forms(url: str, other: str) -> bool:
    """Whether two URLs of one site are forms of one page: they differ only by their query
    (``?print=1``), an AMP or print path segment, a trailing slash or an ``index.html``. A
    canonical address that is not such a form names another page (a template that declares
    one article the canonical of every page) and is not followed."""
    return same_site(url, other) and _page_path(url) == _page_path(other)


def _page_path(url: str) -> list[str]:
    path = INDEX_PAGE.sub("/", urlsplit(url).path)
    return [part for part in path.split("/") if part and not _FORM_SEGMENT.match(part)]


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on one site: the same host (a ``www.`` aside) and port."""
    one, two = urlsplit(url), urlsplit(other)
    return (_bare_host(one.hostname), one.port) == (_bare_host(two.hostname), two.port)


def _bare_host(host: str | None) -> str:
    return (host or "").removeprefix("www.")
