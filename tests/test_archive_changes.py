"""Archive captures reorder a history: change rows follow the new order, flags stay meaningful."""

from __future__ import annotations

import json
import random

import pytest

import storage
from analysis.diff import expand_diff
from flagging import run_flag_job

URL = "https://www.gov.uk/government/news/pm-call-with-president-macron"
TEXTS = {
    "A": "The Prime Minister spoke to President Macron about energy.",
    "B": "The Prime Minister spoke to President Macron about energy and trade.",
    "C": "The Prime Minister spoke to President Macron about energy security.",
    "D": "The Prime Minister spoke to President Macron.",
}


def snapshot(key: str, seen_at: str) -> storage.Snapshot:
    return storage.Snapshot(
        source="govuk", url=URL, kind="readout", title="PM call", text=TEXTS[key], seen_at=seen_at
    )


def crawl(db, key: str, seen_at: str):
    return storage.save_version(db, snapshot(key, seen_at), None)


def capture(db, key: str, seen_at: str):
    return storage.save_archived_version(db, snapshot(key, seen_at), None)


def pairs(db) -> list[tuple]:
    """(from text, to text, from_version, to_version) of every change row, in version order."""
    return [
        tuple(row)
        for row in db.execute(
            "SELECT a.text, b.text, c.from_version, c.to_version FROM changes c"
            " JOIN versions a ON a.id = c.from_version_id JOIN versions b ON b.id = c.to_version_id"
            " ORDER BY c.to_version"
        )
    ]


def consecutive_pairs(db) -> list[tuple]:
    rows = db.execute("SELECT text, version FROM versions ORDER BY version").fetchall()
    return [(a[0], b[0], a[1], b[1]) for a, b in zip(rows, rows[1:])]


def flags(db) -> list[tuple]:
    return [tuple(r) for r in db.execute("SELECT kind, version_id, summary FROM flags ORDER BY id")]


def test_a_capture_inside_the_history_recomputes_the_later_change_rows_and_flag_summaries(db):
    crawl(db, "A", "2025-01-01")
    edited = crawl(db, "B", "2025-03-01")
    run_flag_job(db)
    assert pairs(db) == [(TEXTS["A"], TEXTS["B"], 1, 2)]

    inserted = capture(db, "C", "2025-02-01")  # between the two crawled versions
    assert inserted.version == 2
    # The stale A → B row is gone at once; the document waits for the flag job.
    assert pairs(db) == []
    assert db.execute("SELECT document_id, from_version FROM history_rewrites").fetchall() == [
        (inserted.document_id, 2)
    ]

    assert run_flag_job(db) == []  # the capture is history, not news: no flag
    assert (
        pairs(db)
        == consecutive_pairs(db)
        == [
            (TEXTS["A"], TEXTS["C"], 1, 2),
            (TEXTS["C"], TEXTS["B"], 2, 3),
        ]
    )
    assert db.execute("SELECT count(*) FROM history_rewrites").fetchone()[0] == 0
    [new, edit] = flags(db)
    assert new[0] == "new_readout"
    assert edit[:2] == ("edited_readout", edited.version_id)
    assert edit[2].startswith("Edited (v2 → v3): PM call — text edited")  # was "v1 → v2"
    diff = json.loads(db.execute("SELECT diff FROM changes WHERE to_version = 3").fetchone()[0])
    assert expand_diff(diff, TEXTS["C"], TEXTS["B"]) is not None  # the row is C → B's


def test_a_capture_older_than_everything_gets_a_change_row_but_no_flag(db):
    crawl(db, "A", "2025-01-01")
    run_flag_job(db)
    capture(db, "B", "2020-01-01")
    assert run_flag_job(db) == []
    assert pairs(db) == [(TEXTS["B"], TEXTS["A"], 1, 2)]
    assert [f[0] for f in flags(db)] == ["new_readout"]


def test_a_readout_known_only_from_the_archive_is_announced_once_on_its_latest_capture(db):
    for key, day in [("A", "2021-01-01"), ("B", "2022-01-01"), ("C", "2023-01-01")]:
        capture(db, key, day)
    raised = run_flag_job(db)
    assert [(f["kind"], f["summary"]) for f in raised] == [
        ("new_readout", "New readout (web archive capture of 2023-01-01): PM call")
    ]
    assert len(pairs(db)) == 2
    crawl(db, "D", "2025-01-01")  # the site itself, later: an ordinary edit
    [edit] = run_flag_job(db)
    assert edit["kind"] == "edited_readout"
    assert edit["summary"].startswith("Edited (v3 → v4): PM call")


def test_a_capture_newer_than_every_crawl_is_news(db):
    crawl(db, "A", "2020-01-01")
    run_flag_job(db)
    capture(db, "B", "2021-06-01")  # e.g. the site now refuses us; the archive saw an edit
    [edit] = run_flag_job(db)
    assert edit["kind"] == "edited_readout"
    assert edit["summary"].startswith("Edited (v1 → v2, web archive capture of 2021-06-01)")


@pytest.mark.parametrize("seed", range(12))
def test_captures_and_flag_jobs_in_any_order_leave_one_change_row_per_consecutive_pair(db, seed):
    rng = random.Random(seed)
    crawl(db, "A", "2025-01-01")
    for day in rng.sample(range(1, 28), 8):
        capture(db, rng.choice("ABCD"), f"2024-01-{day:02d}")
        if rng.random() < 0.5:
            run_flag_job(db)
    run_flag_job(db)
    assert pairs(db) == consecutive_pairs(db)
    kinds = [f[0] for f in flags(db)]
    assert kinds.count("new_readout") == 1
    assert db.execute("SELECT count(*) FROM history_rewrites").fetchone()[0] == 0
