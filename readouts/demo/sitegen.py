"""Readout-like pages made up from a seed, for sites with many pages (fault, kill, benchmark).

Used by the tests and by bench/; kept here, next to the SiteServer, so both can import it.

Each page has the chrome a real official site has (navigation, a sidebar, a footer) around an
article with a Russian title, a date and a few paragraphs, so that extraction does real work
and the text has non-ASCII characters for the charset faults to damage.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

WORDS = (
    "Владимир Путин провёл телефонный разговор с Президентом обсуждались вопросы двустороннего "
    "сотрудничества в торговой энергетической и гуманитарной сферах стороны подтвердили "
    "готовность продолжать контакты на различных уровнях была затронута ситуация в регионе "
    "лидеры договорились о встрече министров иностранных дел в ближайшее время отмечена "
    "важность соблюдения договорённостей по итогам переговоров принято совместное заявление"
).split()


@dataclass(frozen=True)
class Readout:
    number: int
    title: str
    published: str  # ISO date
    paragraphs: tuple[str, ...]

    def edited(self, edition: int) -> Readout:
        """The same readout after ``edition`` edits: one sentence appended per edit."""
        if edition == 0:
            return self
        extra = tuple(
            f"Уточнение номер {n} к сообщению {self.number}." for n in range(1, edition + 1)
        )
        return Readout(self.number, self.title, self.published, self.paragraphs + extra)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def make_readout(number: int, seed: int = 0) -> Readout:
    rng = random.Random(f"{seed}:{number}")

    def sentence(low: int, high: int) -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    title = f"Телефонный разговор № {number}: " + sentence(3, 6).rstrip(".")
    paragraphs = tuple(
        " ".join(sentence(8, 18) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(3, 6))
    )
    published = (date(2024, 1, 1) + timedelta(days=number % 700)).isoformat()
    return Readout(number, title, published, paragraphs)


def render_readout(
    readout: Readout, *, meta_charset: str | None = "utf-8", menu_links: int = 0
) -> str:
    """The page as HTML text (encode it as you like; ``meta_charset`` is what it declares).

    ``menu_links`` adds a site menu of that many links: real official pages are 20–100 KB,
    mostly menus, scripts and footers that extraction must wade through.
    """
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    menu = "".join(
        f'<li class="menu__item"><a class="menu__link" href="/section/{n}">Раздел сайта {n}</a></li>'
        for n in range(menu_links)
    )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in readout.paragraphs)
    return (
        f'<!DOCTYPE html><html lang="ru"><head>{meta}<title>{html.escape(readout.title)}</title>'
        f'<meta property="article:published_time" content="{readout.published}">'
        '</head><body><header><nav><a href="/">Главная</a> | <a href="/news/">Новости</a>'
        f" | <a href='/about'>О сайте</a><ul class='menu'>{menu}</ul></nav></header><main><article>"
        f"<h1>{html.escape(readout.title)}</h1><time datetime='{readout.published}'>"
        f"{readout.published}</time>{body}</article></main>"
        "<aside><h2>Последние новости</h2><ul><li>Заседание Совета</li><li>Встреча с губернатором"
        "</li></ul></aside><footer>© Пресс-служба. Все права защищены.</footer></body></html>"
    )


def listing_path(page: int) -> str:
    return "/news/" if page == 1 else f"/news/page/{page}"


def item_path(number: int) -> str:
    return f"/news/{number}"


def render_listing(numbers: list[int], page: int, last_page: int) -> str:
    links = "".join(f'<li><a href="{item_path(n)}">Сообщение {n}</a></li>' for n in numbers)
    more = f'<a href="{listing_path(page + 1)}">Далее</a>' if page < last_page else ""
    head = '<html lang="ru"><head><meta charset="utf-8"><title>Новости</title></head>'
    return f"{head}<body><ul>{links}</ul>{more}</body></html>"


def site_pages(
    count: int,
    *,
    per_listing: int = 50,
    seed: int = 0,
    menu_links: int = 0,
    make: Callable[[int, int], Readout] | None = None,
) -> dict[str, str]:
    """Path → HTML of a news site with ``count`` readouts on listing pages of ``per_listing``;
    ``make(number, seed)`` makes each readout (``make_readout``: made-up Russian text)."""
    make = make or make_readout
    pages = {"/robots.txt": "User-agent: *\nAllow: /\n"}
    numbers = list(range(1, count + 1))
    chunks = [numbers[i : i + per_listing] for i in range(0, count, per_listing)] or [[]]
    for page, chunk in enumerate(chunks, start=1):
        pages[listing_path(page)] = render_listing(chunk, page, len(chunks))
    for number in numbers:
        pages[item_path(number)] = render_readout(make(number, seed), menu_links=menu_links)
    return pages


def sources_toml(base_url: str, name: str = "site", **fields) -> str:
    """A sources file with one generic source crawling the whole generated site."""
    values = {
        "kind": "readout",
        "spider": "generic",
        "start_urls": [f"{base_url}/news/"],
        "item_pattern": r"/news/\d+$",
        "follow_pattern": r"/news/page/\d+$",
        "delay": 0,
        "monitor_pages": 1000,
        **fields,
    }
    lines = [f"[sources.{name}]"]
    for key, value in values.items():
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
