"""A backfill killed with SIGKILL halfway and started again carries on where it stopped."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from conftest import Readouts, query
from news_site import NewsSite

RANGE = ("--since", "2024-01-01", "--until", "2024-12-31")
ITEMS = 40


def stored_urls(db_path) -> set[str]:
    if not db_path.exists():
        return set()
    connection = sqlite3.connect(db_path, timeout=30)
    try:
        return {
            row[0]
            for row in connection.execute(
                "SELECT d.url FROM versions v JOIN documents d ON d.id = v.document_id"
            )
        }
    except sqlite3.OperationalError:  # the schema is not there yet
        return set()
    finally:
        connection.close()


def test_killed_backfill_resumes_without_refetching_and_stores_each_item_once(
    tmp_path, db_path, server
):
    site = NewsSite(server, ITEMS)
    sources = site.sources(tmp_path / "s.toml", delay=0.2)
    command = [sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(sources)]
    child = subprocess.Popen(
        [*command, "crawl", "news", *RANGE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while len(stored_urls(db_path)) < 8:
        assert child.poll() is None, "the backfill ended before it could be killed"
        assert time.monotonic() < deadline, "the backfill stored nothing in 120 s"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored_before = stored_urls(db_path)
    asked_before = len(server.requests)
    assert 8 <= len(stored_before) < ITEMS

    result = Readouts(db_path, sources)("crawl", "news", *RANGE)
    assert result.returncode == 0, result.stdout + result.stderr
    asked_again = {server.url(r.path) for r in server.requests[asked_before:]}
    assert not asked_again & stored_before, "items stored before the kill were fetched again"
    per_document = query(
        db_path, "SELECT document_id, count(*) AS n FROM versions GROUP BY document_id"
    )
    assert len(per_document) == ITEMS and {row["n"] for row in per_document} == {1}
    runs = query(db_path, "SELECT mode, outcome, message FROM runs ORDER BY id")
    assert [(r["mode"], r["outcome"]) for r in runs] == [
        ("backfill", "interrupted"),
        ("backfill", "ok"),
    ]
    assert query(db_path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_backfill_bounded_by_max_pages_carries_on_run_after_run(tmp_path, db_path, server):
    """Eight requests at a time, five pages a run: each run makes exactly five page requests,
    ends ok, and stores items the runs before it did not; a run without the limit finishes the
    range without fetching any stored item again."""
    site = NewsSite(server, ITEMS)
    readouts = Readouts(db_path, site.sources(tmp_path / "s.toml", concurrency=8))
    stored: set[str] = set()
    for _ in range(3):
        asked_before = len(server.requests)
        result = readouts("crawl", "news", *RANGE, "--max-pages", "5")
        assert result.returncode == 0, result.stdout + result.stderr
        asked = [r.path for r in server.requests[asked_before:] if r.path != "/robots.txt"]
        assert len(asked) == 5, asked
        assert not {server.url(path) for path in asked} & stored, "a stored item was fetched again"
        now = stored_urls(db_path)
        assert now > stored
        stored = now
    asked_before = len(server.requests)
    result = readouts("crawl", "news", *RANGE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not {server.url(r.path) for r in server.requests[asked_before:]} & stored
    per_document = query(
        db_path, "SELECT document_id, count(*) AS n FROM versions GROUP BY document_id"
    )
    assert len(per_document) == ITEMS and {row["n"] for row in per_document} == {1}
    runs = query(db_path, "SELECT outcome, message FROM runs ORDER BY id")
    assert [r["outcome"] for r in runs] == ["ok"] * 4
    assert all(r["message"].startswith("stopped at --max-pages 5: ") for r in runs[:3])
    assert runs[3]["message"] is None


def test_a_bounded_backfill_spent_on_listings_says_to_raise_the_limit(tmp_path, db_path, server):
    """Every run walks the listings from the newest page: with the first pages' items stored, a
    limit smaller than the listings in front of the rest stores nothing, and says so."""
    site = NewsSite(server, ITEMS)
    readouts = Readouts(db_path, site.sources(tmp_path / "s.toml", concurrency=8))
    assert readouts("crawl", "news", *RANGE, "--max-pages", "8").returncode == 0
    stored = stored_urls(db_path)

    result = readouts("crawl", "news", *RANGE, "--max-pages", "1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_urls(db_path) == stored
    message = query(db_path, "SELECT message FROM runs ORDER BY id DESC LIMIT 1")[0]["message"]
    assert message.endswith(
        "nothing stored: the listings before the items not stored yet take"
        " more pages than that, raise --max-pages"
    )
    assert "raise --max-pages" in result.stdout
