"""The WordPress spider on three local sites: one with the REST API, one with only a feed,
one with only HTML listings (theduran.com's markup)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from spider_sites import crawler, documents, fetch_outcomes, render

from crawler.spiders.wordpress import API_FIELDS
from readouts.demo.server import Resource

READOUT = "http://en.kremlin.ru/events/president/news/70003"
ADS = (
    '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-1"></ins>'
    "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>"
    "<style>@media (max-width: 600px) { .adsbygoogle { display: none; } }</style>"
    '<div class="code-block code-block-2">Advertisement: cheap watches</div>'
)
POSTS = [  # slug, date_gmt, title, paragraphs
    ("putin-macron-call-what-was-not-said", "2026-08-12T18:00:00", "Putin–Macron call: what was not said",
     ["The Kremlin readout says the two leaders discussed “the root causes” of the conflict.",
      "Paris, for its part, published a shorter account."]),
    ("modi-in-moscow", "2026-08-11T09:30:00", "Modi in Moscow &#8211; a quiet visit",
     ["The Indian Prime Minister held talks in the Kremlin.", "Trade in national currencies was on the agenda."]),
    ("summer-diplomacy", "2026-07-20T12:00:00", "Summer diplomacy", ["A slow month for telephone diplomacy."]),
]  # fmt: skip


def content(paragraphs: list[str]) -> str:
    first, *rest = paragraphs
    return (
        f'<p>{first} <a href="{READOUT}">Read the readout</a>.</p>'
        + ADS
        + "".join(f"<p>{p}</p>" for p in rest)
    )


def api_post(base: str, slug: str, date: str, title: str, paragraphs: list[str]) -> dict:
    return {
        "id": abs(hash(slug)) % 10000,
        "slug": slug,
        "link": f"{base}/{slug}/",
        "date_gmt": date,
        "modified_gmt": date,
        "title": {"rendered": title},
        "content": {"rendered": content(paragraphs) if paragraphs else ""},
    }


def slug_path(prefix: str, slug: str) -> str:
    query = urlencode({"slug": slug, "_fields": API_FIELDS}, quote_via=quote)
    return f"{prefix}/wp-json/wp/v2/posts?{query}"


def serve_api_site(server, prefix="/api-site") -> None:
    base = server.url(prefix)
    posts = [api_post(base, *post) for post in POSTS]
    posts.insert(1, api_post(base, "broken-post", "2026-08-11T20:00:00", "Broken post", []))
    listing = [{k: p[k] for k in ("id", "slug", "link", "date_gmt", "title")} for p in posts]
    server.set(
        f"{prefix}/wp-json/wp/v2/posts",
        Resource(json.dumps(listing), content_type="application/json; charset=UTF-8",
                 headers={"X-WP-TotalPages": "1"}),
    )  # fmt: skip
    for post in posts:
        server.set(
            slug_path(prefix, post["slug"]),
            Resource(json.dumps([post]), content_type="application/json; charset=UTF-8"),
        )


def html_post(slug: str, date: str, title: str, paragraphs: list[str]) -> str:
    return render(
        "wordpress/post.html",
        title=title,
        date=date + "+00:00",
        date_text=date[:10],
        author="Alex Christoforou",
        author_slug="alex",
        body=content(paragraphs),
    )


def serve_feed_site(server, prefix="/feed-site") -> None:
    slug, date, title, paragraphs = POSTS[0]
    item = (
        f"<item><title>{title}</title><link>{server.url(prefix)}/{slug}/</link>"
        "<pubDate>Wed, 12 Aug 2026 18:00:00 +0000</pubDate></item>"
    )
    feed = render("wordpress/feed.xml", site=server.url(prefix), items=item)
    server.set(f"{prefix}/feed/", Resource(feed, content_type="application/rss+xml; charset=UTF-8"))
    server.set(f"{prefix}/{slug}/", html_post(slug, date, title, paragraphs))


def serve_html_site(server, prefix="/html-site") -> None:
    entries = "".join(
        f'<article><h2 class="entry-title"><a href="{prefix}/{slug}/">{title}</a></h2></article>'
        for slug, _, title, _ in POSTS[1:]
    )
    server.set(f"{prefix}/", render("wordpress/listing.html", entries=entries, pager=""))
    for post in POSTS[1:]:
        server.set(f"{prefix}/{post[0]}/", html_post(*post))


def sources(server) -> str:
    return "".join(
        f"""
