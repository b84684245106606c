"""Stored bodies compressed with a zstd dictionary trained per source (``storage.bodies``): every
raw page and capture payload reads back as it was served, across crawl processes and rows of
older releases."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import zlib
from urllib.parse import urlsplit

import pytest
from conftest import Readouts, query

import storage
from readouts.demo.server import Resource, SiteServer
from readouts.demo.sitegen import (
    item_path,
    listing_path,
    make_readout,
    render_listing,
    render_readout,
    site_pages,
    sources_toml,
)
from storage import captures
from storage.bodies import TRAIN_AFTER

# One item to a listing page: the first crawl stores two bodies per item, more than the threshold.
FIRST = TRAIN_AFTER // 2 + 5
LATER = range(FIRST + 1, FIRST + 6)  # items the second crawl finds
GZIPPED = FIRST + 5  # served with Content-Encoding: gzip, so its page is no capture payload


def served(number: int) -> bytes:
    return render_readout(make_readout(number)).encode("utf-8")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two crawl processes of one source: the first trains its dictionary, the second finds
    new items. Gives the archive and the dictionaries after the first crawl."""
    tmp = tmp_path_factory.mktemp("compression")
    with SiteServer() as server:
        dictionaries = crawl_twice(server, tmp / "sources.toml", tmp / "archive.db")
    return tmp / "archive.db", dictionaries


@pytest.fixture
def archive(crawled):
    return crawled[1]


@pytest.fixture
def archive_path(crawled):
    return crawled[0]


def crawl_twice(server, sources, db_path) -> list[dict]:
    for path, html in site_pages(FIRST, per_listing=1).items():
        server.set(path, html)
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    readouts = Readouts(db_path, sources)
    first = readouts("crawl", "site")
    assert first.returncode == 0, first.stderr
    dictionaries = query(db_path, "SELECT * FROM compression_dictionaries")
    for number in LATER:
        body = served(number)
        if number == GZIPPED:
            squeezed = gzip.compress(body, mtime=0)
            server.set(item_path(number), Resource(squeezed, headers={"Content-Encoding": "gzip"}))
        else:
            server.set(item_path(number), Resource(body))
    server.set(listing_path(1), render_listing([*LATER, 1], 1, FIRST))  # the newest first
    second = readouts("crawl", "site")
    assert second.returncode == 0, second.stderr
    return dictionaries


def test_a_source_dictionary_is_trained_once_and_reused_by_the_next_crawl(archive, archive_path):
    assert [(row["source"], row["samples"]) for row in archive] == [("site", TRAIN_AFTER)]
    assert query(archive_path, "SELECT * FROM compression_dictionaries") == archive
    digest = archive[0]["digest"]
    assert hashlib.sha256(archive[0]["dictionary"]).hexdigest() == digest
    rows = query(
        archive_path,
        "SELECT c.url, p.compression FROM captures c"
        " JOIN capture_payloads p ON p.digest = c.payload_digest"
        " WHERE c.run_id = (SELECT max(id) FROM runs)",
    )
    later = {urlsplit(row["url"]).path: row["compression"] for row in rows}
    new_bodies = [item_path(n) for n in LATER if n != GZIPPED] + [listing_path(1)]
    assert [later[path] for path in new_bodies] == [f"zstd:{digest}"] * len(new_bodies)
    gzipped_page = query(
        archive_path,
        "SELECT p.compression FROM pages p JOIN versions v ON v.page_hash = p.hash"
        " JOIN documents d ON d.id = v.document_id WHERE d.url LIKE ?",
        [f"%{item_path(GZIPPED)}"],
    )
    assert gzipped_page == [{"compression": f"zstd:{digest}"}]  # the decoded page, compressed


def test_every_stored_page_and_payload_reads_back_as_served(archive_path):
    db = storage.open_database(archive_path)
    try:
        pages = [row["hash"] for row in db.query("SELECT hash FROM pages")]
        payloads = [row["digest"] for row in db.query("SELECT digest FROM capture_payloads")]
        assert len(pages) > FIRST and len(payloads) > FIRST
        for digest in pages:
            assert hashlib.sha256(storage.load_page(db, digest)).hexdigest() == digest
        for digest in payloads:
            assert captures.payload_digest(captures.load_payload(db, digest)) == digest
        for row in db.query(
            "SELECT d.url, v.page_hash FROM versions v JOIN documents d ON d.id = v.document_id"
        ):
            number = int(row["url"].rsplit("/", 1)[1])
            assert storage.load_page(db, row["page_hash"]) == served(number)
    finally:
        db.close()


def test_rows_compressed_with_zlib_by_older_releases_still_read(archive_path, tmp_path):
    """Rewrite a raw page and a capture payload (of a copy of the archive) as releases before
    zstd stored them."""
    old_path = tmp_path / "old.db"
    with sqlite3.connect(archive_path) as source, sqlite3.connect(old_path) as copy:
        source.backup(copy)
    db = storage.open_database(old_path)
    try:
        page_hash, payload = next(
            db.execute(
                "SELECT v.page_hash, p.payload_digest FROM versions v"
                " JOIN pages p ON p.hash = v.page_hash WHERE p.compression = 'payload' LIMIT 1"
            )
        )
        page, body = storage.load_page(db, page_hash), captures.load_payload(db, payload)
    finally:
        db.close()
    old = sqlite3.connect(old_path)
    with old:
        old.execute(
            "UPDATE pages SET compression = 'zlib', body = ?, payload_digest = NULL WHERE hash = ?",
            [zlib.compress(page), page_hash],
        )
        old.execute(
            "UPDATE capture_payloads SET compression = 'zlib', body = ? WHERE digest = ?",
            [zlib.compress(body), payload],
        )
    old.close()
    db = storage.open_database(old_path)
    try:
        assert storage.load_page(db, page_hash) == page
        assert captures.load_payload(db, payload) == body
    finally:
        db.close()


def test_a_source_crawled_in_runs_too_small_to_train_alone_gets_its_dictionary(
    tmp_path, db_path, server
):
    """Monitor runs each store a few bodies, every run in a process of its own: the bodies
    stored by earlier runs count towards the training threshold."""
    count = TRAIN_AFTER * 7 // 20  # two bodies an item (its listing page's): 70% of the threshold
    for path, html in site_pages(count, per_listing=1).items():
        server.set(path, html)
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    readouts = Readouts(db_path, sources)
    assert readouts("crawl", "site").returncode == 0
    assert query(db_path, "SELECT * FROM compression_dictionaries") == []
    for number in range(1, count + 1):  # an edit each: one new body an item
        server.set(item_path(number), render_readout(make_readout(number).edited(1)))
    recheck = readouts("crawl", "site", "--recheck")
    assert recheck.returncode == 0, recheck.stderr
    dictionaries = query(db_path, "SELECT source, samples FROM compression_dictionaries")
    assert dictionaries == [{"source": "site", "samples": TRAIN_AFTER}]
