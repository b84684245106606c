"""Main text, title and publication date of an arbitrary article page.

The generic spider cannot know a site's markup, so it relies on trafilatura (the best-scoring
open extractor in its own evaluation) and on the page's own date metadata. Site spiders use
their selectors instead: a generic extractor drops parts a readout must keep.

A page that states no date gets none: htmldate's last resort guesses a year (a footer's
"© 2024", a number in a URL) and gives it as 1 January; such a guess is dropped unless the page
says that day.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import lxml.html
import trafilatura

from analysis.dates import iso_datetime

# Lines that are ad or style code leaking into article text (e.g. "@media (min-width…){.adsbygoogle…}").
_CODE_LINE = re.compile(
    r"(adsbygoogle|googletag\.|@media\b|^\s*[.#]?[\w-]+\s*\{[^}]*\}\s*$|\{\s*[\w-]+\s*:\s*[^;{}]+;)",
    re.IGNORECASE,
)
# Never text: code, embedded objects, and controls.
_INVISIBLE_TAGS = {
    "script", "style", "noscript", "template", "head", "svg", "iframe", "button", "object", "embed",
}  # fmt: skip
# Elements that begin and end a line of text, as a browser lays them out: text in two of them
# is never glued ("First part.Second part.").
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hgroup", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip
# HTML's own whitespace, which a browser folds; a non-breaking space is content and stays.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "dc.date.issued",
    "DC.date.issued",
    "pubdate",
    "publish-date",
    "date",
)
# How a page may state 1 January of a year, the day htmldate gives a bare year ("© 2024").
_NEW_YEAR = (
    r"\b{year}-01-01(?!\d)|\b0?1[./]0?1[./]{year}\b|\b(?:1|01)(?:st)?\s+(?:jan\w*|янв\w*)\.?,?\s+{year}"
    r"|\bjan\w*\.?\s+0?1(?:st)?,?\s+{year}"
)


@dataclass
class Extracted:
    title: str | None
    text: str | None
    published_at: str | None
    language: str | None


def extract_article(
    html: str,
    url: str,
    *,
    prune_xpath: list[str] | None = None,
    content_selector: str | None = None,
) -> Extracted:
    """Extract title, main text, ISO publication date and language from one HTML page.

    With a ``content_selector`` the text is that block's (see ``block_text``) instead of
    trafilatura's guess at the main text; title and date still come from the page.
    """
    tree = _parse(html)
    # Read the page's own metadata first: trafilatura prunes the tree it is given.
    published_at = language = selected = None
    if tree is not None:
        published_at = page_published_at(tree)
        language = (tree.get("lang") or "").split("-")[0].lower() or None
        if content_selector:
            selected = "\n".join(
                block_text(el, images=True) for el in tree.cssselect(content_selector)
            )
    document = trafilatura.bare_extraction(
        tree if tree is not None else html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        prune_xpath=prune_xpath,
    )
    text = title = date = None
    if document is not None:
        text = clean_text(document.text)
        title = document.title
        date = document.date
    if content_selector:
        text = clean_text(selected)
    return Extracted(
        title=clean_line(title),
        text=text or None,
        published_at=published_at or _stated(date, html),
        language=language,
    )


def block_text(element: lxml.html.HtmlElement | None, *, images: bool = False) -> str:
    """The visible text of an element, one line per block (paragraph, heading, cell, list item).

    The one HTML-to-text walker of the project: site spiders, API bodies and the generic
    spider's ``content_selector`` all go through it. Source line breaks are folded as a browser
    folds them (except inside ``<pre>``), so re-wrapped markup never changes the text.
    With ``images``, pictures become ``[image: ALT]`` lines (``[image]`` without alt text):
    inside a block the user named as the content, removing a picture is a change to see.
    html-text was tried and not used: it puts a space between inline elements ("<b>V</b>ladimir"
    becomes "V ladimir") and turns non-breaking spaces into plain ones.
    """
    if element is None:
        return ""
    parts: list[str] = []

    def add(text: str | None, pre: bool) -> None:
        if text:
            parts.append(text if pre else _HTML_SPACE.sub(" ", text))

    def walk(node: lxml.html.HtmlElement, pre: bool) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        if tag is None or tag in _INVISIBLE_TAGS:  # comments, processing instructions, code
            return
        if tag == "img" and images:
            alt = clean_line(node.get("alt") or "")
            parts.append(f"\n[image: {alt}]\n" if alt else "\n[image]\n")
        pre = pre or tag == "pre"
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        add(node.text, pre)
        for child in node:
            walk(child, pre)
            add(child.tail, pre)
        if block:
            parts.append("\n")

    walk(element, False)
    return clean_text("".join(parts))


def clean_text(text: str | None) -> str:
    """Drop leaked code lines and blank runs; keep one paragraph per line."""
    if not text:
        return ""
    lines = [clean_line(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line and not _CODE_LINE.search(line))


def clean_line(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def page_published_at(tree: lxml.html.HtmlElement) -> str | None:
    """The publication date the page states about itself, with time of day when it gives one."""
    for name in _DATE_META:
        for value in tree.xpath(
            "//meta[@property=$n or @name=$n or @itemprop=$n]/@content", n=name
        ):
            parsed = iso_datetime(value)
            if parsed:
                return parsed
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        parsed = iso_datetime(_json_ld_date(script))
        if parsed:
            return parsed
    for value in tree.xpath(
        "//article//time/@datetime | //time[@itemprop='datePublished']/@datetime"
        " | //time[contains(@class,'published')]/@datetime"
    ):
        parsed = iso_datetime(value)
        if parsed:
            return parsed
    return None


def _stated(day: str | None, html: str) -> str | None:
    """htmldate's day, unless it is a year it guessed (1 January) that the page never states."""
    if day and day[5:10] == "01-01":
        if not re.search(_NEW_YEAR.format(year=day[:4]), html, re.IGNORECASE):
            return None
    return day


def _json_ld_date(script: str) -> str | None:
    try:
        data = json.loads(script)
    except ValueError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                return item["datePublished"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def fragment_text(html: str | None) -> str:
    """Plain text of an HTML fragment (an API's ``body`` field), one line per block."""
    if not html or not html.strip():
        return ""
    try:
        return block_text(lxml.html.fragment_fromstring(html, create_parent="div"))
    except (lxml.etree.ParserError, ValueError):
        return ""
