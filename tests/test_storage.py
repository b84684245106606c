"""The versioning rules, on a real SQLite file."""

from __future__ import annotations

import re

import pytest

import storage
from storage import captures
from storage.database import write_transaction
from storage.normalize import content_hash, normalize_text


def snapshot(text="The leaders discussed trade.", title="Call with X", **fields):
    return storage.Snapshot(
        source="s", url="http://x/1", kind="readout", title=title, text=text, **fields
    )


@pytest.mark.parametrize(
    "variant",
    [
        "The leaders\u00a0discussed trade.",
        "The  leaders\ndiscussed   trade. ",
        "The leaders discussed\u202ftrade.",
        "The lea\u00adders discussed trade.",
    ],
)
def test_typography_and_whitespace_do_not_change_the_hash(variant):
    assert content_hash("T", None, variant) == content_hash(
        "T", None, "The leaders discussed trade."
    )


def test_quotes_and_dashes_are_folded():
    assert normalize_text("“Russia’s” — position") == normalize_text('"Russia\'s" - position')


def test_case_and_words_still_count():
    assert content_hash("T", None, "Untied States") != content_hash("T", None, "United States")


def test_unchanged_snapshot_adds_no_version(db):
    first = storage.save_version(db, snapshot(), run_id=1)
    second = storage.save_version(db, snapshot(text="The leaders\u00a0discussed  trade."), run_id=2)
    assert (first.version, first.created) == (1, True)
    assert second.version_id is None and not second.changed
    assert db["versions"].count == 1


def test_changed_title_or_date_adds_a_version(db):
    storage.save_version(db, snapshot(), run_id=1)
    assert storage.save_version(db, snapshot(title="Call with Y"), run_id=2).version == 2
    assert (
        storage.save_version(
            db, snapshot(title="Call with Y", published_at="2026-01-02"), run_id=3
        ).version
        == 3
    )


def test_empty_text_is_refused(db):
    with pytest.raises(storage.EmptyVersionError):
        storage.save_version(db, snapshot(text="  \n "), run_id=1)
    assert db["documents"].count == 0


def test_two_404s_in_one_run_count_once(db):
    storage.save_version(db, snapshot(), run_id=1)
    storage.mark_gone(db, "http://x/1", run_id=2, http_status=404)
    storage.mark_gone(db, "http://x/1", run_id=2, http_status=404)
    assert db["documents"].get(1)["status"] == "live"
    storage.mark_gone(db, "http://x/1", run_id=3, http_status=410)
    assert db["documents"].get(1)["status"] == "removed"
    assert [e["new_status"] for e in db["status_events"].rows] == ["removed"]


def test_a_success_between_404s_resets_the_count(db):
    storage.save_version(db, snapshot(), run_id=1)
    storage.mark_gone(db, "http://x/1", run_id=2, http_status=404)
    storage.mark_not_modified(db, "http://x/1", run_id=3)
    storage.mark_gone(db, "http://x/1", run_id=4, http_status=404)
    assert db["documents"].get(1)["status"] == "live"


def test_overlapping_runs_that_each_meet_one_404_do_not_remove(db):
    storage.save_version(db, snapshot(), run_id=None)
    daemon = storage.start_run(db, "s", "monitor")
    manual = storage.start_run(db, "s", "recheck")  # started before the daemon's 404
    storage.mark_gone(db, "http://x/1", run_id=daemon, http_status=404)
    storage.mark_gone(db, "http://x/1", run_id=manual, http_status=404)
    assert db["documents"].get(1)["status"] == "live"
    assert db["status_events"].count == 0
    later = storage.start_run(db, "s", "monitor")  # started after the first 404 was recorded
    storage.mark_gone(db, "http://x/1", run_id=later, http_status=404)
    assert db["documents"].get(1)["status"] == "removed"


def test_sequential_runs_remove_after_two_404s(db):
    storage.save_version(db, snapshot(), run_id=None)
    for _ in range(2):
        run_id = storage.start_run(db, "s", "monitor")
        storage.mark_gone(db, "http://x/1", run_id=run_id, http_status=404)
        storage.finish_run(db, run_id)
    assert db["documents"].get(1)["status"] == "removed"
    assert [e["new_status"] for e in db["status_events"].rows] == ["removed"]


def test_identical_raw_pages_are_stored_once(db):
    first = storage.save_page(db, b"<html>same</html>", "text/html", "2026-01-01T00:00:00+00:00")
    second = storage.save_page(db, b"<html>same</html>", "text/html", "2026-01-02T00:00:00+00:00")
    assert first == second and db["pages"].count == 1
    assert storage.load_page(db, first) == b"<html>same</html>"


def test_opening_an_archive_twice_is_idempotent(db_path):
    storage.open_database(db_path).close()
    again = storage.open_database(db_path)
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "versions" in again.table_names()
    again.close()


SENT = [("Host", "x"), ("User-Agent", "readouts")]


def capture(db, request_headers, response_headers=(("ETag", '"1"'),), status=304) -> int:
    return captures.save_capture(
        db, url="http://x/1", captured_at="2026-01-01T00:00:00Z", method="GET",
        request_target="/1", request_headers=list(request_headers), protocol="HTTP/1.1",
        status=status, reason="", response_headers=list(response_headers), body=b"",
    )  # fmt: skip


