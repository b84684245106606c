"""The White House spider, all four eras: the 2009–2017 archive from real saved pages, the other
archives from fixtures, the current site through its WordPress API."""

from __future__ import annotations

import json

from conftest import query
from spider_sites import FIXTURES, crawler, documents, fetch_outcomes, render
from test_spiders_wordpress import api_post, slug_path

from readouts.demo.server import Resource

OBAMA_2016 = "/the-press-office/2016/12/24/weekly-address-merry-christmas-president-and-first-lady"
OBAMA_2015 = "/the-press-office/2015/04/11/weekly-address-tuition-free-community-college"
BIDEN = "/briefing-room/statements-releases/2024/03/05/readout-of-president-bidens-call-with-prime-minister-netanyahu-of-israel/"
BIDEN_REMARKS = (
    "/briefing-room/speeches-remarks/2024/03/07/remarks-by-president-biden-on-the-economy/"
)
TRUMP = (
    "/briefings-statements/readout-president-donald-j-trumps-call-president-emmanuel-macron-france/"
)
TRUMP_BROKEN = "/briefings-statements/statement-press-secretary-changed-markup/"
CALL = [
    "President Biden spoke today with Prime Minister Netanyahu of Israel.",
    "The leaders discussed the latest developments in Gaza, including efforts to secure the release of hostages.",
]  # fmt: skip


def listing(links: list[str], next_page: str | None = None) -> str:
    entries = "\n".join(
        f'<li><a href="{link}">{link.rsplit("/", 2)[-2]}</a></li>' for link in links
    )
    pager = f'<a href="{next_page}">Next</a>' if next_page else ""
    return render("whitehouse/listing.html", entries=entries, pager=pager)


def paragraphs(texts: list[str]) -> str:
    return "\n".join(f"<p>{text}</p>" for text in texts)


def serve(server) -> None:
    for path in (OBAMA_2016, OBAMA_2015):
        name = f"obamawh-press-office-{path[18:28].replace('/', '-')}-weekly-address.html"
        server.set("/obama" + path, (FIXTURES / "whitehouse" / name).read_bytes())
    releases = "/obama/briefing-room/statements-and-releases"
    server.set(releases, listing(["/obama" + OBAMA_2016], f"{releases}?page=1"))
    server.set(f"{releases}?page=1", listing(["/obama" + OBAMA_2015]))
    server.set("/obama/briefing-room/speeches-and-remarks", listing(["/obama" + OBAMA_2016]))

    server.set("/biden/briefing-room/statements-releases/", listing(["/biden" + BIDEN]))
    server.set("/biden/briefing-room/speeches-remarks/", listing(["/biden" + BIDEN_REMARKS]))
    for path, title in (
        (BIDEN, "Readout of President Biden’s Call with Prime Minister Netanyahu of Israel"),
        (BIDEN_REMARKS, "Remarks by President Biden on the Economy"),
    ):
        server.set(
            "/biden" + path,
            render(
                "whitehouse/biden-item.html",
                title=title,
                datetime="2024-03-05T16:12:00-05:00",
                date_text="March 5, 2024",
                body=paragraphs(CALL),
            ),
        )

    server.set("/trump/briefings-statements/", listing(["/trump" + TRUMP, "/trump" + TRUMP_BROKEN]))
    trump = render(
        "whitehouse/trump-item.html",
        title="Readout of President Donald J. Trump’s Call with President Emmanuel Macron of France",
        datetime="2020-05-26T18:45:00-04:00",
        date_text="May 26, 2020",
        body=paragraphs(
            ["President Donald J. Trump spoke with President Emmanuel Macron of France."]
        ),
    )
    server.set("/trump" + TRUMP, trump)
    server.set(
        "/trump" + TRUMP_BROKEN, trump.replace("page-content__content editor", "article-body")
    )

    post = api_post(
        server.url("/current/briefings-statements/2026/02"),
        "readout-of-president-trumps-call-with-king-charles",
        "2026-02-10T20:15:00",
        "Readout of President Trump’s Call with King Charles III",
        [
            "President Trump spoke with His Majesty King Charles III.",
            "They discussed the state visit.",
        ],
    )
    server.set(
        "/current/wp-json/wp/v2/posts",
        Resource(json.dumps([post]), content_type="application/json"),
    )
    server.set(
        slug_path("/current", post["slug"]),
        Resource(json.dumps([post]), content_type="application/json"),
    )


def sources(server) -> str:
    return "".join(
        f"""
[sources.wh-{era}]
kind = "readout"
spider = "whitehouse"
base_url = "{server.url("/" + era)}"
variant = "{variant}"
delay = 0
"""
        for era, variant in (
            ("obama", "2009-2017"),
            ("biden", "2021-2025"),
            ("trump", "2017-2021"),
            ("current", "current"),
        )
    )


