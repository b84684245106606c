"""The Kremlin spider on Kremlin-style pages served on 127.0.0.1 (English under /en, Russian under /ru)."""

from __future__ import annotations

import json

from conftest import query
from spider_sites import crawler, documents, fetch_outcomes, render

NBSP = "\u00a0"
EVENTS = {  # id: (date, time, English title, Russian title)
    "70003": ("2026-08-12", "16:30", "Telephone conversation with President of France Emmanuel Macron", "Телефонный разговор с Президентом Франции Эммануэлем Макроном"),
    "70002": ("2026-08-11", "11:05", "Meeting with Prime Minister of India Narendra Modi", "Встреча с Премьер-министром Индии Нарендрой Моди"),
    "70001": ("2026-08-10", "19:40", "Telephone conversation with President of Turkey", "Телефонный разговор с Президентом Турции"),
    "69999": ("2026-07-01", "10:00", "Meeting with Government members", "Совещание с членами Правительства"),
}  # fmt: skip
LEAD = {
    "en": "Vladimir Putin had a telephone conversation at the initiative of the French side.",
    "ru": "Состоялся телефонный разговор Владимира Путина с Президентом Франции.",
}
BODY = {
    "en": [
        f"The two leaders discussed the situation in{NBSP}view of{NBSP}the recent talks in Istanbul.",
        "The President of Russia stressed that a settlement is only possible if the root causes are addressed.",
    ],
    "ru": [
        f"Обсуждена ситуация в{NBSP}свете недавних переговоров в{NBSP}Стамбуле.",
        "Президент России подчеркнул, что урегулирование возможно лишь при устранении первопричин.",
    ],
}
LABELS = {
    "en": ("Topics", "Persons", "Foreign policy"),
    "ru": ("Темы", "Персоны", "Внешняя политика"),
}


def item_page(lang: str, item_id: str, *, broken: bool = False) -> str:
    day, clock, title_en, title_ru = EVENTS[item_id]
    body = "\n".join(f"    <p>{p}</p>" for p in BODY[lang])
    body += '\n    <p>Earlier: <a href="/events/president/news/69990">the previous call</a>.</p>'
    topics, persons, tag = LABELS[lang]
    page = render(
        "kremlin/item.html",
        lang=lang,
        title=title_en if lang == "en" else title_ru,
        title_suffix="" if lang == "en" else " • Президент России",
        date=day,
        date_text=day,
        time=clock,
        place="Novo-Ogaryovo" if lang == "en" else "Ново-Огарёво",
        lead=LEAD[lang],
        body=body,
        topics_label=topics,
        persons_label=persons,
        tag=tag,
        person="Macron Emmanuel" if lang == "en" else "Макрон Эммануэль",
        canonical=f"http://{'en.' if lang == 'en' else ''}kremlin.ru/events/president/news/{item_id}",
    )
    if broken:  # the site changed its markup: the selectors find no title
        page = page.replace('class="entry-title p-name"', 'class="article-heading"')
    return page


def listing_page(lang: str, ids: list[str], next_page: str | None, prefix: str) -> str:
    entries = "\n".join(
        render(
            "kremlin/entry.html",
            id=item_id,
            href=f"{prefix}/events/president/news/{item_id}",
            title=EVENTS[item_id][2 if lang == "en" else 3],
            date=EVENTS[item_id][0],
            date_text=EVENTS[item_id][0],
        )
        for item_id in ids
    )
    pager = f'<a href="{next_page}">Earlier</a>' if next_page else ""
    return render("kremlin/listing.html", lang=lang, heading="News", entries=entries, pager=pager)


def serve_kremlin(server, *, broken: str = "69999") -> None:
    for lang in ("en", "ru"):
        prefix = f"/{lang}"
        news = f"{prefix}/events/president/news"
        server.set(news, listing_page(lang, ["70003", "70002"], f"{news}/page/2", prefix))
        server.set(
            f"{news}/page/2", listing_page(lang, ["70001", "69999"], f"{news}/page/3", prefix)
        )
        server.set(f"{news}/page/3", listing_page(lang, [], None, prefix))
        server.set(
            f"{prefix}/events/president/transcripts", listing_page(lang, ["70001"], None, prefix)
        )
        for item_id in EVENTS:
            server.set(
                f"{news}/{item_id}",
                item_page(lang, item_id, broken=item_id == broken and lang == "en"),
            )


