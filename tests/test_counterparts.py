"""Counterpart readouts: the same event reported by two governments."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest
from calls import LEADERS, readout
from conftest import query

from analysis.events import match_events, profile, surnames
from analysis.topics import align, split_sentences
from readouts.demo import content

KREMLIN_30_DEC = profile(
    "Telephone conversations with US President Joseph Biden",
    "On December 30, Vladimir Putin had a telephone conversation with President of the Untied "
    "States of America Joseph Biden. The conversation focused on security guarantees.",
    "2021-12-31T02:20:00+03:00",
)
WHITEHOUSE_30_DEC = profile(
    "Statement by Press Secretary Jen Psaki on President Biden’s Phone Call with President "
    "Vladimir Putin of Russia",
    "President Joseph R. Biden, Jr. spoke today with President Vladimir Putin of Russia. "
    "President Biden urged Russia to de-escalate tensions with Ukraine.",
    "2021-12-30T17:43:24-05:00",
)


def test_lead_date_resolves_the_time_zone_trap():
    assert KREMLIN_30_DEC.published.date() == date(2021, 12, 31)
    assert KREMLIN_30_DEC.event_day == date(2021, 12, 30)
    found = match_events(KREMLIN_30_DEC, WHITEHOUSE_30_DEC)
    assert found and found.evidence["event_days"] == ["2021-12-30", "2021-12-30"]
    assert found.evidence["shared_participants"] == ["biden", "putin"]


def test_spokesperson_and_titles_are_not_participants():
    assert WHITEHOUSE_30_DEC.participants == {"biden", "putin"}
    assert surnames("Via Teleconference. MODERATOR: Thanks, everyone.") == set()


@pytest.mark.parametrize(
    "title, lead, published",
    [
        # Same day, but Putin called Macron; the White House readout is of Biden's call.
        (
            "Telephone conversation with President of France Emmanuel Macron",
            "Vladimir Putin had a telephone conversation with President of the French Republic "
            "Emmanuel Macron.",
            "2021-12-30T21:00:00+03:00",
        ),
        # The announcement of a call is not a readout of it.
        (
            "Statement on President Biden’s Upcoming Call with President Vladimir Putin of Russia",
            "President Joseph R. Biden, Jr. will hold a phone call with President Vladimir Putin.",
            "2021-12-29T12:07:00-05:00",
        ),
        # Three days later: another event.
        (
            "Telephone conversation with US President Joseph Biden",
            "Vladimir Putin had a telephone conversation with President Joseph Biden.",
            "2022-01-03T12:00:00+03:00",
        ),
    ],
)
def test_other_events_are_not_counterparts(title, lead, published):
    assert match_events(profile(title, lead, published), WHITEHOUSE_30_DEC) is None


def test_sentences_split_without_breaking_abbreviations():
    assert split_sentences(
        "Mr. Putin spoke with the U.S. President. They agreed to talk again."
    ) == ["Mr. Putin spoke with the U.S. President.", "They agreed to talk again."]


def test_topic_alignment_finds_what_one_side_omits():
    kremlin = "\n".join(content.KREMLIN_CALL["paragraphs"])
    whitehouse = "\n".join(content.WHITEHOUSE_CALL["paragraphs"])
    alignment = align(kremlin, whitehouse, people={"putin", "trump"}, use_embeddings=False)
    only_kremlin = " ".join(alignment.a_sentences[i] for i in alignment.only_a)
    assert "Bashar al-Assad" in only_kremlin  # the White House readout does not mention him
    assert alignment.pairs, "the two accounts share topics"


def test_demo_readouts_of_one_call_are_linked_and_flagged_once(readouts, db_path):
    sources = ["demo-kremlin", "demo-whitehouse"]
    assert readouts("crawl", *sources).returncode == 0
    assert readouts("crawl", *sources, "--recheck").returncode == 0
    links = query(db_path, "SELECT * FROM counterparts")
    assert len(links) == 1 and links[0]["status"] == "suggested"
    titles = {
        r["title"]
        for r in query(
            db_path,
            "SELECT title FROM documents WHERE id IN (?, ?)",
            [links[0]["readout_a_id"], links[0]["readout_b_id"]],
        )
    }
    assert titles == {content.KREMLIN_CALL["title"], content.WHITEHOUSE_CALL["title"]}
    assert len(query(db_path, "SELECT * FROM flags WHERE kind = 'counterpart_found'")) == 1


def test_a_rejected_link_stays_rejected(readouts, db_path):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse").returncode == 0
    link = query(db_path, "SELECT * FROM counterparts")[0]
    result = readouts(
        "counterparts", str(link["readout_a_id"]), "--reject", str(link["readout_b_id"])
    )
    assert result.returncode == 0, result.stderr
    assert "rejected" in result.stdout
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "--recheck").returncode == 0
    assert query(db_path, "SELECT status FROM counterparts") == [{"status": "rejected"}]


def test_counterparts_command_shows_what_only_one_side_reported(readouts, db_path):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse").returncode == 0
    kremlin = query(
        db_path, "SELECT id FROM documents WHERE title = ?", [content.KREMLIN_CALL["title"]]
    )[0]["id"]
    result = readouts("counterparts", str(kremlin))
    assert result.returncode == 0, result.stderr
    assert content.WHITEHOUSE_CALL["title"] in result.stdout
    assert "Only this readout says" in result.stdout and "Bashar al-Assad" in result.stdout
    [link] = json.loads(readouts("counterparts", str(kremlin), "--json").stdout)
    assert link["evidence"]["shared_participants"] == ["putin", "trump"]
    assert isinstance(link["topics"], dict)


def test_a_link_no_detection_could_make_is_refused_naming_why(readouts, db_path):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary").returncode == 0
    ids = {
        (row["source"], row["kind"]): row["id"]
        for row in query(db_path, "SELECT id, source, kind FROM documents ORDER BY id DESC")
    }
    kremlin, article = ids[("demo-kremlin", "readout")], ids[("demo-commentary", "commentary")]
    other_kremlin = [
        row["id"]
        for row in query(db_path, "SELECT id FROM documents WHERE source = 'demo-kremlin'")
        if row["id"] != kremlin
    ][0]
    before = query(db_path, "SELECT * FROM counterparts")
    for other, why in (
        (kremlin, "a readout is not its own counterpart"),
        (
            article,
            f"counterparts are readouts: document {kremlin} is a readout, {article} a commentary",
        ),
        (other_kremlin, "counterparts come from two sources: both are demo-kremlin's"),
    ):
        result = readouts("counterparts", str(kremlin), "--confirm", str(other))
        assert result.returncode == 2, result.stdout
        assert f"Invalid value for --confirm: {why}" in result.stderr
    assert query(db_path, "SELECT * FROM counterparts") == before


def test_a_late_evening_readout_keeps_its_own_day_once_stored_in_utc():
    """Stored profiles keep the publication instant in UTC: the day is taken before, where it
    was published (22:55 in Washington on 3 January is 4 January in UTC)."""
    from flagging.counterparts import _as_profile, profile_row

    def stored(title, text, published_at):
        row = {"document_id": 1, "version_id": 1, "source": "s", "title": title, "text": text}
        return _as_profile(profile_row({**row, "published_at": published_at}))

    washington = stored(
        "Readout of President Biden’s Call with President Zelenskyy of Ukraine",
        "President Biden spoke with President Zelenskyy of Ukraine.",
        "2022-01-03T22:55:00-05:00",
    )
    kyiv = stored(
        "Conversation of Volodymyr Zelenskyy with Joseph Biden",
        "President Volodymyr Zelenskyy had a telephone conversation with President Joseph Biden.",
        "2022-01-03T23:40:00+02:00",
    )
    assert washington.published.date() == date(2022, 1, 4)  # in UTC
    found = match_events(washington, kyiv)
    assert found and found.evidence["event_days"] == ["2022-01-03", "2022-01-03"]


def _links(db) -> set[tuple[str, str]]:
    return {
        tuple(sorted(pair))
        for pair in db.execute(
            "SELECT a.url, b.url FROM counterparts c JOIN documents a ON a.id = c.readout_a_id"
            " JOIN documents b ON b.id = c.readout_b_id"
        )
    }


def test_links_do_not_depend_on_the_order_readouts_were_flagged_in(tmp_path):
    """Ten readouts in, a guest met in five of them passes for the source's own leader (Macron
    for one, Scholz for the other), and the readouts of Erdogan's call, each then naming a
    leader the other does not, are not linked. Seven more readouts each, and those false
    principals are gone: the links must then be the ones a run over everything at once makes."""
    import storage
    from flagging.job import run_flag_job

    early = {
        "kremlin": [0, 5, 10, 15, 20, 1, 2, 3, 4, 6],
        "partner": [1, 6, 11, 16, 21, 0, 2, 3, 4, 5],
    }
    late = {"kremlin": [7, 8, 9, 11, 12, 13, 14], "partner": [7, 8, 9, 10, 12, 13, 14]}
    in_turn, at_once = (storage.open_database(tmp_path / name) for name in ("turn.db", "once.db"))
    for numbers in (early, late):
        for source, wanted in numbers.items():
            for number in wanted:
                storage.save_version(in_turn, readout(source, number), None)
                storage.save_version(at_once, readout(source, number), None)
        run_flag_job(in_turn)
        if numbers is early:
            assert ("http://kremlin.test/2", "http://partner.test/2") not in _links(in_turn)
    run_flag_job(at_once)
    assert ("http://kremlin.test/2", "http://partner.test/2") in _links(at_once)
    assert _links(in_turn) == _links(at_once)
    flags = in_turn.execute("SELECT count(*) FROM flags WHERE kind = 'counterpart_found'")
    assert flags.fetchone()[0] == len(_links(at_once))


def test_a_readout_corrected_to_name_another_leader_loses_its_suggested_links_only(tmp_path):
    """Links follow the readout's profile: a suggested link that no longer matches goes (its
    flag stays, as the record), one a user confirmed stays."""
    import storage
    from flagging.job import run_flag_job
    from storage.counterparts import set_counterpart_status

    db = storage.open_database(tmp_path / "archive.db")
    for number in (2, 3):
        for source in ("kremlin", "partner"):
            storage.save_version(db, readout(source, number), None)
    run_flag_job(db)
    assert _links(db) == {
        ("http://kremlin.test/2", "http://partner.test/2"),
        ("http://kremlin.test/3", "http://partner.test/3"),
    }
    ids = dict(db.execute("SELECT url, id FROM documents"))
    set_counterpart_status(
        db, ids["http://kremlin.test/3"], ids["http://partner.test/3"], "confirmed"
    )
    for number in (2, 3):
        first = readout("kremlin", number)
        title, text = (
            s.replace(LEADERS[number], "Fumio Kishida") for s in (first.title, first.text)
        )
        storage.save_version(db, dataclasses.replace(first, title=title, text=text), None)
    run_flag_job(db)
    assert _links(db) == {("http://kremlin.test/3", "http://partner.test/3")}
    assert db.execute("SELECT count(*) FROM flags WHERE kind = 'counterpart_found'").fetchone() == (
        2,
    )


def test_an_older_capture_imported_later_does_not_replace_the_readouts_profile(tmp_path):
    """An archive capture older than the versions stored (a draft naming another leader) takes
    its place in the history with a later id: the profile, and so the links, stay those of the
    current version."""
    import storage
    from flagging.job import run_flag_job

    db = storage.open_database(tmp_path / "archive.db")
    for source in ("kremlin", "partner"):
        storage.save_version(db, readout(source, 2), None)
    run_flag_job(db)
    pair = {("http://kremlin.test/2", "http://partner.test/2")}
    assert _links(db) == pair
    current = readout("kremlin", 2)
    draft = dataclasses.replace(
        current,
        text=current.text.replace(LEADERS[2], "Fumio Kishida"),
        seen_at=current.published_at.replace("12:00", "12:30"),
    )
    storage.save_archived_version(db, draft, None)
    run_flag_job(db)
    assert _links(db) == pair
    profiled = db.execute(
        "SELECT participants FROM event_profiles p JOIN documents d"
        " ON d.id = p.document_id WHERE d.url = 'http://kremlin.test/2'"
    )
    assert "erdogan" in profiled.fetchone()[0]


KREMLIN_RU_LUKASHENKO = profile(
    "Телефонный разговор с Президентом Белоруссии Александром Лукашенко",
    "5 марта Владимир Путин провёл телефонный разговор с Президентом Республики Беларусь"
    " Александром Лукашенко. Обсуждались вопросы союзного строительства.",
    "2024-03-05T21:10:00+03:00",
)


def test_russian_readouts_of_one_call_name_the_same_people_in_any_case():
    minsk = profile(
        "Телефонный разговор Александра Лукашенко с Владимиром Путиным",
        "Александр Лукашенко провел телефонный разговор с Президентом России Владимиром Путиным.",
        "2024-03-05T19:40:00+03:00",
    )
    assert KREMLIN_RU_LUKASHENKO.participants == minsk.participants == {"путин", "лукашенко"}
    assert KREMLIN_RU_LUKASHENKO.kinds == minsk.kinds == {"call"}
    assert KREMLIN_RU_LUKASHENKO.event_day == date(2024, 3, 5)
    found = match_events(KREMLIN_RU_LUKASHENKO, minsk)
    assert found and found.confidence >= 0.9


@pytest.mark.parametrize(
    "title, lead",
    [
        # The same evening, Putin called another leader.
        (
            "Телефонный разговор с Президентом Франции Эммануэлем Макроном",
            "Состоялся телефонный разговор Владимира Путина с Президентом Французской Республики"
            " Эммануэлем Макроном.",
        ),
        # The announcement of a call is not a readout of it.
        (
            "Состоится телефонный разговор с Александром Лукашенко",
            "Владимир Путин проведёт телефонный разговор с Президентом Белоруссии Александром"
            " Лукашенко.",
        ),
        # A meeting, not the call.
        (
            "Встреча с Президентом Азербайджана Ильхамом Алиевым",
            "В Кремле состоялась встреча Владимира Путина с Президентом Азербайджанской"
            " Республики Ильхамом Алиевым.",
        ),
    ],
)
def test_other_russian_readouts_are_not_counterparts(title, lead):
    assert (
        match_events(profile(title, lead, "2024-03-05T20:00:00+03:00"), KREMLIN_RU_LUKASHENKO)
        is None
    )


def test_a_name_ending_the_title_is_not_run_into_the_lead():
    """ "…with President Recep Erdogan. Vladimir Putin had…" names Erdogan and Putin."""
    found = profile(
        "Telephone conversation with President Recep Erdogan",
        "Vladimir Putin had a telephone conversation with the President of Türkiye.",
        "2024-03-05T20:00:00+03:00",
    )
    assert found.participants == {"erdogan", "putin"}


def test_a_guest_met_often_is_not_the_sources_own_leader():
    """Putin in 7 of 16 White House readouts (winter 2021–22), Biden in all: only Biden is the
    White House's own, or every White House readout would name Putin."""
    from flagging.counterparts import _PrincipalCounts

    counts = _PrincipalCounts()
    for number in range(16):
        named = ["biden", "putin"] if number < 7 else ["biden", f"guest{number}"]
        counts.replace(None, {"source": "wh", "participants": json.dumps(named)})
    assert counts.principals() == {"wh": {"biden"}}


def test_an_announcement_to_talk_by_phone_is_not_a_readout():
    announced = profile(
        "Vladimir Putin and Joseph Biden to talk by phone on December 30",
        "Vladimir Putin and Joseph Biden will talk by phone on December 30.",
        "2021-12-29T15:00:00+03:00",
    )
    assert announced.announcement
    assert match_events(announced, WHITEHOUSE_30_DEC) is None


def test_a_link_is_flagged_under_the_account_published_second_whatever_was_crawled_first(
    tmp_path,
):
    """Users following one source (``flags --source``, a feed, a notification channel) see the
    same links whichever government's crawl ran first."""
    import storage
    from flagging.job import run_flag_job

    owners = []
    for order in (("kremlin", "partner"), ("partner", "kremlin")):
        db = storage.open_database(tmp_path / f"{order[0]}-first.db")
        for source in order:
            storage.save_version(db, readout(source, 2), None)  # Washington: hours later
            run_flag_job(db)
        owners.append(
            db.execute(
                "SELECT f.source, d.url FROM flags f JOIN documents d ON d.id = f.document_id"
                " WHERE f.kind = 'counterpart_found'"
            ).fetchall()
        )
    assert owners[0] == owners[1] == [("partner", "http://partner.test/2")]
