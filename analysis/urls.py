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
