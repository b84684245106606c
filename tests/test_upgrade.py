"""An archive made by the first release is upgraded in place: its data survive, and it ends
with the same schema as an archive created today."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3

import numpy as np
import pytest
import sqlite_utils
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

import storage
from analysis.citations import ngrams
from analysis.citations import text as citation_text
from analysis.citations.text import readout_words
from flagging import citations, run_flag_job
from readouts.cli import cli
from readouts.export import Selection, write_warc
from storage import captures, citation_index
from storage import citation_postings as postings
from storage.job_state import get_state
from storage.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    _fold_yo_in_the_citation_index,
    _keep_unchanged_text_once,
    _narrow_citation_hashes,
    _number_citations_once,
    _pack_citation_postings,
    _share_capture_headers,
)

PAGE_HASH = hashlib.sha256(b"<p>x</p>").hexdigest()
V1_ROWS = {
    "sources": [{"name": "kremlin", "kind": "readout", "spider": "generic", "schedule": "6h"}],
    "runs": [{"id": 1, "source": "kremlin", "mode": "monitor", "started_at": "2024-05-01T10:00:00Z",
              "finished_at": "2024-05-01T10:01:00Z", "outcome": "ok", "versions_stored": 2}],
    "pages": [{"hash": PAGE_HASH, "content_type": "text/html", "size": 5, "compression": "none",
               "body": b"<p>x</p>", "first_seen": "2024-05-01T10:00:30Z"}],
    "documents": [{"id": 1, "source": "kremlin", "url": "http://kremlin.example/news/1",
                   "kind": "readout", "title": "Telephone conversation", "status": "live",
                   "first_seen": "2024-05-01T10:00:30Z"}],
    "versions": [
        {"id": 1, "document_id": 1, "version": 1, "seen_at": "2024-05-01T10:00:30Z",
         "title": "Telephone conversation", "text": "The leaders spoke.", "content_hash": "h1",
         "page_hash": PAGE_HASH, "run_id": 1},
        {"id": 2, "document_id": 1, "version": 2, "seen_at": "2024-05-02T10:00:30Z",
         "title": "Telephone conversation", "text": "The leaders spoke at length.",
         "content_hash": "h2", "run_id": 1},
    ],
    "fetches": [{"id": 1, "run_id": 1, "url": "http://kremlin.example/news/1", "status": 200,
                 "outcome": "new", "document_id": 1}],
    "flags": [{"id": 1, "kind": "new_readout", "document_id": 1, "version_id": 1,
               "summary": "New readout: Telephone conversation", "key": "new_readout:version:1"}],
    "job_state": [{"name": "flags.last_version_id", "value": "2"}],
}  # fmt: skip


def make_v1_archive(path, version: int = 1) -> None:
    """An archive as schema ``version`` left it: the first release's data, then the migrations
    up to ``version`` (user_version says so), as if it had lived through those releases."""
    db = sqlite_utils.Database(sqlite3.connect(str(path), isolation_level=None))
    MIGRATIONS[0](db)
    for table, rows in V1_ROWS.items():
        db[table].insert_all(rows)
    for migration in MIGRATIONS[1:version]:
        migration(db)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


def schema(db) -> dict[str, set]:
    tables = {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    shape = {table: {c.name for c in db[table].columns} for table in tables}
    shape["indexes"] = {
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    shape["triggers"] = {
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    return shape


def test_first_schema_archive_is_upgraded_in_place_with_its_data(tmp_path):
    old = tmp_path / "old.db"
    make_v1_archive(old)
    db = storage.open_database(old)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table, rows in V1_ROWS.items():
            stored = list(db[table].rows)
            assert len(stored) == len(rows), table
            for row, kept in zip(rows, stored):
                assert {k: kept[k] for k in row} == row, table
        fresh = storage.open_database(tmp_path / "new.db")
        assert schema(db) == schema(fresh)
        fresh.close()
        assert [r[0] for r in db.execute("PRAGMA integrity_check")] == ["ok"]
    finally:
        db.close()


def test_upgraded_archive_takes_new_versions(tmp_path):
    old = tmp_path / "old.db"
    make_v1_archive(old)
    db = storage.open_database(old)
    try:
        result = storage.save_version(
            db,
            storage.Snapshot(
                source="kremlin",
                url="http://kremlin.example/news/1",
                kind="readout",
                title="Telephone conversation",
                text="The leaders spoke at length, and agreed to meet.",
            ),
            run_id=None,
        )
        assert result.version == 3
    finally:
        db.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_archive_of_every_intermediate_schema_is_upgraded_with_its_data(tmp_path, version):
    old = tmp_path / "old.db"
    make_v1_archive(old, version)
    db = storage.open_database(old)
    fresh = storage.open_database(tmp_path / "new.db")
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert schema(db) == schema(fresh)
        for table, rows in V1_ROWS.items():
            assert len(list(db[table].rows)) == len(rows), table
        assert [r[0] for r in db.execute("PRAGMA integrity_check")] == ["ok"]
        for migration in MIGRATIONS:  # idempotent: running one again changes nothing
            migration(db)
        assert schema(db) == schema(fresh)
    finally:
        db.close()
        fresh.close()


SENT = [("Host", "kremlin.example"), ("User-Agent", "readouts"), ("Accept-Encoding", "gzip")]
PAGE = "http://kremlin.example/news/1"
EXCHANGES = [
    # A repeated header kept twice, in the order received.
    {"url": PAGE, "captured_at": "2024-05-03T10:00:00Z", "request_headers": SENT, "status": 200,
     "reason": "OK", "body": b"<p>x</p>",
     "response_headers": [("Content-Type", "text/html"), ("Set-Cookie", "a=1"),
                          ("ETag", '"v1"'), ("Set-Cookie", "b=2")]},
    # Re-checks: the same conditional request and the same 304, twice.
    *({"url": PAGE, "captured_at": f"2024-05-0{day}T10:00:00Z", "status": 304,
       "request_headers": [*SENT, ("If-None-Match", '"v1"')], "reason": "Not Modified",
       "body": b"", "response_headers": [("ETag", '"v1"')]} for day in (4, 5)),
    # A masked credential, a chunked answer, and the same body as the first (a revisit).
    {"url": PAGE, "captured_at": "2024-05-06T10:00:00Z", "status": 200, "reason": "OK",
     "request_headers": [("Authorization", "****"), *SENT], "body": b"<p>x</p>",
     "response_headers": [("Transfer-Encoding", "chunked"), ("Content-Type", "text/html")]},
]  # fmt: skip


def save_captures_as_before_shared_headers(path) -> None:
    """The exchanges as ``save_capture`` stored them before header lists were shared: each
    capture row holding its own JSON lists."""
    db = sqlite_utils.Database(sqlite3.connect(str(path), isolation_level=None))
    for exchange in EXCHANGES:
        digest = captures.payload_digest(exchange["body"])
        db.execute(
            "INSERT OR IGNORE INTO capture_payloads (digest, size, compression, body)"
            " VALUES (?, ?, 'none', ?)",
            [digest, len(exchange["body"]), exchange["body"]],
        )
        db["captures"].insert(
            {
                "url": exchange["url"],
                "captured_at": exchange["captured_at"],
                "run_id": 1,
                "method": "GET",
                "request_target": "/news/1",
                "request_headers": json.dumps(exchange["request_headers"]),
                "protocol": "HTTP/1.1",
                "status": exchange["status"],
                "reason": exchange["reason"],
                "response_headers": json.dumps(exchange["response_headers"]),
                "payload_digest": digest,
            }
        )
    db.close()


def exported_records(db) -> list[tuple]:
    """The WARC export's records, without what differs between two exports of one archive
    (record ids, and the time the export was made)."""
    out = io.BytesIO()
    write_warc(db, out, Selection())
    out.seek(0)
    records = []
    for record in ArchiveIterator(out):
        fields = [
            (name, value)
            for name, value in record.rec_headers.headers
            if name not in ("WARC-Record-ID", "WARC-Concurrent-To")
            and not (record.rec_type == "warcinfo" and name == "WARC-Date")
        ]
        http = record.http_headers
        records.append(
            (
                record.rec_type,
                fields,
                http and (http.statusline, http.headers),
                record.content_stream().read(),
            )
        )
    return records


def test_captures_of_the_previous_schema_export_the_same_records_with_each_header_list_once(
    tmp_path,
):
    """Captures stored before header lists were shared come out of the upgrade as the same
    exchanges the crawler stores today: same header lists (order and repeats kept), same WARC
    records, each distinct list stored once."""
    before = MIGRATIONS.index(_share_capture_headers)
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    make_v1_archive(old, before)
    save_captures_as_before_shared_headers(old)
    make_v1_archive(new, SCHEMA_VERSION)
    upgraded, fresh = storage.open_database(old), storage.open_database(new)
    try:
        for exchange in EXCHANGES:
            captures.save_capture(
                fresh, method="GET", request_target="/news/1", protocol="HTTP/1.1", run_id=1,
                **exchange,
            )  # fmt: skip
        stored = list(captures.iter_captures(upgraded))
        assert [c.request_headers for c in stored] == [e["request_headers"] for e in EXCHANGES]
        assert [c.response_headers for c in stored] == [e["response_headers"] for e in EXCHANGES]
        assert exported_records(upgraded) == exported_records(fresh)
        for db in (upgraded, fresh):
            assert db.execute("SELECT count(*) FROM capture_headers").fetchone()[0] == 6
        assert [r[0] for r in upgraded.execute("PRAGMA foreign_key_check")] == []
    finally:
        upgraded.close()
        fresh.close()


def index_rows(db) -> dict[str, set]:
    return {
        "readouts": set(map(tuple, postings.all_pairs(db).tolist())),
        "articles": set(db.execute("SELECT * FROM citation_article_ngrams").fetchall()),
    }


def keep_the_index_as_releases_before_postings_did(db) -> None:
    """The readouts' index as releases before schema 29 stored it: a row per pair."""
    db.execute(
        "CREATE TABLE citation_ngrams (hash INTEGER NOT NULL, readout_id INTEGER NOT NULL,"
        " PRIMARY KEY (hash, readout_id)) WITHOUT ROWID"
    )
    # Decoded as stored, unchecked: the 63-bit test's buckets are past what 31 bits make.
    rows = db.execute(f"SELECT bucket, postings FROM {postings.TABLE} ORDER BY bucket").fetchall()
    shift = postings.FIRST_SHIFT - get_state(db, postings.SPLITS)
    pairs = postings.decoded(rows, shift)
    db.conn.executemany("INSERT INTO citation_ngrams VALUES (?, ?)", pairs.tolist())
    db.execute(f"DROP TABLE {postings.TABLE}")
    db.execute("DELETE FROM job_state WHERE name = ?", [postings.SPLITS])


