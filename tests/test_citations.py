"""Citation detection and quote drift, on a real SQLite archive and on the crawled demo site."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import crawl_each_demo_order, query

import storage
from analysis.citations.align import align
from analysis.citations.detect import detect
from analysis.citations.links import url_key
from analysis.citations.params import Params
from analysis.citations.text import WORD, fold, index_hashes, words_of
from flagging import run_flag_job
from readouts.demo import content
from storage import citation_index as index
from storage import citation_postings as postings

NBSP = "\u00a0"
BOILERPLATE = "The leaders agreed to maintain contacts."
SHARED_FORMULA = (
    "The President reaffirmed the unwavering support of the United States for the sovereignty"
    " and territorial integrity of the country."
)
READOUTS = {
    "https://gov.example/readouts/1": (
        "Call with the Prime Minister of Ruritania",
        "The President spoke today with the Prime Minister of Ruritania. The leaders discussed"
        " the reconstruction of the Northern Railway and the financing of the new grain"
        f" terminal at Port Vesna. {SHARED_FORMULA} The President welcomed Ruritania’s decision"
        " to host the regional energy summit in the spring of next year and offered technical"
        " help with the preparations. The leaders also discussed the situation in the Southern"
        " Provinces, where floods have displaced thousands of families, and the President"
        " announced additional humanitarian assistance for the regions affected. They reviewed"
        " progress on the visa facilitation agreement signed last year and instructed their"
        f" ministers to report on its implementation before the autumn. {BOILERPLATE}",
    ),
    "https://gov.example/readouts/2": (
        "Call with the President of Freedonia",
        "The President spoke today with the President of Freedonia. The two leaders reviewed"
        " the fishing dispute in the Western Gulf and agreed that their experts would meet in"
        f" Geneva before the end of the month to draft a joint management plan. {SHARED_FORMULA}"
        f" {BOILERPLATE}",
    ),
    "https://gov.example/readouts/3": (
        "Call with the Chancellor of Grand Fenwick",
        "The President spoke today with the Chancellor of Grand Fenwick about the upcoming"
        " summit on alpine tunnels and customs procedures for freight crossing the border"
        f" valleys during the winter months. {BOILERPLATE}",
    ),
}
# Readouts of other calls: the formulas every readout has are what makes them boilerplate.
FILLER = {
    f"https://gov.example/readouts/{100 + n}": (
        f"Call number {n}",
        f"The President spoke today with the President of Country {n}. The leaders discussed"
        f" matters of bilateral interest number {n}. {BOILERPLATE}",
    )
    for n in range(25)
}
QUOTING_ARTICLE = (
    "Ruritania's railway gets a friend\n"
    "According to the readout, the leaders “discussed the reconstruction of the Northern"
    f" Railway and the financing of{NBSP}the new grain terminal at Port Vesna.” Critics were"
    " unimpressed.\n"
    "The White House also said the President “welcomed [the government of] Ruritania's decision"
    " to host the regional energy summit … and offered technical help with the preparations”"
    " (emphasis added). "
    f"{SHARED_FORMULA} Nothing else was said. {BOILERPLATE}"
)
BOILERPLATE_ARTICLE = (
    "Another quiet week in diplomacy\n"
    f"Officials said little. {BOILERPLATE} The President spoke today with the President of"
    " a country, and the leaders agreed to maintain contacts, as leaders do."
)


def _save(db, url, kind, title, text):
    source = "gov" if kind == "readout" else "blog"
    return storage.save_version(
        db, storage.Snapshot(source=source, url=url, kind=kind, title=title, text=text), None
    )


@pytest.fixture
def archive(db):
    ids = {url: _save(db, url, "readout", *value).document_id for url, value in READOUTS.items()}
    for url, value in FILLER.items():
        _save(db, url, "readout", *value)
    ids["quoting"] = _save(
        db, "https://blog.example/quoting", "commentary", "Railway friend", QUOTING_ARTICLE
    ).document_id
    ids["boilerplate"] = _save(
        db, "https://blog.example/quiet", "commentary", "Quiet week", BOILERPLATE_ARTICLE
    ).document_id
    return ids


def _citations(db):
    rows = list(db.query("SELECT * FROM citations ORDER BY id"))
    for row in rows:
        row["spans"] = json.loads(row["spans"])
    return rows


def _text(db, version_id):
    return db.execute("SELECT text FROM versions WHERE id = ?", [version_id]).fetchone()[0]


def test_quotes_are_found_despite_typography_brackets_ellipses_and_notes(db, archive):
    run_flag_job(db)
    (citation,) = _citations(db)
    assert citation["article_id"] == archive["quoting"]
    assert citation["readout_id"] == archive["https://gov.example/readouts/1"]
    assert citation["method"] == "quote" and citation["status"] == "current"
    article_text = _text(db, citation["article_version_id"])
    readout_text = _text(db, citation["readout_version_id"])
    texts = [span["text"] for span in citation["spans"]]
    assert texts == [
        "discussed the reconstruction of the Northern Railway and the financing of\u00a0the new"
        " grain terminal at Port Vesna",
        "welcomed [the government of] Ruritania's decision to host the regional energy summit …"
        " and offered technical help with the preparations",
        SHARED_FORMULA.rstrip("."),
    ]
    for span in citation["spans"]:
        start, end = span["article"]
        assert article_text[start:end] == span["text"]
        r_start, r_end = span["readout"]
        assert words_of(readout_text[r_start:r_end]).words[0] == words_of(span["text"]).words[0]
        assert words_of(readout_text[r_start:r_end]).words[-1] == words_of(span["text"]).words[-1]
    assert citation["matched_chars"] == sum(len(t) for t in texts)


YO_SENTENCE = (
    "Подчёркнуто, что совместная работа идёт по всем направлениям, объём взаимной торговли"
    " растёт, а ещё не решённые вопросы будут обсуждены на встрече министров в Казани."
)


@pytest.mark.parametrize("spelling", ["ё", "е", "decomposed"])
def test_a_russian_quote_is_found_whether_it_writes_yo_as_ye_or_not(db, spelling):
    """kremlin.ru writes ё; most Russian media write е, and some texts carry ё as е + U+0308."""
    readout = _save(
        db,
        "https://gov.example/ru/1",
        "readout",
        "Телефонный разговор с Президентом Казахстана",
        "Состоялся телефонный разговор с Президентом Казахстана. "
        + YO_SENTENCE
        + " Договорились поддерживать контакты.",
    )
    quoted = YO_SENTENCE.rstrip(".")
    if spelling != "ё":
        quoted = quoted.replace("ё", "е" if spelling == "е" else "е\u0308")
    article_text = f"В Кремле заявили: «{quoted}». Эксперты сомневаются в этом."
    article = _save(
        db, "https://blog.example/ru/1", "commentary", "Кремль о торговле", article_text
    )
    run_flag_job(db)
    (citation,) = _citations(db)
    assert (citation["article_id"], citation["readout_id"]) == (
        article.document_id,
        readout.document_id,
    )
    (span,) = citation["spans"]
    assert span["text"] == quoted  # from its first word to its last, ё or е
    start, end = span["readout"]
    assert _text(db, citation["readout_version_id"])[start:end] == YO_SENTENCE.rstrip(".")


def test_boilerplate_and_shared_formulas_are_not_attributed_to_every_readout(db, archive):
    flags = run_flag_job(db)
    cited = {(row["article_id"], row["readout_id"]) for row in _citations(db)}
    assert cited == {(archive["quoting"], archive["https://gov.example/readouts/1"])}
    new_citations = [f for f in flags if f["kind"] == "new_citation"]
    assert [(f["document_id"], f["related_document_id"]) for f in new_citations] == list(cited)


def test_removed_quoted_sentence_makes_the_citation_drift_and_flags_once(db, archive):
    run_flag_job(db)
    url = "https://gov.example/readouts/1"
    title, text = READOUTS[url]
    _save(db, url, "readout", title, text.replace(SHARED_FORMULA + " ", ""))
    flags = run_flag_job(db)
    drift = [f for f in flags if f["kind"] == "quote_drift"]
    assert len(drift) == 1
    assert drift[0]["document_id"] == archive["quoting"]
    assert drift[0]["related_document_id"] == archive[url]
    (citation,) = _citations(db)
    assert citation["status"] == "drifted"
    assert [span["status"] for span in citation["spans"]] == ["current", "current", "drifted"]
    assert run_flag_job(db) == []
    _save(db, url, "readout", title, text.replace("Port Vesna", "Port Vesna (Ruritania)"))
    kinds = [f["kind"] for f in run_flag_job(db)]
    assert kinds == ["edited_readout"], "back to current: no citation flag"
    assert _citations(db)[0]["status"] == "current"


def test_a_citation_made_after_a_deleted_one_gets_its_own_id_and_its_own_drift_flag(db, archive):
    """A ``quote_drift`` flag's key names its citation by id: an id given twice hid the drift of
    the second citation (SQLite reuses the largest id once its row is deleted)."""
    run_flag_job(db)
    url = "https://gov.example/readouts/1"
    title, text = READOUTS[url]
    _save(db, url, "readout", title, text.replace(SHARED_FORMULA + " ", ""))
    (first_drift,) = [f for f in run_flag_job(db) if f["kind"] == "quote_drift"]
    (first,) = _citations(db)
    # The article corrects itself: no quote left, the citation goes.
    _save(db, "https://blog.example/quoting", "commentary", "Railway friend", "Nothing quoted.")
    run_flag_job(db)
    assert _citations(db) == []
    later = _save(
        db,
        "https://blog.example/later",
        "commentary",
        "Late to the story",
        f"The readout once said: “{SHARED_FORMULA.rstrip('.')}, and welcomed Ruritania’s decision"
        " to host the regional energy summit in the spring of next year.” It no longer does.",
    )
    flags = run_flag_job(db)
    (second,) = _citations(db)
    assert second["article_id"] == later.document_id and second["id"] > first["id"]
    assert second["status"] == "drifted"
    assert [(f["kind"], f["document_id"]) for f in flags] == [
        ("new_citation", later.document_id),
        ("quote_drift", later.document_id),
    ]
    assert first_drift["key"] != flags[1]["key"]


def test_rebuilt_index_finds_the_same_citations_and_raises_nothing_new(db, archive):
    from flagging.citations import rebuild

    run_flag_job(db)
    before = _citations(db)
    assert rebuild(db) == []
    after = _citations(db)
    assert [(r["id"], r["spans"]) for r in after] == [(r["id"], r["spans"]) for r in before]


@pytest.mark.parametrize(
    "link, readout",
    [
        (
            "https://en.kremlin.ru/events/president/news/56155",
            "http://kremlin.ru/events/president/news/56155/",
        ),
        (
            "http://www.president.gov.ua/en/news/a-b-123?utm_source=x",
            "https://president.gov.ua/news/a-b-123",
        ),
    ],
)
def test_links_to_a_translation_or_variant_url_meet_the_readout(link, readout):
    assert url_key(link) == url_key(readout)


def test_quoter_insertions_are_dropped_and_ellipses_mark_omissions():
    words = words_of("He “confirmed [the] readiness … to act” (bold italics added) NOW")
    assert words.words == ["he", "confirmed", "readiness", "to", "act", "now"]
    assert words.breaks.tolist() == [False, False, False, True, False, False]


# -- end to end: the demo site ---------------------------------------------------------------------


def test_demo_commentary_cites_the_kremlin_readout_and_drifts_after_the_edit(
    readouts, db_path, demo_site, server
):
    ALL = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]
    assert readouts("crawl", *ALL).returncode == 0
    kremlin = server.url(content.KREMLIN_CALL_PATH)
    rows = query(
        db_path,
        "SELECT c.*, a.url AS article_url, r.url AS readout_url FROM citations c"
        " JOIN documents a ON a.id = c.article_id JOIN documents r ON r.id = c.readout_id",
    )
    assert [(r["article_url"], r["readout_url"]) for r in rows] == [
        (server.url(content.COMMENTARY_PATH), kremlin)
    ]
    (row,) = rows
    assert (row["method"], row["linked"], row["status"]) == ("quote", 1, "current")
    spans = json.loads(row["spans"])
    article_text = query(
        db_path, "SELECT text FROM versions WHERE id = ?", [row["article_version_id"]]
    )[0]["text"]
    readout_text = query(
        db_path, "SELECT text FROM versions WHERE id = ?", [row["readout_version_id"]]
    )[0]["text"]
    assert len(spans) == 3
    for span in spans:
        assert article_text[slice(*span["article"])] == span["text"]
    assert readout_text[slice(*spans[1]["readout"])].replace(NBSP, " ") == (
        "It was noted in this context that the statement received a positive response in the Middle East"
    )

    demo_site.replace(content.KREMLIN_CALL_PATH, content.KREMLIN_CALL_EDITED)
    result = readouts("crawl", *ALL, "--recheck")
    assert result.returncode == 0, result.stderr
    assert "[quote_drift]" in result.stdout
    (row,) = query(db_path, "SELECT * FROM citations")
    assert row["status"] == "drifted"
    assert [s["status"] for s in json.loads(row["spans"])] == ["current", "drifted", "current"]

    assert readouts("crawl", *ALL, "--recheck").returncode == 0
    kinds = [f["kind"] for f in query(db_path, "SELECT kind FROM flags ORDER BY id")]
    assert kinds.count("new_citation") == 1 and kinds.count("quote_drift") == 1
    shown = readouts("citations", kremlin)
    assert shown.returncode == 0, shown.stderr
    assert "1 citing article" in shown.stdout
    assert "DRIFTED" in shown.stdout and "[drifted: not in v2]" in shown.stdout


SPEECH_READOUT = (
    "The leaders reviewed the situation on the ground. “The scale of the current threat in Europe"
    " makes the return of concepts such as the Lend-Lease and the Marshall Plan quite natural,”"
    " he said. The parties exchanged views on the course and results of the talks between the"
    " leaders of the two countries. They discussed the supply of fuel to the northern regions."
)


@pytest.mark.parametrize(
    "article, quoted",
    [
        (
            "The readout quotes him: “The scale of the current threat in Europe makes the return"
            " of concepts such as the Lend-Lease and the Marshall Plan quite natural,” he said."
            " Nobody agreed.",
            "The scale of the current threat in Europe makes the return of concepts such as the"
            " Lend-Lease and the Marshall Plan quite natural,” he said",
        ),
        (
            "According to the readout, the parties exchanged views on the course and results of"
            " the talks between the leaders of the two countries They also liked cake.",
            "the parties exchanged views on the course and results of the talks between the"
            " leaders of the two countries",
        ),
        (
            "We read that “the parties exchanged views on … the talks between the leaders”.",
            "the parties exchanged views on … the talks between the leaders",
        ),
    ],
    ids=["readout-own-quote-marks", "no-run-on-past-sentence", "ellipsis-inside-a-run"],
)
def test_quote_spans_keep_the_readouts_marks_stop_at_its_sentence_end_and_bridge_ellipses(
    db, article, quoted
):
    index.index_version(db, 1, None, SPEECH_READOUT)
    words = words_of(article)
    (citation,) = detect(words, index.lookup(db, words), lambda _: [(None, SPEECH_READOUT)])
    assert [span.text for span in citation.spans] == [quoted]


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII Words",
        "“Curly” quotes, Straße, ﬁnal, café, K for Kelvin",
        "İstanbul and Straße",
    ],
)
def test_words_are_folded_one_by_one_whatever_else_the_text_holds(text):
    folded = words_of(text)
    assert folded.words == [fold(m.group()) for m in WORD.finditer(text)]
    assert [text[s:e] for s, e in zip(folded.starts, folded.ends)] == WORD.findall(text)


# -- crawl order -----------------------------------------------------------------------------------


def _by_url(db):
    """Citations and citation flags, named by URLs (ids differ between archives)."""
    citations = {
        (row["article"], row["readout"], row["method"], row["linked"], row["spans"])
        for row in db.query(
            "SELECT a.url AS article, r.url AS readout, c.method, c.linked, c.spans"
            " FROM citations c JOIN documents a ON a.id = c.article_id"
            " JOIN documents r ON r.id = c.readout_id WHERE c.method != 'reported'"
        )
    }
    flags = sorted(
        (row["kind"], row["article"], row["readout"])
        for row in db.query(
            "SELECT f.kind, a.url AS article, r.url AS readout FROM flags f"
            " JOIN documents a ON a.id = f.document_id"
            " JOIN documents r ON r.id = f.related_document_id"
            " WHERE f.kind IN ('new_citation', 'quote_drift')"
        )
    )
    return citations, flags


def _archive_in_order(path, articles_first):
    db = storage.open_database(path)
    readouts = [(url, "readout", *value) for url, value in {**READOUTS, **FILLER}.items()]
    articles = [
        ("https://blog.example/quoting", "commentary", "Railway friend", QUOTING_ARTICLE),
        ("https://blog.example/quiet", "commentary", "Quiet week", BOILERPLATE_ARTICLE),
    ]
    link = storage.Snapshot(
        source="blog",
        url="https://blog.example/links",
        kind="commentary",
        title="Links only",
        text="A week of calls. See the readout of the Chancellor's call.",
        metadata={"links": ["https://www.gov.example/readouts/3/"]},
    )
    for batch in (articles, readouts) if articles_first else (readouts, articles):
        for item in batch:
            _save(db, *item)
        if batch is articles:
            storage.save_version(db, link, None)
        run_flag_job(db)
    return db


def test_articles_stored_before_the_readouts_they_cite_get_the_same_citations_and_flags(tmp_path):
    first = _archive_in_order(tmp_path / "readouts-first.db", articles_first=False)
    second = _archive_in_order(tmp_path / "articles-first.db", articles_first=True)
    assert _by_url(second) == _by_url(first)
    citations, flags = _by_url(second)
    quoting = {(c[1], c[2]) for c in citations if c[0] == "https://blog.example/quoting"}
    # The formula readout 2 shares with readout 1 is not a citation of readout 2.
    assert quoting == {("https://gov.example/readouts/1", "quote")}
    assert flags.count(("new_citation", "https://blog.example/quoting", READOUT_1)) == 1
    assert ("https://blog.example/links", "https://gov.example/readouts/3", "link") in {
        c[:3] for c in citations
    }
    first.close()
    second.close()


READOUT_1 = "https://gov.example/readouts/1"


def test_two_crawls_in_either_order_give_the_same_citations_and_flags(
    tmp_path, demo_sources, server
):
    archives = {}
    for name, readouts in crawl_each_demo_order(tmp_path, demo_sources):
        db = storage.open_database(readouts.db_path)
        archives[name] = _by_url(db)  # as the order's last crawl left it
        db.close()
    citations, flags = archives["commentary-first"]
    assert archives["readouts-first"] == (citations, flags)
    kremlin = server.url(content.KREMLIN_CALL_PATH)
    article = server.url(content.COMMENTARY_PATH)
    assert {(c[0], c[1], c[2], c[3]) for c in citations} >= {(article, kremlin, "quote", 1)}
    assert flags.count(("new_citation", article, kremlin)) == 1


# -- boilerplate in a small archive ----------------------------------------------------------------

SULLIVAN = "National Security Advisor Jake Sullivan spoke by phone today with"
BIDEN = "President Joseph R. Biden, Jr. spoke today with Prime Minister"


def _small_archive(db, readouts=250):
    """``readouts`` readouts of their own words; 6 open with each formula (too few to be common
    by the fixed cap, a few percent of this archive)."""
    for n in range(readouts):
        opening = SULLIVAN if n < 6 else BIDEN if n < 12 else f"The Office of Country {n} said"
        _save(
            db,
            f"https://gov.example/small/{n}",
            "readout",
            f"Readout {n}",
            f"{opening} counterpart number {n}. They reviewed harbour tariffs for case {n} and"
            f" the audit of bridge contract {n}, and asked inspectors to visit site {n} before"
            f" the monsoon begins in district {n}.",
        )


def test_formulas_a_few_readouts_share_woven_into_an_article_cite_nothing_in_a_small_archive(db):
    _small_archive(db)
    trap = _save(
        db,
        "https://blog.example/trap",
        "commentary",
        "Calls",
        f"Reporters were told that {SULLIVAN} nobody, while {BIDEN} of nowhere, and so on.",
    ).document_id
    quoting = _save(
        db,
        "https://blog.example/real",
        "commentary",
        "Tariffs",
        "The readout says “They reviewed harbour tariffs for case 3 and the audit of bridge"
        " contract 3”, which is news.",
    ).document_id
    run_flag_job(db)
    cited = {(c["article_id"], c["readout_id"]) for c in _citations(db)}
    assert not [pair for pair in cited if pair[0] == trap]
    readout_3 = db.execute(
        "SELECT id FROM documents WHERE url = 'https://gov.example/small/3'"
    ).fetchone()[0]
    assert (quoting, readout_3) in cited


COUNCIL = (
    "Thank you very much. Mr President, I would like to begin. Taking part were Governor Tim"
    " Walz (MN), Governor Mike DeWine (OH), Governor John Carney (DE), Governor Eric Holcomb"
    " (IN), Governor Phil Scott (VT) and Governor Mark Gordon (WY). Deputy Head of the Office of"
    " the President of Ukraine Andriy Yermak attended."
)


def _cited(article_text, rare=lambda article, position: True):
    """Passages of ``article_text`` cited from COUNCIL, the 4-grams they share rare when
    ``rare`` says so (as the index would)."""
    article, readout = words_of(article_text), words_of(COUNCIL)
    ours = article.ngram_hashes(4)
    shared = set(readout.ngram_hashes(4).tolist())
    seeds = [p for p, h in enumerate(ours.tolist()) if h in shared and rare(article, p)]
    found = detect(article, {1: np.array(seeds, dtype=np.int64)}, lambda _: [(None, COUNCIL)])
    return [span.text for citation in found for span in citation.spans]


def test_a_list_of_participants_is_a_quote_and_one_title_of_office_is_not():
    listed = (
        "The readout listed “Governor Tim Walz (MN), Governor Mike DeWine (OH), Governor John"
        " Carney (DE), Governor Eric Holcomb (IN), Governor Phil Scott (VT)” among others."
    )
    assert _cited(listed) == [listed[listed.index("Governor") : listed.index("(VT)") + 3]]
    titled = "He met “Deputy Head of the Office of the President of Ukraine Andriy Yermak” there."
    assert _cited(titled) == []


def test_two_formulas_side_by_side_are_no_quote_when_only_their_seam_is_rare():
    article = "Then: “Thank you very much. Mr President, I would like to begin,” he said."
    seam = article.index("much.")

    def across_the_seam(words, position):
        return words.starts[position] <= seam < words.ends[position + 3]

    assert _cited(article, across_the_seam) == []
    assert _cited(article) != [], "the same words with rare n-grams inside a sentence"


def test_index_hashes_are_those_of_the_words_alignment_reads_in_every_script():
    texts = [
        "Plain ASCII readout, with U.S. initials and a [bracketed insertion] inside.",
        "Разговор с Президентом: стороны обсудили «сотрудничество» и ход переговоров.",
        "Straße, İstanbul, ﬁne ＡＢＣ and ΣΊΣΥΦΟΣ: letters whose folding changes the length.",
        "A combining ypogegrammeni \u0345 folds to a letter; café naïve déjà vu … more words.",
        "",
    ]
    for text in texts:
        assert index_hashes(text, 4).tolist() == words_of(text).ngram_hashes(4).tolist(), text


def test_different_words_sharing_an_ngram_hash_are_no_seed_for_alignment():
    # Found by search: two 3-grams of different words with one 31-bit hash.
    article = words_of("We heard the speaker condemnation faster, then left.")
    readout = words_of("The blackstone below trustees met.")
    assert article.ngram_hashes(3)[3] == readout.ngram_hashes(3)[1]
    assert align(article, readout) == []
    assert align(article, words_of("The speaker condemnation faster met.")) != []


def test_a_batch_admits_the_rows_its_versions_indexed_one_by_one_would(tmp_path):
    params = Params(max_readouts_per_ngram=3)
    shared = "the leaders agreed to maintain close contacts on all matters"
    rows = [
        {"id": n, "document_id": 1 + n % 7, "text": f"{shared} readout {n % 7} edition {n}"}
        for n in range(1, 15)  # seven readouts, two versions each, all sharing one sentence
    ]
    first_shared = int(index_hashes(shared, 4)[0])
    tables = []
    for batches in ([rows[:5], rows[5:]], [[row] for row in rows]):
        db = storage.open_database(tmp_path / f"{len(batches)}.db")
        with storage.write_transaction(db):
            # An older readout holds the first shared n-gram: one of its max + 1 rows.
            postings.add_pairs(db.conn, np.array([[first_shared, 99]]))
            for batch in batches:
                index.index_versions(db, [{**row, "url": None} for row in batch], params)
        tables.append(postings.all_pairs(db).tolist())
    assert tables[0] == tables[1]
    holders = [readout for hash_, readout in tables[0] if hash_ == first_shared]
    assert holders == [2, 3, 4, 99]  # the stored one, then the first in version order (2, 3, 4)


def test_a_batch_read_in_slices_of_the_index_stores_and_reports_what_one_read_would(
    tmp_path, monkeypatch
):
    words = [f"w{n}" for n in range(60)]
    rng = np.random.default_rng(3)
    rows = [
        {"id": n, "document_id": n, "text": " ".join(rng.choice(words, 80)), "url": None}
        for n in range(1, 41)
    ]
    params = Params(max_readouts_per_ngram=3)  # 60 words repeat: common n-grams get capped
    results = []
    for slice_buckets in (index.SLICE_BUCKETS, 5):
        monkeypatch.setattr(index, "SLICE_BUCKETS", slice_buckets)
        db = storage.open_database(tmp_path / f"{slice_buckets}.db")
        with storage.write_transaction(db):
            index.index_versions(db, rows[:10], params)
            added = index.index_versions(db, rows[10:], params)
        results.append((postings.all_pairs(db).tolist(), added.pairs, added.hashes.tolist()))
        db.close()
    assert results[0] == results[1]
    assert results[0][1] == sorted(results[0][1]) and len(results[0][1]) > 100


def test_an_older_capture_stored_after_the_article_does_not_speak_for_it(db, archive):
    """An archive or news-scan capture older than the versions stored takes its place before
    them with a later id: the article's current version is still the latest by number."""
    run_flag_job(db)
    freedonia = "https://gov.example/readouts/2"
    old_text = (
        "Last year's piece. The two leaders “reviewed the fishing dispute in the Western Gulf and"
        " agreed that their experts would meet in Geneva before the end of the month.”"
    )
    storage.save_archived_version(
        db,
        storage.Snapshot(
            source="blog",
            url="https://blog.example/quoting",
            kind="commentary",
            title="Railway friend",
            text=old_text,
            seen_at="2020-01-01T00:00:00+00:00",
        ),
        None,
    )
    assert run_flag_job(db) == []
    cited = {(row["article_id"], row["readout_id"]) for row in _citations(db)}
    assert cited == {(archive["quoting"], archive["https://gov.example/readouts/1"])}
    assert (archive["quoting"], archive[freedonia]) not in cited
    from flagging.verify import verify

    assert verify(db) == []  # verify reads the same version as current
