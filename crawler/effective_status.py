"""Removals judged by what a reader gets, not only by the HTTP status.

Sites rarely answer 404 for a deleted page: many redirect it to their home page or to a news
listing, others answer 200 with a "page not found" page. To a reader the document is gone, so
the base spider reports it as gone, like a 404. A redirect to another item page is a move,
not a removal: the document is parsed as usual (the fetch log keeps the redirect chain).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse, Response

# Titles and first headings of "not found" pages, in the languages of the sources.
NOT_FOUND = re.compile(
    # "404" only at the start, after "error" or a title separator ("Site | 404 - …"): a readout
    # may be "Telephone conversation No. 404: …" or cite "Resolution 404".
    r"page\s+(?:was\s+)?not\s+found|^\W*(?:error\s*)?404\b|[|–—-]\s*404\s*(?:error|[-–—:|]|$)"
    r"|^\W*not\s+found\W*$|страница\s+не\s+найдена|ошибка\s+404|page\s+introuvable"
    r"|seite\s+nicht\s+gefunden|página\s+no\s+encontrada|pagina\s+non\s+trovata",
    re.IGNORECASE,
)


def redirect_removal(target: str, is_listing: Callable[[str], bool]) -> str | None:
    """Why a redirect of an item to ``target`` means the document is gone, or None."""
    if urlsplit(target).path in ("", "/"):
        return f"redirected to the site's home page ({target})"
    if is_listing(target):
        return f"redirected to a listing page ({target})"
    return None


def not_found_page(response: Response) -> str | None:
    """Why a 2xx item page is really a "not found" page (its title or first heading), or None.

    Only HTML pages are judged: an API's JSON says "gone" in its own way (the spider's
    ``ItemGone``)."""
    if not isinstance(response, HtmlResponse):
        return None
    for text in (
        response.xpath("normalize-space(//title)").get(""),
        response.xpath("normalize-space((//h1)[1])").get(""),
    ):
        if text and NOT_FOUND.search(text):
            return f"a 'not found' page: {text[:80]!r}"
    return None


def same_page(url: str, other: str) -> bool:
    """Whether two URLs name one page (host case and a trailing slash aside)."""
    return _canonical(url) == _canonical(other)


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"
