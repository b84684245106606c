"""What the news scan reads from the archive and what it writes back.

The scan ships a read-only snapshot of the citation index to its workers (``index_snapshot``)
and stores, through one writer, only the articles that cite a readout: a ``scan`` version of a
commentary document, its raw page and its WARC provenance (``scan_captures``). Progress is
kept per WARC file (``scan_files``, keyed by the file's digest) and per record range
(``scan_ranges``): a range's articles and its ``done`` mark commit together, so a killed scan
resumes at the first range not done and stores nothing twice. Only a scan of every capture
marks a range done: one limited to some dates has not read the rest.

A scanned capture is an observation made by someone else, in the past, as a web archive's is:
it takes its place in the document's history by its capture time (``save_archived_version``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from analysis.citations.params import DEFAULT, Params
from storage.archive import save_archived_version
from storage.citation_index import readout_count
from storage.citation_postings import all_pairs
from storage.database import write_transaction
from storage.documents import Snapshot
from storage.pages import save_page
from storage.schema import SCAN
from storage.timeutil import utc_now


@dataclass(frozen=True)
class IndexSnapshot:
    """The citation index as plain arrays, for workers that have no database.

    ``hashes``/``readout_ids`` are the rare n-gram postings sorted by hash (an n-gram shared
    by more readouts than the index keeps is left out, as lookups ignore it); ``url_keys``
    maps link keys to readouts and ``hosts`` holds their hosts (a page naming none of them
    links to no readout); ``versions`` holds each readout's versions, oldest first.
    """

    hashes: np.ndarray
    readout_ids: np.ndarray
    url_keys: dict[str, int]
    versions: dict[int, list[tuple[int, str]]]
    hosts: tuple[str, ...] = ()

    def versions_of(self, readout_id: int) -> list[tuple[int, str]]:
        return self.versions.get(readout_id, [])


def index_snapshot(db: sqlite_utils.Database, params: Params = DEFAULT) -> IndexSnapshot:
    """A consistent snapshot of the index, read in one transaction: the postings of the
    n-grams that are rare in this archive, as the flag job's lookups count them."""
    with write_transaction(db):
        rare = params.rare_limit(readout_count(db))
        pairs = all_pairs(db)
        url_keys = dict(db.execute("SELECT key, readout_id FROM citation_url_keys").fetchall())
        versions: dict[int, list[tuple[int, str]]] = {}
        for version_id, readout_id, text in db.execute(
            "SELECT v.id, v.document_id, v.text FROM versions v"
            " JOIN documents d ON d.id = v.document_id WHERE d.kind = 'readout'"
            " ORDER BY v.document_id, v.version"
        ):
            versions.setdefault(readout_id, []).append((version_id, text or ""))
    holders = np.unique(pairs[:, 0], return_counts=True)[1]
    pairs = pairs[np.repeat(holders <= rare, holders)]  # pairs are sorted by hash
    return IndexSnapshot(
        hashes=pairs[:, 0].copy(),
        readout_ids=pairs[:, 1].astype(np.int32),
        url_keys=url_keys,
        versions=versions,
        hosts=tuple(sorted({key.split("/")[0] for key in url_keys})),
    )


def file_state(db: sqlite_utils.Database, digest: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM scan_files WHERE digest = ?", [digest]))
    return rows[0] if rows else None


def ranges_done(db: sqlite_utils.Database, digest: str) -> set[int]:
    return {
        row[0]
        for row in db.execute(
            "SELECT start FROM scan_ranges WHERE file_digest = ? AND done_at IS NOT NULL",
            [digest],
        ).fetchall()
    }


def start_file(db: sqlite_utils.Database, digest: str, path: str, size: int, ranges: int) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO scan_files (digest, path, size, ranges, started_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(digest) DO UPDATE SET path = excluded.path",
            [digest, path, size, ranges, utc_now()],
        )


def ensure_source(db: sqlite_utils.Database, name: str, base_url: str) -> None:
    """A source row for scanned articles of a site that is not configured."""
    db.execute(
        "INSERT OR IGNORE INTO sources (name, kind, spider, base_url, schedule, config, updated_at)"
        " VALUES (?, 'commentary', 'scan', ?, NULL, '{}', ?)",
        [name, base_url, utc_now()],
    )


def save_range(
    db: sqlite_utils.Database,
    digest: str,
    warc_file: str,
    start: int,
    end: int,
    counts: dict[str, int],
    articles: Iterable[Any],
    *,
    mark_done: bool = True,
) -> int:
    """Store one range's citing articles and mark the range done, in one transaction; when
    it is the file's last range the file is finished too. Return the versions stored.

    A scan limited to some dates stores its articles with ``mark_done`` false: the range's
    other captures are still to read by a scan of other dates."""
    stored = 0
    now = utc_now()
    with write_transaction(db):
        for article in articles:
            capture = article.capture
            ensure_source(db, article.source, article.site)
            page_hash = save_page(db, capture.body, capture.content_type, capture.captured_at)
            result = save_archived_version(
                db,
                Snapshot(
                    source=article.source,
                    url=article.url,
                    kind="commentary",
                    title=article.title,
                    text=article.text,
                    published_at=article.published_at,
                    language=article.language,
                    seen_at=capture.captured_at or now,
                    page_hash=page_hash,
                ),
                None,
                origin=SCAN,
            )
            stored += result.version_id is not None
            db.execute(
                "INSERT OR IGNORE INTO scan_captures (document_id, version_id, warc_file,"
                " file_digest, record_offset, record_id, record_digest, captured_at, scanned_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    result.document_id,
                    result.version_id,
                    warc_file,
                    digest,
                    capture.offset,
                    capture.record_id,
                    capture.record_digest,
                    capture.captured_at,
                    now,
                ],
            )
        if mark_done:
            _mark_done(db, digest, start, end, counts, now)
    return stored


def _mark_done(
    db: sqlite_utils.Database, digest: str, start: int, end: int, counts: dict[str, int], now: str
) -> None:
    """The range is done; the file is finished when its last range is."""
    db.execute(
        "INSERT INTO scan_ranges (file_digest, start, end, records, html_records, citing,"
        " done_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(file_digest, start) DO UPDATE"
        " SET records = excluded.records, html_records = excluded.html_records,"
        " citing = excluded.citing, done_at = excluded.done_at",
        [digest, start, end, counts["records"], counts["html"], counts["citing"], now],
    )
    db.execute(
        "UPDATE scan_files SET records = t.records, html_records = t.html, citing = t.citing,"
        " finished_at = CASE WHEN t.done >= scan_files.ranges THEN ? END"
        " FROM (SELECT sum(records) AS records, sum(html_records) AS html,"
        " sum(citing) AS citing, count(*) AS done FROM scan_ranges"
        " WHERE file_digest = ? AND done_at IS NOT NULL) AS t WHERE digest = ?",
        [now, digest, digest],
    )


def scan_summary(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM scan_files ORDER BY started_at, path"))


def scanned_citations(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every citation of an article the scan stored, by URL, in a stable order (benchmarks
    compare runs and score them against a truth kept by URL)."""
    return list(
        db.query(
            "SELECT a.url AS article, r.url AS readout, c.method, c.spans FROM citations c"
            " JOIN documents a ON a.id = c.article_id JOIN documents r ON r.id = c.readout_id"
            " WHERE a.id IN (SELECT document_id FROM scan_captures) ORDER BY a.url, r.url"
        )
    )
