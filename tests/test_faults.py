"""A crawl of a hostile site ends, logs every failure and stores nothing broken or false.

The fault site (tests/faultsite.py) gives each item page one fault drawn at random with a
seed: server errors, throttling, stalls, cut-off and garbled bodies, a gzip bomb, 50 MB
pages, redirect loops, wrong charsets, binary bodies. Then the site calms down.
"""

from __future__ import annotations

import re

import pytest
from conftest import Readouts, query
from faultsite import FaultSite

from readouts.demo.sitegen import sources_toml

# What the fetch log must say about a page that failed with each fault.
ERRORS = {
    "http_500": "HTTP 500",
    "http_503": "HTTP 503",
    "http_429": "HTTP 429",
    "http_429_long": "HTTP 429",
    "stall": "took longer than 2.0 seconds",
    "truncated": "closed before the whole body arrived",
    "chunked_garbage": "closed before the whole body arrived",
    "gzip_bomb": "exceeded DOWNLOAD_MAXSIZE",
    "huge": "larger than download max size",
    "huge_unannounced": "body grew past the size limit",
    "redirect_loop": "too many redirects",
    "binary": "binary body",
    "empty": "no title and no text",
}


@pytest.fixture
def fault_site(server):
    return FaultSite(server, count=40, seed=8)


@pytest.fixture
def run(tmp_path, db_path, server):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        sources_toml(server.base_url, timeout=2, retries=1, concurrency=8), encoding="utf-8"
    )
    readouts = Readouts(db_path, sources)

    def crawl(*args: str, expect: int) -> None:
        result = readouts("crawl", "site", *args, timeout=180)
        assert result.returncode == expect, result.stdout + result.stderr[-3000:]

    return crawl


def archive(db_path) -> set[tuple]:
    return {
        (r["url"], r["version"], r["content_hash"])
        for r in query(
            db_path,
            "SELECT d.url, v.version, v.content_hash FROM versions v"
            " JOIN documents d ON d.id = v.document_id",
        )
    }


def flag_kinds(db_path) -> list[str]:
    return [r["kind"] for r in query(db_path, "SELECT kind FROM flags ORDER BY id")]


def last_fetch(db_path, run_id: int, url: str) -> dict:
    rows = query(
        db_path,
        "SELECT status, outcome, error FROM fetches WHERE run_id = ? AND url = ? ORDER BY id",
        [run_id, url],
    )
    assert rows, f"no fetch of {url} in run {run_id}"
    return rows[-1]


def test_hostile_site_run_logs_every_failure_and_stores_only_good_text(
    run, fault_site, server, db_path
):
    faults = fault_site.storm(seed=1)
    run(expect=1)

    loops = query(db_path, "SELECT error FROM fetches WHERE error LIKE '%too many redirects%'")
    assert len(loops) == list(faults.values()).count("redirect_loop")
    for path, fault in faults.items():
        url, readout = server.url(path), fault_site.readouts[path]
        stored = query(
            db_path,
            "SELECT v.title, v.text FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.url = ?",
            [url],
        )
        if fault_site.expected(path) == "stored":
            assert len(stored) == 1, (path, fault)
            assert stored[0]["title"] == readout.title, (path, fault, stored[0]["title"])
            for paragraph in readout.paragraphs:
                assert paragraph in stored[0]["text"], (path, fault)
            continue
        assert stored == [], (path, fault)
        if fault == "redirect_loop":
            continue
        fetch = last_fetch(db_path, 1, url)
        assert fetch["outcome"] == fault_site.expected(path), (path, fault, fetch)
        if fault != "http_404":
            assert ERRORS[fault] in fetch["error"], (path, fault, fetch)

    for path, fault in faults.items():
        requests = fault_site.times.get(path, [])
        if fault == "http_429":  # retried once, after the second Retry-After asked for
            assert len(requests) == 2 and requests[1] - requests[0] >= 0.9, (path, requests)
        if fault == "http_429_long":  # an hour's pause asked: not retried in this run
            assert len(requests) == 1, (path, requests)

    unexplained = query(
        db_path,
        "SELECT url, outcome FROM fetches WHERE outcome IN ('failed', 'parse_error')"
        " AND (error IS NULL OR error = '')",
    )
    assert unexplained == []
    assert query(db_path, "SELECT outcome FROM runs") == [{"outcome": "errors"}]
    for row in query(db_path, "SELECT title, text FROM versions"):
        assert "\ufffd" not in row["title"] + row["text"]
        assert not re.search("[ÐÑÂÃ][\u0080-\u00ff]", row["title"] + row["text"]), "mojibake"


def test_calm_run_after_a_storm_stores_everything_and_storms_raise_no_false_flag(
    run, fault_site, db_path
):
    fault_site.storm(seed=2)
    run(expect=1)
    fault_site.calm()
    run(expect=0)
    count = len(fault_site.readouts)
    stored = archive(db_path)
    assert len(stored) == count and {version for _, version, _ in stored} == {1}
    assert flag_kinds(db_path) == ["new_readout"] * count

    # Known pages failing every way: no new version, no edit, no removal, nothing lost.
    fault_site.storm(seed=3)
    run("--recheck", expect=1)
    assert archive(db_path) == stored
    assert flag_kinds(db_path) == ["new_readout"] * count
    assert query(db_path, "SELECT DISTINCT status FROM documents") == [{"status": "live"}]

    fault_site.calm()
    run("--recheck", expect=0)
    assert archive(db_path) == stored
    assert flag_kinds(db_path) == ["new_readout"] * count