def test_whitehouse_crawls_every_era_and_fails_loudly_on_changed_markup(server, db_path, tmp_path):
    serve(server)
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "wh-obama", "wh-biden", "wh-trump", "wh-current")
    assert result.returncode == 1, result.stdout + result.stderr
    docs = documents(db_path)
    url = server.url
    assert sorted(docs) == sorted(
        [url("/obama" + OBAMA_2016), url("/obama" + OBAMA_2015), url("/biden" + BIDEN),
         url("/biden" + BIDEN_REMARKS), url("/trump" + TRUMP),
         url("/current/briefings-statements/2026/02/readout-of-president-trumps-call-with-king-charles/")]
    )  # fmt: skip

    obama = docs[url("/obama" + OBAMA_2016)]  # a real saved page
    assert obama["title"] == "WEEKLY ADDRESS: Merry Christmas from the President and the First Lady"
    assert obama["published_at"] == "2016-12-23"  # the page's date, a day before the URL's
    assert obama["text"].startswith(
        "In this week’s address, the President and the First Lady wished all Americans"
    )
    assert "Office of the Press Secretary" not in obama["text"]
    links = json.loads(obama["metadata"])["links"]
    assert "https://obamawhitehouse.archives.gov/joiningforces" in links
    assert docs[url("/obama" + OBAMA_2015)]["published_at"] == "2015-04-11"

    biden = docs[url("/biden" + BIDEN)]
    assert biden["text"].split("\n") == CALL
    assert biden["published_at"] == "2024-03-05T16:12:00-05:00"
    assert "Share on Twitter" not in biden["text"]
    assert docs[url("/trump" + TRUMP)]["published_at"] == "2020-05-26T18:45:00-04:00"
    current = docs[
        url(
            "/current/briefings-statements/2026/02/readout-of-president-trumps-call-with-king-charles/"
        )
    ]
    assert current["text"].startswith("President Trump spoke with His Majesty King Charles III.")

    runs = query(db_path, "SELECT source, outcome, parse_errors FROM runs ORDER BY id")
    assert [(r["source"], r["outcome"], r["parse_errors"]) for r in runs] == [
        ("wh-obama", "ok", 0),
        ("wh-biden", "ok", 0),
        ("wh-trump", "errors", 1),
        ("wh-current", "ok", 0),
    ]
    assert fetch_outcomes(db_path, 3)[url("/trump" + TRUMP_BROKEN)] == "parse_error"


def test_whitehouse_archive_backfill_skips_items_dated_outside_the_range_by_their_url(
    server, db_path, tmp_path
):
    serve(server)
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "wh-obama", "--since", "2016-01-01", "--until", "2016-12-31")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(documents(db_path)) == [server.url("/obama" + OBAMA_2016)]
    assert server.requests_for("/obama/briefing-room/statements-and-releases?page=1")
    assert server.requests_for("/obama" + OBAMA_2015) == []


def test_unknown_variant_is_a_sources_error_naming_the_field(server, db_path, tmp_path):
    readouts = crawler(tmp_path, db_path, sources(server).replace('"2017-2021"', '"2017"'))
    result = readouts("sources")
    assert result.returncode == 2
    assert "source 'wh-trump', field 'variant': unknown variant '2017'" in result.stderr


def test_current_site_and_archives_get_their_own_spider_by_variant_or_host():
    from crawler.spiders import VARIANTS, spider_class
    from crawler.spiders.whitehouse import ARCHIVES, WhiteHouseArchiveSpider, WhiteHouseSpider
    from scheduler.sources import Source

    def source(base_url, variant=None):
        return Source("wh", "readout", "whitehouse", base_url=base_url, variant=variant)

    assert VARIANTS["whitehouse"] == ("current", *ARCHIVES)
    assert spider_class(source("https://www.whitehouse.gov")) is WhiteHouseSpider
    assert spider_class(source("https://obamawhitehouse.archives.gov")) is WhiteHouseArchiveSpider
    assert spider_class(source("http://127.0.0.1:8000", "2017-2021")) is WhiteHouseArchiveSpider
    assert spider_class(source("https://obamawhitehouse.archives.gov", "current")) is (
        WhiteHouseSpider
    )


def test_the_scrapy_project_lists_each_spider_once_under_its_own_name():
    """``scrapy list`` (scrapy.cfg) loads every spider module: two classes with one name made it
    warn on every crawl and leave ``scrapy crawl whitehouse`` ambiguous."""
    import warnings

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = SpiderLoader.from_settings(get_project_settings()).list()
    assert {"whitehouse", "whitehouse-archive"} <= set(names)
    assert len(names) == len(set(names))
