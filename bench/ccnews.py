"""CC-NEWS-like WARC files for the news-scan benchmark, with the truth kept aside.

Each file is what a news crawler writes: a ``warcinfo`` record, then a ``request`` and a
``response`` record per fetch, each record its own gzip member (warcio). Most responses are
news articles in English, Russian, German or French with full page chrome (menus, cookie
banner, sidebar of most-read stories, related articles, footer, the inline scripts and styles
that make a real page ten times longer than its text); some are section fronts, RSS feeds,
images, redirects and 404s, as in a real crawl. Russian pages write ё as е, as most Russian
newsrooms do, and some are served in windows-1251.

About one article in 50 cites a real readout read at run time from
../shared/eval/readout-corpus (never copied into the repository): it quotes one to three
passages (with the journalists' typography — curly or straight quotes, «…» in Russian, „…“ in
German, « … » in French, ellipses for omitted words, [bracketed] insertions, non-breaking
spaces), republishes the readout whole, or links to it from its body. As many again are hard
negatives: they name leaders, quote a readout's title and repeat boilerplate sentences that
dozens of readouts share, and cite nothing. ``truth.json`` says which page cites which readout
(``cites``) and which other readouts hold the same passages word for word (``also``: a match
with those is not an error).

    python bench/ccnews.py OUT_DIR [--pages 6000] [--files 4] [--seed 1] [--readouts 0]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _shared import REPO  # noqa: F401  (puts the repository on sys.path)
from citations_quotes import INTROS, make_quote
from readout_corpus import corpus_dir, documents, load_archive, sentence_spans
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

CITE_RATE = 1 / 50

SITES = {
    "en": [
        ("The Northfield Courier", "www.northfieldcourier.com"),
        ("Harbour City Times", "harbourcitytimes.co.uk"),
        ("Midwest Ledger", "www.midwestledger.com"),
        ("The Pacific Dispatch", "pacificdispatch.com.au"),
        ("Capital Wire", "www.capitalwire.news"),
        ("Eastern Gazette", "www.easterngazette.ie"),
    ],
    "ru": [
        ("Вести региона", "vesti-regiona.ru"),
        ("Городская газета", "www.gorgazeta.ru"),
        ("Новости Поволжья", "povolzhye-news.ru"),
        ("Деловой вестник", "delovoy-vestnik.ru"),
    ],
    "de": [
        ("Rheinische Rundschau", "www.rheinische-rundschau.de"),
        ("Alpenland Zeitung", "alpenland-zeitung.at"),
        ("Nordkurier Online", "www.nordkurier-online.de"),
    ],
    "fr": [
        ("Le Courrier du Sud", "www.courrierdusud.fr"),
        ("La Voix de l'Ouest", "lavoixdelouest.fr"),
        ("Le Matin Romand", "www.lematinromand.ch"),
    ],
}
LANGUAGE_WEIGHTS = {"en": 0.55, "ru": 0.2, "de": 0.15, "fr": 0.1}

# Sentence parts per language; Russian with е for ё (еще, все, ее, ней, актер).
PARTS = {
    "en": {
        "subject": [
            "The city council",
            "Local officials",
            "The regional health authority",
            "Residents of the old town",
            "The transport ministry",
            "Analysts at a Zurich bank",
            "The opposition leader",
            "Farmers in the valley",
            "The club's new coach",
            "Teachers' unions",
            "The central bank",
            "Police",
            "The mayor",
            "Shareholders",
        ],  # fmt: skip
        "verb": [
            "approved",
            "postponed",
            "criticised",
            "announced",
            "rejected",
            "welcomed",
            "questioned",
            "defended",
            "unveiled",
            "delayed",
            "reviewed",
            "doubled",
        ],  # fmt: skip
        "object": [
            "a plan to widen the ring road",
            "the budget for next year",
            "new rules on short-term rentals",
            "a rise in bus fares",
            "the stadium project",
            "a review of school meals",
            "the harbour dredging contract",
            "an inquiry into the flooding",
            "plans for a fourth runway",
            "the merger of two hospitals",
            "a cut in interest rates",
            "the summer festival",
        ],  # fmt: skip
        "tail": [
            "on Tuesday",
            "after weeks of debate",
            "despite protests outside the town hall",
            "in a narrow vote",
            "without giving reasons",
            "for the second time this year",
            "as prices kept rising",
            "following a public consultation",
            "late on Friday",
        ],  # fmt: skip
        "said": "“{s},” said {name}, a {job}.",
        "names": ["Maria Lopez", "Tom Becker", "Aisha Khan", "Peter Novak", "Jane O'Connell"],
        "jobs": ["local shopkeeper", "retired engineer", "council spokesperson", "nurse"],
        "nav": ["Home", "News", "World", "Business", "Sport", "Opinion", "Culture", "Weather"],
        "chrome": [
            "We use cookies to improve your experience. Accept all cookies",
            "Sign up for our morning newsletter",
            "Most read",
            "Related stories",
            "© {year} {site}. All rights reserved. Contact us · Advertise · Privacy policy",
        ],
        "by": "By",
        "section": "Latest news",
    },
    "ru": {
        "subject": [
            "Городская дума",
            "Местные власти",
            "Жители старого района",
            "Министерство транспорта",
            "Аналитики банка",
            "Глава администрации",
            "Фермеры области",
            "Новый тренер клуба",
            "Профсоюз учителей",
            "Центральный банк",
            "Полиция",
            "Мэр города",
        ],  # fmt: skip
        "verb": [
            "одобрили",
            "отложили",
            "раскритиковали",
            "объявили",
            "отклонили",
            "поддержали",
            "еще раз обсудили",
            "пересмотрели",
            "представили",
        ],  # fmt: skip
        "object": [
            "план расширения кольцевой дороги",
            "бюджет на следующий год",
            "новые правила краткосрочной аренды",
            "повышение цен на проезд",
            "проект нового стадиона",
            "проверку школьного питания",
            "все заявки на ремонт",
            "ее предложение о парковках",
            "расследование причин наводнения",
        ],  # fmt: skip
        "tail": [
            "во вторник",
            "после долгих споров",
            "несмотря на протесты у мэрии",
            "незначительным большинством голосов",
            "без объяснения причин",
            "уже второй раз за год",
            "на фоне роста цен",
            "в пятницу вечером",
        ],  # fmt: skip
        "said": "«{s}», — сказал {name}, {job}.",
        "names": ["Алексей Петров", "Елена Смирнова", "Федор Ковалев", "Семен Орлов"],
        "jobs": ["местный предприниматель", "пенсионер", "представитель мэрии", "актер театра"],
        "nav": ["Главная", "Новости", "В мире", "Экономика", "Спорт", "Мнения", "Культура"],
        "chrome": [
            "Мы используем файлы cookie. Продолжая, вы соглашаетесь с их использованием",
            "Подпишитесь на нашу рассылку",
            "Самое читаемое",
            "Читайте также",
            "© {year} {site}. Все права защищены. Контакты · Реклама · Политика конфиденциальности",
        ],
        "by": "Автор:",
        "section": "Последние новости",
    },
    "de": {
        "subject": [
            "Der Stadtrat",
            "Die Landesregierung",
            "Anwohner der Altstadt",
            "Das Verkehrsministerium",
            "Analysten einer Zürcher Bank",
            "Die Opposition",
            "Landwirte im Tal",
            "Der neue Trainer",
            "Die Gewerkschaft",
            "Die Polizei",
            "Der Bürgermeister",
        ],  # fmt: skip
        "verb": [
            "billigte",
            "verschob",
            "kritisierte",
            "kündigte an",
            "lehnte ab",
            "begrüßte",
            "prüfte",
            "verteidigte",
            "stellte vor",
        ],  # fmt: skip
        "object": [
            "den Ausbau der Ringstraße",
            "den Haushalt für das kommende Jahr",
            "neue Regeln für Ferienwohnungen",
            "höhere Busfahrpreise",
            "das Stadionprojekt",
            "eine Untersuchung der Überschwemmung",
            "die Fusion zweier Kliniken",
        ],  # fmt: skip
        "tail": [
            "am Dienstag",
            "nach wochenlanger Debatte",
            "trotz Protesten vor dem Rathaus",
            "mit knapper Mehrheit",
            "ohne Angabe von Gründen",
            "zum zweiten Mal in diesem Jahr",
        ],  # fmt: skip
        "said": "„{s}“, sagte {name}, {job}.",
        "names": ["Anna Müller", "Jörg Schmidt", "Lena Weber", "Klaus Fischer"],
        "jobs": ["Ladenbesitzerin", "Ingenieur im Ruhestand", "Sprecher der Stadt"],
        "nav": ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur", "Meinung", "Wetter"],
        "chrome": [
            "Wir verwenden Cookies, um Ihnen ein besseres Erlebnis zu bieten. Alle akzeptieren",
            "Jetzt unseren Newsletter abonnieren",
            "Meistgelesen",
            "Das könnte Sie auch interessieren",
            "© {year} {site}. Alle Rechte vorbehalten. Impressum · Datenschutz · Kontakt",
        ],
        "by": "Von",
        "section": "Aktuelle Nachrichten",
    },
    "fr": {
        "subject": [
            "Le conseil municipal",
            "Les autorités locales",
            "Les habitants du vieux quartier",
            "Le ministère des Transports",
            "Les analystes d'une banque",
            "L'opposition",
            "Les agriculteurs de la vallée",
            "Le nouvel entraîneur",
            "Le maire",
            "La police",
        ],  # fmt: skip
        "verb": [
            "a approuvé",
            "a reporté",
            "a critiqué",
            "a annoncé",
            "a rejeté",
            "a salué",
            "a examiné",
            "a défendu",
            "a présenté",
        ],  # fmt: skip
        "object": [
            "l'élargissement du périphérique",
            "le budget de l'an prochain",
            "de nouvelles règles pour les locations courtes",
            "la hausse des tarifs de bus",
            "le projet de stade",
            "une enquête sur les inondations",
            "la fusion de deux hôpitaux",
        ],  # fmt: skip
        "tail": [
            "mardi",
            "après des semaines de débat",
            "malgré des manifestations devant la mairie",
            "à une courte majorité",
            "sans donner de raisons",
            "pour la deuxième fois cette année",
        ],  # fmt: skip
        "said": "« {s} », a déclaré {name}, {job}.",
        "names": ["Claire Dubois", "Julien Martin", "Sophie Laurent", "Marc Lefèvre"],
        "jobs": ["commerçante", "ingénieur retraité", "porte-parole de la mairie"],
        "nav": ["Accueil", "Actualité", "Monde", "Économie", "Sports", "Opinions", "Culture"],
        "chrome": [
            "Nous utilisons des cookies pour améliorer votre expérience. Tout accepter",
            "Inscrivez-vous à notre newsletter",
            "Les plus lus",
            "À lire aussi",
            "© {year} {site}. Tous droits réservés. Contact · Publicité · Confidentialité",
        ],
        "by": "Par",
        "section": "Dernières actualités",
    },
}
QUOTE_MARKS = {
    "ru": ["По данным пресс-службы, «{q}».", "В сообщении говорится: «{q}»."],
    "de": ["In der Mitteilung heißt es: „{q}“.", "Das Weiße Haus erklärte: „{q}“."],
    "fr": ["Selon le communiqué, « {q} ».", "Le texte officiel précise : « {q} »."],
}
LEADERS = [
    "President Biden", "President Putin", "President Zelenskyy", "Chancellor Scholz",
    "President Macron", "Prime Minister Johnson", "Secretary Blinken",
]  # fmt: skip


def sentence(rng: random.Random, lang: str) -> str:
    parts = PARTS[lang]
    text = " ".join(rng.choice(parts[k]) for k in ("subject", "verb", "object", "tail")) + "."
    if rng.random() < 0.15:
        said = rng.choice(parts["subject"]) + " " + rng.choice(parts["verb"])
        said += " " + rng.choice(parts["object"])
        text = parts["said"].format(
            s=said, name=rng.choice(parts["names"]), job=rng.choice(parts["jobs"])
        )
    return text


def headline(rng: random.Random, lang: str) -> str:
    parts = PARTS[lang]
    return (
        f"{rng.choice(parts['subject'])} {rng.choice(parts['verb'])} {rng.choice(parts['object'])}"
    )


def _blob(rng: random.Random, size: int) -> str:
    """An inline script of about ``size`` characters: tracking config and bundled code."""
    names = ["adSlot", "consent", "analytics", "paywall", "lazyImg", "videoPlayer", "gtag"]
    lines = []
    while sum(map(len, lines)) < size:
        name = rng.choice(names) + str(rng.randrange(10_000))
        value = hashlib.sha1(str(rng.random()).encode()).hexdigest()
        lines.append(f'window.{name}={{id:"{value}",ts:{rng.randrange(10**9)},on:!0}};')
    return "\n".join(lines)


class Site:
    """One news site: its name, domain, language and the chrome every page of it shares."""

    def __init__(self, rng: random.Random, name: str, domain: str, lang: str):
        self.name, self.domain, self.lang = name, domain, lang
        self.charset = "windows-1251" if lang == "ru" and rng.random() < 0.5 else "utf-8"
        parts = PARTS[lang]
        self.script = _blob(rng, rng.randint(20_000, 45_000))
        self.style = "".join(
            f".c{n}{{margin:{n % 7}px;color:#{rng.randrange(16**6):06x}}}" for n in range(400)
        )
        nav = "".join(f'<li><a href="/{item.lower()}/">{item}</a></li>' for item in parts["nav"])
        self.header = (
            f'<header class="site-header"><div class="top-bar"><a href="/">{name}</a>'
            f'<a href="/login">Login</a></div><nav class="main-menu"><ul>{nav}</ul></nav>'
            f'</header><div class="cookie-banner">{parts["chrome"][0]}</div>'
        )

    def url(self, path: str) -> str:
        return f"https://{self.domain}{path}"


def page_html(
    rng: random.Random,
    site: Site,
    title: str,
    paragraphs: list[str],
    published: datetime,
    headlines: list[tuple[str, str]],
) -> str:
    parts = PARTS[site.lang]
    chrome = parts["chrome"]
    most_read = "".join(f'<li><a href="{u}">{h}</a></li>' for u, h in headlines[:5])
    related = "".join(f'<li><a href="{u}">{h}</a></li>' for u, h in headlines[5:9])
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    author = rng.choice(parts["names"])
    return (
        f'<!DOCTYPE html><html lang="{site.lang}"><head><meta charset="{site.charset}">'
        f"<title>{title} | {site.name}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<meta name="viewport" content="width=device-width"><style>{site.style}</style>'
        f"<script>{site.script}</script></head><body>{site.header}"
        f'<main><article><h1>{title}</h1><div class="byline">{parts["by"]} {author}</div>'
        f'<time datetime="{published.isoformat()}">{published:%d.%m.%Y %H:%M}</time>'
        f'<div class="article-body">{body}</div></article>'
        f'<aside class="sidebar"><h3>{chrome[2]}</h3><ol>{most_read}</ol>'
        f'<div class="newsletter">{chrome[1]} <input type="email"></div></aside>'
        f'<section class="related"><h2>{chrome[3]}</h2><ul>{related}</ul></section></main>'
        f'<footer><a href="/about">About</a> <a href="/privacy">Privacy</a>'
        f"<p>{chrome[4].format(year=published.year, site=site.name)}</p></footer>"
        f"<script>{site.script[: len(site.script) // 4]}</script></body></html>"
    )


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).rstrip(".!?\"'”’ ").lower()


class Corpus:
    """The readouts, and which readouts hold each sentence (for ``also`` and boilerplate)."""

    def __init__(self, readouts: list[dict]):
        self.readouts = readouts
        self.spans = [sentence_spans(r["text"]) for r in readouts]
        self.holders: dict[str, set[int]] = {}
        for n, readout in enumerate(readouts):
            for start, end in self.spans[n]:
                key = _norm(readout["text"][start:end])
                if len(key.split()) >= 6:
                    self.holders.setdefault(key, set()).add(n)
        self.boilerplate = sorted(k for k, v in self.holders.items() if len(v) >= 10)
        # Titles that name a call without repeating its words (a president.gov.ua title is
        # its lead sentence, or close to it: quoting it is quoting the readout).
        self.titles = [
            r["title"]
            for r in readouts
            if r["title"].startswith(("Readout of", "Telephone conversation"))
        ]

    def also(self, n: int, start: int, end: int) -> set[int]:
        """Other readouts holding a whole sentence of readout ``n``'s ``[start, end)``."""
        found: set[int] = set()
        for s, e in self.spans[n]:
            if s >= start and e <= end + 1:
                found |= self.holders.get(_norm(self.readouts[n]["text"][s:e]), set())
        return found - {n}


