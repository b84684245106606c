"""A page's real encoding (``crawler.encoding.decode_page``): a Russian page declared in the
wrong Cyrillic code page is read in the right one, and a correctly declared page is left alone.

koi8-r read as windows-1251 (and the reverse) passes the mess check: "Встреча" comes out as
"бЯРПЕВЮ", Cyrillic letters all the same. Stored, it would make a false "edited" version the
day the site fixes its header.
"""

from __future__ import annotations

import codecs
import html
import itertools

import pytest
from conftest import Readouts, query

from crawler.encoding import decode_page
from readouts.demo.server import Resource
from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

TITLE = "О телефонном разговоре с Президентом Казахстана"
READOUT = (
    "Состоялся телефонный разговор Владимира Путина с Президентом Республики Казахстан "
    "Касым-Жомартом Токаевым.",
    "Обсуждались актуальные вопросы двустороннего сотрудничества, в том числе в торговой и "
    "энергетической сферах. Отмечен устойчивый рост взаимного товарооборота.",
    "Стороны обменялись мнениями о ситуации в регионе и подтвердили настрой на дальнейшую "
    "координацию действий в рамках ЕАЭС, ОДКБ и СНГ.",
    "Лидеры договорились о встрече в ближайшее время.",
)
ABBREVIATIONS = (
    "МИД РФ: заявление для СМИ.",
    "В МИД России прошли консультации с делегацией ФРГ по повестке ООН, ОБСЕ и МАГАТЭ. "
    "Позиции США, НАТО и ЕС, как и КНДР, обсуждались отдельно; отмечена роль ШОС и БРИКС.",
)
MIXED = (
    "Сергей Лавров принял участие в сессии Генеральной Ассамблеи ООН в New York.",
    "На полях мероприятия состоялись встречи с руководством UNESCO, IAEA и WHO, а также "
    "интервью телеканалам CNN и BBC о повестке G20 и саммите BRICS в Kazan.",
)
ENGLISH = (
    "Foreign Minister Sergey Lavrov (Сергей Лавров) met his counterpart in Moscow.",
    "The ministers discussed trade, energy and the situation in the region - and agreed to meet "
    "again before the end of the year.",
)
# An announcement set in capitals: every letter but the first of each word a capital inside a
# word, the tell-tale of a misread code page; its letters are Russian's likely ones.
ALL_CAPS = "ЗАЯВЛЕНИЕ МИНИСТЕРСТВА ИНОСТРАННЫХ ДЕЛ РОССИЙСКОЙ ФЕДЕРАЦИИ О СИТУАЦИИ В РЕГИОНЕ"
CODE_PAGES = ("windows-1251", "koi8-r", "iso-8859-5", "cp866")


# Markup before the title, as on real sites: it dilutes the mojibake enough for the mess check.
HEAD = (
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta name="format-detection" content="telephone=no">'
    '<link rel="stylesheet" href="/static/css/main.css?v=20240305">'
    '<link rel="icon" href="/favicon.ico" type="image/x-icon">'
    '<script src="/static/js/vendor.js" defer></script>'
    '<script src="/static/js/app.js" defer></script>'
    "<script>window.dataLayer = window.dataLayer || [];"
    " function gtag(){dataLayer.push(arguments);}"
    " gtag('js', new Date()); gtag('config', 'G-1234567');</script>"
)


def page(heading: str = TITLE, paragraphs: tuple[str, ...] = READOUT) -> str:
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='ru'><head>{HEAD}<title>{html.escape(heading)}</title>"
        f"</head><body><main class='content'><article class='readout'>"
        f"<h1 class='readout__title'>{html.escape(heading)}</h1>{body}</article></main>"
        "</body></html>"
    )


def served_as(text: str, encoding: str, declared: str) -> tuple[str, str]:
    return decode_page(text.encode(encoding), f"text/html; charset={declared}")


@pytest.mark.parametrize(
    ("encoding", "declared"), [("koi8-r", "windows-1251"), ("windows-1251", "koi8-r")]
)
def test_russian_page_declared_in_the_other_of_koi8r_and_windows1251_is_read_in_its_own(
    encoding, declared
):
    assert served_as(page(), encoding, declared) == (page(), codecs.lookup(encoding).name)


@pytest.mark.parametrize(
    ("encoding", "declared"),
    list(itertools.permutations(CODE_PAGES, 2)),
)
def test_russian_page_declared_in_any_wrong_cyrillic_code_page_is_read_right(encoding, declared):
    text, _ = served_as(page(), encoding, declared)
    assert text == page()


@pytest.mark.parametrize("encoding", [*CODE_PAGES, "utf-8"])
@pytest.mark.parametrize(
    "text",
    [
        page(),
        page("МИД РФ", ABBREVIATIONS),
        page("Лавров в ООН", MIXED),
        page("Lavrov in Moscow", ENGLISH),
        page("Встреча", ("Встреча состоялась.",)),
        page(ALL_CAPS, ()),
        page(ALL_CAPS, (ALL_CAPS, "Текст заявления опубликован на сайте.")),
    ],
    ids=["readout", "abbreviations", "mixed", "english", "short", "all-caps", "all-caps-text"],
)
def test_correctly_declared_page_is_read_as_declared(text, encoding):
    assert served_as(text, encoding, encoding)[0] == text


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
def test_all_caps_heading_is_not_flipped_to_the_other_code_page(encoding):
    """Read as the other code page, the capitals become lower-case prose: only the letters'
    frequencies tell that this reading is the wrong one."""
    text = page(ALL_CAPS, ())
    assert served_as(text, encoding, encoding) == (text, codecs.lookup(encoding).name)


def test_mislabelled_cyrillic_pages_are_stored_right_and_relabelled_copies_make_no_version(
    tmp_path, db_path, server
):
    for path, html_text in site_pages(3).items():
        server.set(path, html_text)
    for number, encoding, declared in ((1, "koi8-r", "windows-1251"), (2, "cp1251", "koi8-r")):
        body = render_readout(make_readout(number), meta_charset=None)
        body = body.encode(encoding, errors="xmlcharrefreplace")  # koi8-r has no "№"
        server.set(item_path(number), Resource(body, content_type=f"text/html; charset={declared}"))
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    readouts = Readouts(db_path, sources)
    assert readouts("crawl", "site").returncode == 0

    def stored() -> dict[str, tuple]:
        rows = query(
            db_path,
            "SELECT d.url, v.version, v.title, v.text FROM versions v"
            " JOIN documents d ON d.id = v.document_id",
        )
        return {row["url"]: (row["version"], row["title"], row["text"]) for row in rows}

    first = stored()
    for number in (1, 2, 3):
        _, title, text = first[server.url(item_path(number))]
        assert title == make_readout(number).title
        assert all(paragraph in text for paragraph in make_readout(number).paragraphs)

    for path, html_text in site_pages(3).items():  # the site fixes its headers: UTF-8
        server.set(path, html_text)
    assert readouts("crawl", "site", "--recheck").returncode == 0
    assert stored() == first
    flags = query(db_path, "SELECT kind FROM flags")
    assert [flag["kind"] for flag in flags] == ["new_readout"] * 3