def sources(server) -> str:
    return "".join(
        f"""
[sources.kremlin-{lang}]
kind = "readout"
spider = "kremlin"
base_url = "{server.base_url}/{lang}"
language = "{lang}"
delay = 0
monitor_pages = 2
"""
        for lang in ("en", "ru")
    )


def test_kremlin_monitor_stores_items_with_moscow_time_lead_metadata_and_translations(
    server, db_path, tmp_path
):
    serve_kremlin(server)
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "kremlin-en", "kremlin-ru")
    assert result.returncode == 1, result.stdout + result.stderr  # the broken page is an error
    base = server.base_url
    docs = documents(db_path)
    en = docs[f"{base}/en/events/president/news/70003"]
    assert en["published_at"] == "2026-08-12T16:30:00+03:00"
    assert en["title"] == EVENTS["70003"][2]
    assert en["language"] == "en"
    assert en["text"].split("\n") == [LEAD["en"], *BODY["en"], "Earlier: the previous call."]
    assert f"in{NBSP}view of{NBSP}the" in en["text"], "text is stored as served"
    assert "Topics" not in en["text"] and "Macron Emmanuel" not in en["text"]
    metadata = json.loads(en["metadata"])
    assert metadata["place"] == "Novo-Ogaryovo"
    assert metadata["lead"] == LEAD["en"]
    assert metadata["tags"] == ["Foreign policy"]
    assert metadata["people"] == ["Macron Emmanuel"]
    assert metadata["links"] == [f"{base}/events/president/news/69990"]  # resolved as served
    ru = docs[f"{base}/ru/events/president/news/70003"]
    assert ru["title"] == EVENTS["70003"][3]  # without the page title's " • Президент России"
    assert ru["text"].startswith(LEAD["ru"] + "\n")

    pairs = query(
        db_path,
        "SELECT translation_key, language, translation_language, url, translation_url"
        " FROM translations ORDER BY translation_key",
    )
    assert {p["translation_key"] for p in pairs} == {
        "kremlin:70001",
        "kremlin:70002",
        "kremlin:70003",
    }
    pair = next(p for p in pairs if p["translation_key"] == "kremlin:70003")
    assert {pair["url"], pair["translation_url"]} == {en["url"], ru["url"]}

    # The broken page is a loud parse error, and nothing of it is stored.
    broken = f"{base}/en/events/president/news/69999"
    assert fetch_outcomes(db_path, 1)[broken] == "parse_error"
    assert broken not in docs
    runs = query(db_path, "SELECT source, outcome, parse_errors FROM runs ORDER BY id")
    assert [(r["source"], r["outcome"], r["parse_errors"]) for r in runs] == [
        ("kremlin-en", "errors", 1),
        ("kremlin-ru", "ok", 0),
    ]

    # Monitor again after a new item: page 1 holds known items, but the last run ended with an
    # error (the broken page), so this one walks on to page 2 and tries the broken page again.
    EVENTS["70004"] = (
        "2026-08-13",
        "09:00",
        "Greetings to the participants of a forum",
        "Приветствие участникам форума",
    )
    try:
        server.set(
            "/en/events/president/news",
            listing_page(
                "en", ["70004", "70003", "70002"], "/en/events/president/news/page/2", "/en"
            ),
        )
        server.set("/en/events/president/news/70004", item_page("en", "70004"))
        page_2_before = len(server.requests_for("/en/events/president/news/page/2"))
        readouts("crawl", "kremlin-en")
    finally:
        del EVENTS["70004"]
    assert fetch_outcomes(db_path) == {
        f"{base}/en/events/president/news/70004": "new",
        broken: "parse_error",
    }
    assert len(server.requests_for("/en/events/president/news/page/2")) == page_2_before + 1


def test_kremlin_backfill_fetches_only_items_the_listing_dates_in_range(server, db_path, tmp_path):
    serve_kremlin(server, broken="none")
    readouts = crawler(tmp_path, db_path, sources(server))
    result = readouts("crawl", "kremlin-en", "--since", "2026-08-11", "--until", "2026-08-11")
    assert result.returncode == 0, result.stdout + result.stderr
    item_requests = sorted(
        r.path for r in server.requests if "/news/7" in r.path or "/news/6" in r.path
    )
    assert item_requests == ["/en/events/president/news/70002"]
    assert len(server.requests_for("/en/events/president/news/page/2")) == 1  # went past `since`
    assert server.requests_for("/en/events/president/news/page/3") == []
    assert list(documents(db_path)) == [f"{server.base_url}/en/events/president/news/70002"]
