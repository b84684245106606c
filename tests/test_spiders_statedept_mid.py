"""The State Department spider (WordPress, narrowed to readouts) and the Russian MFA spider."""

from __future__ import annotations

import json

from conftest import query
from spider_sites import crawler, documents, fetch_outcomes, render
from test_spiders_wordpress import api_post, slug_path

from readouts.demo.server import Resource

STATE_POSTS = [
    ("secretary-rubios-call-with-japanese-foreign-minister-iwaya", "Secretary Rubio’s Call with Japanese Foreign Minister Iwaya",
     ["The following is attributable to Spokesperson Tammy Bruce:", "Secretary Rubio spoke today with Japanese Foreign Minister Iwaya."]),
    ("readout-of-the-secretarys-meeting-with-nato-secretary-general", "Readout of the Secretary’s Meeting with NATO Secretary General Rutte",
     ["Secretary Rubio met with NATO Secretary General Mark Rutte in Washington."]),
    ("travel-advisory-update-mali", "Travel Advisory Update: Mali", ["Do not travel to Mali."]),
    ("secretary-rubios-call-with-broken-markup", "", ["A readout whose title went missing."]),
]  # fmt: skip


def serve_state(server) -> list[dict]:
    posts = [
        api_post(server.url("/state"), slug, "2026-08-20T15:00:00", title, paras)
        for slug, title, paras in STATE_POSTS
    ]
    posts[3]["title"]["rendered"] = "Secretary Rubio’s Call with Someone"  # listing shows a title
    server.set(
        "/state/wp-json/wp/v2/posts", Resource(json.dumps(posts), content_type="application/json")
    )
    for post in posts:
        answer = dict(post, title={"rendered": ""}) if post is posts[3] else post
        server.set(
            slug_path("/state", post["slug"]),
            Resource(json.dumps([answer]), content_type="application/json"),
        )
    return posts  # fmt: skip


def test_statedept_keeps_readouts_only_and_a_post_gone_from_the_api_is_removed(
    server, db_path, tmp_path
):
    posts = serve_state(server)
    readouts = crawler(
        tmp_path,
        db_path,
        f'[sources.statedept]\nkind = "readout"\nspider = "statedept"\n'
        f'base_url = "{server.url("/state")}"\ndelay = 0\n',
    )
    result = readouts("crawl", "statedept")
    assert result.returncode == 1, result.stdout + result.stderr  # the post without a title
    assert sorted(documents(db_path)) == sorted(p["link"] for p in posts[:2])
    assert not [r for r in server.requests if "travel-advisory" in r.path]
    assert list(fetch_outcomes(db_path).values()).count("parse_error") == 1

    # The API stops returning the first readout: two re-checks later it is removed.
    server.set(
        slug_path("/state", posts[0]["slug"]), Resource("[]", content_type="application/json")
    )
    for _ in range(2):
        readouts("crawl", "statedept", "--recheck")
    status = query(db_path, "SELECT url, status FROM documents ORDER BY url")
    assert {r["url"]: r["status"] for r in status} == {
        posts[0]["link"]: "removed",
        posts[1]["link"]: "live",
    }


MID_ITEMS = {  # id: (date, Russian title)
    "2040101": ("13.08.2026", "О телефонном разговоре Министра иностранных дел России С.В.Лаврова с Министром иностранных дел Турции"),
    "2040050": ("12.08.2026", "О встрече С.В.Лаврова с Послом Индии"),
    "2039900": ("01.08.2026", "О консультациях по Ближнему Востоку"),
    "2039800": ("31.07.2026", "Комментарий Департамента информации и печати"),
}  # fmt: skip
MID_BODY = [
    "13 августа состоялся телефонный разговор Министра иностранных дел России С.В.Лаврова с Министром иностранных дел Турции.",
    "Министры обсудили перспективы урегулирования на Ближнем Востоке.",
]  # fmt: skip


def serve_mid(server) -> None:
    def entry(lang, item_id):
        day, title = MID_ITEMS[item_id]
        return f'<li><span class="date">{day}</span> <a href="/{lang}/foreign_policy/news/{item_id}/">{title}</a></li>'

    news = "/ru/foreign_policy/news/"
    pages = [["2040101", "2040050"], ["2039900", "2039800"]]
    for number, ids in enumerate(pages, start=1):
        pager = f'<a href="{news}?PAGEN_1={number + 1}">Далее</a>' if number < len(pages) else ""
        html = render(
            "mid/listing.html",
            lang="ru",
            entries="\n".join(entry("ru", i) for i in ids),
            pager=pager,
        )
        server.set(news if number == 1 else f"{news}?PAGEN_1={number}", html)
    for item_id, (day, title) in MID_ITEMS.items():
        page = render(
            "mid/item.html",
            lang="ru",
            title=title,
            date=day,
            body="\n".join(f"<p>{p}</p>" for p in MID_BODY),
        )
        if item_id == "2039900":  # markup changed: no body where the selectors expect it
            page = page.replace('class="text article-content"', 'class="content-body"')
        server.set(f"{news}{item_id}/", page)
    server.set(
        "/en/foreign_policy/news/",
        render("mid/listing.html", lang="en", entries=entry("en", "2040101"), pager=""),
    )
    server.set("/en/foreign_policy/news/2040101/", render(
        "mid/item.html", lang="en", title="Foreign Minister Sergey Lavrov’s telephone conversation with Foreign Minister of Türkiye",
        date="13.08.2026", body="<p>On August 13, Sergey Lavrov had a telephone conversation with Hakan Fidan.</p>"))  # fmt: skip


def mid_sources(server) -> str:
    return "".join(
        f'[sources.mid-{lang}]\nkind = "readout"\nspider = "mid"\nbase_url = "{server.base_url}"\n'
        f'language = "{lang}"\ndelay = 0\nmonitor_pages = 3\n'
        for lang in ("ru", "en")
    )


def test_mid_monitor_reads_both_languages_and_fails_loudly_on_changed_markup(
    server, db_path, tmp_path
):
    serve_mid(server)
    readouts = crawler(tmp_path, db_path, mid_sources(server))
    result = readouts("crawl", "mid-ru", "mid-en")
    assert result.returncode == 1, result.stdout + result.stderr
    docs = documents(db_path)
    base = server.base_url
    ru = docs[f"{base}/ru/foreign_policy/news/2040101/"]
    assert ru["text"].split("\n") == MID_BODY
    assert (ru["published_at"], ru["language"]) == ("2026-08-13", "ru")
    assert "Поделиться" not in ru["text"]
    en = docs[f"{base}/en/foreign_policy/news/2040101/"]
    assert (en["published_at"], en["language"]) == ("2026-08-13", "en")
    assert len(docs) == 4  # 3 of 4 Russian items (one broken) and the English one
    assert fetch_outcomes(db_path, 1)[f"{base}/ru/foreign_policy/news/2039900/"] == "parse_error"


def test_mid_backfill_stops_paging_past_since_and_skips_out_of_range_items(
    server, db_path, tmp_path
):
    serve_mid(server)
    readouts = crawler(tmp_path, db_path, mid_sources(server))
    result = readouts("crawl", "mid-ru", "--since", "2026-08-12", "--until", "2026-08-12")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(documents(db_path)) == [f"{server.base_url}/ru/foreign_policy/news/2040050/"]
    assert server.requests_for("/ru/foreign_policy/news/2040101/") == []
    assert server.requests_for("/ru/foreign_policy/news/?PAGEN_1=2")
    assert server.requests_for("/ru/foreign_policy/news/2039800/") == []
