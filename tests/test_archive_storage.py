"""Archive captures placed in a document's history: time order and the dedupe rule hold."""

from __future__ import annotations

import itertools
import random

import pytest

import storage

URL = "https://www.gov.uk/government/news/pm-call-with-president-macron"


def snapshot(text: str, seen_at: str) -> storage.Snapshot:
    return storage.Snapshot(
        source="govuk", url=URL, kind="readout", title="PM call", text=text, seen_at=seen_at
    )


def history(db) -> list[tuple]:
    return [
        tuple(row)
        for row in db.execute(
            "SELECT version, seen_at, text, origin FROM versions ORDER BY version"
        ).fetchall()
    ]


CAPTURES = [("A", "2019-01-01"), ("C", "2020-01-01"), ("C", "2021-01-01"), ("A", "2022-01-01")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_captures_in_any_order_give_the_same_time_ordered_history(db, order):
    storage.save_version(db, snapshot("C", "2025-01-01"), None)  # crawled today
    for index in order:
        text, day = CAPTURES[index]
        storage.save_archived_version(db, snapshot(text, day), None)
    assert history(db) == [
        (1, "2019-01-01", "A", "archive"),
        (2, "2020-01-01", "C", "archive"),
        (3, "2022-01-01", "A", "archive"),
        (4, "2025-01-01", "C", "crawl"),
    ]


def test_a_capture_identical_to_the_next_version_dates_that_version_earlier(db):
    crawled = storage.save_version(db, snapshot("B", "2025-01-01"), None)
    result = storage.save_archived_version(db, snapshot("B", "2023-06-01"), None)
    assert not result.changed
    assert history(db) == [(1, "2023-06-01", "B", "archive")]
    row = db.execute("SELECT id FROM versions").fetchone()
    assert row[0] == crawled.version_id  # flags pointing at it stay valid
    assert db.execute("SELECT first_seen FROM documents").fetchone()[0] == "2023-06-01"


def test_a_later_crawl_compares_with_the_latest_version_in_time(db):
    storage.save_archived_version(db, snapshot("A", "2020-01-01"), None)
    assert not storage.save_version(db, snapshot("A", "2025-01-01"), None).changed
    assert storage.save_version(db, snapshot("B", "2025-02-01"), None).version == 2


@pytest.mark.parametrize("seed", range(40))
def test_random_captures_give_the_collapsed_time_ordered_history(db, seed):
    rng = random.Random(seed)
    days = rng.sample(range(1, 28), 7)
    captures = [(rng.choice("ABC"), f"2020-01-{day:02d}") for day in days]
    storage.save_version(db, snapshot("A", "2025-01-01"), None)
    for text, day in captures:
        storage.save_archived_version(db, snapshot(text, day), None)
    expected = []
    for text, day in sorted(captures, key=lambda c: c[1]) + [("A", "2025-01-01")]:
        if not expected or expected[-1][1] != text:
            expected.append((day, text))
    assert [(row[1], row[2]) for row in history(db)] == expected
    assert [row[0] for row in history(db)] == list(range(1, len(expected) + 1))
