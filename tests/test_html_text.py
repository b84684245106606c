"""The one HTML-to-text walker: every entry point keeps blocks on their own lines."""

from __future__ import annotations

import pytest

from crawler.extraction import extract_article, fragment_text
from crawler.spiders import markup

NBSP = "\u00a0"
# Two blocks of each kind, and what a browser shows: never "First part.Second part.".
BLOCKS = {
    "section": "<section>First part.</section><section>Second part.</section>",
    "article": "<article>First part.</article><article>Second part.</article>",
    "main": "<main>First part.</main><main>Second part.</main>",
    "div": "<div>First part.</div><div>Second part.</div>",
    "p": "<p>First part.</p><p>Second part.</p>",
    "li": "<ul><li>First part.</li><li>Second part.</li></ul>",
    "br": "First part.<br>Second part.",
    "h2": "<h2>First part.</h2>Second part.",
    "blockquote": "<blockquote>First part.</blockquote>Second part.",
    "td": "<table><tr><td>First part.</td><td>Second part.</td></tr></table>",
    "th": "<table><tr><th>First part.</th><th>Second part.</th></tr></table>",
    "tr": "<table><tr><td>First part.</td></tr><tr><td>Second part.</td></tr></table>",
    "dt-dd": "<dl><dt>First part.</dt><dd>Second part.</dd></dl>",
    "header-footer": "<header>First part.</header><footer>Second part.</footer>",
    "aside": "<aside>First part.</aside>Second part.",
    "figcaption": "<figure><figcaption>First part.</figcaption></figure>Second part.",
    "pre": "<pre>First part.</pre>Second part.",
    "address": "<address>First part.</address>Second part.",
}


def via_content_selector(html: str) -> str:
    page = f"<html><body><div id='content'>{html}</div></body></html>"
    return extract_article(page, "http://127.0.0.1/a", content_selector="#content").text or ""


def via_site_spider(html: str) -> str:
    return markup.block_text(markup.fragment(html))


ENTRY_POINTS = {
    "content_selector": via_content_selector,
    "site_spider": via_site_spider,
    "api_fragment": fragment_text,
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("kind", BLOCKS)
def test_text_of_two_blocks_is_two_lines_never_glued(kind, entry):
    assert ENTRY_POINTS[entry](BLOCKS[kind]) == "First part.\nSecond part."


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_inline_markup_and_source_line_breaks_join_words_as_a_browser_does(entry):
    html = f"<p>The <b>V</b>ladimir\n  Putin,\tsaid<a href='/x'>the</a>{NBSP}Kremlin.</p>"
    assert ENTRY_POINTS[entry](html) == f"The Vladimir Putin, saidthe{NBSP}Kremlin."


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_code_and_controls_are_not_text(entry):
    html = "<p>Kept.<script>var x = 1;</script><style>p {}</style><button>Share</button></p>"
    assert ENTRY_POINTS[entry](html) == "Kept."


def test_preformatted_text_keeps_its_lines():
    assert fragment_text("<pre>line one\nline two</pre>") == "line one\nline two"


def test_content_selector_text_shows_images_and_site_spiders_do_not():
    html = "<p>Before.</p><img src='a.png' alt='The leaders'><img src='b.png'><p>After.</p>"
    assert via_content_selector(html) == "Before.\n[image: The leaders]\n[image]\nAfter."
    assert via_site_spider(html) == "Before.\nAfter."
