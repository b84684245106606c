"""Versions recovered from a web archive (the Wayback Machine, an imported WARC file, a news
crawl's WARC files read by ``readouts scan``), placed in a document's history.

A capture is an observation made by someone else, in the past: it is dated by its capture time
and may be older than every version we crawled ourselves. The rules of ``documents`` still hold
over the whole history, ordered by ``seen_at``:

- a version exists only where the normalized content differs from the version before it in time,
  so a capture identical to the version before it adds nothing;
- a capture identical to the version *after* it shows that content earlier than we knew: that
  version keeps its id (flags point at it) and takes the capture's date, page and origin; its
  former date is kept as a *sighting* (``version_sightings``);
- a capture that differs from a version seen both before and after it (a sighting later than
  the capture) splits that version: the capture, then the version again from that sighting on;
- version numbers follow ``seen_at``: inserting a capture renumbers the later versions.

A reordered history makes the change rows of the later versions wrong (they compare other
pairs, name other version numbers): they are deleted in the same transaction and the document
is queued in ``history_rewrites`` for the flag job to recompute them.

So captures may arrive in any order (Scrapy fetches them concurrently, a user backfills one
year then an earlier one) and the history comes out the same. Captures never change a
document's status or its validators (ETag, Last-Modified): the archive says what a page said,
not whether it still exists. (``readouts import`` counts its own captures towards the status,
when they are newer than what the archive knows: ``storage.imports``.)
"""

from __future__ import annotations

import json

import sqlite_utils

from storage.database import write_transaction
from storage.documents import EmptyVersionError, SaveResult, Snapshot
from storage.schema import ARCHIVE
from storage.timeutil import utc_now


def save_archived_version(
    db: sqlite_utils.Database, snapshot: Snapshot, run_id: int | None, *, origin: str = ARCHIVE
) -> SaveResult:
    """Place one archive capture (``snapshot.seen_at`` = capture time) in its document's history;
    ``origin`` names the archive (the news scan files its WARC captures as ``scan``)."""
    if not (snapshot.title or "").strip() or not (snapshot.text or "").strip():
        raise EmptyVersionError(f"Refusing to store an empty version of {snapshot.url}")
    if not snapshot.seen_at:
        raise ValueError(f"An archive capture of {snapshot.url} needs its capture time")
    captured = snapshot.seen_at
    digest = snapshot.content_hash
    with write_transaction(db):
        document_id, created = _document(db, snapshot)
        history = db.execute(
            "SELECT id, seen_at, content_hash FROM versions WHERE document_id = ?"
            " ORDER BY seen_at, version",
            [document_id],
        ).fetchall()
        before = [row for row in history if row[1] <= captured]
        after = [row for row in history if row[1] > captured]
        if before and before[-1][2] == digest:
            if before[-1][1] < captured:  # seen again: a version in between would split it
                db.execute(
                    "INSERT INTO version_sightings (version_id, seen_at, origin, page_hash, run_id)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [before[-1][0], captured, origin, snapshot.page_hash, run_id],
                )
            return SaveResult(document_id, None, None, created)
        former = [row[0] for row in history]
        if after and after[0][2] == digest:
            _antedate(db, after[0][0], snapshot, run_id, origin)
            _resolve_spans(db, document_id)
            _renumber(db, document_id)
            _forget_changes_after_reordering(db, document_id, former)
            return SaveResult(document_id, None, None, created)
        version_id = db.execute(
            "INSERT INTO versions (document_id, version, seen_at, title, text, published_at,"
            " content_hash, page_hash, run_id, origin, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                document_id,
                len(history) + 1,
                captured,
                snapshot.title,
                snapshot.text,
                snapshot.published_at,
                digest,
                snapshot.page_hash,
                run_id,
                origin,
                json.dumps(snapshot.metadata, ensure_ascii=False) if snapshot.metadata else None,
            ],
        ).lastrowid
        _resolve_spans(db, document_id)
        _renumber(db, document_id)
        _forget_changes_after_reordering(db, document_id, former)
        _show_latest(db, document_id, snapshot.language)
        version = db.execute("SELECT version FROM versions WHERE id = ?", [version_id]).fetchone()
    return SaveResult(document_id, version_id, version[0], created)


def _document(db: sqlite_utils.Database, snapshot: Snapshot) -> tuple[int, bool]:
    """The document's id, created if the archive is the first to show it; ``first_seen`` moves
    back to the capture time when the capture is older."""
    row = db.execute("SELECT id FROM documents WHERE url = ?", [snapshot.url]).fetchone()
    if row is None:
        cursor = db.execute(
            "INSERT INTO documents (source, url, kind, status, first_seen, last_seen)"
            " VALUES (?, ?, ?, 'live', ?, ?)",
            [snapshot.source, snapshot.url, snapshot.kind, snapshot.seen_at, snapshot.seen_at],
        )
        return cursor.lastrowid, True
    db.execute(
        "UPDATE documents SET first_seen = min(coalesce(first_seen, ?), ?) WHERE id = ?",
        [snapshot.seen_at, snapshot.seen_at, row[0]],
    )
    return row[0], False


