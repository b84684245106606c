"""Removals and failures judged by what a reader gets, not only by the HTTP status.

Sites rarely answer 404 for a deleted page: many redirect it to their home page or to a news
listing, others answer 200 with a "page not found" page. To a reader the document is gone, so
the base spider reports it as gone, like a 404. A redirect to another item page is a move,
not a removal: the document is parsed as usual (the fetch log keeps the redirect chain).

An access wall — a captcha, a bot challenge, a maintenance page — also comes as a 200 or as a
redirect, in place of the article. It says nothing about the document, so it is a transient
failure, like a 503: storing it would make a false edit, then a false revert.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import HtmlResponse, Response

# Titles and first headings of "not found" pages, in the languages of the sources.
NOT_FOUND = re.compile(
    # "404" only at the start, after "error" or a title separator ("Site | 404 - …"): a readout
    # may be "Telephone conversation No. 404: …" or cite "Resolution 404".
    r"page\s+(?:was\s+)?not\s+found|^\W*(?:error\s*)?404\b|[|–—-]\s*404\s*(?:error|[-–—:|]|$)"
    r"|^\W*not\s+found\W*$|страница\s+не\s+найдена|ошибка\s+404|page\s+introuvable"
    r"|seite\s+nicht\s+gefunden|página\s+no\s+encontrada|pagina\s+non\s+trovata",
    re.IGNORECASE,
)

# Titles and first headings of access walls: one of these is the whole heading, or the whole
# part of a title beside the site's name ("Технические работы | Site"), so a readout headed
# "Технические работы на мосту завершены" is not taken for one. The bot checks' longer
# headings ("Checking your browser before accessing …") may go on after their first words.
WALL_HEADING = re.compile(
    r"just\s+a\s+moment|attention\s+required|access\s+denied|ddos-guard"
    r"|(?:checking\s+(?:your|the)\s+browser|verify(?:ing)?\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human"
    r"|are\s+you\s+(?:a\s+)?(?:robot|human)|подтвердите,?\s+что\s+(?:вы\s+не\s+робот|запросы)"
    r"|(?:идёт\s+|идет\s+)?проверка\s+браузера)\b.*"
    r"|вы\s+не\s+робот|доступ\s+(?:запрещ[её]н|ограничен)"
    r"|(?:(?:на\s+сайте\s+)?(?:ведутся|проводятся|идут)\s+)?(?:плановые\s+)?"
    r"(?:технические|профилактические)\s+работы"
    r"|(?:сайт|сервис|страница)\s+временно\s+недоступ(?:ен|на)"
    r"|(?:(?:the\s+)?(?:web)?(?:site|service|page)\s+(?:is\s+)?)?temporarily\s+unavailable"
    r"|(?:(?:the\s+)?(?:web)?site\s+(?:is\s+)?)?(?:down\s+for|under)\s+(?:scheduled\s+)?maintenance"
    r"|(?:scheduled\s+)?maintenance(?:\s+mode|\s+in\s+progress)?|we(?:'|’)ll\s+be\s+back\s+soon",
    re.IGNORECASE,
)
# What a bot check says in its text, looked for only on a very short page (a readout that
# merely mentions a captcha is longer): no article says these.
BOT_CHECK_TEXT = re.compile(
    r"checking\s+(?:your\s+browser|if\s+the\s+site\s+connection\s+is\s+secure)"
    r"|verify(?:ing)?\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human"
    r"|enable\s+javascript\s+and\s+cookies\s+to\s+continue"
    r"|подтвердите,?\s+что\s+(?:вы\s+не\s+робот|запросы\s+отправляли\s+вы)|проверка\s+браузера",
    re.IGNORECASE,
)
# What a maintenance notice says: a wall only on a very short page with no heading of its own
# (a real notice, "The consular service is temporarily unavailable", has one).
MAINTENANCE_TEXT = re.compile(
    r"сайт\s+временно\s+недоступен|(?:ведутся|проводятся)\s+(?:плановые\s+)?технические\s+работы"
    r"|(?:site|service)\s+is\s+temporarily\s+unavailable|(?:down\s+for|under)\s+maintenance",
    re.IGNORECASE,
)
# The rest of a title beside a wall's words is the site's name: a few words at most ("Access
# denied – statement on the blocking of Russian media" is a statement's title).
SITE_NAME_WORDS = 5
SHORT_PAGE = 800  # characters of visible text
# Where bot checks send a visitor: Yandex SmartCaptcha's /showcaptcha, /checkcaptcha,
# Cloudflare's /cdn-cgi/challenge-platform/…, DDoS-Guard's, a site's /captcha or /maintenance
# page (whole path segments: "/news/captcha-fraud" may be an article).
WALL_PATH = re.compile(
    r"/(?:show|check)?captcha(?:\.\w+)?(?:/|$)|^/cdn-cgi/(?:challenge|l/chk)"
    r"|^/\.well-known/ddos-guard/|/maintenance(?:\.\w+)?/?$",
    re.IGNORECASE,
)
TITLE_PARTS = re.compile(r"\s+[|–—·-]\s+|\s*[|–—·]\s*")


def redirect_removal(target: str, is_listing: Callable[[str], bool]) -> str | None:
    """Why a redirect of an item to ``target`` means the document is gone, or None."""
    if urlsplit(target).path in ("", "/"):
        return f"redirected to the site's home page ({target})"
    if is_listing(target):
        return f"redirected to a listing page ({target})"
    return None


def wall_redirect(target: str) -> str | None:
    """Why a redirect of an item to ``target`` leads to an access wall (a captcha), or None."""
    if WALL_PATH.search(urlsplit(target).path):
        return f"access wall: redirected to a challenge page ({target})"
    return None


def not_found_page(response: Response) -> str | None:
    """Why a 2xx item page is really a "not found" page (its title or first heading), or None.

    Only HTML pages are judged: an API's JSON says "gone" in its own way (the spider's
    ``ItemGone``)."""
    if not isinstance(response, HtmlResponse):
        return None
    for text in _headings(response):
        if text and NOT_FOUND.search(text):
            return f"a 'not found' page: {text[:80]!r}"
    return None


def access_wall(response: Response) -> str | None:
    """Why a 2xx item page is an access wall instead of the document, or None: its title or
    first heading is a wall's, or the page is very short and its text is a wall's."""
    if not isinstance(response, HtmlResponse):
        return None
    title, heading = _headings(response)
    for text in (title, heading):
        parts = [part.strip(" .…!?:") for part in TITLE_PARTS.split(text)]
        for index, part in enumerate(parts):
            rest = parts[:index] + parts[index + 1 :]
            if WALL_HEADING.fullmatch(part) and all(
                len(other.split()) <= SITE_NAME_WORDS for other in rest
            ):
                return f"access wall: {text[:80]!r}"
    text = _short_text(response)
    found = BOT_CHECK_TEXT.search(text) if text else None
    if not found and text and not heading:
        found = MAINTENANCE_TEXT.search(text)
    if found:
        return f"access wall: a short page saying {found.group(0)!r}"
    return None


def _short_text(response: HtmlResponse) -> str | None:
    """The visible text of the page's body, scripts and styles left out, or None when it is
    longer than ``SHORT_PAGE``: the walk stops there, so a long readout costs little."""
    words: list[str] = []
    size = 0
    for body in response.selector.root.iter("body"):
        for event, element in etree.iterwalk(body, events=("start", "end")):
            if event == "start":
                visible = isinstance(element.tag, str) and element.tag not in ("script", "style")
                text = element.text if visible else None  # a comment's tag is not a string
            else:
                text = element.tail if element is not body else None
            for word in (text or "").split():
                words.append(word)
                size += len(word) + 1
                if size > SHORT_PAGE + 1:
                    return None
    return " ".join(words)


def _headings(response: HtmlResponse) -> tuple[str, str]:
    """The page's title and first ``<h1>``, whitespace normalized."""
    return (
        response.xpath("normalize-space(//title)").get(""),
        response.xpath("normalize-space((//h1)[1])").get(""),
    )


def same_page(url: str, other: str) -> bool:
    """Whether two URLs name one page (host case and a trailing slash aside)."""
    return _canonical(url) == _canonical(other)


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"
