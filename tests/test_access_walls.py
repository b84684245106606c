"""Access walls — captchas, bot challenges, maintenance pages — are transient failures: a
re-check that meets one stores no version and raises no flag, and a wall is never a document's
first version. Real crawls through the CLI against a site on 127.0.0.1."""

from __future__ import annotations

import pytest
from conftest import Readouts, query
from scrapy.http import HtmlResponse

from crawler.effective_status import access_wall, wall_redirect
from readouts.demo.server import Resource, SiteServer

PARAGRAPHS = "".join(
    f"<p>The ministers discussed the grain corridor and the safety of shipping, point {k}.</p>"
    for k in range(8)
)


def readout(title: str, paragraphs: str = PARAGRAPHS) -> str:
    return (
        f"<html lang='en'><head><title>{title} | Ministry</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© Ministry</footer></body></html>"
    )


def page(title: str, heading: str, text: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<div><h1>{heading}</h1><p>{text}</p></div></body></html>"
    )


YANDEX = page(
    "Вы не робот?",
    "Подтвердите, что вы не робот",
    "Мы зафиксировали подозрительный трафик из вашей сети. Введите символы с картинки.",
)
# No wall heading at all: told by its text, as the page is very short.
YANDEX_OOPS = (
    "<html><head><title>Ой!</title><script>var key = 'x';</script></head><body>"
    "<p>Подтвердите, что запросы отправляли вы, а не робот.</p><form><input name='rep'></form>"
    "</body></html>"
)
WALLS = {
    "/news/2": page(
        "Just a moment...",
        "Checking your browser before accessing the site.",
        "This process is automatic. Your browser will redirect to your requested content shortly.",
    ),
    "/news/3": page(
        "Attention Required! | Cloudflare",
        "Sorry, you have been blocked",
        "You are unable to access this site.",
    ),
    "/news/4": readout("Технические работы").replace(
        PARAGRAPHS, "<p>На сайте проводятся плановые технические работы. Зайдите позже.</p>"
    ),
    "/news/5": page("Сайт временно недоступен", "Сайт временно недоступен", "Зайдите позже."),
    "/news/6": page("Under maintenance", "We'll be back soon", "Thank you for your patience."),
    "/news/7": page("Service temporarily unavailable", "Sorry", "Please try again later."),
}
WALLED = ["/news/1", *WALLS, "/news/8"]
# Genuine readouts that mention captchas and maintenance work, in their titles and texts.
GENUINE = {
    "/news/30": readout(
        "Технические работы на Крымском мосту завершены",
        PARAGRAPHS
        + "<p>Министр отметил, что технические работы прошли по графику, а сайт ведомства, "
        "где посетителей просили «Подтвердите, что вы не робот», снова работает без captcha.</p>",
    ),
    "/news/31": readout(
        "Just a moment of silence for the victims",
        PARAGRAPHS + "<p>He said the portal was under maintenance and asked users to verify "
        "they are human with a captcha; the site is temporarily unavailable no more.</p>",
    ),
}