def test_archive_indexed_with_63_bit_hashes_upgrades_to_the_index_and_citations_of_today(
    readouts, db_path, monkeypatch
):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary").returncode == 0
    db = storage.open_database(db_path)
    fresh = index_rows(db)
    cited = citation_rows(db)
    assert cited and all(fresh.values())
    # The previous release: the same index, rebuilt with its 63-bit hashes (bits 0-62).
    with monkeypatch.context() as previous:
        previous.setattr(ngrams, "_SHIFT", np.uint64(0))
        previous.setattr(ngrams, "_MASK31", np.uint64((1 << 63) - 1))
        for module in (postings, citation_index):  # buckets of 63-bit hashes: past 31 bits
            previous.setattr(module, "current_shift", lambda db: postings.FIRST_SHIFT)
        readout_words.cache_clear()  # Words an earlier test cached keep 31-bit hashes
        citations.rebuild(db)
        readout_words.cache_clear()  # and these, the 63-bit ones
    keep_the_index_as_releases_before_postings_did(db)
    assert db.execute("SELECT max(hash) FROM citation_ngrams").fetchone()[0] >= 1 << 31
    assert citation_rows(db) == cited
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(_narrow_citation_hashes)}")
    db.close()

    db = storage.open_database(db_path)
    try:
        assert index_rows(db) == fresh
        assert citation_rows(db) == cited
        assert [r[0] for r in db.execute("PRAGMA integrity_check")] == ["ok"]
    finally:
        db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "verify"])
    assert result.exit_code == 0 and result.output.startswith("The archive is whole"), result.output


