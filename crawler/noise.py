"""A source's ``drop_selectors``: page parts removed before any spider reads the page.

Applied by the base spider to every item response before ``parse_item``, so the same rule
works for the generic spider (trafilatura never sees the dropped parts) and for site spiders
(their selectors never match inside them). The raw page stored in ``pages`` is the page as
served; only what is extracted from it changes.
"""

from __future__ import annotations

import lxml.etree
import lxml.html
from cssselect import GenericTranslator
from scrapy.http import TextResponse


def drop_elements(html: str, selectors: list[str]) -> str:
    """The page without the elements any of the CSS ``selectors`` match (tails kept)."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return html
    translator = GenericTranslator()
    for selector in selectors:
        for element in tree.xpath(translator.css_to_xpath(selector)):
            if element.getparent() is not None:
                element.drop_tree()
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


def without_dropped(response: TextResponse, selectors: list[str]) -> TextResponse:
    """The response with the dropped elements gone (itself when there is nothing to drop)."""
    if not selectors:
        return response
    return response.replace(
        body=drop_elements(response.text, selectors).encode("utf-8"), encoding="utf-8"
    )