def redirect(location: str) -> Resource:
    return Resource("", status=302, headers={"Location": location}, conditional=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Crawl 1: the readouts live, /news/20 already behind a wall. Crawl 2 (re-check): every
    walled page serves a wall. Crawl 3 (re-check): every page is back."""
    tmp = tmp_path_factory.mktemp("walls")
    with SiteServer() as server:
        real = {path: readout(f"Readout {path[6:]}") for path in [*WALLED, "/news/20"]}
        server.set("/news", "".join(f'<a href="{p}">x</a>' for p in [*real, *GENUINE]))
        for path, html in {**real, **GENUINE}.items():
            server.set(path, html)
        server.set("/showcaptcha", YANDEX)
        server.set("/check", YANDEX_OOPS)
        server.set("/news/20", WALLS["/news/2"])
        sources = tmp / "sources.toml"
        sources.write_text(
            f'[sources.site]\nkind = "readout"\nspider = "generic"\n'
            f'start_urls = ["{server.url("/news")}"]\nitem_pattern = "/news/\\\\d+$"\ndelay = 0\n',
            encoding="utf-8",
        )
        readouts = Readouts(tmp / "archive.db", sources)
        crawls = [readouts("crawl", "site")]
        server.set("/news/1", redirect("/showcaptcha?retpath=%2Fnews%2F1"))
        for path, html in WALLS.items():
            server.set(path, html)
        server.set("/news/8", redirect("/check?retpath=%2Fnews%2F8"))
        crawls.append(readouts("crawl", "site", "--recheck"))
        for path, html in real.items():
            server.set(path, html)
        crawls.append(readouts("crawl", "site", "--recheck"))
        yield readouts, server, crawls


def fetches(readouts, server, path, run_id):
    return query(
        readouts.db_path,
        "SELECT status, outcome, error FROM fetches WHERE url = ? AND run_id = ?",
        [server.url(path), run_id],
    )


def versions(readouts, server, path):
    return query(
        readouts.db_path,
        "SELECT v.title, v.text, d.status FROM versions v JOIN documents d ON d.id = v.document_id"
        " WHERE d.url = ? ORDER BY v.version",
        [server.url(path)],
    )


@pytest.mark.parametrize("path", WALLED)
def test_a_wall_on_recheck_stores_no_version_and_changes_no_status(site, path):
    readouts, server, _ = site
    assert [(v["title"], v["status"]) for v in versions(readouts, server, path)] == [
        (f"Readout {path[6:]}", "live")
    ]


@pytest.mark.parametrize("path", WALLED)
def test_a_wall_is_logged_as_a_failed_fetch_saying_access_wall(site, path):
    readouts, server, _ = site
    # /news/8 is followed to a captcha at an address not known for one: that fetch fails.
    fetched = "/check?retpath=%2Fnews%2F8" if path == "/news/8" else path
    [fetch] = fetches(readouts, server, fetched, 2)
    assert fetch["outcome"] == "failed" and fetch["error"].startswith("access wall: "), fetch


def test_a_redirect_to_a_captcha_fails_without_fetching_the_captcha(site):
    readouts, server, _ = site
    assert fetches(readouts, server, "/news/1", 2) == [
        {
            "status": 302,
            "outcome": "failed",
            "error": "access wall: redirected to a challenge page "
            f"({server.url('/showcaptcha?retpath=%2Fnews%2F1')})",
        }
    ]
    assert server.requests_for("/showcaptcha?retpath=%2Fnews%2F1") == []


def test_a_run_meeting_walls_ends_with_errors_like_other_transient_failures(site):
    readouts, _, crawls = site
    assert [c.returncode for c in crawls] == [1, 1, 0], [c.stdout + c.stderr for c in crawls]
    outcomes = query(readouts.db_path, "SELECT outcome FROM runs ORDER BY id")
    assert [r["outcome"] for r in outcomes] == ["errors", "errors", "ok"]


def test_walls_and_the_real_pages_coming_back_raise_no_flag_but_new_readouts(site):
    readouts, server, _ = site
    flags = query(
        readouts.db_path,
        "SELECT f.kind, d.url FROM flags f JOIN documents d ON d.id = f.document_id",
    )
    assert {f["kind"] for f in flags} == {"new_readout"}
    assert len(flags) == len(WALLED) + len(GENUINE) + 1


def test_a_wall_is_never_a_first_version(site):
    readouts, server, _ = site
    assert fetches(readouts, server, "/news/20", 1) == [
        {"status": 200, "outcome": "failed", "error": "access wall: 'Just a moment...'"}
    ]
    assert [v["title"] for v in versions(readouts, server, "/news/20")] == ["Readout 20"]


@pytest.mark.parametrize("path", GENUINE)
def test_a_readout_mentioning_captchas_and_maintenance_is_stored(site, path):
    readouts, server, _ = site
    [stored] = versions(readouts, server, path)
    assert "captcha" in stored["text"] and stored["title"] in GENUINE[path]


@pytest.mark.parametrize(
    "title, wall",
    [
        ("Just a moment...", True),
        ("Attention Required! | Cloudflare", True),
        ("Технические работы | Министерство", True),
        ("Сайт временно недоступен", True),
        ("Site under maintenance", True),
        ("Service temporarily unavailable", True),
        ("Подтвердите, что вы не робот", True),
        ("Технические работы на Крымском мосту завершены", False),
        ("Just a moment of silence for the victims", False),
        ("On the maintenance of peace in the region | Ministry", False),
        ("Access denied – statement on the blocking of Russian media", False),
        ("Доступ ограничен: заявление МИД о блокировке российских СМИ | МИД России", False),
    ],
)
def test_a_wall_is_told_by_its_whole_title_not_by_its_words(title, wall):
    long_text = "<p>The talks went on.</p>" * 60
    html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{long_text}</body>"
    response = HtmlResponse("http://127.0.0.1/news/1", body=html.encode(), encoding="utf-8")
    assert (access_wall(response) is not None) == wall


@pytest.mark.parametrize(
    "target, wall",
    [
        ("https://example.org/showcaptcha?retpath=%2Fnews%2F1", True),
        ("https://example.org/captcha/", True),
        ("https://example.org/cdn-cgi/challenge-platform/h/b/orchestrate", True),
        ("https://example.org/maintenance.html", True),
        ("https://example.org/news/captcha-fraud-ring-uncovered", False),
        ("https://example.org/news/2024/road-maintenance-plan", False),
    ],
)
def test_a_redirect_to_a_challenge_page_is_a_wall_not_a_move(target, wall):
    assert (wall_redirect(target) is not None) == wall


@pytest.mark.parametrize(
    "body, wall",
    [
        ("<p>Checking your browser before accessing the site.</p>", True),
        ("<p>Подтвердите, что вы не робот</p>", True),
        ("<p>На сайте проводятся плановые технические работы.</p>", True),
        ("<h1>Consular section</h1><p>The visa service is temporarily unavailable.</p>", False),
        (
            "<h1>Объявление</h1><p>На сайте консульства проводятся плановые технические работы.</p>",
            False,
        ),
    ],
)
def test_a_short_page_is_a_wall_by_what_it_says_unless_a_notice_with_its_own_heading(body, wall):
    html = f"<html><head><title>Embassy</title></head><body>{body}</body></html>"
    response = HtmlResponse("http://127.0.0.1/news/1", body=html.encode(), encoding="utf-8")
    assert (access_wall(response) is not None) == wall