def stored_headers(db) -> dict[int, tuple[list, list]]:
    return {c.id: (c.request_headers, c.response_headers) for c in captures.iter_captures(db)}


def test_a_header_list_repeated_by_captures_is_stored_once_with_its_order_and_repeats(db):
    twice = [("Set-Cookie", "a=1"), ("Content-Type", "text/html"), ("Set-Cookie", "b=2")]
    ids = [capture(db, SENT), capture(db, SENT), capture(db, SENT, twice, status=200)]
    assert db["capture_headers"].count == 3  # SENT, the 304's ETag, ``twice``
    assert stored_headers(db) == {
        ids[0]: (SENT, [("ETag", '"1"')]),
        ids[1]: (SENT, [("ETag", '"1"')]),
        ids[2]: (SENT, twice),
    }


def test_each_exchange_keeps_its_validators_and_dates_so_its_pages_share_header_lists(db):
    def answer(n):
        date = f"Mon, 0{n} Jun 2026 10:00:00 GMT"
        return [("Date", date), ("Content-Length", "0"), ("ETag", f'"{n}"'), ("Server", "nginx")]

    ids = [capture(db, [*SENT, ("If-None-Match", f'"{n}"')], answer(n)) for n in (1, 2, 3)]
    assert db["capture_headers"].count == 2
    assert stored_headers(db)[ids[1]] == ([*SENT, ("If-None-Match", '"2"')], answer(2))
    # The 304's ETag repeats the If-None-Match sent: written once, then as its index.
    assert db.execute("SELECT header_values FROM captures WHERE id = ?", [ids[2]]).fetchone() == (
        '["\\"3\\"","Mon, 03 Jun 2026 10:00:00 GMT","0",0]',
    )


@pytest.mark.parametrize("values", ['["1"]', '["1","2","3"]', '{"a":1}', '["1",1]', "[1, "])
def test_a_capture_whose_values_do_not_fit_its_header_lists_is_named(db, values):
    capture_id = capture(db, [*SENT, ("If-None-Match", '"1"')])
    db.execute("UPDATE captures SET header_values = ? WHERE id = ?", [values, capture_id])
    message = f"capture {capture_id} of http://x/1: its header values do not fit its header lists"
    with pytest.raises(captures.MissingCaptureRows, match=re.escape(message)):
        stored_headers(db)


def test_a_header_list_whose_capture_rolled_back_is_not_mistaken_for_the_next_one(db):
    """An id given to a list in a transaction that rolled back goes to the next list stored:
    the first list, stored again, gets a row of its own."""
    first, other = [*SENT, ("Accept-Language", "en")], [*SENT, ("Accept-Language", "ru")]
    capture(db, SENT)
    with pytest.raises(RuntimeError), write_transaction(db):
        capture(db, first)
        raise RuntimeError("the caller's transaction fails after the capture")
    ids = [capture(db, other), capture(db, first)]
    assert [stored_headers(db)[i][0] for i in ids] == [other, first]


def test_archives_open_in_one_process_keep_their_own_header_lists(tmp_path):
    one, two = storage.open_database(tmp_path / "1.db"), storage.open_database(tmp_path / "2.db")
    try:
        first, other = [*SENT, ("Accept", "a")], [*SENT, ("Accept", "b")]
        capture(one, first)
        capture(two, other)
        in_two = capture(two, first)
        assert stored_headers(two)[in_two][0] == first
    finally:
        one.close()
        two.close()


def test_rechecks_and_new_texts_leave_the_title_index_alone_a_new_title_is_searchable(db):
    storage.save_version(db, snapshot(title="Call with Macron"), run_id=1)
    index_rows = db.execute(
        "SELECT count(*), sum(length(block)) FROM documents_fts_data"
    ).fetchone()
    for run_id in range(2, 12):
        storage.mark_same_page(db, "http://x/1", run_id)
        storage.mark_not_modified(db, "http://x/1", run_id)
    storage.save_version(db, snapshot(title="Call with Macron", text="They spoke."), run_id=12)
    assert (
        db.execute("SELECT count(*), sum(length(block)) FROM documents_fts_data").fetchone()
        == index_rows
    )

    storage.save_version(db, snapshot(title="Call with Scholz"), run_id=13)
    found = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"
    assert db.execute(found, ["scholz"]).fetchone()[0] == 1
    assert db.execute(found, ["macron"]).fetchone()[0] == 0


def test_a_fetch_outcome_sets_only_outcome_columns(db):
    fetch_id = storage.log_fetch(db, None, "http://x/1", status=200)
    storage.update_fetch(db, fetch_id, outcome="unchanged", page_hash="abc")
    row = db.execute("SELECT outcome, page_hash, status FROM fetches WHERE id = ?", [fetch_id])
    assert row.fetchone() == ("unchanged", "abc", 200)
    with pytest.raises(ValueError, match="not a fetch outcome column: status"):
        storage.update_fetch(db, fetch_id, status=404)