def citing_paragraphs(
    rng: random.Random, corpus: Corpus, lang: str
) -> tuple[list[str], str, set[int], set[int]] | None:
    """Paragraphs that cite a readout: (paragraphs, kind, cited, also)."""
    readouts = corpus.readouts
    n = rng.randrange(len(readouts))
    text, spans = readouts[n]["text"], corpus.spans[n]
    filler = [sentence(rng, lang) for _ in range(rng.randint(4, 9))]
    roll = rng.random()
    if roll < 0.2 and 400 <= len(text) <= 8000:  # republished whole
        body = [" ".join(text[s:e] for s, e in spans[k : k + 3]) for k in range(0, len(spans), 3)]
        source = readouts[n]["url"].split("/")[2]
        intro = {"en": "The statement released by", "ru": "Заявление, опубликованное",
                 "de": "Die Erklärung von", "fr": "Le communiqué publié par"}[lang]  # fmt: skip
        paragraphs = [f"{intro} {source}:", *body, *filler[:2]]
        return paragraphs, "republication", {n}, corpus.also(n, 0, len(text))
    if roll < 0.4:  # a link from the body, maybe in another form of the URL
        url = readouts[n]["url"]
        url = rng.choice([url, url.replace("https://", "http://"), url + "?utm_source=rss"])
        words = {"en": "the official readout", "ru": "официальное сообщение",
                 "de": "die offizielle Mitteilung", "fr": "le compte rendu officiel"}[lang]  # fmt: skip
        filler.insert(rng.randint(1, len(filler)), f'<a href="{url}">{words}</a>: {filler[0]}')
        return filler, "link", {n}, set()
    quotes, also = [], set()
    for _ in range(rng.choice([1, 1, 2, 3])):
        made = make_quote(rng, text, spans, rng.randrange(len(spans))) if spans else None
        if made:
            quote, (start, end), _ = made
            also |= corpus.also(n, start, end)
            if lang == "en":
                quotes.append(rng.choice(INTROS).format(q=quote))
            else:
                quotes.append(rng.choice(QUOTE_MARKS[lang]).format(q=quote))
    if not quotes:
        return None
    for quote in quotes:
        filler.insert(rng.randint(1, len(filler)), quote)
    return filler, "quote", {n}, also