def _antedate(
    db: sqlite_utils.Database, version_id: int, snapshot: Snapshot, run_id: int | None, origin: str
) -> None:
    """The version was already there at the capture time: date it from then, and keep its
    former first sighting."""
    db.execute(
        "INSERT INTO version_sightings (version_id, seen_at, origin, page_hash, run_id)"
        " SELECT id, seen_at, origin, page_hash, run_id FROM versions WHERE id = ?",
        [version_id],
    )
    db.execute(
        "UPDATE versions SET seen_at = ?, origin = ?, page_hash = ?, run_id = ? WHERE id = ?",
        [snapshot.seen_at, origin, snapshot.page_hash, run_id, version_id],
    )


def _resolve_spans(db: sqlite_utils.Database, document_id: int) -> None:
    """Where another version starts inside a version's known span (before one of its
    sightings), the version resumes after it: each pass moves one sighting, so this ends."""
    while True:
        timeline = db.execute(
            "SELECT id, seen_at, content_hash FROM versions WHERE document_id = ?"
            " ORDER BY seen_at, id",
            [document_id],
        ).fetchall()
        for version_id, seen_at, digest in timeline:
            last = db.execute(
                "SELECT max(seen_at) FROM version_sightings WHERE version_id = ?", [version_id]
            ).fetchone()[0]
            inside = [
                row for row in timeline if seen_at < row[1] < (last or "") and row[2] != digest
            ]
            if inside:
                _resume_after(db, timeline, version_id, inside[0][1])
                break
        else:
            return


def _resume_after(db: sqlite_utils.Database, timeline: list, version_id: int, moment: str) -> None:
    """The version was seen again after ``moment``: its next sighting becomes (or joins) the
    version of the same content current then."""
    sighting = db.execute(
        "SELECT id, seen_at, origin, page_hash, run_id FROM version_sightings"
        " WHERE version_id = ? AND seen_at > ? ORDER BY seen_at LIMIT 1",
        [version_id, moment],
    ).fetchone()
    sighting_id, seen_at, origin, page_hash, run_id = sighting
    digest = next(row[2] for row in timeline if row[0] == version_id)
    current = [row for row in timeline if row[1] <= seen_at][-1]
    if current[2] == digest:  # that content was already back by then
        target = current[0]
    else:
        target = db.execute(
            "INSERT INTO versions (document_id, version, seen_at, title, text, published_at,"
            " content_hash, page_hash, run_id, origin, metadata)"
            " SELECT document_id, -1000000 - id, ?, title, text, published_at, content_hash, ?, ?,"
            " ?, metadata FROM versions WHERE id = ?",
            [seen_at, page_hash, run_id, origin, version_id],
        ).lastrowid
        db.execute("DELETE FROM version_sightings WHERE id = ?", [sighting_id])
    db.execute(
        "UPDATE version_sightings SET version_id = ? WHERE version_id = ? AND seen_at >= ?",
        [target, version_id, seen_at],
    )


def _renumber(db: sqlite_utils.Database, document_id: int) -> None:
    """Number the document's versions 1, 2, … in ``seen_at`` order (two passes: the
    (document_id, version) index is unique)."""
    ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM versions WHERE document_id = ? ORDER BY seen_at, id", [document_id]
        )
    ]
    db.execute("UPDATE versions SET version = -version WHERE document_id = ?", [document_id])
    for number, version_id in enumerate(ids, start=1):
        db.execute("UPDATE versions SET version = ? WHERE id = ?", [number, version_id])


def _forget_changes_after_reordering(
    db: sqlite_utils.Database, document_id: int, former: list[int]
) -> None:
    """Versions ``former`` (ids in their former order) were renumbered: from the first position
    where the order differs, delete the change rows and queue the document for the flag job.
    Versions only appended after the former ones change nothing already computed."""
    ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM versions WHERE document_id = ? ORDER BY version", [document_id]
        )
    ]
    first = next((n for n, (old, new) in enumerate(zip(former, ids)) if old != new), len(former))
    if first == len(former):
        return
    stale = ids[first:]
    db.execute(f"DELETE FROM changes WHERE to_version_id IN ({', '.join('?' * len(stale))})", stale)
    db.execute(
        "INSERT INTO history_rewrites (document_id, from_version, generation, rewritten_at)"
        " VALUES (?, ?, 1, ?) ON CONFLICT(document_id) DO UPDATE SET"
        " from_version = min(from_version, excluded.from_version),"
        " generation = generation + 1, rewritten_at = excluded.rewritten_at",
        [document_id, first + 1, utc_now()],
    )


def _show_latest(db: sqlite_utils.Database, document_id: int, language: str | None) -> None:
    """The document row shows its latest version's title and date."""
    db.execute(
        "UPDATE documents SET (title, published_at) = (SELECT title, published_at FROM versions"
        " WHERE document_id = ? ORDER BY version DESC LIMIT 1),"
        " language = coalesce(language, ?) WHERE id = ?",
        [document_id, language, document_id],
    )
