"""Scraped text is hostile: no page renders a tag or a javascript: link that came from it."""

from __future__ import annotations

import pytest

from readouts.web.render import Passage, external_link, highlight_passages, highlight_snippet

UNESCAPED = ["<script>alert(1)", "<img src=x onerror", "<b onmouseover", 'href="javascript:']


def hostile_pages(ids):
    return [
        f"/-/readouts/document/{ids['hostile']}",
        f"/-/readouts/version/{ids['hostile_version']}",
        f"/-/readouts/version/{ids['hostile_version']}?layout=side",
        f"/-/readouts/citation/{ids['hostile_citation']}",
        f"/-/readouts/document/{ids['readout']}",
        f"/-/readouts/document/{ids['whitehouse']}",
        f"/-/readouts/counterparts/{ids['hostile_counterpart']}",
        f"/-/readouts/counterparts/{ids['hostile_counterpart']}?left={ids['hostile']}",
        f"/-/readouts/citation/{ids['reported_citation']}",
        "/archive/counterparts",
        "/archive/counterpart_readouts",
        f"/archive/document_history?document={ids['hostile']}",
        "/archive/documents",
        "/archive/versions",
        f"/archive/documents/{ids['hostile']}",
        "/archive/recent_flags",
        "/archive/edited_readouts",
        "/archive/search_readouts?words=alert",
        "/archive/versions?_search=alert",
        "/archive/sources",
        "/archive/flags_feed.atom",
    ]


def test_hostile_title_and_text_render_only_escaped(web, ids):
    for path in hostile_pages(ids):
        response = web.get(path)
        assert response.status_code == 200, path
        for raw in UNESCAPED:
            assert raw not in response.text, f"{path} renders {raw!r} unescaped"
    html = web.get(f"/-/readouts/version/{ids['hostile_version']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=alert(1)&gt;frank&lt;/b&gt;" in html


def test_search_of_hostile_text_escapes_the_snippet(web):
    html = web.get("/archive/search_readouts?words=alert").text
    assert "<mark>alert</mark>" in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>", "vbscript:x"]
)
def test_links_are_made_only_for_http_addresses(url):
    assert "href" not in external_link(url) and "<script>" not in external_link(url)
    assert 'href="https://example.org/a?b=&lt;x&gt;"' in external_link(
        "https://example.org/a?b=<x>"
    )


def test_snippet_and_passages_escape_text_around_marks():
    assert str(highlight_snippet("<i>\x02x\x03</i>\x03")) == "&lt;i&gt;<mark>x</mark>&lt;/i&gt;"
    html = str(highlight_passages("a <b>quote</b>\nnext", [Passage(2, 14, 1, '"><script>')], "a"))
    assert "<script>" not in html and "&lt;b&gt;quote&lt;/b&gt;" in html
    assert 'class="ro-quote ro-current"' in html