def citation_rows(db) -> list[tuple]:
    return db.execute(
        "SELECT article_id, readout_id, method, spans FROM citations ORDER BY id"
    ).fetchall()


def test_a_russian_archive_indexed_before_yo_was_read_as_ye_finds_the_quotes_it_missed(
    tmp_path, monkeypatch
):
    db_path = tmp_path / "archive.db"
    db = storage.open_database(db_path)
    readout = storage.save_version(
        db,
        storage.Snapshot(
            source="kremlin-ru",
            url="http://kremlin.example/events/1",
            kind="readout",
            title="Телефонный разговор с Президентом Казахстана",
            text="Подчёркнуто, что совместная работа идёт по всем направлениям, а объём"
            " взаимной торговли растёт. Договорились о встрече министров в Казани.",
        ),
        None,
    )
    storage.save_version(
        db,
        storage.Snapshot(
            source="blog",
            url="http://blog.example/1",
            kind="commentary",
            title="Кремль о торговле",
            text="В Кремле заявили: «Подчеркнуто, что совместная работа идет по всем"
            " направлениям, а объем взаимной торговли растет». Эксперты сомневаются.",
        ),
        None,
    )
    # The previous release: words folded without reading ё as е.
    with monkeypatch.context() as previous:
        previous.setattr(citation_text, "fold", lambda word: word.casefold())
        previous.setattr(citation_text, "_folded_whole", lambda text: text.casefold())
        readout_words.cache_clear()
        run_flag_job(db)
        readout_words.cache_clear()
    assert db.execute("SELECT count(*) FROM citations").fetchone()[0] == 0
    keep_the_index_as_releases_before_postings_did(db)
    assert db.execute("SELECT count(*) FROM citation_ngrams").fetchone()[0] > 0
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(_fold_yo_in_the_citation_index)}")
    db.close()

    db = storage.open_database(db_path)  # the upgrade
    try:
        assert not any(index_rows(db).values())
        flags = run_flag_job(db)
        assert [(f["kind"], f["related_document_id"]) for f in flags] == [
            ("new_citation", readout.document_id)
        ]
    finally:
        db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "verify"])
    assert result.exit_code == 0 and result.output.startswith("The archive is whole"), result.output


