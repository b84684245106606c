"""Text and links out of the HTML fragment a site spider's selectors point at.

Site spiders know where a readout's body is; this module turns that element into stored text:
one paragraph per line, ads, scripts and inline CSS removed, typography (NBSPs, curly quotes)
kept exactly as served — storage folds it when comparing versions.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any
from urllib.parse import urljoin

import lxml.html
from parsel import Selector

from crawler import extraction
from crawler.extraction import clean_line

MOSCOW = timezone(timedelta(hours=3), "MSK")  # no daylight saving since 2014

# Never article text: code, embeds, forms, and the ad and share blocks WordPress plugins inject.
_NOT_TEXT = (
    "script, style, noscript, template, iframe, ins, form, button, svg, object, embed,"
    " .adsbygoogle, .advertisement, .ad-container, [id^='div-gpt-ad'], .code-block,"
    " .sharedaddy, .jp-relatedposts, .addtoany_share_save_container, .heateor_sss_sharing_container"
)


def fragment(html: str) -> lxml.html.HtmlElement:
    """Parse an HTML fragment (a selector's markup, or an API's ``content.rendered``)."""
    return lxml.html.fragment_fromstring(html or "", create_parent="div")


def element_of(selector: Selector | None) -> lxml.html.HtmlElement | None:
    return fragment(selector.get()) if selector is not None else None


def block_text(element: lxml.html.HtmlElement | None, *, drop: str = "") -> str:
    """Readable text of an element without ads, share blocks and ``drop`` (see ``extraction.block_text``)."""
    if element is None:
        return ""
    for unwanted in element.cssselect(_NOT_TEXT + (f", {drop}" if drop else "")):
        unwanted.drop_tree()
    return extraction.block_text(element)


def inline_text(selector: Selector | None) -> str:
    """The text of a one-line element (a title, a date), whitespace collapsed."""
    if selector is None:
        return ""
    return clean_line(" ".join(selector.css("::text").getall())) or ""


def links(element: lxml.html.HtmlElement | None, base_url: str) -> list[str]:
    """Absolute http(s) targets of the links in an element, in order, without duplicates."""
    found: list[str] = []
    if element is None:
        return found
    for href in element.xpath(".//a/@href"):
        url = urljoin(base_url, href.strip()).split("#", 1)[0]
        if url.startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found


def compact(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata without its empty fields."""
    return {key: value for key, value in metadata.items() if value}