def hard_negative(rng: random.Random, corpus: Corpus, lang: str) -> list[str]:
    """Names, a readout's title in quotes and boilerplate many readouts share: no citation."""
    filler = [sentence(rng, lang) for _ in range(rng.randint(4, 8))]
    title = rng.choice(corpus.titles)
    filler.insert(1, f"{rng.choice(LEADERS)} spoke with {rng.choice(LEADERS)}, see “{title}”.")
    for line in rng.sample(corpus.boilerplate, min(2, len(corpus.boilerplate))):
        filler.insert(rng.randint(1, len(filler)), line.capitalize() + ".")
    return filler


def generate(out: Path, pages: int, files: int, seed: int, readouts: list[dict]) -> dict:
    """Write ``files`` WARC files with ``pages`` fetches in all, and ``truth.json``."""
    rng = random.Random(seed)
    corpus = Corpus(readouts)
    sites = [
        Site(rng, name, domain, lang) for lang, pairs in SITES.items() for name, domain in pairs
    ]
    by_lang = {lang: [s for s in sites if s.lang == lang] for lang in SITES}
    langs, weights = zip(*LANGUAGE_WEIGHTS.items())
    truth: dict[str, dict] = {}
    counts = {"article": 0, "citing": 0, "hard_negative": 0, "other": 0}
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    per_file = -(-pages // files)
    number = 0
    for file_number in range(files):
        name = f"CC-NEWS-20220301{file_number:06d}-{file_number:05d}.warc.gz"
        with open(out / name, "wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            writer.write_record(
                writer.create_warcinfo_record(
                    name, {"software": "bench/ccnews.py", "isPartOf": "CC-NEWS-BENCH"}
                )
            )
            for _ in range(min(per_file, pages - number)):
                number += 1
                when = start + timedelta(seconds=number * 37)
                lang = rng.choices(langs, weights)[0]
                site = rng.choice(by_lang[lang])
                url = site.url(f"/{when:%Y/%m/%d}/story-{number}")
                headlines = [
                    (site.url(f"/{when:%Y/%m/%d}/story-{rng.randrange(10**6)}"), headline(rng, lang))
                    for _ in range(9)
                ]  # fmt: skip
                roll = rng.random()
                if roll < 0.06:
                    counts["other"] += 1
                    _write_other(rng, writer, site, number, when, headlines)
                    continue
                counts["article"] += 1
                title = headline(rng, lang)
                if roll < 0.06 + CITE_RATE:
                    made = citing_paragraphs(rng, corpus, lang)
                    if made:
                        paragraphs, kind, cited, also = made
                        counts["citing"] += 1
                        truth[url] = {
                            "kind": kind,
                            "lang": lang,
                            "cites": sorted(readouts[n]["url"] for n in cited),
                            "also": sorted(readouts[n]["url"] for n in also - cited),
                        }
                    else:
                        paragraphs = [sentence(rng, lang) for _ in range(6)]
                elif roll < 0.06 + 2 * CITE_RATE:
                    counts["hard_negative"] += 1
                    paragraphs = hard_negative(rng, corpus, lang)
                else:
                    paragraphs = [sentence(rng, lang) for _ in range(rng.randint(5, 14))]
                html = page_html(rng, site, title, paragraphs, when, headlines)
                _write_fetch(writer, url, when, "200 OK", f"text/html; charset={site.charset}",
                             html.encode(site.charset, errors="xmlcharrefreplace"))  # fmt: skip
    (out / "truth.json").write_text(
        json.dumps({"seed": seed, "pages": pages, "counts": counts, "citing": truth}, indent=1),
        encoding="utf-8",
    )
    return {"counts": counts, "citing": truth}


def _write_other(rng, writer, site: Site, number: int, when: datetime, headlines) -> None:
    """What else a news crawl fetches: section fronts, feeds, images, redirects, 404s."""
    kind = rng.choice(["front", "rss", "image", "redirect", "missing"])
    url = site.url(f"/{kind}/{number}")
    if kind == "front":
        items = "".join(f'<li><a href="{u}">{h}</a></li>' for u, h in headlines)
        html = f"<html><head><title>{site.name}</title></head><body>{site.header}<ul>{items}</ul>"
        _write_fetch(writer, url, when, "200 OK", f"text/html; charset={site.charset}",
                     (html + "</body></html>").encode(site.charset, "xmlcharrefreplace"))  # fmt: skip
    elif kind == "rss":
        items = "".join(f"<item><title>{h}</title><link>{u}</link></item>" for u, h in headlines)
        rss = f'<?xml version="1.0"?><rss><channel>{items}</channel></rss>'
        _write_fetch(writer, url, when, "200 OK", "application/rss+xml", rss.encode())
    elif kind == "image":
        _write_fetch(writer, url, when, "200 OK", "image/jpeg",
                     b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(2000, 20000)))  # fmt: skip
    elif kind == "redirect":
        _write_fetch(writer, url, when, "301 Moved Permanently", "text/html", b"",
                     [("Location", headlines[0][0])])  # fmt: skip
    else:
        _write_fetch(writer, url, when, "404 Not Found", "text/html; charset=utf-8",
                     b"<html><body><h1>Page not found</h1></body></html>")  # fmt: skip