@pytest.mark.parametrize("split_at", [postings.SPLIT_AT, 1 / 256])
def test_an_index_kept_a_row_a_pair_is_packed_pair_for_pair_on_upgrade(
    readouts, db_path, monkeypatch, split_at
):
    monkeypatch.setattr(postings, "SPLIT_AT", split_at)  # 1/256: as a large index, finer
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary").returncode == 0
    db = storage.open_database(db_path)
    before = index_rows(db)
    assert all(before.values())
    keep_the_index_as_releases_before_postings_did(db)
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(_pack_citation_postings)}")
    db.close()

    db = storage.open_database(db_path)  # the upgrade
    try:
        assert index_rows(db) == before
        assert "citation_ngrams" not in db.table_names()
        shift = postings.current_shift(db)
        assert shift == postings.FIRST_SHIFT if split_at > 1 else shift < postings.FIRST_SHIFT
    finally:
        db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "verify"])
    assert result.exit_code == 0 and result.output.startswith("The archive is whole"), result.output


def test_an_archive_without_yo_keeps_its_citation_index_on_upgrade(readouts, db_path):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary").returncode == 0
    db = storage.open_database(db_path)
    try:
        before = index_rows(db)
        _fold_yo_in_the_citation_index(db)
        assert index_rows(db) == before and all(before.values())
    finally:
        db.close()


