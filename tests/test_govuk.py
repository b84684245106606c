"""The govuk spider crawling a GOV.UK stand-in (Search API + Content API) on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import Readouts, query
from govuk_site import GovukSite, pm_call, real_item

CHRISTMAS = "/government/news/christmas-2016-prime-ministers-message"
CDE_EVENT = "/government/news/cde-innovation-network-event-9-july-2015-london"
MACRON = pm_call(
    "pm-call-with-president-macron-12-march-2024",
    "PM call with President Macron: 12 March 2024",
    "2024-03-12T18:00:00.000+00:00",
    [
        "The Prime Minister spoke to President Macron this evening.",
        "The leaders discussed support for Ukraine and agreed to stay in close contact.",
    ],
)
SCHOLZ = pm_call(
    "pm-meeting-with-chancellor-scholz-1-february-2024",
    "PM meeting with Chancellor Scholz: 1 February 2024",
    "2024-02-01T12:00:00.000+00:00",
    ["The Prime Minister met Chancellor Scholz in Berlin today.", "They discussed trade."],
)
STATEMENT = pm_call(
    "pm-statement-on-the-budget",
    "PM statement on the Budget: 6 March 2024",
    "2024-03-06T12:00:00.000+00:00",
    ["Not a call or a meeting."],
)


@pytest.fixture
def site(server):
    govuk = GovukSite(server)
    govuk.add(MACRON)
    govuk.add(SCHOLZ)
    govuk.add(STATEMENT)
    govuk.add(real_item("news_article"))
    govuk.add(real_item("best-practice-event"), "defence-science-and-technology-laboratory")
    return govuk


@pytest.fixture
def govuk(tmp_path, db_path, server, site) -> Readouts:
    sources = tmp_path / "govuk.toml"
    sources.write_text(
        f"""
[settings]
contact = "archivist@example.org"

[sources.govuk-pm]
kind = "readout"
spider = "govuk"
base_url = "{server.base_url}"
title_pattern = "^PM (call|meeting) with|Prime Minister's message"
delay = 0