def _write_fetch(writer, url, when, status, content_type, body, extra=()) -> None:
    date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    host = url.split("/")[2]
    request = f"GET /{url.split('/', 3)[3]} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    writer.write_record(
        writer.create_warc_record(
            url, "request", payload=io.BytesIO(request), warc_headers_dict={"WARC-Date": date}
        )
    )
    headers = StatusAndHeaders(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra],
        protocol="HTTP/1.1",
    )
    writer.write_record(
        writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=headers,
            warc_headers_dict={"WARC-Date": date},
        )
    )  # fmt: skip


def corpus_readouts(limit: int = 0, seed: int = 1) -> list[dict] | None:
    """The 2021–22 readouts (White House, Kremlin, president.gov.ua); ``limit`` > 0 samples
    that many. None when the corpus is not present."""
    if corpus_dir() is None:
        return None
    docs = documents()
    if limit:
        docs = sorted(
            random.Random(seed).sample(docs, min(limit, len(docs))), key=lambda d: d["url"]
        )
    return docs


def build_archive(db_path: Path, readouts: list[dict]) -> None:
    """An archive holding the readouts as readout versions, indexed by the flag job."""
    import storage
    from flagging import run_flag_job

    load_archive(db_path, readouts)
    db = storage.open_database(db_path)
    try:
        run_flag_job(db)
    finally:
        db.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Folder for the WARC files and truth.json.")
    parser.add_argument("--pages", type=int, default=6000, help="Fetches in all the files.")
    parser.add_argument("--files", type=int, default=4, help="WARC files written.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--readouts", type=int, default=0, help="Sample this many (0: all).")
    options = parser.parse_args(argv)
    readouts = corpus_readouts(options.readouts, options.seed)
    if readouts is None:
        sys.exit("skipped: ../shared/eval/readout-corpus is not present")
    made = generate(options.out, options.pages, options.files, options.seed, readouts)
    print(f"{options.files} WARC files in {options.out}: {made['counts']}")


if __name__ == "__main__":
    main()
