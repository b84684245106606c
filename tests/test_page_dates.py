"""The generic spider's publication dates: what the page states, never a date made up from its
footer's copyright line or a number in a URL."""

from __future__ import annotations

import pytest
from conftest import Readouts, query

from crawler.extraction import extract_article

FOOTERS = {
    "symbol": "© 2024 Office of the President",
    "range": "© 2010–2026 Office of the President",
    "none": "All rights reserved.",
    "word": "Copyright 2019 Office of the President",
}


def page(title: str, footer: str = "", head: str = "", under_title: str = "", above: str = ""):
    paragraphs = "".join(
        f"<p>The Press Secretary stated that the government continues to monitor the situation"
        f" closely, point {k}, and will respond in due course.</p>"
        for k in range(1, 5)
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title}</title>{head}</head><body>'
        f'<nav><a href="/">Home</a> <a href="/news/">News</a></nav>{above}'
        f'<div class="content"><h1>{title}</h1>{under_title}{paragraphs}</div>'
        f"<footer>{footer}</footer></body></html>"
    )


def published_at(html: str) -> str | None:
    return extract_article(html, "http://127.0.0.1/news/1").published_at


@pytest.mark.parametrize("footer", FOOTERS.values(), ids=FOOTERS)
def test_page_stating_no_date_has_none_whatever_its_copyright_line_says(footer):
    assert published_at(page("Statement by the Press Secretary", footer)) is None


def test_a_year_in_a_namespace_url_is_not_a_date():
    # EDGI's truepos-image-removal page: "…/2000/01/rdf-schema#" once gave 2000-01-01.
    html = page("Statement", "© 2017").replace(
        "<html ", '<html prefix="rdfs: http://www.w3.org/2000/01/rdf-schema#" '
    )
    assert published_at(html) is None


@pytest.mark.parametrize(
    "dateline, day",
    [
        ("25 апреля 2024 года, 14:30", "2024-04-25"),
        ("April 15, 2024", "2024-04-15"),
        ("05.04.2024", "2024-04-05"),
        ("1 января 2024 года", "2024-01-01"),  # a 1 January the page states is kept
    ],
)
@pytest.mark.parametrize("heading", ["h1", "h2", "b"])
def test_a_dateline_under_the_title_is_the_date_whatever_tag_holds_the_title(
    dateline, day, heading
):
    html = page("Meeting", FOOTERS["symbol"], under_title=f'<div class="date">{dateline}</div>')
    html = html.replace("<h1>Meeting</h1>", f"<{heading}>Meeting</{heading}>")
    assert published_at(html) == day


def test_a_today_widget_under_a_logo_heading_is_not_the_date():
    """A site whose first <h1> is its logo, with today's date under it: the article's own
    dateline is the date (a "today" date changes every day, a false edit each time)."""
    html = page(
        "Meeting",
        FOOTERS["symbol"],
        above='<h1 class="logo">Министерство</h1><div class="today">30 ноября 2026 г.</div>',
        under_title='<div class="date">12 апреля 2024 года</div>',
    ).replace("<h1>Meeting</h1>", "<h2>Meeting</h2>")
    assert published_at(html) == "2024-04-12"


def test_page_markup_outranks_its_text():
    head = '<meta property="article:published_time" content="2024-02-01T09:00:00+01:00">'
    html = page("Meeting", FOOTERS["symbol"], head, under_title="<p>25 апреля 2024 года</p>")
    assert published_at(html) == "2024-02-01T09:00:00+01:00"


@pytest.fixture
def undated_site(server, tmp_path) -> Readouts:
    """Four statements with no date but a footer's, and a listing of them."""
    for number, footer in enumerate(FOOTERS.values(), start=1):
        server.set(f"/news/{number}", page(f"Statement by the Press Secretary {number}", footer))
    links = "".join(f'<a href="/news/{n}">{n}</a>' for n in range(1, len(FOOTERS) + 1))
    server.set("/news/", f"<html><body>{links}</body></html>")
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.undated]\nkind = "readout"\nspider = "generic"\n'
        f'start_urls = ["{server.url("/news/")}"]\nitem_pattern = "/news/\\\\d+$"\ndelay = 0\n',
        encoding="utf-8",
    )
    return Readouts(tmp_path / "archive.db", sources)


def test_crawl_stores_no_date_for_pages_that_state_none(undated_site):
    result = undated_site("crawl", "undated")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = query(undated_site.db_path, "SELECT url, published_at FROM documents")
    assert len(rows) == len(FOOTERS)
    assert {row["published_at"] for row in rows} == {None}


def test_backfill_keeps_undated_pages_whatever_the_range(undated_site):
    """A page whose date is unknown is not out of any range (docs/spiders.md): the 2025-2026
    backfill stores all four, where made-up footer dates (2024, 2010, 2019) dropped three."""
    result = undated_site("crawl", "undated", "--since", "2025-01-01", "--until", "2026-12-31")
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = query(
        undated_site.db_path, "SELECT outcome FROM fetches WHERE url LIKE '%/news/_' ORDER BY url"
    )
    assert [row["outcome"] for row in outcomes] == ["new"] * len(FOOTERS)
