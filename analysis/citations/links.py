"""Which readouts an article links to.

Spiders may record an article's body links in its version metadata (``metadata["links"]``);
when they do not (the generic spider), the links are read from the stored raw page, from the
main text only, as trafilatura delimits it: a sidebar listing every readout is not a citation.

Links and readout URLs meet through a key that ignores what does not identify a page: scheme,
``www.``, a language subdomain or path prefix (``en.kremlin.ru/…`` and ``kremlin.ru/…`` are the
same item in two languages), a trailing slash, the query's tracking parameters and the fragment.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from analysis.urls import tracking

logger = logging.getLogger(__name__)

_LANGUAGE = re.compile(r"^[a-z]{2}(?:-[a-z]{2})?$")


def url_key(url: str) -> str:
    """The same key for a readout's URL and any link to it or to one of its translations."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    if len(labels) > 2 and _LANGUAGE.match(labels[0]):
        labels = labels[1:]
    segments = [s for s in parts.path.split("/") if s]
    if segments and _LANGUAGE.match(segments[0].lower()):
        segments = segments[1:]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not tracking(k)))
    key = ".".join(labels) + "/" + "/".join(segments)
    return key + ("?" + query if query else "")


def article_links(metadata: str | None, page: bytes | None, url: str) -> list[str]:
    """Absolute URLs the article's body links to."""
    if metadata:
        try:
            links = json.loads(metadata).get("links")
        except (ValueError, AttributeError):
            links = None
        if isinstance(links, list):
            return [urljoin(url, link) for link in links if isinstance(link, str)]
    if page:
        return _main_text_links(page, url)
    return []


def _main_text_links(page: bytes, url: str) -> list[str]:
    import lxml.etree
    import trafilatura

    extracted = trafilatura.extract(
        page.decode("utf-8", errors="replace"),
        url=url,
        output_format="xml",
        include_links=True,
        include_comments=False,
        favor_precision=True,
    )
    if not extracted:
        return []
    try:
        tree = lxml.etree.fromstring(extracted.encode("utf-8"))
    except lxml.etree.XMLSyntaxError:
        logger.warning("Could not read the links of %s", url)
        return []
    return [urljoin(url, target) for target in tree.xpath("//ref/@target")]