[sources.govuk-dstl]
kind = "readout"
spider = "govuk"
base_url = "{server.base_url}"
organisation = "defence-science-and-technology-laboratory"
title_pattern = "^CDE "
delay = 0
""",
        encoding="utf-8",
    )
    return Readouts(db_path, sources)


def documents(db_path):
    return {
        row["url"]: row
        for row in query(
            db_path,
            "SELECT d.*, v.version, v.text, v.metadata FROM documents d"
            " JOIN versions v ON v.document_id = d.id ORDER BY v.version",
        )
    }


def test_search_api_finds_pm_calls_and_content_api_gives_text_date_and_people(
    govuk, db_path, server
):
    result = govuk("crawl", "govuk-pm")
    assert result.returncode == 0, result.stdout + result.stderr
    docs = documents(db_path)
    assert sorted(docs) == sorted(
        server.url(p) for p in (MACRON["base_path"], SCHOLZ["base_path"], CHRISTMAS)
    )
    christmas = docs[server.url(CHRISTMAS)]
    assert christmas["title"] == "Christmas 2016: Prime Minister's message"
    assert christmas["published_at"] == "2016-12-25T00:15:06+00:00"
    assert christmas["language"] == "en"
    assert christmas["text"].startswith("Prime Minister Theresa May said:\nThis year, the United")
    assert "<" not in christmas["text"]
    metadata = json.loads(christmas["metadata"])
    assert metadata["people"] == [
        {"title": "The Rt Hon Theresa May MP", "base_path": "/government/people/theresa-may"}
    ]
    assert metadata["organisations"][0]["title"] == "Prime Minister's Office, 10 Downing Street"
    assert metadata["public_updated_at"] == "2016-12-25T00:15:02.000+00:00"
    # Titles outside the pattern are never fetched; other organisations are filtered by the API.
    assert server.requests_for("/api/content" + STATEMENT["base_path"]) == []
    assert server.requests_for("/api/content" + CDE_EVENT) == []
    searches = [r for r in server.requests if r.path.startswith("/api/search.json")]
    assert searches and all("filter_organisations=prime-ministers" in r.path for r in searches)


def test_change_history_and_public_updated_at_are_kept_with_the_version(govuk, db_path, server):
    result = govuk("crawl", "govuk-dstl")
    assert result.returncode == 0, result.stdout + result.stderr
    event = documents(db_path)[server.url(CDE_EVENT)]
    metadata = json.loads(event["metadata"])
    assert metadata["public_updated_at"] == "2015-07-13T09:40:13.000+00:00"
    assert [entry["note"] for entry in metadata["change_history"]] == [
        "Presentation slides are now available to view online.",
        "Change of venue",
        "First published.",
    ]
    assert "The Grand Connaught Rooms" in event["text"]


def test_withdrawn_notice_removes_the_document_with_the_publishers_explanation(
    govuk, db_path, server, site
):
    assert govuk("crawl", "govuk-pm").returncode == 0
    site.put(real_item("news_article_withdrawn"))
    for _ in range(2):  # the second re-check changes nothing more
        result = govuk("crawl", "govuk-pm", "--recheck")
        assert result.returncode == 0, result.stdout + result.stderr
    url = server.url(CHRISTMAS)
    assert query(db_path, "SELECT status FROM documents WHERE url = ?", [url]) == [
        {"status": "removed"}
    ]
    events = query(db_path, "SELECT new_status, note FROM status_events")
    assert len(events) == 1 and events[0]["new_status"] == "removed"
    assert events[0]["note"] == (
        "We\u2019ve withdrawn this news article (withdrawn 2019-08-22T10:29:02+01:00)"
    )
    removed = query(db_path, "SELECT summary FROM flags WHERE kind = 'removed_readout'")
    assert len(removed) == 1
    assert "We\u2019ve withdrawn this news article" in removed[0]["summary"]


def test_backfill_asks_the_search_api_for_the_date_range_only(govuk, db_path, server):
    result = govuk("crawl", "govuk-pm", "--since", "2024-03-01", "--until", "2024-03-31")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(documents(db_path)) == [server.url(MACRON["base_path"])]
    searches = [r.path for r in server.requests if r.path.startswith("/api/search.json")]
    assert all("filter_public_timestamp=from%3A2024-03-01%2Cto%3A2024-03-31" in p for p in searches)


def test_monitor_run_catches_an_edit_made_a_week_later_and_leaves_old_items_alone(
    govuk, db_path, server, site
):
    now = datetime.now(timezone.utc)
    recent = pm_call(
        "pm-call-with-prime-minister-carney",
        "PM call with Prime Minister Carney",
        (now - timedelta(days=6)).isoformat(),
        ["The Prime Minister spoke to Prime Minister Carney.", "They discussed steel tariffs."],
    )
    site.add(recent)
    assert govuk("crawl", "govuk-pm").returncode == 0
    for item in (recent, MACRON):
        edited = json.loads(json.dumps(item))
        edited["details"]["body"] = edited["details"]["body"].replace("discussed", "agreed on")
        site.put(edited)
    result = govuk("crawl", "govuk-pm")
    assert result.returncode == 0, result.stdout + result.stderr
    edited_flags = query(db_path, "SELECT summary FROM flags WHERE kind = 'edited_readout'")
    assert len(edited_flags) == 1 and "Carney" in edited_flags[0]["summary"]
    assert len(server.requests_for("/api/content" + recent["base_path"])) == 2
    assert len(server.requests_for("/api/content" + MACRON["base_path"])) == 1


def test_a_monitor_run_after_a_failed_search_page_fetches_the_results_behind_it(
    govuk, db_path, server, site
):
    """The first run's second search page fails: its results lie behind a first page of known
    results, and the next monitor run pages on to them (the last walk was cut short)."""
    now = datetime.now(timezone.utc)
    for number in range(110):
        site.add(
            pm_call(
                f"pm-call-with-leader-{number}",
                f"PM call with Leader {number}",
                (now - timedelta(hours=number + 1)).isoformat(),
                [f"The Prime Minister spoke to Leader {number} about topic {number}."],
            )
        )
    site.down_from = 100
    assert govuk("crawl", "govuk-pm").returncode == 1
    site.down_from = None
    result = govuk("crawl", "govuk-pm")
    assert result.returncode == 0, result.stdout + result.stderr
    stored = {row["url"] for row in query(db_path, "SELECT url FROM documents")}
    for item in (MACRON, SCHOLZ):
        assert server.base_url + item["base_path"] in stored