def test_citation_ids_a_drift_flag_names_are_not_given_again_after_upgrade(tmp_path):
    db_path = tmp_path / "archive.db"
    db = storage.open_database(db_path)
    # The previous release's table: the same columns, ids SQLite may give again.
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'citations'").fetchone()
    db.execute("DROP TABLE citations")
    db.execute(sql.replace(" AUTOINCREMENT", ""))
    db.execute(
        "CREATE UNIQUE INDEX idx_citations_article_id_readout_id ON citations (article_id, readout_id)"
    )
    db.execute("DELETE FROM sqlite_sequence WHERE name = 'citations'")
    for citation_id, article_id in ((1, 10), (2, 11)):
        db.execute(
            "INSERT INTO citations (id, article_id, readout_id, method) VALUES (?, ?, 1, 'quote')",
            [citation_id, article_id],
        )
    # Citation 7 drifted, was flagged, and has since been deleted with its article's quote.
    db.execute(
        "INSERT INTO flags (kind, key, document_id) VALUES"
        " ('quote_drift', 'quote_drift:citation:7:readout_version:3', 12)"
    )
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(_number_citations_once)}")
    db.conn.commit()
    db.close()

    db = storage.open_database(db_path)  # the upgrade
    try:
        assert db.execute("SELECT id, article_id FROM citations ORDER BY id").fetchall() == [
            (1, 10),
            (2, 11),
        ]
        assert (
            "AUTOINCREMENT"
            in db.execute("SELECT sql FROM sqlite_master WHERE name = 'citations'").fetchone()[0]
        )
        assert (
            db.execute(
                "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'citations' AND type = 'index'"
            ).fetchone()[0]
            >= 1
        )
        new = db.execute(
            "INSERT INTO citations (article_id, readout_id, method) VALUES (13, 1, 'quote')"
        ).lastrowid
        assert new == 8
    finally:
        db.close()


@pytest.mark.parametrize("unreadable", ["[[0, ", "[" * 100_000 + "]" * 100_000])
def test_diffs_stored_with_their_unchanged_text_shrink_on_upgrade_and_read_the_same(
    tmp_path, unreadable
):
    db_path = tmp_path / "archive.db"
    db = storage.open_database(db_path)
    text = "The leaders spoke.\nThey discussed trade at length.\nThey agreed to stay in touch."
    for version_text in (text, text.replace("at length", "briefly"), text + "\nA new line."):
        snapshot = storage.Snapshot(
            source="kremlin", url="http://kremlin.example/news/1", kind="readout",
            title="Telephone conversation", text=version_text, published_at="2024-05-01",
        )  # fmt: skip
        storage.save_version(db, snapshot, None)
    run_flag_job(db)
    diff_json = ["--db", str(db_path), "diff", "1", "--from", "1", "--to", "2", "--json"]
    shown = CliRunner().invoke(cli, diff_json).output
    # As the previous release stored them: the unchanged text written out; one unreadable.
    (first, *_), (second, *_) = db.execute("SELECT id FROM changes ORDER BY id").fetchall()
    written_out = json.dumps(json.loads(shown)["diff"], ensure_ascii=False)
    db.execute("UPDATE changes SET diff = ? WHERE id = ?", [written_out, first])
    db.execute("UPDATE changes SET diff = ? WHERE id = ?", [unreadable, second])
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(_keep_unchanged_text_once)}")
    db.close()

    db = storage.open_database(db_path)  # the upgrade
    try:
        stored = dict(db.execute("SELECT id, diff FROM changes").fetchall())
    finally:
        db.close()
    assert json.loads(stored[first]) == [
        [0, len("The leaders spoke.\nThey discussed trade ")],
        [-1, "at length"],
        [1, "briefly"],
        [0, len(". They agreed to stay in touch.")],
    ]
    assert stored[second] == unreadable
    assert CliRunner().invoke(cli, diff_json).output == shown
    third = CliRunner().invoke(cli, [*diff_json[:4], "--from", "2", "--to", "3", "--json"])
    assert json.loads(third.output)["diff"][-1] == [1, "\nA new line."]