[sources.{name}]
kind = "commentary"
spider = "wordpress"
base_url = "{server.url("/" + name)}"
delay = 0
"""
        for name in ("api-site", "feed-site", "html-site")
    )


def test_wordpress_api_feed_and_html_sites_store_clean_text_links_and_dates(
    server, db_path, tmp_path
):
    serve_api_site(server)
    serve_feed_site(server)
    serve_html_site(server)
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "api-site", "feed-site", "html-site")
    assert result.returncode == 1, result.stdout + result.stderr
    docs = documents(db_path)
    base = server.base_url
    assert sorted(docs) == sorted(
        [f"{base}/api-site/{slug}/" for slug, *_ in POSTS]
        + [f"{base}/feed-site/{POSTS[0][0]}/"]
        + [f"{base}/html-site/{slug}/" for slug, *_ in POSTS[1:]]
    )
    for url, doc in docs.items():
        for leaked in ("adsbygoogle", "@media", "cheap watches", "push({})", "Latest news"):
            assert leaked not in doc["text"], (url, leaked)
        assert json.loads(doc["metadata"])["links"] == [READOUT], url
    api = docs[f"{base}/api-site/putin-macron-call-what-was-not-said/"]
    assert api["text"].split("\n") == [
        "The Kremlin readout says the two leaders discussed “the root causes” of the conflict."
        " Read the readout.",
        "Paris, for its part, published a shorter account.",
    ]
    assert api["published_at"] == "2026-08-12T18:00:00+00:00"
    assert docs[f"{base}/api-site/modi-in-moscow/"]["title"] == "Modi in Moscow – a quiet visit"
    # The same post read from its HTML page (feed site) gives the same text and date.
    feed = docs[f"{base}/feed-site/putin-macron-call-what-was-not-said/"]
    assert (feed["text"], feed["published_at"]) == (api["text"], api["published_at"])
    html = docs[f"{base}/html-site/modi-in-moscow/"]
    assert json.loads(html["metadata"])["author"] == "Alex Christoforou"
    # A post without text is a loud parse error, never an empty version; the fetch log names
    # the URL requested (the API's).
    broken = server.url(slug_path("/api-site", "broken-post"))
    assert fetch_outcomes(db_path, 1)[broken] == "parse_error"
    assert f"{base}/api-site/broken-post/" not in docs

    # Monitor again: the listing holds only known items, so only the broken one is retried.
    before = len(server.requests)
    readouts("crawl", "api-site")
    assert fetch_outcomes(db_path) == {broken: "parse_error"}
    assert len(server.requests) - before == 3  # robots.txt, the listing, the broken post


def test_wordpress_backfill_asks_the_api_for_its_range_and_skips_posts_outside_it(
    server, db_path, tmp_path
):
    serve_api_site(server)
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "api-site", "--since", "2026-08-12", "--until", "2026-08-31")
    assert result.returncode == 0, result.stdout + result.stderr
    listing = [r.path for r in server.requests if "per_page" in r.path]
    assert len(listing) == 1
    assert "after=2026-08-12T00%3A00%3A00" in listing[0]
    assert "before=2026-08-31T23%3A59%3A59" in listing[0]
    assert list(documents(db_path)) == [
        f"{server.base_url}/api-site/putin-macron-call-what-was-not-said/"
    ]
    assert [r for r in server.requests if "slug=" in r.path and "putin" not in r.path] == []


def test_atom_feeds_give_entries_as_rss_feeds_do():
    from scrapy.http import XmlResponse

    from crawler.spiders.wordpress import _feed_entries

    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>Readout of the &amp; Call</title><link href="https://example.org/a/"/>
<updated>2026-08-12T14:30:00+02:00</updated></entry>
<entry><title>No link</title></entry></feed>"""
    response = XmlResponse("https://example.org/feed/", body=atom, encoding="utf-8")
    assert [(e.url, e.published_at, e.title) for e in _feed_entries(response)] == [
        ("https://example.org/a/", "2026-08-12T12:30:00+00:00", "Readout of the & Call")
    ]
    page = XmlResponse("https://example.org/feed/", body=b"<html><p>no feed</p></html>")
    assert _feed_entries(page) == []
